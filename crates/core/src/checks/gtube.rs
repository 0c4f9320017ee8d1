//! GTUBE: the Generic Test for Unsolicited Bulk Email.
//!
//! Detects the 68-byte GTUBE string defined by Apache SpamAssassin anywhere in a
//! decoded text part (plain or HTML, also inside attached messages), and reports
//! `spam` / `gtube`. It lets an admin test the spam path end to end with a message
//! anyone can write.
//!
//! Headers are not searched (SpamAssassin's rule is a body rule), nor are non-text
//! attachments: a binary attachment that happens to hold the string is not a test
//! message somebody wrote on purpose. Settings: none.

use sluice_model::{Finding, MainClass, Subclass};

use crate::message::MessageFacts;
use crate::settings::DomainSettings;

pub const NAME: &str = "gtube";

/// The GTUBE string, exactly as SpamAssassin defines it.
pub const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

pub fn check(facts: &MessageFacts<'_>, _settings: &DomainSettings, findings: &mut Vec<Finding>) {
    if facts.text_parts().iter().any(|text| text.contains(GTUBE)) {
        findings.push(Finding::new(NAME, MainClass::Spam, Subclass::Gtube, "GTUBE test string"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;

    fn found(raw: &[u8]) -> bool {
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw, &envelope, 0);
        let mut findings = Vec::new();
        check(&facts, &DomainSettings::default(), &mut findings);
        findings.iter().any(|finding| finding.sub == Subclass::Gtube)
    }

    #[test]
    fn fixtures_from_spamassassin_and_rspamd() {
        for (file, expected) in [
            ("spamassassin-sample-spam.eml", true),
            ("spamassassin-gtube.eml", true),
            ("spamassassin-gtubedcc.eml", true),
            ("spamassassin-gtubedcc_crlf.eml", true),
            ("rspamd-gtube.eml", true),
            ("spamassassin-not_gtube.eml", false),
            ("spamassassin-sample-nonspam.eml", false),
            ("spamassassin-gtube_b64_oct.eml", false),
        ] {
            let path = format!("{}/../../tests/data/gtube/{file}", env!("CARGO_MANIFEST_DIR"));
            let raw = std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
            assert_eq!(found(&raw), expected, "{file}");
        }
    }

    #[test]
    fn string_in_a_header_only_is_not_gtube() {
        let raw = format!("Subject: {GTUBE}\r\n\r\nnothing here\r\n");
        assert!(!found(raw.as_bytes()));
    }

    #[test]
    fn base64_text_part_is_decoded_before_matching() {
        use std::fmt::Write;
        let encoded = base64_encode(GTUBE.as_bytes());
        let mut raw = String::new();
        write!(raw, "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n").unwrap();
        assert!(found(raw.as_bytes()));
    }

    fn base64_encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
