//! The phishing patterns on the shared corpus: what they flag and what they cost.
//!
//! Run: `cargo bench -p sluice-core --bench phishing [-- CORPUS_DIR]` (default
//! `../shared/corpus`). Not part of CI. For every message of
//! `spamassassin/ham`, `csdmc2010/ham` (false positives) and `phishing/`
//! (detection) it runs `checks::phishing::judge` with the message's `To:` domain as
//! the recipient's (what a gateway in front of that domain would protect) and no
//! configured protected domain, and prints:
//! - per corpus: messages, flagged, per pattern; every flagged ham file with its
//!   evidence (for the analysis in `docs/phishing.md`);
//! - the cost of the patterns per message (the parse is shared with the other
//!   checks and not counted), best of 5 rounds over all the messages.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sluice_core::Envelope;
use sluice_core::message::{MessageFacts, strip_mbox_from_line};

fn load(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut messages = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("no corpus at {dir}");
        return messages;
    };
    let mut paths: Vec<_> = entries.flatten().map(|entry| entry.path()).filter(|path| path.extension().is_some_and(|ext| ext == "eml")).collect();
    paths.sort();
    for path in paths {
        if let Ok(raw) = std::fs::read(&path) {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            messages.push((name, strip_mbox_from_line(&raw).to_vec()));
        }
    }
    messages
}

/// The first `To:` address's domain, as the envelope recipient's.
fn envelope_of(raw: &[u8]) -> Envelope {
    let parsed = mail_parser::MessageParser::new().parse_headers(raw);
    let recipient = parsed
        .as_ref()
        .and_then(|message| message.to())
        .and_then(|to| to.first())
        .and_then(|address| address.address())
        .map(|address| address.to_ascii_lowercase());
    Envelope { recipients: recipient.into_iter().collect(), ..Envelope::default() }
}

fn main() {
    let root = std::env::args().skip(1).find(|arg| !arg.starts_with('-')).unwrap_or_else(|| "../shared/corpus".to_owned());
    let corpora = [
        ("spamassassin ham", format!("{root}/spamassassin/ham"), true),
        ("csdmc2010 ham", format!("{root}/csdmc2010/ham"), true),
        ("phishing", format!("{root}/phishing"), false),
    ];
    let mut all: Vec<(Envelope, Vec<u8>)> = Vec::new();
    let mut ham_total = 0usize;
    let mut ham_flagged = 0usize;
    for (label, dir, is_ham) in &corpora {
        let messages = load(dir);
        let mut flagged = 0usize;
        let mut per_pattern: std::collections::BTreeMap<&'static str, usize> = Default::default();
        for (name, raw) in &messages {
            let envelope = envelope_of(raw);
            let facts = MessageFacts::new(raw, &envelope, 0);
            let mut findings = Vec::new();
            sluice_core::checks::phishing::judge(&facts, &[], &mut findings);
            if !findings.is_empty() {
                flagged += 1;
                for finding in &findings {
                    *per_pattern.entry(finding.check).or_default() += 1;
                }
                if *is_ham || std::env::var_os("SLUICE_SHOW_DETECTIONS").is_some() {
                    let evidence: Vec<&str> = findings.iter().map(|finding| finding.extra.as_str()).collect();
                    println!("  {label} flagged: {name}: {evidence:?}");
                }
            }
            all.push((envelope, raw.clone()));
        }
        if *is_ham {
            ham_total += messages.len();
            ham_flagged += flagged;
        }
        let share = if messages.is_empty() { 0.0 } else { 100.0 * flagged as f64 / messages.len() as f64 };
        println!("{label}: {} messages, {flagged} flagged ({share:.2} %), per pattern {per_pattern:?}", messages.len());
    }
    if ham_total > 0 {
        println!("ham in all: {ham_total} messages, {ham_flagged} flagged ({:.3} %)", 100.0 * ham_flagged as f64 / ham_total as f64);
    }
    // Cost: facts built outside the timing (the classification builds them once
    // for every check), the patterns timed.
    let facts: Vec<MessageFacts<'_>> = all.iter().map(|(envelope, raw)| MessageFacts::new(raw, envelope, 0)).collect();
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        for facts in &facts {
            let mut findings = Vec::new();
            sluice_core::checks::phishing::judge(facts, black_box(&[]), &mut findings);
            black_box(&findings);
        }
        best = best.min(started.elapsed());
    }
    let per_message = best.as_secs_f64() * 1e6 / facts.len().max(1) as f64;
    println!("phishing patterns: {per_message:.2} µs per message over {} messages (best of 5 rounds)", facts.len());
}
