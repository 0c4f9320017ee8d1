//! The JSON API and the web interface (`ui`): the only crate that owns wire DTOs.
//!
//! Every `/api/v1` route needs a caller (`api_auth`): the configuration's admin
//! token, a user's API token or a web session (with `X-CSRF-Token` for
//! changes); without one, `401`. Each endpoint then applies the caller's role
//! (`access`): rows outside its audience are `404`, things its role may not
//! touch `403`. `/healthz` is open so load balancers can probe it, and
//! `/metrics` so Prometheus can scrape it. Every change made through the API
//! (anything but `GET`) is logged with who made it (target `sluice::audit`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sluice_core::checks::lists::{ListKind, ListScope};
use sluice_gateway::{Gateway, Reported, SettingsError};
use sluice_model::MainClass;
use sluice_store::{Direction, Explanation, LogRow, LogSearch, PathStep, QuarantineRow, QuarantineSearch, Released, Role, SettingsScope};

use crate::api_auth::{Caller, forbidden};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod access;
mod domains;
pub mod api_auth;
pub mod metrics;
mod rules;
pub mod server;
pub mod ui;

/// The router serving the API for `gateway`.
pub fn router(gateway: Arc<Gateway>) -> Router {
    let api = Router::new()
        .route("/whoami", get(api_auth::whoami))
        .route("/logs", get(list_logs))
        .route("/logs/{id}", get(get_log))
        .route("/quarantine", get(list_quarantine))
        .route("/auth-log", get(list_auth_log))
        .route("/quarantine/{id}/release", post(release))
        .route("/logs/{id}/report", post(report))
        .route("/domains", get(domains::list_domains).post(domains::add_domain))
        .route("/domains/{name}", axum::routing::delete(domains::remove_domain))
        .route("/domains/{name}/settings", get(domain_settings).put(update_domain_settings))
        .route("/settings/global", get(global_settings).put(update_global_settings))
        .route("/settings/domains/{name}", get(scoped_domain_settings).put(update_scoped_domain_settings))
        .route("/settings/mailboxes/{address}", get(mailbox_settings).put(update_mailbox_settings))
        .route("/lists/{kind}", get(list_entries).post(add_list_entry))
        .route("/lists/{kind}/{id}", axum::routing::delete(remove_list_entry))
        .route("/rules", get(rules::list_rules).post(rules::add_rule))
        .route("/rules/{id}", axum::routing::put(rules::update_rule).delete(rules::remove_rule))
        .route_layer(middleware::from_fn_with_state(gateway.clone(), api_auth::authenticate))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "no such API path"}))) })
        // Outside the authentication, so it can read the session.
        .layer(ui::session_layer(&gateway));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .nest("/api/v1", api)
        .with_state(gateway.clone())
        .merge(ui::router(gateway))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, server::REQUEST_DEADLINE))
}

/// Compares without an early exit, so response timing does not leak the token.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

async fn healthz(State(gateway): State<Arc<Gateway>>) -> Response {
    let health = gateway.health().await;
    let status = if health.ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(health)).into_response()
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<i64>,
}

impl Limit {
    /// `limit=0` (or below) asks for no rows and gets none.
    fn get(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(0, 1000)
    }
}

#[derive(Serialize)]
struct LogItem {
    id: i64,
    received_at: String,
    direction: &'static str,
    client_ip: String,
    helo: String,
    sender: String,
    recipients: Vec<String>,
    subject: String,
    main_class: &'static str,
    sub_class: &'static str,
    error_class: Option<&'static str>,
    extra_class: String,
    score: Option<f64>,
    reply: String,
    action: &'static str,
    quarantine_id: Option<String>,
    delivery: Option<String>,
}

impl From<LogRow> for LogItem {
    fn from(row: LogRow) -> LogItem {
        let entry = row.entry;
        LogItem {
            id: row.id,
            received_at: rfc3339(entry.received_at_ms),
            direction: entry.direction.as_str(),
            client_ip: entry.client_ip,
            helo: entry.helo,
            sender: entry.sender,
            recipients: entry.recipients,
            subject: entry.subject,
            main_class: entry.main_class.as_str(),
            sub_class: entry.sub_class.as_str(),
            error_class: entry.error_class.map(|class| class.as_str()),
            extra_class: entry.extra_class,
            score: entry.score,
            reply: entry.reply,
            action: entry.action.as_str(),
            quarantine_id: row.quarantine_id,
            delivery: row.delivery,
        }
    }
}

/// One log row with everything found and how the verdict was reached.
#[derive(Serialize)]
pub(crate) struct LogDetail {
    #[serde(flatten)]
    item: LogItem,
    findings: Vec<FindingItem>,
    pub(crate) decision: DecisionItem,
    lookups: Vec<LookupItem>,
}

