//! What sender authentication costs per message with a local resolver: SPF at
//! MAIL FROM plus DKIM (one Ed25519 signature), ARC and the DMARC records after
//! the final dot, through the gateway's own gathering code
//! (`sluice_lookup::auth`), against `sluice-testdns` on loopback.
//!
//! Run: `cargo bench -p sluice-lookup --bench auth [-- SESSIONS MESSAGES]`
//! (default 10 concurrent sessions, 200 messages each). Not part of CI.
//!
//! Two rounds, each reporting p50/p99/max per message of the MAIL-stage work
//! (SPF, sender-domain MX and A/AAAA) and of the DATA-stage work (DKIM, ARC,
//! DMARC), and the queries the DNS server saw:
//! - `distinct`: every message from its own sender domain (every lookup reaches
//!   the server: hickory's cache cannot help);
//! - `repeated`: every message from one domain (what the resolver's cache saves).

use std::sync::Arc;
use std::time::{Duration, Instant};

use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use sluice_lookup::Gathering;
use sluice_lookup::auth::{self, Authenticator};
use sluice_lookup::dns::DnsResolver;
use sluice_testdns::TestDns;

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char } else { '=' });
        }
    }
    out
}

/// A signed message from `domain`.
fn message(domain: &str, pkcs8: &[u8]) -> Vec<u8> {
    let body = format!(
        "From: news@{domain}\r\nTo: bob@example.net\r\nSubject: the weekly letter\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@{domain}>\r\n\r\n{}",
        "A line of a newsletter that is long enough to look like one.\r\n".repeat(60)
    );
    let key = Ed25519Key::from_pkcs8_der(pkcs8).expect("key");
    let signature = DkimSigner::from_key(key).domain(domain).selector("s1").headers(["From", "To", "Subject", "Date"]).sign(body.as_bytes()).expect("signed");
    format!("{}{body}", signature.to_header()).into_bytes()
}

fn publish(dns: &TestDns, domain: &str, public_key: &str) {
    dns.add(domain, "TXT", "v=spf1 ip4:127.0.0.0/8 -all");
    dns.add(domain, "MX", &format!("10 mx.{domain}"));
    dns.add(&format!("mx.{domain}"), "A", "127.0.0.1");
    dns.add(&format!("_dmarc.{domain}"), "TXT", "v=DMARC1; p=reject");
    dns.add(&format!("s1._domainkey.{domain}"), "TXT", &format!("v=DKIM1; k=ed25519; p={public_key}"));
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1).min(sorted.len() - 1)]
}

fn report(name: &str, what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:9} {what:5} p50 {:7.3} ms  p99 {:7.3} ms  max {:7.3} ms  ({} messages)",
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0,
        times.last().map_or(0.0, |max| max.as_secs_f64() * 1000.0),
        times.len()
    );
}

async fn round(name: &str, sessions: usize, messages: usize, distinct: bool, pkcs8: Arc<Vec<u8>>) {
    let dns = Arc::new(TestDns::start());
    let public_key = base64(&Ed25519Key::from_pkcs8_der(&pkcs8).expect("key").public_key());
    let domain = |session: usize, index: usize| if distinct { format!("s{session}m{index}.example") } else { "news.example".to_owned() };
    for session in 0..sessions {
        for index in 0..messages {
            if distinct || (session, index) == (0, 0) {
                publish(&dns, &domain(session, index), &public_key);
            }
        }
    }
    let timeout = Duration::from_secs(2);
    let authenticator = Arc::new(Authenticator::new(Some(dns.address()), timeout).expect("resolver"));
    let resolver = Arc::new(DnsResolver::new(Some(dns.address()), timeout).expect("resolver"));
    let before = dns.queries().len();
    let mut tasks = Vec::new();
    for session in 0..sessions {
        let (authenticator, resolver, pkcs8) = (authenticator.clone(), resolver.clone(), pkcs8.clone());
        let domains: Vec<String> = (0..messages).map(|index| domain(session, index)).collect();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for domain in domains {
                let raw = message(&domain, &pkcs8);
                let sender = format!("bounce@{domain}");
                let started = Instant::now();
                let gathering = Gathering::new(timeout * 3, timeout * 3);
                let (spf, _) = tokio::join!(
                    authenticator.spf(&gathering, "127.0.0.1".parse().expect("ip"), "mail.example.org", &sender, "mx.example.net"),
                    auth::sender_domain(&gathering, resolver.as_ref(), &sender),
                );
                let at_mail = started.elapsed();
                let started = Instant::now();
                let gathering = Gathering::new(timeout * 3, timeout * 3);
                let facts = authenticator.message(&gathering, resolver.as_ref(), &raw, Some(spf)).await;
                let at_data = started.elapsed();
                assert_eq!(facts.evaluate(&[]).dmarc.result.as_str(), "pass", "{facts:?}");
                times.push((at_mail, at_data));
            }
            times
        }));
    }
    let mut mail = Vec::new();
    let mut data = Vec::new();
    for task in tasks {
        for (at_mail, at_data) in task.await.expect("session") {
            mail.push(at_mail);
            data.push(at_data);
        }
    }
    report(name, "MAIL", mail);
    report(name, "DATA", data);
    println!("{name:9} {} DNS queries for {} messages", dns.queries().len() - before, sessions * messages);
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|arg| arg.parse().ok()).collect();
    let (sessions, messages) = (args.first().copied().unwrap_or(10), args.get(1).copied().unwrap_or(200));
    let pkcs8 = Arc::new(Ed25519Key::generate_pkcs8().expect("key"));
    println!("sender authentication per message, {sessions} concurrent sessions, local test DNS");
    round("distinct", sessions, messages, true, pkcs8.clone()).await;
    round("repeated", sessions, messages, false, pkcs8).await;
}
