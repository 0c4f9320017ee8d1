//! `spam` / `heuristic`: the UCEPP rule. A message that points where recent
//! reported spam pointed: the registered domains and IPv4 literals of its URLs
//! and its phone numbers (`crate::fingerprints`), each counted over the reports
//! that held it, a report counting 1 on its day and half as much every 7 days.
//!
//! The rule: at least [`DISTINCT_ITEMS`] distinct items of the message seen in
//! reported spam, or one item with a count of at least [`ONE_ITEM_COUNT`] (three
//! reports this week). One domain seen once is not enough: spam links to the
//! same big sites as everyone (a shortener, a social network) as often as to its
//! own. Extra: the items, with their counts (`claims.example=1.00, tel:2079460958=0.50`).

use sluice_model::{Finding, MainClass, Subclass};

use crate::fingerprints::FingerprintMatches;

pub const NAME: &str = "ucepp";

/// Distinct items seen in reported spam that make a message spam.
pub const DISTINCT_ITEMS: usize = 2;
/// The count one item alone needs.
pub const ONE_ITEM_COUNT: f64 = 3.0;
/// Items below this count (a report over five weeks old) are not counted.
const MIN_COUNT: f64 = 0.05;

/// A finding when the message shares enough UCEPP items with reported spam.
pub fn check(matches: &FingerprintMatches, findings: &mut Vec<Finding>) {
    let counted: Vec<_> = matches.items.iter().filter(|(_, count)| *count >= MIN_COUNT).collect();
    let strong = counted.iter().any(|(_, count)| *count >= ONE_ITEM_COUNT);
    if counted.len() >= DISTINCT_ITEMS || strong {
        let extra = counted.iter().map(|(item, count)| format!("{item}={count:.2}")).collect::<Vec<_>>().join(", ");
        findings.push(Finding::new(NAME, MainClass::Spam, Subclass::Heuristic, extra));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprints::UceppItem;

    fn found(items: &[(&str, f64)]) -> Option<String> {
        let items = items.iter().map(|(domain, count)| (UceppItem::Domain((*domain).to_owned()), *count)).collect();
        let mut findings = Vec::new();
        check(&FingerprintMatches { items, ..FingerprintMatches::default() }, &mut findings);
        findings.first().map(|finding| finding.extra.clone())
    }

    #[test]
    fn two_items_or_one_item_three_times() {
        assert_eq!(found(&[("claims.example", 1.0)]), None);
        assert_eq!(found(&[("claims.example", 1.0), ("pay.example", 0.5)]).as_deref(), Some("claims.example=1.00, pay.example=0.50"));
        assert_eq!(found(&[("claims.example", 2.9)]), None);
        assert_eq!(found(&[("claims.example", 3.0)]).as_deref(), Some("claims.example=3.00"));
        assert_eq!(found(&[("claims.example", 1.0), ("old.example", 0.01)]), None, "a five-week-old report does not count");
    }
}
