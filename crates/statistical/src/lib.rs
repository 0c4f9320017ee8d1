//! Sluice's statistical classifiers: two methods in two scopes and a third method in
//! the cluster scope, combined into one calibrated probability of spam.
//!
//! - [`tokens`] turns a message into a bounded set of 64-bit feature ids.
//! - Method 1, [`bayes`]: sparse-bigram Bayes with Robinson/Fisher combination.
//! - Method 2, [`ftrl`]: logistic regression learned online by FTRL-Proximal.
//! - Method 3, cluster only: FTRL over hashed byte 3-grams of a text view of the
//!   message ([`ngrams`]); evidence in the cluster's mean, never decisive alone.
//! - Scopes: the `global` [`model::GlobalModel`] ships inside the binary
//!   (`model/global.bin`, trained by `examples/train-global.rs`); the `cluster`
//!   [`cluster::ClusterModel`] learns from this installation through
//!   [`cluster::TokenDelta`]s a store can persist and replay.
//! - [`Classifier::score`] is the one entry point of the gateway: facts in, one
//!   [`Finding`] out (`statistical-method{1,2}-{global,cluster}` when one classifier
//!   is decisive alone, else `combined-statistical` / `unsure` `combined`).
//! - [`familiarity`]: how much of the stream the global model knows, which tempers
//!   its probabilities while the installation's own models are not trusted yet.
//! - [`eval`] measures accuracy, [`train`] and [`corpus`] learn from mail on disk.
//!
//! The math reads no clock, file or network; only [`corpus`] and [`eval`]'s plot
//! writer touch the disk, for the command-line tools.

pub mod bayes;
pub mod calibrate;
pub mod cluster;
pub mod corpus;
pub mod eval;
pub mod familiarity;
pub mod format;
pub mod ftrl;
pub mod model;
pub mod ngrams;
pub mod normalise;
pub mod novelty;
pub mod row;
mod table;
pub mod taught;
pub mod tokens;
pub mod train;

use std::sync::{Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use sluice_core::MessageFacts;
use sluice_model::{Finding, Scored, Subclass};

pub use cluster::{ClusterModel, Label, MessageKey, PrunePolicy, PruneReport, ScopeLosses, TokenDelta, message_key};
pub use familiarity::StreamFamiliarity;
pub use format::FormatError;
pub use model::GlobalModel;
pub use tokens::{Features, TokeniserLimits};

/// The name findings of this crate carry in their `check` field.
pub const CHECK_NAME: &str = "statistical";

/// The name of cluster method 3 in `sluice eval`'s tables and plots and in `sluice
/// explain`: it has no subclass (it never decides alone), so no class name.
pub const NGRAM_CLASSIFIER: &str = "cluster-ngrams";

/// When one classifier may decide alone, and when the cluster models are trusted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatisticalSettings {
    /// A classifier whose calibrated probability is at least this (or at most one
    /// minus this) decides alone, unless another trusted classifier is on the other
    /// side of 0.5 [0.999].
    pub decisive_confidence: f64,
    /// The cluster models are used once they learned at least this many spam and
    /// this many ham messages [50 each]: a few reports must not swing every verdict.
    pub min_cluster_spam: u32,
    pub min_cluster_ham: u32,
}

impl Default for StatisticalSettings {
    fn default() -> StatisticalSettings {
        StatisticalSettings {
            decisive_confidence: 0.999,
            min_cluster_spam: 50,
            min_cluster_ham: 50,
        }
    }
}

/// Every classifier's calibrated probability of spam for one message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    pub method1_global: f64,
    pub method2_global: f64,
    /// `None` while the cluster models are not trusted yet.
    pub method1_cluster: Option<f64>,
    pub method2_cluster: Option<f64>,
    /// Cluster method 3 (n-grams): `None` while the cluster is not trusted or its
    /// record of forecasts has not filled ([`calibrate::Forecasts`]). Evidence in
    /// `combined` only: no subclass, never decisive alone.
    pub ngram_cluster: Option<f64>,
    /// The calibrated combination of every trusted classifier.
    pub combined: f64,
    /// The factor the global model's log-odds were multiplied by
    /// ([`familiarity`]): 1 on a familiar stream or with a trusted cluster.
    pub temperature: f64,
    /// The global model's share of `combined`: 1 while the cluster is not
    /// trusted, then 1 minus the cluster's scope weight ([`cluster_weight`]) for
    /// this message (times [`novelty::weight_factor`]).
    pub global_share: f64,
}

