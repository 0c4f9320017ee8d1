//! The collaborative fingerprints (issue 19 items 1-4): what they flag on the
//! shared corpus and what they cost with a million reports loaded.
//!
//! Run: `cargo bench -p sluice-core --bench fingerprints [-- CORPUS_DIR]` (default
//! `../shared/corpus`; `--eval-only`: step 1 only). Not part of CI. For SpamAssassin and CSDMC2010 each
//! (`SPLIT.tsv`):
//! 1. every spam of the train split is "reported" (its fingerprints go into an
//!    index, with its recipients guessed from the headers); then every ham (train and
//!    test) is judged (false positives, per check, with the files) and every test
//!    spam (what the reports catch of new spam);
//! 2. the index gets 1,000,000 synthetic reports on top (random digests and
//!    signatures, a contact address and a URL domain each, spread over 29 days),
//!    and every message of both corpora is judged again, timed: fingerprinting,
//!    the lookup, and the whole judge, per message, best of 3 rounds (the parse is
//!    shared with the other checks and not counted). The resident memory the
//!    million reports take is printed too (`/proc/self/status`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use sluice_core::checks::fingerprints::FingerprintJudge;
use sluice_core::classify::Judge;
use sluice_core::fingerprints::{FingerprintIndex, Fingerprints, Signature, contacts, phone, text};
use sluice_core::message::MessageFacts;
use sluice_core::settings::DEFAULT_MATCH_SET2_THRESHOLD;

#[path = "synthetic_reports.rs"]
mod synthetic_reports;

#[path = "labelled_split.rs"]
mod labelled_split;
use labelled_split::{Labelled, load};

const NOW_S: i64 = 1_800_000_000;

fn judge(index: &FingerprintIndex, message: &Labelled) -> Vec<sluice_model::Finding> {
    let facts = MessageFacts::new(&message.raw, &message.envelope, NOW_S);
    let mut findings = Vec::new();
    FingerprintJudge { index, our_domains: &[], match_set2_threshold: DEFAULT_MATCH_SET2_THRESHOLD }.judge(&facts, &mut findings);
    findings
}

