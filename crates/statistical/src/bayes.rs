//! Method 1: sparse-bigram Bayes with Robinson's per-token estimate and Fisher's
//! chi-square combination (as in SpamBayes, CRM114 and Rspamd's OSB classifier).
//!
//! For each feature the model knows in how many spam and ham messages it occurred.
//! Robinson's `f(w)` shrinks the raw ratio towards 0.5 for rarely seen tokens, the
//! features furthest from 0.5 are kept (at most `max_clues`), and Fisher's method
//! turns their product into two chi-square tail probabilities, one for "spammy"
//! and one for "hammy"; the score is their balance, in `[0, 1]`.

/// Per-feature document counts: in how many spam and ham messages it was seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    pub spam: u32,
    pub ham: u32,
}

/// The settings of the combination. Defaults chosen by cross-validation on the
/// train split (see the crate README).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BayesParams {
    /// Robinson's `s`: how many observations the prior 0.5 is worth [1.0].
    pub strength: f64,
    /// Features with `|f(w) - 0.5|` below this are ignored [0.1].
    pub min_deviation: f64,
    /// At most this many features (the most extreme) enter the combination [80]:
    /// with more, long messages saturate both tails of the chi-square (CV: 150 ranked worse).
    pub max_clues: usize,
}

impl Default for BayesParams {
    fn default() -> BayesParams {
        BayesParams {
            strength: 1.0,
            min_deviation: 0.1,
            max_clues: 80,
        }
    }
}

/// Robinson's `f(w)`: the spam probability of one feature, shrunk towards 0.5
/// when it was seen in few messages. `spam_messages`/`ham_messages` are the totals.
pub fn token_probability(counts: TokenCounts, spam_messages: u32, ham_messages: u32, strength: f64) -> f64 {
    let spam_ratio = f64::from(counts.spam) / f64::from(spam_messages.max(1));
    let ham_ratio = f64::from(counts.ham) / f64::from(ham_messages.max(1));
    if spam_ratio + ham_ratio == 0.0 {
        return 0.5;
    }
    let raw = spam_ratio / (spam_ratio + ham_ratio);
    let seen = f64::from(counts.spam) + f64::from(counts.ham);
    (strength * 0.5 + seen * raw) / (strength + seen)
}

