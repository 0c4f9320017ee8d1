//! Calibration: raw scores -> probabilities that mean what they say.
//!
//! Fisher's combination saturates at 0 or 1 and a regression trained online is only
//! roughly calibrated, so each method's raw score goes through Platt scaling
//! (`sigmoid(a + b * logit(p))`), and the combined score is a logistic regression over
//! the calibrated log-odds of the methods. Both are fitted on out-of-fold predictions
//! of a cross-validation over the training set (never on the test set), by Newton's
//! method with a small L2 penalty so that separable data still gives finite weights.

use crate::ftrl::{logit, sigmoid};
use crate::tokens::{KINDS, MessageKind};

/// Platt scaling of one method's raw score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Platt {
    pub intercept: f64,
    pub slope: f64,
}

impl Platt {
    /// Identity scaling, for an untrained model.
    pub const IDENTITY: Platt = Platt {
        intercept: 0.0,
        slope: 1.0,
    };

    /// The calibrated log-odds of a raw probability.
    pub fn log_odds(&self, raw: f64) -> f64 {
        self.intercept + self.slope * logit(raw)
    }

    pub fn probability(&self, raw: f64) -> f64 {
        sigmoid(self.log_odds(raw))
    }

    /// Fits the scaling to raw scores and their labels (`true` = spam).
    pub fn fit(raw: &[f64], labels: &[bool]) -> Platt {
        let rows: Vec<Vec<f64>> = raw.iter().map(|&p| vec![logit(p)]).collect();
        let weights = fit_logistic(&rows, labels, FIT_L2);
        Platt {
            intercept: weights[0],
            slope: weights[1],
        }
    }
}

/// The combination of the methods' calibrated log-odds into one probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Combiner {
    pub intercept: f64,
    pub method1: f64,
    pub method2: f64,
}

impl Combiner {
    /// The average of the two log-odds, for an untrained model.
    pub const AVERAGE: Combiner = Combiner {
        intercept: 0.0,
        method1: 0.5,
        method2: 0.5,
    };

    pub fn probability(&self, method1_log_odds: f64, method2_log_odds: f64) -> f64 {
        sigmoid(self.log_odds(method1_log_odds, method2_log_odds))
    }

    pub fn log_odds(&self, method1_log_odds: f64, method2_log_odds: f64) -> f64 {
        self.intercept + self.method1 * method1_log_odds + self.method2 * method2_log_odds
    }

    pub fn fit(method1_log_odds: &[f64], method2_log_odds: &[f64], labels: &[bool]) -> Combiner {
        let rows: Vec<Vec<f64>> = method1_log_odds.iter().zip(method2_log_odds).map(|(&a, &b)| vec![a, b]).collect();
        let weights = fit_logistic(&rows, labels, FIT_L2);
        Combiner {
            intercept: weights[0],
            method1: weights[1],
            method2: weights[2],
        }
    }
}

/// Inputs of the stacker: method 1's calibrated log-odds, then per group (text,
/// headers, structure) method 1 over that group's clues alone (as `2p - 1`), then
/// per group its share of the method-2 margin, then per group the mean log-odds of
/// its clues (which, unlike the chi-square, does not saturate on long messages).
pub const STACK_INPUTS: usize = 1 + 3 * crate::tokens::GROUPS;

/// The inputs of a stacker in a version 2 model file: the first ones of today's,
/// without the mean log-odds that came later (their weights load as 0).
pub const VERSION_2_STACK_INPUTS: usize = 1 + 2 * crate::tokens::GROUPS;

/// A logistic regression over per-group evidence (see [`STACK_INPUTS`]), fitted on
/// out-of-fold scores: headers, text and links each get their own weight instead
/// of one sum, so a strong header fingerprint is not drowned by neutral text.
///
/// The weights come in blocks of `[intercept, w1, ...]`: block 0 applies to every
/// message, block `1 + k` is added when flag `k` of the [`MessageKind`] is set
/// (list mail, HTML mail), so each kind of message weighs the same evidence its own
/// way: one logistic regression with the kind flags and their products with the
/// inputs as extra columns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stacker {
    pub weights: [[f64; STACK_INPUTS + 1]; STACK_BLOCKS],
}

