//! DMARC (RFC 7489): whether the From domain authenticated the message (an
//! aligned SPF or DKIM pass), and what the domain asks for when it did not.
//!
//! Pure: the gatherer looks up `_dmarc.<From domain>` and, when that has no
//! DMARC record, `_dmarc.<organisational domain>`; this module reads those
//! records, finds the organisational domain with the Public Suffix List (the
//! `psl` crate, the list compiled into the binary), checks alignment (relaxed:
//! same organisational domain; strict: same name) and applies `p`, `sp` and
//! `pct`. `pct` compares with a sample in 0..100 the gatherer derives from the
//! message, so one message always gets the same verdict; a message outside the
//! sample gets the next milder policy (RFC 7489 6.6.4: reject → quarantine →
//! none).
//!
//! Classes (with the recipient's `dmarc_enforce`, default on):
//! - fail under `reject` → `phish / dmarc-reject`, 550 5.7.1, **not** quarantined;
//! - fail under `quarantine` → `phish / dmarc-quarantine`, 550 5.7.1, quarantined;
//! - the record lookup timed out or failed → `error / verification-fail` (451)
//!   when `auth_temperror` is `defer`;
//! - a trusted ARC sealer that reports `dmarc=pass` over a valid chain
//!   (`[auth] trusted_arc_sealers`) overrides a failure: no finding, and the
//!   Authentication-Results header says why.
//!
//! The precedence of `verdict.rs` puts DMARC above the allow lists: an
//! allow-listed sender does not bypass it (the spec).

use sluice_model::{ErrorClass, Finding, MainClass, Subclass};

use super::dkim::{DkimFacts, DkimResult};
use super::spf::{SpfFacts, SpfResult};
use crate::lookups::LookupOutcome;
use crate::settings::{AuthTempError, DomainSettings};

/// A DMARC policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    #[default]
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    fn parse(value: &str) -> Option<Policy> {
        match value.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// The policy for a message outside the `pct` sample.
    fn milder(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }
}

/// Identifier alignment mode (`adkim=`, `aspf=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Alignment {
    #[default]
    Relaxed,
    Strict,
}

/// A published DMARC record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmarcRecord {
    pub p: Policy,
    pub sp: Option<Policy>,
    /// 0..=100.
    pub pct: u8,
    pub adkim: Alignment,
    pub aspf: Alignment,
}

/// Reads a DMARC record (`v=DMARC1; p=...`): `None` when it is not one (no
/// `v=DMARC1` first, or no valid `p=`). Unknown tags are ignored (RFC 7489 6.3);
/// a bad `sp=`, `pct=` or alignment value falls back to its default.
pub fn parse_record(text: &str) -> Option<DmarcRecord> {
    let mut tags = text.split(';').map(str::trim).filter(|tag| !tag.is_empty()).filter_map(|tag| {
        let (name, value) = tag.split_once('=')?;
        Some((name.trim().to_ascii_lowercase(), value.trim()))
    });
    let (version, value) = tags.next()?;
    if version != "v" || value != "DMARC1" {
        return None;
    }
    let mut record = DmarcRecord { p: Policy::None, sp: None, pct: 100, adkim: Alignment::Relaxed, aspf: Alignment::Relaxed };
    let mut policy = None;
    let alignment = |value: &str| if value.eq_ignore_ascii_case("s") { Alignment::Strict } else { Alignment::Relaxed };
    for (name, value) in tags {
        match name.as_str() {
            "p" => policy = Policy::parse(value),
            "sp" => record.sp = Policy::parse(value),
            "pct" => record.pct = value.parse::<u8>().ok().filter(|pct| *pct <= 100).unwrap_or(100),
            "adkim" => record.adkim = alignment(value),
            "aspf" => record.aspf = alignment(value),
            _ => {}
        }
    }
    record.p = policy?;
    Some(record)
}

/// The organisational domain of `domain` (RFC 7489 3.2): its registrable domain
/// by the Public Suffix List; the name itself when it is a public suffix.
pub fn organisational_domain(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&domain).map(str::to_owned).unwrap_or(domain)
}

/// Whether `identifier` is aligned with the From domain `from` under `mode`.
pub fn aligned(identifier: &str, from: &str, mode: Alignment) -> bool {
    let (identifier, from) = (identifier.trim_end_matches('.'), from.trim_end_matches('.'));
    if identifier.is_empty() || from.is_empty() {
        return false;
    }
    match mode {
        Alignment::Strict => identifier.eq_ignore_ascii_case(from),
        Alignment::Relaxed => organisational_domain(identifier) == organisational_domain(from),
    }
}

