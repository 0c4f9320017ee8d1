//! The delivery queue worker: claims due entries from the store, hands each to
//! its destination, retries with growing delays, and bounces what cannot be
//! delivered.
//!
//! **Invariant:** an entry leaves the queue only after its outcome is recorded
//! (delivered, or bounced). A crash mid-delivery leaves the entry leased; the
//! lease runs out and it is tried again, so the only duplicate possible is the
//! one SMTP itself cannot avoid (a crash between the destination's `250` and our
//! record of it).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sluice_model::{ErrorClass, MainClass};
use sluice_store::{NewQueueEntry, QueueEntry};
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use crate::Gateway;
use crate::pipeline::now_ms;

pub mod bounce;
pub mod client;
pub mod outgoing;
pub mod route;

use client::Outcome;

/// Runs until shutdown; deliveries in flight are finished first.
pub async fn run(gateway: Arc<Gateway>) {
    let concurrency = gateway.config.delivery.concurrency;
    let permits = Arc::new(Semaphore::new(concurrency));
    let lease_ms = (gateway.config.delivery.timeout.as_millis() as i64 * 10).max(600_000);
    let mut shutdown = gateway.shutdown.clone();
    let node = gateway.config.node_id.as_str();
    match gateway.store.release_leases(node).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "took back queue entries leased before the last stop"),
        Err(error) => tracing::error!(%error, "cannot release old queue leases; they expire by themselves"),
    }
    loop {
        gateway.queue_heartbeat_ms.store(now_ms(), Ordering::Relaxed);
        if *shutdown.borrow_and_update() {
            break;
        }
        let free = permits.available_permits();
        let mut claimed = 0;
        if free > 0 {
            match gateway.store.claim_due(node, now_ms(), lease_ms, free as i64).await {
                Ok(entries) => {
                    claimed = entries.len();
                    for entry in entries {
                        let Ok(permit) = permits.clone().acquire_owned().await else { break };
                        let gateway = gateway.clone();
                        tokio::spawn(async move {
                            deliver_entry(&gateway, entry).await;
                            drop(permit);
                            gateway.queue_wakeup.notify_one();
                        });
                    }
                }
                Err(error) => tracing::error!(%error, "cannot read the delivery queue"),
            }
        }
        if claimed > 0 && claimed == free {
            // Possibly more due: wait for a free slot, then look again.
            if let Ok(permit) = permits.acquire().await {
                drop(permit);
            }
            continue;
        }
        let wait = match gateway.store.next_due().await {
            Ok(Some(due)) => Duration::from_millis((due - now_ms()).clamp(10, 5000) as u64),
            _ => Duration::from_secs(5),
        };
        tokio::select! {
            _ = gateway.queue_wakeup.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
    }
    // Let deliveries in flight record their outcome.
    let _ = tokio::time::timeout(Duration::from_secs(30), permits.acquire_many(concurrency as u32)).await;
}

/// One attempt at one entry, and its bookkeeping.
async fn deliver_entry(gateway: &Gateway, entry: QueueEntry) {
    let config = &gateway.config;
    let raw = match gateway.store.message_raw(&entry.message_id).await {
        Ok(Some(raw)) => raw,
        Ok(None) => {
            tracing::error!(queue_id = %entry.id, "queued message has no stored content; dropping the entry");
            let _ = gateway.store.finish(&entry, "lost: stored message missing").await;
            return;
        }
        Err(error) => {
            tracing::error!(%error, "cannot read a queued message; will retry");
            return;
        }
    };
    // Mail our users submitted is prepared for the next hop here (signing).
    let prepared = if entry.outgoing {
        outgoing::prepare_outgoing(gateway, &entry, raw).await
    } else {
        outgoing::Prepared { sender: entry.sender.clone(), raw }
    };
    let outcomes = match route::resolve(config, &gateway.domains(), gateway.resolver.as_ref(), config.dns.timeout, &entry.route, entry.created_at_ms).await {
        Ok((addresses, server_name)) => {
            client::deliver(
                &addresses,
                &server_name,
                &config.hostname,
                &prepared.sender,
                &entry.recipients,
                &prepared.raw,
                &config.delivery,
            )
            .await
        }
        Err(route::RouteError::Temporary(reason)) => vec![Outcome::Deferred(reason); entry.recipients.len()],
        Err(route::RouteError::Permanent(reason)) => vec![Outcome::Refused(reason); entry.recipients.len()],
    };

    let mut delivered = 0;
    let mut deferred = Vec::new();
    let mut refused = Vec::new();
    let mut last_deferral = String::new();
    for (recipient, outcome) in entry.recipients.iter().zip(outcomes) {
        match outcome {
            Outcome::Delivered => delivered += 1,
            Outcome::Deferred(reason) => {
                deferred.push(recipient.clone());
                last_deferral = reason;
            }
            Outcome::Refused(reason) => refused.push((recipient.clone(), reason)),
        }
    }
    let age = Duration::from_millis((now_ms() - entry.created_at_ms).max(0) as u64);
    if !deferred.is_empty() && age >= config.delivery.max_age {
        let reason = format!("4.4.7 delivery time expired; last error: {last_deferral}");
        refused.extend(deferred.drain(..).map(|recipient| (recipient, reason.clone())));
    }
    if !refused.is_empty() {
        send_bounce(gateway, &entry, &refused, &prepared.raw).await;
    }
    let summary = summary(delivered, &deferred, &refused, &last_deferral);
    tracing::info!(queue_id = %entry.id, route = %entry.route, %summary, "delivery attempt");
    // Per recipient, so the counts add up to the mail that was queued.
    for (outcome, count) in [("delivered", delivered), ("deferred", deferred.len()), ("bounced", refused.len())] {
        if count > 0 {
            metrics::counter!(crate::metrics::DELIVERY_ATTEMPTS, "outcome" => outcome).increment(count as u64);
        }
    }
    let result = if deferred.is_empty() {
        let finished = gateway.store.finish(&entry, &summary).await;
        if finished.is_ok() && !refused.is_empty() && let Some(log_id) = entry.log_id {
            let class = if refused.iter().any(|(_, reason)| reason.contains("Unrouteable")) {
                ErrorClass::Unrouteable
            } else if refused.iter().any(|(_, reason)| reason.contains("4.4.7")) {
                ErrorClass::DeliveryExpired
            } else {
                ErrorClass::DestinationRejected
            };
            let _ = gateway.store.set_log_error(log_id, class, &summary).await;
        }
        finished
    } else {
        let delay = backoff(config.delivery.retry_initial, config.delivery.retry_max, entry.attempts);
        gateway
            .store
            .reschedule(&entry, &deferred, now_ms() + delay.as_millis() as i64, &last_deferral, ErrorClass::DestinationUnavailable)
            .await
    };
    if let Err(error) = result {
        tracing::error!(%error, queue_id = %entry.id, "cannot record a delivery outcome; the entry will be retried");
    }
}

