//! Gathering the DNS lists' answers: the client's address in every block and
//! allow list with its forward-confirmed host name, all at once (one connection's
//! facts), a message's URL domains in every URL list and its hashed items in
//! every hash list, all at once. Each query runs within the [`Gathering`]'s
//! deadlines; what the answers mean is `sluice_core::checks::dnslists`'s (and
//! `hashbl`'s) to say.

use std::net::IpAddr;

use sluice_core::checks::dnslists::{ClientReputation, DnsList, DnsLists, ListAnswer, UrlAnswer, ip_query};
use sluice_core::checks::hashbl::{HashAnswer, HashQuery};
use sluice_core::urls::LookupTarget;

use crate::{Gathering, Resolver, confirmed_hostname, futures_join_all};

/// One list's A query, recorded as `A <name>`.
async fn ask(resolver: &dyn Resolver, gathering: &Gathering, name: String) -> ListAnswer {
    let what = format!("A {name}");
    gathering.run(what, resolver.ipv4(&name)).await
}

/// The client `ip` in every `[[dnsbl]]` and `[[dnswl]]` list and, when
/// `with_hostname`, its forward-confirmed host name: every query at once. An
/// IPv4 client reached over IPv6 (`::ffff:192.0.2.1`) is asked as IPv4.
pub async fn client_reputation(
    resolver: &dyn Resolver,
    gathering: &Gathering,
    lists: &DnsLists,
    ip: IpAddr,
    with_hostname: bool,
) -> ClientReputation {
    let ip = ip.to_canonical();
    let hostname = async {
        if with_hostname { confirmed_hostname(resolver, gathering, ip).await } else { None }
    };
    let (dnsbl, dnswl, hostname) = tokio::join!(
        in_lists(resolver, gathering, &lists.dnsbl, ip),
        in_lists(resolver, gathering, &lists.dnswl, ip),
        hostname
    );
    ClientReputation { dnsbl, dnswl, hostname }
}

/// `ip` in each of `lists`, all at once, in order.
async fn in_lists(resolver: &dyn Resolver, gathering: &Gathering, lists: &[DnsList], ip: IpAddr) -> Vec<ListAnswer> {
    futures_join_all(lists.iter().map(|list| ask(resolver, gathering, ip_query(ip, &list.zone())))).await
}

/// Every target in every `[[urlbl]]` list, all at once.
pub async fn url_listings(resolver: &dyn Resolver, gathering: &Gathering, lists: &[DnsList], targets: &[LookupTarget]) -> Vec<UrlAnswer> {
    let asked: Vec<(usize, &LookupTarget)> =
        lists.iter().enumerate().flat_map(|(index, _)| targets.iter().map(move |target| (index, target))).collect();
    let answers = futures_join_all(asked.iter().map(|&(index, target)| ask(resolver, gathering, target.query(&lists[index].zone())))).await;
    asked
        .into_iter()
        .zip(answers)
        .map(|((list, target), answer)| UrlAnswer { list, target: target.to_string(), answer })
        .collect()
}

