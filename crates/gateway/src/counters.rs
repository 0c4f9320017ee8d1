//! Counters shared by the nodes of a cluster, cheap enough for every connection:
//! an increment is counted in memory and answered at once with the cluster's
//! total as last read plus what this node counted since; every second the node
//! adds its counts to the store in one transaction and reads the totals back
//! (`store::counters`).
//!
//! So a node sees its own counts exactly and the other nodes' within about a
//! second (one batch of theirs, then one of ours): close enough for rate limits,
//! which is what the windows are for. Counters touched in the last
//! [`REFRESH_RECENT`] are read back even when this node has nothing to add, so a
//! client spreading its connections over the nodes is seen whole; a client
//! quieter than that is far from any limit anyway. If the store does not answer, counting goes
//! on locally and the batch is retried; nothing is lost but freshness.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sluice_lookup::{Counters, LookupOutcome, Pending};
use sluice_store::{CounterDelta, Store};

use crate::Gateway;

/// How often counts go to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Counters kept in memory at most (one per name and window): past it, new
/// names are answered from memory but not kept, so a flood from very many
/// addresses cannot grow the map (each such name then counts as its first).
pub const MAX_COUNTERS: usize = 200_000;

/// Counters touched this recently are refreshed from the store at each batch...
pub const REFRESH_RECENT: i64 = 10;
/// ...at most this many per batch, the highest counts first.
pub const MAX_REFRESHED: usize = 5_000;

#[derive(Clone, Copy, Debug, Default)]
struct Count {
    window_seconds: u64,
    /// Counted here since the last batch.
    unflushed: u64,
    /// The cluster's total as of the last batch (ours included).
    cluster: u64,
    /// When it was last incremented (seconds since the epoch).
    touched: i64,
}

/// See the module documentation.
#[derive(Default)]
pub struct ClusterCounters {
    counts: Mutex<HashMap<(String, i64), Count>>,
}

pub(crate) fn window_start(now_seconds: i64, window_seconds: u64) -> i64 {
    let window = window_seconds.max(1) as i64;
    now_seconds - now_seconds.rem_euclid(window)
}

pub(crate) fn now_seconds() -> i64 {
    crate::pipeline::now_ms().div_euclid(1000)
}

impl ClusterCounters {
    /// Adds one to `name` in the current window of `window_seconds` (windows
    /// start at multiples of it since the epoch); the count after, as far as
    /// this node knows the cluster's.
    pub fn add_one(&self, name: &str, window_seconds: u64, now_seconds: i64) -> u64 {
        let key = (name.to_owned(), window_start(now_seconds, window_seconds));
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !counts.contains_key(&key) && counts.len() >= MAX_COUNTERS {
            return 1;
        }
        let count = counts.entry(key).or_insert(Count { window_seconds, ..Count::default() });
        count.unflushed += 1;
        count.touched = now_seconds;
        count.cluster + count.unflushed
    }

    /// The count of `name` in the current window, without adding to it.
    pub fn current(&self, name: &str, window_seconds: u64, now_seconds: i64) -> u64 {
        let key = (name.to_owned(), window_start(now_seconds, window_seconds));
        let counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.get(&key).map_or(0, |count| count.cluster + count.unflushed)
    }

    /// Sends what was counted since the last batch to `store` and takes back
    /// the cluster's totals; forgets the counters of windows that are over.
    pub async fn flush(&self, store: &Store, now_seconds: i64) -> sluice_store::Result<()> {
        let deltas: Vec<CounterDelta> = {
            let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            counts.retain(|(_, start), count| count.unflushed > 0 || start + count.window_seconds as i64 > now_seconds);
            let mut deltas: Vec<CounterDelta> = counts
                .iter()
                .filter(|(_, count)| count.unflushed > 0)
                .map(|((name, start), count)| CounterDelta { name: name.clone(), window_start: *start, delta: count.unflushed as i64 })
                .collect();
            let mut recent: Vec<(&(String, i64), &Count)> = counts
                .iter()
                .filter(|(_, count)| count.unflushed == 0 && count.touched >= now_seconds - REFRESH_RECENT)
                .collect();
            recent.sort_by_key(|(_, count)| std::cmp::Reverse(count.cluster));
            deltas.extend(
                recent
                    .into_iter()
                    .take(MAX_REFRESHED)
                    .map(|((name, start), _)| CounterDelta { name: name.clone(), window_start: *start, delta: 0 }),
            );
            deltas
        };
        let totals = store.add_to_counters(&deltas).await?;
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (delta, total) in deltas.iter().zip(totals) {
            if let Some(count) = counts.get_mut(&(delta.name.clone(), delta.window_start)) {
                // Counts made while the batch was on its way stay for the next one.
                count.unflushed -= delta.delta as u64;
                count.cluster = total.max(0) as u64;
            }
        }
        Ok(())
    }
}

impl Counters for ClusterCounters {
    fn increment<'a>(&'a self, key: &'a str, window_seconds: u64) -> Pending<'a, u64> {
        let count = self.add_one(key, window_seconds, now_seconds());
        Box::pin(async move { LookupOutcome::Answer(count) })
    }
}

/// Sends the counts to the store every [`FLUSH_EVERY`] until shutdown, then once
/// more; and this node's familiarity with the stream when it is due
/// ([`crate::familiarity`]: one more small write to the store on the same clock).
pub async fn run(gateway: Arc<Gateway>) {
    let mut shutdown = gateway.shutdown.clone();
    let mut failing = false;
    let mut familiarity = crate::familiarity::Saving::default();
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(FLUSH_EVERY) => false,
            _ = shutdown.changed() => true,
        };
        let classifier = gateway.learning.classifier();
        let saved = familiarity.save_if_due(classifier, &gateway.store, &gateway.config.node_id, crate::pipeline::now_ms(), stopping).await;
        if let Err(error) = saved {
            tracing::warn!(%error, "cannot save this node's familiarity with the mail stream; will try again in a minute");
        }
        match gateway.counters.flush(&gateway.store, now_seconds()).await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("shared counters written again");
            }
            Ok(()) => {}
            Err(error) if !failing => {
                failing = true;
                tracing::error!(%error, "cannot write the shared counters; counting locally until the store answers");
            }
            Err(_) => {}
        }
        if stopping {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_window_and_starts_over_in_the_next() {
        let counters = ClusterCounters::default();
        assert_eq!(counters.add_one("a", 60, 120), 1);
        assert_eq!(counters.add_one("a", 60, 179), 2);
        assert_eq!(counters.add_one("a", 60, 180), 1, "a new minute");
        assert_eq!(counters.add_one("a", 3600, 180), 1, "another window length is another counter");
        assert_eq!(window_start(-1, 60), -60);
    }
}