/// Blocks of stacker weights: one for every message, one per [`MessageKind`] flag.
pub const STACK_BLOCKS: usize = 1 + KINDS;

impl Stacker {
    /// Only the shared block: what a model file of version 2 holds.
    pub fn shared_only(shared: [f64; STACK_INPUTS + 1]) -> Stacker {
        let mut weights = [[0.0; STACK_INPUTS + 1]; STACK_BLOCKS];
        weights[0] = shared;
        Stacker { weights }
    }

    pub fn probability(&self, inputs: &[f64; STACK_INPUTS], kind: MessageKind) -> f64 {
        sigmoid(self.log_odds(inputs, kind))
    }

    /// The log-odds of spam: the margin of the regression.
    pub fn log_odds(&self, inputs: &[f64; STACK_INPUTS], kind: MessageKind) -> f64 {
        let active = std::iter::once(true).chain(kind.flags());
        self.weights
            .iter()
            .zip(active)
            .filter(|(_, active)| *active)
            .map(|(block, _)| block[0] + inputs.iter().zip(&block[1..]).map(|(x, w)| x * w).sum::<f64>())
            .sum()
    }

    pub fn fit(inputs: &[[f64; STACK_INPUTS]], kinds: &[MessageKind], labels: &[bool]) -> Stacker {
        // The design matrix: the inputs, then per kind flag its 0/1 and the inputs times it.
        let rows: Vec<Vec<f64>> = inputs
            .iter()
            .zip(kinds)
            .map(|(row, kind)| {
                let mut columns = row.to_vec();
                for flag in kind.flags() {
                    let on = if flag { 1.0 } else { 0.0 };
                    columns.push(on);
                    columns.extend(row.iter().map(|x| x * on));
                }
                columns
            })
            .collect();
        let fitted = fit_logistic(&rows, labels, STACK_L2);
        let mut weights = [[0.0; STACK_INPUTS + 1]; STACK_BLOCKS];
        weights[0][0] = fitted[0];
        weights[0][1..].copy_from_slice(&fitted[1..=STACK_INPUTS]);
        for (block, chunk) in weights[1..].iter_mut().zip(fitted[1 + STACK_INPUTS..].chunks(STACK_INPUTS + 1)) {
            block.copy_from_slice(chunk);
        }
        Stacker { weights }
    }

    /// The weights in file order: block after block.
    pub fn flat_weights(&self) -> impl Iterator<Item = f64> + '_ {
        self.weights.iter().flatten().copied()
    }
}

/// The L2 penalty of the stacker fit.
pub const STACK_L2: f64 = 1.0;

