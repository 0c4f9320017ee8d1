//! Pattern `link-text`: a link whose visible text is a URL or a domain name other
//! than where the link goes (`<a href="https://evil.example/">www.bank.example</a>`).
//!
//! Compared by registrable domain, so `www.bank.example` shown for
//! `https://login.bank.example/` is fine. Only `http`/`https` hrefs count (a
//! `mailto:` shown as a domain is not a trick), and only text that is nothing
//! but a URL or a domain (not "Visit bank.example today").
//!
//! Ham that trips it: newsletters whose every link goes through a click-tracking
//! domain while the text shows the real site (see `docs/phishing.md`); hence a
//! shown domain must differ from the href's and from the sender's own domain,
//! since a tracker of the sender's own domain (or one the sender names in the text
//! of its own links) is the sender vouching for itself.

use sluice_model::{Finding, MainClass, Subclass};

use super::Content;
use super::domains::{registrable, shown_host, url_host, within};

pub const NAME: &str = "phishing/link-text";

pub fn check(content: &Content<'_>) -> Option<Finding> {
    let from_domain = content.from_address.rsplit_once('@').map(|(_, domain)| registrable(domain).to_owned());
    for link in &content.links {
        let Some(target) = url_host(&link.href) else { continue };
        let Some(shown) = shown_host(&link.text) else { continue };
        let (shown_domain, target_domain) = (registrable(&shown), registrable(&target));
        if shown_domain == target_domain || within(&target, shown_domain) {
            continue;
        }
        // A redirector that carries the shown site as its destination
        // (`?destUrl=http%3A%2F%2Fwww.buy.com...`): the link goes where it says.
        if carries_destination(&link.href, shown_domain) {
            continue;
        }
        // The sender's own redirector showing the sender's own site.
        if from_domain.as_deref().is_some_and(|from| from == target_domain || from == shown_domain) {
            continue;
        }
        return Some(Finding::new(
            NAME,
            MainClass::Phish,
            Subclass::Pattern,
            format!("link-text: shows {shown}, goes to {target}"),
        ));
    }
    None
}

/// Whether the query or path of `href`, percent-decoded, holds a URL whose host
/// is `domain` or under it (a redirector's destination). A domain merely written
/// in the path (`https://evil.example/bank.example/login`) does not count: that
/// is the trick itself.
fn carries_destination(href: &str, domain: &str) -> bool {
    let Some(start) = href.find("://").map(|at| at + 3) else { return false };
    let Some(rest) = href[start..].find(['/', '?']).map(|at| &href[start + at..]) else { return false };
    let decoded = super::decode_percent(rest).to_ascii_lowercase();
    decoded
        .match_indices("://")
        .take(20)
        .filter_map(|(at, _)| url_host(&format!("http{}", &decoded[at..])))
        .any(|host| within(&host, domain))
}
