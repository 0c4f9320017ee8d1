//! How much the structural checks add to classification time, over a corpus.
//!
//! Run: `cargo bench -p sluice-core --bench structural [-- CORPUS_DIR]` (default
//! `../shared/corpus/spamassassin`, i.e. the shared SpamAssassin corpus beside the
//! repository; every file under `ham/` and `spam/`). Not part of CI.
//!
//! It times, best of several rounds over the whole corpus held in memory:
//! - `parse`: mail-parser alone (what every classification pays);
//! - `baseline`: parse + GTUBE + decide, i.e. `sluice classify` before issue 3;
//! - `facts`: `MessageFacts::new` (parse + line meter + raw header scan);
//! - each content check alone on prebuilt facts;
//! - `classify`: the full `sluice_core::classify`.
//!
//! and prints the overhead of the structural checks over the baseline, and how
//! many ham and spam messages each check flags (Date check run with the clock set
//! to each message's own Date, since the corpus is from 2002, so only missing and
//! unparseable dates count).

use std::time::{Duration, Instant};

use sluice_core::checks::DATA_CHECKS;
use sluice_core::message::strip_mbox_from_line;
use sluice_core::{DomainSettings, Envelope, MessageFacts};

fn load(dir: &str) -> Vec<(bool, Vec<u8>)> {
    let mut messages = Vec::new();
    for (label, is_spam) in [("ham", false), ("spam", true)] {
        let path = format!("{dir}/{label}");
        let Ok(entries) = std::fs::read_dir(&path) else {
            eprintln!("cannot read {path}");
            continue;
        };
        let mut names: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        names.sort();
        for name in names {
            if let Ok(raw) = std::fs::read(&name) {
                messages.push((is_spam, strip_mbox_from_line(&raw).to_vec()));
            }
        }
    }
    messages
}

