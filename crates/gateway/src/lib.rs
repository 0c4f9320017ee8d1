//! The gateway: SMTP sessions, the per-stage pipeline, the durable queue and
//! delivery. The only crate that writes SMTP bytes.
//!
//! [`Gateway`] holds what every session and delivery shares (configuration,
//! store, TLS, resolver, limits, the shutdown signal). The binary builds it, binds
//! the listeners and spawns [`smtp::serve`] and [`delivery::run`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use sluice_core::{DomainSettings, SettingsLayer};
use sluice_store::{Released, SettingsScope, Store};
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

pub mod callout;
mod antivirus;
mod auth;
pub mod config;
pub mod counters;
pub mod delivery;
pub mod domains;
pub mod familiarity;
pub mod greylisting;
mod inbound_rate;
pub mod dnslists;
pub mod fingerprints;
pub mod learning;
pub mod lists;
pub mod metrics;
pub mod password;
pub mod patterns;
pub mod rules;
pub mod reputation;
pub mod retention;
pub mod settings;
pub mod signing;
pub mod pipeline;
pub mod preflight;
pub mod smtp;
pub mod submission;
pub mod tls;
pub mod url_hashes;

pub use config::Config;

/// Who releases through the admin-token API: the one releaser that may release
/// anything, viruses included.
pub const ADMIN_RELEASER: &str = "admin";

/// State shared by every session and delivery.
pub struct Gateway {
    pub config: Arc<Config>,
    pub store: Store,
    /// The statistical classifiers and what this installation taught them.
    pub learning: Arc<learning::Learning>,
    /// What reported spam looked like (match-set1/2, contact-box, UCEPP).
    pub reported_spam: Arc<fingerprints::ReportedSpam>,
    tls: TlsAcceptor,
    /// DNS, for MX lookups of bounce recipients (and the checks that land next).
    resolver: Arc<dyn sluice_lookup::Resolver>,
    /// The antivirus daemon, when `[antivirus] clamd` is set.
    scanner: Option<Arc<dyn sluice_lookup::Scanner>>,
    /// SPF, DKIM and ARC (`mail-auth`), over the same `[dns]` settings.
    authenticator: Arc<sluice_lookup::auth::Authenticator>,
    /// Woken when something is queued, so delivery starts at once.
    pub queue_wakeup: Notify,
    /// KiB of message bodies all sessions may hold in memory at once.
    pub(crate) data_memory: Arc<tokio::sync::Semaphore>,
    /// The filtered domains (the file's and the store's), swapped whole when
    /// `domains_version` (the store's) changes.
    domains: std::sync::RwLock<Arc<domains::DomainSet>>,
    domains_version: Mutex<Option<i64>>,
    /// The settings of every scope: seeded from the file, changed through the
    /// API, refreshed from the store so every node follows a change.
    settings: std::sync::RwLock<settings::ScopedSettings>,
    /// The allow and block lists, compiled; reloaded when `lists_version` (the
    /// store's) changes.
    lists: std::sync::RwLock<Arc<sluice_core::checks::lists::Lists>>,
    lists_version: Mutex<Option<(i64, i64)>>,
    /// The filtering rules, compiled; reloaded when `rules_version` (the store's)
    /// changes.
    rules: std::sync::RwLock<Arc<sluice_core::checks::rules::Rules>>,
    rules_version: Mutex<Option<(i64, i64)>>,
    /// The URL hash lists, compiled; reloaded when `url_hashes_version` (the
    /// store's) changes.
    url_hashes: std::sync::RwLock<Arc<sluice_core::checks::url_hashes::UrlHashLists>>,
    url_hashes_version: Mutex<Option<i64>>,
    /// One reload of the lists or rules at a time: when a change lands, the
    /// sessions that notice it together compile it once.
    policy_reload: tokio::sync::Mutex<()>,
    /// Concurrent SMTP sessions per client address.
    connections: Mutex<HashMap<IpAddr, usize>>,
    /// Counters shared by the cluster's nodes (connection rates, refused recipients).
    pub counters: counters::ClusterCounters,
    /// Sender reputation: the cluster's counts per sender, shared in batches.
    pub reputation: reputation::SenderReputation,
    /// The heuristic rule sets (shipped, and `[heuristics] set2`), compiled once.
    pub heuristics: Arc<sluice_core::checks::heuristics::HeuristicSets>,
    /// The external pattern sets (`[[patterns]]`), re-read when a file changes.
    pub patterns: patterns::PatternFiles,
    /// Recipient callouts: cached answers, concurrency per destination.
    pub callouts: callout::Callouts,
    /// `[limits] exempt`, compiled.
    pub(crate) exempt: sluice_core::checks::lists::Networks,
    /// Log rows of SMTP-time refusals left per client network.
    refusal_logs: smtp::log_budget::RefusalLogBudget,
    /// Becomes `true` once on SIGTERM.
    pub shutdown: watch::Receiver<bool>,
    /// Set once the SMTP listener is bound and accepting.
    pub smtp_listening: AtomicBool,
    /// When the queue worker last went round its loop (ms since the epoch).
    pub queue_heartbeat_ms: AtomicI64,
    /// The BATV secrets this node has read from the store.
    pub(crate) batv_secrets: signing::batv::Secrets,
}