impl Scores {
    /// The scores as the evidence of a finding: every trusted classifier, this
    /// installation's own first (on a tie, what it learned names the class). The
    /// cluster's only where it has a share of `combined` (not for a message it
    /// knows far less of than the global model, [`novelty`]).
    pub fn evidence(&self, decisive_confidence: f64) -> Scored {
        let cluster_counts = self.cluster_counts();
        let classifiers = [
            (Subclass::StatisticalMethod1Cluster, self.method1_cluster.filter(|_| cluster_counts)),
            (Subclass::StatisticalMethod2Cluster, self.method2_cluster.filter(|_| cluster_counts)),
            (Subclass::StatisticalMethod1Global, Some(self.method1_global)),
            (Subclass::StatisticalMethod2Global, Some(self.method2_global)),
        ]
        .into_iter()
        .filter_map(|(sub, probability)| probability.map(|p| (sub, p)))
        .collect();
        Scored {
            classifiers,
            combined: self.combined,
            decisive_confidence,
            features: Vec::new(),
            temperature: self.temperature,
            global_share: self.global_share,
        }
    }

    /// Whether the cluster has a share of `combined` for this message: trusted,
    /// and not a message it knows far less of than the global model ([`novelty`]).
    pub fn cluster_counts(&self) -> bool {
        self.method1_cluster.is_some() && self.global_share < 1.0
    }
}

/// The statistical classifiers of one installation: the global model and the
/// cluster model, with the settings that turn their scores into a finding.
pub struct Classifier {
    global: GlobalModel,
    cluster: RwLock<ClusterModel>,
    /// The shares of known features of the messages this process scored, seeded
    /// with the installation's figure.
    stream: Mutex<StreamFamiliarity>,
    pub settings: StatisticalSettings,
    pub limits: TokeniserLimits,
}

impl Classifier {
    /// A classifier over `global` with an empty cluster model.
    pub fn new(global: GlobalModel, settings: StatisticalSettings) -> Classifier {
        let cluster = ClusterModel::new(global.bayes, global.ftrl);
        Classifier {
            global,
            cluster: RwLock::new(cluster),
            stream: Mutex::new(StreamFamiliarity::default()),
            settings,
            limits: TokeniserLimits::default(),
        }
    }

    /// A classifier over the model embedded in the binary.
    pub fn with_embedded_model(settings: StatisticalSettings) -> Result<Classifier, FormatError> {
        Ok(Classifier::new(GlobalModel::embedded()?, settings))
    }

    pub fn global(&self) -> &GlobalModel {
        &self.global
    }

    /// Counts messages towards the stream's familiarity without judging them: the
    /// command-line tools show their whole input first, as an installation that
    /// has been receiving such mail.
    pub fn observe(&self, features: &Features) {
        let share = self.global.known_share(features);
        self.stream.lock().unwrap_or_else(PoisonError::into_inner).observe(share);
    }

    /// The stream's median share of known features so far (the installation's
    /// seed until [`familiarity::MIN_OBSERVED`] messages, `None` without one) and
    /// the temperature it gives.
    pub fn familiarity(&self) -> (Option<f64>, f64) {
        let stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
        (stream.median_share(), stream.temperature())
    }

    /// Whose median the temperature follows now: this process's stream, the
    /// installation's seed, or none known (`None`).
    pub fn stream_median(&self) -> Option<familiarity::MedianSource> {
        self.stream.lock().unwrap_or_else(PoisonError::into_inner).median()
    }

    /// Goes by the installation's stored figure until this process has seen
    /// [`familiarity::MIN_OBSERVED`] messages ([`StreamFamiliarity::seed`]).
    pub fn seed_familiarity(&self, figure: familiarity::Figure) {
        self.stream.lock().unwrap_or_else(PoisonError::into_inner).seed(figure);
    }

