//! What the allow and block lists cost with 10,000 entries.
//!
//! Run: `cargo bench -p sluice-core --bench lists [-- CORPUS_DIR]` (default
//! `../shared/corpus/spamassassin`; every file under `ham/` and `spam/`). Not part
//! of CI.
//!
//! 10,000 entries over the three scopes (global, 20 domains, 500 mailboxes) and
//! every field: exact addresses, domains and `*.domain` for senders and
//! recipients, IPv4 and IPv6 blocks of many prefix lengths, HELO and host names.
//! It times, best of several rounds:
//! - `compile`: `Lists::new` over the 10,000 entries (once per change);
//! - `rcpt`: one RCPT-stage check (client, HELO, envelope sender, recipient), for
//!   envelopes that match nothing (the common case: every scope is searched) and
//!   for envelopes that match;
//! - `data`: the DATA-stage work per corpus message: the header From read from
//!   the message, then the check with it (`sluice explain`); and the same as the
//!   gateway does it, `ListsJudge` given the classification's parse.

use std::hint::black_box;
use std::net::IpAddr;

use sluice_core::checks::lists::{self, ListEntry, ListFacts, ListField, ListKind, ListScope, Lists, Sender};

#[path = "timing.rs"]
mod timing;
use timing::{best, load};

fn entries() -> Vec<ListEntry> {
    (0..10_000i64)
        .map(|n| {
            let scope = match n % 10 {
                0..=5 => ListScope::Global,
                6 | 7 => ListScope::Domain(format!("domain{}.test", n % 20)),
                _ => ListScope::Mailbox(format!("user{}@domain{}.test", n % 500, n % 20)),
            };
            let (field, value) = match n % 8 {
                0 => (ListField::Sender, format!("sender{n}@spam{}.example", n % 300)),
                1 => (ListField::Sender, format!("spam-domain{n}.example")),
                2 => (ListField::Sender, format!("*.spam-network{n}.example")),
                3 => (ListField::Recipient, format!("user{n}@domain{}.test", n % 20)),
                4 => (ListField::Ip, format!("{}.{}.{}.0/{}", 10 + n % 100, (n >> 8) & 255, n & 255, 24 + n % 9)),
                5 => (ListField::Ip, format!("2001:db8:{:x}::/{}", n, 48 + n % 17)),
                6 => (ListField::Helo, format!("helo{n}.spam.example")),
                _ => (ListField::Hostname, format!("*.pool{n}.isp.example")),
            };
            let value = lists::canonical_value(field, &value).expect("valid bench entry");
            let kind = if n % 5 == 0 { ListKind::Allow } else { ListKind::Block };
            ListEntry { id: n, kind, scope, field, value, unauthenticated: false }
        })
        .collect()
}

fn main() {
    let corpus = std::env::args().nth(1).filter(|arg| arg != "--bench").unwrap_or_else(|| "../shared/corpus/spamassassin".to_owned());
    let entries = entries();
    let compile = best(5, || {
        black_box(Lists::new(black_box(entries.clone())));
    });
    let lists = Lists::new(entries);
    println!("compile 10,000 entries: {:.2} ms", compile.as_secs_f64() * 1e3);

    let envelopes: Vec<(IpAddr, String, String, String)> = (0..10_000u32)
        .map(|n| {
            let ip: IpAddr = if n % 2 == 0 {
                format!("192.0.{}.{}", (n >> 8) & 255, n & 255).parse().unwrap()
            } else {
                format!("2001:db9::{n:x}").parse().unwrap()
            };
            (ip, format!("mail{n}.example.org"), format!("someone{n}@sub.example.org"), format!("user{}@domain{}.test", n % 500, n % 20))
        })
        .collect();
    let rounds = 20;
    let miss = best(rounds, || {
        for (ip, helo, sender, recipient) in &envelopes {
            let facts = ListFacts {
                client_ip: Some(*ip),
                helo: Some(helo),
                hostname: None,
                senders: vec![Sender { address: sender, source: "envelope", authenticated: false }],
            };
            black_box(lists::check(&lists, &facts, recipient));
        }
    });
    println!("rcpt check, no match: {:.0} ns per recipient", miss.as_nanos() as f64 / envelopes.len() as f64);
    let hit = best(rounds, || {
        for n in 0..10_000u32 {
            let sender = format!("x@relay.spam-network{}.example", (n / 8) * 8 + 2);
            let facts = ListFacts {
                client_ip: Some(format!("10.{}.0.1", n % 256).parse().unwrap()),
                helo: Some("mail.example.org"),
                hostname: None,
                senders: vec![Sender { address: &sender, source: "envelope", authenticated: false }],
            };
            black_box(lists::check(&lists, &facts, "someone@domain3.test"));
        }
    });
    println!("rcpt check, matching (incl. building the facts): {:.0} ns per recipient", hit.as_nanos() as f64 / 10_000.0);

    let messages = load(&corpus);
    if messages.is_empty() {
        println!("no corpus at {corpus}: DATA stage not measured");
        return;
    }
    let data = best(5, || {
        for raw in &messages {
            let from = lists::header_from(raw);
            let facts = ListFacts {
                client_ip: Some("192.0.2.1".parse().unwrap()),
                helo: Some("mail.example.org"),
                hostname: None,
                senders: from.iter().map(|address| Sender { address, source: "From", authenticated: false }).collect(),
            };
            black_box(lists::check(&lists, &facts, "user1@domain1.test"));
        }
    });
    println!(
        "data stage (header From + check) over {} messages of {corpus}: {:.2} µs per message",
        messages.len(),
        data.as_secs_f64() * 1e6 / messages.len() as f64
    );
    // What the gateway does: the lists as a judge of the classification, the
    // header From read from the classification's parse.
    use sluice_core::classify::Judge;
    let envelope = sluice_core::Envelope {
        client_ip: Some("192.0.2.1".parse().unwrap()),
        helo: "mail.example.org".to_owned(),
        recipients: vec!["user1@domain1.test".to_owned()],
        ..sluice_core::Envelope::default()
    };
    let parsed: Vec<_> = messages.iter().map(|raw| sluice_core::message::MessageFacts::new(raw, &envelope, 0)).collect();
    let judge = lists::ListsJudge { lists: &lists, hostname: None, envelope_authenticated: false, from_authenticated: false };
    let judged = best(5, || {
        for facts in &parsed {
            let mut findings = Vec::new();
            judge.judge(facts, &mut findings);
            black_box(findings);
        }
    });
    println!("data stage as a judge (given the parse): {:.2} µs per message", judged.as_secs_f64() * 1e6 / messages.len() as f64);
}