#[derive(Serialize)]
struct FindingItem {
    check: String,
    main_class: &'static str,
    sub_class: &'static str,
    reason: &'static str,
    extra_class: String,
    score: Option<f64>,
    error_class: Option<&'static str>,
    /// Whether this finding decided the verdict.
    decided: bool,
}

/// The decision path: the precedence tier that decided (and its finding), and
/// what would have decided next.
#[derive(Serialize)]
pub(crate) struct DecisionItem {
    decided_tier: Option<&'static str>,
    decided_by: Option<usize>,
    next_tier: Option<&'static str>,
    next_finding: Option<usize>,
    /// The same in words.
    pub(crate) text: String,
}

#[derive(Serialize)]
struct LookupItem {
    what: String,
    outcome: String,
    took_ms: u64,
}

impl From<LogRow> for LogDetail {
    fn from(mut row: LogRow) -> LogDetail {
        let explanation = std::mem::take(&mut row.entry.explanation);
        let Explanation { findings, decided, next, lookups } = explanation;
        let name = |step: &PathStep| {
            findings
                .get(step.finding)
                .map(|finding| format!("{} ({}/{})", finding.check, finding.main_class, finding.sub_class))
                .unwrap_or_default()
        };
        let text = match (&decided, &next) {
            (None, _) => "nothing was found: not-spam / combined".to_owned(),
            (Some(decided), None) => format!("decided at tier {} by {}; nothing else was found", decided.tier, name(decided)),
            (Some(decided), Some(next)) => format!(
                "decided at tier {} by {}; next would have been tier {} by {}",
                decided.tier,
                name(decided),
                next.tier,
                name(next)
            ),
        };
        let decision = DecisionItem {
            decided_tier: decided.map(|step| step.tier.as_str()),
            decided_by: decided.map(|step| step.finding),
            next_tier: next.map(|step| step.tier.as_str()),
            next_finding: next.map(|step| step.finding),
            text,
        };
        let findings = findings
            .into_iter()
            .enumerate()
            .map(|(index, finding)| FindingItem {
                check: finding.check,
                main_class: finding.main_class.as_str(),
                sub_class: finding.sub_class.as_str(),
                reason: finding.reason.as_str(),
                extra_class: finding.extra_class,
                score: finding.score,
                error_class: finding.error_class.map(|class| class.as_str()),
                decided: decided.is_some_and(|step| step.finding == index),
            })
            .collect();
        let lookups = lookups
            .into_iter()
            .map(|lookup| LookupItem { what: lookup.what, outcome: lookup.outcome, took_ms: lookup.took_ms })
            .collect();
        LogDetail {
            item: LogItem::from(row),
            findings,
            decision,
            lookups,
        }
    }
}

#[derive(Serialize)]
struct QuarantineItem {
    id: String,
    created_at: String,
    direction: &'static str,
    subject: String,
    sender: String,
    recipients: Vec<String>,
    main_class: &'static str,
    sub_class: &'static str,
    log_id: i64,
}

impl From<QuarantineRow> for QuarantineItem {
    fn from(row: QuarantineRow) -> QuarantineItem {
        QuarantineItem {
            id: row.id,
            created_at: rfc3339(row.created_at_ms),
            direction: row.direction.as_str(),
            subject: row.subject,
            sender: row.sender,
            recipients: row.recipients,
            main_class: row.main_class.as_str(),
            sub_class: row.sub_class.as_str(),
            log_id: row.log_id,
        }
    }
}

pub(crate) fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub(crate) fn storage_error(error: sluice_store::StoreError) -> Response {
    tracing::error!(%error, "API request failed on the store");
    (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "storage unavailable"}))).into_response()
}

fn not_found(what: impl std::fmt::Display) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"id": what.to_string(), "error": "not found"}))).into_response()
}

/// `403` for a mailbox user on what only administrators manage.
pub(crate) fn administrators_only(caller: &Caller) -> Option<Response> {
    (caller.role() == Role::User).then(forbidden)
}

/// The newest rows of both directions `caller` may see.
async fn visible_logs(gateway: &Gateway, caller: &Caller, limit: i64) -> Result<Vec<LogRow>, sluice_store::StoreError> {
    if caller.is_admin() {
        return gateway.store.list_logs(limit).await;
    }
    let mut rows = Vec::new();
    for direction in [Direction::Incoming, Direction::Outgoing] {
        let search = LogSearch { direction, ..LogSearch::new(caller.audience(), limit) };
        rows.extend(gateway.store.search_logs(&search).await?);
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.id));
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

