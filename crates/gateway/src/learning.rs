//! The statistical classifiers inside the gateway: scoring every message, learning
//! from releases, reports and `sluice train`, and sharing what one node learned
//! with every node through the store.
//!
//! Learning on a node changes its in-memory cluster model at once and appends the
//! change (a [`TokenDelta`]) to the store's `token_deltas`.
//!
//! Besides the token statistics, every learned message leaves its *content
//! digest* (`sluice_statistical::taught`): a later copy of a message an admin
//! released (or reported) is classified the way it was taught at once. The rows'
//! binary form is `sluice_statistical::row`. Before classifying, a
//! node replays the rows it has not applied yet, so a release or report takes
//! effect for the very next message on every node. Rows this node wrote itself are
//! skipped on replay: they are already in its model.

use std::collections::HashSet;
use std::sync::Arc;

use sluice_core::MessageFacts;
use sluice_model::Finding;
use sluice_statistical::cluster::message_key;
use sluice_statistical::row::{decode_row, encode_row};
use sluice_statistical::taught::{TaughtCopies, content_digest};
use sluice_statistical::{Classifier, Label, StatisticalSettings};
use sluice_store::{Store, StoreError};
use tokio::sync::Mutex;

/// Reads a global model file (`sluice train --scope global --output FILE`).
pub fn read_global_model(file: &std::path::Path) -> anyhow::Result<sluice_statistical::GlobalModel> {
    let bytes = std::fs::read(file).map_err(|error| anyhow::anyhow!("{}: cannot read the model: {error}", file.display()))?;
    sluice_statistical::GlobalModel::from_bytes(&bytes)
        .map_err(|error| anyhow::anyhow!("{}: not a global model of this version: {error}", file.display()))
}

/// A pass of bulk learning ([`Learning::learn_batch`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Learning the messages (the only pass of a release or report).
    First,
    /// Learning messages learned already once more, in the regression alone.
    Again,
}

/// Learning rows replayed per query.
const REPLAY_BATCH: i64 = 1000;

