//! The features of cluster method 3: hashed byte 3-grams of a text view of the
//! message, each slot present once (binary).
//!
//! The view is the TREC spam tracks' (Goodman & Yih 2006; Cormack's on-line logistic
//! regression filter, TREC 2007): byte n-grams of the first few thousand bytes see
//! header layout, encodings, obfuscations and partial words that the word tokeniser
//! does not. The text view reads what the sender wrote: a subset of header fields as
//! written (the receiving side's `Received`, `Return-Path`, `Delivered-To` describe
//! the installation, not the sender, and stay out, as in the word tokeniser), the
//! decoded subject, then the text parts decoded and the HTML parts rendered as
//! `MessageFacts::html_parts` renders them, in message order. Its first
//! [`NGRAM_BYTES`] bytes are read, every 3-gram is hashed (xxh3, a fixed seed: every
//! node must hash alike) into one of [`NGRAM_SLOTS`] slots.
//!
//! Bounded by construction: at most `NGRAM_BYTES - 2` slots per message, a table of
//! fixed size. Pure: facts in, sorted slots out. Settings chosen on the era-2 dev
//! halves (`crates/statistical/README.md`, "Eighth round").

use sluice_core::MessageFacts;

/// The n-gram length in bytes.
pub const NGRAM_LENGTH: usize = 3;

/// Bytes of the text view read: the head of a message says most of what its
/// n-grams can (2,000-2,500 measured best; 5,000 no better).
pub const NGRAM_BYTES: usize = 2_500;

/// `log2` of the number of hash slots: `2^20` gave the figures of `2^22`.
pub const NGRAM_BITS: u32 = 20;

/// The number of hash slots (the weight table of method 3 has one more, the bias).
pub const NGRAM_SLOTS: usize = 1 << NGRAM_BITS;

/// The seed of the n-gram hash (any fixed value: every node must hash alike).
const NGRAM_SEED: u64 = 0x6e67_7261_6d33;

/// MIME entities the view walks at most.
const MAX_ENTITIES: usize = 64;

/// The header fields the sender writes, in the order the view lists them.
const TEXT_VIEW_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "X-Mailer",
    "User-Agent",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// The sorted, distinct n-gram slots of a message (the features of method 3).
pub fn slots_of(facts: &MessageFacts<'_>) -> Vec<u32> {
    slots(&text_view(facts, NGRAM_BYTES))
}

/// The text view of a message, at most `limit` bytes: the fields of
/// `TEXT_VIEW_HEADERS` as written (line breaks of folds as spaces), one a line, then
/// the decoded subject, then every text part decoded and every HTML part rendered,
/// each followed by a line break.
pub fn text_view(facts: &MessageFacts<'_>, limit: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(limit + 1);
    // Appends at most what the limit leaves: a hostile 10 MB part is not copied.
    let append = |out: &mut Vec<u8>, bytes: &[u8]| {
        let room = limit.saturating_sub(out.len());
        out.extend_from_slice(&bytes[..bytes.len().min(room)]);
    };
    for name in TEXT_VIEW_HEADERS {
        for field in facts.headers.named(name) {
            append(&mut out, field.name);
            append(&mut out, b":");
            let room = limit.saturating_sub(out.len());
            out.extend(field.value.iter().take(room).map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
            append(&mut out, b"\n");
        }
    }
    append(&mut out, facts.subject().as_bytes());
    append(&mut out, b"\n");
    for entity in facts.mime_entities(MAX_ENTITIES) {
        if out.len() >= limit {
            break;
        }
        match &entity.part.body {
            mail_parser::PartType::Text(text) => append(&mut out, text.as_bytes()),
            mail_parser::PartType::Html(source) => {
                if let Some(rendered) = facts.rendered_html(source) {
                    append(&mut out, rendered.text.as_bytes());
                }
            }
            _ => {}
        }
        append(&mut out, b"\n");
    }
    out.truncate(limit);
    out
}

/// The distinct hashed n-grams of the first [`NGRAM_BYTES`] of `view`, sorted, each
/// below [`NGRAM_SLOTS`].
pub fn slots(view: &[u8]) -> Vec<u32> {
    let head = &view[..view.len().min(NGRAM_BYTES)];
    let mask = (NGRAM_SLOTS - 1) as u64;
    let mut slots: Vec<u32> =
        head.windows(NGRAM_LENGTH).map(|gram| (xxhash_rust::xxh3::xxh3_64_with_seed(gram, NGRAM_SEED) & mask) as u32).collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::Envelope;

    fn view(raw: &str) -> String {
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        String::from_utf8(text_view(&facts, NGRAM_BYTES)).expect("ASCII in, ASCII out")
    }

    #[test]
    fn the_view_reads_the_senders_fields_then_the_decoded_text() {
        let raw = "Received: from relay.example.net\r\nFrom: Alice <alice@example.org>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n\
                   X-Mailer: Mutt\r\nContent-Type: text/plain\r\n\r\nHello,\r\n world\r\n";
        let text = view(raw);
        assert!(!text.contains("relay.example.net"), "the installation's fields stay out: {text}");
        assert!(text.starts_with("From: Alice <alice@example.org>\nSubject: =?utf-8?q?Caf=C3=A9?=\nX-Mailer: Mutt\n"), "{text}");
        assert!(text.contains("\nCafé\nHello,\r\n world"), "decoded subject, then the text: {text}");
    }

    #[test]
    fn html_is_read_as_rendered_and_folds_become_spaces() {
        let raw = "From: a@example.org\r\nSubject: one\r\n two\r\nContent-Type: text/html\r\n\r\n<p>Buy <b>now</b></p>\r\n";
        let text = view(raw);
        assert!(text.contains("Subject: one   two\n"), "{text}");
        assert!(text.contains("Buy now") && !text.contains("<b>"), "{text}");
    }

    #[test]
    fn the_view_and_the_slots_are_bounded() {
        let raw = format!("From: a@example.org\r\nSubject: big\r\n\r\n{}", "abcdefghij".repeat(100_000));
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        assert_eq!(text_view(&facts, NGRAM_BYTES).len(), NGRAM_BYTES);
        let slots = slots_of(&facts);
        assert!(slots.len() <= NGRAM_BYTES - 2 && slots.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(slots.iter().all(|&slot| (slot as usize) < NGRAM_SLOTS));
        // Ten distinct 3-grams repeat in the body: few slots beyond the headers'.
        assert!(slots.len() < 60, "{}", slots.len());
    }

    #[test]
    fn every_three_bytes_count_once_and_hash_alike_everywhere() {
        assert_eq!(slots(b"ab"), Vec::<u32>::new());
        assert_eq!(slots(b"abcabc").len(), 3, "abc, bca, cab");
        assert!(slots(b"xabcx").contains(&slots(b"abc")[0]));
        // The hash is fixed (a snapshot's slots must mean the same on every node).
        assert_eq!(slots(b"abc"), vec![(xxhash_rust::xxh3::xxh3_64_with_seed(b"abc", NGRAM_SEED) & 0xf_ffff) as u32]);
        // Garbage is a view like any other.
        let envelope = Envelope::default();
        let facts = MessageFacts::new(b"\xff\xfe\x00garbage", &envelope, 0);
        let _ = slots_of(&facts);
    }
}