async fn list_logs(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Query(limit): Query<Limit>) -> Response {
    match visible_logs(&gateway, &caller, limit.get()).await {
        Ok(rows) => Json(json!({"items": rows.into_iter().map(LogItem::from).collect::<Vec<_>>()})).into_response(),
        Err(error) => storage_error(error),
    }
}

/// The SMTP AUTH events an admin must see (brute-force lockouts), newest first:
/// administrators only (they name users and client addresses of every domain).
async fn list_auth_log(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Query(limit): Query<Limit>) -> Response {
    if !caller.is_admin() {
        return forbidden();
    }
    match gateway.store.auth_events(limit.get()).await {
        Ok(rows) => {
            let items: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|row| {
                    json!({
                        "id": row.id,
                        "at": rfc3339(row.at_ms),
                        "node": row.node,
                        "client_ip": row.client_ip,
                        "username": row.username,
                        "event": row.event,
                        "scope": row.scope,
                        "detail": row.detail,
                    })
                })
                .collect();
            Json(json!({"items": items})).into_response()
        }
        Err(error) => storage_error(error),
    }
}

async fn get_log(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Path(id): Path<i64>) -> Response {
    match gateway.store.get_log(id).await {
        Ok(Some(row)) if caller.audience().sees_row(&row.entry) => Json(LogDetail::from(row)).into_response(),
        Ok(_) => (StatusCode::NOT_FOUND, Json(json!({"id": id, "error": "not found"}))).into_response(),
        Err(error) => storage_error(error),
    }
}

async fn list_quarantine(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Query(limit): Query<Limit>) -> Response {
    let rows = if caller.is_admin() {
        gateway.store.list_quarantine(limit.get()).await
    } else {
        let search = QuarantineSearch {
            sender: String::new(),
            recipient: String::new(),
            subject: String::new(),
            after: None,
            limit: limit.get(),
            audience: caller.audience(),
        };
        gateway.store.search_quarantine(&search).await
    };
    match rows {
        Ok(rows) => Json(json!({"items": rows.into_iter().map(QuarantineItem::from).collect::<Vec<_>>()})).into_response(),
        Err(error) => storage_error(error),
    }
}

async fn release(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Response {
    match gateway.store.get_quarantine(&id).await {
        Ok(Some(row)) if caller.audience().sees_quarantined(&row) => {
            if !access::may_release_or_train(caller.role(), &row) {
                return (StatusCode::FORBIDDEN, Json(json!({"id": id, "error": "outgoing mail is released by an administrator or a domain administrator"})))
                    .into_response();
            }
        }
        Ok(_) => return not_found(&id),
        Err(error) => return storage_error(error),
    }
    match gateway.release(&id, caller.name(), caller.is_admin()).await {
        Ok(Released::Queued { .. }) => Json(json!({"id": id, "status": "released"})).into_response(),
        Ok(Released::AlreadyReleased) => {
            (StatusCode::CONFLICT, Json(json!({"id": id, "error": "already released"}))).into_response()
        }
        Ok(Released::NotFound) => (StatusCode::NOT_FOUND, Json(json!({"id": id, "error": "not found"}))).into_response(),
        Ok(Released::Forbidden) => {
            (StatusCode::FORBIDDEN, Json(json!({"id": id, "error": "only an administrator may release this message"}))).into_response()
        }
        Err(error) => storage_error(error),
    }
}

#[derive(Deserialize)]
struct ReportRequest {
    #[serde(rename = "as")]
    label: String,
}

async fn report(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Json(request): Json<ReportRequest>,
) -> Response {
    match gateway.store.get_log(id).await {
        Ok(Some(row)) if caller.audience().sees_row(&row.entry) => {}
        Ok(_) => return not_found(id),
        Err(error) => return storage_error(error),
    }
    // The two main classes a message can be taught as ("ham" is the usual word).
    let label = match (MainClass::parse(&request.label), request.label.as_str()) {
        (Ok(MainClass::Spam), _) => sluice_statistical::Label::Spam,
        (Ok(MainClass::NotSpam), _) | (_, "ham") => sluice_statistical::Label::Ham,
        _ => {
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": "\"as\" must be \"spam\" or \"not-spam\""})))
                .into_response();
        }
    };
    match gateway.report(id, label).await {
        Ok(Reported::Learned) => Json(json!({"id": id, "status": "learned"})).into_response(),
        Ok(Reported::AlreadyLearned) => Json(json!({"id": id, "status": "already learned"})).into_response(),
        Ok(Reported::NotFound) => (StatusCode::NOT_FOUND, Json(json!({"id": id, "error": "not found"}))).into_response(),
        Ok(Reported::NoMessage) => (
            StatusCode::GONE,
            Json(json!({"id": id, "error": "the message is not stored (refused at SMTP time or past the training retention)"})),
        )
            .into_response(),
        Err(error) => storage_error(error),
    }
}

