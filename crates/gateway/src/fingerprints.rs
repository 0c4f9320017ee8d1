//! What reported spam looked like, as this node holds it: the in-memory
//! [`FingerprintIndex`] the fingerprint checks look messages up in, fed by the
//! store's `fingerprint_reports` rows.
//!
//! A report as spam appends the message's fingerprints as a row; a release or a
//! report as not spam appends the released message's, which un-learns what they
//! match. Every node applies the rows it has not applied yet in row order: before
//! each classification (so a report counts for the very next message on every
//! node), every 5 s while idle, and at start (the rows of the retention, so a
//! node started later holds the same index). The retention sweep deletes rows
//! past the retention and beyond the cap, and the index drops them as well.

use std::sync::{PoisonError, RwLock};

use sluice_core::Envelope;
use sluice_core::checks::fingerprints::FingerprintLookup;
use sluice_core::fingerprints::{FingerprintIndex, FingerprintMatches, Fingerprints, IndexLimits};
use sluice_store::{Store, StoreError};
use tokio::sync::Mutex;

/// Rows applied per query.
const APPLY_BATCH: i64 = 10_000;

pub struct ReportedSpam {
    limits: IndexLimits,
    index: RwLock<FingerprintIndex>,
    /// The last `fingerprint_reports.id` applied.
    applied_up_to: Mutex<i64>,
}

impl ReportedSpam {
    pub fn new(limits: IndexLimits) -> ReportedSpam {
        ReportedSpam { limits, index: RwLock::new(FingerprintIndex::new(limits)), applied_up_to: Mutex::new(0) }
    }


    /// Applies every row this node has not applied yet. Returns the rows applied.
    pub async fn catch_up(&self, store: &Store, now_ms: i64) -> Result<usize, StoreError> {
        let mut applied_up_to = self.applied_up_to.lock().await;
        let mut applied = 0;
        loop {
            let rows = store.fingerprints_after(*applied_up_to, now_ms - self.limits.retention_ms, APPLY_BATCH).await?;
            let Some(last) = rows.last().map(|row| row.id) else { break };
            {
                let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
                for row in &rows {
                    match Fingerprints::from_bytes(&row.fingerprints) {
                        Some(fingerprints) if row.learn => index.add(&fingerprints, row.created_at_ms),
                        Some(fingerprints) => {
                            index.forget(&fingerprints);
                        }
                        None => tracing::error!(id = row.id, "unreadable fingerprint row skipped"),
                    }
                }
            }
            applied += rows.len();
            *applied_up_to = last;
            if (rows.len() as i64) < APPLY_BATCH {
                break;
            }
        }
        Ok(applied)
    }

    /// Learns a message reported as spam (`learn`) or un-learns a released one:
    /// stores its fingerprints for every node and applies them here. `sender` and
    /// `recipients` are the message's envelope (their addresses and domains are
    /// not the sender's contacts).
    pub async fn learn(
        &self,
        store: &Store,
        node: &str,
        raw: &[u8],
        envelope: Envelope,
        learn: bool,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let raw = raw.to_vec();
        let fingerprints = tokio::task::spawn_blocking(move || {
            Fingerprints::of(&sluice_core::MessageFacts::new(&raw, &envelope, now_ms / 1000))
        })
        .await
        .map_err(|_| StoreError::Batch("fingerprinting task failed".to_owned()))?;
        if fingerprints.is_empty() {
            return Ok(());
        }
        store.append_fingerprints(node, learn, &fingerprints.to_bytes(), now_ms).await?;
        self.catch_up(store, now_ms).await?;
        Ok(())
    }

    /// Deletes the rows past the retention and beyond the cap, and drops them here.
    pub async fn expire(&self, store: &Store, now_ms: i64) -> Result<u64, StoreError> {
        let deleted = store.expire_fingerprints(now_ms - self.limits.retention_ms, self.limits.max_reports as i64).await?;
        self.index.write().unwrap_or_else(PoisonError::into_inner).expire(now_ms);
        Ok(deleted)
    }
}

/// The classification's lookups: the index is read-locked for each lookup only.
impl FingerprintLookup for ReportedSpam {
    fn is_empty(&self) -> bool {
        self.index.read().unwrap_or_else(PoisonError::into_inner).is_empty()
    }

    fn lookup(&self, fingerprints: &Fingerprints, now_ms: i64) -> FingerprintMatches {
        self.index.read().unwrap_or_else(PoisonError::into_inner).lookup(fingerprints, now_ms)
    }
}

/// The envelope a stored message arrived with.
pub fn envelope_of(sender: &str, recipients: &[String]) -> Envelope {
    Envelope { sender: sender.to_owned(), recipients: recipients.to_vec(), ..Envelope::default() }
}
