//! The people who log in to the web interface, their web sessions, and who may
//! see which log and quarantine rows ([`Audience`]).
//!
//! A user's name is stored lower case (a mailbox user's name is its address, and
//! addresses are compared without regard to case). The password is kept only as
//! the PHC string the caller hashed (argon2id, `sluice-web`): this crate never
//! sees a password.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, StoreError};

/// What a user may do and see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// The rows of its domains only.
    DomainAdmin,
    /// A mailbox: the rows of its own address only.
    User,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::DomainAdmin, Role::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DomainAdmin => "domain-admin",
            Role::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUser {
    pub name: String,
    pub role: Role,
    /// The domains a domain admin administers (lower case); empty for the others.
    pub domains: Vec<String>,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl StoredUser {
    /// Which rows this user may see.
    pub fn audience(&self) -> Audience {
        match self.role {
            Role::Admin => Audience::Everything,
            Role::DomainAdmin => Audience::Domains(self.domains.clone()),
            Role::User => Audience::Mailbox(self.name.clone()),
        }
    }
}

/// Whose log and quarantine rows a reader may see: a row is visible when one of
/// its recipients is in the audience.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    Everything,
    /// Recipients in these domains (lower case; an empty list sees nothing).
    Domains(Vec<String>),
    /// This one address (lower case).
    Mailbox(String),
}

impl Audience {
    /// Whether a row with these recipients is visible. The SQL filter
    /// ([`Audience::sql`]) must agree with this; the store tests check both.
    pub fn sees(&self, recipients: &[String]) -> bool {
        match self {
            Audience::Everything => true,
            Audience::Domains(domains) => recipients.iter().any(|recipient| {
                let recipient = recipient.to_ascii_lowercase();
                recipient
                    .rsplit_once('@')
                    .is_some_and(|(_, domain)| domains.iter().any(|allowed| allowed == domain))
            }),
            Audience::Mailbox(address) => recipients.iter().any(|recipient| recipient.eq_ignore_ascii_case(address)),
        }
    }

    /// Whether a log row is visible: an incoming row by its recipients, an
    /// outgoing one by its sender (whoever sent it; a domain admin sees what its
    /// domains' mailboxes sent). [`Audience::sender_sql`] must agree.
    pub fn sees_row(&self, entry: &crate::LogEntry) -> bool {
        match entry.direction {
            crate::Direction::Incoming => self.sees(&entry.recipients),
            crate::Direction::Outgoing => self.sees_sender(&entry.sender),
        }
    }

    /// Whether a quarantined message is visible: incoming mail by its
    /// recipients, outgoing mail by its sender, as its log row
    /// ([`Audience::sees_row`]). The SQL filter
    /// (`search::Conditions::quarantine_audience`) must agree.
    pub fn sees_quarantined(&self, row: &crate::QuarantineRow) -> bool {
        match row.direction {
            crate::Direction::Incoming => self.sees(&row.recipients),
            crate::Direction::Outgoing => self.sees_sender(&row.sender),
        }
    }

    /// Whether mail sent by `sender` is visible.
    pub fn sees_sender(&self, sender: &str) -> bool {
        let sender = sender.to_ascii_lowercase();
        match self {
            Audience::Everything => true,
            Audience::Domains(domains) => {
                sender.rsplit_once('@').is_some_and(|(_, domain)| domains.iter().any(|allowed| allowed == domain))
            }
            Audience::Mailbox(address) => sender == address.to_ascii_lowercase(),
        }
    }

    /// A SQL condition on the `sender` column (a plain address) and its binds,
    /// numbered from `$first`.
    pub(crate) fn sender_sql(&self, first: usize) -> Option<(String, Vec<String>)> {
        let (operator, patterns): (&str, Vec<String>) = match self {
            Audience::Everything => return None,
            Audience::Domains(domains) => {
                ("LIKE", domains.iter().map(|domain| format!("%@{}", like_escape(&domain.to_ascii_lowercase()))).collect())
            }
            Audience::Mailbox(address) => ("=", vec![address.to_ascii_lowercase()]),
        };
        if patterns.is_empty() {
            return Some(("1 = 0".to_owned(), Vec::new()));
        }
        let escape = if operator == "LIKE" { " ESCAPE '\\'" } else { "" };
        let condition = (0..patterns.len())
            .map(|index| format!("LOWER(sender) {operator} ${}{escape}", first + index))
            .collect::<Vec<_>>()
            .join(" OR ");
        Some((format!("({condition})"), patterns))
    }

