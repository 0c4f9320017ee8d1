//! The log: one row per SMTP transaction outcome (and per refused recipient), read
//! back newest first with what happened to the message since, and deleted past
//! the log retention ([`Store::purge_log`]).

use sluice_model::ErrorClass;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::records;
use crate::{LogEntry, LogRow, Result, Store, StoreError};

/// How many log rows one retention batch deletes: one short transaction
/// (tens of milliseconds on SQLite with the search indexes' triggers, see
/// `bench/README.md`), so SMTP sessions' commits wait little behind it.
pub const LOG_PURGE_BATCH: i64 = 1_000;

const HOUR_MS: i64 = 3_600_000;

impl Store {

    /// Retention: deletes at most `batch` log rows received before
    /// `before_ms` rounded down to the hour, oldest first, with their delivery
    /// attempts; the triggers of migrations 0019 and 0020 take their rows in the
    /// search indexes and `log_recipients` with them. The dashboard's hourly
    /// counts (`log_counts`, `log_domain_counts`) of the hours before the
    /// oldest row left go too: rows go oldest first, so those hours have no
    /// row any more, and the counts always describe the rows that remain
    /// (the cut on the hour keeps an hour from being half deleted). Returns the
    /// rows deleted: fewer than `batch` when nothing older is left.
    pub async fn purge_log(&self, before_ms: i64, batch: i64) -> Result<u64> {
        let before_ms = before_ms - before_ms.rem_euclid(HOUR_MS);
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query("SELECT id FROM log WHERE received_at < $1 ORDER BY received_at LIMIT $2")
            .bind(before_ms)
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
        let ids = rows.iter().map(|row| row.try_get::<i64, _>(0)).collect::<std::result::Result<Vec<i64>, _>>()?;
        if !ids.is_empty() {
            // Row ids read from the log: numbers, safe to write into the statement.
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            for table_and_column in ["delivery_attempts WHERE log_id", "log WHERE id"] {
                let sql = format!("DELETE FROM {table_and_column} IN ({list})");
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
            }
        }
        let oldest: Option<i64> = sqlx::query("SELECT MIN(received_at) FROM log").fetch_one(&mut *tx).await?.try_get(0)?;
        let counted_from_hour = oldest.unwrap_or(before_ms).min(before_ms).div_euclid(HOUR_MS);
        for table in ["log_counts", "log_domain_counts"] {
            let sql = format!("DELETE FROM {table} WHERE hour < $1");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(counted_from_hour).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
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


    /// Writes a log row that has no message (SMTP-time refusals, lost connections).
    pub async fn log_event(&self, entry: &LogEntry) -> Result<i64> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let written = async {
            let id = insert_log(&mut tx, entry, None, None).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(id)
        };
        written.await.map_err(StoreError::mid_transaction)
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


/// A text of the message or the conversation as a column can hold it: NUL
/// (which a hostile message can put in a Subject, `=?utf-8?q?=00?=`, or an
/// attachment's name) as U+FFFD. PostgreSQL refuses NUL in a text value, and
/// the failed statement would make the message a `database-crash` for ever and
/// fail the group commit it arrived in (`record.rs` then commits the others one
/// by one, an fsync each). SQLite keeps NUL but C string functions stop at it.
pub(crate) fn storable(text: &str) -> String {
    text.replace('\0', "\u{fffd}")
}

/// The most characters of a Subject kept in the log and quarantine rows.
pub(crate) const SUBJECT_MAX: usize = 2000;

/// A Subject as the rows keep it ([`storable`]), cut at [`SUBJECT_MAX`]
/// characters with `…`. A Subject folded over many lines can be megabytes
/// long; each row of the log list would carry all of it to the web
/// interface, and a sender could make the list unusable with a few messages.
/// A Subject is read by people: 2,000 characters is ten times the longest
/// a real one has.
pub(crate) fn storable_subject(subject: &str) -> String {
    match subject.char_indices().nth(SUBJECT_MAX) {
        Some((at, _)) => format!("{}…", storable(&subject[..at])),
        None => storable(subject),
    }
}

pub(crate) async fn insert_log(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    entry: &LogEntry,
    message_id: Option<&str>,
    quarantine_id: Option<&str>,
) -> Result<i64> {
    let row: AnyRow = sqlx::query(
        "INSERT INTO log (message_id, received_at, direction, client_ip, helo, sender, recipients, subject, \
         main_class, sub_class, error_class, extra_class, score, reply, action, quarantine_id, explanation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CAST($13 AS DOUBLE PRECISION), $14, $15, $16, $17) RETURNING id",
    )
    .bind(message_id)
    .bind(entry.received_at_ms)
    .bind(entry.direction.as_str())
    .bind(&entry.client_ip)
    .bind(storable(&entry.helo))
    .bind(storable(&entry.sender))
    .bind(records::to_json(&entry.recipients))
    .bind(storable_subject(&entry.subject))
    .bind(entry.main_class.as_str())
    .bind(entry.sub_class.as_str())
    .bind(entry.error_class.map(ErrorClass::as_str))
    .bind(storable(&entry.extra_class))
    // As text: sqlx 0.9's `Any` declares a NULL f64 as PostgreSQL float4, and a
    // statement prepared with one then refuses every real score on that
    // connection. Rust prints the shortest text that reads back exactly.
    .bind(entry.score.map(|score| score.to_string()))
    .bind(storable(&entry.reply))
    .bind(entry.action.as_str())
    .bind(quarantine_id)
    .bind(serde_json::to_string(&entry.explanation).unwrap_or_else(|_| "{}".to_owned()))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}
