//! Bad header count: a field that RFC 5322 allows once appears more than once.
//!
//! Counts, in the message's own header block (not those of attached messages),
//! the fields RFC 5322 3.6 limits to one occurrence: From, Sender, Reply-To, To,
//! Cc, Bcc, Message-ID, In-Reply-To, References, Subject and Date. A duplicate is
//! `spam` / `badly-formed`, 550 5.7.1 "Bad header count", extra
//! `<Name> header <n> times`.
//!
//! Settings: none (the table is the standard's).
//!
//! Why: two From or two Subject fields are how messages get shown differently to
//! the filter, the DKIM verifier and the reader (each picks another copy); no
//! conforming software writes them. Resent-* blocks (3.6.6) may repeat and are
//! not counted.

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::message::{KnownField, MessageFacts};
use crate::settings::DomainSettings;

pub const NAME: &str = "header_count";

/// RFC 5322 3.6, the "max = 1" column (the table lives with the header facts).
pub const SINGLE_INSTANCE: [(KnownField, &str); 11] = KnownField::SINGLE_INSTANCE;

pub fn check(facts: &MessageFacts<'_>, _settings: &DomainSettings, findings: &mut Vec<Finding>) {
    // One pass; fields were recognised when the facts were built.
    let mut counts = [0usize; KnownField::SINGLE_INSTANCE.len()];
    for field in &facts.headers.fields {
        if let Some(index) = KnownField::SINGLE_INSTANCE.iter().position(|(known, _)| *known == field.known) {
            counts[index] += 1;
        }
    }
    if let Some((index, count)) = counts.iter().enumerate().find(|(_, count)| **count > 1) {
        let name = KnownField::SINGLE_INSTANCE[index].1;
        findings.push(
            Finding::new(NAME, MainClass::Spam, Subclass::BadlyFormed, format!("{name} header {count} times"))
                .because(Reason::HeaderCount),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::envelope::Envelope;
    use crate::verdict::decide;

    #[test]
    fn fixtures() {
        fixtures::check_eml_dir("header_count", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn each_single_instance_field_is_counted_case_insensitively() {
        for (_, name) in SINGLE_INSTANCE {
            let raw = format!("{name}: one\r\n{}: two\r\n\r\nbody\r\n", name.to_ascii_uppercase());
            let findings = fixtures::run(check, raw.as_bytes(), &Envelope::default(), &DomainSettings::default(), 0);
            assert_eq!(findings.len(), 1, "{name}");
            assert_eq!(decide(&findings, &DomainSettings::default()).reply.line(), "550 5.7.1 Bad header count");
        }
        let ok = b"Received: a\r\nReceived: b\r\nResent-To: x\r\nResent-To: y\r\nTo: z\r\n\r\nbody\r\n";
        assert!(fixtures::run(check, ok, &Envelope::default(), &DomainSettings::default(), 0).is_empty());
    }
}
