//! What a lookup in the outside world (DNS, an antivirus daemon, counters shared by
//! cluster nodes) came back with, as a fact the pure checks read. A failed or slow
//! dependency is an outcome like any other, so each check decides what it means
//! for it (a temporary refusal, an `error` class, or nothing), and no lookup error
//! is ever swallowed on the way.

/// The outcome of one lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupOutcome<T> {
    /// The service answered with data.
    Answer(T),
    /// The service answered that there is no such thing (NXDOMAIN, not listed).
    NotFound,
    /// No answer within the lookup's deadline.
    TimedOut,
    /// The service failed (refused, SERVFAIL, a broken connection), with why.
    Failed(String),
}

impl<T> LookupOutcome<T> {
    /// The outcome's name, as logged.
    pub fn describe(&self) -> &'static str {
        match self {
            LookupOutcome::Answer(_) => "answer",
            LookupOutcome::NotFound => "not-found",
            LookupOutcome::TimedOut => "timed-out",
            LookupOutcome::Failed(_) => "failed",
        }
    }

    pub fn answer(&self) -> Option<&T> {
        match self {
            LookupOutcome::Answer(answer) => Some(answer),
            _ => None,
        }
    }

    /// Whether the dependency could not say (timed out or failed): what a check
    /// turns into a temporary refusal when it needs the answer.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, LookupOutcome::TimedOut | LookupOutcome::Failed(_))
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> LookupOutcome<U> {
        match self {
            LookupOutcome::Answer(answer) => LookupOutcome::Answer(f(answer)),
            LookupOutcome::NotFound => LookupOutcome::NotFound,
            LookupOutcome::TimedOut => LookupOutcome::TimedOut,
            LookupOutcome::Failed(why) => LookupOutcome::Failed(why),
        }
    }
}

/// What an antivirus daemon said about some bytes (the answer of a
/// [`LookupOutcome`]; a daemon that could not scan them is `Failed` with why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scanned {
    Clean,
    /// The signature's name, as the daemon reported it.
    Infected(String),
}

/// One lookup as the log keeps it: what was asked, how it ended, how long it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupRecord {
    pub what: String,
    pub outcome: &'static str,
    pub took_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_means_the_dependency_could_not_say() {
        assert!(LookupOutcome::<()>::TimedOut.is_unavailable());
        assert!(LookupOutcome::<()>::Failed("SERVFAIL".into()).is_unavailable());
        assert!(!LookupOutcome::<()>::NotFound.is_unavailable());
        assert_eq!(LookupOutcome::Answer(2).map(|n| n * 2).answer(), Some(&4));
        assert_eq!(LookupOutcome::<u8>::NotFound.describe(), "not-found");
    }
}
