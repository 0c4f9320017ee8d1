//! gzip: the content streamed through the decoder, metered, and inspected as if
//! it were the attachment itself (so a `.tar.gz` is one level, never held whole).

use super::*;

impl Walker<'_> {
    /// A gzip file: its content is streamed, a tar in it never held whole.
    pub(super) fn gzip(&mut self, path: &str, bytes: &[u8], depth: usize) {
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
