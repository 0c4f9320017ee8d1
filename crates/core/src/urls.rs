//! The URLs of a message, as facts: one extractor shared by the filtering rules
//! (`url` field) and the URL block lists.
//!
//! [`collect_urls`] finds `http://`, `https://` and `www.` URLs in a text (plain
//! text or HTML source, so `href` targets are found too) with their host names;
//! [`lookup_targets`] turns a message's URLs, its bare domains (`example.com`
//! written without a scheme, when the Public Suffix List knows the suffix) and its
//! IPv4 literals into the distinct names a URL block list is asked about: each
//! host's registered domain (the PSL, compiled into the `psl` crate), or the
//! address.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use aho_corasick::AhoCorasick;
use mail_parser::PartType;

use crate::message::MessageFacts;

/// The most MIME entities looked at for URLs.
const ENTITIES_MAX: usize = 1000;
/// The most octets of one part scanned for bare domains.
const BARE_SCAN_MAX: usize = 1 << 20;

/// The starts of URLs, any case: one automaton, so a text without URLs is
/// skipped at memchr speed.
fn url_starts() -> &'static AhoCorasick {
    static STARTS: std::sync::OnceLock<AhoCorasick> = std::sync::OnceLock::new();
    STARTS.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(["http://", "https://", "www."])
            .expect("three literals always build")
    })
}

/// Appends the URLs of `text` (`http://`, `https://`, `www.`) and each one's
/// host name (lower case, without port, user or trailing dot), up to `max` in all.
pub fn collect_urls<'t>(text: &'t str, urls: &mut Vec<Cow<'t, str>>, max: usize) {
    scan_urls(text, |url, host| {
        if urls.len() >= max {
            return false;
        }
        urls.push(Cow::Borrowed(url));
        if !host.is_empty() && urls.len() < max {
            urls.push(Cow::Owned(host));
        }
        urls.len() < max
    });
}

/// Calls `each(url)` for every URL of `text` (`http://`, `https://`, `www.`) in
/// order, until it returns false.
pub fn for_each_url<'t>(text: &'t str, mut each: impl FnMut(&'t str) -> bool) {
    scan_urls(text, |url, _| each(url));
}

/// Calls `each(url, host)` for every URL of `text` in order, until it returns false.
fn scan_urls<'t>(text: &'t str, mut each: impl FnMut(&'t str, String) -> bool) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let Some(found) = url_starts().find(aho_corasick::Input::new(bytes).span(at..bytes.len())) else {
            return;
        };
        let start = found.start();
        let scheme = found.len();
        if scheme == 4 && start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'/' || bytes[start - 1] == b'.') {
            at = found.end();
            continue;
        }
        // `www.` is part of the host name.
        let scheme = if scheme == 4 { 0 } else { scheme };
        let rest = &bytes[start..];
        let length = rest.iter().position(|&b| b.is_ascii_whitespace() || b"\"'<>()[]{}`\\^|".contains(&b)).unwrap_or(rest.len());
        let url = text[start..start + length].trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let host = url[scheme..].split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
        let host = host.split(':').next().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
        if url.len() > scheme && !each(url, host) {
            return;
        }
        at = start + length.max(found.len());
    }
}

/// What a URL block list is asked about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LookupTarget {
    /// A registered domain (`example.co.uk` for `www.mail.example.co.uk`).
    Domain(String),
    /// An IPv4 literal (`http://192.0.2.7/`), asked reversed as DNSBLs are.
    Address(Ipv4Addr),
}

impl std::fmt::Display for LookupTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupTarget::Domain(domain) => f.write_str(domain),
            LookupTarget::Address(ip) => write!(f, "{ip}"),
        }
    }
}

impl LookupTarget {
    /// The name asked in `zone`.
    pub fn query(&self, zone: &str) -> String {
        match self {
            LookupTarget::Domain(domain) => crate::checks::dnslists::name_query(domain, zone),
            LookupTarget::Address(ip) => crate::checks::dnslists::ip_query(IpAddr::V4(*ip), zone),
        }
    }

    /// The target of a host name as found in a URL: its address, or its
    /// registered domain (any suffix: a URL's host is a host).
    fn of_host(host: &str) -> Option<LookupTarget> {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Some(LookupTarget::Address(ip));
        }
        // A top-level domain is never all digits (RFC 3696 2): `1.2.3.4.5` is no name.
        let top_level_named = host.rsplit('.').next().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
        if !is_host_name(host) || !top_level_named {
            return None;
        }
        psl::domain_str(host).map(|domain| LookupTarget::Domain(domain.to_owned()))
    }
}

