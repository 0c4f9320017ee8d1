//! Listing what is inside an attached archive, within fixed bounds.
//!
//! Not a check of its own: [`crate::checks::attachments`] calls [`inspect`] for
//! every attachment that is a zip, 7z, rar, tar or gzip file (by content, not by
//! name), and gets each file name inside (with its path through the nested
//! archives, e.g. `invoice.zip/inner.7z/run.exe`) and whether it is encrypted.
//!
//! Formats:
//! - zip (`zip` crate): names and the encryption flag from the central directory,
//!   without decompressing; nested archives are extracted (bounded) and listed.
//! - 7z (`sevenz-rust2`): names and encryption from the header (which is itself
//!   usually LZMA-compressed, decoded under a memory limit). An archive whose
//!   header is encrypted is reported as encrypted. Nested archives inside a 7z are
//!   listed by name only (solid 7z would mean decompressing everything before them).
//! - rar (our own reader of the RAR 4 and RAR 5 block headers, below): file
//!   headers are stored uncompressed, so names and encryption flags are read
//!   without any decompressor. There is no maintained pure-Rust RAR crate (the
//!   `unrar` crate binds RARLAB's C++ library under a non-free licence); reading
//!   the headers needs a hundred lines. Nested archives inside a rar are listed by
//!   name only.
//! - tar (`tar` crate) and gzip (`flate2`): a `.gz` is decompressed (bounded) and
//!   what it holds is inspected as if it were the attachment itself, so a `.tar.gz`
//!   counts as one level.
//!
//! Bounds (constants below): 3 archive levels, 1,000 entries per archive and
//! 10,000 per message, 16 MiB for any one inflated inner archive, 64 MiB inflated
//! per message, and an inflation ratio of 200:1. What lies beyond a bound is not
//! looked at (the part count and size limits cap the message itself).

use std::io::{Cursor, Read};

/// How deep archives inside archives are opened: the attachment is level 1.
pub const MAX_DEPTH: usize = 3;
pub const MAX_ENTRIES_PER_ARCHIVE: usize = 1_000;
pub const MAX_ENTRIES_PER_MESSAGE: usize = 10_000;
pub const MAX_INNER_SIZE: u64 = 16 << 20;
pub const MAX_INFLATED_PER_MESSAGE: u64 = 64 << 20;
pub const MAX_RATIO: u64 = 200;
/// Memory the 7z header decoder may use, in KiB.
const SEVENZ_MEMORY_KB: usize = 32 * 1024;

/// An archive format, recognised by its magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Zip,
    SevenZ,
    Rar,
    Tar,
    Gzip,
}

/// The format of `bytes`, if it is an archive we can list.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if bytes.starts_with(b"7z\xBC\xAF\x27\x1C") {
        Some(Format::SevenZ)
    } else if bytes.starts_with(b"Rar!\x1A\x07") {
        Some(Format::Rar)
    } else if bytes.starts_with(&[0x1F, 0x8B]) {
        Some(Format::Gzip)
    } else if bytes.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// What was found inside an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A file, by its path through the archives (`outer.zip/dir/inner.exe`).
    File(String),
    /// An encrypted file, or an archive whose listing itself is encrypted.
    Encrypted(String),
}

/// What one message may still spend on archives.
#[derive(Clone, Debug)]
pub struct Budget {
    pub entries: usize,
    pub inflated: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            entries: MAX_ENTRIES_PER_MESSAGE,
            inflated: MAX_INFLATED_PER_MESSAGE,
        }
    }
}

/// Lists the archive `bytes` named `path`, calling `visit` for every entry (and
/// for those of nested archives) until it returns `true` (stop).
pub fn inspect(path: &str, bytes: &[u8], budget: &mut Budget, visit: &mut dyn FnMut(Entry) -> bool) {
    let mut walker = Walker { budget, visit, stopped: false };
    walker.archive(path, bytes, 1);
}

struct Walker<'v> {
    budget: &'v mut Budget,
    visit: &'v mut dyn FnMut(Entry) -> bool,
    stopped: bool,
}