    /// This process's own figure for the store (`None` before
    /// [`familiarity::MIN_OBSERVED`] messages: a seed is never saved back).
    pub fn familiarity_to_save(&self) -> Option<familiarity::Figure> {
        self.stream.lock().unwrap_or_else(PoisonError::into_inner).observed_figure()
    }

    /// Whether the cluster models learned enough to be used.
    pub fn cluster_trusted(&self) -> bool {
        self.trusts(&self.cluster.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether cluster method 3 counts in the scores: the cluster is trusted and its
    /// record holds enough of method 3's forecasts ([`calibrate::Forecasts`]).
    fn ngrams_count(&self) -> bool {
        let cluster = self.cluster.read().unwrap_or_else(PoisonError::into_inner);
        self.trusts(&cluster) && cluster.forecasts().ngrams_count()
    }

    /// The cluster model, for a store to load snapshots into and apply deltas to.
    pub fn cluster(&self) -> &RwLock<ClusterModel> {
        &self.cluster
    }

    /// Replaces the cluster model with a stored snapshot.
    pub fn load_cluster_snapshot(&self, snapshot: &[u8]) -> Result<(), FormatError> {
        let model = ClusterModel::from_snapshot(snapshot)?;
        *self.cluster.write().unwrap_or_else(PoisonError::into_inner) = model;
        Ok(())
    }

    /// Applies a delta learned on another node (recording, as that node did, how
    /// each scope scored the message before it was learned).
    pub fn apply_delta(&self, delta: &TokenDelta) {
        let mut cluster = self.cluster.write().unwrap_or_else(PoisonError::into_inner);
        let first_time = match delta.mark {
            Some(mark) if cluster.mark(delta.key).is_none() => Some(mark.label),
            _ => None,
        };
        let before = first_time.map(|label| {
            // The message's ids and slots are those of the delta, less the biases.
            let ids: Vec<u64> = delta.features.iter().map(|change| change.id).filter(|id| *id != ftrl::BIAS_FEATURE).collect();
            let slots = delta.ngrams.message_slots();
            (self.log_odds_before_learning(&cluster, &ids, (!slots.is_empty()).then_some(slots)), self.trusts(&cluster), label)
        });
        cluster.apply(delta);
        if let Some((evidence, trusted, label)) = before {
            record_forecasts(&mut cluster, evidence, trusted, label);
        }
    }

    /// Whether the cluster model learned enough of both labels to count
    /// (`min_cluster_spam`, `min_cluster_ham`).
    fn trusts(&self, cluster: &ClusterModel) -> bool {
        let (spam, ham) = cluster.trained_messages();
        spam >= self.settings.min_cluster_spam && ham >= self.settings.min_cluster_ham
    }

    /// Each scope's evidence (the mean of its methods' calibrated log-odds; the
    /// cluster's of methods 1 and 2) for a message about to be learned, from its
    /// sorted feature ids, and cluster method 3's margin from its n-gram slots
    /// (`None` without slots).
    fn log_odds_before_learning(&self, cluster: &ClusterModel, ids: &[u64], slots: Option<&[u32]>) -> Before {
        let calibration = &self.global.calibration;
        Before {
            global: calibration.methods_log_odds(&self.global.raw_scores(ids)),
            cluster: calibration.methods_log_odds(&cluster.raw_scores(ids)),
            ngram_margin: slots.map(|slots| cluster.ngram_margin(slots)),
        }
    }

    /// Prunes the cluster model (rare, idle and surplus features) by `policy`; the
    /// store then replaces its deltas with a fresh snapshot. See [`PrunePolicy`].
    pub fn prune_cluster(&self, policy: &PrunePolicy) -> PruneReport {
        self.cluster.write().unwrap_or_else(PoisonError::into_inner).prune(policy)
    }

    /// Learns a raw message into the cluster model; `None` when it was already
    /// learned with this label. The returned delta is what the store persists.
    pub fn learn(&self, raw: &[u8], label: Label) -> Option<TokenDelta> {
        let features = tokens::features_of_raw(raw, &self.limits);
        self.learn_features(message_key(raw), label, &features)
    }

    /// [`Self::learn`] for a message already tokenised (by [`Self::features`]),
    /// so a caller can tokenise many messages in parallel and learn them in order.
    pub fn learn_features(&self, key: MessageKey, label: Label, features: &Features) -> Option<TokenDelta> {
        let mut cluster = self.cluster.write().unwrap_or_else(PoisonError::into_inner);
        let slots = (!features.ngrams().is_empty()).then_some(features.ngrams());
        let before = cluster
            .mark(key)
            .is_none()
            .then(|| (self.log_odds_before_learning(&cluster, features.ids(), slots), self.trusts(&cluster)));
        let delta = cluster.learn(key, label, features)?;
        if let Some((evidence, trusted)) = before {
            record_forecasts(&mut cluster, evidence, trusted, label);
        }
        Some(delta)
    }

    /// One more pass of the regression over a message learned already
    /// ([`ClusterModel::learn_again`]); `None` when it is not learned. The returned
    /// delta is what the store persists; applying it records no forecast.
    pub fn learn_features_again(&self, key: MessageKey, features: &Features) -> Option<TokenDelta> {
        self.cluster.write().unwrap_or_else(PoisonError::into_inner).learn_again(key, features)
    }

    /// The features of a message whose facts are already built, with its n-gram
    /// slots for cluster method 3.
    pub fn features(&self, facts: &MessageFacts<'_>) -> Features {
        self.word_features(facts).with_ngrams(ngrams::slots_of(facts))
    }

    /// The features of a message without its n-gram slots.
    fn word_features(&self, facts: &MessageFacts<'_>) -> Features {
        let raw = sluice_core::message::strip_mbox_from_line(facts.raw);
        tokens::features_of_message(facts.parsed.as_ref(), raw, &self.limits, Some(facts))
    }

    /// The gateway's entry point: one scored finding about the message, which the
    /// verdict settles with the recipient's thresholds (`sluice_core::verdict::settle`).
    ///
    /// Method 3's n-gram slots are computed only once it counts (the cluster trusted
    /// and its record of forecasts filled): before, nothing reads them, and a fresh
    /// install does not pay for them.
    pub fn score(&self, facts: &MessageFacts<'_>) -> Finding {
        let features = self.word_features(facts);
        let features = if self.ngrams_count() { features.with_ngrams(ngrams::slots_of(facts)) } else { features };
        let scores = self.scores(&features);
        self.finding(&scores)
    }

    /// The scores and scored finding of raw message bytes (for `eval`).
    pub fn score_raw(&self, raw: &[u8]) -> (Scores, Finding) {
        let scores = self.scores(&tokens::features_of_raw(raw, &self.limits));
        let finding = self.finding(&scores);
        (scores, finding)
    }

    /// Every classifier's calibrated probability for a message's features.
    ///
    /// `combined` is the global model's stacked evidence alone until the cluster
    /// models are trusted (its log-odds, and each global method's, multiplied by the
    /// stream's temperature, [`familiarity`]); then the log-odds of both scopes weighed by
    /// [`cluster_weight`] (the scope that foretold this installation's mail better
    /// counts more), the cluster's evidence multiplied by the scale its own
    /// forecasts earned ([`calibrate::Forecasts`]). The cluster's evidence is the
    /// mean of its methods' calibrated log-odds: methods 1 and 2, and method 3 once
    /// its record of forecasts has filled. The cluster's weight is less, down to
    /// nothing, for a message it knows far less of than the global model does
    /// ([`novelty`]); where it is nothing, its classifiers are not evidence either.
    pub fn scores(&self, features: &Features) -> Scores {
        let calibration = &self.global.calibration;
        let global = self.global.scores_of(features);
        let cluster = {
            let cluster = self.cluster.read().unwrap_or_else(PoisonError::into_inner);
            self.trusts(&cluster).then(|| {
                let raw = cluster.scores_of(features);
                let margin = (!features.ngrams().is_empty()).then(|| cluster.ngram_margin(features.ngrams()));
                let forecasts = cluster.forecasts();
                let evidence = forecasts.evidence(calibration.methods_log_odds(&raw), margin);
                let ngram = margin.and_then(|margin| forecasts.ngram_log_odds(margin)).map(ftrl::sigmoid);
                // Less for a message the cluster knows far less of than the global model.
                let weight = cluster_weight(cluster.scope_losses()) * novelty::weight_factor(raw.known_share, global.known_share);
                (raw, weight, forecasts.scale(), evidence, ngram)
            })
        };
        let temperature = {
            let mut stream = self.stream.lock().unwrap_or_else(PoisonError::into_inner);
            stream.observe(global.known_share);
            // Once the cluster is trusted, the scope weights say how far the global
            // model foretold this installation's mail.
            if cluster.is_some() { 1.0 } else { stream.temperature() }
        };
        let global_log_odds = calibration.combined_log_odds(&global);
        let combined_log_odds = match &cluster {
            Some((_, weight, scale, evidence, _)) => (1.0 - weight) * global_log_odds + weight * scale * evidence,
            None => temperature * global_log_odds,
        };
        Scores {
            method1_global: familiarity::temper(calibration.method1.probability(global.method1), temperature),
            method2_global: familiarity::temper(calibration.method2.probability(global.method2), temperature),
            method1_cluster: cluster.map(|(raw, ..)| calibration.method1.probability(raw.method1)),
            method2_cluster: cluster.map(|(raw, ..)| calibration.method2.probability(raw.method2)),
            ngram_cluster: cluster.and_then(|(.., ngram)| ngram),
            combined: ftrl::sigmoid(combined_log_odds),
            temperature,
            global_share: cluster.map_or(1.0, |(_, weight, ..)| 1.0 - weight),
        }
    }

    /// The scored finding the verdict is decided from.
    pub fn finding(&self, scores: &Scores) -> Finding {
        Finding::with_scores(CHECK_NAME, scores.evidence(self.settings.decisive_confidence))
    }
}

/// How the scopes foretold a message about to be learned.
struct Before {
    /// The global scope's evidence.
    global: f64,
    /// The cluster's methods 1 and 2's evidence.
    cluster: f64,
    /// Cluster method 3's margin (`None`: the message came without n-gram slots).
    ngram_margin: Option<f64>,
}

/// Records how each scope foretold a message about to be learned: the losses of
/// both scopes always (the cluster's evidence as it counts now: with method 3 once
/// its record has filled), the cluster's own forecast only while it was trusted (its
/// scale calibrates the evidence it gives while trusted).
fn record_forecasts(cluster: &mut ClusterModel, before: Before, trusted: bool, label: Label) {
    let local = cluster.forecasts().evidence(before.cluster, before.ngram_margin);
    cluster.record_losses(before.global, local, label);
    if trusted {
        cluster.record_forecast(before.cluster, before.ngram_margin, label);
    }
}

/// The weight of the cluster scope against the global scope in the combined
/// evidence, by how well each foretold this installation's own mail: each message
/// learned is first scored by both scopes, and `w = Lg² / (Lg² + Lc²)` with `Lg`, `Lc`
/// the decayed sums of their log-loss ([`ScopeLosses`]): inverse-square weighting, as
/// by inverse variance, so a scope that foretold this mail twice as well weighs four
/// times as much; 0.5 before anything was recorded. Where the global model was trained
/// on other, older mail the cluster soon outweighs it (shift proxies: 0.90-0.99 after
/// 500-1,000 learned messages; `w = Lg / (Lg + Lc)` gave 0.77-0.91 and caught 1 %
/// less); where the global model knows the mail as well it keeps its weight.
/// `crates/statistical/README.md`, "Mail the shipped model never saw".
pub fn cluster_weight(losses: ScopeLosses) -> f64 {
    let (global, cluster) = (losses.global * losses.global, losses.cluster * losses.cluster);
    let total = global + cluster;
    if total > 0.0 && total.is_finite() { global / total } else { 0.5 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installations_own_classifiers_come_first_in_the_evidence() {
        let scores = Scores {
            method1_global: 0.1,
            method2_global: 0.2,
            method1_cluster: Some(0.3),
            method2_cluster: Some(0.4),
            ngram_cluster: Some(0.9999),
            combined: 0.25,
            temperature: 1.0,
            global_share: 0.1,
        };
        let evidence = scores.evidence(0.999);
        let order: Vec<Subclass> = evidence.classifiers.iter().map(|(sub, _)| *sub).collect();
        assert_eq!(
            order,
            [
                Subclass::StatisticalMethod1Cluster,
                Subclass::StatisticalMethod2Cluster,
                Subclass::StatisticalMethod1Global,
                Subclass::StatisticalMethod2Global
            ]
        );
        let untrusted = Scores { method1_cluster: None, method2_cluster: None, ..scores };
        assert_eq!(untrusted.evidence(0.999).classifiers.len(), 2, "an untrusted cluster is no evidence");
        let unlike = Scores { global_share: 1.0, ..scores };
        assert_eq!(unlike.evidence(0.999).classifiers.len(), 2, "nor one without a share of this message");
    }

    #[test]
    fn method_3_is_evidence_only_once_its_record_fills_and_never_decides_alone() {
        let settings = StatisticalSettings { min_cluster_spam: 1, min_cluster_ham: 1, ..StatisticalSettings::default() };
        let learner = Classifier::with_embedded_model(settings.clone()).expect("shipped model");
        let follower = Classifier::with_embedded_model(settings).expect("shipped model");
        let message = |i: usize, spam: bool| -> Vec<u8> {
            let text = if spam {
                format!("From: deals{i}@offers.example\r\nSubject: cheap pills {i}\r\n\r\nBuy cheap pills now, casino bonus {i}!\r\n")
            } else {
                format!("From: colleague{i}@example.org\r\nSubject: meeting notes {i}\r\n\r\nHere are the notes of the project meeting {i}.\r\n")
            };
            text.into_bytes()
        };
        let probe = tokens::features_of_raw(&message(1_000, true), &learner.limits);
        assert!(!probe.ngrams().is_empty());
        let learn = |i: usize| {
            for (spam, label) in [(true, Label::Spam), (false, Label::Ham)] {
                let delta = learner.learn(&message(i, spam), label).expect("a new message");
                assert!(!delta.ngrams.is_empty(), "the delta carries method 3's slots");
                follower.apply_delta(&delta);
            }
        };
        learn(0);
        // Trusted, but method 3's record is empty: today's rule, the mean of methods 1 and 2.
        let early = learner.scores(&probe);
        assert!(early.method1_cluster.is_some() && early.ngram_cluster.is_none(), "{early:?}");
        let (raw, envelope) = (message(1_000, true), sluice_core::Envelope::default());
        let facts = MessageFacts::new(&raw, &envelope, 0);
        assert!(learner.cluster_trusted() && !learner.ngrams_count());
        assert_eq!(learner.score(&facts), learner.finding(&learner.scores(&learner.features(&facts))));
        for i in 1..calibrate::MIN_FORECASTS {
            learn(i);
        }
        assert!(learner.scores(&probe).ngram_cluster.is_none(), "19 forecasts of each label: not yet");
        learn(calibrate::MIN_FORECASTS);
        let scores = learner.scores(&probe);
        let ngram = scores.ngram_cluster.expect("20 forecasts of each label");
        // The gateway's entry point computes the slots only now, and agrees with
        // the full features before (above) and after.
        assert!(learner.ngrams_count());
        assert_eq!(learner.score(&facts), learner.finding(&learner.scores(&learner.features(&facts))));
        assert!(ngram > 0.5, "{scores:?}");
        // The node that applied the deltas holds the same model, record and scalings.
        assert_eq!(learner.cluster().read().unwrap().to_snapshot(), follower.cluster().read().unwrap().to_snapshot());
        assert_eq!(follower.scores(&probe).ngram_cluster, Some(ngram));
        // Evidence only: however sure, method 3 is no classifier of the finding.
        let sure = Scores { ngram_cluster: Some(0.999_999), method1_cluster: Some(0.5), method2_cluster: Some(0.5), ..scores };
        let evidence = sure.evidence(0.999);
        assert_eq!(evidence.classifiers.len(), 4);
        assert!(evidence.classifiers.iter().all(|(_, p)| *p < 0.999_999), "{evidence:?}");
    }

    #[test]
    fn the_cluster_does_not_count_for_mail_the_global_model_knows_far_better() {
        let settings = StatisticalSettings { min_cluster_spam: 1, min_cluster_ham: 1, ..StatisticalSettings::default() };
        let classifier = Classifier::with_embedded_model(settings).expect("shipped model");
        for i in 0..5 {
            let spam = format!("From: deals{i}@offers.example\r\nSubject: cheap pills {i}\r\n\r\nBuy cheap pills now {i}!\r\n");
            let ham = format!("From: colleague{i}@example.org\r\nSubject: notes {i}\r\n\r\nThe notes of meeting {i}.\r\n");
            classifier.learn(spam.as_bytes(), Label::Spam).expect("new");
            classifier.learn(ham.as_bytes(), Label::Ham).expect("new");
        }
        assert!(classifier.cluster_trusted());
        // A real message: the global model knows much of it, the toy cluster little.
        let ham = include_bytes!("../../../tests/data/statistical/ham-sample.eml");
        let features = tokens::features_of_raw(ham, &classifier.limits);
        let global = classifier.global().scores_of(&features);
        let local = classifier.cluster().read().unwrap().scores_of(&features);
        assert!(global.known_share - local.known_share >= novelty::NO_GAP, "{} {}", global.known_share, local.known_share);
        let scores = classifier.scores(&features);
        assert!(scores.method1_cluster.is_some(), "its probabilities are still shown: {scores:?}");
        assert!(!scores.cluster_counts() && scores.global_share == 1.0, "{scores:?}");
        assert_eq!(scores.temperature, 1.0, "the cluster is trusted: no stream temperature");
        let alone = ftrl::sigmoid(classifier.global().calibration.combined_log_odds(&global));
        assert!((scores.combined - alone).abs() < 1e-12, "{scores:?} against {alone}");
        assert_eq!(scores.evidence(0.999).classifiers.len(), 2, "the global model's classifiers only");
        // A message like those it learned counts as before.
        let like = classifier.scores(&tokens::features_of_raw(b"From: deals9@offers.example\r\nSubject: cheap pills 9\r\n\r\nBuy cheap pills now 9!\r\n", &classifier.limits));
        assert!(like.cluster_counts() && like.global_share < 1.0, "{like:?}");
        assert_eq!(like.evidence(0.999).classifiers.len(), 4);
    }

    #[test]
    fn the_scope_that_foretold_the_mail_better_weighs_more() {
        assert_eq!(cluster_weight(ScopeLosses::default()), 0.5);
        // Twice as good a forecast, four times the weight.
        assert_eq!(cluster_weight(ScopeLosses { global: 2.0, cluster: 1.0 }), 0.8);
        assert_eq!(cluster_weight(ScopeLosses { global: 1.0, cluster: 2.0 }), 0.2);
        let mut losses = ScopeLosses::default();
        for _ in 0..100 {
            // The global scope is unsure (log-odds 0), the cluster right (+4 for spam).
            losses.record(0.0, 4.0, Label::Spam);
        }
        assert!(cluster_weight(losses) > 0.95, "{losses:?}");
        // Half of what was recorded is forgotten after LOSS_HALF_LIFE more messages.
        let before = losses.global;
        for _ in 0..cluster::LOSS_HALF_LIFE as usize {
            losses.record(-30.0, -30.0, Label::Ham);
        }
        assert!((losses.global - before / 2.0).abs() < 1e-6 * before, "{losses:?}");
    }

    #[test]
    fn every_node_records_the_same_losses() {
        // A message learned here and the same delta applied on another node.
        let learner = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let follower = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let spam = include_bytes!("../../../tests/data/statistical/spam-sample.eml");
        let ham = include_bytes!("../../../tests/data/statistical/ham-sample.eml");
        for (raw, label) in [(&spam[..], Label::Spam), (&ham[..], Label::Ham)] {
            let delta = learner.learn(raw, label).expect("first time learned");
            follower.apply_delta(&delta);
        }
        let losses = learner.cluster().read().unwrap().scope_losses();
        assert!(losses.global > 0.0 && losses.cluster > 0.0, "{losses:?}");
        assert_eq!(follower.cluster().read().unwrap().scope_losses(), losses);
        // Learning again changes nothing; the snapshot keeps the losses.
        assert!(learner.learn(spam, Label::Spam).is_none());
        assert_eq!(learner.cluster().read().unwrap().scope_losses(), losses);
        let snapshot = learner.cluster().read().unwrap().to_snapshot();
        follower.load_cluster_snapshot(&snapshot).expect("a snapshot we just wrote");
        assert_eq!(follower.cluster().read().unwrap().scope_losses(), losses);
    }

    #[test]
    fn a_fresh_classifier_tempers_the_global_model_until_it_knows_the_stream() {
        let classifier = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let spam = include_bytes!("../../../tests/data/statistical/spam-sample.eml");
        let features = tokens::features_of_raw(spam, &classifier.limits);
        let careful = classifier.scores(&features);
        assert_eq!(careful.temperature, familiarity::FOREIGN_TEMPERATURE, "nothing seen yet");
        // The same message as the whole stream: its own share decides.
        for _ in 0..familiarity::MIN_OBSERVED {
            classifier.observe(&features);
        }
        let share = classifier.global().scores_of(&features).known_share;
        let (median, temperature) = classifier.familiarity();
        assert_eq!(median.map(|m| (m * 1e6).round()), Some((f64::from(share as f32) * 1e6).round()));
        assert_eq!(temperature, familiarity::temperature_for(f64::from(share as f32)));
        let known = classifier.scores(&features);
        assert_eq!(known.temperature, temperature);
        if temperature == 1.0 {
            assert!(known.combined >= careful.combined, "{known:?} vs {careful:?}");
        }
    }

    #[test]
    fn a_seeded_classifier_judges_with_the_installations_familiarity() {
        let classifier = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let spam = include_bytes!("../../../tests/data/statistical/spam-sample.eml");
        let features = tokens::features_of_raw(spam, &classifier.limits);
        let careful = classifier.scores(&features);
        let fresh = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let stored = familiarity::Figure { median_share: familiarity::OWN_MEDIAN_SHARE, messages: 2_000 };
        fresh.seed_familiarity(stored);
        assert_eq!(fresh.stream_median(), Some(familiarity::MedianSource::Installation(stored)));
        let seeded = fresh.scores(&features);
        assert_eq!(seeded.temperature, 1.0, "the installation's stream is familiar");
        assert_ne!(seeded.combined, careful.combined, "the temperature changed the evidence");
        assert_eq!(fresh.familiarity_to_save(), None, "one message is not a figure to save");
        for _ in 0..familiarity::MIN_OBSERVED {
            fresh.observe(&features);
        }
        let own = fresh.familiarity_to_save().expect("MIN_OBSERVED messages seen");
        assert_eq!(own.messages, familiarity::MIN_OBSERVED as u64 + 1);
        assert_eq!(fresh.stream_median(), Some(familiarity::MedianSource::Observed(own)));
    }

    #[test]
    fn extra_passes_record_no_forecast_on_any_node() {
        let learner = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let follower = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let spam = include_bytes!("../../../tests/data/statistical/spam-sample.eml");
        let features = tokens::features_of_raw(spam, &learner.limits);
        follower.apply_delta(&learner.learn_features(message_key(spam), Label::Spam, &features).expect("first time learned"));
        let losses = learner.cluster().read().unwrap().scope_losses();
        let again = learner.learn_features_again(message_key(spam), &features).expect("learned");
        follower.apply_delta(&again);
        assert_eq!(learner.cluster().read().unwrap().scope_losses(), losses);
        assert_eq!(follower.cluster().read().unwrap().scope_losses(), losses);
        assert_eq!(learner.cluster().read().unwrap().to_snapshot(), follower.cluster().read().unwrap().to_snapshot());
    }

    #[test]
    fn the_embedded_model_separates_obvious_mail() {
        let classifier = Classifier::with_embedded_model(StatisticalSettings::default()).expect("shipped model");
        let spam = include_bytes!("../../../tests/data/statistical/spam-sample.eml");
        let ham = include_bytes!("../../../tests/data/statistical/ham-sample.eml");
        let (spam_scores, _) = classifier.score_raw(spam);
        let (ham_scores, _) = classifier.score_raw(ham);
        assert!(spam_scores.combined > ham_scores.combined, "{spam_scores:?} vs {ham_scores:?}");
    }
}
