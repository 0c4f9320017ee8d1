//! SPF (RFC 7208): whether the client may send for the envelope sender's domain
//! (the HELO name's for the null sender).
//!
//! The gateway evaluates SPF at MAIL FROM (`sluice-lookup`'s authenticator) and
//! keeps the result as a fact of the transaction; it is judged here after the
//! final dot, so that a failing message is quarantined (the spec's row keeps a
//! copy, which needs the message) and so that the precedence of every other
//! finding applies (an allow-list IP entry, a virus, DMARC).
//!
//! - `fail` → `phish / spf`, 550 5.7.23, quarantined; the domain and the
//!   domain's explanation (`exp=`) as evidence.
//! - `temperror` → `error / verification-fail` (451) when the recipient's
//!   `auth_temperror` is `defer` (the default); nothing when `accept`.
//! - `softfail`, `neutral`, `permerror`, `none`, `pass`: no finding. They are
//!   evidence in the Authentication-Results header and the log's lookups, and
//!   `pass` authenticates the sender for SPF-gated allow entries and
//!   `s_addr_spf` rules (see `docs/decisions.md`).

use sluice_model::{ErrorClass, Finding, MainClass, Subclass};

use crate::settings::{AuthTempError, DomainSettings};

/// The result of an SPF evaluation (RFC 7208 section 2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    TempError,
    PermError,
}

impl SpfResult {
    /// The result's name as RFC 8601 writes it (`spf=softfail`).
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }

    /// Reads a result name, case-insensitively (conformance suites).
    pub fn parse(name: &str) -> Option<SpfResult> {
        let all = [
            SpfResult::Pass,
            SpfResult::Fail,
            SpfResult::SoftFail,
            SpfResult::Neutral,
            SpfResult::None,
            SpfResult::TempError,
            SpfResult::PermError,
        ];
        all.into_iter().find(|result| result.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// Which identity was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpfIdentity {
    /// The MAIL FROM domain (`smtp.mailfrom`).
    MailFrom,
    /// The HELO name, for the null sender (`smtp.helo`).
    Helo,
}

/// SPF as evaluated at MAIL FROM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfFacts {
    pub identity: SpfIdentity,
    /// The domain checked, lower case.
    pub domain: String,
    pub result: SpfResult,
    /// The domain's explanation (`exp=`) of a `fail`, when it published one.
    pub explanation: Option<String>,
}

impl SpfFacts {
    /// Whether SPF authenticated the envelope sender (for SPF-gated allow
    /// entries and `s_addr_spf` rules).
    pub fn sender_passed(&self) -> bool {
        self.identity == SpfIdentity::MailFrom && self.result == SpfResult::Pass
    }
}

/// Longest explanation kept as evidence: it is the sender's text.
const MAX_EXPLANATION: usize = 200;

/// The finding SPF makes about a message, if any (see the module comment).
pub fn check(spf: &SpfFacts, settings: &DomainSettings) -> Option<Finding> {
    match spf.result {
        SpfResult::Fail => {
            let explanation: String = spf
                .explanation
                .as_deref()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_EXPLANATION)
                .collect();
            let extra = if explanation.is_empty() {
                spf.domain.clone()
            } else {
                format!("{}: {explanation}", spf.domain)
            };
            Some(Finding::new("spf", MainClass::Phish, Subclass::Spf, extra))
        }
        SpfResult::TempError if settings.auth_temperror == AuthTempError::Defer => Some(
            Finding::new("spf", MainClass::Error, Subclass::VerificationFail, format!("SPF temperror for {}", spf.domain))
                .with_error(ErrorClass::VerificationFail),
        ),
        SpfResult::TempError
        | SpfResult::Pass
        | SpfResult::SoftFail
        | SpfResult::Neutral
        | SpfResult::None
        | SpfResult::PermError => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::decide;

    fn facts(result: SpfResult) -> SpfFacts {
        SpfFacts {
            identity: SpfIdentity::MailFrom,
            domain: "example.org".into(),
            result,
            explanation: Some("see\r\nhttp://example.org/why".into()),
        }
    }

    #[test]
    fn fail_is_phish_550_5_7_23_quarantined() {
        let settings = DomainSettings::default();
        let finding = check(&facts(SpfResult::Fail), &settings).expect("a finding");
        assert_eq!(finding.extra, "example.org: seehttp://example.org/why");
        let verdict = decide(&[finding], &settings);
        assert_eq!((verdict.main, verdict.sub), (MainClass::Phish, Subclass::Spf));
        assert_eq!((verdict.reply.code, verdict.reply.enhanced), (550, [5, 7, 23]));
        assert_eq!(verdict.action, sluice_model::Action::Quarantine);
    }

    #[test]
    fn temperror_defers_or_is_accepted_as_the_domain_says() {
        let settings = DomainSettings::default();
        let verdict = decide(&[check(&facts(SpfResult::TempError), &settings).expect("deferred")], &settings);
        assert_eq!((verdict.reply.code, verdict.error), (451, Some(ErrorClass::VerificationFail)));
        let accept = DomainSettings { auth_temperror: AuthTempError::Accept, ..settings };
        assert_eq!(check(&facts(SpfResult::TempError), &accept), None);
    }

    #[test]
    fn the_other_results_are_evidence_only() {
        for result in [SpfResult::Pass, SpfResult::SoftFail, SpfResult::Neutral, SpfResult::None, SpfResult::PermError] {
            assert_eq!(check(&facts(result), &DomainSettings::default()), None, "{result:?}");
            assert_eq!(SpfResult::parse(result.as_str()), Some(result));
        }
        assert!(facts(SpfResult::Pass).sender_passed());
        assert!(!SpfFacts { identity: SpfIdentity::Helo, ..facts(SpfResult::Pass) }.sender_passed());
    }
}
