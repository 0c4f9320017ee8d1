//! `spam` / `match-set1`: the body of a message reported as spam, again (Pyzor's
//! idea). Another Subject, sender or recipient does not matter: the digest is of
//! the normalised body text only (`crate::fingerprints::text`). Extra: the
//! similarity, `1.0`. Settings: none; fed by reports (`Gateway::report`) and
//! un-learned by releases.

use sluice_model::{Finding, MainClass, Subclass};

use crate::fingerprints::FingerprintMatches;

pub const NAME: &str = "body-digest";

/// A finding when a body digest of the message is a reported spam's.
pub fn check(matches: &FingerprintMatches, findings: &mut Vec<Finding>) {
    if matches.body_digest {
        findings.push(Finding::new(NAME, MainClass::Spam, Subclass::MatchSet1, "1.0"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_match_is_match_set1_with_similarity_one() {
        let mut findings = Vec::new();
        check(&FingerprintMatches { body_digest: true, ..FingerprintMatches::default() }, &mut findings);
        assert_eq!((findings[0].sub, findings[0].extra.as_str()), (Subclass::MatchSet1, "1.0"));
        let mut findings = Vec::new();
        check(&FingerprintMatches::default(), &mut findings);
        assert!(findings.is_empty());
    }
}
