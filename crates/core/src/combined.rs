//! The combined score: the statistical classifiers' probability, the heuristic
//! sets' sums and the senders' reputation in one calibrated probability.
//!
//! `p = sigmoid(b + w_s * logit(p_statistical) + w_1 * set1 + w_2 * set2 + w_r * reputation)`
//! with the weights of [`WEIGHTS`]: a logistic regression fitted on the shared
//! corpus's train split only (`sluice eval --heuristics --fit` prints the fit;
//! `docs/decisions.md` has the figures). The corpus has no client addresses, so
//! the reputation's weight was not fitted: it is set so that a sender's log-odds
//! count as themselves (a sender whose history is 10:1 bad moves the odds of its
//! next message 10:1), which is what a calibrated ratio means.
//!
//! The evidence reaches the statistical finding's [`Scored::features`] through
//! [`attach_features`], from the evidence findings of the same message
//! ([`Finding::evidence`]); `verdict::settle` uses [`probability`] when the
//! recipient's `combined_score` setting is on.

use sluice_model::{Finding, Scored, Subclass};

/// The weights of the combination.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    pub intercept: f64,
    pub statistical: f64,
    pub heuristic_set1: f64,
    pub heuristic_set2: f64,
    pub sender_reputation: f64,
}

/// The shipped weights (see the module documentation for where they come from).
/// Fitted on the SpamAssassin train split (4,672 messages; `sluice eval --labels
/// SPLIT.tsv --split train --heuristics`, the fit with the statistical logit as
/// an offset): the statistical probability is calibrated already and keeps its
/// weight 1 (fitted freely on the mail its model learned, that weight came out
/// 4.7, which refused more ham on the test split: `docs/decisions.md`); the
/// intercept and heuristic-set1's weight are fitted. Set2 is an installation's own
/// and has no corpus: its points count as set1's. The reputation's log-odds count
/// as themselves.
pub const WEIGHTS: Weights = Weights {
    intercept: -0.2650,
    statistical: 1.0,
    heuristic_set1: 0.5022,
    heuristic_set2: 0.5022,
    sender_reputation: 1.0,
};

/// Statistical probabilities are kept this far from 0 and 1 before the logit.
const CLAMP: f64 = 1e-6;

