//! The configuration file: TOML, every key known, every error naming the file, the
//! key and what is expected.
//!
//! Filtering settings are the flat keys of the `[defaults]` table (every domain)
//! and of each `[[domains]]` table besides `name` and `destination` (that domain,
//! over the defaults); a misspelt key or a bad value is named with its table.
//! Mailbox-scope settings are set through the API only.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use sluice_core::checks::dnslists::{DnsList, DnsLists};
use sluice_core::{DomainSettings, SettingsLayer};

/// A configuration error, already worded for the admin.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: String,
    pub message: String,
}

/// The whole configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    pub hostname: String,
    /// This node's name among the gateways sharing one PostgreSQL store; it owns
    /// its queue leases. Defaults to `hostname`: set it when nodes share one.
    pub node_id: String,
    pub data_dir: PathBuf,
    pub listen: Listen,
    pub web: Web,
    pub storage_url: String,
    pub delivery: Delivery,
    pub smtp: Smtp,
    pub limits: Limits,
    pub outgoing: Outgoing,
    pub greylisting: Greylisting,
    pub tls: Tls,
    pub dns: Dns,
    /// The antivirus daemon (`[antivirus]`); no scanning when `clamd` is unset.
    pub antivirus: Antivirus,
    /// The phishing patterns' configuration (`[phishing]`).
    pub phishing: Phishing,
    /// The installation's own heuristic rule set (`[heuristics]`).
    pub heuristics: Heuristics,
    /// The external pattern sets (`[[patterns]]`), as loaded at start.
    pub patterns: Patterns,
    pub auth: Auth,
    /// The DNS block and allow lists (`[[dnsbl]]`, `[[dnswl]]`, `[[urlbl]]`, `[[hashbl]]`).
    pub dns_lists: sluice_core::checks::dnslists::DnsLists,
    /// How the statistical classifiers decide and when the cluster models are trusted.
    pub statistical: sluice_statistical::StatisticalSettings,
    /// `[statistical] global_model`: a global model of the installation's own
    /// (`sluice train --scope global --output FILE`) used instead of the one built
    /// into the binary; relative to the configuration's folder.
    pub global_model: Option<PathBuf>,
    pub retention: Retention,
    /// The keys of the `[defaults]` table: the global scope's seed.
    pub defaults: SettingsLayer,
    pub domains: Vec<Domain>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Inbound filtering (port 25 in production).
    pub smtp: Option<SocketAddr>,
    /// Authenticated outgoing mail, STARTTLS (port 587 in production).
    pub submission: Option<SocketAddr>,
    /// Authenticated outgoing mail over implicit TLS (port 465, RFC 8314).
    pub submissions: Option<SocketAddr>,
    /// Web UI and JSON API.
    pub web: Option<SocketAddr>,
}

/// The default of `[storage] log_retention`: a quarter of a year, long enough
/// to answer "what happened to the mail from X last month", short enough that
/// the log does not grow without end (see `docs/decisions.md`).
pub const DEFAULT_LOG_RETENTION_DAYS: u64 = 90;

