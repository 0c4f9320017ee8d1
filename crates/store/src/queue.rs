//! The delivery queue: entries claimed with a lease owned by one node, finished
//! or rescheduled with their outcome on the log row.

use sluice_model::ErrorClass;
use sqlx::Row;

use crate::records;
use crate::record::WriteRequest;
use crate::{NewQueueEntry, QueueEntry, Result, Store, new_id};

impl Store {

    /// Queues a message that did not come in over SMTP (a bounce we generate).
    pub async fn enqueue(&self, raw: &[u8], route: &NewQueueEntry, now_ms: i64) -> Result<String> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let message_id = new_id();
        sqlx::query("INSERT INTO messages (id, raw, created_at) VALUES ($1, $2, $3)")
            .bind(&message_id)
            .bind(raw)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        let id = insert_queue(&mut tx, &message_id, None, route, now_ms).await?;
        tx.commit().await?;
        Ok(id)
    }


    /// Claims up to `limit` queue entries that are due, leasing them until
    /// `now_ms + lease_ms` so that no other worker (or node) takes them meanwhile.
    /// A crashed worker's lease simply runs out and the entry is retried.
    pub async fn claim_due(&self, node: &str, now_ms: i64, lease_ms: i64, limit: i64) -> Result<Vec<QueueEntry>> {
        let _writer = self.writer().await;
        let rows = sqlx::query(
            "UPDATE queue SET locked_until = $1, lease_owner = $4 \
             WHERE locked_until <= $2 AND id IN (SELECT id FROM queue WHERE next_attempt_at <= $2 \
             AND locked_until <= $2 ORDER BY next_attempt_at LIMIT $3) \
             RETURNING id, message_id, log_id, sender, recipients, route, is_bounce, outgoing, created_at, attempts",
        )
        .bind(now_ms + lease_ms)
        .bind(now_ms)
        .bind(limit)
        .bind(node)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(records::queue_entry).collect()
    }


    /// Gives back every lease `node` holds: called when a node starts, since a
    /// lease it held before a crash or kill protects no delivery any more.
    pub async fn release_leases(&self, node: &str) -> Result<u64> {
        let _writer = self.writer().await;
        let released = sqlx::query("UPDATE queue SET locked_until = 0, lease_owner = NULL WHERE lease_owner = $1")
            .bind(node)
            .execute(&self.pool)
            .await?;
        Ok(released.rows_affected())
    }


    /// The earliest time any queue entry becomes due, if the queue is not empty.
    pub async fn next_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(CASE WHEN locked_until > next_attempt_at THEN locked_until ELSE next_attempt_at END) FROM queue")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }


    /// Number of entries waiting in the queue.
    pub async fn queue_len(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM queue").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// The queue as an admin watches it: how long, since when, and which
    /// destinations are failing (entries tried at least once and still
    /// waiting, most entries first, at most `max_failing`).
    pub async fn queue_summary(&self, max_failing: i64) -> Result<QueueSummary> {
        let row = sqlx::query("SELECT COUNT(*), MIN(created_at) FROM queue").fetch_one(&self.pool).await?;
        let length = row.try_get::<i64, _>(0)?;
        let oldest_created_at_ms = row.try_get::<Option<i64>, _>(1)?;
        let rows = sqlx::query(
            "SELECT route, COUNT(*), MAX(last_error) FROM queue WHERE attempts > 0 AND last_error IS NOT NULL \
             GROUP BY route ORDER BY COUNT(*) DESC, route LIMIT $1",
        )
        .bind(max_failing)
        .fetch_all(&self.pool)
        .await?;
        let mut failing = Vec::with_capacity(rows.len());
        for row in rows {
            failing.push(FailingDestination {
                route: row.try_get::<String, _>(0)?,
                entries: row.try_get::<i64, _>(1)?,
                last_error: row.try_get::<Option<String>, _>(2)?.unwrap_or_default(),
            });
        }
        Ok(QueueSummary { length, oldest_created_at_ms, failing })
    }


    /// A delivery attempt finished for good (all recipients accepted, or refused
    /// for good and bounced): removes the entry and, when nothing else refers to
    /// it, the message. `outcome` is written on the log row for the admin.
    pub async fn finish(&self, entry: &QueueEntry, outcome: &str) -> Result<()> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let request = WriteRequest::Finish {
            entry: entry.clone(),
            outcome: outcome.to_owned(),
            reply,
        };
        self.submit(request, answer).await
    }


    /// Every delivery attempt of the log row `log_id`, oldest first (at most
    /// 1,000: a message retried for days has a few hundred).
    pub async fn delivery_attempts(&self, log_id: i64) -> Result<Vec<DeliveryAttempt>> {
        let rows = sqlx::query(
            "SELECT attempted_at, route, outcome FROM delivery_attempts WHERE log_id = $1 ORDER BY id LIMIT 1000",
        )
        .bind(log_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DeliveryAttempt {
                    attempted_at_ms: row.try_get(0)?,
                    route: row.try_get(1)?,
                    outcome: row.try_get(2)?,
                })
            })
            .collect()
    }

    /// Keeps the entry for the recipients still pending and schedules the next try.
    pub async fn reschedule(
        &self,
        entry: &QueueEntry,
        pending: &[String],
        next_attempt_ms: i64,
        error: &str,
        error_class: ErrorClass,
    ) -> Result<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE queue SET recipients = $1, next_attempt_at = $2, attempts = attempts + 1, \
             last_error = $3, locked_until = 0, lease_owner = NULL WHERE id = $4",
        )
        .bind(records::to_json(pending))
        .bind(next_attempt_ms)
        .bind(error)
        .bind(&entry.id)
        .execute(&mut *tx)
        .await?;
        if let Some(log_id) = entry.log_id {
            let outcome = format!("deferred: {error}");
            sqlx::query("UPDATE log SET delivery = $1, error_class = $2 WHERE id = $3")
                .bind(&outcome)
                .bind(error_class.as_str())
                .bind(log_id)
                .execute(&mut *tx)
                .await?;
            record_attempt(&mut tx, log_id, &entry.route, &outcome).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Removes a delivered (or bounced) queue entry and notes the outcome on its log
/// row. The message itself stays for the training retention (a report may train
/// on it later); [`Store::purge_messages`] removes it.
pub(crate) async fn delete_finished(tx: &mut sqlx::Transaction<'_, sqlx::Any>, entry: &QueueEntry, outcome: &str) -> Result<()> {
    sqlx::query("DELETE FROM queue WHERE id = $1").bind(&entry.id).execute(&mut **tx).await?;
    if let Some(log_id) = entry.log_id {
        sqlx::query("UPDATE log SET delivery = $1 WHERE id = $2")
            .bind(outcome)
            .bind(log_id)
            .execute(&mut **tx)
            .await?;
        record_attempt(tx, log_id, &entry.route, outcome).await?;
    }
    Ok(())
}

/// One row of a log row's delivery history (the log row keeps the latest only).
async fn record_attempt(tx: &mut sqlx::Transaction<'_, sqlx::Any>, log_id: i64, route: &str, outcome: &str) -> Result<()> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64);
    sqlx::query("INSERT INTO delivery_attempts (log_id, attempted_at, route, outcome) VALUES ($1, $2, $3, $4)")
        .bind(log_id)
        .bind(now_ms)
        .bind(route)
        .bind(outcome)
        .execute(&mut **tx)
        .await?;
    Ok(())
}


pub(crate) async fn insert_queue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    message_id: &str,
    log_id: Option<i64>,
    route: &NewQueueEntry,
    now_ms: i64,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO queue (id, message_id, log_id, sender, recipients, route, is_bounce, created_at, \
         next_attempt_at, attempts, last_error, locked_until, outgoing) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 0, NULL, 0, $9)",
    )
    .bind(&id)
    .bind(message_id)
    .bind(log_id)
    .bind(&route.sender)
    .bind(records::to_json(&route.recipients))
    .bind(&route.route)
    .bind(i64::from(route.is_bounce))
    .bind(now_ms)
    .bind(i64::from(route.outgoing))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// One delivery attempt of a logged message (see [`Store::delivery_attempts`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub attempted_at_ms: i64,
    /// The destination route (a domain's `destination`, `host:port`).
    pub route: String,
    /// `delivered ...`, `deferred: ...`, `bounced: ...`, as on the log row.
    pub outcome: String,
}

/// See [`Store::queue_summary`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QueueSummary {
    pub length: i64,
    pub oldest_created_at_ms: Option<i64>,
    pub failing: Vec<FailingDestination>,
}

/// A destination (domain route or `host:port`) whose deliveries are failing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FailingDestination {
    pub route: String,
    pub entries: i64,
    /// One of the errors recorded (the greatest, as text: enough to say why).
    pub last_error: String,
}
