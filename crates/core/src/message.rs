//! One parsed representation of a message, shared by every check.
//!
//! Parsing never fails: a message that `mail-parser` cannot make sense of still
//! yields facts (with `parsed == None`), and the structural checks turn what is
//! wrong into findings. Decoding happens once here so checks do not repeat it.

use std::borrow::Cow;

use mail_parser::{Message, MessageParser, PartType};

use crate::envelope::Envelope;

/// Everything the content checks may look at, for one message.
pub struct MessageFacts<'a> {
    /// The message as received (after our `Received:` header, if any).
    pub raw: &'a [u8],
    /// The parsed message; `None` when nothing could be parsed at all.
    pub parsed: Option<Message<'a>>,
    pub envelope: &'a Envelope,
    /// The time of classification, seconds since the Unix epoch (an input, so
    /// checks that compare dates are testable).
    pub now: i64,
}

impl<'a> MessageFacts<'a> {
    pub fn new(raw: &'a [u8], envelope: &'a Envelope, now: i64) -> MessageFacts<'a> {
        let parsed = MessageParser::default().parse(raw);
        MessageFacts {
            raw,
            parsed,
            envelope,
            now,
        }
    }

    /// The decoded `Subject:`, empty when absent.
    pub fn subject(&self) -> &str {
        self.parsed.as_ref().and_then(Message::subject).unwrap_or_default()
    }

    /// The decoded contents of every text part (plain and HTML), in message order,
    /// including those of attached messages.
    pub fn text_parts(&self) -> Vec<Cow<'_, str>> {
        let mut texts = Vec::new();
        if let Some(message) = &self.parsed {
            collect_text_parts(message, &mut texts, 0);
        }
        texts
    }
}

/// Attached messages are followed this many levels deep; deeper ones are ignored
/// (a structural check reports excessive nesting).
const MAX_ATTACHED_MESSAGE_DEPTH: usize = 8;

fn collect_text_parts<'m>(message: &'m Message<'_>, texts: &mut Vec<Cow<'m, str>>, depth: usize) {
    for part in &message.parts {
        match &part.body {
            PartType::Text(text) | PartType::Html(text) => texts.push(Cow::Borrowed(text.as_ref())),
            PartType::Message(inner) if depth < MAX_ATTACHED_MESSAGE_DEPTH => {
                collect_text_parts(inner, texts, depth + 1)
            }
            _ => {}
        }
    }
}

/// Skips a leading mbox `From ` separator line, as found in mbox exports and in the
/// SpamAssassin corpus files.
pub fn strip_mbox_from_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match raw.iter().position(|&byte| byte == b'\n') {
            Some(end) => &raw[end + 1..],
            None => &[],
        }
    } else {
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_separator_is_skipped() {
        assert_eq!(strip_mbox_from_line(b"From a@b Mon Jan 1\nSubject: x\n\nhi"), b"Subject: x\n\nhi");
        assert_eq!(strip_mbox_from_line(b"Subject: x\n\nhi"), b"Subject: x\n\nhi");
        assert_eq!(strip_mbox_from_line(b"From nothing-else"), b"");
    }

    #[test]
    fn garbage_still_gives_facts() {
        let envelope = Envelope::default();
        for raw in [&b""[..], b"\0\0\0", b"\xff\xfe not a message", b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n"] {
            let facts = MessageFacts::new(raw, &envelope, 0);
            let _ = facts.subject();
            let _ = facts.text_parts();
        }
    }

    #[test]
    fn text_of_base64_parts_is_decoded() {
        let raw = b"Subject: hi\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n";
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw, &envelope, 0);
        assert_eq!(facts.subject(), "hi");
        assert_eq!(facts.text_parts(), vec!["hello world"]);
    }
}
