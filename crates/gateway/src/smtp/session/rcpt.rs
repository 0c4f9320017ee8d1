//! RCPT TO: relay protection, the recipient's settings in force (mailbox over
//! domain over global), its checks and the allow and block lists (client
//! address, HELO, envelope sender, recipient), sender verification (the sender
//! domain's MX and A/AAAA gathered at MAIL), BATV (a bounce's recipient must
//! carry our tag; a valid tag is replaced by the untagged address), the
//! inbound message rates (`inbound_rate.rs`: a flood at the recipient is
//! deferred), and one verdict per transaction (a recipient whose settings
//! differ from the first accepted one's is deferred). For a recipient with
//! `filtering = false` only the recipient checks, sizes and rates apply.

use sluice_core::checks::{dictionary_attack, envelope_policy, lists, recipient_verification, relay, sender_verification};
use sluice_core::verdict::decide;
use sluice_model::{Action, Finding, Verdict};

use super::{End, Session, reply};
use crate::pipeline;
use crate::smtp::path::{self, Path};

impl Session {
    /// RCPT, with the forward-path as `path.rs` reads it from `line`;
    /// `<postmaster>` goes to the configured postmaster.
    pub(super) async fn rcpt_command(&mut self, line: &[u8]) -> Result<Option<End>, ()> {
        let refused = match path::parse(line) {
            Ok(path::Command { path: Path::Mailbox(address), .. }) => return Ok(self.rcpt(address).await),
            // `[smtp] postmaster`, else the first file domain's, else the first
            // domain added through the API.
            Ok(path::Command { path: Path::Postmaster, .. }) => match self
                .gateway
                .config
                .postmaster()
                .or_else(|| self.gateway.domains().iter().next().map(|domain| format!("postmaster@{}", domain.name)))
            {
                Some(address) => return Ok(self.rcpt(address).await),
                None => "no postmaster configured",
            },
            Ok(path::Command { path: Path::Null, .. }) => "empty path",
            Err(path::PathError(why)) => why,
        };
        self.connection.reply(&reply(501, [5, 1, 3], &format!("Bad recipient address syntax: {refused}")));
        Ok(self.count_error().await.then_some(End::Quit))
    }


