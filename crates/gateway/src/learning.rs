//! The statistical classifiers inside the gateway: scoring every message, learning
//! from releases, reports and `sluice train`, and sharing what one node learned
//! with every node through the store.
//!
//! Learning on a node changes its in-memory cluster model at once and appends the
//! change (a [`TokenDelta`]) to the store's `token_deltas`.
//!
//! Besides the token statistics, every learned message leaves its *content
//! digest* (subject, sender and decoded text, whitespace-folded): a later copy of
//! a message an admin released (or reported) is classified the way it was taught
//! at once, as `statistical-method1-cluster` with similarity 1, even before the
//! cluster model has learned enough messages to be trusted on its own. Before classifying, a
//! node replays the rows it has not applied yet, so a release or report takes
//! effect for the very next message on every node. Rows this node wrote itself are
//! skipped on replay: they are already in its model.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sluice_core::MessageFacts;
use sluice_model::{Finding, MainClass, Subclass};
use xxhash_rust::xxh3::Xxh3;
use sluice_statistical::cluster::{FeatureDelta, LearnedMark, TokenDelta, message_key};
use sluice_statistical::{Classifier, Label, StatisticalSettings};
use sluice_store::{Store, StoreError};
use tokio::sync::Mutex;

/// Learning rows replayed per query.
const REPLAY_BATCH: i64 = 1000;

pub struct Learning {
    classifier: Arc<Classifier>,
    replay: Mutex<ReplayState>,
    /// Content digest -> how the message was last taught (`None`: forgotten).
    digests: std::sync::RwLock<Digests>,
}

#[derive(Default)]
struct Digests {
    labels: HashMap<u128, Label>,
    /// Insertion order, to forget the oldest past [`MAX_DIGESTS`].
    order: std::collections::VecDeque<u128>,
}

impl Digests {
    fn teach(&mut self, digest: u128, label: Option<Label>) {
        match label {
            Some(label) => {
                if self.labels.insert(digest, label).is_none() {
                    self.order.push_back(digest);
                }
                while self.order.len() > MAX_DIGESTS {
                    if let Some(oldest) = self.order.pop_front() {
                        self.labels.remove(&oldest);
                    }
                }
            }
            None => {
                self.labels.remove(&digest);
            }
        }
    }
}

/// Most content digests remembered; the oldest are forgotten first.
const MAX_DIGESTS: usize = 1_000_000;

#[derive(Default)]
struct ReplayState {
    /// Whether the newest stored snapshot has been looked for (once, at start).
    snapshot_loaded: bool,
    /// The last `token_deltas.id` applied.
    applied_up_to: i64,
    /// Rows written by this node after `applied_up_to`, already in the model.
    own_rows: HashSet<i64>,
}

impl Learning {
    pub fn new(settings: StatisticalSettings) -> anyhow::Result<Learning> {
        let classifier = Classifier::with_embedded_model(settings)
            .map_err(|error| anyhow::anyhow!("the embedded statistical model is unreadable: {error}"))?;
        Ok(Learning {
            classifier: Arc::new(classifier),
            replay: Mutex::new(ReplayState::default()),
            digests: std::sync::RwLock::new(Digests::default()),
        })
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Applies every learning row of the store this node has not applied yet.
    pub async fn catch_up(&self, store: &Store) -> Result<usize, StoreError> {
        let mut state = self.replay.lock().await;
        if !state.snapshot_loaded {
            if let Some((covers, bytes)) = store.latest_snapshot().await? {
                match self.load_snapshot(&bytes) {
                    Ok(()) => state.applied_up_to = covers,
                    Err(error) => tracing::error!(%error, "stored cluster snapshot unreadable; replaying the rows left"),
                }
            }
            state.snapshot_loaded = true;
        }
        let mut applied = 0;
        loop {
            let rows = store.deltas_after(state.applied_up_to, REPLAY_BATCH).await?;
            let Some(&(last, _)) = rows.last() else { break };
            for (id, bytes) in &rows {
                if state.own_rows.remove(id) {
                    continue;
                }
                match decode_row(bytes) {
                    Some((digest, delta)) => {
                        self.teach_digest(digest, delta.mark.map(|mark| mark.label));
                        self.classifier.apply_delta(&delta);
                        applied += 1;
                    }
                    None => tracing::error!(id, "unreadable learning row skipped"),
                }
            }
            state.applied_up_to = last;
            if (rows.len() as i64) < REPLAY_BATCH {
                break;
            }
        }
        Ok(applied)
    }

    /// Learns `raw` as `label` and stores the change for the other nodes. Returns
    /// false when the message was already learned with that label (idempotent).
    pub async fn learn(&self, store: &Store, node: &str, raw: &[u8], label: Label, now_ms: i64) -> Result<bool, StoreError> {
        Ok(self.learn_many(store, node, vec![(raw.to_vec(), label)], now_ms).await? == 1)
    }
}

/// Learning rows kept as rows before a snapshot replaces them.
pub const COMPACT_AFTER_ROWS: i64 = 1000;

impl Learning {
    /// Replaces learning rows by a snapshot of the model once there are at least
    /// `min_rows` of them ([`COMPACT_AFTER_ROWS`] in service), so the store stays bounded. Rows younger than
    /// `keep` stay, so that every running node (they catch up every few seconds)
    /// has applied a row before it goes. Returns the rows deleted.
    pub async fn compact(&self, store: &Store, keep: std::time::Duration, min_rows: i64, now_ms: i64) -> Result<u64, StoreError> {
        self.catch_up(store).await?;
        let state = self.replay.lock().await;
        let covered = store.latest_snapshot().await?.map(|(covers, _)| covers).unwrap_or(0);
        if store.deltas_count_after(covered).await? < min_rows.max(1) {
            return Ok(0);
        }
        let snapshot = self.snapshot();
        store
            .compact_learning(state.applied_up_to, &snapshot, now_ms - keep.as_millis() as i64, now_ms)
            .await
    }

