//! Password hashes for the web interface: the gateway's (`sluice_gateway::password`,
//! shared with SMTP AUTH), so a user's one password works for both.

pub use sluice_gateway::password::{hash, verify};

/// A valid hash of no one's password: verified against when the user is
/// unknown, so a wrong name takes as long as a wrong password.
pub(crate) fn decoy() -> &'static str {
    sluice_gateway::password::decoy()
}
