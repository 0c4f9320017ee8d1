//! How familiar the mail stream is to the global model, and how far its
//! probabilities are to be trusted on it.
//!
//! The global model was trained on one corpus of one era. On a stream like it, its
//! calibrated probabilities hold (the shared test split: 1/837 ham refused); on mail
//! of another source and era they do not: modern transactional mail (order
//! confirmations, password resets, notifications: HTML, "your", "click", "please")
//! looks to a model of 2002 mail like its spam, and both methods put such ham at
//! 0.9-0.9994. What tells the two situations apart without a label is how much of
//! the mail the model knows: the share of a message's features found in the model
//! has a median of 0.62 on the model's own held-out mail and about 0.40 on
//! CSDMC2010 (2009-2010) and on modern mail, 0.22 on modern phishing. One message's
//! share says little (spam varies more than ham, and its shares spread as wide);
//! the median over the stream an installation receives says a lot.
//!
//! So each classifier keeps the shares of the last [`WINDOW`] messages it scored,
//! and while the installation's own (cluster) models are not trusted yet, the
//! global model's log-odds are multiplied by a temperature: 1 on a stream as
//! familiar as the model's own held-out mail, [`FOREIGN_TEMPERATURE`] on a foreign
//! one, and [`FOREIGN_TEMPERATURE`] until [`MIN_OBSERVED`] messages were seen (a
//! fresh installation does not know its stream yet, so it is careful). Once the
//! cluster is trusted, the scope weights (how well each scope foretold this
//! installation's mail) already decide how much the global model counts.
//!
//! A process that starts on an installation that has been receiving mail need not
//! be careful: the nodes keep their medians in the store, and the installation's
//! figure (theirs, weighted by their messages) is this window's *seed*
//! ([`StreamFamiliarity::seed`]), used until the process has seen [`MIN_OBSERVED`]
//! messages of its own. So a node that restarts, a second node, and `sluice
//! explain` of one message judge with the stream's familiarity as the gateway knew
//! it. `crates/statistical/README.md`, "A fresh install on today's mail".

use std::collections::VecDeque;

/// Shares remembered: the median of the last this many messages scored.
pub const WINDOW: usize = 1000;
/// Messages seen before the stream's median counts.
pub const MIN_OBSERVED: usize = 50;
/// The median share of the shipped global model's own held-out mail (the
/// SpamAssassin test split: ham 0.626, spam 0.616; `sluice eval` prints the
/// stream's median beside it, so a retrained model can be checked).
pub const OWN_MEDIAN_SHARE: f64 = 0.62;
/// Familiarity (the stream's median share over [`OWN_MEDIAN_SHARE`]) at or above
/// which the global model's probabilities are taken as they are...
pub const FAMILIAR: f64 = 0.9;
/// ...and at or below which the stream is foreign.
pub const FOREIGN: f64 = 0.7;
/// The temperature on a foreign stream: log-odds halved, so 0.9 needs what used to
/// be 0.988, and 0.999 (one classifier deciding alone) what used to be 0.999999.
pub const FOREIGN_TEMPERATURE: f64 = 0.5;

/// Observations between two computations of the median: sorting the window for
/// every message scored would cost more than the rest of the bookkeeping, and the
/// median of 1,000 moves little in 25.
const MEDIAN_EVERY: usize = 25;

/// The known-feature shares of the last [`WINDOW`] messages scored, and the
/// installation's figure to go by until they are [`MIN_OBSERVED`].
#[derive(Clone, Debug, Default)]
pub struct StreamFamiliarity {
    shares: VecDeque<f32>,
    seed: Option<Figure>,
    /// The window's median as last computed, and the observations since.
    median: Option<f64>,
    since_median: usize,
}

/// A stream's median share of known features, and how many messages it is over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figure {
    pub median_share: f64,
    pub messages: u64,
}

