//! Domains as the phishing patterns compare them: the host of a URL, the
//! registrable domain (Public Suffix List), and whether one domain imitates
//! another.

/// The host of an absolute `http`/`https` URL (or of `www.` written without a
/// scheme), lower case, without user info, port or trailing dot; `None` for
/// anything else (relative links, `mailto:`, ...).
pub fn url_host(url: &str) -> Option<String> {
    let url = url.trim();
    let lower_start: String = url.chars().take(8).collect::<String>().to_ascii_lowercase();
    let rest = if lower_start.starts_with("https://") {
        &url[8..]
    } else if lower_start.starts_with("http://") {
        &url[7..]
    } else if lower_start.starts_with("www.") {
        url
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map(|host| host.trim_start_matches('['))?
    } else {
        host_port.split(':').next()?
    };
    let host = host.trim_end_matches('.').to_lowercase();
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some(host)
}

/// Whether `host` is an IP address literal (v4 dotted, v6, or the decimal and
/// hexadecimal forms browsers accept for v4).
pub fn is_ip(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let all_digits = !host.is_empty() && host.bytes().all(|b| b.is_ascii_digit());
    let hex = host.strip_prefix("0x").is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit()));
    all_digits && host.len() >= 8 || hex
}

/// The registrable domain of `host` (`mail.bank.co.uk` → `bank.co.uk`); the host
/// itself when the Public Suffix List has no answer (an IP, a bare name).
pub fn registrable(host: &str) -> &str {
    psl::domain_str(host).unwrap_or(host)
}

/// A domain written as text: `www.bank.example`, `https://bank.example/login`,
/// `bank.example` — the host when `text` is nothing but a URL or a domain name.
pub fn shown_host(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches(['.', ',', ';', ':', '!', ')']);
    if text.is_empty() || text.contains(char::is_whitespace) || text.contains('@') {
        return None;
    }
    if let Some(host) = url_host(text) {
        return looks_like_domain(&host).then_some(host);
    }
    let host = text.split(['/', '?', '#']).next().unwrap_or_default().to_lowercase();
    looks_like_domain(&host).then_some(host)
}

/// A dotted name of letters, digits and hyphens under a public suffix the Public
/// Suffix List knows (so `invoice.pdf` is a file name, not a domain), or under
/// one of the TLDs reserved for tests and examples (RFC 2606, RFC 6761).
fn looks_like_domain(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let reserved = ["test", "example", "invalid", "localhost"];
    labels.len() >= 2
        && labels.iter().all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
        && (psl::suffix(host.as_bytes()).is_some_and(|suffix| suffix.is_known())
            || labels.last().is_some_and(|tld| reserved.contains(tld)))
}

/// Whether `host` is `domain` or one of its subdomains.
pub fn within(host: &str, domain: &str) -> bool {
    host == domain || host.strip_suffix(domain).is_some_and(|prefix| prefix.ends_with('.'))
}

/// The evidence of an imitation by the same name under another TLD.
pub const OTHER_TLD: &str = "same name, other TLD";

/// How `candidate` imitates `genuine` (both registrable domains, lower case),
/// or `None` when it does not (or is the same domain).
pub fn imitation(candidate: &str, genuine: &str) -> Option<&'static str> {
    if candidate == genuine {
        return None;
    }
    let unicode = to_unicode(candidate);
    let (name, suffix) = split_suffix(&unicode);
    let (genuine_name, genuine_suffix) = split_suffix(genuine);
    if name.is_empty() || genuine_name.is_empty() {
        return None;
    }
    if name == genuine_name && suffix != genuine_suffix {
        return Some(OTHER_TLD);
    }
    let skeleton = skeleton(name);
    let genuine_skeleton = skeleton_of(genuine_name);
    if skeleton == genuine_skeleton {
        return Some(if unicode.is_ascii() { "look-alike characters" } else { "homograph (IDN)" });
    }
    if skeleton.replace('-', "") == genuine_skeleton.replace('-', "") {
        return Some("hyphens added or removed");
    }
    // Short names are one typo away from too many real ones.
    if genuine_name.chars().count() >= 5 && edit_distance_is_one(&skeleton, &genuine_skeleton) {
        return Some("one character different");
    }
    None
}

/// `xn--` labels decoded; other names as they are.
fn to_unicode(domain: &str) -> String {
    if !domain.contains("xn--") {
        return domain.to_owned();
    }
    let (unicode, result) = idna::domain_to_unicode(domain);
    if result.is_ok() { unicode } else { domain.to_owned() }
}

/// The name in front of the public suffix and the suffix (`bank`, `co.uk`).
fn split_suffix(domain: &str) -> (&str, &str) {
    let suffix = psl::suffix_str(domain).unwrap_or_else(|| domain.rsplit('.').next().unwrap_or(domain));
    match domain.strip_suffix(suffix).and_then(|name| name.strip_suffix('.')) {
        Some(name) => (name.rsplit('.').next().unwrap_or(name), suffix),
        None => (domain, ""),
    }
}

fn skeleton_of(name: &str) -> String {
    skeleton(name)
}