/// The cluster scope's own record as a forecaster: for each of the last
/// [`FORECAST_WINDOW`] messages it learned while trusted, scored just before it
/// learned each, the label, its evidence from methods 1 and 2 (the mean of their
/// calibrated log-odds) and method 3's margin; from that record, method 3's Platt
/// scaling and the scale `k` that makes `sigmoid(k * evidence)` the most likely
/// reading of the cluster's evidence (a Platt scaling through the origin, fitted by
/// maximum likelihood).
///
/// The Platt scalings methods 1 and 2 go through were fitted on the global model's
/// held-out scores; a cluster that learned a few hundred messages of one stream
/// ranks its mail well but is less sure of it than it has reason to be (CSDMC2010
/// dev halves: every ham below evidence -0.7, spam left at 1.0-1.6, under the 0.9 cut
/// at 2.2). Its own before-learning forecasts say by how much, on this installation's
/// mail, without a message it was trained on. Only a slope: the intercept of a full
/// Platt scaling followed the streams' spam share and cost 0.5 % of the era-2 spam.
///
/// Method 3 (n-grams, [`crate::ngrams`]) has no global model to borrow a scaling
/// from: its margin gets a full Platt scaling fitted on the same record, and it
/// counts in the evidence (the mean of the three methods' calibrated log-odds) only
/// once the record holds [`MIN_FORECASTS`] of each label with its margin; `k` is then
/// fitted on that evidence over those forecasts. Before (a new installation, or one
/// whose snapshot predates method 3, until its record fills again) the evidence is
/// the mean of methods 1 and 2, as it was. Every node applying the same deltas keeps
/// the same record and so the same scalings. `crates/statistical/README.md`, "Mail
/// the shipped model never saw", eighth and ninth rounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Forecasts {
    /// Oldest first.
    recent: std::collections::VecDeque<Forecast>,
    scale: f64,
    /// Method 3's Platt scaling `(intercept, slope)` of its margin; `None` until the
    /// record holds enough of its forecasts.
    ngram_platt: Option<(f64, f64)>,
}

/// One message of the record: how the cluster foretold it just before learning it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forecast {
    pub spam: bool,
    /// The mean of methods 1 and 2's calibrated log-odds.
    pub evidence: f64,
    /// Method 3's margin (uncalibrated log-odds); `None` for forecasts recorded
    /// before method 3 existed (snapshots of version 6 and older).
    pub ngram_margin: Option<f64>,
}

/// Forecasts kept: the last learned messages, so the scale follows the mail now.
pub const FORECAST_WINDOW: usize = 1_000;
/// Forecasts of each label needed before the scale moves from 1, and before
/// method 3 counts in the evidence.
pub const MIN_FORECASTS: usize = 20;
/// The scale stays within these bounds, whatever the record says.
pub const SCALE_BOUNDS: (f64, f64) = (0.5, 4.0);

impl Default for Forecasts {
    fn default() -> Forecasts {
        Forecasts {
            recent: std::collections::VecDeque::new(),
            scale: 1.0,
            ngram_platt: None,
        }
    }
}

impl Forecasts {
    /// The record read back from a snapshot (oldest first); `None` if it is not one
    /// this code could have written (too long, or not finite).
    pub fn from_record(record: Vec<Forecast>) -> Option<Forecasts> {
        let finite = |f: &Forecast| f.evidence.is_finite() && f.ngram_margin.is_none_or(f64::is_finite);
        if record.len() > FORECAST_WINDOW || !record.iter().all(finite) {
            return None;
        }
        let mut forecasts = Forecasts { recent: record.into(), ..Forecasts::default() };
        forecasts.refit();
        Some(forecasts)
    }

    /// Adds how the cluster foretold a message just before learning it: methods 1
    /// and 2's evidence and method 3's margin.
    /// `None`: the message had no n-gram slots (a delta of a release before method 3).
    pub fn record(&mut self, evidence: f64, ngram_margin: Option<f64>, spam: bool) {
        if !evidence.is_finite() || !ngram_margin.is_none_or(f64::is_finite) {
            return;
        }
        if self.recent.len() == FORECAST_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(Forecast { spam, evidence, ngram_margin });
        self.refit();
    }

    fn refit(&mut self) {
        let with_margin = || self.recent.iter().filter_map(|f| f.ngram_margin.map(|margin| (f.spam, margin)));
        let spam = with_margin().filter(|(spam, _)| *spam).count();
        let ham = with_margin().count() - spam;
        self.ngram_platt = (spam >= MIN_FORECASTS && ham >= MIN_FORECASTS).then(|| fit_platt(with_margin()));
        let evidence: Vec<(bool, f64)> = match self.ngram_platt {
            Some(_) => self
                .recent
                .iter()
                .filter_map(|f| f.ngram_margin.map(|margin| (f.spam, self.evidence(f.evidence, Some(margin)))))
                .collect(),
            None => self.recent.iter().map(|f| (f.spam, f.evidence)).collect(),
        };
        self.scale = fit_scale(&evidence);
    }

