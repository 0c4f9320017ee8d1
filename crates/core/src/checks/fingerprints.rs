//! The judge of the collaborative checks: the message's fingerprints looked up
//! in what reported spam looked like (the index the gateway keeps from the
//! store), then [`super::match_set1`], [`super::match_set2`],
//! [`super::contact_box`] and [`super::ucepp`] judge that one fact.
//!
//! The lookup is in memory (no I/O): the gateway brought the index up to date
//! with the store before the classification. An empty index costs nothing.

use sluice_model::Finding;

use crate::classify::Judge;
use crate::fingerprints::{FingerprintIndex, Fingerprints};
use crate::message::MessageFacts;

pub struct FingerprintJudge<'a> {
    pub index: &'a FingerprintIndex,
    /// The domains this gateway filters for, lower case (`contact-box-internal`).
    pub our_domains: &'a [String],
}

impl Judge for FingerprintJudge<'_> {
    fn judge(&self, facts: &MessageFacts<'_>, findings: &mut Vec<Finding>) {
        if self.index.is_empty() {
            return;
        }
        let matches = self.index.lookup(&Fingerprints::of(facts), facts.now.saturating_mul(1000));
        super::match_set1::check(&matches, findings);
        super::match_set2::check(&matches, findings);
        super::contact_box::check(&matches, self.our_domains, findings);
        super::ucepp::check(&matches, findings);
    }
}
