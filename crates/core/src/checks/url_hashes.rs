//! URL hash lists in the style of Safe Browsing v4's local database: the URLs of a
//! message are canonicalised, expanded into host-suffix/path-prefix expressions,
//! hashed with SHA-256, and looked up in the lists (first by the 4-byte prefix, a
//! small set that answers "no" for almost every URL, then by the full hash).
//!
//! - a full-hash match on the `phishing` list → `phish` / `pattern-remote`;
//! - on the `malware` list → `virus` / `pattern-set1-remote`;
//!   extra = the URL's matching expression.
//!
//! Canonicalisation and expressions follow Google's "URLs and Hashing" document
//! (developers.google.com/safe-browsing/v4/urls-hashing); its examples are the
//! test vectors below. Lists are loaded with `sluice urllist import` (stored, so
//! every node of a cluster has them) and compiled here. Settings: none (an empty
//! list matches nothing).

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};
use sluice_model::{Finding, MainClass, Subclass};

use crate::classify::Judge;
use crate::message::MessageFacts;

pub const NAME: &str = "url-hashes";

/// Most URLs of one message that are looked up.
pub const MAX_URLS: usize = 200;
/// URLs longer than this are cut (a hostile message can write megabytes of one).
const MAX_URL_LENGTH: usize = 4096;
/// Times a URL is percent-unescaped at most ("until no more", but bounded).
const MAX_UNESCAPES: usize = 16;

/// Which list a hash is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UrlList {
    Phishing,
    Malware,
}

impl UrlList {
    pub const ALL: [UrlList; 2] = [UrlList::Phishing, UrlList::Malware];

    /// The name used on the command line and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlList::Phishing => "phishing",
            UrlList::Malware => "malware",
        }
    }

    pub fn parse(name: &str) -> Option<UrlList> {
        UrlList::ALL.into_iter().find(|list| list.as_str() == name)
    }

    fn classes(self) -> (MainClass, Subclass) {
        match self {
            UrlList::Phishing => (MainClass::Phish, Subclass::PatternRemote),
            UrlList::Malware => (MainClass::Virus, Subclass::PatternSet1Remote),
        }
    }
}

/// The lists, compiled for lookups.
#[derive(Clone, Debug, Default)]
pub struct UrlHashLists {
    prefixes: HashSet<[u8; 4]>,
    full: HashMap<[u8; 32], UrlList>,
}

impl UrlHashLists {
    /// Compiles `(list, full hash)` pairs.
    pub fn new(entries: impl IntoIterator<Item = (UrlList, [u8; 32])>) -> UrlHashLists {
        let mut lists = UrlHashLists::default();
        for (list, hash) in entries {
            lists.prefixes.insert([hash[0], hash[1], hash[2], hash[3]]);
            // A hash on both lists counts as malware (its class goes first).
            let slot = lists.full.entry(hash).or_insert(list);
            if list == UrlList::Malware {
                *slot = list;
            }
        }
        lists
    }

    pub fn is_empty(&self) -> bool {
        self.full.is_empty()
    }

    pub fn len(&self) -> usize {
        self.full.len()
    }

    /// The list and expression of the first expression of `url` on a list.
    pub fn lookup(&self, url: &str) -> Option<(UrlList, String)> {
        let canonical = canonicalize(url.as_bytes())?;
        for expression in expressions(&canonical) {
            let hash = hash(&expression);
            if !self.prefixes.contains(&[hash[0], hash[1], hash[2], hash[3]]) {
                continue;
            }
            if let Some(&list) = self.full.get(&hash) {
                return Some((list, expression));
            }
        }
        None
    }
}

/// SHA-256 of an expression.
pub fn hash(expression: &str) -> [u8; 32] {
    Sha256::digest(expression.as_bytes()).into()
}