/// How long the store keeps what it keeps.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// Messages are kept this long after they arrive, so that a report (or a
    /// release) can still train the classifiers on them.
    #[serde(deserialize_with = "duration")]
    pub training: Duration,
    /// Quarantined messages not released within this time are deleted.
    #[serde(deserialize_with = "duration")]
    pub quarantine: Duration,
    /// Log rows (and their delivery attempts, the dashboard's counts and the
    /// search indexes' rows) are deleted this long after they were received. At
    /// least as long as the two above, so a message that can still be released
    /// or reported has its row.
    #[serde(deserialize_with = "duration")]
    pub log: Duration,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            training: Duration::from_secs(14 * 24 * 3600),
            quarantine: Duration::from_secs(30 * 24 * 3600),
            log: Duration::from_secs(DEFAULT_LOG_RETENTION_DAYS * 24 * 3600),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Web {
    /// The bearer token of the JSON API; the API refuses every request when empty.
    #[serde(default)]
    pub admin_token: String,
    /// The web listener is reached through a proxy that terminates TLS (the
    /// listener itself speaks plain HTTP): the session cookie is then marked
    /// `Secure`, so a browser never sends it over plain HTTP. Default false.
    #[serde(default)]
    pub behind_tls_proxy: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delivery {
    /// Delay before the first retry of a deferred delivery; doubles each time.
    #[serde(deserialize_with = "duration")]
    pub retry_initial: Duration,
    /// The longest delay between two retries.
    #[serde(deserialize_with = "duration")]
    pub retry_max: Duration,
    /// Give up (and bounce) a message still undelivered after this long.
    #[serde(deserialize_with = "duration")]
    pub max_age: Duration,
    /// Time limit for connecting to a destination and for each of its replies.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Use STARTTLS towards destinations that offer it (certificates are not
    /// verified: opportunistic encryption, as between MX hosts).
    pub starttls: bool,
}

impl Default for Delivery {
    fn default() -> Delivery {
        Delivery {
            retry_initial: Duration::from_secs(60),
            retry_max: Duration::from_secs(4 * 3600),
            max_age: Duration::from_secs(5 * 24 * 3600),
            timeout: Duration::from_secs(60),
            concurrency: 16,
            starttls: true,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Smtp {
    /// Time limit for each command line from a client, from the moment we wait
    /// for it to its line end (RFC 5321 suggests 5 minutes), and the base of the
    /// DATA deadline.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Slowest DATA accepted, in octets per second: DATA must end within
    /// `timeout` plus the octets received so far divided by this rate (Postfix's
    /// `smtpd_min_data_rate`), so a trickling client cannot hold a slot for hours.
    #[serde(deserialize_with = "byte_size")]
    pub data_min_rate: u64,
    /// NOOP, RSET, VRFY and HELP commands a session may send before each further
    /// one counts as an error towards `max_errors` (Postfix's
    /// `smtpd_junk_command_limit`).
    pub max_junk_commands: u32,
    /// Log rows for refusals at SMTP time (refused recipients, sessions over the
    /// connection limits) written per client IP per minute; beyond it the
    /// refusals are answered as usual but not logged one by one.
    pub refusal_logs_per_minute: u32,
    /// Where `RCPT TO:<postmaster>` (no domain, RFC 5321 §4.5.1) goes;
    /// `postmaster@` the first configured domain when unset.
    pub postmaster: Option<String>,
    /// Largest message accepted, in octets, advertised with SIZE.
    #[serde(deserialize_with = "byte_size")]
    pub max_message_size: u64,
    /// Memory all sessions together may hold for message bodies being received;
    /// past it a DATA phase is answered 451 (error / memory) instead of growing.
    #[serde(deserialize_with = "byte_size")]
    pub data_memory: u64,
    /// Recipients accepted in one transaction (RFC 5321 requires at least 100).
    pub max_recipients: usize,
    /// Concurrent sessions per client IP (the spec's hard limit is 10).
    pub max_connections_per_ip: usize,
    /// Concurrent sessions in all.
    pub max_connections: usize,
    /// Bad commands and refused recipients tolerated in one session before it is
    /// closed (421).
    pub max_errors: u32,
    /// How long a shutdown waits for sessions in flight.
    #[serde(deserialize_with = "duration")]
    pub shutdown_grace: Duration,
}

impl Default for Smtp {
    fn default() -> Smtp {
        Smtp {
            timeout: Duration::from_secs(300),
            data_min_rate: 500,
            max_junk_commands: 100,
            refusal_logs_per_minute: 120,
            postmaster: None,
            max_message_size: 50 * 1000 * 1000,
            data_memory: 1024 * 1024 * 1024,
            max_recipients: 100,
            max_connections_per_ip: 10,
            max_connections: 1000,
            max_errors: 20,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// PEM certificate chain for STARTTLS; a self-signed one is generated when unset.
    pub certificate: Option<PathBuf>,
    /// PEM private key matching `certificate`.
    pub key: Option<PathBuf>,
}

/// Outgoing mail (`[outgoing]`): authenticated submission and delivery to the
/// internet. The per-user message limits are per-scope settings
/// (`outgoing_messages_per_hour`, `outgoing_messages_per_day`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Outgoing {
    /// `host:port` every message to a domain that is not ours goes through
    /// (outgoing mail and bounces); unset: delivered by the domain's MX.
    pub smarthost: Option<String>,
    /// Offer AUTH without TLS to clients on a loopback address (a webmail or a
    /// local relay on the same machine); elsewhere AUTH needs TLS first.
    pub allow_plaintext_auth_on_loopback: bool,
    /// Failed AUTH attempts per client address, and per user name, within
    /// `auth_failures_window`; past it every AUTH from that address or for that
    /// name is denied (454) until the window ends. 0 turns the lockout off.
    pub auth_failures_limit: u64,
    /// The window of `auth_failures_limit`.
    #[serde(deserialize_with = "duration")]
    pub auth_failures_window: Duration,
}

impl Default for Outgoing {
    fn default() -> Outgoing {
        Outgoing {
            smarthost: None,
            allow_plaintext_auth_on_loopback: false,
            auth_failures_limit: 5,
            auth_failures_window: Duration::from_secs(600),
        }
    }
}

/// Connection-level protection (`[limits]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Connections per client (IPv4 address, IPv6 /64) and minute, counted across
    /// the cluster; 0 turns the limit off.
    pub connections_per_minute: u64,
    /// The same per hour.
    pub connections_per_hour: u64,
    /// Networks (CIDR) never limited, e.g. the organisation's own servers.
    pub exempt: Vec<String>,
    /// How long a client must wait for the greeting: the first line `220-` goes
    /// out at once, the rest after this, and a client that talks in between is an
    /// early talker (554). `0s` only refuses a client whose bytes arrived before
    /// the greeting went out.
    #[serde(deserialize_with = "duration")]
    pub pregreet_wait: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections_per_minute: 30,
            connections_per_hour: 600,
            exempt: Vec::new(),
            pregreet_wait: Duration::ZERO,
        }
    }
}

/// The timing of greylisting (`[greylisting]`); whether a domain greylists is its
/// `greylisting` setting.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Greylisting {
    /// How long a new triplet must wait before its retry passes.
    #[serde(deserialize_with = "duration")]
    pub delay: Duration,
    /// How long after the first attempt a retry still passes.
    #[serde(deserialize_with = "duration")]
    pub retry_window: Duration,
    /// How long accepted mail exempts the client's network.
    #[serde(deserialize_with = "duration")]
    pub history: Duration,
}

impl Default for Greylisting {
    fn default() -> Greylisting {
        Greylisting {
            delay: Duration::from_secs(60),
            retry_window: Duration::from_secs(24 * 3600),
            history: Duration::from_secs(35 * 24 * 3600),
        }
    }
}

impl Greylisting {
    pub fn policy(&self) -> sluice_core::checks::greylisting::GreylistPolicy {
        sluice_core::checks::greylisting::GreylistPolicy {
            delay_ms: self.delay.as_millis() as i64,
            retry_window_ms: self.retry_window.as_millis() as i64,
            history_ms: self.history.as_millis() as i64,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Dns {
    /// The resolver to ask (`ip:port`); the system's when unset.
    pub resolver: Option<SocketAddr>,
    /// Time limit of each DNS lookup; a lookup past it counts as timed out.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
}

impl Default for Dns {
    fn default() -> Dns {
        Dns {
            resolver: None,
            // A DNS list or a sender's domain that takes longer is down for
            // this message: two seconds is long for a resolver next door.
            timeout: Duration::from_secs(2),
        }
    }
}

/// `[antivirus]`: where clamd listens and how its answers are read.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Antivirus {
    /// `"host:port"` or `"unix:/path"`; unset: messages are not scanned.
    #[serde(deserialize_with = "clamd_address")]
    pub clamd: Option<sluice_lookup::clamd::ClamdAddress>,
    /// Time limit of one scan; past it clamd counts as unavailable.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Signature-name prefixes of third-party sets (`virus/pattern-set2`).
    pub third_party_prefixes: Vec<String>,
}

impl Default for Antivirus {
    fn default() -> Antivirus {
        Antivirus {
            clamd: None,
            timeout: Duration::from_secs(10),
            third_party_prefixes: Vec::new(),
        }
    }
}

/// `[phishing]`: what the phishing patterns protect besides each recipient's
/// own domain.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Phishing {
    /// Domains whose look-alikes in a From are phishing (lower case).
    pub protected_domains: Vec<String>,
}

fn clamd_address<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<sluice_lookup::clamd::ClamdAddress>, D::Error> {
    let text = String::deserialize(deserializer)?;
    sluice_lookup::clamd::ClamdAddress::parse(text.trim()).map(Some).map_err(serde::de::Error::custom)
}

/// `[heuristics]`: the installation's own heuristic rule set (`heuristic-set2`;
/// the shipped `heuristic-set1` is always on).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Heuristics {
    /// A rule file in the format of `crates/core/rules/heuristic-set1.toml`,
    /// relative to the configuration's folder.
    pub set2: Option<PathBuf>,
}

impl Heuristics {
    /// Reads and compiles `set2`; the error names the key, the rule file, the
    /// rule and what is wrong with it.
    pub fn load_set2(&self) -> Result<Option<sluice_core::checks::heuristics::HeuristicSet>, String> {
        use sluice_core::checks::heuristics::{HeuristicSet, SetId};
        let Some(path) = &self.set2 else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("key `heuristics.set2`: {}: cannot read the rule file: {error}", path.display()))?;
        HeuristicSet::compile(SetId::Set2, &path.display().to_string(), &text)
            .map(Some)
            .map_err(|error| format!("key `heuristics.set2`: {error}"))
    }
}

