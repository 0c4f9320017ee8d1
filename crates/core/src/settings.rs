//! Per-domain filtering settings that the pure checks read.
//!
//! Every setting has its default beside it as a `pub const DEFAULT_...`. Settings come
//! from the `[[domains]]` tables of the configuration file; unknown keys are refused
//! when it is loaded (`deny_unknown_fields`), and [`DomainSettings::validate`] checks
//! what serde cannot.
//!
//! [`SETTINGS_DOC`] is the one table that describes every key; `docs/config.md` is
//! generated from it and the serialised defaults by [`render_config_doc`], and a test
//! fails when the file is out of date (run the tests with `SLUICE_BLESS=1` to rewrite
//! it), so the documentation cannot drift from the code.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The settings one domain's mail is classified with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DomainSettings {
    /// Judge the recipient's mail at all: `false` delivers it unjudged
    /// (`unknown` / `disabled`, `checks::filtering`), for mailboxes such as
    /// `abuse@` that must receive spam and virus samples.
    pub filtering: bool,
    /// Spam probability at or above which a message is refused and quarantined.
    pub quarantine_threshold: f64,
    /// Spam probability at or above which (and below the quarantine threshold) a
    /// message is classified `unsure`.
    pub unsure_threshold: f64,
    /// Longest line allowed in a message, in octets without the CRLF; 0 disables.
    pub max_line_length: usize,
    /// Most MIME entities (containers included) a message may have; 0 disables.
    pub max_mime_parts: usize,
    /// Deepest nesting of multiparts and attached messages; 0 disables.
    pub max_mime_depth: usize,
    /// Longest header field allowed, unfolded, in octets; 0 disables.
    pub max_header_length: usize,
    /// How far the Date header may be from the time of receipt, either way; 0 disables.
    #[serde(with = "human_duration")]
    pub max_date_skew: Duration,
    /// Largest message accepted, in octets; 0 disables.
    #[serde(with = "byte_size")]
    pub max_message_size: u64,
    /// Whether HELO/EHLO may be an address literal such as `[192.0.2.1]`.
    pub helo_allow_address_literal: bool,
    /// Characters allowed in a recipient's local part besides ASCII letters and digits.
    pub allowed_local_chars: String,
    /// When not empty, the only recipients accepted (see [`address_matches`]).
    pub local_recipients: Vec<String>,
    /// Recipients whose mail is accepted and then discarded.
    pub blackhole: Vec<String>,
    /// File name extensions refused in attachments and inside archives (lower case, no dot).
    pub blocked_extensions: Vec<String>,
    /// Refuse password-protected archives and encrypted PDFs.
    pub block_encrypted: bool,
    /// Refuse attachments holding an archive that the inspection bounds keep
    /// shut (deeper than 3 levels, a decompression bomb).
    pub block_uninspectable_archives: bool,
    /// Hold `unsure` messages in the quarantine (the sender still gets 250)
    /// instead of delivering them with an `X-Sluice-Class` header.
    pub quarantine_unsure: bool,
    /// Judge the thresholds against the combined score (statistical, heuristic
    /// and reputation evidence: `sluice_core::combined`) instead of the
    /// statistical combination alone.
    pub combined_score: bool,
    /// The similarity to a reported spam from which a message is `spam` /
    /// `match-set2` (`checks::match_set2`).
    pub match_set2_threshold: f64,
    /// The external pattern sets (`[[patterns]] source`) judged for the
    /// recipient; `*` names every set (`checks::patterns`).
    pub pattern_sets: Vec<String>,
    /// Ask the domain's server at RCPT whether each recipient exists (a callout).
    pub verify_recipients: bool,
    /// Refused (non-existent) recipients per client and 15 minutes before every
    /// further recipient is deferred; twice as many and they are refused; 0 disables.
    pub dictionary_attack_limit: usize,
    /// Greylist clients without standing (`checks::greylisting`).
    pub greylisting: bool,
    /// Accept mail unscanned (the log row says so) when the antivirus daemon is
    /// down, slow or erroring, instead of refusing it with 451.
    pub antivirus_fail_open: bool,
    /// Refuse envelope senders whose domain has no MX and no A/AAAA record.
    pub verify_senders: bool,
    /// What a temporary DNS failure of SPF or of the DMARC record lookup means.
    pub auth_temperror: AuthTempError,
    /// Apply the From domain's DMARC policy (reject, quarantine).
    pub dmarc_enforce: bool,
    /// When the DNS block lists (`[[dnsbl]]`) are judged: at RCPT (refused, no
    /// copy) or after the final dot (quarantined).
    pub dnsbl_stage: DnsblStage,
    /// Tag our users' outgoing envelope senders (BATV) and refuse bounces to
    /// untagged or badly tagged addresses (`checks::batv`).
    pub batv: bool,
    /// Messages accepted for one recipient's mailbox from one client network
    /// (IPv4 /24, IPv6 /48) per hour (`checks::inbound_rate`); 0 disables.
    pub inbound_messages_per_hour: u64,
    /// Bounces (null sender) accepted for one recipient per hour, from any
    /// client; 0 disables.
    pub bounces_per_hour: u64,
    /// Messages an authenticated user may submit per hour (mailbox scope: the
    /// user's address); 0 disables.
    pub outgoing_messages_per_hour: u64,
    /// The same per day; 0 disables.
    pub outgoing_messages_per_day: u64,
}

/// What a temporary DNS failure while authenticating the sender (SPF
/// `temperror`, the DMARC record lookup timed out or failed) does to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthTempError {
    /// 451 `error / verification-fail`: the sender retries later.
    Defer,
    /// Judged without the result (the Authentication-Results header says `temperror`).
    Accept,
}

/// When the DNS block lists of the client are judged (`dnsbl_stage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsblStage {
    /// At RCPT: `spam` / `dnsbl-rcpt`, 550 5.7.1, no copy.
    #[default]
    Rcpt,
    /// After the final dot: `spam` / `dnsbl`, 550 5.7.1, quarantined.
    Data,
}