fn summary(delivered: usize, deferred: &[String], refused: &[(String, String)], last_deferral: &str) -> String {
    let mut parts = Vec::new();
    if delivered > 0 {
        parts.push(format!("delivered to {delivered}"));
    }
    if !deferred.is_empty() {
        parts.push(format!("deferred for {}: {last_deferral}", deferred.len()));
    }
    if let Some((_, reason)) = refused.first() {
        parts.push(format!("bounced for {}: {reason}", refused.len()));
    }
    if parts.is_empty() { "nothing to deliver".to_owned() } else { parts.join("; ") }
}

/// `initial * 2^attempts`, capped at `max`.
pub fn backoff(initial: Duration, max: Duration, attempts: i64) -> Duration {
    let factor = 1u32 << attempts.clamp(0, 20);
    initial.saturating_mul(factor).min(max)
}

/// Queues a DSN for `refused` recipients, unless it would be backscatter: never
/// for a bounce (RFC 5321 §3.6.3) or a null sender, never for a message we
/// classified spam, phish or virus (released from the quarantine, it may still
/// bounce at the destination): its sender is most likely forged.
async fn send_bounce(gateway: &Gateway, entry: &QueueEntry, refused: &[(String, String)], raw: &[u8]) {
    if entry.is_bounce || entry.sender.is_empty() {
        return;
    }
    if let Some(log_id) = entry.log_id {
        match gateway.store.get_log(log_id).await {
            Ok(Some(row)) if matches!(row.entry.main_class, MainClass::Spam | MainClass::Phish | MainClass::Virus) => {
                tracing::info!(queue_id = %entry.id, log_id, "no bounce for a message classified {}", row.entry.main_class);
                return;
            }
            Ok(_) => {}
            Err(error) => {
                // Without the class we cannot rule out backscatter: stay silent.
                tracing::warn!(%error, queue_id = %entry.id, "cannot read the message's class; no bounce sent");
                return;
            }
        }
    }
    let dsn = bounce::build(&gateway.config.hostname, &entry.sender, refused, raw, OffsetDateTime::now_utc());
    let route = crate::pipeline::routes_for(&gateway.domains(), "", std::slice::from_ref(&entry.sender), false);
    for route in route {
        let bounce = NewQueueEntry { is_bounce: true, ..route };
        if let Err(error) = gateway.store.enqueue(&dsn, &bounce, now_ms()).await {
            tracing::error!(%error, sender = %entry.sender, "cannot queue a bounce");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let minute = Duration::from_secs(60);
        let cap = Duration::from_secs(3600);
        assert_eq!(backoff(minute, cap, 0), minute);
        assert_eq!(backoff(minute, cap, 1), minute * 2);
        assert_eq!(backoff(minute, cap, 3), minute * 8);
        assert_eq!(backoff(minute, cap, 10), cap);
        assert_eq!(backoff(minute, cap, 1000), cap);
    }
}
