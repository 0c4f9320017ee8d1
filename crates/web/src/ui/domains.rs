//! `/domains` (the filtered domains the viewer manages, with their destination
//! route and where they come from; for administrators, a form to add a domain
//! and a Remove button on each domain added here), `/domains/{name}/remove` (the
//! confirmation, then the removal) and `/domains/{name}` (every per-domain
//! setting: its default, the value set at the domain's scope, the value in
//! force; changed through the same validation as `PUT
//! /api/v1/settings/domains/{name}`, so a refusal names the key).
//!
//! Adding and removing go through `Gateway::add_domain` and
//! `Gateway::remove_domain`, as `POST` and `DELETE /api/v1/domains` do: the same
//! validation as the file's `[[domains]]`, the same refusals. The file's
//! domains are changed in the file only.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use sluice_core::settings::SETTINGS_DOC;
use sluice_core::{DomainSettings, SettingsLayer};
use sluice_gateway::domains::{DomainSource, FilteredDomain};
use sluice_gateway::{DomainChangeError, SettingsError};
use sluice_store::{Role, SettingsScope};

use super::view::{self, Nav, shown};
use super::{Ui, Viewer};
use crate::access::manages_domain;

pub(crate) struct DomainLine {
    name: String,
    destination: String,
    /// `file` or `store`.
    source: &'static str,
    /// Who added it and when (a stored domain).
    added: String,
    /// How many keys the domain's scope sets.
    set_here: usize,
    /// The viewer may remove it: an administrator, a domain added here.
    removable: bool,
}

/// What the add form was given (shown back after a refusal).
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct AddForm {
    name: String,
    destination: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "domains.html")]
struct DomainsPage {
    nav: Nav,
    rows: Vec<DomainLine>,
    /// The add form, for administrators.
    can_add: bool,
    form: AddForm,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Template, WebTemplate)]
#[template(path = "domain_remove.html")]
struct RemovePage {
    nav: Nav,
    name: String,
    destination: String,
}

fn list_notice(done: &str) -> Option<&'static str> {
    match done {
        "added" => Some("Added. Every node accepts mail for it within 5 seconds."),
        "removed" => Some("Removed. Every node refuses mail for it within 5 seconds; mail already queued is still delivered."),
        _ => None,
    }
}

fn no_such_domain() -> Response {
    view::message(StatusCode::NOT_FOUND, "Not found", "There is no such domain (or it is not yours).", "/domains")
}

fn mailbox_users_refused(viewer: &Viewer) -> Option<Response> {
    (viewer.user.role == Role::User)
        .then(|| view::message(StatusCode::FORBIDDEN, "Administrators only", "Domains are managed by administrators.", "/logs"))
}

fn administrators_only(viewer: &Viewer) -> Option<Response> {
    (viewer.user.role != Role::Admin)
        .then(|| view::message(StatusCode::FORBIDDEN, "Administrators only", "Domains are added and removed by administrators.", "/domains"))
}

