//! The filtering rules, one row per rule, as plain text columns: what the scopes,
//! fields, operators and values mean (and their validation) is sluice-core's
//! (`checks::rules`); this module only keeps them. Every node reloads the rules
//! when [`Store::rule_version`] changes.

use sqlx::Row;

use crate::{Result, Store};

/// One stored rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRule {
    pub id: i64,
    pub name: String,
    /// `global`, `domain:NAME` or `mailbox:ADDRESS`.
    pub scope: String,
    pub field: String,
    /// The header name for field `header`; empty otherwise.
    pub header: String,
    pub operator: String,
    pub value: String,
    /// `allow` or `block`.
    pub action: String,
    pub enabled: bool,
}

/// A new or changed rule, already validated.
#[derive(Clone, Debug)]
pub struct NewRule<'a> {
    pub name: &'a str,
    pub scope: &'a str,
    pub field: &'a str,
    pub header: &'a str,
    pub operator: &'a str,
    pub value: &'a str,
    pub action: &'a str,
    pub enabled: bool,
}

fn rule(row: &sqlx::any::AnyRow) -> Result<StoredRule> {
    Ok(StoredRule {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        scope: row.try_get(2)?,
        field: row.try_get(3)?,
        header: row.try_get(4)?,
        operator: row.try_get(5)?,
        value: row.try_get(6)?,
        action: row.try_get(7)?,
        enabled: row.try_get::<i64, _>(8)? != 0,
    })
}

impl Store {
    /// Adds rules in one transaction (a bulk import is all or nothing); returns
    /// their ids in order.
    pub async fn add_rules(&self, rules: &[NewRule<'_>], now_ms: i64) -> Result<Vec<i64>> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(rules.len());
        for new in rules {
            let row = sqlx::query(
                "INSERT INTO rules (name, scope, field, header, operator, value, action, enabled, revision, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT COALESCE(MAX(revision), 0) + 1 FROM rules), $9, $9) RETURNING id",
            )
            .bind(new.name)
            .bind(new.scope)
            .bind(new.field)
            .bind(new.header)
            .bind(new.operator)
            .bind(new.value)
            .bind(new.action)
            .bind(i64::from(new.enabled))
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(row.try_get(0)?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Replaces rule `id`; false when there is none with that id.
    pub async fn update_rule(&self, id: i64, new: &NewRule<'_>, now_ms: i64) -> Result<bool> {
        let _writer = self.writer().await;
        let done = sqlx::query(
            "UPDATE rules SET name = $1, scope = $2, field = $3, header = $4, operator = $5, value = $6, action = $7, enabled = $8, \
             revision = (SELECT COALESCE(MAX(revision), 0) + 1 FROM rules), updated_at = $9 WHERE id = $10",
        )
        .bind(new.name)
        .bind(new.scope)
        .bind(new.field)
        .bind(new.header)
        .bind(new.operator)
        .bind(new.value)
        .bind(new.action)
        .bind(i64::from(new.enabled))
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Removes rule `id`; false when there is none with that id.
    pub async fn remove_rule(&self, id: i64) -> Result<bool> {
        let _writer = self.writer().await;
        let done = sqlx::query("DELETE FROM rules WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    /// Rule `id`, if there is one.
    pub async fn rule(&self, id: i64) -> Result<Option<StoredRule>> {
        let row = sqlx::query("SELECT id, name, scope, field, header, operator, value, action, enabled FROM rules WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(rule).transpose()
    }

    /// The rules of one scope, or all of them, by id (disabled ones included:
    /// this is what a node compiles its matcher from, and what the API shows).
    pub async fn rules(&self, scope: Option<&str>) -> Result<Vec<StoredRule>> {
        let rows = match scope {
            Some(scope) => {
                sqlx::query("SELECT id, name, scope, field, header, operator, value, action, enabled FROM rules WHERE scope = $1 ORDER BY id")
                    .bind(scope)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => sqlx::query("SELECT id, name, scope, field, header, operator, value, action, enabled FROM rules ORDER BY id").fetch_all(&self.pool).await?,
        };
        rows.iter().map(rule).collect()
    }

    /// Changes whenever a rule is added, changed or removed: (largest revision,
    /// count). An addition or a change raises the first, a removal lowers the second.
    pub async fn rule_version(&self) -> Result<(i64, i64)> {
        let row = sqlx::query("SELECT COALESCE(MAX(revision), 0), COUNT(*) FROM rules").fetch_one(&self.pool).await?;
        Ok((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?))
    }
}
