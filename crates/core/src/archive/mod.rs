//! Listing what is inside an attached archive, within fixed bounds.
//!
//! One module per format (`zip`, `sevenz`, `rar`, `tar`, `gzip`); this one holds
//! the bounds, the walk that nests them and its budget.
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

mod gzip;
mod rar;
mod sevenz;
mod tar;
mod zip;

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
        let mut tar = ::tar::Builder::new(Vec::new());
        for (name, data) in [("data.bin", &noise[..]), ("run.exe", b"MZ".as_slice())] {
            let mut header = ::tar::Header::new_ustar();
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
            let mut writer = ::zip::ZipWriter::new(Cursor::new(&mut zip));
            let options = ::zip::write::SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Deflated);
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
            let mut writer = ::zip::ZipWriter::new(Cursor::new(&mut inner));
            let options = ::zip::write::SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Deflated);
            let _ = writer.start_file("zeros.bin", options);
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..64 {
                let _ = writer.write_all(&chunk);
            }
            let _ = writer.finish();
        }
        let mut outer = Vec::new();
        {
            let mut writer = ::zip::ZipWriter::new(Cursor::new(&mut outer));
            let _ = writer.start_file("inner.zip", ::zip::write::SimpleFileOptions::default());
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
