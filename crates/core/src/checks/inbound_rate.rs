//! Inbound message floods at one recipient, judged at RCPT:
//! - a **mail bomb**: one client network ([`flood_network`]: IPv4 /24, IPv6
//!   /48, what one sender holds) sending message after message to one
//!   mailbox: `inbound_messages_per_hour` (default 200);
//! - a **backscatter storm**: bounces (null sender) of mail forged in the
//!   recipient's name, from servers all over the internet:
//!   `bounces_per_hour` (default 30), per recipient from anywhere.
//!
//! Past either limit the recipient is deferred: `451 4.7.1 Too many messages
//! for this recipient, please try again later` (`spam` / `ratelimited`, reason
//! `inbound-rate` or `bounce-rate`; the extra class says the count and the
//! limit). Temporary, never 5xx: a burst of real mail is slowed, not lost, and
//! no copy is taken. 0 turns a limit off.
//!
//! The recipient is counted as its mailbox ([`mailbox`]): in lower case, a
//! quoted local part unquoted and a `+tag` sub-address dropped, so a mail
//! bomber cannot spread one mailbox's flood over `Bob@`, `"bob"@` and
//! `bob+1@`, `bob+2@`... (the destination delivers them all to one mailbox).
//!
//! Messages are counted when they are accepted (250), in fixed hours shared by
//! the cluster, as the outgoing limit counts (`outgoing_rate`); the recipients
//! already accepted in the same transaction count too (`pending` in
//! [`Counts`]), so one message to `bob+1@` ... `bob+99@` is not 99 messages
//! past a limit that the first RCPT saw unreached. A client the
//! administrators vouch for (`[limits] exempt`, an allow entry or rule that
//! matched, a DNS allow list) is not counted against the first limit; every
//! bounce counts against the second, whoever relays it.

use std::net::IpAddr;

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::settings::DomainSettings;

pub const NAME: &str = "inbound-rate";

/// The window, in seconds.
pub const HOUR: u64 = 3600;

/// The limits in force for one recipient; 0 turns one off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InboundLimits {
    pub messages_per_hour: u64,
    pub bounces_per_hour: u64,
}

impl InboundLimits {
    pub fn of(settings: &DomainSettings) -> InboundLimits {
        InboundLimits { messages_per_hour: settings.inbound_messages_per_hour, bounces_per_hour: settings.bounces_per_hour }
    }
}

/// The counters a message for one recipient counts in (the hour window): the
/// client network's messages to it, and its bounces. `None` where a limit is
/// off or does not apply (an exempt client; a sender that is not null).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub messages: Option<String>,
    pub bounces: Option<String>,
}

impl Counters {
    pub fn is_empty(&self) -> bool {
        self.messages.is_none() && self.bounces.is_none()
    }
}

/// The counters of a message from `client` to `recipient`; `bounce` when the
/// envelope sender is null, `client_exempt` when the administrators vouch for
/// the client (it is then not counted against `messages_per_hour`).
pub fn counters(client: IpAddr, recipient: &str, bounce: bool, client_exempt: bool, limits: InboundLimits) -> Counters {
    let recipient = mailbox(recipient);
    Counters {
        messages: (limits.messages_per_hour > 0 && !client_exempt)
            .then(|| format!("inbound/hour/{}/{recipient}", flood_network(client))),
        bounces: (bounce && limits.bounces_per_hour > 0).then(|| format!("bounces/hour/{recipient}")),
    }
}

/// The counter of refusals for `finding` (one of [`check`]'s): the first
/// refusal of an hour is the one logged, so a flood makes one row per client
/// network and recipient (a mail bomb) or per recipient (a bounce storm, which
/// comes from everywhere) and hour, not one per refused recipient.
pub fn refusal_key(finding: &Finding, client: IpAddr, recipient: &str) -> String {
    let recipient = mailbox(recipient);
    match finding.reason {
        Reason::BounceRate => format!("bounces-refused/hour/{recipient}"),
        _ => format!("inbound-refused/hour/{}/{recipient}", flood_network(client)),
    }
}

/// The network a mail bomb is counted in: an IPv4 client's /24 (an
/// IPv4-mapped IPv6 address is IPv4) and an IPv6 client's /48. Not the /64 of
/// the reputation (`reputation::network_key`): a /48 is what one end site is
/// given (RFC 6177), so whoever holds one has 65,536 /64s, and counting per
/// /64 would multiply the limit by that.
pub fn flood_network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let [a, b, c, ..] = v6.segments();
            format!("{}/48", std::net::Ipv6Addr::new(a, b, c, 0, 0, 0, 0, 0))
        }
        _ => crate::checks::reputation::network_key(ip),
    }
}

