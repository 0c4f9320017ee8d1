//! Searching the log and the quarantine for the web interface: filters, the
//! reader's [`Audience`], newest first, one page at a time.
//!
//! Pages are cut by key (`id < before`), not by offset, so page 1,000 costs what
//! page 1 does. Text filters are case-insensitive substring matches (`LIKE` with
//! the wildcards of the search text escaped); classes and actions are exact. A
//! subject or sender text of 3 characters or more is looked up in a trigram
//! index first (migrations 0019 and 0020: FTS5 on SQLite, pg_trgm on
//! PostgreSQL), so a rare word does not read the whole log. A text filter no
//! index serves (a subject or sender under 3 characters, a recipient, a client
//! address) examines at most [`UNINDEXED_SCAN_ROWS`] rows per page, newest
//! first from the page's start: a common text fills its page at once, a rare
//! one ends the page early and says where to go on ([`LogPage::examined_down_to`])
//! instead of reading a million rows in one request. A mailbox user's
//! incoming rows are found through `log_recipients` (migration 0020). A
//! quarantined message is seen as its log row is: incoming by its recipients,
//! outgoing by its sender (migration 0022).

use sluice_model::{Action, MainClass, Subclass};

use sqlx::Row;

use crate::records;
use crate::users::{Audience, like_escape};
use crate::{LogRow, QuarantineRow, Result, Store};

/// The most log rows one page of a search examines when one of its text
/// filters has no index (see the module's documentation): well under 100 ms
/// of reading on SQLite and on PostgreSQL with a debug build
/// (`bench/README.md`, "Web interface on 1,000,000 log rows").
pub const UNINDEXED_SCAN_ROWS: i64 = 50_000;

/// One page of a log search.
#[derive(Clone, Debug, Default)]
pub struct LogPage {
    /// Newest first, at most the search's limit.
    pub rows: Vec<LogRow>,
    /// Set when the page is not full because the search examined its
    /// [`LogSearch::scan_rows`] rows and older rows of the range are left: the
    /// next page goes on from here (`before_id`).
    pub examined_down_to: Option<i64>,
}

/// What to look for in the log. Every `None` or empty filter is off.
#[derive(Clone, Debug)]
pub struct LogSearch {
    /// Incoming (the audience by recipient) or outgoing (by sender).
    pub direction: crate::Direction,
    /// Received at or after (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Received before (ms since the epoch).
    pub until_ms: Option<i64>,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    /// A whole address, or its start (`203.0.113.` for a /24).
    pub client_ip: String,
    pub main_class: Option<MainClass>,
    pub sub_class: Option<Subclass>,
    pub action: Option<Action>,
    /// Rows with a smaller id only: the next page after a row.
    pub before_id: Option<i64>,
    pub limit: i64,
    pub audience: Audience,
    /// The most rows a page examines when a text filter has no index
    /// ([`UNINDEXED_SCAN_ROWS`]).
    pub scan_rows: i64,
}

impl LogSearch {
    /// Every incoming row the audience may see, newest first.
    pub fn new(audience: Audience, limit: i64) -> LogSearch {
        LogSearch {
            direction: crate::Direction::Incoming,
            from_ms: None,
            until_ms: None,
            sender: String::new(),
            recipient: String::new(),
            subject: String::new(),
            client_ip: String::new(),
            main_class: None,
            sub_class: None,
            action: None,
            before_id: None,
            limit,
            audience,
            scan_rows: UNINDEXED_SCAN_ROWS,
        }
    }

    /// Whether a text filter of this search has no index to serve it, so that
    /// only reading rows can answer it.
    fn reads_rows_for_text(&self) -> bool {
        let short = |text: &str| {
            let count = text.trim().chars().count();
            count > 0 && count < TRIGRAM
        };
        short(&self.subject) || short(&self.sender) || !self.recipient.trim().is_empty() || !self.client_ip.trim().is_empty()
    }
}

/// The length of the pieces the trigram indexes are made of: a shorter text
/// has none to look up.
const TRIGRAM: usize = 3;

/// What to look for in the quarantine (messages not yet released).
#[derive(Clone, Debug)]
pub struct QuarantineSearch {
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    /// The next page after the row with this creation time and id.
    pub after: Option<(i64, String)>,
    pub limit: i64,
    pub audience: Audience,
}

/// A `WHERE` clause under construction: conditions joined by `AND`, with the
/// values they bind in placeholder order.
#[derive(Default)]
pub(crate) struct Conditions {
    pub(crate) sql: Vec<String>,
    pub(crate) binds: Vec<Bind>,
}

pub(crate) enum Bind {
    Text(String),
    Number(i64),
}

impl Conditions {
    pub(crate) fn next(&self) -> usize {
        self.binds.len() + 1
    }

    pub(crate) fn push(&mut self, condition: String, bind: Bind) {
        self.sql.push(condition);
        self.binds.push(bind);
    }

