//! One parsed representation of a message, shared by every check.
//!
//! Parsing never fails: a message that `mail-parser` cannot make sense of still
//! yields facts (with `parsed == None`), and the structural checks turn what is
//! wrong into findings. Decoding happens once here so checks do not repeat it.
//!
//! Besides the parsed tree, the facts hold what only the raw bytes tell: the
//! longest line (measured by a [`LineMeter`], which the gateway can feed while
//! DATA streams in) and the top-level header fields exactly as written
//! ([`HeaderBlock`]: duplicates, folded lengths, NUL bytes), which a parser
//! normalises away.

use std::borrow::Cow;
use std::sync::OnceLock;

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

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
    /// The longest line of `raw` in octets, line ending excluded.
    pub longest_line: usize,
    /// The top-level header fields as written.
    pub headers: HeaderBlock<'a>,
    /// The MIME parser panicked on this message (`parsed` is then `None`).
    /// mail-parser 0.11.9 has `debug_assert!`s that hostile structures trip
    /// (found by fuzzing); a release build parses on, a debug build stops here.
    pub parser_failed: bool,
    /// The HTML parts rendered, once, when a check first asks ([`Self::html_parts`]).
    html: OnceLock<Vec<RenderedHtml>>,
    /// The URLs of the text and HTML parts, found once, when a check first asks
    /// ([`Self::url_parts`]).
    urls: OnceLock<Vec<crate::urls::EntityUrls>>,
}

/// The most MIME entities whose HTML is rendered.
const HTML_ENTITIES_MAX: usize = 1000;

/// One `text/html` part of the message, rendered by [`crate::html::html_to_text`].
#[derive(Debug)]
pub struct RenderedHtml {
    /// Where the part's decoded source lives, to find it again
    /// ([`MessageFacts::rendered_html`]).
    source: (usize, usize),
    /// A file sent as an attachment (a login page), not a body to read.
    pub attachment: bool,
    /// The visible text, as the renderer wrote it.
    pub text: String,
    pub facts: crate::html::HtmlFacts,
}

