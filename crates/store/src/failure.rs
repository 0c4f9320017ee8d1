//! What kind of failure a [`StoreError`] is, for the verdict of the message it
//! failed to record: the store could not be reached ([`StoreFailure::Unavailable`]:
//! `error` / `database-unavailable`), or a transaction under way failed in the
//! middle ([`StoreFailure::Crash`]: `error` / `database-crash`).
//!
//! Told apart by where the error arose, not by its message: an error while
//! connecting, taking a pooled connection or beginning the transaction
//! (PostgreSQL down, the pool exhausted, the SQLite file unopenable) is
//! [`StoreError::Database`]; an error of a statement or of the COMMIT of a
//! transaction that had begun (disk full, a constraint, an I/O error, the
//! connection lost half-way) is [`StoreError::Transaction`], which the writers of
//! a message's rows (`record`, `log_event`) report through
//! [`StoreError::mid_transaction`].

use crate::StoreError;

/// Whether the store could not be reached or broke in the middle of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreFailure {
    /// Nothing was begun: the store could not be reached, opened or asked.
    Unavailable,
    /// A transaction was under way and failed; it was rolled back.
    Crash,
}

impl StoreError {
    /// What kind of failure this is (see the module documentation).
    pub fn failure(&self) -> StoreFailure {
        match self {
            StoreError::Transaction(_) | StoreError::Corrupt(_) => StoreFailure::Crash,
            StoreError::Database(_)
            | StoreError::Migration(_)
            | StoreError::UnsupportedUrl(_)
            | StoreError::Closed
            | StoreError::Batch(_) => StoreFailure::Unavailable,
        }
    }

    /// The error of a statement or the COMMIT of a transaction that had begun:
    /// a database error becomes [`StoreError::Transaction`]; the others (a
    /// corrupt row, ...) say what they are already.
    pub(crate) fn mid_transaction(self) -> StoreError {
        match self {
            StoreError::Database(error) => StoreError::Transaction(error),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogEntry;
    use crate::tests::{entry, route, stores};
    use sluice_model::{Action, MainClass, Subclass};
    use sqlx::Executor;

    /// A delivered message's row, as the store's own tests build it.
    fn delivered() -> LogEntry {
        entry(Action::Deliver, MainClass::NotSpam, Subclass::Combined)
    }

    async fn refuse_messages(store: &crate::Store, backend: &str) {
        let statements: &[&'static str] = if backend == "sqlite" {
            &["CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"]
        } else {
            &[
                "CREATE FUNCTION refuse_messages() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_messages BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_messages()",
            ]
        };
        for statement in statements {
            store.pool.execute(*statement).await.expect("create the trigger");
        }
    }

    #[tokio::test]
    async fn a_transaction_failing_half_way_is_a_crash_and_leaves_nothing() {
        for (backend, store, _dir) in stores().await {
            refuse_messages(&store, &backend).await;
            let error = store.record_message(delivered(), Some(b"raw".to_vec().into()), vec![route()]).await.expect_err(&backend);
            assert_eq!(error.failure(), StoreFailure::Crash, "{backend}: {error}");
            assert!(error.to_string().contains("refused by the test"), "{backend}: {error}");
            assert_eq!(store.queue_len().await.unwrap(), 0, "{backend}: rolled back");
            assert!(store.list_logs(10).await.unwrap().is_empty(), "{backend}: no row of the failed transaction");
            // The store itself is fine: a row without a message is written.
            let mut row = delivered();
            row.action = Action::TempReject;
            assert!(store.log_event(&row).await.is_ok(), "{backend}");
            let drop = if backend == "sqlite" { "DROP TRIGGER refuse_messages" } else { "DROP TRIGGER refuse_messages ON messages" };
            store.pool.execute(drop).await.expect("drop the trigger");
            store.record_message(delivered(), Some(b"raw".to_vec().into()), vec![route()]).await.expect("recorded once the trigger is gone");
        }
    }

    /// A sender cannot make its message a crash (and fail the group commit
    /// of the messages beside it) with a NUL in a text column: PostgreSQL
    /// refuses NUL in text, so the store writes it as U+FFFD. A Subject of
    /// megabytes is kept to its first `SUBJECT_MAX` characters.
    #[tokio::test]
    async fn a_nul_in_a_messages_text_is_stored_not_a_crash() {
        for (backend, store, _dir) in stores().await {
            let mut hostile = delivered();
            hostile.subject = "free\0money".to_owned();
            hostile.helo = "helo\0".to_owned();
            hostile.extra_class = "attachment a\0.exe".to_owned();
            hostile.action = Action::Quarantine;
            let innocent = delivered();
            let (hostile_recorded, innocent_recorded) = tokio::join!(
                store.record_message(hostile, Some(b"raw".to_vec().into()), vec![]),
                store.record_message(innocent, Some(b"raw".to_vec().into()), vec![route()]),
            );
            hostile_recorded.unwrap_or_else(|error| panic!("{backend}: {error}"));
            innocent_recorded.unwrap_or_else(|error| panic!("{backend}: {error}"));
            let logs = store.list_logs(10).await.unwrap();
            let row = logs.iter().find(|row| row.entry.subject.starts_with("free")).expect("the hostile row");
            assert_eq!(row.entry.subject, "free\u{fffd}money", "{backend}");
            assert_eq!(row.entry.extra_class, "attachment a\u{fffd}.exe", "{backend}");
            let mut huge = delivered();
            huge.subject = "ü".repeat(crate::log::SUBJECT_MAX * 50);
            store.log_event(&huge).await.unwrap_or_else(|error| panic!("{backend}: {error}"));
            let logs = store.list_logs(10).await.unwrap();
            let kept = &logs.iter().find(|row| row.entry.subject.starts_with('ü')).expect("the long row").entry.subject;
            assert_eq!(kept.chars().count(), crate::log::SUBJECT_MAX + 1, "{backend}: cut, with …");
            let mut refused = delivered();
            refused.subject = "\0".to_owned();
            refused.action = Action::Reject;
            store.log_event(&refused).await.unwrap_or_else(|error| panic!("{backend}: {error}"));
        }
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_reached_is_unavailable() {
        for (backend, store, _dir) in stores().await {
            // The pool closed: no connection can be had, nothing is begun.
            store.close().await;
            let error = store.record_message(delivered(), Some(b"raw".to_vec().into()), vec![route()]).await.expect_err(&backend);
            assert_eq!(error.failure(), StoreFailure::Unavailable, "{backend}: {error}");
            let error = store.log_event(&delivered()).await.expect_err(&backend);
            assert_eq!(error.failure(), StoreFailure::Unavailable, "{backend}: {error}");
        }
        // A server nobody listens on.
        let error = crate::Store::open("postgres://sluice@127.0.0.1:9/none").await.err().expect("no server on port 9");
        assert_eq!(error.failure(), StoreFailure::Unavailable, "{error}");
    }
}