    /// `LOWER(column) LIKE %text%`, when `text` is not empty.
    fn contains(&mut self, column: &str, text: &str) {
        let text = text.trim();
        if !text.is_empty() {
            let condition = format!("LOWER({column}) LIKE ${} ESCAPE '\\'", self.next());
            self.push(condition, Bind::Text(format!("%{}%", like_escape(&text.to_lowercase()))));
        }
    }

    pub(crate) fn audience(&mut self, audience: &Audience) {
        if let Some((condition, patterns)) = audience.sql(self.next()) {
            self.sql.push(condition);
            self.binds.extend(patterns.into_iter().map(Bind::Text));
        }
    }

    /// The audience of incoming log rows: as [`Conditions::audience`], but a
    /// mailbox's rows are looked up in `log_recipients` (migration 0020, its
    /// address lower case as the trigger stores it) instead of matching every
    /// row's recipients text.
    pub(crate) fn receiving_audience(&mut self, audience: &Audience) {
        match audience {
            Audience::Mailbox(address) => {
                let condition = format!("id IN (SELECT log_id FROM log_recipients WHERE recipient = ${})", self.next());
                self.push(condition, Bind::Text(address.to_ascii_lowercase()));
            }
            _ => self.audience(audience),
        }
    }

    /// The audience of quarantined messages: an incoming one by its
    /// recipients, an outgoing one by its sender
    /// ([`Audience::sees_quarantined`]).
    pub(crate) fn quarantine_audience(&mut self, audience: &Audience) {
        let Some((by_recipients, recipient_patterns)) = audience.sql(self.next()) else {
            return;
        };
        let first_sender = self.next() + recipient_patterns.len();
        let (by_sender, sender_patterns) = audience.sender_sql(first_sender).unwrap_or_else(|| ("1 = 1".to_owned(), Vec::new()));
        self.sql.push(format!(
            "((direction = '{}' AND {by_recipients}) OR (direction = '{}' AND {by_sender}))",
            crate::Direction::Incoming.as_str(),
            crate::Direction::Outgoing.as_str()
        ));
        self.binds.extend(recipient_patterns.into_iter().chain(sender_patterns).map(Bind::Text));
    }

    /// The audience of outgoing rows: whose address sent them.
    fn sending_audience(&mut self, audience: &Audience) {
        if let Some((condition, patterns)) = audience.sender_sql(self.next()) {
            self.sql.push(condition);
            self.binds.extend(patterns.into_iter().map(Bind::Text));
        }
    }

    pub(crate) fn clause(&self) -> String {
        if self.sql.is_empty() { String::new() } else { format!(" WHERE {}", self.sql.join(" AND ")) }
    }

    pub(crate) fn bind<'q>(
        &'q self,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        for bind in &self.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.as_str()),
                Bind::Number(number) => query.bind(*number),
            };
        }
        query
    }
}

/// The FTS5 query for a subject search text: the text as one phrase (its
/// quotes doubled), which the trigram tokenizer matches as a substring, case
/// folded. `None` below 3 characters, where a trigram index cannot help (the
/// `LIKE` alone then decides).
/// A statement of the web's reads (searches, the dashboard), planned by
/// PostgreSQL for the values of each call: prepared unnamed, never cached. A
/// cached statement may be switched to a generic plan after five runs, made
/// without the values; for a walk of the newest rows of a time range or a `LIKE`
/// pattern that plan guessed a few rows and read and sorted the whole log (0.45-0.64 s
/// instead of 20 ms on 1,000,000 rows). The gateway's writes keep their cached
/// plans (planning each of them again cost the log insert 0.04-0.08 ms).
pub(crate) fn read_query<'q>(sql: String) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false)
}

fn trigram_phrase(text: &str) -> Option<String> {
    let text = text.trim();
    (text.chars().count() >= TRIGRAM).then(|| format!("\"{}\"", text.replace('"', "\"\"")))
}

impl Store {
    /// One page of log rows of `search.direction` matching `search`, newest
    /// first.
    pub async fn search_logs(&self, search: &LogSearch) -> Result<Vec<LogRow>> {
        Ok(self.search_logs_page(search).await?.rows)
    }