impl Walker<'_> {
    /// Reports one entry; false when the walk must end (stopped or out of budget).
    fn report(&mut self, entry: Entry) -> bool {
        if self.stopped || self.budget.entries == 0 {
            return false;
        }
        self.budget.entries -= 1;
        if (self.visit)(entry) {
            self.stopped = true;
        }
        !self.stopped
    }

    fn archive(&mut self, path: &str, bytes: &[u8], depth: usize) {
        if self.stopped || depth > MAX_DEPTH {
            return;
        }
        match sniff(bytes) {
            Some(Format::Zip) => self.zip(path, bytes, depth),
            Some(Format::SevenZ) => self.sevenz(path, bytes),
            Some(Format::Rar) => {
                for entry in rar_entries(path, bytes) {
                    if !self.report(entry) {
                        return;
                    }
                }
            }
            Some(Format::Tar) => self.tar(path, bytes, depth),
            Some(Format::Gzip) => self.gzip(path, bytes, depth),
            None => {}
        }
    }

    /// Inflates at most what the bounds allow; `None` when the content is over them
    /// (or undecodable), so it is not looked at.
    fn inflate(&mut self, reader: impl Read, compressed: u64) -> Option<Vec<u8>> {
        let limit = MAX_INNER_SIZE.min(self.budget.inflated).min(compressed.saturating_mul(MAX_RATIO).max(4096));
        let mut out = Vec::new();
        reader.take(limit + 1).read_to_end(&mut out).ok()?;
        let length = out.len() as u64;
        self.budget.inflated = self.budget.inflated.saturating_sub(length);
        (length <= limit).then_some(out)
    }

    fn zip(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return };
        let count = archive.len().min(MAX_ENTRIES_PER_ARCHIVE);
        for index in 0..count {
            let (name, encrypted, is_dir, compressed) = match archive.by_index_raw(index) {
                Ok(file) => (
                    String::from_utf8_lossy(file.name_raw()).into_owned(),
                    file.encrypted(),
                    file.is_dir(),
                    file.compressed_size(),
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
            if !encrypted && depth < MAX_DEPTH && looks_like_archive(&name) {
                let content = match archive.by_index(index) {
                    Ok(file) => self.inflate(file, compressed),
                    Err(_) => None,
                };
                if let Some(content) = content {
                    self.archive(&inner, &content, depth + 1);
                }
            }
        }
    }

    fn sevenz(&mut self, path: &str, bytes: &[u8]) {
        let mut reader = Cursor::new(bytes);
        let password = sevenz_rust2::Password::empty();
        match sevenz_rust2::Archive::read_with_memory_limit(&mut reader, &password, SEVENZ_MEMORY_KB) {
            Ok(archive) => {
                for (index, file) in archive.files.iter().enumerate().take(MAX_ENTRIES_PER_ARCHIVE) {
                    if file.is_directory() {
                        continue;
                    }
                    let inner = format!("{path}/{}", file.name());
                    let entry =
                        if archive.is_file_encrypted(index) { Entry::Encrypted(inner) } else { Entry::File(inner) };
                    if !self.report(entry) {
                        return;
                    }
                }
            }
            Err(sevenz_rust2::Error::PasswordRequired | sevenz_rust2::Error::MaybeBadPassword(_)) => {
                self.report(Entry::Encrypted(path.to_owned()));
            }
            // Without the crate's `aes256` feature (we never decrypt) an encrypted
            // header is an unsupported method: look for the AES coder ourselves.
            Err(_) if sevenz_header_is_encrypted(bytes) => {
                self.report(Entry::Encrypted(path.to_owned()));
            }
            Err(_) => {}
        }
    }

    fn tar(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let mut archive = tar::Archive::new(bytes);
        let Ok(entries) = archive.entries() else { return };
        for entry in entries.take(MAX_ENTRIES_PER_ARCHIVE) {
            let Ok(entry) = entry else { return };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let inner = format!("{path}/{name}");
            if !self.report(Entry::File(inner.clone())) {
                return;
            }
            if depth < MAX_DEPTH && looks_like_archive(&name) {
                // Stored, not compressed: no ratio to bound, only the sizes.
                if let Some(content) = self.inflate(entry, u64::MAX / MAX_RATIO) {
                    self.archive(&inner, &content, depth + 1);
                }
            }
        }
    }

    fn gzip(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let decoder = flate2::read::GzDecoder::new(bytes);
        let stored_name = decoder.header().and_then(|header| header.filename()).map(|name| String::from_utf8_lossy(name).into_owned());
        let Some(content) = self.inflate(decoder, bytes.len() as u64) else { return };
        let base = path.rsplit('/').next().unwrap_or(path);
        let lower = base.to_ascii_lowercase();
        let name = stored_name.unwrap_or_else(|| {
            if lower.ends_with(".tgz") {
                format!("{}.tar", &base[..base.len() - 4])
            } else if lower.ends_with(".gz") {
                base[..base.len() - 3].to_owned()
            } else {
                base.to_owned()
            }
        });
        let inner = format!("{path}/{name}");
        if !self.report(Entry::File(inner.clone())) {
            return;
        }
        // A gzip wrapper is not a level of its own: `.tar.gz` is one archive.
        self.archive(&inner, &content, depth);
    }
}

