//! The last step before outgoing mail (submitted by an authenticated user) is
//! handed to the next hop: [`prepare_outgoing`] returns the bytes and the
//! envelope sender to send.
//!
//! This is the one place where outgoing mail is changed on its way out: DKIM
//! signing (the signature covers the message exactly as it leaves) and the
//! BATV tag of the envelope sender belong here. It runs at each delivery
//! attempt, on the stored message, so a retry is signed afresh and the store
//! keeps the message as the user sent it (what a release or a report sees).
//! Incoming mail relayed to a domain's destination does not pass through here.

use sluice_store::QueueEntry;

use crate::Gateway;

/// What is handed to the next hop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// The envelope sender (MAIL FROM) to present.
    pub sender: String,
    /// The message, as written after DATA.
    pub raw: Vec<u8>,
}

/// Prepares one outgoing queue entry (`entry.outgoing`) for delivery: the
/// envelope sender BATV-tagged and the message DKIM-signed, each when the
/// domain has it (`crate::signing`).
pub async fn prepare_outgoing(gateway: &Gateway, entry: &QueueEntry, raw: Vec<u8>) -> Prepared {
    let (sender, raw) = crate::signing::sign_outgoing(gateway, &entry.sender, raw).await;
    Prepared { sender, raw }
}
