//! The SMTP listeners: accepting connections within the configured limits and
//! running one [`session::Session`] per connection.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use sluice_core::Envelope;
use sluice_core::checks::limits;
use sluice_model::{Finding, Verdict};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::Gateway;
use crate::pipeline;

pub mod data;
pub(crate) mod log_budget;
pub mod path;
pub(crate) mod panic;
pub mod sasl;
pub mod session;
pub(crate) mod stream;

pub use session::Listener;

/// Accepts connections until shutdown, then waits (up to the configured grace)
/// for the sessions in flight to finish their transactions.
pub async fn serve(gateway: Arc<Gateway>, listener: TcpListener, kind: Listener) {
    let mut sessions = JoinSet::new();
    let mut shutdown = gateway.shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let gateway = gateway.clone();
                    sessions.spawn(async move { handle_connection(gateway, stream, peer, kind).await });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            Some(finished) = sessions.join_next(), if !sessions.is_empty() => {
                if let Err(error) = finished && error.is_panic() {
                    tracing::error!("an SMTP session panicked; the others go on");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let grace = gateway.config.smtp.shutdown_grace;
    let drained = tokio::time::timeout(grace, async { while sessions.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(remaining = sessions.len(), "sessions still open after the shutdown grace; closing them");
        sessions.abort_all();
    }
}

async fn handle_connection(gateway: Arc<Gateway>, stream: TcpStream, peer: SocketAddr, kind: Listener) {
    let _ = stream.set_nodelay(true);
    let slot = match ConnectionSlot::take(&gateway, peer.ip()) {
        Ok(slot) => slot,
        Err(limited) => {
            refuse_connection(&gateway, stream, peer, limited).await;
            return;
        }
    };
    if kind == Listener::Inbound {
        if let Some((limited, logged)) = over_rate_limit(&gateway, peer.ip()).await {
            refuse(&gateway, stream, peer, limited, logged).await;
            return;
        }
        if let Some(early) = early_talker(&gateway, &stream).await {
            refuse_connection(&gateway, stream, peer, early).await;
            return;
        }
    }
    let _open = crate::metrics::OpenSession::start();
    let mut connection = stream::Connection::new(stream, gateway.config.smtp.timeout);
    // `submissions` (RFC 8314): TLS from the first byte, with the STARTTLS certificate.
    if kind == Listener::Submissions
        && let Err(error) = connection.start_tls(&gateway.tls).await
    {
        tracing::debug!(%peer, %error, "implicit TLS handshake failed");
        return;
    }
    session::Session::new(gateway.clone(), connection, peer, kind, Some(slot)).run().await;
}

/// Counts the connection in the client's minute and hour across the cluster;
/// the finding when it is over a limit and should be refused, logged only for
/// the first refusal of a window (`connection_rate::first_refusal`: the
/// `bool`) so a flood makes one row. Exempt: `[limits] exempt` and global
/// allow-list entries.
async fn over_rate_limit(gateway: &Gateway, ip: std::net::IpAddr) -> Option<(Finding, bool)> {
    use sluice_core::checks::connection_rate::{self, HOUR, MINUTE, RateLimits};
    use sluice_lookup::Counters;
    let limits = RateLimits {
        per_minute: gateway.config.limits.connections_per_minute,
        per_hour: gateway.config.limits.connections_per_hour,
    };
    if limits.per_minute == 0 && limits.per_hour == 0 || gateway.exempt.contains(ip) || gateway.lists().allows_ip_everywhere(ip) {
        return None;
    }
    let [minute_key, hour_key] = connection_rate::counter_keys(ip);
    let minute = gateway.counters.increment(&minute_key, MINUTE).await.answer().copied().unwrap_or(0);
    let hour = gateway.counters.increment(&hour_key, HOUR).await.answer().copied().unwrap_or(0);
    let limited = connection_rate::check(minute, hour, limits)?;
    Some((limited, connection_rate::first_refusal(minute, hour, limits)))
}

/// A client that sends before the greeting is complete. With `[limits]
/// pregreet_wait` the first greeting line (`220-`) goes out at once and the
/// client must stay quiet until the rest; without it only bytes that arrived
/// before we greet are caught (free, and what the crudest senders do).
async fn early_talker(gateway: &Gateway, stream: &TcpStream) -> Option<Finding> {
    let wait = gateway.config.limits.pregreet_wait;
    let mut peek = [0u8; 512];
    if wait.is_zero() {
        return match stream.try_read(&mut peek) {
            Ok(count) if count > 0 => Some(sluice_core::checks::connection_rate::early_talker(count)),
            _ => None,
        };
    }
    let first_line = format!("220-{} ESMTP Sluice\r\n", gateway.config.hostname);
    if stream.try_write(first_line.as_bytes()).ok() != Some(first_line.len()) {
        return None;
    }
    // Readiness may be reported without bytes to read: wait again then.
    let talked = async {
        loop {
            if stream.readable().await.is_err() {
                return None;
            }
            match stream.try_read(&mut peek) {
                Ok(0) => return None,
                Ok(count) => return Some(count),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(_) => return None,
            }
        }
    };
    let count = tokio::time::timeout(wait, talked).await.ok().flatten()?;
    Some(sluice_core::checks::connection_rate::early_talker(count))
}

/// Runs one inbound session over any byte stream, outside the connection
/// limits and without STARTTLS: the seam the session fuzz target drives
/// through an in-memory duplex, with the real parser, pipeline and store.
pub async fn serve_stream<S>(gateway: Arc<Gateway>, stream: S, peer: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = stream::Connection::over(Box::new(stream), gateway.config.smtp.timeout);
    session::Session::new(gateway, connection, peer, Listener::Inbound, None).run().await;
}

/// Writes the log row of a refusal at SMTP time, within the client's budget
/// (`log_budget.rs`).
/// `findings` are those the verdict was decided from (kept with the row).
pub(crate) async fn log_refusal(gateway: &Gateway, envelope: &Envelope, findings: &[Finding], verdict: &Verdict) {
    log_refusal_looked_up(gateway, envelope, findings, verdict, Vec::new()).await;
}

/// [`log_refusal`] with the lookups the refusal was decided on.
pub(crate) async fn log_refusal_looked_up(
    gateway: &Gateway,
    envelope: &Envelope,
    findings: &[Finding],
    verdict: &Verdict,
    lookups: Vec<sluice_core::lookups::LookupRecord>,
) {
    let client = envelope.client_ip.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    match gateway.refusal_logs.take(client, std::time::Instant::now()) {
        log_budget::LogDecision::Write { left_out } => {
            if left_out > 0 {
                tracing::warn!(%client, left_out, "refusals of this client were not logged one by one");
            }
            let mut explanation = sluice_store::Explanation::of(findings, verdict);
            explanation.lookups = pipeline::logged_lookups(lookups);
            pipeline::log_explained(gateway, envelope, "", verdict, explanation).await;
        }
        log_budget::LogDecision::Skip { nth } => {
            if nth == 1 {
                tracing::warn!(%client, "refusal log budget of this client spent; refusals are not logged one by one");
            }
        }
    }
}

/// Refused before the greeting (a connection limit, an early talker): the
/// reply and a log row.
async fn refuse_connection(gateway: &Gateway, stream: TcpStream, peer: SocketAddr, limited: Finding) {
    refuse(gateway, stream, peer, limited, true).await;
}

/// [`refuse_connection`], with the log row only when `logged`.
async fn refuse(gateway: &Gateway, stream: TcpStream, peer: SocketAddr, limited: Finding, logged: bool) {
    let verdict = pipeline::verdict_for(limited.clone());
    let envelope = Envelope {
        client_ip: Some(peer.ip()),
        ..Envelope::default()
    };
    let mut connection = stream::Connection::new(stream, gateway.config.smtp.timeout);
    connection.reply(&verdict.reply);
    connection.shutdown().await;
    if logged {
        log_refusal(gateway, &envelope, &[limited], &verdict).await;
    }
}

/// A counted connection; the count goes down when it is dropped.
pub(crate) struct ConnectionSlot {
    gateway: Arc<Gateway>,
    ip: IpAddr,
}

impl ConnectionSlot {
    /// A slot for a session from `ip`, or the finding that it is over a limit.
    fn take(gateway: &Arc<Gateway>, ip: IpAddr) -> Result<ConnectionSlot, Finding> {
        let mut counts = gateway.connections.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let total: usize = counts.values().sum();
        let from_client = counts.get(&ip).copied().unwrap_or(0);
        let smtp = &gateway.config.smtp;
        if let Some(limited) = limits::check_connections(from_client, smtp.max_connections_per_ip, total, smtp.max_connections) {
            return Err(limited);
        }
        *counts.entry(ip).or_insert(0) += 1;
        Ok(ConnectionSlot {
            gateway: gateway.clone(),
            ip,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self.gateway.connections.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}