/// Whether a 7z archive's (encoded) next header names the AES-256 coder: the
/// start header (offset 12: next header offset, 20: its size, both u64 LE,
/// relative to the end of the 32-byte signature header) locates it.
fn sevenz_header_is_encrypted(bytes: &[u8]) -> bool {
    let read = |at: usize| bytes.get(at..at + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    let (Some(offset), Some(size)) = (read(12), read(20)) else { return false };
    let start = offset.checked_add(32).and_then(|start| usize::try_from(start).ok());
    let end = start.zip(usize::try_from(size).ok()).and_then(|(start, size)| start.checked_add(size));
    match start.zip(end).and_then(|(start, end)| bytes.get(start..end)) {
        Some(header) => memchr::memmem::find(header, sevenz_rust2::EncoderMethod::ID_AES256_SHA256).is_some(),
        None => false,
    }
}

/// Whether a name inside an archive is worth extracting to look into.
fn looks_like_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".zip", ".7z", ".rar", ".tar", ".gz", ".tgz"].iter().any(|ext| lower.ends_with(ext))
}

/// The entries of a RAR 4 or RAR 5 archive, from its block headers.
pub fn rar_entries(path: &str, bytes: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    if bytes.starts_with(b"Rar!\x1A\x07\x01\x00") {
        rar5(path, bytes, &mut entries);
    } else if bytes.starts_with(b"Rar!\x1A\x07\x00") {
        rar4(path, bytes, &mut entries);
    }
    entries
}

fn le16(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?) as u64)
}

fn le32(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as u64)
}

/// RAR 4 (RARLAB's technote for 2.9-4.x): 7-byte blocks headers
/// `crc16 type flags16 size16 [add_size32]`; main header type 0x73 with flag
/// 0x0080 = headers encrypted; file header type 0x74 with flag 0x0004 = encrypted.
fn rar4(path: &str, bytes: &[u8], entries: &mut Vec<Entry>) {
    let mut at = 7;
    while entries.len() < MAX_ENTRIES_PER_ARCHIVE {
        let (Some(kind), Some(flags), Some(size)) = (bytes.get(at + 2).copied(), le16(bytes, at + 3), le16(bytes, at + 5))
        else {
            return;
        };
        if size < 7 {
            return;
        }
        let mut next = at as u64 + size;
        match kind {
            0x73 if flags & 0x0080 != 0 => {
                entries.push(Entry::Encrypted(path.to_owned()));
                return;
            }
            0x74 => {
                let Some(packed) = le32(bytes, at + 7) else { return };
                let high = if flags & 0x0100 != 0 { le32(bytes, at + 32).unwrap_or(0) } else { 0 };
                let Some(name_size) = le16(bytes, at + 26) else { return };
                let name_at = at + 32 + if flags & 0x0100 != 0 { 8 } else { 0 };
                let Some(raw_name) = bytes.get(name_at..name_at + name_size as usize) else { return };
                // Unicode names are "ascii\0encoded": the ASCII half is enough here.
                let raw_name = raw_name.split(|byte| *byte == 0).next().unwrap_or_default();
                let is_dir = flags & 0x00E0 == 0x00E0;
                if !is_dir {
                    let inner = format!("{path}/{}", String::from_utf8_lossy(raw_name).replace('\\', "/"));
                    entries.push(if flags & 0x0004 != 0 { Entry::Encrypted(inner) } else { Entry::File(inner) });
                }
                next = next.saturating_add(packed | (high << 32));
            }
            0x7B => return,
            _ => {
                if flags & 0x8000 != 0 {
                    next = next.saturating_add(le32(bytes, at + 7).unwrap_or(0));
                }
            }
        }
        match usize::try_from(next) {
            Ok(next) if next > at => at = next,
            _ => return,
        }
    }
}