/// The mailbox a recipient address names, as the flood limits count it: the
/// address in lower case, its local part unquoted (`"bob"@` is `bob@`, quoted
/// pairs read as their character) and cut at the first `+` (a sub-address,
/// the delimiter of Postfix, Exim, Gmail and most stores). A local part that
/// starts with `+` is kept whole: it has no base to cut back to.
pub fn mailbox(recipient: &str) -> String {
    let Some((local, domain)) = recipient.rsplit_once('@') else {
        return recipient.to_ascii_lowercase();
    };
    let local = match local.strip_prefix('"').and_then(|quoted| quoted.strip_suffix('"')) {
        Some(quoted) => {
            let mut unquoted = String::with_capacity(quoted.len());
            let mut chars = quoted.chars();
            while let Some(ch) = chars.next() {
                unquoted.extend(if ch == '\\' { chars.next() } else { Some(ch) });
            }
            unquoted
        }
        None => local.to_owned(),
    };
    let base = match local.split_once('+') {
        Some((base, _)) if !base.is_empty() => base,
        _ => &local,
    };
    format!("{base}@{domain}").to_ascii_lowercase()
}

/// The counts of [`Counters`] in the current hour, before this message,
/// with the recipients of the same transaction already accepted into them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub messages: Option<u64>,
    pub bounces: Option<u64>,
}

