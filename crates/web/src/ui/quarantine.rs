//! `/quarantine`: the messages held, searchable, newest first; a preview of
//! each as plain text; and what can be done with one or several (selected with
//! check boxes, `POST /quarantine/bulk`):
//! - release (deliver, and learn as not spam: the API's release path);
//! - release without training (wanted, but no example of ham: a newsletter);
//! - delete (not wanted: it leaves the quarantine, its bytes stay for the
//!   training retention);
//! - train as spam (delete, and learn as spam);
//! - allow this sender (one message: an allow-list entry for its envelope
//!   sender, authenticated, at the narrowest scope the viewer speaks for;
//!   incoming mail only).
//!
//! Outgoing mail our users sent is seen by its sender's audience, and only
//! administrators and domain administrators release or train with it
//! (`access::may_release_or_train`): its sender may delete (withdraw) it.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mail_parser::MimeHeaders;
use serde::Deserialize;
use sluice_core::checks::lists::ListKind;
use sluice_store::{Direction, QuarantineRow, QuarantineSearch, Released, Role};

use super::view::{self, Class, Nav, shown};
use super::{Ui, Viewer};
use crate::access;

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
    /// What was just done: `released`, `already-released`, `not-found`, ...
    done: String,
    /// After a bulk action: how many messages it was done to, and how many
    /// were refused (gone, released already, a virus for a non-administrator).
    count: u32,
    refused: u32,
}

/// What can be done to a quarantined message (the `action` of a form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QuarantineAction {
    Release,
    ReleaseUntrained,
    Delete,
    TrainSpam,
}

impl QuarantineAction {
    const ALL: [QuarantineAction; 4] =
        [QuarantineAction::Release, QuarantineAction::ReleaseUntrained, QuarantineAction::Delete, QuarantineAction::TrainSpam];

    /// The form value and the path segment (`/quarantine/{id}/{name}`).
    fn name(self) -> &'static str {
        match self {
            QuarantineAction::Release => "release",
            QuarantineAction::ReleaseUntrained => "release-untrained",
            QuarantineAction::Delete => "delete",
            QuarantineAction::TrainSpam => "spam",
        }
    }

    fn parse(text: &str) -> Option<QuarantineAction> {
        QuarantineAction::ALL.into_iter().find(|action| action.name() == text)
    }

    /// The outcome word for a redirect when it worked.
    fn done(self) -> &'static str {
        match self {
            QuarantineAction::Release => "released",
            QuarantineAction::ReleaseUntrained => "released-untrained",
            QuarantineAction::Delete => "deleted",
            QuarantineAction::TrainSpam => "trained-spam",
        }
    }
}

pub(crate) struct QuarantineLine {
    id: String,
    time: String,
    outgoing: bool,
    /// The viewer may release it (the row's release button).
    releasable: bool,
    sender: String,
    recipients: String,
    subject: String,
    main: Class,
    sub: Class,
}