impl<'a> MessageFacts<'a> {
    /// Parses `raw` and measures its longest line.
    pub fn new(raw: &'a [u8], envelope: &'a Envelope, now: i64) -> MessageFacts<'a> {
        MessageFacts::with_longest_line(raw, envelope, now, None)
    }

    /// Like [`MessageFacts::new`], with the longest line already measured (by the
    /// gateway's [`LineMeter`] while DATA streamed in), so `raw` is not scanned
    /// for it a second time.
    pub fn with_longest_line(
        raw: &'a [u8],
        envelope: &'a Envelope,
        now: i64,
        longest_line: Option<usize>,
    ) -> MessageFacts<'a> {
        // The parser is third-party code fed hostile bytes: a panic in it must
        // not cost the whole classification (see `parser_failed`).
        let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(raw));
        let parser_failed = parsed.is_err();
        let parsed = parsed.unwrap_or_default();
        let longest_line = longest_line.unwrap_or_else(|| {
            let mut meter = LineMeter::new();
            meter.feed(raw);
            meter.longest()
        });
        // The parser already found every field (duplicates kept, with offsets):
        // reuse that rather than scan the header bytes a second time.
        let headers = match &parsed {
            Some(message) => HeaderBlock::from_parsed(raw, message),
            None => HeaderBlock::scan(raw),
        };
        MessageFacts {
            raw,
            parsed,
            envelope,
            now,
            longest_line,
            headers,
            parser_failed,
            html: OnceLock::new(),
            urls: OnceLock::new(),
        }
    }

    /// Every `text/html` part (attached messages' included), rendered once per
    /// message for every check that reads HTML: the phishing patterns, the URL
    /// hash lists, the statistical tokeniser.
    pub fn html_parts(&self) -> &[RenderedHtml] {
        self.html.get_or_init(|| {
            self.mime_entities(HTML_ENTITIES_MAX)
                .into_iter()
                .filter_map(|entity| {
                    let PartType::Html(source) = &entity.part.body else {
                        return None;
                    };
                    let part = entity.part;
                    let attachment = part.attachment_name().is_some()
                        || part.content_disposition().is_some_and(|disposition| disposition.is_attachment());
                    let mut text = String::with_capacity(source.len() / 2);
                    let facts = crate::html::html_to_text(source, &mut text);
                    Some(RenderedHtml { source: (source.as_ptr() as usize, source.len()), attachment, text, facts })
                })
                .collect()
        })
    }

    /// Every text and HTML part (attached messages' and text attachments'
    /// included) with its URLs, their hosts and block-list targets: found once
    /// per message for every check that reads links (the filtering rules and
    /// heuristic sets, the URL hash lists, the fingerprints, the URL block lists).
    pub fn url_parts(&self) -> Vec<crate::urls::PartUrls<'_>> {
        let found = self.urls.get_or_init(|| crate::urls::find_in_message(self));
        crate::urls::parts_of(self, found)
    }

    /// The rendering of the HTML part whose decoded source is `source` (the very
    /// string of the parse, not an equal copy), when [`Self::html_parts`] has it.
    pub fn rendered_html(&self, source: &str) -> Option<&RenderedHtml> {
        let wanted = (source.as_ptr() as usize, source.len());
        self.html_parts().iter().find(|rendered| rendered.source == wanted)
    }

    /// Every MIME entity of the message, attached messages included, with its
    /// depth, in message order. Walks iteratively (no recursion on hostile
    /// nesting) and stops after `limit` entities.
    pub fn mime_entities(&self, limit: usize) -> Vec<MimeEntity<'_>> {
        let Some(message) = &self.parsed else {
            return Vec::new();
        };
        // Called by several checks on every message: one allocation for the
        // common single-message case (the stack is only grown for attachments of
        // type message/*), and each part's depth is read from its parent's entry.
        let mut entities: Vec<MimeEntity<'_>> = Vec::with_capacity(message.parts.len().min(limit));
        let mut stack: Vec<(&Message<'_>, usize)> = Vec::new();
        let mut next = Some((message, 0));
        while let Some((message, base)) = next.take().or_else(|| stack.pop()) {
            let first = entities.len();
            let mark = stack.len();
            for (index, part) in message.parts.iter().enumerate() {
                if first + index >= limit {
                    // Drop the depth placeholders of parts not visited.
                    entities.truncate(first + index);
                    return entities;
                }
                // A part's depth was written into its own slot when its parent
                // was visited (parents come first); unvisited slots are `base`.
                let depth = entities.get(first + index).map_or(base, |entity| entity.depth);
                let entity = MimeEntity { part, raw: message.raw_message.as_ref(), depth };
                if let Some(slot) = entities.get_mut(first + index) {
                    *slot = entity;
                } else {
                    entities.push(entity);
                }
                match &part.body {
                    PartType::Multipart(children) => {
                        for &child in children {
                            let child = child as usize;
                            // Children always follow their parent; anything else
                            // would be a parser bug, and keeps the base depth.
                            if child > index && child < message.parts.len() {
                                while entities.len() <= first + child && entities.len() < limit {
                                    entities.push(MimeEntity { part, raw: &[], depth: base });
                                }
                                if let Some(slot) = entities.get_mut(first + child) {
                                    slot.depth = depth + 1;
                                }
                            }
                        }
                    }
                    PartType::Message(inner) => stack.push((inner, depth + 1)),
                    _ => {}
                }
            }
            // Attached messages are visited in message order.
            stack[mark..].reverse();
        }
        entities
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

/// One MIME entity and where it sits.
pub struct MimeEntity<'m> {
    pub part: &'m MessagePart<'m>,
    /// The raw bytes the part's offsets refer to (its enclosing message's).
    pub raw: &'m [u8],
    /// 0 for the message itself, +1 per enclosing multipart or attached message.
    pub depth: usize,
}

