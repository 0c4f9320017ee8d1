//! SMTP-stage policy checks: pure functions the gateway calls before DATA ends.
//!
//! Each takes the envelope so far and the recipient's domain settings and returns
//! `Option<Finding>`; the gateway decides with `verdict::decide(&[finding], &DomainSettings::default())` and
//! answers the verdict's reply (see the table in [`crate::checks`]). Classes:
//! - [`check_helo`]: HELO/EHLO not a FQDN (bare IP, no dot, `_` or other invalid
//!   characters, address literal when not allowed) -> `block-list` / `ehlo`,
//!   550 5.7.1. Enforced at RCPT (inside [`check_rcpt`]) so the log row has the
//!   sender and recipient, and so postmaster-style exceptions stay possible.
//! - null sender `<>` with a second recipient -> `block-list` / `recipients-count`,
//!   550 5.5.3 "Legitimate bounces are never sent to more than one recipient."
//! - local part with characters outside ASCII letters, digits and
//!   `allowed_local_chars` -> `block-list` / `local-characters`, 550 5.1.3
//!   "restricted characters in address".
//! - `blackhole` address -> `block-list` / `recipient`: 250, accepted, discarded.
//! - not in a non-empty `local_recipients` -> `spam` / `invalid-recipient`, 550
//!   5.1.1 "Destination address is not configured."
//! - [`check_declared_size`] / [`check_received_size`]: over `max_message_size`
//!   -> `block-list` / `oversize`, 552 5.3.4, never quarantined.
//! - [`check_disparate`]: the recipient's settings would classify the message
//!   differently from the first accepted recipient's -> `unknown` /
//!   `disparate-settings`, 451 4.3.0 (the spec's text), so the sender retries it
//!   in a transaction of its own.
//!
//! Settings: `helo_allow_address_literal` [false], `allowed_local_chars`
//! [`.-_+='`], `local_recipients` [empty: off], `blackhole` [empty],
//! `max_message_size` [50MB].
//!
//! Why: each of these is decided from the envelope alone, so it is cheapest (and
//! kindest to an honest sender, who gets a precise reply) to refuse before the
//! message is transferred.

use std::net::{IpAddr, Ipv6Addr};

use sluice_model::{Finding, MainClass, Reason, Subclass};

use crate::envelope::Envelope;
use crate::settings::{DomainSettings, address_matches};

pub const NAME: &str = "envelope_policy";

/// The RCPT-stage checks for `recipient`, in order; the first that finds decides.
/// `envelope.recipients` holds the recipients accepted so far, not this one.
pub fn check_rcpt(envelope: &Envelope, recipient: &str, settings: &DomainSettings) -> Option<Finding> {
    check_helo(&envelope.helo, settings).or_else(|| check_recipient(envelope, recipient, settings))
}

/// [`check_rcpt`] without the HELO check (`sluice explain` when no HELO is given).
pub fn check_recipient(envelope: &Envelope, recipient: &str, settings: &DomainSettings) -> Option<Finding> {
    check_recipients_count(envelope)
        .or_else(|| check_local_characters(recipient, envelope.smtputf8, settings))
        .or_else(|| check_blackhole(recipient, settings))
        .or_else(|| check_local_recipient(recipient, settings))
}

/// Why a HELO/EHLO argument is not acceptable, or `None` when it is.
pub fn helo_defect(helo: &str, allow_address_literal: bool) -> Option<&'static str> {
    let helo = helo.trim();
    if helo.is_empty() {
        return Some("empty");
    }
    if let Some(literal) = helo.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
        let valid = match literal.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => literal[5..].parse::<Ipv6Addr>().is_ok(),
            _ => literal.parse::<std::net::Ipv4Addr>().is_ok(),
        };
        return match (valid, allow_address_literal) {
            (false, _) => Some("invalid address literal"),
            (true, false) => Some("address literal not allowed"),
            (true, true) => None,
        };
    }
    if helo.parse::<IpAddr>().is_ok() {
        return Some("bare IP address");
    }
    let name = helo.strip_suffix('.').unwrap_or(helo);
    if name.len() > 253 {
        return Some("name too long");
    }
    if name.contains('_') {
        return Some("invalid character '_'");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Some("not a fully qualified domain name");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Some("empty or overlong label");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Some("invalid character");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("label starts or ends with '-'");
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Some("numeric top-level label");
    }
    None
}