    /// What the cluster's evidence is multiplied by in the combination.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Whether method 3 counts in the evidence yet.
    pub fn ngrams_count(&self) -> bool {
        self.ngram_platt.is_some()
    }

    /// Method 3's calibrated log-odds for its margin; `None` while it does not
    /// count yet.
    pub fn ngram_log_odds(&self, margin: f64) -> Option<f64> {
        self.ngram_platt.map(|(intercept, slope)| slope.mul_add(margin, intercept))
    }

    /// The cluster's evidence (before the scale): the mean of the three methods'
    /// calibrated log-odds once method 3 counts, else the mean of methods 1 and 2
    /// (`evidence`).
    pub fn evidence(&self, evidence: f64, ngram_margin: Option<f64>) -> f64 {
        match ngram_margin.and_then(|margin| self.ngram_log_odds(margin)) {
            Some(ngram) => 2.0f64.mul_add(evidence, ngram) / 3.0,
            None => evidence,
        }
    }

    /// The record, oldest first.
    pub fn recent(&self) -> impl ExactSizeIterator<Item = Forecast> + '_ {
        self.recent.iter().copied()
    }
}

/// The maximum-likelihood `k` of `sigmoid(k * evidence)` over the record, by
/// Newton's method from 1 (always from 1: a node that loads a snapshot computes the
/// same scale as the node that learned the messages), within [`SCALE_BOUNDS`]; 1
/// while either label has fewer than [`MIN_FORECASTS`] forecasts.
fn fit_scale(record: &[(bool, f64)]) -> f64 {
    let spam = record.iter().filter(|(spam, _)| *spam).count();
    if spam < MIN_FORECASTS || record.len() - spam < MIN_FORECASTS {
        return 1.0;
    }
    let (low, high) = SCALE_BOUNDS;
    let mut scale = 1.0f64;
    for _ in 0..30 {
        let (mut gradient, mut curvature) = (0.0, 0.0);
        for &(spam, evidence) in record {
            let p = sigmoid(scale * evidence);
            gradient += (p - if spam { 1.0 } else { 0.0 }) * evidence;
            curvature += (p * (1.0 - p)).max(1e-12) * evidence * evidence;
        }
        let step = gradient / curvature.max(1e-12);
        let next = (scale - step).clamp(low, high);
        let moved = (next - scale).abs();
        scale = next;
        if moved < 1e-9 {
            break;
        }
    }
    scale
}

/// A Platt scaling `(intercept, slope)` of margins: [`fit_logistic`] with one input
/// and the calibration fits' small L2, written out for two weights (it runs after
/// every learned message) with the same steps: from 0, Newton, at most 50 iterations.
fn fit_platt(record: impl Iterator<Item = (bool, f64)> + Clone) -> (f64, f64) {
    let (mut intercept, mut slope) = (0.0f64, 0.0f64);
    for _ in 0..50 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (spam, margin) in record.clone() {
            let p = sigmoid(intercept + margin * slope);
            let error = p - if spam { 1.0 } else { 0.0 };
            let curvature = (p * (1.0 - p)).max(1e-12);
            g0 += error;
            g1 += error * margin;
            h00 += curvature;
            h01 += curvature * margin;
            h11 += curvature * margin * margin;
        }
        g1 += FIT_L2 * slope;
        h11 += FIT_L2;
        h00 += 1e-9;
        let determinant = h00 * h11 - h01 * h01;
        if determinant.abs() < 1e-300 {
            break;
        }
        let step0 = (h11 * g0 - h01 * g1) / determinant;
        let step1 = (h00 * g1 - h01 * g0) / determinant;
        intercept -= step0;
        slope -= step1;
        if step0.abs().max(step1.abs()) < 1e-9 {
            break;
        }
    }
    (intercept, slope)
}

