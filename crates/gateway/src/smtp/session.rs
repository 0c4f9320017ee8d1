//! One SMTP session: the command state machine of RFC 5321 with the extensions we
//! advertise, the per-recipient policy at RCPT, and the DATA phase that hands the
//! message to the pipeline.
//!
//! Commands are parsed by `smtp-proto` (Stalwart's production parser), except the
//! paths of MAIL and RCPT and the SIZE parameter, which `path.rs` reads from the
//! raw line so that an address is relayed exactly as received; DATA is read by
//! `data.rs`. This module owns the state, the limits and every reply text.

use std::net::SocketAddr;
use std::sync::Arc;

use sluice_core::checks::envelope_policy;
use sluice_core::verdict::decide;
use sluice_core::{DomainSettings, Envelope, LineMeter};
use sluice_model::{Action, Finding, MainClass, Reason, SmtpReply, Subclass};
use smtp_proto::Request;
use tokio::time::Instant;

use super::ConnectionSlot;
use super::data::DataReader;
use super::path::{self, Path};
use super::stream::{Connection, Line, ReadError};
use crate::Gateway;
use crate::pipeline::{self, Received};

/// Which listener the session came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// Inbound filtering (port 25).
    Inbound,
    /// Authenticated outgoing mail (port 587).
    Submission,
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
    /// Accepted blackhole recipients: answered 250, delivered nowhere.
    blackholed: Vec<String>,
    /// The settings of the first accepted recipient's domain: every later
    /// recipient must share them (or be deferred with `disparate-settings`).
    settings: Option<DomainSettings>,
}

pub(crate) struct Session {
    gateway: Arc<Gateway>,
    connection: Connection,
    peer: SocketAddr,
    listener: Listener,
    helo: Option<String>,
    esmtp: bool,
    transaction: Transaction,
    errors: u32,
    /// NOOP, RSET, VRFY and HELP so far (`[smtp] max_junk_commands`).
    junk_commands: u32,
    /// This session's place in the connection limits; given back as soon as the
    /// session has answered QUIT, so a client reconnecting at once finds it free.
    slot: Option<ConnectionSlot>,
}

fn reply(code: u16, enhanced: [u16; 3], text: &str) -> SmtpReply {
    SmtpReply::new(code, enhanced, text)
}

/// Why the rest of a DATA phase is read and thrown away.
#[derive(Clone, Copy)]
enum Discarded {
    Oversize,
    /// The shared budget for message bodies in memory is used up.
    OutOfMemory,
}