/// Filtering is on unless an admin turns it off for a mailbox (or a domain).
pub const DEFAULT_FILTERING: bool = true;
pub const DEFAULT_QUARANTINE_THRESHOLD: f64 = 0.9;
pub const DEFAULT_UNSURE_THRESHOLD: f64 = 0.6;
/// On: with its shipped weights it refused no more ham than the statistical
/// verdict alone on the shared corpus's test split and the second-era proxy, and
/// caught more spam on the latter (`docs/decisions.md`).
pub const DEFAULT_COMBINED_SCORE: bool = true;
/// The similarity from which a message counts as a copy of reported spam: with
/// word bigrams, one changed word in a hundred costs about 0.02, so 0.8 takes
/// copies with a handful of changed words and leaves mail that merely shares a
/// template paragraph (measured on the shared corpus: `bench/fingerprints.rs`).
pub const DEFAULT_MATCH_SET2_THRESHOLD: f64 = 0.8;
/// RFC 5322 2.1.1: "Each line of characters MUST be no more than 998 characters".
/// Every configured pattern set: an admin who adds a `[[patterns]]` file
/// means it to apply, and narrows it per domain or mailbox where it should not.
pub const DEFAULT_PATTERN_SETS: &[&str] = &[crate::checks::patterns::EVERY_SET];
pub const DEFAULT_MAX_LINE_LENGTH: usize = 998;
pub const DEFAULT_MAX_MIME_PARTS: usize = 100;
/// Real mail rarely nests deeper than 5 (a forward of a forward of a signed
/// alternative); 16 leaves room for that and stops parser-exhaustion tricks.
pub const DEFAULT_MAX_MIME_DEPTH: usize = 16;
pub const DEFAULT_MAX_HEADER_LENGTH: usize = 8192;
pub const DEFAULT_MAX_DATE_SKEW: Duration = Duration::from_secs(7 * 24 * 3600);
/// 50 MB, decimal (the spec's "50MB").
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 50_000_000;
/// RFC 5321 4.1.4 allows an address literal when the client has no name; the spec
/// wants a FQDN, so literals are refused unless a domain allows them.
pub const DEFAULT_HELO_ALLOW_ADDRESS_LITERAL: bool = false;
/// RFC 5321 `atext` minus the characters that are only ever seen in abuse: shell
/// metacharacters (`&`, `|`, `` ` ``, `$`), routing hacks (`%`, `!`, `/`) and
/// globbing/quoting (`*`, `?`, `{`, `}`, `#`, `^`, `~`). `'` stays for O'Brien.
pub const DEFAULT_ALLOWED_LOCAL_CHARS: &str = ".-_+='";
/// Executable and script types, disk images and shortcuts: what Gmail and Outlook
/// refuse by default.
pub const DEFAULT_BLOCKED_EXTENSIONS: &[&str] = &[
    "ade", "adp", "app", "appref-ms", "application", "appx", "appxbundle", "bat", "chm", "cmd", "com",
    "cpl", "dll", "exe", "gadget", "hlp", "hta", "inf", "ins", "iso", "img", "isp", "jar", "js", "jse",
    "lib", "lnk", "mde", "msc", "msi", "msix", "msixbundle", "msp", "mst", "nsh", "pif", "ps1", "psm1",
    "reg", "scf", "scr", "sct", "settingcontent-ms", "shb", "sys", "vb", "vbe", "vbs", "vhd", "vhdx",
    "vxd", "wsc", "wsf", "wsh", "xll",
];
pub const DEFAULT_BLOCK_ENCRYPTED: bool = false;
/// RFC 5321 needs a reachable reverse-path for bounces; a domain without MX and
/// A/AAAA cannot receive one, and forged senders often use such names.
pub const DEFAULT_VERIFY_SENDERS: bool = true;
/// A failed lookup is never a silent accept: the sender's server retries.
pub const DEFAULT_AUTH_TEMPERROR: AuthTempError = AuthTempError::Defer;
pub const DEFAULT_DMARC_ENFORCE: bool = true;
/// An archive nobody can look into is where malware would hide; the bounds are
/// far beyond what business mail needs, so refusing is the safe default.
pub const DEFAULT_BLOCK_UNINSPECTABLE_ARCHIVES: bool = true;
/// Refused recipients per client and 15 minutes: more than a sender with a
/// stale list makes, far fewer than a harvest needs.
pub const DEFAULT_DICTIONARY_ATTACK_LIMIT: usize = 20;
/// Unscanned mail is never accepted unless an admin chooses so for a domain.
pub const DEFAULT_ANTIVIRUS_FAIL_OPEN: bool = false;
/// More than a busy person sends in an hour, far fewer than a compromised
/// account pushes out before anyone notices.
pub const DEFAULT_OUTGOING_MESSAGES_PER_HOUR: u64 = 100;
/// A working day of steady sending; a spam run hits it within hours.
pub const DEFAULT_OUTGOING_MESSAGES_PER_DAY: u64 = 500;
/// Per recipient and sending network: three messages a minute for a whole hour
/// is more than a busy mailing list or a ticket system sends one person, and
/// far less than a mail bomb (thousands an hour) pushes (docs/decisions.md).
pub const DEFAULT_INBOUND_MESSAGES_PER_HOUR: u64 = 200;
/// Per recipient from anywhere: a person gets a handful of bounces and
/// auto-replies an hour even after a large mailing; a backscatter storm brings
/// hundreds (docs/decisions.md).
pub const DEFAULT_BOUNCES_PER_HOUR: u64 = 30;

impl Default for DomainSettings {
    fn default() -> DomainSettings {
        DomainSettings {
            filtering: DEFAULT_FILTERING,
            quarantine_threshold: DEFAULT_QUARANTINE_THRESHOLD,
            unsure_threshold: DEFAULT_UNSURE_THRESHOLD,
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            max_mime_parts: DEFAULT_MAX_MIME_PARTS,
            max_mime_depth: DEFAULT_MAX_MIME_DEPTH,
            max_header_length: DEFAULT_MAX_HEADER_LENGTH,
            max_date_skew: DEFAULT_MAX_DATE_SKEW,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            helo_allow_address_literal: DEFAULT_HELO_ALLOW_ADDRESS_LITERAL,
            allowed_local_chars: DEFAULT_ALLOWED_LOCAL_CHARS.to_owned(),
            local_recipients: Vec::new(),
            blackhole: Vec::new(),
            blocked_extensions: DEFAULT_BLOCKED_EXTENSIONS.iter().map(|ext| (*ext).to_owned()).collect(),
            block_encrypted: DEFAULT_BLOCK_ENCRYPTED,
            block_uninspectable_archives: DEFAULT_BLOCK_UNINSPECTABLE_ARCHIVES,
            quarantine_unsure: false,
            combined_score: DEFAULT_COMBINED_SCORE,
            match_set2_threshold: DEFAULT_MATCH_SET2_THRESHOLD,
            pattern_sets: DEFAULT_PATTERN_SETS.iter().map(|name| (*name).to_owned()).collect(),
            verify_recipients: false,
            dictionary_attack_limit: DEFAULT_DICTIONARY_ATTACK_LIMIT,
            greylisting: false,
            antivirus_fail_open: DEFAULT_ANTIVIRUS_FAIL_OPEN,
            verify_senders: DEFAULT_VERIFY_SENDERS,
            auth_temperror: DEFAULT_AUTH_TEMPERROR,
            dmarc_enforce: DEFAULT_DMARC_ENFORCE,
            dnsbl_stage: DnsblStage::default(),
            batv: false,
            inbound_messages_per_hour: DEFAULT_INBOUND_MESSAGES_PER_HOUR,
            bounces_per_hour: DEFAULT_BOUNCES_PER_HOUR,
            outgoing_messages_per_hour: DEFAULT_OUTGOING_MESSAGES_PER_HOUR,
            outgoing_messages_per_day: DEFAULT_OUTGOING_MESSAGES_PER_DAY,
        }
    }
}

