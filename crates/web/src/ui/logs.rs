//! `/logs` (the incoming log) and `/outgoing/logs` (mail our users sent):
//! search, newest first, keyset pages, the four class columns with tooltips;
//! `/logs/{id}` (one transaction of either direction: envelope, every header,
//! every finding with its evidence, the decision, the reply, every delivery
//! attempt), `/logs/{id}/source` (the raw message, administrators only) and
//! its "report as spam / not spam" (the API's report path).
//!
//! Who sees a row: an incoming row by its recipients, an outgoing one by its
//! sender ([`sluice_store::Audience::sees_row`]).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sluice_model::{Action, MainClass, Subclass};
use sluice_store::{Direction, LogPage, LogRow, LogSearch, Role, UNINDEXED_SCAN_ROWS};
use time::PrimitiveDateTime;
use time::macros::format_description;

use super::view::{self, Class, Nav, shown};
use super::{Ui, Viewer};

/// Rows per page.
const PAGE_ROWS: i64 = 50;

/// The columns of the log table: key (for the "Visible columns" menu) and title.
const COLUMNS: [(&str, &str); 10] = [
    ("time", "Time (UTC)"),
    ("sender", "Sender"),
    ("recipients", "Recipients"),
    ("subject", "Subject"),
    ("main", "Main Class"),
    ("sub", "Subclass"),
    ("error", "Error Class"),
    ("extra", "Extra Class"),
    ("ip", "Client IP"),
    ("action", "Action"),
];

/// The search form, as typed (shown back in the form).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogForm {
    from: String,
    until: String,
    sender: String,
    recipient: String,
    subject: String,
    ip: String,
    main: String,
    sub: String,
    action: String,
    before: String,
}

pub(crate) struct Choice {
    value: &'static str,
    selected: bool,
}

fn choices(values: impl Iterator<Item = &'static str>, selected: &str) -> Vec<Choice> {
    values.map(|value| Choice { value, selected: value == selected }).collect()
}

pub(crate) struct LogLine {
    id: i64,
    time: String,
    sender: String,
    recipients: String,
    subject: String,
    main: Class,
    sub: Class,
    error: Option<Class>,
    extra: String,
    client_ip: String,
    action: &'static str,
}

