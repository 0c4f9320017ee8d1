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
