//! Sender reputation as this node holds it: the cluster's counts per sender
//! (client network, authenticated domain) in memory, what this node counted
//! since its last batch on top; every second the batch goes to the store and
//! the rows other nodes changed come back (as `counters.rs` does for rates), so
//! every node follows within a couple of seconds. Judged by
//! `sluice_core::checks::reputation`; the decay and the stored form are there.
//!
//! Events: a message classified after the final dot counts as accepted
//! (delivered) or refused (spam, phish or virus, refused or quarantined) for its
//! senders; a report as spam moves one count from accepted to reported, a
//! release or a report as not spam one from refused (or reported) to released.
//! Which senders a message counted for is stored with its log id
//! (`reputation_sources`, written with the next batch, so the reply waits for no
//! extra store write), so a report days later moves the right counts.
//!
//! Bounded: at most [`MAX_SENDERS`] senders in memory (past it, new senders are
//! judged and counted in the store but not kept here); the retention sweep
//! deletes senders whose decayed total fell under one message.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sluice_core::checks::reputation::{Counts, ReputationFacts, decay_from_epoch, domain_key, network_key, scale_at};
use sluice_store::{ReputationRow, Store};

use crate::Gateway;

/// How often this node's counts go to the store and the others' come back.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Senders kept in memory at most.
pub const MAX_SENDERS: usize = 1_000_000;
/// Rows read back per batch at most (the most recently changed first).
const MAX_READ: i64 = 50_000;
/// Rows changed this long before the last read are read again (clock skew
/// between nodes, batches committed late).
const READ_OVERLAP_MS: i64 = 5_000;

const NETWORK: &str = "network";
const DOMAIN: &str = "domain";

/// What happened to a message, for its senders' counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Accepted,
    Refused,
    /// Reported as spam after it was accepted.
    Reported,
    /// Released from the quarantine, or reported as not spam.
    Released,
}

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// The cluster's stored counts as last read (ours included once flushed).
    stored: [f64; 4],
    /// Added here since the last batch.
    unflushed: [f64; 4],
}

/// The senders of one message, as keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Senders {
    pub network: Option<String>,
    pub domain: Option<String>,
}

impl Senders {
    /// The client's network and the authenticated domain (`from_domain` when
    /// DMARC passed, else `spf_domain` when SPF passed for MAIL FROM).
    pub fn of(client: Option<IpAddr>, from_domain: Option<&str>, spf_domain: Option<&str>) -> Senders {
        Senders { network: client.map(network_key), domain: from_domain.or(spf_domain).and_then(domain_key) }
    }

    fn keys(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.network.as_deref().map(|key| (NETWORK, key)).into_iter().chain(self.domain.as_deref().map(|key| (DOMAIN, key)))
    }
}

/// See the module documentation.
#[derive(Default)]
pub struct SenderReputation {
    entries: Mutex<HashMap<(&'static str, String), Entry>>,
    /// The newest `updated_ms` read back.
    read_until_ms: Mutex<i64>,
    /// Which senders each message counted for (`(log id, network, domain)`),
    /// not yet in the store: written with the next batch, so remembering them
    /// costs the reply no store write.
    sources: Mutex<Vec<PendingSource>>,
}

/// A logged message's senders waiting for the next batch: log id, network, domain.
type PendingSource = (i64, Option<String>, Option<String>);

/// Messages whose senders wait for the next batch, at most (past it the oldest
/// are dropped: a report on them moves no count).
const MAX_PENDING_SOURCES: usize = 100_000;

fn counts_of(values: [f64; 4], now_seconds: i64) -> Counts {
    let decay = decay_from_epoch(now_seconds);
    Counts { accepted: values[0] * decay, refused: values[1] * decay, reported: values[2] * decay, released: values[3] * decay }
}

impl SenderReputation {
    /// What is known of `senders` now.
    pub fn facts(&self, senders: &Senders, now_seconds: i64) -> ReputationFacts {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let of = |kind: &'static str, key: &Option<String>| {
            let key = key.as_ref()?;
            let entry = entries.get(&(kind, key.clone()))?;
            let values = std::array::from_fn(|i| entry.stored[i] + entry.unflushed[i]);
            Some((key.clone(), counts_of(values, now_seconds)))
        };
        ReputationFacts { network: of(NETWORK, &senders.network), domain: of(DOMAIN, &senders.domain) }
    }

