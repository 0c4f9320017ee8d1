//! The checks: content checks run after the final dot of DATA, and the pure
//! SMTP-stage checks the gateway calls before it.
//!
//! One check is one module with one entry point. A check reports evidence (a
//! [`Finding`]); it never picks an action, a reply code or a precedence: that is
//! [`crate::verdict::decide`]. Nothing registers itself at run time.
//!
//! # Content checks (after the final dot)
//! Each is `check(facts, settings, findings)` and sits in [`DATA_CHECKS`];
//! [`crate::classify`] runs them all. The gateway feeds every DATA chunk to a
//! [`LineMeter`] while it streams in and passes [`LineMeter::longest`] to
//! [`crate::classify::classify_measured`], so the line length is known without a
//! second pass over the message.
//!
//! # Judges (inside the classification, with facts from outside the message)
//! A [`crate::classify::Judge`] per source: [`lists::ListsJudge`],
//! [`rules::RulesJudge`], [`url_hashes::UrlHashJudge`] (the stored URL hash
//! lists), [`phishing::PhishingJudge`] (`[phishing] protected_domains`),
//! [`virus::VirusJudge`] (the antivirus scan the gateway gathered) and
//! [`fingerprints::FingerprintJudge`] (what reported spam looked like:
//! `match_set1`, `match_set2`, `contact_box`, `ucepp`).
//!
//! # SMTP-stage checks (module [`envelope_policy`])
//! Pure functions of the envelope and the recipient's domain settings; each
//! returns `Option<Finding>`. The gateway turns a `Some` into a verdict with
//! `decide(&[finding], &DomainSettings::default())` and answers `verdict.reply`:
//!
//! | stage | call | on `Some(finding)` |
//! | --- | --- | --- |
//! | `MAIL FROM` with `SIZE=n` | `check_declared_size(n, settings)` | answer the reply (552 5.3.4), log the row. Before any RCPT the recipient's domain is unknown: call it with the largest limit of all domains at MAIL, and again per domain at RCPT |
//! | `RCPT TO` | `check_rcpt(&envelope, recipient, settings)`: envelope has the HELO, sender and the recipients accepted *so far* (not this one) | `Action::Reject`: answer the 5xx for this recipient, keep the transaction. `Action::Discard` (blackhole): answer 250, accept the recipient, deliver nothing to it, log block-list / recipient |
//! | `RCPT TO`, with `check_rcpt` | `lists::check(&lists, &facts, recipient)` (client address, HELO, forward-confirmed host name, envelope sender): the narrowest scope with a match decides; its findings are decided together with `check_rcpt`'s | as for `check_rcpt`; an allow-list verdict accepts the recipient, and its findings must equal the first accepted recipient's (`lists::check_disparate`) |
//! | `RCPT TO`, with the lists | `rules::check(&rules, &facts, recipient)` (client address, HELO, host name, envelope sender, the recipient): their findings join the lists' | as for the lists |
//! | `RCPT TO`, with `check_rcpt` | `sender_verification::check(&sender_domain, settings)` (the sender domain's MX and A/AAAA, gathered at MAIL FROM) | as for `check_rcpt` (550 5.1.8, or 451 when DNS failed) |
//! | `RCPT TO`, after `check_rcpt` passed and another recipient was accepted | `check_disparate(&first_settings, settings)` | answer the 451 4.3.0 for this recipient; the sender retries it in its own transaction |
//! | while DATA streams in | `check_received_size(bytes_so_far, settings)` (strictest accepted recipient) | stop storing, read to the final dot, answer the 552 |
//! | after the final dot | `MessageFacts::with_longest_line(raw, &envelope, now, Some(meter.longest()))` (the one parse; the URL block lists are asked about its URLs), then `classify_parsed(&facts, settings, scorers, judges)` with `lists::ListsJudge` (`lists::check` again, the header From as a second sender), `rules::RulesJudge` (every rule, the message's fields gathered from the same parse) and `authentication::AuthJudge` (SPF from MAIL FROM, DKIM, ARC, DMARC) as judges, decided with the content findings | the verdict as for every message |
//!
//! `check_rcpt` runs, in order: HELO/EHLO validity ([`envelope_policy::check_helo`],
//! evaluated at RCPT so the log row has the envelope), the null sender's single
//! recipient, the allowed local-part characters, blackhole addresses, local
//! recipients. Each is also public on its own.

use sluice_model::Finding;

use crate::message::MessageFacts;
use crate::settings::DomainSettings;