    /// The content digests and the cluster model, as one blob.
    fn snapshot(&self) -> Vec<u8> {
        let digests = self.digests.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = Vec::with_capacity(8 + digests.labels.len() * 17);
        out.extend_from_slice(&(digests.order.len() as u64).to_le_bytes());
        for digest in &digests.order {
            let label = match digests.labels.get(digest) {
                Some(Label::Spam) => 1,
                Some(Label::Ham) => 0,
                None => 2,
            };
            out.extend_from_slice(&digest.to_le_bytes());
            out.push(label);
        }
        drop(digests);
        let cluster = self.classifier.cluster().read().unwrap_or_else(std::sync::PoisonError::into_inner).to_snapshot();
        out.extend_from_slice(&cluster);
        out
    }

    fn load_snapshot(&self, bytes: &[u8]) -> Result<(), String> {
        let mut reader = Reader(bytes);
        let count = u64::from_le_bytes(reader.take().ok_or("truncated")?) as usize;
        if count > reader.0.len() / 17 {
            return Err("digest count larger than the snapshot".to_owned());
        }
        let mut digests = Digests::default();
        for _ in 0..count {
            let digest = u128::from_le_bytes(reader.take().ok_or("truncated")?);
            match reader.take::<1>().ok_or("truncated")? {
                [1] => digests.teach(digest, Some(Label::Spam)),
                [0] => digests.teach(digest, Some(Label::Ham)),
                _ => {}
            }
        }
        self.classifier.load_cluster_snapshot(reader.0).map_err(|error| error.to_string())?;
        *self.digests.write().unwrap_or_else(std::sync::PoisonError::into_inner) = digests;
        Ok(())
    }

