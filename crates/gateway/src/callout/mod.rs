//! Recipient verification by callout: at RCPT, ask the domain's own server
//! whether the recipient exists, the way our delivery would reach it (same
//! route), without sending anything: `MAIL FROM:<>`, then
//! one `RCPT TO:` per recipient on a connection kept for the rest of the
//! client's transaction.
//!
//! Bounded so a client cannot turn us into a scanner of the destination: answers
//! are cached (existing recipients for a day, missing ones for an hour: a
//! mailbox created since is accepted within the hour), at most
//! [`PER_DESTINATION`] callouts run at once per destination (others wait, within
//! their deadline), and the dictionary-attack limit cuts off a client that
//! tries many addresses. The pure judgement is
//! `sluice_core::checks::recipient_verification`.
//!
//! The conversation is our own few lines over a socket (`reply.rs` reads the
//! replies within bounds): a destination that answers what is not an SMTP reply
//! breaks the callout (`CalloutAnswer::Crashed`, `error` / `verification-crash`),
//! as a panic inside it does; one that does not answer, or closes, is
//! `verification-fail`. Neither is cached, and the connection is not used again.

mod reply;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sluice_core::checks::recipient_verification::CalloutAnswer;
use sluice_lookup::LookupOutcome;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::Gateway;
use crate::delivery::route;
use reply::{Expect, ReadError, read_reply};

/// How long an existing recipient is remembered.
pub const POSITIVE_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a missing recipient is remembered.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(3600);
/// Callouts at once to one destination.
pub const PER_DESTINATION: usize = 4;
/// Answers remembered at most; past it, expired ones are dropped, then the
/// cache starts over (a flood of distinct addresses cannot grow it unbounded).
pub const MAX_CACHED: usize = 100_000;

/// The answers cached and the destinations' concurrency, shared by all sessions.
#[derive(Default)]
pub struct Callouts {
    cache: Mutex<HashMap<String, (bool, Instant)>>,
    destinations: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// The connection a transaction's callouts use: `MAIL FROM:<>` already sent.
/// Dropped with the transaction (a `QUIT` is sent on the way out).
pub struct Connection {
    destination: String,
    client: Option<BufReader<TcpStream>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let (Some(mut client), Ok(runtime)) = (self.client.take(), tokio::runtime::Handle::try_current()) {
            runtime.spawn(async move {
                let _ = client.get_mut().write_all(b"QUIT\r\n").await;
            });
        }
    }
}

/// Sends `command` (without its CRLF) and reads the one reply it may have.
async fn command(client: &mut BufReader<TcpStream>, command: &str, expect: Expect) -> Result<reply::Reply, LookupOutcome<CalloutAnswer>> {
    client.get_mut().write_all(format!("{command}\r\n").as_bytes()).await.map_err(|error| LookupOutcome::Failed(error.to_string()))?;
    read_reply(client, expect).await.map_err(unanswered)
}

/// A reply that could not be read: broken (a crash of the callout) or lost (no
/// answer).
fn unanswered(error: ReadError) -> LookupOutcome<CalloutAnswer> {
    match error {
        ReadError::Broken(reply::Broken(why)) => LookupOutcome::Answer(CalloutAnswer::Crashed(why)),
        ReadError::Lost(why) => LookupOutcome::Failed(why),
    }
}