impl DomainSettings {
    /// Checks the values that serde cannot: returns `(key, what is expected)`.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if !(self.match_set2_threshold > 0.0 && self.match_set2_threshold <= 1.0) {
            return Err(("match_set2_threshold", "a number above 0 and at most 1"));
        }
        if !(0.0..=1.0).contains(&self.quarantine_threshold) {
            return Err(("quarantine_threshold", "a number between 0 and 1"));
        }
        if !(0.0..=1.0).contains(&self.unsure_threshold) || self.unsure_threshold > self.quarantine_threshold {
            return Err(("unsure_threshold", "a number between 0 and quarantine_threshold"));
        }
        if self.allowed_local_chars.chars().any(|c| c.is_ascii_control() || c == '@' || c == ' ') {
            return Err(("allowed_local_chars", "printable characters other than '@' and space"));
        }
        let is_address = |entry: &String| !entry.trim().is_empty() && !entry.contains(char::is_whitespace);
        if !self.local_recipients.iter().all(is_address) {
            return Err(("local_recipients", "a list of addresses (user@domain) or local parts"));
        }
        if !self.blackhole.iter().all(is_address) {
            return Err(("blackhole", "a list of addresses (user@domain) or local parts"));
        }
        let is_extension = |ext: &String| {
            !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let is_set = |name: &String| name == crate::checks::patterns::EVERY_SET || crate::checks::patterns::is_valid_name(name);
        if !self.pattern_sets.iter().all(is_set) {
            return Err(("pattern_sets", "a list of pattern sources ([[patterns]] source) or \"*\" for every set"));
        }
        if !self.blocked_extensions.iter().all(is_extension) {
            return Err(("blocked_extensions", "a list of extensions without the dot, e.g. \"exe\""));
        }
        Ok(())
    }

    /// Whether a message for a recipient with `other` settings is classified exactly
    /// as one for a recipient with these: then both may share one DATA transaction.
    ///
    /// Only the settings read after the final dot count: the RCPT-stage ones
    /// (local recipients, blackhole, allowed characters, HELO literals) are applied
    /// per recipient anyway, so two domains differing only there are not disparate.
    /// The destructuring has no `..`: a new setting must be placed here to compile.
    pub fn same_message_policy(&self, other: &DomainSettings) -> bool {
        let DomainSettings {
            // Off, the message is not judged at all: never the same policy
            // as a recipient whose mail is.
            filtering,
            quarantine_threshold,
            unsure_threshold,
            max_line_length,
            max_mime_parts,
            max_mime_depth,
            max_header_length,
            max_date_skew,
            max_message_size,
            helo_allow_address_literal: _,
            allowed_local_chars: _,
            local_recipients: _,
            blackhole: _,
            blocked_extensions,
            block_encrypted,
            block_uninspectable_archives,
            quarantine_unsure,
            combined_score,
            match_set2_threshold,
            pattern_sets,
            verify_recipients: _,
            dictionary_attack_limit: _,
            greylisting: _,
            antivirus_fail_open,
            verify_senders: _,
            auth_temperror,
            dmarc_enforce,
            // The client's listings are one fact of the connection: a domain
            // judging them at RCPT refused a listed client there, so after the
            // final dot the first recipient's stage says all there is to say.
            dnsbl_stage: _,
            // Judged at RCPT, per recipient.
            batv: _,
            // Judged at RCPT, per recipient (and counted per recipient).
            inbound_messages_per_hour: _,
            bounces_per_hour: _,
            // Judged at MAIL FROM of an authenticated session, with the
            // user's own settings: no recipient's settings are involved.
            outgoing_messages_per_hour: _,
            outgoing_messages_per_day: _,
        } = self;
        *filtering == other.filtering
            && *quarantine_threshold == other.quarantine_threshold
            && *unsure_threshold == other.unsure_threshold
            && *max_line_length == other.max_line_length
            && *max_mime_parts == other.max_mime_parts
            && *max_mime_depth == other.max_mime_depth
            && *max_header_length == other.max_header_length
            && *max_date_skew == other.max_date_skew
            && *max_message_size == other.max_message_size
            && *blocked_extensions == other.blocked_extensions
            && *block_encrypted == other.block_encrypted
            && *block_uninspectable_archives == other.block_uninspectable_archives
            && *quarantine_unsure == other.quarantine_unsure
            && *combined_score == other.combined_score
            && *match_set2_threshold == other.match_set2_threshold
            && *pattern_sets == other.pattern_sets
            && *antivirus_fail_open == other.antivirus_fail_open
            && *auth_temperror == other.auth_temperror
            && *dmarc_enforce == other.dmarc_enforce
    }
}

/// Whether `address` is named by one of `entries`: an entry with an `@` names one
/// full address, one without names that local part in any domain, and `@domain`
/// names every address of the domain. Compared case-insensitively (local parts are
/// case-sensitive in theory, never in practice).
pub fn address_matches(entries: &[String], address: &str) -> bool {
    let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
    let domain = domain.trim_end_matches('.');
    entries.iter().any(|entry| match entry.rsplit_once('@') {
        Some(("", entry_domain)) => entry_domain.eq_ignore_ascii_case(domain),
        Some((entry_local, entry_domain)) => {
            entry_local.eq_ignore_ascii_case(local) && entry_domain.trim_end_matches('.').eq_ignore_ascii_case(domain)
        }
        None => entry.eq_ignore_ascii_case(local),
    })
}

/// The settings set at one scope (global defaults, a domain, a mailbox): only the
/// keys set there, as JSON values. Settings in force for a recipient are the
/// defaults of the code overlaid by each scope, widest first ([`resolve`]); the
/// narrowest set value wins.
pub type SettingsLayer = serde_json::Map<String, serde_json::Value>;

