//! `/api/v1/rules`: the filtering rules. A refusal is `400` with
//! `{"error", "field", "reason"}`, as for the lists.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{Value, json};
use sluice_core::checks::lists::ListScope;
use sluice_core::checks::rules::Rule;
use sluice_gateway::Gateway;
use sluice_gateway::rules::RuleRequest;
use sluice_store::StoredRule;

use crate::api_auth::Caller;
use crate::{administrators_only, list_request_refused, storage_error};

/// `403` when the caller does not manage `scope`.
fn scope_refused(caller: &Caller, scope: &str) -> Option<Response> {
    (!caller.manages_scope(scope)).then(|| {
        (StatusCode::FORBIDDEN, Json(json!({"error": "scope: not one of yours", "field": "scope", "reason": "not one of yours"})))
            .into_response()
    })
}

/// One rule as the API shows it.
fn rule_item(rule: &StoredRule) -> Value {
    let mut item = json!({
        "id": rule.id,
        "name": rule.name,
        "scope": rule.scope,
        "field": rule.field,
        "operator": rule.operator,
        "value": rule.value,
        "action": rule.action,
        "enabled": rule.enabled,
    });
    if !rule.header.is_empty() {
        item["header"] = json!(rule.header);
    }
    item
}

fn no_such_rule() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "no such rule"}))).into_response()
}

/// A request refused: the field at fault and why (the `400` body).
type Refusal = (&'static str, String);

fn refused(refusal: Refusal) -> Response {
    list_request_refused(refusal.0, &refusal.1)
}

/// Reads a rule object: every string member required but `header`, `enabled`
/// true unless false.
fn parse_rule(gateway: &Gateway, request: &Value) -> Result<Rule, Refusal> {
    let text = |field: &'static str| match request.get(field) {
        Some(Value::String(text)) => Ok(text.as_str()),
        Some(_) => Err((field, "expected a string".to_owned())),
        None => Err((field, "missing".to_owned())),
    };
    let header = match request.get("header") {
        None | Some(Value::Null) => None,
        Some(Value::String(header)) if header.is_empty() => None,
        Some(Value::String(header)) => Some(header.as_str()),
        Some(_) => return Err(("header", "expected a string".to_owned())),
    };
    let enabled = match request.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(("enabled", "expected true or false".to_owned())),
    };
    let rule = RuleRequest {
        name: text("name")?,
        scope: text("scope")?,
        field: text("field")?,
        header,
        operator: text("operator")?,
        value: text("value")?,
        action: text("action")?,
        enabled,
    };
    sluice_gateway::rules::validate(&gateway.domains(), &rule).map_err(|error| (error.field, error.reason))
}

fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, Refusal> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(("body", "expected a JSON object".to_owned())),
        Err(error) => Err(("body", format!("not JSON: {error}"))),
    }
}

/// `POST /api/v1/rules` with `{"name", "scope", "field", "header", "operator",
/// "value", "action", "enabled"}` -> `201 {"id"}`; the body is read by hand so
/// that every refusal, malformed JSON included, is a `400` naming the field.
pub(crate) async fn add_rule(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, body: axum::body::Bytes) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let rule = match json_object(&body).and_then(|object| parse_rule(&gateway, &Value::Object(object))) {
        Ok(rule) => rule,
        Err(refusal) => return refused(refusal),
    };
    if let Some(refused) = scope_refused(&caller, &rule.scope.to_string()) {
        return refused;
    }
    match gateway.add_rules(std::slice::from_ref(&rule)).await {
        Ok(ids) => (StatusCode::CREATED, Json(json!({"id": ids.first()}))).into_response(),
        Err(error) => storage_error(error),
    }
}

/// `PUT /api/v1/rules/{id}`: the members given replace the rule's (a member
/// left out keeps its value, so `{"enabled": false}` disables a rule) -> `200`
/// with the rule, `404` when there is none.
pub(crate) async fn update_rule(
    State(gateway): State<Arc<Gateway>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return no_such_rule();
    };
    let changes = match json_object(&body) {
        Ok(changes) => changes,
        Err(refusal) => return refused(refusal),
    };
    let stored = match gateway.store.rule(id).await {
        Ok(Some(stored)) if caller.manages_scope(&stored.scope) => stored,
        Ok(_) => return no_such_rule(),
        Err(error) => return storage_error(error),
    };
    let mut merged = rule_item(&stored);
    for (key, value) in changes {
        merged[key] = value;
    }
    let rule = match parse_rule(&gateway, &merged) {
        Ok(rule) => rule,
        Err(refusal) => return refused(refusal),
    };
    if let Some(refused) = scope_refused(&caller, &rule.scope.to_string()) {
        return refused;
    }
    match gateway.update_rule(id, &rule).await {
        Ok(true) => match gateway.store.rule(id).await {
            Ok(Some(stored)) => Json(rule_item(&stored)).into_response(),
            Ok(None) => no_such_rule(),
            Err(error) => storage_error(error),
        },
        Ok(false) => no_such_rule(),
        Err(error) => storage_error(error),
    }
}

#[derive(Deserialize)]
pub(crate) struct RuleQuery {
    scope: Option<String>,
}

/// `GET /api/v1/rules?scope=...` -> `{"items": [...]}` (every scope without
/// `scope`), disabled rules included.
pub(crate) async fn list_rules(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Query(query): Query<RuleQuery>) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let scope = match query.scope.as_deref().map(|scope| (scope, ListScope::parse(scope))) {
        None => None,
        Some((_, Some(scope))) => Some(scope.to_string()),
        Some((scope, None)) => {
            return list_request_refused("scope", &format!("{scope:?} is not global, domain:NAME or mailbox:ADDRESS"));
        }
    };
    match gateway.store.rules(scope.as_deref()).await {
        Ok(rules) => Json(json!({
            "items": rules.iter().filter(|rule| caller.manages_scope(&rule.scope)).map(rule_item).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(error) => storage_error(error),
    }
}

/// `DELETE /api/v1/rules/{id}` -> `204`, or `404` when there is no such rule.
pub(crate) async fn remove_rule(State(gateway): State<Arc<Gateway>>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Response {
    if let Some(refused) = administrators_only(&caller) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return no_such_rule();
    };
    match gateway.store.rule(id).await {
        Ok(Some(stored)) if caller.manages_scope(&stored.scope) => {}
        Ok(_) => return no_such_rule(),
        Err(error) => return storage_error(error),
    }
    match gateway.remove_rule(id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => no_such_rule(),
        Err(error) => storage_error(error),
    }
}
