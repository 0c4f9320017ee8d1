//! Listing what is inside an attached archive, within fixed bounds.
//!
//! Not a check of its own: [`crate::checks::attachments`] calls [`inspect`] for
//! every attachment that is a zip, 7z, rar, tar or gzip file (by content, not by
//! name), and gets each file name inside (with its path through the nested
//! archives, e.g. `invoice.zip/inner.7z/run.exe`), whether it is encrypted, and
//! every archive inside it that could not be opened within the bounds.
//!
//! Formats, each by a maintained crate:
//! - zip (`zip`): names and the encryption flag from the central directory,
//!   without decompressing; deflate, deflate64, bzip2, LZMA, XZ and PPMd decoded;
//! - 7z (`sevenz-rust2`): names and encryption from the header (itself usually
//!   LZMA-compressed, decoded under a memory limit); an archive whose header is
//!   encrypted is reported as encrypted; LZMA, LZMA2, PPMd, bzip2, deflate decoded;
//! - rar (`rars`, every RAR version from 1.3 to 7): names and encryption from the
//!   block headers, under a header count and size limit; headers encrypted as a
//!   whole make the archive reported as encrypted;
//! - tar (`tar`) and gzip (`flate2`): a `.gz` is decompressed as a stream and what
//!   it holds is inspected as if it were the attachment itself, so a `.tar.gz`
//!   counts as one level and a big `.tar.gz` is never held in memory whole.
//!
//! An entry whose name looks like an archive is decompressed (bounded) and
//! inspected in turn, in every format. In a solid 7z or RAR the members before it
//! are decoded too (that is what solid means); that work is charged to the same
//! budget.
//!
//! Bounds (constants below): 3 archive levels, 1,000 entries per archive and
//! 10,000 per message, 16 MiB for any one inner archive, 64 MiB decompressed per
//! message, an inflation ratio of 200:1, a 64 MiB decoder dictionary. Names
//! beyond the entry bounds are not listed (a long listing is no sign of harm).
//! An inner archive that a bound keeps shut is reported as
//! [`Entry::Uninspectable`] with the bound: whatever hides in it (an executable
//! one level deeper than we look, a decompression bomb) cannot be vouched for,
//! and the attachment check decides what that means for the message.
//!
//! The 200:1 ratio holds for every member, not only for inner archives: a zip
//! member whose central directory declares more than 200 times its compressed
//! size (and over 4 KiB), or a gzip stream that inflates past the message's
//! budget at more than 200:1, is a bomb even when nobody asks us to open it (a
//! flat zip or gzip of 1 GiB of zeros), and is reported the same way. The zip
//! check reads the declared sizes only, so it costs nothing.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Cursor, Read, Write};
use std::rc::Rc;

/// How deep archives inside archives are opened: the attachment is level 1.
pub const MAX_DEPTH: usize = 3;
pub const MAX_ENTRIES_PER_ARCHIVE: usize = 1_000;
pub const MAX_ENTRIES_PER_MESSAGE: usize = 10_000;
pub const MAX_INNER_SIZE: u64 = 16 << 20;
pub const MAX_INFLATED_PER_MESSAGE: u64 = 64 << 20;
pub const MAX_RATIO: u64 = 200;
/// Memory one decoder may ask for: a 64 MiB dictionary (7-Zip's "ultra" level,
/// above WinRAR's 32 MiB default) and its working state.
const DECODER_MEMORY: u64 = 72 << 20;
/// The largest RAR 5/7 dictionary accepted.
const RAR_DICTIONARY: u64 = 64 << 20;
/// RAR block headers read per archive: a file header each, plus service blocks.
const RAR_MAX_HEADERS: u64 = 4 * MAX_ENTRIES_PER_ARCHIVE as u64;
const RAR_MAX_HEADER_BYTES: u64 = 4 << 20;

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
    } else if bytes.starts_with(b"Rar!\x1A\x07") || bytes.starts_with(b"RE~^") {
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
    /// An archive inside the attachment that a bound kept us from opening.
    Uninspectable(String, Bound),
}