impl From<&LogRow> for LogLine {
    fn from(row: &LogRow) -> LogLine {
        let entry = &row.entry;
        LogLine {
            id: row.id,
            time: view::time(entry.received_at_ms),
            sender: shown(&entry.sender),
            recipients: shown(&entry.recipients.join(", ")),
            subject: shown(&entry.subject),
            main: Class::main(entry.main_class),
            sub: Class::sub(entry.sub_class),
            error: entry.error_class.map(Class::error),
            extra: shown(&entry.extra_class),
            client_ip: shown(&entry.client_ip),
            action: entry.action.as_str(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "logs.html")]
struct LogsPage {
    nav: Nav,
    /// `Incoming log` or `Outgoing log`.
    title: &'static str,
    /// The page's own path, for the search form.
    base: &'static str,
    form: LogForm,
    main_classes: Vec<Choice>,
    sub_classes: Vec<Choice>,
    actions: Vec<Choice>,
    columns: [(&'static str, &'static str); 10],
    rows: Vec<LogLine>,
    next: Option<String>,
    /// The search stopped at the rows it may examine without an index: how
    /// many, for the notice (the `next` link goes on from there).
    limited: Option<String>,
    error: Option<String>,
}

/// A time from the form: `YYYY-MM-DDTHH:MM[:SS]` (a `datetime-local` input),
/// read as UTC, in ms since the epoch.
fn form_time(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let long = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let short = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(text, long)
        .or_else(|_| PrimitiveDateTime::parse(text, short))
        .map(|time| Some((time.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64))
        .map_err(|_| format!("{text:?} is not a time (YYYY-MM-DDTHH:MM)"))
}

/// `text` trimmed, unless that is empty.
fn nonempty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

/// The store's search for the form, or what is wrong with the form.
fn search_for(form: &LogForm, viewer: &Viewer, direction: Direction) -> Result<LogSearch, String> {
    let mut search = LogSearch::new(viewer.user.audience(), PAGE_ROWS);
    search.direction = direction;
    search.from_ms = form_time(&form.from)?;
    search.until_ms = form_time(&form.until)?;
    search.sender = form.sender.clone();
    search.recipient = form.recipient.clone();
    search.subject = form.subject.clone();
    search.client_ip = form.ip.clone();
    search.main_class = nonempty(&form.main).map(|text| MainClass::parse(text).map_err(|error| error.to_string())).transpose()?;
    search.sub_class = nonempty(&form.sub).map(|text| Subclass::parse(text).map_err(|error| error.to_string())).transpose()?;
    search.action =
        nonempty(&form.action).map(|text| Action::parse(text).ok_or_else(|| format!("unknown action {text:?}"))).transpose()?;
    search.before_id =
        nonempty(&form.before).map(|text| text.parse::<i64>().map_err(|_| format!("{text:?} is not a row id"))).transpose()?;
    Ok(search)
}

/// The URL of the page after `last_id` with the same search.
fn next_page(form: &LogForm, base: &str, last_id: i64) -> String {
    let fields = [
        ("from", &form.from),
        ("until", &form.until),
        ("sender", &form.sender),
        ("recipient", &form.recipient),
        ("subject", &form.subject),
        ("ip", &form.ip),
        ("main", &form.main),
        ("sub", &form.sub),
        ("action", &form.action),
    ];
    let mut query: Vec<String> = fields
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", view::query_value(value)))
        .collect();
    query.push(format!("before={last_id}"));
    format!("{base}?{}", query.join("&"))
}

/// `number` with a comma between each group of three digits.
fn thousands(number: i64) -> String {
    let digits = number.unsigned_abs().to_string();
    let mut text = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    if number < 0 { format!("-{text}") } else { text }
}

/// The path of the log of a direction, and its title.
fn log_page(direction: Direction) -> (&'static str, &'static str, &'static str) {
    match direction {
        Direction::Incoming => ("/logs", "Incoming log", "logs"),
        Direction::Outgoing => ("/outgoing/logs", "Outgoing log", "outgoing"),
    }
}

/// `GET /logs`.
pub(crate) async fn incoming(state: State<Arc<Ui>>, viewer: Extension<Viewer>, form: Query<LogForm>) -> Response {
    list(state, viewer, form, Direction::Incoming).await
}

/// `GET /outgoing/logs`.
pub(crate) async fn outgoing(state: State<Arc<Ui>>, viewer: Extension<Viewer>, form: Query<LogForm>) -> Response {
    list(state, viewer, form, Direction::Outgoing).await
}

async fn list(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Query(form): Query<LogForm>,
    direction: Direction,
) -> Response {
    let (base, title, nav) = log_page(direction);
    let (page, error) = match search_for(&form, &viewer, direction) {
        Ok(search) => match ui.gateway.store.search_logs_page(&search).await {
            Ok(page) => (page, None),
            Err(error) => return view::store_failed(error),
        },
        Err(error) => (LogPage::default(), Some(error)),
    };
    let rows = page.rows;
    // A full page goes on after its last row; a page cut short by the rows an
    // unindexed search may examine goes on below the rows it examined.
    let next = match page.examined_down_to {
        Some(floor) => Some(next_page(&form, base, floor)),
        None => (rows.len() as i64 == PAGE_ROWS).then(|| rows.last().map(|row| next_page(&form, base, row.id))).flatten(),
    };
    let limited = page.examined_down_to.map(|_| thousands(UNINDEXED_SCAN_ROWS));
    let page = LogsPage {
        nav: Nav::new(&viewer, nav),
        title,
        base,
        main_classes: choices(MainClass::ALL.iter().map(|class| class.as_str()), form.main.trim()),
        sub_classes: choices(Subclass::ALL.iter().map(|class| class.as_str()), form.sub.trim()),
        actions: choices(
            [Action::Deliver, Action::Quarantine, Action::Reject, Action::TempReject, Action::Discard].into_iter().map(Action::as_str),
            form.action.trim(),
        ),
        columns: COLUMNS,
        rows: rows.iter().map(LogLine::from).collect(),
        next,
        limited,
        error,
        form,
    };
    page.into_response()
}

pub(crate) struct FindingLine {
    check: String,
    main: Class,
    sub: Class,
    reason: &'static str,
    extra: String,
    score: String,
    error: Option<Class>,
    decided: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "log_detail.html")]
struct LogDetailPage {
    nav: Nav,
    id: i64,
    /// Where "back" goes: the log of the row's direction, and its title.
    back: &'static str,
    back_title: &'static str,
    direction: &'static str,
    time: String,
    client_ip: String,
    helo: String,
    sender: String,
    recipients: Vec<String>,
    subject: String,
    main: Class,
    sub: Class,
    error: Option<Class>,
    extra: String,
    score: String,
    reply: String,
    action: &'static str,
    delivery: String,
    quarantine: Option<String>,
    /// The message is stored, so it can be reported (taught) as spam or not.
    reportable: bool,
    notice: Option<&'static str>,
    decision: String,
    findings: Vec<FindingLine>,
    lookups: Vec<(String, String, u64)>,
    /// Every delivery attempt: time, route, outcome.
    attempts: Vec<(String, String, String)>,
    /// The header fields as received (name, value); whether some were cut.
    headers: Vec<(String, String)>,
    headers_cut: bool,
    /// The raw source may be opened (an administrator, a stored message).
    source: bool,
}

fn score(score: Option<f64>) -> String {
    score.map(|score| format!("{score:.4}")).unwrap_or_default()
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct DetailQuery {
    /// What was just done: `learned`, `already-learned`, `not-stored`.
    done: String,
}

fn detail_notice(done: &str) -> Option<&'static str> {
    match done {
        "learned" => Some("Reported: the classifiers learned from this message."),
        "already-learned" => Some("This message had already been reported that way."),
        "not-stored" => Some("The message is no longer stored, so it cannot be reported."),
        _ => None,
    }
}

/// `GET /logs/{id}`: 404 for a row the viewer may not see, as for one that does
/// not exist, so ids cannot be probed.
pub(crate) async fn detail(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Query(query): Query<DetailQuery>,
) -> Response {
    let not_found = || view::message(StatusCode::NOT_FOUND, "Not found", "There is no such log row.", "/logs");
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let row = match ui.gateway.store.get_log(id).await {
        Ok(Some(row)) if viewer.user.audience().sees_row(&row.entry) => row,
        Ok(_) => return not_found(),
        Err(error) => return view::store_failed(error),
    };
    let attempts = match ui.gateway.store.delivery_attempts(id).await {
        Ok(attempts) => attempts
            .iter()
            .map(|attempt| (view::time(attempt.attempted_at_ms), shown(&attempt.route), shown(&attempt.outcome)))
            .collect(),
        Err(error) => return view::store_failed(error),
    };
    let raw = match &row.message_id {
        Some(message_id) => match ui.gateway.store.message_raw(message_id).await {
            Ok(raw) => raw,
            Err(error) => return view::store_failed(error),
        },
        None => None,
    };
    let (headers, headers_cut) = raw.as_deref().map(super::message_headers::header_fields).unwrap_or_default();
    let headers = headers.iter().map(|(name, value)| (shown(name), view::shown_text(value))).collect();
    let (back, back_title, nav) = log_page(row.entry.direction);
    // The API's view of the same row says in words how it was decided.
    let decision = crate::LogDetail::from(row.clone()).decision.text;
    let explanation = &row.entry.explanation;
    let decided = explanation.decided.map(|step| step.finding);
    let findings = explanation
        .findings
        .iter()
        .enumerate()
        .map(|(index, finding)| FindingLine {
            check: shown(&finding.check),
            main: Class::main(finding.main_class),
            sub: Class::sub(finding.sub_class),
            reason: finding.reason.as_str(),
            extra: shown(&finding.extra_class),
            score: score(finding.score),
            error: finding.error_class.map(Class::error),
            decided: decided == Some(index),
        })
        .collect();
    let lookups = explanation.lookups.iter().map(|lookup| (shown(&lookup.what), shown(&lookup.outcome), lookup.took_ms)).collect();
    let entry = &row.entry;
    let page = LogDetailPage {
        nav: Nav::new(&viewer, nav),
        id: row.id,
        back,
        back_title,
        direction: entry.direction.as_str(),
        time: view::time(entry.received_at_ms),
        client_ip: shown(&entry.client_ip),
        helo: shown(&entry.helo),
        sender: shown(&entry.sender),
        recipients: entry.recipients.iter().map(|recipient| shown(recipient)).collect(),
        subject: shown(&entry.subject),
        main: Class::main(entry.main_class),
        sub: Class::sub(entry.sub_class),
        error: entry.error_class.map(Class::error),
        extra: shown(&entry.extra_class),
        score: score(entry.score),
        reply: shown(&entry.reply),
        action: entry.action.as_str(),
        delivery: shown(row.delivery.as_deref().unwrap_or("")),
        quarantine: row.quarantine_id.clone(),
        reportable: row.message_id.is_some(),
        notice: detail_notice(&query.done),
        decision,
        findings,
        lookups,
        attempts,
        headers,
        headers_cut,
        source: raw.is_some() && viewer.user.role == Role::Admin,
    };
    page.into_response()
}

/// `GET /logs/{id}/source`: the message as stored (with our `Received:`), as
/// plain text, for administrators only: it is the whole mail, attachments and
/// all, which the other roles see only as the quarantine's text preview. Sent
/// as `text/plain` with `nosniff` and the strict CSP, so no browser renders
/// the markup inside; a row one may not see is 404, another role 403.
pub(crate) async fn source(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> Response {
    let not_found = || view::message(StatusCode::NOT_FOUND, "Not found", "There is no such log row.", "/logs");
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let row = match ui.gateway.store.get_log(id).await {
        Ok(Some(row)) if viewer.user.audience().sees_row(&row.entry) => row,
        Ok(_) => return not_found(),
        Err(error) => return view::store_failed(error),
    };
    if viewer.user.role != Role::Admin {
        return view::message(StatusCode::FORBIDDEN, "Administrators only", "The raw source is shown to administrators only.", "/logs");
    }
    let raw = match &row.message_id {
        Some(message_id) => match ui.gateway.store.message_raw(message_id).await {
            Ok(raw) => raw,
            Err(error) => return view::store_failed(error),
        },
        None => None,
    };
    let Some(raw) = raw else {
        return view::message(StatusCode::NOT_FOUND, "Not stored", "The message is not stored (refused, or past its retention).", "/logs");
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, log_id = id, "raw source read");
    ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], raw).into_response()
}

#[derive(Deserialize)]
pub(crate) struct ReportForm {
    #[serde(rename = "as")]
    label: String,
}

/// `POST /logs/{id}/report` with `as` = `spam` or `not-spam` (CSRF-checked by
/// the gate): teaches the classifiers, as the API's report does.
pub(crate) async fn report(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ReportForm>,
) -> Response {
    let not_found = || view::message(StatusCode::NOT_FOUND, "Not found", "There is no such log row.", "/logs");
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let label = match MainClass::parse(&form.label) {
        Ok(MainClass::Spam) => sluice_statistical::Label::Spam,
        Ok(MainClass::NotSpam) => sluice_statistical::Label::Ham,
        _ => return view::message(StatusCode::BAD_REQUEST, "Bad report", "A message is reported as spam or as not spam.", "/logs"),
    };
    match ui.gateway.store.get_log(id).await {
        Ok(Some(row)) if viewer.user.audience().sees_row(&row.entry) => {}
        Ok(_) => return not_found(),
        Err(error) => return view::store_failed(error),
    }
    let done = match ui.gateway.report(id, label).await {
        Ok(sluice_gateway::Reported::Learned) => "learned",
        Ok(sluice_gateway::Reported::AlreadyLearned) => "already-learned",
        Ok(sluice_gateway::Reported::NoMessage) => "not-stored",
        Ok(sluice_gateway::Reported::NotFound) => return not_found(),
        Err(error) => return view::store_failed(error),
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, log_id = id, label = %form.label, outcome = done, "report");
    Redirect::to(&format!("/logs/{id}?done={done}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_times_are_utc() {
        assert_eq!(form_time(""), Ok(None));
        assert_eq!(form_time("1970-01-01T00:01"), Ok(Some(60_000)));
        assert_eq!(form_time("1970-01-01T00:01:02"), Ok(Some(62_000)));
        assert!(form_time("yesterday").is_err());
    }

    #[test]
    fn the_next_page_keeps_the_search() {
        let form = LogForm { sender: "a@b.test".to_owned(), main: MainClass::Spam.as_str().to_owned(), before: "99".to_owned(), ..LogForm::default() };
        assert_eq!(next_page(&form, "/logs", 42), format!("/logs?sender=a%40b.test&main={}&before=42", MainClass::Spam));
    }
}
