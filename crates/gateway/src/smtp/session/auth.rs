//! AUTH (RFC 4954) on the submission listeners: PLAIN (with an initial
//! response or after `334 `) and LOGIN (its two `334` prompts). `smtp-proto`
//! parses the command; the exchange is here and the decoding in `smtp/sasl.rs`.
//!
//! Offered only after TLS (STARTTLS on `submission`, implicit on
//! `submissions`), or to a loopback client when `[outgoing]
//! allow_plaintext_auth_on_loopback` is set; AUTH elsewhere is refused before
//! any credential is sent. Every response line is bounded like a command line
//! (4096 octets); `*` cancels (501); bad base64 is 501; a second AUTH, or AUTH
//! inside a transaction, is 503; on the inbound port AUTH is not offered and
//! answered 503. The lockout and the password check are `crate::submission`.

use super::{End, Session, reply};
use crate::smtp::sasl::{self, Mechanism, SaslError};
use crate::smtp::stream::{Line, ReadError};
use crate::submission::AuthOutcome;

/// How a SASL exchange stopped before credentials were complete.
enum Stopped {
    /// A reply was queued; the session goes on (or ends, as counted).
    Replied,
    /// The session ends.
    End(End),
    /// The connection failed.
    Failed,
}

impl Session {
    /// Whether AUTH is offered on this session now.
    pub(super) fn auth_offered(&self) -> bool {
        let loopback = self.peer.ip().to_canonical().is_loopback();
        self.listener.is_submission()
            && (self.connection.is_tls() || loopback && self.gateway.config.outgoing.allow_plaintext_auth_on_loopback)
    }

    pub(super) async fn auth(&mut self, mechanism: u64, initial_response: String) -> Result<Option<End>, ()> {
        let refusal = if !self.listener.is_submission() {
            Some(reply(503, [5, 5, 1], "AUTH is offered on the submission ports only"))
        } else if !self.auth_offered() {
            Some(reply(530, [5, 7, 0], "Must issue a STARTTLS command first"))
        } else if self.helo.is_none() || !self.esmtp {
            Some(reply(503, [5, 5, 1], "Send EHLO first"))
        } else if self.authenticated.is_some() {
            Some(reply(503, [5, 5, 1], "Already authenticated"))
        } else if self.transaction.sender.is_some() {
            Some(reply(503, [5, 5, 1], "AUTH is not permitted during a mail transaction"))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            self.connection.reply(&refusal);
            return Ok(self.count_error().await.then_some(End::Quit));
        }
        let Some(mechanism) = Mechanism::from_flags(mechanism) else {
            self.connection.reply(&reply(504, [5, 5, 4], "Unrecognized authentication type; use PLAIN or LOGIN"));
            return Ok(self.count_error().await.then_some(End::Quit));
        };
        let ip = self.peer.ip();
        if self.gateway.auth_client_locked_out(ip).await {
            self.connection.reply(&denied());
            return Ok(None);
        }
        let credentials = match self.credentials(mechanism, initial_response).await {
            Ok(Ok(credentials)) => credentials,
            Ok(Err(error)) => {
                self.connection.reply(&match error {
                    SaslError::Cancelled => reply(501, [5, 7, 0], "Authentication cancelled"),
                    SaslError::BadBase64 => reply(501, [5, 5, 2], "Invalid base64 data"),
                    SaslError::Malformed => reply(501, [5, 5, 2], "Malformed authentication response"),
                    // Acting as another user is not something we allow.
                    SaslError::AuthzidDiffers => reply(535, [5, 7, 8], "Authentication credentials invalid"),
                });
                return Ok(self.count_error().await.then_some(End::Quit));
            }
            Err(Stopped::Replied) => return Ok(self.count_error().await.then_some(End::Quit)),
            Err(Stopped::End(end)) => return Ok(Some(end)),
            Err(Stopped::Failed) => return Err(()),
        };
        match self.gateway.authenticate(ip, &credentials.username, credentials.password).await {
            AuthOutcome::Authenticated(name) => {
                tracing::info!(peer = %self.peer, user = %name, "SMTP AUTH succeeded");
                self.authenticated = Some(name);
                self.connection.reply(&reply(235, [2, 7, 0], "Authentication successful"));
                Ok(None)
            }
            AuthOutcome::Invalid => {
                tracing::info!(peer = %self.peer, user = %credentials.username, "SMTP AUTH failed");
                self.connection.reply(&reply(535, [5, 7, 8], "Authentication credentials invalid"));
                Ok(self.count_error().await.then_some(End::Quit))
            }
            AuthOutcome::LockedOut => {
                self.connection.reply(&denied());
                Ok(None)
            }
            AuthOutcome::Unavailable => {
                self.connection.reply(&reply(454, [4, 7, 0], "Temporary authentication failure"));
                Ok(None)
            }
        }
    }

    /// The exchange of `mechanism` up to the credentials.
    async fn credentials(&mut self, mechanism: Mechanism, initial_response: String) -> Result<Result<sasl::Credentials, SaslError>, Stopped> {
        match mechanism {
            Mechanism::Plain => {
                let response = if initial_response.is_empty() { self.sasl_response("").await? } else { initial_response };
                Ok(sasl::plain(&response))
            }
            Mechanism::Login => {
                let username = if initial_response.is_empty() {
                    self.sasl_response(sasl::LOGIN_USERNAME_PROMPT).await?
                } else {
                    initial_response
                };
                let username = match sasl::login_field(&username, sasl::MAX_USERNAME) {
                    Ok(username) => username,
                    Err(error) => return Ok(Err(error)),
                };
                let password = self.sasl_response(sasl::LOGIN_PASSWORD_PROMPT).await?;
                let password = match sasl::login_field(&password, sasl::MAX_PASSWORD) {
                    Ok(password) => password,
                    Err(error) => return Ok(Err(error)),
                };
                Ok(sasl::login(username, password))
            }
        }
    }

    /// Sends `334 challenge` and reads the client's response line, bounded
    /// like a command line and within the command deadline.
    async fn sasl_response(&mut self, challenge: &str) -> Result<String, Stopped> {
        self.connection.reply_raw(&format!("334 {challenge}\r\n"));
        if self.connection.flush().await.is_err() {
            return Err(Stopped::Failed);
        }
        match self.connection.read_line().await {
            Ok(Line::Complete(line)) => {
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                // Base64 is ASCII: anything else is refused as bad base64.
                Ok(String::from_utf8(line.to_vec()).unwrap_or_else(|_| "\u{0}".to_owned()))
            }
            Ok(Line::TooLong) => {
                self.connection.reply(&reply(500, [5, 5, 2], "Line too long"));
                Err(Stopped::Replied)
            }
            Ok(Line::Closed) => Err(Stopped::End(End::ClientClosed)),
            Err(ReadError::Timeout) => {
                self.connection.reply(&reply(421, [4, 4, 2], "Timeout exceeded, closing connection"));
                Err(Stopped::End(End::Failed))
            }
            Err(ReadError::Io(_)) => Err(Stopped::Failed),
        }
    }
}

/// The spec's lockout reply.
fn denied() -> sluice_model::SmtpReply {
    reply(454, [4, 7, 0], "You have been denied authentication")
}
