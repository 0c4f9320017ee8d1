//! HELO, EHLO and STARTTLS: the greeting, the extensions we advertise, and the TLS
//! upgrade (after which everything learnt before is forgotten, RFC 3207).

use super::{Session, Transaction, reply};

impl Session {
    pub(super) fn hello(&mut self, host: String, esmtp: bool) {
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
            if self.auth_offered() {
                lines.push("AUTH PLAIN LOGIN".into());
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

    pub(super) async fn start_tls(&mut self) -> Result<(), ()> {
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
        self.authenticated = None;
        self.transaction = Transaction::default();
        Ok(())
    }
}
