//! Sender reputation: what the cluster saw of a sender's mail before, judged.
//!
//! Two senders per message: the client's network (an IPv4 /24, an IPv6 /64:
//! [`network_key`]) and its authenticated domain (the header From's domain when
//! DMARC passed, i.e. SPF or DKIM aligned with it; else the envelope sender's
//! domain when SPF passed for it). For each, four counts with exponential decay
//! ([`HALF_LIFE_DAYS`]): mail accepted, refused as spam (phish, virus), reported
//! as spam and released or reported as not spam. The gateway keeps the counts
//! (`sluice-gateway::reputation`, stored and shared by the nodes) and gathers
//! them before the classification; this module only judges them.
//!
//! Classes ([`ReputationJudge`]):
//! - a strong bad history, at least [`BAD_MIN`] (20, to the nearest message)
//!   refused or reported messages making at least [`BAD_RATIO`] (90 %) of the
//!   sender's mail, is
//!   `spam` / `sender-reputation`, decided alone in the scored tier (evidence:
//!   the sender and its counts);
//! - otherwise, once a sender has at least [`EVIDENCE_MIN`] messages of history,
//!   its log-odds of bad mail, `ln((bad + 1) / (good + 1))` within ±[`LOG_ODDS_MAX`],
//!   is evidence for the combined score. A good history never decides alone: the
//!   precedence puts nothing under the combined score for it to override, and a
//!   spammer could build one with honest mail first.
//!
//! Of the two senders the worse one counts (a clean domain does not launder a
//! bad network, nor the other way round).

use std::net::IpAddr;

use sluice_model::{Finding, MainClass, Subclass};

pub const NAME: &str = "reputation";

/// The counts halve every 14 days: a network reassigned, or a sender that
/// cleaned up, is forgiven within weeks; a spam run of last week still counts.
pub const HALF_LIFE_DAYS: f64 = 14.0;
/// Refused and reported mail at least this large (after decay) for a strong bad history.
pub const BAD_MIN: f64 = 20.0;
/// ...making at least this share of the sender's mail.
pub const BAD_RATIO: f64 = 0.9;
/// Messages of history before a sender's reputation is evidence at all.
pub const EVIDENCE_MIN: f64 = 5.0;
/// The evidence's log-odds are kept within ± this.
pub const LOG_ODDS_MAX: f64 = 5.0;

/// The decayed counts of one sender.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub accepted: f64,
    pub refused: f64,
    pub reported: f64,
    pub released: f64,
}

impl Counts {
    pub fn bad(&self) -> f64 {
        self.refused.max(0.0) + self.reported.max(0.0)
    }

    pub fn good(&self) -> f64 {
        self.accepted.max(0.0) + self.released.max(0.0)
    }

    pub fn total(&self) -> f64 {
        self.bad() + self.good()
    }

    /// `ln((bad + 1) / (good + 1))` within ±[`LOG_ODDS_MAX`].
    pub fn log_odds(&self) -> f64 {
        ((self.bad() + 1.0) / (self.good() + 1.0)).ln().clamp(-LOG_ODDS_MAX, LOG_ODDS_MAX)
    }

    /// Counted to the nearest message: 20 reports of the last minutes have
    /// decayed a hair under 20.
    fn strongly_bad(&self) -> bool {
        self.bad() + 0.5 >= BAD_MIN && self.bad() >= BAD_RATIO * self.total()
    }
}

/// The senders of one message and what is known of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReputationFacts {
    /// The client's network ([`network_key`]) and its counts.
    pub network: Option<(String, Counts)>,
    /// The authenticated domain and its counts.
    pub domain: Option<(String, Counts)>,
}

/// The reputation key of a client address: its IPv4 /24 or IPv6 /64 (an
/// IPv4-mapped IPv6 address counts as IPv4). Senders move within such a block;
/// one customer holds a whole /64.
pub fn network_key(ip: IpAddr) -> String {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let network = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{network}/64")
        }
    }
}

/// The reputation key of an authenticated domain (lower case, no trailing dot).
pub fn domain_key(domain: &str) -> Option<String> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty() && domain.contains('.')).then_some(domain)
}

/// The factor that turns a count added at `at_seconds` into one stored against
/// [`EPOCH`]: counts are stored multiplied by `2^((t - EPOCH) / half-life)`, so
/// adding is plain addition (every node adds, in any order, with no read first)
/// and the decayed value at `now` is the stored one times [`decay_from_epoch`].
/// With a 14-day half-life the factor stays far inside an `f64` for centuries
/// of operation (2^26 a year).
pub fn scale_at(at_seconds: i64) -> f64 {
    2f64.powf((at_seconds - EPOCH) as f64 / (HALF_LIFE_DAYS * 86_400.0))
}

/// The inverse of [`scale_at`]: stored values times this are today's counts.
pub fn decay_from_epoch(now_seconds: i64) -> f64 {
    1.0 / scale_at(now_seconds)
}

/// 2026-01-01T00:00:00Z, the reference time of stored counts.
pub const EPOCH: i64 = 1_767_225_600;

