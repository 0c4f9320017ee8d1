//! Retention: deletes stored messages past the training retention and
//! quarantined ones past the quarantine retention, log rows past the log
//! retention (in short batches with a pause between them, so a million old rows
//! never hold the store for long), and compacts learning rows into a snapshot,
//! and deletes the shared counters of past windows and greylisting rows past
//! theirs, and reported spam's fingerprints past theirs, every few minutes.

use std::sync::Arc;
use std::time::Duration;

use crate::Gateway;
use crate::pipeline::now_ms;

const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Learning rows stay at least this long after a snapshot covers them, so every
/// running node has replayed them first.
pub const KEEP_LEARNING_ROWS: Duration = Duration::from_secs(3600);

/// The pause between two batches of log rows: the SMTP sessions' commits go
/// in between.
const PAUSE_BETWEEN_LOG_BATCHES: Duration = Duration::from_millis(100);

/// Runs until shutdown.
pub async fn run(gateway: Arc<Gateway>) {
    let mut shutdown = gateway.shutdown.clone();
    loop {
        let retention = &gateway.config.retention;
        let now = now_ms();
        let messages_before = now - retention.training.as_millis() as i64;
        let quarantine_before = now - retention.quarantine.as_millis() as i64;
        match gateway.store.purge(messages_before, quarantine_before).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "deleted messages past their retention"),
            Err(error) => tracing::error!(%error, "retention sweep failed; will try again"),
        }
        let log_before = now - retention.log.as_millis() as i64;
        let mut log_rows = 0;
        loop {
            match gateway.store.purge_log(log_before, sluice_store::LOG_PURGE_BATCH).await {
                Ok(count) => {
                    log_rows += count;
                    if count < sluice_store::LOG_PURGE_BATCH.unsigned_abs() {
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "deleting log rows past their retention failed; will try again");
                    break;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(PAUSE_BETWEEN_LOG_BATCHES) => {}
                _ = shutdown.changed() => return,
            }
        }
        if log_rows > 0 {
            tracing::info!(count = log_rows, "deleted log rows past the log retention");
        }
        // Counters of windows long over (the longest window is an hour).
        match gateway.store.expire_counters(now / 1000 - 2 * 3600).await {
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "expiring shared counters failed; will try again"),
        }
        let greylisting = &gateway.config.greylisting;
        let triplets_before = now - (greylisting.retry_window + greylisting.delay).as_millis() as i64;
        if let Err(error) = gateway.store.expire_greylisting(triplets_before, now - greylisting.history.as_millis() as i64).await {
            tracing::error!(%error, "expiring greylisting rows failed; will try again");
        }
        match gateway.reported_spam.expire(&gateway.store, now).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "reported spam's fingerprints past the retention or the cap deleted"),
            Err(error) => tracing::error!(%error, "expiring reported spam's fingerprints failed; will try again"),
        }
        match gateway.learning.compact(&gateway.store, KEEP_LEARNING_ROWS, crate::learning::COMPACT_AFTER_ROWS, now_ms()).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "learning rows compacted into a snapshot"),
            Err(error) => tracing::error!(%error, "compacting learning rows failed; will try again"),
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}
