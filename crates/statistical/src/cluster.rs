//! The cluster scope: models learned from this installation (releases from
//! quarantine, "report as spam", `sluice train`), with per-message learned marks.
//!
//! Learning is expressed as a [`TokenDelta`]: the change of the message totals and of
//! each feature's Bayes counts and FTRL state, plus the message's new mark. A node
//! learns locally, hands the delta to the store, and every other node applies the
//! same delta; a new node loads a snapshot. The store (SQLite / PostgreSQL, elsewhere)
//! only has to add numbers and keep marks: no model logic lives in it.
//!
//! As with `sa-learn`, learning a message twice the same way changes nothing, and
//! learning it the other way first forgets the earlier learning. Forgetting is exact
//! for the Bayes counts. For the regression it subtracts the gradient the message
//! contributed (kept in its mark) from `z` and its square from `n`; the small
//! proximal correction FTRL folded into `z` at the time is not undone, so the weights
//! come back close to, not bit-for-bit equal to, where they were.
//!
//! Method 3 ([`crate::ngrams`]: FTRL over hashed byte 3-grams of a text view, a
//! table of fixed size, [`NGRAM_FTRL`]) learns beside them from the same deltas:
//! a delta carries the message's n-gram slots and each slot's change ([`NgramDelta`]),
//! the mark the sums of method 3's gradients, so forgetting takes it back as it does
//! method 2's.
//!
//! The features and marks are keyed by ids derived from attacker-chosen text, so
//! their tables place them by a randomly seeded hash (see [`crate::table`] and
//! [`Map`]). They grow only when a message is trained, by at most the tokeniser's
//! feature ceiling per message, and [`PrunePolicy`] keeps them bounded:
//! rare features expire after a grace period, idle ones after a longer one, and a
//! hard cap evicts the least useful features as soon as it is overrun. The marks
//! are capped too (the oldest go first). Ages are counted in applied deltas (a
//! logical clock), not in time: the math reads no clock, pruning runs by itself
//! every [`PrunePolicy::every`] deltas, and every node that applies the same
//! deltas prunes the same features at the same point.

use std::collections::HashMap;

/// The map of learned marks, keyed by message keys: foldhash, seeded at random per
/// process like std's SipHash (the keys come from attacker-chosen text), at a
/// fraction of its cost when learning.
type Map<K, V> = HashMap<K, V, foldhash::quality::RandomState>;

use xxhash_rust::xxh3::xxh3_128;

use crate::bayes::{BayesParams, TokenCounts};
use crate::calibrate::{FORECAST_WINDOW, Forecast, Forecasts};
use crate::format::{FormatError, Reader, Writer};
use crate::ftrl::{BIAS_FEATURE, FtrlParams, FtrlState, sigmoid};
use crate::ngrams::NGRAM_SLOTS;
use crate::model::{Calibration, RawScores, read_params, scores_from_lookup, write_params};
use crate::table::FeatureTable;
use crate::tokens::Features;

/// The label a message is trained with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    Spam,
    Ham,
}

impl Label {
    fn target(self) -> f64 {
        match self {
            Label::Spam => 1.0,
            Label::Ham => 0.0,
        }
    }
}

/// Identifies a trained message, to make training idempotent. The store may use
/// its own key (a log id hashed to 128 bits) or [`message_key`].
pub type MessageKey = u128;

/// A key for a raw message: its bytes after a leading mbox line, hashed.
pub fn message_key(raw: &[u8]) -> MessageKey {
    xxh3_128(sluice_core::message::strip_mbox_from_line(raw))
}

/// What was learned from one message: the label and what it contributed to the
/// regressions, which forgetting subtracts again: the sum of its gradients (one per
/// pass over it, [`ClusterModel::learn_again`]) from each feature's `z`, the sum of
/// their squares from `n`; the same for method 3 over its n-gram slots.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LearnedMark {
    pub label: Label,
    pub gradient: f32,
    pub squares: f32,
    /// Method 3's sum of gradients and of their squares (0 for a message learned
    /// before method 3 existed: forgetting it leaves method 3 as it is).
    pub ngram_gradient: f32,
    pub ngram_squares: f32,
}

impl LearnedMark {
    /// The mark of a message learned in one pass with this gradient, without method 3.
    pub fn once(label: Label, gradient: f32) -> LearnedMark {
        LearnedMark { label, gradient, squares: gradient * gradient, ngram_gradient: 0.0, ngram_squares: 0.0 }
    }

    /// Whether the message was learned in one pass: its squares are its gradient's
    /// square (a mark every older reader of rows and snapshots can hold).
    pub fn is_one_pass(&self) -> bool {
        self.squares == self.gradient * self.gradient
    }

    /// Whether method 3 learned the message.
    pub fn has_ngrams(&self) -> bool {
        self.ngram_gradient != 0.0 || self.ngram_squares != 0.0
    }
}

/// Method 3's learning settings: FTRL-Proximal, alpha 0.03, beta 1, no L1, L2 0.1
/// (chosen on the era-2 dev halves with three passes; every alpha within a factor
/// 1.7 and L2 0.1 or 1 gave the same ham and within 0.2 % of the spam).
pub const NGRAM_FTRL: FtrlParams = FtrlParams { alpha: 0.03, beta: 1.0, l1: 0.0, l2: 0.1 };

/// The slot of method 3's bias, after the n-gram slots.
pub const NGRAM_BIAS_SLOT: u32 = NGRAM_SLOTS as u32;

/// The change of method 3 by one delta: for each slot (sorted, the bias
/// [`NGRAM_BIAS_SLOT`] last) the change of its `z`, and the change of `n`, the same
/// for every slot (the features are binary: every slot of the message sees the same
/// gradient). Empty when method 3 did not change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NgramDelta {
    pub slots: Vec<u32>,
    pub dz: Vec<f32>,
    pub dn: f32,
}

impl NgramDelta {
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The message's n-gram slots (the bias left out).
    pub fn message_slots(&self) -> &[u32] {
        match self.slots.last() {
            Some(&NGRAM_BIAS_SLOT) => &self.slots[..self.slots.len() - 1],
            _ => &self.slots,
        }
    }
}

/// Method 3's FTRL state per slot: empty until it first learns (a cluster that never
/// learned costs nothing), then [`NGRAM_SLOTS`] + 1 states (the bias last), 8 MB.
#[derive(Clone, Default, PartialEq)]
struct NgramTable {
    states: Vec<FtrlState>,
}

/// The touched count, not a million states, in a debug print of the model.
impl std::fmt::Debug for NgramTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NgramTable").field("touched", &self.touched().count()).finish()
    }
}

impl NgramTable {
    fn get(&self, slot: u32) -> FtrlState {
        self.states.get(slot as usize).copied().unwrap_or_default()
    }

    /// The margin (log-odds, uncalibrated) of a message's slots, bias included.
    fn margin(&self, slots: &[u32]) -> f64 {
        if self.states.is_empty() {
            return 0.0;
        }
        let weights: f64 = slots.iter().map(|&slot| self.get(slot).weight(&NGRAM_FTRL)).sum();
        self.get(NGRAM_BIAS_SLOT).weight(&NGRAM_FTRL) + weights
    }

    /// One FTRL step of `gradient` on each slot and the bias.
    fn steps(&self, slots: &[u32], gradient: f64) -> NgramDelta {
        let all: Vec<u32> = slots.iter().copied().chain(std::iter::once(NGRAM_BIAS_SLOT)).collect();
        let dz = all.iter().map(|&slot| self.get(slot).step(gradient, &NGRAM_FTRL).0).collect();
        NgramDelta { slots: all, dz, dn: (gradient * gradient) as f32 }
    }

    fn apply(&mut self, delta: &NgramDelta) {
        if delta.is_empty() {
            return;
        }
        if self.states.is_empty() {
            self.states = vec![FtrlState::default(); NGRAM_SLOTS + 1];
        }
        for (&slot, &dz) in delta.slots.iter().zip(&delta.dz) {
            if let Some(state) = self.states.get_mut(slot as usize) {
                state.z += dz;
                state.n = (state.n + delta.dn).max(0.0);
            }
        }
    }