fn list_page(ui: &Ui, viewer: &Viewer, form: AddForm, error: Option<String>, done: &str) -> Response {
    let admin = viewer.user.role == Role::Admin;
    let rows = ui
        .gateway
        .domains()
        .iter()
        .filter(|domain| manages_domain(&viewer.user, &domain.name))
        .map(|domain| DomainLine {
            name: shown(&domain.name),
            destination: shown(&domain.destination),
            source: domain.source.as_str(),
            added: domain.added.as_ref().map(|(by, at)| shown(&format!("by {by}, {}", view::time(*at)))).unwrap_or_default(),
            set_here: ui.gateway.settings_layer(SettingsScope::Domain, &domain.name).map_or(0, |layer| layer.len()),
            removable: admin && domain.source == DomainSource::Store,
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = DomainsPage { nav: Nav::new(viewer, "domains"), rows, can_add: admin, form, error, notice: list_notice(done) };
    (status, page).into_response()
}

/// `GET /domains` (403 for a mailbox user, who manages no domain).
pub(crate) async fn list(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Query(done): Query<Done>) -> Response {
    if let Some(refused) = mailbox_users_refused(&viewer) {
        return refused;
    }
    list_page(&ui, &viewer, AddForm::default(), None, &done.done)
}

/// `POST /domains` with `name` and `destination` (administrators only).
pub(crate) async fn add(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, axum::Form(form): axum::Form<AddForm>) -> Response {
    if let Some(refused) = administrators_only(&viewer) {
        return refused;
    }
    match ui.gateway.add_domain(&form.name, &form.destination, &viewer.user.name).await {
        Ok(domain) => {
            tracing::info!(target: "sluice::audit", actor = %viewer.user.name, domain = %domain.name, destination = %domain.destination, "domain added");
            Redirect::to("/domains?done=added").into_response()
        }
        Err(DomainChangeError::Store(error)) => view::store_failed(error),
        Err(error) => {
            let text = match &error {
                DomainChangeError::Exists(DomainSource::File) => {
                    format!("{}: already a domain of the configuration file, where it is changed.", form.name.trim())
                }
                DomainChangeError::Exists(DomainSource::Store) => format!("{}: already added.", form.name.trim()),
                other => other.to_string(),
            };
            list_page(&ui, &viewer, form, Some(text), "")
        }
    }
}

/// The domain called `name` if the viewer may remove it: an administrator, a
/// domain added here (the file's are changed in the file).
fn removable(ui: &Ui, viewer: &Viewer, name: &str) -> Result<FilteredDomain, Box<Response>> {
    if let Some(refused) = administrators_only(viewer) {
        return Err(Box::new(refused));
    }
    match ui.gateway.domains().get(name) {
        None => Err(Box::new(no_such_domain())),
        Some(domain) if domain.source == DomainSource::File => Err(Box::new(view::message(
            StatusCode::CONFLICT,
            "A domain of the configuration file",
            "This domain comes from the configuration file ([[domains]]): remove it there and restart.",
            "/domains",
        ))),
        Some(domain) => Ok(domain.clone()),
    }
}

/// `GET /domains/{name}/remove`: what removing takes along, and the button.
pub(crate) async fn confirm_removal(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Path(name): Path<String>) -> Response {
    match removable(&ui, &viewer, &name) {
        Ok(domain) => RemovePage { nav: Nav::new(&viewer, "domains"), name: shown(&domain.name), destination: shown(&domain.destination) }
            .into_response(),
        Err(refused) => *refused,
    }
}

/// `POST /domains/{name}/remove`.
pub(crate) async fn remove(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Path(name): Path<String>) -> Response {
    let domain = match removable(&ui, &viewer, &name) {
        Ok(domain) => domain,
        Err(refused) => return *refused,
    };
    match ui.gateway.remove_domain(&domain.name, &viewer.user.name).await {
        Ok(removed) => {
            tracing::info!(
                target: "sluice::audit",
                actor = %viewer.user.name,
                domain = %domain.name,
                settings = removed.settings,
                list_entries = removed.list_entries,
                rules = removed.rules,
                "domain removed"
            );
            Redirect::to("/domains?done=removed").into_response()
        }
        Err(DomainChangeError::Store(error)) => view::store_failed(error),
        Err(_) => no_such_domain(),
    }
}

pub(crate) struct SettingLine {
    key: &'static str,
    kind: &'static str,
    what: &'static str,
    default: String,
    /// The value set at the domain's scope, as the form shows it; empty when unset.
    set: String,
    in_force: String,
    /// A yes/no key: a select instead of a text box.
    boolean: bool,
    /// The key a refusal named.
    refused: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "domain.html")]
struct DomainPage {
    nav: Nav,
    name: String,
    destination: String,
    /// Where the domain comes from, in words.
    source: &'static str,
    settings: Vec<SettingLine>,
    error: Option<String>,
    notice: Option<&'static str>,
}

/// A value as the form shows it: text as itself, a list comma-separated,
/// anything else as JSON.
fn form_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(form_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What the form's text for `key` means, by the shape of the key's default:
/// empty unsets the key (`null`: it inherits again); a list is split on commas;
/// a number or a yes/no is read as JSON; anything else is text. A value that
/// does not read is passed on as text, for the validation to name the key.
fn form_value(default: &Value, text: &str) -> Value {
    let text = text.trim();
    if text.is_empty() {
        return Value::Null;
    }
    match default {
        Value::Array(_) => Value::Array(
            text.split(',').map(str::trim).filter(|item| !item.is_empty()).map(|item| Value::String(item.to_owned())).collect(),
        ),
        Value::Bool(_) | Value::Number(_) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())),
        _ => Value::String(text.to_owned()),
    }
}

