//! tar: member names, read from memory or from a gzip stream.

use super::*;

impl Walker<'_> {
    /// A tar archive, read from `reader` (memory, or a gzip stream).
    pub(super) fn tar(&mut self, path: &str, reader: &mut dyn Read, depth: usize) {
        let mut archive = ::tar::Archive::new(reader);
        let Ok(entries) = archive.entries() else { return };
        let mut inner_archives = Vec::new();
        for entry in entries.take(MAX_ENTRIES_PER_ARCHIVE) {
            let Ok(mut entry) = entry else { break };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let inner = format!("{path}/{name}");
            if !self.report(Entry::File(inner.clone())) {
                return;
            }
            if looks_like_archive(&name) && self.may_open(&inner, depth) {
                // Stored, not compressed: what the tar holds was charged when the
                // tar itself was inflated (or arrived as it is); only the size
                // of one inner archive is bounded here.
                let mut content = Vec::new();
                let read = (&mut entry).take(MAX_INNER_SIZE + 1).read_to_end(&mut content);
                if content.len() as u64 > MAX_INNER_SIZE {
                    self.report(Entry::Uninspectable(inner, Bound::Size));
                } else if read.is_ok() {
                    inner_archives.push(Inner { path: inner, content });
                }
            }
        }
        self.open_all(inner_archives, depth);
    }
}
