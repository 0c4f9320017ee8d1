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
//! The maps are keyed by ids derived from attacker-chosen text, so they use std's
//! randomly keyed SipHash. They grow only when an administrator trains a message.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_128;

use crate::bayes::{BayesParams, TokenCounts};
use crate::format::{FormatError, Reader, Writer};
use crate::ftrl::{BIAS_FEATURE, FtrlParams, FtrlState, sigmoid};
use crate::model::{Calibration, RawScores, read_params, scores_from_lookup, write_params};
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

/// What was learned from one message: the label and the gradient it contributed to
/// the regression, which forgetting subtracts again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LearnedMark {
    pub label: Label,
    pub gradient: f32,
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
}

/// The state of one feature in the cluster model.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClusterEntry {
    pub counts: TokenCounts,
    pub ftrl: FtrlState,
}

/// The cluster's models of both methods and its learned marks, in memory.
#[derive(Clone, Debug, Default)]
pub struct ClusterModel {
    spam_messages: u32,
    ham_messages: u32,
    features: HashMap<u64, ClusterEntry>,
    marks: HashMap<MessageKey, LearnedMark>,
    pub bayes: BayesParams,
    pub ftrl: FtrlParams,
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

    pub fn mark(&self, key: MessageKey) -> Option<LearnedMark> {
        self.marks.get(&key).copied()
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
            .map(|id| (*id, self.features.get(id).copied()))
            .collect();
        let totals = (self.spam_messages, self.ham_messages);
        let forget = self.forget_delta(key, previous, features);
        self.apply(&forget);
        let learn = self.learn_delta(key, label, features);
        for (id, entry) in saved {
            match entry {
                Some(entry) => self.features.insert(id, entry),
                None => self.features.remove(&id),
            };
        }
        (self.spam_messages, self.ham_messages) = totals;
        let mut changes: HashMap<u64, FeatureDelta> = HashMap::new();
        merge(&mut changes, &forget.features);
        merge(&mut changes, &learn.features);
        let delta = TokenDelta {
            key,
            mark: learn.mark,
            spam_messages: forget.spam_messages + learn.spam_messages,
            ham_messages: forget.ham_messages + learn.ham_messages,
            features: sorted(changes),
        };
        self.apply(&delta);
        Some(delta)
    }

    /// Forgets a learned message. Returns `None` when it was not learned.
    pub fn forget(&mut self, key: MessageKey, features: &Features) -> Option<TokenDelta> {
        let previous = self.mark(key)?;
        let delta = self.forget_delta(key, previous, features);
        self.apply(&delta);
        Some(delta)
    }

    /// Applies a delta (learned here or on another node).
    pub fn apply(&mut self, delta: &TokenDelta) {
        self.spam_messages = add_signed(self.spam_messages, delta.spam_messages);
        self.ham_messages = add_signed(self.ham_messages, delta.ham_messages);
        for change in &delta.features {
            let entry = self.features.entry(change.id).or_default();
            entry.counts.spam = add_signed(entry.counts.spam, change.spam);
            entry.counts.ham = add_signed(entry.counts.ham, change.ham);
            entry.ftrl.z += change.dz;
            entry.ftrl.n = (entry.ftrl.n + change.dn).max(0.0);
            if entry.counts.spam == 0 && entry.counts.ham == 0 && entry.ftrl.n <= 1e-6 {
                self.features.remove(&change.id);
            }
        }
        match delta.mark {
            Some(mark) => self.marks.insert(delta.key, mark),
            None => self.marks.remove(&delta.key),
        };
    }

    /// Both methods' raw scores for a message's features.
    pub fn raw_scores(&self, ids: &[u64]) -> RawScores {
        let lookup = |id: u64| self.features.get(&id).map(|entry| (entry.counts, entry.ftrl.weight(&self.ftrl)));
        let bias = self.features.get(&BIAS_FEATURE).map_or(0.0, |entry| entry.ftrl.weight(&self.ftrl));
        scores_from_lookup(ids, bias, lookup, self.spam_messages, self.ham_messages, &self.bayes)
    }

    fn learn_delta(&self, key: MessageKey, label: Label, features: &Features) -> TokenDelta {
        let margin: f64 = std::iter::once(&BIAS_FEATURE)
            .chain(features.ids())
            .filter_map(|id| self.features.get(id))
            .map(|entry| entry.ftrl.weight(&self.ftrl))
            .sum();
        let gradient = sigmoid(margin) - label.target();
        let (spam, ham) = match label {
            Label::Spam => (1, 0),
            Label::Ham => (0, 1),
        };
        let mut changes: Vec<FeatureDelta> = features
            .ids()
            .iter()
            .map(|&id| {
                let state = self.features.get(&id).map(|entry| entry.ftrl).unwrap_or_default();
                let (dz, dn) = state.step(gradient, &self.ftrl);
                FeatureDelta { id, spam, ham, dz, dn }
            })
            .collect();
        let bias = self.features.get(&BIAS_FEATURE).map(|entry| entry.ftrl).unwrap_or_default();
        let (dz, dn) = bias.step(gradient, &self.ftrl);
        push_bias(&mut changes, dz, dn);
        TokenDelta {
            key,
            mark: Some(LearnedMark {
                label,
                gradient: gradient as f32,
            }),
            spam_messages: spam,
            ham_messages: ham,
            features: changes,
        }
    }

