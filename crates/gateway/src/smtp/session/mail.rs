//! MAIL FROM: the reverse-path exactly as received (`path.rs`), the declared SIZE
//! against the largest message any recipient accepts, the listener's rules (on
//! the submission ports: AUTH first, the user's sender rights, its message
//! limits), and the sender's authentication facts (SPF, the sender domain's MX
//! and A/AAAA: `crate::auth`).

use sluice_core::checks::limits;

use super::{End, Listener, Session, reply};
use crate::pipeline;
use crate::smtp::path::{self, Path};

impl Session {
    /// MAIL, with the reverse-path and SIZE as `path.rs` reads them from `line`.
    pub(super) async fn mail_command(&mut self, from: smtp_proto::MailFrom<String>, line: &[u8]) -> Result<Option<End>, ()> {
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


    /// `address` is the reverse-path as received (empty for `<>`), `declared_size`
    /// the SIZE parameter as `path.rs` read it.
    pub(super) async fn mail(&mut self, from: smtp_proto::MailFrom<String>, address: String, declared_size: Option<u64>) {
        if self.helo.is_none() {
            self.connection.reply(&reply(503, [5, 5, 1], "Send HELO/EHLO first"));
            return;
        }
        if self.transaction.sender.is_some() {
            self.connection.reply(&reply(503, [5, 5, 1], "Nested MAIL command"));
            return;
        }
        // What another node changed in the lists and rules counts for this transaction.
        self.gateway.follow_policy_changes().await;
        if self.listener.is_submission() && !self.submission_sender_allowed(&address).await {
            return;
        }
        // Before any recipient, the largest message any of them accepts applies.
        let declared_size = declared_size.unwrap_or(0);
        if let Some(finding) = limits::check_declared_size(declared_size, self.gateway.largest_message_size()) {
            let verdict = pipeline::verdict_for(finding.clone());
            let envelope = self.envelope(address, Vec::new());
            crate::smtp::log_refusal(&self.gateway, &envelope, &[finding], &verdict).await;
            self.connection.reply(&verdict.reply);
            return;
        }
        // SPF and the sender domain's records: facts of the transaction, judged
        // per recipient at RCPT (sender verification) and after the final dot
        // (SPF, with DKIM and DMARC), so each recipient's settings apply.
        if self.listener == Listener::Inbound {
            let helo = self.helo.clone().unwrap_or_default();
            let auth = self.gateway.authenticate_at_mail(self.peer.ip(), &helo, &address).await;
            self.transaction.sender_auth = Some(std::sync::Arc::new(auth));
        }
        self.transaction.smtputf8 = from.flags & smtp_proto::MAIL_SMTPUTF8 != 0;
        self.transaction.declared_size = declared_size;
        self.transaction.sender = Some(address);
        self.connection.reply(&reply(250, [2, 1, 0], "Sender ok"));
    }

    /// On a submission port: whether the session may start a transaction from
    /// `address`. Answers the refusal itself: 530 without AUTH, 550 5.7.1 for
    /// an address the user may not send as, the limit's 451 past the user's
    /// message limits (logged once per user and hour).
    async fn submission_sender_allowed(&mut self, address: &str) -> bool {
        let Some(user) = self.authenticated.clone() else {
            self.connection.reply(&reply(530, [5, 7, 0], "message submission is for authorised users only!"));
            return false;
        };
        let rights = match self.gateway.sender_rights(&user).await {
            Ok(Some(rights)) => rights,
            Ok(None) => {
                // Removed since it authenticated.
                self.authenticated = None;
                self.connection.reply(&reply(530, [5, 7, 0], "message submission is for authorised users only!"));
                return false;
            }
            Err(error) => {
                tracing::error!(%error, "cannot read the user's sender rights");
                self.connection.reply(&pipeline::store_failure(&error).reply);
                return false;
            }
        };
        if !rights.allows(address) {
            tracing::warn!(peer = %self.peer, %user, sender = %address, "submission refused: sender address not the user's");
            let shown = if address.is_empty() { "<>".to_owned() } else { format!("<{address}>") };
            let text = format!("Sender address {shown} is not yours to send from (authenticated as {user})");
            self.connection.reply(&reply(550, [5, 7, 1], &text));
            return false;
        }
        let over_limit = match self.gateway.outgoing_over_limit(&user).await {
            Ok(over_limit) => over_limit,
            Err(error) => {
                tracing::error!(%error, "cannot read the user's message counts");
                self.connection.reply(&pipeline::store_failure(&error).reply);
                return false;
            }
        };
        if let Some((finding, first)) = over_limit {
            let verdict = pipeline::verdict_for(finding);
            if first {
                tracing::warn!(%user, reply = %verdict.reply, "user over its outgoing message limit");
                let envelope = self.envelope(address.to_owned(), Vec::new());
                pipeline::log_verdict(&self.gateway, &envelope, "", &verdict).await;
            }
            self.connection.reply(&verdict.reply);
            return false;
        }
        self.transaction.sender_rights = Some(rights);
        true
    }
}
