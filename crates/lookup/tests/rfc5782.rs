//! The DNSBL conformance suite (`tests/data/conformance/dnsbl/`), data-driven:
//! RFC 5782's test points and query forms, and Spamhaus's return and error
//! codes, each served by the in-process test DNS server, asked through the real
//! resolver and read by `sluice_core::checks::dnslists::interpret`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use sluice_core::checks::dnslists::{DnsList, Listing, interpret, ip_query, name_query};
use sluice_lookup::dns::DnsResolver;
use sluice_lookup::{Gathering, Resolver};
use sluice_testdns::TestDns;

fn data(name: &str) -> Vec<Vec<String>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/conformance/dnsbl").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    text.lines().skip(1).filter(|line| !line.trim().is_empty()).map(|line| line.split('\t').map(str::to_owned).collect()).collect()
}

fn list(zone: &str) -> DnsList {
    DnsList { zone: zone.to_owned(), weight: 1.0, codes: Vec::new(), mask: None }
}

async fn ask(resolver: &DnsResolver, name: &str) -> sluice_core::lookups::LookupOutcome<Vec<std::net::Ipv4Addr>> {
    let gathering = Gathering::new(Duration::from_secs(2), Duration::from_secs(2));
    gathering.run(name.to_owned(), resolver.ipv4(name)).await
}

/// A working DNSxL's test entries (RFC 5782 §5) in the zones `bl.test` (IPv4
/// and IPv6 addresses) and `dbl.test` (domains); each row's query form, and
/// what Sluice reads from the answer.
#[tokio::test]
async fn rfc_5782_test_points() {
    let dns = TestDns::start();
    // What a conforming list publishes: only the MUST-contain entries.
    dns.add("2.0.0.127.bl.test", "A", "127.0.0.2")
        .add("2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.test", "A", "127.0.0.2")
        .add("test.dbl.test", "A", "127.0.0.2");
    let resolver = DnsResolver::new(Some(dns.address()), Duration::from_secs(1)).expect("resolver");
    let rows = data("test-points.tsv");
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for row in &rows {
        let [kind, subject, label, expected, _why] = &row[..] else { panic!("row {row:?}") };
        let (zone, name) = match kind.as_str() {
            "ipv4" | "ipv6" => ("bl.test", ip_query(subject.parse::<IpAddr>().expect("address"), "bl.test")),
            "domain" => ("dbl.test", name_query(subject, "dbl.test")),
            other => panic!("kind {other}"),
        };
        let mut ok = name == format!("{label}.{zone}");
        if expected != "example" {
            let listing = interpret(&list(zone), &ask(&resolver, &name).await);
            ok &= match expected.as_str() {
                "listed" => matches!(listing, Listing::Listed(_)),
                "not-listed" => listing == Listing::NotListed,
                other => panic!("expected {other}"),
            };
        }
        if ok { passed.push(subject.clone()) } else { failed.push(format!("{kind} {subject}: asked {name}")) }
    }
    println!("RFC 5782 test points: {} of {} pass", passed.len(), rows.len());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(passed.len(), 8);
}

/// Every Spamhaus answer: a listing lists, an error code never does.
#[tokio::test]
async fn spamhaus_return_codes() {
    let dns = TestDns::start();
    let rows = data("spamhaus-return-codes.tsv");
    // One client address per row, so every answer is a fresh query.
    for (index, row) in rows.iter().enumerate() {
        dns.add(&format!("{}.2.0.192.zen.test", index + 1), "A", &row[1]);
    }
    let resolver = DnsResolver::new(Some(dns.address()), Duration::from_secs(1)).expect("resolver");
    let mut passed = 0;
    let mut failed = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let [zone, answer, meaning, treat_as] = &row[..] else { panic!("row {row:?}") };
        let client: IpAddr = format!("192.0.2.{}", index + 1).parse().expect("address");
        let listing = interpret(&list("zen.test"), &ask(&resolver, &ip_query(client, "zen.test")).await);
        let ok = match treat_as.as_str() {
            "listed" => listing == Listing::Listed(answer.parse().expect("answer")),
            "error" => matches!(listing, Listing::Unusable(_)),
            other => panic!("treat_as {other}"),
        };
        if ok { passed += 1 } else { failed.push(format!("{zone} {answer} ({meaning}): {listing:?}")) }
    }
    println!("Spamhaus return codes: {passed} of {} pass", rows.len());
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(passed, 20);
}

/// RFC 5782 §5's warning in practice: a list that answers "listed" for
/// everything (a resolver rewriting NXDOMAIN) or outside 127.0.0.0/8 lists nothing.
#[tokio::test]
async fn answers_outside_loopback_never_list() {
    let dns = TestDns::start();
    dns.add("1.0.0.127.bl.test", "A", "198.51.100.7");
    let resolver = DnsResolver::new(Some(dns.address()), Duration::from_secs(1)).expect("resolver");
    let name = ip_query("127.0.0.1".parse().expect("address"), "bl.test");
    assert!(matches!(interpret(&list("bl.test"), &ask(&resolver, &name).await), Listing::Unusable(_)));
}
