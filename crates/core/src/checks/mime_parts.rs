//! More MIME parts, or deeper nesting, than the domain's maximum.
//!
//! Counts every MIME entity of the message (the message itself, multipart
//! containers, leaves, and the entities of attached messages) and reports `spam` /
//! `badly-formed`, reply 550 5.6.0 "Message had more parts than the user maximum",
//! extra `MIME parts <n> > <max>`, when there are more than `max_mime_parts`. A
//! nesting deeper than `max_mime_depth` (each multipart or attached message adds
//! one level) is `spam` / `badly-formed` too, 550 5.6.0, extra `MIME depth <n> > <max>`.
//!
//! Settings: `max_mime_parts` [100], `max_mime_depth` [16]; 0 disables either.
//!
//! Why: thousands of parts or deep nesting exhaust parsers and scanners (every
//! part is decoded and scanned) and are used to hide payloads from filters that
//! give up early; real mail has a handful of parts a few levels deep.

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::message::MessageFacts;
use crate::settings::DomainSettings;

pub const NAME: &str = "mime_parts";

/// When both limits are off, the walk still stops here (bounded work).
const WALK_CAP: usize = 100_000;

pub fn check(facts: &MessageFacts<'_>, settings: &DomainSettings, findings: &mut Vec<Finding>) {
    let (max_parts, max_depth) = (settings.max_mime_parts, settings.max_mime_depth);
    if max_parts == 0 && max_depth == 0 {
        return;
    }
    // One entity over the limit is enough to know; the depth of the entities
    // beyond it does not matter once the message is refused anyway.
    let limit = if max_parts == 0 { WALK_CAP } else { max_parts.saturating_add(1) };
    let entities = facts.mime_entities(limit);
    if max_parts != 0 && entities.len() > max_parts {
        findings.push(
            Finding::new(NAME, MainClass::Spam, Subclass::BadlyFormed, format!("MIME parts {} > {max_parts}", entities.len()))
                .because(Reason::TooManyParts),
        );
    }
    let depth = entities.iter().map(|entity| entity.depth).max().unwrap_or(0);
    if max_depth != 0 && depth > max_depth {
        findings.push(
            Finding::new(NAME, MainClass::Spam, Subclass::BadlyFormed, format!("MIME depth {depth} > {max_depth}"))
                .because(Reason::NestedTooDeep),
        );
    }
}

/// A `multipart/mixed` message with `leaves` text parts (so `leaves + 1` entities).
#[cfg(test)]
pub(crate) fn flat_message(leaves: usize) -> String {
    let mut raw = String::from("Subject: parts\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
    for index in 0..leaves {
        raw.push_str(&format!("--b\r\nContent-Type: text/plain\r\n\r\npart {index}\r\n"));
    }
    raw.push_str("--b--\r\n");
    raw
}

/// Multiparts nested `levels` deep around one text part.
#[cfg(test)]
pub(crate) fn nested_message(levels: usize) -> String {
    let mut raw = String::from("Subject: nested\r\n");
    for level in 0..levels {
        raw.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\ninner\r\n");
    for level in (0..levels).rev() {
        raw.push_str(&format!("--b{level}--\r\n"));
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::envelope::Envelope;
    use crate::verdict::decide;

    fn extras(raw: &str, settings: &DomainSettings) -> Vec<String> {
        fixtures::run(check, raw.as_bytes(), &Envelope::default(), settings, 0).into_iter().map(|f| f.extra).collect()
    }

    #[test]
    fn fixtures() {
        fixtures::check_eml_dir("mime_parts", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn boundary_100_passes_101_fails() {
        let settings = DomainSettings::default();
        assert!(extras(&flat_message(99), &settings).is_empty());
        assert_eq!(extras(&flat_message(100), &settings), vec!["MIME parts 101 > 100"]);
        let findings = fixtures::run(check, flat_message(100).as_bytes(), &Envelope::default(), &settings, 0);
        assert_eq!(decide(&findings, &DomainSettings::default()).reply.line(), "550 5.6.0 Message had more parts than the user maximum");
        let off = DomainSettings { max_mime_parts: 0, ..settings };
        assert!(extras(&flat_message(500), &off).is_empty());
    }

    #[test]
    fn depth_boundary() {
        let settings = DomainSettings::default();
        // `levels` multiparts put the text part at depth `levels`.
        assert!(extras(&nested_message(16), &settings).is_empty());
        assert_eq!(extras(&nested_message(17), &settings), vec!["MIME depth 17 > 16"]);
    }

    #[test]
    fn hostile_nesting_is_bounded() {
        let raw = nested_message(5000);
        let found = extras(&raw, &DomainSettings::default());
        assert!(found.iter().any(|extra| extra.starts_with("MIME depth")), "{found:?}");
    }
}
