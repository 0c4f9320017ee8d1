//! Inbound message rates in the gateway (`checks::inbound_rate`): at RCPT,
//! the counters a message for the recipient would count in and their counts
//! this hour; after the final dot, one added to each when the message got its
//! 250.
//!
//! The counts live in the batched cluster counters (`counters.rs`), like the
//! connection rates and the dictionary attack's refused recipients, not in
//! the exact per-event store counts of the outgoing limit
//! (`submission.rs`): inbound mail is the busy path, and a flood must not cost
//! a store write per refused recipient. So a node sees its own counts at once
//! and the cluster's within a second of having counted the pair itself; a
//! mail bomb spread over N nodes gets at most about N messages more through
//! before each node refuses, and at most one refusal row per node.

use std::net::IpAddr;

use sluice_core::DomainSettings;
use sluice_core::checks::inbound_rate::{self, Counts, HOUR, InboundLimits};
use sluice_model::Finding;

use crate::Gateway;
use crate::counters::now_seconds;

impl Gateway {
    /// The counters a message from `client` to `recipient` counts in under
    /// the recipient's `settings`; `vouched` when an allow entry, an allow
    /// rule or a DNS allow list spoke for the client at RCPT (then, as for a
    /// client in `[limits] exempt`, it is not counted per network).
    pub(crate) fn inbound_counters(
        &self,
        client: IpAddr,
        recipient: &str,
        bounce: bool,
        vouched: bool,
        settings: &DomainSettings,
    ) -> inbound_rate::Counters {
        let exempt = vouched || self.exempt.contains(client);
        inbound_rate::counters(client, recipient, bounce, exempt, InboundLimits::of(settings))
    }

    /// The limit finding when one more message in `counters` would pass the
    /// recipient's limits, with `pending` (the counters of the recipients the
    /// transaction has accepted, counted at its 250) added to this hour's
    /// counts; `true` with it when this is the first refusal of the hour for
    /// its key (the one logged).
    pub(crate) fn inbound_over_limit(
        &self,
        client: IpAddr,
        recipient: &str,
        counters: &inbound_rate::Counters,
        pending: &[inbound_rate::Counters],
        settings: &DomainSettings,
    ) -> Option<(Finding, bool)> {
        let now = now_seconds();
        let count = |key: &Option<String>| {
            let key = key.as_deref()?;
            let in_transaction = pending
                .iter()
                .flat_map(|counted| counted.messages.iter().chain(&counted.bounces))
                .filter(|pending| pending.as_str() == key)
                .count() as u64;
            Some(self.counters.current(key, HOUR, now) + in_transaction)
        };
        let counts = Counts { messages: count(&counters.messages), bounces: count(&counters.bounces) };
        let finding = inbound_rate::check(counts, InboundLimits::of(settings))?;
        let refusals = self.counters.add_one(&inbound_rate::refusal_key(&finding, client, recipient), HOUR, now);
        Some((finding, refusals == 1))
    }

    /// Counts one accepted message in the counters of each of its recipients.
    pub(crate) fn count_inbound_message(&self, counters: &[inbound_rate::Counters]) {
        let now = now_seconds();
        for key in counters.iter().flat_map(|counted| counted.messages.iter().chain(&counted.bounces)) {
            self.counters.add_one(key, HOUR, now);
        }
    }
}