fn evaluate(name: &str, messages: &[Labelled]) {
    let mut index = FingerprintIndex::default();
    let mut reported = 0;
    for message in messages.iter().filter(|message| message.spam && message.train) {
        let facts = MessageFacts::new(&message.raw, &message.envelope, NOW_S);
        index.add(&Fingerprints::of(&facts), NOW_S * 1000);
        reported += 1;
    }
    let (mut ham, mut ham_flagged, mut spam, mut spam_caught) = (0, 0, 0, 0);
    let mut per_check: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for message in messages {
        if message.spam && message.train {
            continue;
        }
        let findings = judge(&index, message);
        if message.spam {
            spam += 1;
        } else {
            ham += 1;
        }
        if let Some(first) = findings.first() {
            let entry = per_check.entry(first.sub.to_string()).or_default();
            if message.spam {
                spam_caught += 1;
                entry.1 += 1;
            } else {
                ham_flagged += 1;
                entry.0 += 1;
                println!("  ham flagged: {} {}={}", message.file, first.sub, first.extra);
            }
        }
    }
    println!(
        "{name}: {reported} train spam reported; ham flagged {ham_flagged} of {ham} ({:.3} %); test spam caught {spam_caught} of {spam} ({:.1} %)",
        100.0 * ham_flagged as f64 / ham.max(1) as f64,
        100.0 * spam_caught as f64 / spam.max(1) as f64,
    );
    for (sub, (ham, spam)) in per_check {
        println!("  {sub}: {ham} ham, {spam} test spam");
    }
}

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn best_of<F: FnMut()>(rounds: usize, mut work: F) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let root = std::env::args().skip(1).find(|arg| !arg.starts_with('-')).unwrap_or_else(|| "../shared/corpus".to_owned());
    let mut all = Vec::new();
    for corpus in ["spamassassin", "csdmc2010"] {
        let messages = load(&root, corpus);
        evaluate(corpus, &messages);
        all.extend(messages);
    }
    if std::env::args().any(|arg| arg == "--eval-only") {
        return;
    }
    let reports: u64 = if std::env::args().any(|arg| arg == "--small") { 10_000 } else { 1_000_000 };

    let before = resident_kib();
    let mut index = FingerprintIndex::default();
    let build = Instant::now();
    synthetic_reports::add_synthetic_reports(&mut index, reports, NOW_S * 1000);
    // The corpus's own train spam on top, so lookups find something.
    for message in all.iter().filter(|message| message.spam && message.train) {
        let facts = MessageFacts::new(&message.raw, &message.envelope, NOW_S);
        index.add(&Fingerprints::of(&facts), NOW_S * 1000);
    }
    println!(
        "index: {} reports loaded in {:.1} s, {} MiB resident for them",
        index.len(),
        build.elapsed().as_secs_f64(),
        (resident_kib().saturating_sub(before)) / 1024
    );

    let facts: Vec<MessageFacts<'_>> = all.iter().map(|message| MessageFacts::new(&message.raw, &message.envelope, NOW_S)).collect();
    let fingerprints: Vec<Fingerprints> = facts.iter().map(Fingerprints::of).collect();
    let count = facts.len() as f64;
    let per_message = |elapsed: Duration| elapsed.as_secs_f64() * 1e6 / count;
    let computing = best_of(3, || {
        for facts in &facts {
            black_box(Fingerprints::of(facts));
        }
    });
    let looking_up = best_of(3, || {
        for fingerprints in &fingerprints {
            black_box(index.lookup(fingerprints, NOW_S * 1000));
        }
    });
    let judging = best_of(3, || {
        for facts in &facts {
            let mut findings = Vec::new();
            FingerprintJudge { index: &index, our_domains: &[], match_set2_threshold: DEFAULT_MATCH_SET2_THRESHOLD }.judge(facts, &mut findings);
            black_box(findings);
        }
    });
    let decoded: Vec<Vec<std::borrow::Cow<'_, str>>> = facts.iter().map(MessageFacts::text_parts).collect();
    // The HTML parts' rendering is the message's own (`MessageFacts::html_parts`),
    // shared with the phishing patterns and the tokeniser: made once per message
    // here, before the timed rounds, as it is by whichever check reads it first.
    let texts: Vec<Vec<&str>> = facts.iter().zip(&decoded).map(|(facts, texts)| text::prepared(facts, texts)).collect();
    let parts: Vec<Vec<text::NormalisedPart>> =
        texts.iter().map(|texts| texts.iter().map(|text| text::normalise(text)).collect()).collect();
    let words: Vec<Vec<u64>> =
        parts.iter().map(|parts| parts.iter().flat_map(|part| part.word_hashes.iter().copied()).collect()).collect();
    let steps: [(&str, Duration); 7] = [
        ("text parts", best_of(3, || facts.iter().for_each(|facts| drop(black_box(facts.text_parts()))))),
        ("texts (HTML as rendered)", best_of(3, || facts.iter().zip(&decoded).for_each(|(facts, texts)| drop(black_box(text::prepared(facts, texts)))))),
        ("normalising", best_of(3, || texts.iter().flatten().for_each(|text| drop(black_box(text::normalise(text)))))),
        ("signature", best_of(3, || words.iter().for_each(|words| { black_box(Signature::of_word_hashes(words)); }))),
        ("contacts", best_of(3, || facts.iter().zip(&texts).for_each(|(facts, texts)| drop(black_box(contacts::contact_addresses(facts, texts)))))),
        ("URL domains", best_of(3, || facts.iter().for_each(|facts| drop(black_box(sluice_core::urls::url_targets(facts, 32)))))),
        ("phone numbers", best_of(3, || texts.iter().flatten().for_each(|text| drop(black_box(phone::phone_numbers(text, 32)))))),
    ];
    for (step, elapsed) in steps {
        println!("  {step}: {:.1} µs per message", per_message(elapsed));
    }
    println!(
        "{} messages: fingerprints {:.1} µs, lookup {:.2} µs, whole judge {:.1} µs per message (best of 3)",
        facts.len(),
        per_message(computing),
        per_message(looking_up),
        per_message(judging)
    );
}
