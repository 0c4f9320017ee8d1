//! DATA: the message streamed in within its deadline and the size and memory
//! limits (`smtp/data.rs` finds its end and normalises line ends), then handed to
//! the pipeline; blackholed recipients are logged and get nothing.

use sluice_core::checks::limits;
use sluice_core::verdict::decide;
use sluice_core::{Envelope, LineMeter};
use sluice_model::{Action, Finding};
use tokio::time::Instant;

use super::{End, Session, reply};
use crate::pipeline::{self, Received};
use crate::smtp::data::DataReader;
use crate::smtp::stream::ReadError;

/// Why the rest of a DATA phase is read and thrown away.
#[derive(Clone, Copy)]
enum Discarded {
    Oversize,
    /// The shared budget for message bodies in memory is used up.
    OutOfMemory,
}

impl Session {
    /// Grows this session's share of the message memory budget to cover `bytes`;
    /// false when the budget is exhausted.
    /// Logs a DATA phase the client did not finish, with the subject when the
    /// header block had arrived.
    async fn log_lost(&mut self, envelope: &Envelope, body: &[u8], lost: Finding, settings: &sluice_core::DomainSettings) {
        let subject = sluice_core::message::subject_of_headers(body).unwrap_or_default();
        let verdict = decide(&[lost], settings);
        pipeline::log_verdict(&self.gateway, envelope, &subject, &verdict).await;
    }

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


    pub(super) async fn data(&mut self) -> Result<Option<End>, ()> {
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
        let sender_auth = transaction.sender_auth;
        let batv = transaction.batv;
        let sender_rights = transaction.sender_rights;
        let counted = transaction.counted;
        let settings = transaction.settings.unwrap_or_default();
        // The strictest limit: the [smtp] hard cap, and the accepted domain's.
        let max = match settings.max_message_size {
            0 => self.gateway.config.smtp.max_message_size,
            limit => limit.min(self.gateway.config.smtp.max_message_size),
        } as usize;
        let mut line_meter = LineMeter::new();
        // Room for our headers in front of the body (`pipeline::HEADROOM`).
        let mut body = pipeline::new_body_buffer(64 * 1024);
        let mut reader = DataReader::new();
        let mut discarding: Option<Discarded> = None;
        // Memory for message bodies in flight is shared by all sessions; this
        // session holds a KiB permit for every KiB of its body.
        let mut memory = self.gateway.data_memory.clone().try_acquire_many_owned(64).ok();
        let mut metered = pipeline::HEADROOM;
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
                Some(_) => body.truncate(pipeline::HEADROOM),
                None => {
                    line_meter.feed(&body[metered..]);
                    metered = body.len();
                    if body.len() - pipeline::HEADROOM > max {
                        discarding = Some(Discarded::Oversize);
                    } else if !self.reserve_memory(&mut memory, body.len()) {
                        discarding = Some(Discarded::OutOfMemory);
                    }
                    if discarding.is_some() {
                        body = pipeline::new_body_buffer(0);
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
                    let lost = limits::connection_lost("client disconnected during DATA");
                    self.log_lost(&envelope, &body[pipeline::HEADROOM..], lost, &settings).await;
                    return Ok(Some(End::ClientClosed));
                }
                Err(ReadError::Timeout) => {
                    let lost = limits::connection_lost("DATA deadline passed");
                    self.log_lost(&envelope, &body[pipeline::HEADROOM..], lost, &settings).await;
                    self.connection.reply(&reply(421, [4, 4, 2], "Timeout exceeded, closing connection"));
                    return Ok(Some(End::Failed));
                }
                Ok(_) => {}
            }
        }
        if let Some(why) = discarding {
            let finding = match why {
                Discarded::Oversize => limits::received_too_much(max as u64),
                Discarded::OutOfMemory => limits::memory_exhausted(),
            };
            let verdict = decide(&[finding], &settings);
            pipeline::log_verdict(&self.gateway, &envelope, "", &verdict).await;
            self.connection.reply(&verdict.reply);
            return Ok(None);
        }
        if !blackholed.is_empty() {
            let (addresses, findings): (Vec<String>, Vec<Finding>) = blackholed.into_iter().unzip();
            let discarded = Envelope {
                recipients: addresses,
                ..envelope.clone()
            };
            // Parsed for the subject only: nothing else of it is kept.
            let subject = sluice_core::message::subject_of_headers(&body[pipeline::HEADROOM..]).unwrap_or_default();
            let verdict = decide(&findings, &settings);
            let verdict = pipeline::record_discarded(&self.gateway, &discarded, &subject, &findings, verdict).await;
            if envelope.recipients.is_empty() || !verdict.reply.is_positive() {
                self.connection.reply(&verdict.reply);
                return Ok(None);
            }
        }
        // An authenticated user's header From must be an address it may send as.
        if let Some(rights) = &sender_rights
            && let Some(from) = sluice_core::checks::lists::header_from(&body[pipeline::HEADROOM..])
            && !rights.allows(&from)
        {
            let user = envelope.authenticated_user.clone().unwrap_or_default();
            tracing::warn!(peer = %self.peer, %user, %from, "submission refused: header From not the user's");
            let shown: String = from.chars().filter(|c| c.is_ascii_graphic()).take(256).collect();
            let text = format!("Header From <{shown}> is not yours to send from (authenticated as {user})");
            self.connection.reply(&reply(550, [5, 7, 1], &text));
            return Ok(None);
        }
        let received = Received {
            helo: envelope.helo.clone(),
            peer: self.peer,
            tls: self.connection.is_tls(),
            esmtp: self.esmtp,
            client: self.client.clone(),
            findings_at_rcpt: batv,
        };
        let longest_line = Some(line_meter.longest());
        let data_ended = std::time::Instant::now();
        // Mail that was not judged (filtering off) earns the client no standing.
        let greylisting = settings.greylisting && settings.filtering;
        let spf_passed_domain = sender_auth.as_ref().filter(|auth| auth.spf.sender_passed()).map(|auth| auth.spf.domain.clone());
        let user = envelope.authenticated_user.clone();
        let verdict = pipeline::accept_message(&self.gateway, envelope, body, settings, longest_line, received, sender_auth).await;
        if let Some(user) = &user
            && verdict.reply.is_positive()
        {
            self.gateway.count_outgoing_message(user).await;
        }
        if user.is_none() && verdict.reply.is_positive() {
            self.gateway.count_inbound_message(&counted);
        }
        crate::metrics::data_replied(data_ended.elapsed());
        // Standing is earned by mail coming in, not by our own users' mail.
        if verdict.action == Action::Deliver && greylisting && user.is_none() {
            crate::greylisting::accepted(&self.gateway, self.peer.ip(), spf_passed_domain.as_deref()).await;
        }
        drop(memory);
        self.connection.reply(&verdict.reply);
        if verdict.action == Action::TempReject {
            tracing::debug!(peer = %self.peer, reply = %verdict.reply, "message temporarily refused");
        }
        Ok(None)
    }
}
