//! What happens to a message between the final dot and the reply: gather, judge,
//! decide, record.
//!
//! **Invariant:** a positive reply is returned only after the store has committed
//! the message together with its queue rows (or its quarantine row). Any failure
//! on the way turns into a `451` and an `error` class: never a silent accept.

use std::net::SocketAddr;

use sluice_core::{DomainSettings, Envelope};
use sluice_core::checks::failures;
use sluice_model::{Action, Finding, MainClass, Precedence, Verdict};
use sluice_store::{Direction, Explanation, LogEntry, LoggedFinding, MessageBytes, NewQueueEntry, PathStep, StoreError, StoreFailure};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::Gateway;
use crate::config::Config;
use crate::domains::DomainSet;

/// What the `Received:` header we add records.
pub(crate) struct Received {
    pub(crate) helo: String,
    pub(crate) peer: SocketAddr,
    pub(crate) tls: bool,
    pub(crate) esmtp: bool,
    /// What the DNS says about the client (its forward-confirmed host name
    /// among it), when it was gathered.
    pub(crate) client: Option<std::sync::Arc<crate::dnslists::ClientFacts>>,
    /// Findings made at RCPT that count in the message's verdict: a bounce's
    /// valid BATV tag (`not-spam` / `batv`).
    pub(crate) findings_at_rcpt: Vec<Finding>,
}

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The verdict for one finding made before any recipient's settings apply.
pub(crate) fn verdict_for(finding: Finding) -> Verdict {
    sluice_core::verdict::decide(&[finding], &DomainSettings::default())
}

/// Room the session leaves in front of a message body it receives, for the
/// headers we add (`Received:`, `X-Sluice-Class:`): written there, they make the
/// message without copying the body into a new buffer.
pub(crate) const HEADROOM: usize = 2048;

/// A body as the session received it: `HEADROOM` bytes of room, then the body.
pub(crate) fn new_body_buffer(capacity: usize) -> Vec<u8> {
    let mut buffer = Vec::with_capacity(HEADROOM + capacity);
    buffer.resize(HEADROOM, 0);
    buffer
}

/// Writes `header` into the room in front of `buffer[start..]`; returns the new
/// start. Without room enough (never with our headers' bounded sizes), the
/// message is copied into a buffer with room.
fn prepend(buffer: &mut Vec<u8>, start: usize, header: &[u8]) -> usize {
    if header.len() <= start {
        let new_start = start - header.len();
        buffer[new_start..start].copy_from_slice(header);
        return new_start;
    }
    let mut grown = Vec::with_capacity(HEADROOM + header.len() + buffer.len() - start);
    grown.resize(HEADROOM, 0);
    grown.extend_from_slice(header);
    grown.extend_from_slice(&buffer[start..]);
    *buffer = grown;
    HEADROOM
}