    /// The slots learning touched, with their state (what a snapshot keeps).
    fn touched(&self) -> impl Iterator<Item = (u32, FtrlState)> + '_ {
        self.states.iter().enumerate().filter(|(_, state)| state.z != 0.0 || state.n != 0.0).map(|(slot, state)| (slot as u32, *state))
    }
}

/// The change of one feature.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureDelta {
    pub id: u64,
    pub spam: i32,
    pub ham: i32,
    pub dz: f32,
    pub dn: f32,
}

/// One learning step, as the store persists it and other nodes apply it.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenDelta {
    pub key: MessageKey,
    /// The message's mark after this change; `None` when it was forgotten.
    pub mark: Option<LearnedMark>,
    pub spam_messages: i32,
    pub ham_messages: i32,
    /// Sorted by id, one entry per id.
    pub features: Vec<FeatureDelta>,
    /// Method 3's change (empty for deltas of releases before it).
    pub ngrams: NgramDelta,
}

/// How well each scope foretold the messages this cluster learned, each scored just
/// before it was learned (so never by a model that had seen it): the log-loss of the
/// mean of the two methods' calibrated log-odds, summed with exponential decay (half
/// of a loss is forgotten after [`LOSS_HALF_LIFE`] more learned messages), so the
/// sums follow what the installation receives now. Every node computes the same sums:
/// the learning node and the nodes applying its delta score the same feature ids
/// against the same models, in the same order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScopeLosses {
    pub global: f64,
    pub cluster: f64,
}

/// Learned messages after which half of a recorded loss is forgotten.
pub const LOSS_HALF_LIFE: f64 = 500.0;

impl ScopeLosses {
    /// Adds one learned message: each scope's log-odds of spam for it before it was
    /// learned, and its label.
    pub fn record(&mut self, global_log_odds: f64, cluster_log_odds: f64, label: Label) {
        let decay = 0.5f64.powf(1.0 / LOSS_HALF_LIFE);
        self.global = self.global * decay + log_loss(global_log_odds, label);
        self.cluster = self.cluster * decay + log_loss(cluster_log_odds, label);
    }
}

/// `ln(1 + e^-m)` with `m` the log-odds of the right label, without overflow.
fn log_loss(log_odds: f64, label: Label) -> f64 {
    let margin = match label {
        Label::Spam => log_odds,
        Label::Ham => -log_odds,
    };
    if margin > 0.0 { (-margin).exp().ln_1p() } else { -margin + margin.exp().ln_1p() }
}

/// The state of one feature in the cluster model.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClusterEntry {
    pub counts: TokenCounts,
    pub ftrl: FtrlState,
    /// The model's clock (deltas applied) when a delta last touched this feature.
    pub last_seen: u64,
}

/// When the cluster model forgets features. Ages are in applied deltas (about one
/// per trained message). Defaults beside each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrunePolicy {
    /// [`ClusterModel::prune`] drops features seen in fewer trained messages than
    /// this [2]...
    pub min_messages: u32,
    /// ...once this many deltas were applied since they were last seen [2,000]: one
    /// report's random strings go, a word that comes back in time stays.
    pub grace: u64,
    /// [`ClusterModel::prune`] drops any feature not seen for this many deltas,
    /// whatever its counts [200,000]: last year's campaigns.
    pub max_idle: u64,
    /// Hard cap on the number of features [500,000]. Whenever a delta takes the
    /// model a quarter beyond it, the least useful features (fewest messages, then
    /// longest unseen) are evicted down to the cap, so memory stays bounded however
    /// many messages are trained, without waiting for `prune`. The table has 32
    /// bytes a slot and at least twice as many slots as features, a power of two:
    /// 32 MB up to 524,288 features, 64 MB beyond (the default cap and its quarter).
    pub max_features: usize,
    /// Learned marks kept [1,000,000] (about 50 MB): past it the oldest go, so a
    /// message learned that long ago counts again if it is learned again.
    pub max_marks: usize,
    /// [`ClusterModel::apply`] prunes whenever the clock reaches a multiple of
    /// this [1,000]; 0 never.
    pub every: u64,
}

impl Default for PrunePolicy {
    fn default() -> PrunePolicy {
        PrunePolicy {
            min_messages: 2,
            grace: 2_000,
            max_idle: 200_000,
            max_features: 500_000,
            max_marks: 1_000_000,
            every: 1_000,
        }
    }
}

/// What [`ClusterModel::prune`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// The removed feature ids, sorted: a store keeping rows per feature deletes these.
    pub removed: Vec<u64>,
    /// Features left.
    pub remaining: usize,
    /// Learned marks dropped (the oldest, past [`PrunePolicy::max_marks`]).
    pub marks_removed: usize,
}

/// The cluster's models of both methods and its learned marks, in memory.
#[derive(Clone, Debug, Default)]
pub struct ClusterModel {
    spam_messages: u32,
    ham_messages: u32,
    features: FeatureTable<ClusterEntry>,
    /// Each message's mark and the clock when it was set.
    marks: Map<MessageKey, (LearnedMark, u64)>,
    /// Deltas applied so far: the clock feature ages are measured in.
    clock: u64,
    pub bayes: BayesParams,
    pub ftrl: FtrlParams,
    /// Not part of the snapshot: each node prunes by its own configuration.
    pub prune_policy: PrunePolicy,
    /// How well each scope foretold the learned messages (snapshot version 4).
    losses: ScopeLosses,
    /// The cluster's own forecasts while trusted, and the scale they give its
    /// evidence (snapshot version 5; method 3's margins, version 7).
    forecasts: Forecasts,
    /// Method 3 (snapshot version 7).
    ngrams: NgramTable,
}

impl ClusterModel {
    /// An empty model learning with the given settings (use the global model's).
    pub fn new(bayes: BayesParams, ftrl: FtrlParams) -> ClusterModel {
        ClusterModel {
            bayes,
            ftrl,
            ..ClusterModel::default()
        }
    }

    /// Trained messages, `(spam, ham)`.
    pub fn trained_messages(&self) -> (u32, u32) {
        (self.spam_messages, self.ham_messages)
    }

    pub fn feature_count(&self) -> usize {
        self.features.len()
    }

    /// How well each scope foretold the messages learned so far.
    pub fn scope_losses(&self) -> ScopeLosses {
        self.losses
    }

    /// Records how each scope scored a message just before it was learned (see
    /// [`ScopeLosses`]); the classifier calls it around [`Self::learn`] and
    /// [`Self::apply`] for messages learned for the first time.
    pub fn record_losses(&mut self, global_log_odds: f64, cluster_log_odds: f64, label: Label) {
        self.losses.record(global_log_odds, cluster_log_odds, label);
    }

    /// Records the cluster's evidence for a message just before it was learned, while
    /// the classifier trusted it: methods 1 and 2's (the mean of their calibrated
    /// log-odds) and method 3's margin (see [`Forecasts`]); called like
    /// [`Self::record_losses`].
    pub fn record_forecast(&mut self, cluster_log_odds: f64, ngram_margin: Option<f64>, label: Label) {
        self.forecasts.record(cluster_log_odds, ngram_margin, label == Label::Spam);
    }

    /// Method 3's margin (uncalibrated log-odds) for a message's n-gram slots.
    pub fn ngram_margin(&self, slots: &[u32]) -> f64 {
        self.ngrams.margin(slots)
    }

    /// The n-gram slots method 3 has learned something in (a snapshot keeps these).
    pub fn ngram_slots_touched(&self) -> usize {
        self.ngrams.touched().count()
    }

    /// The cluster's own forecasts and the scale of its evidence.
    pub fn forecasts(&self) -> &Forecasts {
        &self.forecasts
    }

    pub fn mark(&self, key: MessageKey) -> Option<LearnedMark> {
        self.marks.get(&key).map(|(mark, _)| *mark)
    }