/// Which bound kept an inner archive shut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// It lies deeper than [`MAX_DEPTH`] archives.
    Depth,
    /// It inflates past [`MAX_INNER_SIZE`].
    Size,
    /// It inflates more than [`MAX_RATIO`] times its compressed size: a bomb.
    Ratio,
    /// The message's decompression budget ran out before it was reached.
    Budget,
    /// Its decoder asks for more memory than we give one (a 64 MiB dictionary).
    DecoderMemory,
    /// It is compressed with a method we have no decoder for.
    Method,
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bound::Depth => "nested deeper than 3 archives",
            Bound::Size => "inflates past 16 MiB",
            Bound::Ratio => "inflates more than 200:1",
            Bound::Budget => "past the message's 64 MiB decompression budget",
            Bound::DecoderMemory => "its decoder needs a dictionary over 64 MiB",
            Bound::Method => "compressed with a method Sluice cannot decode",
        })
    }
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

/// An inner archive to open after its container has been listed.
struct Inner {
    path: String,
    content: Vec<u8>,
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
        if self.stopped {
            return;
        }
        match sniff(bytes) {
            Some(Format::Zip) => self.zip(path, bytes, depth),
            Some(Format::SevenZ) => self.sevenz(path, bytes, depth),
            Some(Format::Rar) => self.rar(path, bytes, depth),
            Some(Format::Tar) => self.tar(path, &mut Cursor::new(bytes), depth),
            Some(Format::Gzip) => self.gzip(path, bytes, depth),
            None => {}
        }
    }

    /// Whether the entry `path` (named like an archive) may be opened at this
    /// `depth`; reports it as uninspectable when it lies too deep.
    fn may_open(&mut self, path: &str, depth: usize) -> bool {
        if depth < MAX_DEPTH {
            return true;
        }
        self.report(Entry::Uninspectable(path.to_owned(), Bound::Depth));
        false
    }

    /// The most an inner archive of `compressed` bytes may inflate to, and the
    /// bound that sets it.
    fn inflate_limit(&self, compressed: u64) -> (u64, Bound) {
        let by_ratio = compressed.saturating_mul(MAX_RATIO).max(4096);
        [(MAX_INNER_SIZE, Bound::Size), (self.budget.inflated, Bound::Budget), (by_ratio, Bound::Ratio)]
            .into_iter()
            .min_by_key(|(limit, _)| *limit)
            .unwrap_or((0, Bound::Budget))
    }

    /// Reads the inner archive `path` from `reader` within the bounds, charging
    /// what was inflated; `None` (and an uninspectable entry when a bound was
    /// hit) when it could not be read whole.
    fn inflate(&mut self, path: &str, reader: impl Read, compressed: u64) -> Option<Vec<u8>> {
        let (limit, bound) = self.inflate_limit(compressed);
        let mut out = Vec::new();
        let read = reader.take(limit + 1).read_to_end(&mut out);
        let length = out.len() as u64;
        self.budget.inflated = self.budget.inflated.saturating_sub(length);
        if length > limit {
            self.report(Entry::Uninspectable(path.to_owned(), bound));
            return None;
        }
        match read {
            Ok(_) => Some(out),
            Err(error) if error.kind() == io::ErrorKind::Unsupported => {
                self.report(Entry::Uninspectable(path.to_owned(), Bound::Method));
                None
            }
            // A corrupt member is not a bound: there is nothing in it to find.
            Err(_) => None,
        }
    }

    fn open_all(&mut self, inner: Vec<Inner>, depth: usize) {
        for Inner { path, content } in inner {
            self.archive(&path, &content, depth + 1);
        }
    }

    fn zip(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return };
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
                    Err(zip::result::ZipError::UnsupportedArchive(_) | zip::result::ZipError::CompressionMethodNotSupported(_)) => {
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

    fn sevenz(&mut self, path: &str, bytes: &[u8], depth: usize) {
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

    fn rar(&mut self, path: &str, bytes: &[u8], depth: usize) {
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

    /// A tar archive, read from `reader` (memory, or a gzip stream).
    fn tar(&mut self, path: &str, reader: &mut dyn Read, depth: usize) {
        let mut archive = tar::Archive::new(reader);
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

    /// A gzip file: its content is streamed, a tar in it never held whole.
    fn gzip(&mut self, path: &str, bytes: &[u8], depth: usize) {
        let base = path.rsplit('/').next().unwrap_or(path);
        let lower = base.to_ascii_lowercase();
        let decoder = flate2::read::GzDecoder::new(bytes);
        let stored_name = decoder.header().and_then(|header| header.filename()).map(|name| String::from_utf8_lossy(name).into_owned());
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
        let by_ratio = (bytes.len() as u64).saturating_mul(MAX_RATIO).max(4096);
        let (limit, bound) =
            if by_ratio < self.budget.inflated { (by_ratio, Bound::Ratio) } else { (self.budget.inflated, Bound::Budget) };
        let decoder = flate2::read::GzDecoder::new(Counted { inner: bytes, read: 0 });
        let mut metered = Metered { inner: decoder, left: limit, read: 0, over: false };
        let mut head = Vec::with_capacity(512);
        if (&mut metered).take(512).read_to_end(&mut head).is_err() {
            return;
        }
        // A gzip wrapper is not a level of its own: `.tar.gz` is one archive.
        let whole = match sniff(&head) {
            Some(Format::Tar) => {
                let mut stream = Cursor::new(head).chain(&mut metered);
                self.tar(&inner, &mut stream, depth);
                None
            }
            Some(_) => {
                let mut content = head;
                let read = (&mut metered).take(MAX_INNER_SIZE + 1 - content.len() as u64).read_to_end(&mut content);
                if content.len() as u64 > MAX_INNER_SIZE {
                    self.report(Entry::Uninspectable(inner.clone(), Bound::Size));
                    None
                } else {
                    read.ok().map(|_| content)
                }
            }
            None => {
                // Not an archive, but maybe a bomb: inflate it (within the
                // limit, keeping nothing) to know.
                let _ = io::copy(&mut metered, &mut io::sink());
                None
            }
        };
        self.budget.inflated = self.budget.inflated.saturating_sub(metered.read);
        // What had been inflated per compressed byte when the budget ran out.
        let consumed = metered.inner.get_ref().read as u64;
        let bomb = metered.read > consumed.saturating_mul(MAX_RATIO).max(4096);
        // The budget cutting a long listing short hides nothing we were asked
        // to open; a bomb (past the ratio) or an inner archive past it does.
        if metered.over && (bound == Bound::Ratio || depth > 1 || bomb) {
            self.report(Entry::Uninspectable(inner.clone(), if bomb { Bound::Ratio } else { bound }));
        } else if let Some(content) = whole
            && !metered.over
        {
            self.archive(&inner, &content, depth);
        }
    }
}

/// A reader over compressed bytes that counts what the decoder took.
struct Counted<'a> {
    inner: &'a [u8],
    read: usize,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        self.read += count;
        Ok(count)
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

/// A reader that ends with an error once `left` bytes were read, noting it.
struct Metered<R> {
    inner: R,
    left: u64,
    read: u64,
    over: bool,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One byte more tells "exactly at the bound" from "past it".
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.over = true;
            return Err(io::Error::other("decompression bound reached"));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..want])?;
        self.left -= got as u64;
        self.read += got as u64;
        Ok(got)
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
        let cases: [(&str, &[&str]); 23] = [
            ("plain.zip", &["File(\"plain.zip/readme.txt\")", "File(\"plain.zip/tool.exe\")"]),
            ("nested.zip", &["File(\"nested.zip/level2.zip/level3.tar.gz/level3.tar/deep/run.vbs\")"]),
            ("secret.zip", &["Encrypted(\"secret.zip/data.txt\")"]),
            ("files.7z", &["File(\"files.7z/setup.msi\")"]),
            ("files.rar", &["File(\"files.rar/notes.txt\")", "File(\"files.rar/script.js\")"]),
            ("files4.rar", &["File(\"files4.rar/macro.vbs\")"]),
            ("files.tar.gz", &["File(\"files.tar.gz/files.tar/a/b.bat\")"]),
            ("secret.rar", &["Encrypted(\"secret.rar/data.txt\")"]),
            ("secret-headers.rar", &["Encrypted(\"secret-headers.rar\")"]),
            // Archives inside 7z and RAR are opened, solid or not, RAR 4 or 5.
            ("nested.7z", &["File(\"nested.7z/inner.zip/evil.exe\")", "File(\"nested.7z/z.txt\")"]),
            ("nested5-solid.rar", &["File(\"nested5-solid.rar/inner.zip/evil.exe\")"]),
            ("nested4.rar", &["File(\"nested4.rar/inner.7z/evil.cmd\")"]),
            ("nested-stored.rar", &["File(\"nested-stored.rar/inner.tar.gz/inner.tar/x/run.ps1\")"]),
            // Every compression method with a pure-Rust decoder is opened.
            ("methods.zip", &["File(\"methods.zip/a.zip/a.exe\")", "File(\"methods.zip/b.zip/b.exe\")"]),
            ("ppmd.7z", &["File(\"ppmd.7z/inner.zip/evil.exe\")"]),
            ("bzip2.7z", &["File(\"bzip2.7z/inner.zip/evil.exe\")"]),
            ("zstd-inner.zip", &["Uninspectable(\"zstd-inner.zip/inner.zip\", Method)"]),
            // What the bounds keep shut is reported, with the bound.
            ("four-deep.zip", &["Uninspectable(\"four-deep.zip/l2.zip/l3.zip/l4.zip\", Depth)"]),
            ("bomb.zip", &["Uninspectable(\"bomb.zip/inner.zip\", Ratio)"]),
            ("bomb.tgz", &["File(\"bomb.tgz/bomb.tar/zeros.bin\")", "Uninspectable(\"bomb.tgz/bomb.tar\", Ratio)"]),
            ("bomb-solid.7z", &["Uninspectable(\"bomb-solid.7z/inner.zip\", Budget)"]),
            ("bomb-solid.rar", &["Uninspectable(\"bomb-solid.rar/inner.zip\", Budget)"]),
            ("big-dictionary.rar", &["Uninspectable(\"big-dictionary.rar/inner.zip\", DecoderMemory)"]),
        ];
        for (file, expected) in cases {
            let bytes = read("attachments/archives", file);
            let started = std::time::Instant::now();
            let found: Vec<String> = list(file, &bytes).iter().map(|entry| format!("{entry:?}")).collect();
            for want in expected {
                assert!(found.iter().any(|entry| entry == want), "{file}: want {want} in {found:?}");
            }
            assert!(started.elapsed().as_secs() < 10, "{file} took {:?}", started.elapsed());
        }
    }

    /// Every fixture archive cut short or with bytes flipped: no decoder panics
    /// (a panic would be caught by `classify`, but turn the message into a 451).
    #[test]
    fn damaged_archives_are_harmless() {
        use crate::checks::fixtures::{files, read};
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for file in files("attachments/archives", "") {
            if file.starts_with("bomb") || file.starts_with("big-") {
                continue;
            }
            let original = read("attachments/archives", &file);
            let mut variants: Vec<Vec<u8>> = (1..8).map(|eighth| original[..original.len() * eighth / 8].to_vec()).collect();
            for _ in 0..1000 {
                let mut damaged = original.clone();
                for _ in 0..1 + next() % 3 {
                    let at = (next() % damaged.len() as u64) as usize;
                    damaged[at] = next() as u8;
                }
                variants.push(damaged);
            }
            for (index, variant) in variants.iter().enumerate() {
                let outcome = std::panic::catch_unwind(|| list(&file, variant));
                assert!(outcome.is_ok(), "{file}: variant {index} panicked");
            }
        }
    }

    #[test]
    fn nothing_is_uninspectable_in_ordinary_archives() {
        use crate::checks::fixtures::read;
        for file in ["plain.zip", "nested.zip", "files.7z", "files.rar", "files4.rar", "files.tar.gz", "nested.7z", "nested4.rar"] {
            let found = list(file, &read("attachments/archives", file));
            assert!(!found.iter().any(|entry| matches!(entry, Entry::Uninspectable(..))), "{file}: {found:?}");
        }
    }

    /// A `.tar.gz` bigger than any one inner archive may be is streamed: what
    /// follows 17 MiB of incompressible data is still listed, and not refused.
    #[test]
    fn a_big_tar_gz_is_streamed_to_its_end() {
        use std::io::Write;
        let mut noise = vec![0u8; 17 << 20];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for byte in noise.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        let mut tar = tar::Builder::new(Vec::new());
        for (name, data) in [("data.bin", &noise[..]), ("run.exe", b"MZ".as_slice())] {
            let mut header = tar::Header::new_ustar();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, data).unwrap_or_default();
        }
        let tar = tar.into_inner().unwrap_or_default();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        let _ = gzip.write_all(&tar);
        let gzip = gzip.finish().unwrap_or_default();
        let found = list("big.tar.gz", &gzip);
        assert!(found.contains(&Entry::File("big.tar.gz/big.tar/run.exe".to_owned())), "{found:?}");
        assert!(!found.iter().any(|entry| matches!(entry, Entry::Uninspectable(..))), "{found:?}");
    }

    /// A zip of `size` zeros in one member (deflated), and a gzip of them.
    fn zeros(size: usize) -> (Vec<u8>, Vec<u8>) {
        use std::io::Write;
        let chunk = vec![0u8; 1 << 20];
        let mut zip = Vec::new();
        {
            let mut writer = zip::ZipWriter::new(Cursor::new(&mut zip));
            let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            let _ = writer.start_file("zeros.bin", options);
            for _ in 0..size >> 20 {
                let _ = writer.write_all(&chunk);
            }
            let _ = writer.finish();
        }
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..size >> 20 {
            let _ = gzip.write_all(&chunk);
        }
        (zip, gzip.finish().unwrap_or_default())
    }

    #[test]
    fn a_top_level_bomb_is_uninspectable_like_a_nested_one() {
        // Declared sizes give the zip away without inflating anything.
        let (zip, _) = zeros(16 << 20);
        let found = list("zeros.zip", &zip);
        assert!(found.contains(&Entry::Uninspectable("zeros.zip/zeros.bin".to_owned(), Bound::Ratio)), "{found:?}");
        // A gzip past the message's budget at more than 200:1. The bytes after
        // its member make the file too big for the whole-file ratio to catch it
        // (as a 1 GiB bomb of ~1 MiB would be): what was inflated per byte read does.
        let (_, mut gzip) = zeros(MAX_INFLATED_PER_MESSAGE as usize + (1 << 20));
        gzip.extend_from_slice(&vec![0x55; (MAX_INFLATED_PER_MESSAGE / MAX_RATIO) as usize + 1]);
        let found = list("zeros.gz", &gzip);
        assert!(found.contains(&Entry::Uninspectable("zeros.gz/zeros".to_owned(), Bound::Ratio)), "{found:?}");
        // A small one under 200:1 of 4 KiB is an ordinary file.
        let (zip, gzip) = zeros(0);
        assert!(!list("empty.zip", &zip).iter().any(|entry| matches!(entry, Entry::Uninspectable(..))));
        assert!(!list("empty.gz", &gzip).iter().any(|entry| matches!(entry, Entry::Uninspectable(..))));
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