/// What the gatherer found about the From domain's DMARC record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmarcFacts {
    /// The RFC 5322.From domain, lower case; empty when the message has no single
    /// From domain (DMARC then does not apply).
    pub from_domain: String,
    /// The TXT records at `_dmarc.<from_domain>`.
    pub at_from: LookupOutcome<Vec<String>>,
    /// The TXT records at `_dmarc.<organisational domain>`, when that is another
    /// name and `at_from` held no DMARC record.
    pub at_organisational: Option<LookupOutcome<Vec<String>>>,
    /// 0..100, derived from the message: inside `pct` when below it.
    pub sample: u8,
}

impl Default for DmarcFacts {
    fn default() -> DmarcFacts {
        DmarcFacts { from_domain: String::new(), at_from: LookupOutcome::NotFound, at_organisational: None, sample: 0 }
    }
}

/// The DMARC result (RFC 7489 / RFC 8601 names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DmarcResult {
    Pass,
    Fail,
    /// No DMARC record (or no single From domain).
    #[default]
    None,
    TempError,
    PermError,
}

impl DmarcResult {
    pub fn as_str(self) -> &'static str {
        match self {
            DmarcResult::Pass => "pass",
            DmarcResult::Fail => "fail",
            DmarcResult::None => "none",
            DmarcResult::TempError => "temperror",
            DmarcResult::PermError => "permerror",
        }
    }
}

/// DMARC evaluated for one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmarcEvaluation {
    pub from_domain: String,
    pub result: DmarcResult,
    pub record: Option<DmarcRecord>,
    /// The policy the domain publishes for the From domain (`sp=` for a
    /// subdomain when the record is the organisational domain's).
    pub published_policy: Policy,
    /// The policy to apply to this message: `published_policy` after `pct`,
    /// and `None` unless the result is `fail`.
    pub policy: Policy,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
}

/// The DMARC records among `records` (a name must publish exactly one).
fn the_record(records: &[String]) -> Result<Option<DmarcRecord>, ()> {
    let candidates: Vec<&String> = records.iter().filter(|record| record.trim_start().starts_with("v=DMARC1")).collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Ok(parse_record(one)),
        _ => Err(()),
    }
}

/// Evaluates DMARC for a message from the gathered facts, the SPF result of
/// the transaction and the DKIM signatures.
pub fn evaluate(facts: &DmarcFacts, spf: Option<&SpfFacts>, dkim: &DkimFacts) -> DmarcEvaluation {
    let from = facts.from_domain.clone();
    let mut evaluation = DmarcEvaluation { from_domain: from.clone(), ..DmarcEvaluation::default() };
    if from.is_empty() {
        return evaluation;
    }
    // RFC 7489 6.6.3: the From domain's record, else the organisational domain's.
    let lookups = std::iter::once((&facts.at_from, false)).chain(facts.at_organisational.iter().map(|outcome| (outcome, true)));
    let mut found = None;
    for (outcome, organisational) in lookups {
        match outcome {
            LookupOutcome::Answer(records) => match the_record(records) {
                Ok(Some(record)) => {
                    found = Some((record, organisational));
                    break;
                }
                Ok(None) => {}
                Err(()) => {
                    evaluation.result = DmarcResult::PermError;
                    return evaluation;
                }
            },
            LookupOutcome::NotFound => {}
            LookupOutcome::TimedOut | LookupOutcome::Failed(_) => {
                evaluation.result = DmarcResult::TempError;
                return evaluation;
            }
        }
    }
    let Some((record, organisational)) = found else {
        return evaluation;
    };
    evaluation.published_policy = if organisational { record.sp.unwrap_or(record.p) } else { record.p };
    evaluation.spf_aligned = spf.is_some_and(|spf| spf.result == SpfResult::Pass && aligned(&spf.domain, &from, record.aspf));
    evaluation.dkim_aligned = dkim.aligned_pass(&from, record.adkim);
    evaluation.result = if evaluation.spf_aligned || evaluation.dkim_aligned {
        DmarcResult::Pass
    } else if dkim
        .signatures
        .iter()
        .any(|signature| signature.result == DkimResult::TempError && aligned(&signature.domain, &from, record.adkim))
        || spf.is_some_and(|spf| spf.result == SpfResult::TempError && aligned(&spf.domain, &from, record.aspf))
    {
        // An aligned identifier could not be checked: it might have passed.
        DmarcResult::TempError
    } else {
        DmarcResult::Fail
    };
    if evaluation.result == DmarcResult::Fail {
        evaluation.policy = if facts.sample < record.pct {
            evaluation.published_policy
        } else {
            evaluation.published_policy.milder()
        };
    }
    evaluation.record = Some(record);
    evaluation
}

