//! The quarantine: refused messages kept so an admin can release them.

use sqlx::Row;

use crate::queue::insert_queue;
use crate::records;
use crate::{NewQueueEntry, QuarantineRow, Released, Result, Store};

impl Store {

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

    /// Deletes a quarantined message that has not been released (a decision
    /// that it is not wanted): its quarantine row goes, its log row says who
    /// deleted it, and its bytes stay for the training retention so it can
    /// still be reported as spam. `false` when there is no such unreleased row.
    pub async fn delete_quarantine(&self, id: &str, deleted_by: &str) -> Result<bool> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT log_id FROM quarantine WHERE id = $1 AND released_at IS NULL")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let log_id: i64 = row.try_get(0)?;
        sqlx::query("DELETE FROM quarantine WHERE id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("UPDATE log SET delivery = $1, quarantine_id = NULL WHERE id = $2")
            .bind(format!("deleted from the quarantine by {deleted_by}"))
            .bind(log_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