/// Classifies, records and returns the verdict whose reply the client gets.
/// `body` is `HEADROOM` bytes of room followed by the message as received.
pub(crate) async fn accept_message(
    gateway: &Gateway,
    envelope: Envelope,
    mut body: Vec<u8>,
    settings: DomainSettings,
    longest_line: Option<usize>,
    received: Received,
    sender_auth: Option<std::sync::Arc<crate::auth::SenderAuth>>,
) -> Verdict {
    let now = OffsetDateTime::now_utc();
    let trace = received_header(&gateway.config, &envelope, &received, now);
    // Authentication-Results claiming our name can only be forged (RFC 8601 5).
    let room = HEADROOM.min(body.len());
    let room = crate::auth::remove_forged_results(&mut body, room, &gateway.config.hostname);
    let start = prepend(&mut body, room, trace.as_bytes());
    // Gathered at once, each with its own deadline: SPF (from MAIL FROM), DKIM,
    // ARC and DMARC on the message as the client sent it (without our
    // Received); the antivirus scan (`[antivirus] timeout`); and what other
    // nodes (or this one) learned since the last message, which counts now.
    // With filtering off for the recipients (`checks::filtering`) none of it
    // is gathered: the message is not judged.
    let filtering = settings.filtering;
    let authenticated = async {
        match &sender_auth {
            Some(at_mail) if filtering => gateway.authenticate_message(&body[start + trace.len()..], Some(at_mail)).await,
            _ => Default::default(),
        }
    };
    let scanned = async {
        match filtering {
            true => crate::antivirus::scan(gateway.scanner.as_ref(), &gateway.config.antivirus, &body[start..], &settings).await,
            false => None,
        }
    };
    let learned = async {
        match filtering {
            true => gateway.learning.catch_up(&gateway.store).await.map(drop),
            false => Ok(()),
        }
    };
    let reported = async {
        match filtering {
            true => gateway.reported_spam.catch_up(&gateway.store, now_ms()).await.map(drop),
            false => Ok(()),
        }
    };
    let ((auth, auth_lookups), scan, caught_up, fingerprints_caught_up) = tokio::join!(authenticated, scanned, learned, reported);
    if let Err(error) = caught_up.and(fingerprints_caught_up) {
        let failed = store_failure(&error);
        tracing::error!(%error, class = %format_args!("{}/{}", failed.main, failed.sub), "cannot read learning rows; refusing the message temporarily");
        return failed;
    }
    let auth_outcome = auth.evaluate(&gateway.config.auth.trusted_arc_sealers);
    let results_header = match sender_auth {
        Some(_) if filtering => sluice_core::checks::authentication::authentication_results_header(&gateway.config.hostname, &auth, &auth_outcome),
        _ => String::new(),
    };
    // Classification is CPU work on up to `max_message_size` bytes: keep it off
    // the threads that drive the sockets. The message is parsed once, there; the
    // URL block lists are asked about the URLs of that parse before the judges
    // run (gather, judge, decide), from the same blocking thread.
    let config = gateway.config.clone();
    let domains = gateway.domains();
    let learning = gateway.learning.clone();
    let lists = gateway.lists();
    let rules = gateway.rules();
    let url_hashes = gateway.url_hashes();
    let reported_spam = gateway.reported_spam.clone();
    let resolver = gateway.resolver.clone();
    let runtime = tokio::runtime::Handle::current();
    let client = received.client.clone();
    let heuristics = gateway.heuristics.clone();
    let pattern_sets = gateway.patterns.current();
    // The senders' reputation: the client's network and the authenticated
    // domain (the header From's when DMARC passed, else SPF's for MAIL FROM).
    let senders = crate::reputation::Senders::of(
        envelope.client_ip,
        (auth_outcome.dmarc.result == sluice_core::checks::dmarc::DmarcResult::Pass).then_some(auth_outcome.dmarc.from_domain.as_str()),
        auth.spf.as_ref().filter(|spf| spf.sender_passed()).map(|spf| spf.domain.as_str()),
    );
    let reputation = gateway.reputation.facts(&senders, now.unix_timestamp());
    let classified = tokio::task::spawn_blocking(move || {
        let scorers: [&dyn sluice_core::classify::Scorer; 1] = [&*learning];
        let facts = sluice_core::MessageFacts::with_longest_line(&body[start..], &envelope, now.unix_timestamp(), longest_line);
        let dns = match filtering {
            true => crate::dnslists::gather_for_message(&runtime, resolver.as_ref(), &config, client, &facts),
            false => crate::dnslists::MessageDnsFacts::default(),
        };
        let hostname = dns.client.hostname().map(str::to_owned);
        // The lists (header From) and the filtering rules read the message from
        // the same parse.
        let spf_pass = auth.spf.as_ref().is_some_and(|spf| spf.sender_passed());
        let lists_judge = sluice_core::checks::lists::ListsJudge {
            lists: &lists,
            hostname: hostname.as_deref(),
            envelope_authenticated: spf_pass,
            from_authenticated: auth_outcome.dmarc.result == sluice_core::checks::dmarc::DmarcResult::Pass,
        };
        let rules_judge = sluice_core::checks::rules::RulesJudge { rules: &rules, hostname: hostname.as_deref(), sender_spf_pass: spf_pass };
        let auth_judge = sluice_core::checks::authentication::AuthJudge { facts: &auth, outcome: &auth_outcome, settings: &settings };
        let dns_judge = dns.judge(&config.dns_lists, settings.dnsbl_stage);
        let virus_judge = scan.as_ref().map(|scan| sluice_core::checks::virus::VirusJudge {
            scan: &scan.outcome,
            third_party_prefixes: &config.antivirus.third_party_prefixes,
            fail_open: settings.antivirus_fail_open,
        });
        let url_hash_judge = sluice_core::checks::url_hashes::UrlHashJudge { lists: &url_hashes };
        let phishing_judge =
            sluice_core::checks::phishing::PhishingJudge { protected_domains: &config.phishing.protected_domains };
        let fingerprint_judge =
            sluice_core::checks::fingerprints::FingerprintJudge {
            index: &*reported_spam,
            our_domains: domains.names(),
            match_set2_threshold: settings.match_set2_threshold,
        };
        let patterns_judge = sluice_core::checks::patterns::PatternsJudge { sets: &pattern_sets, enabled: &settings.pattern_sets };
        let at_rcpt = sluice_core::checks::batv::BatvJudge(&received.findings_at_rcpt);
        let reputation_judge = sluice_core::checks::reputation::ReputationJudge { facts: &reputation };
        let heuristics_judge = sluice_core::checks::heuristics::HeuristicsJudge { sets: &heuristics };
        let mut judges: Vec<&dyn sluice_core::classify::Judge> = vec![
            &at_rcpt,
            &lists_judge,
            &rules_judge,
            &auth_judge,
            &dns_judge,
            &url_hash_judge,
            &phishing_judge,
            &fingerprint_judge,
            &patterns_judge,
        ];
        if let Some(virus_judge) = &virus_judge {
            judges.push(virus_judge);
        }
        // Within the scored tier the first finding decides: the evidence of the
        // combined score goes last.
        judges.push(&reputation_judge);
        judges.push(&heuristics_judge);
        let classification = sluice_core::classify::classify_parsed(&facts, &settings, &scorers, &judges);
        let lookups = dns.lookups();
        drop(facts);
        (classification, body, envelope, scan, lookups)
    })
    .await;
    let Ok((classification, mut body, envelope, scan, lookups)) = classified else {
        return internal_error("classification task failed");
    };
    let verdict = classification.verdict;
    let mut start = start;
    if verdict.reply.is_positive() {
        // What the recipient's mail system and its user see of the decision, right
        // under our Received, after our Authentication-Results: the headers are
        // rewritten in the room in front of the body, which stays where it is.
        let ours = format!("{results_header}{}", class_header(&verdict));
        start = prepend(&mut body, start, ours.as_bytes());
        let (trace_end, ours_end) = (start + trace.len(), start + trace.len() + ours.len());
        body[start..trace_end].copy_from_slice(trace.as_bytes());
        body[trace_end..ours_end].copy_from_slice(ours.as_bytes());
    }
    let raw = MessageBytes::new(body, start);
    let mut explanation = Explanation::of(&classification.findings, &verdict);
    explanation.lookups = logged_lookups(auth_lookups);
    explanation.lookups.extend(logged_lookups(lookups));
    if let Some(scan) = &scan {
        explanation.lookups.extend(scan.logged());
    }
    let entry = log_entry(&envelope, &classification.subject, &verdict, explanation);
    let routes = match verdict.action {
        Action::Deliver => {
            routes_for(&gateway.domains(), &envelope.sender, &envelope.recipients, envelope.authenticated_user.is_some())
        }
        _ => Vec::new(),
    };
    let keep = matches!(verdict.action, Action::Deliver | Action::Quarantine);
    match gateway.store.record_message(entry, keep.then_some(raw), routes).await {
        Ok(recorded) => {
            if verdict.action == Action::Deliver {
                gateway.queue_wakeup.notify_one();
            }
            // Mail that was not judged says nothing about its senders.
            if filtering {
                record_reputation(gateway, &senders, &verdict, recorded.log_id, now);
            }
            tracing::info!(
                log_id = recorded.log_id,
                sender = %envelope.sender,
                recipients = ?envelope.recipients,
                class = %format_args!("{}/{}", verdict.main, verdict.sub),
                reply = %verdict.reply,
                "message classified"
            );
            verdict
        }
        Err(error) => {
            let failed = store_failure(&error);
            tracing::error!(
                %error,
                sender = %envelope.sender,
                class = %format_args!("{}/{}", failed.main, failed.sub),
                "cannot record message; refusing it temporarily"
            );
            if error.failure() == StoreFailure::Crash {
                // The store answers (only that transaction broke): the refusal
                // gets its log row like any other, with the classification's
                // findings and the verdict it would have had as the next step.
                let mut explanation = Explanation::of(&classification.findings, &verdict);
                explanation.findings.push(LoggedFinding::from(&store_failure_finding(&error)));
                explanation.next = explanation.decided;
                explanation.decided = Some(PathStep { tier: Precedence::Error, finding: explanation.findings.len() - 1 });
                log_explained(gateway, &envelope, &classification.subject, &failed, explanation).await;
            }
            failed
        }
    }
}