/// One `[[patterns]]` table: an external pattern set's name and file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSource {
    /// The set's name: the extra class is `source:id`; `pattern_sets` names it.
    pub source: String,
    /// The pattern file, relative to the configuration's folder.
    pub file: PathBuf,
}

impl PatternSource {
    /// Reads and compiles the file; the error names the file, the line and
    /// what is expected (the first errors, one a line).
    pub fn load(&self) -> Result<sluice_core::checks::patterns::PatternSet, String> {
        let bytes = crate::patterns::read_bounded(&self.file)
            .map_err(|error| format!("{}: cannot read the pattern file: {error}", self.file.display()))?;
        sluice_core::checks::patterns::PatternSet::parse(&self.source, &bytes).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|error| format!("{}: {error}", self.file.display())).collect();
            lines.join("\n")
        })
    }
}

/// The `[[patterns]]` tables and the sets they held when the file was loaded
/// (the gateway starts from these, and re-reads a file when it changes).
#[derive(Clone, Debug, Default)]
pub struct Patterns {
    pub sources: Vec<PatternSource>,
    pub loaded: std::sync::Arc<sluice_core::checks::patterns::PatternSets>,
    /// What each file looked like just before it was read.
    pub stamps: Vec<Option<crate::patterns::FileStamp>>,
}

/// Sender authentication (SPF, DKIM, DMARC, ARC) beyond the per-domain settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Auth {
    /// ARC sealers (`d=` of an ARC-Seal, e.g. a mailing list's domain) whose
    /// valid chain reporting `dmarc=pass` overrides a local DMARC failure.
    pub trusted_arc_sealers: Vec<String>,
}

/// One filtered domain.
#[derive(Clone, Debug)]
pub struct Domain {
    pub name: String,
    /// Where accepted mail for the domain goes, `host:port`.
    pub destination: String,
    /// The keys the file sets for the domain (its scope's seed).
    pub layer: SettingsLayer,
    /// The settings in force by the file alone: `[defaults]`, then the domain's.
    pub settings: DomainSettings,
}

/// The `[[patterns]]` tables: each source named once with a file that loads,
/// and every source that `pattern_sets` names in `[defaults]` and
/// `[[domains]]` configured.
fn load_patterns(sources: Vec<PatternSource>, folder: &Path, defaults: &SettingsLayer, domains: &[Domain]) -> Result<Patterns, String> {
    use sluice_core::checks::patterns::{EVERY_SET, PatternSets, is_valid_name};
    let mut names = HashSet::new();
    let mut sets = Vec::new();
    let mut resolved = Vec::new();
    let mut stamps = Vec::new();
    for (position, mut source) in sources.into_iter().enumerate() {
        let table = format!("[[patterns]] #{}", position + 1);
        if !is_valid_name(&source.source) {
            return Err(format!("{table}: key `source`: expected 1 to 128 letters, digits, '.', '_' or '-', got {:?}", source.source));
        }
        if !names.insert(source.source.clone()) {
            return Err(format!("{table}: key `source`: {:?} is used twice", source.source));
        }
        source.file = folder.join(&source.file);
        stamps.push(crate::patterns::FileStamp::of(&source.file));
        let set = source.load().map_err(|error| format!("{table}: key `file`: {error}"))?;
        sets.push(std::sync::Arc::new(set));
        resolved.push(source);
    }
    let layers = std::iter::once(("[defaults]".to_owned(), defaults)).chain(domains.iter().map(|domain| (format!("[[domains]] {:?}", domain.name), &domain.layer)));
    for (table, layer) in layers {
        let named: Vec<String> = layer.get("pattern_sets").and_then(|value| serde_json::from_value(value.clone()).ok()).unwrap_or_default();
        if let Some(unknown) = named.iter().find(|name| *name != EVERY_SET && !names.contains(*name)) {
            return Err(format!("{table}: key `pattern_sets`: expected the `source` of a [[patterns]] table or \"*\", got {unknown:?}"));
        }
    }
    Ok(Patterns { sources: resolved, loaded: std::sync::Arc::new(PatternSets::new(sets)), stamps })
}