/// Whose median the temperature follows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MedianSource {
    /// This process's own window (at least [`MIN_OBSERVED`] messages).
    Observed(Figure),
    /// The installation's stored figure, while this process has seen fewer.
    Installation(Figure),
}

impl MedianSource {
    pub fn median_share(&self) -> f64 {
        match self {
            MedianSource::Observed(figure) | MedianSource::Installation(figure) => figure.median_share,
        }
    }
}

impl StreamFamiliarity {
    /// Goes by `figure` (the installation's, as stored by its nodes) until this
    /// window holds [`MIN_OBSERVED`] messages. A figure over fewer messages than
    /// that, or not a share, is no figure: it is ignored (and clears an earlier seed).
    pub fn seed(&mut self, figure: Figure) {
        let usable = figure.median_share.is_finite() && figure.messages >= MIN_OBSERVED as u64;
        self.seed = usable.then(|| Figure { median_share: figure.median_share.clamp(0.0, 1.0), ..figure });
    }

    /// Remembers one scored message's share of features the global model knows.
    pub fn observe(&mut self, known_share: f64) {
        if !known_share.is_finite() {
            return;
        }
        if self.shares.len() == WINDOW {
            self.shares.pop_front();
        }
        self.shares.push_back(known_share.clamp(0.0, 1.0) as f32);
        self.since_median += 1;
        if self.shares.len() >= MIN_OBSERVED && (self.median.is_none() || self.since_median >= MEDIAN_EVERY) {
            let mut sorted: Vec<f32> = self.shares.iter().copied().collect();
            sorted.sort_unstable_by(f32::total_cmp);
            self.median = Some(f64::from(sorted[sorted.len() / 2]));
            self.since_median = 0;
        }
    }

    /// Messages remembered.
    pub fn observed(&self) -> usize {
        self.shares.len()
    }

    /// The median share of the remembered messages; `None` before [`MIN_OBSERVED`]
    /// (the seed does not count: this is the figure a node saves), computed every [`MEDIAN_EVERY`] observations.
    pub fn observed_figure(&self) -> Option<Figure> {
        self.median.map(|median_share| Figure { median_share, messages: self.shares.len() as u64 })
    }

    /// The median the temperature follows: this window's once it holds
    /// [`MIN_OBSERVED`] messages, the seed's before; `None` when neither is known.
    pub fn median(&self) -> Option<MedianSource> {
        self.observed_figure().map(MedianSource::Observed).or(self.seed.map(MedianSource::Installation))
    }

    /// The median share the temperature follows ([`StreamFamiliarity::median`]).
    pub fn median_share(&self) -> Option<f64> {
        self.median().map(|source| source.median_share())
    }

    /// The factor on the global model's log-odds for this stream.
    pub fn temperature(&self) -> f64 {
        self.median_share().map_or(FOREIGN_TEMPERATURE, temperature_for)
    }
}

/// The temperature for a stream whose median share is `median_share`: linear in the
/// familiarity between [`FOREIGN`] and [`FAMILIAR`].
pub fn temperature_for(median_share: f64) -> f64 {
    let familiarity = median_share / OWN_MEDIAN_SHARE;
    let along = ((familiarity - FOREIGN) / (FAMILIAR - FOREIGN)).clamp(0.0, 1.0);
    FOREIGN_TEMPERATURE + (1.0 - FOREIGN_TEMPERATURE) * along
}