/// The upper tail of the chi-square distribution with `degrees` (even) degrees of
/// freedom at `chi2`, by the series of Robinson/SpamBayes; never above 1.
pub fn chi2_upper_tail(chi2: f64, degrees: usize) -> f64 {
    let half = chi2 / 2.0;
    let mut term = (-half).exp();
    let mut sum = term;
    for i in 1..degrees / 2 {
        term *= half / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// Fisher's combination of per-feature probabilities into one spam probability.
/// No evidence at all gives 0.5.
pub fn fisher_combine(probabilities: &[f64]) -> f64 {
    if probabilities.is_empty() {
        return 0.5;
    }
    // Sums of logarithms instead of products, which underflow after a few hundred terms.
    let mut ln_ham_evidence = 0.0;
    let mut ln_spam_evidence = 0.0;
    for &p in probabilities {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        ln_spam_evidence += (1.0 - p).ln();
        ln_ham_evidence += p.ln();
    }
    let degrees = 2 * probabilities.len();
    let spamminess = 1.0 - chi2_upper_tail(-2.0 * ln_spam_evidence, degrees);
    let hamminess = 1.0 - chi2_upper_tail(-2.0 * ln_ham_evidence, degrees);
    ((spamminess - hamminess + 1.0) / 2.0).clamp(0.0, 1.0)
}

/// The method-1 score of one message: `lookup` gives the counts of each feature
/// (`None` when unknown) and the totals are the trained message counts.
pub fn score(
    ids: &[u64],
    lookup: impl Fn(u64) -> Option<TokenCounts>,
    spam_messages: u32,
    ham_messages: u32,
    params: &BayesParams,
) -> f64 {
    let clues = ids
        .iter()
        .filter_map(|&id| lookup(id))
        .map(|counts| token_probability(counts, spam_messages, ham_messages, params.strength))
        .collect();
    combine_clues(clues, params)
}

/// Keeps the clues far enough from 0.5, at most `max_clues` of the most extreme,
/// and combines them.
pub fn combine_clues(mut clues: Vec<f64>, params: &BayesParams) -> f64 {
    clues.retain(|p| (p - 0.5).abs() >= params.min_deviation);
    if clues.len() > params.max_clues {
        clues.select_nth_unstable_by(params.max_clues, |a, b| (b - 0.5).abs().total_cmp(&(a - 0.5).abs()));
        clues.truncate(params.max_clues);
    }
    fisher_combine(&clues)
}

/// The mean log-odds `ln(p / (1 - p))` of the clues far enough from 0.5 (all of
/// them, not only the most extreme), 0 without any. Unlike Fisher's combination it
/// does not saturate: in a long message with strong clues both ways the chi-square
/// says 0.5 ("both"), this still says which way the bulk of the clues leans.
pub fn mean_log_odds(clues: &[f64], params: &BayesParams) -> f64 {
    let (sum, count) = clues
        .iter()
        .filter(|p| (*p - 0.5).abs() >= params.min_deviation)
        .fold((0.0, 0usize), |(sum, count), &p| (sum + (p / (1.0 - p)).ln(), count + 1));
    if count == 0 { 0.0 } else { sum / count as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn robinson_estimate_by_hand() {
        // Seen in 3 of 10 spam and 1 of 20 ham: raw = 0.3 / (0.3 + 0.05) = 6/7;
        // f = (1 * 0.5 + 4 * 6/7) / (1 + 4) = (0.5 + 24/7) / 5.
        let f = token_probability(TokenCounts { spam: 3, ham: 1 }, 10, 20, 1.0);
        close(f, (0.5 + 24.0 / 7.0) / 5.0);
        close(token_probability(TokenCounts::default(), 10, 20, 1.0), 0.5);
    }

    #[test]
    fn chi2_tail_by_hand() {
        // Two degrees of freedom: Q = exp(-x/2).
        close(chi2_upper_tail(2.0, 2), (-1.0f64).exp());
        // Four degrees: Q = exp(-x/2) (1 + x/2).
        close(chi2_upper_tail(4.0, 4), (-2.0f64).exp() * 3.0);
        close(chi2_upper_tail(0.0, 10), 1.0);
    }

    #[test]
    fn fisher_by_hand_and_symmetry() {
        close(fisher_combine(&[]), 0.5);
        close(fisher_combine(&[0.5, 0.5]), 0.5);
        // One clue p: S = 1 - Q(-2 ln(1-p), 2) = p, H = 1 - Q(-2 ln p, 2) = 1 - p,
        // so the score is (p - (1 - p) + 1) / 2 = p.
        close(fisher_combine(&[0.8]), 0.8);
        let spammy = fisher_combine(&[0.99, 0.95, 0.9]);
        let hammy = fisher_combine(&[0.01, 0.05, 0.1]);
        assert!(spammy > 0.95);
        close(spammy, 1.0 - hammy);
    }

    #[test]
    fn only_the_most_extreme_clues_count() {
        let counts = |id: u64| match id {
            1 => Some(TokenCounts { spam: 100, ham: 0 }),
            2 => Some(TokenCounts { spam: 0, ham: 100 }),
            3 => Some(TokenCounts { spam: 50, ham: 50 }),
            _ => None,
        };
        let params = BayesParams {
            max_clues: 1,
            ..BayesParams::default()
        };
        // Two equally extreme clues and a neutral one: one clue kept, neutral dropped.
        let p = score(&[1, 3, 4], counts, 100, 100, &params);
        assert!(p > 0.99, "{p}");
        let p = score(&[2, 3], counts, 100, 100, &params);
        assert!(p < 0.01, "{p}");
        close(score(&[3, 4], counts, 100, 100, &params), 0.5);
    }

    #[test]
    fn mean_log_odds_of_hand_computed_clues() {
        let params = BayesParams::default();
        // 0.9 and 0.2: (ln 9 + ln 0.25) / 2; 0.55 is too close to 0.5 to count.
        close(mean_log_odds(&[0.9, 0.2, 0.55], &params), (9f64.ln() + 0.25f64.ln()) / 2.0);
        close(mean_log_odds(&[0.55, 0.45], &params), 0.0);
        close(mean_log_odds(&[], &params), 0.0);
        // Where Fisher's combination saturates both ways (0.5), the mean still leans.
        let mut clues = vec![0.99; 50];
        clues.extend([0.01; 30]);
        let fisher = combine_clues(clues.clone(), &params);
        assert!((fisher - 0.5).abs() < 0.01, "{fisher}");
        close(mean_log_odds(&clues, &params), 20.0 * 99f64.ln() / 80.0);
        assert!(mean_log_odds(&clues, &params) > 0.9);
    }
}