    /// Every refused recipient counts as an error of the session: a client that
    /// tries address after address (and makes us log each) is cut off at
    /// `max_errors`, as Postfix's hard error limit does. `address` is the
    /// forward-path as received (or the configured postmaster).
    pub(super) async fn rcpt(&mut self, address: String) -> Option<End> {
        let Some(sender) = self.transaction.sender.clone() else {
            self.connection.reply(&reply(503, [5, 5, 1], "Need MAIL before RCPT"));
            return None;
        };
        if self.transaction.recipients.len() + self.transaction.blackholed.len() >= self.gateway.config.smtp.max_recipients {
            self.connection.reply(&reply(452, [4, 5, 3], "Too many recipients"));
            return None;
        }
        if let Some(user) = self.authenticated.clone() {
            return self.rcpt_outgoing(&user, address);
        }
        let gateway = self.gateway.clone();
        // BATV: a bounce to one of our addresses must come back to a return
        // path we tagged; a valid tag stands for the untagged address, which
        // everything below judges and the destination receives.
        let (address, batv_tag) = self.batv(&sender, address).await;
        // A client harvesting addresses learns nothing more, not even which of
        // its next recipients exist.
        let refused_key = dictionary_attack::counter_key(self.peer.ip());
        let refused_so_far = gateway.counters.current(&refused_key, dictionary_attack::WINDOW, crate::counters::now_seconds());
        let live = gateway.settings_for_recipient(&address);
        let settings = live.as_ref();
        if let Some(finding) = dictionary_attack::check(refused_so_far, settings.dictionary_attack_limit) {
            // A harvester that goes on past the deferrals counts on towards
            // the outright refusal.
            use sluice_lookup::Counters;
            let _ = gateway.counters.increment(&refused_key, dictionary_attack::WINDOW).await;
            return self.refuse_before_policy(&sender, &address, finding).await;
        }
        if let Some(finding) = relay::check(&address, gateway.domains().domain_for(&address).is_some()) {
            return self.refuse_before_policy(&sender, &address, finding).await;
        }
        let mut accepted = self.transaction.recipients.clone();
        accepted.extend(self.transaction.blackholed.iter().map(|(address, _)| address.clone()));
        let envelope = self.envelope(sender.clone(), accepted);
        // Filtering off for this recipient (`checks::filtering`): only what
        // protects the gateway applies, the recipient checks, sizes and rates;
        // nothing that judges the sender (greeting, sender verification, BATV,
        // lists and rules, DNS lists, greylisting).
        let filtering = settings.filtering;
        let (mut findings, listed, client_vouched) = if filtering {
            self.judged_at_rcpt(&envelope, &address, settings, batv_tag.clone()).await
        } else {
            let findings = envelope_policy::check_recipient(&envelope, &address, settings)
                .or_else(|| envelope_policy::check_declared_size(self.transaction.declared_size, settings));
            (findings.into_iter().collect(), Vec::new(), false)
        };
        // An allow-list entry vouches for the mail, not for the mailbox.
        let vouched = |finding: &Finding| matches!(finding.main, sluice_model::MainClass::AllowList | sluice_model::MainClass::NotSpam);
        // A flood at this recipient (`checks::inbound_rate`), judged when
        // nothing else refuses it: deferred, and logged once an hour.
        let counted = gateway.inbound_counters(self.peer.ip(), &address, sender.is_empty(), client_vouched, settings);
        if findings.iter().all(vouched)
            && let Some((flood, logged)) = gateway.inbound_over_limit(self.peer.ip(), &address, &counted, &self.transaction.counted, settings)
        {
            let verdict = decide(std::slice::from_ref(&flood), settings);
            if logged {
                self.log_refusal(&sender, &address, &[flood], &verdict).await;
            }
            self.connection.reply(&verdict.reply);
            return self.count_error().await.then_some(End::Quit);
        }
        // Greylisting before the callout: a client without standing costs the
        // destination nothing until it comes back. (A DNS allow list or an
        // allow entry is a finding here: standing.)
        if settings.greylisting && filtering && findings.is_empty() {
            let spf_pass = self.transaction.sender_auth.as_ref().is_some_and(|auth| auth.spf.sender_passed());
            let facts = crate::greylisting::ClientFacts { spf_pass, ..crate::greylisting::ClientFacts::default() };
            findings.extend(crate::greylisting::check(&gateway, self.peer.ip(), &sender, &address, facts).await);
        }
        if settings.verify_recipients && findings.iter().all(vouched) {
            findings.extend(self.callout(&address).await);
        }
        if findings.iter().any(dictionary_attack::counts) {
            use sluice_lookup::Counters;
            let _ = gateway.counters.increment(&refused_key, dictionary_attack::WINDOW).await;
        }
        let verdict = (!findings.is_empty()).then(|| decide(&findings, settings));
        let disparate = || {
            let first = self.transaction.settings.as_ref()?;
            envelope_policy::check_disparate(first, settings)
                .or_else(|| lists::check_disparate(&self.transaction.listed, &listed))
        };
        let refusal: Option<(Verdict, Vec<Finding>)> = match verdict {
            Some(verdict) if verdict.action == Action::Discard => {
                let deciding = findings.iter().position(|finding| (finding.main, finding.sub) == (verdict.main, verdict.sub));
                let finding = findings.swap_remove(deciding.unwrap_or(0));
                self.transaction.blackholed.push((address, finding));
                self.connection.reply(&reply(250, [2, 1, 5], "Recipient ok"));
                return None;
            }
            Some(verdict) if verdict.action != Action::Deliver => Some((verdict, findings)),
            // Accepted (no finding, or an allow-list entry): one verdict per
            // transaction, so its policy must be the first recipient's.
            _ => disparate().map(|finding| (decide(std::slice::from_ref(&finding), settings), vec![finding])),
        };
        if let Some((verdict, findings)) = refusal {
            self.log_refusal(&sender, &address, &findings, &verdict).await;
            self.connection.reply(&verdict.reply);
            return self.count_error().await.then_some(End::Quit);
        }
        if self.transaction.settings.is_none() {
            self.transaction.settings = Some(settings.clone());
            self.transaction.listed = listed;
        }
        self.transaction.recipients.push(address);
        if !counted.is_empty() {
            self.transaction.counted.push(counted);
        }
        // Only a valid tag counts after the final dot (an allow entry may have
        // outranked an invalid one here), and only for a message that is judged.
        if filtering {
            self.transaction.batv.extend(batv_tag.filter(|finding| finding.main == sluice_model::MainClass::NotSpam));
        }
        self.connection.reply(&reply(250, [2, 1, 5], "Recipient ok"));
        None
    }

