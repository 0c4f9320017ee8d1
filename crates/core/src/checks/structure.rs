//! Badly formed structure: defects a parser papers over.
//!
//! Reports `spam` / `badly-formed`, 550 5.6.0 "Message is badly formed", with the
//! defect as extra class, for the first of:
//! - `NUL byte in header`: a NUL octet in the message's or a part's header block;
//! - `multipart without boundary`: a `multipart/*` Content-Type with no (or an
//!   empty) `boundary` parameter;
//! - `MIME boundary never found`: a multipart whose body never has a line
//!   starting with `--boundary`;
//! - `undecodable base64 part` / `undecodable quoted-printable part`: the part's
//!   content cannot be decoded as its Content-Transfer-Encoding says, when the
//!   multipart around it is intact;
//! - `MIME structure the parser cannot follow`: mail-parser panicked on it (its
//!   internal `debug_assert!`s; see `MessageFacts::parser_failed`).
//!
//! A missing *close* delimiter (`--boundary--`) alone is not reported: it is the
//! commonest defect of real mail (truncating mailing-list software, old clients)
//! and does not hide anything from the checks, which see every part anyway.
//! Settings: none.
//!
//! Why: every defect here makes readers, scanners and filters disagree about what
//! the message contains, which is how payloads get past content checks.

use mail_parser::{HeaderName, HeaderValue, MimeHeaders};
use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::message::{MessageFacts, MimeEntity};
use crate::settings::DomainSettings;

pub const NAME: &str = "structure";

/// Entities looked at; the part-count check refuses messages with more.
const MAX_ENTITIES: usize = 10_000;

pub fn check(facts: &MessageFacts<'_>, _settings: &DomainSettings, findings: &mut Vec<Finding>) {
    if let Some(defect) = first_defect(facts) {
        findings.push(
            Finding::new(NAME, MainClass::Spam, Subclass::BadlyFormed, defect).because(Reason::MalformedStructure),
        );
    }
}

fn first_defect(facts: &MessageFacts<'_>) -> Option<&'static str> {
    if facts.parser_failed {
        return Some("MIME structure the parser cannot follow");
    }
    if facts.headers.has_nul {
        return Some("NUL byte in header");
    }
    let entities = facts.mime_entities(MAX_ENTITIES);
    for entity in entities.iter().skip(1) {
        if memchr::memchr(0, entity.raw_header()).is_some() {
            return Some("NUL byte in header");
        }
    }
    let mut unclosed = false;
    for entity in &entities {
        match multipart_defect(entity) {
            Some(Multipart::Defect(defect)) => return Some(defect),
            Some(Multipart::Unclosed) => unclosed = true,
            None => {}
        }
    }
    // mail-parser marks the last part of an unclosed multipart as undecodable
    // (its decoder runs into the end of the message looking for the boundary):
    // that is the tolerated defect, not an encoding one.
    if unclosed {
        return None;
    }
    for entity in &entities {
        if entity.part.is_encoding_problem {
            match transfer_encoding(entity) {
                Some(encoding) if encoding.eq_ignore_ascii_case("base64") => return Some("undecodable base64 part"),
                Some(encoding) if encoding.eq_ignore_ascii_case("quoted-printable") => {
                    return Some("undecodable quoted-printable part");
                }
                _ => {}
            }
        }
    }
    None
}

enum Multipart {
    Defect(&'static str),
    Unclosed,
}

fn multipart_defect(entity: &MimeEntity<'_>) -> Option<Multipart> {
    let ct = entity.part.content_type()?;
    if !ct.ctype().eq_ignore_ascii_case("multipart") {
        return None;
    }
    let boundary = ct.attribute("boundary").unwrap_or_default();
    if boundary.is_empty() {
        return Some(Multipart::Defect("multipart without boundary"));
    }
    let body = entity.raw_body();
    let mut delimiter = Vec::with_capacity(boundary.len() + 5);
    delimiter.extend_from_slice(b"\n--");
    delimiter.extend_from_slice(boundary.as_bytes());
    let start = if body.starts_with(&delimiter[1..]) { Some(0) } else { memchr::memmem::find(body, &delimiter) };
    let Some(start) = start else {
        return Some(Multipart::Defect("MIME boundary never found"));
    };
    delimiter.extend_from_slice(b"--");
    // The close delimiter ends the body: search from the end, not across it.
    if memchr::memmem::rfind(&body[start..], &delimiter[1..]).is_none() {
        return Some(Multipart::Unclosed);
    }
    None
}

fn transfer_encoding<'m>(entity: &MimeEntity<'m>) -> Option<&'m str> {
    entity.part.headers.iter().find(|header| header.name == HeaderName::ContentTransferEncoding).and_then(|header| {
        match &header.value {
            HeaderValue::Text(text) => Some(text.as_ref()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::envelope::Envelope;
    use crate::verdict::decide;

    fn defect(raw: &[u8]) -> Option<String> {
        fixtures::run(check, raw, &Envelope::default(), &DomainSettings::default(), 0).pop().map(|finding| finding.extra)
    }

    #[test]
    fn fixtures() {
        fixtures::check_eml_dir("structure", check, &DomainSettings::default(), 0);
    }

    #[test]
    fn each_defect_by_name() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (b"Subject: a\0b\r\n\r\nbody\r\n", Some("NUL byte in header")),
            (b"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n--x--\r\n", Some("multipart without boundary")),
            (b"Content-Type: multipart/mixed; boundary=x\r\n\r\nno delimiter at all\r\n", Some("MIME boundary never found")),
            (
                b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not*base64!!!\r\n--x--\r\n",
                Some("undecodable base64 part"),
            ),
            (b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nunclosed is tolerated\r\n", None),
            (b"Subject: plain\r\n\r\nbody\0with a NUL in the body is not a header defect\r\n", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(defect(raw).as_deref(), expected, "{}", String::from_utf8_lossy(raw));
        }
        let findings = fixtures::run(check, cases[0].0, &Envelope::default(), &DomainSettings::default(), 0);
        assert_eq!(decide(&findings, &DomainSettings::default()).reply.line(), "550 5.6.0 Message is badly formed");
    }

    #[test]
    fn the_fuzzer_s_parser_invariant_input_is_classified() {
        // Found by fuzz/message_facts: trips a debug_assert! inside mail-parser.
        let raw = fixtures::read("structure", "fuzz-parser-invariant.bin");
        let outcome = crate::classify(&raw, &Envelope::default(), &DomainSettings::default(), 0);
        assert_ne!(outcome.verdict.main, MainClass::Error, "{:?}", outcome.findings);
        if cfg!(debug_assertions) {
            assert!(
                outcome.findings.iter().any(|finding| finding.extra == "MIME structure the parser cannot follow"),
                "{:?}",
                outcome.findings
            );
        }
    }
}
