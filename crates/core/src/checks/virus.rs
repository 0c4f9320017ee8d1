//! Viruses: what the antivirus daemon (clamd) said about the message.
//!
//! The gateway scans the message before the classification and hands in the
//! outcome; this judge turns it into classes:
//! - a signature whose name starts with one of `[antivirus] third_party_prefixes`
//!   (Sanesecurity and other third-party sets) → `virus` / `pattern-set2`;
//! - any other signature (ClamAV's own databases) → `virus` / `pattern-set1`;
//!   extra = the signature name as clamd reported it;
//! - clamd down, slow or erroring → `error` / `antivirus-unavailable` (451: the
//!   sender retries, nothing unscanned is accepted), unless the recipient's
//!   domain sets `antivirus_fail_open`: then no finding, and the gateway writes
//!   into the log row's lookups that the message was accepted unscanned.
//!
//! Why a judge and not a content check: its fact comes from outside the message
//! (a lookup), like the lists and the rules.

use sluice_model::{Finding, MainClass, Subclass};

use crate::classify::Judge;
use crate::lookups::{LookupOutcome, Scanned};
use crate::message::MessageFacts;

pub const NAME: &str = "antivirus";

/// The scan of one message and how to read it.
pub struct VirusJudge<'a> {
    pub scan: &'a LookupOutcome<Scanned>,
    /// Signature-name prefixes of third-party signature sets.
    pub third_party_prefixes: &'a [String],
    /// Whether an unavailable scanner lets the message through.
    pub fail_open: bool,
}

impl Judge for VirusJudge<'_> {
    fn judge(&self, _facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        findings.extend(judge(self.scan, self.third_party_prefixes, self.fail_open));
    }
}

/// The finding for one scan outcome, if any.
pub fn judge(scan: &LookupOutcome<Scanned>, third_party_prefixes: &[String], fail_open: bool) -> Option<Finding> {
    match scan {
        LookupOutcome::Answer(Scanned::Clean) | LookupOutcome::NotFound => None,
        LookupOutcome::Answer(Scanned::Infected(signature)) => {
            let third_party = third_party_prefixes.iter().any(|prefix| !prefix.is_empty() && signature.starts_with(prefix.as_str()));
            let sub = if third_party { Subclass::PatternSet2 } else { Subclass::PatternSet1 };
            Some(Finding::new(NAME, MainClass::Virus, sub, signature.clone()))
        }
        LookupOutcome::TimedOut | LookupOutcome::Failed(_) if fail_open => None,
        LookupOutcome::TimedOut => {
            Some(Finding::new(NAME, MainClass::Error, Subclass::AntivirusUnavailable, "clamd did not answer in time"))
        }
        LookupOutcome::Failed(why) => Some(Finding::new(NAME, MainClass::Error, Subclass::AntivirusUnavailable, why.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;
    use sluice_model::Action;

    fn prefixes() -> Vec<String> {
        vec!["Sanesecurity.".to_owned(), "Sluice.ThirdParty.".to_owned()]
    }

    fn classes(scan: LookupOutcome<Scanned>, fail_open: bool) -> Option<(MainClass, Subclass, String)> {
        judge(&scan, &prefixes(), fail_open).map(|finding| (finding.main, finding.sub, finding.extra))
    }

    fn infected(name: &str) -> LookupOutcome<Scanned> {
        LookupOutcome::Answer(Scanned::Infected(name.to_owned()))
    }

    #[test]
    fn the_signature_name_says_whose_set_found_it() {
        assert_eq!(
            classes(infected("Eicar-Test-Signature"), false),
            Some((MainClass::Virus, Subclass::PatternSet1, "Eicar-Test-Signature".to_owned()))
        );
        assert_eq!(
            classes(infected("Sanesecurity.Phishing.Bank.123.UNOFFICIAL"), false).map(|found| found.1),
            Some(Subclass::PatternSet2)
        );
        assert_eq!(classes(infected("Sluice.ThirdParty.BodyPattern.UNOFFICIAL"), false).map(|found| found.1), Some(Subclass::PatternSet2));
        // A prefix matches at the start only, case and all.
        assert_eq!(classes(infected("Win.Sanesecurity.X"), false).map(|found| found.1), Some(Subclass::PatternSet1));
        assert_eq!(classes(infected("sanesecurity.x"), false).map(|found| found.1), Some(Subclass::PatternSet1));
        assert_eq!(classes(LookupOutcome::Answer(Scanned::Clean), false), None);
    }

    #[test]
    fn a_virus_is_refused_and_kept_for_an_admin() {
        let finding = judge(&infected("Eicar-Test-Signature"), &prefixes(), false).unwrap();
        let verdict = decide(&[finding], &DomainSettings::default());
        assert_eq!((verdict.action, verdict.reply.code, verdict.reply.enhanced), (Action::Quarantine, 550, [5, 7, 1]));
    }

    #[test]
    fn no_answer_refuses_temporarily_unless_the_domain_fails_open() {
        for scan in [LookupOutcome::TimedOut, LookupOutcome::Failed("connection refused".to_owned())] {
            let finding = judge(&scan, &prefixes(), false).unwrap();
            assert_eq!((finding.main, finding.sub), (MainClass::Error, Subclass::AntivirusUnavailable));
            let verdict = decide(&[finding], &DomainSettings::default());
            assert_eq!((verdict.action, verdict.reply.code, verdict.reply.enhanced), (Action::TempReject, 451, [4, 3, 0]));
            assert_eq!(judge(&scan, &prefixes(), true), None, "fail-open");
        }
        // A virus is refused even when the domain fails open.
        assert!(judge(&infected("Eicar-Test-Signature"), &prefixes(), true).is_some());
    }
}