/// Counts a classified message for its senders' reputation: accepted when
/// delivered, refused when refused as spam, phish or virus (a refusal for a
/// policy or a failure says nothing about the sender's mail), and remembers its
/// senders for a later report or release (written with the next batch).
fn record_reputation(gateway: &Gateway, senders: &crate::reputation::Senders, verdict: &Verdict, log_id: i64, now: OffsetDateTime) {
    let event = match (verdict.action, verdict.main) {
        (Action::Deliver, _) => crate::reputation::Event::Accepted,
        (Action::Reject | Action::Quarantine, MainClass::Spam | MainClass::Phish | MainClass::Virus) => crate::reputation::Event::Refused,
        _ => return,
    };
    gateway.reputation.record_message(event, senders, log_id, now.unix_timestamp());
}

/// Writes the log row of a transaction that keeps no message and is accepted
/// (blackholed recipients): the row is the only record of it, so when it cannot
/// be written the client gets the store's 451 instead of the verdict's 250.
pub(crate) async fn record_discarded(
    gateway: &Gateway,
    envelope: &Envelope,
    subject: &str,
    findings: &[Finding],
    verdict: Verdict,
) -> Verdict {
    let entry = log_entry(envelope, subject, &verdict, Explanation::of(findings, &verdict));
    match gateway.store.log_event(&entry).await {
        Ok(_) => verdict,
        Err(error) => {
            let failed = store_failure(&error);
            tracing::error!(%error, class = %format_args!("{}/{}", failed.main, failed.sub), "cannot record a discarded message; refusing it temporarily");
            failed
        }
    }
}

