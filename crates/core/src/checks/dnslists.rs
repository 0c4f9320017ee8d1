//! DNS lists (DNSxL, RFC 5782): block lists and allow lists of client addresses
//! (`[[dnsbl]]`, `[[dnswl]]`) and block lists of the domains and addresses named
//! in a message's URLs (`[[urlbl]]`, SURBL/Spamhaus DBL style).
//!
//! The lookups are gathered by `sluice-lookup` (one A query per list: the client
//! address reversed, [`ip_query`], or the URL's registered domain, [`name_query`],
//! in front of the list's zone); this module reads the answers and reports:
//!
//! - `spam` / `dnsbl-rcpt` (per-domain `dnsbl_stage = "rcpt"`, the default: 550
//!   5.7.1 at RCPT, no copy) or `spam` / `dnsbl` (`dnsbl_stage = "data"`: after the
//!   final dot, quarantined) when the **weights** of the block lists that list the
//!   client add up to at least 1.0 (`weight`, default 1.0: one list of weight 0.5
//!   is not enough, two are); extra = the names of the lists that listed it;
//! - `not-spam` / `dnswl` when the allow lists that list the client weigh at least
//!   1.0 (accepted; in the allow-list tier, so the content checks are skipped
//!   except virus and DMARC); extra = the lists' names;
//! - `spam` / `urlbl` for each URL list entry hit (quarantined); extra = `zone:
//!   domain`;
//! - and, through [`super::hashbl`], `spam` / `pattern-remote` for each item of
//!   the message a hash list (`[[hashbl]]`) lists.
//!
//! What an answer means ([`interpret`]): only an A record inside 127.0.0.0/8 can
//! list. An answer outside it (a resolver that rewrites NXDOMAIN to an ad
//! server), or an error code (127.255.255.0/24: Spamhaus's "typo in the list
//! name", "query through a public resolver", "too many queries"; 127.0.1.255: an
//! address asked of a domain list) makes the list **unusable** for that query,
//! never "listed". A list may keep only some answers: `codes = ["127.0.0.2",
//! "127.0.0.4"]` (exact answers) and/or `mask = 6` (bits of the answer's last
//! octet, SURBL's multi list); with both, either one lists. A list that times out
//! or fails is unusable too: it is recorded in the log's lookups and lists
//! nothing (a block list being down must not refuse mail; `docs/decisions.md`).

use std::net::{IpAddr, Ipv4Addr};

use serde::Deserialize;
use sluice_model::{Finding, MainClass, Subclass};

use crate::lookups::LookupOutcome;
use crate::settings::DnsblStage;

/// At most this many URL list queries for one message: each distinct URL
/// domain or address costs one query per URL list, so with `lists` URL lists the
/// first [`url_targets_per_message`] of them, in the message's order, are asked.
pub const URLBL_MAX_QUERIES: usize = 32;

/// How many distinct URL domains and addresses of a message are asked of each
/// of `lists` URL lists: [`URLBL_MAX_QUERIES`] shared among them (32 with one
/// list, 16 with two), at least 4.
pub fn url_targets_per_message(lists: usize) -> usize {
    (URLBL_MAX_QUERIES / lists.max(1)).max(4)
}

/// Weights that add up to this list a client.
pub const LISTED_WEIGHT: f64 = 1.0;

/// One DNS list as configured (`[[dnsbl]]`, `[[dnswl]]` or `[[urlbl]]`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsList {
    /// The list's zone, e.g. `zen.spamhaus.org`.
    pub zone: String,
    /// What a listing counts towards [`LISTED_WEIGHT`] (client lists).
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// When not empty, only these answers list.
    #[serde(default)]
    pub codes: Vec<Ipv4Addr>,
    /// When set, an answer whose last octet shares a bit with it lists.
    #[serde(default)]
    pub mask: Option<u8>,
}

fn default_weight() -> f64 {
    1.0
}