impl Gateway {
    pub fn new(config: Config, store: Store, shutdown: watch::Receiver<bool>) -> anyhow::Result<Gateway> {
        let tls = tls::acceptor(&config)?;
        let heuristics = Arc::new(sluice_core::checks::heuristics::HeuristicSets::new(
            config.heuristics.load_set2().map_err(anyhow::Error::msg)?,
        ));
        let config_memory_kib = (config.smtp.data_memory / 1024).clamp(64, u32::MAX as u64);
        let resolver: Arc<dyn sluice_lookup::Resolver> =
            Arc::new(sluice_lookup::dns::DnsResolver::new(config.dns.resolver, config.dns.timeout)?);
        let authenticator = Arc::new(sluice_lookup::auth::Authenticator::new(config.dns.resolver, config.dns.timeout)?);
        let learning = Arc::new(learning::Learning::for_config(&config)?);
        let refusal_logs = smtp::log_budget::RefusalLogBudget::new(config.smtp.refusal_logs_per_minute);
        let exempt = sluice_core::checks::lists::Networks::parse(config.limits.exempt.iter().map(String::as_str))
            .map_err(|error| anyhow::anyhow!("{}: key `limits.exempt`: {error}", config.path.display()))?;
        let scanner = antivirus::scanner(&config.antivirus);
        let file_domains = Arc::new(domains::DomainSet::from_file(&config));
        let pattern_files = patterns::PatternFiles::new(&config.patterns);
        Ok(Gateway {
            config: Arc::new(config),
            store,
            learning,
            reported_spam: Arc::new(fingerprints::ReportedSpam::new(Default::default())),
            tls,
            resolver,
            scanner,
            authenticator,
            queue_wakeup: Notify::new(),
            data_memory: Arc::new(tokio::sync::Semaphore::new(config_memory_kib as usize)),
            domains: std::sync::RwLock::new(file_domains),
            domains_version: Mutex::new(None),
            settings: std::sync::RwLock::new(settings::ScopedSettings::default()),
            lists: std::sync::RwLock::default(),
            lists_version: Mutex::new(None),
            rules: std::sync::RwLock::default(),
            rules_version: Mutex::new(None),
            url_hashes: std::sync::RwLock::default(),
            url_hashes_version: Mutex::new(None),
            policy_reload: tokio::sync::Mutex::new(()),
            connections: Mutex::new(HashMap::new()),
            counters: counters::ClusterCounters::default(),
            heuristics,
            reputation: reputation::SenderReputation::default(),
            patterns: pattern_files,
            callouts: callout::Callouts::default(),
            exempt,
            refusal_logs,
            shutdown,
            smtp_listening: AtomicBool::new(false),
            queue_heartbeat_ms: AtomicI64::new(0),
            batv_secrets: signing::batv::Secrets::default(),
        })
    }

