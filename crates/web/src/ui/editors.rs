//! `/lists` and `/rules`: the allow and block lists and the filtering rules,
//! per scope, for administrators (every scope) and domain administrators (the
//! scopes of their domains: [`crate::access::manages_scope`]). A mailbox user
//! gets 403. New entries are validated as the JSON API validates them
//! (`sluice_gateway::lists::validate`, `sluice_gateway::rules::validate`), and a
//! refusal shows the form again with the field at fault named.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sluice_core::checks::lists::{ListField, ListKind};
use sluice_core::checks::rules::{RuleAction, RuleField, RuleOperator};
use sluice_gateway::rules::RuleRequest;
use sluice_store::Role;

use super::view::{self, Nav, shown};
use super::{Ui, Viewer};
use crate::access::manages_scope;

/// A mailbox user manages no scope: the editors are not for it.
fn refuse_mailbox_users(viewer: &Viewer) -> Option<Response> {
    (viewer.user.role == Role::User).then(|| {
        view::message(StatusCode::FORBIDDEN, "Administrators only", "Lists and rules are edited by administrators.", "/logs")
    })
}

/// The scopes offered in the forms: what the viewer manages.
fn scope_choices(ui: &Ui, viewer: &Viewer) -> Vec<String> {
    match viewer.user.role {
        Role::Admin => std::iter::once("global".to_owned())
            .chain(ui.gateway.domains().iter().map(|domain| format!("domain:{}", domain.name)))
            .collect(),
        _ => viewer.user.domains.iter().map(|domain| format!("domain:{domain}")).collect(),
    }
}

fn notice(done: &str) -> Option<&'static str> {
    match done {
        "added" => Some("Added. Every node applies it within 5 seconds."),
        "removed" => Some("Removed."),
        "not-found" => Some("There is no such entry (or it is not yours to change)."),
        _ => None,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct Done {
    done: String,
}

/// What the entry form was given (shown back after a refusal).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct ListForm {
    kind: String,
    scope: String,
    field: String,
    value: String,
    /// A check box: present (`on`) or absent.
    unauthenticated: Option<String>,
}

pub(crate) struct ListLine {
    id: i64,
    kind: String,
    scope: String,
    field: String,
    value: String,
    unauthenticated: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "lists.html")]