impl<'m> MimeEntity<'m> {
    /// The part's header block as written, when its offsets are sane.
    pub fn raw_header(&self) -> &'m [u8] {
        let start = self.part.offset_header as usize;
        let end = self.part.offset_body as usize;
        self.raw.get(start..end).unwrap_or_default()
    }

    /// The part's body as written (still transfer-encoded).
    pub fn raw_body(&self) -> &'m [u8] {
        let start = self.part.offset_body as usize;
        let end = (self.part.offset_end as usize).min(self.raw.len());
        self.raw.get(start..end).unwrap_or_default()
    }

    /// `type/subtype` in lower case, empty when the part has no Content-Type.
    pub fn content_type(&self) -> String {
        match self.part.content_type() {
            Some(ct) => match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            },
            None => String::new(),
        }
    }
}

/// Counts the longest line of a stream of bytes fed in chunks of any size, without
/// keeping them: the gateway feeds every DATA chunk as it arrives (after
/// dot-unstuffing) and passes [`LineMeter::longest`] on to the facts.
///
/// A line is counted in octets up to, not including, its line ending; CRLF and a
/// bare LF both end a line (a bare CR does not: it is an octet of the line, as
/// RFC 5322 forbids it alone). A CR that ends a chunk is held back until the next
/// byte shows whether it starts a CRLF.
#[derive(Clone, Debug, Default)]
pub struct LineMeter {
    current: usize,
    longest: usize,
    pending_cr: bool,
}

impl LineMeter {
    pub fn new() -> LineMeter {
        LineMeter::default()
    }

    pub fn feed(&mut self, mut chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        if self.pending_cr {
            self.pending_cr = false;
            if chunk[0] == b'\n' {
                self.end_line();
                chunk = &chunk[1..];
            } else {
                self.current += 1;
            }
        }
        // One SIMD pass over the chunk; per line only a subtraction and a compare.
        // (A hand-written 8-bytes-at-a-time loop measured no faster on the corpus.)
        let mut line_start = 0;
        for at in memchr::memchr_iter(b'\n', chunk) {
            self.line_ends_at(chunk, line_start, at);
            line_start = at + 1;
        }
        let rest = &chunk[line_start..];
        if rest.last() == Some(&b'\r') {
            self.pending_cr = true;
            self.current += rest.len() - 1;
        } else {
            self.current += rest.len();
        }
    }

    /// The line that started at `line_start` in `chunk` (plus `current` octets
    /// from earlier chunks) ends with the LF at `at`.
    fn line_ends_at(&mut self, chunk: &[u8], line_start: usize, at: usize) {
        // A CR right before the LF is part of the line ending.
        let cr = usize::from(at > line_start && chunk[at - 1] == b'\r');
        let length = self.current + (at - line_start - cr);
        if length > self.longest {
            self.longest = length;
        }
        self.current = 0;
    }

    fn end_line(&mut self) {
        self.longest = self.longest.max(self.current);
        self.current = 0;
    }

    /// The longest line so far, the unfinished last line included.
    pub fn longest(&self) -> usize {
        self.longest.max(self.current + usize::from(self.pending_cr))
    }
}

/// The fields the checks look up on every message, recognised once when the
/// header block is built (an enum compare instead of a name compare per check).
/// The first eleven are RFC 5322 3.6's single-instance fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownField {
    From,
    Sender,
    ReplyTo,
    To,
    Cc,
    Bcc,
    MessageId,
    InReplyTo,
    References,
    Subject,
    Date,
    Other,
}

