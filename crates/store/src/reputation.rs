//! Sender reputation shared by the nodes (`sender_reputation`,
//! `reputation_sources`): each node adds its batch of scaled counts with plain
//! additions and reads back the rows changed since its last read.

use sqlx::Row;

use crate::{Result, Store};

/// Counts of one sender, in the stored (epoch-scaled) form: a batch to add, or
/// the cluster's totals read back.
#[derive(Clone, Debug, PartialEq)]
pub struct ReputationRow {
    /// `network` or `domain`.
    pub kind: String,
    pub sender: String,
    pub accepted: f64,
    pub refused: f64,
    pub reported: f64,
    pub released: f64,
}

impl Store {
    /// Adds each row's counts to the stored ones (a new sender starts at zero),
    /// marking the rows changed at `now_ms`, and remembers which senders each
    /// message of `sources` counted for (`(log id, network, domain)`), in one
    /// transaction.
    pub async fn add_to_reputation(
        &self,
        rows: &[ReputationRow],
        sources: &[(i64, Option<String>, Option<String>)],
        now_ms: i64,
    ) -> Result<()> {
        if rows.is_empty() && sources.is_empty() {
            return Ok(());
        }
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        for row in rows {
            sqlx::query(
                "INSERT INTO sender_reputation (kind, sender, accepted, refused, reported, released, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (kind, sender) DO UPDATE SET \
                 accepted = sender_reputation.accepted + excluded.accepted, \
                 refused = sender_reputation.refused + excluded.refused, \
                 reported = sender_reputation.reported + excluded.reported, \
                 released = sender_reputation.released + excluded.released, \
                 updated_ms = excluded.updated_ms",
            )
            .bind(&row.kind)
            .bind(&row.sender)
            .bind(row.accepted)
            .bind(row.refused)
            .bind(row.reported)
            .bind(row.released)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        for (log_id, network, domain) in sources {
            sqlx::query(
                "INSERT INTO reputation_sources (log_id, network, domain, created_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (log_id) DO NOTHING",
            )
            .bind(log_id)
            .bind(network.as_deref())
            .bind(domain.as_deref())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The rows changed at or after `since_ms`, at most `limit` of them (the
    /// most recently changed first).
    pub async fn reputation_since(&self, since_ms: i64, limit: i64) -> Result<Vec<(ReputationRow, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, sender, accepted, refused, reported, released, updated_ms FROM sender_reputation \
             WHERE updated_ms >= $1 ORDER BY updated_ms DESC LIMIT $2",
        )
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    ReputationRow {
                        kind: row.try_get(0)?,
                        sender: row.try_get(1)?,
                        accepted: row.try_get(2)?,
                        refused: row.try_get(3)?,
                        reported: row.try_get(4)?,
                        released: row.try_get(5)?,
                    },
                    row.try_get(6)?,
                ))
            })
            .collect()
    }

    /// Deletes the senders whose stored total is under `below` (the caller
    /// scales "one message today" into the stored form); the number deleted.
    pub async fn expire_reputation(&self, below: f64) -> Result<u64> {
        let _writer = self.writer().await;
        let done = sqlx::query("DELETE FROM sender_reputation WHERE accepted + refused + reported + released < $1")
            .bind(below)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// The senders the message logged as `log_id` counted for: `(network, domain)`.
    pub async fn reputation_source(&self, log_id: i64) -> Result<Option<(Option<String>, Option<String>)>> {
        let row = sqlx::query("SELECT network, domain FROM reputation_sources WHERE log_id = $1")
            .bind(log_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).transpose()
    }

    /// Deletes the sources of messages logged before `before_ms`.
    pub async fn expire_reputation_sources(&self, before_ms: i64) -> Result<u64> {
        let _writer = self.writer().await;
        let done = sqlx::query("DELETE FROM reputation_sources WHERE created_ms < $1").bind(before_ms).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