struct ListsPage {
    nav: Nav,
    rows: Vec<ListLine>,
    scopes: Vec<String>,
    kinds: [&'static str; 2],
    fields: Vec<&'static str>,
    form: ListForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn lists_page(ui: &Ui, viewer: &Viewer, form: ListForm, error: Option<String>, done: &str) -> Response {
    let mut rows = Vec::new();
    for kind in [ListKind::Allow, ListKind::Block] {
        match ui.gateway.store.list_entries(kind.as_str(), None).await {
            Ok(entries) => rows.extend(entries.into_iter().filter(|entry| manages_scope(&viewer.user, &entry.scope)).map(|entry| {
                ListLine {
                    id: entry.id,
                    kind: entry.kind,
                    scope: shown(&entry.scope),
                    field: shown(&entry.field),
                    value: shown(&entry.value),
                    unauthenticated: entry.unauthenticated,
                }
            })),
            Err(error) => return view::store_failed(error),
        }
    }
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = ListsPage {
        nav: Nav::new(viewer, "lists"),
        rows,
        scopes: scope_choices(ui, viewer),
        kinds: [ListKind::Allow.as_str(), ListKind::Block.as_str()],
        fields: ListField::ALL.iter().map(|field| field.as_str()).collect(),
        form,
        error,
        notice: notice(done),
    };
    (status, page).into_response()
}

/// `GET /lists`.
pub(crate) async fn lists(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Query(done): Query<Done>) -> Response {
    if let Some(refused) = refuse_mailbox_users(&viewer) {
        return refused;
    }
    lists_page(&ui, &viewer, ListForm::default(), None, &done.done).await
}

/// `POST /lists`: adds one entry.
pub(crate) async fn add_list_entry(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, axum::Form(form): axum::Form<ListForm>) -> Response {
    if let Some(refused) = refuse_mailbox_users(&viewer) {
        return refused;
    }
    let Some(kind) = ListKind::parse(&form.kind) else {
        return lists_page(&ui, &viewer, form, Some("list: choose allow or block".to_owned()), "").await;
    };
    if !manages_scope(&viewer.user, &form.scope) {
        let error = format!("scope: {} is not one of yours", form.scope.trim());
        return lists_page(&ui, &viewer, form, Some(error), "").await;
    }
    let unauthenticated = form.unauthenticated.is_some();
    let entry = match sluice_gateway::lists::validate(&ui.gateway.domains(), kind, &form.scope, &form.field, &form.value, unauthenticated) {
        Ok(entry) => entry,
        Err(error) => return lists_page(&ui, &viewer, form, Some(error.to_string()), "").await,
    };
    if let Err(error) = ui.gateway.add_list_entries(std::slice::from_ref(&entry)).await {
        return view::store_failed(error);
    }
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, list = kind.as_str(), scope = %entry.scope, field = entry.field.as_str(), value = %entry.value, "list entry added");
    Redirect::to("/lists?done=added").into_response()
}

/// `POST /lists/{kind}/{id}/delete`.
pub(crate) async fn remove_list_entry(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    if let Some(refused) = refuse_mailbox_users(&viewer) {
        return refused;
    }
    let (Some(kind), Ok(id)) = (ListKind::parse(&kind), id.parse::<i64>()) else {
        return Redirect::to("/lists?done=not-found").into_response();
    };
    let entries = match ui.gateway.store.list_entries(kind.as_str(), None).await {
        Ok(entries) => entries,
        Err(error) => return view::store_failed(error),
    };
    if !entries.iter().any(|entry| entry.id == id && manages_scope(&viewer.user, &entry.scope)) {
        return Redirect::to("/lists?done=not-found").into_response();
    }
    let done = match ui.gateway.remove_list_entry(kind, id).await {
        Ok(true) => "removed",
        Ok(false) => "not-found",
        Err(error) => return view::store_failed(error),
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, list = kind.as_str(), id, outcome = done, "list entry removed");
    Redirect::to(&format!("/lists?done={done}")).into_response()
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct RuleForm {
    name: String,
    scope: String,
    field: String,
    header: String,
    operator: String,
    value: String,
    action: String,
    /// A check box: present (`on`) or absent.
    disabled: Option<String>,
}

pub(crate) struct RuleLine {
    id: i64,
    name: String,
    scope: String,
    field: String,
    header: String,
    operator: String,
    value: String,
    action: String,
    enabled: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "rules.html")]
struct RulesPage {
    nav: Nav,
    rows: Vec<RuleLine>,
    scopes: Vec<String>,
    fields: Vec<&'static str>,
    operators: Vec<&'static str>,
    actions: Vec<&'static str>,
    form: RuleForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

async fn rules_page(ui: &Ui, viewer: &Viewer, form: RuleForm, error: Option<String>, done: &str) -> Response {
    let rules = match ui.gateway.store.rules(None).await {
        Ok(rules) => rules,
        Err(error) => return view::store_failed(error),
    };
    let rows = rules
        .into_iter()
        .filter(|rule| manages_scope(&viewer.user, &rule.scope))
        .map(|rule| RuleLine {
            id: rule.id,
            name: shown(&rule.name),
            scope: shown(&rule.scope),
            field: shown(&rule.field),
            header: shown(&rule.header),
            operator: shown(&rule.operator),
            value: shown(&rule.value),
            action: shown(&rule.action),
            enabled: rule.enabled,
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = RulesPage {
        nav: Nav::new(viewer, "rules"),
        rows,
        scopes: scope_choices(ui, viewer),
        fields: RuleField::ALL.iter().map(|field| field.as_str()).collect(),
        operators: RuleOperator::ALL.iter().map(|operator| operator.as_str()).collect(),
        actions: RuleAction::ALL.iter().map(|action| action.as_str()).collect(),
        form,
        error,
        notice: notice(done),
    };
    (status, page).into_response()
}

/// `GET /rules`.
pub(crate) async fn rules(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Query(done): Query<Done>) -> Response {
    if let Some(refused) = refuse_mailbox_users(&viewer) {
        return refused;
    }
    rules_page(&ui, &viewer, RuleForm::default(), None, &done.done).await
}

/// `POST /rules`: adds one rule.
pub(crate) async fn add_rule(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, axum::Form(form): axum::Form<RuleForm>) -> Response {
    if let Some(refused) = refuse_mailbox_users(&viewer) {
        return refused;
    }
    if !manages_scope(&viewer.user, &form.scope) {
        let error = format!("scope: {} is not one of yours", form.scope.trim());
        return rules_page(&ui, &viewer, form, Some(error), "").await;
    }
    let request = RuleRequest {
        name: &form.name,
        scope: &form.scope,
        field: &form.field,
        header: Some(form.header.as_str()).filter(|header| !header.trim().is_empty()),
        operator: &form.operator,
        value: &form.value,
        action: &form.action,
        enabled: form.disabled.is_none(),
    };
    let rule = match sluice_gateway::rules::validate(&ui.gateway.domains(), &request) {
        Ok(rule) => rule,
        Err(error) => {
            let error = format!("{}: {}", error.field, error.reason);
            return rules_page(&ui, &viewer, form, Some(error), "").await;
        }
    };
    if let Err(error) = ui.gateway.add_rules(std::slice::from_ref(&rule)).await {
        return view::store_failed(error);
    }
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, name = %form.name, scope = %form.scope, "rule added");
    Redirect::to("/rules?done=added").into_response()
}

/// `POST /rules/{id}/delete`.
pub(crate) async fn remove_rule(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Path(id): Path<String>) -> Response {
    if let Some(refused) = refuse_mailbox_users(&viewer) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return Redirect::to("/rules?done=not-found").into_response();
    };
    match ui.gateway.store.rule(id).await {
        Ok(Some(rule)) if manages_scope(&viewer.user, &rule.scope) => {}
        Ok(_) => return Redirect::to("/rules?done=not-found").into_response(),
        Err(error) => return view::store_failed(error),
    }
    let done = match ui.gateway.remove_rule(id).await {
        Ok(true) => "removed",
        Ok(false) => "not-found",
        Err(error) => return view::store_failed(error),
    };
    tracing::info!(target: "sluice::audit", actor = %viewer.user.name, rule = id, outcome = done, "rule removed");
    Redirect::to(&format!("/rules?done={done}")).into_response()
}
