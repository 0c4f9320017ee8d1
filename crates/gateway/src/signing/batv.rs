//! BATV in the gateway: each domain's secret (made on first use, kept in the
//! store so every node tags and checks alike, then held in memory), the tag of
//! an outgoing envelope sender, and the check of a bounce's recipient at RCPT.
//! The format and the check are sluice-core's (`batv`, `checks::batv`).

use std::collections::HashMap;
use std::sync::Mutex;

use sluice_core::checks::batv::{self, Judged};
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
    if sender.is_empty() || gateway.config.domain_for(sender).is_none() || !gateway.settings_for_recipient(sender).batv {
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

/// What BATV makes of the recipient of a bounce (null sender), when its domain
/// (the settings of the address it stands for) has `batv = true`: `None` when
/// BATV does not apply, else the check's judgement. A secret that cannot be had
/// is a temporary failure (`error` / `unknown`, 451): never a silent accept.
pub async fn judge_bounce_recipient(gateway: &Gateway, recipient: &str) -> Option<Result<Judged, sluice_model::Finding>> {
    let stands_for = batv::untagged(recipient);
    if gateway.config.domain_for(stands_for).is_none() || !gateway.settings_for_recipient(stands_for).batv {
        return None;
    }
    let domain = sluice_core::envelope::domain_of(stands_for);
    Some(match secret(gateway, &domain).await {
        Ok(secret) => Ok(batv::check(recipient, &secret, now_seconds())),
        Err(error) => {
            tracing::warn!(%error, %recipient, "BATV secret unavailable; the bounce is deferred");
            Err(sluice_core::checks::failures::internal("BATV secret unavailable"))
        }
    })
}
