//! `spam` / `heuristic`: the UCEPP rule. A message that points where recent
//! reported spam pointed: the registered domains and IPv4 literals of its URLs
//! and its phone numbers (`crate::fingerprints`), each counted over the reports
//! that held it, a report counting 1 on its day and half as much every 7 days.
//!
//! The rule: at least [`DISTINCT_ITEMS`] items of the message were together in
//! one reported spam (its domain and its phone number, two of its domains), or
//! one phone number or IPv4 literal has a count of at least [`ONE_ITEM_COUNT`]
//! (three reports this week). A domain alone never decides, however often it
//! was reported: on the shared corpus the single domains that reached three
//! reports were ad networks, free hosting and newsletter senders that ham links
//! to as well (`bench/fingerprints.rs`). Extra: the items, with their counts
//! (`claims.example=1.00, tel:2079460958=0.50`).

use sluice_model::{Finding, MainClass, Subclass};

use crate::fingerprints::{FingerprintMatches, UceppItem};

pub const NAME: &str = "ucepp";

/// Items of one reported spam that make a message spam.
pub const DISTINCT_ITEMS: usize = 2;
/// The count one phone number or address alone needs.
pub const ONE_ITEM_COUNT: f64 = 3.0;

/// A finding when the message shares enough UCEPP items with reported spam.
pub fn check(matches: &FingerprintMatches, findings: &mut Vec<Finding>) {
    let counted = &matches.items;
    let strong = counted.iter().any(|(item, count)| *count >= ONE_ITEM_COUNT && !matches!(item, UceppItem::Domain(_)));
    if matches.items_in_one_report >= DISTINCT_ITEMS || strong {
        let extra = counted.iter().map(|(item, count)| format!("{item}={count:.2}")).collect::<Vec<_>>().join(", ");
        findings.push(Finding::new(NAME, MainClass::Spam, Subclass::Heuristic, extra));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(items: &[(UceppItem, f64)], items_in_one_report: usize) -> Option<String> {
        let mut findings = Vec::new();
        check(&FingerprintMatches { items: items.to_vec(), items_in_one_report, ..FingerprintMatches::default() }, &mut findings);
        findings.first().map(|finding| finding.extra.clone())
    }

    fn domain(name: &str) -> UceppItem {
        UceppItem::Domain(name.to_owned())
    }

    #[test]
    fn two_items_of_one_report_or_one_number_three_times() {
        assert_eq!(found(&[(domain("claims.example"), 1.0)], 1), None);
        let two = [(domain("claims.example"), 1.0), (UceppItem::Phone("2079460958".into()), 0.5)];
        assert_eq!(found(&two, 2).as_deref(), Some("claims.example=1.00, tel:2079460958=0.50"));
        assert_eq!(found(&two, 1), None, "two items, but of two different reports");
        assert_eq!(found(&[(domain("claims.example"), 64.0)], 1), None, "a domain alone never decides");
        assert_eq!(found(&[(UceppItem::Phone("2079460958".into()), 2.9)], 1), None);
        assert_eq!(found(&[(UceppItem::Ip("192.0.2.7".into()), 3.0)], 1).as_deref(), Some("192.0.2.7=3.00"));
    }
}
