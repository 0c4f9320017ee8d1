//! The filtered domains as every node holds them: the configuration file's
//! `[[domains]]` and the domains added through the API or the web interface
//! (the store's `domains`), in one [`DomainSet`]. Everything that asks "is this
//! domain ours, where does its mail go" asks the set the gateway holds
//! (`Gateway::domains`): the relay check at RCPT, routing, the settings' scopes,
//! submission rights, the web interface. The gateway swaps in a new set when the
//! store's `domain_version` changes (every 5 s, and at once on the node that made
//! the change), so a lookup is one read of an `Arc`.
//!
//! A file domain wins over a stored one of the same name: it cannot be added
//! again nor removed through the API. A stored domain starts with the global
//! defaults (`[defaults]`, as changed through the API); its own settings are set
//! at its scope like a file domain's.

use std::collections::HashMap;

use sluice_core::{DomainSettings, SettingsLayer};
use sluice_store::StoredDomain;

use crate::config::Config;

/// Where a filtered domain comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainSource {
    /// The configuration file's `[[domains]]`.
    File,
    /// Added through the API or the web interface.
    Store,
}

impl DomainSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainSource::File => "file",
            DomainSource::Store => "store",
        }
    }
}

/// One domain Sluice accepts mail for.
#[derive(Clone, Debug)]
pub struct FilteredDomain {
    /// Lower case.
    pub name: String,
    /// `host:port` accepted mail is relayed to.
    pub destination: String,
    pub source: DomainSource,
    /// Who added a stored domain, and when (ms since the epoch).
    pub added: Option<(String, i64)>,
    /// The keys the file sets for the domain (its scope's seed); empty for a
    /// stored domain.
    pub layer: SettingsLayer,
    /// The settings in force by the file alone: for a stored domain, the
    /// file's `[defaults]`.
    pub settings: DomainSettings,
}

/// Every filtered domain, the file's first (in the file's order), then the
/// stored ones by name.
#[derive(Clone, Debug, Default)]
pub struct DomainSet {
    domains: Vec<FilteredDomain>,
    /// Lower-case name -> index in `domains`.
    index: HashMap<String, usize>,
    /// The names, in the same order: what the checks that ask "is this address
    /// ours" read for every message, made once per set rather than per message.
    names: Vec<String>,
    /// Stored domains that were removed: name -> (destination, removed at ms),
    /// so the mail they queued before is still delivered where it was going.
    removed: HashMap<String, (String, i64)>,
}

impl DomainSet {
    /// The file's domains alone (before the store is read, and offline tools).
    pub fn from_file(config: &Config) -> DomainSet {
        DomainSet::with_stored(config, &[])
    }

    /// The file's domains and the stored ones; a stored domain named like a
    /// file domain is left out (the file's wins).
    pub fn with_stored(config: &Config, stored: &[StoredDomain]) -> DomainSet {
        let mut set = DomainSet::default();
        for domain in &config.domains {
            set.push(FilteredDomain {
                name: domain.name.clone(),
                destination: domain.destination.clone(),
                source: DomainSource::File,
                added: None,
                layer: domain.layer.clone(),
                settings: domain.settings.clone(),
            });
        }
        let defaults = config.global_settings();
        for domain in stored {
            if set.index.contains_key(&domain.name) {
                continue;
            }
            if let Some(removed_at) = domain.removed_at_ms {
                set.removed.insert(domain.name.clone(), (domain.destination.clone(), removed_at));
                continue;
            }
            set.push(FilteredDomain {
                name: domain.name.clone(),
                destination: domain.destination.clone(),
                source: DomainSource::Store,
                added: Some((domain.added_by.clone(), domain.added_at_ms)),
                layer: SettingsLayer::new(),
                settings: defaults.clone(),
            });
        }
        set
    }

    fn push(&mut self, domain: FilteredDomain) {
        self.index.insert(domain.name.clone(), self.domains.len());
        self.names.push(domain.name.clone());
        self.domains.push(domain);
    }

