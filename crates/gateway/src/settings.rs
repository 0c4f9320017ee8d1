//! Filtering settings at three scopes, as every node holds them: the keys set
//! globally, per domain and per mailbox (from the store), and what each filtered
//! domain (the [`DomainSet`]'s) and each mailbox with settings of its own resolves to. The narrowest set
//! value wins (`sluice_core::settings::resolve`).

use std::collections::HashMap;
use std::sync::Arc;

use sluice_core::settings::resolve;
use sluice_core::{DomainSettings, LayerError, SettingsLayer};
use sluice_store::SettingsScope;

use crate::config::Config;
use crate::domains::DomainSet;

/// The layers of every scope and what they resolve to.
#[derive(Default)]
pub struct ScopedSettings {
    global: SettingsLayer,
    domains: HashMap<String, SettingsLayer>,
    mailboxes: HashMap<String, SettingsLayer>,
    resolved_domains: HashMap<String, Arc<DomainSettings>>,
    resolved_mailboxes: HashMap<String, Arc<DomainSettings>>,
}

/// A scope's name as stored (lower case), if the scope exists: the global scope
/// always, a filtered domain, an address of a filtered domain.
pub(crate) fn scope_name(domains: &DomainSet, scope: SettingsScope, name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    match scope {
        SettingsScope::Global => Some(String::new()),
        SettingsScope::Domain => domains.contains(&name).then_some(name),
        SettingsScope::Mailbox => {
            let (local, _) = name.rsplit_once('@')?;
            (!local.is_empty() && !name.contains(char::is_whitespace) && domains.domain_for(&name).is_some()).then_some(name)
        }
    }
}

impl ScopedSettings {
    /// Builds the scopes from the store's rows. A stored layer that no longer
    /// resolves (a wider scope changed under it) is logged and skipped, so its
    /// recipients fall back to the wider scope rather than to nothing.
    pub fn from_rows(config: &Config, domains: &DomainSet, rows: Vec<(SettingsScope, String, String)>) -> ScopedSettings {
        let mut scoped = ScopedSettings::default();
        for (scope, name, stored) in rows {
            let layer: SettingsLayer = match serde_json::from_str(&stored) {
                Ok(layer) => layer,
                Err(error) => {
                    tracing::error!(scope = scope.as_str(), name, %error, "stored settings unreadable; ignored");
                    continue;
                }
            };
            match scope {
                SettingsScope::Global => scoped.global = layer,
                SettingsScope::Domain => {
                    scoped.domains.insert(name, layer);
                }
                SettingsScope::Mailbox => {
                    scoped.mailboxes.insert(name, layer);
                }
            }
        }
        if let Err(error) = resolve(&[&scoped.global]) {
            tracing::error!(%error, "stored global settings do not resolve; using the file's");
            scoped.global = config.defaults.clone();
        }
        for domain in domains.iter() {
            let layer = scoped.domains.get(&domain.name).unwrap_or(&domain.layer);
            let settings = resolve(&[&scoped.global, layer]).unwrap_or_else(|error| {
                tracing::error!(domain = domain.name, %error, "stored domain settings do not resolve; using the file's");
                domain.settings.clone()
            });
            scoped.resolved_domains.insert(domain.name.clone(), Arc::new(settings));
        }
        let empty = SettingsLayer::new();
        for (address, layer) in &scoped.mailboxes {
            let domain = sluice_core::envelope::domain_of(address);
            if layer.is_empty() || !scoped.resolved_domains.contains_key(&domain) {
                continue;
            }
            let domain_layer = scoped.domains.get(&domain).unwrap_or(&empty);
            match resolve(&[&scoped.global, domain_layer, layer]) {
                Ok(settings) => {
                    scoped.resolved_mailboxes.insert(address.clone(), Arc::new(settings));
                }
                Err(error) => tracing::error!(mailbox = address, %error, "mailbox settings do not resolve; ignored"),
            }
        }
        scoped
    }

    /// The settings in force for a filtered domain; the file's until the store
    /// has been read, the defaults for a domain that is not filtered.
    pub fn for_domain(&self, domains: &DomainSet, domain: &str) -> Arc<DomainSettings> {
        self.resolved_domains
            .get(domain)
            .cloned()
            .unwrap_or_else(|| Arc::new(domains.get(domain).map(|filtered| filtered.settings.clone()).unwrap_or_default()))
    }

    /// The settings in force for one recipient: its mailbox's over its domain's
    /// over the global defaults.
    pub fn for_recipient(&self, domains: &DomainSet, address: &str) -> Arc<DomainSettings> {
        self.for_mailbox(address)
            .unwrap_or_else(|| self.for_domain(domains, &sluice_core::envelope::domain_of(address)))
    }

    /// A mailbox's own settings in force, if it has any set.
    fn for_mailbox(&self, address: &str) -> Option<Arc<DomainSettings>> {
        if self.resolved_mailboxes.is_empty() {
            return None;
        }
        let address = address.trim_end_matches('.').to_ascii_lowercase();
        self.resolved_mailboxes.get(&address).cloned()
    }

    /// Every resolved set of settings (domains and mailboxes).
    pub(crate) fn all_resolved(&self) -> Vec<Arc<DomainSettings>> {
        self.resolved_domains.values().chain(self.resolved_mailboxes.values()).cloned().collect()
    }

    pub(crate) fn layer(&self, scope: SettingsScope, name: &str) -> Option<&SettingsLayer> {
        match scope {
            SettingsScope::Global => Some(&self.global),
            SettingsScope::Domain => self.domains.get(name),
            SettingsScope::Mailbox => self.mailboxes.get(name),
        }
    }

    /// Whether `layer`, set at `scope` / `name`, resolves with the scopes above it.
    pub(crate) fn check(&self, domains: &DomainSet, scope: SettingsScope, name: &str, layer: &SettingsLayer) -> Result<(), LayerError> {
        let empty = SettingsLayer::new();
        let domain_layer = |domain: &str| {
            self.domains
                .get(domain)
                .or_else(|| domains.get(domain).map(|filtered| &filtered.layer))
                .unwrap_or(&empty)
        };
        match scope {
            SettingsScope::Global => resolve(&[layer]).map(drop),
            SettingsScope::Domain => resolve(&[&self.global, layer]).map(drop),
            SettingsScope::Mailbox => {
                let domain = sluice_core::envelope::domain_of(name);
                resolve(&[&self.global, domain_layer(&domain), layer]).map(drop)
            }
        }
    }
}
