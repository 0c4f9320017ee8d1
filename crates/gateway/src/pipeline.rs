//! What happens to a message between the final dot and the reply: gather, judge,
//! decide, record.
//!
//! **Invariant:** a positive reply is returned only after the store has committed
//! the message together with its queue rows (or its quarantine row). Any failure
//! on the way turns into a `451` and an `error` class: never a silent accept.

use std::net::SocketAddr;

use sluice_core::{DomainSettings, Envelope};
use sluice_core::checks::failures;
use sluice_model::{Action, Finding, Verdict};
use sluice_store::{Direction, Explanation, LogEntry, NewQueueEntry};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::Gateway;
use crate::config::Config;

/// What the `Received:` header we add records.
pub(crate) struct Received {
    pub(crate) helo: String,
    pub(crate) peer: SocketAddr,
    pub(crate) tls: bool,
    pub(crate) esmtp: bool,
}

pub(crate) fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The verdict for one finding made before any recipient's settings apply.
pub(crate) fn verdict_for(finding: Finding) -> Verdict {
    sluice_core::verdict::decide(&[finding], &DomainSettings::default())
}

/// Classifies, records and returns the verdict whose reply the client gets.
pub(crate) async fn accept_message(
    gateway: &Gateway,
    envelope: Envelope,
    body: Vec<u8>,
    settings: DomainSettings,
    longest_line: Option<usize>,
    received: Received,
) -> Verdict {
    let now = OffsetDateTime::now_utc();
    let (raw, received_len) = with_received_header(&gateway.config, &envelope, &body, &received, now);
    drop(body);
    // What other nodes (or this one) learned since the last message counts now.
    if let Err(error) = gateway.learning.catch_up(&gateway.store).await {
        tracing::error!(%error, "cannot read learning rows; refusing the message temporarily");
        return database_unavailable();
    }
    // Classification is CPU work on up to `max_message_size` bytes: keep it off
    // the threads that drive the sockets.
    let learning = gateway.learning.clone();
    let classified = tokio::task::spawn_blocking(move || {
        let scorers: [&dyn sluice_core::classify::Scorer; 1] = [&*learning];
        let classification =
            sluice_core::classify::classify_scored(&raw, &envelope, &settings, now.unix_timestamp(), longest_line, &scorers);
        (classification, raw, envelope)
    })
    .await;
    let Ok((classification, mut raw, envelope)) = classified else {
        return internal_error("classification task failed");
    };
    let verdict = classification.verdict;
    if verdict.reply.is_positive() {
        // What the recipient's mail system and its user see of the decision.
        raw.splice(received_len..received_len, class_header(&verdict).into_bytes());
    }
    let explanation = Explanation::of(&classification.findings, &verdict);
    let entry = log_entry(&envelope, &classification.subject, &verdict, explanation);
    let routes = match verdict.action {
        Action::Deliver => routes_for(&gateway.config, &envelope.sender, &envelope.recipients),
        _ => Vec::new(),
    };
    let keep = matches!(verdict.action, Action::Deliver | Action::Quarantine);
    match gateway.store.record_message(entry, keep.then_some(raw), routes).await {
        Ok(recorded) => {
            if verdict.action == Action::Deliver {
                gateway.queue_wakeup.notify_one();
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
            tracing::error!(%error, sender = %envelope.sender, "cannot record message; refusing it temporarily");
            database_unavailable()
        }
    }
}

/// Writes a log row for a verdict decided from `findings` that keeps no message.
pub(crate) async fn log_findings(gateway: &Gateway, envelope: &Envelope, subject: &str, findings: &[Finding], verdict: &Verdict) {
    let entry = log_entry(envelope, subject, verdict, Explanation::of(findings, verdict));
    if let Err(error) = gateway.store.log_event(&entry).await {
        tracing::error!(%error, reply = %verdict.reply, "cannot write log row");
    }
}

/// Writes a log row for a verdict that keeps no message (refusals at SMTP time).
pub(crate) async fn log_verdict(gateway: &Gateway, envelope: &Envelope, subject: &str, verdict: &Verdict) {
    let entry = log_entry(envelope, subject, verdict, Explanation::of_single(verdict));
    if let Err(error) = gateway.store.log_event(&entry).await {
        tracing::error!(%error, reply = %verdict.reply, "cannot write log row");
    }
}

fn internal_error(evidence: &str) -> Verdict {
    verdict_for(failures::internal(evidence))
}

fn database_unavailable() -> Verdict {
    verdict_for(failures::store_unavailable())
}

pub(crate) fn log_entry(envelope: &Envelope, subject: &str, verdict: &Verdict, explanation: Explanation) -> LogEntry {
    LogEntry {
        received_at_ms: now_ms(),
        direction: if envelope.authenticated_user.is_some() { Direction::Outgoing } else { Direction::Incoming },
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

/// Groups recipients by the configured domain that routes them; recipients of no
/// configured domain are routed by their own domain (MX lookup at delivery).
pub fn routes_for(config: &Config, sender: &str, recipients: &[String]) -> Vec<NewQueueEntry> {
    let mut routes: Vec<NewQueueEntry> = Vec::new();
    for recipient in recipients {
        let route = match config.domain_for(recipient) {
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

/// Prepends our `Received:` trace header (RFC 5321 §4.4) to the message; returns
/// the message and the header's length.
fn with_received_header(
    config: &Config,
    envelope: &Envelope,
    body: &[u8],
    received: &Received,
    now: OffsetDateTime,
) -> (Vec<u8>, usize) {
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
    let header = format!(
        "Received: from {helo} ([{}])\r\n\tby {} (Sluice) with {protocol}{recipient};\r\n\t{date}\r\n",
        received.peer.ip(),
        config.hostname,
    );
    let mut raw = Vec::with_capacity(header.len() + body.len());
    raw.extend_from_slice(header.as_bytes());
    raw.extend_from_slice(body);
    (raw, header.len())
}
