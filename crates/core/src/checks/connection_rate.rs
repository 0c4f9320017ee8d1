//! Connection rate limits per client (an IPv4 address, or an IPv6 /64: one
//! subscriber's whole allocation), counted in fixed windows of a minute and of
//! an hour across every node of a cluster, and the early talker (a client that
//! sends before our greeting, as spam software that does not wait does).
//!
//! Fixed windows keep the shared counters one row per client and window; a burst
//! that straddles a window boundary may pass up to twice a limit before it is
//! refused, which is the documented price (docs/decisions.md).

use std::net::IpAddr;

use sluice_model::{Finding, MainClass, Reason, Subclass};

pub const NAME: &str = "connection-rate";

/// The two windows, in seconds.
pub const MINUTE: u64 = 60;
pub const HOUR: u64 = 3600;

/// The limits in force; 0 turns one off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub per_minute: u64,
    pub per_hour: u64,
}

/// What the client is counted as: its IPv4 address, or its IPv6 /64.
pub fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
        }
    }
}

/// The counter names of one client, for the minute and the hour windows.
pub fn counter_keys(ip: IpAddr) -> [String; 2] {
    let client = client_key(ip);
    [format!("connections/minute/{client}"), format!("connections/hour/{client}")]
}

/// `minute` and `hour` are the client's connections in the current windows,
/// this one included.
pub fn check(minute: u64, hour: u64, limits: RateLimits) -> Option<Finding> {
    if limits.per_minute > 0 && minute > limits.per_minute {
        let evidence = format!("{minute} connections this minute, limit {}", limits.per_minute);
        return Some(Finding::new(NAME, MainClass::Unknown, Subclass::Ratelimited, evidence).because(Reason::ConnectionRateMinute));
    }
    if limits.per_hour > 0 && hour > limits.per_hour {
        let evidence = format!("{hour} connections this hour, limit {}", limits.per_hour);
        return Some(Finding::new(NAME, MainClass::Unknown, Subclass::Ratelimited, evidence).because(Reason::ConnectionRateHour));
    }
    None
}

/// Whether this refusal is the first of its window: only that one is logged,
/// so a flood of refused connections makes one row per client and window.
pub fn first_refusal(minute: u64, hour: u64, limits: RateLimits) -> bool {
    minute == limits.per_minute + 1 || (minute <= limits.per_minute || limits.per_minute == 0) && hour == limits.per_hour + 1
}

/// A client that sent `bytes` before our greeting (RFC 5321 4.3.1: the client
/// waits for it) -> `spam` / `badly-formed`, 554: a protocol violation that spam
/// software makes and mail servers do not.
pub fn early_talker(bytes: usize) -> Finding {
    Finding::new("early-talker", MainClass::Spam, Subclass::BadlyFormed, format!("sent {bytes} bytes before the greeting"))
        .because(Reason::EarlyTalker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;

    const LIMITS: RateLimits = RateLimits { per_minute: 30, per_hour: 600 };

    fn reply(finding: Finding) -> String {
        decide(&[finding], &DomainSettings::default()).reply.line()
    }

    #[test]
    fn the_31st_connection_of_a_minute_is_refused_with_the_spec_text() {
        assert!(check(30, 30, LIMITS).is_none());
        assert_eq!(reply(check(31, 31, LIMITS).unwrap()), "421 4.7.0 Per-minute connection limit exceeded");
        assert_eq!(reply(check(5, 601, LIMITS).unwrap()), "421 4.7.0 Too many connections");
        assert!(check(1000, 100_000, RateLimits { per_minute: 0, per_hour: 0 }).is_none());
    }

    #[test]
    fn only_the_first_refusal_of_a_window_is_logged() {
        assert!(first_refusal(31, 31, LIMITS));
        assert!(!first_refusal(32, 32, LIMITS));
        assert!(first_refusal(10, 601, LIMITS));
        assert!(!first_refusal(10, 602, LIMITS));
        // Over both: the minute's first refusal is the one logged.
        assert!(!first_refusal(40, 601, LIMITS));
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        assert_eq!(client_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
    }

    #[test]
    fn an_early_talker_gets_554() {
        assert_eq!(reply(early_talker(10)), "554 5.5.1 Protocol error: talking before the greeting");
    }
}
