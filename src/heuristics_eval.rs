//! `sluice eval --heuristics`: how each rule of the heuristic sets fares on
//! labelled mail (ham it fires on, spam it fires on) and what each set decides
//! alone; the table in `docs/heuristics.md` is its output on the shared corpus.

use std::fmt::Write as _;

use sluice_core::checks::heuristics::{HeuristicContent, HeuristicSet};

use sluice_core::{Envelope, MessageFacts};
use sluice_statistical::Label;
use sluice_statistical::corpus::LabelledMessage;

/// The sums of every set on every message, in order (`sums[set][message]`).
pub(crate) struct SetSums {
    pub(crate) sums: Vec<Vec<f64>>,
    pub(crate) table: String,
}

/// Per-rule hits and each set's decisions on `messages`.
pub(crate) fn measure(sets: &[&HeuristicSet], messages: &[LabelledMessage]) -> SetSums {
    let envelope = Envelope::default();
    let ham = messages.iter().filter(|m| m.label == Label::Ham).count();
    let spam = messages.len() - ham;
    let mut hits: Vec<Vec<[usize; 2]>> = sets.iter().map(|set| vec![[0, 0]; set.rule_names().len()]).collect();
    let mut decided: Vec<[usize; 2]> = vec![[0, 0]; sets.len()];
    let mut sums: Vec<Vec<f64>> = vec![Vec::with_capacity(messages.len()); sets.len()];
    for message in messages {
        let facts = MessageFacts::new(&message.raw, &envelope, 0);
        let content = HeuristicContent::gather(&facts);
        let column = usize::from(message.label == Label::Spam);
        for (number, set) in sets.iter().enumerate() {
            for (index, fired) in set.fired(&content).into_iter().enumerate() {
                if fired {
                    hits[number][index][column] += 1;
                }
            }
            let score = set.score(&content);
            if score.sum >= set.limit() {
                decided[number][column] += 1;
                if message.label == Label::Ham {
                    let rules: Vec<&str> = score.fired.iter().map(|(name, _)| name.as_str()).collect();
                    eprintln!("ham decided by {}: {} ({})", set.id().subclass(), message.source, rules.join(", "));
                }
            }
            sums[number].push(score.sum);
        }
    }
    let mut table = String::new();
    let _ = writeln!(table, "| rule | ham hits (of {ham}) | spam hits (of {spam}) |");
    let _ = writeln!(table, "| --- | --- | --- |");
    for (number, set) in sets.iter().enumerate() {
        for (index, name) in set.rule_names().iter().enumerate() {
            let [h, s] = hits[number][index];
            let _ = writeln!(table, "| {name} | {h} ({:.2} %) | {s} ({:.2} %) |", percent(h, ham), percent(s, spam));
        }
        let [h, s] = decided[number];
        let _ = writeln!(
            table,
            "| **{} decides alone** (sum ≥ {:.1}) | {h} ({:.2} %) | {s} ({:.2} %) |",
            set.id().subclass(),
            set.limit(),
            percent(h, ham),
            percent(s, spam)
        );
    }
    SetSums { sums, table }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { 100.0 * part as f64 / whole as f64 }
}

/// The statistical verdict alone against the combined score (with set1's sums
/// as evidence, and set1 deciding alone at its limit) on the same messages, and
/// the weights a logistic regression fits on them.
pub(crate) fn compare_combined(
    classifier: &sluice_statistical::Classifier,
    evaluation: &sluice_statistical::eval::Evaluation,
    set1_limit: f64,
    set1_sums: &[f64],
    settings: &sluice_core::DomainSettings,
) -> String {
    use sluice_model::{MainClass, Subclass};
    let combined_settings = sluice_core::DomainSettings { combined_score: true, ..settings.clone() };
    let mut counts = [[0usize; 2]; 2]; // [before, after][ham flagged, spam flagged]
    let mut rows = Vec::new();
    for (result, &sum) in evaluation.results.iter().zip(set1_sums) {
        let spam = result.label == Label::Spam;
        let column = usize::from(spam);
        if result.main == MainClass::Spam {
            counts[0][column] += 1;
        }
        let mut finding = classifier.finding(&result.scores);
        if let Some(scored) = finding.scored.as_mut() {
            scored.features = vec![(Subclass::HeuristicSet1, sum)];
        }
        let settled = sluice_core::verdict::settle(&finding, &combined_settings);
        if sum >= set1_limit || settled.main == MainClass::Spam {
            counts[1][column] += 1;
        }
        rows.push((result.scores.combined, vec![sum], spam));
    }
    let (intercept, statistical, features) = sluice_core::combined::fit(&rows, 1e-2, None);
    let (offset_intercept, _, offset_features) = sluice_core::combined::fit(&rows, 1e-2, Some(1.0));
    let ham = evaluation.overall.ham;
    let spam = evaluation.overall.spam;
    let mut text = String::new();
    let _ = writeln!(text, "| verdict | ham refused (of {ham}) | spam refused (of {spam}) |");
    let _ = writeln!(text, "| --- | --- | --- |");
    for (name, [h, s]) in [("statistical alone", counts[0]), ("combined score + heuristic-set1", counts[1])] {
        let _ = writeln!(text, "| {name} | {h} ({:.2} %) | {s} ({:.2} %) |", percent(h, ham), percent(s, spam));
    }
    let _ = writeln!(
        text,
        "logistic fit on these messages: intercept {intercept:.4}, statistical logit {statistical:.4}, heuristic-set1 sum {:.4}",
        features.first().copied().unwrap_or_default()
    );
    let _ = writeln!(
        text,
        "logistic fit with the statistical logit as an offset (weight 1): intercept {offset_intercept:.4}, heuristic-set1 sum {:.4}",
        offset_features.first().copied().unwrap_or_default()
    );
    text
}
