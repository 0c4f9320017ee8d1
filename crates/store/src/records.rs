//! The rows the store reads and writes, and their mapping from SQL rows.

use serde::{Deserialize, Serialize};
use sluice_model::{Action, ErrorClass, Finding, MainClass, Precedence, Reason, Subclass, Verdict};
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
    /// Why: every finding of the transaction and how the verdict was reached.
    pub explanation: Explanation,
}

/// Every finding of one transaction, the facts looked up for it, and the decision
/// path, kept with its log row so a decision can be explained after the fact.
/// Stored as JSON; rows written before it existed read back empty.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Explanation {
    pub findings: Vec<LoggedFinding>,
    /// The finding that decided: its precedence tier and index in `findings`.
    pub decided: Option<PathStep>,
    /// The finding that would have decided without it.
    pub next: Option<PathStep>,
    /// The lookups made for the transaction (DNS, antivirus, ...), with outcome.
    pub lookups: Vec<LoggedLookup>,
}

/// One finding as logged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedFinding {
    pub check: String,
    pub main_class: MainClass,
    pub sub_class: Subclass,
    pub reason: Reason,
    pub extra_class: String,
    pub score: Option<f64>,
    pub error_class: Option<ErrorClass>,
}

/// One step of the decision path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStep {
    pub tier: Precedence,
    pub finding: usize,
}

/// One lookup made while gathering facts: what was asked, how it ended, how long
/// it took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedLookup {
    pub what: String,
    pub outcome: String,
    pub took_ms: u64,
}

impl From<&Finding> for LoggedFinding {
    fn from(finding: &Finding) -> LoggedFinding {
        LoggedFinding {
            check: finding.check.to_owned(),
            main_class: finding.main,
            sub_class: finding.sub,
            reason: finding.reason,
            extra_class: finding.extra.clone(),
            score: finding.score,
            error_class: finding.error,
        }
    }
}

impl Explanation {
    /// The explanation of `verdict`, decided from `findings`.
    pub fn of(findings: &[Finding], verdict: &Verdict) -> Explanation {
        let step = |(tier, finding): (Precedence, usize)| PathStep { tier, finding };
        Explanation {
            findings: findings.iter().map(LoggedFinding::from).collect(),
            decided: verdict.path.decided.map(step),
            next: verdict.path.next.map(step),
            lookups: Vec::new(),
        }
    }

    /// The explanation of a verdict decided from its one finding (SMTP-time
    /// refusals): everything about that finding is in the verdict.
    pub fn of_single(verdict: &Verdict) -> Explanation {
        let finding = LoggedFinding {
            check: verdict.decided_by.to_owned(),
            main_class: verdict.main,
            sub_class: verdict.sub,
            reason: verdict.reason,
            extra_class: verdict.extra.clone(),
            score: verdict.score,
            error_class: verdict.error,
        };
        let decided = verdict.path.decided.map(|(tier, _)| PathStep { tier, finding: 0 });
        Explanation {
            findings: if decided.is_some() { vec![finding] } else { Vec::new() },
            decided,
            next: None,
            lookups: Vec::new(),
        }
    }
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
    /// Incoming (seen by its recipients' audience) or outgoing (by its
    /// sender's: [`crate::Audience::sees_quarantined`]).
    pub direction: Direction,
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
    /// Submitted by an authenticated user (outgoing mail): prepared for the
    /// next hop (signing) before delivery.
    pub outgoing: bool,
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
    /// See [`NewQueueEntry::outgoing`].
    pub outgoing: bool,
    pub created_at_ms: i64,
    pub attempts: i64,
}

/// A message's bytes as the gateway holds them: `buffer[start..]`. The gateway
/// writes its own headers into room left in front of the body it received, so
/// the bytes reach the store without being copied into a new buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBytes {
    buffer: Vec<u8>,
    start: usize,
}

impl MessageBytes {
    /// `buffer[start..]` (the whole buffer when `start` is past its end).
    pub fn new(buffer: Vec<u8>, start: usize) -> MessageBytes {
        let start = start.min(buffer.len());
        MessageBytes { buffer, start }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buffer[self.start..]
    }
}

impl From<Vec<u8>> for MessageBytes {
    fn from(buffer: Vec<u8>) -> MessageBytes {
        MessageBytes { buffer, start: 0 }
    }
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
    /// The message may not be released by this releaser (a virus: administrators only).
    Forbidden,
}

/// The columns of a log row, as a macro so queries stay `&'static str` (sqlx
/// refuses dynamic SQL strings).
macro_rules! log_select {
    () => {
        "SELECT id, message_id, received_at, direction, client_ip, helo, sender, \
     recipients, subject, main_class, sub_class, error_class, extra_class, score, reply, action, quarantine_id, \
     delivery, explanation FROM log"
    };
}
pub(crate) use log_select;

macro_rules! quarantine_select {
    () => {
        "SELECT id, message_id, log_id, created_at, direction, sender, recipients, \
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
            // An unreadable explanation must not hide the row itself.
            explanation: serde_json::from_str(&row.try_get::<String, _>("explanation")?).unwrap_or_default(),
        },
    })
}

pub(crate) fn quarantine_row(row: &AnyRow) -> Result<QuarantineRow> {
    Ok(QuarantineRow {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        log_id: row.try_get("log_id")?,
        created_at_ms: row.try_get("created_at")?,
        direction: Direction::parse(&row.try_get::<String, _>("direction")?)?,
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
        outgoing: row.try_get::<i64, _>("outgoing")? != 0,
        created_at_ms: row.try_get("created_at")?,
        attempts: row.try_get("attempts")?,
    })
}
