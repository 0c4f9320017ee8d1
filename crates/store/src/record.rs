//! Recording SMTP transactions: the log row with the message and its queue or
//! quarantine rows in one transaction, committed in groups (one fsync for every
//! transaction that arrived during the previous commit).

use sluice_model::Action;

use crate::log::{insert_log, storable, storable_subject};
use crate::queue::{delete_finished, insert_queue};
use crate::records;
use crate::{LogEntry, MessageBytes, NewQueueEntry, QueueEntry, Recorded, Result, Store, StoreError, new_id};

impl Store {

    /// Records the outcome of one SMTP transaction: the log row, and with it the
    /// raw message plus its queue rows (`Deliver`) or its quarantine row
    /// (`Quarantine`), all in one transaction. When this returns `Ok`, all of it
    /// is durable.
    ///
    /// Requests from concurrent sessions are committed together (group commit):
    /// one fsync then covers every message that arrived while the previous commit
    /// was being written, which is what keeps throughput up with fsync on.
    pub async fn record_message(
        &self,
        entry: LogEntry,
        raw: Option<MessageBytes>,
        routes: Vec<NewQueueEntry>,
    ) -> Result<Recorded> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(WriteRequest::Record { entry, raw, routes, reply }, answer).await
    }


    /// Hands a write to the group-commit task and waits for its outcome.
    pub(crate) async fn submit<T>(&self, request: WriteRequest, answer: tokio::sync::oneshot::Receiver<Result<T>>) -> Result<T> {
        if self.recorder.send(request).await.is_err() {
            return Err(StoreError::Closed);
        }
        answer.await.map_err(|_| StoreError::Closed)?
    }


    /// The group-commit loop behind [`Store::record_message`] and
    /// [`Store::finish`]: the two writes every message makes.
    pub(crate) async fn run_recorder(self, mut requests: tokio::sync::mpsc::Receiver<WriteRequest>) {
        let mut batch = Vec::with_capacity(MAX_GROUP_COMMIT);
        while requests.recv_many(&mut batch, MAX_GROUP_COMMIT).await > 0 {
            let outcome = {
                let _writer = self.writer().await;
                self.write_batch(&batch).await
            };
            match outcome {
                Ok(recorded) => {
                    for (request, recorded) in batch.drain(..).zip(recorded) {
                        request.answer(Ok(recorded));
                    }
                }
                // One bad request must not fail the others: retry each alone.
                Err(error) if batch.len() > 1 => {
                    tracing::warn!(%error, size = batch.len(), "group commit failed; committing one by one");
                    for request in batch.drain(..) {
                        let result = {
                            let _writer = self.writer().await;
                            self.write_batch(std::slice::from_ref(&request)).await
                        };
                        request.answer(result.map(|mut recorded| recorded.remove(0)));
                    }
                }
                // A batch of one: its own error, with its kind (`failure`).
                Err(error) => {
                    if let Some(request) = batch.pop() {
                        request.answer(Err(error));
                    }
                }
            }
        }
    }


    /// One transaction for the batch. An error of BEGIN means the store could
    /// not be reached; after it, the transaction broke half-way
    /// ([`StoreError::mid_transaction`]) and is rolled back when dropped.
    async fn write_batch(&self, batch: &[WriteRequest]) -> Result<Vec<Option<Recorded>>> {
        let mut tx = self.pool.begin().await?;
        let written = async {
            let mut outcomes = Vec::with_capacity(batch.len());
            for request in batch {
                outcomes.push(match request {
                    WriteRequest::Record { entry, raw, routes, .. } => {
                        Some(insert_record(&mut tx, entry, raw.as_ref().map(MessageBytes::as_bytes), routes).await?)
                    }
                    WriteRequest::Finish { entry, outcome, .. } => {
                        delete_finished(&mut tx, entry, outcome).await?;
                        None
                    }
                });
            }
            tx.commit().await?;
            Ok::<_, StoreError>(outcomes)
        };
        written.await.map_err(StoreError::mid_transaction)
    }
}

/// Most SMTP transactions committed together.
const MAX_GROUP_COMMIT: usize = 64;

/// A write waiting for the group commit.
pub(crate) enum WriteRequest {
    Record {
        entry: LogEntry,
        raw: Option<MessageBytes>,
        routes: Vec<NewQueueEntry>,
        reply: tokio::sync::oneshot::Sender<Result<Recorded>>,
    },
    Finish {
        entry: QueueEntry,
        outcome: String,
        reply: tokio::sync::oneshot::Sender<Result<()>>,
    },
}



impl WriteRequest {
    /// Answers the caller; `recorded` is `Some` exactly for `Record`.
    fn answer(self, result: Result<Option<Recorded>>) {
        match self {
            WriteRequest::Record { reply, .. } => {
                let _ = reply.send(result.and_then(|recorded| {
                    recorded.ok_or_else(|| StoreError::Batch("record without an outcome".to_owned()))
                }));
            }
            WriteRequest::Finish { reply, .. } => {
                let _ = reply.send(result.map(|_| ()));
            }
        }
    }
}



async fn insert_record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    entry: &LogEntry,
    raw: Option<&[u8]>,
    routes: &[NewQueueEntry],
) -> Result<Recorded> {
    let message_id = match raw {
        Some(raw) if matches!(entry.action, Action::Deliver | Action::Quarantine) => {
            let id = new_id();
            sqlx::query("INSERT INTO messages (id, raw, created_at) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(raw)
                .bind(entry.received_at_ms)
                .execute(&mut **tx)
                .await?;
            Some(id)
        }
        _ => None,
    };
    let quarantine_id = (entry.action == Action::Quarantine && message_id.is_some()).then(new_id);
    let log_id = insert_log(tx, entry, message_id.as_deref(), quarantine_id.as_deref()).await?;
    if let (Some(quarantine_id), Some(message_id)) = (&quarantine_id, &message_id) {
        sqlx::query(
            "INSERT INTO quarantine (id, message_id, log_id, created_at, direction, sender, recipients, subject, \
             main_class, sub_class) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(quarantine_id)
        .bind(message_id)
        .bind(log_id)
        .bind(entry.received_at_ms)
        .bind(entry.direction.as_str())
        .bind(storable(&entry.sender))
        .bind(records::to_json(&entry.recipients))
        .bind(storable_subject(&entry.subject))
        .bind(entry.main_class.as_str())
        .bind(entry.sub_class.as_str())
        .execute(&mut **tx)
        .await?;
    }
    if entry.action == Action::Deliver
        && let Some(message_id) = &message_id
    {
        for route in routes {
            insert_queue(tx, message_id, Some(log_id), route, entry.received_at_ms).await?;
        }
    }
    Ok(Recorded {
        log_id,
        message_id,
        quarantine_id,
    })
}