    /// Counts `event` for `senders` at `now_seconds`.
    pub fn record(&self, event: Event, senders: &Senders, now_seconds: i64) {
        let one = scale_at(now_seconds);
        // [accepted, refused, reported, released]
        let change: [f64; 4] = match event {
            Event::Accepted => [one, 0.0, 0.0, 0.0],
            Event::Refused => [0.0, one, 0.0, 0.0],
            Event::Reported => [-one, 0.0, one, 0.0],
            Event::Released => [0.0, -one, 0.0, one],
        };
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (kind, key) in senders.keys() {
            let full = entries.len() >= MAX_SENDERS;
            let entry = match entries.get_mut(&(kind, key.to_owned())) {
                Some(entry) => entry,
                None if full => continue,
                None => entries.entry((kind, key.to_owned())).or_default(),
            };
            for (value, delta) in entry.unflushed.iter_mut().zip(change) {
                *value += delta;
            }
        }
    }

    /// Counts `event` for the senders of the message logged as `log_id`, and
    /// remembers them for a later report or release.
    pub fn record_message(&self, event: Event, senders: &Senders, log_id: i64, now_seconds: i64) {
        self.record(event, senders, now_seconds);
        let mut sources = self.sources.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if sources.len() >= MAX_PENDING_SOURCES {
            sources.remove(0);
        }
        sources.push((log_id, senders.network.clone(), senders.domain.clone()));
    }

    /// The senders of the message logged as `log_id`: from the batch not yet
    /// written, else from the store.
    pub async fn senders_of(&self, store: &Store, log_id: i64) -> sluice_store::Result<Option<Senders>> {
        let pending = {
            let sources = self.sources.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            sources.iter().find(|(id, ..)| *id == log_id).map(|(_, network, domain)| Senders { network: network.clone(), domain: domain.clone() })
        };
        if pending.is_some() {
            return Ok(pending);
        }
        Ok(store.reputation_source(log_id).await?.map(|(network, domain)| Senders { network, domain }))
    }

