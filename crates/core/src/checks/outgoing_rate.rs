//! Per-user message limits on outgoing mail: messages an authenticated user
//! submitted and we accepted, counted per hour and per day in fixed windows
//! shared by the cluster. Past either limit the user's next transaction is
//! refused at MAIL FROM with `451 4.7.1 Too many messages. Please wait for a
//! while and try again.` (`block-list` / `ratelimited`): a compromised account
//! stops spamming the world within one window, a legitimate user retries later.
//!
//! Settings (per scope; the mailbox scope is the authenticated user's address):
//! `outgoing_messages_per_hour` (default 100) and `outgoing_messages_per_day`
//! (default 500); 0 turns one off. A message counts once whatever its number of
//! recipients (those are bounded by `[smtp] max_recipients`).

use sluice_model::{Finding, MainClass, Subclass};

pub const NAME: &str = "outgoing-rate";

/// The two windows, in seconds.
pub const HOUR: u64 = 3600;
pub const DAY: u64 = 24 * 3600;

/// The limits in force for one user; 0 turns one off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageLimits {
    pub per_hour: u64,
    pub per_day: u64,
}

/// The counter names of one user's accepted messages, hour and day windows.
pub fn counter_keys(user: &str) -> [String; 2] {
    let user = user.to_ascii_lowercase();
    [format!("outgoing/hour/{user}"), format!("outgoing/day/{user}")]
}

/// The counter of one user's refused transactions in the hour: the first
/// refusal of a window is the one logged.
pub fn refusal_key(user: &str) -> String {
    format!("outgoing-refused/hour/{}", user.to_ascii_lowercase())
}

/// `hour` and `day` are the messages the user sent in the current windows
/// (before the one it is about to send).
pub fn check(hour: u64, day: u64, limits: MessageLimits) -> Option<Finding> {
    if limits.per_hour > 0 && hour >= limits.per_hour {
        let evidence = format!("{hour} messages this hour, limit {}", limits.per_hour);
        return Some(Finding::new(NAME, MainClass::BlockList, Subclass::Ratelimited, evidence));
    }
    if limits.per_day > 0 && day >= limits.per_day {
        let evidence = format!("{day} messages today, limit {}", limits.per_day);
        return Some(Finding::new(NAME, MainClass::BlockList, Subclass::Ratelimited, evidence));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;

    const LIMITS: MessageLimits = MessageLimits { per_hour: 3, per_day: 10 };

    #[test]
    fn the_message_past_the_hourly_limit_gets_the_spec_reply() {
        assert!(check(2, 2, LIMITS).is_none(), "the third message of the hour passes");
        let refused = check(3, 3, LIMITS).expect("the fourth is refused");
        assert_eq!((refused.main, refused.sub), (MainClass::BlockList, Subclass::Ratelimited));
        assert_eq!(
            decide(&[refused], &DomainSettings::default()).reply.line(),
            "451 4.7.1 Too many messages. Please wait for a while and try again."
        );
        assert!(check(0, 10, LIMITS).unwrap().extra.contains("today"));
    }

    #[test]
    fn zero_turns_a_limit_off() {
        assert!(check(1_000_000, 1_000_000, MessageLimits { per_hour: 0, per_day: 0 }).is_none());
        assert!(check(1_000_000, 0, MessageLimits { per_hour: 0, per_day: 5 }).is_none());
    }

    #[test]
    fn users_are_counted_case_insensitively() {
        assert_eq!(counter_keys("Alice@Example.TEST"), counter_keys("alice@example.test"));
    }
}