/// The finding when one more message would pass a limit. A bounce over its
/// limit is named as such (`bounce-rate`), whatever the other count.
pub fn check(counts: Counts, limits: InboundLimits) -> Option<Finding> {
    if let Some(bounces) = counts.bounces
        && limits.bounces_per_hour > 0
        && bounces >= limits.bounces_per_hour
    {
        let evidence = format!("{bounces} bounces this hour, limit {}", limits.bounces_per_hour);
        return Some(Finding::new(NAME, MainClass::Spam, Subclass::Ratelimited, evidence).because(Reason::BounceRate));
    }
    if let Some(messages) = counts.messages
        && limits.messages_per_hour > 0
        && messages >= limits.messages_per_hour
    {
        let evidence = format!("{messages} messages this hour from this network, limit {}", limits.messages_per_hour);
        return Some(Finding::new(NAME, MainClass::Spam, Subclass::Ratelimited, evidence).because(Reason::InboundRate));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::decide;
    use sluice_model::Action;

    const LIMITS: InboundLimits = InboundLimits { messages_per_hour: 3, bounces_per_hour: 2 };

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_message_past_the_limit_is_deferred_with_451() {
        let under = Counts { messages: Some(2), bounces: None };
        assert!(check(under, LIMITS).is_none(), "the third message of the hour passes");
        let refused = check(Counts { messages: Some(3), bounces: None }, LIMITS).expect("the fourth is deferred");
        assert_eq!((refused.main, refused.sub, refused.reason), (MainClass::Spam, Subclass::Ratelimited, Reason::InboundRate));
        assert_eq!(refused.extra, "3 messages this hour from this network, limit 3");
        let verdict = decide(&[refused], &DomainSettings::default());
        assert_eq!(verdict.action, Action::TempReject);
        assert_eq!(verdict.reply.line(), "451 4.7.1 Too many messages for this recipient, please try again later");
    }

    #[test]
    fn bounces_have_their_own_limit_and_name() {
        assert!(check(Counts { messages: Some(0), bounces: Some(1) }, LIMITS).is_none());
        let refused = check(Counts { messages: Some(0), bounces: Some(2) }, LIMITS).expect("the third bounce");
        assert_eq!(refused.reason, Reason::BounceRate);
        assert_eq!(refused.extra, "2 bounces this hour, limit 2");
        // Over both: the bounce storm is what it is.
        assert_eq!(check(Counts { messages: Some(9), bounces: Some(9) }, LIMITS).map(|f| f.reason), Some(Reason::BounceRate));
    }

    #[test]
    fn zero_turns_a_limit_off_and_off_limits_count_nothing() {
        let off = InboundLimits { messages_per_hour: 0, bounces_per_hour: 0 };
        assert!(check(Counts { messages: Some(1_000_000), bounces: Some(1_000_000) }, off).is_none());
        assert!(counters(ip("192.0.2.1"), "a@example.test", true, false, off).is_empty());
    }

    #[test]
    fn a_network_and_a_recipient_make_one_counter() {
        let a = counters(ip("192.0.2.1"), "Bob@Example.test", false, false, LIMITS);
        let b = counters(ip("192.0.2.200"), "bob@example.test", false, false, LIMITS);
        assert_eq!(a, b, "one /24, one mailbox whatever its case");
        assert_eq!(a.messages.as_deref(), Some("inbound/hour/192.0.2.0/24/bob@example.test"));
        assert_eq!(a.bounces, None, "not a bounce");
        let v6 = counters(ip("2001:db8:1:2::10"), "bob@example.test", false, false, LIMITS);
        let v6_other = counters(ip("2001:db8:1:2:ffff::1"), "bob@example.test", false, false, LIMITS);
        assert_eq!(v6, v6_other, "one /64");
        // Another /64 of the same /48 is the same sender; another /48 is not.
        let v6_next = counters(ip("2001:db8:1:ffff::1"), "bob@example.test", false, false, LIMITS);
        assert_eq!(v6_next, v6, "one /48");
        assert_eq!(v6.messages.as_deref(), Some("inbound/hour/2001:db8:1::/48/bob@example.test"));
        assert_ne!(counters(ip("2001:db8:2::1"), "bob@example.test", false, false, LIMITS), v6);
        assert_ne!(counters(ip("192.0.3.1"), "bob@example.test", false, false, LIMITS), a);
    }

    #[test]
    fn every_spelling_of_one_mailbox_is_one_mailbox() {
        for spelling in ["bob@example.net", "BOB@Example.NET", "bob+1@example.net", "Bob+news+x@example.net", "\"bob\"@example.net", "\"b\\ob+q\"@example.net"] {
            assert_eq!(mailbox(spelling), "bob@example.net", "{spelling}");
        }
        // Other mailboxes stay other mailboxes.
        assert_eq!(mailbox("\"bob smith\"@example.net"), "bob smith@example.net");
        assert_eq!(mailbox("\"a@b\"@example.net"), "a@b@example.net");
        assert_eq!(mailbox("+tag@example.net"), "+tag@example.net", "no base to cut back to");
        assert_eq!(mailbox("bobby@example.net"), "bobby@example.net");
        let limits = LIMITS;
        let tagged = counters(ip("192.0.2.1"), "Bob+Flood7@example.net", true, false, limits);
        assert_eq!(tagged, counters(ip("192.0.2.9"), "\"bob\"@example.net", true, false, limits));
        assert_eq!(tagged.messages.as_deref(), Some("inbound/hour/192.0.2.0/24/bob@example.net"));
        let flood = check(Counts { messages: Some(3), bounces: None }, LIMITS).unwrap();
        assert_eq!(refusal_key(&flood, ip("192.0.2.9"), "bob+2@example.net"), refusal_key(&flood, ip("192.0.2.9"), "bob@example.net"));
        // An IPv4 client reaching us over IPv6 is its IPv4 network.
        assert_eq!(counters(ip("::ffff:192.0.2.77"), "bob@example.net", false, false, limits).messages, tagged.messages);
    }

    #[test]
    fn an_exempt_client_is_not_counted_but_its_bounces_are() {
        let exempt = counters(ip("192.0.2.1"), "bob@example.test", true, true, LIMITS);
        assert_eq!(exempt.messages, None);
        let anywhere = counters(ip("198.51.100.7"), "bob@example.test", true, false, LIMITS);
        assert_eq!(exempt.bounces.as_deref(), Some("bounces/hour/bob@example.test"));
        assert_eq!(exempt.bounces, anywhere.bounces, "bounces are counted per recipient from anywhere");
    }

    #[test]
    fn refusals_are_logged_per_network_and_recipient_or_per_recipient() {
        let flood = check(Counts { messages: Some(3), bounces: None }, LIMITS).unwrap();
        let storm = check(Counts { messages: None, bounces: Some(2) }, LIMITS).unwrap();
        assert_eq!(refusal_key(&flood, ip("192.0.2.9"), "Bob@example.test"), "inbound-refused/hour/192.0.2.0/24/bob@example.test");
        assert_eq!(refusal_key(&storm, ip("192.0.2.9"), "bob@example.test"), refusal_key(&storm, ip("203.0.113.1"), "bob@example.test"));
    }
}