fn logit(p: f64) -> f64 {
    let p = p.clamp(CLAMP, 1.0 - CLAMP);
    (p / (1.0 - p)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The combined probability of `statistical` with `features` under `weights`.
pub fn combine(weights: &Weights, statistical: f64, features: &[(Subclass, f64)]) -> f64 {
    let mut x = weights.intercept + weights.statistical * logit(statistical);
    for (sub, value) in features {
        x += value
            * match sub {
                Subclass::HeuristicSet1 => weights.heuristic_set1,
                Subclass::HeuristicSet2 => weights.heuristic_set2,
                Subclass::SenderReputation => weights.sender_reputation,
                _ => 0.0,
            };
    }
    sigmoid(x)
}

/// The combined probability of a scored finding with the shipped weights; the
/// shipped heuristic set's weight tempered like the global model's evidence
/// ([`Scored::temperature`]): both were fitted on the same corpus, and rules that
/// told that era's spam (hidden text, white text, an image with few words) are
/// everyday practice of today's legitimate HTML mail. An installation's own set2
/// and its senders' reputation are its own evidence and keep their weights.
///
/// The intercept was fitted with the global model's probabilities on the mail it
/// learned as the offset: it corrects that model's overconfidence on its own
/// corpus. Once an installation's own models carry the evidence (a trusted cluster
/// weighs 0.9-0.999 on foreign mail), it counts only in the global model's share
/// ([`Scored::global_share`]); otherwise it pulled spam the cluster put at
/// 0.90-0.92 under the cut.
pub fn probability(scored: &Scored) -> f64 {
    let weights = Weights {
        intercept: WEIGHTS.intercept * scored.global_share.clamp(0.0, 1.0),
        heuristic_set1: WEIGHTS.heuristic_set1 * scored.temperature.clamp(0.0, 1.0),
        ..WEIGHTS
    };
    combine(&weights, scored.combined, &scored.features)
}

/// Copies the value of every evidence finding into the features of the scored
/// (statistical) findings, so that settling them can combine all the evidence.
pub fn attach_features(findings: &mut [Finding]) {
    let features: Vec<(Subclass, f64)> =
        findings.iter().filter_map(|finding| finding.evidence.map(|value| (finding.sub, value))).collect();
    if features.is_empty() {
        return;
    }
    for finding in findings.iter_mut() {
        if let Some(scored) = finding.scored.as_mut() {
            scored.features.clone_from(&features);
        }
    }
}

/// Fits the weights of `statistical` and of each feature column by logistic
/// regression (Newton's method, a small L2 penalty so separable data stays
/// finite): `rows` are `(statistical probability, feature values, is spam)`.
/// With `statistical_fixed`, the statistical logit keeps that weight (an offset:
/// the statistical probability is already calibrated, and on the mail its model
/// was trained on it is surer than it will be elsewhere) and only the intercept
/// and the features are fitted. Returns `(intercept, statistical weight, feature
/// weights)`.
pub fn fit(rows: &[(f64, Vec<f64>, bool)], l2: f64, statistical_fixed: Option<f64>) -> (f64, f64, Vec<f64>) {
    let columns = rows.first().map_or(0, |(_, features, _)| features.len());
    // Parameters: intercept, [statistical,] features.
    let free_statistical = statistical_fixed.is_none();
    let n = columns + 1 + usize::from(free_statistical);
    let mut w = vec![0.0; n];
    let x_of = |row: &(f64, Vec<f64>, bool)| -> (Vec<f64>, f64) {
        let mut x = vec![1.0];
        let offset = match statistical_fixed {
            Some(weight) => weight * logit(row.0),
            None => {
                x.push(logit(row.0));
                0.0
            }
        };
        x.extend(&row.1);
        (x, offset)
    };
    for _ in 0..50 {
        let mut gradient = vec![0.0; n];
        let mut hessian = vec![vec![0.0; n]; n];
        for row in rows {
            let (x, offset) = x_of(row);
            let p = sigmoid(offset + x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>());
            let y = if row.2 { 1.0 } else { 0.0 };
            for i in 0..n {
                gradient[i] += (p - y) * x[i];
                for j in 0..n {
                    hessian[i][j] += p * (1.0 - p) * x[i] * x[j];
                }
            }
        }
        for i in 1..n {
            gradient[i] += l2 * w[i];
            hessian[i][i] += l2;
        }
        let Some(step) = solve(hessian, gradient) else { break };
        let mut largest: f64 = 0.0;
        for i in 0..n {
            w[i] -= step[i];
            largest = largest.max(step[i].abs());
        }
        if largest < 1e-9 {
            break;
        }
    }
    match statistical_fixed {
        Some(weight) => (w[0], weight, w[1..].to_vec()),
        None => (w[0], w[1], w[2..].to_vec()),
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let factor = a[row][col] / pivot_row[col];
            for (value, pivot) in a[row].iter_mut().zip(&pivot_row).skip(col) {
                *value -= factor * pivot;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let sum: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - sum) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_model::MainClass;

    #[test]
    fn with_no_features_and_unit_weight_the_combination_is_the_statistical_probability() {
        let unit = Weights { intercept: 0.0, statistical: 1.0, heuristic_set1: 1.0, heuristic_set2: 1.0, sender_reputation: 1.0 };
        for p in [0.01, 0.3, 0.5, 0.9, 0.99] {
            assert!((combine(&unit, p, &[]) - p).abs() < 1e-9, "{p}");
        }
    }

    #[test]
    fn a_bad_reputation_raises_the_probability_by_its_odds() {
        let weights = Weights { intercept: 0.0, statistical: 1.0, heuristic_set1: 0.5, heuristic_set2: 0.0, sender_reputation: 1.0 };
        let p = combine(&weights, 0.5, &[(Subclass::SenderReputation, 10f64.ln())]);
        assert!((p - 10.0 / 11.0).abs() < 1e-9, "{p}");
        let p = combine(&weights, 0.5, &[(Subclass::HeuristicSet1, 2.0), (Subclass::SenderReputation, -10f64.ln())]);
        assert!((p - sigmoid(1.0 - 10f64.ln())).abs() < 1e-9, "{p}");
    }

    #[test]
    fn on_a_foreign_stream_the_shipped_sets_weight_is_tempered_and_the_installations_own_evidence_is_not() {
        let features = vec![(Subclass::HeuristicSet1, 3.0), (Subclass::HeuristicSet2, 1.0), (Subclass::SenderReputation, 0.5)];
        let scored = |temperature| Scored {
            classifiers: vec![],
            combined: 0.7,
            decisive_confidence: 0.999,
            features: features.clone(),
            temperature,
            global_share: 1.0,
        };
        let familiar = probability(&scored(1.0));
        assert!((familiar - combine(&WEIGHTS, 0.7, &features)).abs() < 1e-12);
        let foreign = probability(&scored(0.5));
        let expected = sigmoid(logit(familiar) - 0.5 * WEIGHTS.heuristic_set1 * 3.0);
        assert!((foreign - expected).abs() < 1e-9, "{foreign} {expected}");
    }

    #[test]
    fn the_intercept_counts_in_the_global_models_share_of_the_evidence() {
        let scored = |global_share| Scored {
            classifiers: vec![],
            combined: 0.9,
            decisive_confidence: 0.999,
            features: vec![],
            temperature: 1.0,
            global_share,
        };
        assert!((probability(&scored(1.0)) - combine(&WEIGHTS, 0.9, &[])).abs() < 1e-12);
        // A trusted cluster weighing 0.98: the intercept counts for 0.02.
        let expected = sigmoid(logit(0.9) + 0.02 * WEIGHTS.intercept);
        assert!((probability(&scored(0.02)) - expected).abs() < 1e-9);
        assert!(probability(&scored(0.0)) > 0.9 - 1e-9, "the cluster's own 0.9 stays 0.9");
    }

    #[test]
    fn evidence_findings_become_features_of_the_scored_finding() {
        let scored = Scored { classifiers: vec![], combined: 0.4, decisive_confidence: 0.999, features: vec![], temperature: 1.0, global_share: 1.0 };
        let mut findings = vec![
            Finding::new("heuristics", MainClass::Spam, Subclass::HeuristicSet1, "sum 2.5").as_evidence(2.5),
            Finding::with_scores("statistical", scored),
            Finding::new("reputation", MainClass::NotSpam, Subclass::SenderReputation, "x").as_evidence(-1.0),
        ];
        attach_features(&mut findings);
        let features = &findings[1].scored.as_ref().unwrap().features;
        assert_eq!(features, &[(Subclass::HeuristicSet1, 2.5), (Subclass::SenderReputation, -1.0)]);
    }

    #[test]
    fn the_fit_finds_the_weight_of_an_informative_feature() {
        // Statistical probability 0.5 everywhere; the feature alone separates,
        // with noise: its weight must come out positive, the statistical's ~0.
        let mut rows = Vec::new();
        for i in 0..200 {
            let spam = i % 2 == 0;
            let noise = (i % 7) as f64 / 7.0;
            rows.push((0.5, vec![if spam { 1.0 + noise } else { noise - 1.0 }], spam ^ (i % 13 == 0)));
        }
        let (_, statistical, features) = fit(&rows, 1e-3, None);
        let (_, fixed, offset_features) = fit(&rows, 1e-3, Some(1.0));
        assert_eq!(fixed, 1.0);
        assert!(offset_features[0] > 0.5, "{offset_features:?}");
        assert!(features[0] > 0.5, "{features:?}");
        assert!(statistical.abs() < 1e-6, "{statistical}");
    }
}
