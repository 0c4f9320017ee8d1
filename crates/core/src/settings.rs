//! Per-domain filtering settings that the pure checks read.
//!
//! Every setting has its default beside it. Settings come from the `[[domains]]`
//! tables of the configuration file; unknown keys are refused when it is loaded.

use serde::{Deserialize, Serialize};

/// The settings one domain's mail is classified with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DomainSettings {
    /// Spam probability at or above which a message is refused and quarantined.
    pub quarantine_threshold: f64,
    /// Spam probability at or above which (and below the quarantine threshold) a
    /// message is classified `unsure`.
    pub unsure_threshold: f64,
}

pub const DEFAULT_QUARANTINE_THRESHOLD: f64 = 0.9;
pub const DEFAULT_UNSURE_THRESHOLD: f64 = 0.6;

impl Default for DomainSettings {
    fn default() -> DomainSettings {
        DomainSettings {
            quarantine_threshold: DEFAULT_QUARANTINE_THRESHOLD,
            unsure_threshold: DEFAULT_UNSURE_THRESHOLD,
        }
    }
}

impl DomainSettings {
    /// Checks the values that serde cannot: returns `(key, what is expected)`.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if !(0.0..=1.0).contains(&self.quarantine_threshold) {
            return Err(("quarantine_threshold", "a number between 0 and 1"));
        }
        if !(0.0..=1.0).contains(&self.unsure_threshold) || self.unsure_threshold > self.quarantine_threshold {
            return Err(("unsure_threshold", "a number between 0 and quarantine_threshold"));
        }
        Ok(())
    }
}
