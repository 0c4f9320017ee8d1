//! Logging in and out, and the gate in front of every other page.
//!
//! `/login` is a form with `username` and `password`; any other field it is
//! given (in the query of `GET`, or posted) is sent back as a hidden input, so
//! `next` survives a wrong password. `next` is only followed to a local path.
//! A wrong password gets the form again with an error and no session. The
//! login form has no CSRF token (there is no session to keep one in yet): a
//! cross-site login is refused by its `Sec-Fetch-Site` or `Origin` instead.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::{Ui, Viewer, view};

use super::{CSRF_KEY, USER_KEY};
/// The largest form a page posts; bigger bodies are refused before parsing.
const MAX_FORM_BYTES: usize = 64 * 1024;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    error: Option<String>,
    username: String,
    /// Every other field, as given.
    hidden: Vec<(String, String)>,
}

/// The fields of the form other than the two it asks for, in order.
fn other_fields(fields: &[(String, String)]) -> Vec<(String, String)> {
    fields.iter().filter(|(name, _)| name != "username" && name != "password").take(32).cloned().collect()
}

fn login_page(status: StatusCode, error: Option<String>, username: &str, fields: &[(String, String)]) -> Response {
    (status, LoginPage { error, username: username.to_owned(), hidden: other_fields(fields) }).into_response()
}

/// `GET /login`: the form (the query's fields, `next` among them, kept).
pub(crate) async fn form(Query(fields): Query<Vec<(String, String)>>) -> Response {
    login_page(StatusCode::OK, None, "", &fields)
}

/// Where to go after logging in: `next` when it is a path on this site.
fn next_target(fields: &[(String, String)]) -> String {
    let next = fields.iter().find(|(name, _)| name == "next").map(|(_, value)| value.as_str()).unwrap_or("");
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|character| character.is_control() || character == '\\');
    if local && next != "/login" { next.to_owned() } else { "/logs".to_owned() }
}

/// Whether the request comes from a page of another site (a login CSRF).
fn cross_site(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|value| value.to_str().ok()).is_some_and(|site| site == "cross-site") {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    // `null` is what a browser sends for our own form under our own
    // `Referrer-Policy: no-referrer`; Sec-Fetch-Site (above) decides then.
    origin != "null" && !origin_host.eq_ignore_ascii_case(host)
}

/// `POST /login`.
pub(crate) async fn login(
    State(ui): State<Arc<Ui>>,
    session: Session,
    client: Result<ConnectInfo<SocketAddr>, axum::extract::rejection::ExtensionRejection>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| fields.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str()).unwrap_or("");
    let (username, password) = (field("username").trim().to_owned(), field("password").to_owned());
    if cross_site(&headers) {
        return login_page(StatusCode::FORBIDDEN, Some("Logging in from another site is not allowed.".to_owned()), &username, &fields);
    }
    let address = client.map(|ConnectInfo(address)| address.ip().to_string()).unwrap_or_default();
    let now = super::now_ms();
    let blocked = match ui.login_limit.blocked_for(&ui.gateway.store, &address, &username, now).await {
        Ok(blocked) => blocked,
        Err(error) => return view::store_failed(error),
    };
    if let Some(wait_ms) = blocked {
        let minutes = (wait_ms + 59_999) / 60_000;
        tracing::warn!(target: "sluice::audit", client = %address, user = %username, "login refused: too many failed logins");
        let error = format!("Too many failed logins. Try again in {minutes} minute(s).");
        return login_page(StatusCode::TOO_MANY_REQUESTS, Some(error), &username, &fields);
    }
    let user = match ui.gateway.store.get_user(&username).await {
        Ok(user) => user,
        Err(error) => return view::store_failed(error),
    };
    // Hashing takes tens of milliseconds of CPU: off the async workers. An
    // unknown user is checked against a decoy hash so it takes as long.
    let hash = user.as_ref().map_or_else(|| super::password::decoy().to_owned(), |user| user.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || super::password::verify(&password, &hash)).await.unwrap_or(false);
    let Some(user) = user.filter(|_| matches) else {
        if let Err(error) = ui.login_limit.failed(&ui.gateway.store, &address, &username, now).await {
            return view::store_failed(error);
        }
        tracing::info!(target: "sluice::audit", client = %address, user = %username, "login failed");
        return login_page(StatusCode::OK, Some("Wrong user name or password.".to_owned()), &username, &fields);
    };
    if let Err(error) = ui.login_limit.succeeded(&ui.gateway.store, &user.name, now).await {
        return view::store_failed(error);
    }
    // A new session id at login, so an id planted before cannot be used after.
    let stored = async {
        session.cycle_id().await?;
        session.insert(USER_KEY, &user.name).await?;
        session.insert(CSRF_KEY, super::random_token()).await
    };
    if let Err(error) = stored.await {
        tracing::error!(%error, "storing a web session failed");
        return view::message(StatusCode::SERVICE_UNAVAILABLE, "Storage unavailable", "The session could not be stored.", "/login");
    }
    tracing::info!(target: "sluice::audit", client = %address, user = %user.name, "login");
    Redirect::to(&next_target(&fields)).into_response()
}

