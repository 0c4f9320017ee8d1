//! The content checks run after the final dot of DATA, in order.
//!
//! One check is one module with one entry point, `check(facts, settings, findings)`,
//! that pushes what it found. Adding a check is adding a module and a line in
//! [`DATA_CHECKS`]; nothing registers itself at run time.

use sluice_model::Finding;

use crate::message::MessageFacts;
use crate::settings::DomainSettings;

pub mod gtube;

/// The signature every content check has.
pub type DataCheck = fn(&MessageFacts<'_>, &DomainSettings, &mut Vec<Finding>);

/// Every content check, in the order they run. The order does not decide the
/// verdict (precedence does, in `verdict::decide`); cheap checks come first.
pub const DATA_CHECKS: &[(&str, DataCheck)] = &[(gtube::NAME, gtube::check)];
