//! Brute-force lockout of SMTP AUTH: failed authentications are counted per
//! client (IPv4 address, IPv6 /64) and per user name in fixed windows shared
//! by the cluster (`[outgoing] auth_failures_limit`, default 5, in
//! `auth_failures_window`, default 10 minutes). From the limit on, every AUTH
//! from that client or for that name is answered `454 4.7.0 You have been
//! denied authentication` until the window ends, the right password included
//! (an attacker must not learn that a guess was right).
//!
//! The specification gives the lockout no class (it is the "auth log"), so
//! this check reports a [`Lockout`], not a finding; the gateway answers the
//! spec's reply and writes one auth-log row when a lockout begins.

use std::net::IpAddr;

use crate::checks::connection_rate::client_key;

/// The counter names of a client's and of a user name's failed AUTH.
pub fn counter_keys(ip: IpAddr, user: &str) -> [String; 2] {
    [client_counter_key(ip), user_counter_key(user)]
}

pub fn client_counter_key(ip: IpAddr) -> String {
    format!("auth-failures/ip/{}", client_key(ip))
}

pub fn user_counter_key(user: &str) -> String {
    format!("auth-failures/user/{}", user.to_ascii_lowercase())
}

/// What is locked out, and why (for the auth log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lockout {
    /// `client` or `user`.
    pub scope: &'static str,
    pub evidence: String,
}

/// `client_failures` and `user_failures` in the current window against
/// `limit` (0: off). `user_failures` is `None` before the name is known.
pub fn check(client_failures: u64, user_failures: Option<u64>, limit: u64) -> Option<Lockout> {
    if limit == 0 {
        return None;
    }
    if client_failures >= limit {
        return Some(Lockout { scope: "client", evidence: format!("{client_failures} failed AUTH from this client, limit {limit}") });
    }
    match user_failures {
        Some(failures) if failures >= limit => {
            Some(Lockout { scope: "user", evidence: format!("{failures} failed AUTH for this user name, limit {limit}") })
        }
        _ => None,
    }
}

/// Whether the failure just counted (the counts after it) started a lockout:
/// exactly the limit was reached, so a lockout makes one log row, not one per
/// attempt.
pub fn begins_lockout(client_failures: u64, user_failures: u64, limit: u64) -> bool {
    limit > 0 && (client_failures == limit || user_failures == limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_client_or_the_name_out() {
        assert_eq!(check(4, Some(4), 5), None);
        assert_eq!(check(5, None, 5).map(|lockout| lockout.scope), Some("client"));
        assert_eq!(check(0, Some(5), 5).map(|lockout| lockout.scope), Some("user"));
        assert_eq!(check(100, Some(100), 0), None, "0 turns the lockout off");
    }

    #[test]
    fn only_the_failure_that_reaches_the_limit_begins_a_lockout() {
        assert!(!begins_lockout(4, 4, 5));
        assert!(begins_lockout(5, 1, 5));
        assert!(begins_lockout(1, 5, 5));
        assert!(!begins_lockout(6, 6, 5));
        assert!(!begins_lockout(1, 1, 0));
    }

    #[test]
    fn names_are_counted_case_insensitively_and_ipv6_per_64() {
        assert_eq!(user_counter_key("Bob@Example.TEST"), user_counter_key("bob@example.test"));
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        assert_eq!(client_counter_key(a), client_counter_key(b));
    }
}
