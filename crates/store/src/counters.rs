//! Counters shared by the nodes of a cluster: each node adds what it counted
//! since its last batch and reads back the cluster's totals in one transaction.

use sqlx::Row;

use crate::{Result, Store};

/// What one node counted for one counter and window since its last batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CounterDelta {
    pub name: String,
    /// Seconds since the epoch.
    pub window_start: i64,
    pub delta: i64,
}

impl Store {
    /// Adds every delta and returns the cluster's totals after, in the same
    /// order; a delta of 0 only reads the total (0 for a counter not stored).
    pub async fn add_to_counters(&self, deltas: &[CounterDelta]) -> Result<Vec<i64>> {
        if deltas.is_empty() {
            return Ok(Vec::new());
        }
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut totals = Vec::with_capacity(deltas.len());
        for delta in deltas {
            if delta.delta == 0 {
                let row = sqlx::query("SELECT count FROM counters WHERE name = $1 AND window_start = $2")
                    .bind(&delta.name)
                    .bind(delta.window_start)
                    .fetch_optional(&mut *tx)
                    .await?;
                totals.push(row.map(|row| row.try_get::<i64, _>(0)).transpose()?.unwrap_or(0));
                continue;
            }
            let row = sqlx::query(
                "INSERT INTO counters (name, window_start, count) VALUES ($1, $2, $3) \
                 ON CONFLICT (name, window_start) DO UPDATE SET count = counters.count + excluded.count \
                 RETURNING count",
            )
            .bind(&delta.name)
            .bind(delta.window_start)
            .bind(delta.delta)
            .fetch_one(&mut *tx)
            .await?;
            totals.push(row.try_get::<i64, _>(0)?);
        }
        tx.commit().await?;
        Ok(totals)
    }

    /// Deletes the counters of windows that started before `before` (seconds
    /// since the epoch); the number deleted.
    pub async fn expire_counters(&self, before: i64) -> Result<u64> {
        let _writer = self.writer().await;
        let done = sqlx::query("DELETE FROM counters WHERE window_start < $1").bind(before).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
