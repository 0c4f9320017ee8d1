//! What the structural and policy checks of issue 3 add to the time of
//! `sluice classify` over a corpus: the same code path (`classify_with_checks`
//! with the statistical classifiers as scorer, as `sluice classify` runs it), once
//! with every content check and once with GTUBE alone, best of several rounds, the
//! corpus held in memory.
//!
//! Run: `cargo bench --bench classify [-- CORPUS_DIR]` (default
//! `../shared/corpus/spamassassin`: every file under `ham/` and `spam/`). Not in CI.
//! The Date check is switched off (the corpus is from 2002, so it would decide
//! every message early and skip the statistics, flattering the figure).

use std::time::{Duration, Instant};

use sluice_core::checks::{DATA_CHECKS, gtube};
use sluice_core::classify::{Scorer, classify_with_checks};
use sluice_core::{DomainSettings, Envelope};
use sluice_statistical::{Classifier, StatisticalSettings};

struct Statistics(Classifier);

impl Scorer for Statistics {
    fn score(&self, facts: &sluice_core::MessageFacts<'_>) -> sluice_model::Finding {
        self.0.score(facts)
    }
}

#[path = "corpus_dir.rs"]
mod corpus_dir;

fn main() {
    let dir = corpus_dir::corpus_dir_argument();
    let messages = corpus_dir::ham_and_spam(&dir);
    let statistics = Statistics(Classifier::with_embedded_model(StatisticalSettings::default()).expect("embedded model"));
    let scorers: [&dyn Scorer; 1] = [&statistics];
    let settings = DomainSettings { max_date_skew: Duration::ZERO, ..DomainSettings::default() };
    let envelope = Envelope::default();
    let baseline: &[(&str, sluice_core::checks::DataCheck)] = &[(gtube::NAME, gtube::check)];
    let run = |checks: &[(&str, sluice_core::checks::DataCheck)], scorers: &[&dyn Scorer]| {
        let started = Instant::now();
        for raw in &messages {
            std::hint::black_box(classify_with_checks(raw, &envelope, &settings, 0, None, checks, scorers));
        }
        started.elapsed()
    };
    // Alternate the runs so that machine noise hits them alike.
    let (mut best_all, mut best_base, mut checks_only, mut gtube_only) = (Duration::MAX, Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        best_base = best_base.min(run(baseline, &scorers));
        best_all = best_all.min(run(DATA_CHECKS, &scorers));
        gtube_only = gtube_only.min(run(baseline, &[]));
        checks_only = checks_only.min(run(DATA_CHECKS, &[]));
    }
    let per_message = |total: Duration| total.as_secs_f64() * 1e6 / messages.len() as f64;
    println!("{} messages from {dir}", messages.len());
    println!("GTUBE + statistics:             {:8.1} us/message", per_message(best_base));
    println!("all content checks + statistics: {:8.1} us/message", per_message(best_all));
    println!(
        "net: with the checks, sluice classify takes {:+.2} % (messages they settle skip the statistics)",
        (best_all.as_secs_f64() / best_base.as_secs_f64() - 1.0) * 100.0
    );
    // The checks' own cost, without that saving: measured without the statistics,
    // relative to the full classification.
    let own = checks_only.as_secs_f64() - gtube_only.as_secs_f64();
    println!(
        "cost of the checks themselves: {:.1} us/message = {:.2} % of sluice classify",
        own * 1e6 / messages.len() as f64,
        own / best_base.as_secs_f64() * 100.0
    );
}