/// `probability` with its log-odds multiplied by `temperature`.
pub fn temper(probability: f64, temperature: f64) -> f64 {
    if temperature >= 1.0 {
        return probability;
    }
    crate::ftrl::sigmoid(temperature * crate::ftrl::logit(probability))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_stream_is_treated_as_foreign() {
        let mut stream = StreamFamiliarity::default();
        assert_eq!(stream.temperature(), FOREIGN_TEMPERATURE);
        for _ in 0..MIN_OBSERVED - 1 {
            stream.observe(0.7);
        }
        assert_eq!(stream.temperature(), FOREIGN_TEMPERATURE, "too few messages to judge");
        stream.observe(0.7);
        assert_eq!(stream.temperature(), 1.0);
    }

    #[test]
    fn the_installations_figure_counts_until_the_process_has_seen_its_own() {
        let mut stream = StreamFamiliarity::default();
        let stored = Figure { median_share: 0.62, messages: 3_000 };
        stream.seed(stored);
        assert_eq!(stream.median(), Some(MedianSource::Installation(stored)));
        assert_eq!(stream.temperature(), 1.0, "a familiar installation is not careful after a restart");
        assert_eq!(stream.observed_figure(), None, "nothing of its own to save yet");
        for _ in 0..MIN_OBSERVED - 1 {
            stream.observe(0.3);
        }
        assert_eq!(stream.temperature(), 1.0, "the seed holds below MIN_OBSERVED");
        stream.observe(0.3);
        let own = Figure { median_share: f64::from(0.3f32), messages: MIN_OBSERVED as u64 };
        assert_eq!(stream.median(), Some(MedianSource::Observed(own)));
        assert_eq!(stream.observed_figure(), Some(own));
        assert_eq!(stream.temperature(), FOREIGN_TEMPERATURE, "then the process's own stream decides");
    }

    #[test]
    fn a_figure_over_too_few_messages_or_no_share_is_no_seed() {
        let mut stream = StreamFamiliarity::default();
        stream.seed(Figure { median_share: 0.62, messages: MIN_OBSERVED as u64 - 1 });
        assert_eq!(stream.median(), None);
        stream.seed(Figure { median_share: f64::NAN, messages: 500 });
        assert_eq!(stream.median(), None);
        stream.seed(Figure { median_share: 7.0, messages: 500 });
        assert_eq!(stream.median_share(), Some(1.0), "a share is at most 1");
        assert_eq!(stream.temperature(), 1.0);
        stream.seed(Figure { median_share: 0.2, messages: 10 });
        assert_eq!(stream.median(), None, "a later unusable figure replaces the earlier one");
        assert_eq!(stream.temperature(), FOREIGN_TEMPERATURE);
    }

    #[test]
    fn the_temperature_follows_the_streams_median_share() {
        // The model's own held-out mail, CSDMC2010, modern mail, phishing.
        assert_eq!(temperature_for(0.626), 1.0);
        assert_eq!(temperature_for(0.40), FOREIGN_TEMPERATURE);
        assert_eq!(temperature_for(0.22), FOREIGN_TEMPERATURE);
        let between = temperature_for(0.8 * OWN_MEDIAN_SHARE);
        assert!((between - 0.75).abs() < 1e-9, "{between}");
    }

    #[test]
    fn only_the_last_window_counts_and_nonsense_is_ignored() {
        let mut stream = StreamFamiliarity::default();
        for _ in 0..WINDOW {
            stream.observe(0.2);
        }
        for _ in 0..WINDOW / 2 + 1 {
            stream.observe(0.65);
        }
        stream.observe(f64::NAN);
        assert_eq!(stream.observed(), WINDOW);
        // Computed every MEDIAN_EVERY observations: at most that many behind.
        for _ in 0..MEDIAN_EVERY {
            stream.observe(0.65);
        }
        assert!((stream.median_share().unwrap() - 0.65).abs() < 1e-6);
    }

    #[test]
    fn tempering_halves_the_log_odds() {
        assert_eq!(temper(0.9, 1.0), 0.9);
        let tempered = temper(0.99, 0.5);
        assert!((crate::ftrl::logit(tempered) - crate::ftrl::logit(0.99) / 2.0).abs() < 1e-9);
        assert!(temper(0.999_37, FOREIGN_TEMPERATURE) < 0.99, "a saturated method 1 no longer decides alone");
        assert_eq!(temper(0.5, 0.5), 0.5);
    }
}