/// A DNS name as a sealer's `d=` would spell it: labels of letters, digits,
/// `-` and `_`, at least two.
fn is_domain_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The file as written, before the checks serde cannot do.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    hostname: String,
    node_id: Option<String>,
    data_dir: PathBuf,
    #[serde(default)]
    listen: Listen,
    #[serde(default)]
    web: Web,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    delivery: Delivery,
    #[serde(default)]
    smtp: Smtp,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    outgoing: Outgoing,
    #[serde(default)]
    greylisting: Greylisting,
    #[serde(default)]
    tls: Tls,
    #[serde(default)]
    dns: Dns,
    #[serde(default)]
    antivirus: Antivirus,
    #[serde(default)]
    phishing: Phishing,
    #[serde(default)]
    heuristics: Heuristics,
    #[serde(default)]
    patterns: Vec<PatternSource>,
    #[serde(default)]
    auth: Auth,
    #[serde(default)]
    dnsbl: Vec<DnsList>,
    #[serde(default)]
    dnswl: Vec<DnsList>,
    #[serde(default)]
    urlbl: Vec<DnsList>,
    #[serde(default)]
    hashbl: Vec<sluice_core::checks::hashbl::HashList>,
    /// `StatisticalSettings` and `global_model` (taken out before the rest is read).
    #[serde(default)]
    statistical: toml::Table,
    #[serde(default)]
    defaults: toml::Table,
    #[serde(default)]
    domains: Vec<toml::Table>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    url: Option<String>,
    /// How long delivered messages are kept for training (`training_retention`).
    #[serde(default, deserialize_with = "optional_duration")]
    training_retention: Option<Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    quarantine_retention: Option<Duration>,
    #[serde(default, deserialize_with = "optional_duration")]
    log_retention: Option<Duration>,
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            path: path.display().to_string(),
            message: format!("cannot read: {error}"),
        })?;
        Config::parse(path, &text)
    }

    /// Parses `text` as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let fail = |message: String| ConfigError {
            path: path.display().to_string(),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|error| fail(error.to_string()))?;
        if raw.hostname.trim().is_empty() || raw.hostname.contains(char::is_whitespace) {
            return Err(fail("key `hostname`: expected this server's host name, e.g. \"mx.example.net\"".into()));
        }
        let defaults = layer_of(raw.defaults);
        sluice_core::settings::resolve(&[&defaults]).map_err(|error| fail(format!("[defaults]: {error}")))?;
        let mut domains = Vec::new();
        let mut domain_names = HashSet::new();
        for (position, table) in raw.domains.into_iter().enumerate() {
            let domain = parse_domain(table, &defaults)
                .map_err(|message| fail(format!("[[domains]] #{}: {message}", position + 1)))?;
            if !domain_names.insert(domain.name.clone()) {
                return Err(fail(format!("[[domains]] #{}: key `name`: domain {:?} is listed twice", position + 1, domain.name)));
            }
            domains.push(domain);
        }
        if raw.delivery.concurrency == 0 {
            return Err(fail("key `delivery.concurrency`: expected a number of at least 1".into()));
        }
        if raw.smtp.max_recipients == 0 || raw.smtp.max_connections_per_ip == 0 || raw.smtp.max_connections == 0 {
            return Err(fail("[smtp]: `max_recipients`, `max_connections_per_ip` and `max_connections` must be at least 1".into()));
        }
        if raw.smtp.data_min_rate == 0 {
            return Err(fail("key `smtp.data_min_rate`: expected octets per second, at least 1".into()));
        }
        if let Some(postmaster) = &raw.smtp.postmaster {
            let valid = matches!(
                crate::smtp::path::parse(format!("RCPT TO:<{postmaster}>").as_bytes()),
                Ok(crate::smtp::path::Command { path: crate::smtp::path::Path::Mailbox(_), .. })
            );
            let domain = sluice_core::envelope::domain_of(postmaster);
            if !valid || !domain_names.contains(&domain) {
                return Err(fail(format!("key `smtp.postmaster`: expected an address in one of the [[domains]], got {postmaster:?}")));
            }
        }
        if let Err(error) = sluice_core::checks::lists::Networks::parse(raw.limits.exempt.iter().map(String::as_str)) {
            return Err(fail(format!("key `limits.exempt`: expected networks such as \"192.0.2.0/24\": {error}")));
        }
        if let Some(bad) = raw.auth.trusted_arc_sealers.iter().find(|name| !is_domain_name(name)) {
            return Err(fail(format!("key `auth.trusted_arc_sealers`: expected domain names, got {bad:?}")));
        }
        if let Some(smarthost) = &raw.outgoing.smarthost {
            let valid = smarthost
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.trim_matches(['[', ']']).is_empty() && port.parse::<u16>().is_ok_and(|port| port > 0));
            if !valid {
                return Err(fail(format!("key `outgoing.smarthost`: expected \"host:port\", got {smarthost:?}")));
            }
        }
        if raw.outgoing.auth_failures_window.is_zero() {
            return Err(fail("key `outgoing.auth_failures_window`: expected a duration longer than zero, e.g. \"10m\"".into()));
        }
        if raw.tls.certificate.is_some() != raw.tls.key.is_some() {
            return Err(fail("[tls]: `certificate` and `key` go together: set both or neither".into()));
        }
        if raw.antivirus.timeout.is_zero() {
            return Err(fail("key `antivirus.timeout`: expected a duration longer than zero, e.g. \"10s\"".into()));
        }
        if raw.antivirus.third_party_prefixes.iter().any(|prefix| prefix.trim().is_empty()) {
            return Err(fail("key `antivirus.third_party_prefixes`: expected signature-name prefixes such as \"Sanesecurity.\", not empty strings".into()));
        }
        let mut phishing = raw.phishing;
        for domain in &mut phishing.protected_domains {
            *domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            if !domain.contains('.') || domain.contains(|c: char| c.is_whitespace() || c == '@' || c == '/') {
                return Err(fail(format!("key `phishing.protected_domains`: expected domain names such as \"example.org\", got {domain:?}")));
            }
        }
        for (table, lists) in [("dnsbl", &raw.dnsbl), ("dnswl", &raw.dnswl), ("urlbl", &raw.urlbl)] {
            for (position, list) in lists.iter().enumerate() {
                if let Err((key, expected)) = list.validate() {
                    return Err(fail(format!("[[{table}]] #{}: key `{key}`: expected {expected}, got zone {:?}", position + 1, list.zone)));
                }
            }
        }
        for (position, list) in raw.hashbl.iter().enumerate() {
            if let Err((key, expected)) = list.validate() {
                return Err(fail(format!("[[hashbl]] #{} (zone {:?}): key `{key}`: expected {expected}", position + 1, list.zone)));
            }
        }
        let dns_lists = DnsLists { dnsbl: raw.dnsbl, dnswl: raw.dnswl, urlbl: raw.urlbl, hashbl: raw.hashbl };
        let training = raw.storage.training_retention.unwrap_or(Retention::default().training);
        let quarantine = raw.storage.quarantine_retention.unwrap_or(Retention::default().quarantine);
        // Unset, the log outlasts the other two whatever they are, so a file that
        // kept its quarantine longer than 90 days before the key existed still loads.
        let log = raw.storage.log_retention.unwrap_or_else(|| Retention::default().log.max(training).max(quarantine));
        let retention = Retention { training, quarantine, log };
        // A message that can still be released or reported keeps its log row
        // (the release and the report find the message through it).
        if retention.log < retention.quarantine.max(retention.training) {
            return Err(fail(format!(
                "key `storage.log_retention`: expected a duration at least as long as `storage.quarantine_retention` ({}) \
                 and `storage.training_retention` ({}), got {}",
                humantime::format_duration(retention.quarantine),
                humantime::format_duration(retention.training),
                humantime::format_duration(retention.log),
            )));
        }
        // Paths in the file are relative to the file's folder, not to wherever
        // the service manager happens to start the process.
        let folder = path.parent().unwrap_or(Path::new(""));
        let data_dir = folder.join(&raw.data_dir);
        let mut heuristics = raw.heuristics;
        heuristics.set2 = heuristics.set2.map(|file| folder.join(file));
        heuristics.load_set2().map_err(fail)?;
        let patterns = load_patterns(raw.patterns, folder, &defaults, &domains).map_err(fail)?;
        let mut statistical = raw.statistical;
        let global_model = match statistical.remove("global_model") {
            None => None,
            Some(toml::Value::String(file)) => Some(folder.join(file)),
            Some(other) => return Err(fail(format!("key `statistical.global_model`: expected a file name, got {other}"))),
        };
        if let Some(file) = &global_model {
            crate::learning::read_global_model(file).map_err(|error| fail(format!("key `statistical.global_model`: {error}")))?;
        }
        let statistical: sluice_statistical::StatisticalSettings =
            statistical.try_into().map_err(|error| fail(format!("[statistical]: {error}")))?;
        let mut tls = raw.tls;
        tls.certificate = tls.certificate.map(|file| folder.join(file));
        tls.key = tls.key.map(|file| folder.join(file));
        let storage_url = raw
            .storage
            .url
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("sluice.db").display()));
        Ok(Config {
            path: path.to_owned(),
            node_id: raw.node_id.unwrap_or_else(|| raw.hostname.clone()),
            hostname: raw.hostname,
            data_dir,
            listen: raw.listen,
            web: raw.web,
            storage_url,
            delivery: raw.delivery,
            smtp: raw.smtp,
            limits: raw.limits,
            outgoing: raw.outgoing,
            greylisting: raw.greylisting,
            tls,
            dns: raw.dns,
            antivirus: raw.antivirus,
            phishing,
            heuristics,
            patterns,
            auth: raw.auth,
            dns_lists,
            statistical,
            global_model,
            retention,
            defaults,
            domains,
        })
    }

    /// Where `RCPT TO:<postmaster>` goes: `[smtp] postmaster`, else `postmaster@`
    /// the first configured domain.
    pub fn postmaster(&self) -> Option<String> {
        self.smtp
            .postmaster
            .clone()
            .or_else(|| self.domains.first().map(|domain| format!("postmaster@{}", domain.name)))
    }

    /// The settings offline classification uses: the first domain's, or the
    /// `[defaults]` when no domain is configured.
    pub fn default_settings(&self) -> DomainSettings {
        match self.domains.first() {
            Some(domain) => domain.settings.clone(),
            None => sluice_core::settings::resolve(&[&self.defaults]).unwrap_or_default(),
        }
    }

    /// The settings of the `[defaults]` table alone: what a domain added
    /// through the API starts from.
    pub fn global_settings(&self) -> DomainSettings {
        sluice_core::settings::resolve(&[&self.defaults]).unwrap_or_default()
    }

}

