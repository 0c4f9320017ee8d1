//! The destination's replies to the callout, read within bounds and held to
//! RFC 5321 (4.2): a reply is one or more lines `DDD-text` ending with
//! `DDD text` (or `DDD`), every line with the same code, whose first digit is
//! 2 to 5 and second 0 to 5.
//!
//! What is not such a reply makes the callout [`Broken`] (→ `error` /
//! `verification-crash`): bytes that are not a reply, a line over
//! [`MAX_REPLY_LINE`] octets, a multi-line reply longer than
//! [`MAX_REPLY_LINES`] lines (one that never ends stops there), a reply the
//! command cannot have (a second greeting, `354` to `RCPT`), or a second reply
//! nobody asked for. The connection closing or failing is not broken: the
//! destination did not answer (→ `verification-fail`).
//!
//! The parsing ([`ReplyLines`], [`Expect`]) is pure; [`read_reply`] feeds it
//! from the socket.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// The longest reply line read, CRLF included. RFC 5321 4.5.3.1.5 allows 512;
/// four times that leaves room for the servers that write long texts.
pub(crate) const MAX_REPLY_LINE: usize = 2048;
/// The most lines one reply may have (an EHLO reply has one per extension).
pub(crate) const MAX_REPLY_LINES: usize = 100;
/// How much of a broken line the reason quotes.
const QUOTED: usize = 40;

/// One complete reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) code: u16,
    /// The text of the last line (control characters replaced).
    pub(crate) text: String,
}

impl Reply {
    /// `250 OK`, for the log and the extra class.
    pub(crate) fn line(&self) -> String {
        if self.text.is_empty() { self.code.to_string() } else { format!("{} {}", self.code, self.text) }
    }
}

/// The destination broke the protocol; what it did, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Broken(pub(crate) String);

/// Why no reply was read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// What came was not a reply (see the module documentation).
    Broken(Broken),
    /// The connection closed or failed: no answer.
    Lost(String),
}

/// The lines of one reply so far.
#[derive(Default)]
pub(crate) struct ReplyLines {
    code: Option<u16>,
    lines: usize,
}

impl ReplyLines {
    /// Takes one line (without its line end): `Ok(Some)` when it was the last.
    pub(crate) fn push(&mut self, line: &[u8]) -> Result<Option<Reply>, Broken> {
        self.lines += 1;
        if self.lines > MAX_REPLY_LINES {
            return Err(Broken(format!("a reply of more than {MAX_REPLY_LINES} lines")));
        }
        let code = match line {
            [first @ b'2'..=b'5', second @ b'0'..=b'5', third @ b'0'..=b'9', ..] => {
                u16::from(first - b'0') * 100 + u16::from(second - b'0') * 10 + u16::from(third - b'0')
            }
            _ => return Err(Broken(format!("not an SMTP reply: \"{}\"", quote(line)))),
        };
        if self.code.is_some_and(|earlier| earlier != code) {
            return Err(Broken(format!("a multi-line reply changed its code to {code}")));
        }
        self.code = Some(code);
        match line.get(3) {
            None | Some(b' ') => Ok(Some(Reply { code, text: text(line.get(4..).unwrap_or_default()) })),
            Some(b'-') => Ok(None),
            Some(_) => Err(Broken(format!("not an SMTP reply: \"{}\"", quote(line)))),
        }
    }
}

/// What a reply may be, by what it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The greeting: `220`, or a refusal (4xx, 5xx).
    Greeting,
    /// EHLO, HELO, MAIL, RCPT: 2xx other than the greeting's and the closing
    /// `221`, or a refusal.
    Command(&'static str),
}

impl Expect {
    /// The reply if it may answer here; else what is wrong with it.
    pub(crate) fn check(self, reply: Reply) -> Result<Reply, Broken> {
        let fits = match (self, reply.code) {
            (_, 400..=599) => true,
            (Expect::Greeting, code) => code == 220,
            (Expect::Command(_), code) => (200..300).contains(&code) && code != 220 && code != 221,
        };
        if fits {
            return Ok(reply);
        }
        Err(Broken(match (self, reply.code) {
            (Expect::Command(command), 220) => format!("a second greeting in reply to {command}: {}", reply.line()),
            (Expect::Command(command), _) => format!("{} cannot answer {command}", reply.line()),
            (Expect::Greeting, _) => format!("{} cannot be a greeting", reply.line()),
        }))
    }
}

/// Reads one reply: the lines up to the last, each bounded, then checks that
/// nothing more was sent with it (the callout never pipelines, so bytes already
/// waiting are a reply nobody asked for).
pub(crate) async fn read_reply<R: AsyncRead + Unpin>(reader: &mut BufReader<R>, expect: Expect) -> Result<Reply, ReadError> {
    let mut lines = ReplyLines::default();
    let mut line = Vec::with_capacity(128);
    loop {
        line.clear();
        read_line(reader, &mut line).await?;
        if let Some(reply) = lines.push(&line).map_err(ReadError::Broken)? {
            if !reader.buffer().is_empty() {
                return Err(ReadError::Broken(Broken(format!(
                    "more was sent after the reply {}: \"{}\"",
                    reply.line(),
                    quote(reader.buffer())
                ))));
            }
            return expect.check(reply).map_err(ReadError::Broken);
        }
    }
}