    /// Learns a message as `label`. Returns `None` when it was already learned so
    /// (nothing to store), else the delta that was applied here.
    pub fn learn(&mut self, key: MessageKey, label: Label, features: &Features) -> Option<TokenDelta> {
        let previous = self.mark(key);
        if previous.map(|mark| mark.label) == Some(label) {
            return None;
        }
        let Some(previous) = previous else {
            let delta = self.learn_delta(key, label, features);
            self.apply(&delta);
            return Some(delta);
        };
        // Relearning: the learning step must see the state after forgetting, but the
        // store and the other nodes get one merged delta. Apply the forgetting on a
        // saved state, compute the learning, restore, and apply the merged delta, so
        // every node ends up with exactly the same numbers.
        let saved: Vec<(u64, Option<ClusterEntry>)> = features
            .ids()
            .iter()
            .chain(std::iter::once(&BIAS_FEATURE))
            .map(|&id| (id, self.features.get(id).copied()))
            .collect();
        let saved_ngrams: Vec<(u32, FtrlState)> =
            features.ngrams().iter().chain(std::iter::once(&NGRAM_BIAS_SLOT)).map(|&slot| (slot, self.ngrams.get(slot))).collect();
        let totals = (self.spam_messages, self.ham_messages, self.clock);
        let forget = self.forget_delta(key, previous, features);
        self.apply_changes(&forget);
        let learn = self.learn_delta(key, label, features);
        for (slot, state) in saved_ngrams {
            if let Some(now) = self.ngrams.states.get_mut(slot as usize) {
                *now = state;
            }
        }
        for (id, entry) in saved {
            match entry {
                Some(entry) => self.features.insert(id, entry),
                None => {
                    self.features.remove(id);
                }
            }
        }
        (self.spam_messages, self.ham_messages, self.clock) = totals;
        let mut changes: HashMap<u64, FeatureDelta> = HashMap::new();
        merge(&mut changes, &forget.features);
        merge(&mut changes, &learn.features);
        let delta = TokenDelta {
            key,
            mark: learn.mark,
            spam_messages: forget.spam_messages + learn.spam_messages,
            ham_messages: forget.ham_messages + learn.ham_messages,
            features: sorted(changes),
            ngrams: merge_ngrams(forget.ngrams, learn.ngrams),
        };
        self.apply(&delta);
        Some(delta)
    }

    /// One more pass of the regression over a message learned already, with the
    /// label it was learned with: the gradient of the model as it is now, stepped
    /// into every feature's FTRL state as learning does; the Bayes counts and the
    /// message counts do not change (each message counts once there), and the mark
    /// adds the gradient and its square, so forgetting still takes back everything
    /// the message gave. `None` when the message is not learned. The delta is stored
    /// and applied by every node like any other; it records no forecast or loss (the
    /// message is not new: [`crate::Classifier::apply_delta`]).
    ///
    /// Why: one online pass of FTRL over a few thousand messages is far from the
    /// regularised optimum, and `sluice train` learns a whole folder at once
    /// (`crates/statistical/README.md`, "Sixth round").
    pub fn learn_again(&mut self, key: MessageKey, features: &Features) -> Option<TokenDelta> {
        let mark = self.mark(key)?;
        let gradient = sigmoid(self.margin(features.ids())) - mark.label.target();
        let changes = self.regression_steps(features, gradient, (0, 0));
        let (ngrams, ngram_gradient) = self.ngram_steps(features, mark.label);
        let gradient = gradient as f32;
        let delta = TokenDelta {
            key,
            mark: Some(LearnedMark {
                label: mark.label,
                gradient: mark.gradient + gradient,
                squares: mark.squares + gradient * gradient,
                ngram_gradient: mark.ngram_gradient + ngram_gradient,
                ngram_squares: mark.ngram_squares + ngram_gradient * ngram_gradient,
            }),
            spam_messages: 0,
            ham_messages: 0,
            features: changes,
            ngrams,
        };
        self.apply(&delta);
        Some(delta)
    }

    /// The regression's margin (bias included) for a message's feature ids.
    fn margin(&self, ids: &[u64]) -> f64 {
        std::iter::once(&BIAS_FEATURE)
            .chain(ids)
            .filter_map(|&id| self.features.get(id))
            .map(|entry| entry.ftrl.weight(&self.ftrl))
            .sum()
    }

    /// Forgets a learned message. Returns `None` when it was not learned.
    pub fn forget(&mut self, key: MessageKey, features: &Features) -> Option<TokenDelta> {
        let previous = self.mark(key)?;
        let delta = self.forget_delta(key, previous, features);
        self.apply(&delta);
        Some(delta)
    }

    /// Applies a delta (learned here or on another node), then prunes when the
    /// clock reaches a multiple of [`PrunePolicy::every`], and otherwise enforces
    /// the feature cap of [`PrunePolicy::max_features`].
    pub fn apply(&mut self, delta: &TokenDelta) {
        self.apply_changes(delta);
        let policy = self.prune_policy;
        if policy.every > 0 && self.clock.is_multiple_of(policy.every) {
            self.prune(&policy);
            return;
        }
        let cap = policy.max_features;
        if self.features.len() > cap.saturating_add(cap / 4) {
            self.evict_to(cap);
        }
    }

    fn apply_changes(&mut self, delta: &TokenDelta) {
        self.clock += 1;
        self.ngrams.apply(&delta.ngrams);
        self.spam_messages = add_signed(self.spam_messages, delta.spam_messages);
        self.ham_messages = add_signed(self.ham_messages, delta.ham_messages);
        for change in &delta.features {
            let entry = self.features.get_or_insert_default(change.id);
            entry.counts.spam = add_signed(entry.counts.spam, change.spam);
            entry.counts.ham = add_signed(entry.counts.ham, change.ham);
            entry.ftrl.z += change.dz;
            entry.ftrl.n = (entry.ftrl.n + change.dn).max(0.0);
            entry.last_seen = self.clock;
            if entry.counts.spam == 0 && entry.counts.ham == 0 && entry.ftrl.n <= 1e-6 {
                self.features.remove(change.id);
            }
        }
        match delta.mark {
            Some(mark) => self.marks.insert(delta.key, (mark, self.clock)),
            None => self.marks.remove(&delta.key),
        };
    }

    /// Deltas applied so far (the clock of [`ClusterEntry::last_seen`]).
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// Drops rare features past their grace period and idle ones, then evicts down
    /// to the cap, and the oldest marks past theirs, by `policy`. [`Self::apply`]
    /// calls it every [`PrunePolicy::every`] deltas, so a snapshot (the compacted
    /// model a store keeps in place of old deltas) is always of a pruned model.
    /// Deterministic: the same state and policy drop the same features on every node.
    ///
    /// A forgotten message's features may have been pruned meanwhile; forgetting
    /// then leaves nothing behind for them (counts saturate at zero).
    pub fn prune(&mut self, policy: &PrunePolicy) -> PruneReport {
        let clock = self.clock;
        let mut removed: Vec<u64> = Vec::new();
        self.features.retain(|id, entry| {
            let age = clock.saturating_sub(entry.last_seen);
            let messages = entry.counts.spam.saturating_add(entry.counts.ham);
            let rare = id != BIAS_FEATURE && messages < policy.min_messages && age >= policy.grace;
            let idle = id != BIAS_FEATURE && age >= policy.max_idle;
            if rare || idle {
                removed.push(id);
            }
            !(rare || idle)
        });
        removed.extend(self.evict_to(policy.max_features));
        removed.sort_unstable();
        PruneReport {
            removed,
            remaining: self.features.len(),
            marks_removed: self.evict_marks_to(policy.max_marks),
        }
    }

    /// Drops the oldest marks (by the clock they were set at, then by key) until
    /// at most `cap` are left. Returns how many went.
    fn evict_marks_to(&mut self, cap: usize) -> usize {
        let excess = self.marks.len().saturating_sub(cap);
        if excess == 0 {
            return 0;
        }
        let mut ranked: Vec<(u64, MessageKey)> = self.marks.iter().map(|(&key, &(_, at))| (at, key)).collect();
        if excess < ranked.len() {
            ranked.select_nth_unstable(excess);
        }
        for (_, key) in &ranked[..excess] {
            self.marks.remove(key);
        }
        excess
    }

    /// Evicts the least useful features until at most `cap` are left: fewest
    /// messages first, then the longest unseen, then by id so every node picks the
    /// same ones. The bias is never evicted. Returns the evicted ids.
    fn evict_to(&mut self, cap: usize) -> Vec<u64> {
        let excess = self.features.len().saturating_sub(cap);
        if excess == 0 {
            return Vec::new();
        }
        let mut ranked: Vec<(u32, u64, u64)> = self
            .features
            .iter()
            .filter(|&(id, _)| id != BIAS_FEATURE)
            .map(|(id, entry)| (entry.counts.spam.saturating_add(entry.counts.ham), entry.last_seen, id))
            .collect();
        let excess = excess.min(ranked.len());
        if excess < ranked.len() {
            ranked.select_nth_unstable(excess);
        }
        let evicted: Vec<u64> = ranked[..excess].iter().map(|&(_, _, id)| id).collect();
        for id in &evicted {
            self.features.remove(*id);
        }
        evicted
    }