/// A key of a settings layer that is unknown or has a value of the wrong kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerError {
    pub key: String,
    pub expected: String,
}

impl std::fmt::Display for LayerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "key `{}`: expected {}", self.key, self.expected)
    }
}

/// Checks each key of `layer` on its own: a known key with a value of its kind.
pub fn check_layer(layer: &SettingsLayer) -> Result<(), LayerError> {
    let defaults = serde_json::to_value(DomainSettings::default()).unwrap_or_default();
    for (key, value) in layer {
        let Some(doc) = SETTINGS_DOC.iter().find(|doc| doc.key == key) else {
            return Err(LayerError { key: key.clone(), expected: "a known setting (see docs/config.md)".to_owned() });
        };
        let mut alone = defaults.clone();
        if let serde_json::Value::Object(fields) = &mut alone {
            fields.insert(key.clone(), value.clone());
        }
        if let Err(error) = serde_json::from_value::<DomainSettings>(alone) {
            return Err(LayerError { key: key.clone(), expected: format!("{} ({error})", doc.kind) });
        }
    }
    Ok(())
}

/// The settings in force under `layers`, widest scope first. Fails, naming the
/// key, when a layer holds a bad value or the combination breaks a rule across
/// keys (`unsure_threshold` above `quarantine_threshold`).
pub fn resolve(layers: &[&SettingsLayer]) -> Result<DomainSettings, LayerError> {
    let mut merged = serde_json::to_value(DomainSettings::default()).unwrap_or_default();
    for layer in layers {
        check_layer(layer)?;
        if let serde_json::Value::Object(fields) = &mut merged {
            fields.extend(layer.iter().map(|(key, value)| (key.clone(), value.clone())));
        }
    }
    let settings: DomainSettings = serde_json::from_value(merged)
        .map_err(|error| LayerError { key: String::new(), expected: error.to_string() })?;
    settings
        .validate()
        .map_err(|(key, expected)| LayerError { key: key.to_owned(), expected: expected.to_owned() })?;
    Ok(settings)
}

/// One row of the configuration reference.
pub struct SettingDoc {
    pub key: &'static str,
    pub kind: &'static str,
    pub what: &'static str,
}