/// Whether `caller` may read and change the settings of domain `name`: `None`
/// when it may, else the refusal (`403` for a mailbox user, `404` for another's
/// domain, as for one that does not exist).
fn domain_refusal(caller: &Caller, name: &str) -> Option<Response> {
    administrators_only(caller)
        .or_else(|| (!caller.manages_domain(name)).then(|| (StatusCode::NOT_FOUND, Json(json!({"error": "no such domain"}))).into_response()))
}

/// As [`domain_refusal`] for a mailbox's settings.
fn mailbox_refusal(caller: &Caller, address: &str) -> Option<Response> {
    administrators_only(caller).or_else(|| {
        (!caller.manages_scope(&format!("mailbox:{address}")))
            .then(|| (StatusCode::NOT_FOUND, Json(json!({"error": "no such mailbox"}))).into_response())
    })
}

/// The alias of the first API version: a domain's settings in force (every key).
async fn domain_settings(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Path(name): Path<String>) -> Response {
    let name = name.to_ascii_lowercase();
    if let Some(refused) = domain_refusal(&caller, &name) {
        return refused;
    }
    if !gateway.domains().contains(&name) {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "no such domain"}))).into_response();
    }
    Json(gateway.settings_for(&name).as_ref().clone()).into_response()
}

/// The alias of the first API version: sets keys at the domain's scope and
/// answers the settings in force; a bad key is `422`.
async fn update_domain_settings(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Json(patch): Json<serde_json::Value>,
) -> Response {
    if let Some(refused) = domain_refusal(&caller, &name) {
        return refused;
    }
    match gateway.update_settings(SettingsScope::Domain, &name, patch).await {
        Ok(Some(_)) => Json(gateway.settings_for(&name.to_ascii_lowercase()).as_ref().clone()).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, Json(json!({"error": "no such domain"}))).into_response(),
        Err(SettingsError::Invalid(error)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": error.to_string(), "key": error.key}))).into_response()
        }
        Err(SettingsError::Store(error)) => storage_error(error),
    }
}

/// The keys set at one scope.
fn scope_settings(gateway: &Gateway, scope: SettingsScope, name: &str) -> Response {
    match gateway.settings_layer(scope, name) {
        Some(layer) => Json(layer).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": format!("no such {}", scope.as_str())}))).into_response(),
    }
}

/// Sets keys at one scope; answers the keys now set there, or `400` naming the
/// key that is unknown or has a wrong value.
async fn update_scope_settings(gateway: &Gateway, scope: SettingsScope, name: &str, patch: serde_json::Value) -> Response {
    match gateway.update_settings(scope, name, patch).await {
        Ok(Some(layer)) => Json(layer).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, Json(json!({"error": format!("no such {}", scope.as_str())}))).into_response(),
        Err(SettingsError::Invalid(error)) => {
            (StatusCode::BAD_REQUEST, Json(json!({"error": error.to_string(), "key": error.key}))).into_response()
        }
        Err(SettingsError::Store(error)) => storage_error(error),
    }
}

async fn global_settings(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>) -> Response {
    if !caller.is_admin() {
        return forbidden();
    }
    scope_settings(&gateway, SettingsScope::Global, "")
}

async fn update_global_settings(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Json(patch): Json<serde_json::Value>,
) -> Response {
    if !caller.is_admin() {
        return forbidden();
    }
    update_scope_settings(&gateway, SettingsScope::Global, "", patch).await
}

async fn scoped_domain_settings(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Path(name): Path<String>) -> Response {
    if let Some(refused) = domain_refusal(&caller, &name) {
        return refused;
    }
    scope_settings(&gateway, SettingsScope::Domain, &name)
}

async fn update_scoped_domain_settings(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Json(patch): Json<serde_json::Value>,
) -> Response {
    if let Some(refused) = domain_refusal(&caller, &name) {
        return refused;
    }
    update_scope_settings(&gateway, SettingsScope::Domain, &name, patch).await
}

async fn mailbox_settings(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Path(address): Path<String>) -> Response {
    if let Some(refused) = mailbox_refusal(&caller, &address) {
        return refused;
    }
    scope_settings(&gateway, SettingsScope::Mailbox, &address)
}

