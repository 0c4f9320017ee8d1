//! The body text the fingerprints are computed from, normalised the way Pyzor
//! does it so that what a spammer varies per copy does not count:
//!
//! - the decoded text parts (plain and HTML, attached messages included); HTML is
//!   read as the message's one rendering (`MessageFacts::html_parts`: visible
//!   text, a line per block);
//! - words containing `://`, starting with `www.` or containing `@` (URLs and
//!   addresses: tracking links and the recipient's address change per copy) are
//!   dropped, as are words longer than [`LONG_WORD`] characters (IDs, tokens,
//!   base64 residue);
//! - letters are lower-cased, digits dropped (order numbers, amounts, dates);
//! - all white space goes, so re-wrapped text gives the same digest;
//! - lines shorter than [`SHORT_LINE`] characters once normalised are dropped
//!   (greetings, signatures' initials, "Hi Bob,").

use std::borrow::Cow;

use crate::message::MessageFacts;

/// Words longer than this (in characters, before dropping digits) are dropped.
pub const LONG_WORD: usize = 30;
/// Normalised lines shorter than this (in bytes) are dropped.
pub const SHORT_LINE: usize = 8;
/// The most bytes of decoded text read per message.
pub const TEXT_MAX: usize = 256 * 1024;

/// One text part, normalised: the kept lines joined without white space (UTF-8
/// bytes), and the words (punctuation trimmed) for the shingles, as their xxh3
/// hashes.
#[derive(Debug, Default, PartialEq)]
pub struct NormalisedPart {
    pub text: Vec<u8>,
    pub word_hashes: Vec<u64>,
}

/// The decoded text parts (`facts.text_parts()`) as the fingerprints read them:
/// within [`TEXT_MAX`] in all, HTML as its rendered text.
pub fn prepared<'t>(facts: &'t MessageFacts<'_>, texts: &'t [Cow<'t, str>]) -> Vec<&'t str> {
    let mut budget = TEXT_MAX;
    let mut prepared = Vec::new();
    for part in texts {
        if budget == 0 {
            break;
        }
        let text = facts.rendered_html(part).map_or(part.as_ref(), |rendered| rendered.text.as_str());
        let cut = floor_char_boundary(text, budget);
        budget -= cut;
        prepared.push(&text[..cut]);
    }
    prepared
}

/// Normalises one prepared text (see the module documentation).
pub fn normalise(text: &str) -> NormalisedPart {
    let mut out = NormalisedPart { text: Vec::with_capacity(text.len() / 2), word_hashes: Vec::new() };
    for line in text.split('\n') {
        let line_start = out.text.len();
        // Most lines are ASCII: their white space is ASCII too (a quicker split).
        let words: Box<dyn Iterator<Item = &str>> =
            if line.is_ascii() { Box::new(line.split_ascii_whitespace()) } else { Box::new(line.split_whitespace()) };
        for word in words {
            if is_volatile(word) {
                continue;
            }
            let word_start = out.text.len();
            if word.is_ascii() {
                out.text.extend(word.bytes().filter(|b| !b.is_ascii_digit()).map(|b| b.to_ascii_lowercase()));
                let folded = &out.text[word_start..];
                let first = folded.iter().position(u8::is_ascii_alphanumeric);
                let last = folded.iter().rposition(u8::is_ascii_alphanumeric);
                if let (Some(first), Some(last)) = (first, last) {
                    out.word_hashes.push(xxhash_rust::xxh3::xxh3_64(&folded[first..=last]));
                }
            } else {
                let mut folded = String::with_capacity(word.len());
                for c in word.chars().filter(|c| !c.is_ascii_digit()) {
                    folded.extend(c.to_lowercase());
                }
                let bare = folded.trim_matches(|c: char| !c.is_alphanumeric());
                if !bare.is_empty() {
                    out.word_hashes.push(xxhash_rust::xxh3::xxh3_64(bare.as_bytes()));
                }
                out.text.extend_from_slice(folded.as_bytes());
            }
        }
        // Short lines go from the digest's text, not from the words.
        if out.text.len() - line_start < SHORT_LINE {
            out.text.truncate(line_start);
        }
    }
    out
}

/// URLs, addresses and over-long words.
fn is_volatile(word: &str) -> bool {
    let bytes = word.as_bytes();
    (bytes.len() > LONG_WORD && word.chars().nth(LONG_WORD).is_some())
        || memchr::memchr(b'@', bytes).is_some()
        || bytes.get(..4).is_some_and(|start| start.eq_ignore_ascii_case(b"www."))
        // A plain scan: a `memmem` finder costs more to set up than a word is long.
        || (memchr::memchr(b':', bytes).is_some() && bytes.windows(3).any(|window| window == b"://"))
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&index| text.is_char_boundary(index)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_parts_and_short_lines_go() {
        let part = normalise(
            "Hi Bob,\n\nYour order 12345 from https://shop.example/t?id=99 is READY,\n  write to bob@example.net today.\n",
        );
        assert_eq!(part.text, b"yourorderfromisready,writetotoday.");
        let words = ["hi", "bob", "your", "order", "from", "is", "ready", "write", "to", "today"];
        assert_eq!(part.word_hashes, words.map(|word| xxhash_rust::xxh3::xxh3_64(word.as_bytes())));
    }

    #[test]
    fn rewrapping_and_case_do_not_change_the_text() {
        let a = normalise("Claim your prize now before it expires tonight\n");
        let b = normalise("CLAIM your prize now\nbefore it expires   tonight\n");
        assert_eq!(a.text, b.text);
    }

    #[test]
    fn html_is_read_as_its_rendered_text() {
        let raw = b"Content-Type: text/html\r\n\r\n<p>Claim&nbsp;your <b>prize</b> now</p><p>before it expires</p>";
        let envelope = crate::Envelope::default();
        let facts = MessageFacts::new(raw, &envelope, 0);
        let texts = facts.text_parts();
        let prepared = prepared(&facts, &texts);
        let lines: Vec<&str> = prepared[0].lines().map(str::trim).filter(|line| !line.is_empty()).collect();
        assert_eq!(lines, ["Claim your prize now", "before it expires"]);
        assert_eq!(normalise(prepared[0]).text, b"claimyourprizenowbeforeitexpires");
    }
}
