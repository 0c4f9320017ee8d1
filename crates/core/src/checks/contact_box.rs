//! `spam` / `contact-box` and `contact-box-internal`: a contact address of the
//! message (its `Reply-To:` or an address in its text, see
//! `crate::fingerprints::contacts`) was a contact address of reported spam in the
//! retention. `contact-box-internal` when that address is in one of our own
//! domains (a mailbox of ours collecting the answers to spam: compromised, or a
//! drop box someone set up). Extra: the address.

use sluice_model::{Finding, MainClass, Subclass};

use crate::envelope::domain_of;
use crate::fingerprints::FingerprintMatches;

pub const NAME: &str = "contact-addresses";

/// A finding for the first contact address seen in reported spam; `our_domains`
/// are the domains this gateway filters for (lower case).
pub fn check(matches: &FingerprintMatches, our_domains: &[String], findings: &mut Vec<Finding>) {
    let Some(address) = matches.contacts.first() else { return };
    let domain = domain_of(address);
    let internal = our_domains.iter().any(|ours| domain == *ours || domain.strip_suffix(ours.as_str()).is_some_and(|sub| sub.ends_with('.')));
    let sub = if internal { Subclass::ContactBoxInternal } else { Subclass::ContactBox };
    findings.push(Finding::new(NAME, MainClass::Spam, sub, address.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(address: &str) -> Option<String> {
        let mut findings = Vec::new();
        let matches = FingerprintMatches { contacts: vec![address.to_owned()], ..FingerprintMatches::default() };
        check(&matches, &["example.net".to_owned()], &mut findings);
        findings.first().map(|finding| format!("{}={}", finding.sub, finding.extra))
    }

    #[test]
    fn ours_are_internal() {
        assert_eq!(found("payout@claims.example").as_deref(), Some("contact-box=payout@claims.example"));
        assert_eq!(found("drop@example.net").as_deref(), Some("contact-box-internal=drop@example.net"));
        assert_eq!(found("drop@mail.example.net").as_deref(), Some("contact-box-internal=drop@mail.example.net"));
        assert_eq!(found("drop@badexample.net").as_deref(), Some("contact-box=drop@badexample.net"));
        let mut findings = Vec::new();
        check(&FingerprintMatches::default(), &[], &mut findings);
        assert!(findings.is_empty());
    }
}
