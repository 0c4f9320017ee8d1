//! RAR (every version, `rars`): names and encryption from the block headers,
//! under a header count and size limit; inner archives extracted into buffers
//! that refuse to grow past their bound.

use super::*;

impl Walker<'_> {
    pub(super) fn rar(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let options =
            rars::ArchiveReadOptions::new().with_max_header_count(RAR_MAX_HEADERS).with_max_header_bytes(RAR_MAX_HEADER_BYTES);
        let archive = match rars::ArchiveReader::read_with_options(bytes, options) {
            Ok(archive) => archive,
            Err(error) if rar_needs_password(&error) => {
                self.report(Entry::Encrypted(path.to_owned()));
                return;
            }
            Err(_) => return,
        };
        // Member position (in archive order, as extraction visits them), its stored
        // name (checked again during extraction) and its path.
        let mut wanted: Vec<(usize, Vec<u8>, String)> = Vec::new();
        for (position, member) in archive.members().enumerate().take(MAX_ENTRIES_PER_ARCHIVE) {
            if member.meta.is_directory {
                continue;
            }
            let name = member.decoded_name(None).map(|name| String::from_utf8_lossy(name.as_ref()).into_owned());
            let name = name.unwrap_or_else(|_| member.meta.name_lossy()).replace('\\', "/");
            let inner = format!("{path}/{name}");
            let encrypted = member.meta.is_encrypted;
            if !self.report(if encrypted { Entry::Encrypted(inner.clone()) } else { Entry::File(inner.clone()) }) {
                return;
            }
            if !encrypted
                && !member.meta.is_redirection
                && !member.meta.is_split_before
                && !member.meta.is_split_after
                && looks_like_archive(&name)
                && self.may_open(&inner, depth)
            {
                wanted.push((position, member.meta.name.clone(), inner));
            }
        }
        if !wanted.is_empty() {
            let inner = self.rar_extract(&archive, &wanted);
            self.open_all(inner, depth);
        }
    }

    /// Decodes the `wanted` members of a RAR archive. Other members are skipped,
    /// or, in a solid archive (where skipping is impossible), decoded into a
    /// counting sink and charged to the budget.
    fn rar_extract(&mut self, archive: &rars::Archive, wanted: &[(usize, Vec<u8>, String)]) -> Vec<Inner> {
        let last = wanted.last().map(|(position, _, _)| *position).unwrap_or(0);
        for solid in [false, true] {
            let mut slots: Vec<(String, Rc<RefCell<LimitedBuffer>>, Bound)> = Vec::new();
            let drained = Rc::new(RefCell::new(0u64));
            let mut completed = 0;
            let mut position = 0;
            let options = rars::ArchiveReadOptions::new()
                .with_max_total_output_bytes(self.budget.inflated)
                .with_max_member_output_bytes(self.budget.inflated)
                .with_rar50_dictionary_size_limit(RAR_DICTIONARY)
                .with_max_reader_workspace_bytes(4 * DECODER_MEMORY);
            let result = archive.extract_with_control(options, |member| {
                let here = position;
                position += 1;
                // Every slot opened before this member is whole.
                completed = slots.len();
                if here > last {
                    return Ok(rars::ExtractionDecision::Stop);
                }
                if let Some((_, _, inner)) = wanted.iter().find(|(at, name, _)| *at == here && *name == member.meta.name) {
                    let (limit, bound) = self.inflate_limit(member.meta.packed_size);
                    let buffer = Rc::new(RefCell::new(LimitedBuffer::new(limit)));
                    slots.push((inner.clone(), buffer.clone(), bound));
                    if member.meta.unpacked_size > limit {
                        buffer.borrow_mut().overflowed = true;
                        return Ok(rars::ExtractionDecision::Stop);
                    }
                    return Ok(rars::ExtractionDecision::Extract(Box::new(SharedWriter(buffer))));
                }
                if solid && !member.meta.is_directory {
                    Ok(rars::ExtractionDecision::Extract(Box::new(CountingSink(drained.clone()))))
                } else {
                    Ok(rars::ExtractionDecision::Skip)
                }
            });
            if !solid && matches!(&result, Err(error) if matches!(error.root_cause(), rars::Error::CannotSkipSolidMember)) {
                continue;
            }
            if result.is_ok() {
                completed = slots.len();
            }
            let produced = *drained.borrow() + slots.iter().map(|(_, buffer, _)| buffer.borrow().bytes.len() as u64).sum::<u64>();
            self.budget.inflated = self.budget.inflated.saturating_sub(produced);
            let mut extracted = Vec::new();
            let mut reported = false;
            for (index, (inner, buffer, bound)) in slots.into_iter().enumerate() {
                let buffer = buffer.take();
                if buffer.overflowed {
                    reported |= self.report(Entry::Uninspectable(inner, bound));
                } else if index < completed {
                    extracted.push(Inner { path: inner, content: buffer.bytes });
                }
            }
            // A bound the decoder itself enforced: blame the first wanted member
            // that did not come out whole.
            if !reported
                && let Err(error) = &result
                && let Some(bound) = rar_bound(error)
                && let Some((_, _, inner)) = wanted.get(extracted.len())
            {
                self.report(Entry::Uninspectable(inner.clone(), bound));
            }
            return extracted;
        }
        Vec::new()
    }
}

/// Whether reading a RAR archive failed for want of a password (headers
/// encrypted as a whole; we are built without decryption).
fn rar_needs_password(error: &rars::Error) -> bool {
    matches!(error.kind(), rars::ErrorKind::PasswordRequired | rars::ErrorKind::BadPassword)
        || matches!(error.root_cause(), rars::Error::FeatureDisabled { feature: "encryption" })
}

/// The bound behind a RAR extraction error, if it was one.
fn rar_bound(error: &rars::Error) -> Option<Bound> {
    match error.root_cause() {
        rars::Error::UnsupportedCompression { .. } | rars::Error::UnsupportedFeature { .. } => Some(Bound::Method),
        rars::Error::TotalOutputLimitExceeded { .. } => Some(Bound::Budget),
        rars::Error::MemberOutputLimitExceeded { .. } => Some(Bound::Budget),
        rars::Error::Rar50DictionaryLimitExceeded { .. }
        | rars::Error::Rar50BufferedDecodeLimitExceeded { .. }
        | rars::Error::Rar50FilterMemoryLimitExceeded { .. }
        | rars::Error::MemoryLimitExceeded { .. } => Some(Bound::DecoderMemory),
        _ if error.kind() == rars::ErrorKind::ResourceLimit => Some(Bound::DecoderMemory),
        _ => None,
    }
}

/// A buffer that refuses to grow past its limit (the write fails, which ends
/// the extraction) and remembers that it was asked to.
#[derive(Default)]
struct LimitedBuffer {
    bytes: Vec<u8>,
    limit: u64,
    overflowed: bool,
}

impl LimitedBuffer {
    fn new(limit: u64) -> LimitedBuffer {
        LimitedBuffer { bytes: Vec::new(), limit, overflowed: false }
    }
}

/// The writer handed to the RAR extractor, which keeps it: the bytes stay
/// reachable through the shared buffer.
struct SharedWriter(Rc<RefCell<LimitedBuffer>>);

impl Write for SharedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut buffer = self.0.borrow_mut();
        if buffer.bytes.len() as u64 + data.len() as u64 > buffer.limit {
            buffer.overflowed = true;
            return Err(io::Error::other("inner archive over its bound"));
        }
        buffer.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Counts what a solid RAR decodes on the way to a wanted member.
struct CountingSink(Rc<RefCell<u64>>);

impl Write for CountingSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        *self.0.borrow_mut() += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
