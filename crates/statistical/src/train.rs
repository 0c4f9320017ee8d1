//! Training the global model: Bayes counts, FTRL over several shuffled passes,
//! calibration on out-of-fold predictions, pruning to a compact file.
//!
//! Calibration must not see predictions of a model trained on the same messages
//! (they would look far too confident), so [`train_global`] first runs a k-fold
//! cross-validation inside the training set, fits the calibration on the held-out
//! scores, then trains the final model on every message. The same cross-validation
//! reports the accuracy used to pick the settings: the test split is never used.

use std::collections::HashMap;

use crate::bayes::{BayesParams, TokenCounts};
use crate::calibrate::{Combiner, Platt, STACK_INPUTS, Stacker};
use crate::cluster::Label;
use crate::ftrl::{BIAS_FEATURE, FtrlParams, FtrlState, sigmoid};
use crate::model::{Calibration, GlobalEntry, GlobalModel, RawScores};
use crate::tokens::Features;

/// How the global model is trained. Defaults chosen by cross-validation on the
/// train split of the SpamAssassin corpus (see the crate README).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainingOptions {
    pub bayes: BayesParams,
    pub ftrl: FtrlParams,
    /// Passes of FTRL over the (shuffled) messages [3].
    pub epochs: usize,
    /// Bayes counts of features seen in fewer messages are not shipped [3].
    pub min_documents: u32,
    /// Folds of the calibration cross-validation [5].
    pub folds: usize,
    /// Seed of the shuffles and fold assignment, for reproducible models.
    pub seed: u64,
    /// Fit the [`Stacker`] over per-group evidence (else the two-input combiner) [yes].
    pub stacker: bool,
}

impl Default for TrainingOptions {
    fn default() -> TrainingOptions {
        TrainingOptions {
            bayes: BayesParams::default(),
            ftrl: FtrlParams::default(),
            epochs: 3,
            min_documents: 3,
            folds: 5,
            seed: 0x5eed,
            stacker: true,
        }
    }
}

/// One tokenised training message.
#[derive(Clone, Debug)]
pub struct Sample {
    pub features: Features,
    pub label: Label,
}

/// What training produced besides the model: held-out scores for every message.
#[derive(Clone, Debug)]
pub struct TrainingReport {
    /// The out-of-fold raw scores, in sample order.
    pub held_out: Vec<RawScores>,
    /// The fold each sample was held out in.
    pub folds: Vec<usize>,
    pub calibration: Calibration,
}

/// Trains the model on `samples` with calibration from a cross-validation.
pub fn train_global(samples: &[Sample], options: &TrainingOptions) -> (GlobalModel, TrainingReport) {
    let held_out = cross_validate(samples, options);
    let folds = fold_assignment(samples.len(), options);
    let labels: Vec<bool> = samples.iter().map(|sample| sample.label == Label::Spam).collect();
    let calibration = fit_calibration(&held_out, &labels, options.stacker);
    let model = fit(samples.iter(), options, calibration);
    (model, TrainingReport { held_out, folds, calibration })
}

/// Out-of-fold raw scores: each message scored by a model trained without its fold.
pub fn cross_validate(samples: &[Sample], options: &TrainingOptions) -> Vec<RawScores> {
    let folds = options.folds.max(2);
    let fold_of = fold_assignment(samples.len(), options);
    let mut held_out = vec![RawScores::NEUTRAL; samples.len()];
    for fold in 0..folds {
        let training = samples.iter().enumerate().filter(|(index, _)| fold_of[*index] != fold).map(|(_, sample)| sample);
        let model = fit(training, options, Calibration::default());
        for (index, sample) in samples.iter().enumerate() {
            if fold_of[index] == fold {
                held_out[index] = model.scores_of(&sample.features);
            }
        }
    }
    held_out
}

/// The fold of each of `len` samples in the cross-validation.
pub fn fold_assignment(len: usize, options: &TrainingOptions) -> Vec<usize> {
    let folds = options.folds.max(2);
    shuffled(len, options.seed ^ 0xf01d).into_iter().enumerate().fold(vec![0; len], |mut fold_of, (rank, index)| {
        fold_of[index] = rank % folds;
        fold_of
    })
}

