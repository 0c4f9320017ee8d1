//! `spam` / `match-set2`: a message much like one reported as spam (a few words
//! changed, another greeting, other links). The similarity is the estimated
//! Jaccard similarity of the two messages' word-bigram sets from their MinHash
//! signatures (`crate::fingerprints::minhash`); at or above [`THRESHOLD`] the
//! message is spam. Extra: the similarity with 2 decimals. A match-set1 match
//! (the same body) is reported by that check instead.

use sluice_model::{Finding, MainClass, Subclass};

use crate::fingerprints::FingerprintMatches;

pub const NAME: &str = "body-likeness";

/// The similarity from which a message counts as a copy of reported spam: with
/// word bigrams, one changed word in a hundred costs about 0.02, so 0.8 takes
/// copies with a handful of changed words and leaves mail that merely shares a
/// template paragraph (measured on the shared corpus: `bench/fingerprints.rs`).
pub const THRESHOLD: f64 = 0.8;

/// A finding when the closest reported spam is similar enough.
pub fn check(matches: &FingerprintMatches, findings: &mut Vec<Finding>) {
    if matches.body_digest {
        return;
    }
    if let Some(similarity) = matches.similarity.filter(|similarity| *similarity >= THRESHOLD) {
        findings.push(Finding::new(NAME, MainClass::Spam, Subclass::MatchSet2, format!("{similarity:.2}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(similarity: f64, body_digest: bool) -> Vec<String> {
        let mut findings = Vec::new();
        check(&FingerprintMatches { similarity: Some(similarity), body_digest, ..FingerprintMatches::default() }, &mut findings);
        findings.iter().map(|finding| format!("{}={}", finding.sub, finding.extra)).collect()
    }

    #[test]
    fn at_the_threshold_and_above() {
        assert_eq!(found(0.796875, false), Vec::<String>::new());
        assert_eq!(found(0.8125, false), ["match-set2=0.81"]);
        assert_eq!(found(1.0, true), Vec::<String>::new(), "match-set1 reports the same body");
    }
}