    /// The RCPT findings of a recipient whose mail is filtered: its own checks
    /// (greeting, address, size), BATV (`batv_tag`), sender verification, the
    /// lists and rules on the envelope and the DNS lists; with the list and
    /// rule findings alone (every recipient of the transaction must have the
    /// same), and whether an allow entry, an allow rule or a DNS allow list
    /// spoke for the client.
    async fn judged_at_rcpt(
        &mut self,
        envelope: &sluice_core::Envelope,
        address: &str,
        settings: &sluice_core::DomainSettings,
        batv_tag: Option<Finding>,
    ) -> (Vec<Finding>, Vec<Finding>, bool) {
        let gateway = self.gateway.clone();
        // The lists are judged with the envelope policy: an allow entry outranks
        // a block-list finding (an invalid greeting too), never a protocol one.
        if self.client.is_none() {
            self.client = Some(std::sync::Arc::new(gateway.client_facts(self.peer.ip()).await));
        }
        let client = self.client.clone().unwrap_or_default();
        let hostname = client.hostname().map(str::to_owned);
        // Rules on envelope fields are judged here too, as part of the same outcome.
        let spf_pass = self.transaction.sender_auth.as_ref().is_some_and(|auth| auth.spf.sender_passed());
        let mut listed = gateway.list_findings_at_rcpt(envelope, hostname.as_deref(), address, spf_pass);
        listed.extend(crate::rules::findings_at_rcpt(&gateway.rules(), envelope, hostname.as_deref(), address, spf_pass));
        let mut findings: Vec<Finding> = envelope_policy::check_rcpt(envelope, address, settings)
            .or_else(|| envelope_policy::check_declared_size(self.transaction.declared_size, settings))
            .into_iter()
            .collect();
        findings.extend(batv_tag);
        // The sender's domain, as DNS answered at MAIL FROM, for this recipient's settings.
        let sender_auth = self.transaction.sender_auth.clone();
        findings.extend(sender_auth.and_then(|auth| sender_verification::check(&auth.sender_domain, settings)));
        findings.extend(listed.iter().cloned());
        findings.extend(crate::dnslists::findings_at_rcpt(&gateway.config.dns_lists, &client, settings.dnsbl_stage, &listed));
        let client_vouched = listed.iter().any(|finding| finding.main == sluice_model::MainClass::AllowList)
            || sluice_core::checks::dnslists::check_allow_lists(&gateway.config.dns_lists.dnswl, &client.reputation).is_some();
        (findings, listed, client_vouched)
    }

    /// A recipient of an authenticated user's message: any address (ours go to
    /// the domain's destination, others to the internet). The inbound
    /// recipient checks (relaying, the recipient's policy, the lists,
    /// greylisting, callouts) are about mail coming in and do not apply; the
    /// message is classified with the user's own settings.
    fn rcpt_outgoing(&mut self, user: &str, address: String) -> Option<End> {
        if self.transaction.settings.is_none() {
            self.transaction.settings = Some(self.gateway.settings_for_recipient(user).as_ref().clone());
        }
        self.transaction.recipients.push(address);
        self.connection.reply(&reply(250, [2, 1, 5], "Recipient ok"));
        None
    }

    /// The recipient as BATV reads it (`signing::batv`): a valid tag of ours
    /// gives the untagged address (and `not-spam` / `batv` for a bounce); a
    /// bounce (null `sender`) to a domain with `batv = true` without one gives
    /// `spam` / `batv` (or a temporary failure), which the recipient's verdict
    /// refuses. Anything else passes as it is.
    async fn batv(&mut self, sender: &str, address: String) -> (String, Option<Finding>) {
        use crate::signing::batv::{AtRcpt, judge_recipient};
        match judge_recipient(&self.gateway, sender.is_empty(), &address).await {
            AtRcpt::Untouched => (address, None),
            AtRcpt::Untagged { address: untagged, finding } => {
                tracing::info!(peer = %self.peer, tagged = %address, %untagged, "valid BATV tag: the recipient is the untagged address");
                (untagged, finding)
            }
            AtRcpt::Refused(finding) => (address, Some(finding)),
        }
    }

    /// Refuses a recipient for a finding made before any settings apply (a
    /// dictionary attack, relaying): the reply, a log row, an error of the session.
    async fn refuse_before_policy(&mut self, sender: &str, address: &str, finding: Finding) -> Option<End> {
        let refused = pipeline::verdict_for(finding.clone());
        self.log_refusal(sender, address, &[finding], &refused).await;
        self.connection.reply(&refused.reply);
        self.count_error().await.then_some(End::Quit)
    }

    /// Asks the recipient's domain server whether it exists (`callout.rs`).
    async fn callout(&mut self, address: &str) -> Option<Finding> {
        let gateway = self.gateway.clone();
        // The route delivery uses: the domain's name stands for its destination.
        let destination = gateway.domains().domain_for(address)?.name.clone();
        // Within the client's own command timeout, and never longer than a
        // delivery attempt would wait for a reply.
        let deadline = gateway.config.delivery.timeout.min(gateway.config.smtp.timeout);
        let outcome = gateway.callouts.verify(&gateway, &mut self.transaction.callout, &destination, address, deadline).await;
        recipient_verification::check(&outcome)
    }

    pub(super) async fn log_refusal(&mut self, sender: &str, recipient: &str, findings: &[Finding], verdict: &Verdict) {
        let envelope = self.envelope(sender.to_owned(), vec![recipient.to_owned()]);
        // What MAIL FROM looked up (sender authentication) and what the
        // connection did (DNS lists, the client's name).
        let mut lookups = self.transaction.sender_auth.as_ref().map(|auth| auth.lookups.clone()).unwrap_or_default();
        lookups.extend(self.client.as_ref().map(|client| client.lookups.clone()).unwrap_or_default());
        crate::smtp::log_refusal_looked_up(&self.gateway, &envelope, findings, verdict, lookups).await;
    }
}