async fn update_mailbox_settings(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path(address): Path<String>,
    Json(patch): Json<serde_json::Value>,
) -> Response {
    if let Some(refused) = mailbox_refusal(&caller, &address) {
        return refused;
    }
    update_scope_settings(&gateway, SettingsScope::Mailbox, &address, patch).await
}

/// A list request refused: `400` with the request field at fault and the reason.
fn list_request_refused(field: &str, reason: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": format!("{field}: {reason}"), "field": field, "reason": reason}))).into_response()
}

fn no_such_list() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "no such list: allow or block"}))).into_response()
}

/// One entry as the API shows it.
fn list_item(entry: &sluice_store::StoredListEntry) -> serde_json::Value {
    json!({
        "id": entry.id,
        "list": entry.kind,
        "scope": entry.scope,
        "field": entry.field,
        "value": entry.value,
        "unauthenticated": entry.unauthenticated,
    })
}

/// `POST /api/v1/lists/{allow|block}` with `{"scope", "field", "value",
/// "unauthenticated"}` -> `201 {"id"}`; the body is read by hand so that every
/// refusal, malformed JSON included, is a `400` naming the field.
async fn add_list_entry(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let Some(kind) = ListKind::parse(&kind) else {
        return no_such_list();
    };
    let request: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(request @ serde_json::Value::Object(_)) => request,
        Ok(_) => return list_request_refused("body", "expected a JSON object"),
        Err(error) => return list_request_refused("body", &format!("not JSON: {error}")),
    };
    let text = |field: &'static str| match request.get(field) {
        Some(serde_json::Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err((field, "expected a string")),
        None => Err((field, "missing")),
    };
    let (scope, field, value) = match (text("scope"), text("field"), text("value")) {
        (Ok(scope), Ok(field), Ok(value)) => (scope, field, value),
        (Err((field, reason)), _, _) | (_, Err((field, reason)), _) | (_, _, Err((field, reason))) => {
            return list_request_refused(field, reason);
        }
    };
    let unauthenticated = match request.get("unauthenticated") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(flag)) => *flag,
        Some(_) => return list_request_refused("unauthenticated", "expected true or false"),
    };
    if !caller.manages_scope(scope) {
        return (StatusCode::FORBIDDEN, Json(json!({"error": "scope: not one of yours", "field": "scope", "reason": "not one of yours"})))
            .into_response();
    }
    let entry = match sluice_gateway::lists::validate(&gateway.domains(), kind, scope, field, value, unauthenticated) {
        Ok(entry) => entry,
        Err(error) => return list_request_refused(error.field, &error.reason),
    };
    match gateway.add_list_entries(std::slice::from_ref(&entry)).await {
        Ok(ids) => (StatusCode::CREATED, Json(json!({"id": ids.first()}))).into_response(),
        Err(error) => storage_error(error),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    scope: Option<String>,
}

/// `GET /api/v1/lists/{allow|block}?scope=...` -> `{"items": [...]}` (every scope
/// without `scope`).
async fn list_entries(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    Query(query): Query<ListQuery>,
) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let Some(kind) = ListKind::parse(&kind) else {
        return no_such_list();
    };
    let scope = match query.scope.as_deref().map(|scope| (scope, ListScope::parse(scope))) {
        None => None,
        Some((_, Some(scope))) => Some(scope.to_string()),
        Some((scope, None)) => {
            return list_request_refused("scope", &format!("{scope:?} is not global, domain:NAME or mailbox:ADDRESS"));
        }
    };
    match gateway.store.list_entries(kind.as_str(), scope.as_deref()).await {
        Ok(entries) => Json(json!({
            "items": entries.iter().filter(|entry| caller.manages_scope(&entry.scope)).map(list_item).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(error) => storage_error(error),
    }
}

/// `DELETE /api/v1/lists/{allow|block}/{id}` -> `204`, or `404` when that list
/// has no such entry.
async fn remove_list_entry(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let Some(kind) = ListKind::parse(&kind) else {
        return no_such_list();
    };
    let Ok(id) = id.parse::<i64>() else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "no such entry"}))).into_response();
    };
    if !caller.is_admin() {
        match gateway.store.list_entries(kind.as_str(), None).await {
            Ok(entries) if entries.iter().any(|entry| entry.id == id && caller.manages_scope(&entry.scope)) => {}
            Ok(_) => return (StatusCode::NOT_FOUND, Json(json!({"error": "no such entry"}))).into_response(),
            Err(error) => return storage_error(error),
        }
    }
    match gateway.remove_list_entry(kind, id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => (StatusCode::NOT_FOUND, Json(json!({"error": "no such entry"}))).into_response(),
        Err(error) => storage_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }
}
