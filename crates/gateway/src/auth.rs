//! Sender authentication in the gateway: what is gathered at MAIL FROM (SPF,
//! and the sender domain's MX and A/AAAA for sender verification), what is
//! gathered after the final dot (DKIM, ARC, the DMARC records), and the
//! Authentication-Results header: forged ones claiming our name are removed
//! from the message, ours is written on every delivered message.
//!
//! The judging is `sluice-core`'s (`checks::spf`, `sender_verification`,
//! `dkim`, `dmarc`, `arc`, `authentication`); this module only gathers and
//! hands over the facts. The lookups of each stage run concurrently under one
//! stage deadline of three `[dns] timeout`s (an SPF evaluation may follow
//! includes one after another) and are kept for the log row.

use std::net::IpAddr;

use sluice_core::checks::authentication::AuthFacts;
use sluice_core::checks::sender_verification::SenderDomain;
use sluice_core::checks::spf::SpfFacts;
use sluice_lookup::{Gathering, LookupRecord};

use crate::Gateway;

/// What MAIL FROM learnt about the sender, kept for RCPT and DATA.
#[derive(Clone, Debug)]
pub(crate) struct SenderAuth {
    pub(crate) spf: SpfFacts,
    pub(crate) sender_domain: SenderDomain,
    pub(crate) lookups: Vec<LookupRecord>,
}

impl Gateway {
    fn auth_gathering(&self) -> Gathering {
        let timeout = self.config.dns.timeout;
        Gathering::new(timeout * 3, timeout * 3)
    }

    /// SPF of `sender` (the HELO name for the null sender) and the sender
    /// domain's MX and addresses, concurrently.
    pub(crate) async fn authenticate_at_mail(&self, ip: IpAddr, helo: &str, sender: &str) -> SenderAuth {
        let gathering = self.auth_gathering();
        let (spf, sender_domain) = tokio::join!(
            self.authenticator.spf(&gathering, ip, helo, sender, &self.config.hostname),
            sluice_lookup::auth::sender_domain(&gathering, self.resolver.as_ref(), sender),
        );
        SenderAuth { spf, sender_domain, lookups: gathering.records() }
    }

    /// DKIM, ARC and DMARC of the message `raw`, with the transaction's SPF;
    /// the lookups of MAIL FROM and these, for the log.
    pub(crate) async fn authenticate_message(&self, raw: &[u8], at_mail: Option<&SenderAuth>) -> (AuthFacts, Vec<LookupRecord>) {
        let gathering = self.auth_gathering();
        let spf = at_mail.map(|auth| auth.spf.clone());
        let facts = self.authenticator.message(&gathering, self.resolver.as_ref(), raw, spf).await;
        let mut lookups = at_mail.map(|auth| auth.lookups.clone()).unwrap_or_default();
        lookups.extend(gathering.records());
        (facts, lookups)
    }
}

/// Removes every Authentication-Results field of the message's header that
/// claims to come from `hostname` (RFC 8601 5: only we may write those); the
/// header lines before each are moved up over it, inside the room in front of
/// the message, so the body is not copied. Returns the message's new start.
pub(crate) fn remove_forged_results(buffer: &mut [u8], start: usize, hostname: &str) -> usize {
    let mut start = start;
    let mut position = start;
    loop {
        let message = &buffer[position..];
        if message.starts_with(b"\r\n") || message.is_empty() {
            return start;
        }
        // One field: up to a CRLF not followed by folding white space.
        let mut end = position;
        loop {
            match memchr_crlf(&buffer[end..]) {
                Some(offset) => {
                    end += offset + 2;
                    if !matches!(buffer.get(end), Some(b' ' | b'\t')) {
                        break;
                    }
                }
                None => return start,
            }
        }
        if sluice_core::checks::authentication::claims_our_results(&buffer[position..end], hostname) {
            let length = end - position;
            buffer.copy_within(start..position, start + length);
            start += length;
            position = end;
        } else {
            position = end;
        }
    }
}

fn memchr_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|window| window == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_results_with_our_name_are_removed_others_kept() {
        let message: &[u8] = b"Received: by a\r\nAuthentication-Results: mx.test.example;\r\n\tspf=pass\r\nAuthentication-Results: mx.other.example; dkim=pass\r\nauthentication-results: MX.TEST.EXAMPLE; dmarc=pass\r\nSubject: hi\r\n\r\nAuthentication-Results: mx.test.example; body\r\n";
        let mut buffer = vec![0u8; 16];
        buffer.extend_from_slice(message);
        let start = remove_forged_results(&mut buffer, 16, "mx.test.example");
        assert_eq!(
            String::from_utf8_lossy(&buffer[start..]),
            "Received: by a\r\nAuthentication-Results: mx.other.example; dkim=pass\r\nSubject: hi\r\n\r\nAuthentication-Results: mx.test.example; body\r\n"
        );
        let mut unchanged = b"Subject: x\r\n\r\nbody".to_vec();
        assert_eq!(remove_forged_results(&mut unchanged, 0, "mx.test.example"), 0);
        let mut no_body = b"Authentication-Results: mx.test.example; x".to_vec();
        assert_eq!(remove_forged_results(&mut no_body, 0, "mx.test.example"), 0, "an unterminated field is left alone");
    }
}
