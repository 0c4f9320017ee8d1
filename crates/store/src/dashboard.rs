//! The dashboard's figures: incoming messages per main class per time bucket,
//! the top senders, recipients and subclasses, and the quarantine's size, all
//! within the reader's [`Audience`].
//!
//! Speed on a large log: an administrator's counts per bucket come from the
//! hourly counts a trigger keeps (`log_counts`, migration 0018), a domain
//! administrator's from the per-domain ones (`log_domain_counts`), never from
//! the rows; a mailbox user's are counted from its own rows, found by address
//! in `log_recipients` (migration 0020); the top lists
//! are taken over the newest [`TOP_SAMPLE`] rows of the range (a full `GROUP BY
//! sender` over a month of a busy site reads every row, which is what a
//! dashboard must not do on every load).

use sqlx::Row;

use crate::search::{Bind, Conditions};
use crate::users::Audience;
use crate::{Direction, Result, Store};

/// The newest rows of the range the top lists are counted over.
pub const TOP_SAMPLE: i64 = 10_000;
/// For a domain administrator, the newest rows of the whole log the top lists
/// look among for its own (a mailbox user's are found by address).
pub const TOP_WINDOW: i64 = 100_000;
const HOUR_MS: i64 = 3_600_000;

/// Counts per time bucket and main class: `(bucket index, main class, count)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub buckets: Vec<(i64, String, i64)>,
    pub top_senders: Vec<(String, i64)>,
    /// The recipients column as stored (a JSON array), so a message to two
    /// addresses counts once, under both.
    pub top_recipients: Vec<(String, i64)>,
    pub top_subclasses: Vec<(String, i64)>,
    /// How many rows the top lists were counted over (at most [`TOP_SAMPLE`]).
    pub sampled: i64,
    pub quarantined: i64,
}

