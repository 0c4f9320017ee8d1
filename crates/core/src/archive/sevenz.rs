//! 7z: names and encryption from the header (decoded under a memory limit);
//! inner archives decoded block by block, stopping after the last wanted member.

use super::*;

impl Walker<'_> {
    pub(super) fn sevenz(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let mut source = Cursor::new(bytes);
        let password = sevenz_rust2::Password::empty();
        let archive = match sevenz_rust2::Archive::read_with_memory_limit(&mut source, &password, DECODER_MEMORY as usize / 1024) {
            Ok(archive) => archive,
            Err(sevenz_rust2::Error::PasswordRequired | sevenz_rust2::Error::MaybeBadPassword(_)) => {
                self.report(Entry::Encrypted(path.to_owned()));
                return;
            }
            // Without the crate's `aes256` feature (we never decrypt) an encrypted
            // header is an unsupported method: look for the AES coder ourselves.
            Err(_) if sevenz_header_is_encrypted(bytes) => {
                self.report(Entry::Encrypted(path.to_owned()));
                return;
            }
            Err(_) => return,
        };
        let mut wanted = vec![false; archive.files.len()];
        for (index, file) in archive.files.iter().enumerate().take(MAX_ENTRIES_PER_ARCHIVE) {
            if file.is_directory() {
                continue;
            }
            let inner = format!("{path}/{}", file.name());
            let encrypted = archive.is_file_encrypted(index);
            if !self.report(if encrypted { Entry::Encrypted(inner.clone()) } else { Entry::File(inner.clone()) }) {
                return;
            }
            if !encrypted && file.has_stream() && looks_like_archive(file.name()) && self.may_open(&inner, depth) {
                wanted[index] = true;
            }
        }
        if wanted.contains(&true) {
            let inner = self.sevenz_extract(path, &archive, &mut source, &password, &wanted, bytes.len() as u64);
            self.open_all(inner, depth);
        }
    }

    /// Decodes the `wanted` members of a 7z archive, block by block, stopping
    /// each block after its last wanted member. Members decoded on the way (a
    /// solid block) are charged to the budget by their declared size.
    fn sevenz_extract(
        &mut self,
        path: &str,
        archive: &sevenz_rust2::Archive,
        source: &mut Cursor<&[u8]>,
        password: &sevenz_rust2::Password,
        wanted: &[bool],
        compressed: u64,
    ) -> Vec<Inner> {
        let mut extracted = Vec::new();
        // The members of each block that holds a wanted one, in archive order
        // (the order the block decoder hands them out).
        let mut blocks: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
        for (index, &is_wanted) in wanted.iter().enumerate() {
            if is_wanted && let Some(Some(block)) = archive.stream_map.file_block_index.get(index) {
                blocks.entry(*block).or_default();
            }
        }
        // `take`: a hostile header may map more files to blocks than it lists.
        for (index, block) in archive.stream_map.file_block_index.iter().enumerate().take(wanted.len()) {
            if let Some(members) = block.and_then(|block| blocks.get_mut(&block)) {
                members.push(index);
            }
        }
        for (block, members) in blocks {
            let Some(last) = members.iter().rposition(|&index| wanted[index]) else { continue };
            let first_wanted = members[members.iter().position(|&index| wanted[index]).unwrap_or(last)];
            let mut position = 0;
            let mut shut: Option<(String, Bound)> = None;
            let decoder = sevenz_rust2::BlockDecoder::new_with_memory_limit(
                1,
                DECODER_MEMORY as usize / 1024,
                block,
                archive,
                password,
                source,
            );
            let result = decoder.for_each_entries(&mut |entry, reader| {
                let Some(&index) = members.get(position) else { return Ok(false) };
                position += 1;
                let inner = format!("{path}/{}", entry.name());
                if wanted[index] {
                    let (limit, bound) = self.inflate_limit(compressed);
                    if entry.size() > limit {
                        shut = Some((inner, bound));
                        return Ok(false);
                    }
                    let mut content = Vec::new();
                    let read = reader.take(limit + 1).read_to_end(&mut content);
                    self.budget.inflated = self.budget.inflated.saturating_sub(content.len() as u64);
                    if content.len() as u64 > limit {
                        shut = Some((inner, bound));
                        return Ok(false);
                    }
                    if read.is_ok() {
                        extracted.push(Inner { path: inner, content });
                    }
                } else {
                    // Decoded only to reach a later member of the solid block.
                    if entry.size() > self.budget.inflated {
                        let next = members[position..].iter().find(|&&index| wanted[index]).copied().unwrap_or(first_wanted);
                        shut = Some((format!("{path}/{}", archive.files[next].name()), Bound::Budget));
                        return Ok(false);
                    }
                    self.budget.inflated -= entry.size();
                }
                Ok(position <= last)
            });
            let failed = match result {
                Err(sevenz_rust2::Error::MaxMemLimited { .. }) => Some(Bound::DecoderMemory),
                Err(sevenz_rust2::Error::UnsupportedCompressionMethod(_) | sevenz_rust2::Error::Unsupported(_)) => {
                    Some(Bound::Method)
                }
                _ => None,
            };
            if let Some(bound) = failed {
                shut.get_or_insert((format!("{path}/{}", archive.files[first_wanted].name()), bound));
            }
            if let Some((inner, bound)) = shut
                && !self.report(Entry::Uninspectable(inner, bound))
            {
                break;
            }
        }
        extracted
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