    /// Both methods' raw scores for a message's features.
    pub fn raw_scores(&self, ids: &[u64]) -> RawScores {
        self.grouped_scores(ids, &[])
    }

    /// Both methods' raw scores and the per-group evidence of a message.
    pub fn scores_of(&self, features: &Features) -> RawScores {
        RawScores { kind: features.kind(), ..self.grouped_scores(features.ids(), features.groups()) }
    }

    fn grouped_scores(&self, ids: &[u64], groups: &[u8]) -> RawScores {
        let bias = self.features.get(BIAS_FEATURE).map_or(0.0, |entry| entry.ftrl.weight(&self.ftrl));
        let found = self.features.lookups(ids).map(|found| found.map(|entry| (entry.counts, entry.ftrl.weight(&self.ftrl))));
        scores_from_lookup(found, groups, bias, self.spam_messages, self.ham_messages, &self.bayes)
    }

    fn learn_delta(&self, key: MessageKey, label: Label, features: &Features) -> TokenDelta {
        let gradient = sigmoid(self.margin(features.ids())) - label.target();
        let (spam, ham) = match label {
            Label::Spam => (1, 0),
            Label::Ham => (0, 1),
        };
        let changes = self.regression_steps(features, gradient, (spam, ham));
        let (ngrams, ngram_gradient) = self.ngram_steps(features, label);
        TokenDelta {
            key,
            mark: Some(LearnedMark {
                ngram_gradient,
                ngram_squares: ngram_gradient * ngram_gradient,
                ..LearnedMark::once(label, gradient as f32)
            }),
            spam_messages: spam,
            ham_messages: ham,
            features: changes,
            ngrams,
        }
    }

    /// Method 3's step towards `label` for a message, and its gradient; nothing for
    /// features without n-gram slots (a caller that did not compute them).
    fn ngram_steps(&self, features: &Features, label: Label) -> (NgramDelta, f32) {
        if features.ngrams().is_empty() {
            return (NgramDelta::default(), 0.0);
        }
        let gradient = sigmoid(self.ngrams.margin(features.ngrams())) - label.target();
        (self.ngrams.steps(features.ngrams(), gradient), gradient as f32)
    }

    /// One FTRL step of `gradient` for each of the message's features and the bias,
    /// with the Bayes count changes `(spam, ham)` of each feature.
    fn regression_steps(&self, features: &Features, gradient: f64, (spam, ham): (i32, i32)) -> Vec<FeatureDelta> {
        let mut changes: Vec<FeatureDelta> = features
            .ids()
            .iter()
            .map(|&id| {
                let state = self.features.get(id).map(|entry| entry.ftrl).unwrap_or_default();
                let (dz, dn) = state.step(gradient, &self.ftrl);
                FeatureDelta { id, spam, ham, dz, dn }
            })
            .collect();
        let bias = self.features.get(BIAS_FEATURE).map(|entry| entry.ftrl).unwrap_or_default();
        let (dz, dn) = bias.step(gradient, &self.ftrl);
        push_bias(&mut changes, dz, dn);
        changes
    }

    fn forget_delta(&self, key: MessageKey, previous: LearnedMark, features: &Features) -> TokenDelta {
        let (spam, ham) = match previous.label {
            Label::Spam => (-1, 0),
            Label::Ham => (0, -1),
        };
        let (gradient, squares) = (previous.gradient, previous.squares);
        let mut changes: Vec<FeatureDelta> = features
            .ids()
            .iter()
            .map(|&id| FeatureDelta {
                id,
                spam,
                ham,
                dz: -gradient,
                dn: -squares,
            })
            .collect();
        push_bias(&mut changes, -gradient, -squares);
        let ngrams = if previous.has_ngrams() {
            let slots: Vec<u32> = features.ngrams().iter().copied().chain(std::iter::once(NGRAM_BIAS_SLOT)).collect();
            NgramDelta { dz: vec![-previous.ngram_gradient; slots.len()], slots, dn: -previous.ngram_squares }
        } else {
            NgramDelta::default()
        };
        TokenDelta {
            key,
            mark: None,
            spam_messages: spam,
            ham_messages: ham,
            features: changes,
            ngrams,
        }
    }

    /// A serialised copy of the whole model and its marks.
    pub fn to_snapshot(&self) -> Vec<u8> {
        self.write_snapshot(SNAPSHOT_VERSION)
    }

    /// The snapshot in `version` (6 or 7): the tests build older versions from 6.
    fn write_snapshot(&self, version: u32) -> Vec<u8> {
        let with_ngrams = version >= 7;
        let mut writer = Writer::default();
        writer.raw(SNAPSHOT_MAGIC);
        writer.u32(version);
        writer.u32(self.spam_messages);
        writer.u32(self.ham_messages);
        writer.varint(self.clock);
        write_params(&mut writer, &self.bayes, &self.ftrl, &Calibration::default());
        let mut features: Vec<(u64, &ClusterEntry)> = self.features.iter().collect();
        features.sort_unstable_by_key(|&(id, _)| id);
        writer.varint(features.len() as u64);
        let mut previous = 0u64;
        for (id, entry) in features {
            writer.varint(id - previous);
            previous = id;
            writer.varint(u64::from(entry.counts.spam));
            writer.varint(u64::from(entry.counts.ham));
            writer.f32(entry.ftrl.z);
            writer.f32(entry.ftrl.n);
            writer.varint(self.clock.saturating_sub(entry.last_seen));
        }
        let mut marks: Vec<(&MessageKey, &(LearnedMark, u64))> = self.marks.iter().collect();
        marks.sort_unstable_by_key(|(key, _)| **key);
        writer.varint(marks.len() as u64);
        for (key, (mark, at)) in marks {
            writer.raw(&key.to_le_bytes());
            writer.raw(&[match mark.label {
                Label::Spam => 1,
                Label::Ham => 0,
            }]);
            writer.f32(mark.gradient);
            writer.f32(mark.squares);
            if with_ngrams {
                writer.f32(mark.ngram_gradient);
                writer.f32(mark.ngram_squares);
            }
            writer.varint(self.clock.saturating_sub(*at));
        }
        writer.f64(self.losses.global);
        writer.f64(self.losses.cluster);
        writer.varint(self.forecasts.recent().len() as u64);
        for forecast in self.forecasts.recent() {
            // Version 7: bit 1 of the label byte says a margin of method 3 follows.
            let margin = forecast.ngram_margin.filter(|_| with_ngrams);
            writer.raw(&[u8::from(forecast.spam) | if margin.is_some() { 2 } else { 0 }]);
            writer.f64(forecast.evidence);
            if let Some(margin) = margin {
                writer.f64(margin);
            }
        }
        if with_ngrams {
            // Method 3's touched slots only: ~110,000 of 2^20 after a few thousand
            // messages (~1.3 MB rather than 8 MB dense).
            writer.varint(self.ngrams.touched().count() as u64);
            let mut previous = 0u32;
            for (slot, state) in self.ngrams.touched() {
                writer.varint(u64::from(slot - previous));
                previous = slot;
                writer.f32(state.z);
                writer.f32(state.n);
            }
        }
        writer.bytes
    }

