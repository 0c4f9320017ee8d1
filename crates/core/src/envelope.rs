//! The SMTP envelope of a message, as the gateway saw it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// What the sending server told us outside the message itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The connecting client's address; `None` for offline classification.
    pub client_ip: Option<IpAddr>,
    /// The HELO/EHLO argument as given.
    pub helo: String,
    /// The reverse-path of `MAIL FROM`, empty for the null sender `<>`.
    pub sender: String,
    /// The accepted forward-paths of `RCPT TO`, in order.
    pub recipients: Vec<String>,
    /// The client declared `SMTPUTF8` on `MAIL FROM`.
    pub smtputf8: bool,
    /// The user that authenticated on the submission port, if any.
    pub authenticated_user: Option<String>,
}

/// The domain part of an address, lower-cased; empty when there is none.
pub fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain.trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_is_lower_cased_and_fully_qualified_dot_dropped() {
        assert_eq!(domain_of("User@Example.NET."), "example.net");
        assert_eq!(domain_of("\"a@b\"@c.org"), "c.org");
        assert_eq!(domain_of("postmaster"), "");
    }
}
