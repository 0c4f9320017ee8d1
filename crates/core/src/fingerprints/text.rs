//! The body text the fingerprints are computed from, normalised the way Pyzor
//! does it so that what a spammer varies per copy does not count:
//!
//! - the decoded text parts (plain and HTML, attached messages included); HTML
//!   tags and character references are dropped;
//! - words containing `://`, starting with `www.` or containing `@` (URLs and
//!   addresses: tracking links and the recipient's address change per copy) are
//!   dropped, as are words longer than [`LONG_WORD`] characters (IDs, tokens,
//!   base64 residue);
//! - letters are lower-cased, digits dropped (order numbers, amounts, dates);
//! - all white space goes, so re-wrapped text gives the same digest;
//! - lines shorter than [`SHORT_LINE`] characters once normalised are dropped
//!   (greetings, signatures' initials, "Hi Bob,").

use std::borrow::Cow;

/// Words longer than this (in characters, before dropping digits) are dropped.
pub const LONG_WORD: usize = 30;
/// Normalised lines shorter than this (in bytes) are dropped.
pub const SHORT_LINE: usize = 8;
/// The most bytes of decoded text read per message.
pub const TEXT_MAX: usize = 256 * 1024;

/// One text part, normalised: the kept lines joined without white space, and
/// the words (punctuation trimmed) for the shingles, as their xxh3 hashes.
#[derive(Debug, Default, PartialEq)]
pub struct NormalisedPart {
    pub text: String,
    pub word_hashes: Vec<u64>,
}

/// The normalised text parts (`facts.text_parts()`), in message order, within
/// [`TEXT_MAX`].
pub fn normalised_parts(texts: &[Cow<'_, str>]) -> Vec<NormalisedPart> {
    let mut budget = TEXT_MAX;
    let mut parts = Vec::new();
    for part in texts {
        if budget == 0 {
            break;
        }
        let cut = floor_char_boundary(&part, budget);
        budget -= cut;
        let text: Cow<'_, str> =
            if looks_like_html(&part[..cut]) { Cow::Owned(strip_tags(&part[..cut])) } else { Cow::Borrowed(&part[..cut]) };
        parts.push(normalise(&text));
    }
    parts
}

/// Normalises one decoded text (see the module documentation).
pub fn normalise(text: &str) -> NormalisedPart {
    let mut out = NormalisedPart { text: String::with_capacity(text.len() / 2), word_hashes: Vec::new() };
    for line in text.lines() {
        let line_start = out.text.len();
        for word in line.split_whitespace() {
            if is_volatile(word) {
                continue;
            }
            let word_start = out.text.len();
            for c in word.chars().filter(|c| !c.is_ascii_digit()) {
                if c.is_ascii() {
                    out.text.push(c.to_ascii_lowercase());
                } else {
                    out.text.extend(c.to_lowercase());
                }
            }
            let bare = out.text[word_start..].trim_matches(|c: char| !c.is_alphanumeric());
            if !bare.is_empty() {
                out.word_hashes.push(xxhash_rust::xxh3::xxh3_64(bare.as_bytes()));
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
    word.contains("://")
        || word.get(..4).is_some_and(|start| start.eq_ignore_ascii_case("www."))
        || word.contains('@')
        || word.chars().nth(LONG_WORD).is_some()
}

fn looks_like_html(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"</").is_some() || memchr::memmem::find(text.as_bytes(), b"<br").is_some()
}

/// The text between tags: block tags (`<br>`, `<p>`, `<div>`, `<tr>`, `<li>`)
/// end a line, other tags are a space; `&...;` references are spaces.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut tag: Option<String> = None;
    let mut in_reference = false;
    for c in html.chars() {
        if let Some(name) = &mut tag {
            if c == '>' {
                let block = matches!(name.trim_start_matches('/').split([' ', '/']).next().unwrap_or_default(), "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "table");
                out.push(if block { '\n' } else { ' ' });
                tag = None;
            } else if name.len() < 8 && !name.ends_with(' ') {
                name.push(if c.is_whitespace() { ' ' } else { c.to_ascii_lowercase() });
            }
            continue;
        }
        match c {
            '<' => tag = Some(String::new()),
            '&' => {
                in_reference = true;
                out.push(' ');
            }
            ';' if in_reference => in_reference = false,
            c if in_reference && (c.is_alphanumeric() || c == '#') => {}
            c => {
                in_reference = false;
                out.push(c);
            }
        }
    }
    out
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
        assert_eq!(part.text, "yourorderfromisready,writetotoday.");
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
    fn html_tags_and_references_are_dropped() {
        assert_eq!(strip_tags("<p>Claim&nbsp;your <b>prize</b></p>"), "\nClaim your  prize \n");
        assert_eq!(normalise(&strip_tags("<p>Claim&nbsp;your <b>prize</b> now</p>")).text, "claimyourprizenow");
    }
}