/// One line into `line`, without its line end (CRLF, or a bare LF as lenient
/// readers take it), never more than [`MAX_REPLY_LINE`] octets.
async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>, line: &mut Vec<u8>) -> Result<(), ReadError> {
    loop {
        let available = reader.fill_buf().await.map_err(|error| ReadError::Lost(error.to_string()))?;
        if available.is_empty() {
            return Err(ReadError::Lost("the destination closed the connection".to_owned()));
        }
        let (taken, complete) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        if line.len() + taken > MAX_REPLY_LINE {
            return Err(ReadError::Broken(Broken(format!("a reply line over {MAX_REPLY_LINE} octets"))));
        }
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if complete {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(());
        }
    }
}

/// A reply's text as we keep it: UTF-8 (lossy), control characters as `?`.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().map(|ch| if ch.is_control() { '?' } else { ch }).collect()
}

/// The start of what was sent, shown in a reason.
fn quote(bytes: &[u8]) -> String {
    text(&bytes[..bytes.len().min(QUOTED)])
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(bytes: &[u8], expect: Expect) -> Result<Reply, String> {
        let mut reader = tokio::io::BufReader::new(bytes);
        read_reply(&mut reader, expect).await.map_err(|error| match error {
            ReadError::Broken(Broken(why)) => format!("broken: {why}"),
            ReadError::Lost(why) => format!("lost: {why}"),
        })
    }

    const RCPT: Expect = Expect::Command("RCPT");

    #[tokio::test]
    async fn replies_are_read_as_rfc_5321_writes_them() {
        assert_eq!(read(b"220 mx.example.net ESMTP\r\n", Expect::Greeting).await, Ok(Reply { code: 220, text: "mx.example.net ESMTP".into() }));
        let ehlo = read(b"250-mx.example.net\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n", Expect::Command("EHLO")).await.unwrap();
        assert_eq!(ehlo.line(), "250 8BITMIME");
        assert_eq!(read(b"250\r\n", RCPT).await.unwrap().line(), "250", "a code alone");
        assert_eq!(read(b"550 5.1.1 no such user\n", RCPT).await.unwrap().code, 550, "a bare LF is taken");
        assert_eq!(read(b"421 closing\r\n", RCPT).await.unwrap().code, 421);
        assert_eq!(read(b"554 no service here\r\n", Expect::Greeting).await.unwrap().code, 554, "a refusal is an answer");
    }

    #[tokio::test]
    async fn what_is_not_a_reply_breaks_the_callout() {
        let broken = |result: Result<Reply, String>| result.expect_err("broken").starts_with("broken: ");
        assert!(broken(read(b"\x00\xff\xfegarbage\r\n", RCPT).await));
        assert!(broken(read(b"HTTP/1.1 400 Bad Request\r\n", RCPT).await));
        assert!(broken(read(b"25 OK\r\n", RCPT).await), "two digits");
        assert!(broken(read(b"250xOK\r\n", RCPT).await), "no separator");
        assert!(broken(read(b"650 what\r\n", RCPT).await), "first digit past 5");
        assert!(broken(read(b"199 early\r\n", RCPT).await), "first digit below 2");
        assert!(broken(read(b"290 second digit\r\n", RCPT).await), "second digit past 5");
        assert!(broken(read(b"250-one\r\n251 two\r\n", RCPT).await), "the code changed");
        let long = [b"250 ".as_slice(), &[b'x'; MAX_REPLY_LINE], b"\r\n"].concat();
        assert_eq!(read(&long, RCPT).await, Err(format!("broken: a reply line over {MAX_REPLY_LINE} octets")));
        let at_limit = [b"250 ".as_slice(), &vec![b'x'; MAX_REPLY_LINE - 6], b"\r\n"].concat();
        assert!(read(&at_limit, RCPT).await.is_ok(), "exactly {MAX_REPLY_LINE} octets with CRLF");
        let endless = b"250-more\r\n".repeat(MAX_REPLY_LINES + 5);
        assert_eq!(read(&endless, RCPT).await, Err(format!("broken: a reply of more than {MAX_REPLY_LINES} lines")));
        let most = [b"250-more\r\n".repeat(MAX_REPLY_LINES - 1), b"250 done\r\n".to_vec()].concat();
        assert!(read(&most, RCPT).await.is_ok(), "{MAX_REPLY_LINES} lines");
    }

    #[tokio::test]
    async fn a_reply_the_command_cannot_have_breaks_it() {
        let why = |result: Result<Reply, String>| result.expect_err("broken");
        assert!(why(read(b"220 mx.example.net ESMTP\r\n", RCPT).await).contains("second greeting"));
        assert!(why(read(b"354 go ahead\r\n", RCPT).await).contains("cannot answer RCPT"));
        assert!(why(read(b"221 bye\r\n", RCPT).await).contains("cannot answer RCPT"));
        assert!(why(read(b"250 hello\r\n", Expect::Greeting).await).contains("cannot be a greeting"));
        assert!(why(read(b"220 hi\r\n220 hi again\r\n", Expect::Greeting).await).contains("more was sent after the reply 220 hi"));
    }

    #[tokio::test]
    async fn a_closed_connection_is_no_answer_not_a_broken_one() {
        assert_eq!(read(b"", RCPT).await, Err("lost: the destination closed the connection".into()));
        assert_eq!(read(b"250-half\r\n250", RCPT).await, Err("lost: the destination closed the connection".into()));
    }
}
