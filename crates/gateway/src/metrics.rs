//! The gateway's Prometheus metrics, named in one place. The values are
//! recorded where they happen through the `metrics` facade (a no-op until the
//! binary installs a recorder); the web listener renders them at `/metrics`.
//!
//! Labels are bounded sets (classes, actions, outcomes, lookup kinds), never
//! addresses or names a client chooses, so a hostile sender cannot grow the
//! number of series.

use sluice_model::Verdict;

/// Decisions logged, by direction, class and action.
pub const MESSAGES: &str = "sluice_messages_total";
/// Entries waiting in the queue (the whole cluster's: the queue is shared).
pub const QUEUE_LENGTH: &str = "sluice_queue_length";
/// Age of the oldest queued entry.
pub const QUEUE_OLDEST_SECONDS: &str = "sluice_queue_oldest_seconds";
/// Delivery attempts per recipient, by outcome (`delivered`, `deferred`, `bounced`).
pub const DELIVERY_ATTEMPTS: &str = "sluice_delivery_attempts_total";
/// SMTP sessions open on this node.
pub const SESSIONS_OPEN: &str = "sluice_smtp_sessions_open";
/// From the end of DATA to our reply.
pub const DATA_REPLY_SECONDS: &str = "sluice_data_reply_seconds";

/// Records one logged decision.
pub fn message_decided(direction: &'static str, verdict: &Verdict) {
    metrics::counter!(
        MESSAGES,
        "direction" => direction,
        "main_class" => verdict.main.as_str(),
        "sub_class" => verdict.sub.as_str(),
        "action" => verdict.action.as_str(),
    )
    .increment(1);
}

/// One more (or one less) open SMTP session, for as long as the guard lives.
pub struct OpenSession;

impl OpenSession {
    pub fn start() -> OpenSession {
        metrics::gauge!(SESSIONS_OPEN).increment(1.0);
        OpenSession
    }
}

impl Drop for OpenSession {
    fn drop(&mut self) {
        metrics::gauge!(SESSIONS_OPEN).decrement(1.0);
    }
}

/// Records the time from the end of DATA to the reply.
pub fn data_replied(elapsed: std::time::Duration) {
    metrics::histogram!(DATA_REPLY_SECONDS).record(elapsed.as_secs_f64());
}

/// Sets the queue gauges from the store's summary (read when metrics are
/// scraped, so they are as fresh as the scrape).
pub fn queue_observed(length: i64, oldest_seconds: Option<i64>) {
    metrics::gauge!(QUEUE_LENGTH).set(length as f64);
    metrics::gauge!(QUEUE_OLDEST_SECONDS).set(oldest_seconds.unwrap_or(0) as f64);
}
