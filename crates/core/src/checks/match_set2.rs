//! `spam` / `match-set2`: a message much like one reported as spam (a few words
//! changed, another greeting, other links). The similarity is the estimated
//! Jaccard similarity of the two messages' word-bigram sets from their MinHash
//! signatures (`crate::fingerprints::minhash`); at or above the recipient's
//! `match_set2_threshold` (`crate::settings::DEFAULT_MATCH_SET2_THRESHOLD`) the
//! message is spam. Extra: the similarity with 2 decimals. A match-set1 match
//! (the same body) is reported by that check instead.

use sluice_model::{Finding, MainClass, Subclass};

use crate::fingerprints::FingerprintMatches;

pub const NAME: &str = "body-likeness";

/// A finding when the closest reported spam is at least `threshold` similar.
pub fn check(matches: &FingerprintMatches, threshold: f64, findings: &mut Vec<Finding>) {
    if matches.body_digest {
        return;
    }
    if let Some(similarity) = matches.similarity.filter(|similarity| *similarity >= threshold) {
        findings.push(Finding::new(NAME, MainClass::Spam, Subclass::MatchSet2, format!("{similarity:.2}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(similarity: f64, body_digest: bool) -> Vec<String> {
        let mut findings = Vec::new();
        let matches = FingerprintMatches { similarity: Some(similarity), body_digest, ..FingerprintMatches::default() };
        check(&matches, crate::settings::DEFAULT_MATCH_SET2_THRESHOLD, &mut findings);
        findings.iter().map(|finding| format!("{}={}", finding.sub, finding.extra)).collect()
    }

    #[test]
    fn at_the_threshold_and_above() {
        assert_eq!(found(0.796875, false), Vec::<String>::new());
        assert_eq!(found(0.8125, false), ["match-set2=0.81"]);
        assert_eq!(found(1.0, true), Vec::<String>::new(), "match-set1 reports the same body");
    }

    #[test]
    fn the_threshold_is_the_recipients() {
        let matches = FingerprintMatches { similarity: Some(0.75), ..FingerprintMatches::default() };
        let mut findings = Vec::new();
        check(&matches, 0.8, &mut findings);
        assert!(findings.is_empty());
        check(&matches, 0.7, &mut findings);
        assert_eq!(findings.len(), 1);
    }
}
