//! Classification of one message: facts, every check, the verdict.
//!
//! This is the single code path behind `sluice classify`, the SMTP gateway and the
//! fixture tests.

use std::panic::{AssertUnwindSafe, catch_unwind};

use sluice_model::{Finding, MainClass, Subclass, Verdict};

use crate::checks::DATA_CHECKS;
use crate::envelope::Envelope;
use crate::message::MessageFacts;
use crate::settings::DomainSettings;
use crate::verdict::{Precedence, decide, precedence, settle};

/// A classifier of the whole message that lives outside this crate (the
/// statistical classifiers): it scores the facts the checks already built.
pub trait Scorer: Send + Sync {
    /// A finding about the message: with a class, or scored (`Finding::with_scores`)
    /// for the verdict to settle with the recipient's thresholds.
    fn score(&self, facts: &MessageFacts<'_>) -> Finding;
}

/// Evidence about the message from outside the content checks that is always
/// gathered, before the scorers (so a settled finding of its own skips them): the
/// administrators' filtering rules (`checks::rules::RulesJudge`), which read the
/// message from this one parse.
pub trait Judge: Send + Sync {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>);
}

/// The outcome of classifying one message.
#[derive(Clone, Debug)]
pub struct Classification {
    pub verdict: Verdict,
    /// Every finding, including those that did not decide (for the log and tests).
    pub findings: Vec<Finding>,
    /// The decoded subject, for the log.
    pub subject: String,
}

/// Runs every content check over `raw` and decides. Never panics: a check that
/// panics on hostile input becomes an `error` / `unknown` finding (451, the sender
/// retries) rather than taking the session down.
pub fn classify(raw: &[u8], envelope: &Envelope, settings: &DomainSettings, now: i64) -> Classification {
    classify_measured(raw, envelope, settings, now, None)
}

/// [`classify`] with the longest line already measured by the gateway's
/// [`crate::message::LineMeter`] while DATA streamed in (`None`: measure `raw`).
pub fn classify_measured(
    raw: &[u8],
    envelope: &Envelope,
    settings: &DomainSettings,
    now: i64,
    longest_line: Option<usize>,
) -> Classification {
    classify_scored(raw, envelope, settings, now, longest_line, &[])
}

/// [`classify_measured`] plus `scorers`. Scorers run only when no check already
/// decided ahead of the combined score (a GTUBE or a badly formed message needs no
/// statistics), which keeps their cost off messages that are settled.
pub fn classify_scored(
    raw: &[u8],
    envelope: &Envelope,
    settings: &DomainSettings,
    now: i64,
    longest_line: Option<usize>,
    scorers: &[&dyn Scorer],
) -> Classification {
    classify_with_checks(raw, envelope, settings, now, longest_line, DATA_CHECKS, scorers)
}

/// Classifies a message its caller parsed (`MessageFacts::with_longest_line`),
/// with `judges` run after the content checks. The gateway gathers facts from the
/// same parse first (the URL block lists are asked about the message's own URLs)
/// so that a message is parsed once.
pub fn classify_parsed(
    facts: &MessageFacts<'_>,
    settings: &DomainSettings,
    scorers: &[&dyn Scorer],
    judges: &[&dyn Judge],
) -> Classification {
    judge_and_decide(facts, settings, DATA_CHECKS, scorers, judges, Scoring::WhenUnsettled)
}

/// [`classify_scored`] with a chosen list of content checks instead of
/// [`DATA_CHECKS`]: for benchmarks that measure what a set of checks costs.
pub fn classify_with_checks(
    raw: &[u8],
    envelope: &Envelope,
    settings: &DomainSettings,
    now: i64,
    longest_line: Option<usize>,
    checks: &[(&str, crate::checks::DataCheck)],
    scorers: &[&dyn Scorer],
) -> Classification {
    run(raw, envelope, settings, now, longest_line, checks, scorers, &[], Scoring::WhenUnsettled)
}

/// [`classify_scored`] that runs the scorers even when a check already decided,
/// so that an explanation shows every piece of evidence (`sluice explain`).
pub fn classify_explained(
    raw: &[u8],
    envelope: &Envelope,
    settings: &DomainSettings,
    now: i64,
    scorers: &[&dyn Scorer],
    judges: &[&dyn Judge],
) -> Classification {
    run(raw, envelope, settings, now, None, DATA_CHECKS, scorers, judges, Scoring::Always)
}

/// When the scorers run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scoring {
    /// Only when no check decided ahead of the combined score.
    WhenUnsettled,
    Always,
}

#[allow(clippy::too_many_arguments)]
fn run(
    raw: &[u8],
    envelope: &Envelope,
    settings: &DomainSettings,
    now: i64,
    longest_line: Option<usize>,
    checks: &[(&str, crate::checks::DataCheck)],
    scorers: &[&dyn Scorer],
    judges: &[&dyn Judge],
    scoring: Scoring,
) -> Classification {
    match catch_unwind(AssertUnwindSafe(|| MessageFacts::with_longest_line(raw, envelope, now, longest_line))) {
        Ok(facts) => judge_and_decide(&facts, settings, checks, scorers, judges, scoring),
        Err(_) => decide_failed(settings),
    }
}

