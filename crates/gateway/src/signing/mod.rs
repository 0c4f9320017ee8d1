//! Signing outgoing mail on its way out (`delivery::outgoing`): the BATV tag of
//! the envelope sender (`batv.rs`) and the DKIM signature of the header From's
//! domain (`dkim.rs`).
//!
//! Which domain signs: the header From's, when it is one of ours with an active
//! key; the newest key of each algorithm signs (RSA and Ed25519 side by side). That is the domain DMARC aligns with, and the submission checks made
//! sure the user may send as it. Mail whose From is not ours, or whose domain
//! has no key, leaves unsigned (said at debug level). A key the store cannot
//! give, or that cannot sign, leaves the message unsigned too (a warning): the
//! mail still goes, as it would have before keys existed.

pub mod batv;
pub mod dkim;

use crate::Gateway;

/// The envelope sender and the message an outgoing message leaves with.
pub async fn sign_outgoing(gateway: &Gateway, sender: &str, raw: Vec<u8>) -> (String, Vec<u8>) {
    let sender = batv::tag_sender(gateway, sender).await;
    let raw = dkim_sign(gateway, raw).await;
    (sender, raw)
}

/// `raw` with a `DKIM-Signature` field in front, when its From domain signs.
async fn dkim_sign(gateway: &Gateway, raw: Vec<u8>) -> Vec<u8> {
    let Some(from) = sluice_core::checks::lists::header_from(&raw) else {
        tracing::debug!("outgoing message without a From address: not DKIM-signed");
        return raw;
    };
    if gateway.domains().domain_for(&from).is_none() {
        tracing::debug!(%from, "From domain is not ours: not DKIM-signed");
        return raw;
    }
    let domain = sluice_core::envelope::domain_of(&from);
    let keys = match gateway.store.signing_keys(&domain).await {
        Ok(keys) if keys.is_empty() => {
            tracing::debug!(%domain, "no DKIM key for the domain (sluice dkim generate): not signed");
            return raw;
        }
        Ok(mut keys) => {
            // The RSA signature first: some verifiers read only the first one.
            keys.sort_by_key(|key| dkim::Algorithm::parse(&key.algorithm) != Some(dkim::Algorithm::Rsa));
            keys
        }
        Err(error) => {
            tracing::warn!(%error, %domain, "cannot read the domain's DKIM keys; the message leaves unsigned");
            return raw;
        }
    };
    // Hashing the body is CPU work on up to the largest message: off the
    // threads that drive the sockets. Each key signs the message as it came.
    let raw = std::sync::Arc::new(raw);
    let signed = {
        let (raw, domain) = (raw.clone(), domain.clone());
        tokio::task::spawn_blocking(move || {
            let mut fields = String::new();
            for key in &keys {
                let Some(algorithm) = dkim::Algorithm::parse(&key.algorithm) else {
                    tracing::warn!(%domain, algorithm = %key.algorithm, "stored DKIM key of an unknown algorithm: not used");
                    continue;
                };
                match dkim::sign(&raw, &domain, &key.selector, algorithm, &key.private_key) {
                    Ok(field) => fields.push_str(&field),
                    Err(error) => tracing::warn!(%error, %domain, selector = %key.selector, "DKIM signing failed with this key"),
                }
            }
            fields
        })
        .await
    };
    // The task's handle on the message is gone once it ended, however it ended.
    let raw = std::sync::Arc::try_unwrap(raw).unwrap_or_else(|shared| shared.as_ref().clone());
    match signed {
        Ok(fields) if !fields.is_empty() => {
            tracing::debug!(%domain, "DKIM-signed");
            let mut signed = Vec::with_capacity(fields.len() + raw.len());
            signed.extend_from_slice(fields.as_bytes());
            signed.extend_from_slice(&raw);
            signed
        }
        Ok(_) => raw,
        Err(error) => {
            tracing::warn!(%error, %domain, "DKIM signing task failed; the message leaves unsigned");
            raw
        }
    }
}
