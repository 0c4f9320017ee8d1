//! One SMTP session: the command state machine of RFC 5321 with the extensions we
//! advertise. This module holds the state, the command loop, the session's error
//! and junk-command limits and the dispatch; each verb has a module of its own
//! (`hello`: HELO/EHLO/STARTTLS, `auth`: AUTH on the submission listeners,
//! `mail`, `rcpt`, `data`).
//!
//! Every stage runs the same steps: gather the facts (the command, the settings
//! in force, counts), judge them with the pure checks of `sluice-core`, decide with
//! `verdict::decide`, record (log row, or the message through the pipeline) and
//! answer the verdict's reply. The session writes protocol replies (syntax,
//! sequence) itself; every reply about a message or recipient comes from a verdict.
//!
//! Commands are parsed by `smtp-proto` (Stalwart's production parser), except the
//! paths of MAIL and RCPT and the SIZE parameter, which `path.rs` reads from the
//! raw line so that an address is relayed exactly as received; DATA is read by
//! `smtp/data.rs`.

mod auth;
mod data;
mod hello;
mod mail;
mod rcpt;

use std::net::SocketAddr;
use std::sync::Arc;

use sluice_core::{DomainSettings, Envelope};
use sluice_model::{Finding, SmtpReply};
use smtp_proto::Request;

use super::ConnectionSlot;
use super::panic::{self, CatchPanic};
use super::stream::{Connection, Line, ReadError};
use crate::Gateway;

/// Which listener the session came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// Inbound filtering (port 25).
    Inbound,
    /// Authenticated outgoing mail, STARTTLS (port 587).
    Submission,
    /// Authenticated outgoing mail, implicit TLS (port 465).
    Submissions,
}

impl Listener {
    /// Whether this is a submission listener (AUTH offered, required for MAIL).
    pub fn is_submission(self) -> bool {
        matches!(self, Listener::Submission | Listener::Submissions)
    }
}

/// The envelope being built by MAIL / RCPT.
#[derive(Default)]
struct Transaction {
    sender: Option<String>,
    smtputf8: bool,
    /// The SIZE declared on MAIL FROM (0 when none).
    declared_size: u64,
    /// Accepted recipients that are delivered (or classified) normally.
    recipients: Vec<String>,
    /// Accepted blackhole recipients, with the finding that made them so:
    /// answered 250, delivered nowhere.
    blackholed: Vec<(String, Finding)>,
    /// The settings of the first accepted recipient's domain: every later
    /// recipient must share them (or be deferred with `disparate-settings`).
    settings: Option<DomainSettings>,
    /// The list findings of the first accepted recipient (allow-list entries that
    /// matched at RCPT): every later recipient must have the same outcome.
    listed: Vec<Finding>,
    /// The connection recipient callouts use, kept for the transaction.
    callout: Option<crate::callout::Connection>,
    /// SPF and the sender domain's DNS, gathered at MAIL FROM (inbound only).
    sender_auth: Option<Arc<crate::auth::SenderAuth>>,
    /// What the authenticated user may send as (submission only): the header
    /// From is checked against it after the final dot.
    sender_rights: Option<sluice_core::checks::sender_rights::SenderRights>,
    /// A bounce's valid BATV tag (`not-spam` / `batv`), found at RCPT: it counts
    /// in the message's verdict.
    batv: Vec<Finding>,
    /// The inbound rate counters of the accepted recipients
    /// (`checks::inbound_rate`): the message counts in them once it has its 250.
    counted: Vec<sluice_core::checks::inbound_rate::Counters>,
}

pub(crate) struct Session {
    gateway: Arc<Gateway>,
    connection: Connection,
    peer: SocketAddr,
    listener: Listener,
    helo: Option<String>,
    esmtp: bool,
    /// The user that authenticated (SMTP AUTH), its name as stored.
    authenticated: Option<String>,
    /// What the DNS says about the client (lists, forward-confirmed host
    /// name), gathered at the first RCPT (`None` until then).
    client: Option<Arc<crate::dnslists::ClientFacts>>,
    transaction: Transaction,
    errors: u32,
    /// NOOP, RSET, VRFY and HELP so far (`[smtp] max_junk_commands`).
    junk_commands: u32,
    /// This session's place in the connection limits; given back as soon as the
    /// session has answered QUIT, so a client reconnecting at once finds it free.
    slot: Option<ConnectionSlot>,
}

