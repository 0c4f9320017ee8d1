//! The DNS lists in the gateway: what the sessions and the pipeline call.
//!
//! - [`Gateway::client_facts`]: the client's listings in every `[[dnsbl]]` and
//!   `[[dnswl]]` and its forward-confirmed host name, gathered once per
//!   connection (at its first recipient) with every query at once, within
//!   `[dns] timeout` each and twice that in all (PTR, then the names' addresses).
//!   The host name is looked up when something reads it: a DNS list, a
//!   `hostname` list entry or an `s_hostname` rule; the lists, the rules and our
//!   `Received:` header all read this one answer.
//! - [`findings_at_rcpt`]: the block lists' `dnsbl-rcpt` finding for a domain
//!   that judges them at RCPT.
//! - [`gather_for_message`]: after the final dot, on the classification's own
//!   parse, the URL lists' answers about the message's domains (at most
//!   `URLBL_MAX_QUERIES` queries) and the hash lists' about its hashed
//!   addresses, URLs and attachments (at most `MAX_ITEMS_PER_KIND` of each kind
//!   per list), every one at once, within `[dns] timeout` in all;
//!   [`MessageDnsFacts::judge`] hands them, with the client's listings, to the
//!   classification as a `Judge`.
//!
//! A list that times out or fails lists nothing; its lookup is in the log row.

use std::sync::Arc;

use sluice_core::DnsblStage;
use sluice_core::checks::dnslists::{self, ClientReputation, DnsLists, DnsListsJudge, UrlAnswer};
use sluice_core::checks::hashbl::{self, HashAnswer, HashQuery};
use sluice_core::lookups::LookupRecord;
use sluice_model::{Finding, MainClass};
use sluice_lookup::Gathering;

use crate::Gateway;

/// What the DNS says about the client of one connection.
#[derive(Clone, Debug, Default)]
pub struct ClientFacts {
    pub reputation: ClientReputation,
    /// The lookups made for it, for the log rows of the connection.
    pub lookups: Vec<LookupRecord>,
}

impl ClientFacts {
    /// The client's forward-confirmed host name, when looked up and found.
    pub fn hostname(&self) -> Option<&str> {
        self.reputation.hostname.as_deref()
    }
}

impl Gateway {
    /// The client's DNS facts (see the module documentation); nothing is asked
    /// when nothing reads the answers.
    pub async fn client_facts(&self, ip: std::net::IpAddr) -> ClientFacts {
        let lists = &self.config.dns_lists;
        let with_hostname = self.lists().needs_hostname() || self.rules().needs_hostname() || lists.has_client_lists();
        if !with_hostname {
            return ClientFacts::default();
        }
        let timeout = self.config.dns.timeout;
        let gathering = Gathering::new(timeout * 2, timeout);
        let reputation = sluice_lookup::dnslists::client_reputation(self.resolver.as_ref(), &gathering, lists, ip, true).await;
        tracing::debug!(%ip, hostname = ?reputation.hostname, lookups = ?gathering.records(), "client facts");
        ClientFacts { reputation, lookups: gathering.records() }
    }
}

/// The block lists' finding for a recipient whose domain judges them at RCPT;
/// `listed` are the admin's list and rule findings for it (an allow entry there
/// outranks the public lists).
pub fn findings_at_rcpt(lists: &DnsLists, client: &ClientFacts, stage: DnsblStage, listed: &[Finding]) -> Option<Finding> {
    let allowed = listed.iter().any(|finding| finding.main == MainClass::AllowList);
    dnslists::check_client_at_rcpt(lists, &client.reputation, stage, allowed)
}

/// The DNS facts of one message: the connection's client facts and the URL
/// and hash lists' answers about the message.
#[derive(Default)]
pub struct MessageDnsFacts {
    pub client: Arc<ClientFacts>,
    pub urls: Vec<UrlAnswer>,
    pub hashes: Vec<HashAnswer>,
    message_lookups: Vec<LookupRecord>,
}

impl MessageDnsFacts {
    /// The DNS lists as a judge of the classification.
    pub fn judge<'j>(&'j self, lists: &'j DnsLists, stage: DnsblStage) -> DnsListsJudge<'j> {
        DnsListsJudge { lists, reputation: &self.client.reputation, urls: &self.urls, hashes: &self.hashes, stage }
    }