/// Every hash list query (`sluice_core::checks::hashbl::queries`), all at once.
pub async fn hash_listings(resolver: &dyn Resolver, gathering: &Gathering, queries: Vec<HashQuery>) -> Vec<HashAnswer> {
    let answers = futures_join_all(queries.iter().map(|query| ask(resolver, gathering, query.name.clone()))).await;
    queries.into_iter().zip(answers).map(|(query, answer)| HashAnswer { query, answer }).collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sluice_core::checks::dnslists::{Listing, interpret};
    use sluice_core::lookups::LookupOutcome;
    use sluice_testdns::TestDns;

    use super::*;
    use crate::dns::DnsResolver;

    fn list(zone: &str) -> DnsList {
        DnsList { zone: zone.to_owned(), weight: 1.0, codes: Vec::new(), mask: None }
    }

    fn resolver(dns: &TestDns) -> DnsResolver {
        DnsResolver::new(Some(dns.address()), Duration::from_millis(500)).expect("resolver")
    }

    #[tokio::test]
    async fn a_client_is_asked_in_every_list_at_once_and_the_cache_saves_the_second_asking() {
        let dns = TestDns::start();
        dns.add("2.2.0.192.bl.test", "A", "127.0.0.2")
            .add("2.2.0.192.slow.test", "A", "127.0.0.2")
            .add("2.2.0.192.wl.test", "A", "127.0.10.2")
            .add("2.2.0.192.in-addr.arpa", "PTR", "mail.example.test")
            .add("mail.example.test", "A", "192.0.2.2")
            .delay("2.2.0.192.slow.test", Duration::from_secs(2));
        let resolver = resolver(&dns);
        let lists = DnsLists { dnsbl: vec![list("bl.test"), list("slow.test"), list("down.test")], dnswl: vec![list("wl.test")], ..DnsLists::default() };
        dns.fail("2.2.0.192.down.test");
        let ip: IpAddr = "::ffff:192.0.2.2".parse().unwrap();
        let gathering = Gathering::new(Duration::from_secs(1), Duration::from_millis(800));
        let started = std::time::Instant::now();
        let reputation = client_reputation(&resolver, &gathering, &lists, ip, true).await;
        assert!(started.elapsed() < Duration::from_millis(1500), "concurrent: {:?}", started.elapsed());
        assert_eq!(reputation.dnsbl[0], LookupOutcome::Answer(vec!["127.0.0.2".parse().unwrap()]));
        assert_eq!(reputation.dnsbl[1], LookupOutcome::TimedOut);
        assert!(matches!(reputation.dnsbl[2], LookupOutcome::Failed(_)), "{:?}", reputation.dnsbl[2]);
        assert!(matches!(interpret(&lists.dnswl[0], &reputation.dnswl[0]), Listing::Listed(_)));
        assert_eq!(reputation.hostname.as_deref(), Some("mail.example.test"), "{:?}", gathering.records());
        let what: Vec<String> = gathering.records().iter().map(|record| format!("{} {}", record.what, record.outcome)).collect();
        assert!(what.contains(&"A 2.2.0.192.slow.test timed-out".to_owned()), "{what:?}");
        // The same client again: answered from the cache (the TTL is 300 s).
        let asked = dns.queries().len();
        let again = client_reputation(&resolver, &Gathering::new(Duration::from_secs(1), Duration::from_millis(800)), &lists, ip, true).await;
        assert_eq!(again.dnsbl[0], reputation.dnsbl[0]);
        let new: Vec<_> = dns.queries()[asked..].iter().map(|query| query.name.clone()).collect();
        assert!(new.iter().all(|name| name.contains("slow.test") || name.contains("down.test")), "only the lists that did not answer are asked again: {new:?}");
    }

    #[tokio::test]
    async fn a_not_listed_client_is_cached_too() {
        let dns = TestDns::start();
        let resolver = resolver(&dns);
        let lists = DnsLists { dnsbl: vec![list("bl.test")], ..DnsLists::default() };
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            let gathering = Gathering::new(Duration::from_secs(1), Duration::from_millis(800));
            let reputation = client_reputation(&resolver, &gathering, &lists, ip, false).await;
            assert_eq!(reputation.dnsbl, [LookupOutcome::NotFound]);
        }
        assert_eq!(dns.queries_for("1.2.0.192.bl.test"), 1, "NXDOMAIN is kept for the zone's negative TTL");
    }

    #[tokio::test]
    async fn url_targets_are_asked_in_every_url_list() {
        let dns = TestDns::start();
        dns.add("evil.example.uri.test", "A", "127.0.0.2").add("7.2.0.192.uri.test", "A", "127.0.0.4");
        let resolver = resolver(&dns);
        let targets = [LookupTarget::Domain("evil.example".into()), LookupTarget::Domain("fine.example".into()), LookupTarget::Address("192.0.2.7".parse().unwrap())];
        let gathering = Gathering::new(Duration::from_secs(1), Duration::from_millis(800));
        let answers = url_listings(&resolver, &gathering, &[list("uri.test")], &targets).await;
        let listed: Vec<(&str, bool)> = answers.iter().map(|answer| (answer.target.as_str(), answer.answer.answer().is_some())).collect();
        assert_eq!(listed, [("evil.example", true), ("fine.example", false), ("192.0.2.7", true)]);
    }

    #[tokio::test]
    async fn hashed_items_are_asked_at_once_and_a_silent_list_times_out() {
        use sluice_core::checks::hashbl::{Encoding, HashAlgorithm, HashList, ItemKind, queries};
        let dns = TestDns::start();
        let email = HashList { zone: "_email.hbl.test".into(), items: vec![ItemKind::Email], hash: HashAlgorithm::Sha1, encoding: Some(Encoding::Base32), codes: Vec::new() };
        let silent = HashList { zone: "silent.test".into(), ..email.clone() };
        dns.add(&email.query(b"payout@claims.example"), "A", "127.0.0.2")
            .delay(&silent.query(b"payout@claims.example"), Duration::from_secs(3));
        let raw = b"From: a@sender.example\r\nReply-To: payout@claims.example\r\nSubject: x\r\n\r\nhello\r\n";
        let envelope = sluice_core::Envelope::default();
        let facts = sluice_core::MessageFacts::new(raw, &envelope, 0);
        let asked = queries(&[email, silent], &facts);
        assert_eq!(asked.len(), 4, "two addresses in two lists: {asked:?}");
        let gathering = Gathering::new(Duration::from_secs(1), Duration::from_millis(500));
        let started = std::time::Instant::now();
        let answers = hash_listings(&resolver(&dns), &gathering, asked).await;
        assert!(started.elapsed() < Duration::from_millis(1500), "concurrent: {:?}", started.elapsed());
        let outcomes: Vec<(usize, &str, bool, bool)> = answers
            .iter()
            .map(|answer| (answer.query.list, answer.query.item.as_str(), answer.answer.answer().is_some(), answer.answer == LookupOutcome::TimedOut))
            .collect();
        assert_eq!(
            outcomes,
            [(0, "payout@claims.example", true, false), (0, "a@sender.example", false, false), (1, "payout@claims.example", false, true), (1, "a@sender.example", false, false)]
        );
        assert_eq!(gathering.records().len(), 4, "each lookup recorded for the log");
    }
}
