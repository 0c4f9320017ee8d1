//! STUBE: Sluice's Test for Unsolicited Bulk Email.
//!
//! Detects the STUBE string below anywhere in a decoded text part (plain or HTML,
//! also inside attached messages) and reports `spam` / `stube`, which the decision
//! table refuses with 550 5.7.1 and **quarantines**. It is our counterpart of
//! GTUBE: GTUBE tests "the spam path"; STUBE forces a second, distinct class so an
//! admin can check a domain's quarantine and release flow (and tell the two tests
//! apart in the log) without sending real spam.
//!
//! The string (one line, 58 ASCII characters, no spaces so no client wraps it):
//!
//! ```text
//! XJS*SLUICE*STUBE-STANDARD-QUARANTINE-TEST-EMAIL*7Q2K*C.34X
//! ```
//!
//! Like GTUBE, headers and binary attachments are not searched: only text that a
//! person put in a message on purpose. Settings: none.

use sluice_model::{Finding, MainClass, Subclass};

use crate::message::MessageFacts;
use crate::settings::DomainSettings;

pub const NAME: &str = "stube";

/// The STUBE string. Documented in this module's header and in docs/config.md's
/// neighbour, tests/data/stube/README.md.
pub const STUBE: &str = "XJS*SLUICE*STUBE-STANDARD-QUARANTINE-TEST-EMAIL*7Q2K*C.34X";

pub fn check(facts: &MessageFacts<'_>, _settings: &DomainSettings, findings: &mut Vec<Finding>) {
    // memmem's SIMD search: this runs over every text part of every message.
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(STUBE));
    if facts.text_parts().iter().any(|text| FINDER.find(text.as_bytes()).is_some()) {
        findings.push(Finding::new(NAME, MainClass::Spam, Subclass::Stube, "STUBE test string"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::verdict::decide;
    use sluice_model::Action;

    #[test]
    fn fixtures() {
        fixtures::check_eml_dir("stube", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn stube_is_quarantined() {
        let raw = format!("Subject: test\r\n\r\n{STUBE}\r\n");
        let findings = fixtures::run(check, raw.as_bytes(), &Default::default(), &DomainSettings::default(), 0);
        let verdict = decide(&findings, &DomainSettings::default());
        assert_eq!((verdict.main, verdict.sub, verdict.action), (MainClass::Spam, Subclass::Stube, Action::Quarantine));
    }
}
