//! The DATA phase's receiver: finds the end of the message and undoes the dot
//! stuffing, and gives every line of what we store a CRLF end.
//!
//! **Invariant:** DATA ends on `CRLF . CRLF` (or `. CRLF` as the very first
//! line) and on nothing else: not on `LF . LF`, `CR . CR`, `CRLF . CR CR LF` nor
//! any other mix. A destination that takes a bare CR or a bare LF for a line end
//! must never see a message end (or a new header) where we did not: so a bare CR
//! and a bare LF are each turned into CRLF in what we store and relay
//! (`docs/decisions.md`, "Bare CR and bare LF"). The stored body therefore has
//! CRLF line ends only, and the delivery writer's dot stuffing makes the next hop
//! see exactly the lines we classified.
//!
//! A line that starts with a dot loses that dot (RFC 5321 §4.5.2), whichever
//! line end came before it.

/// Where the receiver is within the line structure of the wire bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a line; `after_crlf` when the previous line ended with a
    /// real CRLF (or this is the first line), the only place a terminator can be.
    LineStart { after_crlf: bool },
    /// A dot at the start of a line has been read (and dropped).
    Dot { after_crlf: bool },
    /// Inside a line.
    Text,
    /// A CR has been read; `terminator` when it followed a line-initial dot that
    /// came after CRLF, so that an LF now ends the message.
    Cr { terminator: bool },
}

/// What one call to [`DataReader::ingest`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct Ingested {
    /// Wire bytes used; the rest (after the terminator) belongs to the next command.
    pub consumed: usize,
    /// The terminator has been read.
    pub done: bool,
}

/// Streams DATA wire bytes into a message body (see the module documentation).
#[derive(Debug)]
pub struct DataReader {
    state: State,
}

impl Default for DataReader {
    fn default() -> DataReader {
        DataReader::new()
    }
}

impl DataReader {
    pub fn new() -> DataReader {
        DataReader {
            state: State::LineStart { after_crlf: true },
        }
    }

    /// Appends the message bytes found in `input` to `body`, stopping right after
    /// the terminator.
    pub fn ingest(&mut self, input: &[u8], body: &mut Vec<u8>) -> Ingested {
        let mut index = 0;
        while index < input.len() {
            if self.state == State::Text {
                // The common case: copy up to the next CR or LF in one go.
                let rest = &input[index..];
                let run = rest.iter().position(|&byte| byte == b'\r' || byte == b'\n').unwrap_or(rest.len());
                body.extend_from_slice(&rest[..run]);
                index += run;
                if index == input.len() {
                    break;
                }
            }
            let byte = input[index];
            index += 1;
            if self.step(byte, body) {
                return Ingested { consumed: index, done: true };
            }
        }
        Ingested {
            consumed: input.len(),
            done: false,
        }
    }

    /// One byte; true when it completed the terminator.
    fn step(&mut self, byte: u8, body: &mut Vec<u8>) -> bool {
        match self.state {
            State::LineStart { after_crlf } => self.start_line(byte, after_crlf, body),
            State::Dot { after_crlf } => match byte {
                b'\r' => self.state = State::Cr { terminator: after_crlf },
                b'\n' => self.bare_line_end(body),
                _ => self.text(byte, body),
            },
            State::Text => match byte {
                b'\r' => self.state = State::Cr { terminator: false },
                b'\n' => self.bare_line_end(body),
                _ => body.push(byte),
            },
            State::Cr { terminator } => {
                if byte == b'\n' {
                    if terminator {
                        return true;
                    }
                    body.extend_from_slice(b"\r\n");
                    self.state = State::LineStart { after_crlf: true };
                } else {
                    // A bare CR ends the line, and this byte starts the next one.
                    body.extend_from_slice(b"\r\n");
                    self.start_line(byte, false, body);
                }
            }
        }
        false
    }

    fn start_line(&mut self, byte: u8, after_crlf: bool, body: &mut Vec<u8>) {
        match byte {
            b'.' => self.state = State::Dot { after_crlf },
            b'\r' => self.state = State::Cr { terminator: false },
            b'\n' => self.bare_line_end(body),
            _ => self.text(byte, body),
        }
    }

