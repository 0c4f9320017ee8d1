//! zip: names and the encryption flag from the central directory (without
//! decompressing); members declaring more than 200:1 are bombs; inner archives
//! decoded with every method the `zip` crate has a pure-Rust decoder for.

use super::*;

impl Walker<'_> {
    pub(super) fn zip(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let Ok(mut archive) = ::zip::ZipArchive::new(Cursor::new(bytes)) else { return };
        let count = archive.len().min(MAX_ENTRIES_PER_ARCHIVE);
        for index in 0..count {
            let (name, encrypted, is_dir, compressed, declared) = match archive.by_index_raw(index) {
                Ok(file) => (
                    String::from_utf8_lossy(file.name_raw()).into_owned(),
                    file.encrypted(),
                    file.is_dir(),
                    file.compressed_size(),
                    file.size(),
                ),
                Err(_) => continue,
            };
            if is_dir {
                continue;
            }
            let inner = format!("{path}/{name}");
            let entry = if encrypted { Entry::Encrypted(inner.clone()) } else { Entry::File(inner.clone()) };
            if !self.report(entry) {
                return;
            }
            if declared > compressed.saturating_mul(MAX_RATIO).max(4096) {
                // A bomb for whoever extracts it, archive or not.
                if !self.report(Entry::Uninspectable(inner.clone(), Bound::Ratio)) {
                    return;
                }
                continue;
            }
            if !encrypted && looks_like_archive(&name) && self.may_open(&inner, depth) {
                let content = match archive.by_index(index) {
                    Ok(file) => self.inflate(&inner, file, compressed),
                    Err(::zip::result::ZipError::UnsupportedArchive(_) | ::zip::result::ZipError::CompressionMethodNotSupported(_)) => {
                        self.report(Entry::Uninspectable(inner.clone(), Bound::Method));
                        None
                    }
                    Err(_) => None,
                };
                if let Some(content) = content {
                    self.archive(&inner, &content, depth + 1);
                }
            }
        }
    }
}
