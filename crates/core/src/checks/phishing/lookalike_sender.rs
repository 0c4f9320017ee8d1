//! Pattern `lookalike-sender`: a From that imitates a domain the recipient
//! trusts — the recipient's own domain or one of `[phishing] protected_domains`:
//! - the address's domain is a look-alike of it (IDN homograph or confusable
//!   characters, edit distance 1 for names of 5 characters or more, hyphens added
//!   or removed, and for configured domains the same name under another TLD: a
//!   recipient's organisation often owns its name under several TLDs);
//! - or the display name shows the protected domain (or a look-alike) while the
//!   address is elsewhere (`"example.test Support" <help@evil.example>`).
//!
//! A protected domain and its subdomains never match (nor imitate another
//! protected domain): whether such a From is
//! forged is for SPF, DKIM and DMARC to say.

use sluice_model::{Finding, MainClass, Subclass};

use super::{Content, Protected};
use super::domains::{OTHER_TLD, imitation, registrable, shown_host, within};

pub const NAME: &str = "phishing/lookalike-sender";

pub fn check(content: &Content<'_>) -> Option<Finding> {
    let (_, from_domain) = content.from_address.rsplit_once('@')?;
    let from_domain = from_domain.trim_end_matches('.');
    let from_registrable = registrable(from_domain);
    // Mail from one of the protected domains themselves imitates none of the others.
    if content.protected.iter().any(|(genuine, _)| within(from_domain, registrable(genuine))) {
        return None;
    }
    for (genuine, why) in &content.protected {
        let genuine_registrable = registrable(genuine);
        let counts = |how: &str| *why == Protected::Configured || how != OTHER_TLD;
        if let Some(how) = imitation(from_registrable, genuine_registrable).filter(|how| counts(how)) {
            return Some(found(format!("lookalike-sender: {from_domain} imitates {genuine_registrable} ({how})")));
        }
        for word in content.from_name.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '<' || c == '>' || c == '(' || c == ')') {
            let Some(shown) = shown_host(word) else { continue };
            let shown_registrable = registrable(&shown);
            let imitates = imitation(shown_registrable, genuine_registrable).is_some_and(&counts);
            if shown_registrable == genuine_registrable || imitates {
                return Some(found(format!(
                    "lookalike-sender: display name shows {shown}, address is at {from_domain}"
                )));
            }
        }
    }
    None
}

fn found(evidence: String) -> Finding {
    Finding::new(NAME, MainClass::Phish, Subclass::Pattern, evidence)
}
