//! The greylisting state shared by the cluster: when each triplet was first
//! seen, and which client networks (and sender domains from them) have a
//! history of accepted mail.

use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// When `triplet` was first seen (ms), recording `now_ms` as its first
    /// sighting when it is new or its first sighting is before `expired_before`
    /// (a retry past the window starts over). Returns the first sighting in force.
    pub async fn greylist_sighting(&self, triplet: &str, now_ms: i64, expired_before: i64) -> Result<i64> {
        let _writer = self.writer().await;
        let row = sqlx::query(
            "INSERT INTO greylist_triplets (triplet, first_seen) VALUES ($1, $2) \
             ON CONFLICT (triplet) DO UPDATE SET first_seen = CASE \
                 WHEN greylist_triplets.first_seen < $3 THEN excluded.first_seen \
                 ELSE greylist_triplets.first_seen END \
             RETURNING first_seen",
        )
        .bind(triplet)
        .bind(now_ms)
        .bind(expired_before)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// Mail from `network` (and, when SPF passed, from `sender_domain` through
    /// it) was accepted at `now_ms`.
    pub async fn record_accepted_client(&self, network: &str, spf_passed_domain: Option<&str>, now_ms: i64) -> Result<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO client_history (network, last_accepted) VALUES ($1, $2) \
             ON CONFLICT (network) DO UPDATE SET last_accepted = excluded.last_accepted",
        )
        .bind(network)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if let Some(domain) = spf_passed_domain {
            sqlx::query(
                "INSERT INTO sender_history (network, sender_domain, last_accepted) VALUES ($1, $2, $3) \
                 ON CONFLICT (network, sender_domain) DO UPDATE SET last_accepted = excluded.last_accepted",
            )
            .bind(network)
            .bind(domain)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// When mail from `network` was last accepted, and when mail from
    /// `sender_domain` through it (SPF passing) was.
    pub async fn client_history(&self, network: &str, sender_domain: &str) -> Result<(Option<i64>, Option<i64>)> {
        let client = sqlx::query("SELECT last_accepted FROM client_history WHERE network = $1")
            .bind(network)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get::<i64, _>(0))
            .transpose()?;
        let sender = sqlx::query("SELECT last_accepted FROM sender_history WHERE network = $1 AND sender_domain = $2")
            .bind(network)
            .bind(sender_domain)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get::<i64, _>(0))
            .transpose()?;
        Ok((client, sender))
    }

    /// Deletes triplets first seen before `triplets_before` and history older
    /// than `history_before` (ms); the number of rows deleted.
    pub async fn expire_greylisting(&self, triplets_before: i64, history_before: i64) -> Result<u64> {
        let _writer = self.writer().await;
        let mut deleted = 0;
        deleted += sqlx::query("DELETE FROM greylist_triplets WHERE first_seen < $1").bind(triplets_before).execute(&self.pool).await?.rows_affected();
        deleted += sqlx::query("DELETE FROM client_history WHERE last_accepted < $1").bind(history_before).execute(&self.pool).await?.rows_affected();
        deleted += sqlx::query("DELETE FROM sender_history WHERE last_accepted < $1").bind(history_before).execute(&self.pool).await?.rows_affected();
        Ok(deleted)
    }
}
