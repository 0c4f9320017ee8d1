//! BATV in the gateway: each domain's secret (made on first use, kept in the
//! store so every node tags and checks alike, then held in memory), the tag of
//! an outgoing envelope sender, and the check of a bounce's recipient at RCPT.
//! The format and the check are sluice-core's (`batv`, `checks::batv`).

use std::collections::HashMap;
use std::sync::Mutex;

use sluice_core::checks::batv::{self, Judged};
use sluice_model::Finding;
use sluice_store::StoreError;

use crate::Gateway;

/// Bytes of a new secret (HMAC-SHA1's block is 64; 32 random bytes are plenty).
const SECRET_BYTES: usize = 32;

/// The secrets this node has read, by domain (lower case). A secret never
/// changes once stored, so nothing here goes stale.
#[derive(Default)]
pub struct Secrets {
    known: Mutex<HashMap<String, Vec<u8>>>,
}

/// `domain`'s secret, stored first when it has none.
pub async fn secret(gateway: &Gateway, domain: &str) -> Result<Vec<u8>, StoreError> {
    let domain = domain.to_ascii_lowercase();
    if let Some(secret) = gateway.batv_secrets.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&domain) {
        return Ok(secret.clone());
    }
    let fresh: [u8; SECRET_BYTES] = rand::random();
    let secret = gateway.store.batv_secret(&domain, &fresh, crate::pipeline::now_ms()).await?;
    gateway.batv_secrets.known.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(domain, secret.clone());
    Ok(secret)
}

/// Seconds since the epoch, the time BATV tags are made and checked at.
fn now_seconds() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The envelope sender an outgoing message leaves with: tagged when its domain
/// is one of ours with `batv = true` (the sender's settings: mailbox, domain,
/// global), else as it is. A secret that cannot be had leaves it untagged
/// (logged): the mail still goes, and its bounces would be refused.
pub async fn tag_sender(gateway: &Gateway, sender: &str) -> String {
    if sender.is_empty() || gateway.domains().domain_for(sender).is_none() || !gateway.settings_for_recipient(sender).batv {
        return sender.to_owned();
    }
    let domain = sluice_core::envelope::domain_of(sender);
    match secret(gateway, &domain).await {
        Ok(secret) => sluice_core::batv::tag(sender, &secret, now_seconds()),
        Err(error) => {
            tracing::warn!(%error, %sender, "BATV secret unavailable; the envelope sender leaves untagged");
            sender.to_owned()
        }
    }
}

/// What BATV makes of a recipient at RCPT.
#[derive(Debug)]
pub enum AtRcpt {
    /// BATV has nothing to say: the recipient stays as received.
    Untouched,
    /// A valid tag: the recipient becomes `address`, the untagged one;
    /// `finding` is `not-spam` / `batv` for a bounce.
    Untagged { address: String, finding: Option<Finding> },
    /// A bounce without a valid tag (`spam` / `batv`), or a temporary failure
    /// to judge it (`error` / `unknown`, 451): never a silent accept.
    Refused(Finding),
}

/// Judges `recipient` at RCPT. A bounce (`null_sender`) to a domain with
/// `batv = true` (the settings of the address it stands for) must carry a
/// valid tag. Any other mail to a valid tag of ours (a reply to the envelope
/// sender, a bounce after the domain turned BATV off) goes to the untagged
/// address, which is the one its server knows; an invalid tag there is left
/// alone (the domain's server refuses an address it does not know).
pub async fn judge_recipient(gateway: &Gateway, null_sender: bool, recipient: &str) -> AtRcpt {
    let stands_for = batv::untagged(recipient);
    if gateway.domains().domain_for(stands_for).is_none() {
        return AtRcpt::Untouched;
    }
    let enabled = gateway.settings_for_recipient(stands_for).batv;
    if !needs_secret(null_sender, enabled, recipient) {
        return AtRcpt::Untouched;
    }
    let domain = sluice_core::envelope::domain_of(stands_for);
    match secret(gateway, &domain).await {
        Ok(secret) => judge(null_sender, enabled, recipient, Some(&secret), now_seconds()),
        Err(error) if null_sender && enabled => {
            tracing::warn!(%error, %recipient, "BATV secret unavailable; the bounce is deferred");
            AtRcpt::Refused(sluice_core::checks::failures::internal("BATV secret unavailable"))
        }
        Err(error) => {
            tracing::warn!(%error, %recipient, "BATV secret unavailable; the tagged recipient is left as it is");
            AtRcpt::Untouched
        }
    }
}

/// Whether [`judge`] has something to say about `recipient` of a domain of
/// ours (so its secret is worth reading).
pub fn needs_secret(null_sender: bool, enabled: bool, recipient: &str) -> bool {
    (null_sender && enabled) || batv::untagged(recipient) != recipient
}

/// [`judge_recipient`] on the facts, for the gateway and `sluice explain`:
/// `enabled` is the `batv` setting of the address the recipient stands for,
/// `secret` its domain's (`None`: none was ever made, so no tag is ours).
pub fn judge(null_sender: bool, enabled: bool, recipient: &str, secret: Option<&[u8]>, unix_seconds: i64) -> AtRcpt {
    let judged_bounce = null_sender && enabled;
    let judged = match secret {
        Some(secret) => batv::check(recipient, secret, unix_seconds),
        None => match batv::check(recipient, &[], unix_seconds) {
            Judged::Valid { .. } => Judged::Refused(batv::refusal("tag with a wrong signature")),
            refused => refused,
        },
    };
    match judged {
        Judged::Valid { untagged, finding } => AtRcpt::Untagged { address: untagged, finding: judged_bounce.then_some(finding) },
        Judged::Refused(finding) if judged_bounce => AtRcpt::Refused(finding),
        Judged::Refused(_) => AtRcpt::Untouched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_126_400;

    #[test]
    fn bounces_to_a_batv_domain_need_a_valid_tag_other_mail_is_only_untagged() {
        let tagged = sluice_core::batv::tag("alice@example.test", b"s", NOW);
        let untagged = |at: AtRcpt| match at {
            AtRcpt::Untagged { address, finding } => Some((address, finding.map(|finding| finding.main))),
            _ => None,
        };
        use sluice_model::MainClass;
        let alice = Some(("alice@example.test".to_owned(), None));
        assert_eq!(untagged(judge(true, true, &tagged, Some(b"s"), NOW)), Some(("alice@example.test".to_owned(), Some(MainClass::NotSpam))));
        assert_eq!(untagged(judge(false, true, &tagged, Some(b"s"), NOW)), alice, "a reply to the tag");
        assert_eq!(untagged(judge(true, false, &tagged, Some(b"s"), NOW)), alice, "a bounce after BATV was turned off");
        assert!(matches!(judge(true, true, "alice@example.test", Some(b"s"), NOW), AtRcpt::Refused(_)));
        assert!(matches!(judge(true, true, &tagged, Some(b"other"), NOW), AtRcpt::Refused(_)));
        assert!(matches!(judge(true, true, &tagged, None, NOW), AtRcpt::Refused(_)), "no secret: no tag is ours");
        assert!(matches!(judge(false, true, &tagged, Some(b"other"), NOW), AtRcpt::Untouched));
        assert!(matches!(judge(true, false, "alice@example.test", Some(b"s"), NOW), AtRcpt::Untouched));
        assert!(!needs_secret(false, true, "alice@example.test"));
        assert!(needs_secret(false, false, &tagged) && needs_secret(true, true, "alice@example.test"));
    }
}
