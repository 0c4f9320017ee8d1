//! Stored message bytes: read back for delivery, release and training, and
//! deleted past their retention.

use sqlx::Row;

use crate::{Result, Store};

impl Store {

    /// The raw bytes of a stored message.
    pub async fn message_raw(&self, message_id: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT raw FROM messages WHERE id = $1")
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get::<Vec<u8>, _>(0)).transpose()?)
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
}
