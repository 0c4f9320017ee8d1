//! Pattern `dangerous-link`: a link whose target hides what it is:
//! - a `data:` or `javascript:` URI as a link (or a form's action): a page or a
//!   script carried in the link itself, which no URL list can know;
//! - a link to a raw IP address (`http://192.0.2.7/login`) in a message whose
//!   text asks for credentials (password, sign in, verify the account, ...).
//!   Private and loopback addresses do not count (a colleague's
//!   `http://10.0.0.5/wiki` is not a phishing site on the Internet).

use sluice_model::{Finding, MainClass, Subclass};

use super::Content;
use super::domains::{is_ip, url_host};

pub const NAME: &str = "phishing/dangerous-link";

/// Phrases that ask for credentials, lower case.
const CREDENTIAL_WORDS: &[&str] = &[
    "password", "passcode", "sign in", "sign-in", "log in", "login", "verify your account", "confirm your account",
    "verify your identity", "confirm your identity", "update your account", "account suspended", "account will be",
    "social security", "credit card", "card number", "unusual activity",
];

pub fn check(content: &Content<'_>) -> Option<Finding> {
    let scheme_of = |target: &str| {
        let lower: String = target.trim_start().chars().take(11).collect::<String>().to_ascii_lowercase();
        ["javascript:", "data:"].into_iter().find(|scheme| lower.starts_with(scheme))
    };
    let actions = content.body_html.forms.iter().chain(&content.attached_forms).map(|form| form.action.as_str());
    for target in content.body_html.links.iter().map(|link| link.href.as_str()).chain(actions) {
        if let Some(scheme) = scheme_of(target) {
            return Some(found(format!("dangerous-link: a {} link", scheme.trim_end_matches(':'))));
        }
    }
    let ip_link = content
        .body_html
        .links
        .iter()
        .filter_map(|link| url_host(&link.href))
        .chain(plain_text_ip_hosts(&content.text))
        .find(|host| is_ip(host) && is_public(host))?;
    let lower = content.text.to_lowercase();
    let asks = CREDENTIAL_WORDS.iter().find(|word| lower.contains(*word))?;
    Some(found(format!("dangerous-link: a link to the address {ip_link}, text asks for \"{asks}\"")))
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
