//! Subject with raw 8-bit bytes and no RFC 2047 encoding.
//!
//! Reports `spam` / `badly-formed`, 550 5.6.0 "Subject contains invalid
//! characters.", extra "Badly formed Subject header", when a Subject field holds
//! octets above 127 and no RFC 2047 encoded word (`=?charset?B|Q?...?=`), unless
//! the session declared SMTPUTF8 (RFC 6532 then allows raw UTF-8 in headers).
//!
//! Settings: none.
//!
//! Why: without SMTPUTF8, header fields are 7-bit (RFC 5322 2.2); an 8-bit subject
//! has no declared charset, so every reader guesses differently, and bulk senders
//! that do not care about standards are the ones that send it.

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::message::{KnownField, MessageFacts};
use crate::settings::DomainSettings;

pub const NAME: &str = "subject_chars";
pub const EXTRA: &str = "Badly formed Subject header";

pub fn check(facts: &MessageFacts<'_>, _settings: &DomainSettings, findings: &mut Vec<Finding>) {
    if facts.envelope.smtputf8 {
        return;
    }
    let bad = facts.headers.known(KnownField::Subject).any(|field| {
        field.value.iter().any(|byte| *byte >= 0x80) && memchr::memmem::find(field.value, b"=?").is_none()
    });
    if bad {
        findings.push(
            Finding::new(NAME, MainClass::Spam, Subclass::BadlyFormed, EXTRA).because(Reason::SubjectCharacters),
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
        fixtures::check_eml_dir("subject_chars", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn smtputf8_allows_raw_utf8() {
        let raw = "Subject: Grüße\r\n\r\nbody\r\n".as_bytes();
        let plain = fixtures::run(check, raw, &Envelope::default(), &DomainSettings::default(), 0);
        assert_eq!(decide(&plain, &DomainSettings::default()).reply.line(), "550 5.6.0 Subject contains invalid characters.");
        assert_eq!(plain[0].extra, "Badly formed Subject header");
        let utf8 = Envelope { smtputf8: true, ..Envelope::default() };
        assert!(fixtures::run(check, raw, &utf8, &DomainSettings::default(), 0).is_empty());
    }
}