/// Letters, digits, `-` and `_` in labels of 1 to 63 octets, at least two
/// labels, 253 octets at most.
fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The distinct registered domains and IPv4 literals of the URLs and bare
/// domains in the message's text and HTML parts (decoded, attachments
/// included when they are text), in order of first appearance, at most `max`.
pub fn lookup_targets(facts: &MessageFacts<'_>, max: usize) -> Vec<LookupTarget> {
    targets_of(facts, max, true)
}

/// [`lookup_targets`] of the URLs only, without the bare domains (which are
/// also the domains of every address written in the text).
pub fn url_targets(facts: &MessageFacts<'_>, max: usize) -> Vec<LookupTarget> {
    targets_of(facts, max, false)
}

fn targets_of(facts: &MessageFacts<'_>, max: usize, bare: bool) -> Vec<LookupTarget> {
    let mut targets: Vec<LookupTarget> = Vec::new();
    let mut add = |target: LookupTarget| {
        if targets.len() < max && !targets.contains(&target) {
            targets.push(target);
        }
    };
    for entity in facts.mime_entities(ENTITIES_MAX) {
        let text: &str = match &entity.part.body {
            PartType::Text(text) | PartType::Html(text) => text.as_ref(),
            _ => continue,
        };
        let mut seen = 0;
        scan_urls(text, |_, host| {
            if let Some(target) = LookupTarget::of_host(&host) {
                add(target);
            }
            // A part of endless repeated URLs is not read to its end.
            seen += 1;
            seen < max * 8
        });
        if !bare {
            continue;
        }
        for domain in bare_domains(&text[..floor_char_boundary(text, BARE_SCAN_MAX)]) {
            add(LookupTarget::Domain(domain));
        }
    }
    targets
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at).rev().find(|&index| text.is_char_boundary(index)).unwrap_or(0)
}

/// The registered domains of the names written without a scheme (`see
/// example.com`, `bob@example.org`): runs of letters, digits, `-` and `.` with a
/// suffix the Public Suffix List knows, so `e.g.` or `file.txt` are not taken.
fn bare_domains(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|token| token.trim_matches(['.', '-']))
        .filter(|token| token.len() >= 4 && token.contains('.') && is_host_name(token))
        .filter(|token| token.rsplit('.').next().is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())))
        .filter_map(|token| {
            let lower = token.to_ascii_lowercase();
            let known = psl::suffix(lower.as_bytes()).is_some_and(|suffix| suffix.is_known());
            if !known {
                return None;
            }
            psl::domain_str(&lower).map(str::to_owned)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Envelope;

    fn targets(raw: &str) -> Vec<String> {
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        lookup_targets(&facts, 32).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn urls_hrefs_bare_domains_and_addresses_become_registered_domains() {
        let raw = "From: a@example.org\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/plain\r\n\r\nGo to https://www.Mail.Example.CO.UK/login?x=1 or see shop.example.com,\r\n\
            mail bob@evil.example.net, e.g. file.txt, or http://192.0.2.7:8080/x.\r\n--b\r\n\
            Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n\
            PGEgaHJlZj0iaHR0cDovL3BoaXNoLmV4YW1wbGUudGVzdC9hIj5jbGljazwvYT4=\r\n--b--\r\n";
        assert_eq!(
            targets(raw),
            ["example.co.uk", "192.0.2.7", "example.com", "example.net", "example.test"],
            "the URLs of a part first, then its bare domains; the HTML part decoded"
        );
    }

    #[test]
    fn targets_are_distinct_and_bounded() {
        let mut body = String::from("From: a@example.org\r\n\r\n");
        for n in 0..100 {
            body.push_str(&format!("http://host{n}.example{n}.com/ http://www.example{n}.com/\r\n"));
        }
        let found = targets(&body);
        assert_eq!(found.len(), 32);
        assert_eq!(found[..2], ["example0.com", "example1.com"]);
    }

    #[test]
    fn urls_and_their_hosts_are_collected() {
        let mut urls = Vec::new();
        collect_urls("see http://user@Host.Example:80/p?q, and www.other.example.", &mut urls, 100);
        assert_eq!(urls, ["http://user@Host.Example:80/p?q", "host.example", "www.other.example", "www.other.example"]);
    }

    #[test]
    fn hostile_text_never_panics() {
        let long = format!("{}é.example.com", "a".repeat(BARE_SCAN_MAX - 1));
        for body in ["http://", "http://é/", "www.", "http://[::1]/", "http://1.2.3.4.5/", "a..b.com", ".com", "-.-.com", "http://x@/", &long] {
            let raw = format!("From: a@example.org\r\n\r\n{body}\r\n");
            let _ = targets(&raw);
        }
        assert_eq!(floor_char_boundary("aé", 2), 1);
        assert_eq!(targets("From: a@example.org\r\n\r\nhttp://[::1]/ http://1.2.3.4.5/\r\n"), Vec::<String>::new());
    }
}