impl DnsList {
    /// What is wrong with this list as configured: `(key, what is expected)`.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let zone = self.zone.trim_end_matches('.');
        let label_ok = |label: &str| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if zone.len() > 200 || !zone.contains('.') || !zone.split('.').all(label_ok) {
            return Err(("zone", "a DNS zone such as \"zen.spamhaus.org\""));
        }
        if !self.weight.is_finite() || self.weight <= 0.0 {
            return Err(("weight", "a number above 0 (1.0 lists on its own)"));
        }
        if self.codes.iter().any(|code| code.octets()[0] != 127) {
            return Err(("codes", "answers inside 127.0.0.0/8, e.g. [\"127.0.0.2\"]"));
        }
        if self.mask == Some(0) {
            return Err(("mask", "bits of the answer's last octet, 1 to 255"));
        }
        Ok(())
    }

    /// The zone as queried: lower case, without the trailing dot.
    pub fn zone(&self) -> String {
        self.zone.trim_end_matches('.').to_ascii_lowercase()
    }
}

/// Every DNS list of the configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DnsLists {
    pub dnsbl: Vec<DnsList>,
    pub dnswl: Vec<DnsList>,
    pub urlbl: Vec<DnsList>,
    /// The hash block lists (`[[hashbl]]`).
    pub hashbl: Vec<super::hashbl::HashList>,
}

impl DnsLists {
    /// Whether the client's address is looked up in any list.
    pub fn has_client_lists(&self) -> bool {
        !self.dnsbl.is_empty() || !self.dnswl.is_empty()
    }
}

/// The answer of one list's A query.
pub type ListAnswer = LookupOutcome<Vec<Ipv4Addr>>;

/// What the lists said about the client, gathered once per connection, with the
/// client's forward-confirmed host name gathered beside them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientReputation {
    /// One answer per `[[dnsbl]]`, in order (empty when none was asked).
    pub dnsbl: Vec<ListAnswer>,
    /// One answer per `[[dnswl]]`, in order.
    pub dnswl: Vec<ListAnswer>,
    /// The client's forward-confirmed reverse DNS name, when looked up and found.
    pub hostname: Option<String>,
}

/// What one answer means for one list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listing {
    /// Listed, with the answer that says so.
    Listed(Ipv4Addr),
    NotListed,
    /// The list cannot say (timed out, failed, an error code, an answer outside
    /// 127.0.0.0/8): it lists nothing.
    Unusable(String),
}

/// Reads one list's answer (see the module documentation).
pub fn interpret(list: &DnsList, answer: &ListAnswer) -> Listing {
    let answers = match answer {
        LookupOutcome::Answer(answers) => answers,
        LookupOutcome::NotFound => return Listing::NotListed,
        LookupOutcome::TimedOut => return Listing::Unusable("timed out".to_owned()),
        LookupOutcome::Failed(why) => return Listing::Unusable(why.clone()),
    };
    if let Some(outside) = answers.iter().find(|ip| ip.octets()[0] != 127) {
        return Listing::Unusable(format!("answer {outside} is outside 127.0.0.0/8"));
    }
    if let Some(error) = answers.iter().find(|ip| is_error_code(**ip)) {
        return Listing::Unusable(format!("error code {error}"));
    }
    let keeps = |ip: &Ipv4Addr| match (list.codes.is_empty(), list.mask) {
        (true, None) => true,
        (_, mask) => list.codes.contains(ip) || mask.is_some_and(|mask| ip.octets()[3] & mask != 0),
    };
    answers.iter().copied().find(keeps).map_or(Listing::NotListed, Listing::Listed)
}

/// Spamhaus's error range (127.255.255.0/24) and the DBL's "an address was
/// asked" (127.0.1.255): never a listing.
fn is_error_code(ip: Ipv4Addr) -> bool {
    let [_, second, third, fourth] = ip.octets();
    (second, third) == (255, 255) || (second, third, fourth) == (0, 1, 255)
}

/// The name asked for `ip` in `zone` (RFC 5782 2.1, 2.4): an IPv4 address's
/// octets reversed, an IPv6 address's 32 nibbles reversed, dot-separated. An
/// IPv4-mapped IPv6 address is written as IPv6: callers that mean the IPv4
/// client pass `ip.to_canonical()`.
pub fn ip_query(ip: IpAddr, zone: &str) -> String {
    use std::fmt::Write;
    let mut name = String::with_capacity(72 + zone.len());
    match ip {
        IpAddr::V4(ip) => {
            let [a, b, c, d] = ip.octets();
            let _ = write!(name, "{d}.{c}.{b}.{a}.");
        }
        IpAddr::V6(ip) => {
            for byte in ip.octets().iter().rev() {
                let _ = write!(name, "{:x}.{:x}.", byte & 0xf, byte >> 4);
            }
        }
    }
    name.push_str(zone);
    name
}

