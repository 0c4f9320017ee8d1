//! The phishing patterns on their fixtures (`tests/data/phishing/`).

use super::*;
use crate::checks::fixtures;
use crate::envelope::Envelope;

fn findings_for(raw: &[u8]) -> Vec<Finding> {
    let envelope = Envelope { recipients: vec!["bob@example.net".to_owned()], ..Envelope::default() };
    let facts = MessageFacts::new(raw, &envelope, 0);
    let mut findings = Vec::new();
    judge(&facts, &["example.test".to_owned()], &mut findings);
    findings
}

#[test]
fn each_pattern_catches_its_positive_fixtures_and_nothing_else() {
    let files = fixtures::files("phishing", ".eml");
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let findings = findings_for(&fixtures::read("phishing", &file));
        let pattern = file.split(['.']).next().unwrap();
        let pattern = pattern.split_once("-display").or(pattern.split_once("-idn")).or(pattern.split_once("-ip")).or(pattern.split_once("-private")).or(pattern.split_once("-tld")).or(pattern.split_once("-js")).or(pattern.split_once("-pixel")).map_or(pattern, |(name, _)| name);
        let evidence: Vec<&str> = findings.iter().map(|finding| finding.extra.as_str()).collect();
        if file.contains(".positive.") {
            assert_eq!(findings.len(), 1, "{file}: {evidence:?}");
            assert_eq!((findings[0].main, findings[0].sub), (sluice_model::MainClass::Phish, sluice_model::Subclass::Pattern));
            assert!(findings[0].extra.starts_with(&format!("{pattern}: ")), "{file}: {evidence:?}");
            assert_eq!(findings[0].check, format!("phishing/{pattern}"), "{file}");
        } else {
            assert!(findings.is_empty(), "{file}: {evidence:?}");
        }
    }
}

#[test]
fn a_phishing_pattern_is_quarantined_with_its_evidence() {
    let findings = findings_for(&fixtures::read("phishing", "link-text.positive.eml"));
    let verdict = crate::verdict::decide(&findings, &crate::settings::DomainSettings::default());
    assert_eq!((verdict.action, verdict.reply.code), (sluice_model::Action::Quarantine, 550));
    assert_eq!(verdict.extra, "link-text: shows www.bank.example, goes to secure-login.evil.example");
}

#[test]
fn hostile_and_empty_messages_are_no_phishing() {
    for raw in [&b""[..], b"\r\n\r\n", b"From: <>\r\nReply-To: @\r\n\r\n<a href=", b"Content-Type: text/html\r\n\r\n<form><input type=password>"] {
        let _ = findings_for(raw);
    }
}

#[test]
fn another_tld_counts_for_configured_domains_only() {
    let raw = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: minutes\r\n\r\nThe minutes.\r\n";
    let envelope = Envelope { recipients: vec!["bob@example.net".to_owned()], ..Envelope::default() };
    let facts = MessageFacts::new(raw, &envelope, 0);
    let mut findings = Vec::new();
    judge(&facts, &[], &mut findings);
    assert!(findings.is_empty(), "the recipient's own name under another TLD: {findings:?}");
    judge(&facts, &["example.com".to_owned()], &mut findings);
    assert_eq!(findings.len(), 1, "a configured domain's name under another TLD");
}