/// Every check, judge and (when `scoring` says so) scorer on one parse, then the
/// verdict. A check that panics costs the message a temporary failure, not the
/// process.
fn judge_and_decide(
    facts: &MessageFacts<'_>,
    settings: &DomainSettings,
    checks: &[(&str, crate::checks::DataCheck)],
    scorers: &[&dyn Scorer],
    judges: &[&dyn Judge],
    scoring: Scoring,
) -> Classification {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // Filtering off for the recipient: the message is not judged, unless
        // an explanation asks to see what would have been found.
        let mut findings: Vec<Finding> = crate::checks::filtering::check(settings).into_iter().collect();
        if !findings.is_empty() && scoring == Scoring::WhenUnsettled {
            return (findings, facts.subject().to_owned());
        }
        for (_, check) in checks {
            check(facts, settings, &mut findings);
        }
        for judge in judges {
            judge.judge(facts, &mut findings);
        }
        let settled = findings.iter().any(|finding| precedence(finding.main, finding.sub) < Precedence::Scored);
        if !settled || scoring == Scoring::Always {
            for scorer in scorers {
                findings.push(scorer.score(facts));
            }
        }
        (findings, facts.subject().to_owned())
    }));
    match outcome {
        Ok((findings, subject)) => decided(findings, subject, settings),
        Err(_) => decide_failed(settings),
    }
}

/// The verdict of a message on which a check (or the parser) panicked.
fn decide_failed(settings: &DomainSettings) -> Classification {
    let finding = Finding::new("classify", MainClass::Error, Subclass::Unknown, "a check failed on this message");
    decided(vec![finding], String::new(), settings)
}

fn decided(mut findings: Vec<Finding>, subject: String, settings: &DomainSettings) -> Classification {
    // Settled once here, so the findings kept for the log carry their classes;
    // the heuristic and reputation evidence first joins the statistical finding.
    crate::combined::attach_features(&mut findings);
    for finding in findings.iter_mut().filter(|finding| finding.scored.is_some()) {
        *finding = settle(finding, settings);
    }
    let verdict = decide(&findings, settings);
    Classification {
        verdict,
        findings,
        subject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_model::Action;

    /// A scorer that is always unsure, to test what the domain does with that.
    struct AlwaysUnsure;

    impl Scorer for AlwaysUnsure {
        fn score(&self, _facts: &MessageFacts<'_>) -> Finding {
            Finding::new("test", MainClass::Unsure, Subclass::Combined, "0.7000").with_score(0.7)
        }
    }

    fn verdict(settings: &DomainSettings) -> Verdict {
        let raw = b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
        let envelope = Envelope::default();
        let settings = DomainSettings { max_date_skew: std::time::Duration::ZERO, ..settings.clone() };
        classify_scored(raw, &envelope, &settings, 0, None, &[&AlwaysUnsure]).verdict
    }

    #[test]
    fn a_panicking_check_gives_451_error_unknown() {
        fn panics(_: &MessageFacts<'_>, _: &DomainSettings, _: &mut Vec<Finding>) {
            panic!("a check that fails on hostile input");
        }
        let raw = b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
        let checks: &[(&str, crate::checks::DataCheck)] = &[("panics", panics)];
        let verdict =
            classify_with_checks(raw, &Envelope::default(), &DomainSettings::default(), 0, None, checks, &[]).verdict;
        assert_eq!((verdict.main, verdict.sub, verdict.reply.code), (MainClass::Error, Subclass::Unknown, 451));
        assert_eq!(verdict.action, Action::TempReject);
    }

    #[test]
    fn filtering_off_delivers_gtube_unjudged() {
        let raw = b"From: a@example.org\r\nSubject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";
        let off = DomainSettings { filtering: false, ..DomainSettings::default() };
        let classification = classify_scored(raw, &Envelope::default(), &off, 0, None, &[&AlwaysUnsure]);
        let verdict = classification.verdict;
        assert_eq!((verdict.main, verdict.sub, verdict.action), (MainClass::Unknown, Subclass::Disabled, Action::Deliver));
        assert_eq!(classification.findings.len(), 1, "no check and no scorer ran: {:?}", classification.findings);
        assert_eq!(classification.subject, "test");
        // An explanation still shows what would have been found.
        let explained = classify_explained(raw, &Envelope::default(), &off, 0, &[&AlwaysUnsure], &[]);
        assert_eq!(explained.verdict.sub, Subclass::Disabled);
        assert!(explained.findings.iter().any(|finding| finding.sub == Subclass::Gtube));
        let on = DomainSettings { max_date_skew: std::time::Duration::ZERO, ..DomainSettings::default() };
        assert_eq!(classify_scored(raw, &Envelope::default(), &on, 0, None, &[]).verdict.sub, Subclass::Gtube);
    }

    #[test]
    fn unsure_is_delivered_or_held_as_the_domain_says() {
        let delivered = verdict(&DomainSettings::default());
        assert_eq!((delivered.main, delivered.action), (MainClass::Unsure, Action::Deliver));
        let held = verdict(&DomainSettings { quarantine_unsure: true, ..DomainSettings::default() });
        assert_eq!((held.main, held.action), (MainClass::Unsure, Action::Quarantine));
        assert_eq!(held.reply.code, 250, "held, not refused");
        assert_eq!(held.score, Some(0.7));
    }
}