/// A RAR 5 variable-length integer: 7 bits per byte, high bit = more follows.
fn vint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        if shift < 64 {
            value |= u64::from(byte & 0x7F) << shift;
        }
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// RAR 5 (RARLAB's "RAR 5.0 archive format"): blocks
/// `crc32 vint(header_size) vint(type) vint(flags) [vint(extra_size)] [vint(data_size)] ...`;
/// type 4 = archive encryption header (everything after is encrypted), type 2 =
/// file header whose extra area may hold an encryption record (type 1).
fn rar5(path: &str, bytes: &[u8], entries: &mut Vec<Entry>) {
    let mut at = 8;
    while entries.len() < MAX_ENTRIES_PER_ARCHIVE {
        let mut cursor = at + 4;
        let Some(header_size) = vint(bytes, &mut cursor) else { return };
        let header_start = cursor;
        let Some(header_end) = usize::try_from(header_size).ok().and_then(|size| header_start.checked_add(size)) else {
            return;
        };
        if header_end > bytes.len() || header_size == 0 {
            return;
        }
        let header = &bytes[..header_end];
        let (Some(kind), Some(flags)) = (vint(header, &mut cursor), vint(header, &mut cursor)) else { return };
        let extra_size = if flags & 1 != 0 { vint(header, &mut cursor).unwrap_or(0) } else { 0 };
        let data_size = if flags & 2 != 0 { vint(header, &mut cursor).unwrap_or(0) } else { 0 };
        match kind {
            4 => {
                entries.push(Entry::Encrypted(path.to_owned()));
                return;
            }
            2 => {
                if let Some((name, is_dir)) = rar5_file_name(header, cursor) {
                    let extra_start = header_end.saturating_sub(usize::try_from(extra_size).unwrap_or(usize::MAX));
                    let encrypted = extra_start >= cursor && rar5_has_crypt_record(header, extra_start);
                    if !is_dir {
                        let inner = format!("{path}/{name}");
                        entries.push(if encrypted { Entry::Encrypted(inner) } else { Entry::File(inner) });
                    }
                }
            }
            5 => return,
            _ => {}
        }
        let next = u64::try_from(header_end).unwrap_or(u64::MAX).saturating_add(data_size);
        match usize::try_from(next) {
            Ok(next) if next > at => at = next,
            _ => return,
        }
    }
}

fn rar5_file_name(header: &[u8], mut cursor: usize) -> Option<(String, bool)> {
    let file_flags = vint(header, &mut cursor)?;
    let _unpacked = vint(header, &mut cursor)?;
    let _attributes = vint(header, &mut cursor)?;
    if file_flags & 2 != 0 {
        cursor += 4; // mtime
    }
    if file_flags & 4 != 0 {
        cursor += 4; // data CRC32
    }
    let _compression = vint(header, &mut cursor)?;
    let _host_os = vint(header, &mut cursor)?;
    let name_length = usize::try_from(vint(header, &mut cursor)?).ok()?;
    let name = header.get(cursor..cursor.checked_add(name_length)?)?;
    Some((String::from_utf8_lossy(name).into_owned(), file_flags & 1 != 0))
}

