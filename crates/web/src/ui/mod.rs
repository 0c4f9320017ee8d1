//! The web interface: server-rendered pages (askama templates compiled into the
//! binary), a little plain JavaScript and CSS embedded as static files, logins
//! with sessions kept in the store.
//!
//! Every page but `/login` and `/static/...` needs a session: without one, a
//! `GET` is redirected to `/login?next=...` and anything else too (`303`). Each
//! request reads the user again, so removing a user or changing its role takes
//! effect at once. Every state-changing request carries the session's CSRF
//! token (a hidden `csrf` form field), checked before the handler runs.
//! What a user sees is decided here, on the server: admin everything, domain
//! admin the rows of its domains' recipients, user the rows of its own address
//! ([`sluice_store::Audience`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sluice_gateway::Gateway;
use sluice_store::StoredUser;
use tower_sessions::SessionManagerLayer;
use tower_sessions::cookie::SameSite;

mod auth;
mod dashboard;
mod domains;
mod editors;
mod login_limit;
mod logs;
mod message_headers;
pub mod password;
mod quarantine;
mod session_store;
mod tokens;
mod tooltips;
mod view;

/// How long a session lasts without a request.
const SESSION_IDLE: time::Duration = time::Duration::hours(8);

/// What every UI handler shares.
pub(crate) struct Ui {
    pub(crate) gateway: Arc<Gateway>,
    pub(crate) login_limit: login_limit::LoginLimiter,
}

/// The logged-in user of a request, put there by [`auth::require_user`].
#[derive(Clone)]
pub(crate) struct Viewer {
    pub(crate) user: StoredUser,
    /// The session's CSRF token, for the forms of the page.
    pub(crate) csrf: String,
}

/// Session keys.
pub(crate) const USER_KEY: &str = "user";
pub(crate) const CSRF_KEY: &str = "csrf";

/// The session cookie's layer (the pages' and the API's: one session opens both).
pub(crate) fn session_layer(gateway: &Gateway) -> SessionManagerLayer<session_store::StoredSessions> {
    SessionManagerLayer::new(session_store::StoredSessions { store: gateway.store.clone() })
        .with_name("sluice_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        // The web listener speaks plain HTTP; behind a TLS proxy the cookie
        // must never travel without TLS (docs/decisions.md).
        .with_secure(gateway.config.web.behind_tls_proxy)
        .with_expiry(tower_sessions::Expiry::OnInactivity(SESSION_IDLE))
}

/// The web interface's routes, with their own state, to merge into the API's.
pub(crate) fn router(gateway: Arc<Gateway>) -> Router {
    let sessions = session_layer(&gateway);
    let ui = Arc::new(Ui { gateway, login_limit: login_limit::LoginLimiter::default() });
    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/dashboard", get(dashboard::page))
        .route("/logs", get(logs::incoming))
        .route("/outgoing/logs", get(logs::outgoing))
        .route("/logs/{id}", get(logs::detail))
        .route("/logs/{id}/source", get(logs::source))
        .route("/logs/{id}/report", post(logs::report))
        .route("/quarantine", get(quarantine::list))
        .route("/quarantine/{id}", get(quarantine::preview))
        .route("/quarantine/bulk", post(quarantine::bulk))
        .route("/quarantine/{id}/{action}", post(quarantine::single))
        .route("/domains", get(domains::list).post(domains::add))
        .route("/domains/{name}/remove", get(domains::confirm_removal).post(domains::remove))
        .route("/domains/{name}", get(domains::detail).post(domains::update))
        .route("/lists", get(editors::lists).post(editors::add_list_entry))
        .route("/lists/{kind}/{id}/delete", post(editors::remove_list_entry))
        .route("/rules", get(editors::rules).post(editors::add_rule))
        .route("/rules/{id}/delete", post(editors::remove_rule))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/revoke", post(tokens::revoke))
        .route("/logout", post(auth::logout))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(ui.clone(), auth::require_user));
    Router::new()
        .route("/login", get(auth::form).post(auth::login))
        .route("/static/{file}", get(static_file))
        .merge(pages)
        .layer(sessions)
        .layer(middleware::from_fn(security_headers))
        .with_state(ui)
}

async fn not_found() -> Response {
    view::message(StatusCode::NOT_FOUND, "Not found", "There is no such page.", "/logs")
}

/// The same headers on every page: no script but our own file, no framing, no
/// referrer leaking a search to another site, no caching of mail data.
async fn security_headers(request: Request, next: Next) -> Response {
    let is_static = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !is_static {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The stylesheet and the script, compiled into the binary.
async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "app.css" => (include_str!("../../static/app.css"), "text/css; charset=utf-8"),
        "app.js" => (include_str!("../../static/app.js"), "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "max-age=3600")], body).into_response()
}

/// 32 random bytes in hex: CSRF tokens.
pub(crate) fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
