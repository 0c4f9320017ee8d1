//! The allow and block lists as this node holds them: compiled from the store's
//! entries (`sluice_core::checks::lists::Lists`), reloaded when the store's list
//! version changes (checked every 5 s by `Gateway::follow_other_nodes`, and at
//! once after a change made through this node), and the validation of a new
//! entry against this node's configuration (a scope must name a configured domain
//! or a mailbox of one).

use std::sync::Arc;

use sluice_core::Envelope;
use sluice_core::checks::lists::{self, ListEntry, ListFacts, ListField, ListKind, ListScope, Lists, Sender};
use sluice_model::Finding;
use sluice_store::{NewListEntry, SettingsScope, StoredListEntry};

use crate::Gateway;
use crate::domains::DomainSet;
use crate::settings::scope_name;

/// A list entry refused: the request field at fault and why (the API's 400 body).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ListEntryError {
    pub field: &'static str,
    pub reason: String,
}

fn refused(field: &'static str, reason: impl Into<String>) -> ListEntryError {
    ListEntryError { field, reason: reason.into() }
}

/// Checks one entry as given to the API or the CLI and puts it in canonical form
/// (its id is 0 until stored).
pub fn validate(domains: &DomainSet, kind: ListKind, scope: &str, field: &str, value: &str, unauthenticated: bool) -> Result<ListEntry, ListEntryError> {
    let parsed = validate_scope(domains, scope).map_err(|reason| refused("scope", reason))?;
    let field = ListField::parse(field)
        .ok_or_else(|| refused("field", format!("{field:?} is not sender, recipient, ip, helo or hostname")))?;
    let value = lists::canonical_value(field, value).map_err(|reason| refused("value", reason))?;
    if unauthenticated && (kind, field) != (ListKind::Allow, ListField::Sender) {
        return Err(refused("unauthenticated", "only an allow-list sender entry depends on authentication"));
    }
    Ok(ListEntry { id: 0, kind, scope: parsed, field, value, unauthenticated })
}

/// Reads a list or rule scope: global, or a filtered domain or a mailbox of one.
pub fn validate_scope(domains: &DomainSet, scope: &str) -> Result<ListScope, String> {
    let parsed = ListScope::parse(scope).ok_or_else(|| format!("{scope:?} is not global, domain:NAME or mailbox:ADDRESS"))?;
    let configured = match &parsed {
        ListScope::Global => true,
        ListScope::Domain(name) => scope_name(domains, SettingsScope::Domain, name).is_some(),
        ListScope::Mailbox(address) => scope_name(domains, SettingsScope::Mailbox, address).is_some(),
    };
    if !configured {
        return Err(format!("{parsed} is not a configured domain or a mailbox of one"));
    }
    Ok(parsed)
}

/// A stored entry as the matcher reads it; `None` (logged) when a row no longer
/// parses.
pub fn from_stored(row: &StoredListEntry) -> Option<ListEntry> {
    let entry = (|| {
        let field = ListField::parse(&row.field)?;
        Some(ListEntry {
            id: row.id,
            kind: ListKind::parse(&row.kind)?,
            scope: ListScope::parse(&row.scope)?,
            field,
            value: lists::canonical_value(field, &row.value).ok()?,
            unauthenticated: row.unauthenticated,
        })
    })();
    if entry.is_none() {
        tracing::error!(id = row.id, kind = row.kind, scope = row.scope, field = row.field, "stored list entry unreadable; ignored");
    }
    entry
}