    /// The filtered domains as this node holds them now (the file's and the
    /// store's: [`domains::DomainSet`]).
    pub fn domains(&self) -> Arc<domains::DomainSet> {
        self.domains.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The settings in force for a filtered domain.
    pub fn settings_for(&self, domain: &str) -> Arc<DomainSettings> {
        let domains = self.domains();
        self.settings.read().unwrap_or_else(std::sync::PoisonError::into_inner).for_domain(&domains, domain)
    }

    /// The settings in force for one recipient (see [`settings::ScopedSettings`]).
    pub fn settings_for_recipient(&self, address: &str) -> Arc<DomainSettings> {
        let domains = self.domains();
        self.settings.read().unwrap_or_else(std::sync::PoisonError::into_inner).for_recipient(&domains, address)
    }

    /// The largest message any domain accepts, within the `[smtp]` hard cap: what
    /// SIZE advertises and MAIL FROM checks before any recipient is known.
    pub fn largest_message_size(&self) -> u64 {
        let cap = self.config.smtp.max_message_size;
        let live = self.settings.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let in_force = live.all_resolved();
        let domains = self.domains();
        let limits: Vec<u64> = if in_force.is_empty() {
            domains.iter().map(|domain| domain.settings.max_message_size).collect()
        } else {
            in_force.iter().map(|settings| settings.max_message_size).collect()
        };
        limits.into_iter().map(|limit| if limit == 0 { cap } else { limit.min(cap) }).max().unwrap_or(cap)
    }

    /// Seeds the store with the file's settings (see `Store::seed_settings`) and
    /// loads what is in force at every scope.
    pub async fn load_settings(&self) -> anyhow::Result<()> {
        let now = pipeline::now_ms();
        let seed = serde_json::to_string(&self.config.defaults)?;
        self.store.seed_settings(SettingsScope::Global, "", &seed, now).await?;
        for domain in &self.config.domains {
            let seed = serde_json::to_string(&domain.layer)?;
            self.store.seed_settings(SettingsScope::Domain, &domain.name, &seed, now).await?;
        }
        self.refresh_domains(true).await?;
        self.refresh_settings().await?;
        self.refresh_lists(true).await?;
        self.refresh_rules(true).await?;
        self.refresh_url_hashes(true).await?;
        self.reported_spam.catch_up(&self.store, now).await?;
        Ok(())
    }

    /// Reads the stored domains again when the store's version changed (or
    /// when `force`d) and swaps in the new set; true when it did.
    async fn refresh_domains(&self, force: bool) -> Result<bool, sluice_store::StoreError> {
        let version = self.store.domain_version().await?;
        let known = *self.domains_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !force && known == Some(version) {
            return Ok(false);
        }
        // Read after the version: a change landing in between is read now and
        // again on the next round, never missed.
        let stored = self.store.stored_domains().await?;
        let fresh = Arc::new(domains::DomainSet::with_stored(&self.config, &stored));
        *self.domains.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        *self.domains_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(version);
        Ok(true)
    }

    /// Adds a filtered domain through the API: `name` and `destination` are
    /// checked as the file's `[[domains]]` are; a file domain or one already
    /// there is refused. This node applies it at once (settings resolved
    /// for it), every other within 5 seconds.
    pub async fn add_domain(&self, name: &str, destination: &str, added_by: &str) -> Result<domains::FilteredDomain, DomainChangeError> {
        let name = config::domain_name(name).map_err(|expected| DomainChangeError::Invalid { key: "name", expected })?;
        let destination =
            config::domain_destination(destination).map_err(|expected| DomainChangeError::Invalid { key: "destination", expected })?;
        if let Some(existing) = self.domains().get(&name) {
            return Err(DomainChangeError::Exists(existing.source));
        }
        if !self.store.add_domain(&name, &destination, added_by, pipeline::now_ms()).await? {
            return Err(DomainChangeError::Exists(domains::DomainSource::Store));
        }
        self.refresh_domains(true).await?;
        self.refresh_settings().await?;
        self.domains().get(&name).cloned().ok_or(DomainChangeError::NotFound)
    }

    /// Removes a domain added through the API, with its settings, its
    /// mailboxes' settings and the list entries and rules scoped to it (see
    /// `Store::remove_domain`); a file domain is refused. Mail it queued before
    /// is still delivered to its destination.
    pub async fn remove_domain(&self, name: &str, removed_by: &str) -> Result<sluice_store::RemovedDomain, DomainChangeError> {
        let name = name.trim().strip_suffix('.').unwrap_or(name.trim()).to_ascii_lowercase();
        match self.domains().get(&name).map(|domain| domain.source) {
            None => return Err(DomainChangeError::NotFound),
            Some(domains::DomainSource::File) => return Err(DomainChangeError::InFile),
            Some(domains::DomainSource::Store) => {}
        }
        let Some(removed) = self.store.remove_domain(&name, removed_by, pipeline::now_ms()).await? else {
            return Err(DomainChangeError::NotFound);
        };
        self.refresh_domains(true).await?;
        self.refresh_settings().await?;
        self.refresh_lists(true).await?;
        self.refresh_rules(true).await?;
        Ok(removed)
    }

    /// Reads every scope's settings from the store and resolves them.
    async fn refresh_settings(&self) -> Result<(), sluice_store::StoreError> {
        let rows = self.store.all_settings().await?;
        let domains = self.domains();
        let fresh = settings::ScopedSettings::from_rows(&self.config, &domains, rows);
        *self.settings.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// The keys set at one scope (`None`: no such domain or mailbox domain).
    pub fn settings_layer(&self, scope: SettingsScope, name: &str) -> Option<SettingsLayer> {
        let name = settings::scope_name(&self.domains(), scope, name)?;
        let live = self.settings.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(live.layer(scope, &name).cloned().unwrap_or_default())
    }

    /// Changes the keys set at one scope: `patch` is a JSON object of the keys to
    /// set (others keep what is set there; `null` unsets a key, so it inherits
    /// again). Refused, naming the key, when a key is unknown, a value is not what
    /// the key expects, or the result breaks a rule across keys. Returns the keys
    /// now set there; `None` for an unknown domain (or a mailbox of one).
    pub async fn update_settings(
        &self,
        scope: SettingsScope,
        name: &str,
        patch: serde_json::Value,
    ) -> Result<Option<SettingsLayer>, SettingsError> {
        let domains = self.domains();
        let Some(name) = settings::scope_name(&domains, scope, name) else {
            return Ok(None);
        };
        let serde_json::Value::Object(patch) = patch else {
            return Err(SettingsError::Invalid(sluice_core::LayerError {
                key: String::new(),
                expected: "a JSON object of settings".to_owned(),
            }));
        };
        let layer = {
            let live = self.settings.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut layer = live.layer(scope, &name).cloned().unwrap_or_default();
            for (key, value) in patch {
                if value.is_null() {
                    layer.remove(&key);
                } else {
                    layer.insert(key, value);
                }
            }
            live.check(&domains, scope, &name, &layer).map_err(SettingsError::Invalid)?;
            layer
        };
        let stored = serde_json::to_string(&layer).unwrap_or_else(|_| "{}".to_owned());
        self.store.set_settings(scope, &name, &stored, pipeline::now_ms()).await?;
        self.refresh_settings().await?;
        Ok(Some(layer))
    }

    /// Picks up what other nodes changed (settings, lists, learning), every few
    /// seconds until shutdown, so an idle node is never far behind.
    pub async fn follow_other_nodes(self: Arc<Self>) {
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                _ = shutdown.changed() => return,
            }
            if let Err(error) = self.refresh_domains(false).await {
                tracing::warn!(%error, "cannot refresh the filtered domains");
            }
            if let Err(error) = self.refresh_settings().await {
                tracing::warn!(%error, "cannot refresh settings");
            }
            if let Err(error) = self.refresh_lists(false).await {
                tracing::warn!(%error, "cannot refresh the allow and block lists");
            }
            if let Err(error) = self.refresh_rules(false).await {
                tracing::warn!(%error, "cannot refresh the filtering rules");
            }
            if let Err(error) = self.refresh_url_hashes(false).await {
                tracing::warn!(%error, "cannot refresh the URL hash lists");
            }
            if let Err(error) = self.learning.catch_up(&self.store).await {
                tracing::warn!(%error, "cannot replay learning rows");
            }
            if let Err(error) = self.reported_spam.catch_up(&self.store, pipeline::now_ms()).await {
                tracing::warn!(%error, "cannot apply reported spam's fingerprints");
            }
        }
    }

