//! Lines longer than the domain's maximum.
//!
//! Detects a line of the message (headers or body, as received, line ending
//! excluded) longer than `max_line_length` octets and reports `spam` /
//! `badly-formed`, reply 550 5.6.0 "Lines in message were longer than user
//! maximum", extra `line length <n> > <max>`.
//!
//! Settings: `max_line_length` [998, RFC 5322 2.1.1; 0 disables].
//!
//! Why: lines over 998 octets break RFC 5322, get cut or rewrapped by relays on the
//! way (corrupting signatures and content), and are a favourite of filter-evasion
//! and parser-overflow tricks; well-behaved software always wraps or encodes.
//! The length is measured by [`LineMeter`](crate::message::LineMeter) while DATA
//! streams in (or from the raw message), never from a second copy.

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::message::MessageFacts;
use crate::settings::DomainSettings;

pub const NAME: &str = "line_length";

pub fn check(facts: &MessageFacts<'_>, settings: &DomainSettings, findings: &mut Vec<Finding>) {
    let max = settings.max_line_length;
    if max != 0 && facts.longest_line > max {
        findings.push(
            Finding::new(
                NAME,
                MainClass::Spam,
                Subclass::BadlyFormed,
                format!("line length {} > {max}", facts.longest_line),
            )
            .because(Reason::LineTooLong),
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
        fixtures::check_eml_dir("line_length", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn boundary_998_passes_999_fails() {
        let settings = DomainSettings::default();
        for (length, fails) in [(998, false), (999, true), (0, false)] {
            let raw = format!("Subject: x\r\n\r\n{}\r\n", "a".repeat(length));
            let findings = fixtures::run(check, raw.as_bytes(), &Envelope::default(), &settings, 0);
            assert_eq!(!findings.is_empty(), fails, "{length}");
        }
    }

    #[test]
    fn zero_disables_and_reply_is_the_specs() {
        let raw = format!("Subject: x\r\n\r\n{}\r\n", "a".repeat(5000));
        let off = DomainSettings { max_line_length: 0, ..DomainSettings::default() };
        assert!(fixtures::run(check, raw.as_bytes(), &Envelope::default(), &off, 0).is_empty());
        let findings = fixtures::run(check, raw.as_bytes(), &Envelope::default(), &DomainSettings::default(), 0);
        assert_eq!(decide(&findings, &DomainSettings::default()).reply.line(), "550 5.6.0 Lines in message were longer than user maximum");
        assert_eq!(findings[0].extra, "line length 5000 > 998");
    }

    #[test]
    fn a_measurement_from_the_gateway_is_used_as_given() {
        let raw = b"Subject: x\r\n\r\nshort\r\n";
        let envelope = Envelope::default();
        let facts = MessageFacts::with_longest_line(raw, &envelope, 0, Some(2000));
        let mut findings = Vec::new();
        check(&facts, &DomainSettings::default(), &mut findings);
        assert_eq!(findings.len(), 1);
    }
}
