//! The mail stream's familiarity to the global model, kept in the store so that
//! it outlives a process and is the same on every node.
//!
//! Each node's classifier measures how much of the stream the global model knows
//! (`sluice_statistical::familiarity`). A node that has seen at least
//! `MIN_OBSERVED` messages saves its median share and message count as soon as it
//! has them, then every [`SAVE_EVERY`] (and once more when it stops); a node that
//! starts, and `sluice explain`, `classify` and `eval`, seed their classifier with
//! the installation's figure (the fresh nodes' medians weighted by their messages,
//! `store::familiarity`) until they have seen that many messages of their own. A
//! store that does not answer costs only freshness: the save is logged and tried
//! again a minute later.

use std::time::Duration;

use sluice_statistical::Classifier;
use sluice_statistical::familiarity::Figure;
use sluice_store::{Store, StoreError, StoredFamiliarity};

/// How often a node saves its figure once it has one.
pub const SAVE_EVERY: Duration = Duration::from_secs(60);

/// Seeds `classifier` with the installation's figure as of `now_ms`; the figure,
/// `None` when no node saved one within a day.
pub async fn seed_from_store(classifier: &Classifier, store: &Store, now_ms: i64) -> Result<Option<StoredFamiliarity>, StoreError> {
    let stored = store.installation_familiarity(now_ms).await?;
    if let Some(stored) = stored {
        classifier.seed_familiarity(Figure { median_share: stored.median_share, messages: stored.messages.max(0) as u64 });
    }
    Ok(stored)
}

/// When this node last tried to save its own figure, and last read the
/// installation's: two clocks, so that reading the installation's figure while
/// the node has too few messages of its own never delays its first save (due at
/// the first tick after its `MIN_OBSERVED`th message).
#[derive(Debug, Default)]
pub struct Saving {
    last_attempt_ms: Option<i64>,
    last_read_ms: Option<i64>,
    /// Whether a save succeeded yet (the first is logged).
    saved: bool,
}

/// Whether a minute ([`SAVE_EVERY`]) has passed since `last` (at once the first
/// time; a failed attempt counts, so a store that does not answer is not hammered).
fn due(last: Option<i64>, now_ms: i64) -> bool {
    last.is_none_or(|last| now_ms - last >= SAVE_EVERY.as_millis() as i64)
}

impl Saving {
    /// Saves `classifier`'s own figure as `node_id`'s when it has one and a save is
    /// due (or `now` says so: at shutdown); the figure saved. Until it has one, the
    /// same clock reads the installation's figure again, so a node that started
    /// with none (a new installation whose nodes start together) goes by the first
    /// figure another node saves instead of waiting for 50 messages of its own.
    pub async fn save_if_due(
        &mut self,
        classifier: &Classifier,
        store: &Store,
        node_id: &str,
        now_ms: i64,
        now: bool,
    ) -> Result<Option<Figure>, StoreError> {
        let Some(figure) = classifier.familiarity_to_save() else {
            if !now && due(self.last_read_ms, now_ms) {
                self.last_read_ms = Some(now_ms);
                seed_from_store(classifier, store, now_ms).await?;
            }
            return Ok(None);
        };
        if !now && !due(self.last_attempt_ms, now_ms) {
            return Ok(None);
        }
        self.last_attempt_ms = Some(now_ms);
        let messages = i64::try_from(figure.messages).unwrap_or(i64::MAX);
        store.save_stream_familiarity(node_id, figure.median_share, messages, now_ms).await?;
        if !std::mem::replace(&mut self.saved, true) {
            tracing::info!(median_share = figure.median_share, messages, "this node's familiarity with the mail stream saved (then every minute)");
        }
        Ok(Some(figure))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_save_is_at_once_then_one_a_minute() {
        assert!(due(None, 1_000));
        // A failed attempt waits as long as a save: the store is not hammered.
        assert!(!due(Some(1_000), 1_000 + 59_999));
        assert!(due(Some(1_000), 1_000 + 60_000));
    }

    /// A node with too few messages of its own follows the figure another node
    /// saved after it started.
    #[tokio::test]
    async fn a_node_without_its_own_figure_takes_up_the_one_another_node_saved() {
        let dir = std::env::temp_dir().join(format!("sluice-familiarity-{}", sluice_store::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&format!("sqlite://{}/test.db", dir.display())).await.unwrap();
        let classifier = Classifier::with_embedded_model(sluice_statistical::StatisticalSettings::default()).unwrap();
        let mut saving = Saving::default();
        let now = 1_800_000_000_000;
        assert_eq!(saving.save_if_due(&classifier, &store, "b", now, false).await.unwrap(), None);
        assert_eq!(classifier.familiarity(), (None, sluice_statistical::familiarity::FOREIGN_TEMPERATURE), "nothing stored yet");
        store.save_stream_familiarity("a", 0.62, 400, now + 1_000).await.unwrap();
        // Not before the minute is up, then the other node's figure.
        saving.save_if_due(&classifier, &store, "b", now + 2_000, false).await.unwrap();
        assert_eq!(classifier.familiarity().0, None);
        saving.save_if_due(&classifier, &store, "b", now + 61_000, false).await.unwrap();
        assert_eq!(classifier.familiarity(), (Some(0.62), 1.0));
        // Its own 50th message a second after that read: its own figure is saved
        // at the next tick, not a minute after the read.
        let features = sluice_statistical::tokens::features_of_raw(b"Subject: minutes\r\n\r\nthe minutes of the meeting\r\n", &Default::default());
        for _ in 0..sluice_statistical::familiarity::MIN_OBSERVED {
            classifier.observe(&features);
        }
        let saved = saving.save_if_due(&classifier, &store, "b", now + 62_000, false).await.unwrap();
        assert_eq!(saved.map(|figure| figure.messages), Some(sluice_statistical::familiarity::MIN_OBSERVED as u64));
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
