//! Pattern `dangerous-link`: a link whose target hides what it is:
//! - a `data:` URI as a link (or a form's action): a page carried in the link
//!   itself, which no URL list can know;
//! - a `javascript:` link, or a link to a raw IP address
//!   (`http://192.0.2.7/login`), in a message whose text asks for credentials
//!   ("verify your account", "enter your password", "unusual activity", ...).
//!   Newsletters of the early 2000s open pop-ups with `javascript:` links and
//!   shops link to bare addresses; with a request for credentials they are what
//!   phishing kits send. Private and loopback addresses do not count (a
//!   colleague's `http://10.0.0.5/wiki` is not a phishing site on the Internet).
//!
//! The phrases are requests, not topics: "password" or "log in" alone is in
//! every account notice and mailing-list footer (measured in `docs/phishing.md`).

use sluice_model::{Finding, MainClass, Subclass};

use super::Content;
use super::domains::{is_ip, url_host};

pub const NAME: &str = "phishing/dangerous-link";

/// Phrases that ask for credentials, lower case.
const CREDENTIAL_WORDS: &[&str] = &[
    "verify your account", "confirm your account", "validate your account", "reactivate your account",
    "update your account", "verify your identity", "confirm your identity", "enter your password",
    "confirm your password", "verify your password", "your password will expire", "your password expires",
    "account has been suspended", "account will be suspended", "account has been locked", "account will be closed",
    "unusual activity", "unusual sign-in", "suspicious activity", "update your payment", "verify your payment",
    "confirm your billing", "update your billing", "social security number", "card number and",
];

pub fn check(content: &Content<'_>) -> Option<Finding> {
    let has_scheme = |target: &str, scheme: &str| {
        let lower: String = target.trim_start().chars().take(11).collect::<String>().to_ascii_lowercase();
        lower.starts_with(scheme)
    };
    let actions = content.forms.iter().chain(&content.attached_forms).map(|form| form.action.as_str());
    let mut targets = content.links.iter().map(|link| link.href.as_str()).chain(actions);
    if targets.any(|target| has_scheme(target, "data:")) {
        return Some(found("dangerous-link: a data link".to_owned()));
    }
    let javascript = content.links.iter().any(|link| has_scheme(&link.href, "javascript:"));
    let ip_link = content
        .links
        .iter()
        .map(|link| link.href.as_str())
        .chain(content.targets.iter().map(String::as_str))
        .filter_map(url_host)
        .chain(plain_text_ip_hosts(&content.text))
        .find(|host| is_ip(host) && is_public(host));
    if !javascript && ip_link.is_none() {
        return None;
    }
    let lower = content.text.to_lowercase();
    let asks = CREDENTIAL_WORDS.iter().find(|word| lower.contains(*word))?;
    let link = match ip_link {
        Some(address) => format!("a link to the address {address}"),
        None => "a javascript link".to_owned(),
    };
    Some(found(format!("dangerous-link: {link}, text asks to \"{asks}\"")))
}

/// Hosts of `http(s)://` URLs written in the text (bounded).
fn plain_text_ip_hosts(text: &str) -> impl Iterator<Item = String> + '_ {
    text.match_indices("http").take(1000).filter_map(|(at, _)| url_host(&text[at..]))
}

fn is_public(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => !(ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified()),
        Ok(std::net::IpAddr::V6(ip)) => !(ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00),
        // Decimal and hexadecimal forms: only ever used to hide an address.
        Err(_) => true,
    }
}

fn found(evidence: String) -> Finding {
    Finding::new(NAME, MainClass::Phish, Subclass::Pattern, evidence)
}
