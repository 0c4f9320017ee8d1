//! Accuracy with every content part of the verdict on (issue 19: the statistical
//! classifiers, the heuristic sets, the combined score and the collaborative
//! fingerprints together) against the statistical verdict alone, on each corpus's
//! test split. Every train spam of the corpus is "reported" first (its
//! fingerprints go into the index, as a report through the API puts them), then
//! each test message is judged as the gateway judges it after the final dot: the
//! fingerprint judge and the heuristic sets, then the statistical finding, the
//! evidence attached, settled and decided with the default settings (the combined
//! score on); the statistical verdict alone is the same finding decided with
//! `combined_score = false` and nothing else. The structural checks are left out
//! (the corpora are from 2002-2010: the Date check would refuse them all). The
//! sender reputation needs client addresses, which the corpora do not have.
//!
//! Run: `cargo bench --bench every_part -- CORPUS_ROOT` (the folder holding
//! `spamassassin/` and `csdmc2010/`, each with `SPLIT.tsv`). Not in CI.

use sluice_core::DomainSettings;
use sluice_core::checks::fingerprints::FingerprintJudge;
use sluice_core::checks::heuristics::{HeuristicSets, HeuristicsJudge};
use sluice_core::classify::Judge;
use sluice_core::fingerprints::{FingerprintIndex, Fingerprints};
use sluice_core::message::MessageFacts;
use sluice_core::verdict::{decide, settle};
use sluice_statistical::{Classifier, StatisticalSettings};

#[path = "labelled_split.rs"]
mod labelled_split;

const NOW_S: i64 = 1_800_000_000;

fn main() {
    let root = std::env::args().skip(1).find(|arg| !arg.starts_with('-')).unwrap_or_else(|| "../shared/corpus".to_owned());
    let sets = HeuristicSets::new(None);
    let every_part = DomainSettings::default();
    let statistical_alone = DomainSettings { combined_score: false, ..DomainSettings::default() };
    println!("| corpus (test split) | verdict | ham refused | spam refused |");
    println!("| --- | --- | --- | --- |");
    for corpus in ["spamassassin", "csdmc2010"] {
        let messages = labelled_split::load(&root, corpus);
        // One installation per corpus, shown its test stream first (the global
        // model's familiarity with it: `sluice_statistical::familiarity`).
        let classifier = Classifier::with_embedded_model(StatisticalSettings::default()).expect("the embedded model");
        for message in messages.iter().filter(|message| !message.train) {
            classifier.observe(&sluice_statistical::tokens::features_of_raw(&message.raw, &classifier.limits));
        }
        let mut index = FingerprintIndex::default();
        for message in messages.iter().filter(|message| message.spam && message.train) {
            index.add(&Fingerprints::of(&MessageFacts::new(&message.raw, &message.envelope, NOW_S)), NOW_S * 1000);
        }
        // [ham, spam] refused, for the statistical verdict alone and every part.
        let (mut alone, mut all, mut counts) = ([0usize; 2], [0usize; 2], [0usize; 2]);
        for message in messages.iter().filter(|message| !message.train) {
            let facts = MessageFacts::new(&message.raw, &message.envelope, NOW_S);
            let kind = usize::from(message.spam);
            counts[kind] += 1;
            let statistical = classifier.score(&facts);
            let settled = settle(&statistical, &statistical_alone);
            if !decide(std::slice::from_ref(&settled), &statistical_alone).reply.is_positive() {
                alone[kind] += 1;
            }
            let mut findings = Vec::new();
            FingerprintJudge { index: &index, our_domains: &[], match_set2_threshold: every_part.match_set2_threshold }
                .judge(&facts, &mut findings);
            HeuristicsJudge { sets: &sets }.judge(&facts, &mut findings);
            findings.push(statistical);
            sluice_core::combined::attach_features(&mut findings);
            for finding in findings.iter_mut().filter(|finding| finding.scored.is_some()) {
                *finding = settle(finding, &every_part);
            }
            if !decide(&findings, &every_part).reply.is_positive() {
                all[kind] += 1;
            }
        }
        let share = |refused: usize, of: usize| format!("{refused}/{of} ({:.2} %)", 100.0 * refused as f64 / of.max(1) as f64);
        println!("| {corpus} | statistical alone | {} | {} |", share(alone[0], counts[0]), share(alone[1], counts[1]));
        println!(
            "| {corpus} | every part (train spam reported) | {} | {} |",
            share(all[0], counts[0]),
            share(all[1], counts[1])
        );
    }
}
