//! Storage: the only crate that speaks SQL.
//!
//! One code path serves SQLite (embedded, the default: nothing to install) and
//! PostgreSQL (several gateway nodes sharing state) through sqlx's `Any` driver.
//! The dialects differ only in their migration directories; every query here uses
//! `$n` placeholders and the primitive types both backends map the same way
//! (timestamps are `i64` milliseconds since the Unix epoch).
//!
//! Durability: SQLite runs in WAL mode with `synchronous = FULL`, so a committed
//! transaction is on disk (fsync'd) when the call returns. The gateway answers `250`
//! only after [`Store::record_message`] has returned, which is what makes an
//! acknowledged message survive `kill -9`.

use std::str::FromStr;
use std::time::Duration;

use rand::RngCore;
use sluice_model::{Action, ErrorClass, MainClass, Subclass};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

mod records;
mod settings;

pub use settings::SettingsScope;
pub use records::{
    Direction, Explanation, LogEntry, LogRow, LoggedFinding, LoggedLookup, NewQueueEntry, PathStep, QuarantineRow,
    QueueEntry, Recorded, Released,
};

/// Everything that can go wrong talking to the database. Callers turn it into an
/// `error` / `database-unavailable` class and a 4xx; they never swallow it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported storage url {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("the store is shut down")]
    Closed,
    #[error("{0}")]
    Batch(String),
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Requests for the group-commit task (see [`Store::record_message`]).
    recorder: tokio::sync::mpsc::Sender<WriteRequest>,
    /// SQLite allows one writer at a time and makes the others poll with sleeps
    /// (its busy handler), which shows as long tail latencies under load; taking
    /// turns here instead costs nothing. `None` on PostgreSQL.
    sqlite_writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// A random 128-bit identifier in hex, for messages, quarantine and queue rows.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://...`), creating the SQLite
    /// file if needed, and applies the built-in migrations.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let url = if is_sqlite && !url.contains("mode=") {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}mode=rwc")
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if is_sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            connection.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let (recorder, requests) = tokio::sync::mpsc::channel(1024);
        let store = Store {
            pool,
            recorder,
            sqlite_writer: is_sqlite.then(Default::default),
        };
        store.migrate(is_sqlite).await?;
        tokio::spawn(store.clone().run_recorder(requests));
        Ok(store)
    }

    /// Waits for this process's turn to write (SQLite only).
    async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.sqlite_writer {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }

    async fn migrate(&self, is_sqlite: bool) -> Result<()> {
        if is_sqlite {
            sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?;
        } else {
            sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
        }
        Ok(())
    }

    /// Succeeds when the database answers a query.
    pub async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Records the outcome of one SMTP transaction: the log row, and with it the
    /// raw message plus its queue rows (`Deliver`) or its quarantine row
    /// (`Quarantine`), all in one transaction. When this returns `Ok`, all of it
    /// is durable.
    ///
    /// Requests from concurrent sessions are committed together (group commit):
    /// one fsync then covers every message that arrived while the previous commit
    /// was being written, which is what keeps throughput up with fsync on.
    pub async fn record_message(
        &self,
        entry: LogEntry,
        raw: Option<Vec<u8>>,
        routes: Vec<NewQueueEntry>,
    ) -> Result<Recorded> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(WriteRequest::Record { entry, raw, routes, reply }, answer).await
    }

    /// Hands a write to the group-commit task and waits for its outcome.
    async fn submit<T>(&self, request: WriteRequest, answer: tokio::sync::oneshot::Receiver<Result<T>>) -> Result<T> {
        if self.recorder.send(request).await.is_err() {
            return Err(StoreError::Closed);
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The group-commit loop behind [`Store::record_message`] and
    /// [`Store::finish`]: the two writes every message makes.
    async fn run_recorder(self, mut requests: tokio::sync::mpsc::Receiver<WriteRequest>) {
        let mut batch = Vec::with_capacity(MAX_GROUP_COMMIT);
        while requests.recv_many(&mut batch, MAX_GROUP_COMMIT).await > 0 {
            let outcome = {
                let _writer = self.writer().await;
                self.write_batch(&batch).await
            };
            match outcome {
                Ok(recorded) => {
                    for (request, recorded) in batch.drain(..).zip(recorded) {
                        request.answer(Ok(recorded));
                    }
                }
                // One bad request must not fail the others: retry each alone.
                Err(error) if batch.len() > 1 => {
                    tracing::warn!(%error, size = batch.len(), "group commit failed; committing one by one");
                    for request in batch.drain(..) {
                        let result = {
                            let _writer = self.writer().await;
                            self.write_batch(std::slice::from_ref(&request)).await
                        };
                        request.answer(result.map(|mut recorded| recorded.remove(0)));
                    }
                }
                Err(error) => {
                    let error = error.to_string();
                    for request in batch.drain(..) {
                        request.answer(Err(StoreError::Batch(error.clone())));
                    }
                }
            }
        }
    }

    async fn write_batch(&self, batch: &[WriteRequest]) -> Result<Vec<Option<Recorded>>> {
        let mut tx = self.pool.begin().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for request in batch {
            outcomes.push(match request {
                WriteRequest::Record { entry, raw, routes, .. } => {
                    Some(insert_record(&mut tx, entry, raw.as_deref(), routes).await?)
                }
                WriteRequest::Finish { entry, outcome, .. } => {
                    delete_finished(&mut tx, entry, outcome).await?;
                    None
                }
            });
        }
        tx.commit().await?;
        Ok(outcomes)
    }

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

    /// The newest log rows first.
    pub async fn list_logs(&self, limit: i64) -> Result<Vec<LogRow>> {
        let rows = sqlx::query(concat!(records::log_select!(), " ORDER BY id DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(records::log_row).collect()
    }

    pub async fn get_log(&self, id: i64) -> Result<Option<LogRow>> {
        let row = sqlx::query(concat!(records::log_select!(), " WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(records::log_row).transpose()
    }

    /// Quarantined messages not yet released, newest first.
    pub async fn list_quarantine(&self, limit: i64) -> Result<Vec<QuarantineRow>> {
        let rows = sqlx::query(concat!(
            records::quarantine_select!(),
            " WHERE released_at IS NULL ORDER BY created_at DESC, id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(records::quarantine_row).collect()
    }

    pub async fn get_quarantine(&self, id: &str) -> Result<Option<QuarantineRow>> {
        let row = sqlx::query(concat!(records::quarantine_select!(), " WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(records::quarantine_row).transpose()
    }

    /// The raw bytes of a stored message.
    pub async fn message_raw(&self, message_id: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT raw FROM messages WHERE id = $1")
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get::<Vec<u8>, _>(0)).transpose()?)
    }

    /// Releases a quarantined message: queues the original for its recipients and
    /// records who released it, in one transaction. Releasing twice is refused
    /// (`Released::AlreadyReleased`) so a double click does not deliver twice.
    pub async fn release_quarantine(
        &self,
        id: &str,
        released_by: &str,
        routes: &[NewQueueEntry],
        now_ms: i64,
    ) -> Result<Released> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT message_id, log_id FROM quarantine WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(Released::NotFound);
        };
        let message_id: String = row.try_get(0)?;
        let log_id: i64 = row.try_get(1)?;
        let updated = sqlx::query(
            "UPDATE quarantine SET released_at = $1, released_by = $2 WHERE id = $3 AND released_at IS NULL",
        )
        .bind(now_ms)
        .bind(released_by)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(Released::AlreadyReleased);
        }
        for route in routes {
            insert_queue(&mut tx, &message_id, Some(log_id), route, now_ms).await?;
        }
        sqlx::query("UPDATE log SET delivery = $1 WHERE id = $2")
            .bind(format!("released by {released_by}"))
            .bind(log_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Released::Queued { message_id, log_id })
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
             RETURNING id, message_id, log_id, sender, recipients, route, is_bounce, created_at, attempts",
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
            sqlx::query("UPDATE log SET delivery = $1, error_class = $2 WHERE id = $3")
                .bind(format!("deferred: {error}"))
                .bind(error_class.as_str())
                .bind(log_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Retention: forgets quarantine rows created before `quarantine_before_ms`
    /// (released or not) and released ones released before `messages_before_ms`,
    /// then deletes stored messages older than `messages_before_ms` that no queue
    /// entry and no remaining quarantine row needs. Returns the messages deleted.
    pub async fn purge(&self, messages_before_ms: i64, quarantine_before_ms: i64) -> Result<u64> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM quarantine WHERE created_at < $1 OR released_at < $2")
            .bind(quarantine_before_ms)
            .bind(messages_before_ms)
            .execute(&mut *tx)
            .await?;
        let purged = sqlx::query(
            "DELETE FROM messages WHERE created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM queue WHERE queue.message_id = messages.id) \
             AND NOT EXISTS (SELECT 1 FROM quarantine WHERE quarantine.message_id = messages.id)",
        )
        .bind(messages_before_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(purged.rows_affected())
    }

    /// Appends what a node learned, in one transaction; returns the row ids
    /// other nodes replay them by, in order.
    pub async fn append_deltas(&self, node: &str, deltas: &[Vec<u8>], now_ms: i64) -> Result<Vec<i64>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(deltas.len());
        for delta in deltas {
            let row = sqlx::query("INSERT INTO token_deltas (created_at, node, delta) VALUES ($1, $2, $3) RETURNING id")
                .bind(now_ms)
                .bind(node)
                .bind(delta.clone())
                .fetch_one(&mut *tx)
                .await?;
            ids.push(row.try_get::<i64, _>(0)?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Stores a cluster-model snapshot that includes every learning row up to
    /// `covers`, then deletes the rows it covers that are older than
    /// `rows_before_ms` and all older snapshots. Returns the rows deleted.
    pub async fn compact_learning(&self, covers: i64, snapshot: &[u8], rows_before_ms: i64, now_ms: i64) -> Result<u64> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("INSERT INTO cluster_snapshots (covers, created_at, snapshot) VALUES ($1, $2, $3) RETURNING id")
            .bind(covers)
            .bind(now_ms)
            .bind(snapshot.to_vec())
            .fetch_one(&mut *tx)
            .await?;
        let id: i64 = row.try_get(0)?;
        sqlx::query("DELETE FROM cluster_snapshots WHERE id < $1").bind(id).execute(&mut *tx).await?;
        let deleted = sqlx::query("DELETE FROM token_deltas WHERE id <= $1 AND created_at < $2")
            .bind(covers)
            .bind(rows_before_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected())
    }

    /// The newest cluster-model snapshot: the last learning row it covers and its bytes.
    pub async fn latest_snapshot(&self) -> Result<Option<(i64, Vec<u8>)>> {
        let row = sqlx::query("SELECT covers, snapshot FROM cluster_snapshots ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<Vec<u8>, _>(1)?))).transpose()
    }

    /// How many learning rows come after `id`.
    pub async fn deltas_count_after(&self, id: i64) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) FROM token_deltas WHERE id > $1").bind(id).fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Learning rows after `after_id`, oldest first, at most `limit`.
    pub async fn deltas_after(&self, after_id: i64, limit: i64) -> Result<Vec<(i64, Vec<u8>)>> {
        let rows = sqlx::query("SELECT id, delta FROM token_deltas WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<Vec<u8>, _>(1)?)))
            .collect()
    }

    /// Writes a log row that has no message (SMTP-time refusals, lost connections).
    pub async fn log_event(&self, entry: &LogEntry) -> Result<i64> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let id = insert_log(&mut tx, entry, None, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Sets the error class of a log row (e.g. the destination refused it for good).
    pub async fn set_log_error(&self, log_id: i64, error_class: ErrorClass, delivery: &str) -> Result<()> {
        let _writer = self.writer().await;
        sqlx::query("UPDATE log SET error_class = $1, delivery = $2 WHERE id = $3")
            .bind(error_class.as_str())
            .bind(delivery)
            .bind(log_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Most SMTP transactions committed together.
const MAX_GROUP_COMMIT: usize = 64;

/// A write waiting for the group commit.
enum WriteRequest {
    Record {
        entry: LogEntry,
        raw: Option<Vec<u8>>,
        routes: Vec<NewQueueEntry>,
        reply: tokio::sync::oneshot::Sender<Result<Recorded>>,
    },
    Finish {
        entry: QueueEntry,
        outcome: String,
        reply: tokio::sync::oneshot::Sender<Result<()>>,
    },
}

impl WriteRequest {
    /// Answers the caller; `recorded` is `Some` exactly for `Record`.
    fn answer(self, result: Result<Option<Recorded>>) {
        match self {
            WriteRequest::Record { reply, .. } => {
                let _ = reply.send(result.and_then(|recorded| {
                    recorded.ok_or_else(|| StoreError::Batch("record without an outcome".to_owned()))
                }));
            }
            WriteRequest::Finish { reply, .. } => {
                let _ = reply.send(result.map(|_| ()));
            }
        }
    }
}

/// Removes a delivered (or bounced) queue entry and notes the outcome on its log
/// row. The message itself stays for the training retention (a report may train
/// on it later); [`Store::purge_messages`] removes it.
async fn delete_finished(tx: &mut sqlx::Transaction<'_, sqlx::Any>, entry: &QueueEntry, outcome: &str) -> Result<()> {
    sqlx::query("DELETE FROM queue WHERE id = $1").bind(&entry.id).execute(&mut **tx).await?;
    if let Some(log_id) = entry.log_id {
        sqlx::query("UPDATE log SET delivery = $1 WHERE id = $2")
            .bind(outcome)
            .bind(log_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert_record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    entry: &LogEntry,
    raw: Option<&[u8]>,
    routes: &[NewQueueEntry],
) -> Result<Recorded> {
    let message_id = match raw {
        Some(raw) if matches!(entry.action, Action::Deliver | Action::Quarantine) => {
            let id = new_id();
            sqlx::query("INSERT INTO messages (id, raw, created_at) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(raw)
                .bind(entry.received_at_ms)
                .execute(&mut **tx)
                .await?;
            Some(id)
        }
        _ => None,
    };
    let quarantine_id = (entry.action == Action::Quarantine && message_id.is_some()).then(new_id);
    let log_id = insert_log(tx, entry, message_id.as_deref(), quarantine_id.as_deref()).await?;
    if let (Some(quarantine_id), Some(message_id)) = (&quarantine_id, &message_id) {
        sqlx::query(
            "INSERT INTO quarantine (id, message_id, log_id, created_at, sender, recipients, subject, \
             main_class, sub_class) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(quarantine_id)
        .bind(message_id)
        .bind(log_id)
        .bind(entry.received_at_ms)
        .bind(&entry.sender)
        .bind(records::to_json(&entry.recipients))
        .bind(&entry.subject)
        .bind(entry.main_class.as_str())
        .bind(entry.sub_class.as_str())
        .execute(&mut **tx)
        .await?;
    }
    if entry.action == Action::Deliver
        && let Some(message_id) = &message_id
    {
        for route in routes {
            insert_queue(tx, message_id, Some(log_id), route, entry.received_at_ms).await?;
        }
    }
    Ok(Recorded {
        log_id,
        message_id,
        quarantine_id,
    })
}

async fn insert_log(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    entry: &LogEntry,
    message_id: Option<&str>,
    quarantine_id: Option<&str>,
) -> Result<i64> {
    let row: AnyRow = sqlx::query(
        "INSERT INTO log (message_id, received_at, direction, client_ip, helo, sender, recipients, subject, \
         main_class, sub_class, error_class, extra_class, score, reply, action, quarantine_id, explanation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(message_id)
    .bind(entry.received_at_ms)
    .bind(entry.direction.as_str())
    .bind(&entry.client_ip)
    .bind(&entry.helo)
    .bind(&entry.sender)
    .bind(records::to_json(&entry.recipients))
    .bind(&entry.subject)
    .bind(entry.main_class.as_str())
    .bind(entry.sub_class.as_str())
    .bind(entry.error_class.map(ErrorClass::as_str))
    .bind(&entry.extra_class)
    .bind(entry.score)
    .bind(&entry.reply)
    .bind(entry.action.as_str())
    .bind(quarantine_id)
    .bind(serde_json::to_string(&entry.explanation).unwrap_or_else(|_| "{}".to_owned()))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}

async fn insert_queue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    message_id: &str,
    log_id: Option<i64>,
    route: &NewQueueEntry,
    now_ms: i64,
) -> Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO queue (id, message_id, log_id, sender, recipients, route, is_bounce, created_at, \
         next_attempt_at, attempts, last_error, locked_until) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 0, NULL, 0)",
    )
    .bind(&id)
    .bind(message_id)
    .bind(log_id)
    .bind(&route.sender)
    .bind(records::to_json(&route.recipients))
    .bind(&route.route)
    .bind(i64::from(route.is_bounce))
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Parses a stored class name, reporting corruption instead of panicking.
fn parse_class<T>(parse: fn(&str) -> std::result::Result<T, sluice_model::UnknownName>, text: &str) -> Result<T> {
    parse(text).map_err(|error| StoreError::Corrupt(error.to_string()))
}

#[cfg(test)]
mod tests;

/// Exposed for the records module.
pub(crate) fn main_class(text: &str) -> Result<MainClass> {
    parse_class(MainClass::parse, text)
}

pub(crate) fn sub_class(text: &str) -> Result<Subclass> {
    parse_class(Subclass::parse, text)
}
