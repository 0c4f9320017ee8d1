//! What the filtering rules cost with 1,000 rules (and, together with them, the
//! 10,000-entry lists of `bench/lists.rs`'s shape).
//!
//! Run: `cargo bench -p sluice-core --bench rules [-- CORPUS_DIR]` (default
//! `../shared/corpus/spamassassin`; every file under `ham/` and `spam/`). Not part
//! of CI.
//!
//! 1,000 rules over the three scopes (60 % global, 20 domains, 500 mailboxes),
//! every field and operator in the proportions an admin writes them: mostly
//! `contains` words and phrases on body, subject and decoded parts, URL domains,
//! attachment names and types, some regexes and globs, CIDR blocks, envelope
//! fields. It times, best of several rounds:
//! - `compile`: `Rules::new` over the 1,000 rules (once per change);
//! - `rcpt`: one RCPT-stage check (envelope fields only);
//! - `data`: per corpus message, gathering the message's fields
//!   (`Rules::gather`, given the parse the classification already made: the
//!   gateway runs the rules as a `classify::Judge`) and the check with them; and
//!   the same plus a parse of its own (what `sluice explain` does).

use std::hint::black_box;
use std::net::IpAddr;
use std::time::Duration;

use sluice_core::Envelope;
use sluice_core::checks::lists::ListScope;
use sluice_core::checks::rules::{self, Rule, RuleAction, RuleContent, RuleFacts, RuleField, RuleOperator, Rules};
use sluice_core::message::MessageFacts;

#[path = "timing.rs"]
mod timing;
use timing::{best, load};

fn bench_rules() -> Vec<Rule> {
    (0..1_000i64)
        .map(|n| {
            let scope = match n % 10 {
                0..=5 => ListScope::Global,
                6 | 7 => ListScope::Domain(format!("domain{}.test", n % 20)),
                _ => ListScope::Mailbox(format!("user{}@domain{}.test", n % 500, n % 20)),
            };
            use RuleField as F;
            use RuleOperator as O;
            let (field, header, operator, value) = match n % 20 {
                0..=4 => (F::Body, None, O::Contains, format!("cheap pills {n}")),
                5 => (F::Body, None, O::Regex, format!(r"\bwin(ner)?\s+{n}\b")),
                6 | 7 => (F::Header, Some("Subject"), O::Contains, format!("offer {n}")),
                8 => (F::Header, Some("Subject"), O::Regex, format!(r"^\[spam-{n}\]")),
                9 => (F::Header, Some("X-Mailer"), O::StartsWith, format!("bulkmailer {n}")),
                10 | 11 => (F::Url, None, O::EndsWith, format!(".spam{n}.example")),
                12 => (F::Url, None, O::Glob, format!("http*://*.track{n}.example/*")),
                13 => (F::AttachmentName, None, O::Glob, format!("*.x{n}")),
                14 => (F::AttachmentType, None, O::Equals, format!("application/x-type{n}")),
                15 => (F::Decoded, None, O::Contains, format!("payload-{n}")),
                16 => (F::SIp, None, O::Cidr, format!("{}.{}.{}.0/24", 10 + n % 100, (n >> 8) & 255, n & 255)),
                17 => (F::Helo, None, O::EndsWith, format!(".dyn{n}.example")),
                18 => (F::SAddr, None, O::Equals, format!("sender{n}@spam.example")),
                _ => (F::RcptTo, None, O::StartsWith, format!("honeypot{n}@")),
            };
            Rule {
                id: n,
                name: format!("rule {n}"),
                scope,
                field,
                header: header.map(str::to_owned),
                operator,
                value,
                action: if n % 7 == 0 { RuleAction::Allow } else { RuleAction::Block },
                enabled: true,
            }
        })
        .collect()
}

fn main() {
    let corpus = std::env::args().nth(1).filter(|arg| arg != "--bench").unwrap_or_else(|| "../shared/corpus/spamassassin".to_owned());
    let list = bench_rules();
    let all_rules = list.clone();
    assert!(list.iter().all(|rule| rules::validate(rule).is_ok()));
    let compile = best(3, || {
        black_box(Rules::new(black_box(list.clone())));
    });
    let compiled = Rules::new(list);
    println!("compile 1,000 rules: {:.2} ms", compile.as_secs_f64() * 1e3);

    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let rcpt = best(20, || {
        for n in 0..10_000u32 {
            let facts = RuleFacts { client_ip: Some(ip), helo: Some("mail.example.org"), sender: Some("someone@example.org"), ..RuleFacts::default() };
            black_box(rules::check(&compiled, &facts, &format!("user{}@domain{}.test", n % 500, n % 20)));
        }
    });
    println!("rcpt check (envelope rules): {:.0} ns per recipient", rcpt.as_nanos() as f64 / 10_000.0);

    let messages = load(&corpus);
    if messages.is_empty() {
        println!("no corpus at {corpus}: DATA stage not measured");
        return;
    }
    let envelope = Envelope::default();
    let parsed: Vec<MessageFacts<'_>> = messages.iter().map(|raw| MessageFacts::new(raw, &envelope, 0)).collect();
    let judge = |content: &RuleContent<'_>| {
        let facts = RuleFacts { client_ip: Some(ip), helo: Some("mail.example.org"), sender: Some("someone@example.org"), content: Some(content), ..RuleFacts::default() };
        black_box(rules::check(&compiled, &facts, "user1@domain1.test"));
    };
    let gather = best(3, || {
        for facts in &parsed {
            black_box(compiled.gather(facts));
        }
    });
    let contents: Vec<RuleContent<'_>> = parsed.iter().map(|facts| compiled.gather(facts)).collect();
    let check = best(3, || contents.iter().for_each(judge));
    let own_parse = best(3, || {
        for raw in &messages {
            let facts = MessageFacts::new(raw, &envelope, 0);
            judge(&compiled.gather(&facts));
        }
    });
    let per = |time: Duration| time.as_secs_f64() * 1e6 / messages.len() as f64;
    println!("over {} messages of {corpus}:", messages.len());
    println!("  gather the message's fields (given the parse): {:.2} µs per message", per(gather));
    println!("  check 1,000 rules with them: {:.2} µs per message", per(check));
    println!("  added by the rules in the gateway (gather + check): {:.2} µs per message", per(gather) + per(check));
    println!("  parse + gather + check (sluice explain): {:.2} µs per message", per(own_parse));
    // Which fields the gathering time goes to: the rules of one field alone.
    for field in RuleField::ALL.iter().copied().filter(|field| field.is_content()) {
        let only = Rules::new(all_rules.iter().filter(|rule| rule.field == field).cloned().collect());
        let gather = best(3, || {
            for facts in &parsed {
                black_box(only.gather(facts));
            }
        });
        println!("    gather {field} alone: {:.2} µs per message", per(gather));
    }
}
