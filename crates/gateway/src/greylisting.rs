//! Greylisting at RCPT, with the standing and the triplets in the store so every
//! node of a cluster sees the same (the judgement is
//! `sluice_core::checks::greylisting`), and the standing a network earns when its
//! mail is accepted.

use std::net::IpAddr;

use sluice_core::checks::greylisting::{self, Standing};
use sluice_model::Finding;

use crate::Gateway;
use crate::pipeline::now_ms;

/// What the client's transaction brings besides the store's history.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientFacts {
    pub dnswl: bool,
    pub allow_listed: bool,
    pub spf_pass: bool,
}

/// The greylisting finding for this recipient, if the client must come back.
/// A store that does not answer greylists nobody (greylisting is a delay, not a
/// dependency the mail must wait for; DATA will find the store anyway).
pub async fn check(gateway: &Gateway, ip: IpAddr, sender: &str, recipient: &str, facts: ClientFacts) -> Option<Finding> {
    let policy = gateway.config.greylisting.policy();
    let now = now_ms();
    let network = greylisting::network_of(ip);
    let sender_domain = sluice_core::envelope::domain_of(sender);
    let (last_accepted, sender_domain_last_accepted) = match gateway.store.client_history(&network, &sender_domain).await {
        Ok(history) => history,
        Err(error) => {
            tracing::warn!(%error, "greylisting skipped: the store does not answer");
            return None;
        }
    };
    let standing = Standing {
        dnswl: facts.dnswl,
        allow_listed: facts.allow_listed,
        last_accepted,
        sender_domain_last_accepted,
        spf_pass: facts.spf_pass,
    };
    if greylisting::exemption(&standing, now, &policy).is_some() {
        return None;
    }
    let triplet = greylisting::triplet(ip, sender, recipient);
    match gateway.store.greylist_sighting(&triplet, now, greylisting::expired_before(now, &policy)).await {
        Ok(first_seen) => greylisting::check(first_seen, now, &policy),
        Err(error) => {
            tracing::warn!(%error, "greylisting skipped: the store does not answer");
            None
        }
    }
}

/// Mail from `ip` was accepted: its network has standing from now on (and the
/// sender's domain through it, when SPF passed for it).
pub async fn accepted(gateway: &Gateway, ip: IpAddr, spf_passed_domain: Option<&str>) {
    let network = greylisting::network_of(ip);
    if let Err(error) = gateway.store.record_accepted_client(&network, spf_passed_domain, now_ms()).await {
        tracing::warn!(%error, "cannot record the client's accepted mail for greylisting");
    }
}
