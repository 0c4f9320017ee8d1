//! What reported spam looked like, as rows every node applies in order to its
//! in-memory fingerprint index (`sluice_core::fingerprints`); bounded by age and
//! by count.

use sqlx::Row;

use crate::{Result, Store};

/// One stored row: a report as spam (`learn`) or a release / report as not spam.
#[derive(Clone, Debug, PartialEq)]
pub struct FingerprintRow {
    pub id: i64,
    pub created_at_ms: i64,
    pub learn: bool,
    /// The fingerprints, as `sluice_core::fingerprints::Fingerprints::to_bytes` wrote them.
    pub fingerprints: Vec<u8>,
}

impl Store {
    /// Appends one report's fingerprints; returns its row id.
    pub async fn append_fingerprints(&self, node: &str, learn: bool, fingerprints: &[u8], now_ms: i64) -> Result<i64> {
        let _writer = self.writer().await;
        let row = sqlx::query(
            "INSERT INTO fingerprint_reports (created_at, node, learn, fingerprints) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(now_ms)
        .bind(node)
        .bind(i64::from(learn))
        .bind(fingerprints.to_vec())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Rows after `after_id` created at or after `since_ms`, oldest first, at most `limit`.
    pub async fn fingerprints_after(&self, after_id: i64, since_ms: i64, limit: i64) -> Result<Vec<FingerprintRow>> {
        let rows = sqlx::query(
            "SELECT id, created_at, learn, fingerprints FROM fingerprint_reports \
             WHERE id > $1 AND created_at >= $2 ORDER BY id LIMIT $3",
        )
        .bind(after_id)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FingerprintRow {
                    id: row.try_get(0)?,
                    created_at_ms: row.try_get(1)?,
                    learn: row.try_get::<i64, _>(2)? != 0,
                    fingerprints: row.try_get(3)?,
                })
            })
            .collect()
    }

    /// Deletes the rows created before `before_ms` and, beyond the newest
    /// `keep_rows`, the oldest. Returns the rows deleted.
    pub async fn expire_fingerprints(&self, before_ms: i64, keep_rows: i64) -> Result<u64> {
        let _writer = self.writer().await;
        let old = sqlx::query("DELETE FROM fingerprint_reports WHERE created_at < $1").bind(before_ms).execute(&self.pool).await?;
        let over = sqlx::query(
            "DELETE FROM fingerprint_reports WHERE id <= \
             (SELECT id FROM fingerprint_reports ORDER BY id DESC LIMIT 1 OFFSET $1)",
        )
        .bind(keep_rows.max(0))
        .execute(&self.pool)
        .await?;
        Ok(old.rows_affected() + over.rows_affected())
    }
}