/// Every key of [`DomainSettings`], documented. The defaults column of
/// `docs/config.md` comes from `DomainSettings::default()` itself.
pub const SETTINGS_DOC: &[SettingDoc] = &[
    SettingDoc {
        key: "filtering",
        kind: "boolean",
        what: "`false` turns filtering off for the recipient: its mail is not judged and is delivered with 250 2.0.0 \"Message accepted for delivery\" (unknown / disabled), for mailboxes that must receive spam and virus samples such as `abuse@` and `postmaster@` (RFC 2142). What protects the gateway still applies: relaying, the recipient checks (`local_recipients`, `blackhole`, allowed characters, callouts, dictionary attacks, one recipient per bounce), the sizes, the connection and message rate limits, AUTH, the SMTP syntax and DATA framing. Nothing that judges the mail or its sender does: the greeting check, sender verification, BATV, DNS block lists, greylisting, allow and block lists and rules, the content and structure checks, virus scanning, SPF/DKIM/DMARC, statistics and reputation. A recipient with filtering off and one with it on cannot share a transaction (unknown / disparate-settings).",
    },
    SettingDoc {
        key: "quarantine_unsure",
        kind: "boolean",
        what: "What happens to `unsure` messages (combined score between `unsure_threshold` and `quarantine_threshold`): `false` delivers them with an `X-Sluice-Class: unsure/combined` header, `true` holds them in the quarantine while the sender gets 250.",
    },
    SettingDoc {
        key: "combined_score",
        kind: "boolean",
        what: "Judge `quarantine_threshold` and `unsure_threshold` against the combined score (the statistical probability with the heuristic sets' sums and the senders' reputation, weights fitted on the shared corpus: spam / not-spam / unsure `combined`) instead of the statistical combination alone (`combined-statistical`). A heuristic set or a reputation that decides alone does so either way.",
    },
    SettingDoc {
        key: "match_set2_threshold",
        kind: "number 0–1",
        what: "Similarity (the estimated share of word pairs in common, from MinHash signatures) to a message reported as spam in the last 30 days from which a message is `spam` / `match-set2` (550, quarantined). Lower catches copies with more words changed, at more risk for mail that shares a template.",
    },
    SettingDoc {
        key: "pattern_sets",
        kind: "list of source names",
        what: "The external pattern sets (`[[patterns]]`, below) judged for the recipient, by their `source`; `\"*\"` means every set, `[]` none. A match: 550 5.7.1 \"The content of this message looked like spam.\" (spam / pattern, extra `SOURCE:ID`), quarantined; an allow list still wins. A name no `[[patterns]]` table has is an error in the file's `[defaults]` and `[[domains]]`, and matches nothing when set through the API.",
    },
    SettingDoc {
        key: "quarantine_threshold",
        kind: "number 0–1",
        what: "Combined spam probability at or above which a message is refused (550) and quarantined.",
    },
    SettingDoc {
        key: "unsure_threshold",
        kind: "number 0–1",
        what: "Combined spam probability at or above which (and below `quarantine_threshold`) a message is `unsure`.",
    },
    SettingDoc {
        key: "max_line_length",
        kind: "integer (octets)",
        what: "Longest line allowed, without its CRLF (RFC 5322: 998). Longer: 550 5.6.0 \"Lines in message were longer than user maximum\" (spam / badly-formed). 0 disables.",
    },
    SettingDoc {
        key: "max_mime_parts",
        kind: "integer",
        what: "Most MIME entities a message may have, counting the message itself, multipart containers and the parts of attached messages. More: 550 5.6.0 \"Message had more parts than the user maximum\" (spam / badly-formed). 0 disables.",
    },
    SettingDoc {
        key: "max_mime_depth",
        kind: "integer",
        what: "Deepest nesting of multiparts and attached messages (a plain message is depth 0). Deeper: spam / badly-formed, 550 5.6.0. 0 disables.",
    },
    SettingDoc {
        key: "max_header_length",
        kind: "integer (octets)",
        what: "Longest header field, name included, after unfolding. Longer: spam / badly-formed, 550 5.6.0 \"Header is too long\". 0 disables.",
    },
    SettingDoc {
        key: "max_date_skew",
        kind: "duration (`7d`, `36h`, `90m`)",
        what: "How far the Date header may lie in the past or future of the time of receipt (exactly this far still passes). Further, missing or unparseable: spam / badly-formed, 550 5.7.1, quarantined. `0s` disables.",
    },
    SettingDoc {
        key: "max_message_size",
        kind: "size (`50MB`, `10MiB`, `2500000`)",
        what: "Largest message accepted. KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024, a bare number is octets. Checked against the SIZE declared on MAIL FROM and while DATA streams in: block-list / oversize, 552 5.3.4, not quarantined. 0 disables.",
    },
    SettingDoc {
        key: "helo_allow_address_literal",
        kind: "boolean",
        what: "Whether a HELO/EHLO address literal such as `[192.0.2.1]` is accepted. A bare IP, a name without a dot or with characters other than letters, digits and `-` is always refused: block-list / ehlo, 550 5.7.1, enforced at RCPT.",
    },
    SettingDoc {
        key: "allowed_local_chars",
        kind: "string",
        what: "Characters allowed in a recipient's local part besides ASCII letters and digits (non-ASCII letters too when the client used SMTPUTF8). Anything else: 550 5.1.3 \"restricted characters in address\" (block-list / local-characters).",
    },
    SettingDoc {
        key: "local_recipients",
        kind: "list of addresses",
        what: "When not empty, the only recipients accepted: `user@domain` names one address, `user` that local part in any domain, `@domain` the whole domain (case-insensitive). Others: 550 5.1.1 \"Destination address is not configured.\" (spam / invalid-recipient). Empty: off.",
    },
    SettingDoc {
        key: "blackhole",
        kind: "list of addresses",
        what: "Recipients (same forms as `local_recipients`) whose mail is accepted with 250, logged as block-list / recipient and delivered nowhere.",
    },
    SettingDoc {
        key: "blocked_extensions",
        kind: "list of extensions",
        what: "File name extensions (lower case, no dot) refused in attachments and inside zip, 7z, rar, tar and gzip archives up to 3 levels deep: block-list / filename-extension, the file name as evidence, quarantined.",
    },
    SettingDoc {
        key: "block_encrypted",
        kind: "boolean",
        what: "Refuse password-protected archives (zip, 7z, rar) and encrypted PDFs, which no scanner can look into: block-list / password-protected-attachment, quarantined. A PDF that is only restricted against printing or copying (an owner password) counts as encrypted too.",
    },
    SettingDoc {
        key: "block_uninspectable_archives",
        kind: "boolean",
        what: "Refuse a message whose attachment holds an archive the inspection bounds keep shut: nested deeper than 3 archives, inflating more than 200:1 (a decompression bomb) or past 16 MiB, past the message's 64 MiB decompression budget, needing a decoder dictionary over 64 MiB, or compressed with a method Sluice has no decoder for (Zstandard in a zip, say). 550 5.6.0 \"Attachment holds an archive that cannot be inspected\" (spam / badly-formed, the archive's path and the bound as evidence), quarantined. A `.tar.gz` too long to list to its end is not refused on that count.",
    },
    SettingDoc {
        key: "verify_recipients",
        kind: "boolean",
        what: "Ask the domain's destination server at RCPT whether each recipient exists (`MAIL FROM:<>`, `RCPT TO:`; answers cached 24 h when it exists, 1 h when not). Refused there: 550 5.1.1 \"Destination address does not exist\" (unknown / recipient-verification); no answer or 4xx: 451 4.4.0 \"Unable to verify destination address\" (error / verification-fail). A reply that is not an SMTP reply or breaks the protocol: 451 4.3.0 (error / verification-crash), not cached.",
    },
    SettingDoc {
        key: "dictionary_attack_limit",
        kind: "integer",
        what: "Recipients refused as non-existent (invalid-recipient, recipient-verification) per client (IPv4 address, IPv6 /64) in 15 minutes, counted across the cluster. From this many on, every further recipient from the client gets 451 4.7.1; from twice as many, 550 5.7.1 (spam / dictionary-attack). 0 disables.",
    },
    SettingDoc {
        key: "greylisting",
        kind: "boolean",
        what: "Greylist clients without standing: not on a DNS allow list or the allow list, no mail accepted from their network (IPv4 /24, IPv6 /64) within `[greylisting] history`, no SPF pass for a sender domain already accepted from it. Their first transaction per (network, sender, recipient) gets 451 4.7.1 \"Greylisted, please try again later\" (unknown / ratelimited, extra `greylisted`); a retry after `[greylisting] delay` and within `retry_window` passes, and the accepted message gives the network its standing. Off by default: it delays the first mail of every new correspondent.",
    },
    SettingDoc {
        key: "antivirus_fail_open",
        kind: "boolean",
        what: "When the antivirus daemon (`[antivirus] clamd`) is down, slow past `[antivirus] timeout` or answers with an error: `false` refuses the message with 451 4.3.0 (error / antivirus-unavailable; the sender retries, nothing unscanned is delivered), `true` accepts it unscanned and its log row's lookups say so. A virus found is refused either way.",
    },
    SettingDoc {
        key: "verify_senders",
        kind: "boolean",
        what: "Refuse an envelope sender whose domain has no MX and no A/AAAA record (NXDOMAIN or no data): 550 5.1.8 \"Sending server is missing DNS records\" (unknown / sender-verification), at RCPT, for the recipient's domain. A lookup that fails or times out: 451 (error / verification-fail). The null sender `<>` is not verified.",
    },
    SettingDoc {
        key: "auth_temperror",
        kind: "`\"defer\"` or `\"accept\"`",
        what: "What a temporary DNS failure while authenticating the sender means: SPF `temperror`, or the DMARC record lookup of the From domain timing out or failing. `defer`: 451 4.3.0 (error / verification-fail), the sending server retries; `accept`: the message is judged without that result (the Authentication-Results header says `temperror`).",
    },
    SettingDoc {
        key: "dmarc_enforce",
        kind: "boolean",
        what: "Apply the From domain's DMARC policy (RFC 7489, `p`/`sp`/`pct`, organisational domain by the Public Suffix List): `p=reject` → 550 5.7.1, phish / dmarc-reject, not quarantined; `p=quarantine` → 550 5.7.1, phish / dmarc-quarantine, quarantined. An allow list never bypasses either; a trusted ARC sealer (`[auth] trusted_arc_sealers`) that reports `dmarc=pass` does. `false`: the result is only written in the Authentication-Results header.",
    },
    SettingDoc {
        key: "dnsbl_stage",
        kind: "`\"rcpt\"` or `\"data\"`",
        what: "When the DNS block lists (`[[dnsbl]]`) judge the client: `\"rcpt\"` refuses each recipient with 550 5.7.1 (spam / dnsbl-rcpt, no copy); `\"data\"` waits for the message and quarantines it (spam / dnsbl). Either way the client is listed when the weights of the lists that list it add up to 1.0 or more; a list that times out or fails lists nothing.",
    },
    SettingDoc {
        key: "batv",
        kind: "boolean",
        what: "Bounce Address Tag Validation (BATV, `prvs=`): the envelope sender of our users' outgoing mail is tagged (`prvs=KDDDSSSSSS=user@domain`: an HMAC of the address and its expiry day under a per-domain secret kept in the store, good for 7 days), and a bounce (null sender) to an address of the domain is accepted only to a valid tag: refused otherwise with 550 5.7.1 \"Bounce to an address that sent no mail (BATV)\" (spam / batv, no copy); with a valid tag it is not-spam / batv and delivered to the untagged address. Off by default: turn it on once every server sending as the domain goes through Sluice, or bounces of mail sent around it are refused.",
    },
    SettingDoc {
        key: "inbound_messages_per_hour",
        kind: "integer",
        what: "Messages accepted for one recipient (its mailbox: case, quoting and `+tag` sub-addresses aside) from one client network (IPv4 /24, IPv6 /48) per hour (fixed hours, counted across the cluster when a message gets its 250). Past it, RCPT gets 451 4.7.1 \"Too many messages for this recipient, please try again later\" (spam / ratelimited, reason inbound-rate; one log row per network, recipient and hour): a mail bomb is slowed, real mail arrives when the sender retries. A client in `[limits] exempt`, on an allow list (an allow entry or rule that matched at RCPT) or on a DNS allow list is not counted. 0 disables.",
    },
    SettingDoc {
        key: "bounces_per_hour",
        kind: "integer",
        what: "Bounces (null sender `MAIL FROM:<>`: non-delivery reports, auto-replies) accepted for one recipient per hour from any client, counted across the cluster. Past it, RCPT gets the same 451 4.7.1 (spam / ratelimited, reason bounce-rate; one log row per recipient and hour): a backscatter storm after a forged mailing is slowed. 0 disables.",
    },
    SettingDoc {
        key: "outgoing_messages_per_hour",
        kind: "integer",
        what: "Messages an authenticated user (submission) may send per hour, counted across the cluster when they are accepted, whatever their number of recipients. The mailbox scope is the user's address, then its domain, then the global default. Past it, MAIL FROM gets 451 4.7.1 \"Too many messages. Please wait for a while and try again.\" (block-list / ratelimited; one log row per user and hour, not one per refused message). 0 disables.",
    },
    SettingDoc {
        key: "outgoing_messages_per_day",
        kind: "integer",
        what: "The same per day (UTC days). 0 disables.",
    },
];