impl KnownField {
    /// The single-instance fields, in RFC 5322 3.6's order, with their names.
    pub const SINGLE_INSTANCE: [(KnownField, &'static str); 11] = [
        (KnownField::From, "From"),
        (KnownField::Sender, "Sender"),
        (KnownField::ReplyTo, "Reply-To"),
        (KnownField::To, "To"),
        (KnownField::Cc, "Cc"),
        (KnownField::Bcc, "Bcc"),
        (KnownField::MessageId, "Message-ID"),
        (KnownField::InReplyTo, "In-Reply-To"),
        (KnownField::References, "References"),
        (KnownField::Subject, "Subject"),
        (KnownField::Date, "Date"),
    ];

    /// Recognises a field name as written (any case).
    pub fn of_name(name: &[u8]) -> KnownField {
        if !(2..=11).contains(&name.len()) {
            return KnownField::Other;
        }
        KnownField::SINGLE_INSTANCE
            .iter()
            .find(|(_, text)| text.len() == name.len() && text.as_bytes().eq_ignore_ascii_case(name))
            .map_or(KnownField::Other, |(known, _)| *known)
    }

    fn of_parsed(name: &mail_parser::HeaderName<'_>) -> KnownField {
        use mail_parser::HeaderName;
        match name {
            HeaderName::From => KnownField::From,
            HeaderName::Sender => KnownField::Sender,
            HeaderName::ReplyTo => KnownField::ReplyTo,
            HeaderName::To => KnownField::To,
            HeaderName::Cc => KnownField::Cc,
            HeaderName::Bcc => KnownField::Bcc,
            HeaderName::MessageId => KnownField::MessageId,
            HeaderName::InReplyTo => KnownField::InReplyTo,
            HeaderName::References => KnownField::References,
            HeaderName::Subject => KnownField::Subject,
            HeaderName::Date => KnownField::Date,
            _ => KnownField::Other,
        }
    }
}

/// One header field as written.
#[derive(Clone, Debug, PartialEq)]
pub struct HeaderField<'a> {
    /// Which of the often-looked-up fields this is.
    pub known: KnownField,
    /// The field name, surrounding white space removed.
    pub name: &'a [u8],
    /// The value as written: after the colon, folds included, final line ending not.
    pub value: &'a [u8],
    /// Octets of the field as written (name, colon, value with its folds).
    pub raw_len: usize,
}

impl HeaderField<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// Octets of the whole field once unfolded (the CRLF or LF of each fold
    /// removed). Counted on demand: `raw_len` bounds it from above, so most
    /// callers never need to count.
    pub fn unfolded_len(&self) -> usize {
        let breaks: usize = memchr::memchr_iter(b'\n', self.value)
            .map(|at| 1 + usize::from(at > 0 && self.value[at - 1] == b'\r'))
            .sum();
        self.raw_len.saturating_sub(breaks)
    }
}

/// The fields of one header block, as written, with the defects a parser hides.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderBlock<'a> {
    pub fields: Vec<HeaderField<'a>>,
    /// A NUL octet appears in the header block.
    pub has_nul: bool,
    /// The block ended on a line that is neither a field nor a continuation,
    /// instead of an empty line (Python's MissingHeaderBodySeparatorDefect).
    pub missing_separator: bool,
    /// More fields than [`HeaderBlock::MAX_FIELDS`]: the rest were not kept.
    pub truncated: bool,
}

impl<'a> HeaderBlock<'a> {
    /// Fields kept per block: bounded memory whatever the message; real mail has
    /// a few dozen, list traffic a few hundred.
    pub const MAX_FIELDS: usize = 4096;