impl QuarantineLine {
    fn new(row: &QuarantineRow, viewer: &Viewer) -> QuarantineLine {
        QuarantineLine {
            id: shown(&row.id),
            time: view::time(row.created_at_ms),
            outgoing: row.direction == Direction::Outgoing,
            releasable: access::may_release_or_train(viewer.user.role, row),
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
    notice: Option<String>,
    rows: Vec<QuarantineLine>,
    next: Option<String>,
}

fn notice(form: &QuarantineForm) -> Option<String> {
    if form.done.starts_with("bulk-") {
        let done = match form.done.as_str() {
            "bulk-released" => "Released (and learned as not spam)",
            "bulk-released-untrained" => "Released without training",
            "bulk-deleted" => "Deleted",
            "bulk-trained-spam" => "Deleted and learned as spam",
            _ => return None,
        };
        let refused = if form.refused > 0 {
            format!("; {} could not be (gone, released already, a virus, or outgoing mail for an administrator)", form.refused)
        } else {
            String::new()
        };
        return Some(format!("{done}: {} message(s){refused}.", form.count));
    }
    single_notice(&form.done).map(str::to_owned)
}

fn single_notice(done: &str) -> Option<&'static str> {
    match done {
        "released" => Some("Released: the message is queued for delivery and was learned as not spam."),
        "released-untrained" => Some("Released: the message is queued for delivery; nothing was learned from it."),
        "trained-spam" => Some("Deleted from the quarantine and learned as spam."),
        "allowed" => Some("The sender is on the allow list now (when its mail is authenticated)."),
        "allow-refused" => Some("The sender cannot be allowed (no sender address, outgoing mail, or no domain of yours among the recipients)."),
        "already-released" => Some("That message had already been released."),
        "not-found" => Some("That message is no longer in the quarantine."),
        "deleted" => Some("Deleted from the quarantine."),
        "forbidden" => Some("That message holds a virus: only an administrator may release it."),
        "forbidden-outgoing" => Some("Outgoing mail held by the filter is released (or learned from) by an administrator of your domain; you may delete it."),
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
        notice: notice(&form),
        rows: rows.iter().map(|row| QuarantineLine::new(row, &viewer)).collect(),
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
    outgoing: bool,
    /// The viewer may release it and train with it.
    releasable: bool,
    text: String,
    notice: Option<&'static str>,
}

/// A quarantined row the viewer may see, or `None`.
async fn visible_row(ui: &Ui, viewer: &Viewer, id: &str) -> Result<Option<QuarantineRow>, sluice_store::StoreError> {
    Ok(ui.gateway.store.get_quarantine(id).await?.filter(|row| viewer.user.audience().sees_quarantined(row)))
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
pub(crate) async fn preview(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    Query(form): Query<QuarantineForm>,
) -> Response {
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
        outgoing: row.direction == Direction::Outgoing,
        releasable: access::may_release_or_train(viewer.user.role, &row),
        text: view::shown_text(&text),
        notice: single_notice(&form.done),
    }
    .into_response()
}

/// Does `action` to the quarantined message `id` as `viewer`; the outcome
/// word (`released`, `not-found`, `forbidden`, ...). A message the viewer may
/// not see is `not-found`, as one that does not exist.
async fn act(ui: &Ui, viewer: &Viewer, id: &str, action: QuarantineAction) -> Result<&'static str, sluice_store::StoreError> {
    let Some(row) = visible_row(ui, viewer, id).await? else {
        return Ok("not-found");
    };
    let by_administrator = viewer.user.role == Role::Admin;
    let judging = matches!(action, QuarantineAction::Release | QuarantineAction::ReleaseUntrained | QuarantineAction::TrainSpam);
    let done = match action {
        _ if judging && !access::may_release_or_train(viewer.user.role, &row) => "forbidden-outgoing",
        QuarantineAction::Release | QuarantineAction::ReleaseUntrained => {
            let learn = action == QuarantineAction::Release;
            match ui.gateway.release_with(id, &viewer.user.name, by_administrator, learn).await? {
                Released::Queued { .. } => action.done(),
                Released::AlreadyReleased => "already-released",
                Released::NotFound => "not-found",
                // A virus is released by an administrator only.
                Released::Forbidden => "forbidden",
            }
        }
        QuarantineAction::Delete | QuarantineAction::TrainSpam => {
            if !ui.gateway.store.delete_quarantine(id, &viewer.user.name).await? {
                "not-found"
            } else if action == QuarantineAction::TrainSpam {
                // The bytes stay after a delete, for exactly this.
                ui.gateway.report(row.log_id, sluice_statistical::Label::Spam).await?;
                action.done()
            } else {
                action.done()
            }
        }
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, quarantine = %id, action = action.name(), outcome = done, "quarantine action");
    Ok(done)
}

/// `POST /quarantine/{id}/{release|release-untrained|delete|spam}`
/// (CSRF-checked by the gate).
pub(crate) async fn single(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    if action == "allow-sender" {
        return allow_sender(&ui, &viewer, &id).await;
    }
    let Some(action) = QuarantineAction::parse(&action) else {
        return view::message(StatusCode::NOT_FOUND, "Not found", "There is no such page.", "/quarantine");
    };
    match act(&ui, &viewer, &id, action).await {
        Ok(done) => Redirect::to(&format!("/quarantine?done={done}")).into_response(),
        Err(error) => view::store_failed(error),
    }
}

/// The most messages one bulk action takes (a page shows 50).
const MAX_BULK: usize = 200;

/// `POST /quarantine/bulk` with `action` and one `id` per selected message.
pub(crate) async fn bulk(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let action = fields.iter().find(|(name, _)| name == "action").and_then(|(_, value)| QuarantineAction::parse(value));
    let Some(action) = action else {
        return view::message(StatusCode::BAD_REQUEST, "No action", "Choose release, release without training, delete or train as spam.", "/quarantine");
    };
    let mut ids: Vec<&str> = fields.iter().filter(|(name, _)| name == "id").map(|(_, value)| value.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_BULK {
        return view::message(StatusCode::BAD_REQUEST, "Too many", "At most 200 messages at once.", "/quarantine");
    }
    let (mut count, mut refused) = (0u32, 0u32);
    for id in ids {
        match act(&ui, &viewer, id, action).await {
            Ok(done) if done == action.done() => count += 1,
            Ok(_) => refused += 1,
            Err(error) => return view::store_failed(error),
        }
    }
    Redirect::to(&format!("/quarantine?done=bulk-{}&count={count}&refused={refused}", action.done())).into_response()
}

/// The scopes an "allow this sender" of `viewer` goes to for a message to
/// `recipients`: a mailbox user's own mailbox; for an administrator or a
/// domain administrator, the domains of the recipients it speaks for. Never
/// `global`: one person's wanted newsletter is not the whole site's.
fn allow_scopes(viewer: &Viewer, recipients: &[String]) -> Vec<String> {
    if viewer.user.role == Role::User {
        return vec![format!("mailbox:{}", viewer.user.name)];
    }
    let audience = viewer.user.audience();
    let mut scopes: Vec<String> = recipients
        .iter()
        .filter(|recipient| audience.sees(std::slice::from_ref(recipient)))
        .filter_map(|recipient| recipient.rsplit_once('@').map(|(_, domain)| format!("domain:{}", domain.to_ascii_lowercase())))
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// `POST /quarantine/{id}/allow-sender`: adds the message's envelope sender to
/// the allow list (an authenticated sender entry, as `POST
/// /api/v1/lists/allow` would), once per scope; it does not release the
/// message (that is a separate choice).
async fn allow_sender(ui: &Ui, viewer: &Viewer, id: &str) -> Response {
    let row = match visible_row(ui, viewer, id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Redirect::to("/quarantine?done=not-found").into_response(),
        Err(error) => return view::store_failed(error),
    };
    // The allow lists judge incoming mail: for mail our user sent there is no
    // sender to allow.
    if row.direction == Direction::Outgoing {
        return Redirect::to(&format!("/quarantine/{}?done=allow-refused", view::query_value(id))).into_response();
    }
    let mut entries = Vec::new();
    for scope in allow_scopes(viewer, &row.recipients) {
        let validated = sluice_gateway::lists::validate(&ui.gateway.domains(), ListKind::Allow, &scope, "sender", &row.sender, false);
        let Ok(entry) = validated else { continue };
        let existing = match ui.gateway.store.list_entries(ListKind::Allow.as_str(), Some(&scope)).await {
            Ok(existing) => existing,
            Err(error) => return view::store_failed(error),
        };
        let known = existing.iter().any(|stored| stored.field == entry.field.as_str() && stored.value == entry.value && !stored.unauthenticated);
        if !known {
            entries.push(entry);
        }
    }
    let done = if entries.is_empty() {
        // Either nothing could be added, or it is all there already.
        let any_scope = allow_scopes(viewer, &row.recipients).iter().any(|scope| {
            sluice_gateway::lists::validate(&ui.gateway.domains(), ListKind::Allow, scope, "sender", &row.sender, false).is_ok()
        });
        if any_scope { "allowed" } else { "allow-refused" }
    } else {
        if let Err(error) = ui.gateway.add_list_entries(&entries).await {
            return view::store_failed(error);
        }
        "allowed"
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, quarantine = %id, sender = %row.sender, outcome = done, "allow sender");
    Redirect::to(&format!("/quarantine/{}?done={done}", view::query_value(id))).into_response()
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