    fn forget_delta(&self, key: MessageKey, previous: LearnedMark, features: &Features) -> TokenDelta {
        let (spam, ham) = match previous.label {
            Label::Spam => (-1, 0),
            Label::Ham => (0, -1),
        };
        let gradient = previous.gradient;
        let mut changes: Vec<FeatureDelta> = features
            .ids()
            .iter()
            .map(|&id| FeatureDelta {
                id,
                spam,
                ham,
                dz: -gradient,
                dn: -gradient * gradient,
            })
            .collect();
        push_bias(&mut changes, -gradient, -gradient * gradient);
        TokenDelta {
            key,
            mark: None,
            spam_messages: spam,
            ham_messages: ham,
            features: changes,
        }
    }

    /// A serialised copy of the whole model and its marks.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.raw(SNAPSHOT_MAGIC);
        writer.u32(SNAPSHOT_VERSION);
        writer.u32(self.spam_messages);
        writer.u32(self.ham_messages);
        write_params(&mut writer, &self.bayes, &self.ftrl, &Calibration::default());
        let mut ids: Vec<&u64> = self.features.keys().collect();
        ids.sort_unstable();
        writer.varint(ids.len() as u64);
        let mut previous = 0u64;
        for id in ids {
            let entry = self.features[id];
            writer.varint(id - previous);
            previous = *id;
            writer.varint(u64::from(entry.counts.spam));
            writer.varint(u64::from(entry.counts.ham));
            writer.f32(entry.ftrl.z);
            writer.f32(entry.ftrl.n);
        }
        let mut marks: Vec<(&MessageKey, &LearnedMark)> = self.marks.iter().collect();
        marks.sort_unstable_by_key(|(key, _)| **key);
        writer.varint(marks.len() as u64);
        for (key, mark) in marks {
            writer.raw(&key.to_le_bytes());
            writer.raw(&[match mark.label {
                Label::Spam => 1,
                Label::Ham => 0,
            }]);
            writer.f32(mark.gradient);
        }
        writer.bytes
    }

    pub fn from_snapshot(bytes: &[u8]) -> Result<ClusterModel, FormatError> {
        let mut reader = Reader::new(bytes);
        if reader.raw(SNAPSHOT_MAGIC.len()).ok() != Some(SNAPSHOT_MAGIC.as_slice()) {
            return Err(FormatError::NotAModel);
        }
        let version = reader.u32()?;
        if version != SNAPSHOT_VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let spam_messages = reader.u32()?;
        let ham_messages = reader.u32()?;
        let (bayes, ftrl, _) = read_params(&mut reader)?;
        let count = reader.varint()?;
        if count > (reader.remaining() / 11) as u64 {
            return Err(FormatError::Truncated);
        }
        let mut features = HashMap::with_capacity(count as usize);
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
            features.insert(id, ClusterEntry { counts, ftrl });
        }
        let mark_count = reader.varint()?;
        if mark_count > (reader.remaining() / 21) as u64 {
            return Err(FormatError::Truncated);
        }
        let mut marks = HashMap::with_capacity(mark_count as usize);
        for _ in 0..mark_count {
            let mut key = [0u8; 16];
            key.copy_from_slice(reader.raw(16)?);
            let label = match reader.raw(1)? {
                [1] => Label::Spam,
                [0] => Label::Ham,
                _ => return Err(FormatError::Invalid("label")),
            };
            let gradient = reader.f32()?;
            marks.insert(u128::from_le_bytes(key), LearnedMark { label, gradient });
        }
        Ok(ClusterModel {
            spam_messages,
            ham_messages,
            features,
            marks,
            bayes,
            ftrl,
        })
    }
}

const SNAPSHOT_MAGIC: &[u8; 8] = b"SLUICECL";
const SNAPSHOT_VERSION: u32 = 1;

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
        assert_eq!(cluster.features[&1].counts, TokenCounts { spam: 0, ham: 1 });
        assert_eq!(cluster.mark(7).map(|mark| mark.label), Some(Label::Ham));
        // Forgetting both leaves nothing behind but (near-)zero regression state.
        cluster.forget(7, &message);
        cluster.forget(1, &other);
        assert_eq!(cluster.trained_messages(), (0, 0));
        for entry in cluster.features.values() {
            assert_eq!(entry.counts, TokenCounts::default());
            assert!(entry.ftrl.z.abs() < 0.05 && entry.ftrl.n.abs() < 1e-6, "{entry:?}");
        }
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
}