/// The L2 penalty of the calibration fits: small, only there to keep separable
/// data finite.
const FIT_L2: f64 = 1e-2;

/// Logistic regression with an intercept by Newton's method; returns
/// `[intercept, w1, w2, ...]`. For the few inputs of calibration and stacking.
pub fn fit_logistic(rows: &[Vec<f64>], labels: &[bool], l2: f64) -> Vec<f64> {
    let dims = rows.first().map_or(0, Vec::len) + 1;
    let mut weights = vec![0.0; dims];
    for _ in 0..50 {
        let mut gradient = vec![0.0; dims];
        let mut hessian = vec![vec![0.0; dims]; dims];
        for (row, &label) in rows.iter().zip(labels) {
            let x: Vec<f64> = std::iter::once(1.0).chain(row.iter().copied()).collect();
            let margin: f64 = x.iter().zip(&weights).map(|(a, b)| a * b).sum();
            let p = sigmoid(margin);
            let error = p - if label { 1.0 } else { 0.0 };
            let curvature = (p * (1.0 - p)).max(1e-12);
            for i in 0..dims {
                gradient[i] += error * x[i];
                for j in 0..dims {
                    hessian[i][j] += curvature * x[i] * x[j];
                }
            }
        }
        for i in 1..dims {
            gradient[i] += l2 * weights[i];
            hessian[i][i] += l2;
        }
        hessian[0][0] += 1e-9;
        let Some(step) = solve(hessian, gradient) else {
            break;
        };
        let mut largest = 0.0f64;
        for (weight, delta) in weights.iter_mut().zip(&step) {
            *weight -= delta;
            largest = largest.max(delta.abs());
        }
        if largest < 1e-9 {
            break;
        }
    }
    weights
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for column in 0..n {
        let pivot = (column..n).max_by(|&i, &j| a[i][column].abs().total_cmp(&a[j][column].abs()))?;
        if a[pivot][column].abs() < 1e-300 {
            return None;
        }
        a.swap(column, pivot);
        b.swap(column, pivot);
        for row in column + 1..n {
            let factor = a[row][column] / a[column][column];
            let pivot_row = a[column].clone();
            for (cell, pivot_cell) in a[row].iter_mut().zip(&pivot_row).skip(column) {
                *cell -= factor * pivot_cell;
            }
            b[row] -= factor * b[column];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pairs: &[(bool, f64)]) -> Forecasts {
        let record = pairs.iter().map(|&(spam, evidence)| Forecast { spam, evidence, ngram_margin: None }).collect();
        Forecasts::from_record(record).expect("a finite record")
    }

    #[test]
    fn an_unsure_forecaster_is_scaled_up_and_an_overconfident_one_down() {
        // Right every time but only at log-odds +-1: the record says it may be surer.
        let mut unsure = Vec::new();
        for i in 0..100 {
            unsure.push((true, 1.0 + 0.01 * f64::from(i)));
            unsure.push((false, -1.0 - 0.01 * f64::from(i)));
        }
        unsure.push((true, -0.5));
        unsure.push((false, 0.5));
        assert!(record(&unsure).scale() > 1.5, "{}", record(&unsure).scale());
        // Log-odds +-6, wrong one time in four: it was too sure.
        let mut overconfident = Vec::new();
        for i in 0..100 {
            overconfident.push((i % 4 != 0, 6.0));
            overconfident.push((i % 4 == 0, -6.0));
        }
        let scale = record(&overconfident).scale();
        assert!((SCALE_BOUNDS.0..1.0).contains(&scale), "{scale}");
    }

    #[test]
    fn the_scale_waits_for_both_labels_and_stays_bounded() {
        let few: Vec<(bool, f64)> = (0..MIN_FORECASTS - 1).map(|_| (true, 1.0)).chain((0..100).map(|_| (false, -1.0))).collect();
        assert_eq!(record(&few).scale(), 1.0);
        // Separable: the likelihood grows without end; the bound holds.
        let separable: Vec<(bool, f64)> = (0..50).map(|_| (true, 1.0)).chain((0..50).map(|_| (false, -1.0))).collect();
        assert_eq!(record(&separable).scale(), SCALE_BOUNDS.1);
        // The window keeps the last forecasts only, and a record read back fits the same.
        let mut forecasts = Forecasts::default();
        for i in 0..FORECAST_WINDOW + 10 {
            forecasts.record(if i % 3 == 0 { -0.5 } else { 2.0 }, Some(0.0), i % 2 == 0);
        }
        assert_eq!(forecasts.recent().len(), FORECAST_WINDOW);
        let back = Forecasts::from_record(forecasts.recent().collect()).expect("a record we kept");
        assert_eq!(back, forecasts);
        let one = |evidence: f64| Forecast { spam: true, evidence, ngram_margin: None };
        assert!(Forecasts::from_record(vec![one(f64::NAN)]).is_none());
        assert!(Forecasts::from_record(vec![Forecast { ngram_margin: Some(f64::INFINITY), ..one(1.0) }]).is_none());
        assert!(Forecasts::from_record(vec![one(1.0); FORECAST_WINDOW + 1]).is_none());
    }

    #[test]
    fn method_3_counts_once_the_record_holds_enough_of_its_forecasts() {
        // Methods 1 and 2 unsure (+-0.5), method 3's margin sure and right (+-3).
        let mut forecasts = Forecasts::default();
        for i in 0..2 * MIN_FORECASTS - 2 {
            let spam = i % 2 == 0;
            forecasts.record(if spam { 0.5 } else { -0.5 }, Some(if spam { 3.0 } else { -3.0 }), spam);
            assert_eq!(forecasts.ngram_log_odds(1.0), None, "{i} forecasts");
            assert_eq!(forecasts.evidence(0.5, Some(3.0)), 0.5);
        }
        forecasts.record(0.5, Some(2.5), true);
        forecasts.record(-0.5, Some(-2.5), false);
        let ngram = forecasts.ngram_log_odds(3.0).expect("20 of each label");
        assert!(ngram > 3.0, "a separable record is read as sure: {ngram}");
        let evidence = forecasts.evidence(0.5, Some(3.0));
        assert!((evidence - (1.0 + ngram) / 3.0).abs() < 1e-12, "the mean of the three: {evidence}");
        assert_eq!(forecasts.evidence(0.5, None), 0.5, "a message without slots: methods 1 and 2");
        // Forecasts from before method 3 (an older snapshot) do not count for it.
        let old: Vec<Forecast> = (0..100).map(|i| Forecast { spam: i % 2 == 0, evidence: 1.0, ngram_margin: None }).collect();
        assert_eq!(Forecasts::from_record(old).expect("finite").ngram_log_odds(1.0), None);
    }

    #[test]
    fn the_platt_fit_for_two_weights_is_the_general_fit() {
        let record: Vec<(bool, f64)> = (0..300).map(|i| (i % 3 != 0, f64::from(i % 17) - 6.0 + if i % 3 != 0 { 2.0 } else { 0.0 })).collect();
        let (intercept, slope) = fit_platt(record.iter().copied());
        let rows: Vec<Vec<f64>> = record.iter().map(|(_, margin)| vec![*margin]).collect();
        let labels: Vec<bool> = record.iter().map(|(spam, _)| *spam).collect();
        let general = fit_logistic(&rows, &labels, FIT_L2);
        assert!((intercept - general[0]).abs() < 1e-9 && (slope - general[1]).abs() < 1e-9, "{intercept} {slope} {general:?}");
    }

    #[test]
    fn identity_scaling_keeps_probabilities() {
        for p in [0.01, 0.3, 0.5, 0.97] {
            assert!((Platt::IDENTITY.probability(p) - p).abs() < 1e-9);
        }
    }

    #[test]
    fn platt_recovers_a_known_miscalibration() {
        // Raw scores are overconfident: the truth is sigmoid(0.5 * logit(raw)).
        // Labels are drawn deterministically in proportion to the true probability.
        let mut raw = Vec::new();
        let mut labels = Vec::new();
        for step in 1..200 {
            let log_odds = (step as f64 - 100.0) / 10.0;
            let truth = sigmoid(0.5 * log_odds);
            let spam_count = (truth * 100.0).round() as usize;
            for k in 0..100 {
                raw.push(sigmoid(log_odds));
                labels.push(k < spam_count);
            }
        }
        let platt = Platt::fit(&raw, &labels);
        assert!((platt.slope - 0.5).abs() < 0.02, "{platt:?}");
        assert!(platt.intercept.abs() < 0.05, "{platt:?}");
    }

    #[test]
    fn separable_data_gives_finite_weights() {
        let raw = [0.01, 0.02, 0.98, 0.99];
        let labels = [false, false, true, true];
        let platt = Platt::fit(&raw, &labels);
        assert!(platt.slope.is_finite() && platt.slope > 0.0);
        assert!(platt.probability(0.99) > 0.9 && platt.probability(0.01) < 0.1);
    }

    #[test]
    fn combiner_weights_the_informative_method() {
        // Method 1 carries the label, method 2 is noise.
        let mut m1 = Vec::new();
        let mut m2 = Vec::new();
        let mut labels = Vec::new();
        for i in 0..400 {
            let spam = i % 2 == 0;
            m1.push(if spam { 2.0 } else { -2.0 } + (i % 7) as f64 * 0.3 - 0.9);
            m2.push(((i * 37) % 11) as f64 - 5.0);
            labels.push(spam);
        }
        let combiner = Combiner::fit(&m1, &m2, &labels);
        assert!(combiner.method1 > 1.0 && combiner.method2.abs() < 0.1, "{combiner:?}");
    }

    #[test]
    fn the_stacker_weighs_each_kind_of_message_its_own_way() {
        // Input 0 tells spam from ham for plain messages only, input 1 for list mail
        // only (where input 0 is noise, as header evidence is for mail a list relayed).
        let mut inputs = Vec::new();
        let mut kinds = Vec::new();
        let mut labels = Vec::new();
        for i in 0..800 {
            let spam = i % 2 == 0;
            let list = i % 4 < 2;
            let signal = if spam { 2.0 } else { -2.0 } + (i % 5) as f64 * 0.4 - 0.8;
            let noise = ((i * 37) % 11) as f64 - 5.0;
            let mut row = [0.0; STACK_INPUTS];
            (row[0], row[1]) = if list { (noise, signal) } else { (signal, noise) };
            inputs.push(row);
            kinds.push(MessageKind { list, html: false });
            labels.push(spam);
        }
        let stacker = Stacker::fit(&inputs, &kinds, &labels);
        let plain = MessageKind::default();
        let list = MessageKind { list: true, html: false };
        let mut strong_first = [0.0; STACK_INPUTS];
        strong_first[0] = 3.0;
        let mut strong_second = [0.0; STACK_INPUTS];
        strong_second[1] = 3.0;
        assert!(stacker.probability(&strong_first, plain) > 0.95, "{stacker:?}");
        assert!(stacker.probability(&strong_second, plain) < 0.8, "{stacker:?}");
        assert!(stacker.probability(&strong_second, list) > 0.95, "{stacker:?}");
        assert!(stacker.probability(&strong_first, list) < 0.8, "{stacker:?}");
        // The HTML block saw no HTML mail: it stays at zero.
        assert!(stacker.weights[2].iter().all(|w| w.abs() < 1e-6), "{stacker:?}");
        // A shared-only stacker ignores the kind.
        let shared = Stacker::shared_only(stacker.weights[0]);
        assert_eq!(shared.probability(&strong_first, plain), shared.probability(&strong_first, list));
    }
}
