//! Per-user API tokens, kept as hashes: the caller hashes (`sluice-web`), this
//! module only stores and finds. A token dies with its user (`remove_user`
//! deletes them; a lookup also checks that the user still exists).

use sqlx::Row;

use crate::{Result, Store};

/// A token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredApiToken {
    pub user_name: String,
    pub label: String,
    pub created_at_ms: i64,
}

impl Store {
    /// Stores the hash of a new token of `user_name`.
    pub async fn add_api_token(&self, hash: &str, user_name: &str, label: &str, now_ms: i64) -> Result<()> {
        let _writer = self.writer().await;
        sqlx::query("INSERT INTO api_tokens (hash, user_name, label, created_at) VALUES ($1, $2, $3, $4)")
            .bind(hash)
            .bind(user_name.to_ascii_lowercase())
            .bind(label)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user a token hash belongs to, if that user still exists.
    pub async fn api_token_user(&self, hash: &str) -> Result<Option<crate::StoredUser>> {
        let row = sqlx::query("SELECT user_name FROM api_tokens WHERE hash = $1").bind(hash).fetch_optional(&self.pool).await?;
        match row {
            Some(row) => self.get_user(&row.try_get::<String, _>(0)?).await,
            None => Ok(None),
        }
    }

    /// The tokens of a user, oldest first.
    pub async fn api_tokens(&self, user_name: &str) -> Result<Vec<StoredApiToken>> {
        let rows = sqlx::query("SELECT user_name, label, created_at FROM api_tokens WHERE user_name = $1 ORDER BY created_at, label")
            .bind(user_name.to_ascii_lowercase())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(StoredApiToken { user_name: row.try_get(0)?, label: row.try_get(1)?, created_at_ms: row.try_get(2)? }))
            .collect()
    }

    /// Revokes every token of a user; how many there were.
    pub async fn remove_api_tokens(&self, user_name: &str) -> Result<u64> {
        let _writer = self.writer().await;
        let done = sqlx::query("DELETE FROM api_tokens WHERE user_name = $1").bind(user_name.to_ascii_lowercase()).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