/// Writes a log row for a verdict that keeps no message (refusals at SMTP time).
pub(crate) async fn log_verdict(gateway: &Gateway, envelope: &Envelope, subject: &str, verdict: &Verdict) {
    log_explained(gateway, envelope, subject, verdict, Explanation::of_single(verdict)).await;
}

/// [`log_verdict`] for a verdict decided from several findings, kept as `explanation`.
pub(crate) async fn log_explained(
    gateway: &Gateway,
    envelope: &Envelope,
    subject: &str,
    verdict: &Verdict,
    explanation: Explanation,
) {
    let entry = log_entry(envelope, subject, verdict, explanation);
    if let Err(error) = gateway.store.log_event(&entry).await {
        tracing::error!(%error, reply = %verdict.reply, "cannot write log row");
    }
}

fn internal_error(evidence: &str) -> Verdict {
    verdict_for(failures::internal(evidence))
}

/// The verdict of a store that failed the message: the one place a
/// [`StoreError`] becomes a class. Could not be reached: `error` /
/// `database-unavailable`; a transaction broke half-way: `error` /
/// `database-crash`. Both a 451: no 250 without the message stored.
pub(crate) fn store_failure(error: &StoreError) -> Verdict {
    verdict_for(store_failure_finding(error))
}

fn store_failure_finding(error: &StoreError) -> Finding {
    match error.failure() {
        StoreFailure::Unavailable => failures::store_unavailable(),
        StoreFailure::Crash => failures::store_crashed(&error.to_string()),
    }
}

/// Lookups as the log row keeps them.
pub(crate) fn logged_lookups(lookups: Vec<sluice_lookup::LookupRecord>) -> Vec<sluice_store::LoggedLookup> {
    lookups
        .into_iter()
        .map(|record| sluice_store::LoggedLookup { what: record.what, outcome: record.outcome.to_owned(), took_ms: record.took_ms })
        .collect()
}

