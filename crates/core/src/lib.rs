//! The classification core: message + envelope + settings -> verdict, with no I/O.
//!
//! Nothing in this crate touches the network, the disk or the clock: the gateway
//! gathers the facts (the raw message, the envelope, the time, lookup results) and
//! hands them in. That keeps every check testable with `.eml` fixtures and makes the
//! result of a classification depend on its inputs only.
//!
//! The flow is always the same: [`message::MessageFacts`] is built once per message,
//! every check in [`checks::DATA_CHECKS`] pushes the [`sluice_model::Finding`]s it
//! sees, and [`verdict::decide`] applies the precedence of the specification.

pub mod archive;
pub mod batv;
pub mod checks;
pub mod classify;
pub mod combined;
pub mod envelope;
pub mod fingerprints;
pub mod html;
pub mod lookups;
pub mod message;
pub mod settings;
pub mod urls;
pub mod verdict;

pub use classify::{Classification, classify, classify_measured};
pub use envelope::Envelope;
pub use message::{LineMeter, MessageFacts};
pub use settings::{DnsblStage, DomainSettings, LayerError, SettingsLayer};
