//! What a broken or hostile DNS list server (or a spoofer on the path) can send,
//! against the real resolver ([`DnsResolver`]) and the lists' gathering: garbage,
//! a wrong query ID, an answer for another question or for another name, a
//! message cut short, a truncated UDP answer whose TCP answer dribbles, CNAME
//! loops and chains (answered slowly per hop), thousands of records. Each lookup
//! ends within its deadline, lists nothing it should not, and is recorded.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use sluice_core::checks::dnslists::{DnsList, DnsLists, Listing, interpret};
use sluice_core::lookups::LookupOutcome;
use sluice_lookup::Gathering;
use sluice_lookup::dns::DnsResolver;
use sluice_lookup::dnslists::client_reputation;
use sluice_testdns::raw::{RCODE_NOERROR, RCODE_NXDOMAIN};
use sluice_testdns::{RawDns, RawQuery, RawRecord, RawReply, TestDns};

/// Each lookup's deadline (`[dns] timeout`) in these tests.
const TIMEOUT: Duration = Duration::from_millis(500);

const CLIENT: &str = "192.0.2.1";
/// The client's entry in `bl.test`.
const ENTRY: &str = "1.2.0.192.bl.test";

fn list(zone: &str) -> DnsList {
    DnsList { zone: zone.to_owned(), weight: 1.0, codes: Vec::new(), mask: None }
}

/// The client in `bl.test` through the server at `address`: the answer, what
/// the list makes of it, how long it took, and the recorded lookups.
async fn ask_block_list(address: std::net::SocketAddr, codes: &[&str]) -> (LookupOutcome<Vec<Ipv4Addr>>, Listing, Duration, Vec<String>) {
    let resolver = DnsResolver::new(Some(address), TIMEOUT).expect("resolver");
    let mut bl = list("bl.test");
    bl.codes = codes.iter().map(|code| code.parse().unwrap()).collect();
    let lists = DnsLists { dnsbl: vec![bl.clone()], ..DnsLists::default() };
    let gathering = Gathering::new(TIMEOUT * 2, TIMEOUT);
    let started = Instant::now();
    let reputation = client_reputation(&resolver, &gathering, &lists, CLIENT.parse::<IpAddr>().unwrap(), false).await;
    let took = started.elapsed();
    let answer = reputation.dnsbl[0].clone();
    let listing = interpret(&bl, &answer);
    let records = gathering.records().iter().map(|record| format!("{} {}", record.what, record.outcome)).collect();
    (answer, listing, took, records)
}

/// A raw server answering queries for [`ENTRY`] with `hostile`, everything else NXDOMAIN.
fn raw_list(hostile: impl Fn(&RawQuery) -> RawReply + Send + Sync + 'static) -> RawDns {
    RawDns::start(move |query| {
        if query.name == ENTRY { hostile(query) } else { RawReply::Send(query.response(RCODE_NXDOMAIN, false, &[])) }
    })
}

fn listed() -> RawRecord {
    RawRecord::a("127.0.0.2".parse().unwrap())
}

/// The lookup ended within its deadline (and a little scheduling), was
/// recorded, and listed nothing.
fn assert_unlisted_in_time(what: &str, outcome: &(LookupOutcome<Vec<Ipv4Addr>>, Listing, Duration, Vec<String>)) {
    let (answer, listing, took, records) = outcome;
    assert!(!matches!(listing, Listing::Listed(_)), "{what}: listed by {answer:?}");
    assert!(*took < TIMEOUT + Duration::from_millis(300), "{what}: took {took:?}");
    assert_eq!(records.len(), 1, "{what}: {records:?}");
    assert!(records[0].starts_with(&format!("A {ENTRY} ")), "{what}: {records:?}");
}

#[tokio::test]
async fn garbage_is_no_answer() {
    // Bytes that are not DNS, and bytes that start with the right ID (so they
    // pass the ID check) and are not DNS after it.
    let noise: Vec<u8> = (0u32..300).map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let dns = raw_list(move |_| RawReply::Send(noise.clone()));
    assert_unlisted_in_time("garbage", &ask_block_list(dns.address(), &[]).await);
    let dns = raw_list(|query| {
        let mut bytes = query.id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, b'x']);
        RawReply::Send(bytes)
    });
    assert_unlisted_in_time("garbage after the ID", &ask_block_list(dns.address(), &[]).await);
}

#[tokio::test]
async fn a_spoofed_answer_with_another_id_or_question_is_not_taken() {
    let dns = raw_list(|query| {
        let mut bytes = query.response(RCODE_NOERROR, false, &[listed()]);
        bytes[..2].copy_from_slice(&query.id.wrapping_add(1).to_be_bytes());
        RawReply::Send(bytes)
    });
    let outcome = ask_block_list(dns.address(), &[]).await;
    assert_unlisted_in_time("another ID", &outcome);
    // An answer with the right ID to another question (`2.2.0.192.bl.test`).
    let dns = raw_list(|query| {
        let mut bytes = query.response(RCODE_NOERROR, false, &[listed()]);
        bytes[12 + 1] = b'2';
        RawReply::Send(bytes)
    });
    assert_unlisted_in_time("another question", &ask_block_list(dns.address(), &[]).await);
}