/// `POST /logout` (CSRF-checked like every post).
pub(crate) async fn logout(session: Session) -> Response {
    if let Err(error) = session.flush().await {
        tracing::error!(%error, "deleting a web session failed");
    }
    Redirect::to("/login").into_response()
}

/// The `csrf` field of a URL-encoded form. Tokens are hex, so a value that
/// needs decoding is not a token.
fn csrf_field(body: &[u8]) -> Option<&[u8]> {
    body.split(|byte| *byte == b'&').find_map(|pair| pair.strip_prefix(b"csrf="))
}

/// Compares without an early exit.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The gate: a session with a user that still exists, and for anything but
/// `GET`/`HEAD` the session's CSRF token in the form.
pub(crate) async fn require_user(State(ui): State<Arc<Ui>>, session: Session, request: Request, next: Next) -> Response {
    let name: Option<String> = session.get(USER_KEY).await.ok().flatten();
    let csrf: Option<String> = session.get(CSRF_KEY).await.ok().flatten();
    let user = match name {
        Some(name) => match ui.gateway.store.get_user(&name).await {
            Ok(user) => user,
            Err(error) => return view::store_failed(error),
        },
        None => None,
    };
    let (Some(user), Some(csrf)) = (user, csrf) else {
        let target = request.uri().path_and_query().map_or("/logs", |path| path.as_str());
        if request.method() == Method::GET || request.method() == Method::HEAD {
            return Redirect::to(&format!("/login?next={}", view::query_value(target))).into_response();
        }
        return Redirect::to("/login").into_response();
    };
    let mut request = request;
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return view::message(StatusCode::PAYLOAD_TOO_LARGE, "Form too large", "The form sent is too large.", "/logs");
        };
        if !csrf_field(&bytes).is_some_and(|given| same(given, csrf.as_bytes())) {
            tracing::warn!(target: "sluice::audit", user = %user.name, path = %parts.uri.path(), "refused: missing or wrong CSRF token");
            return view::message(
                StatusCode::FORBIDDEN,
                "Form expired",
                "The form did not carry this session's token. Reload the page and try again.",
                "/logs",
            );
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(Viewer { user, csrf });
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(next: &str) -> Vec<(String, String)> {
        vec![("next".to_owned(), next.to_owned())]
    }

    #[test]
    fn next_is_followed_to_local_paths_only() {
        assert_eq!(next_target(&fields("/logs?sender=a%40b")), "/logs?sender=a%40b");
        assert_eq!(next_target(&fields("/quarantine/ab")), "/quarantine/ab");
        for hostile in ["https://evil.test/", "//evil.test/", "/\\evil.test", "javascript:alert(1)", "", "/login", "/a\nb"] {
            assert_eq!(next_target(&fields(hostile)), "/logs", "{hostile:?}");
        }
    }

    #[test]
    fn the_csrf_field_is_found_whole() {
        assert_eq!(csrf_field(b"a=1&csrf=abc&b=2"), Some(&b"abc"[..]));
        assert_eq!(csrf_field(b"xcsrf=abc"), None);
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }

    #[test]
    fn cross_site_logins_are_recognised() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, value.parse().unwrap());
            }
            map
        };
        assert!(!cross_site(&headers(&[("host", "127.0.0.1:8025")])));
        assert!(!cross_site(&headers(&[("host", "127.0.0.1:8025"), ("origin", "http://127.0.0.1:8025")])));
        assert!(cross_site(&headers(&[("host", "127.0.0.1:8025"), ("origin", "https://evil.test")])));
        assert!(!cross_site(&headers(&[("host", "127.0.0.1:8025"), ("origin", "null"), ("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&headers(&[("host", "127.0.0.1:8025"), ("origin", "null"), ("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&headers(&[("host", "127.0.0.1:8025"), ("sec-fetch-site", "cross-site")])));
    }
}