/// HELO/EHLO validity -> `block-list` / `ehlo`.
pub fn check_helo(helo: &str, settings: &DomainSettings) -> Option<Finding> {
    let defect = helo_defect(helo, settings.helo_allow_address_literal)?;
    let shown: String = helo.chars().take(100).collect();
    Some(
        Finding::new(NAME, MainClass::BlockList, Subclass::Ehlo, format!("HELO {shown:?}: {defect}"))
            .because(Reason::InvalidGreeting),
    )
}

/// The null sender with a recipient already accepted -> `block-list` /
/// `recipients-count`.
pub fn check_recipients_count(envelope: &Envelope) -> Option<Finding> {
    if envelope.sender.is_empty() && !envelope.recipients.is_empty() {
        Some(Finding::new(
            NAME,
            MainClass::BlockList,
            Subclass::RecipientsCount,
            format!("null sender, recipient {}", envelope.recipients.len() + 1),
        ))
    } else {
        None
    }
}

/// The first character of `recipient`'s local part that is not allowed.
pub fn restricted_character(recipient: &str, smtputf8: bool, allowed: &str) -> Option<char> {
    let local = recipient.rsplit_once('@').map_or(recipient, |(local, _)| local);
    local.chars().find(|c| {
        let ok = c.is_ascii_alphanumeric() || allowed.contains(*c) || (smtputf8 && !c.is_ascii() && c.is_alphanumeric());
        !ok
    })
}

/// Restricted characters in the local part -> `block-list` / `local-characters`.
pub fn check_local_characters(recipient: &str, smtputf8: bool, settings: &DomainSettings) -> Option<Finding> {
    let bad = restricted_character(recipient, smtputf8, &settings.allowed_local_chars)?;
    Some(Finding::new(NAME, MainClass::BlockList, Subclass::LocalCharacters, format!("character {bad:?} in {}", short(recipient))))
}

/// A blackhole address -> `block-list` / `recipient` (accepted, then discarded).
pub fn check_blackhole(recipient: &str, settings: &DomainSettings) -> Option<Finding> {
    address_matches(&settings.blackhole, recipient)
        .then(|| Finding::new(NAME, MainClass::BlockList, Subclass::Recipient, format!("blackhole {}", short(recipient))))
}

/// Not on the domain's local recipients list -> `spam` / `invalid-recipient`.
pub fn check_local_recipient(recipient: &str, settings: &DomainSettings) -> Option<Finding> {
    if settings.local_recipients.is_empty() || address_matches(&settings.local_recipients, recipient) {
        return None;
    }
    Some(
        Finding::new(NAME, MainClass::Spam, Subclass::InvalidRecipient, format!("{} not in local recipients", short(recipient)))
            .because(Reason::RecipientNotConfigured),
    )
}

/// The SIZE declared on MAIL FROM over the limit -> `block-list` / `oversize`.
pub fn check_declared_size(declared: u64, settings: &DomainSettings) -> Option<Finding> {
    oversize(declared, settings, "declared SIZE")
}

/// The octets received so far in DATA over the limit -> `block-list` / `oversize`.
pub fn check_received_size(received: u64, settings: &DomainSettings) -> Option<Finding> {
    oversize(received, settings, "received")
}

fn oversize(size: u64, settings: &DomainSettings, what: &str) -> Option<Finding> {
    let max = settings.max_message_size;
    (max != 0 && size > max).then(|| Finding::new(NAME, MainClass::BlockList, Subclass::Oversize, format!("{what} {size} > {max}")))
}

/// A recipient whose domain settings classify a message differently from the
/// first accepted recipient's -> `unknown` / `disparate-settings` (451).
pub fn check_disparate(first: &DomainSettings, settings: &DomainSettings) -> Option<Finding> {
    (!first.same_message_policy(settings)).then(|| {
        Finding::new(NAME, MainClass::Unknown, Subclass::DisparateSettings, "settings differ from the first recipient's")
    })
}

