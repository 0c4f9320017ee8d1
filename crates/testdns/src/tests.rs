//! The server answers a real resolver (hickory) as an authoritative server
//! would, and fails, delays and goes silent as told.

use std::time::{Duration, Instant};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;

use super::*;

fn resolver(dns: &TestDns, timeout: Duration) -> TokioResolver {
    let mut name_server = NameServerConfig::udp_and_tcp(dns.address().ip());
    for connection in &mut name_server.connections {
        connection.port = dns.address().port();
    }
    let mut builder =
        TokioResolver::builder_with_config(ResolverConfig::from_name_servers(vec![name_server]), TokioRuntimeProvider::default());
    builder.options_mut().timeout = timeout;
    builder.options_mut().attempts = 1;
    builder.build().expect("resolver")
}

#[tokio::test]
async fn answers_records_nodata_and_nxdomain() {
    let dns = TestDns::start();
    dns.add_lines(
        "example.test A 192.0.2.1
         example.test TXT \"v=spf1 \" \"-all\"
         example.test MX 10 mx.example.test
         Mixed.Case.test AAAA 2001:db8::1",
    );
    let resolver = resolver(&dns, Duration::from_secs(2));
    let a = resolver.ipv4_lookup("example.test.").await.expect("A");
    assert_eq!(a.answers().len(), 1);
    let txt = resolver.txt_lookup("EXAMPLE.test.").await.expect("TXT");
    let text: Vec<String> = txt.answers().iter().map(|record| record.data.to_string()).collect();
    assert_eq!(text, ["v=spf1 -all"]);
    let mx = resolver.mx_lookup("example.test.").await.expect("MX");
    assert_eq!(mx.answers().len(), 1);
    assert!(resolver.ipv6_lookup("mixed.case.test.").await.is_ok());

    let nodata = resolver.ipv6_lookup("example.test.").await.expect_err("no AAAA");
    assert!(nodata.is_no_records_found() && !nodata.is_nx_domain(), "{nodata}");
    let nxdomain = resolver.ipv4_lookup("missing.test.").await.expect_err("no name");
    assert!(nxdomain.is_nx_domain(), "{nxdomain}");
    assert!(dns.queries_for("example.test") >= 4);
}

#[tokio::test]
async fn long_txt_records_are_split_and_served() {
    let dns = TestDns::start();
    let long = format!("v=DKIM1; k=rsa; p={}", "A".repeat(700));
    dns.add("sel._domainkey.example.test", "TXT", &long);
    let txt = resolver(&dns, Duration::from_secs(2)).txt_lookup("sel._domainkey.example.test.").await.expect("TXT");
    let joined: String = txt.answers().iter().map(|record| record.data.to_string()).collect();
    assert_eq!(joined, long);
}

#[tokio::test]
async fn fails_delays_and_goes_silent_as_told() {
    let dns = TestDns::start();
    dns.add("broken.test", "A", "192.0.2.2").fail("broken.test");
    dns.add("slow.test", "A", "192.0.2.3").delay("slow.test", Duration::from_millis(300));
    dns.add("dead.test", "A", "192.0.2.4").behave("dead.test", Behaviour::Silent);
    let resolver = resolver(&dns, Duration::from_millis(1000));

    let failed = resolver.ipv4_lookup("broken.test.").await.expect_err("SERVFAIL");
    assert!(!failed.is_nx_domain() && !failed.is_no_records_found(), "{failed}");

    let started = Instant::now();
    assert!(resolver.ipv4_lookup("slow.test.").await.is_ok());
    assert!(started.elapsed() >= Duration::from_millis(300));

    let started = Instant::now();
    assert!(resolver.ipv4_lookup("dead.test.").await.is_err());
    assert!(started.elapsed() < Duration::from_secs(10), "a silent server must end in the resolver's timeout");
}

#[test]
fn stops_when_dropped() {
    let dns = TestDns::start();
    let address = dns.address();
    dns.behave_everywhere(Behaviour::Silent);
    drop(dns);
    // The port is free again once the server has stopped.
    assert!(std::net::UdpSocket::bind(address).is_ok());
}

#[tokio::test]
async fn the_raw_server_sends_what_it_is_told_over_udp_and_tcp() {
    use crate::raw::{RCODE_NOERROR, RCODE_NXDOMAIN};
    use crate::{RawDns, RawRecord, RawReply};
    let dns = RawDns::start(|query| match query.name.as_str() {
        "listed.test" => RawReply::Send(query.response(RCODE_NOERROR, false, &[RawRecord::a("127.0.0.2".parse().unwrap())])),
        // Truncated over UDP; over TCP, the answer a byte at a time.
        "slow.test" if query.tcp => RawReply::Dribble {
            bytes: query.response(RCODE_NOERROR, false, &[RawRecord::a("127.0.0.3".parse().unwrap())]),
            pause: Duration::from_millis(5),
        },
        "slow.test" => RawReply::Send(query.response(RCODE_NOERROR, true, &[])),
        "silent.test" => RawReply::Drop,
        _ => RawReply::Send(query.response(RCODE_NXDOMAIN, false, &[])),
    });
    let mut name_server = NameServerConfig::udp_and_tcp(dns.address().ip());
    for connection in &mut name_server.connections {
        connection.port = dns.address().port();
    }
    let mut builder =
        TokioResolver::builder_with_config(ResolverConfig::from_name_servers(vec![name_server]), TokioRuntimeProvider::default());
    builder.options_mut().timeout = Duration::from_millis(500);
    builder.options_mut().attempts = 1;
    let resolver = builder.build().expect("resolver");

    let listed = resolver.ipv4_lookup("listed.test.").await.expect("A");
    assert_eq!(listed.answers().len(), 1);
    let slow = resolver.ipv4_lookup("slow.test.").await.expect("A over TCP");
    assert_eq!(slow.answers()[0].data.to_string(), "127.0.0.3");
    assert!(resolver.ipv4_lookup("missing.test.").await.expect_err("NXDOMAIN").is_nx_domain());
    assert!(resolver.ipv4_lookup("silent.test.").await.is_err());
    let asked: Vec<(String, bool)> = dns.queries().iter().map(|query| (query.name.clone(), query.tcp)).collect();
    assert!(asked.contains(&("slow.test".to_owned(), false)) && asked.contains(&("slow.test".to_owned(), true)), "{asked:?}");
}
