//! The vocabulary of Sluice: classes, findings, verdicts and SMTP replies.
//!
//! Every class name of the specification (listed in `docs/classes.md`) is spelled
//! exactly once, in an `as_str()` below. Other crates never write a class name as a
//! string literal: they name the enum variant, so a typo is a compile error rather
//! than a silent new class in the log.
//!
//! This crate has no logic beyond naming and formatting; the precedence that turns
//! findings into a verdict lives in `sluice-core::verdict`.

use std::fmt;

use serde::{Deserialize, Serialize};

mod classes;

pub use classes::{ErrorClass, MainClass, Precedence, Reason, Subclass, UnknownName};

/// What the gateway does with a message once its verdict is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Accept (2xx) and relay to the domain's destination.
    Deliver,
    /// Refuse (5xx) and keep a releasable copy in the quarantine.
    Quarantine,
    /// Refuse (5xx) without keeping a copy.
    Reject,
    /// Refuse for now (4xx); the sending server retries.
    TempReject,
    /// Accept (2xx) and deliver nowhere (blackhole addresses).
    Discard,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deliver => "deliver",
            Action::Quarantine => "quarantine",
            Action::Reject => "reject",
            Action::TempReject => "temp-reject",
            Action::Discard => "discard",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        [
            Action::Deliver,
            Action::Quarantine,
            Action::Reject,
            Action::TempReject,
            Action::Discard,
        ]
        .into_iter()
        .find(|action| action.as_str() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One SMTP reply: basic code, RFC 3463 enhanced code and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpReply {
    pub code: u16,
    /// Enhanced status code as `[class, subject, detail]`, e.g. `[5, 7, 1]`.
    pub enhanced: [u16; 3],
    pub text: String,
}

impl SmtpReply {
    pub fn new(code: u16, enhanced: [u16; 3], text: impl Into<String>) -> SmtpReply {
        SmtpReply {
            code,
            enhanced,
            text: text.into(),
        }
    }

    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// The reply as it is written on the wire, without the trailing CRLF.
    pub fn line(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SmtpReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [class, subject, detail] = self.enhanced;
        write!(f, "{} {class}.{subject}.{detail} {}", self.code, self.text)
    }
}

/// What one check found. A check reports evidence; it never picks an action, a
/// reply or a precedence (that is `sluice-core::verdict::decide`, which looks the
/// reply up from the class and the [`Reason`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The module that produced the finding, for logs and debugging.
    pub check: &'static str,
    pub main: MainClass,
    pub sub: Subclass,
    /// Why, within the class: one class may be reached for several reasons that
    /// the sending server is told apart (a too-long line and a too-long header
    /// are both `badly-formed`).
    pub reason: Reason,
    /// The evidence shown in the log's Extra Class column.
    pub extra: String,
    /// A probability of spam in `[0, 1]` for scored findings.
    pub score: Option<f64>,
    /// Set when a dependency failed while producing this finding.
    pub error: Option<ErrorClass>,
    /// The probabilities a scored classifier reports instead of a class: the
    /// finding's classes are set by `sluice-core::verdict::settle` with the
    /// recipient's thresholds (until then `unsure` / `combined`).
    pub scored: Option<Box<Scored>>,
    /// Set on a finding that is evidence for the combined score only and never
    /// decides by itself (a heuristic set's sum under its limit, a sender's
    /// reputation short of a strong history): the value of that feature.
    /// `sluice-core::verdict::decide` passes over such findings; they are kept for
    /// the log like every other.
    pub evidence: Option<f64>,
}

/// What the statistical classifiers found: every trusted classifier's calibrated
/// probability of spam and their combination. Which class that makes depends on
/// the recipient's thresholds, so it is decided with the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    /// `(classifier, probability)`, this installation's own (cluster) classifiers
    /// first: on a tie, what it learned names the class.
    pub classifiers: Vec<(Subclass, f64)>,
    /// The calibrated combination of every trusted classifier.
    pub combined: f64,
    /// How sure one classifier must be to decide alone (`[statistical]
    /// decisive_confidence`).
    pub decisive_confidence: f64,
    /// The evidence of the other classifiers for the combined score
    /// (`sluice-core::combined`): `(heuristic-set1 | heuristic-set2 |
    /// sender-reputation, value)`, gathered from the evidence findings of the same
    /// message. Empty until then.
    pub features: Vec<(Subclass, f64)>,
    /// How far the evidence fitted on the shipped corpus counts on this
    /// installation's stream (`sluice-statistical::familiarity`): 1 on mail like
    /// that corpus or once the installation's own models are trusted, less on a
    /// stream of another source or era. The global model's probabilities above are
    /// tempered by it already; the combined score tempers the shipped heuristic
    /// set's weight with it.
    pub temperature: f64,
    /// The share of `combined` that is the shipped global model's evidence: 1
    /// while the installation's own models are not trusted, then what the scope
    /// weights leave it. The combined score's intercept corrects that model's
    /// evidence and counts in this share.
    pub global_share: f64,
}

impl Finding {
    /// A scored finding, to be settled by the verdict (see [`Finding::scored`]).
    pub fn with_scores(check: &'static str, scored: Scored) -> Finding {
        let combined = scored.combined;
        Finding {
            scored: Some(Box::new(scored)),
            ..Finding::new(check, MainClass::Unsure, Subclass::Combined, format!("{combined:.4}")).with_score(combined)
        }
    }

    pub fn new(check: &'static str, main: MainClass, sub: Subclass, extra: impl Into<String>) -> Finding {
        Finding {
            check,
            main,
            sub,
            reason: Reason::Class,
            extra: extra.into(),
            score: None,
            error: None,
            scored: None,
            evidence: None,
        }
    }

    /// This finding as evidence for the combined score only (see
    /// [`Finding::evidence`]), with the feature's `value`.
    pub fn as_evidence(mut self, value: f64) -> Finding {
        self.evidence = Some(value);
        self
    }

    pub fn with_score(mut self, score: f64) -> Finding {
        self.score = Some(score);
        self
    }

    pub fn with_error(mut self, error: ErrorClass) -> Finding {
        self.error = Some(error);
        self
    }

    pub fn because(mut self, reason: Reason) -> Finding {
        self.reason = reason;
        self
    }
}

/// The decision about one message (or one recipient, at RCPT time): the four log
/// columns, the optional score, what happens to the message and what the sending
/// server is told.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub main: MainClass,
    pub sub: Subclass,
    /// The deciding finding's reason (`Class` when nothing was found).
    pub reason: Reason,
    pub error: Option<ErrorClass>,
    pub extra: String,
    pub score: Option<f64>,
    pub action: Action,
    pub reply: SmtpReply,
    /// The check whose finding decided, empty when nothing was found.
    pub decided_by: &'static str,
    /// Which finding decided and which would have decided next.
    pub path: DecisionPath,
}

/// How a verdict was reached: the tier and index (into the transaction's
/// findings) of the finding that decided, and of the one that would have decided
/// without it. `None` when there was no such finding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecisionPath {
    pub decided: Option<(Precedence, usize)>,
    pub next: Option<(Precedence, usize)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_formats_like_the_wire() {
        let reply = SmtpReply::new(550, [5, 7, 1], "Relay not permitted!");
        assert_eq!(reply.line(), "550 5.7.1 Relay not permitted!");
        assert!(reply.is_permanent());
        assert!(!reply.is_transient());
    }

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in [
            Action::Deliver,
            Action::Quarantine,
            Action::Reject,
            Action::TempReject,
            Action::Discard,
        ] {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
    }
}