pub(super) fn reply(code: u16, enhanced: [u16; 3], text: &str) -> SmtpReply {
    SmtpReply::new(code, enhanced, text)
}

/// Why a session ends.
pub(super) enum End {
    Quit,
    ClientClosed,
    Failed,
}

impl Session {
    pub(crate) fn new(
        gateway: Arc<Gateway>,
        connection: Connection,
        peer: SocketAddr,
        listener: Listener,
        slot: Option<ConnectionSlot>,
    ) -> Session {
        Session {
            gateway,
            connection,
            peer,
            listener,
            helo: None,
            esmtp: false,
            authenticated: None,
            client: None,
            transaction: Transaction::default(),
            errors: 0,
            junk_commands: 0,
            slot,
        }
    }

    pub(crate) async fn run(mut self) {
        let greeting = format!("220 {} ESMTP Sluice\r\n", self.gateway.config.hostname);
        self.connection.reply_raw(&greeting);
        if self.connection.flush().await.is_err() {
            return;
        }
        let end = match CatchPanic::new(self.command_loop()).await {
            Ok(end) => end,
            Err(payload) => self.failed(&panic::message(payload.as_ref())).await,
        };
        if matches!(end, End::ClientClosed | End::Failed) {
            tracing::debug!(peer = %self.peer, "session ended without QUIT");
        }
        // The session is over: its slot is free before the last reply goes out.
        drop(self.slot.take());
        self.connection.shutdown().await;
    }

    /// A bug was hit (the session's future panicked): the client gets a 451 for
    /// whatever it was doing, and the log a row, before the connection closes.
    async fn failed(&mut self, why: &str) -> End {
        tracing::error!(peer = %self.peer, panic = why, "SMTP session failed");
        let verdict = crate::pipeline::verdict_for(sluice_core::checks::failures::internal(&format!("session failed: {why}")));
        let sender = self.transaction.sender.clone().unwrap_or_default();
        let envelope = self.envelope(sender, self.transaction.recipients.clone());
        crate::pipeline::log_verdict(&self.gateway, &envelope, "", &verdict).await;
        self.connection.reply(&verdict.reply);
        End::Failed
    }

    async fn command_loop(&mut self) -> End {
        let mut shutdown = self.gateway.shutdown.clone();
        loop {
            if *shutdown.borrow_and_update() && self.connection.buffered().is_empty() {
                self.connection.reply(&reply(421, [4, 3, 2], "Service shutting down, please try again later"));
                return End::Quit;
            }
            let line = tokio::select! {
                line = self.connection.read_line() => line,
                _ = shutdown.changed(), if self.connection.buffered().is_empty() => continue,
            };
            let line = match line {
                Ok(Line::Complete(line)) => line,
                Ok(Line::TooLong) => {
                    self.connection.reply(&reply(500, [5, 5, 2], "Line too long"));
                    if self.count_error().await {
                        return End::Quit;
                    }
                    continue;
                }
                Ok(Line::Closed) => return End::ClientClosed,
                Err(ReadError::Timeout) => {
                    self.connection.reply(&reply(421, [4, 4, 2], "Timeout exceeded, closing connection"));
                    return End::Failed;
                }
                Err(ReadError::Io(error)) => {
                    tracing::debug!(peer = %self.peer, %error, "read failed");
                    return End::Failed;
                }
            };
            match self.handle_line(&line).await {
                Ok(Some(end)) => return end,
                Ok(None) => {}
                Err(()) => return End::Failed,
            }
            if self.connection.flush_if_idle().await.is_err() {
                return End::Failed;
            }
        }
    }

    /// Counts a protocol error; returns true when the session must end.
    pub(super) async fn count_error(&mut self) -> bool {
        self.errors += 1;
        if self.errors >= self.gateway.config.smtp.max_errors {
            self.connection.reply(&reply(421, [4, 7, 0], "Too many errors, closing connection"));
            return true;
        }
        false
    }