/// The finding for the message's senders: the worse of the two decides.
pub fn judge(facts: &ReputationFacts) -> Option<Finding> {
    let senders = [facts.network.as_ref(), facts.domain.as_ref()];
    let worst = senders.into_iter().flatten().max_by(|(_, a), (_, b)| a.log_odds().total_cmp(&b.log_odds()))?;
    let (key, counts) = worst;
    let extra = format!(
        "{key}: {:.1} accepted, {:.1} refused, {:.1} reported, {:.1} released",
        counts.accepted.max(0.0),
        counts.refused.max(0.0),
        counts.reported.max(0.0),
        counts.released.max(0.0)
    );
    if counts.strongly_bad() {
        return Some(Finding::new(NAME, MainClass::Spam, Subclass::SenderReputation, extra));
    }
    // The evidence of the sender with the most to say.
    let (key, counts) = senders
        .into_iter()
        .flatten()
        .filter(|(_, counts)| counts.total() >= EVIDENCE_MIN)
        .max_by(|(_, a), (_, b)| a.log_odds().abs().total_cmp(&b.log_odds().abs()))?;
    let odds = counts.log_odds();
    let main = if odds > 0.0 { MainClass::Spam } else { MainClass::NotSpam };
    let extra = format!(
        "{key}: {:.1} accepted, {:.1} refused, {:.1} reported, {:.1} released (log-odds {odds:+.2})",
        counts.accepted.max(0.0),
        counts.refused.max(0.0),
        counts.reported.max(0.0),
        counts.released.max(0.0)
    );
    Some(Finding::new(NAME, main, Subclass::SenderReputation, extra).as_evidence(odds))
}

/// The reputation as a judge of the classification, with the counts the
/// gateway gathered for this message's senders.
pub struct ReputationJudge<'a> {
    pub facts: &'a ReputationFacts,
}

impl crate::classify::Judge for ReputationJudge<'_> {
    fn judge(&self, _facts: &crate::message::MessageFacts<'_>, findings: &mut Vec<Finding>) {
        findings.extend(judge(self.facts));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(accepted: f64, refused: f64, reported: f64, released: f64) -> Counts {
        Counts { accepted, refused, reported, released }
    }

    fn facts(network: Counts) -> ReputationFacts {
        ReputationFacts { network: Some(("192.0.2.0/24".to_owned(), network)), domain: None }
    }

    #[test]
    fn twenty_reported_spams_are_a_strong_bad_history() {
        let finding = judge(&facts(counts(0.0, 0.0, 20.0, 0.0))).unwrap();
        assert_eq!((finding.main, finding.sub, finding.evidence), (MainClass::Spam, Subclass::SenderReputation, None));
        assert_eq!(finding.extra, "192.0.2.0/24: 0.0 accepted, 0.0 refused, 20.0 reported, 0.0 released");
        // 19 is not enough, nor 20 among as much good mail: evidence only.
        assert!(judge(&facts(counts(0.0, 0.0, 19.0, 0.0))).unwrap().evidence.is_some());
        assert!(judge(&facts(counts(0.0, 0.0, 19.9999, 0.0))).unwrap().evidence.is_none(), "20 a moment ago");
        assert!(judge(&facts(counts(20.0, 10.0, 10.0, 0.0))).unwrap().evidence.is_some());
        assert!(judge(&facts(counts(2.0, 10.0, 10.0, 0.0))).unwrap().evidence.is_none(), "20 of 22 is 91 %");
    }

    #[test]
    fn a_good_history_is_evidence_never_a_decision() {
        let finding = judge(&facts(counts(500.0, 0.0, 0.0, 3.0))).unwrap();
        assert_eq!((finding.main, finding.evidence), (MainClass::NotSpam, Some(-LOG_ODDS_MAX)));
        assert_eq!(judge(&facts(counts(3.0, 0.0, 0.0, 0.0))), None, "too little history");
        assert_eq!(judge(&ReputationFacts::default()), None);
    }

    #[test]
    fn the_worse_sender_counts() {
        let both = ReputationFacts {
            network: Some(("192.0.2.0/24".to_owned(), counts(100.0, 0.0, 0.0, 0.0))),
            domain: Some(("spam.example".to_owned(), counts(0.0, 25.0, 0.0, 0.0))),
        };
        let finding = judge(&both).unwrap();
        assert_eq!(finding.main, MainClass::Spam);
        assert!(finding.extra.starts_with("spam.example: "), "{}", finding.extra);
    }

    #[test]
    fn networks_are_ipv4_slash_24_and_ipv6_slash_64() {
        assert_eq!(network_key("203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(network_key("::ffff:203.0.113.77".parse().unwrap()), "203.0.113.0/24");
        assert_eq!(network_key("2001:db8:1:2:3:4:5:6".parse().unwrap()), "2001:db8:1:2::/64");
        assert_eq!(domain_key("Example.ORG."), Some("example.org".to_owned()));
        assert_eq!(domain_key("localhost"), None);
    }

    #[test]
    fn stored_counts_decay_with_the_half_life() {
        let day = 86_400;
        let added = scale_at(EPOCH + 10 * day);
        let later = added * decay_from_epoch(EPOCH + 24 * day);
        assert!((later - 0.5).abs() < 1e-9, "{later}");
        assert!(scale_at(EPOCH + 365 * 20 * day).is_finite());
    }
}
