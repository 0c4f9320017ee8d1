//! The auth log: SMTP AUTH events an admin must see (a brute-force lockout
//! beginning), one row per event, newest first when read.

use sqlx::Row;

use crate::{Result, Store};

/// One row of the auth log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuthEvent {
    pub id: i64,
    pub at_ms: i64,
    /// The node that saw it.
    pub node: String,
    pub client_ip: String,
    /// The user name tried (empty when the client was locked out before naming one).
    pub username: String,
    /// What happened (`lockout`).
    pub event: String,
    /// What was locked out: `client` or `user`.
    pub scope: String,
    pub detail: String,
}

/// A row to write (see [`Store::log_auth_event`]).
#[derive(Clone, Debug)]
pub struct NewAuthEvent<'a> {
    pub node: &'a str,
    pub client_ip: &'a str,
    pub username: &'a str,
    pub event: &'a str,
    pub scope: &'a str,
    pub detail: &'a str,
}

impl Store {
    pub async fn log_auth_event(&self, event: &NewAuthEvent<'_>, now_ms: i64) -> Result<()> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO auth_log (at, node, client_ip, username, event, scope, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now_ms)
        .bind(event.node)
        .bind(event.client_ip)
        .bind(event.username)
        .bind(event.event)
        .bind(event.scope)
        .bind(event.detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` rows, newest first.
    pub async fn auth_events(&self, limit: i64) -> Result<Vec<AuthEvent>> {
        let rows = sqlx::query(
            "SELECT id, at, node, client_ip, username, event, scope, detail FROM auth_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuthEvent {
                    id: row.try_get("id")?,
                    at_ms: row.try_get("at")?,
                    node: row.try_get("node")?,
                    client_ip: row.try_get("client_ip")?,
                    username: row.try_get("username")?,
                    event: row.try_get("event")?,
                    scope: row.try_get("scope")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }
}