/// Every decision's log row is made here, so it is also where decisions are counted.
pub(crate) fn log_entry(envelope: &Envelope, subject: &str, verdict: &Verdict, explanation: Explanation) -> LogEntry {
    let direction = if envelope.authenticated_user.is_some() { Direction::Outgoing } else { Direction::Incoming };
    crate::metrics::message_decided(direction.as_str(), verdict);
    LogEntry {
        received_at_ms: now_ms(),
        direction,
        client_ip: envelope.client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        helo: envelope.helo.clone(),
        sender: envelope.sender.clone(),
        recipients: envelope.recipients.clone(),
        subject: subject.to_owned(),
        main_class: verdict.main,
        sub_class: verdict.sub,
        error_class: verdict.error,
        extra_class: verdict.extra.clone(),
        score: verdict.score,
        reply: verdict.reply.line(),
        action: verdict.action,
        explanation,
    }
}

/// Groups recipients by the filtered domain that routes them; recipients of no
/// filtered domain are routed by their own domain (the smarthost or an MX
/// lookup at delivery). `outgoing` marks mail an authenticated user submitted.
pub fn routes_for(domains: &DomainSet, sender: &str, recipients: &[String], outgoing: bool) -> Vec<NewQueueEntry> {
    let mut routes: Vec<NewQueueEntry> = Vec::new();
    for recipient in recipients {
        let route = match domains.domain_for(recipient) {
            Some(domain) => domain.name.clone(),
            None => sluice_core::envelope::domain_of(recipient),
        };
        match routes.iter_mut().find(|existing| existing.route == route) {
            Some(existing) => existing.recipients.push(recipient.clone()),
            None => routes.push(NewQueueEntry {
                sender: sender.to_owned(),
                recipients: vec![recipient.clone()],
                route,
                is_bounce: false,
                outgoing,
            }),
        }
    }
    routes
}

/// `X-Sluice-Class: <main>/<sub>; score=<p>` for mail we pass on.
fn class_header(verdict: &Verdict) -> String {
    match verdict.score {
        Some(score) => format!("X-Sluice-Class: {}/{}; score={score:.4}\r\n", verdict.main, verdict.sub),
        None => format!("X-Sluice-Class: {}/{}\r\n", verdict.main, verdict.sub),
    }
}

/// Our `Received:` trace header (RFC 5321 §4.4).
fn received_header(config: &Config, envelope: &Envelope, received: &Received, now: OffsetDateTime) -> String {
    let protocol = match (received.esmtp, received.tls) {
        (true, true) => "ESMTPS",
        (true, false) => "ESMTP",
        (false, _) => "SMTP",
    };
    let helo: String = received.helo.chars().filter(|c| c.is_ascii_graphic()).take(255).collect();
    let recipient = match envelope.recipients.as_slice() {
        [only] => format!("\r\n\tfor <{only}>"),
        _ => String::new(),
    };
    let date = now.format(&Rfc2822).unwrap_or_default();
    // RFC 5321 4.4 TCP-info: the client's forward-confirmed name, when known
    // (a name from a hostile zone: printable characters only, as the HELO).
    let hostname = match received.client.as_deref().and_then(crate::dnslists::ClientFacts::hostname) {
        Some(name) => name.chars().filter(|c| c.is_ascii_graphic()).take(255).chain([' ']).collect(),
        None => String::new(),
    };
    format!(
        "Received: from {helo} ({hostname}[{}])\r\n\tby {} (Sluice) with {protocol}{recipient};\r\n\t{date}\r\n",
        received.peer.ip(),
        config.hostname,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_go_into_the_room_in_front_of_the_body_without_a_copy() {
        let mut buffer = new_body_buffer(16);
        buffer.extend_from_slice(b"Subject: x\r\n\r\nbody\r\n");
        let before = buffer.as_ptr();
        let start = prepend(&mut buffer, HEADROOM, b"Received: by us\r\n");
        assert_eq!(&buffer[start..], b"Received: by us\r\nSubject: x\r\n\r\nbody\r\n");
        assert_eq!(buffer.as_ptr(), before, "the body was not moved");
        // No room left: the message is copied once into a buffer with room.
        let huge = vec![b'x'; HEADROOM + 1];
        let start = prepend(&mut buffer, start, &huge);
        assert_eq!(start, HEADROOM);
        assert!(buffer[start..].starts_with(&huge) && buffer.ends_with(b"\r\nbody\r\n"));
    }
}