/// The name with look-alike characters folded to the Latin letter they imitate
/// (a hand-picked subset of Unicode's confusables, UTS #39: Cyrillic, Greek and
/// accented Latin letters seen in homograph attacks, digits for letters, and
/// `rn`/`vv` for `m`/`w`).
pub fn skeleton(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for character in name.chars() {
        let latin = match character {
            'а' | 'α' | 'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ɑ' | '@' => 'a',
            'Ь' | 'ь' | 'Ƅ' | 'ƅ' => 'b',
            'с' | 'ϲ' | 'ç' | 'ć' => 'c',
            'ԁ' | 'ɗ' => 'd',
            'е' | 'ё' | 'є' | 'ε' | 'è' | 'é' | 'ê' | 'ë' | 'ҽ' => 'e',
            'ɡ' | 'ց' => 'g',
            'һ' | 'հ' => 'h',
            'і' | 'ї' | 'ι' | 'ì' | 'í' | 'î' | 'ï' | 'ı' | '1' | '!' | '|' | 'l' | 'ӏ' | 'ℓ' => 'l',
            'ј' | 'ϳ' => 'j',
            'κ' | 'к' => 'k',
            'м' => 'm',
            'η' | 'п' | 'ո' | 'ñ' => 'n',
            'о' | 'ο' | 'σ' | 'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | '0' | 'օ' => 'o',
            'р' | 'ρ' | 'þ' => 'p',
            'ԛ' => 'q',
            'г' => 'r',
            'ѕ' | 'ş' | 'ś' | '5' | '$' => 's',
            'τ' | 'т' => 't',
            'υ' | 'ս' | 'ù' | 'ú' | 'û' | 'ü' | 'μ' => 'u',
            'ν' | 'ѵ' => 'v',
            'ѡ' | 'ω' | 'ԝ' => 'w',
            'х' | 'χ' => 'x',
            'у' | 'ү' | 'ý' | 'ÿ' => 'y',
            'ᴢ' | 'ż' | 'ź' => 'z',
            other => other,
        };
        folded.push(latin);
    }
    // `i` and `l` look alike in many fonts: both fold to `l` (above), and so
    // does a plain `i`; multi-letter look-alikes last.
    folded.replace('i', "l").replace("rn", "m").replace("vv", "w").replace("cl", "d")
}

/// Whether `a` and `b` differ by exactly one insertion, deletion or substitution.
fn edit_distance_is_one(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    match long.len() - short.len() {
        0 => short.iter().zip(long.iter()).filter(|(x, y)| x != y).count() == 1,
        1 => {
            let prefix = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
            short[prefix..] == long[prefix + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("HTTPS://User:pw@Login.Bank.Example.:443/x?y").as_deref(), Some("login.bank.example"));
        assert_eq!(url_host("www.bank.example/login").as_deref(), Some("www.bank.example"));
        assert_eq!(url_host("http://[2001:db8::1]/").as_deref(), Some("2001:db8::1"));
        assert_eq!(url_host("mailto:a@b.example"), None);
        assert_eq!(url_host("/relative"), None);
        assert!(is_ip("192.0.2.1") && is_ip("2001:db8::1") && is_ip("3221225985") && is_ip("0xc0000201"));
        assert!(!is_ip("bank.example") && !is_ip("2024"));
    }

    #[test]
    fn shown_hosts() {
        assert_eq!(shown_host(" www.Bank.example ").as_deref(), Some("www.bank.example"));
        assert_eq!(shown_host("https://bank.example/login").as_deref(), Some("bank.example"));
        assert_eq!(shown_host("bank.example/login.").as_deref(), Some("bank.example"));
        for not in ["click here", "v1.2", "a@b.example", "readme.txt2", "", "http://192.0.2.1/", "ver-processo-184782.pdf", "setup.exe"] {
            assert_eq!(shown_host(not), None, "{not:?}");
        }
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("mail.bank.co.uk"), "bank.co.uk");
        assert_eq!(registrable("a.b.example.test"), "example.test");
        assert!(within("login.bank.example", "bank.example") && within("bank.example", "bank.example"));
        assert!(!within("evilbank.example", "bank.example"));
    }

    #[test]
    fn imitations_of_a_domain() {
        let genuine = "paypal.com";
        let cyrillic_a = idna::domain_to_ascii("p\u{430}ypal.com").unwrap();
        assert!(cyrillic_a.starts_with("xn--"));
        for (candidate, how) in [
            ("paypal.net", "same name, other TLD"),
            (cyrillic_a.as_str(), "homograph (IDN)"),
            ("paypa1.com", "look-alike characters"),
            ("pay-pal.com", "hyphens added or removed"),
            ("paypall.com", "one character different"),
            ("paypai.com", "look-alike characters"),
        ] {
            assert_eq!(imitation(candidate, genuine), Some(how), "{candidate}");
        }
        for unrelated in ["paypal.com", "example.com", "pay.com", "paymentsplus.com"] {
            assert_eq!(imitation(unrelated, genuine), None, "{unrelated}");
        }
        assert_eq!(imitation("exarnple.test", "example.test"), Some("look-alike characters"));
        // Short names: a one-letter difference is another real domain.
        assert_eq!(imitation("ibm.com", "ibn.com"), None);
    }
}