    /// The top-level fields as mail-parser found them (it keeps duplicates and
    /// their offsets into `raw`), without scanning the bytes again. Lines the
    /// parser skipped (no colon) are not fields here either.
    pub fn from_parsed(raw: &'a [u8], message: &Message<'_>) -> HeaderBlock<'a> {
        let Some(root) = message.parts.first() else {
            return HeaderBlock::scan(raw);
        };
        let mut block = HeaderBlock::default();
        block.fields.reserve(root.headers.len().min(HeaderBlock::MAX_FIELDS));
        for header in &root.headers {
            if block.fields.len() >= HeaderBlock::MAX_FIELDS {
                block.truncated = true;
                break;
            }
            let (field, start, mut end) =
                (header.offset_field as usize, header.offset_start as usize, header.offset_end as usize);
            // offset_end is past the field's own line ending.
            if end > start && raw.get(end - 1) == Some(&b'\n') {
                end -= 1;
                if end > start && raw.get(end - 1) == Some(&b'\r') {
                    end -= 1;
                }
            }
            let (Some(name), Some(value)) = (raw.get(field..start.saturating_sub(1)), raw.get(start..end)) else {
                continue;
            };
            block.fields.push(HeaderField {
                known: KnownField::of_parsed(&header.name),
                name: name.trim_ascii(),
                value,
                raw_len: end - field,
            });
        }
        let header_end = (root.offset_body as usize).min(raw.len());
        block.has_nul = memchr::memchr(0, &raw[..header_end]).is_some();
        block
    }

    /// Reads the header block at the start of `raw` (a leading mbox `From ` line is
    /// skipped). Never fails; ends at the first empty line.
    pub fn scan(raw: &'a [u8]) -> HeaderBlock<'a> {
        let mut block = HeaderBlock::default();
        let mut rest = raw;
        if rest.starts_with(b"From ") {
            rest = strip_mbox_from_line(rest);
        }
        // (start offset in `rest`-relative terms is not needed: slices suffice)
        let mut current: Option<(usize, usize, usize)> = None; // (name_start, name_end, value_start) into `base`
        let base = rest;
        let mut position = 0;
        let mut value_end = 0;
        let finish = |block: &mut HeaderBlock<'a>, current: Option<(usize, usize, usize)>, value_end: usize| {
            if let Some((name_start, name_end, value_start)) = current {
                if block.fields.len() >= HeaderBlock::MAX_FIELDS {
                    block.truncated = true;
                    return;
                }
                let name = base.get(name_start..name_end).unwrap_or_default().trim_ascii();
                block.fields.push(HeaderField {
                    known: KnownField::of_name(name),
                    name,
                    value: base.get(value_start..value_end.max(value_start)).unwrap_or_default(),
                    raw_len: value_end.saturating_sub(name_start),
                });
            }
        };
        block.fields.reserve(32);
        let mut line_ends = memchr::memchr_iter(b'\n', base);
        while position < base.len() {
            let line_end = line_ends.next().unwrap_or(base.len());
            let next = (line_end + 1).min(base.len());
            let mut content_end = line_end;
            if content_end > position && base[content_end - 1] == b'\r' {
                content_end -= 1;
            }
            let line = &base[position..content_end];
            if line.is_empty() {
                break;
            }
            if line[0] == b' ' || line[0] == b'\t' {
                if current.is_some() {
                    value_end = content_end;
                }
            } else if let Some(colon) = memchr::memchr(b':', line) {
                finish(&mut block, current.take(), value_end);
                current = Some((position, position + colon, position + colon + 1));
                value_end = content_end;
            } else {
                block.missing_separator = true;
                break;
            }
            position = next;
        }
        finish(&mut block, current.take(), value_end);
        // One pass for NUL over the whole block rather than one per line.
        block.has_nul = memchr::memchr(0, &base[..position.min(base.len())]).is_some();
        block
    }

    /// The fields recognised as `known`, in order.
    pub fn known<'s>(&'s self, known: KnownField) -> impl Iterator<Item = &'s HeaderField<'a>> + 's {
        self.fields.iter().filter(move |field| field.known == known)
    }

    /// The fields named `name` (case-insensitive), in order.
    pub fn named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s HeaderField<'a>> + 's {
        self.fields.iter().filter(move |field| field.is(name))
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

/// The decoded Subject of a message whose header block has arrived (it may be
/// cut off after that: a client that went away mid-DATA), for the log row.
pub fn subject_of_headers(raw: &[u8]) -> Option<String> {
    let end = memchr::memmem::find(raw, b"\r\n\r\n")?;
    let headers = &raw[..end + 4];
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse_headers(headers)).ok().flatten()?;
    parsed.subject().map(str::to_owned)
}

