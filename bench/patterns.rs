//! What an external pattern set of the most patterns a file may hold (100,000)
//! costs: loading it, and judging a corpus with it.
//!
//! Run: `cargo bench -p sluice-core --bench patterns [-- CORPUS_DIR]` (default
//! the shared SpamAssassin corpus beside the repository; every file under
//! `ham/` and `spam/`). Not part of CI.
//!
//! The feed is synthetic, in the proportions of the vendor feeds it imitates:
//! mostly exact values (40,000 domains, 10,000 attachment hashes, 5,000 From
//! and 5,000 envelope addresses), 25,000 substrings (body phrases, subjects,
//! `X-Mailer` values, attachment names) and 15,000 regexes (body, subject, URL
//! paths; ASCII classes, 1,000 with word boundaries). It times, best of several
//! rounds:
//! - `load`: `PatternSet::parse` of the file's bytes (at start and at each
//!   reload of a changed file);
//! - `judge`: per corpus message, given the parse the classification already
//!   made (the gateway runs the sets as a `classify::Judge`): gathering the
//!   fields and matching every pattern (`patterns::check`), and how many
//!   messages matched (the feed's words are invented, so few should);
//! - `hostile`: each of a few messages of 100 KB built against the feed
//!   (ordinary text that is not English, near-matches of its regexes, one
//!   letter repeated, thousands of header fields, thousands of URLs), judged
//!   alone: what a sender can make one message cost.

use std::hint::black_box;
use std::sync::Arc;

use sluice_core::Envelope;
use sluice_core::checks::patterns::{self, EVERY_SET, PatternSet, PatternSets};
use sluice_core::message::MessageFacts;

#[path = "timing.rs"]
mod timing;
use timing::{best, load};

fn feed() -> String {
    let mut text = String::from("# a synthetic feed of 100,000 patterns (bench/patterns.rs)\n");
    for n in 0..100_000u32 {
        let line = match n % 20 {
            0..=7 => format!("d{n} domain spam-{n}.example"),
            8 | 9 => format!("h{n} attachment-sha256 {:064x}", u128::from(n) * 0x9e37_79b9_7f4a_7c15),
            10 => format!("f{n} from offers{n}@prize-{n}.example"),
            11 => format!("s{n} sender bounce{n}@bulk-{n}.example"),
            12 | 13 => format!("b{n} body limited offer code {n}x"),
            14 => format!("t{n} subject winner notice {n}z"),
            15 => format!("m{n} header:X-Mailer blaster-{n}"),
            16 => format!("a{n} attachment-name invoice_{n}.iso"),
            17 if n % 100 == 17 => format!("w{n} body /\\bcrypto{n} (bonus|gift)\\b/i"),
            17 => format!("r{n} body /claim (your )?prize #{n}[a-f]/i"),
            18 => format!("j{n} subject /^\\[promo-{n}\\]/"),
            _ => format!("u{n} url /\\/track\\/{n}\\/[0-9a-f]{{8}}/"),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn main() {
    let corpus = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .unwrap_or_else(|| format!("{}/../../../shared/corpus/spamassassin", env!("CARGO_MANIFEST_DIR")));
    let text = feed();
    let set = PatternSet::parse("bench", text.as_bytes()).unwrap_or_else(|errors| panic!("{errors:?}"));
    println!("feed: {} patterns, {:.1} MiB: {:?}", set.len(), text.len() as f64 / (1 << 20) as f64, set.counts());
    let load_time = best(3, || {
        black_box(PatternSet::parse("bench", black_box(text.as_bytes())).ok());
    });
    println!("load 100,000 patterns: {:.0} ms", load_time.as_secs_f64() * 1e3);

    let sets = PatternSets::new(vec![Arc::new(set)]);
    hostile(&sets);

    let messages = load(&corpus);
    if messages.is_empty() {
        println!("no corpus at {corpus}: judging not measured");
        return;
    }
    let every = vec![EVERY_SET.to_owned()];
    let envelope = Envelope { sender: "someone@example.org".to_owned(), ..Envelope::default() };
    let parsed: Vec<MessageFacts<'_>> = messages.iter().map(|raw| MessageFacts::new(raw, &envelope, 0)).collect();
    let matched = parsed.iter().filter(|facts| !patterns::check(&sets, &every, facts).is_empty()).count();
    let judge = best(3, || {
        for facts in &parsed {
            black_box(patterns::check(&sets, &every, facts));
        }
    });
    let per = judge.as_secs_f64() * 1e6 / messages.len() as f64;
    println!("over {} messages of {corpus} ({matched} matched):", messages.len());
    println!("  judge with 100,000 patterns (gather + match, given the parse): {per:.1} µs per message");
}

/// Messages built against the feed, each judged alone: the time of the worst
/// one is what a sender can make one message cost.
fn hostile(sets: &PatternSets) {
    const SIZE: usize = 100 << 10;
    let head = "From: a@sender.example\r\nTo: bob@example.net\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
                Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";
    let body = |unit: &str| unit.repeat(SIZE / unit.len());
    let cases: Vec<(&str, String)> = vec![
        ("English text", format!("{head}\r\n{}", body("Greetings from Munich, have a nice week. "))),
        ("German text", format!("{head}\r\n{}", body("Schöne Grüße aus München, bis nächste Woche. "))),
        ("near-matches of the regexes, non-ASCII between", format!("{head}\r\n{}", body("claim your prize #17ä crypto117 bonusé /track/19/ "))),
        ("near-matches of many regexes (numbers all over the feed's)", format!("{head}\r\n{}", scattered(SIZE))),
        ("5 MB of those near-matches", format!("{head}\r\n{}", scattered(50 * SIZE))),
        ("one letter", format!("{head}\r\n{}", "a".repeat(SIZE))),
        ("5,000 X-Mailer fields", format!("{}{head}\r\nhi\r\n", (0..5000).map(|n| format!("X-Mailer: blaster-{n}x\r\n")).collect::<String>())),
        ("2,000 URLs", format!("{head}\r\n{}", (0..2000).map(|n| format!("http://spam-{n}.example/track/{n}/deadbeef ")).collect::<String>())),
    ];
    let every = vec![EVERY_SET.to_owned()];
    let envelope = Envelope { sender: "someone@example.org".to_owned(), ..Envelope::default() };
    println!("hostile messages, each judged alone (best of 3):");
    for (what, raw) in &cases {
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        let judge = best(3, || {
            black_box(patterns::check(sets, &every, &facts));
        });
        println!("  {what} ({} KB): {:.1} ms", raw.len() >> 10, judge.as_secs_f64() * 1e3);
    }
}

/// Text near the feed's body patterns with numbers spread over all of them,
/// so the set's lazy DFA meets a new state at almost every number.
fn scattered(size: usize) -> String {
    let mut text = String::with_capacity(size + 64);
    let mut n: u64 = 13;
    while text.len() < size {
        n = (n * 7919 + 104_729) % 100_000;
        let letter = char::from(b'a' + (n % 7) as u8);
        text.push_str(&match n % 3 {
            0 => format!("claim your prize #{n}{letter} "),
            1 => format!("limited offer code {n}x "),
            _ => format!("crypto{n} bonus "),
        });
    }
    text
}