/// The name asked for a domain in a domain list (RFC 5782 2.3): the domain in
/// front of the zone.
pub fn name_query(domain: &str, zone: &str) -> String {
    format!("{}.{zone}", domain.trim_end_matches('.'))
}

/// The lists whose answers list, and whether their weights reach [`LISTED_WEIGHT`].
fn weighed<'l>(lists: &'l [DnsList], answers: &[ListAnswer]) -> Option<Vec<&'l str>> {
    let mut weight = 0.0;
    let mut names = Vec::new();
    for (list, answer) in lists.iter().zip(answers) {
        if let Listing::Listed(_) = interpret(list, answer) {
            weight += list.weight;
            names.push(list.zone.trim_end_matches('.'));
        }
    }
    // 0.1 + 0.2 + 0.7 must reach 1.0 despite binary fractions.
    (weight >= LISTED_WEIGHT - 1e-9).then_some(names)
}

/// The block lists' finding about the client at `stage` (none unless the
/// domain's `dnsbl_stage` is that stage and the lists' weights reach 1.0).
pub fn check_block_lists(lists: &[DnsList], reputation: &ClientReputation, settings_stage: DnsblStage, stage: DnsblStage) -> Option<Finding> {
    if settings_stage != stage {
        return None;
    }
    let names = weighed(lists, &reputation.dnsbl)?;
    let sub = match stage {
        DnsblStage::Rcpt => Subclass::DnsblRcpt,
        DnsblStage::Data => Subclass::Dnsbl,
    };
    Some(Finding::new("dns-block-lists", MainClass::Spam, sub, names.join(", ")))
}

/// The block lists' finding at RCPT. An allow-list entry of the admin's that
/// matched (client, HELO, sender: `allowed_by_lists`) or a DNS allow list
/// listing the client outranks the public block lists here as it does after
/// the final dot, where `dnsbl` sits below the allow-list tier: at RCPT,
/// `dnsbl-rcpt` would otherwise decide first (protocol tier).
pub fn check_client_at_rcpt(lists: &DnsLists, reputation: &ClientReputation, stage: DnsblStage, allowed_by_lists: bool) -> Option<Finding> {
    if allowed_by_lists || check_allow_lists(&lists.dnswl, reputation).is_some() {
        return None;
    }
    check_block_lists(&lists.dnsbl, reputation, stage, DnsblStage::Rcpt)
}

/// The allow lists' finding about the client.
pub fn check_allow_lists(lists: &[DnsList], reputation: &ClientReputation) -> Option<Finding> {
    let names = weighed(lists, &reputation.dnswl)?;
    Some(Finding::new("dns-allow-lists", MainClass::NotSpam, Subclass::Dnswl, names.join(", ")))
}

/// One URL list's answer about one domain or address of a message.
#[derive(Clone, Debug, PartialEq)]
pub struct UrlAnswer {
    /// Index into `[[urlbl]]`.
    pub list: usize,
    /// The registered domain or the address, as found in the message.
    pub target: String,
    pub answer: ListAnswer,
}

/// A `spam` / `urlbl` finding for each URL list hit, in the order asked.
pub fn check_url_lists(lists: &[DnsList], answers: &[UrlAnswer]) -> Vec<Finding> {
    answers
        .iter()
        .filter_map(|answer| {
            let list = lists.get(answer.list)?;
            let Listing::Listed(_) = interpret(list, &answer.answer) else { return None };
            let extra = format!("{}: {}", list.zone.trim_end_matches('.'), answer.target);
            Some(Finding::new("url-block-lists", MainClass::Spam, Subclass::Urlbl, extra))
        })
        .collect()
}