    fn text(&mut self, byte: u8, body: &mut Vec<u8>) {
        body.push(byte);
        self.state = State::Text;
    }

    fn bare_line_end(&mut self, body: &mut Vec<u8>) {
        body.extend_from_slice(b"\r\n");
        self.state = State::LineStart { after_crlf: false };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body and the bytes left over, or `None` when DATA did not end.
    fn read(wire: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut reader = DataReader::new();
        let mut body = Vec::new();
        let ingested = reader.ingest(wire, &mut body);
        ingested.done.then(|| (body, wire[ingested.consumed..].to_vec()))
    }

    /// Same, fed one byte at a time: the result must not depend on the chunking.
    fn read_bytewise(wire: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut reader = DataReader::new();
        let mut body = Vec::new();
        for (index, byte) in wire.iter().enumerate() {
            let ingested = reader.ingest(std::slice::from_ref(byte), &mut body);
            if ingested.done {
                return Some((body, wire[index + 1..].to_vec()));
            }
        }
        None
    }

    fn check(wire: &[u8], expect: Option<(&[u8], &[u8])>) {
        let expect = expect.map(|(body, rest)| (body.to_vec(), rest.to_vec()));
        assert_eq!(read(wire), expect, "{:?}", String::from_utf8_lossy(wire));
        assert_eq!(read_bytewise(wire), expect, "bytewise {:?}", String::from_utf8_lossy(wire));
    }

    #[test]
    fn ends_on_crlf_dot_crlf_and_keeps_what_follows() {
        check(b"a\r\nb\r\n.\r\nQUIT\r\n", Some((b"a\r\nb\r\n", b"QUIT\r\n")));
        check(b".\r\n", Some((b"", b"")));
        check(b"\r\n.\r\n", Some((b"\r\n", b"")));
    }

    #[test]
    fn no_other_mix_of_cr_lf_and_dot_ends_data() {
        for terminator in [
            &b"\n.\n"[..],
            b"\r.\r",
            b"\n.\r\n",
            b"\r\n.\n",
            b"\r.\r\n",
            b"\r\n.\r",
            b"\r\n.\r\r\n",
            b"\r\n.\r\r\r\n",
            b"\r\r\n.\r\r\n",
            b"\r\n. \r\n",
            b"\r\n.\x00\r\n",
        ] {
            let mut wire = b"x".to_vec();
            wire.extend_from_slice(terminator);
            wire.extend_from_slice(b"MAIL FROM:<a@b.example>\r\n");
            check(&wire, None);
        }
    }

    #[test]
    fn bare_cr_and_bare_lf_become_crlf() {
        check(b"Subject: x\rBcc: y\r\n\r\nline\nnext\r\n.\r\n", Some((b"Subject: x\r\nBcc: y\r\n\r\nline\r\nnext\r\n", b"")));
        check(b"line\r.\r\nMAIL\r\n.\r\n", Some((b"line\r\n\r\nMAIL\r\n", b"")));
        check(b"a\r\r\nb\r\n.\r\n", Some((b"a\r\n\r\nb\r\n", b"")));
    }

    #[test]
    fn line_initial_dots_are_unstuffed() {
        check(b"..a\r\n...\r\n.b\nc\r\n.\r\n", Some((b".a\r\n..\r\nb\r\nc\r\n", b"")));
        check(b"x\r\n.\r\r\n.\r\n", Some((b"x\r\n\r\n\r\n", b"")));
    }

    #[test]
    fn every_stored_line_ends_in_crlf() {
        let wire = b"a\rb\nc\r\r\r\n\n\r.\r.\n.x\r\n.\r\n";
        let (body, _) = read(wire).unwrap();
        for (index, &byte) in body.iter().enumerate() {
            match byte {
                b'\r' => assert_eq!(body.get(index + 1), Some(&b'\n')),
                b'\n' => assert_eq!(body[index - 1], b'\r'),
                _ => {}
            }
        }
    }
}
