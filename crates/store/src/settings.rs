//! Filtering settings at three scopes (global defaults, domains, mailboxes), as the
//! JSON object of the keys set at each; every node reads them back to follow a
//! change made on another.

use sqlx::Row;

use crate::{Result, Store, StoreError};

/// Where a set of settings applies; the narrowest set value wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SettingsScope {
    /// Every domain's defaults (the `[defaults]` table); its name is empty.
    Global,
    /// One configured domain, by its lower-case name.
    Domain,
    /// One address, lower case.
    Mailbox,
}

impl SettingsScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SettingsScope::Global => "global",
            SettingsScope::Domain => "domain",
            SettingsScope::Mailbox => "mailbox",
        }
    }

    fn parse(text: &str) -> Result<SettingsScope> {
        match text {
            "global" => Ok(SettingsScope::Global),
            "domain" => Ok(SettingsScope::Domain),
            "mailbox" => Ok(SettingsScope::Mailbox),
            other => Err(StoreError::Corrupt(format!("settings scope {other:?}"))),
        }
    }
}

impl Store {
    /// Seeds one scope's settings from the configuration file: written when the
    /// scope has no row yet, or when the file's settings (`seed`) changed since they
    /// were last seeded; otherwise what the API stored stays. Returns the settings
    /// in force (JSON).
    pub async fn seed_settings(&self, scope: SettingsScope, name: &str, seed: &str, now_ms: i64) -> Result<String> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT settings, seed FROM scoped_settings WHERE scope = $1 AND name = $2")
            .bind(scope.as_str())
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let current = match row {
            Some(row) if row.try_get::<String, _>(1)? == seed => row.try_get::<String, _>(0)?,
            Some(_) => {
                sqlx::query(
                    "UPDATE scoped_settings SET settings = $1, seed = $1, updated_at = $2 WHERE scope = $3 AND name = $4",
                )
                .bind(seed)
                .bind(now_ms)
                .bind(scope.as_str())
                .bind(name)
                .execute(&mut *tx)
                .await?;
                seed.to_owned()
            }
            None => {
                sqlx::query(
                    "INSERT INTO scoped_settings (scope, name, settings, seed, updated_at) VALUES ($1, $2, $3, $3, $4)",
                )
                .bind(scope.as_str())
                .bind(name)
                .bind(seed)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                seed.to_owned()
            }
        };
        tx.commit().await?;
        Ok(current)
    }

    /// Stores one scope's settings as changed through the API (the file's seed of
    /// the scope, if any, stays: the file wins again only when it changes).
    pub async fn set_settings(&self, scope: SettingsScope, name: &str, settings: &str, now_ms: i64) -> Result<()> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO scoped_settings (scope, name, settings, seed, updated_at) VALUES ($1, $2, $3, '', $4) \
             ON CONFLICT (scope, name) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        )
        .bind(scope.as_str())
        .bind(name)
        .bind(settings)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every scope's stored settings (JSON), for nodes to pick up changes.
    pub async fn all_settings(&self) -> Result<Vec<(SettingsScope, String, String)>> {
        let rows = sqlx::query("SELECT scope, name, settings FROM scoped_settings").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    SettingsScope::parse(&row.try_get::<String, _>(0)?)?,
                    row.try_get::<String, _>(1)?,
                    row.try_get::<String, _>(2)?,
                ))
            })
            .collect()
    }
}