    /// Sends this node's batch to the store and reads back what changed.
    pub async fn flush(&self, store: &Store, now_ms: i64) -> sluice_store::Result<()> {
        // Copied, not taken: a report arriving while the batch is on its way must
        // still find the message's senders (here until the store has them).
        let sources = self.sources.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        let batch: Vec<ReputationRow> = {
            let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            entries
                .iter()
                .filter(|(_, entry)| entry.unflushed.iter().any(|value| *value != 0.0))
                .map(|((kind, sender), entry)| ReputationRow {
                    kind: (*kind).to_owned(),
                    sender: sender.clone(),
                    accepted: entry.unflushed[0],
                    refused: entry.unflushed[1],
                    reported: entry.unflushed[2],
                    released: entry.unflushed[3],
                })
                .collect()
        };
        // On failure they stay for the next batch.
        store.add_to_reputation(&batch, &sources, now_ms).await?;
        if !sources.is_empty() {
            let written: std::collections::HashSet<i64> = sources.iter().map(|(log_id, ..)| *log_id).collect();
            self.sources.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).retain(|(log_id, ..)| !written.contains(log_id));
        }
        let since = *self.read_until_ms.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) - READ_OVERLAP_MS;
        let changed = store.reputation_since(since, MAX_READ).await?;
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // What was sent is in the store now: take it off what is left to send
        // (counts made while the batch was on its way stay for the next one).
        for row in &batch {
            let kind = if row.kind == NETWORK { NETWORK } else { DOMAIN };
            if let Some(entry) = entries.get_mut(&(kind, row.sender.clone())) {
                for (value, sent) in entry.unflushed.iter_mut().zip([row.accepted, row.refused, row.reported, row.released]) {
                    *value -= sent;
                }
                for (stored, sent) in entry.stored.iter_mut().zip([row.accepted, row.refused, row.reported, row.released]) {
                    *stored += sent;
                }
            }
        }
        let mut newest = since + READ_OVERLAP_MS;
        for (row, updated_ms) in changed {
            newest = newest.max(updated_ms);
            let kind = match row.kind.as_str() {
                NETWORK => NETWORK,
                DOMAIN => DOMAIN,
                _ => continue,
            };
            let full = entries.len() >= MAX_SENDERS;
            let key = (kind, row.sender);
            if full && !entries.contains_key(&key) {
                continue;
            }
            entries.entry(key).or_default().stored = [row.accepted, row.refused, row.reported, row.released];
        }
        *self.read_until_ms.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = newest;
        Ok(())
    }

    /// Forgets senders whose decayed total fell under one message, here and in
    /// the store.
    pub async fn expire(&self, store: &Store, now_seconds: i64) -> sluice_store::Result<u64> {
        let one = scale_at(now_seconds);
        {
            let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            entries.retain(|_, entry| {
                entry.unflushed.iter().any(|value| *value != 0.0) || entry.stored.iter().sum::<f64>() >= one
            });
        }
        store.expire_reputation(one).await
    }

    /// How many senders this node holds.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Flushes every [`FLUSH_EVERY`] until shutdown, then once more; expires
/// decayed senders once an hour.
pub async fn run(gateway: Arc<Gateway>) {
    let mut shutdown = gateway.shutdown.clone();
    let mut failing = false;
    let mut last_expiry = 0;
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(FLUSH_EVERY) => false,
            _ = shutdown.changed() => true,
        };
        let now_ms = crate::pipeline::now_ms();
        match gateway.reputation.flush(&gateway.store, now_ms).await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("sender reputation written again");
            }
            Ok(()) => {}
            Err(error) if !failing => {
                failing = true;
                tracing::error!(%error, "cannot write the sender reputation; counting locally until the store answers");
            }
            Err(_) => {}
        }
        let now_seconds = now_ms.div_euclid(1000);
        if now_seconds - last_expiry >= 3600 {
            last_expiry = now_seconds;
            let retention_ms = gateway.config.retention.training.as_millis() as i64;
            let expired = gateway.reputation.expire(&gateway.store, now_seconds).await;
            let sources = gateway.store.expire_reputation_sources(now_ms - retention_ms).await;
            if let (Err(error), _) | (_, Err(error)) = (expired, sources) {
                tracing::warn!(%error, "cannot expire sender reputation");
            }
        }
        if stopping {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::checks::reputation::EPOCH;

    #[test]
    fn events_count_for_both_senders_and_reports_move_counts() {
        let reputation = SenderReputation::default();
        let senders = Senders::of(Some("192.0.2.7".parse().unwrap()), None, Some("Example.ORG"));
        assert_eq!(senders.network.as_deref(), Some("192.0.2.0/24"));
        assert_eq!(senders.domain.as_deref(), Some("example.org"));
        let now = EPOCH + 100 * 86_400;
        for _ in 0..3 {
            reputation.record(Event::Accepted, &senders, now);
        }
        reputation.record(Event::Reported, &senders, now);
        let facts = reputation.facts(&senders, now);
        let (_, network) = facts.network.unwrap();
        assert!((network.accepted - 2.0).abs() < 1e-9 && (network.reported - 1.0).abs() < 1e-9, "{network:?}");
        // Fourteen days later, half.
        let (_, later) = reputation.facts(&senders, now + 14 * 86_400).domain.unwrap();
        assert!((later.accepted - 1.0).abs() < 1e-9, "{later:?}");
    }
}
