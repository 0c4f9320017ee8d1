//! Storage: the only crate that speaks SQL.
//!
//! One code path serves SQLite (embedded, the default: nothing to install) and
//! PostgreSQL (several gateway nodes sharing state) through sqlx's `Any` driver.
//! The dialects differ only in their migration directories; every query here uses
//! `$n` placeholders and the primitive types both backends map the same way
//! (timestamps are `i64` milliseconds since the Unix epoch).
//!
//! Durability: SQLite runs in WAL mode with `synchronous = FULL`, so a committed
//! transaction is on disk (fsync'd) when the call returns. The gateway answers `250`
//! only after [`Store::record_message`] has returned, which is what makes an
//! acknowledged message survive `kill -9`.
//!
//! One module per concern: `record` (transactions, group commit), `failure`
//! (unavailable or crashed: what a `StoreError` means for the verdict), `log`,
//! `quarantine`, `queue`, `messages` (bytes and retention), `learning`, `settings`,
//! `users` (web users and sessions), `domains` (the domains added through the API), `signing` (DKIM keys, BATV secrets), `search` (the web interface's log and
//! quarantine searches), `familiarity` (each node's familiarity with the mail stream);
//! `records` maps rows to types.

use std::str::FromStr;
use std::time::Duration;

use rand::RngCore;
use record::WriteRequest;
use sluice_model::{MainClass, Subclass};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

mod api_tokens;
mod auth_log;
mod counters;
mod dashboard;
mod domains;
mod failure;
mod familiarity;
mod fingerprints;
mod greylisting;
mod learning;
mod lists;
mod log;
mod messages;
mod quarantine;
mod queue;
mod record;
mod records;
mod reputation;
mod rules;
mod search;
mod settings;
mod signing;
mod url_hashes;
mod users;

pub use api_tokens::StoredApiToken;
pub use auth_log::{AuthEvent, NewAuthEvent};
pub use counters::CounterDelta;
pub use dashboard::{Dashboard, TOP_SAMPLE, TOP_WINDOW};
pub use domains::{RemovedDomain, StoredDomain};
pub use failure::StoreFailure;
pub use familiarity::{FAMILIARITY_FRESH_FOR_MS, StoredFamiliarity};
pub use fingerprints::FingerprintRow;
pub use reputation::ReputationRow;
pub use lists::{NewListEntry, StoredListEntry};
pub use log::LOG_PURGE_BATCH;
pub use queue::{DeliveryAttempt, FailingDestination, QueueSummary};
pub use rules::{NewRule, StoredRule};
pub use search::{LogPage, LogSearch, QuarantineSearch, UNINDEXED_SCAN_ROWS};
pub use settings::SettingsScope;
pub use signing::{DkimKey, NewDkimKey};
pub use users::{Audience, NewUser, Role, StoredUser};
pub use records::{
    Direction, Explanation, LogEntry, LogRow, LoggedFinding, LoggedLookup, MessageBytes, NewQueueEntry, PathStep, QuarantineRow,
    QueueEntry, Recorded, Released,
};

/// Everything that can go wrong talking to the database. Callers turn it into an
/// `error` class (`database-unavailable` or `database-crash`, by
/// [`StoreError::failure`]) and a 4xx; they never swallow it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or asked (connecting, a pooled
    /// connection, BEGIN), or a statement outside a transaction failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A statement or the COMMIT of a transaction under way failed; the
    /// transaction was rolled back.
    #[error("transaction failed: {0}")]
    Transaction(sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported storage url {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("the store is shut down")]
    Closed,
    #[error("{0}")]
    Batch(String),
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Requests for the group-commit task (see [`Store::record_message`]).
    recorder: tokio::sync::mpsc::Sender<WriteRequest>,
    /// SQLite allows one writer at a time and makes the others poll with sleeps
    /// (its busy handler), which shows as long tail latencies under load; taking
    /// turns here instead costs nothing. `None` on PostgreSQL.
    sqlite_writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

/// A random 128-bit identifier in hex, for messages, quarantine and queue rows.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://...`), creating the SQLite
    /// file if needed, and applies the built-in migrations.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        if !is_sqlite && !url.starts_with("postgres:") && !url.starts_with("postgresql:") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let url = if is_sqlite && !url.contains("mode=") {
            let separator = if url.contains('?') { '&' } else { '?' };
            format!("{url}{separator}mode=rwc")
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if is_sqlite {
                        // The busy timeout first: setting the journal mode takes a
                        // lock, and a second process opening the store while a
                        // node writes (the CLI beside `serve`) must wait for it,
                        // not fail with "database is locked".
                        for pragma in [
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            connection.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let (recorder, requests) = tokio::sync::mpsc::channel(1024);
        let store = Store {
            pool,
            recorder,
            sqlite_writer: is_sqlite.then(Default::default),
        };
        store.migrate(is_sqlite).await?;
        tokio::spawn(store.clone().run_recorder(requests));
        Ok(store)
    }


    /// Waits for this process's turn to write (SQLite only).
    async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.sqlite_writer {
            Some(lock) => Some(lock.lock().await),
            None => None,
        }
    }


    async fn migrate(&self, is_sqlite: bool) -> Result<()> {
        if is_sqlite {
            sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?;
        } else {
            sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
        }
        Ok(())
    }


    /// Succeeds when the database answers a query.
    pub async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }


    pub async fn close(&self) {
        self.pool.close().await;
    }
}


/// Parses a stored class name, reporting corruption instead of panicking.
fn parse_class<T>(parse: fn(&str) -> std::result::Result<T, sluice_model::UnknownName>, text: &str) -> Result<T> {
    parse(text).map_err(|error| StoreError::Corrupt(error.to_string()))
}

#[cfg(test)]
mod tests;

/// Exposed for the records module.
pub(crate) fn main_class(text: &str) -> Result<MainClass> {
    parse_class(MainClass::parse, text)
}

pub(crate) fn sub_class(text: &str) -> Result<Subclass> {
    parse_class(Subclass::parse, text)
}
