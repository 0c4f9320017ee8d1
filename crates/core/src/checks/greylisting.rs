//! Reputation-gated greylisting: only a client with no standing is asked to
//! come back later. A client has standing when it is on a DNS allow list or the
//! allow list, when mail from its network (IPv4 /24, IPv6 /64) was accepted
//! within the history window, or when its sender passed SPF for a domain whose
//! mail was already accepted from that network. Without standing, the first
//! transaction of a (network, sender, recipient) triplet gets 451 4.7.1; a retry
//! after the delay and within the retry window passes, and the accepted message
//! gives the network its standing. Real mail servers retry; most spam engines
//! do not, and those that do have been delayed into the block lists' reach.

use std::net::IpAddr;

use sluice_model::{Finding, MainClass, Reason, Subclass};

pub const NAME: &str = "greylisting";

/// `[greylisting]`, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GreylistPolicy {
    /// How long a new triplet must wait before its retry passes.
    pub delay_ms: i64,
    /// How long after its first sighting a retry still passes.
    pub retry_window_ms: i64,
    /// How long accepted mail gives a network its standing.
    pub history_ms: i64,
}

/// What is known of the client before its triplet is looked at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    /// On a DNS allow list.
    pub dnswl: bool,
    /// Covered by an allow-list entry.
    pub allow_listed: bool,
    /// When mail from its network was last accepted (ms).
    pub last_accepted: Option<i64>,
    /// When mail from the envelope sender's domain, with SPF passing, was
    /// last accepted from its network (ms); counted only when SPF passes now.
    pub sender_domain_last_accepted: Option<i64>,
    /// SPF passed for the envelope sender of this transaction.
    pub spf_pass: bool,
}

/// The network a client's standing and triplets are kept for.
pub fn network_of(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(_) => crate::checks::connection_rate::client_key(ip),
    }
}

/// The triplet's key: network, sender and recipient (both lower case).
pub fn triplet(ip: IpAddr, sender: &str, recipient: &str) -> String {
    format!("{}|{}|{}", network_of(ip), sender.to_ascii_lowercase(), recipient.to_ascii_lowercase())
}

/// Why the client is not greylisted, if it is not.
pub fn exemption(standing: &Standing, now_ms: i64, policy: &GreylistPolicy) -> Option<&'static str> {
    let recent = |when: Option<i64>| when.is_some_and(|when| now_ms - when <= policy.history_ms);
    if standing.dnswl {
        Some("DNS allow list")
    } else if standing.allow_listed {
        Some("allow list")
    } else if recent(standing.last_accepted) {
        Some("mail accepted from its network")
    } else if standing.spf_pass && recent(standing.sender_domain_last_accepted) {
        Some("SPF pass for a sender domain already accepted from its network")
    } else {
        None
    }
}

/// The retry window a triplet first seen before this is over: its next
/// sighting starts it again.
pub fn expired_before(now_ms: i64, policy: &GreylistPolicy) -> i64 {
    now_ms - policy.retry_window_ms
}

/// `first_seen` is the triplet's first sighting in force (now, for a new one).
pub fn check(first_seen: i64, now_ms: i64, policy: &GreylistPolicy) -> Option<Finding> {
    let waited = now_ms - first_seen;
    if waited >= policy.delay_ms {
        return None;
    }
    let left = (policy.delay_ms - waited + 999) / 1000;
    Some(
        Finding::new(NAME, MainClass::Unknown, Subclass::Ratelimited, format!("greylisted (retry in {left} s)"))
            .because(Reason::Greylisted),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DomainSettings;
    use crate::verdict::decide;

    const POLICY: GreylistPolicy = GreylistPolicy { delay_ms: 60_000, retry_window_ms: 86_400_000, history_ms: 35 * 86_400_000 };

    #[test]
    fn a_new_triplet_waits_the_delay() {
        let finding = check(1_000, 1_000, &POLICY).expect("new");
        assert_eq!(decide(std::slice::from_ref(&finding), &DomainSettings::default()).reply.line(), "451 4.7.1 Greylisted, please try again later");
        assert!(finding.extra.starts_with("greylisted"));
        assert!(check(1_000, 30_000, &POLICY).is_some(), "too early");
        assert!(check(1_000, 61_000, &POLICY).is_none(), "after the delay");
        assert_eq!(expired_before(100_000_000, &POLICY), 100_000_000 - 86_400_000);
    }

    #[test]
    fn standing_exempts() {
        let now = 100 * 86_400_000;
        assert_eq!(exemption(&Standing::default(), now, &POLICY), None);
        assert!(exemption(&Standing { dnswl: true, ..Standing::default() }, now, &POLICY).is_some());
        assert!(exemption(&Standing { last_accepted: Some(now - 86_400_000), ..Standing::default() }, now, &POLICY).is_some());
        assert_eq!(exemption(&Standing { last_accepted: Some(now - 40 * 86_400_000), ..Standing::default() }, now, &POLICY), None);
        let seen = Standing { sender_domain_last_accepted: Some(now - 1000), ..Standing::default() };
        assert_eq!(exemption(&seen, now, &POLICY), None, "only with an SPF pass now");
        assert!(exemption(&Standing { spf_pass: true, ..seen }, now, &POLICY).is_some());
    }

    #[test]
    fn networks_are_24s_and_64s() {
        assert_eq!(network_of("192.0.2.77".parse().unwrap()), "192.0.2.0/24");
        assert_eq!(network_of("2001:db8::5".parse().unwrap()), "2001:db8:0:0::/64");
        assert_eq!(triplet("192.0.2.1".parse().unwrap(), "A@Example.org", "Bob@example.net"), "192.0.2.0/24|a@example.org|bob@example.net");
    }
}