/// A line of a list file: 64 hex digits (a full hash), or a URL or expression
/// (`evil.example/`, `http://evil.example/login`), hashed as its canonical
/// host and path. `None` for blank lines and `#` comments; `Err` for a line that
/// is neither.
pub fn parse_list_line(line: &str) -> Option<Result<[u8; 32], String>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    if line.len() == 64 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut hash = [0u8; 32];
        for (index, byte) in hash.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&line[index * 2..index * 2 + 2], 16).unwrap_or_default();
        }
        return Some(Ok(hash));
    }
    if line.len() < 64 && line.len() >= 8 && line.bytes().all(|b| b.is_ascii_hexdigit()) && !line.contains('.') {
        return Some(Err(format!(
            "{line:?} is a hash prefix: the list needs full SHA-256 hashes (64 hex digits), since the full-hash lookup of a feed cannot be made from here"
        )));
    }
    Some(match canonicalize(line.as_bytes()) {
        Some(canonical) => {
            let expression = canonical.split_once("://").map_or(canonical.as_str(), |(_, rest)| rest);
            Ok(hash(expression))
        }
        None => Err(format!("neither a SHA-256 hash (64 hex digits) nor a URL: {line:?}")),
    })
}

/// The judge that looks a message's URLs up.
pub struct UrlHashJudge<'a> {
    pub lists: &'a UrlHashLists,
}

impl Judge for UrlHashJudge<'_> {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        if self.lists.is_empty() {
            return;
        }
        for url in message_urls(facts) {
            if let Some((list, expression)) = self.lists.lookup(&url) {
                let (main, sub) = list.classes();
                findings.push(Finding::new(NAME, main, sub, format!("{} list: {expression}", list.as_str())));
                return;
            }
        }
    }
}

/// The URLs of the text and HTML parts: `http(s)://` and `www.` in text (the
/// message's URLs, found once), `href` and `action` values of HTML (the one HTML
/// rendering of the message), bounded.
pub(crate) fn message_urls(facts: &MessageFacts<'_>) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    for rendered in facts.html_parts() {
        let anchors = rendered.facts.anchors.iter().map(|anchor| &anchor.href);
        let actions = rendered.facts.forms.iter().map(|form| &form.action);
        urls.extend(anchors.chain(actions).filter(|url| is_web_url(url)).take(MAX_URLS).cloned());
    }
    'parts: for part in facts.url_parts() {
        for (url, _) in part.urls() {
            if urls.len() >= MAX_URLS * 2 {
                break 'parts;
            }
            urls.push(url.to_owned());
        }
    }
    urls.sort();
    urls.dedup();
    urls.truncate(MAX_URLS);
    urls
}

fn is_web_url(url: &str) -> bool {
    let lower: String = url.trim().chars().take(8).collect::<String>().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("www.")
}

/// The canonical form of a URL (scheme, host, path and query), or `None` when
/// it has no host.
pub fn canonicalize(url: &[u8]) -> Option<String> {
    let url = &url[..url.len().min(MAX_URL_LENGTH)];
    // Tab, CR and LF removed; leading and trailing spaces trimmed.
    let cleaned: Vec<u8> = url.iter().copied().filter(|b| !matches!(b, b'\t' | b'\r' | b'\n')).collect();
    let cleaned = trim_spaces(&cleaned);
    // The fragment goes.
    let cleaned = &cleaned[..cleaned.iter().position(|&b| b == b'#').unwrap_or(cleaned.len())];
    // Scheme: http when there is none.
    let (scheme, rest) = match find(cleaned, b"://") {
        Some(at) if at > 0 && cleaned[..at].iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) => {
            (String::from_utf8_lossy(&cleaned[..at]).to_ascii_lowercase(), &cleaned[at + 3..])
        }
        _ => ("http".to_owned(), cleaned),
    };
    let authority_end = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    let host = unescape_fully(authority);
    let host = match host.iter().rposition(|&b| b == b'@') {
        Some(at) => host[at + 1..].to_vec(),
        None => host,
    };
    // The port goes.
    let host = match host.iter().rposition(|&b| b == b':') {
        Some(at) if host[at + 1..].iter().all(u8::is_ascii_digit) => host[..at].to_vec(),
        _ => host,
    };
    let host = canonical_host(&host)?;
    let (path, query) = match path_and_query.iter().position(|&b| b == b'?') {
        Some(at) => (&path_and_query[..at], Some(&path_and_query[at + 1..])),
        None => (path_and_query, None),
    };
    let path = canonical_path(&unescape_fully(path));
    let mut out = format!("{scheme}://{}{}", escape(&host), escape(&path));
    if let Some(query) = query {
        out.push('?');
        out.push_str(&escape(&unescape_fully(query)));
    }
    Some(out)
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| b != b' ').map_or(start, |end| end + 1);
    &bytes[start..end.max(start)]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Percent-unescapes until nothing changes (bounded).
