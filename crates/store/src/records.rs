//! The rows the store reads and writes, and their mapping from SQL rows.

use serde::Serialize;
use sluice_model::{Action, ErrorClass, MainClass, Subclass};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, StoreError, main_class, sub_class};

/// Which way a message travels through the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }

    fn parse(text: &str) -> Result<Direction> {
        match text {
            "incoming" => Ok(Direction::Incoming),
            "outgoing" => Ok(Direction::Outgoing),
            other => Err(StoreError::Corrupt(format!("direction {other:?}"))),
        }
    }
}

/// A log row as the gateway writes it.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub received_at_ms: i64,
    pub direction: Direction,
    pub client_ip: String,
    pub helo: String,
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub main_class: MainClass,
    pub sub_class: Subclass,
    pub error_class: Option<ErrorClass>,
    pub extra_class: String,
    pub score: Option<f64>,
    /// The full reply line sent, e.g. `550 5.7.1 Relay not permitted!`.
    pub reply: String,
    pub action: Action,
}

/// A log row as read back, with what happened to the message since.
#[derive(Clone, Debug)]
pub struct LogRow {
    pub id: i64,
    pub message_id: Option<String>,
    pub quarantine_id: Option<String>,
    /// The latest delivery outcome (`delivered`, `deferred: ...`, `bounced: ...`).
    pub delivery: Option<String>,
    pub entry: LogEntry,
}

/// A quarantined message.
#[derive(Clone, Debug)]
pub struct QuarantineRow {
    pub id: String,
    pub message_id: String,
    pub log_id: i64,
    pub created_at_ms: i64,
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub main_class: MainClass,
    pub sub_class: Subclass,
    pub released_at_ms: Option<i64>,
    pub released_by: Option<String>,
}

/// What the gateway asks to be queued: recipients that share one route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewQueueEntry {
    pub sender: String,
    pub recipients: Vec<String>,
    /// The domain whose destination the recipients are delivered to (or, for
    /// bounces to outside domains, the recipient domain looked up by MX).
    pub route: String,
    pub is_bounce: bool,
}

/// A claimed queue entry.
#[derive(Clone, Debug)]
pub struct QueueEntry {
    pub id: String,
    pub message_id: String,
    pub log_id: Option<i64>,
    pub sender: String,
    pub recipients: Vec<String>,
    pub route: String,
    pub is_bounce: bool,
    pub created_at_ms: i64,
    pub attempts: i64,
}

/// What [`crate::Store::record_message`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub log_id: i64,
    pub message_id: Option<String>,
    pub quarantine_id: Option<String>,
}

/// The outcome of a release request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Released {
    Queued { message_id: String, log_id: i64 },
    AlreadyReleased,
    NotFound,
}

/// The columns of a log row, as a macro so queries stay `&'static str` (sqlx
/// refuses dynamic SQL strings).
macro_rules! log_select {
    () => {
        "SELECT id, message_id, received_at, direction, client_ip, helo, sender, \
     recipients, subject, main_class, sub_class, error_class, extra_class, score, reply, action, quarantine_id, \
     delivery FROM log"
    };
}
pub(crate) use log_select;

macro_rules! quarantine_select {
    () => {
        "SELECT id, message_id, log_id, created_at, sender, recipients, \
     subject, main_class, sub_class, released_at, released_by FROM quarantine"
    };
}
pub(crate) use quarantine_select;

pub(crate) fn to_json(recipients: &[String]) -> String {
    serde_json::to_string(recipients).unwrap_or_else(|_| "[]".to_owned())
}

fn from_json(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("recipients {text:?}: {error}")))
}

pub(crate) fn log_row(row: &AnyRow) -> Result<LogRow> {
    let action: String = row.try_get("action")?;
    let error_class: Option<String> = row.try_get("error_class")?;
    Ok(LogRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        quarantine_id: row.try_get("quarantine_id")?,
        delivery: row.try_get("delivery")?,
        entry: LogEntry {
            received_at_ms: row.try_get("received_at")?,
            direction: Direction::parse(&row.try_get::<String, _>("direction")?)?,
            client_ip: row.try_get("client_ip")?,
            helo: row.try_get("helo")?,
            sender: row.try_get("sender")?,
            recipients: from_json(&row.try_get::<String, _>("recipients")?)?,
            subject: row.try_get("subject")?,
            main_class: main_class(&row.try_get::<String, _>("main_class")?)?,
            sub_class: sub_class(&row.try_get::<String, _>("sub_class")?)?,
            error_class: error_class
                .map(|text| ErrorClass::parse(&text).map_err(|error| StoreError::Corrupt(error.to_string())))
                .transpose()?,
            extra_class: row.try_get("extra_class")?,
            score: row.try_get("score")?,
            reply: row.try_get("reply")?,
            action: Action::parse(&action).ok_or_else(|| StoreError::Corrupt(format!("action {action:?}")))?,
        },
    })
}

pub(crate) fn quarantine_row(row: &AnyRow) -> Result<QuarantineRow> {
    Ok(QuarantineRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        log_id: row.try_get("log_id")?,
        created_at_ms: row.try_get("created_at")?,
        sender: row.try_get("sender")?,
        recipients: from_json(&row.try_get::<String, _>("recipients")?)?,
        subject: row.try_get("subject")?,
        main_class: main_class(&row.try_get::<String, _>("main_class")?)?,
        sub_class: sub_class(&row.try_get::<String, _>("sub_class")?)?,
        released_at_ms: row.try_get("released_at")?,
        released_by: row.try_get("released_by")?,
    })
}

pub(crate) fn queue_entry(row: &AnyRow) -> Result<QueueEntry> {
    Ok(QueueEntry {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        log_id: row.try_get("log_id")?,
        sender: row.try_get("sender")?,
        recipients: from_json(&row.try_get::<String, _>("recipients")?)?,
        route: row.try_get("route")?,
        is_bounce: row.try_get::<i64, _>("is_bounce")? != 0,
        created_at_ms: row.try_get("created_at")?,
        attempts: row.try_get("attempts")?,
    })
}