fn domain_page(ui: &Ui, viewer: &Viewer, name: &str, entered: Option<&[(String, String)]>, error: Option<(String, String)>, done: &str) -> Response {
    let Some(domain) = ui.gateway.domains().get(name).cloned() else {
        return no_such_domain();
    };
    let defaults = serde_json::to_value(DomainSettings::default()).unwrap_or_default();
    let in_force = serde_json::to_value(ui.gateway.settings_for(name).as_ref()).unwrap_or_default();
    let layer: SettingsLayer = ui.gateway.settings_layer(SettingsScope::Domain, name).unwrap_or_default();
    let refused_key = error.as_ref().map(|(key, _)| key.clone()).unwrap_or_default();
    let settings = SETTINGS_DOC
        .iter()
        .map(|doc| {
            let field = format!("s.{}", doc.key);
            let set = match entered.and_then(|fields| fields.iter().find(|(name, _)| *name == field)) {
                Some((_, text)) => text.clone(),
                None => layer.get(doc.key).map(form_text).unwrap_or_default(),
            };
            let default = defaults.get(doc.key).cloned().unwrap_or(Value::Null);
            SettingLine {
                key: doc.key,
                kind: doc.kind,
                what: doc.what,
                boolean: default.is_boolean(),
                default: shown(&form_text(&default)),
                set: shown(&set),
                in_force: shown(&in_force.get(doc.key).map(form_text).unwrap_or_default()),
                refused: refused_key == doc.key,
            }
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = DomainPage {
        nav: Nav::new(viewer, "domains"),
        name: shown(&domain.name),
        destination: shown(&domain.destination),
        source: match domain.source {
            DomainSource::File => "configuration file",
            DomainSource::Store => "added in the web interface or the API",
        },
        settings,
        error: error.map(|(_, text)| text),
        notice: (done == "saved").then_some("Saved. Every node applies it within 5 seconds."),
    };
    (status, page).into_response()
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct Done {
    done: String,
}

/// `GET /domains/{name}`.
pub(crate) async fn detail(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Path(name): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let name = name.to_ascii_lowercase();
    if !manages_domain(&viewer.user, &name) {
        return no_such_domain();
    }
    domain_page(&ui, &viewer, &name, None, None, &done.done)
}

/// `POST /domains/{name}` with `s.KEY` for every key: the keys whose text
/// changed are set (empty: unset) in one patch, all or none.
pub(crate) async fn update(
    State(ui): State<Arc<Ui>>,
    Extension(viewer): Extension<Viewer>,
    Path(name): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let name = name.to_ascii_lowercase();
    if !manages_domain(&viewer.user, &name) || !ui.gateway.domains().contains(&name) {
        return no_such_domain();
    }
    let defaults = serde_json::to_value(DomainSettings::default()).unwrap_or_default();
    let layer: SettingsLayer = ui.gateway.settings_layer(SettingsScope::Domain, &name).unwrap_or_default();
    let mut patch = serde_json::Map::new();
    for doc in SETTINGS_DOC {
        let Some((_, text)) = fields.iter().find(|(field, _)| field.strip_prefix("s.") == Some(doc.key)) else {
            continue;
        };
        let now = layer.get(doc.key).map(form_text).unwrap_or_default();
        if text.trim() != now.trim() {
            patch.insert(doc.key.to_owned(), form_value(defaults.get(doc.key).unwrap_or(&Value::Null), text));
        }
    }
    if patch.is_empty() {
        return Redirect::to(&format!("/domains/{}?done=saved", view::query_value(&name))).into_response();
    }
    let keys: Vec<String> = patch.keys().cloned().collect();
    match ui.gateway.update_settings(SettingsScope::Domain, &name, Value::Object(patch)).await {
        Ok(Some(_)) => {
            tracing::info!(target: "sluice::audit", actor = %viewer.user.name, domain = %name, keys = ?keys, "domain settings changed");
            Redirect::to(&format!("/domains/{}?done=saved", view::query_value(&name))).into_response()
        }
        Ok(None) => no_such_domain(),
        Err(SettingsError::Invalid(error)) => {
            let text = error.to_string();
            domain_page(&ui, &viewer, &name, Some(&fields), Some((error.key, text)), "")
        }
        Err(SettingsError::Store(error)) => view::store_failed(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_text_reads_by_the_shape_of_the_default() {
        assert_eq!(form_value(&json!(998), ""), Value::Null, "empty unsets");
        assert_eq!(form_value(&json!(998), " 500 "), json!(500));
        assert_eq!(form_value(&json!(0.9), "0.75"), json!(0.75));
        assert_eq!(form_value(&json!(998), "lots"), json!("lots"), "left for validation to name");
        assert_eq!(form_value(&json!(false), "true"), json!(true));
        assert_eq!(form_value(&json!([]), "a@b.test, postmaster,,"), json!(["a@b.test", "postmaster"]));
        assert_eq!(form_value(&json!("7days"), "3d"), json!("3d"));
        assert_eq!(form_text(&json!(["exe", "bat"])), "exe, bat");
        assert_eq!(form_text(&json!(true)), "true");
    }
}
