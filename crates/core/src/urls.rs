//! The URLs of a message, as a fact found once per message and read by every
//! check that looks at links: the filtering rules (`url` field) and heuristic
//! sets, the URL hash lists, the fingerprints and the URL block lists.
//!
//! [`MessageFacts::url_parts`] scans each text and HTML part's decoded text
//! once (`http://`, `https://` and `www.` URLs, so `href` targets in HTML
//! source are found too), keeping each URL's place, its host name and what a
//! block list is asked about it; [`lookup_targets`] adds each part's bare
//! domains (`example.com` written without a scheme, when the Public Suffix List
//! knows the suffix) and turns it all into the distinct names a URL block list
//! is asked about: each host's registered domain (the PSL, compiled into the
//! `psl` crate), or the address.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;

use aho_corasick::AhoCorasick;

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

/// The most URLs kept of one part: a part of endless URLs is not read to its end.
pub(crate) const PART_URLS_MAX: usize = 1000;
/// The most URLs kept of one message.
const MESSAGE_URLS_MAX: usize = 4000;

/// One URL of a part, as found in the part's decoded text.
#[derive(Debug)]
pub struct FoundUrl {
    /// Where the URL is written in the part's decoded text.
    span: Range<usize>,
    /// Its host name: lower case, without port, user or trailing dot (may be empty).
    pub host: String,
    /// What a URL block list is asked about it (none for a host that is no name).
    pub target: Option<LookupTarget>,
}

/// The URLs of one MIME entity, kept in [`MessageFacts`] once found.
#[derive(Debug)]
pub(crate) struct EntityUrls {
    /// The entity's index in [`MessageFacts::mime_entities`] order.
    entity: usize,
    urls: Vec<FoundUrl>,
}

/// The URLs of one text or HTML part, borrowed from the message's facts.
pub struct PartUrls<'f> {
    /// The part's decoded text (HTML as source), which the URLs point into.
    pub text: &'f str,
    pub found: &'f [FoundUrl],
}

impl<'f> PartUrls<'f> {
    /// Each URL as written, with what else was found about it, in order.
    pub fn urls(&self) -> impl Iterator<Item = (&'f str, &'f FoundUrl)> + 'f {
        let text = self.text;
        self.found.iter().map(move |found| (text.get(found.span.clone()).unwrap_or_default(), found))
    }
}

/// Finds the URLs of every text and HTML part of `facts` (attached messages'
/// and text attachments' included), at most [`PART_URLS_MAX`] per part and
/// [`MESSAGE_URLS_MAX`] in all: what [`MessageFacts::url_parts`] keeps.
pub(crate) fn find_in_message(facts: &MessageFacts<'_>) -> Vec<EntityUrls> {
    let mut parts = Vec::new();
    let mut total = 0;
    for (entity, text) in text_entities(facts) {
        if total >= MESSAGE_URLS_MAX {
            break;
        }
        let room = PART_URLS_MAX.min(MESSAGE_URLS_MAX - total);
        let mut urls = Vec::new();
        scan_urls(text, |url, host| {
            let start = url.as_ptr() as usize - text.as_ptr() as usize;
            let target = LookupTarget::of_host(&host);
            urls.push(FoundUrl { span: start..start + url.len(), host, target });
            urls.len() < room
        });
        total += urls.len();
        if !urls.is_empty() {
            parts.push(EntityUrls { entity, urls });
        }
    }
    parts
}

/// The decoded text of every text and HTML entity, with its entity index.
fn text_entities<'f>(facts: &'f MessageFacts<'_>) -> impl Iterator<Item = (usize, &'f str)> + 'f {
    facts.mime_entities(ENTITIES_MAX).into_iter().enumerate().filter_map(|(index, entity)| match &entity.part.body {
        mail_parser::PartType::Text(text) | mail_parser::PartType::Html(text) => Some((index, text.as_ref())),
        _ => None,
    })
}

/// Every text and HTML part with the URLs kept in the facts for it (none for
/// a part without URLs, whose text still holds bare domains).
pub(crate) fn parts_of<'f>(facts: &'f MessageFacts<'_>, found: &'f [EntityUrls]) -> Vec<PartUrls<'f>> {
    let mut found = found.iter().peekable();
    text_entities(facts)
        .map(|(index, text)| match found.next_if(|next| next.entity == index) {
            Some(part) => PartUrls { text, found: &part.urls },
            None => PartUrls { text, found: &[] },
        })
        .collect()
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
    let mut add = |target: &LookupTarget| {
        if targets.len() < max && !targets.contains(target) {
            targets.push(target.clone());
        }
    };
    for part in facts.url_parts() {
        // A part of endless repeated URLs is not read to its end.
        for found in part.found.iter().take(max * 8) {
            if let Some(target) = &found.target {
                add(target);
            }
        }
        if !bare {
            continue;
        }
        for domain in bare_domains(&part.text[..floor_char_boundary(part.text, BARE_SCAN_MAX)]) {
            add(&LookupTarget::Domain(domain));
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
    fn urls_and_their_hosts_are_found_once_per_part() {
        let raw = "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
            Content-Type: text/plain\r\n\r\nsee http://user@Host.Example:80/p?q, and www.other.example.\r\n--b\r\n\
            Content-Type: text/plain\r\n\r\nno links, only example.org\r\n--b--\r\n";
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        let parts = facts.url_parts();
        assert_eq!(parts.len(), 2, "every text part, with or without URLs");
        let found: Vec<(&str, &str)> = parts[0].urls().map(|(url, found)| (url, found.host.as_str())).collect();
        assert_eq!(found, [("http://user@Host.Example:80/p?q", "host.example"), ("www.other.example", "www.other.example")]);
        assert_eq!(parts[0].found[0].target, Some(LookupTarget::Domain("host.example".into())));
        assert!(parts[1].found.is_empty());
        assert!(std::ptr::eq(parts[0].found, facts.url_parts()[0].found), "found once, then read from the facts");
    }

    #[test]
    fn a_part_of_endless_urls_is_not_read_to_its_end() {
        let body: String = (0..PART_URLS_MAX + 10).map(|n| format!("http://h{n}.example/ ")).collect();
        let raw = format!("From: a@example.org\r\n\r\n{body}\r\n");
        let envelope = Envelope::default();
        let facts = MessageFacts::new(raw.as_bytes(), &envelope, 0);
        assert_eq!(facts.url_parts()[0].found.len(), PART_URLS_MAX);
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