impl Store {
    /// The dashboard for `audience` over `[from_ms, from_ms + bucket_ms *
    /// buckets)`.
    pub async fn dashboard(&self, audience: &Audience, from_ms: i64, bucket_ms: i64, buckets: i64) -> Result<Dashboard> {
        let until_ms = from_ms + bucket_ms * buckets;
        let range = || {
            let mut conditions = Conditions::default();
            conditions.push(format!("direction = ${}", conditions.next()), Bind::Text(Direction::Incoming.as_str().to_owned()));
            conditions.push(format!("received_at >= ${}", conditions.next()), Bind::Number(from_ms));
            conditions.push(format!("received_at < ${}", conditions.next()), Bind::Number(until_ms));
            conditions.receiving_audience(audience);
            conditions
        };
        // The top lists walk the log newest first and stop at TOP_SAMPLE rows:
        // on SQLite `+received_at` keeps the planner from reading the whole
        // range through the time index and sorting it. Not on PostgreSQL: there
        // the `+` hides the column's statistics, the planner takes the range for
        // a few rows and reads the whole table in parallel to sort it (0.3 s on
        // 1,000,000 rows, against 17 ms walking the primary key).
        // For a domain administrator the walk stops after TOP_WINDOW rows of
        // the log (its own rows among them), so a domain with one message in a
        // thousand does not read the whole month. A mailbox's rows come from
        // `log_recipients` by address (an index), a few thousand at most: a
        // window there only made PostgreSQL walk the window's rows instead
        // (45 ms per list on 1,000,000 rows, against 7 ms).
        let window_floor: Option<i64> = if let Audience::Domains(_) = audience {
            let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM log").fetch_one(&self.pool).await?;
            Some(row.try_get::<i64, _>(0)? - TOP_WINDOW)
        } else {
            None
        };
        let time_column = if self.sqlite_writer.is_some() { "+received_at" } else { "received_at" };
        let newest = || {
            let mut conditions = Conditions::default();
            conditions.push(format!("direction = ${}", conditions.next()), Bind::Text(Direction::Incoming.as_str().to_owned()));
            conditions.push(format!("{time_column} >= ${}", conditions.next()), Bind::Number(from_ms));
            conditions.push(format!("{time_column} < ${}", conditions.next()), Bind::Number(until_ms));
            if let Some(floor) = window_floor {
                conditions.push(format!("id > ${}", conditions.next()), Bind::Number(floor));
            }
            conditions.receiving_audience(audience);
            conditions
        };
        let mut dashboard = Dashboard::default();
        let rows = if *audience == Audience::Everything && from_ms % HOUR_MS == 0 && bucket_ms % HOUR_MS == 0 {
            // Everything: the hourly counts the trigger keeps (migration 0018).
            let sql = format!(
                "SELECT (hour * {HOUR_MS} - {from_ms}) / {bucket_ms} AS bucket, main_class, CAST(SUM(count) AS BIGINT) FROM log_counts \
                 WHERE direction = $1 AND hour >= $2 AND hour < $3 GROUP BY bucket, main_class"
            );
            crate::search::read_query(sql)
                .bind(Direction::Incoming.as_str())
                .bind(from_ms / HOUR_MS)
                .bind((until_ms + HOUR_MS - 1) / HOUR_MS)
                .fetch_all(&self.pool)
                .await?
        } else if let (Audience::Domains(domains), true) = (audience, from_ms % HOUR_MS == 0 && bucket_ms % HOUR_MS == 0) {
            // A domain administrator: the per-domain hourly counts.
            if domains.is_empty() {
                Vec::new()
            } else {
                let placeholders: Vec<String> = (0..domains.len()).map(|index| format!("${}", index + 3)).collect();
                let sql = format!(
                    "SELECT (hour * {HOUR_MS} - {from_ms}) / {bucket_ms} AS bucket, main_class, CAST(SUM(count) AS BIGINT) \
                     FROM log_domain_counts WHERE hour >= $1 AND hour < $2 AND domain IN ({}) GROUP BY bucket, main_class",
                    placeholders.join(", ")
                );
                let mut query = crate::search::read_query(sql).bind(from_ms / HOUR_MS).bind((until_ms + HOUR_MS - 1) / HOUR_MS);
                for domain in domains {
                    query = query.bind(domain.to_ascii_lowercase());
                }
                query.fetch_all(&self.pool).await?
            }
        } else if let Audience::Mailbox(address) = audience {
            // A mailbox: its own rows, found through log_recipients (migration
            // 0020) by address and time, each row's class read by its id.
            let sql = format!(
                "SELECT (log_recipients.received_at - {from_ms}) / {bucket_ms} AS bucket, log.main_class, COUNT(*) \
                 FROM log_recipients JOIN log ON log.id = log_recipients.log_id \
                 WHERE log_recipients.recipient = $1 AND log_recipients.received_at >= $2 AND log_recipients.received_at < $3 \
                 AND log.direction = $4 GROUP BY bucket, log.main_class",
                bucket_ms = bucket_ms.max(1),
            );
            crate::search::read_query(sql)
                .bind(address.to_ascii_lowercase())
                .bind(from_ms)
                .bind(until_ms)
                .bind(Direction::Incoming.as_str())
                .fetch_all(&self.pool)
                .await?
        } else {
            // Times not on the hour: the rows, read through the index on received_at.
            let conditions = range();
            let sql = format!(
                "SELECT (received_at - {from_ms}) / {bucket_ms} AS bucket, main_class, COUNT(*) FROM log{} GROUP BY bucket, main_class",
                conditions.clause(),
                bucket_ms = bucket_ms.max(1),
            );
            conditions.bind(crate::search::read_query(sql)).fetch_all(&self.pool).await?
        };
        for row in &rows {
            dashboard.buckets.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
        // The top lists over the newest rows of the range, in one statement: the
        // rows are picked once (by id, the primary key, newest first) into a
        // common table expression, which both databases materialise because it
        // is read four times, and each list groups them. (Four statements
        // walked the log four times: 100 ms for a domain administrator's month
        // on PostgreSQL.)
        let conditions = newest();
        let list = |index: i64, column: &str| {
            format!(
                "SELECT * FROM (SELECT CAST({index} AS BIGINT) AS list, {column} AS value, COUNT(*) AS n FROM newest \
                 GROUP BY {column} ORDER BY n DESC, {column} LIMIT 10) AS list{index}"
            )
        };
        let sql = format!(
            "WITH newest AS (SELECT sender, recipients, sub_class FROM log{} ORDER BY id DESC LIMIT {TOP_SAMPLE}) \
             SELECT * FROM ({} UNION ALL {} UNION ALL {} UNION ALL SELECT CAST(3 AS BIGINT), '', COUNT(*) FROM newest) AS lists \
             ORDER BY list, n DESC, value",
            conditions.clause(),
            list(0, "sender"),
            list(1, "recipients"),
            list(2, "sub_class"),
        );
        let rows = conditions.bind(crate::search::read_query(sql)).fetch_all(&self.pool).await?;
        for row in &rows {
            let (list, value, count) = (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?, row.try_get::<i64, _>(2)?);
            match list {
                0 => dashboard.top_senders.push((value, count)),
                1 => dashboard.top_recipients.push((value, count)),
                2 => dashboard.top_subclasses.push((value, count)),
                _ => dashboard.sampled = count,
            }
        }
        let mut conditions = Conditions::default();
        conditions.sql.push("released_at IS NULL".to_owned());
        conditions.quarantine_audience(audience);
        let sql = format!("SELECT COUNT(*) FROM quarantine{}", conditions.clause());
        dashboard.quarantined = conditions.bind(crate::search::read_query(sql)).fetch_one(&self.pool).await?.try_get(0)?;
        Ok(dashboard)
    }
}
