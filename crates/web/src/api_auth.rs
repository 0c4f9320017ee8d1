//! Who calls the JSON API, and with which rights ([`Caller`]).
//!
//! Three doors, tried in this order:
//! - `Authorization: Bearer <[web] admin_token>`: an administrator (the
//!   configuration's token stays what it was);
//! - `Authorization: Bearer <a user's API token>`: that user, with its role
//!   (tokens from `sluice user token`, kept as SHA-256 hashes);
//! - a web session (the `sluice_session` cookie): its user, with its role; a
//!   request that changes something must also carry the session's CSRF token
//!   in `X-CSRF-Token` (`GET /api/v1/whoami` tells it), since a cookie is sent
//!   by the browser whoever made the request.
//!
//! A bearer token that is neither is `401`, even with a session: a client that
//! sends a token means that token. Rights are then checked per endpoint
//! (`crate::access`): a row the caller may not see is `404`, as one that does
//! not exist; a kind of thing its role may not touch at all is `403`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use sluice_gateway::Gateway;
use sluice_store::{Audience, Role, StoredUser};
use tower_sessions::Session;

/// How the caller proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Door {
    AdminToken,
    UserToken,
    Session,
}

impl Door {
    fn as_str(self) -> &'static str {
        match self {
            Door::AdminToken => "admin-token",
            Door::UserToken => "api-token",
            Door::Session => "session",
        }
    }
}

/// The caller of an API request, put in the request by [`authenticate`].
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    /// `None` for the configuration's admin token.
    pub(crate) user: Option<StoredUser>,
    pub(crate) door: Door,
    /// The session's CSRF token, for `whoami`.
    pub(crate) csrf: Option<String>,
}

impl Caller {
    /// Who, for the audit log and `released_by`.
    pub(crate) fn name(&self) -> &str {
        self.user.as_ref().map_or(sluice_gateway::ADMIN_RELEASER, |user| user.name.as_str())
    }

    pub(crate) fn role(&self) -> Role {
        self.user.as_ref().map_or(Role::Admin, |user| user.role)
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    pub(crate) fn audience(&self) -> Audience {
        self.user.as_ref().map_or(Audience::Everything, StoredUser::audience)
    }

    pub(crate) fn manages_scope(&self, scope: &str) -> bool {
        self.user.as_ref().is_none_or(|user| crate::access::manages_scope(user, scope))
    }

    pub(crate) fn manages_domain(&self, name: &str) -> bool {
        self.user.as_ref().is_none_or(|user| crate::access::manages_domain(user, name))
    }
}

/// The prefix of every user API token (so a leaked one is recognisable).
const TOKEN_PREFIX: &str = "sluice_";

/// A new API token and the hash to store for it.
pub fn new_token() -> (String, String) {
    let token = format!("{TOKEN_PREFIX}{}", crate::ui::random_token());
    let hash = token_hash(&token);
    (token, hash)
}

/// The SHA-256 of a token, in hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unauthorized(text: &str) -> Response {
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], Json(json!({"error": text}))).into_response()
}

/// `403` for what the caller's role may not do at all.
pub(crate) fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, Json(json!({"error": "your role may not do this"}))).into_response()
}

/// The middleware in front of every `/api/v1` route.
pub(crate) async fn authenticate(State(gateway): State<Arc<Gateway>>, mut request: Request, next: Next) -> Response {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.strip_prefix("Bearer ").unwrap_or("").trim().to_owned());
    let changes = request.method() != Method::GET && request.method() != Method::HEAD;
    let caller = match bearer {
        Some(given) => {
            let expected = gateway.config.web.admin_token.as_bytes();
            if !expected.is_empty() && crate::constant_time_eq(given.as_bytes(), expected) {
                Caller { user: None, door: Door::AdminToken, csrf: None }
            } else if given.starts_with(TOKEN_PREFIX) {
                match gateway.store.api_token_user(&token_hash(&given)).await {
                    Ok(Some(user)) => Caller { user: Some(user), door: Door::UserToken, csrf: None },
                    Ok(None) => return unauthorized("missing or wrong bearer token"),
                    Err(error) => return crate::storage_error(error),
                }
            } else {
                return unauthorized("missing or wrong bearer token");
            }
        }
        None => {
            let session = request.extensions().get::<Session>().cloned();
            let Some(session) = session else {
                return unauthorized("missing or wrong bearer token");
            };
            let name: Option<String> = session.get(crate::ui::USER_KEY).await.ok().flatten();
            let csrf: Option<String> = session.get(crate::ui::CSRF_KEY).await.ok().flatten();
            let (Some(name), Some(csrf)) = (name, csrf) else {
                return unauthorized("missing or wrong bearer token");
            };
            let user = match gateway.store.get_user(&name).await {
                Ok(Some(user)) => user,
                Ok(None) => return unauthorized("the session's user no longer exists"),
                Err(error) => return crate::storage_error(error),
            };
            if changes {
                let given = request.headers().get("x-csrf-token").map(|value| value.as_bytes()).unwrap_or_default();
                if !crate::constant_time_eq(given, csrf.as_bytes()) {
                    return (StatusCode::FORBIDDEN, Json(json!({"error": "missing or wrong X-CSRF-Token"}))).into_response();
                }
            }
            Caller { user: Some(user), door: Door::Session, csrf: Some(csrf) }
        }
    };
    if !changes {
        request.extensions_mut().insert(caller);
        return next.run(request).await;
    }
    let method = request.method().clone();
    // The full path, not the part under `/api/v1` this router sees.
    let path = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path().to_owned(), |original| original.path().to_owned());
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_default();
    let (actor, via) = (caller.name().to_owned(), caller.door.as_str());
    request.extensions_mut().insert(caller);
    let response = next.run(request).await;
    tracing::info!(
        target: "sluice::audit",
        actor = %actor,
        via,
        %client,
        %method,
        %path,
        status = response.status().as_u16(),
        "admin action"
    );
    response
}

/// `GET /api/v1/whoami`: the caller's name, role and domains, and for a
/// session the CSRF token its changes must carry.
pub(crate) async fn whoami(axum::Extension(caller): axum::Extension<Caller>) -> Response {
    Json(json!({
        "name": caller.name(),
        "role": caller.role().as_str(),
        "domains": caller.user.as_ref().map(|user| user.domains.clone()).unwrap_or_default(),
        "via": caller.door.as_str(),
        "csrf": caller.csrf,
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let (token, hash) = new_token();
        let (other, _) = new_token();
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == TOKEN_PREFIX.len() + 64);
        assert_ne!(token, other);
        assert_eq!(hash, token_hash(&token));
        assert_eq!(hash.len(), 64);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