/// A TOML table of settings as the JSON layer the store and the API speak.
fn layer_of(table: toml::Table) -> SettingsLayer {
    match serde_json::to_value(table) {
        Ok(serde_json::Value::Object(layer)) => layer,
        _ => SettingsLayer::new(),
    }
}

/// The longest domain name (RFC 1035 §2.3.4, without the root's dot).
pub const DOMAIN_NAME_MAX: usize = 253;
/// The longest label of a domain name (RFC 1035 §2.3.4).
pub const DOMAIN_LABEL_MAX: usize = 63;

/// A filtered domain's name as written in `[[domains]] name` or given to the
/// API, checked and lower-cased: two or more labels of letters, digits and
/// inner hyphens (an internationalised name in its `xn--` form), one trailing
/// dot (the absolute form of a zone file) dropped. `Err` says what is expected.
pub fn domain_name(text: &str) -> Result<String, String> {
    let shown: String = text.chars().take(80).collect();
    let expected = |why: &str| format!("expected a domain name such as \"example.org\" ({why}), got {shown:?}");
    let name = text.trim();
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if !name.is_ascii() {
        return Err(expected("an internationalised name in its ASCII form, xn--…"));
    }
    if name.len() > DOMAIN_NAME_MAX {
        return Err(expected("at most 253 characters"));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(expected("at least two labels"));
    }
    for label in &labels {
        if label.is_empty() || label.len() > DOMAIN_LABEL_MAX {
            return Err(expected("labels of 1 to 63 characters"));
        }
        if !label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-') || label.starts_with('-') || label.ends_with('-') {
            return Err(expected("letters, digits and inner hyphens only"));
        }
    }
    if labels.last().is_some_and(|top| top.bytes().all(|byte| byte.is_ascii_digit())) {
        return Err(expected("not an IP address"));
    }
    Ok(name)
}

/// A filtered domain's `destination`: `host:port`, the host a name, an IPv4
/// address or a bracketed IPv6 address, the port 1 to 65535. `Err` says what
/// is expected.
pub fn domain_destination(text: &str) -> Result<String, String> {
    let shown: String = text.chars().take(80).collect();
    let expected = || format!("expected host:port, e.g. \"10.0.0.5:25\" or \"mail.example.org:25\", got {shown:?}");
    let destination = text.trim();
    let (host, port) = destination.rsplit_once(':').ok_or_else(expected)?;
    if !port.parse::<u16>().is_ok_and(|port| port > 0) || port.starts_with('+') {
        return Err(expected());
    }
    let host_ok = match host.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')) {
        Some(inner) => inner.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            host.parse::<std::net::Ipv4Addr>().is_ok()
                || (!host.is_empty()
                    && host.len() <= DOMAIN_NAME_MAX
                    && host.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= DOMAIN_LABEL_MAX
                            && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
                            && !label.starts_with('-')
                            && !label.ends_with('-')
                    }))
        }
    };
    if !host_ok {
        return Err(expected());
    }
    Ok(destination.to_owned())
}

fn parse_domain(mut table: toml::Table, defaults: &SettingsLayer) -> Result<Domain, String> {
    let mut take_string = |key: &str| match table.remove(key) {
        Some(toml::Value::String(text)) if !text.trim().is_empty() => Ok(text),
        Some(_) => Err(format!("key `{key}`: expected a non-empty string")),
        None => Err(format!("key `{key}` is missing")),
    };
    let name = take_string("name")?;
    let name = domain_name(&name).map_err(|expected| format!("key `name`: {expected}"))?;
    let destination = take_string("destination")?;
    let destination = domain_destination(&destination).map_err(|expected| format!("domain {name:?}: key `destination`: {expected}"))?;
    // Read as the type first: TOML's own error names the key and the line.
    let _: DomainSettings = toml::Value::Table(table.clone()).try_into().map_err(|error| format!("domain {name:?}: {error}"))?;
    let layer = layer_of(table);
    let settings = sluice_core::settings::resolve(&[defaults, &layer]).map_err(|error| format!("domain {name:?}: {error}"))?;
    Ok(Domain {
        name,
        destination,
        layer,
        settings,
    })
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text)
        .map_err(|error| serde::de::Error::custom(format!("expected a duration such as \"90s\", \"1m\" or \"5d\": {error}")))
}

fn optional_duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    duration(deserializer).map(Some)
}

