//! Sender authentication after the final dot: SPF (evaluated at MAIL FROM),
//! DKIM, ARC and DMARC judged together, as one `classify::Judge`, so their
//! findings join the content checks' in the same decision; and the
//! Authentication-Results header (RFC 8601) written on every delivered message.
//!
//! The facts are gathered by the gateway (`sluice-lookup`); this module only
//! reads them. The checks it runs: [`spf::check`], [`dmarc::check`] and
//! [`dkim::check`] (`phish / dkim`), with the ARC override of
//! [`arc::trusted_dmarc_pass`].

use sluice_model::Finding;

use super::arc::{self, ArcChain, ArcFacts};
use super::dkim::{self, DkimFacts};
use super::dmarc::{self, DmarcEvaluation, DmarcFacts, DmarcResult};
use super::spf::{self, SpfFacts, SpfIdentity};
use crate::classify::Judge;
use crate::message::MessageFacts;
use crate::settings::DomainSettings;

/// Everything gathered about the sender's authentication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthFacts {
    /// SPF of the transaction; `None` when it was not evaluated (offline).
    pub spf: Option<SpfFacts>,
    pub dkim: DkimFacts,
    pub arc: ArcFacts,
    pub dmarc: DmarcFacts,
}

/// DMARC evaluated and the ARC override found, for the judge and the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthOutcome {
    pub dmarc: DmarcEvaluation,
    /// The trusted ARC sealer that reported `dmarc=pass`, when the local result
    /// is not a pass.
    pub arc_override: Option<String>,
}

impl AuthFacts {
    pub fn evaluate(&self, trusted_arc_sealers: &[String]) -> AuthOutcome {
        let dmarc = dmarc::evaluate(&self.dmarc, self.spf.as_ref(), &self.dkim);
        let arc_override = match dmarc.result {
            DmarcResult::Pass | DmarcResult::None => None,
            DmarcResult::Fail | DmarcResult::TempError | DmarcResult::PermError => {
                arc::trusted_dmarc_pass(&self.arc, trusted_arc_sealers).map(str::to_owned)
            }
        };
        AuthOutcome { dmarc, arc_override }
    }

    /// Every finding about the sender's authentication, for a recipient with
    /// `settings`.
    pub fn findings(&self, outcome: &AuthOutcome, settings: &DomainSettings) -> Vec<Finding> {
        let mut findings = Vec::new();
        findings.extend(self.spf.as_ref().and_then(|spf| spf::check(spf, settings)));
        findings.extend(dmarc::check(&outcome.dmarc, settings, outcome.arc_override.as_deref()));
        findings.extend(dkim::check(&self.dkim, &outcome.dmarc, outcome.arc_override.is_some()));
        findings
    }
}

/// The authentication checks as a judge of the classification.
pub struct AuthJudge<'a> {
    pub facts: &'a AuthFacts,
    pub outcome: &'a AuthOutcome,
    pub settings: &'a DomainSettings,
}

impl Judge for AuthJudge<'_> {
    fn judge(&self, _facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        findings.extend(self.facts.findings(self.outcome, self.settings));
    }
}

/// At most this many DKIM signatures are written into the header.
pub const MAX_HEADER_SIGNATURES: usize = 8;

/// A value as RFC 8601 allows it unquoted: a domain name, a selector; anything
/// else (the sender chose these bytes) is written as `invalid`, never cleaned
/// up into a name it is not.
fn token(value: &str) -> String {
    let valid = !value.is_empty() && value.len() <= 253 && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid { value.to_owned() } else { "invalid".to_owned() }
}

/// `Authentication-Results: <hostname>; spf=...; dkim=...; dmarc=...; arc=...`
/// with CRLF line ends, folded one method per line.
pub fn authentication_results_header(hostname: &str, facts: &AuthFacts, outcome: &AuthOutcome) -> String {
    let mut results: Vec<String> = Vec::new();
    match &facts.spf {
        Some(spf) => {
            let property = match spf.identity {
                SpfIdentity::MailFrom => "smtp.mailfrom",
                SpfIdentity::Helo => "smtp.helo",
            };
            results.push(format!("spf={} {property}={}", spf.result.as_str(), token(&spf.domain)));
        }
        None => results.push("spf=none".to_owned()),
    }
    if facts.dkim.signatures.is_empty() {
        results.push("dkim=none".to_owned());
    }
    for signature in facts.dkim.signatures.iter().take(MAX_HEADER_SIGNATURES) {
        results.push(format!(
            "dkim={} header.d={} header.s={}",
            signature.result.as_str(),
            token(&signature.domain),
            token(&signature.selector)
        ));
    }
    let dmarc = &outcome.dmarc;
    let mut dmarc_result = format!("dmarc={}", dmarc.result.as_str());
    if let Some(record) = &dmarc.record {
        dmarc_result.push_str(&format!(" (p={} pct={})", dmarc.published_policy.as_str(), record.pct));
    }
    if let Some(sealer) = &outcome.arc_override {
        dmarc_result.push_str(&format!(" (overridden: trusted ARC sealer {} reported dmarc=pass)", token(sealer)));
    }
    if !dmarc.from_domain.is_empty() {
        dmarc_result.push_str(&format!(" header.from={}", token(&dmarc.from_domain)));
    }
    results.push(dmarc_result);
    let mut arc_result = format!("arc={}", facts.arc.chain.as_str());
    if facts.arc.chain != ArcChain::None {
        let sealers: Vec<String> = facts.arc.seals.iter().take(MAX_HEADER_SIGNATURES).map(|seal| format!("i={} {}", seal.instance, token(&seal.sealer))).collect();
        arc_result.push_str(&format!(" ({})", sealers.join(", ")));
    }
    results.push(arc_result);
    format!("Authentication-Results: {};\r\n\t{}\r\n", token(hostname), results.join(";\r\n\t"))
}