fn short(address: &str) -> String {
    address.chars().take(254).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::fixtures;
    use crate::verdict::decide;
    use sluice_model::Action;

    /// One `.cases` line: `helo | sender | accepted,recipients | recipient | expected`
    /// (fields separated by ` | `, `-` for an empty field) where expected is `pass`
    /// or `<main>/<sub>`; ` #` starts a comment, and a line mentioning SMTPUTF8
    /// runs with that flag.
    fn run_cases(file: &str, settings: &DomainSettings) {
        let text = String::from_utf8_lossy(&fixtures::read("envelope_policy", file)).into_owned();
        let mut count = 0;
        for (number, raw_line) in text.lines().enumerate() {
            let line = raw_line.split(" #").next().unwrap_or_default().trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(" | ").map(str::trim).map(|field| if field == "-" { "" } else { field }).collect();
            let [helo, sender, accepted, recipient, expected] = fields[..] else {
                panic!("{file}:{}: five fields expected", number + 1);
            };
            let sender = if sender == "<>" { "" } else { sender };
            let envelope = Envelope {
                helo: helo.to_owned(),
                sender: sender.to_owned(),
                recipients: accepted.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect(),
                smtputf8: raw_line.contains("SMTPUTF8"),
                ..Envelope::default()
            };
            let found = check_rcpt(&envelope, recipient, settings).map(|finding| format!("{}/{}", finding.main, finding.sub));
            let expected = expected.split_whitespace().next().unwrap_or_default();
            assert_eq!(found.as_deref().unwrap_or("pass"), expected, "{file}:{}: {line}", number + 1);
            count += 1;
        }
        assert!(count > 0, "{file} has no cases");
    }

    #[test]
    fn rcpt_cases_with_defaults() {
        run_cases("rcpt-defaults.cases", &DomainSettings::default());
    }

    #[test]
    fn rcpt_cases_with_lists() {
        let settings = DomainSettings {
            local_recipients: vec!["alice@example.org".into(), "postmaster".into()],
            blackhole: vec!["void@example.org".into()],
            helo_allow_address_literal: true,
            ..DomainSettings::default()
        };
        run_cases("rcpt-lists.cases", &settings);
    }

    #[test]
    fn replies_are_the_specs() {
        let settings = DomainSettings { local_recipients: vec!["a@example.org".into()], blackhole: vec!["void".into()], ..DomainSettings::default() };
        let mut envelope = Envelope { helo: "mx.example.net".into(), sender: "s@example.net".into(), ..Envelope::default() };
        let reply = |finding: Option<Finding>| finding.map(|finding| decide(&[finding], &DomainSettings::default()));
        assert_eq!(reply(check_rcpt(&envelope, "b@example.org", &settings)).map(|v| v.reply.line()).as_deref(), Some("550 5.1.1 Destination address is not configured."));
        assert_eq!(reply(check_rcpt(&envelope, "a|b@example.org", &settings)).map(|v| v.reply.line()).as_deref(), Some("550 5.1.3 restricted characters in address"));
        let void = reply(check_rcpt(&envelope, "void@example.org", &settings)).map(|v| (v.action, v.reply.code));
        assert_eq!(void, Some((Action::Discard, 250)));
        envelope.helo = "1.2.3.4".into();
        assert_eq!(reply(check_rcpt(&envelope, "a@example.org", &settings)).map(|v| v.reply.line()).as_deref(), Some("550 5.7.1 Sending server used an invalid greeting"));
        envelope.helo = "mx.example.net".into();
        envelope.sender = String::new();
        envelope.recipients = vec!["a@example.org".into()];
        assert_eq!(
            reply(check_rcpt(&envelope, "a@example.org", &settings)).map(|v| v.reply.line()).as_deref(),
            Some("550 5.5.3 Legitimate bounces are never sent to more than one recipient.")
        );
    }

    #[test]
    fn size_limits_and_their_boundary() {
        let settings = DomainSettings::default();
        assert!(check_declared_size(50_000_000, &settings).is_none());
        let finding = check_declared_size(50_000_001, &settings);
        assert_eq!(finding.as_ref().map(|f| f.sub), Some(Subclass::Oversize));
        let verdict = decide(&[finding.unwrap_or_else(|| Finding::new("x", MainClass::Error, Subclass::Unknown, ""))], &DomainSettings::default());
        assert_eq!((verdict.action, verdict.reply.code), (Action::Reject, 552));
        assert!(check_received_size(60_000_000, &settings).is_some());
        let off = DomainSettings { max_message_size: 0, ..settings };
        assert!(check_received_size(u64::MAX, &off).is_none());
    }

    #[test]
    fn disparate_settings_get_the_specs_451() {
        let first = DomainSettings::default();
        assert!(check_disparate(&first, &first.clone()).is_none());
        let lenient = DomainSettings { quarantine_threshold: 0.99, ..DomainSettings::default() };
        let verdict = decide(&[check_disparate(&first, &lenient).unwrap_or_else(|| Finding::new("x", MainClass::Error, Subclass::Unknown, ""))], &DomainSettings::default());
        assert_eq!(
            verdict.reply.line(),
            "451 4.3.0 Mail for this domain cannot be accepted right now; please retry (Unable to handle in active connection)"
        );
        assert_eq!(verdict.action, Action::TempReject);
    }
}