fn unescape_fully(bytes: &[u8]) -> Vec<u8> {
    let mut current = bytes.to_vec();
    for _ in 0..MAX_UNESCAPES {
        let next = unescape_once(&current);
        if next == current {
            break;
        }
        current = next;
    }
    current
}

fn unescape_once(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(high), Some(low)) = (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                out.push((high * 16 + low) as u8);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    out
}

/// Lower case, dots collapsed and trimmed, IP addresses in dotted decimal.
fn canonical_host(host: &[u8]) -> Option<Vec<u8>> {
    let mut collapsed = Vec::with_capacity(host.len());
    for &byte in host {
        if byte == b'.' && collapsed.last() == Some(&b'.') {
            continue;
        }
        collapsed.push(byte.to_ascii_lowercase());
    }
    let start = collapsed.iter().position(|&b| b != b'.').unwrap_or(collapsed.len());
    let end = collapsed.iter().rposition(|&b| b != b'.').map_or(start, |end| end + 1);
    let host = collapsed[start..end.max(start)].to_vec();
    if host.is_empty() {
        return None;
    }
    Some(match ipv4(&host) {
        Some(address) => address.to_string().into_bytes(),
        None => host,
    })
}

/// An IPv4 address as browsers read a host: 1 to 4 parts, each decimal, octal
/// (leading 0) or hexadecimal (0x), the last part filling the remaining bytes.
fn ipv4(host: &[u8]) -> Option<std::net::Ipv4Addr> {
    let text = std::str::from_utf8(host).ok()?;
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let numbers: Vec<u64> = parts.iter().map(|part| parse_number(part)).collect::<Option<_>>()?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|&part| part > 255) || *last >= 1u64 << (8 * (5 - numbers.len())) {
        return None;
    }
    let mut value: u64 = 0;
    for (index, part) in leading.iter().enumerate() {
        value |= part << (8 * (3 - index));
    }
    value |= last;
    Some(std::net::Ipv4Addr::from(u32::try_from(value).ok()?))
}

fn parse_number(part: &str) -> Option<u64> {
    if part.is_empty() || part.len() > 12 {
        return None;
    }
    if let Some(hex) = part.strip_prefix("0x") {
        return if hex.is_empty() { Some(0) } else { u64::from_str_radix(hex, 16).ok() };
    }
    if part.len() > 1 && part.starts_with('0') {
        return u64::from_str_radix(&part[1..], 8).ok();
    }
    part.parse().ok()
}

/// `/./` and `/../` resolved, runs of slashes made one; an empty path is `/`.
fn canonical_path(path: &[u8]) -> Vec<u8> {
    let trailing_slash = path.ends_with(b"/") || path.ends_with(b"/.") || path.ends_with(b"/..");
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = vec![b'/'];
    for (index, segment) in segments.iter().enumerate() {
        if index > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(segment);
    }
    if trailing_slash && !segments.is_empty() {
        out.push(b'/');
    }
    out
}

/// Percent-escapes bytes <= 32, >= 127, `#` and `%` (upper-case hex).
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte <= 32 || byte >= 127 || byte == b'#' || byte == b'%' {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push(byte as char);
        }
    }
    out
}