fn byte_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    match Size::deserialize(deserializer)? {
        Size::Number(number) => Ok(number),
        Size::Text(text) => sluice_core::settings::parse_byte_size(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a size such as \"50MB\" or \"512KiB\", got {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
hostname = "mx.example.net"
data_dir = "/tmp/sluice"
[listen]
smtp = "127.0.0.1:2525"
[web]
admin_token = "secret"
[delivery]
retry_initial = "1m"
max_age = "5d"
[[domains]]
name = "Example.NET"
destination = "10.0.0.5:25"
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("sluice.toml"), text)
    }

    #[test]
    fn the_outgoing_table_and_the_submissions_listener() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.outgoing.smarthost, None);
        assert!(!config.outgoing.allow_plaintext_auth_on_loopback);
        assert_eq!((config.outgoing.auth_failures_limit, config.outgoing.auth_failures_window), (5, Duration::from_secs(600)));
        let text = MINIMAL.replace(
            "[web]",
            "submission = \"127.0.0.1:2587\"\nsubmissions = \"127.0.0.1:2465\"\n[outgoing]\nsmarthost = \"127.0.0.1:2526\"\nallow_plaintext_auth_on_loopback = true\nauth_failures_limit = 3\nauth_failures_window = \"5m\"\n[web]",
        );
        let config = parse(&text).unwrap();
        assert_eq!(config.listen.submissions, Some("127.0.0.1:2465".parse().unwrap()));
        assert_eq!(config.outgoing.smarthost.as_deref(), Some("127.0.0.1:2526"));
        assert_eq!((config.outgoing.auth_failures_limit, config.outgoing.auth_failures_window), (3, Duration::from_secs(300)));
        for (bad, key) in [
            ("smarthost = \"relay.example.net\"", "outgoing.smarthost"),
            ("smarthost = \"relay.example.net:0\"", "outgoing.smarthost"),
            ("auth_failures_window = \"0s\"", "outgoing.auth_failures_window"),
            ("allow_plain_auth = true", "allow_plain_auth"),
        ] {
            let error = parse(&MINIMAL.replace("[web]", &format!("[outgoing]\n{bad}\n[web]"))).unwrap_err().to_string();
            assert!(error.contains(key), "{bad}: {error}");
        }
    }

    #[test]
    fn log_retention_defaults_to_90_days_and_outlasts_the_quarantine_and_training() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.retention.log, Duration::from_secs(90 * 24 * 3600));
        let storage = |keys: &str| MINIMAL.replace("[web]", &format!("[storage]\n{keys}\n[web]"));
        let config = parse(&storage("log_retention = \"30d\"")).unwrap();
        assert_eq!(config.retention.log, Duration::from_secs(30 * 24 * 3600), "as long as the default quarantine retention");
        for keys in ["log_retention = \"29d\"", "log_retention = \"60d\"\ntraining_retention = \"61d\""] {
            let error = parse(&storage(keys)).unwrap_err().to_string();
            assert!(error.starts_with("sluice.toml: key `storage.log_retention`: expected a duration at least as long as"), "{keys}: {error}");
        }
        let config = parse(&storage("quarantine_retention = \"180d\"")).unwrap();
        assert_eq!(config.retention.log, Duration::from_secs(180 * 24 * 3600), "unset, it outlasts a longer quarantine");
        let error = parse(&storage("log_retention = \"a while\"")).unwrap_err().to_string();
        assert!(error.contains("log_retention") && error.contains("expected a duration"), "{error}");
    }

    #[test]
    fn a_heuristic_set2_is_validated_at_load_naming_file_rule_and_fault() {
        let folder = std::env::temp_dir().join(format!("sluice-heuristics-config-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let config_path = folder.join("sluice.toml");
        let text = format!("{MINIMAL}\n[heuristics]\nset2 = \"local.toml\"\n");
        std::fs::write(folder.join("local.toml"), "limit = 5.0\n[[rule]]\nname = \"OURS\"\nbody = '(unclosed'\nweight = 1.0\n").unwrap();
        let error = Config::parse(&config_path, &text).unwrap_err().to_string();
        assert!(error.starts_with(&format!("{}: key `heuristics.set2`: ", config_path.display())), "{error}");
        assert!(error.contains("local.toml: rule OURS: regex does not compile"), "{error}");
        std::fs::write(folder.join("local.toml"), "limit = 5.0\n[[rule]]\nname = \"OURS\"\nbody = 'ours'\nweight = 1.0\n").unwrap();
        let config = Config::parse(&config_path, &text).unwrap();
        assert_eq!(config.heuristics.load_set2().unwrap().map(|set| set.rule_names().to_vec()), Some(vec!["OURS".to_owned()]));
        let missing = format!("{MINIMAL}\n[heuristics]\nset2 = \"absent.toml\"\n");
        let error = Config::parse(&config_path, &missing).unwrap_err().to_string();
        assert!(error.contains("absent.toml: cannot read the rule file"), "{error}");
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn a_global_model_of_our_own_is_read_relative_to_the_file_and_checked() {
        let folder = std::env::temp_dir().join(format!("sluice-global-model-config-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let config_path = folder.join("sluice.toml");
        std::fs::write(folder.join("ours.bin"), sluice_statistical::model::EMBEDDED_GLOBAL_MODEL).unwrap();
        std::fs::write(folder.join("junk.bin"), b"not a model").unwrap();
        let with = |table: &str| Config::parse(&config_path, &format!("{MINIMAL}\n[statistical]\n{table}\n"));
        let config = with("global_model = \"ours.bin\"\ndecisive_confidence = 0.99").unwrap();
        assert_eq!(config.global_model, Some(folder.join("ours.bin")));
        assert_eq!(config.statistical.decisive_confidence, 0.99);
        crate::learning::Learning::for_config(&config).unwrap();
        for (table, expected) in [
            ("global_model = \"junk.bin\"", "key `statistical.global_model`: "),
            ("global_model = \"absent.bin\"", "cannot read the model"),
            ("global_model = 3", "expected a file name"),
            ("decisive_confidense = 0.9", "decisive_confidense"),
        ] {
            let error = with(table).unwrap_err().to_string();
            assert!(error.contains(expected), "{table}: {error}");
        }
        assert_eq!(parse(MINIMAL).unwrap().global_model, None);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn the_documented_example_parses() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.domains[0].name, "example.net");
        assert_eq!(config.delivery.retry_initial, Duration::from_secs(60));
        assert_eq!(config.storage_url, "sqlite:///tmp/sluice/sluice.db");
        let domains = crate::domains::DomainSet::from_file(&config);
        assert!(domains.domain_for("Bob@EXAMPLE.net").is_some());
        assert!(domains.domain_for("bob@example.org").is_none());
    }

    #[test]
    fn antivirus_and_phishing_as_the_issue_writes_them() {
        let tables = "[antivirus]\nclamd = \"127.0.0.1:3310\"\ntimeout = \"10s\"\nthird_party_prefixes = [\"Sanesecurity.\", \"Sluice.ThirdParty.\"]\n\n[phishing]\nprotected_domains = [\"Example.TEST\"]\n";
        let config = parse(&format!("{MINIMAL}{tables}")).unwrap();
        assert_eq!(config.antivirus.clamd, Some(sluice_lookup::clamd::ClamdAddress::Tcp("127.0.0.1:3310".to_owned())));
        assert_eq!(config.antivirus.timeout, Duration::from_secs(10));
        assert_eq!(config.antivirus.third_party_prefixes, ["Sanesecurity.", "Sluice.ThirdParty."]);
        assert_eq!(config.phishing.protected_domains, ["example.test"]);
        let unix = parse(&format!("{MINIMAL}[antivirus]\nclamd = \"unix:/run/clamav/clamd.ctl\"\n")).unwrap();
        assert!(matches!(unix.antivirus.clamd, Some(sluice_lookup::clamd::ClamdAddress::Unix(_))));
        let unset = parse(MINIMAL).unwrap();
        assert_eq!((unset.antivirus.clamd, unset.antivirus.timeout), (None, Duration::from_secs(10)), "no scanning by default");
        for (bad, key) in [
            ("[antivirus]\nclamd = \"localhost\"\n", "clamd"),
            ("[antivirus]\nclamd_address = \"127.0.0.1:3310\"\n", "clamd_address"),
            ("[antivirus]\ntimeout = \"0s\"\n", "antivirus.timeout"),
            ("[phishing]\nprotected_domains = [\"not a domain\"]\n", "protected_domains"),
            ("[phishing]\nprotected = []\n", "protected"),
        ] {
            let error = parse(&format!("{MINIMAL}{bad}")).unwrap_err().to_string();
            assert!(error.contains(key), "{bad}: {error}");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let error = parse(&format!("{MINIMAL}\nbogus_key = 1\n")).unwrap_err().to_string();
        assert!(error.starts_with("sluice.toml: "), "{error}");
        assert!(error.contains("bogus_key"), "{error}");
        let error = parse(&MINIMAL.replace("max_age", "max_agee")).unwrap_err().to_string();
        assert!(error.contains("max_agee"), "{error}");
    }

    #[test]
    fn domain_names_and_destinations_are_checked_as_the_api_checks_them() {
        assert_eq!(domain_name(" Example.NET. ").as_deref(), Ok("example.net"), "the absolute form, any case");
        assert_eq!(domain_name("xn--bcher-kva.example").as_deref(), Ok("xn--bcher-kva.example"));
        let long_label = format!("{}.example", "a".repeat(64));
        let long_name = format!("{}example", "abcdefghi.".repeat(25));
        for bad in ["example.net..", "<b>x</b>.example", "bücher.example", "localhost", "-bad.example", "bad-.example", "a..b", "192.0.2.1", "a b.example", "a@b.example", "a_b.example", ""] {
            assert!(domain_name(bad).is_err(), "{bad:?}");
        }
        assert!(domain_name(&long_label).unwrap_err().contains("1 to 63"));
        assert!(domain_name(&long_name).unwrap_err().contains("253"));
        assert!(domain_name("bücher.example").unwrap_err().contains("xn--"));
        for good in ["10.0.0.5:25", "mail.example.org:2525", "[::1]:25", "localhost:25"] {
            assert_eq!(domain_destination(good).as_deref(), Ok(good));
        }
        for bad in ["10.0.0.5", "10.0.0.5:0", "10.0.0.5:65536", ":25", "<script>:25", "::1:25", "mail.example.org:+25", "a b:25"] {
            assert!(domain_destination(bad).unwrap_err().contains("host:port"), "{bad:?}");
        }
        let error = parse(&MINIMAL.replace("Example.NET", "<b>.example")).unwrap_err().to_string();
        assert!(error.contains("[[domains]] #1: key `name`: expected a domain name"), "{error}");
    }

    #[test]
    fn unknown_domain_keys_are_named() {
        let error = parse(&format!("{MINIMAL}quarantine_treshold = 0.5\n")).unwrap_err().to_string();
        assert!(error.contains("quarantine_treshold"), "{error}");
        assert!(error.contains("example.net"), "{error}");
    }

    #[test]
    fn bad_values_say_what_is_expected() {
        let error = parse(&MINIMAL.replace("\"1m\"", "\"soon\"")).unwrap_err().to_string();
        assert!(error.contains("retry_initial") && error.contains("duration"), "{error}");
        let error = parse(&MINIMAL.replace("10.0.0.5:25", "10.0.0.5")).unwrap_err().to_string();
        assert!(error.contains("destination") && error.contains("host:port"), "{error}");
        let error = parse(&format!("{MINIMAL}quarantine_threshold = 2.0\n")).unwrap_err().to_string();
        assert!(error.contains("quarantine_threshold"), "{error}");
    }

    #[test]
    fn defaults_apply_to_every_domain_and_a_domain_overrides_them() {
        let text = MINIMAL.replace("[delivery]", "[defaults]\nmax_line_length = 0\nquarantine_threshold = 0.95\n[delivery]");
        let config = parse(&format!("{text}quarantine_threshold = 0.97\n")).unwrap();
        let settings = &config.domains[0].settings;
        assert_eq!((settings.max_line_length, settings.quarantine_threshold), (0, 0.97));
        assert_eq!(config.domains[0].layer.keys().collect::<Vec<_>>(), ["quarantine_threshold"]);
        let error = parse(&MINIMAL.replace("[delivery]", "[defaults]\nmax_line_lenght = 0\n[delivery]")).unwrap_err();
        assert!(error.to_string().contains("[defaults]") && error.to_string().contains("max_line_lenght"), "{error}");
    }

    #[test]
    fn postmaster_defaults_to_the_first_domain_and_must_be_one_of_ours() {
        assert_eq!(parse(MINIMAL).unwrap().postmaster().as_deref(), Some("postmaster@example.net"));
        let with = |value: &str| parse(&MINIMAL.replace("[delivery]", &format!("[smtp]\npostmaster = {value:?}\n[delivery]")));
        assert_eq!(with("abuse@example.net").unwrap().postmaster().as_deref(), Some("abuse@example.net"));
        for bad in ["abuse@elsewhere.example", "abuse", "a b@example.net", "abuse@example.net."] {
            let error = with(bad).unwrap_err().to_string();
            assert!(error.contains("smtp.postmaster"), "{bad}: {error}");
        }
        let error = parse(&MINIMAL.replace("[delivery]", "[smtp]\ndata_min_rate = 0\n[delivery]")).unwrap_err().to_string();
        assert!(error.contains("data_min_rate"), "{error}");
    }

    #[test]
    fn dns_lists_are_read_and_checked() {
        let text = format!(
            "{MINIMAL}dnsbl_stage = \"data\"\n[[dnsbl]]\nzone = \"bl.example.test\"\n[[dnsbl]]\nzone = \"zen.example.test\"\nweight = 0.5\ncodes = [\"127.0.0.2\", \"127.0.0.4\"]\n\
             [[dnswl]]\nzone = \"wl.example.test\"\n[[urlbl]]\nzone = \"multi.uri.example.test\"\nmask = 12\n[dns]\ntimeout = \"1s\"\n"
        );
        let config = parse(&text).unwrap();
        let lists = &config.dns_lists;
        assert_eq!((lists.dnsbl.len(), lists.dnsbl[0].weight, lists.dnsbl[1].weight), (2, 1.0, 0.5));
        assert_eq!(lists.dnsbl[1].codes.len(), 2);
        assert_eq!((lists.dnswl[0].zone.as_str(), lists.urlbl[0].mask), ("wl.example.test", Some(12)));
        assert_eq!(config.domains[0].settings.dnsbl_stage, sluice_core::DnsblStage::Data);
        assert_eq!(config.dns.timeout, Duration::from_secs(1));
        assert_eq!(parse(MINIMAL).unwrap().dns.timeout, Duration::from_secs(2), "the default");
        let bad = |extra: &str| parse(&format!("{MINIMAL}{extra}")).unwrap_err().to_string();
        let error = bad("[[dnsbl]]\nzone = \"bl.example.test\"\nweigth = 1.0\n");
        assert!(error.starts_with("sluice.toml: ") && error.contains("weigth"), "{error}");
        let error = bad("[[dnsbl]]\nzone = \"bl.example.test\"\n[[dnsbl]]\nzone = \"bl.example.test\"\nweight = -1\n");
        assert!(error.contains("[[dnsbl]] #2") && error.contains("`weight`"), "{error}");
        let error = bad("[[urlbl]]\nzone = \"uri\"\n");
        assert!(error.contains("[[urlbl]] #1") && error.contains("`zone`"), "{error}");
        let error = bad("[[dnswl]]\nzone = \"wl.example.test\"\ncodes = [\"10.0.0.1\"]\n");
        assert!(error.contains("`codes`"), "{error}");
        let error = bad("dnsbl_stage = \"connect\"\n");
        assert!(error.contains("dnsbl_stage"), "{error}");
    }

    #[test]
    fn hash_lists_are_read_and_checked() {
        use sluice_core::checks::hashbl::{Encoding, HashAlgorithm, ItemKind};
        let text = format!(
            "{MINIMAL}[[hashbl]]\nzone = \"_email.hbl.example\"\nitems = [\"email\"]\nhash = \"sha1\"\nencoding = \"base32\"\ncodes = [\"127.0.0.2\"]\n\
             [[hashbl]]\nzone = \"_file.hbl.example\"\nitems = [\"file\", \"url\"]\nencoding = \"base32\"\n"
        );
        let config = parse(&text).unwrap();
        let lists = &config.dns_lists.hashbl;
        assert_eq!((lists[0].hash, lists[0].encoding(), lists[0].codes.len()), (HashAlgorithm::Sha1, Encoding::Base32, 1));
        assert_eq!((lists[1].hash, lists[1].items.as_slice()), (HashAlgorithm::Sha256, [ItemKind::File, ItemKind::Url].as_slice()));
        let bad = |extra: &str| parse(&format!("{MINIMAL}{extra}")).unwrap_err().to_string();
        let error = bad("[[hashbl]]\nzone = \"hbl.example\"\nitems = [\"email\"]\nencoding = \"hex\"\n");
        assert!(error.contains("[[hashbl]] #1") && error.contains("`encoding`") && error.contains("base32"), "sha256 in hex is too long a label: {error}");
        let error = bad("[[hashbl]]\nzone = \"hbl.example\"\nitems = []\nhash = \"md5\"\n");
        assert!(error.contains("`items`"), "{error}");
        let error = bad("[[hashbl]]\nzone = \"hbl.example\"\nitems = [\"phone\"]\n");
        assert!(error.contains("phone"), "{error}");
    }

    #[test]
    fn sizes_accept_units() {
        let config = parse(&MINIMAL.replace("[delivery]", "[smtp]\nmax_message_size = \"512KiB\"\ndata_memory = 1000\n[delivery]")).unwrap();
        assert_eq!(config.smtp.max_message_size, 524_288);
        assert_eq!(config.smtp.data_memory, 1000);
        let error = parse(&MINIMAL.replace("[delivery]", "[smtp]\nmax_message_size = \"lots\"\n[delivery]")).unwrap_err();
        assert!(error.to_string().contains("max_message_size"), "{error}");
    }

    #[test]
    fn pattern_tables_are_loaded_relative_to_the_file_and_name_file_line_and_fault() {
        let folder = std::env::temp_dir().join(format!("sluice-patterns-config-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let config_path = folder.join("sluice.toml");
        std::fs::write(folder.join("feed.txt"), "# vendor\nprize subject /you have won/i\n").unwrap();
        std::fs::write(folder.join("broken.txt"), "ok body fine\nbad subjekt x\n").unwrap();
        let table = |source: &str, file: &str| format!("[[patterns]]\nsource = \"{source}\"\nfile = \"{file}\"\n");
        let with = |domain_keys: &str, tables: &str| Config::parse(&config_path, &format!("{MINIMAL}{domain_keys}\n{tables}"));
        let config = with("pattern_sets = [\"feed\"]", &table("feed", "feed.txt")).unwrap();
        assert_eq!(config.patterns.sources[0].file, folder.join("feed.txt"));
        assert_eq!(config.patterns.loaded.sets()[0].len(), 1);
        assert!(config.patterns.stamps[0].is_some());
        let error = |domain_keys: &str, tables: &str| with(domain_keys, tables).unwrap_err().to_string();
        let broken = error("", &table("local", "broken.txt"));
        assert!(broken.contains(&format!("[[patterns]] #1: key `file`: {}: line 2: unknown field \"subjekt\"", folder.join("broken.txt").display())), "{broken}");
        assert!(error("", &table("gone", "absent.txt")).contains("absent.txt: cannot read the pattern file"));
        assert!(error("", &format!("{}{}", table("feed", "feed.txt"), table("feed", "feed.txt"))).contains("[[patterns]] #2: key `source`: \"feed\" is used twice"));
        assert!(error("", &table("a:b", "feed.txt")).contains("[[patterns]] #1: key `source`: expected 1 to 128 letters"));
        let unknown = error("pattern_sets = [\"feeed\"]", &table("feed", "feed.txt"));
        assert!(unknown.contains("[[domains]] \"example.net\": key `pattern_sets`: expected the `source` of a [[patterns]] table or \"*\", got \"feeed\""), "{unknown}");
        assert!(with("pattern_sets = [\"*\"]", "").is_ok(), "every set, of none");
        let _ = std::fs::remove_dir_all(&folder);
    }
}