    /// Releases a quarantined message to its original recipients, recorded as
    /// released by `released_by`; `by_administrator` says whether they may
    /// release a virus.
    pub async fn release(&self, quarantine_id: &str, released_by: &str, by_administrator: bool) -> Result<Released, sluice_store::StoreError> {
        self.release_with(quarantine_id, released_by, by_administrator, true).await
    }

    /// [`Gateway::release`], learning the message as not spam only when `learn`
    /// ("release without training": the message was wanted, but is not a
    /// good example of ham, such as a newsletter one subscribed to).
    pub async fn release_with(
        &self,
        quarantine_id: &str,
        released_by: &str,
        by_administrator: bool,
        learn: bool,
    ) -> Result<Released, sluice_store::StoreError> {
        let Some(row) = self.store.get_quarantine(quarantine_id).await? else {
            return Ok(Released::NotFound);
        };
        // A virus is released by an administrator only, never by a mailbox user.
        if row.main_class == sluice_model::MainClass::Virus && !by_administrator {
            return Ok(Released::Forbidden);
        }
        // Released outgoing mail goes out as outgoing mail (signed, by the smarthost).
        let outgoing = self.store.get_log(row.log_id).await?.is_some_and(|log| log.entry.direction == sluice_store::Direction::Outgoing);
        let routes = pipeline::routes_for(&self.domains(), &row.sender, &row.recipients, outgoing);
        let released = self.store.release_quarantine(quarantine_id, released_by, &routes, pipeline::now_ms()).await?;
        if let Released::Queued { message_id, log_id } = &released {
            self.queue_wakeup.notify_one();
            // A release reports a classification mistake: learn it as ham, in the
            // classifiers, the fingerprints and the senders' reputation (a virus
            // released by an admin says nothing about spam; a release without
            // training teaches nothing).
            let virus = row.main_class == sluice_model::MainClass::Virus;
            if learn && !virus {
                self.count_for_reputation(*log_id, reputation::Event::Released).await;
            }
            if learn && !virus && let Some(raw) = self.store.message_raw(message_id).await? {
                self.learning
                    .learn(&self.store, &self.config.node_id, &raw, sluice_statistical::Label::Ham, pipeline::now_ms())
                    .await?;
                let envelope = fingerprints::envelope_of(&row.sender, &row.recipients);
                self.reported_spam.learn(&self.store, &self.config.node_id, &raw, envelope, false, pipeline::now_ms()).await?;
            }
        }
        Ok(released)
    }

