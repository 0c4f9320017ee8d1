//! tower-sessions' `SessionStore` over our store's pool: sessions live in the
//! `web_sessions` table, so every node of a cluster knows every session and a
//! restart logs no one out. (tower-sessions' own sqlx store is built on another
//! sqlx version; a second sqlx would be a second SQLite library in the binary.)

use sluice_store::Store;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

#[derive(Clone)]
pub(crate) struct StoredSessions {
    pub(crate) store: Store,
}

impl std::fmt::Debug for StoredSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredSessions")
    }
}

fn backend(error: sluice_store::StoreError) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn encode(record: &Record) -> session_store::Result<String> {
    serde_json::to_string(record).map_err(|error| session_store::Error::Encode(error.to_string()))
}

fn expires_ms(record: &Record) -> i64 {
    (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64
}

#[async_trait::async_trait]
impl SessionStore for StoredSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit random id is taken by another session practically never;
        // when it is, draw again rather than overwrite that session.
        loop {
            let created = self
                .store
                .create_web_session(&record.id.to_string(), &encode(record)?, expires_ms(record), crate::ui::now_ms())
                .await
                .map_err(backend)?;
            if created {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save_web_session(&record.id.to_string(), &encode(record)?, expires_ms(record)).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self.store.load_web_session(&id.to_string(), crate::ui::now_ms()).await.map_err(backend)? {
            Some(data) => serde_json::from_str(&data).map(Some).map_err(|error| session_store::Error::Decode(error.to_string())),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete_web_session(&id.to_string()).await.map_err(backend)
    }
}
