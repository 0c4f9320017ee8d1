//! Keys for signing outgoing mail: DKIM keys (`dkim_keys`, made by `sluice dkim
//! generate`) and the BATV secret of each domain (`batv_secrets`, made on first
//! use). What the keys sign and how is the gateway's (`signing/`); this module
//! keeps them, shared by every node of a cluster.

use sqlx::Row;

use crate::{Result, Store, StoreError};

/// A DKIM key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimKey {
    pub id: i64,
    /// Lower case, as configured.
    pub domain: String,
    pub selector: String,
    /// `rsa` or `ed25519`.
    pub algorithm: String,
    /// The PKCS#8 DER document.
    pub private_key: Vec<u8>,
    pub created_at_ms: i64,
    pub active: bool,
}

/// A key to add (`sluice dkim generate`).
#[derive(Clone, Copy, Debug)]
pub struct NewDkimKey<'a> {
    pub domain: &'a str,
    pub selector: &'a str,
    pub algorithm: &'a str,
    pub private_key: &'a [u8],
}

const KEY_COLUMNS: &str = "id, domain, selector, algorithm, private_key, created_at, active";

fn dkim_key(row: &sqlx::any::AnyRow) -> Result<DkimKey> {
    Ok(DkimKey {
        id: row.try_get(0)?,
        domain: row.try_get(1)?,
        selector: row.try_get(2)?,
        algorithm: row.try_get(3)?,
        private_key: row.try_get(4)?,
        created_at_ms: row.try_get(5)?,
        active: row.try_get::<i64, _>(6)? != 0,
    })
}

