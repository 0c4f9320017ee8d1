//! Searching the log and the quarantine for the web interface: filters, the
//! reader's [`Audience`], newest first, one page at a time.
//!
//! Pages are cut by key (`id < before`), not by offset, so page 1,000 costs what
//! page 1 does. Text filters are case-insensitive substring matches (`LIKE` with
//! the wildcards of the search text escaped); classes and actions are exact. A
//! subject or sender text of 3 characters or more is looked up in a trigram
//! index first (migrations 0019 and 0020: FTS5 on SQLite, pg_trgm on
//! PostgreSQL), so a rare word does not read the whole log. A mailbox user's
//! incoming rows are found through `log_recipients` (migration 0020).

use sluice_model::{Action, MainClass, Subclass};

use crate::records;
use crate::users::{Audience, like_escape};
use crate::{LogRow, QuarantineRow, Result, Store};

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
        }
    }
}

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
fn trigram_phrase(text: &str) -> Option<String> {
    let text = text.trim();
    (text.chars().count() >= 3).then(|| format!("\"{}\"", text.replace('"', "\"\"")))
}

impl Store {
    /// One page of log rows of `search.direction` matching `search`, newest
    /// first.
    pub async fn search_logs(&self, search: &LogSearch) -> Result<Vec<LogRow>> {
        let mut conditions = Conditions::default();
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
        let rows = conditions.bind(sqlx::query(sqlx::AssertSqlSafe(sql))).fetch_all(&self.pool).await?;
        rows.iter().map(records::log_row).collect()
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
        conditions.audience(&search.audience);
        let sql = format!(
            "{}{} ORDER BY created_at DESC, id LIMIT {}",
            records::quarantine_select!(),
            conditions.clause(),
            search.limit.clamp(0, 1000)
        );
        let rows = conditions.bind(sqlx::query(sqlx::AssertSqlSafe(sql))).fetch_all(&self.pool).await?;
        rows.iter().map(records::quarantine_row).collect()
    }
}