/// The `[antivirus]` and `[phishing]` tables of the configuration file (read by
/// the gateway, documented here so `docs/config.md` stays one generated file).
const ANTIVIRUS_AND_PHISHING_DOC: &str = r#"
## `[antivirus]` and `[phishing]` (configuration file only)

```toml
[antivirus]
clamd = "127.0.0.1:3310"          # or "unix:/run/clamav/clamd.ctl"; unset = no scanning
timeout = "10s"
third_party_prefixes = ["Sanesecurity.", "Sluice.ThirdParty."]

[phishing]
protected_domains = ["example.test"]   # domains whose look-alikes are phishing
```

| key | default | what it does |
| --- | --- | --- |
| `antivirus.clamd` | unset (no scanning) | Where clamd listens: `host:port` or `unix:/path`. Each message is sent whole with `INSTREAM` after the final dot (clamd decodes MIME and archives itself). A signature found: 550 5.7.1, quarantined, released by an administrator only: `virus/pattern-set1`, or `virus/pattern-set2` for a third-party signature; extra = the signature name. clamd down, slower than `timeout` or answering with an error: 451 4.3.0 `error/antivirus-unavailable` (see `antivirus_fail_open`). Set clamd's `StreamMaxLength`, `MaxScanSize` and `MaxFileSize` to at least `max_message_size`: a larger message is answered with an error, hence refused with 451. |
| `antivirus.timeout` | `"10s"` | Time limit of one scan. |
| `antivirus.third_party_prefixes` | `[]` | Signature-name prefixes of third-party signature sets (case-sensitive, matched at the start of the name): their detections are `virus/pattern-set2`, every other name `virus/pattern-set1`. |
| `phishing.protected_domains` | `[]` | Domains (lower case) whose look-alikes in a From address or display name are phishing (`phish/pattern`): IDN homographs and confusable characters, one character different (names of 5 or more), hyphens added or removed, the same name under another TLD. Each recipient's own domain is protected too, except against the same name under another TLD. |

URL hash lists (`phish/pattern-remote`, `virus/pattern-set1-remote`) have no keys: they are
loaded into the store with `sluice urllist import --list phishing|malware FILE`.
"#;

/// The `[[hashbl]]` tables of the configuration file (read by the gateway,
/// documented here so `docs/config.md` stays one generated file).
const HASH_LISTS_DOC: &str = r#"
## `[[hashbl]]`: hash block lists queried over DNS (configuration file only)

```toml
[[hashbl]]
zone = "_email.hbl.example"   # queried as <hash>.<zone>
items = ["email"]             # any of: "email", "url", "file"
hash = "sha1"                 # "sha256" (default), "sha1" or "md5"
encoding = "base32"           # "hex" or "base32" (RFC 4648, lower case, no padding); default: base32 for sha256, else hex
codes = ["127.0.0.2"]         # optional: only these answers list

[[hashbl]]
zone = "_file.hbl.example"
items = ["file"]              # sha256 in base32 (52 characters: 64 hex digits do not fit in a DNS label)
```

Each table is one list, asked after the final dot about the items of every message, at most 16
distinct items of each kind, every query at once within `[dns] timeout` (answers cached for their TTL).
An item a list lists makes the message `spam/pattern-remote` (550 5.7.1, quarantined), extra class
`ZONE:KIND:ITEM`.