/// Platt scaling per method, then the combiner over the calibrated log-odds and,
/// with `stacker`, the stacker over the per-group evidence.
pub fn fit_calibration(held_out: &[RawScores], labels: &[bool], stacker: bool) -> Calibration {
    let method1: Vec<f64> = held_out.iter().map(|scores| scores.method1).collect();
    let method2: Vec<f64> = held_out.iter().map(|scores| scores.method2).collect();
    let platt1 = Platt::fit(&method1, labels);
    let platt2 = Platt::fit(&method2, labels);
    let odds1: Vec<f64> = method1.iter().map(|&p| platt1.log_odds(p)).collect();
    let odds2: Vec<f64> = method2.iter().map(|&p| platt2.log_odds(p)).collect();
    let mut calibration = Calibration { method1: platt1, method2: platt2, combiner: Combiner::fit(&odds1, &odds2, labels), stacker: None };
    if stacker {
        let inputs: Vec<[f64; STACK_INPUTS]> = held_out.iter().map(|scores| calibration.stack_inputs(scores)).collect();
        let kinds: Vec<_> = held_out.iter().map(|scores| scores.kind).collect();
        calibration.stacker = Some(Stacker::fit(&inputs, &kinds, labels));
    }
    calibration
}

/// Trains both methods on `samples` and prunes the result into a model.
pub fn fit<'s>(samples: impl Iterator<Item = &'s Sample>, options: &TrainingOptions, calibration: Calibration) -> GlobalModel {
    let samples: Vec<&Sample> = samples.collect();
    let mut counts: HashMap<u64, TokenCounts> = HashMap::new();
    let (mut spam_messages, mut ham_messages) = (0u32, 0u32);
    for sample in &samples {
        let spam = sample.label == Label::Spam;
        if spam {
            spam_messages += 1;
        } else {
            ham_messages += 1;
        }
        for &id in sample.features.ids() {
            let entry = counts.entry(id).or_default();
            if spam {
                entry.spam += 1;
            } else {
                entry.ham += 1;
            }
        }
    }

    let mut states: HashMap<u64, FtrlState> = HashMap::new();
    for epoch in 0..options.epochs {
        for index in shuffled(samples.len(), options.seed.wrapping_add(epoch as u64)) {
            ftrl_step(&mut states, samples[index], &options.ftrl);
        }
    }

    let mut entries: HashMap<u64, GlobalEntry> = HashMap::new();
    for (id, counts) in counts {
        if counts.spam + counts.ham >= options.min_documents {
            entries.entry(id).or_default().counts = counts;
        }
    }
    for (id, state) in states {
        let weight = state.weight(&options.ftrl) as f32;
        if weight != 0.0 {
            entries.entry(id).or_default().weight = weight;
        }
    }
    GlobalModel::new(spam_messages, ham_messages, options.bayes, options.ftrl, calibration, entries.into_iter().collect())
}

/// One FTRL update with one message (all its features are 1, plus the bias).
fn ftrl_step(states: &mut HashMap<u64, FtrlState>, sample: &Sample, params: &FtrlParams) {
    let ids = || std::iter::once(&BIAS_FEATURE).chain(sample.features.ids());
    let margin: f64 = ids().filter_map(|id| states.get(id)).map(|state| state.weight(params)).sum();
    let target = if sample.label == Label::Spam { 1.0 } else { 0.0 };
    let gradient = sigmoid(margin) - target;
    for &id in ids() {
        let state = states.entry(id).or_default();
        let (dz, dn) = state.step(gradient, params);
        state.z += dz;
        state.n += dn;
    }
}

/// `0..len` in a reproducible pseudo-random order (Fisher-Yates over xorshift).
fn shuffled(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut state = seed | 1;
    for i in (1..len).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = (state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ids: &[u64], label: Label) -> Sample {
        Sample { features: Features::from_ids(ids.to_vec()), label }
    }

    #[test]
    fn shuffles_are_reproducible_permutations() {
        let order = shuffled(100, 42);
        assert_eq!(order, shuffled(100, 42));
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn a_toy_corpus_is_learned_and_calibrated() {
        let mut samples = Vec::new();
        for i in 0..60u64 {
            samples.push(sample(&[1, 2, 100 + i], Label::Spam));
            samples.push(sample(&[3, 4, 200 + i], Label::Ham));
        }
        let (model, report) = train_global(&samples, &TrainingOptions::default());
        assert_eq!((model.spam_messages, model.ham_messages), (60, 60));
        // Features seen once are pruned from the Bayes counts.
        assert_eq!(model.get(150).map(|entry| entry.counts), None);
        let spam = model.raw_scores(&[1, 2]);
        let ham = model.raw_scores(&[3, 4]);
        assert!(spam.method1 > 0.9 && spam.method2 > 0.8, "{spam:?}");
        assert!(ham.method1 < 0.1 && ham.method2 < 0.2, "{ham:?}");
        assert!(report.calibration.method1.slope > 0.0 && report.calibration.method2.slope > 0.0);
        // The file round trip keeps the calibration.
        let back = GlobalModel::from_bytes(&model.to_bytes()).expect("model we just wrote");
        assert_eq!(back.calibration, model.calibration);
    }
}