    pub fn from_snapshot(bytes: &[u8]) -> Result<ClusterModel, FormatError> {
        let mut reader = Reader::new(bytes);
        if reader.raw(SNAPSHOT_MAGIC.len()).ok() != Some(SNAPSHOT_MAGIC.as_slice()) {
            return Err(FormatError::NotAModel);
        }
        let version = reader.u32()?;
        if !(1..=SNAPSHOT_VERSION).contains(&version) {
            return Err(FormatError::UnsupportedVersion(version));
        }
        // Version 1 had no clock and no ages: every feature counts as just seen;
        // before version 3 marks had no age: every mark counts as just set.
        let with_ages = version >= 2;
        let with_mark_ages = version >= 3;
        let with_mark_squares = version >= 6;
        let with_ngrams = version >= 7;
        let spam_messages = reader.u32()?;
        let ham_messages = reader.u32()?;
        let clock = if with_ages { reader.varint()? } else { 0 };
        let (bayes, ftrl, _) = read_params(&mut reader)?;
        let count = reader.varint()?;
        if count > (reader.remaining() / 11) as u64 {
            return Err(FormatError::Truncated);
        }
        let mut features = FeatureTable::with_capacity(count as usize);
        let mut id = 0u64;
        for _ in 0..count {
            id = id.checked_add(reader.varint()?).ok_or(FormatError::Invalid("feature ids out of order"))?;
            let counts = TokenCounts {
                spam: reader.varint_u32()?,
                ham: reader.varint_u32()?,
            };
            let ftrl = FtrlState {
                z: reader.f32()?,
                n: reader.f32()?,
            };
            let age = if with_ages { reader.varint()? } else { 0 };
            let last_seen = clock.checked_sub(age).ok_or(FormatError::Invalid("feature age beyond the clock"))?;
            features.insert(id, ClusterEntry { counts, ftrl, last_seen });
        }
        let mark_count = reader.varint()?;
        if mark_count > (reader.remaining() / 21) as u64 {
            return Err(FormatError::Truncated);
        }
        let mut marks = Map::with_capacity_and_hasher(mark_count as usize, Default::default());
        for _ in 0..mark_count {
            let mut key = [0u8; 16];
            key.copy_from_slice(reader.raw(16)?);
            let label = match reader.raw(1)? {
                [1] => Label::Spam,
                [0] => Label::Ham,
                _ => return Err(FormatError::Invalid("label")),
            };
            let gradient = reader.f32()?;
            // Before version 6 every message was learned in one pass.
            let squares = if with_mark_squares { reader.f32()? } else { gradient * gradient };
            // Before version 7 there was no method 3: it learned none of them.
            let (ngram_gradient, ngram_squares) = if with_ngrams { (reader.f32()?, reader.f32()?) } else { (0.0, 0.0) };
            let age = if with_mark_ages { reader.varint()? } else { 0 };
            let at = clock.checked_sub(age).ok_or(FormatError::Invalid("mark age beyond the clock"))?;
            let mark = LearnedMark { label, gradient, squares, ngram_gradient, ngram_squares };
            marks.insert(u128::from_le_bytes(key), (mark, at));
        }
        // Before version 4 the scopes' losses were not kept: both start again at 0.
        let losses = if version >= 4 {
            ScopeLosses { global: reader.f64()?, cluster: reader.f64()? }
        } else {
            ScopeLosses::default()
        };
        if !(losses.global >= 0.0 && losses.cluster >= 0.0 && losses.global.is_finite() && losses.cluster.is_finite()) {
            return Err(FormatError::Invalid("scope losses"));
        }
        // Before version 5 no forecasts were kept: the scale starts again at 1.
        let forecasts = if version >= 5 {
            let count = reader.varint()?;
            if count > FORECAST_WINDOW as u64 {
                return Err(FormatError::Invalid("forecasts"));
            }
            let mut record = Vec::with_capacity(count as usize);
            let labels: &[u8] = if with_ngrams { &[0, 1, 2, 3] } else { &[0, 1] };
            for _ in 0..count {
                let flags = reader.raw(1)?[0];
                if !labels.contains(&flags) {
                    return Err(FormatError::Invalid("forecast label"));
                }
                let evidence = reader.f64()?;
                let ngram_margin = if flags & 2 != 0 { Some(reader.f64()?) } else { None };
                record.push(Forecast { spam: flags & 1 == 1, evidence, ngram_margin });
            }
            Forecasts::from_record(record).ok_or(FormatError::Invalid("forecasts"))?
        } else {
            Forecasts::default()
        };
        // Before version 7 method 3 starts empty (and counts once its record fills).
        let mut ngrams = NgramTable::default();
        if with_ngrams {
            let count = reader.varint()?;
            if count > (NGRAM_SLOTS + 1) as u64 || count > (reader.remaining() / 9) as u64 {
                return Err(FormatError::Invalid("n-gram slots"));
            }
            if count > 0 {
                ngrams.states = vec![FtrlState::default(); NGRAM_SLOTS + 1];
            }
            let mut slot = 0u64;
            for index in 0..count {
                let step = reader.varint()?;
                if index > 0 && step == 0 {
                    return Err(FormatError::Invalid("n-gram slots out of order"));
                }
                slot = slot.checked_add(step).filter(|&slot| slot <= u64::from(NGRAM_BIAS_SLOT)).ok_or(FormatError::Invalid("n-gram slot"))?;
                ngrams.states[slot as usize] = FtrlState { z: reader.f32()?, n: reader.f32()? };
            }
        }
        Ok(ClusterModel {
            ngrams,
            losses,
            forecasts,
            spam_messages,
            ham_messages,
            features,
            marks,
            clock,
            bayes,
            ftrl,
            prune_policy: PrunePolicy::default(),
        })
    }
}

const SNAPSHOT_MAGIC: &[u8; 8] = b"SLUICECL";
/// 2 added the clock and each feature's age, 3 each mark's age, 4 the scopes'
/// losses, 5 the cluster's own forecasts, 6 each mark's sum of squared gradients
/// (a message learned in several passes), 7 method 3 (its sums in each mark, its
/// margin in each forecast, its touched slots at the end); versions 1 to 6 are
/// still read.
const SNAPSHOT_VERSION: u32 = 7;

/// The bias learns through FTRL only; its Bayes counts stay zero.
fn push_bias(changes: &mut Vec<FeatureDelta>, dz: f32, dn: f32) {
    changes.push(FeatureDelta {
        id: BIAS_FEATURE,
        spam: 0,
        ham: 0,
        dz,
        dn,
    });
}

fn merge(changes: &mut HashMap<u64, FeatureDelta>, deltas: &[FeatureDelta]) {
    for delta in deltas {
        let entry = changes.entry(delta.id).or_insert(FeatureDelta {
            id: delta.id,
            spam: 0,
            ham: 0,
            dz: 0.0,
            dn: 0.0,
        });
        entry.spam += delta.spam;
        entry.ham += delta.ham;
        entry.dz += delta.dz;
        entry.dn += delta.dn;
    }
}

fn sorted(changes: HashMap<u64, FeatureDelta>) -> Vec<FeatureDelta> {
    let mut changes: Vec<FeatureDelta> = changes.into_values().collect();
    changes.sort_unstable_by_key(|change| change.id);
    changes
}

/// Two changes of method 3 as one: forgetting a message and learning it the other
/// way (the same message, so the same slots, or one of them empty).
fn merge_ngrams(forget: NgramDelta, learn: NgramDelta) -> NgramDelta {
    if forget.is_empty() {
        return learn;
    }
    if learn.is_empty() {
        return forget;
    }
    debug_assert_eq!(forget.slots, learn.slots);
    let dz = forget.dz.iter().zip(&learn.dz).map(|(a, b)| a + b).collect();
    NgramDelta { slots: learn.slots, dz, dn: forget.dn + learn.dn }
}

