//! What the heuristic rule sets, the sender reputation and the combined score
//! add per message: over a corpus held in memory, the judges' own work
//! (`HeuristicsJudge`: gathering the fields and matching set1; the reputation
//! lookup in a node holding 100,000 senders and its `ReputationJudge`;
//! `combined::attach_features` and the combined probability), best of several
//! rounds, in µs per message; and everything of the collaborative checks together:
//! the same plus the fingerprint judge (match-set1/2, contact-box, UCEPP) over an
//! index holding 1,000,000 reports (`--with-fingerprints`). The statistical
//! classifiers and the other checks are not part of the figure
//! (`bench/classify.rs` measures those); the message parse and its HTML rendering
//! are shared with them and made before the timed rounds.
//!
//! Run: `cargo bench --bench reputation [-- CORPUS_DIR]` (default
//! `../shared/corpus/spamassassin`: every file under `ham/` and `spam/`). Not in CI.

use std::time::{Duration, Instant};

use sluice_core::checks::heuristics::{HeuristicSets, HeuristicsJudge};
use sluice_core::checks::reputation::{EPOCH, ReputationJudge};
use sluice_core::classify::Judge;
use sluice_core::{Envelope, MessageFacts};
use sluice_gateway::reputation::{Event, SenderReputation, Senders};
use sluice_model::{Finding, Scored, Subclass};

#[path = "corpus_dir.rs"]
mod corpus_dir;

#[path = "synthetic_reports.rs"]
mod synthetic_reports;

const SENDERS: usize = 100_000;

fn main() {
    let dir = corpus_dir::corpus_dir_argument();
    let messages = corpus_dir::ham_and_spam(&dir);
    let now = EPOCH + 200 * 86_400;
    // 100,000 senders: 50,000 networks and 50,000 domains, each with history.
    let reputation = SenderReputation::default();
    for n in 0..SENDERS / 2 {
        let senders = Senders {
            network: Some(format!("{}.{}.{}.0/24", 10 + n / 65_536, n / 256 % 256, n % 256)),
            domain: Some(format!("sender{n}.example")),
        };
        reputation.record(if n % 3 == 0 { Event::Refused } else { Event::Accepted }, &senders, now);
    }
    assert!(reputation.len() >= SENDERS * 99 / 100, "{} senders", reputation.len());
    let sets = HeuristicSets::new(None);
    let with_fingerprints = std::env::args().any(|arg| arg == "--with-fingerprints");
    let mut index = sluice_core::fingerprints::FingerprintIndex::default();
    if with_fingerprints {
        synthetic_reports::add_synthetic_reports(&mut index, 1_000_000, now * 1000);
    }
    let envelope = Envelope::default();
    // The facts are parsed once outside the timing: every check shares that parse.
    let facts: Vec<MessageFacts<'_>> = messages.iter().map(|raw| MessageFacts::new(raw, &envelope, now)).collect();
    for facts in &facts {
        facts.html_parts();
    }
    let run = || {
        let started = Instant::now();
        for (n, facts) in facts.iter().enumerate() {
            let mut findings = Vec::new();
            if with_fingerprints {
                sluice_core::checks::fingerprints::FingerprintJudge {
                    index: &index,
                    our_domains: &[],
                    match_set2_threshold: sluice_core::settings::DEFAULT_MATCH_SET2_THRESHOLD,
                }.judge(facts, &mut findings);
            }
            HeuristicsJudge { sets: &sets }.judge(facts, &mut findings);
            let senders = Senders {
                network: Some(format!("{}.{}.{}.0/24", 10 + n / 65_536, n / 256 % 256, n % 256)),
                domain: Some(format!("sender{n}.example")),
            };
            let known = reputation.facts(&senders, now);
            ReputationJudge { facts: &known }.judge(facts, &mut findings);
            let scored = Scored { classifiers: vec![(Subclass::StatisticalMethod1Global, 0.5)], combined: 0.5, decisive_confidence: 0.999, features: vec![], temperature: 1.0, global_share: 1.0 };
            findings.push(Finding::with_scores("statistical", scored));
            sluice_core::combined::attach_features(&mut findings);
            if let Some(scored) = findings.last().and_then(|finding| finding.scored.as_ref()) {
                std::hint::black_box(sluice_core::combined::probability(scored));
            }
            std::hint::black_box(findings);
        }
        started.elapsed()
    };
    // The parts: gathering the fields alone, and the reputation alone.
    let gather = || {
        let started = Instant::now();
        for facts in &facts {
            std::hint::black_box(sluice_core::checks::heuristics::HeuristicContent::gather(facts));
        }
        started.elapsed()
    };
    let lookup = || {
        let started = Instant::now();
        for (n, facts) in facts.iter().enumerate() {
            let senders = Senders {
                network: Some(format!("{}.{}.{}.0/24", 10 + n / 65_536, n / 256 % 256, n % 256)),
                domain: Some(format!("sender{n}.example")),
            };
            let known = reputation.facts(&senders, now);
            let mut findings = Vec::new();
            ReputationJudge { facts: &known }.judge(facts, &mut findings);
            std::hint::black_box(findings);
        }
        started.elapsed()
    };
    let (mut best, mut best_gather, mut best_lookup) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        best = best.min(run());
        best_gather = best_gather.min(gather());
        best_lookup = best_lookup.min(lookup());
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / facts.len() as f64;
    println!(
        "{} messages, {} senders held, {} reports in the fingerprint index: {}heuristic-set1 + reputation + combined score {:.1} µs per message (best of 5); of which gathering the fields {:.1} µs, the reputation lookup and judge {:.1} µs",
        facts.len(),
        reputation.len(),
        index.len(),
        if with_fingerprints { "fingerprint judge + " } else { "" },
        per(best),
        per(best_gather),
        per(best_lookup)
    );
}
