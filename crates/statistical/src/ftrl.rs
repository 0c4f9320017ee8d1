//! Method 2: online logistic regression trained with FTRL-Proximal (McMahan et al.,
//! "Ad Click Prediction: a View from the Trenches", 2013) over the hashed features.
//!
//! Every feature is binary (present or not), so a message's margin is the bias plus
//! the sum of its features' weights. FTRL keeps two numbers per feature (`z`, the
//! adjusted gradient sum, and `n`, the sum of squared gradients) and derives the
//! weight from them lazily; its L1 term makes most weights exactly zero, which keeps
//! the shipped model small.

/// The learning settings. Defaults chosen by cross-validation on the train split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FtrlParams {
    /// Per-coordinate learning rate scale [0.5].
    pub alpha: f64,
    /// Smoothing of the per-coordinate rate [1.0].
    pub beta: f64,
    /// L1 regularisation: weights with `|z| <= l1` are exactly zero [1.0].
    pub l1: f64,
    /// L2 regularisation [10.0].
    pub l2: f64,
}

impl Default for FtrlParams {
    fn default() -> FtrlParams {
        FtrlParams {
            alpha: 0.5,
            beta: 1.0,
            l1: 1.0,
            l2: 10.0,
        }
    }
}

/// The learner state of one feature.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FtrlState {
    pub z: f32,
    pub n: f32,
}

impl FtrlState {
    /// The weight FTRL-Proximal assigns this feature now.
    pub fn weight(self, params: &FtrlParams) -> f64 {
        let z = f64::from(self.z);
        if z.abs() <= params.l1 {
            return 0.0;
        }
        let n = f64::from(self.n.max(0.0));
        -(z - z.signum() * params.l1) / ((params.beta + n.sqrt()) / params.alpha + params.l2)
    }

    /// The change of state for gradient `gradient` (prediction minus label, the
    /// feature being 1); returns `(dz, dn)`.
    pub fn step(self, gradient: f64, params: &FtrlParams) -> (f32, f32) {
        let n = f64::from(self.n.max(0.0));
        let squared = gradient * gradient;
        let sigma = ((n + squared).sqrt() - n.sqrt()) / params.alpha;
        let dz = gradient - sigma * self.weight(params);
        (dz as f32, squared as f32)
    }
}

/// The feature id every message has: the bias term of the regression.
pub const BIAS_FEATURE: u64 = 0x5eed_b1a5_0000_0001;

/// The logistic function.
pub fn sigmoid(margin: f64) -> f64 {
    1.0 / (1.0 + (-margin.clamp(-40.0, 40.0)).exp())
}

/// The log-odds of a probability, bounded so that 0 and 1 stay finite.
pub fn logit(probability: f64) -> f64 {
    let p = probability.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-6, "{a} != {b}");
    }

    #[test]
    fn weight_by_hand() {
        let params = FtrlParams {
            alpha: 0.1,
            beta: 1.0,
            l1: 1.0,
            l2: 1.0,
        };
        // |z| <= l1: exactly zero.
        close(FtrlState { z: 0.9, n: 4.0 }.weight(&params), 0.0);
        // z = 3, n = 4: w = -(3 - 1) / ((1 + 2) / 0.1 + 1) = -2 / 31.
        close(FtrlState { z: 3.0, n: 4.0 }.weight(&params), -2.0 / 31.0);
        close(FtrlState { z: -3.0, n: 4.0 }.weight(&params), 2.0 / 31.0);
    }

    #[test]
    fn first_step_by_hand() {
        let params = FtrlParams::default();
        // From zero state, weight 0: dz = g, dn = g^2.
        let (dz, dn) = FtrlState::default().step(-0.5, &params);
        close(f64::from(dz), -0.5);
        close(f64::from(dn), 0.25);
    }

    #[test]
    fn sigmoid_and_logit_invert() {
        close(sigmoid(0.0), 0.5);
        close(sigmoid(logit(0.9)), 0.9);
        assert!(logit(0.0).is_finite() && logit(1.0).is_finite());
    }

    #[test]
    fn learning_separates_two_features() {
        // Without regularisation, to see the learning alone.
        let params = FtrlParams {
            alpha: 1.0,
            l1: 0.0,
            l2: 0.0,
            ..FtrlParams::default()
        };
        let mut spam = FtrlState::default();
        let mut ham = FtrlState::default();
        for _ in 0..200 {
            for (state, label) in [(&mut spam, 1.0), (&mut ham, 0.0)] {
                let p = sigmoid(state.weight(&params));
                let (dz, dn) = state.step(p - label, &params);
                state.z += dz;
                state.n += dn;
            }
        }
        assert!(sigmoid(spam.weight(&params)) > 0.9);
        assert!(sigmoid(ham.weight(&params)) < 0.1);
    }
}