    /// As [`Store::search_logs`], and whether the page stopped early at the
    /// rows it may examine ([`LogPage::examined_down_to`]).
    pub async fn search_logs_page(&self, search: &LogSearch) -> Result<LogPage> {
        // Where an unindexed text search stops: `scan_rows` ids below the
        // page's start (ids follow the arrival order; the time filter's end
        // picks the start when there is no earlier page).
        let floor = if search.reads_rows_for_text() { Some(self.scan_floor(search).await?) } else { None };
        let mut conditions = Conditions::default();
        if let Some(floor) = floor {
            conditions.push(format!("id >= ${}", conditions.next()), Bind::Number(floor));
        }
        conditions.push(format!("direction = ${}", conditions.next()), Bind::Text(search.direction.as_str().to_owned()));
        if let Some(before) = search.before_id {
            conditions.push(format!("id < ${}", conditions.next()), Bind::Number(before));
        }
        if let Some(from) = search.from_ms {
            conditions.push(format!("received_at >= ${}", conditions.next()), Bind::Number(from));
        }
        if let Some(until) = search.until_ms {
            conditions.push(format!("received_at < ${}", conditions.next()), Bind::Number(until));
        }
        for (column, class) in [
            ("main_class", search.main_class.map(MainClass::as_str)),
            ("sub_class", search.sub_class.map(Subclass::as_str)),
            ("action", search.action.map(Action::as_str)),
        ] {
            if let Some(class) = class {
                conditions.push(format!("{column} = ${}", conditions.next()), Bind::Text(class.to_owned()));
            }
        }
        let client_ip = search.client_ip.trim();
        if !client_ip.is_empty() {
            let condition = format!("client_ip LIKE ${} ESCAPE '\\'", conditions.next());
            conditions.push(condition, Bind::Text(format!("{}%", like_escape(&client_ip.to_lowercase()))));
        }
        conditions.contains("sender", &search.sender);
        conditions.contains("recipients", &search.recipient);
        conditions.contains("subject", &search.subject);
        // On SQLite, the trigram index narrows the rows first (PostgreSQL's
        // trigram index serves the LIKE above by itself).
        if self.sqlite_writer.is_some() {
            for (table, text) in [("log_subject_search", &search.subject), ("log_sender_search", &search.sender)] {
                if let Some(phrase) = trigram_phrase(text) {
                    let condition = format!("id IN (SELECT rowid FROM {table} WHERE {table} MATCH ${})", conditions.next());
                    conditions.push(condition, Bind::Text(phrase));
                }
            }
        }
        match search.direction {
            crate::Direction::Incoming => conditions.receiving_audience(&search.audience),
            crate::Direction::Outgoing => conditions.sending_audience(&search.audience),
        }
        let sql = format!(
            "{}{} ORDER BY id DESC LIMIT {}",
            records::log_select!(),
            conditions.clause(),
            search.limit.clamp(0, 1000)
        );
        let rows = conditions.bind(read_query(sql)).fetch_all(&self.pool).await?;
        let rows = rows.iter().map(records::log_row).collect::<Result<Vec<LogRow>>>()?;
        let examined_down_to = match floor {
            Some(floor) if (rows.len() as i64) < search.limit.clamp(0, 1000) && self.older_rows_in_range(floor, search.from_ms).await? => {
                Some(floor)
            }
            _ => None,
        };
        Ok(LogPage { rows, examined_down_to })
    }

    /// The lowest id an unindexed text search's page examines.
    async fn scan_floor(&self, search: &LogSearch) -> Result<i64> {
        let newest: Option<i64> = match search.until_ms {
            Some(until) => sqlx::query("SELECT id FROM log WHERE received_at < $1 ORDER BY received_at DESC LIMIT 1")
                .bind(until)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<i64, _>(0))
                .transpose()?,
            None => sqlx::query("SELECT MAX(id) FROM log").fetch_one(&self.pool).await?.try_get(0)?,
        };
        let start = match (newest, search.before_id) {
            (Some(newest), Some(before)) => before.min(newest + 1),
            (Some(newest), None) => newest + 1,
            (None, before) => before.unwrap_or(0),
        };
        Ok(start - search.scan_rows.max(1))
    }

    /// Whether rows older than `floor` are left (received at or after
    /// `from_ms`, when the search has a start).
    async fn older_rows_in_range(&self, floor: i64, from_ms: Option<i64>) -> Result<bool> {
        let row = sqlx::query("SELECT received_at FROM log WHERE id < $1 ORDER BY id DESC LIMIT 1")
            .bind(floor)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let received_at: i64 = row.try_get(0)?;
        Ok(from_ms.is_none_or(|from| received_at >= from))
    }

    /// One page of the quarantine (not yet released) matching `search`, newest
    /// first.
    pub async fn search_quarantine(&self, search: &QuarantineSearch) -> Result<Vec<QuarantineRow>> {
        let mut conditions = Conditions::default();
        conditions.sql.push("released_at IS NULL".to_owned());
        if let Some((created_at, id)) = &search.after {
            let (first, second, third) = (conditions.next(), conditions.next() + 1, conditions.next() + 2);
            conditions.sql.push(format!("(created_at < ${first} OR (created_at = ${second} AND id > ${third}))"));
            conditions.binds.extend([Bind::Number(*created_at), Bind::Number(*created_at), Bind::Text(id.clone())]);
        }
        conditions.contains("sender", &search.sender);
        conditions.contains("recipients", &search.recipient);
        conditions.contains("subject", &search.subject);
        conditions.quarantine_audience(&search.audience);
        let sql = format!(
            "{}{} ORDER BY created_at DESC, id LIMIT {}",
            records::quarantine_select!(),
            conditions.clause(),
            search.limit.clamp(0, 1000)
        );
        let rows = conditions.bind(read_query(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(records::quarantine_row).collect()
    }
}