    /// Trains the classifiers with a logged message as spam or ham ("report as
    /// spam" / "not spam"). Idempotent; reporting the other way undoes the first.
    pub async fn report(&self, log_id: i64, label: sluice_statistical::Label) -> Result<Reported, sluice_store::StoreError> {
        let Some(row) = self.store.get_log(log_id).await? else {
            return Ok(Reported::NotFound);
        };
        let Some(message_id) = row.message_id else {
            return Ok(Reported::NoMessage);
        };
        let Some(raw) = self.store.message_raw(&message_id).await? else {
            return Ok(Reported::NoMessage);
        };
        let changed = self.learning.learn(&self.store, &self.config.node_id, &raw, label, pipeline::now_ms()).await?;
        // What spam looked like is shared at once (a second report of the same
        // message adds nothing); a report as not spam un-learns it.
        let spam = label == sluice_statistical::Label::Spam;
        if changed || !spam {
            let envelope = fingerprints::envelope_of(&row.entry.sender, &row.entry.recipients);
            self.reported_spam.learn(&self.store, &self.config.node_id, &raw, envelope, spam, pipeline::now_ms()).await?;
        }
        if changed {
            let event = match label {
                sluice_statistical::Label::Spam => reputation::Event::Reported,
                sluice_statistical::Label::Ham => reputation::Event::Released,
            };
            self.count_for_reputation(log_id, event).await;
        }
        Ok(if changed { Reported::Learned } else { Reported::AlreadyLearned })
    }