    /// The domain called `name` (any case, one trailing dot allowed).
    pub fn get(&self, name: &str) -> Option<&FilteredDomain> {
        let name = name.strip_suffix('.').unwrap_or(name);
        match self.index.get(name) {
            Some(&index) => Some(&self.domains[index]),
            None if name.bytes().any(|byte| byte.is_ascii_uppercase()) => {
                self.index.get(&name.to_ascii_lowercase()).map(|&index| &self.domains[index])
            }
            None => None,
        }
    }

    /// Whether `name` is a filtered domain.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The filtered domain an address belongs to, if any.
    pub fn domain_for(&self, address: &str) -> Option<&FilteredDomain> {
        self.index.get(&sluice_core::envelope::domain_of(address)).map(|&index| &self.domains[index])
    }

    /// Whether `name` was added through the API and removed since (and is not
    /// filtered again, from the file or the store).
    pub fn was_removed(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.removed.contains_key(&name) && !self.index.contains_key(&name)
    }

    /// Every filtered domain's name (lower case), in the order of [`Self::iter`].
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every filtered domain.
    pub fn iter(&self) -> impl Iterator<Item = &FilteredDomain> {
        self.domains.iter()
    }

    pub fn len(&self) -> usize {
        self.domains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// Where a queue entry's `route` goes when it names one of our domains: its
    /// destination, or for a stored domain removed after the entry was queued
    /// (`queued_at_ms`), the destination it had then (the message got its 250).
    /// `None`: not ours, routed like any other domain.
    pub fn destination_of_route(&self, route: &str, queued_at_ms: i64) -> Option<&str> {
        if let Some(domain) = self.get(route) {
            return Some(&domain.destination);
        }
        self.removed
            .get(route)
            .filter(|(_, removed_at)| queued_at_ms <= *removed_at)
            .map(|(destination, _)| destination.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let text = "hostname = \"mx.example.net\"\ndata_dir = \"/tmp/sluice\"\n[defaults]\nmax_line_length = 900\n\
                    [[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:2525\"\nmax_line_length = 800\n";
        Config::parse(std::path::Path::new("sluice.toml"), text).unwrap()
    }

    fn stored(name: &str, destination: &str, removed_at_ms: Option<i64>) -> StoredDomain {
        StoredDomain { name: name.into(), destination: destination.into(), added_by: "admin".into(), added_at_ms: 1, removed_at_ms }
    }

    #[test]
    fn the_file_and_the_store_make_one_set_and_the_file_wins() {
        let set = DomainSet::with_stored(
            &config(),
            &[stored("example.net", "10.9.9.9:25", None), stored("added.test", "127.0.0.1:2600", None), stored("gone.test", "127.0.0.1:2700", Some(50))],
        );
        let names: Vec<(&str, &str, &str)> = set.iter().map(|domain| (domain.name.as_str(), domain.destination.as_str(), domain.source.as_str())).collect();
        assert_eq!(names, [("example.net", "127.0.0.1:2525", "file"), ("added.test", "127.0.0.1:2600", "store")]);
        assert_eq!(set.names(), ["example.net", "added.test"]);
        assert_eq!(set.get("Added.TEST.").map(|domain| domain.source), Some(DomainSource::Store));
        assert!(set.domain_for("bob@ADDED.test").is_some() && set.domain_for("bob@gone.test").is_none());
        assert_eq!(set.get("added.test").unwrap().settings.max_line_length, 900, "a stored domain gets the [defaults]");
        assert_eq!(set.get("example.net").unwrap().settings.max_line_length, 800);
        // Mail queued before the removal still goes where it was going; later
        // entries (a release, a bounce) are routed like anyone else's.
        assert_eq!(set.destination_of_route("gone.test", 50), Some("127.0.0.1:2700"));
        assert_eq!(set.destination_of_route("gone.test", 51), None);
        assert_eq!(set.destination_of_route("added.test", i64::MAX), Some("127.0.0.1:2600"));
        assert_eq!(set.destination_of_route("elsewhere.test", 0), None);
        assert!(set.was_removed("Gone.test") && !set.was_removed("added.test") && !set.was_removed("elsewhere.test"));
    }
}