| key | default | what it does |
| --- | --- | --- |
| `zone` | required | The list's zone: the hash of an item is asked as `<hash>.<zone>` (an A query). |
| `items` | required | What is hashed: `email` (the message's contact addresses: Reply-To, the header From (not on our authenticated users' outgoing mail), the addresses written in the text; never an address of the recipients (To, Cc, envelope); lower case), `url` (each URL of the text and HTML parts, canonicalised as the URL hash lists do, without its scheme: `evil.example/login?id=1`), `file` (the decoded bytes of each attachment: a part with a file name or disposed as an attachment, or any non-text part). |
| `hash` | `"sha256"` | The digest: `sha256`, `sha1` or `md5`. |
| `encoding` | `"base32"` for sha256, `"hex"` for sha1 and md5 | How the digest is written as the query's first label: `hex` (lower case) or `base32` (RFC 4648, lower case, no `=` padding). A digest that does not fit in one DNS label (sha256 in hex: 64 digits, a label holds 63) is refused when the file is loaded. |
| `codes` | `[]` (any) | When set, only these answers list. Otherwise any answer in 127.0.0.0/8 lists, except 127.0.0.1 and the error answers (127.255.255.0/24, 127.0.1.255); an answer outside 127.0.0.0/8 makes the list unusable for that query. A list that times out or fails lists nothing; its lookups are in the log row. |
"#;

/// The `[[patterns]]` tables of `docs/config.md` (the pattern files' format is
/// `docs/patterns.md`).
const PATTERNS_DOC: &str = r#"
## `[[patterns]]` (configuration file only)

External pattern sets: files of patterns from a vendor or of the installation's own
(format, bounds and reloading: [patterns.md](patterns.md)). One table per file:

```toml
[[patterns]]
source = "acme-feed"                     # the extra class: acme-feed:<pattern id>
file = "/etc/sluice/patterns/acme.txt"   # relative paths: from the configuration's folder
```

| key | default | what it does |
| --- | --- | --- |
| `patterns.source` | (required) | The set's name: 1 to 128 letters, digits, `.`, `_`, `-`; unique. Shown before the pattern's id in the extra class and named by `pattern_sets`. |
| `patterns.file` | (required) | The pattern file. Read at start (a bad file is a configuration error naming the file and the line); its modification time and size are checked once a minute and a changed file is read again: a file that no longer loads keeps the last good set and the error is logged with the file and the line. `sluice patterns check FILE` checks one beforehand. |
"#;

/// The text of `docs/config.md`.
pub fn render_config_doc() -> String {
    use std::fmt::Write;
    let defaults = serde_json::to_value(DomainSettings::default()).unwrap_or_default();
    let mut out = String::new();
    out.push_str("<!-- Generated from crates/core/src/settings.rs (SETTINGS_DOC and the defaults); do not edit by hand.\n");
    out.push_str("     Regenerate with: SLUICE_BLESS=1 cargo test -p sluice-core settings -->\n");
    out.push_str("# Filtering settings\n\n");
    out.push_str("The keys below can be set at three scopes; for each recipient the narrowest set value wins:\n\n");
    out.push_str("- **global**: the `[defaults]` table of the configuration file (every domain);\n");
    out.push_str("- **domain**: each `[[domains]]` table, which also has `name` (the domain) and `destination`\n");
    out.push_str("  (`host:port` its accepted mail is relayed to);\n");
    out.push_str("- **mailbox**: one address, set through the API (`PUT /api/v1/settings/mailboxes/{address}`).\n\n");
    out.push_str("A key set nowhere takes the default below. An unknown key or a bad value is an error that names\n");
    out.push_str("the key, when the file is loaded and when the API is asked to set it. The API changes every scope\n");
    out.push_str("at run time (`/api/v1/settings/global`, `/settings/domains/{name}`, `/settings/mailboxes/{address}`);\n");
    out.push_str("the file's `[defaults]` and `[[domains]]` win again when they change.\n\n");
    out.push_str("| key | type | default | what it does |\n| --- | --- | --- | --- |\n");
    for doc in SETTINGS_DOC {
        let default = match defaults.get(doc.key) {
            Some(serde_json::Value::Array(items)) if items.is_empty() => "`[]` (off)".to_owned(),
            Some(serde_json::Value::Array(items)) => {
                let names: Vec<String> = items.iter().map(|item| item.as_str().unwrap_or_default().to_owned()).collect();
                format!("`{}`", names.join(", "))
            }
            Some(serde_json::Value::String(text)) => format!("`\"{text}\"`"),
            Some(other) => format!("`{other}`"),
            None => "?".to_owned(),
        };
        let _ = writeln!(out, "| `{}` | {} | {} | {} |", doc.key, doc.kind, default, doc.what);
    }
    out.push_str(ANTIVIRUS_AND_PHISHING_DOC);
    out.push_str(HASH_LISTS_DOC);
    out.push_str(PATTERNS_DOC);
    out.push_str("\nExample:\n\n```toml\n[[domains]]\nname = \"example.org\"\ndestination = \"10.0.0.5:25\"\nmax_line_length = 0          # accept any line length\nmax_date_skew = \"3d\"\nmax_message_size = \"20MB\"\nlocal_recipients = [\"alice@example.org\", \"postmaster\"]\nblackhole = [\"noreply@example.org\"]\nblock_encrypted = true\n```\n");
    out
}

/// Reads a size such as `"50MB"`, `"512KiB"` or `"1000"` (octets): KB/MB/GB are
/// powers of 1000, KiB/MiB/GiB powers of 1024. Shared with the gateway's
/// configuration so every size in the file reads the same way.
pub fn parse_byte_size(text: &str) -> Option<u64> {
    byte_size::parse(text)
}

/// `max_date_skew` as a humantime string (`"7d"`, `"36h"`); written back as
/// humantime prints it (`"7days"`), which reads back the same.
mod human_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&humantime::format_duration(*value).to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        humantime::parse_duration(text.trim())
            .map_err(|error| serde::de::Error::custom(format!("expected a duration such as \"7d\" or \"36h\": {error}")))
    }
}

/// `max_message_size` as `"50MB"`, `"10MiB"` or a plain number of octets.
mod byte_size {
    use serde::{Deserialize, Deserializer, Serializer};

    const UNITS: [(&str, u64); 7] = [
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("KB", 1_000),
        ("B", 1),
    ];

    pub(super) fn parse(text: &str) -> Option<u64> {
        let text = text.trim();
        let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(digits_end);
        let number: u64 = number.parse().ok()?;
        let unit = unit.trim();
        if unit.is_empty() {
            return Some(number);
        }
        let (_, factor) = UNITS.iter().find(|(name, _)| name.eq_ignore_ascii_case(unit))?;
        number.checked_mul(*factor)
    }

    pub(super) fn format(value: u64) -> String {
        for (name, factor) in UNITS {
            if value != 0 && factor > 1 && value.is_multiple_of(factor) {
                return format!("{}{name}", value / factor);
            }
        }
        value.to_string()
    }

