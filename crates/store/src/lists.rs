//! The allow and block lists, one row per entry, as plain text columns: what the
//! kinds, scopes, fields and values mean (and their validation) is sluice-core's
//! (`checks::lists`); this module only keeps them. Every node reloads the entries
//! when [`Store::list_version`] changes.

use sqlx::Row;

use crate::{Result, Store};

/// One stored list entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredListEntry {
    pub id: i64,
    /// `allow` or `block`.
    pub kind: String,
    /// `global`, `domain:NAME` or `mailbox:ADDRESS`.
    pub scope: String,
    pub field: String,
    pub value: String,
    pub unauthenticated: bool,
}

/// A new entry, already validated.
#[derive(Clone, Debug)]
pub struct NewListEntry<'a> {
    pub kind: &'a str,
    pub scope: &'a str,
    pub field: &'a str,
    pub value: &'a str,
    pub unauthenticated: bool,
}

fn entry(row: &sqlx::any::AnyRow) -> Result<StoredListEntry> {
    Ok(StoredListEntry {
        id: row.try_get(0)?,
        kind: row.try_get(1)?,
        scope: row.try_get(2)?,
        field: row.try_get(3)?,
        value: row.try_get(4)?,
        unauthenticated: row.try_get::<i64, _>(5)? != 0,
    })
}


impl Store {
    /// Adds entries in one transaction (a bulk import is all or nothing); returns
    /// their ids in order.
    pub async fn add_list_entries(&self, entries: &[NewListEntry<'_>], now_ms: i64) -> Result<Vec<i64>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(entries.len());
        for new in entries {
            let row = sqlx::query(
                "INSERT INTO list_entries (kind, scope, field, value, unauthenticated, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(new.kind)
            .bind(new.scope)
            .bind(new.field)
            .bind(new.value)
            .bind(i64::from(new.unauthenticated))
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(row.try_get(0)?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Removes one entry of list `kind`; false when there is none with that id.
    pub async fn remove_list_entry(&self, kind: &str, id: i64) -> Result<bool> {
        let _writer = self.writer().await;
        let done = sqlx::query("DELETE FROM list_entries WHERE kind = $1 AND id = $2").bind(kind).bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// The entries of list `kind`, of one scope or of all, by id.
    pub async fn list_entries(&self, kind: &str, scope: Option<&str>) -> Result<Vec<StoredListEntry>> {
        let rows = match scope {
            Some(scope) => {
                sqlx::query("SELECT id, kind, scope, field, value, unauthenticated FROM list_entries WHERE kind = $1 AND scope = $2 ORDER BY id")
                    .bind(kind)
                    .bind(scope)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT id, kind, scope, field, value, unauthenticated FROM list_entries WHERE kind = $1 ORDER BY id")
                    .bind(kind)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(entry).collect()
    }

    /// Every entry of both lists, by id (what a node compiles its matcher from).
    pub async fn all_list_entries(&self) -> Result<Vec<StoredListEntry>> {
        let rows = sqlx::query("SELECT id, kind, scope, field, value, unauthenticated FROM list_entries ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter().map(entry).collect()
    }

    /// Changes whenever an entry is added or removed: (largest id, count). Ids are
    /// never reused, so an addition raises the first and a removal lowers the second.
    pub async fn list_version(&self) -> Result<(i64, i64)> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0), COUNT(*) FROM list_entries").fetch_one(&self.pool).await?;
        Ok((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?))
    }
}