    async fn handle_line(&mut self, line: &[u8]) -> Result<Option<End>, ()> {
        let request = Request::parse(&mut line.iter()).map(Request::into_owned);
        match request {
            Ok(request) => self.handle_request(request, line).await,
            Err(error) => {
                let answer = match error {
                    smtp_proto::Error::UnknownCommand => reply(500, [5, 5, 2], "Command not recognized"),
                    smtp_proto::Error::InvalidSenderAddress => reply(501, [5, 1, 7], "Bad sender address syntax"),
                    smtp_proto::Error::InvalidRecipientAddress => reply(501, [5, 1, 3], "Bad recipient address syntax"),
                    smtp_proto::Error::SyntaxError { syntax } => reply(501, [5, 5, 4], &format!("Syntax: {syntax}")),
                    smtp_proto::Error::InvalidParameter { param } => {
                        reply(501, [5, 5, 4], &format!("Invalid parameter {param:?}"))
                    }
                    smtp_proto::Error::UnsupportedParameter { param } => {
                        reply(504, [5, 5, 4], &format!("Unsupported parameter {:?}", param.chars().take(64).collect::<String>()))
                    }
                    _ => reply(500, [5, 5, 2], "Syntax error"),
                };
                self.connection.reply(&answer);
                Ok(self.count_error().await.then_some(End::Quit))
            }
        }
    }

    /// Counts a NOOP, RSET, VRFY or HELP; past `max_junk_commands` each one is an
    /// error of the session. True when the session must end.
    async fn count_junk(&mut self) -> bool {
        self.junk_commands += 1;
        self.junk_commands > self.gateway.config.smtp.max_junk_commands && self.count_error().await
    }

    async fn handle_request(&mut self, request: Request<String>, line: &[u8]) -> Result<Option<End>, ()> {
        match request {
            Request::Ehlo { host } => self.hello(host, true),
            Request::Helo { host } => self.hello(host, false),
            Request::Lhlo { .. } => self.connection.reply(&reply(500, [5, 5, 1], "LHLO is for LMTP only")),
            Request::StartTls => return self.start_tls().await.map(|_| None),
            Request::Mail { from } => return self.mail_command(from, line).await,
            Request::Rcpt { .. } => return self.rcpt_command(line).await,
            Request::Data => return self.data().await,
            Request::Rset => {
                self.transaction = Transaction::default();
                self.connection.reply(&reply(250, [2, 0, 0], "Ok"));
                return Ok(self.count_junk().await.then_some(End::Quit));
            }
            Request::Noop { .. } => {
                self.connection.reply(&reply(250, [2, 0, 0], "Ok"));
                return Ok(self.count_junk().await.then_some(End::Quit));
            }
            Request::Quit => {
                self.connection.reply(&reply(221, [2, 0, 0], "Bye"));
                return Ok(Some(End::Quit));
            }
            Request::Vrfy { .. } => {
                self.connection.reply(&reply(252, [2, 5, 2], "Cannot VRFY user, but will accept message and attempt delivery"));
                return Ok(self.count_junk().await.then_some(End::Quit));
            }
            Request::Help { .. } => {
                self.connection.reply(&reply(214, [2, 0, 0], "See RFC 5321"));
                return Ok(self.count_junk().await.then_some(End::Quit));
            }
            Request::Auth { mechanism, initial_response } => return self.auth(mechanism, initial_response).await,
            Request::Bdat { .. } => {
                self.connection.reply(&reply(502, [5, 5, 1], "CHUNKING is not supported, use DATA"));
                return Ok(Some(End::Quit));
            }
            Request::Expn { .. } | Request::Etrn { .. } | Request::Atrn { .. } | Request::Burl { .. } => {
                self.connection.reply(&reply(502, [5, 5, 1], "Command not implemented"))
            }
        }
        Ok(None)
    }

    pub(super) fn envelope(&self, sender: String, recipients: Vec<String>) -> Envelope {
        Envelope {
            client_ip: Some(self.peer.ip()),
            helo: self.helo.clone().unwrap_or_default(),
            sender,
            recipients,
            smtputf8: self.transaction.smtputf8,
            authenticated_user: self.authenticated.clone(),
        }
    }


}