impl Callouts {
    /// Whether `recipient` exists at `destination` (a delivery route: a
    /// configured domain's name, which stands for its destination), within
    /// `deadline`; `connection` is the transaction's.
    pub async fn verify(
        &self,
        gateway: &Gateway,
        connection: &mut Option<Connection>,
        destination: &str,
        recipient: &str,
        deadline: Duration,
    ) -> LookupOutcome<CalloutAnswer> {
        let key = recipient.to_ascii_lowercase();
        if let Some(cached) = self.cached(&key) {
            return LookupOutcome::Answer(cached);
        }
        let semaphore = {
            let mut destinations = self.destinations.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            destinations.entry(destination.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(PER_DESTINATION))).clone()
        };
        let asked = async {
            let Ok(_permit) = semaphore.acquire().await else {
                return LookupOutcome::Failed("callouts closed".to_owned());
            };
            // A bug reached through what the destination sent ends this
            // callout, not the client's session.
            crate::smtp::panic::CatchPanic::new(self.ask(gateway, connection, destination, recipient))
                .await
                .unwrap_or_else(|payload| {
                    LookupOutcome::Answer(CalloutAnswer::Crashed(format!("the callout panicked: {}", crate::smtp::panic::message(payload.as_ref()))))
                })
        };
        let outcome = tokio::time::timeout(deadline, asked).await.unwrap_or(LookupOutcome::TimedOut);
        let broken = matches!(&outcome, LookupOutcome::Answer(CalloutAnswer::Crashed(_)));
        if outcome.is_unavailable() || broken {
            // A connection that failed half-way is not used again.
            *connection = None;
        }
        if let LookupOutcome::Answer(CalloutAnswer::Crashed(why)) = &outcome {
            tracing::warn!(%destination, %recipient, %why, "recipient callout broke");
        }
        match &outcome {
            LookupOutcome::Answer(CalloutAnswer::Accepted) => self.remember(key, true),
            LookupOutcome::Answer(CalloutAnswer::Refused(_)) => self.remember(key, false),
            _ => {}
        }
        outcome
    }

    fn cached(&self, key: &str) -> Option<CalloutAnswer> {
        let cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (exists, expires) = cache.get(key)?;
        if *expires <= Instant::now() {
            return None;
        }
        Some(if *exists { CalloutAnswer::Accepted } else { CalloutAnswer::Refused("refused earlier (cached)".to_owned()) })
    }

    fn remember(&self, key: String, exists: bool) {
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, (_, expires)| *expires > now);
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
        }
        cache.insert(key, (exists, now + if exists { POSITIVE_TTL } else { NEGATIVE_TTL }));
    }

    async fn ask(
        &self,
        gateway: &Gateway,
        connection: &mut Option<Connection>,
        destination: &str,
        recipient: &str,
    ) -> LookupOutcome<CalloutAnswer> {
        if connection.as_ref().is_none_or(|open| open.destination != destination || open.client.is_none()) {
            *connection = match open(gateway, destination).await {
                Ok(client) => Some(Connection { destination: destination.to_owned(), client: Some(client) }),
                Err(outcome) => return outcome,
            };
        }
        let Some(client) = connection.as_mut().and_then(|open| open.client.as_mut()) else {
            return LookupOutcome::Failed("no connection".to_owned());
        };
        // The session checked the path; the delivery client's guard applies too.
        if recipient.chars().any(|ch| ch.is_control() || ch == '<' || ch == '>') {
            return LookupOutcome::Answer(CalloutAnswer::Refused("address cannot be sent".to_owned()));
        }
        match command(client, &format!("RCPT TO:<{recipient}>"), Expect::Command("RCPT")).await {
            Ok(reply) if reply.code < 300 => LookupOutcome::Answer(CalloutAnswer::Accepted),
            Ok(reply) if reply.code >= 500 => LookupOutcome::Answer(CalloutAnswer::Refused(reply.line())),
            Ok(reply) => LookupOutcome::Answer(CalloutAnswer::Deferred(reply.line())),
            Err(outcome) => outcome,
        }
    }
}

/// Connects to `destination` as delivery would and sends `MAIL FROM:<>`.
async fn open(gateway: &Gateway, destination: &str) -> Result<BufReader<TcpStream>, LookupOutcome<CalloutAnswer>> {
    let config = &gateway.config;
    let (addresses, _server_name) = match route::resolve(config, &gateway.domains(), gateway.resolver.as_ref(), config.dns.timeout, destination, i64::MAX).await {
        Ok(found) => found,
        Err(route::RouteError::Temporary(why) | route::RouteError::Permanent(why)) => return Err(LookupOutcome::Failed(why)),
    };
    let mut last_error = "no address to connect to".to_owned();
    for address in addresses {
        let mut client = match tokio::time::timeout(config.delivery.timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => BufReader::new(stream),
            Ok(Err(error)) => {
                last_error = format!("{address}: {error}");
                continue;
            }
            Err(_) => {
                last_error = format!("{address}: connection timed out");
                continue;
            }
        };
        let greeting = read_reply(&mut client, Expect::Greeting).await.map_err(unanswered)?;
        if greeting.code != 220 {
            return Err(LookupOutcome::Answer(CalloutAnswer::Deferred(greeting.line())));
        }
        let hello = command(&mut client, &format!("EHLO {}", config.hostname), Expect::Command("EHLO")).await?;
        if hello.code >= 400 {
            return Err(LookupOutcome::Answer(CalloutAnswer::Deferred(format!("EHLO: {}", hello.line()))));
        }
        let mail = command(&mut client, "MAIL FROM:<>", Expect::Command("MAIL")).await?;
        if mail.code >= 300 {
            // A destination that refuses the null sender cannot be asked: that
            // says nothing about the recipient.
            return Err(LookupOutcome::Answer(CalloutAnswer::Deferred(mail.line())));
        }
        return Ok(client);
    }
    Err(LookupOutcome::Failed(last_error))
}