/// The finding DMARC makes (see the module comment). `arc_override`: the
/// trusted ARC sealer that reported `dmarc=pass`, if any.
pub fn check(evaluation: &DmarcEvaluation, settings: &DomainSettings, arc_override: Option<&str>) -> Option<Finding> {
    match evaluation.result {
        DmarcResult::Fail if settings.dmarc_enforce && arc_override.is_none() => {
            let record = evaluation.record.as_ref()?;
            let extra = format!(
                "{} p={} pct={}{}",
                evaluation.from_domain,
                evaluation.published_policy.as_str(),
                record.pct,
                if evaluation.policy == evaluation.published_policy { "" } else { " (outside the pct sample)" }
            );
            match evaluation.policy {
                Policy::Reject => Some(Finding::new("dmarc", MainClass::Phish, Subclass::DmarcReject, extra)),
                Policy::Quarantine => Some(Finding::new("dmarc", MainClass::Phish, Subclass::DmarcQuarantine, extra)),
                Policy::None => None,
            }
        }
        DmarcResult::TempError
            if settings.dmarc_enforce && settings.auth_temperror == AuthTempError::Defer && arc_override.is_none() =>
        {
            Some(
            Finding::new(
                "dmarc",
                MainClass::Error,
                Subclass::VerificationFail,
                format!("DMARC temperror for {}", evaluation.from_domain),
            )
            .with_error(ErrorClass::VerificationFail),
            )
        }
        DmarcResult::Fail | DmarcResult::TempError | DmarcResult::Pass | DmarcResult::None | DmarcResult::PermError => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::dkim::DkimSignature;
    use crate::checks::spf::SpfIdentity;
    use crate::verdict::decide;
    use sluice_model::Action;

    fn facts(from: &str, at_from: &[&str], at_org: Option<&[&str]>) -> DmarcFacts {
        let answer = |records: &[&str]| {
            if records.is_empty() { LookupOutcome::NotFound } else { LookupOutcome::Answer(records.iter().map(|r| (*r).to_owned()).collect()) }
        };
        DmarcFacts { from_domain: from.into(), at_from: answer(at_from), at_organisational: at_org.map(answer), sample: 50 }
    }

    fn spf(domain: &str, result: SpfResult) -> SpfFacts {
        SpfFacts { identity: SpfIdentity::MailFrom, domain: domain.into(), result, explanation: None }
    }

    fn signed(domain: &str, result: DkimResult) -> DkimFacts {
        DkimFacts {
            signatures: vec![DkimSignature {
                domain: domain.into(),
                selector: "s".into(),
                result,
                body_changed: false,
                key_published: Some(true),
                why: String::new(),
            }],
        }
    }

    #[test]
    fn records_are_read_with_their_defaults() {
        let record = parse_record("v=DMARC1; p=quarantine; sp=reject; pct=25; adkim=s; rua=mailto:x@example.org").expect("valid");
        assert_eq!(record, DmarcRecord { p: Policy::Quarantine, sp: Some(Policy::Reject), pct: 25, adkim: Alignment::Strict, aspf: Alignment::Relaxed });
        assert_eq!(parse_record("v=DMARC1;p=reject").map(|r| (r.pct, r.sp)), Some((100, None)));
        assert_eq!(parse_record("p=reject; v=DMARC1"), None, "v= must come first");
        assert_eq!(parse_record("v=DMARC1; p=bogus"), None);
        assert_eq!(parse_record("v=DMARC1; p=none; pct=150").map(|r| r.pct), Some(100));
    }

    #[test]
    fn organisational_domains_come_from_the_public_suffix_list() {
        assert_eq!(organisational_domain("mail.bank.example.co.uk"), "example.co.uk");
        assert_eq!(organisational_domain("a.b.example.com."), "example.com");
        assert_eq!(organisational_domain("Foo.Bank.Test"), "bank.test");
        assert!(aligned("mail.example.com", "example.com", Alignment::Relaxed));
        assert!(!aligned("mail.example.com", "example.com", Alignment::Strict));
        assert!(!aligned("example.co.uk", "other.co.uk", Alignment::Relaxed), "a public suffix aligns nothing");
    }

    #[test]
    fn aligned_spf_or_dkim_passes() {
        let record = ["v=DMARC1; p=reject"];
        let by_spf = evaluate(&facts("bank.example", &record, None), Some(&spf("bounce.bank.example", SpfResult::Pass)), &DkimFacts::default());
        assert_eq!((by_spf.result, by_spf.spf_aligned), (DmarcResult::Pass, true));
        let by_dkim = evaluate(&facts("bank.example", &record, None), None, &signed("bank.example", DkimResult::Pass));
        assert_eq!((by_dkim.result, by_dkim.dkim_aligned), (DmarcResult::Pass, true));
        let strict = evaluate(&facts("bank.example", &["v=DMARC1; p=reject; aspf=s"], None), Some(&spf("bounce.bank.example", SpfResult::Pass)), &DkimFacts::default());
        assert_eq!(strict.result, DmarcResult::Fail);
        let other = evaluate(&facts("bank.example", &record, None), Some(&spf("forger.example", SpfResult::Pass)), &signed("forger.example", DkimResult::Pass));
        assert_eq!((other.result, other.policy), (DmarcResult::Fail, Policy::Reject));
    }

    #[test]
    fn subdomains_take_sp_from_the_organisational_record() {
        let evaluation = evaluate(&facts("mail.bank.example", &[], Some(&["v=DMARC1; p=reject; sp=quarantine"])), None, &DkimFacts::default());
        assert_eq!((evaluation.result, evaluation.policy), (DmarcResult::Fail, Policy::Quarantine));
        let none = evaluate(&facts("bank.example", &["v=spf1 -all"], None), None, &DkimFacts::default());
        assert_eq!(none.result, DmarcResult::None);
        let two = evaluate(&facts("bank.example", &["v=DMARC1; p=none", "v=DMARC1; p=reject"], None), None, &DkimFacts::default());
        assert_eq!(two.result, DmarcResult::PermError);
    }

    #[test]
    fn pct_outside_the_sample_applies_the_milder_policy() {
        let mut outside = facts("bank.example", &["v=DMARC1; p=reject; pct=10"], None);
        outside.sample = 10;
        assert_eq!(evaluate(&outside, None, &DkimFacts::default()).policy, Policy::Quarantine);
        outside.sample = 9;
        assert_eq!(evaluate(&outside, None, &DkimFacts::default()).policy, Policy::Reject);
        let mut zero = facts("bank.example", &["v=DMARC1; p=quarantine; pct=0"], None);
        zero.sample = 0;
        assert_eq!(evaluate(&zero, None, &DkimFacts::default()).policy, Policy::None);
    }

    #[test]
    fn reject_is_not_quarantined_quarantine_is_and_arc_or_the_domain_can_lift_it() {
        let settings = DomainSettings::default();
        let reject = evaluate(&facts("bank.example", &["v=DMARC1; p=reject"], None), None, &DkimFacts::default());
        let verdict = decide(&[check(&reject, &settings, None).expect("a finding")], &settings);
        assert_eq!((verdict.sub, verdict.action, verdict.reply.code), (Subclass::DmarcReject, Action::Reject, 550));
        let quarantine = evaluate(&facts("bank.example", &["v=DMARC1; p=quarantine"], None), None, &DkimFacts::default());
        let verdict = decide(&[check(&quarantine, &settings, None).expect("a finding")], &settings);
        assert_eq!((verdict.sub, verdict.action), (Subclass::DmarcQuarantine, Action::Quarantine));
        assert_eq!(check(&reject, &settings, Some("lists.example.org")), None);
        assert_eq!(check(&reject, &DomainSettings { dmarc_enforce: false, ..settings.clone() }, None), None);
    }

    #[test]
    fn dns_failures_are_temperror() {
        let failed = DmarcFacts { from_domain: "bank.example".into(), at_from: LookupOutcome::TimedOut, ..DmarcFacts::default() };
        let evaluation = evaluate(&failed, None, &DkimFacts::default());
        assert_eq!(evaluation.result, DmarcResult::TempError);
        let settings = DomainSettings::default();
        assert_eq!(check(&evaluation, &settings, None).map(|finding| finding.sub), Some(Subclass::VerificationFail));
        assert_eq!(check(&evaluation, &settings, Some("lists.example.org")), None, "a trusted sealer vouches");
        let accept = DomainSettings { auth_temperror: AuthTempError::Accept, ..settings };
        assert_eq!(check(&evaluation, &accept, None), None);
        let key_failed = evaluate(&facts("bank.example", &["v=DMARC1; p=reject"], None), None, &signed("bank.example", DkimResult::TempError));
        assert_eq!(key_failed.result, DmarcResult::TempError);
    }
}
