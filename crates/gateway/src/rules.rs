//! The filtering rules as this node holds them: compiled from the store's rows
//! (`sluice_core::checks::rules::Rules`), reloaded when the store's rule version
//! changes (checked every 5 s by `Gateway::follow_other_nodes`, and at once after
//! a change made through this node), and the validation of a rule as the API and
//! the CLI give it.

use std::sync::Arc;

use sluice_core::Envelope;
use sluice_core::checks::rules::{self, Rule, RuleAction, RuleError, RuleFacts, RuleField, RuleOperator, Rules};
use sluice_model::Finding;
use sluice_store::{NewRule, StoredRule};

use crate::Gateway;

/// A rule as the API and the CLI give it, before validation.
#[derive(Clone, Debug, Default)]
pub struct RuleRequest<'a> {
    pub name: &'a str,
    pub scope: &'a str,
    pub field: &'a str,
    /// For field `header` only.
    pub header: Option<&'a str>,
    pub operator: &'a str,
    pub value: &'a str,
    pub action: &'a str,
    pub enabled: bool,
}

fn refused(field: &'static str, reason: impl Into<String>) -> RuleError {
    RuleError { field, reason: reason.into() }
}

/// Checks a rule as given (its id is 0 until stored): a configured scope, known
/// field, operator and action, and what `checks::rules::validate` checks.
pub fn validate(domains: &crate::domains::DomainSet, request: &RuleRequest<'_>) -> Result<Rule, RuleError> {
    let scope = crate::lists::validate_scope(domains, request.scope).map_err(|reason| refused("scope", reason))?;
    let names = |all: &[&str]| all.join(", ");
    let field = RuleField::parse(request.field).ok_or_else(|| {
        refused("field", format!("{:?} is not one of {}", request.field, names(&RuleField::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>())))
    })?;
    let operator = RuleOperator::parse(request.operator).ok_or_else(|| {
        refused("operator", format!("{:?} is not one of {}", request.operator, names(&RuleOperator::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>())))
    })?;
    let action = RuleAction::parse(request.action).ok_or_else(|| refused("action", format!("{:?} is not allow or block", request.action)))?;
    let rule = Rule {
        id: 0,
        name: request.name.trim().to_owned(),
        scope,
        field,
        header: request.header.map(|header| header.trim().to_owned()),
        operator,
        value: request.value.to_owned(),
        action,
        enabled: request.enabled,
    };
    rules::validate(&rule)?;
    Ok(rule)
}

/// A stored rule as the matcher reads it; `None` (logged) when a row no longer
/// parses.
pub fn from_stored(row: &StoredRule) -> Option<Rule> {
    let rule = (|| {
        let rule = Rule {
            id: row.id,
            name: row.name.clone(),
            scope: sluice_core::checks::lists::ListScope::parse(&row.scope)?,
            field: RuleField::parse(&row.field)?,
            header: (!row.header.is_empty()).then(|| row.header.clone()),
            operator: RuleOperator::parse(&row.operator)?,
            value: row.value.clone(),
            action: RuleAction::parse(&row.action)?,
            enabled: row.enabled,
        };
        rules::validate(&rule).ok()?;
        Some(rule)
    })();
    if rule.is_none() {
        tracing::error!(id = row.id, name = row.name, field = row.field, "stored rule unreadable; ignored");
    }
    rule
}

/// A rule as the store keeps it: the scope written out (returned beside the
/// row, which borrows it: set `scope` from it).
pub fn stored_form(rule: &Rule) -> (String, NewRule<'_>) {
    let scope = rule.scope.to_string();
    let new = NewRule {
        name: &rule.name,
        scope: "",
        field: rule.field.as_str(),
        header: rule.header.as_deref().unwrap_or_default(),
        operator: rule.operator.as_str(),
        value: &rule.value,
        action: rule.action.as_str(),
        enabled: rule.enabled,
    };
    (scope, new)
}

impl Gateway {
    /// The rules in force on this node.
    pub fn rules(&self) -> Arc<Rules> {
        self.rules.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Reloads the rules when the store's version differs from the one held
    /// (`force`: whatever the version says).
    pub(crate) async fn refresh_rules(&self, force: bool) -> Result<(), sluice_store::StoreError> {
        let held = || *self.rules_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.store.rule_version().await?;
        if !force && held() == Some(version) {
            return Ok(());
        }
        let _reloading = self.policy_reload.lock().await;
        if !force && held() == Some(version) {
            return Ok(());
        }
        let rows = self.store.rules(None).await?;
        // Compiling the automata is CPU work (about 70 ms for 1,000 rules): keep it
        // off the threads that drive the sockets.
        let compile = move || Rules::new(rows.iter().filter_map(from_stored).collect());
        let compiled = match tokio::task::spawn_blocking(compile).await {
            Ok(compiled) => compiled,
            Err(error) => {
                tracing::error!(%error, "compiling the filtering rules failed; the previous ones stay in force");
                return Ok(());
            }
        };
        *self.rules.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(compiled);
        *self.rules_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(version);
        Ok(())
    }

    /// Stores validated rules (all or none) and takes them into force on this
    /// node at once; returns their ids.
    pub async fn add_rules(&self, rules: &[Rule]) -> Result<Vec<i64>, sluice_store::StoreError> {
        let forms: Vec<(String, NewRule<'_>)> = rules.iter().map(stored_form).collect();
        let new: Vec<NewRule<'_>> = forms.iter().map(|(scope, new)| NewRule { scope, ..new.clone() }).collect();
        let ids = self.store.add_rules(&new, crate::pipeline::now_ms()).await?;
        self.refresh_rules(true).await?;
        Ok(ids)
    }

    /// Replaces rule `id` with a validated rule; false when there is no such rule.
    pub async fn update_rule(&self, id: i64, rule: &Rule) -> Result<bool, sluice_store::StoreError> {
        let (scope, new) = stored_form(rule);
        let updated = self.store.update_rule(id, &NewRule { scope: &scope, ..new }, crate::pipeline::now_ms()).await?;
        self.refresh_rules(true).await?;
        Ok(updated)
    }

    /// Removes rule `id`; false when there is none.
    pub async fn remove_rule(&self, id: i64) -> Result<bool, sluice_store::StoreError> {
        let removed = self.store.remove_rule(id).await?;
        self.refresh_rules(true).await?;
        Ok(removed)
    }
}

/// What the rules are matched against at RCPT: the client address, the HELO,
/// the envelope sender, the client's forward-confirmed host name; whether SPF
/// passed for the sender (`s_addr_spf` rules).
pub fn rule_facts<'a>(envelope: &'a Envelope, hostname: Option<&'a str>, sender_spf_pass: bool) -> RuleFacts<'a> {
    RuleFacts {
        client_ip: envelope.client_ip,
        helo: (!envelope.helo.is_empty()).then_some(envelope.helo.as_str()),
        hostname,
        sender: (!envelope.sender.is_empty()).then_some(envelope.sender.as_str()),
        sender_spf_pass,
        content: None,
    }
}

/// The rule findings for `recipient` at RCPT: the envelope fields only.
pub fn findings_at_rcpt(rules: &Rules, envelope: &Envelope, hostname: Option<&str>, recipient: &str, sender_spf_pass: bool) -> Vec<Finding> {
    rules::check(rules, &rule_facts(envelope, hostname, sender_spf_pass), recipient)
}