fn add_signed(value: u32, delta: i32) -> u32 {
    value.saturating_add_signed(delta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(ids: &[u64]) -> Features {
        Features::from_ids(ids.to_vec())
    }

    fn model() -> ClusterModel {
        ClusterModel::new(BayesParams::default(), FtrlParams::default())
    }

    #[test]
    fn learning_twice_is_idempotent() {
        let mut cluster = model();
        let message = features(&[1, 2, 3]);
        assert!(cluster.learn(7, Label::Spam, &message).is_some());
        let once = cluster.to_snapshot();
        assert_eq!(cluster.learn(7, Label::Spam, &message), None);
        assert_eq!(cluster.to_snapshot(), once);
        assert_eq!(cluster.trained_messages(), (1, 0));
    }

    #[test]
    fn learning_the_other_way_undoes_the_first() {
        let mut cluster = model();
        let other = features(&[9]);
        cluster.learn(1, Label::Ham, &other);
        let message = features(&[1, 2, 3]);
        cluster.learn(7, Label::Spam, &message);
        cluster.learn(7, Label::Ham, &message);
        assert_eq!(cluster.trained_messages(), (0, 2));
        assert_eq!(cluster.features.get(1).expect("learned").counts, TokenCounts { spam: 0, ham: 1 });
        assert_eq!(cluster.mark(7).map(|mark| mark.label), Some(Label::Ham));
        // Forgetting both leaves nothing behind but (near-)zero regression state.
        cluster.forget(7, &message);
        cluster.forget(1, &other);
        assert_eq!(cluster.trained_messages(), (0, 0));
        for (_, entry) in cluster.features.iter() {
            assert_eq!(entry.counts, TokenCounts::default());
            assert!(entry.ftrl.z.abs() < 0.05 && entry.ftrl.n.abs() < 1e-6, "{entry:?}");
        }
    }

    /// Every feature's counts and FTRL state, by id.
    fn states(cluster: &ClusterModel) -> HashMap<u64, ClusterEntry> {
        cluster.features.iter().map(|(id, entry)| (id, *entry)).collect()
    }

    #[test]
    fn extra_passes_learn_only_the_regression_and_forgetting_takes_them_back() {
        let mut cluster = model();
        for key in 0..6u128 {
            let label = if key % 2 == 0 { Label::Spam } else { Label::Ham };
            cluster.learn(key, label, &features(&[1, 2, 10 + key as u64]));
        }
        let before = states(&cluster);
        let message = features(&[1, 2, 3]);
        cluster.learn(7, Label::Spam, &message);
        let once = cluster.raw_scores(&[1, 2, 3]).method2;
        let (spam_once, counts_once) = (cluster.trained_messages(), cluster.features.get(3).expect("learned").counts);
        for _ in 0..2 {
            let delta = cluster.learn_again(7, &message).expect("a learned message");
            assert_eq!((delta.spam_messages, delta.ham_messages), (0, 0));
            assert!(delta.features.iter().all(|change| change.spam == 0 && change.ham == 0));
        }
        // Surer of it, each message still counted once, the mark holding every pass.
        assert!(cluster.raw_scores(&[1, 2, 3]).method2 > once);
        assert_eq!(cluster.trained_messages(), spam_once);
        assert_eq!(cluster.features.get(3).expect("learned").counts, counts_once);
        let mark = cluster.mark(7).expect("learned");
        assert!(!mark.is_one_pass() && mark.squares > 0.0 && mark.gradient < 0.0, "{mark:?}");
        assert_eq!(cluster.learn_again(8, &message), None, "not learned: nothing to learn again");
        // Forgetting returns every count exactly, and the regression's state up to
        // the proximal corrections FTRL folded into z (documented above).
        cluster.forget(7, &message);
        let after = states(&cluster);
        for (id, entry) in &before {
            let now = after.get(id).copied().unwrap_or_default();
            assert_eq!(now.counts, entry.counts, "feature {id}");
            assert!((now.ftrl.z - entry.ftrl.z).abs() < 0.1, "feature {id}: {now:?} against {entry:?}");
            assert!((now.ftrl.n - entry.ftrl.n).abs() < 1e-5, "feature {id}: {now:?} against {entry:?}");
        }
        assert!(after.get(&3).is_none_or(|entry| entry.ftrl.n < 1e-6), "{:?}", after.get(&3));
    }

    #[test]
    fn relearning_the_other_way_after_extra_passes_forgets_every_pass() {
        let mut cluster = model();
        let message = features(&[1, 2]);
        cluster.learn(7, Label::Spam, &message);
        cluster.learn_again(7, &message);
        cluster.learn_again(7, &message);
        cluster.learn(7, Label::Ham, &message);
        let mut fresh = model();
        fresh.learn(7, Label::Ham, &message);
        assert_eq!(cluster.trained_messages(), (0, 1));
        for id in [1, 2, BIAS_FEATURE] {
            let (a, b) = (cluster.features.get(id).expect("learned"), fresh.features.get(id).expect("learned"));
            assert_eq!(a.counts, b.counts);
            assert!((a.ftrl.z - b.ftrl.z).abs() < 0.1 && (a.ftrl.n - b.ftrl.n).abs() < 1e-5, "{a:?} against {b:?}");
        }
    }

    #[test]
    fn extra_passes_replay_on_another_node_and_in_snapshots() {
        let mut here = model();
        let mut there = model();
        let messages = [(1, Label::Spam, vec![1, 2]), (2, Label::Ham, vec![2, 3]), (3, Label::Spam, vec![1, 4])];
        for (key, label, ids) in &messages {
            there.apply(&here.learn(*key, *label, &features(ids)).expect("new"));
        }
        for (key, _, ids) in messages.iter().chain(&messages) {
            there.apply(&here.learn_again(*key, &features(ids)).expect("learned"));
        }
        assert_eq!(here.to_snapshot(), there.to_snapshot());
        let back = ClusterModel::from_snapshot(&here.to_snapshot()).expect("a snapshot we just wrote");
        assert_eq!(back.marks, here.marks);
        assert_eq!(back.to_snapshot(), here.to_snapshot());
        // Forgetting on the loaded copy takes back every pass, as it does here.
        let (mut back, ids) = (back, features(&messages[0].2));
        there.apply(&here.forget(1, &ids).expect("learned"));
        back.forget(1, &ids);
        assert_eq!(back.to_snapshot(), here.to_snapshot());
        assert_eq!(here.to_snapshot(), there.to_snapshot());
    }

    #[test]
    fn a_version_5_snapshot_loads_with_one_pass_marks() {
        let mut cluster = model();
        cluster.learn(1, Label::Spam, &features(&[1, 2, 3]));
        let snapshot = cluster.write_snapshot(6);
        // The end of version 6 with one mark and no forecasts: gradient f32, squares
        // f32, age (1 byte), the two losses (f64 each), the forecast count (1 byte).
        let end = snapshot.len();
        let mut version5 = [&snapshot[..end - 22], &snapshot[end - 18..]].concat();
        version5[8..12].copy_from_slice(&5u32.to_le_bytes());
        let old = ClusterModel::from_snapshot(&version5).expect("a version 5 snapshot");
        assert_eq!(old.marks, cluster.marks);
        assert!(old.mark(1).expect("learned").is_one_pass());
        assert_eq!(old.write_snapshot(6), snapshot);
    }

    /// Features with n-gram slots for method 3.
    fn with_slots(ids: &[u64], slots: &[u32]) -> Features {
        features(ids).with_ngrams(slots.to_vec())
    }

    /// Method 3's touched states, by slot.
    fn ngram_states(cluster: &ClusterModel) -> HashMap<u32, FtrlState> {
        cluster.ngrams.touched().collect()
    }

    #[test]
    fn method_3_learns_and_forgetting_takes_every_pass_back() {
        let mut cluster = model();
        let others: Vec<(u128, Label, Features)> = (0..6u128)
            .map(|key| {
                let label = if key % 2 == 0 { Label::Spam } else { Label::Ham };
                (key, label, with_slots(&[1, 10 + key as u64], &[5, 100 + key as u32, if key % 2 == 0 { 7 } else { 8 }]))
            })
            .collect();
        for (key, label, message) in &others {
            cluster.learn(*key, *label, message);
        }
        let before = ngram_states(&cluster);
        let spammy = [7, 5, 300];
        let margin_before = cluster.ngram_margin(&spammy);
        let message = with_slots(&[1, 2], &[5, 7, 300]);
        cluster.learn(9, Label::Spam, &message);
        let once = cluster.ngram_margin(&spammy);
        assert!(once > margin_before, "{once} after, {margin_before} before");
        cluster.learn_again(9, &message);
        cluster.learn_again(9, &message);
        assert!(cluster.ngram_margin(&spammy) > once, "the extra passes learn method 3 too");
        let mark = cluster.mark(9).expect("learned");
        assert!(mark.has_ngrams() && mark.ngram_gradient < 0.0 && mark.ngram_squares > 0.0, "{mark:?}");
        cluster.forget(9, &message);
        let after = ngram_states(&cluster);
        for slot in [5, 7, 300, NGRAM_BIAS_SLOT] {
            let (was, now) = (before.get(&slot).copied().unwrap_or_default(), after.get(&slot).copied().unwrap_or_default());
            // `n` exactly; the weights up to the proximal corrections FTRL folded into
            // `z`, as for method 2 (in `z` they are larger at method 3's small rate).
            let (w_was, w_now) = (was.weight(&NGRAM_FTRL), now.weight(&NGRAM_FTRL));
            assert!((w_was - w_now).abs() < 0.02 && (was.n - now.n).abs() < 1e-5, "slot {slot}: {now:?} against {was:?}");
        }
        // Forgetting everything leaves (nearly) nothing.
        for (key, _, message) in &others {
            cluster.forget(*key, message);
        }
        for (slot, state) in cluster.ngrams.touched() {
            assert!(state.weight(&NGRAM_FTRL).abs() < 0.02 && state.n.abs() < 1e-5, "slot {slot}: {state:?}");
        }
        // Features without slots (a caller that did not compute them) leave method 3 alone.
        let empty = ngram_states(&cluster);
        cluster.learn(20, Label::Spam, &features(&[1, 2]));
        assert_eq!(ngram_states(&cluster), empty);
        assert!(!cluster.mark(20).expect("learned").has_ngrams());
    }

    #[test]
    fn method_3_replays_identically_on_another_node_and_in_a_version_7_snapshot() {
        let mut here = model();
        let mut there = model();
        let messages = [
            (1, Label::Spam, with_slots(&[1, 2], &[3, 4, 5])),
            (2, Label::Ham, with_slots(&[2, 3], &[4, 6])),
            (3, Label::Spam, with_slots(&[1, 4], &[3, 7])),
        ];
        for (key, label, message) in &messages {
            there.apply(&here.learn(*key, *label, message).expect("new"));
        }
        for (key, _, message) in messages.iter().chain(&messages) {
            there.apply(&here.learn_again(*key, message).expect("learned"));
        }
        // Learning one the other way is one merged delta: forgetting every pass, then learning.
        there.apply(&here.learn(2, Label::Spam, &messages[1].2).expect("the other way"));
        assert!(here.ngram_slots_touched() > 0);
        assert_eq!(ngram_states(&here), ngram_states(&there));
        assert_eq!(here.to_snapshot(), there.to_snapshot());
        let back = ClusterModel::from_snapshot(&here.to_snapshot()).expect("a snapshot we just wrote");
        assert_eq!(back.ngram_margin(&[3, 4]), here.ngram_margin(&[3, 4]));
        assert_eq!(back.marks, here.marks);
        assert_eq!(back.to_snapshot(), here.to_snapshot());
        // Slots out of order in a snapshot are a damaged snapshot.
        let snapshot = here.to_snapshot();
        assert!(ClusterModel::from_snapshot(&snapshot[..snapshot.len() - 1]).is_err());
        // A version 6 snapshot of the same model loads with an empty method 3 and
        // marks that say it learned nothing (forgetting leaves it alone).
        let mut old = ClusterModel::from_snapshot(&here.write_snapshot(6)).expect("a version 6 snapshot");
        assert_eq!(old.ngram_slots_touched(), 0);
        assert_eq!(old.ngram_margin(&[3, 4]), 0.0);
        assert!(old.marks.values().all(|(mark, _)| !mark.has_ngrams()));
        assert_eq!(old.raw_scores(&[1, 2]), here.raw_scores(&[1, 2]));
        old.forget(1, &messages[0].2);
        assert_eq!(old.ngram_slots_touched(), 0);
    }

    #[test]
    fn forecasts_keep_method_3s_margin_in_version_7_only() {
        let mut cluster = model();
        cluster.learn(1, Label::Spam, &with_slots(&[1], &[2, 3]));
        for i in 0..30 {
            cluster.record_forecast(1.0, Some(2.0 + f64::from(i)), Label::Spam);
            cluster.record_forecast(-1.0, Some(-2.0), Label::Ham);
        }
        cluster.record_forecast(0.5, None, Label::Ham);
        assert!(cluster.forecasts().ngram_log_odds(1.0).is_some());
        let back = ClusterModel::from_snapshot(&cluster.to_snapshot()).expect("a snapshot we just wrote");
        assert_eq!(back.forecasts(), cluster.forecasts());
        let old = ClusterModel::from_snapshot(&cluster.write_snapshot(6)).expect("a version 6 snapshot");
        assert!(old.forecasts().recent().all(|forecast| forecast.ngram_margin.is_none()));
        assert_eq!(old.forecasts().ngram_log_odds(1.0), None, "method 3 waits for its record to fill again");
    }

    #[test]
    fn deltas_replay_on_another_node() {
        let mut here = model();
        let mut there = model();
        for (key, label, ids) in [(1, Label::Spam, vec![1, 2]), (2, Label::Ham, vec![2, 3]), (1, Label::Ham, vec![1, 2])] {
            if let Some(delta) = here.learn(key, label, &features(&ids)) {
                there.apply(&delta);
            }
        }
        assert_eq!(here.to_snapshot(), there.to_snapshot());
    }

    #[test]
    fn snapshot_round_trips() {
        let mut cluster = model();
        cluster.learn(1, Label::Spam, &features(&[1, 2, 3]));
        cluster.learn(2, Label::Ham, &features(&[3, 4]));
        let snapshot = cluster.to_snapshot();
        let back = ClusterModel::from_snapshot(&snapshot).expect("a snapshot we just wrote");
        assert_eq!(back.to_snapshot(), snapshot);
        assert_eq!(back.raw_scores(&[1, 2]), cluster.raw_scores(&[1, 2]));
        assert!(ClusterModel::from_snapshot(&snapshot[..snapshot.len() - 3]).is_err());
    }

    #[test]
    fn the_scopes_losses_survive_snapshots_and_version_3_still_loads() {
        let mut cluster = model();
        cluster.learn(1, Label::Spam, &features(&[1, 2, 3]));
        cluster.record_losses(0.5, 2.0, Label::Spam);
        let snapshot = cluster.write_snapshot(6);
        let back = ClusterModel::from_snapshot(&snapshot).expect("a snapshot we just wrote");
        assert_eq!(back.scope_losses(), cluster.scope_losses());
        // Version 3: the same without the two losses at the end; they start at 0.
        assert_eq!(snapshot.last(), Some(&0), "no forecasts recorded");
        // (Nor the one mark's squares: 4 bytes before its age.)
        let end = snapshot.len();
        let mut version3 = [&snapshot[..end - 22], &snapshot[end - 18..end - 17]].concat();
        version3[8..12].copy_from_slice(&3u32.to_le_bytes());
        let old = ClusterModel::from_snapshot(&version3).expect("a version 3 snapshot");
        assert_eq!(old.scope_losses(), ScopeLosses::default());
        assert_eq!(old.raw_scores(&[1, 2]), cluster.raw_scores(&[1, 2]));
        // Negative or infinite losses are a damaged snapshot.
        let mut damaged = snapshot.clone();
        let end = damaged.len();
        damaged[end - 9..end - 1].copy_from_slice(&(-1.0f64).to_le_bytes());
        assert!(ClusterModel::from_snapshot(&damaged).is_err());
    }

    #[test]
    fn the_forecasts_survive_snapshots_and_version_4_still_loads() {
        let mut cluster = model();
        cluster.learn(1, Label::Spam, &features(&[1, 2, 3]));
        cluster.record_losses(0.5, 2.0, Label::Spam);
        for i in 0..60 {
            cluster.record_forecast(1.0 + f64::from(i) * 0.01, None, Label::Spam);
            cluster.record_forecast(-1.0, None, Label::Ham);
        }
        cluster.record_forecast(-0.5, None, Label::Spam);
        assert!(cluster.forecasts().scale() > 1.0, "{:?}", cluster.forecasts().scale());
        let snapshot = cluster.write_snapshot(6);
        let back = ClusterModel::from_snapshot(&snapshot).expect("a snapshot we just wrote");
        assert_eq!(back.forecasts(), cluster.forecasts());
        // Version 4: the same without the forecasts (and without the one mark's
        // squares, which follow its gradient: 4 bytes before its age and the losses);
        // the scale starts at 1.
        let cut = snapshot.len() - 121 * 9 - 1;
        let mut version4 = [&snapshot[..cut - 21], &snapshot[cut - 17..cut]].concat();
        version4[8..12].copy_from_slice(&4u32.to_le_bytes());
        let old = ClusterModel::from_snapshot(&version4).expect("a version 4 snapshot");
        assert_eq!(old.forecasts().scale(), 1.0);
        assert_eq!(old.scope_losses(), cluster.scope_losses());
        // A label other than 0 or 1, or a record cut short, is a damaged snapshot.
        let mut damaged = snapshot.clone();
        let end = damaged.len();
        damaged[end - 9] = 7;
        assert!(ClusterModel::from_snapshot(&damaged).is_err());
        assert!(ClusterModel::from_snapshot(&snapshot[..snapshot.len() - 4]).is_err());
    }

    #[test]
    fn learned_spam_scores_as_spam() {
        let mut cluster = model();
        for key in 0..20u128 {
            let base = key as u64 * 10;
            cluster.learn(key, Label::Spam, &features(&[1, 2, 3, base + 1000]));
            cluster.learn(key + 100, Label::Ham, &features(&[4, 5, 6, base + 2000]));
        }
        let spam = cluster.raw_scores(&[1, 2, 3]);
        let ham = cluster.raw_scores(&[4, 5, 6]);
        assert!(spam.method1 > 0.9 && spam.method2 > 0.6, "{spam:?}");
        assert!(ham.method1 < 0.1 && ham.method2 < 0.4, "{ham:?}");
    }

    fn pruning_model() -> ClusterModel {
        let mut cluster = model();
        // Features 1 and 2 in every message; 1000 + key only in message `key`.
        for key in 0..10u128 {
            let label = if key % 2 == 0 { Label::Spam } else { Label::Ham };
            cluster.learn(key, label, &features(&[1, 2, 1000 + key as u64]));
        }
        cluster
    }

    #[test]
    fn rare_features_expire_after_the_grace_period() {
        let mut cluster = pruning_model();
        assert_eq!(cluster.clock(), 10);
        let policy = PrunePolicy {
            min_messages: 2,
            grace: 5,
            max_idle: 1_000,
            max_features: 1_000,
            ..PrunePolicy::default()
        };
        let report = cluster.prune(&policy);
        // Messages 0..=4 were applied at clock 1..=5, so their own features are 5+ old.
        assert_eq!(report.removed, vec![1000, 1001, 1002, 1003, 1004]);
        assert_eq!(report.remaining, cluster.feature_count());
        assert!(cluster.features.get(1005).is_some() && cluster.features.get(1).is_some());
        // Pruning again changes nothing; the bias is never pruned.
        assert!(cluster.prune(&policy).removed.is_empty());
        assert!(cluster.features.get(BIAS_FEATURE).is_some());
    }

    #[test]
    fn idle_features_expire_whatever_their_counts() {
        let mut cluster = pruning_model();
        cluster.learn(50, Label::Spam, &features(&[7, 8]));
        let policy = PrunePolicy {
            min_messages: 0,
            grace: 0,
            max_idle: 1,
            max_features: 1_000,
            ..PrunePolicy::default()
        };
        let report = cluster.prune(&policy);
        assert!(report.removed.contains(&1) && report.removed.contains(&1009), "{report:?}");
        assert!(cluster.features.get(7).is_some() && cluster.features.get(BIAS_FEATURE).is_some());
        assert_eq!(report.remaining, 3);
    }

    #[test]
    fn the_cap_evicts_the_least_useful_features() {
        let mut cluster = pruning_model();
        let policy = PrunePolicy {
            max_features: 4,
            ..PrunePolicy::default()
        };
        let report = cluster.prune(&policy);
        // Kept: the bias, the features of every message (1, 2) and the newest rare one.
        assert_eq!(report.remaining, 4);
        for id in [BIAS_FEATURE, 1, 2, 1009] {
            assert!(cluster.features.get(id).is_some(), "{id} evicted: {report:?}");
        }
    }

    #[test]
    fn memory_stays_bounded_however_many_messages_are_learned() {
        let mut cluster = model();
        cluster.prune_policy.max_features = 100;
        let mut here_and_there = model();
        here_and_there.prune_policy.max_features = 100;
        for key in 0..200u128 {
            // Every message brings 10 new random-looking features.
            let ids: Vec<u64> = (0..10).map(|i| key as u64 * 100 + i + 10_000).collect();
            if let Some(delta) = cluster.learn(key, Label::Spam, &features(&ids)) {
                here_and_there.apply(&delta);
            }
            assert!(cluster.feature_count() <= 125 + 11, "{}", cluster.feature_count());
        }
        // Nodes applying the same deltas evict the same features.
        assert_eq!(cluster.to_snapshot(), here_and_there.to_snapshot());
    }

    /// Pruning runs by itself on the clock: every node applying the same deltas,
    /// also one that started from a snapshot half-way, holds the same model.
    #[test]
    fn pruning_is_scheduled_and_nodes_stay_identical() {
        let policy = PrunePolicy {
            min_messages: 2,
            grace: 3,
            every: 4,
            ..PrunePolicy::default()
        };
        let mut learner = model();
        learner.prune_policy = policy;
        let mut follower = model();
        follower.prune_policy = policy;
        let mut late: Option<ClusterModel> = None;
        for key in 0..12u128 {
            let label = if key % 2 == 0 { Label::Spam } else { Label::Ham };
            let delta = learner.learn(key, label, &features(&[1, 2, 1000 + key as u64])).expect("a new message");
            follower.apply(&delta);
            match late.as_mut() {
                Some(node) => node.apply(&delta),
                None if key == 5 => {
                    let mut node = ClusterModel::from_snapshot(&learner.to_snapshot()).expect("a snapshot");
                    node.prune_policy = policy;
                    late = Some(node);
                }
                None => {}
            }
        }
        // At clock 12 the prune dropped every message's own feature 3+ deltas old.
        assert!(learner.features.get(1000).is_none() && learner.features.get(1008).is_none());
        assert!(learner.features.get(1009).is_some() && learner.features.get(1).is_some());
        assert_eq!(learner.to_snapshot(), follower.to_snapshot());
        assert_eq!(learner.to_snapshot(), late.expect("started at 5").to_snapshot());
    }

    #[test]
    fn the_oldest_marks_go_past_the_cap() {
        let mut cluster = model();
        cluster.prune_policy = PrunePolicy {
            max_marks: 3,
            every: 1,
            ..PrunePolicy::default()
        };
        for key in 0..5u128 {
            cluster.learn(key, Label::Spam, &features(&[1, 2]));
        }
        assert_eq!(cluster.marks.len(), 3);
        assert!(cluster.mark(0).is_none() && cluster.mark(1).is_none() && cluster.mark(4).is_some());
        // The ages of marks survive a snapshot, so the same ones go next.
        let mut back = ClusterModel::from_snapshot(&cluster.to_snapshot()).expect("a snapshot we just wrote");
        back.prune_policy = cluster.prune_policy;
        assert_eq!(back.marks, cluster.marks);
        back.learn(9, Label::Ham, &features(&[3]));
        cluster.learn(9, Label::Ham, &features(&[3]));
        assert!(back.mark(2).is_none() && back.mark(9).is_some());
        assert_eq!(back.to_snapshot(), cluster.to_snapshot());
    }

    #[test]
    fn ages_survive_snapshots_and_version_1_still_loads() {
        let mut cluster = pruning_model();
        let back = ClusterModel::from_snapshot(&cluster.to_snapshot()).expect("a snapshot we just wrote");
        assert_eq!(back.clock(), cluster.clock());
        assert_eq!(back.features, cluster.features);
        // A version-1 snapshot: no clock, no ages; everything counts as just seen.
        let mut old = Writer::default();
        old.raw(SNAPSHOT_MAGIC);
        old.u32(1);
        old.u32(1);
        old.u32(0);
        write_params(&mut old, &cluster.bayes, &cluster.ftrl, &Calibration::default());
        old.varint(1);
        old.varint(42);
        old.varint(1);
        old.varint(0);
        old.f32(0.5);
        old.f32(0.25);
        old.varint(0);
        let loaded = ClusterModel::from_snapshot(&old.bytes).expect("a version-1 snapshot");
        assert_eq!(loaded.features.get(42).map(|entry| (entry.counts.spam, entry.last_seen)), Some((1, 0)));
        assert!(cluster.prune(&PrunePolicy::default()).removed.is_empty());
    }
}
