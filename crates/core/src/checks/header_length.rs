//! A header field longer than the domain's maximum.
//!
//! Measures every header field of the message and of its MIME parts, name and
//! colon included, after unfolding (the CRLF of each fold removed), and reports
//! `spam` / `badly-formed`, reply 550 5.6.0 "Header is too long", extra
//! `header <Name> <n> octets > <max>`, for the first one over
//! `max_header_length`.
//!
//! Settings: `max_header_length` [8192 octets; 0 disables].
//!
//! Why: no legitimate software writes an 8 KiB header field (even long
//! References chains stay well below); huge fields are parser-exhaustion attacks
//! and hide content from filters that only look at the start of a field.

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::message::{HeaderBlock, MessageFacts};
use crate::settings::DomainSettings;

pub const NAME: &str = "header_length";

/// MIME part headers inspected at most (the part count check bounds the rest).
const MAX_PARTS: usize = 1000;

pub fn check(facts: &MessageFacts<'_>, settings: &DomainSettings, findings: &mut Vec<Finding>) {
    let max = settings.max_header_length;
    if max == 0 {
        return;
    }
    if let Some(finding) = too_long(&facts.headers, max) {
        findings.push(finding);
        return;
    }
    // The first entity is the message itself, already measured above. A part
    // header block shorter than the limit cannot hold a field over it: skip it
    // without scanning (that keeps this check nearly free on ordinary mail).
    for entity in facts.mime_entities(MAX_PARTS).iter().skip(1) {
        let header = entity.raw_header();
        if header.len() > max
            && let Some(finding) = too_long(&HeaderBlock::scan(header), max)
        {
            findings.push(finding);
            return;
        }
    }
}

fn too_long(block: &HeaderBlock<'_>, max: usize) -> Option<Finding> {
    // raw_len >= unfolded length: only long fields need their folds counted.
    let (field, length) =
        block.fields.iter().filter(|field| field.raw_len > max).map(|field| (field, field.unfolded_len())).find(|(_, length)| *length > max)?;
    let name = String::from_utf8_lossy(&field.name[..field.name.len().min(64)]).into_owned();
    Some(
        Finding::new(
            NAME,
            MainClass::Spam,
            Subclass::BadlyFormed,
            format!("header {name} {length} octets > {max}"),
        )
        .because(Reason::HeaderTooLong),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::envelope::Envelope;
    use crate::verdict::decide;

    fn found(raw: &str) -> Vec<Finding> {
        fixtures::run(check, raw.as_bytes(), &Envelope::default(), &DomainSettings::default(), 0)
    }

    #[test]
    fn fixtures() {
        fixtures::check_eml_dir("header_length", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn boundary_is_the_unfolded_field() {
        // "X-Long: " is 8 octets; the value fills the field to exactly 8192.
        let exact = format!("X-Long: {}\r\n\r\nbody\r\n", "a".repeat(8192 - 8));
        assert!(found(&exact).is_empty());
        let over = format!("X-Long: {}\r\n\r\nbody\r\n", "a".repeat(8192 - 7));
        let findings = found(&over);
        assert_eq!(findings[0].extra, "header X-Long 8193 octets > 8192");
        assert_eq!(decide(&findings, &DomainSettings::default()).reply.line(), "550 5.6.0 Header is too long");
        // Folded into short lines: the same field once unfolded.
        let folded_value: Vec<String> = (0..1000).map(|_| "aaaaaaaaa".to_owned()).collect();
        let folded = format!("X-Long: {}\r\n\r\nbody\r\n", folded_value.join("\r\n "));
        assert_eq!(found(&folded).len(), 1);
    }

    #[test]
    fn part_headers_are_measured_too() {
        let raw = format!(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; x=\"{}\"\r\n\r\nhi\r\n--b--\r\n",
            "a".repeat(9000)
        );
        assert!(found(&raw)[0].extra.starts_with("header Content-Type"));
    }
}