impl Store {
    /// Adds an active DKIM key; `None` when the domain already has a key with
    /// that selector (nothing is changed then).
    pub async fn add_dkim_key(&self, key: NewDkimKey<'_>, now_ms: i64) -> Result<Option<i64>> {
        let _writer = self.writer().await;
        let row = sqlx::query(
            "INSERT INTO dkim_keys (domain, selector, algorithm, private_key, created_at, active) \
             VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (domain, selector) DO NOTHING RETURNING id",
        )
        .bind(key.domain)
        .bind(key.selector)
        .bind(key.algorithm)
        .bind(key.private_key)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| row.try_get(0).map_err(StoreError::from)).transpose()
    }

    /// Every DKIM key, by domain then age (oldest first); one domain's with `domain`.
    pub async fn dkim_keys(&self, domain: Option<&str>) -> Result<Vec<DkimKey>> {
        let rows = match domain {
            Some(domain) => {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM dkim_keys WHERE domain = $1 ORDER BY id")))
                    .bind(domain)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {KEY_COLUMNS} FROM dkim_keys ORDER BY domain, id")))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(dkim_key).collect()
    }

    /// The keys that sign `domain`'s mail: its newest active key of each
    /// algorithm (an Ed25519 signature beside an RSA one, as RFC 8463 advises,
    /// since many receivers know only RSA), in the order they were made.
    pub async fn signing_keys(&self, domain: &str) -> Result<Vec<DkimKey>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM dkim_keys WHERE domain = $1 AND active = 1 ORDER BY id DESC"
        )))
        .bind(domain)
        .fetch_all(&self.pool)
        .await?;
        let mut newest: Vec<DkimKey> = Vec::new();
        for key in rows.iter().map(dkim_key) {
            let key = key?;
            if !newest.iter().any(|signing| signing.algorithm == key.algorithm) {
                newest.push(key);
            }
        }
        newest.reverse();
        Ok(newest)
    }

    /// Removes `domain`'s key with `selector`; false when there is none.
    pub async fn remove_dkim_key(&self, domain: &str, selector: &str) -> Result<bool> {
        let _writer = self.writer().await;
        let removed = sqlx::query("DELETE FROM dkim_keys WHERE domain = $1 AND selector = $2")
            .bind(domain)
            .bind(selector)
            .execute(&self.pool)
            .await?;
        Ok(removed.rows_affected() > 0)
    }

    /// Every domain's BATV secret (for `sluice explain`, which makes none).
    pub async fn batv_secrets(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = sqlx::query("SELECT domain, secret FROM batv_secrets ORDER BY domain").fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    /// `domain`'s BATV secret; `fresh` is stored first when it has none. Two nodes
    /// asking at once both get the one that was stored first.
    pub async fn batv_secret(&self, domain: &str, fresh: &[u8], now_ms: i64) -> Result<Vec<u8>> {
        let stored = sqlx::query("SELECT secret FROM batv_secrets WHERE domain = $1").bind(domain).fetch_optional(&self.pool).await?;
        if let Some(row) = stored {
            return Ok(row.try_get(0)?);
        }
        {
            let _writer = self.writer().await;
            sqlx::query("INSERT INTO batv_secrets (domain, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (domain) DO NOTHING")
                .bind(domain)
                .bind(fresh)
                .bind(now_ms)
                .execute(&self.pool)
                .await?;
        }
        let row = sqlx::query("SELECT secret FROM batv_secrets WHERE domain = $1").bind(domain).fetch_one(&self.pool).await?;
        Ok(row.try_get(0)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::stores;

    #[tokio::test]
    async fn dkim_keys_are_added_once_per_selector_the_newest_of_each_algorithm_signs_and_removed() {
        for (backend, store, _dir) in stores().await {
            let key = |selector| NewDkimKey { domain: "example.test", selector, algorithm: "rsa", private_key: b"der" };
            let first = store.add_dkim_key(key("s1"), 1_000).await.expect("add");
            assert!(first.is_some(), "{backend}");
            assert_eq!(store.add_dkim_key(key("s1"), 2_000).await.expect("add again"), None, "{backend}: selector taken");
            store.add_dkim_key(NewDkimKey { algorithm: "ed25519", ..key("s2") }, 3_000).await.expect("add").expect("id");
            store.add_dkim_key(key("s3"), 4_000).await.expect("add").expect("id");
            let selectors = |keys: Vec<DkimKey>| keys.into_iter().map(|key| key.selector).collect::<Vec<_>>();
            // The newest of each algorithm: s3 (rsa, over s1) and s2 (ed25519).
            let signing = store.signing_keys("example.test").await.expect("read");
            assert_eq!(signing.iter().map(|key| (key.selector.as_str(), key.algorithm.as_str())).collect::<Vec<_>>(), [("s2", "ed25519"), ("s3", "rsa")], "{backend}");
            assert!(signing.iter().all(|key| key.active && key.private_key == b"der"), "{backend}");
            assert!(store.signing_keys("other.test").await.expect("read").is_empty(), "{backend}");
            assert_eq!(selectors(store.dkim_keys(None).await.expect("list")), ["s1", "s2", "s3"], "{backend}");
            assert!(store.remove_dkim_key("example.test", "s3").await.expect("remove"), "{backend}");
            assert!(!store.remove_dkim_key("example.test", "s3").await.expect("remove again"), "{backend}");
            assert_eq!(selectors(store.signing_keys("example.test").await.expect("read")), ["s1", "s2"], "{backend}: the older rsa key signs again");
        }
    }

    #[tokio::test]
    async fn the_first_batv_secret_stored_is_kept() {
        for (backend, store, _dir) in stores().await {
            let first = store.batv_secret("example.test", b"first", 1).await.expect("secret");
            assert_eq!(first, b"first", "{backend}");
            let again = store.batv_secret("example.test", b"second", 2).await.expect("secret");
            assert_eq!(again, b"first", "{backend}: another node gets the stored secret");
            assert_eq!(store.batv_secret("other.test", b"other", 3).await.expect("secret"), b"other", "{backend}");
            let all = store.batv_secrets().await.expect("all");
            assert_eq!(all, [("example.test".to_owned(), b"first".to_vec()), ("other.test".to_owned(), b"other".to_vec())], "{backend}");
        }
    }
}