/// Whether the header field `field` (name and value, as in the message) is an
/// Authentication-Results field that claims to come from `hostname`: its
/// authserv-id (the first token of the value) is our name. RFC 8601 5: such
/// fields arriving from outside are forgeries and are removed.
pub fn claims_our_results(field: &[u8], hostname: &str) -> bool {
    let Some(colon) = field.iter().position(|&b| b == b':') else {
        return false;
    };
    if !field[..colon].trim_ascii().eq_ignore_ascii_case(b"authentication-results") {
        return false;
    }
    let value = String::from_utf8_lossy(&field[colon + 1..]);
    // CFWS may precede the authserv-id: skip whitespace and comments.
    let mut rest = value.trim_start();
    while let Some(comment) = rest.strip_prefix('(') {
        rest = comment.split_once(')').map_or("", |(_, after)| after).trim_start();
    }
    let id: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != ';' && *c != '(').collect();
    id.trim_end_matches('.').eq_ignore_ascii_case(hostname.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::dkim::{DkimResult, DkimSignature};
    use crate::checks::spf::SpfResult;
    use crate::lookups::LookupOutcome;

    #[test]
    fn the_header_says_every_result_and_the_arc_override() {
        let facts = AuthFacts {
            spf: Some(SpfFacts { identity: SpfIdentity::MailFrom, domain: "lists.example.org".into(), result: SpfResult::Pass, explanation: None }),
            dkim: DkimFacts {
                signatures: vec![DkimSignature {
                    domain: "bank.example".into(),
                    selector: "s1\r\nX-Evil: 1".into(),
                    result: DkimResult::Neutral,
                    body_changed: true,
                    key_published: Some(true),
                    why: "body hash".into(),
                }],
            },
            arc: ArcFacts {
                chain: ArcChain::Pass,
                seals: vec![arc::ArcSeal { instance: 1, sealer: "lists.example.org".into(), reported_dmarc_pass: true }],
                why: String::new(),
            },
            dmarc: DmarcFacts {
                from_domain: "bank.example".into(),
                at_from: LookupOutcome::Answer(vec!["v=DMARC1; p=reject".into()]),
                at_organisational: None,
                sample: 0,
            },
        };
        let outcome = facts.evaluate(&["lists.example.org".to_owned()]);
        assert_eq!(outcome.arc_override.as_deref(), Some("lists.example.org"));
        assert!(facts.findings(&outcome, &DomainSettings::default()).is_empty(), "rescued by the trusted sealer");
        let header = authentication_results_header("mx.test.example", &facts, &outcome);
        assert_eq!(
            header,
            "Authentication-Results: mx.test.example;\r\n\tspf=pass smtp.mailfrom=lists.example.org;\r\n\tdkim=neutral header.d=bank.example header.s=invalid;\r\n\tdmarc=fail (p=reject pct=100) (overridden: trusted ARC sealer lists.example.org reported dmarc=pass) header.from=bank.example;\r\n\tarc=pass (i=1 lists.example.org)\r\n"
        );
        let untrusted = facts.evaluate(&[]);
        let subs: Vec<_> = facts.findings(&untrusted, &DomainSettings::default()).iter().map(|finding| finding.sub).collect();
        assert_eq!(subs, [sluice_model::Subclass::DmarcReject, sluice_model::Subclass::Dkim]);
    }

    #[test]
    fn only_results_claiming_our_name_are_ours() {
        assert!(claims_our_results(b"Authentication-Results: mx.test.example; spf=pass", "mx.test.example"));
        assert!(claims_our_results(b"authentication-results:  (forged) MX.Test.Example.; dkim=pass", "mx.test.example"));
        assert!(claims_our_results(b"Authentication-Results: mx.test.example 1; none", "mx.test.example"));
        assert!(!claims_our_results(b"Authentication-Results: mx.google.com; spf=pass", "mx.test.example"));
        assert!(!claims_our_results(b"ARC-Authentication-Results: i=1; mx.test.example; spf=pass", "mx.test.example"));
        assert!(!claims_our_results(b"Authentication-Results: mx.test.example.evil; spf=pass", "mx.test.example"));
    }
}
