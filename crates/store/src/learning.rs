//! What the classifiers learned, as rows every node replays in order, and the
//! snapshots that let old rows go.

use sqlx::Row;

use crate::{Result, Store};

impl Store {

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
}