#[tokio::test]
async fn records_of_another_name_in_the_answer_are_not_the_answer() {
    // Only a record of another name: nothing about the client.
    let dns = raw_list(|query| RawReply::Send(query.response(RCODE_NOERROR, false, &[RawRecord::a_of("1.2.0.192.other.test", "127.0.0.2".parse().unwrap())])));
    let outcome = ask_block_list(dns.address(), &[]).await;
    assert_unlisted_in_time("another name only", &outcome);
    // The client's own record (127.0.0.3, not a code of this list) beside one of
    // another name carrying the code the list wants: only the client's counts.
    let dns = raw_list(|query| {
        let records = [RawRecord::a("127.0.0.3".parse().unwrap()), RawRecord::a_of("evil.test", "127.0.0.2".parse().unwrap())];
        RawReply::Send(query.response(RCODE_NOERROR, false, &records))
    });
    let outcome = ask_block_list(dns.address(), &["127.0.0.2"]).await;
    assert_eq!(outcome.0, LookupOutcome::Answer(vec!["127.0.0.3".parse().unwrap()]), "{outcome:?}");
    assert_unlisted_in_time("another name beside", &outcome);
}

#[tokio::test]
async fn an_answer_cut_short_is_no_answer() {
    let dns = raw_list(|query| {
        let bytes = query.response(RCODE_NOERROR, false, &[listed(), listed()]);
        RawReply::Send(bytes[..bytes.len() - 20].to_vec())
    });
    assert_unlisted_in_time("cut short", &ask_block_list(dns.address(), &[]).await);
}

#[tokio::test]
async fn a_truncated_answer_whose_tcp_answer_dribbles_times_out() {
    let dns = raw_list(|query| {
        if query.tcp {
            RawReply::Dribble { bytes: query.response(RCODE_NOERROR, false, &[listed()]), pause: Duration::from_millis(50) }
        } else {
            RawReply::Send(query.response(RCODE_NOERROR, true, &[]))
        }
    });
    let outcome = ask_block_list(dns.address(), &[]).await;
    assert_eq!(outcome.0, LookupOutcome::TimedOut, "{outcome:?}");
    assert_unlisted_in_time("dribbled", &outcome);
    assert!(dns.queries().iter().any(|query| query.tcp), "the truncated answer was asked again over TCP");
    // Truncated over UDP and over TCP: a broken server, no answer.
    let dns = raw_list(|query| RawReply::Send(query.response(RCODE_NOERROR, true, &[])));
    assert_unlisted_in_time("truncated twice", &ask_block_list(dns.address(), &[]).await);
}

#[tokio::test]
async fn thousands_of_records_over_tcp_are_one_bounded_answer() {
    // 4,000 A records (127.0.0.2 to 127.0.0.254 over and over), 64,035 octets:
    // past any UDP answer (TC), asked again over TCP, where the whole of it comes.
    let records: Vec<RawRecord> = (0..4000u32).map(|n| RawRecord::a(Ipv4Addr::new(127, 0, 0, u8::try_from(2 + n % 253).unwrap()))).collect();
    let dns = raw_list(move |query| RawReply::Send(query.response(RCODE_NOERROR, !query.tcp, if query.tcp { &records } else { &[] })));
    let outcome = ask_block_list(dns.address(), &[]).await;
    let LookupOutcome::Answer(addresses) = &outcome.0 else { panic!("{outcome:?}") };
    assert_eq!(addresses.len(), 4000);
    assert_eq!(outcome.1, Listing::Listed("127.0.0.2".parse().unwrap()), "what the answer validly says: the first code");
    assert!(outcome.2 < TIMEOUT + Duration::from_millis(300), "took {:?}", outcome.2);
    assert_eq!(outcome.3, [format!("A {ENTRY} answer")]);
    // A zone of as many records served by hickory-server: past 65,535 octets as
    // it writes them, its TCP answer is truncated too; the list cannot say.
    let dns = TestDns::start();
    for n in 0..4000u32 {
        dns.add(ENTRY, "A", &Ipv4Addr::from(0x7f00_0000 | (n + 2)).to_string());
    }
    assert_unlisted_in_time("truncated over TCP", &ask_block_list(dns.address(), &[]).await);
}