pub struct Learning {
    classifier: Arc<Classifier>,
    replay: Mutex<ReplayState>,
    /// Content digest -> how the message was last taught (`None`: forgotten).
    digests: std::sync::RwLock<TaughtCopies>,
}

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
        Learning::with_global_model(settings, None)
    }

    /// The classifiers of an installation: over its own global model (`[statistical]
    /// global_model`) when it has one, else over the model built into the binary.
    pub fn for_config(config: &crate::Config) -> anyhow::Result<Learning> {
        Learning::with_global_model(config.statistical.clone(), config.global_model.as_deref())
    }

    fn with_global_model(settings: StatisticalSettings, global_model: Option<&std::path::Path>) -> anyhow::Result<Learning> {
        let classifier = match global_model {
            Some(file) => Classifier::new(read_global_model(file)?, settings),
            None => Classifier::with_embedded_model(settings)
                .map_err(|error| anyhow::anyhow!("the embedded statistical model is unreadable: {error}"))?,
        };
        Ok(Learning {
            classifier: Arc::new(classifier),
            replay: Mutex::new(ReplayState::default()),
            digests: std::sync::RwLock::new(TaughtCopies::default()),
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
        let mut out = Vec::new();
        self.digests.read().unwrap_or_else(std::sync::PoisonError::into_inner).write_to(&mut out);
        let cluster = self.classifier.cluster().read().unwrap_or_else(std::sync::PoisonError::into_inner).to_snapshot();
        out.extend_from_slice(&cluster);
        out
    }

    fn load_snapshot(&self, bytes: &[u8]) -> Result<(), String> {
        let (taught, cluster) = TaughtCopies::read_from(bytes)?;
        self.classifier.load_cluster_snapshot(cluster).map_err(|error| error.to_string())?;
        *self.digests.write().unwrap_or_else(std::sync::PoisonError::into_inner) = taught;
        Ok(())
    }

    /// Learns many messages (`sluice train`) and stores what changed in one
    /// transaction. Returns how many changed the model (the others were already
    /// learned with that label).
    pub async fn learn_many(&self, store: &Store, node: &str, messages: Vec<(Vec<u8>, Label)>, now_ms: i64) -> Result<usize, StoreError> {
        let (_, learned) = self.learn_batch(store, node, messages, Pass::First, now_ms).await?;
        Ok(learned.iter().filter(|learned| **learned).count())
    }

    /// One pass of bulk learning (`sluice train`) over `messages`, in order, stored
    /// in one transaction: [`Pass::First`] learns them as [`Self::learn_many`] does,
    /// [`Pass::Again`] learns each learned one once more in the regression alone
    /// ([`Classifier::learn_features_again`]), as rows every node applies in order.
    /// Hands the messages back, with whether each changed the model.
    pub async fn learn_batch(
        &self,
        store: &Store,
        node: &str,
        messages: Vec<(Vec<u8>, Label)>,
        pass: Pass,
        now_ms: i64,
    ) -> Result<(Vec<(Vec<u8>, Label)>, Vec<bool>), StoreError> {
        self.catch_up(store).await?;
        let classifier = self.classifier.clone();
        let (messages, rows, learned) = tokio::task::spawn_blocking(move || {
            // Parsing and tokenising need no shared state: done on every core.
            // The model then learns the messages one by one, in the given order,
            // so the result is the same as learning them one at a time.
            let envelope = sluice_core::Envelope::default();
            let prepared = parallel_map(&messages, |(raw, _)| {
                // As `sluice classify` and SMTP see it: without an mbox `From ` line.
                let facts = MessageFacts::new(sluice_core::message::strip_mbox_from_line(raw), &envelope, 0);
                (content_digest(&facts), classifier.features(&facts))
            });
            let (mut rows, mut learned) = (Vec::new(), Vec::with_capacity(messages.len()));
            for ((raw, label), (digest, features)) in messages.iter().zip(prepared) {
                let delta = match pass {
                    Pass::First => classifier.learn_features(message_key(raw), *label, &features),
                    Pass::Again => classifier.learn_features_again(message_key(raw), &features),
                };
                learned.push(delta.is_some());
                rows.extend(delta.map(|delta| (digest, delta)));
            }
            (messages, rows, learned)
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
        Ok((messages, learned))
    }

    fn teach_digest(&self, digest: u128, label: Option<Label>) {
        self.digests.write().unwrap_or_else(std::sync::PoisonError::into_inner).teach(digest, label);
    }
}

impl sluice_core::classify::Scorer for Learning {
    fn score(&self, facts: &MessageFacts<'_>) -> Finding {
        let taught = self.digests.read().unwrap_or_else(std::sync::PoisonError::into_inner).finding(facts);
        taught.unwrap_or_else(|| self.classifier.score(facts))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_model::{MainClass, Subclass};

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

    /// `sluice train`'s extra passes reach the other nodes as rows: a node replaying
    /// them, and one starting from the snapshot, hold exactly the learner's model.
    #[tokio::test]
    async fn extra_passes_reach_every_node_as_rows() {
        let dir = std::env::temp_dir().join(format!("sluice-learning-{}", sluice_store::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}/test.db", dir.display())).await.unwrap();
        let messages = vec![
            (b"From: a@example.org\r\nSubject: cheap meds\r\n\r\nbuy now\r\n".to_vec(), Label::Spam),
            (b"From: b@example.org\r\nSubject: minutes\r\n\r\nsee you on Friday\r\n".to_vec(), Label::Ham),
        ];
        let learner = Learning::new(StatisticalSettings::default()).unwrap();
        let (messages, learned) = learner.learn_batch(&store, "node-a", messages, Pass::First, 1).await.unwrap();
        assert_eq!(learned, [true, true]);
        let once = learner.classifier().cluster().read().unwrap().to_snapshot();
        let (_, again) = learner.learn_batch(&store, "node-a", messages, Pass::Again, 2).await.unwrap();
        assert_eq!(again, [true, true]);
        let model = learner.classifier().cluster().read().unwrap().to_snapshot();
        assert_ne!(model, once, "the extra pass changed the regression");

        let follower = Learning::new(StatisticalSettings::default()).unwrap();
        assert_eq!(follower.catch_up(&store).await.unwrap(), 4, "two messages, two passes");
        assert_eq!(follower.classifier().cluster().read().unwrap().to_snapshot(), model);
        assert_eq!(follower.classifier().cluster().read().unwrap().trained_messages(), (1, 1));
        learner.compact(&store, std::time::Duration::ZERO, 1, i64::MAX / 2).await.unwrap();
        let late = Learning::new(StatisticalSettings::default()).unwrap();
        late.catch_up(&store).await.unwrap();
        assert_eq!(late.classifier().cluster().read().unwrap().to_snapshot(), model);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