impl Gateway {
    /// The lists in force on this node.
    pub fn lists(&self) -> Arc<Lists> {
        self.lists.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Reloads the lists when the store's version differs from the one held
    /// (`force`: whatever the version says).
    pub(crate) async fn refresh_lists(&self, force: bool) -> Result<(), sluice_store::StoreError> {
        let held = || *self.lists_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.store.list_version().await?;
        if !force && held() == Some(version) {
            return Ok(());
        }
        let _reloading = self.policy_reload.lock().await;
        if !force && held() == Some(version) {
            return Ok(());
        }
        let rows = self.store.all_list_entries().await?;
        let compiled = Lists::new(rows.iter().filter_map(from_stored).collect());
        *self.lists.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(compiled);
        *self.lists_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(version);
        Ok(())
    }

    /// Takes in what any node changed in the lists and rules, before a transaction
    /// is judged: a change is in force for the next transaction on every node. A
    /// store that cannot say keeps what is in force (the 5 s loop tries again).
    pub async fn follow_policy_changes(&self) {
        if let Err(error) = self.refresh_lists(false).await {
            tracing::warn!(%error, "cannot check the allow and block lists for changes");
        }
        if let Err(error) = self.refresh_rules(false).await {
            tracing::warn!(%error, "cannot check the filtering rules for changes");
        }
        if let Err(error) = self.refresh_url_hashes(false).await {
            tracing::warn!(%error, "cannot check the URL hash lists for changes");
        }
    }

    /// Stores validated entries (all or none) and takes them into force on this
    /// node at once; returns their ids.
    pub async fn add_list_entries(&self, entries: &[ListEntry]) -> Result<Vec<i64>, sluice_store::StoreError> {
        let owned: Vec<(String, String)> = entries.iter().map(|entry| (entry.scope.to_string(), entry.value.clone())).collect();
        let new: Vec<NewListEntry<'_>> = entries
            .iter()
            .zip(&owned)
            .map(|(entry, (scope, value))| NewListEntry {
                kind: entry.kind.as_str(),
                scope,
                field: entry.field.as_str(),
                value,
                unauthenticated: entry.unauthenticated,
            })
            .collect();
        let ids = self.store.add_list_entries(&new, crate::pipeline::now_ms()).await?;
        self.refresh_lists(true).await?;
        Ok(ids)
    }

    /// Removes one entry; false when list `kind` has no entry `id`.
    pub async fn remove_list_entry(&self, kind: ListKind, id: i64) -> Result<bool, sluice_store::StoreError> {
        let removed = self.store.remove_list_entry(kind.as_str(), id).await?;
        self.refresh_lists(true).await?;
        Ok(removed)
    }

    /// The list findings for `recipient` at RCPT ([`findings_at_rcpt`]).
    pub fn list_findings_at_rcpt(&self, envelope: &Envelope, hostname: Option<&str>, recipient: &str, sender_spf_pass: bool) -> Vec<Finding> {
        findings_at_rcpt(&self.lists(), envelope, hostname, recipient, sender_spf_pass)
    }
}

/// The list findings for `recipient` at RCPT: the client, its HELO and the
/// envelope sender (authenticated when `sender_spf_pass`).
pub fn findings_at_rcpt(lists: &Lists, envelope: &Envelope, hostname: Option<&str>, recipient: &str, sender_spf_pass: bool) -> Vec<Finding> {
    let mut facts = list_facts(envelope, hostname, None);
    for sender in &mut facts.senders {
        sender.authenticated = sender_spf_pass;
    }
    lists::check(lists, &facts, recipient)
}

/// What the lists are matched against: the client address, the HELO, the envelope
/// sender, the client's forward-confirmed host name (looked up only when a
/// `hostname` entry exists) and (at DATA) the header From, none of them
/// authenticated (the callers that know SPF or DMARC passed say so).
pub fn list_facts<'a>(envelope: &'a Envelope, hostname: Option<&'a str>, header_from: Option<&'a str>) -> ListFacts<'a> {
    let mut senders = Vec::new();
    if !envelope.sender.is_empty() {
        senders.push(Sender { address: &envelope.sender, source: "envelope", authenticated: false });
    }
    if let Some(from) = header_from {
        senders.push(Sender { address: from, source: "From", authenticated: false });
    }
    ListFacts {
        client_ip: envelope.client_ip,
        helo: (!envelope.helo.is_empty()).then_some(envelope.helo.as_str()),
        hostname,
        senders,
    }
}