/// The DNS lists as a judge of the classification: the client's listings
/// gathered at the connection (block lists when the domain judges them after
/// the final dot, allow lists) and the URL and hash lists' answers gathered for
/// this message.
pub struct DnsListsJudge<'j> {
    pub lists: &'j DnsLists,
    pub reputation: &'j ClientReputation,
    pub urls: &'j [UrlAnswer],
    pub hashes: &'j [super::hashbl::HashAnswer],
    /// The domain's `dnsbl_stage`.
    pub stage: DnsblStage,
}

impl crate::classify::Judge for DnsListsJudge<'_> {
    fn judge(&self, _facts: &crate::message::MessageFacts<'_>, findings: &mut Vec<Finding>) {
        findings.extend(check_block_lists(&self.lists.dnsbl, self.reputation, self.stage, DnsblStage::Data));
        findings.extend(check_allow_lists(&self.lists.dnswl, self.reputation));
        findings.extend(check_url_lists(&self.lists.urlbl, self.urls));
        findings.extend(super::hashbl::check_hash_lists(&self.lists.hashbl, self.hashes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(zone: &str, weight: f64) -> DnsList {
        DnsList { zone: zone.to_owned(), weight, codes: Vec::new(), mask: None }
    }

    fn listed(ip: &str) -> ListAnswer {
        LookupOutcome::Answer(vec![ip.parse().unwrap()])
    }

    #[test]
    fn only_answers_inside_127_8_that_are_not_error_codes_list() {
        let any = list("bl.example.test", 1.0);
        assert_eq!(interpret(&any, &listed("127.0.0.2")), Listing::Listed("127.0.0.2".parse().unwrap()));
        assert_eq!(interpret(&any, &LookupOutcome::NotFound), Listing::NotListed);
        assert_eq!(interpret(&any, &LookupOutcome::Answer(Vec::new())), Listing::NotListed);
        for unusable in ["127.255.255.254", "127.255.255.252", "127.255.255.255", "127.0.1.255", "192.0.2.1"] {
            assert!(matches!(interpret(&any, &listed(unusable)), Listing::Unusable(_)), "{unusable}");
        }
        assert!(matches!(interpret(&any, &LookupOutcome::TimedOut), Listing::Unusable(_)));
        assert!(matches!(interpret(&any, &LookupOutcome::Failed("SERVFAIL".into())), Listing::Unusable(_)));
    }

    #[test]
    fn codes_and_masks_keep_only_some_answers() {
        let codes = DnsList { codes: vec!["127.0.0.4".parse().unwrap()], ..list("zen.example.test", 1.0) };
        assert_eq!(interpret(&codes, &listed("127.0.0.2")), Listing::NotListed);
        assert!(matches!(interpret(&codes, &listed("127.0.0.4")), Listing::Listed(_)));
        let masked = DnsList { mask: Some(0b0110), ..list("multi.example.test", 1.0) };
        assert_eq!(interpret(&masked, &listed("127.0.0.8")), Listing::NotListed);
        assert!(matches!(interpret(&masked, &listed("127.0.0.4")), Listing::Listed(_)));
        assert!(matches!(interpret(&masked, &LookupOutcome::Answer(vec!["127.0.0.8".parse().unwrap(), "127.0.0.2".parse().unwrap()])), Listing::Listed(_)));
    }

    #[test]
    fn weights_add_up_to_a_listing() {
        let lists = [list("half-a.test", 0.5), list("half-b.test", 0.5), list("tenth.test", 0.1)];
        let reputation = |answers: [ListAnswer; 3]| ClientReputation { dnsbl: answers.to_vec(), ..ClientReputation::default() };
        let one = reputation([listed("127.0.0.2"), LookupOutcome::NotFound, listed("127.0.0.2")]);
        assert_eq!(check_block_lists(&lists, &one, DnsblStage::Rcpt, DnsblStage::Rcpt), None, "0.6 is not enough");
        let two = reputation([listed("127.0.0.2"), listed("127.0.0.3"), LookupOutcome::TimedOut]);
        let finding = check_block_lists(&lists, &two, DnsblStage::Rcpt, DnsblStage::Rcpt).expect("listed");
        assert_eq!((finding.sub, finding.extra.as_str()), (Subclass::DnsblRcpt, "half-a.test, half-b.test"));
        assert_eq!(check_block_lists(&lists, &two, DnsblStage::Rcpt, DnsblStage::Data), None, "judged at RCPT only");
        let at_data = check_block_lists(&lists, &two, DnsblStage::Data, DnsblStage::Data).expect("listed");
        assert_eq!(at_data.sub, Subclass::Dnsbl);
        let tenths = [list("a.test", 0.1), list("b.test", 0.2), list("c.test", 0.7)];
        let all = ClientReputation { dnsbl: vec![listed("127.0.0.2"); 3], ..ClientReputation::default() };
        assert!(check_block_lists(&tenths, &all, DnsblStage::Data, DnsblStage::Data).is_some());
    }

    #[test]
    fn an_allow_listed_client_is_not_refused_at_rcpt() {
        let lists = DnsLists { dnsbl: vec![list("bl.test", 1.0)], dnswl: vec![list("wl.test", 1.0)], ..DnsLists::default() };
        let mut reputation = ClientReputation { dnsbl: vec![listed("127.0.0.2")], dnswl: vec![LookupOutcome::NotFound], hostname: None };
        assert!(check_client_at_rcpt(&lists, &reputation, DnsblStage::Rcpt, false).is_some());
        assert!(check_client_at_rcpt(&lists, &reputation, DnsblStage::Rcpt, true).is_none(), "the admin's allow list");
        reputation.dnswl = vec![listed("127.0.10.1")];
        assert!(check_client_at_rcpt(&lists, &reputation, DnsblStage::Rcpt, false).is_none(), "a DNS allow list");
        let allowed = check_allow_lists(&lists.dnswl, &reputation).expect("listed");
        assert_eq!((allowed.main, allowed.sub, allowed.extra.as_str()), (MainClass::NotSpam, Subclass::Dnswl, "wl.test"));
    }

    #[test]
    fn url_hits_name_the_list_and_the_domain() {
        let lists = [DnsList { mask: Some(0b1000), ..list("multi.uri.test", 1.0) }];
        let answers = [
            UrlAnswer { list: 0, target: "clean.example".into(), answer: LookupOutcome::NotFound },
            UrlAnswer { list: 0, target: "evil.example".into(), answer: listed("127.0.0.8") },
            UrlAnswer { list: 0, target: "other.example".into(), answer: listed("127.0.0.2") },
        ];
        let findings = check_url_lists(&lists, &answers);
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].sub, findings[0].extra.as_str()), (Subclass::Urlbl, "multi.uri.test: evil.example"));
    }

    #[test]
    fn url_lists_share_a_query_budget() {
        assert_eq!((url_targets_per_message(0), url_targets_per_message(1), url_targets_per_message(2)), (32, 32, 16));
        assert_eq!(url_targets_per_message(20), 4, "never fewer than 4");
    }

    #[test]
    fn query_names_follow_rfc_5782() {
        assert_eq!(ip_query("192.0.2.99".parse().unwrap(), "bl.test"), "99.2.0.192.bl.test");
        assert_eq!(
            ip_query("2001:db8:1:2:3:4:567:89ab".parse().unwrap(), "bl.test"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test"
        );
        assert_eq!(name_query("example.com.", "dbl.test"), "example.com.dbl.test");
    }

    #[test]
    fn a_bad_list_names_its_key() {
        assert_eq!(list("bl.example.test", 0.5).validate(), Ok(()));
        assert_eq!(list("nodot", 1.0).validate().map_err(|(key, _)| key), Err("zone"));
        assert_eq!(list("bad zone.test", 1.0).validate().map_err(|(key, _)| key), Err("zone"));
        assert_eq!(list("bl.test", 0.0).validate().map_err(|(key, _)| key), Err("weight"));
        let codes = DnsList { codes: vec!["10.0.0.2".parse().unwrap()], ..list("bl.test", 1.0) };
        assert_eq!(codes.validate().map_err(|(key, _)| key), Err("codes"));
        let mask = DnsList { mask: Some(0), ..list("bl.test", 1.0) };
        assert_eq!(mask.validate().map_err(|(key, _)| key), Err("mask"));
    }
}