    /// Learns many messages (`sluice train`) and stores what changed in one
    /// transaction. Returns how many changed the model (the others were already
    /// learned with that label).
    pub async fn learn_many(&self, store: &Store, node: &str, messages: Vec<(Vec<u8>, Label)>, now_ms: i64) -> Result<usize, StoreError> {
        self.catch_up(store).await?;
        let classifier = self.classifier.clone();
        let rows = tokio::task::spawn_blocking(move || {
            // Parsing and tokenising need no shared state: done on every core.
            // The model then learns the messages one by one, in the given order,
            // so the result is the same as learning them one at a time.
            let envelope = sluice_core::Envelope::default();
            let prepared = parallel_map(&messages, |(raw, _)| {
                // As `sluice classify` and SMTP see it: without an mbox `From ` line.
                let facts = MessageFacts::new(sluice_core::message::strip_mbox_from_line(raw), &envelope, 0);
                (content_digest(&facts), classifier.features(&facts))
            });
            messages
                .iter()
                .zip(prepared)
                .filter_map(|((raw, label), (digest, features))| {
                    let delta = classifier.learn_features(message_key(raw), *label, &features)?;
                    Some((digest, delta))
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|_| StoreError::Batch("learning task failed".to_owned()))?;
        for (digest, delta) in &rows {
            self.teach_digest(*digest, delta.mark.map(|mark| mark.label));
        }
        let encoded: Vec<Vec<u8>> = rows.iter().map(|(digest, delta)| encode_row(*digest, delta)).collect();
        let mut state = self.replay.lock().await;
        for id in store.append_deltas(node, &encoded, now_ms).await? {
            if id > state.applied_up_to {
                state.own_rows.insert(id);
            }
        }
        Ok(rows.len())
    }

    fn teach_digest(&self, digest: u128, label: Option<Label>) {
        self.digests.write().unwrap_or_else(std::sync::PoisonError::into_inner).teach(digest, label);
    }
}

impl sluice_core::classify::Scorer for Learning {
    fn score(&self, facts: &MessageFacts<'_>) -> Finding {
        let taught = {
            let digests = self.digests.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            (!digests.labels.is_empty()).then(|| digests.labels.get(&content_digest(facts)).copied()).flatten()
        };
        match taught {
            Some(Label::Spam) => Finding::new(NAME, MainClass::Spam, Subclass::StatisticalMethod1Cluster, "1.0000")
                .with_score(1.0),
            Some(Label::Ham) => Finding::new(NAME, MainClass::NotSpam, Subclass::StatisticalMethod1Cluster, "1.0000")
                .with_score(0.0),
            None => self.classifier.score(facts),
        }
    }
}

const NAME: &str = "learned-copy";

/// `items.map(work)` on up to [`std::thread::available_parallelism`] threads, in
/// order.
fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || items.len() < 2 {
        return items.iter().map(&work).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&work).collect::<Vec<R>>())).collect();
        // A panicking tokeniser is a bug; the batch's learning task fails with it.
        handles.into_iter().flat_map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// What identifies "the same message" for learning: the subject, the From header
/// and the decoded text, with whitespace folded; not the trace headers or
/// Message-ID that differ between copies.
pub fn content_digest(facts: &MessageFacts<'_>) -> u128 {
    let mut hasher = Xxh3::new();
    let mut feed = |text: &str| {
        for word in text.split_whitespace() {
            hasher.update(word.as_bytes());
            hasher.update(b" ");
        }
        hasher.update(b"\n");
    };
    feed(facts.subject());
    if let Some(from) = facts.parsed.as_ref().and_then(|message| message.header_raw("From")) {
        feed(from);
    }
    for text in facts.text_parts() {
        feed(&text);
    }
    hasher.digest128()
}

/// A learning row: the content digest, then the delta.
fn encode_row(digest: u128, delta: &TokenDelta) -> Vec<u8> {
    let mut out = digest.to_le_bytes().to_vec();
    out.extend_from_slice(&encode_delta(delta));
    out
}

fn decode_row(bytes: &[u8]) -> Option<(u128, TokenDelta)> {
    let (digest, delta) = bytes.split_first_chunk::<16>()?;
    Some((u128::from_le_bytes(*digest), decode_delta(delta)?))
}

/// The stored form of a delta: little-endian, versioned.
///
/// `version u8 | key u128 | mark: 0 | 1 label u8 gradient f32 | spam i32 | ham i32 |
/// count u32 | count x (id u64, spam i32, ham i32, dz f32, dn f32)`
fn encode_delta(delta: &TokenDelta) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + delta.features.len() * 24);
    out.push(1);
    out.extend_from_slice(&delta.key.to_le_bytes());
    match delta.mark {
        None => out.push(0),
        Some(mark) => {
            out.push(1);
            out.push(match mark.label {
                Label::Spam => 1,
                Label::Ham => 0,
            });
            out.extend_from_slice(&mark.gradient.to_le_bytes());
        }
    }
    out.extend_from_slice(&delta.spam_messages.to_le_bytes());
    out.extend_from_slice(&delta.ham_messages.to_le_bytes());
    out.extend_from_slice(&(delta.features.len() as u32).to_le_bytes());
    for feature in &delta.features {
        out.extend_from_slice(&feature.id.to_le_bytes());
        out.extend_from_slice(&feature.spam.to_le_bytes());
        out.extend_from_slice(&feature.ham.to_le_bytes());
        out.extend_from_slice(&feature.dz.to_le_bytes());
        out.extend_from_slice(&feature.dn.to_le_bytes());
    }
    out
}