    /// Moves a logged message's count in its senders' reputation (a report or a
    /// release); a message whose senders were not recorded moves nothing.
    async fn count_for_reputation(&self, log_id: i64, event: reputation::Event) {
        match self.reputation.senders_of(&self.store, log_id).await {
            Ok(Some(senders)) => self.reputation.record(event, &senders, pipeline::now_ms().div_euclid(1000)),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, log_id, "cannot read the message's senders for its reputation"),
        }
    }

    /// What `/healthz` reports: every part that must work for mail to flow.
    pub async fn health(&self) -> Health {
        let storage = self.store.health().await.is_ok();
        let smtp = self.smtp_listening.load(Ordering::Relaxed);
        let heartbeat = self.queue_heartbeat_ms.load(Ordering::Relaxed);
        // The worker goes round at least every few seconds when idle.
        let queue = heartbeat > 0 && pipeline::now_ms() - heartbeat < 60_000;
        let summary = self.store.queue_summary(20).await.ok();
        let now = pipeline::now_ms();
        Health {
            smtp,
            storage,
            queue,
            queue_length: summary.as_ref().map(|summary| summary.length),
            oldest_queued_seconds: summary
                .as_ref()
                .and_then(|summary| summary.oldest_created_at_ms)
                .map(|created| (now - created).max(0) / 1000),
            failing_destinations: summary.map(|summary| summary.failing).unwrap_or_default(),
        }
    }
}

/// Why a settings change was refused.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(sluice_core::LayerError),
    #[error(transparent)]
    Store(#[from] sluice_store::StoreError),
}

/// Why a domain was not added or removed.
#[derive(Debug, thiserror::Error)]
pub enum DomainChangeError {
    /// A name or destination the file would refuse too; `key` is `name` or
    /// `destination`.
    #[error("key `{key}`: {expected}")]
    Invalid { key: &'static str, expected: String },
    /// Already filtered (from the file or added before).
    #[error("the domain is already filtered (from the {})", .0.as_str())]
    Exists(domains::DomainSource),
    /// The configuration file's: changed in the file only.
    #[error("the domain is the configuration file's: remove it there")]
    InFile,
    #[error("no such domain")]
    NotFound,
    #[error(transparent)]
    Store(#[from] sluice_store::StoreError),
}

/// The outcome of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reported {
    Learned,
    /// It was already learned with this label: nothing changed.
    AlreadyLearned,
    NotFound,
    /// The log row has no stored message (refused at SMTP time, or past the
    /// training retention).
    NoMessage,
}

/// The state of each part, for `/healthz`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Health {
    pub smtp: bool,
    pub storage: bool,
    pub queue: bool,
    pub queue_length: Option<i64>,
    /// How long the oldest queued message has waited (none when the queue is
    /// empty or the store does not answer).
    pub oldest_queued_seconds: Option<i64>,
    /// Destinations whose deliveries are failing: tried and still queued.
    pub failing_destinations: Vec<sluice_store::FailingDestination>,
}

impl Health {
    pub fn ok(&self) -> bool {
        self.smtp && self.storage && self.queue
    }
}
