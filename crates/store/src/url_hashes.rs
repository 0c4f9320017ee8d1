//! The URL hash lists (`url_hashes`): full SHA-256 hashes of URL expressions per
//! list, as hex text. What they mean and how URLs are hashed is sluice-core's
//! (`checks::url_hashes`); this module keeps them. An import replaces a list in
//! one transaction; [`Store::url_hash_version`] changes with every import, so each
//! node reloads.

use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// Replaces every hash of `list` with `hashes` (lower-case hex), in one
    /// transaction; returns how many distinct hashes the list now holds.
    pub async fn replace_url_hashes(&self, list: &str, hashes: &[String], now_ms: i64) -> Result<usize> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM url_hashes WHERE list = $1").bind(list).execute(&mut *tx).await?;
        let mut sorted: Vec<&String> = hashes.iter().collect();
        sorted.sort();
        sorted.dedup();
        for hash in &sorted {
            sqlx::query("INSERT INTO url_hashes (list, hash) VALUES ($1, $2)").bind(list).bind(hash.as_str()).execute(&mut *tx).await?;
        }
        let bumped = sqlx::query("UPDATE url_hash_versions SET version = version + 1, imported_at = $2 WHERE list = $1")
            .bind(list)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        if bumped.rows_affected() == 0 {
            sqlx::query("INSERT INTO url_hash_versions (list, version, imported_at) VALUES ($1, 1, $2)")
                .bind(list)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(sorted.len())
    }

    /// Every `(list, hex hash)`.
    pub async fn all_url_hashes(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT list, hash FROM url_hashes ORDER BY list, hash").fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    /// Changes with every import of any list (the sum of the lists' versions).
    pub async fn url_hash_version(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM url_hash_versions").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}
