//! The log: one row per SMTP transaction outcome (and per refused recipient), read
//! back newest first with what happened to the message since.

use sluice_model::ErrorClass;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::records;
use crate::{LogEntry, LogRow, Result, Store};

impl Store {

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
    .bind(&entry.helo)
    .bind(&entry.sender)
    .bind(records::to_json(&entry.recipients))
    .bind(&entry.subject)
    .bind(entry.main_class.as_str())
    .bind(entry.sub_class.as_str())
    .bind(entry.error_class.map(ErrorClass::as_str))
    .bind(&entry.extra_class)
    // As text: sqlx 0.9's `Any` declares a NULL f64 as PostgreSQL float4, and a
    // statement prepared with one then refuses every real score on that
    // connection. Rust prints the shortest text that reads back exactly.
    .bind(entry.score.map(|score| score.to_string()))
    .bind(&entry.reply)
    .bind(entry.action.as_str())
    .bind(quarantine_id)
    .bind(serde_json::to_string(&entry.explanation).unwrap_or_else(|_| "{}".to_owned()))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}