    /// A SQL condition on the `recipients` column (a JSON array of strings) and
    /// the `LIKE` patterns to bind for it, numbered from `$first`. Matching the
    /// JSON text is exact because a recipient is always a whole JSON string:
    /// `"bob@example.net"` ends with `@example.net"` and nothing else does.
    pub(crate) fn sql(&self, first: usize) -> Option<(String, Vec<String>)> {
        let patterns: Vec<String> = match self {
            Audience::Everything => return None,
            Audience::Domains(domains) => {
                domains.iter().map(|domain| format!("%@{}\"%", like_escape(&domain.to_ascii_lowercase()))).collect()
            }
            Audience::Mailbox(address) => vec![format!("%\"{}\"%", like_escape(&address.to_ascii_lowercase()))],
        };
        if patterns.is_empty() {
            return Some(("1 = 0".to_owned(), Vec::new()));
        }
        let condition = (0..patterns.len())
            .map(|index| format!("LOWER(recipients) LIKE ${} ESCAPE '\\'", first + index))
            .collect::<Vec<_>>()
            .join(" OR ");
        Some((format!("({condition})"), patterns))
    }
}

/// `text` with the `LIKE` wildcards (and the escape character) escaped by `\`.
pub(crate) fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// A user to add.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub name: &'a str,
    pub role: Role,
    pub domains: &'a [String],
    pub password_hash: &'a str,
}

fn user_row(row: &AnyRow) -> Result<StoredUser> {
    let role: String = row.try_get("role")?;
    let domains: String = row.try_get("domains")?;
    Ok(StoredUser {
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
        domains: serde_json::from_str(&domains).map_err(|error| StoreError::Corrupt(format!("domains {domains:?}: {error}")))?,
        password_hash: row.try_get("password_hash")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

const USER_SELECT: &str = "SELECT name, role, domains, password_hash, created_at, updated_at FROM users";

impl Store {
    /// Adds a user; `false` when one of that name exists (it is left alone).
    pub async fn add_user(&self, user: &NewUser<'_>, now_ms: i64) -> Result<bool> {
        let _writer = self.writer().await;
        let domains: Vec<String> = user.domains.iter().map(|domain| domain.to_ascii_lowercase()).collect();
        let done = sqlx::query(
            "INSERT INTO users (name, role, domains, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(user.name.to_ascii_lowercase())
        .bind(user.role.as_str())
        .bind(serde_json::to_string(&domains).unwrap_or_else(|_| "[]".to_owned()))
        .bind(user.password_hash)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes a user; `false` when there was none of that name. Its sessions
    /// end with it: every request reads the user again.
    pub async fn remove_user(&self, name: &str) -> Result<bool> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name.to_ascii_lowercase())
            .execute(&mut *tx)
            .await?;
        // Its API tokens go with it (a lookup checks the user too).
        sqlx::query("DELETE FROM api_tokens WHERE user_name = $1").bind(name.to_ascii_lowercase()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a user's password hash; `false` when there is no such user.
    pub async fn set_user_password(&self, name: &str, password_hash: &str, now_ms: i64) -> Result<bool> {
        let _writer = self.writer().await;
        let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE name = $3")
            .bind(password_hash)
            .bind(now_ms)
            .bind(name.to_ascii_lowercase())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn get_user(&self, name: &str) -> Result<Option<StoredUser>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{USER_SELECT} WHERE name = $1")))
            .bind(name.to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<StoredUser>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{USER_SELECT} ORDER BY name")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_row).collect()
    }

    /// Inserts a new web session; `false` when the id is taken (the caller draws
    /// another). Sessions that have expired are deleted on the way.
    pub async fn create_web_session(&self, id: &str, data: &str, expires_at_ms: i64, now_ms: i64) -> Result<bool> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1").bind(now_ms).execute(&mut *tx).await?;
        let done = sqlx::query("INSERT INTO web_sessions (id, data, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(data)
            .bind(expires_at_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Writes a web session, creating it if needed.
    pub async fn save_web_session(&self, id: &str, data: &str, expires_at_ms: i64) -> Result<()> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO web_sessions (id, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(data)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A web session's data, unless it is unknown or expired at `now_ms`.
    pub async fn load_web_session(&self, id: &str, now_ms: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT data FROM web_sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.try_get::<String, _>(0)).transpose()?)
    }

    pub async fn delete_web_session(&self, id: &str) -> Result<()> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM web_sessions WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }
}
