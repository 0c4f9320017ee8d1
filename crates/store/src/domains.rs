//! Filtered domains added through the API or the web interface (the file's
//! `[[domains]]` are the configuration's, not stored here). What a valid name or
//! destination is, and which domain wins over which, is the gateway's; this
//! module only keeps them. Every node reloads its domain set when
//! [`Store::domain_version`] changes.

use sqlx::Row;

use crate::{Result, Store};

/// One stored domain, removed ones included (their destination still routes the
/// mail they accepted before).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDomain {
    /// Lower case.
    pub name: String,
    /// `host:port`.
    pub destination: String,
    /// Who added it (a user name, or `admin` for the configuration's token).
    pub added_by: String,
    pub added_at_ms: i64,
    /// When it was removed; `None` while it is filtered.
    pub removed_at_ms: Option<i64>,
}

fn domain(row: &sqlx::any::AnyRow) -> Result<StoredDomain> {
    Ok(StoredDomain {
        name: row.try_get(0)?,
        destination: row.try_get(1)?,
        added_by: row.try_get(2)?,
        added_at_ms: row.try_get(3)?,
        removed_at_ms: row.try_get(4)?,
    })
}

/// What removing a domain took with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemovedDomain {
    /// Settings rows: the domain's scope and its mailboxes'.
    pub settings: u64,
    /// Allow and block list entries scoped to the domain or its mailboxes.
    pub list_entries: u64,
    /// Filtering rules scoped to the domain or its mailboxes.
    pub rules: u64,
}

impl Store {
    /// Adds domain `name` (lower case, validated), or brings back a removed one
    /// with the new destination. False when it is already there.
    pub async fn add_domain(&self, name: &str, destination: &str, added_by: &str, now_ms: i64) -> Result<bool> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "INSERT INTO domains (name, destination, added_by, added_at, removed_by, removed_at) VALUES ($1, $2, $3, $4, NULL, NULL) \
             ON CONFLICT (name) DO UPDATE SET destination = excluded.destination, added_by = excluded.added_by, \
             added_at = excluded.added_at, removed_by = NULL, removed_at = NULL WHERE domains.removed_at IS NOT NULL",
        )
        .bind(name)
        .bind(destination)
        .bind(added_by)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE domain_versions SET version = version + 1 WHERE id = 1").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes domain `name`, and with it what only acted for it: its scope's
    /// settings, its mailboxes' settings, and the list entries and rules scoped
    /// to it or its mailboxes, in one transaction. The row stays, marked removed,
    /// for the mail it queued before. `None` when there is no such domain.
    pub async fn remove_domain(&self, name: &str, removed_by: &str, now_ms: i64) -> Result<Option<RemovedDomain>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE domains SET removed_by = $1, removed_at = $2 WHERE name = $3 AND removed_at IS NULL")
            .bind(removed_by)
            .bind(now_ms)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        // Names are letters, digits, hyphens and dots (the gateway validates
        // them), so they hold no LIKE wildcard; the comparison of the suffix is
        // exact all the same.
        let mailboxes = format!("%@{name}");
        let settings = sqlx::query(
            "DELETE FROM scoped_settings WHERE (scope = 'domain' AND name = $1) \
             OR (scope = 'mailbox' AND name LIKE $2 AND SUBSTR(name, LENGTH(name) - LENGTH($1)) = '@' || $1)",
        )
        .bind(name)
        .bind(&mailboxes)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let scoped = |table: &str| {
            format!(
                "DELETE FROM {table} WHERE scope = 'domain:' || $1 \
                 OR (scope LIKE 'mailbox:' || $2 AND SUBSTR(scope, LENGTH(scope) - LENGTH($1)) = '@' || $1)"
            )
        };
        let list_entries = sqlx::query(sqlx::AssertSqlSafe(scoped("list_entries"))).bind(name).bind(&mailboxes).execute(&mut *tx).await?.rows_affected();
        let rules = sqlx::query(sqlx::AssertSqlSafe(scoped("rules"))).bind(name).bind(&mailboxes).execute(&mut *tx).await?.rows_affected();
        sqlx::query("UPDATE domain_versions SET version = version + 1 WHERE id = 1").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(RemovedDomain { settings, list_entries, rules }))
    }

    /// Every stored domain, removed ones included, by name.
    pub async fn stored_domains(&self) -> Result<Vec<StoredDomain>> {
        let rows = sqlx::query("SELECT name, destination, added_by, added_at, removed_at FROM domains ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(domain).collect()
    }

    /// Goes up with every addition and removal.
    pub async fn domain_version(&self) -> Result<i64> {
        let row = sqlx::query("SELECT version FROM domain_versions WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)?)
    }
}