fn decode_delta(bytes: &[u8]) -> Option<TokenDelta> {
    let mut reader = Reader(bytes);
    if reader.take::<1>()? != [1] {
        return None;
    }
    let key = u128::from_le_bytes(reader.take()?);
    let mark = match reader.take::<1>()? {
        [0] => None,
        [1] => {
            let label = match reader.take::<1>()? {
                [1] => Label::Spam,
                [0] => Label::Ham,
                _ => return None,
            };
            Some(LearnedMark {
                label,
                gradient: f32::from_le_bytes(reader.take()?),
            })
        }
        _ => return None,
    };
    let spam_messages = i32::from_le_bytes(reader.take()?);
    let ham_messages = i32::from_le_bytes(reader.take()?);
    let count = u32::from_le_bytes(reader.take()?) as usize;
    // A corrupt count cannot make us allocate more than the bytes could hold.
    if count > reader.0.len() / 24 {
        return None;
    }
    let mut features = Vec::with_capacity(count);
    for _ in 0..count {
        features.push(FeatureDelta {
            id: u64::from_le_bytes(reader.take()?),
            spam: i32::from_le_bytes(reader.take()?),
            ham: i32::from_le_bytes(reader.take()?),
            dz: f32::from_le_bytes(reader.take()?),
            dn: f32::from_le_bytes(reader.take()?),
        });
    }
    reader.0.is_empty().then_some(TokenDelta {
        key,
        mark,
        spam_messages,
        ham_messages,
        features,
    })
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.0.split_first_chunk::<N>()?;
        self.0 = tail;
        Some(*head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_round_trip_and_garbage_is_refused() {
        let delta = TokenDelta {
            key: 0x0123_4567_89ab_cdef_0011_2233_4455_6677,
            mark: Some(LearnedMark {
                label: Label::Spam,
                gradient: -0.25,
            }),
            spam_messages: 1,
            ham_messages: -1,
            features: vec![
                FeatureDelta { id: 7, spam: 1, ham: -1, dz: 0.5, dn: 0.125 },
                FeatureDelta { id: u64::MAX, spam: 0, ham: 2, dz: -1.0, dn: 2.0 },
            ],
        };
        let bytes = encode_delta(&delta);
        assert_eq!(decode_delta(&bytes), Some(delta.clone()));
        let forgotten = TokenDelta { mark: None, ..delta };
        assert_eq!(decode_delta(&encode_delta(&forgotten)), Some(forgotten));
        assert_eq!(decode_delta(&bytes[..bytes.len() - 1]), None);
        assert_eq!(decode_delta(&[1, 0, 0]), None);
        let mut huge_count = encode_delta(&TokenDelta { features: vec![], ..decode_delta(&bytes).unwrap() });
        let at = huge_count.len() - 4;
        huge_count[at..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_delta(&huge_count), None);
        let row = encode_row(42, &decode_delta(&bytes).unwrap());
        assert_eq!(decode_row(&row).map(|(digest, _)| digest), Some(42));
    }

    #[test]
    fn copies_with_other_trace_headers_share_a_digest() {
        let envelope = sluice_core::Envelope::default();
        let first = b"Received: from a by b; Mon, 1 Jan 2024\r\nMessage-ID: <1@x>\r\nFrom: a@example.org\r\nSubject: Hello  there\r\n\r\nSame   body\r\n";
        let second = b"Received: from c by d; Tue, 2 Jan 2024\r\nMessage-ID: <2@x>\r\nFrom: a@example.org\r\nSubject: Hello there\r\n\r\nSame body\r\n";
        let other = b"From: a@example.org\r\nSubject: Hello there\r\n\r\nAnother body\r\n";
        let digest = |raw: &[u8]| content_digest(&MessageFacts::new(raw, &envelope, 0));
        assert_eq!(digest(first), digest(second));
        assert_ne!(digest(first), digest(other));
    }

    #[tokio::test]
    async fn a_node_starting_after_compaction_knows_what_was_learned() {
        let dir = std::env::temp_dir().join(format!("sluice-learning-{}", sluice_store::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}/test.db", dir.display())).await.unwrap();
        let spam = b"From: a@example.org\r\nSubject: cheap meds\r\n\r\nbuy now\r\n".to_vec();
        let first = Learning::new(StatisticalSettings::default()).unwrap();
        let learned = first.learn_many(&store, "node-a", vec![(spam.clone(), Label::Spam)], 1).await.unwrap();
        assert_eq!(learned, 1);
        let deleted = first.compact(&store, std::time::Duration::ZERO, 1, i64::MAX / 2).await.unwrap();
        assert_eq!(deleted, 1, "the learning row is replaced by the snapshot");

        let second = Learning::new(StatisticalSettings::default()).unwrap();
        second.catch_up(&store).await.unwrap();
        let envelope = sluice_core::Envelope::default();
        let facts = MessageFacts::new(&spam, &envelope, 0);
        let finding = sluice_core::classify::Scorer::score(&second, &facts);
        assert_eq!((finding.main, finding.sub), (MainClass::Spam, Subclass::StatisticalMethod1Cluster));
        assert_eq!(second.classifier().cluster().read().unwrap().trained_messages(), (1, 0));
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn taught_digests_are_bounded_and_forgettable() {
        let mut digests = Digests::default();
        digests.teach(1, Some(Label::Spam));
        digests.teach(1, Some(Label::Ham));
        assert_eq!(digests.labels.get(&1), Some(&Label::Ham));
        assert_eq!(digests.order.len(), 1);
        digests.teach(1, None);
        assert!(digests.labels.is_empty());
    }
}