/// The host-suffix/path-prefix expressions of a canonical URL (without its
/// scheme), at most 5 hosts × 6 paths: the exact host and up to 4 suffixes
/// built from the last 5 components (never the TLD alone, none for an IP
/// address); the exact path with and without the query and up to 4 prefixes.
pub fn expressions(canonical: &str) -> Vec<String> {
    let rest = canonical.split_once("://").map_or(canonical, |(_, rest)| rest);
    let (host, path_and_query) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path_and_query = if path_and_query.is_empty() { "/" } else { path_and_query };
    let mut hosts = vec![host.to_owned()];
    if ipv4(host.as_bytes()).is_none() {
        let components: Vec<&str> = host.split('.').collect();
        let start = components.len().saturating_sub(5);
        for first in start..components.len().saturating_sub(1) {
            let suffix = components[first..].join(".");
            if suffix != host && !hosts.contains(&suffix) {
                hosts.push(suffix);
            }
            if hosts.len() == 5 {
                break;
            }
        }
        // The exact host plus at most 4 others: the shortest suffixes win when
        // the host has more than 5 components.
        if hosts.len() > 5 {
            hosts.truncate(5);
        }
    }
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut paths: Vec<String> = Vec::new();
    if query.is_some() {
        paths.push(path_and_query.to_owned());
    }
    paths.push(path.to_owned());
    let mut prefix = String::from("/");
    let components: Vec<&str> = path.split('/').filter(|component| !component.is_empty()).collect();
    let mut prefixes = vec![prefix.clone()];
    for component in components.iter().take(components.len().saturating_sub(1)).take(3) {
        prefix.push_str(component);
        prefix.push('/');
        prefixes.push(prefix.clone());
    }
    for candidate in prefixes {
        if !paths.contains(&candidate) {
            paths.push(candidate);
        }
    }
    let mut out = Vec::with_capacity(hosts.len() * paths.len());
    for host in &hosts {
        for path in &paths {
            out.push(format!("{host}{path}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonicalisation examples of Google's "URLs and Hashing" document.
    #[test]
    fn canonicalisation_follows_the_safe_browsing_examples() {
        let vectors: &[(&[u8], &str)] = &[
            (b"http://host/%25%32%35", "http://host/%25"),
            (b"http://host/%25%32%35%25%32%35", "http://host/%25%25"),
            (b"http://host/%2525252525252525", "http://host/%25"),
            (b"http://host/asdf%25%32%35asd", "http://host/asdf%25asd"),
            (b"http://host/%%%25%32%35asd%%", "http://host/%25%25%25asd%25%25"),
            (b"http://www.google.com/", "http://www.google.com/"),
            (
                b"http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/",
                "http://168.188.99.26/.secure/www.ebay.com/",
            ),
            (
                b"http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/",
                "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/",
            ),
            (
                b"http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B",
                "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+",
            ),
            (b"http://3279880203/blah", "http://195.127.0.11/blah"),
            (b"http://www.google.com/blah/..", "http://www.google.com/"),
            (b"www.google.com/", "http://www.google.com/"),
            (b"www.google.com", "http://www.google.com/"),
            (b"http://www.evil.com/blah#frag", "http://www.evil.com/blah"),
            (b"http://www.GOOgle.com/", "http://www.google.com/"),
            (b"http://www.google.com.../", "http://www.google.com/"),
            (b"http://www.google.com/foo\tbar\rbaz\n2", "http://www.google.com/foobarbaz2"),
            (b"http://www.google.com/q?", "http://www.google.com/q?"),
            (b"http://www.google.com/q?r?", "http://www.google.com/q?r?"),
            (b"http://www.google.com/q?r?s", "http://www.google.com/q?r?s"),
            (b"http://evil.com/foo#bar#baz", "http://evil.com/foo"),
            (b"http://evil.com/foo;", "http://evil.com/foo;"),
            (b"http://evil.com/foo?bar;", "http://evil.com/foo?bar;"),
            (b"http://\x01\x80.com/", "http://%01%80.com/"),
            (b"http://notrailingslash.com", "http://notrailingslash.com/"),
            (b"http://www.gotaport.com:1234/", "http://www.gotaport.com/"),
            (b"  http://www.google.com/  ", "http://www.google.com/"),
            (b"http:// leadingspace.com/", "http://%20leadingspace.com/"),
            (b"http://%20leadingspace.com/", "http://%20leadingspace.com/"),
            (b"%20leadingspace.com/", "http://%20leadingspace.com/"),
            (b"https://www.securesite.com/", "https://www.securesite.com/"),
            (b"http://host.com/ab%23cd", "http://host.com/ab%23cd"),
            (b"http://host.com//twoslashes?more//slashes", "http://host.com/twoslashes?more//slashes"),
        ];
        for (input, expected) in vectors {
            assert_eq!(canonicalize(input).as_deref(), Some(*expected), "{}", String::from_utf8_lossy(input));
        }
    }

    /// The suffix/prefix examples of the same document.
    #[test]
    fn expressions_follow_the_safe_browsing_examples() {
        let mut found = expressions("http://a.b.c/1/2.html?param=1");
        found.sort();
        let mut expected = vec![
            "a.b.c/1/2.html?param=1", "a.b.c/1/2.html", "a.b.c/", "a.b.c/1/", "b.c/1/2.html?param=1", "b.c/1/2.html",
            "b.c/", "b.c/1/",
        ];
        expected.sort();
        assert_eq!(found, expected);
        let mut found = expressions("http://a.b.c.d.e.f.g/1.html");
        found.sort();
        let mut expected = vec![
            "a.b.c.d.e.f.g/1.html", "a.b.c.d.e.f.g/", "c.d.e.f.g/1.html", "c.d.e.f.g/", "d.e.f.g/1.html", "d.e.f.g/",
            "e.f.g/1.html", "e.f.g/", "f.g/1.html", "f.g/",
        ];
        expected.sort();
        assert_eq!(found, expected);
        let mut found = expressions("http://1.2.3.4/1/");
        found.sort();
        assert_eq!(found, ["1.2.3.4/", "1.2.3.4/1/"]);
    }

    #[test]
    fn a_listed_expression_is_found_by_prefix_then_full_hash() {
        let lists = UrlHashLists::new([
            (UrlList::Phishing, hash("login.evil.example/")),
            (UrlList::Malware, hash("files.example/dl/payload.exe")),
        ]);
        assert_eq!(
            lists.lookup("HTTP://Login.Evil.Example:8080/a/b?c=d#e"),
            Some((UrlList::Phishing, "login.evil.example/".to_owned()))
        );
        assert_eq!(
            lists.lookup("http://cdn.files.example/dl/payload.exe"),
            Some((UrlList::Malware, "files.example/dl/payload.exe".to_owned()))
        );
        assert_eq!(lists.lookup("http://files.example/dl/other.exe"), None);
        assert_eq!(lists.lookup("http://evil.example/"), None, "a parent domain is not listed by its child");
        assert_eq!(lists.len(), 2);
    }

    #[test]
    fn list_lines_are_hashes_or_urls() {
        let hex = "a".repeat(64);
        assert_eq!(parse_list_line(&hex), Some(Ok([0xaa; 32])));
        assert_eq!(parse_list_line("evil.example/"), Some(Ok(hash("evil.example/"))));
        assert_eq!(parse_list_line("http://Evil.Example/login?x"), Some(Ok(hash("evil.example/login?x"))));
        assert_eq!(parse_list_line("  # comment"), None);
        assert_eq!(parse_list_line(""), None);
        assert!(matches!(parse_list_line("http:///"), Some(Err(_))));
        assert!(matches!(parse_list_line("deadbeef"), Some(Err(why)) if why.contains("prefix")));
    }

    #[test]
    fn hostile_urls_never_panic() {
        for url in [&b"%"[..], b"%%", b"%4", b"http://", b"://", b"http://[::1]:80/", b"http://0x/", b"http://1.2.3.4.5/", b"\xff\xfe"] {
            let _ = canonicalize(url);
        }
        let long = vec![b'a'; 100_000];
        assert!(canonicalize(&long).is_some_and(|url| url.len() < 10_000));
    }
}
