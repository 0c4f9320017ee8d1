//! `/quarantine`: the messages held, searchable, newest first; a preview of
//! each as plain text; release (deliver, and learn as not spam: the API's
//! release path) and delete (the message is not wanted: it leaves the
//! quarantine, its bytes stay for the training retention).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mail_parser::MimeHeaders;
use serde::Deserialize;
use sluice_store::{QuarantineRow, QuarantineSearch, Released};

use super::view::{self, Class, Nav, shown};
use super::{Ui, Viewer};

/// Rows per page.
const PAGE_ROWS: i64 = 50;
/// The most text a preview shows (characters).
const PREVIEW_CHARS: usize = 100_000;

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct QuarantineForm {
    sender: String,
    recipient: String,
    subject: String,
    /// `CREATED_MS.ID` of the last row of the previous page.
    after: String,
    /// What was just done: `released`, `already-released`, `not-found`.
    done: String,
}

pub(crate) struct QuarantineLine {
    id: String,
    time: String,
    sender: String,
    recipients: String,
    subject: String,
    main: Class,
    sub: Class,
}

impl From<&QuarantineRow> for QuarantineLine {
    fn from(row: &QuarantineRow) -> QuarantineLine {
        QuarantineLine {
            id: shown(&row.id),
            time: view::time(row.created_at_ms),
            sender: shown(&row.sender),
            recipients: shown(&row.recipients.join(", ")),
            subject: shown(&row.subject),
            main: Class::main(row.main_class),
            sub: Class::sub(row.sub_class),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine.html")]
struct QuarantinePage {
    nav: Nav,
    form: QuarantineForm,
    notice: Option<&'static str>,
    rows: Vec<QuarantineLine>,
    next: Option<String>,
}

fn notice(done: &str) -> Option<&'static str> {
    match done {
        "released" => Some("Released: the message is queued for delivery and was learned as not spam."),
        "already-released" => Some("That message had already been released."),
        "not-found" => Some("That message is no longer in the quarantine."),
        "deleted" => Some("Deleted from the quarantine."),
        "forbidden" => Some("That message holds a virus: only an administrator may release it."),
        _ => None,
    }
}

/// `GET /quarantine`.
pub(crate) async fn list(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Query(form): Query<QuarantineForm>) -> Response {
    let after = form
        .after
        .split_once('.')
        .and_then(|(created, id)| Some((created.parse::<i64>().ok()?, id.to_owned())));
    let search = QuarantineSearch {
        sender: form.sender.clone(),
        recipient: form.recipient.clone(),
        subject: form.subject.clone(),
        after,
        limit: PAGE_ROWS,
        audience: viewer.user.audience(),
    };
    let rows = match ui.gateway.store.search_quarantine(&search).await {
        Ok(rows) => rows,
        Err(error) => return view::store_failed(error),
    };
    let next = (rows.len() as i64 == PAGE_ROWS)
        .then(|| rows.last())
        .flatten()
        .map(|last| {
            format!(
                "/quarantine?sender={}&recipient={}&subject={}&after={}.{}",
                view::query_value(&form.sender),
                view::query_value(&form.recipient),
                view::query_value(&form.subject),
                last.created_at_ms,
                view::query_value(&last.id)
            )
        });
    QuarantinePage {
        nav: Nav::new(&viewer, "quarantine"),
        notice: notice(&form.done),
        rows: rows.iter().map(QuarantineLine::from).collect(),
        next,
        form,
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "quarantine_preview.html")]
struct PreviewPage {
    nav: Nav,
    id: String,
    time: String,
    sender: String,
    recipients: String,
    from: String,
    subject: String,
    main: Class,
    sub: Class,
    log_id: i64,
    attachments: Vec<String>,
    released: bool,
    text: String,
}

/// A quarantined row the viewer may see, or `None`.
async fn visible_row(ui: &Ui, viewer: &Viewer, id: &str) -> Result<Option<QuarantineRow>, sluice_store::StoreError> {
    Ok(ui.gateway.store.get_quarantine(id).await?.filter(|row| viewer.user.audience().sees(&row.recipients)))
}

/// The text of a message as a preview shows it: its text part, or its HTML
/// converted to text (mail-parser's conversion: tags dropped, nothing
/// fetched), never the HTML itself; with its From and attachment names.
fn preview_text(raw: &[u8]) -> (String, String, Vec<String>) {
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return (String::new(), "(the message could not be parsed)".to_owned(), Vec::new());
    };
    let from = message
        .from()
        .and_then(|from| from.first())
        .map(|address| match (address.name(), address.address()) {
            (Some(name), Some(address)) => format!("{name} <{address}>"),
            (None, Some(address)) => address.to_owned(),
            (Some(name), None) => name.to_owned(),
            (None, None) => String::new(),
        })
        .unwrap_or_default();
    let mut text = message.body_text(0).map(|text| text.into_owned()).unwrap_or_else(|| "(no text)".to_owned());
    if text.chars().count() > PREVIEW_CHARS {
        text = text.chars().take(PREVIEW_CHARS).collect::<String>() + "\n[...]";
    }
    let attachments =
        message.attachments().take(100).map(|part| part.attachment_name().unwrap_or("(no name)").to_owned()).collect();
    (from, text, attachments)
}

/// `GET /quarantine/{id}`.
pub(crate) async fn preview(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> Response {
    let row = match visible_row(&ui, &viewer, &id).await {
        Ok(Some(row)) => row,
        Ok(None) => return view::message(StatusCode::NOT_FOUND, "Not found", "There is no such quarantined message.", "/quarantine"),
        Err(error) => return view::store_failed(error),
    };
    let raw = match ui.gateway.store.message_raw(&row.message_id).await {
        Ok(raw) => raw.unwrap_or_default(),
        Err(error) => return view::store_failed(error),
    };
    let (from, text, attachments) = preview_text(&raw);
    PreviewPage {
        nav: Nav::new(&viewer, "quarantine"),
        id: shown(&row.id),
        time: view::time(row.created_at_ms),
        sender: shown(&row.sender),
        recipients: shown(&row.recipients.join(", ")),
        from: shown(&from),
        subject: shown(&row.subject),
        main: Class::main(row.main_class),
        sub: Class::sub(row.sub_class),
        log_id: row.log_id,
        attachments: attachments.iter().map(|name| shown(name)).collect(),
        released: row.released_at_ms.is_some(),
        text: view::shown_text(&text),
    }
    .into_response()
}

/// `POST /quarantine/{id}/release` (CSRF-checked by the gate): the API's
/// release, recorded as released by this user.
pub(crate) async fn release(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> Response {
    match visible_row(&ui, &viewer, &id).await {
        Ok(Some(_)) => {}
        Ok(None) => return Redirect::to("/quarantine?done=not-found").into_response(),
        Err(error) => return view::store_failed(error),
    }
    let by_administrator = viewer.user.role == sluice_store::Role::Admin;
    let done = match ui.gateway.release(&id, &viewer.user.name, by_administrator).await {
        Ok(Released::Queued { .. }) => "released",
        Ok(Released::AlreadyReleased) => "already-released",
        Ok(Released::NotFound) => "not-found",
        // A virus is released by an administrator only.
        Ok(Released::Forbidden) => "forbidden",
        Err(error) => return view::store_failed(error),
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, quarantine = %id, outcome = done, "quarantine release");
    Redirect::to(&format!("/quarantine?done={done}")).into_response()
}

/// `POST /quarantine/{id}/delete` (CSRF-checked by the gate).
pub(crate) async fn delete(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> Response {
    match visible_row(&ui, &viewer, &id).await {
        Ok(Some(_)) => {}
        Ok(None) => return Redirect::to("/quarantine?done=not-found").into_response(),
        Err(error) => return view::store_failed(error),
    }
    let done = match ui.gateway.store.delete_quarantine(&id, &viewer.user.name).await {
        Ok(true) => "deleted",
        Ok(false) => "not-found",
        Err(error) => return view::store_failed(error),
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, quarantine = %id, outcome = done, "quarantine delete");
    Redirect::to(&format!("/quarantine?done={done}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_previewed_as_text() {
        let raw = b"From: Mallory <m@evil.test>\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>you</b></p><script>alert(1)</script><img src=\"https://evil.test/t.png\">";
        let (from, text, attachments) = preview_text(raw);
        assert_eq!(from, "Mallory <m@evil.test>");
        assert!(text.contains("Hello"), "{text}");
        assert!(!text.contains('<'), "markup left in the preview: {text}");
        assert!(attachments.is_empty());
    }
}
