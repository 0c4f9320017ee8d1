//! The judge of the collaborative checks: the message's fingerprints looked up
//! in what reported spam looked like (the index the gateway keeps from the
//! store), then [`super::match_set1`], [`super::match_set2`],
//! [`super::contact_box`] and [`super::ucepp`] judge that one fact.
//!
//! The lookup is in memory (no I/O): the gateway brought the index up to date
//! with the store before the classification. An empty index costs nothing.

use sluice_model::Finding;

use crate::classify::Judge;
use crate::fingerprints::{FingerprintIndex, FingerprintMatches, Fingerprints};
use crate::message::MessageFacts;

/// Where the judge looks fingerprints up: a [`FingerprintIndex`], or the
/// gateway's shared one, locked for the lookup only (not for the whole
/// classification, so applying new reports never waits for one).
pub trait FingerprintLookup: Sync {
    fn is_empty(&self) -> bool;
    fn lookup(&self, fingerprints: &Fingerprints, now_ms: i64) -> FingerprintMatches;
}

impl FingerprintLookup for FingerprintIndex {
    fn is_empty(&self) -> bool {
        FingerprintIndex::is_empty(self)
    }

    fn lookup(&self, fingerprints: &Fingerprints, now_ms: i64) -> FingerprintMatches {
        FingerprintIndex::lookup(self, fingerprints, now_ms)
    }
}

pub struct FingerprintJudge<'a> {
    pub index: &'a dyn FingerprintLookup,
    /// The domains this gateway filters for, lower case (`contact-box-internal`).
    pub our_domains: &'a [String],
    /// The recipient's `match_set2_threshold`.
    pub match_set2_threshold: f64,
}

impl Judge for FingerprintJudge<'_> {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        if self.index.is_empty() {
            return;
        }
        let matches = self.index.lookup(&Fingerprints::of(facts), facts.now.saturating_mul(1000));
        super::match_set1::check(&matches, findings);
        super::match_set2::check(&matches, self.match_set2_threshold, findings);
        super::contact_box::check(&matches, self.our_domains, findings);
        super::ucepp::check(&matches, findings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Envelope;
    use crate::settings::DEFAULT_MATCH_SET2_THRESHOLD;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/../../tests/data/fingerprints/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// The envelope a gateway would have seen: the `To:` address as recipient.
    fn envelope_of(raw: &[u8]) -> Envelope {
        let text = String::from_utf8_lossy(raw);
        let to = text.lines().find_map(|line| line.strip_prefix("To: ")).unwrap_or_default().trim().to_owned();
        Envelope { recipients: vec![to], ..Envelope::default() }
    }

    fn expected(raw: &[u8]) -> String {
        let text = String::from_utf8_lossy(raw);
        text.lines().find_map(|line| line.strip_prefix("X-Sluice-Expect: ")).expect("X-Sluice-Expect").trim().to_owned()
    }

    #[test]
    fn every_fixture_gets_its_expected_class_after_the_report() {
        let reported = fixture("reported.eml");
        let envelope = envelope_of(&reported);
        let mut index = FingerprintIndex::default();
        index.add(&Fingerprints::of(&MessageFacts::new(&reported, &envelope, 1000)), 1_000_000);
        let our_domains = ["example.net".to_owned()];
        let dir = format!("{}/../../tests/data/fingerprints", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".eml"))
            .collect();
        names.sort();
        assert_eq!(names.len(), 7);
        for name in names {
            let raw = fixture(&name);
            let envelope = envelope_of(&raw);
            let facts = MessageFacts::new(&raw, &envelope, 2000);
            let mut findings = Vec::new();
            FingerprintJudge { index: &index, our_domains: &our_domains, match_set2_threshold: DEFAULT_MATCH_SET2_THRESHOLD }.judge(&facts, &mut findings);
            let found = findings.first().map_or("none".to_owned(), |finding| format!("{}/{}", finding.main, finding.sub));
            assert_eq!(found, expected(&raw), "{name}: {findings:?}");
        }
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let raw = fixture("reported.eml");
        let envelope = Envelope::default();
        let mut findings = Vec::new();
        let index = FingerprintIndex::default();
        FingerprintJudge { index: &index, our_domains: &[], match_set2_threshold: DEFAULT_MATCH_SET2_THRESHOLD }.judge(&MessageFacts::new(&raw, &envelope, 0), &mut findings);
        assert!(findings.is_empty());
    }
}