    /// Every lookup made for the message (the connection's, then its own), for
    /// its log row.
    pub fn lookups(&self) -> Vec<LookupRecord> {
        self.client.lookups.iter().chain(&self.message_lookups).cloned().collect()
    }
}

/// The message's DNS facts: the connection's client facts and the URL and hash
/// lists' answers about the message whose parse is `facts` (none without
/// `[[urlbl]]` or `[[hashbl]]`).
///
/// Called on the blocking thread that holds the classification's parse, so the
/// message is parsed once: the lookups run on the runtime through `runtime`
/// (every one at once, within `[dns] timeout` in all) while this thread waits.
pub fn gather_for_message(
    runtime: &tokio::runtime::Handle,
    resolver: &dyn sluice_lookup::Resolver,
    config: &crate::Config,
    client: Option<Arc<ClientFacts>>,
    facts: &sluice_core::MessageFacts<'_>,
) -> MessageDnsFacts {
    let client = client.unwrap_or_default();
    let lists = &config.dns_lists;
    // A panic in the extraction leaves the lists nothing to say; the
    // classification meets the same message and reports what it finds.
    let targets = match lists.urlbl.len() {
        0 => Vec::new(),
        count => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sluice_core::urls::lookup_targets(facts, dnslists::url_targets_per_message(count))
        }))
        .unwrap_or_default(),
    };
    let queries = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hashbl::queries(&lists.hashbl, facts))).unwrap_or_default();
    if targets.is_empty() && queries.is_empty() {
        return MessageDnsFacts { client, ..MessageDnsFacts::default() };
    }
    let timeout = config.dns.timeout;
    let gathering = Gathering::new(timeout, timeout);
    let (urls, hashes) = runtime.block_on(ask_about_message(resolver, &gathering, lists, &targets, queries));
    MessageDnsFacts { client, urls, hashes, message_lookups: gathering.records() }
}

/// The URL lists about `targets` and the hash lists' `queries`, all at once.
async fn ask_about_message(
    resolver: &dyn sluice_lookup::Resolver,
    gathering: &Gathering,
    lists: &DnsLists,
    targets: &[sluice_core::urls::LookupTarget],
    queries: Vec<HashQuery>,
) -> (Vec<UrlAnswer>, Vec<HashAnswer>) {
    tokio::join!(
        sluice_lookup::dnslists::url_listings(resolver, gathering, &lists.urlbl, targets),
        sluice_lookup::dnslists::hash_listings(resolver, gathering, queries)
    )
}

/// What `sluice explain` asks, as the gateway would: the client's facts (when
/// `ip` is given) and the URL and hash lists' answers about `raw`, with a
/// resolver of its own built from the configuration's `[dns]`.
pub async fn gather_for_explain(config: &crate::Config, ip: Option<std::net::IpAddr>, raw: &[u8]) -> anyhow::Result<MessageDnsFacts> {
    let resolver = sluice_lookup::dns::DnsResolver::new(config.dns.resolver, config.dns.timeout)?;
    let lists = &config.dns_lists;
    let timeout = config.dns.timeout;
    let client = match ip {
        Some(ip) if lists.has_client_lists() => {
            let gathering = Gathering::new(timeout * 2, timeout);
            let reputation = sluice_lookup::dnslists::client_reputation(&resolver, &gathering, lists, ip, true).await;
            ClientFacts { reputation, lookups: gathering.records() }
        }
        _ => ClientFacts::default(),
    };
    let envelope = sluice_core::Envelope::default();
    let max_targets = dnslists::url_targets_per_message(lists.urlbl.len());
    let facts = sluice_core::MessageFacts::new(raw, &envelope, 0);
    let targets = sluice_core::urls::lookup_targets(&facts, max_targets);
    let queries = hashbl::queries(&lists.hashbl, &facts);
    drop(facts);
    let gathering = Gathering::new(timeout, timeout);
    let (urls, hashes) = ask_about_message(&resolver, &gathering, lists, &targets, queries).await;
    Ok(MessageDnsFacts { client: Arc::new(client), urls, hashes, message_lookups: gathering.records() })
}