/// Why a session ends.
enum End {
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
        let end = self.command_loop().await;
        if matches!(end, End::ClientClosed | End::Failed) {
            tracing::debug!(peer = %self.peer, "session ended without QUIT");
        }
        // The session is over: its slot is free before the last reply goes out.
        drop(self.slot.take());
        self.connection.shutdown().await;
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
    async fn count_error(&mut self) -> bool {
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

    /// MAIL, with the reverse-path and SIZE as `path.rs` reads them from `line`.
    async fn mail_command(&mut self, from: smtp_proto::MailFrom<String>, line: &[u8]) -> Result<Option<End>, ()> {
        let refused = match path::parse(line) {
            Ok(path::Command { path: Path::Null, size }) => {
                self.mail(from, String::new(), size).await;
                return Ok(None);
            }
            Ok(path::Command { path: Path::Mailbox(address), size }) => {
                self.mail(from, address, size).await;
                return Ok(None);
            }
            Ok(path::Command { path: Path::Postmaster, .. }) => "address needs a domain",
            Err(path::PathError(why)) => why,
        };
        self.connection.reply(&reply(501, [5, 1, 7], &format!("Bad sender address syntax: {refused}")));
        Ok(self.count_error().await.then_some(End::Quit))
    }

    /// RCPT, with the forward-path as `path.rs` reads it from `line`;
    /// `<postmaster>` goes to the configured postmaster.
    async fn rcpt_command(&mut self, line: &[u8]) -> Result<Option<End>, ()> {
        let refused = match path::parse(line) {
            Ok(path::Command { path: Path::Mailbox(address), .. }) => return Ok(self.rcpt(address).await),
            Ok(path::Command { path: Path::Postmaster, .. }) => match self.gateway.config.postmaster() {
                Some(address) => return Ok(self.rcpt(address).await),
                None => "no postmaster configured",
            },
            Ok(path::Command { path: Path::Null, .. }) => "empty path",
            Err(path::PathError(why)) => why,
        };
        self.connection.reply(&reply(501, [5, 1, 3], &format!("Bad recipient address syntax: {refused}")));
        Ok(self.count_error().await.then_some(End::Quit))
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
            Request::Auth { .. } => self.connection.reply(&reply(502, [5, 5, 1], "Authentication is not available here")),
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

    fn hello(&mut self, host: String, esmtp: bool) {
        let host = host.trim().to_owned();
        if host.is_empty() {
            self.connection.reply(&reply(501, [5, 5, 4], "Syntax: EHLO hostname"));
            return;
        }
        self.transaction = Transaction::default();
        self.esmtp = esmtp;
        let config = &self.gateway.config;
        // Echo only what cannot disturb the client's reply parser or a terminal.
        let shown: String = host.chars().filter(|c| c.is_ascii_graphic()).take(255).collect();
        if esmtp {
            let mut lines = vec![format!("{} Hello {shown}", config.hostname)];
            lines.push("PIPELINING".into());
            lines.push(format!("SIZE {}", self.gateway.largest_message_size()));
            lines.push("8BITMIME".into());
            lines.push("SMTPUTF8".into());
            lines.push("ENHANCEDSTATUSCODES".into());
            if !self.connection.is_tls() {
                lines.push("STARTTLS".into());
            }
            let last = lines.len() - 1;
            let text: String = lines
                .iter()
                .enumerate()
                .map(|(index, line)| format!("250{}{line}\r\n", if index == last { ' ' } else { '-' }))
                .collect();
            self.connection.reply_raw(&text);
        } else {
            self.connection.reply_raw(&format!("250 {} Hello {shown}\r\n", config.hostname));
        }
        self.helo = Some(host);
    }

    async fn start_tls(&mut self) -> Result<(), ()> {
        if self.connection.is_tls() {
            self.connection.reply(&reply(503, [5, 5, 1], "TLS is already active"));
            return Ok(());
        }
        if !self.esmtp {
            self.connection.reply(&reply(503, [5, 5, 1], "Send EHLO first"));
            return Ok(());
        }
        self.connection.reply(&reply(220, [2, 0, 0], "Ready to start TLS"));
        let acceptor = self.gateway.tls.clone();
        if let Err(error) = self.connection.start_tls(&acceptor).await {
            tracing::debug!(peer = %self.peer, %error, "TLS handshake failed");
            return Err(());
        }
        // RFC 3207: forget everything learnt before the handshake.
        self.helo = None;
        self.esmtp = false;
        self.transaction = Transaction::default();
        Ok(())
    }

    /// `address` is the reverse-path as received (empty for `<>`), `declared_size`
    /// the SIZE parameter as `path.rs` read it.
    async fn mail(&mut self, from: smtp_proto::MailFrom<String>, address: String, declared_size: Option<u64>) {
        if self.helo.is_none() {
            self.connection.reply(&reply(503, [5, 5, 1], "Send HELO/EHLO first"));
            return;
        }
        if self.transaction.sender.is_some() {
            self.connection.reply(&reply(503, [5, 5, 1], "Nested MAIL command"));
            return;
        }
        if self.listener == Listener::Submission {
            self.connection.reply(&reply(530, [5, 7, 0], "message submission is for authorised users only!"));
            return;
        }
        let max = self.gateway.largest_message_size();
        let declared_size = declared_size.unwrap_or(0);
        if declared_size > max {
            let mut verdict = pipeline::verdict_of(MainClass::BlockList, Subclass::Oversize, "");
            verdict.extra = match declared_size {
                u64::MAX => format!("declared SIZE beyond any number > {max}"),
                size => format!("declared SIZE {size} > {max}"),
            };
            let envelope = self.envelope(address, Vec::new());
            super::log_refusal(&self.gateway, &envelope, &verdict).await;
            self.connection.reply(&verdict.reply);
            return;
        }
        self.transaction.smtputf8 = from.flags & smtp_proto::MAIL_SMTPUTF8 != 0;
        self.transaction.declared_size = declared_size;
        self.transaction.sender = Some(address);
        self.connection.reply(&reply(250, [2, 1, 0], "Sender ok"));
    }

    /// Every refused recipient counts as an error of the session: a client that
    /// tries address after address (and makes us log each) is cut off at
    /// `max_errors`, as Postfix's hard error limit does. `address` is the
    /// forward-path as received (or the configured postmaster).
    async fn rcpt(&mut self, address: String) -> Option<End> {
        let Some(sender) = self.transaction.sender.clone() else {
            self.connection.reply(&reply(503, [5, 5, 1], "Need MAIL before RCPT"));
            return None;
        };
        if self.transaction.recipients.len() + self.transaction.blackholed.len() >= self.gateway.config.smtp.max_recipients {
            self.connection.reply(&reply(452, [4, 5, 3], "Too many recipients"));
            return None;
        }
        let gateway = self.gateway.clone();
        let Some(_) = gateway.config.domain_for(&address) else {
            let refused = pipeline::verdict_of(MainClass::Spam, Subclass::InvalidDomain, &address);
            self.log_refusal(&sender, &address, &refused).await;
            self.connection.reply(&refused.reply);
            return self.count_error().await.then_some(End::Quit);
        };
        let live = gateway.settings_for_recipient(&address);
        let settings = live.as_ref();
        let mut accepted = self.transaction.recipients.clone();
        accepted.extend(self.transaction.blackholed.iter().cloned());
        let envelope = self.envelope(sender.clone(), accepted);
        let finding = envelope_policy::check_rcpt(&envelope, &address, settings)
            .or_else(|| envelope_policy::check_declared_size(self.transaction.declared_size, settings))
            .or_else(|| {
                let first = self.transaction.settings.as_ref()?;
                envelope_policy::check_disparate(first, settings)
            });
        if let Some(finding) = finding {
            let verdict = decide(&[finding], settings);
            if verdict.action == Action::Discard {
                self.transaction.blackholed.push(address);
                self.connection.reply(&reply(250, [2, 1, 5], "Recipient ok"));
            } else {
                self.log_refusal(&sender, &address, &verdict).await;
                self.connection.reply(&verdict.reply);
                return self.count_error().await.then_some(End::Quit);
            }
            return None;
        }
        if self.transaction.settings.is_none() {
            self.transaction.settings = Some(settings.clone());
        }
        self.transaction.recipients.push(address);
        self.connection.reply(&reply(250, [2, 1, 5], "Recipient ok"));
        None
    }

    async fn log_refusal(&mut self, sender: &str, recipient: &str, verdict: &sluice_model::Verdict) {
        let envelope = self.envelope(sender.to_owned(), vec![recipient.to_owned()]);
        super::log_refusal(&self.gateway, &envelope, verdict).await;
    }

    /// Grows this session's share of the message memory budget to cover `bytes`;
    /// false when the budget is exhausted.
    fn reserve_memory(&self, held: &mut Option<tokio::sync::OwnedSemaphorePermit>, bytes: usize) -> bool {
        let Some(permit) = held else { return false };
        let needed = (bytes / 1024 + 1) as u32;
        let have = permit.num_permits() as u32;
        if needed <= have {
            return true;
        }
        // Reserve in steps of a quarter more, so a growing body asks rarely.
        let step = (needed - have).max(have / 4);
        match self.gateway.data_memory.clone().try_acquire_many_owned(step) {
            Ok(more) => {
                permit.merge(more);
                true
            }
            Err(_) => false,
        }
    }

    fn envelope(&self, sender: String, recipients: Vec<String>) -> Envelope {
        Envelope {
            client_ip: Some(self.peer.ip()),
            helo: self.helo.clone().unwrap_or_default(),
            sender,
            recipients,
            smtputf8: self.transaction.smtputf8,
            authenticated_user: None,
        }
    }

    async fn data(&mut self) -> Result<Option<End>, ()> {
        let Some(sender) = self.transaction.sender.clone() else {
            self.connection.reply(&reply(503, [5, 5, 1], "Need MAIL before DATA"));
            return Ok(None);
        };
        if self.transaction.recipients.is_empty() && self.transaction.blackholed.is_empty() {
            self.connection.reply(&reply(554, [5, 5, 1], "No valid recipients"));
            return Ok(None);
        }
        self.connection.reply(&reply(354, [2, 0, 0], "End data with <CR><LF>.<CR><LF>"));
        self.connection.flush().await.map_err(|_| ())?;

        let transaction = std::mem::take(&mut self.transaction);
        let mut envelope = self.envelope(sender, transaction.recipients);
        envelope.smtputf8 = transaction.smtputf8;
        let blackholed = transaction.blackholed;
        let settings = transaction.settings.unwrap_or_default();
        // The strictest limit: the [smtp] hard cap, and the accepted domain's.
        let max = match settings.max_message_size {
            0 => self.gateway.config.smtp.max_message_size,
            limit => limit.min(self.gateway.config.smtp.max_message_size),
        } as usize;
        let mut line_meter = LineMeter::new();
        let mut body = Vec::with_capacity(64 * 1024);
        let mut reader = DataReader::new();
        let mut discarding: Option<Discarded> = None;
        // Memory for message bodies in flight is shared by all sessions; this
        // session holds a KiB permit for every KiB of its body.
        let mut memory = self.gateway.data_memory.clone().try_acquire_many_owned(64).ok();
        let mut metered = 0;
        if memory.is_none() {
            discarding = Some(Discarded::OutOfMemory);
        }
        // The whole DATA phase has one deadline: `timeout`, plus the time the
        // octets received so far take at `data_min_rate`.
        let started = Instant::now();
        let min_rate = self.gateway.config.smtp.data_min_rate.max(1);
        let mut received: u64 = 0;
        loop {
            let ingested = reader.ingest(self.connection.buffered(), &mut body);
            self.connection.consume(ingested.consumed);
            received += ingested.consumed as u64;
            match discarding {
                // Keep reading to the end of DATA without keeping the bytes.
                Some(_) => body.clear(),
                None => {
                    line_meter.feed(&body[metered..]);
                    metered = body.len();
                    if body.len() > max {
                        discarding = Some(Discarded::Oversize);
                    } else if !self.reserve_memory(&mut memory, body.len()) {
                        discarding = Some(Discarded::OutOfMemory);
                    }
                    if discarding.is_some() {
                        body = Vec::new();
                        memory = None;
                    }
                }
            }
            if ingested.done {
                break;
            }
            let allowance = self.connection.timeout() + std::time::Duration::from_millis(received.saturating_mul(1000) / min_rate);
            match self.connection.fill(started + allowance).await {
                Ok(0) | Err(ReadError::Io(_)) => {
                    pipeline::log_connection_lost(&self.gateway, &envelope).await;
                    return Ok(Some(End::ClientClosed));
                }
                Err(ReadError::Timeout) => {
                    pipeline::log_connection_lost(&self.gateway, &envelope).await;
                    self.connection.reply(&reply(421, [4, 4, 2], "Timeout exceeded, closing connection"));
                    return Ok(Some(End::Failed));
                }
                Ok(_) => {}
            }
        }
        if let Some(why) = discarding {
            let verdict = match why {
                Discarded::Oversize => {
                    let mut verdict = pipeline::verdict_of(MainClass::BlockList, Subclass::Oversize, "");
                    verdict.extra = format!("received more than {max} octets");
                    verdict
                }
                Discarded::OutOfMemory => {
                    pipeline::verdict_for(
                        Finding::new("smtp", MainClass::Error, Subclass::Memory, "message memory budget exhausted")
                            .because(Reason::MemoryExhausted),
                    )
                }
            };
            pipeline::log_verdict(&self.gateway, &envelope, "", &verdict).await;
            self.connection.reply(&verdict.reply);
            return Ok(None);
        }
        if !blackholed.is_empty() {
            let discarded = Envelope {
                recipients: blackholed.clone(),
                ..envelope.clone()
            };
            let verdict = pipeline::verdict_of(MainClass::BlockList, Subclass::Recipient, &blackholed.join(", "));
            pipeline::log_verdict(&self.gateway, &discarded, "", &verdict).await;
            if envelope.recipients.is_empty() {
                self.connection.reply(&verdict.reply);
                return Ok(None);
            }
        }
        let received = Received {
            helo: envelope.helo.clone(),
            peer: self.peer,
            tls: self.connection.is_tls(),
            esmtp: self.esmtp,
        };
        let longest_line = Some(line_meter.longest());
        let verdict = pipeline::accept_message(&self.gateway, envelope, body, settings, longest_line, received).await;
        drop(memory);
        self.connection.reply(&verdict.reply);
        if verdict.action == Action::TempReject {
            tracing::debug!(peer = %self.peer, reply = %verdict.reply, "message temporarily refused");
        }
        Ok(None)
    }
}
