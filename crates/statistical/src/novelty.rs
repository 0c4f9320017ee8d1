//! How far the installation's own (cluster) model counts for one message it knows
//! little of, where the global model knows much more of it.
//!
//! The scope weight ([`crate::cluster_weight`]) says how well each scope foretold
//! this installation's mail on average; after a few hundred learned messages of a
//! foreign stream the cluster weighs 0.93-0.99. On a kind of mail the cluster never
//! learned, that average does not hold: it is sure of what it has no record of.
//! CSDMC2010 dev halves (another deal of the train rows): three HTML newsletters of
//! one sender, none in the learned half, refused with the global model at log-odds
//! -21 to -26 (it knows that kind of mail: 57-66 % of their features) and the
//! cluster at +9 to +17 (it knows 31-33 %); on era 2 the ham the verdict kept
//! refusing on every deal, an airline's offer, is the same case (the cluster's share
//! of its features is 0.24 below the global model's).
//!
//! The share of a message's features a scope knows is its familiarity with the
//! message. One share alone says little (spam spreads wide); the *gap* between the
//! two scopes says which of them has seen mail like it: on the dev halves 99 % of
//! the ham and of the spam have the cluster's share at most 0.03 to 0.14 below the
//! global model's, and those refused ham 0.24-0.35 below. So the cluster's weight is
//! multiplied by [`weight_factor`]: 1 while its share is at most [`FULL_GAP`] below
//! the global model's, 0 from [`NO_GAP`] below, linear between. At 0 the message is
//! judged by the global model alone (its classifiers and its evidence, untempered:
//! the scope weights replaced the stream's temperature once the cluster was
//! trusted). `crates/statistical/README.md`, "Tenth round".

/// The gap (global share minus cluster share) up to which the cluster keeps its
/// whole weight.
pub const FULL_GAP: f64 = 0.1;
/// The gap from which the cluster does not count for the message.
pub const NO_GAP: f64 = 0.3;

/// The factor of the cluster's scope weight for a message whose features the
/// cluster knows `cluster_share` of and the global model `global_share` of (both
/// 0-1): 1 up to a gap of [`FULL_GAP`], 0 from [`NO_GAP`], linear between; 1 when
/// either share is not a number.
pub fn weight_factor(cluster_share: f64, global_share: f64) -> f64 {
    let gap = global_share - cluster_share;
    if !gap.is_finite() {
        return 1.0;
    }
    ((NO_GAP - gap) / (NO_GAP - FULL_GAP)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_counts_fully_unless_the_global_model_knows_clearly_more() {
        assert_eq!(weight_factor(0.65, 0.40), 1.0, "a foreign stream the cluster learned");
        assert_eq!(weight_factor(0.60, 0.62), 1.0, "the global model's own mail");
        assert_eq!(weight_factor(0.50, 0.50 + FULL_GAP), 1.0);
        assert!((weight_factor(0.40, 0.60) - 0.5).abs() < 1e-12, "halfway");
        assert_eq!(weight_factor(0.32, 0.62), 0.0, "the newsletter the cluster never saw");
        assert_eq!(weight_factor(0.0, 1.0), 0.0);
        assert_eq!(weight_factor(f64::NAN, 0.5), 1.0);
    }

    #[test]
    fn the_factor_falls_steadily_with_the_gap() {
        let mut last = 1.0;
        for step in 0..=100 {
            let factor = weight_factor(0.7 - f64::from(step) / 200.0, 0.7);
            assert!(factor <= last && (0.0..=1.0).contains(&factor), "{step}: {factor}");
            last = factor;
        }
    }
}