    pub(super) fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(*value))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<'a> {
        Number(u64),
        Text(std::borrow::Cow<'a, str>),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        match Raw::deserialize(deserializer)? {
            Raw::Number(number) => Ok(number),
            Raw::Text(text) => parse(&text).ok_or_else(|| {
                serde::de::Error::custom(format!("expected a size such as \"50MB\", \"10MiB\" or 2500000, got {text:?}"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_round_trip_through_serde() {
        let defaults = DomainSettings::default();
        assert_eq!(defaults.validate(), Ok(()));
        let json = serde_json::to_string(&defaults).unwrap_or_default();
        let back: DomainSettings = serde_json::from_str(&json).unwrap_or_else(|error| panic!("{json}: {error}"));
        assert_eq!(back, defaults);
    }

    #[test]
    fn humane_units_are_read() {
        let settings: DomainSettings =
            serde_json::from_str(r#"{"max_date_skew": "36h", "max_message_size": "10MiB"}"#).unwrap_or_default();
        assert_eq!(settings.max_date_skew, Duration::from_secs(36 * 3600));
        assert_eq!(settings.max_message_size, 10 << 20);
        for (text, value) in [("50MB", Some(50_000_000)), ("2500000", Some(2_500_000)), ("1 GiB", Some(1 << 30)), ("5kb", Some(5000)), ("MB", None), ("-1", None), ("99999999999999GB", None)] {
            assert_eq!(byte_size::parse(text), value, "{text}");
        }
        assert_eq!(byte_size::format(50_000_000), "50MB");
        assert!(serde_json::from_str::<DomainSettings>(r#"{"max_date_skew": "a week"}"#).is_err());
        assert!(serde_json::from_str::<DomainSettings>(r#"{"max_message_size": 1000}"#).is_ok());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(serde_json::from_str::<DomainSettings>(r#"{"max_line_lenght": 10}"#).is_err());
    }

    #[test]
    fn bad_values_name_their_key() {
        let settings = DomainSettings { blocked_extensions: vec![".exe".into()], ..DomainSettings::default() };
        assert_eq!(settings.validate().map_err(|(key, _)| key), Err("blocked_extensions"));
        let settings = DomainSettings { local_recipients: vec!["a b@c".into()], ..DomainSettings::default() };
        assert_eq!(settings.validate().map_err(|(key, _)| key), Err("local_recipients"));
        for threshold in [0.0, 1.5, f64::NAN] {
            let settings = DomainSettings { match_set2_threshold: threshold, ..DomainSettings::default() };
            assert_eq!(settings.validate().map_err(|(key, _)| key), Err("match_set2_threshold"), "{threshold}");
        }
    }

    #[test]
    fn addresses_match_in_three_forms() {
        let entries = vec!["Alice@Example.org".to_owned(), "postmaster".to_owned(), "@sink.example".to_owned()];
        assert!(address_matches(&entries, "alice@example.ORG"));
        assert!(!address_matches(&entries, "bob@example.org"));
        assert!(address_matches(&entries, "PostMaster@anything.test"));
        assert!(address_matches(&entries, "x@sink.example."));
        assert!(!address_matches(&entries, "x@sub.sink.example"));
    }

    #[test]
    fn message_policy_ignores_recipient_stage_settings() {
        let base = DomainSettings::default();
        let other = DomainSettings { local_recipients: vec!["a@b.c".into()], ..base.clone() };
        assert!(base.same_message_policy(&other));
        let other = DomainSettings { max_line_length: 0, ..base.clone() };
        assert!(!base.same_message_policy(&other));
    }

    #[test]
    fn filtering_on_and_off_are_different_message_policies() {
        let on = DomainSettings::default();
        let off = DomainSettings { filtering: false, ..on.clone() };
        assert!(!on.same_message_policy(&off) && !off.same_message_policy(&on));
        // The message rates are judged per recipient at RCPT.
        let other_rates = DomainSettings { inbound_messages_per_hour: 5, bounces_per_hour: 0, ..on.clone() };
        assert!(on.same_message_policy(&other_rates));
    }

    fn layer(json: &str) -> SettingsLayer {
        serde_json::from_str(json).unwrap_or_default()
    }

    #[test]
    fn the_narrowest_scope_wins() {
        let global = layer(r#"{"quarantine_threshold": 0.95, "max_line_length": 0}"#);
        let domain = layer(r#"{"quarantine_threshold": 0.97}"#);
        let mailbox = layer(r#"{"quarantine_threshold": 0.7, "unsure_threshold": 0.5}"#);
        let domain_wide = resolve(&[&global, &domain]).expect("valid");
        assert_eq!((domain_wide.quarantine_threshold, domain_wide.max_line_length), (0.97, 0));
        let one_address = resolve(&[&global, &domain, &mailbox]).expect("valid");
        assert_eq!((one_address.quarantine_threshold, one_address.unsure_threshold), (0.7, 0.5));
        assert_eq!(one_address.max_line_length, 0, "inherited from the global scope");
        assert_eq!(resolve(&[]).expect("defaults"), DomainSettings::default());
    }

    #[test]
    fn a_bad_layer_names_its_key() {
        let error = check_layer(&layer(r#"{"max_line_lenght": 10}"#)).expect_err("unknown key");
        assert_eq!(error.key, "max_line_lenght");
        let error = check_layer(&layer(r#"{"quarantine_threshold": "high"}"#)).expect_err("bad value");
        assert_eq!(error.key, "quarantine_threshold");
        let error = resolve(&[&layer(r#"{"unsure_threshold": 0.95}"#)]).expect_err("above the quarantine threshold");
        assert_eq!(error.key, "unsure_threshold");
    }

    #[test]
    fn every_key_is_documented_once() {
        let defaults = serde_json::to_value(DomainSettings::default()).unwrap_or_default();
        let keys: Vec<&str> = defaults.as_object().map(|map| map.keys().map(String::as_str).collect()).unwrap_or_default();
        for key in &keys {
            assert_eq!(SETTINGS_DOC.iter().filter(|doc| doc.key == *key).count(), 1, "{key} documented once");
        }
        assert_eq!(SETTINGS_DOC.len(), keys.len());
    }

    #[test]
    fn docs_config_md_is_up_to_date() {
        let path = format!("{}/../../docs/config.md", env!("CARGO_MANIFEST_DIR"));
        let expected = render_config_doc();
        if std::env::var_os("SLUICE_BLESS").is_some() {
            std::fs::write(&path, &expected).unwrap_or_else(|error| panic!("{path}: {error}"));
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(actual == expected, "{path} is out of date: run SLUICE_BLESS=1 cargo test -p sluice-core settings");
    }
}