/// When the message arrived, as far as the message itself says, in seconds since
/// the epoch: the newest time stamp of its `Received:` fields (the date after the
/// last `;` of each: when the last server in the chain took it); without one, its
/// `Delivery-Date:` (written by some delivery agents and archives instead); without
/// that, its `Date:` (when the sender says it was written). Replaying archived mail
/// "as of" this time keeps time-bound checks (the Date check) from refusing all of
/// it for its age, archives stripped of their `Received:` fields included.
pub fn arrival_time(raw: &[u8]) -> Option<i64> {
    let raw = strip_mbox_from_line(raw);
    let headers = HeaderBlock::scan(raw);
    let parse = |value: &[u8]| {
        let value = String::from_utf8_lossy(&value[..value.len().min(2048)]);
        let date = value.split_whitespace().collect::<Vec<_>>().join(" ");
        mail_parser::DateTime::parse_rfc822(&date).filter(|date| date.is_valid()).map(|date| date.to_timestamp())
    };
    let received = headers
        .named("Received")
        .filter_map(|field| {
            let (at, _) = field.value.iter().enumerate().rfind(|(_, byte)| **byte == b';')?;
            parse(&field.value[at + 1..])
        })
        .max();
    received
        .or_else(|| headers.named("Delivery-Date").find_map(|field| parse(field.value)))
        .or_else(|| headers.named("Date").find_map(|field| parse(field.value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_read_once_the_headers_are_complete() {
        assert_eq!(subject_of_headers(b"Subject: =?utf-8?q?caf=C3=A9?=\r\nFrom: a@b\r\n\r\nbody cut of"), Some("café".to_owned()));
        assert_eq!(subject_of_headers(b"Subject: half a header bl"), None);
        assert_eq!(subject_of_headers(b"From: a@b\r\n\r\n"), None);
    }

    #[test]
    fn the_arrival_time_is_the_newest_received_time_stamp() {
        let raw = b"Received: from a by b; Tue, 3 Jul 2007 10:00:00 +0000\r\n\
Received: from c (c [10.0.0.1])\r\n\tby d; Tue, 3 Jul 2007 12:00:00 +0200\r\n\
Received: no date here\r\nDate: Mon, 2 Jul 2007 10:00:00 +0000\r\nSubject: x\r\n\r\n\
Received: in the body; Wed, 4 Jul 2007 10:00:00 +0000\r\n";
        // 10:00 UTC is newer than 12:00 +0200 (10:00 UTC too, equal) and the body does not count.
        assert_eq!(arrival_time(raw), Some(1_183_456_800));
        assert_eq!(arrival_time(b"Subject: x\r\n\r\nbody"), None);
    }

    #[test]
    fn without_received_fields_the_delivery_date_then_the_date_tells() {
        let archived = b"Delivery-Date: Tue, 3 Jul 2007 10:00:00 +0000\r\nDate: Mon, 2 Jul 2007 10:00:00 +0000\r\n\r\nhi";
        assert_eq!(arrival_time(archived), Some(1_183_456_800));
        // A Delivery-Date in asctime form (as some archives write it) does not parse: the Date does.
        let stripped = b"Delivery-Date: Tue Jul  3 10:00:00 2007\r\nDate: Tue, 3 Jul 2007 10:00:00 +0000\r\n\r\nhi";
        assert_eq!(arrival_time(stripped), Some(1_183_456_800));
        assert_eq!(arrival_time(b"Date: not a date\r\n\r\nhi"), None);
    }

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
    fn line_meter_counts_octets_whatever_the_chunking() {
        let cases: [(&[u8], usize); 7] = [
            (b"", 0),
            (b"abc", 3),
            (b"abc\r\nde\r\n", 3),
            (b"a\nbcde\n", 4),
            (b"ab\rcd\r\n", 5),
            (b"abc\r", 4),
            (b"\r\n\r\n\r\n", 0),
        ];
        for (input, expected) in cases {
            for chunk_size in 1..=input.len().max(1) {
                let mut meter = LineMeter::new();
                for chunk in input.chunks(chunk_size) {
                    meter.feed(chunk);
                }
                assert_eq!(meter.longest(), expected, "{input:?} in chunks of {chunk_size}");
            }
        }
    }

    #[test]
    fn line_meter_agrees_with_a_naive_count_on_noise() {
        // LF, CR, VT (0x0b, a SWAR false-positive candidate after a LF) and text.
        let alphabet = [b'\n', b'\r', 0x0b, 0x01, b'a', b'a', b'a', b'a', b'a', b'a', b'a', b'a'];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for round in 0..200 {
            let length = 1 + round * 7;
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let naive = bytes
                .split(|byte| *byte == b'\n')
                .enumerate()
                .map(|(index, line)| {
                    let is_last = index == bytes.iter().filter(|byte| **byte == b'\n').count();
                    if !is_last && line.last() == Some(&b'\r') { line.len() - 1 } else { line.len() }
                })
                .max()
                .unwrap_or(0);
            for chunk_size in [1, 3, 8, 13, 64, length] {
                let mut meter = LineMeter::new();
                for chunk in bytes.chunks(chunk_size) {
                    meter.feed(chunk);
                }
                assert_eq!(meter.longest(), naive, "round {round}, chunks of {chunk_size}");
            }
        }
    }

    #[test]
    fn header_block_keeps_fields_as_written() {
        let raw = b"From a@b Mon Jan 1\nSubject: one\r\n two\r\nTo: x\r\nSubject : again\r\n\r\nBody: no\r\n";
        let block = HeaderBlock::scan(raw);
        let names: Vec<&[u8]> = block.fields.iter().map(|field| field.name).collect();
        assert_eq!(names, vec![&b"Subject"[..], b"To", b"Subject"]);
        assert_eq!(block.fields[0].value, b" one\r\n two");
        assert_eq!(block.fields[0].unfolded_len(), "Subject: one two".len());
        assert_eq!(block.named("subject").count(), 2);
        assert!(!block.has_nul && !block.missing_separator);
        let block = HeaderBlock::scan(b"Subject: a\0b\r\nno colon here\r\nTo: x\r\n\r\n");
        assert!(block.has_nul && block.missing_separator);
        assert_eq!(block.fields.len(), 1);
    }

    #[test]
    fn parsed_and_scanned_headers_agree() {
        let envelope = Envelope::default();
        for raw in [
            &b"Subject: one\r\n two\r\nTo: x\r\nSubject : again\r\n\r\nbody\r\n"[..],
            b"From: a\nDate: Mon, 01 Jan 2024 00:00:00 +0000\nX-Empty:\n\nbody",
            b"References: <a@b>\r\n\t<c@d>\r\n\t<e@f>\r\nX-Nul: a\0b\r\n\r\n",
        ] {
            let facts = MessageFacts::new(raw, &envelope, 0);
            let scanned = HeaderBlock::scan(raw);
            assert_eq!(facts.headers, scanned, "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn mime_entities_have_depths() {
        let raw = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nx\r\n--a\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\r\ny\r\n--b--\r\n--a--\r\n";
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw, &envelope, 0);
        let depths: Vec<(String, usize)> = facts.mime_entities(100).iter().map(|e| (e.content_type(), e.depth)).collect();
        assert_eq!(
            depths,
            vec![
                ("multipart/mixed".to_owned(), 0),
                ("text/plain".to_owned(), 1),
                ("message/rfc822".to_owned(), 1),
                ("multipart/alternative".to_owned(), 2),
                (String::new(), 3),
            ]
        );
        for limit in 0..6 {
            let cut: Vec<(String, usize)> =
                facts.mime_entities(limit).iter().map(|e| (e.content_type(), e.depth)).collect();
            assert_eq!(cut[..], depths[..limit.min(depths.len())], "limit {limit}");
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
