//! Signing outgoing mail on its way out: the DKIM signature of the sender's
//! domain (`dkim.rs`) and the BATV tag of the envelope sender.

pub mod dkim;