#[tokio::test]
async fn cname_loops_and_long_chains_end_and_list_nothing() {
    let dns = TestDns::start();
    dns.add(ENTRY, "CNAME", "loop-b.bl.test").add("loop-b.bl.test", "CNAME", ENTRY);
    let outcome = ask_block_list(dns.address(), &[]).await;
    assert_unlisted_in_time("loop", &outcome);
    assert!(dns.queries().len() <= 20, "the loop is not followed forever: {} queries", dns.queries().len());

    // A chain of 30 names ending in a listing: past the resolver's depth.
    let dns = TestDns::start();
    dns.add(ENTRY, "CNAME", "hop1.bl.test");
    for hop in 1..30 {
        dns.add(&format!("hop{hop}.bl.test"), "CNAME", &format!("hop{}.bl.test", hop + 1));
    }
    dns.add("hop30.bl.test", "A", "127.0.0.2");
    let outcome = ask_block_list(dns.address(), &[]).await;
    assert_unlisted_in_time("long chain", &outcome);
    assert!(dns.queries().len() <= 20, "{} queries", dns.queries().len());

    // A short chain is followed: what the answer validly says.
    let dns = TestDns::start();
    dns.add(ENTRY, "CNAME", "hop1.bl.test").add("hop1.bl.test", "CNAME", "hop2.bl.test").add("hop2.bl.test", "A", "127.0.0.2");
    let outcome = ask_block_list(dns.address(), &[]).await;
    assert!(matches!(outcome.1, Listing::Listed(_)), "{outcome:?}");
}

#[tokio::test]
async fn a_chain_answered_slowly_per_hop_ends_at_the_lookups_deadline() {
    // Each hop answered within the resolver's own per-query timeout, the chain
    // as a whole well past the lookup's deadline.
    let dns = TestDns::start();
    dns.add(ENTRY, "CNAME", "hop1.bl.test");
    for hop in 1..6 {
        dns.add(&format!("hop{hop}.bl.test"), "CNAME", &format!("hop{}.bl.test", hop + 1));
    }
    dns.add("hop6.bl.test", "A", "127.0.0.2");
    dns.behave_everywhere(sluice_testdns::Behaviour::Delay(Duration::from_millis(300)));
    let outcome = ask_block_list(dns.address(), &[]).await;
    assert_eq!(outcome.0, LookupOutcome::TimedOut, "{outcome:?}");
    assert_unlisted_in_time("slow hops", &outcome);
}

#[tokio::test]
async fn answers_are_kept_for_the_name_asked_however_it_is_written() {
    use sluice_lookup::{MailExchangers, Resolver};
    let dns = TestDns::start();
    dns.add("Example.test", "MX", "10 mx.example.test")
        .add("example.test", "TXT", "v=spf1 -all")
        .add("alias.test", "CNAME", "example.test")
        .add("1.2.0.192.in-addr.arpa", "PTR", "mail.example.test");
    let resolver = DnsResolver::new(Some(dns.address()), TIMEOUT).expect("resolver");
    // Without the trailing dot, in another case, through a CNAME.
    assert_eq!(resolver.mx("example.TEST").await, LookupOutcome::Answer(MailExchangers::Hosts(vec![(10, "mx.example.test.".to_owned())])));
    assert_eq!(resolver.txt("example.test").await, LookupOutcome::Answer(vec!["v=spf1 -all".to_owned()]));
    assert_eq!(resolver.txt("alias.test.").await, LookupOutcome::Answer(vec!["v=spf1 -all".to_owned()]));
    assert_eq!(resolver.ptr(CLIENT.parse().unwrap()).await, LookupOutcome::Answer(vec!["mail.example.test.".to_owned()]));
}

#[tokio::test]
async fn a_chain_of_thousands_of_cnames_in_one_answer_is_followed_only_so_far() {
    use sluice_testdns::raw::{TYPE_CNAME, wire_name};
    // One TCP answer of `length` CNAMEs, each to the next, ending in a listing.
    let chain = |length: u32| {
        let hop = |n: u32| format!("c{n}.bl.test");
        let mut records = vec![RawRecord { owner: None, record_type: TYPE_CNAME, data: wire_name(&hop(1)) }];
        for n in 1..length {
            records.push(RawRecord { owner: Some(hop(n)), record_type: TYPE_CNAME, data: wire_name(&hop(n + 1)) });
        }
        records.push(RawRecord::a_of(&hop(length), "127.0.0.2".parse().unwrap()));
        raw_list(move |query| RawReply::Send(query.response(RCODE_NOERROR, !query.tcp, if query.tcp { &records } else { &[] })))
    };
    // A chain of ten in one answer is what the answer validly says.
    let outcome = ask_block_list(chain(10).address(), &[]).await;
    assert_eq!(outcome.1, Listing::Listed("127.0.0.2".parse().unwrap()), "{outcome:?}");
    // 1,500: each name of the chain would cost a pass over the whole answer
    // (a fifth of a second of a runtime thread per lookup); past 16 names the
    // chain is not followed, and the answer says nothing of the name asked.
    let outcome = ask_block_list(chain(1500).address(), &[]).await;
    assert_eq!(outcome.0, LookupOutcome::Answer(Vec::new()), "{outcome:?}");
    assert_unlisted_in_time("a chain of 1,500 in one answer", &outcome);
}