#[cfg(test)]
mod conformance;
pub mod arc;
pub mod attachments;
pub mod auth_lockout;
pub mod authentication;
pub mod batv;
pub mod connection_rate;
pub mod contact_box;
pub mod date;
pub mod dictionary_attack;
pub mod dkim;
pub mod dmarc;
pub mod dnslists;
pub mod envelope_policy;
pub mod failures;
pub mod filtering;
pub mod fingerprints;
pub mod greylisting;
pub mod gtube;
pub mod hashbl;
pub mod header_count;
pub mod header_length;
pub mod heuristics;
pub mod inbound_rate;
pub mod limits;
pub mod lists;
pub mod rules;
pub mod line_length;
pub mod match_set1;
pub mod match_set2;
pub mod mime_parts;
pub mod outgoing_rate;
pub mod partial;
pub mod patterns;
pub mod recipient_verification;
pub mod phishing;
pub mod relay;
pub mod sender_rights;
pub mod reputation;
pub mod sender_verification;
pub mod spf;
pub mod stube;
pub mod structure;
pub mod subject_chars;
pub mod ucepp;
pub mod url_hashes;
pub mod virus;

pub use crate::message::LineMeter;

/// The signature every content check has.
pub type DataCheck = fn(&MessageFacts<'_>, &DomainSettings, &mut Vec<Finding>);

/// Every content check, in the order they run. The order does not decide the
/// verdict (precedence does, in `verdict::decide`); cheap checks come first.
pub const DATA_CHECKS: &[(&str, DataCheck)] = &[
    (line_length::NAME, line_length::check),
    (header_length::NAME, header_length::check),
    (header_count::NAME, header_count::check),
    (subject_chars::NAME, subject_chars::check),
    (date::NAME, date::check),
    (mime_parts::NAME, mime_parts::check),
    (partial::NAME, partial::check),
    (structure::NAME, structure::check),
    (attachments::NAME, attachments::check),
    (gtube::NAME, gtube::check),
    (stube::NAME, stube::check),
];

/// Shared by the checks' unit tests: fixtures and `.cases` files.
#[cfg(test)]
pub(crate) mod fixtures {
    use sluice_model::Finding;

    use crate::envelope::Envelope;
    use crate::message::MessageFacts;
    use crate::settings::DomainSettings;

    /// `tests/data/<dir>/<file>`, read or the test fails naming the path.
    pub(crate) fn read(dir: &str, file: &str) -> Vec<u8> {
        let path = format!("{}/../../tests/data/{dir}/{file}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// Every file of `tests/data/<dir>` with extension `ext`, sorted.
    pub(crate) fn files(dir: &str, ext: &str) -> Vec<String> {
        let path = format!("{}/../../tests/data/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .unwrap_or_else(|error| panic!("{path}: {error}"))
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(ext))
            .collect();
        names.sort();
        names
    }

    /// Runs one check over `raw`.
    pub(crate) fn run(
        check: super::DataCheck,
        raw: &[u8],
        envelope: &Envelope,
        settings: &DomainSettings,
        now: i64,
    ) -> Vec<Finding> {
        let facts = MessageFacts::new(raw, envelope, now);
        let mut findings = Vec::new();
        check(&facts, settings, &mut findings);
        findings
    }

    /// The `expect:` header of a fixture: `expect: pass` or `expect: <extra>`
    /// (a substring of the finding's extra), read from the first line starting
    /// with `X-Sluice-Expect:`. Fixtures say what they test in their own text.
    pub(crate) fn expectation(raw: &[u8]) -> Option<String> {
        let text = String::from_utf8_lossy(raw);
        text.lines()
            .find_map(|line| line.strip_prefix("X-Sluice-Expect:"))
            .map(|value| value.trim().to_owned())
    }

    /// Checks every `.eml` of `tests/data/<dir>` against its `X-Sluice-Expect:`.
    pub(crate) fn check_eml_dir(dir: &str, check: super::DataCheck, settings: &DomainSettings, now: i64) {
        let names = files(dir, ".eml");
        assert!(!names.is_empty(), "no fixtures in {dir}");
        for name in names {
            let raw = read(dir, &name);
            let expected = expectation(&raw).unwrap_or_else(|| panic!("{dir}/{name} has no X-Sluice-Expect"));
            let findings = run(check, &raw, &Envelope::default(), settings, now);
            if expected == "pass" {
                assert!(findings.is_empty(), "{dir}/{name}: expected no finding, got {findings:?}");
            } else {
                assert!(
                    findings.iter().any(|finding| format!("{}/{} {}", finding.main, finding.sub, finding.extra).contains(&expected)),
                    "{dir}/{name}: expected {expected:?}, got {findings:?}"
                );
            }
        }
    }
}