fn best_of<F: FnMut()>(rounds: usize, mut run: F) -> Duration {
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .unwrap_or_else(|| format!("{}/../../../shared/corpus/spamassassin", env!("CARGO_MANIFEST_DIR")));
    let messages = load(&dir);
    let bytes: usize = messages.iter().map(|(_, raw)| raw.len()).sum();
    println!("corpus: {} messages, {:.1} MB from {dir}", messages.len(), bytes as f64 / 1e6);
    if messages.is_empty() {
        return;
    }
    let envelope = Envelope::default();
    let settings = DomainSettings::default();
    let now = 1_704_672_000;
    let rounds = 5;

    let parse = best_of(rounds, || {
        for (_, raw) in &messages {
            std::hint::black_box(mail_parser::MessageParser::default().parse(raw.as_slice()));
        }
    });
    let gtube = DATA_CHECKS.iter().find(|(name, _)| *name == "gtube").map(|(_, check)| *check);
    let baseline = best_of(rounds, || {
        for (_, raw) in &messages {
            let parsed = mail_parser::MessageParser::default().parse(raw.as_slice());
            std::hint::black_box(&parsed);
            let facts = MessageFacts::new(raw, &envelope, now);
            let _ = &facts;
            std::hint::black_box(parsed);
        }
    });
    // `baseline` above parses twice; the honest baseline is measured below from parts.
    let _ = baseline;
    // As the gateway builds them: the line length comes from the LineMeter it
    // fed while DATA streamed in (timed separately below).
    let facts_time = best_of(rounds, || {
        for (_, raw) in &messages {
            std::hint::black_box(MessageFacts::with_longest_line(raw, &envelope, now, Some(0)));
        }
    });
    let meter_time = best_of(rounds, || {
        for (_, raw) in &messages {
            let mut meter = sluice_core::LineMeter::new();
            meter.feed(raw);
            std::hint::black_box(meter.longest());
        }
    });
    let headers_time = best_of(rounds, || {
        for (_, raw) in &messages {
            std::hint::black_box(sluice_core::message::HeaderBlock::scan(raw));
        }
    });
    println!("(raw header scan, the fallback     {:8.1} ms)", headers_time.as_secs_f64() * 1e3);
    // Each message is judged at the time its own Date says it was sent (the corpus
    // is from 2002): that is what a live gateway sees, and it keeps the Date
    // check on its common, passing path.
    let facts: Vec<MessageFacts<'_>> = messages
        .iter()
        .map(|(_, raw)| {
            let mut fact = MessageFacts::new(raw, &envelope, now);
            fact.now = fact.parsed.as_ref().and_then(|m| m.date()).map(|d| d.to_timestamp()).unwrap_or(now);
            fact
        })
        .collect();
    let mut per_check = Vec::new();
    for (name, check) in DATA_CHECKS {
        let time = best_of(rounds, || {
            let mut findings = Vec::new();
            for fact in &facts {
                check(fact, &settings, &mut findings);
                findings.clear();
            }
        });
        per_check.push((*name, time));
    }
    // The honest figure: per message, as `classify` runs (all checks on one
    // message while it is hot in cache), with and without the structural checks,
    // in alternating rounds so machine noise hits both alike.
    let longest: Vec<usize> = messages
        .iter()
        .map(|(_, raw)| {
            let mut meter = sluice_core::LineMeter::new();
            meter.feed(raw);
            meter.longest()
        })
        .collect();
    let run_with = |checks: &[sluice_core::checks::DataCheck]| {
        for ((_, raw), longest) in messages.iter().zip(&longest) {
            let mut facts = MessageFacts::with_longest_line(raw, &envelope, now, Some(*longest));
            // Received when its own Date says it was sent (see `facts` above).
            facts.now = facts.parsed.as_ref().and_then(|m| m.date()).map(|d| d.to_timestamp()).unwrap_or(now);
            let mut findings = Vec::new();
            for check in checks {
                check(&facts, &settings, &mut findings);
            }
            std::hint::black_box(sluice_core::verdict::decide(&findings, &settings));
        }
    };
    let before_checks: Vec<sluice_core::checks::DataCheck> =
        DATA_CHECKS.iter().filter(|(name, _)| *name == "gtube").map(|(_, check)| *check).collect();
    let structural_checks: Vec<sluice_core::checks::DataCheck> = DATA_CHECKS
        .iter()
        .filter(|(name, _)| !matches!(*name, "stube" | "attachments"))
        .map(|(_, check)| *check)
        .collect();
    let all_checks: Vec<sluice_core::checks::DataCheck> = DATA_CHECKS.iter().map(|(_, check)| *check).collect();
    let (mut t_before, mut t_structural, mut t_all) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        t_before = t_before.min(best_of(1, || run_with(&before_checks)));
        t_structural = t_structural.min(best_of(1, || run_with(&structural_checks)));
        t_all = t_all.min(best_of(1, || run_with(&all_checks)));
    }
    let rel = |d: Duration| 100.0 * (d.as_secs_f64() / t_before.as_secs_f64() - 1.0);
    println!("per message, hot cache (gateway path, line length from the DATA meter):");
    println!("  facts + gtube + decide             {:8.1} ms", t_before.as_secs_f64() * 1e3);
    println!("  + structural checks                {:8.1} ms  ({:+.2}%)", t_structural.as_secs_f64() * 1e3, rel(t_structural));
    println!("  + attachments + stube (all checks) {:8.1} ms  ({:+.2}%)", t_all.as_secs_f64() * 1e3, rel(t_all));
    println!("  line meter, fed during DATA        {:8.1} ms  ({:+.2}% if it ran at classify time)", meter_time.as_secs_f64() * 1e3, 100.0 * meter_time.as_secs_f64() / t_before.as_secs_f64());

    let full = best_of(rounds, || {
        for (_, raw) in &messages {
            std::hint::black_box(sluice_core::classify(raw, &envelope, &settings, now));
        }
    });
    let gtube_time = per_check.iter().find(|(name, _)| *name == "gtube").map(|(_, t)| *t).unwrap_or_default();
    let _ = gtube;
    let structural: Duration = per_check
        .iter()
        .filter(|(name, _)| !matches!(*name, "gtube" | "stube" | "attachments"))
        .map(|(_, t)| *t)
        .sum();
    let attachments = per_check.iter().find(|(name, _)| *name == "attachments").map(|(_, t)| *t).unwrap_or_default();
    let stube = per_check.iter().find(|(name, _)| *name == "stube").map(|(_, t)| *t).unwrap_or_default();
    let extra_facts = facts_time.saturating_sub(parse);
    let before = parse + gtube_time;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("parse (mail-parser)                {:8.1} ms", ms(parse));
    println!("facts (parse + header fields)      {:8.1} ms  (+{:.1} ms)", ms(facts_time), ms(extra_facts));
    println!("line meter (during DATA)           {:8.1} ms", ms(meter_time));
    for (name, time) in &per_check {
        println!("  check {name:<26}  {:8.1} ms", ms(*time));
    }
    println!("classify, all checks               {:8.1} ms", ms(full));
    println!("before issue 3 (parse + gtube)     {:8.1} ms", ms(before));
    let pct = |d: Duration| 100.0 * d.as_secs_f64() / before.as_secs_f64();
    println!(
        "structural checks + header facts:  {:8.1} ms = {:.2}% of the pre-issue-3 classification",
        ms(structural + extra_facts),
        pct(structural + extra_facts)
    );
    println!(
        "  + line meter (offline classify):  {:8.1} ms = {:.2}%",
        ms(structural + extra_facts + meter_time),
        pct(structural + extra_facts + meter_time)
    );
    println!("attachment policy (archives):      {:8.1} ms = {:.2}%", ms(attachments), pct(attachments));
    println!("stube:                             {:8.1} ms = {:.2}%", ms(stube), pct(stube));
    println!("full classify vs before:           {:+.2}%", 100.0 * (full.as_secs_f64() / before.as_secs_f64() - 1.0));

    // Hit rates per check: ham flagged is the false-positive rate to watch.
    println!("\nfindings per check (ham / spam):");
    let ham = messages.iter().filter(|(spam, _)| !spam).count();
    let spam = messages.len() - ham;
    for (name, check) in DATA_CHECKS {
        let mut counts = [0usize; 2];
        let mut examples: Vec<String> = Vec::new();
        for ((is_spam, _), fact) in messages.iter().zip(&facts) {
            let mut findings = Vec::new();
            let mut own_clock = settings.clone();
            let fact_now;
            let fact = if *name == "date" {
                // Judge only missing/unparseable dates: clock = the message's own Date.
                let own_date = fact.parsed.as_ref().and_then(|m| m.date()).map(|d| d.to_timestamp()).unwrap_or(now);
                fact_now = MessageFacts::new(fact.raw, &envelope, own_date);
                own_clock.max_date_skew = Duration::from_secs(7 * 86_400);
                &fact_now
            } else {
                fact
            };
            check(fact, &own_clock, &mut findings);
            if !findings.is_empty() {
                counts[usize::from(*is_spam)] += 1;
                if !*is_spam && examples.len() < 3 {
                    examples.push(findings[0].extra.chars().take(60).collect());
                }
            }
        }
        println!(
            "  {name:<14} ham {:5} ({:5.2}%)  spam {:5} ({:5.2}%)  e.g. {examples:?}",
            counts[0],
            100.0 * counts[0] as f64 / ham.max(1) as f64,
            counts[1],
            100.0 * counts[1] as f64 / spam.max(1) as f64
        );
    }
}
