//! `/api/v1/domains`: the filtered domains, the configuration file's and those
//! added here. Listing is for administrators and domain administrators (their
//! own domains); adding and removing for administrators only. A refused name
//! or destination is `400` with `{"error", "key"}`, worded as the file's
//! validation words it; an existing domain is `409`, and so is removing one of
//! the file's (it is changed in the file).

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sluice_gateway::domains::FilteredDomain;
use sluice_gateway::{DomainChangeError, Gateway};

use crate::api_auth::{Caller, forbidden};
use crate::{administrators_only, rfc3339, storage_error};

/// One domain as the API shows it.
fn domain_item(domain: &FilteredDomain) -> Value {
    json!({
        "name": domain.name,
        "destination": domain.destination,
        "source": domain.source.as_str(),
        "added_by": domain.added.as_ref().map(|(by, _)| by),
        "added_at": domain.added.as_ref().map(|(_, at)| rfc3339(*at)),
    })
}

/// `GET /api/v1/domains` -> `{"items": [names], "domains": [{name, destination,
/// source, added_by, added_at}]}`: `items` as the first API version had it.
pub(crate) async fn list_domains(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let domains = gateway.domains();
    let visible: Vec<&FilteredDomain> = domains.iter().filter(|domain| caller.manages_domain(&domain.name)).collect();
    Json(json!({
        "items": visible.iter().map(|domain| domain.name.as_str()).collect::<Vec<_>>(),
        "domains": visible.iter().map(|domain| domain_item(domain)).collect::<Vec<_>>(),
    }))
    .into_response()
}

fn refused(key: &str, error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error, "key": key}))).into_response()
}

/// What a refused change answers (other than a store failure).
pub(crate) fn change_refused(error: DomainChangeError) -> Response {
    match error {
        DomainChangeError::Invalid { key, .. } => refused(key, &error.to_string()),
        DomainChangeError::Exists(_) | DomainChangeError::InFile => {
            (StatusCode::CONFLICT, Json(json!({"error": error.to_string()}))).into_response()
        }
        DomainChangeError::NotFound => (StatusCode::NOT_FOUND, Json(json!({"error": "no such domain"}))).into_response(),
        DomainChangeError::Store(error) => storage_error(error),
    }
}

/// `POST /api/v1/domains` `{"name", "destination"}` -> `201` with the domain.
pub(crate) async fn add_domain(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, body: axum::body::Bytes) -> Response {
    if !caller.is_admin() {
        return forbidden();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request @ Value::Object(_)) => request,
        Ok(_) => return refused("body", "expected a JSON object {\"name\": ..., \"destination\": ...}"),
        Err(error) => return refused("body", &format!("not JSON: {error}")),
    };
    let text = |key: &'static str| match request.get(key) {
        Some(Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err((key, format!("key `{key}`: expected a string"))),
        None => Err((key, format!("key `{key}` is missing"))),
    };
    let (name, destination) = match (text("name"), text("destination")) {
        (Ok(name), Ok(destination)) => (name, destination),
        (Err((key, error)), _) | (_, Err((key, error))) => return refused(key, &error),
    };
    if let Some(unknown) = request.as_object().and_then(|object| object.keys().find(|key| !["name", "destination"].contains(&key.as_str()))) {
        return refused(unknown, &format!("key `{unknown}`: unknown (a domain's settings are set at /api/v1/settings/domains/NAME)"));
    }
    match gateway.add_domain(name, destination, caller.name()).await {
        Ok(domain) => {
            tracing::info!(target: "sluice::audit", actor = %caller.name(), domain = %domain.name, destination = %domain.destination, "domain added");
            (StatusCode::CREATED, Json(domain_item(&domain))).into_response()
        }
        Err(error) => change_refused(error),
    }
}

/// `DELETE /api/v1/domains/{name}` -> `204`; `409` for a file domain.
pub(crate) async fn remove_domain(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Path(name): Path<String>) -> Response {
    if !caller.is_admin() {
        return forbidden();
    }
    match gateway.remove_domain(&name, caller.name()).await {
        Ok(removed) => {
            tracing::info!(
                target: "sluice::audit",
                actor = %caller.name(),
                domain = %name.to_ascii_lowercase(),
                settings = removed.settings,
                list_entries = removed.list_entries,
                rules = removed.rules,
                "domain removed"
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => change_refused(error),
    }
}
