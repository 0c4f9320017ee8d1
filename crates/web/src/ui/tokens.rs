//! `/tokens`: a user's own API tokens (the page twin of `sluice user token`):
//! their labels and creation times, a form that makes a new one (shown once,
//! on the answer to the form, never again: only its hash is kept) and a button
//! that revokes them all. Every role may have tokens; a token has its user's
//! rights and no more.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::view::{self, Nav, shown};
use super::{Ui, Viewer};

/// The longest label kept.
const MAX_LABEL: usize = 100;

#[derive(Template, WebTemplate)]
#[template(path = "tokens.html")]
struct TokensPage {
    nav: Nav,
    tokens: Vec<(String, String)>,
    /// A token just made: shown this once.
    new_token: Option<String>,
}

async fn page(ui: &Ui, viewer: &Viewer, new_token: Option<String>) -> Response {
    let tokens = match ui.gateway.store.api_tokens(&viewer.user.name).await {
        Ok(tokens) => tokens.iter().map(|token| (shown(&token.label), view::time(token.created_at_ms))).collect(),
        Err(error) => return view::store_failed(error),
    };
    TokensPage { nav: Nav::new(viewer, "tokens"), tokens, new_token }.into_response()
}

/// `GET /tokens`.
pub(crate) async fn list(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>) -> Response {
    page(&ui, &viewer, None).await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewToken {
    label: String,
}

/// `POST /tokens`: makes a token and shows it (the page is `no-store`).
pub(crate) async fn create(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, axum::Form(form): axum::Form<NewToken>) -> Response {
    let label: String = form.label.trim().chars().filter(|character| !character.is_control()).take(MAX_LABEL).collect();
    let (token, hash) = crate::api_auth::new_token();
    if let Err(error) = ui.gateway.store.add_api_token(&hash, &viewer.user.name, &label, super::now_ms()).await {
        return view::store_failed(error);
    }
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, label = %label, "API token made");
    (StatusCode::CREATED, page(&ui, &viewer, Some(token)).await).into_response()
}

/// `POST /tokens/revoke`: removes every token of the user.
pub(crate) async fn revoke(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>) -> Response {
    match ui.gateway.store.remove_api_tokens(&viewer.user.name).await {
        Ok(removed) => {
            tracing::info!(target: "sluice::audit", actor = %viewer.user.name, removed, "API tokens revoked");
            Redirect::to("/tokens").into_response()
        }
        Err(error) => view::store_failed(error),
    }
}