fn rar5_has_crypt_record(header: &[u8], mut cursor: usize) -> bool {
    while cursor < header.len() {
        let Some(size) = vint(header, &mut cursor) else { return false };
        let record_start = cursor;
        let Some(kind) = vint(header, &mut cursor) else { return false };
        if kind == 1 {
            return true;
        }
        match usize::try_from(size).ok().and_then(|size| record_start.checked_add(size)) {
            Some(next) if next > record_start => cursor = next,
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(path: &str, bytes: &[u8]) -> Vec<Entry> {
        let mut found = Vec::new();
        inspect(path, bytes, &mut Budget::default(), &mut |entry| {
            found.push(entry);
            false
        });
        found
    }

    #[test]
    fn magic_bytes_are_recognised() {
        assert_eq!(sniff(b"PK\x03\x04...."), Some(Format::Zip));
        assert_eq!(sniff(b"7z\xBC\xAF\x27\x1C...."), Some(Format::SevenZ));
        assert_eq!(sniff(b"Rar!\x1A\x07\x01\x00"), Some(Format::Rar));
        assert_eq!(sniff(&[0x1F, 0x8B, 8]), Some(Format::Gzip));
        assert_eq!(sniff(b"%PDF-1.7"), None);
    }

    #[test]
    fn garbage_after_magic_is_harmless() {
        for prefix in [&b"PK\x03\x04"[..], b"7z\xBC\xAF\x27\x1C", b"Rar!\x1A\x07\x00", b"Rar!\x1A\x07\x01\x00", &[0x1F, 0x8B]] {
            for tail in [&b""[..], &[0xFF; 64], &[0x00; 600], &[0x80; 100]] {
                let mut bytes = prefix.to_vec();
                bytes.extend_from_slice(tail);
                let _ = list("junk", &bytes);
            }
        }
    }

    #[test]
    fn fixture_archives_are_listed() {
        use crate::checks::fixtures::read;
        let cases: [(&str, &[&str]); 6] = [
            ("plain.zip", &["File(\"plain.zip/readme.txt\")", "File(\"plain.zip/tool.exe\")"]),
            ("nested.zip", &["File(\"nested.zip/level2.zip/level3.tar.gz/level3.tar/deep/run.vbs\")"]),
            ("secret.zip", &["Encrypted(\"secret.zip/data.txt\")"]),
            ("files.7z", &["File(\"files.7z/setup.msi\")"]),
            ("files.rar", &["File(\"files.rar/notes.txt\")", "File(\"files.rar/script.js\")"]),
            ("files.tar.gz", &["File(\"files.tar.gz/files.tar/a/b.bat\")"]),
        ];
        for (file, expected) in cases {
            let bytes = read("attachments/archives", file);
            let found: Vec<String> = list(file, &bytes).iter().map(|entry| format!("{entry:?}")).collect();
            for want in expected {
                assert!(found.iter().any(|entry| entry == want), "{file}: want {want} in {found:?}");
            }
        }
    }

    #[test]
    fn a_zip_bomb_is_not_inflated_past_the_bounds() {
        use std::io::Write;
        // 64 MiB of zeros inside a zip inside a zip: compresses to ~64 KiB.
        let mut inner = Vec::new();
        {
            let mut writer = zip::ZipWriter::new(Cursor::new(&mut inner));
            let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            let _ = writer.start_file("zeros.bin", options);
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..64 {
                let _ = writer.write_all(&chunk);
            }
            let _ = writer.finish();
        }
        let mut outer = Vec::new();
        {
            let mut writer = zip::ZipWriter::new(Cursor::new(&mut outer));
            let _ = writer.start_file("inner.zip", zip::write::SimpleFileOptions::default());
            let _ = writer.write_all(&inner);
            let _ = writer.finish();
        }
        let mut budget = Budget::default();
        let started = std::time::Instant::now();
        inspect("bomb.zip", &outer, &mut budget, &mut |_| false);
        assert!(budget.inflated >= MAX_INFLATED_PER_MESSAGE - MAX_INNER_SIZE - 1, "{budget:?}");
        assert!(started.elapsed().as_secs() < 5);
    }
}
