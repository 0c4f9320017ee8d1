//! The SMTP client that hands a message to the next hop and reports, for each
//! recipient, whether it was delivered, deferred (4xx) or refused (5xx).

use std::net::SocketAddr;
use std::time::Duration;

use mail_send::SmtpClient;
use smtp_proto::{EXT_START_TLS, Response};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::config::Delivery;

/// What became of one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// A temporary failure: retry later. The text is the reply or the error.
    Deferred(String),
    /// A permanent refusal: bounce. The text is the destination's reply.
    Refused(String),
}

/// One attempt to deliver `raw` from `sender` to `recipients` through the first
/// of `addresses` that answers.
/// `settings` gives the time limit and whether to use STARTTLS.
pub async fn deliver(
    addresses: &[SocketAddr],
    server_name: &str,
    our_hostname: &str,
    sender: &str,
    recipients: &[String],
    raw: &[u8],
    settings: &Delivery,
) -> Vec<Outcome> {
    let (timeout, starttls) = (settings.timeout, settings.starttls);
    let mut last_error = "no address to connect to".to_owned();
    for address in addresses {
        let client = match SmtpClient::connect(*address, timeout).await {
            Ok(client) => client,
            Err(error) => {
                last_error = format!("connection to {address} failed: {error}");
                continue;
            }
        };
        return match session(client, server_name, our_hostname, sender, recipients, raw, starttls).await {
            Ok(outcomes) => outcomes,
            Err(error) => vec![Outcome::Deferred(format!("{address}: {error}")); recipients.len()],
        };
    }
    vec![Outcome::Deferred(last_error); recipients.len()]
}

async fn session(
    mut client: SmtpClient<tokio::net::TcpStream>,
    server_name: &str,
    our_hostname: &str,
    sender: &str,
    recipients: &[String],
    raw: &[u8],
    starttls: bool,
) -> Result<Vec<Outcome>, String> {
    let greeting = client.read().await.map_err(|error| error.to_string())?;
    if greeting.code != 220 {
        return Err(format!("greeting: {}", reply_line(&greeting)));
    }
    let capabilities = client.ehlo(our_hostname).await.map_err(|error| format!("EHLO: {error}"))?;
    if starttls && capabilities.capabilities & EXT_START_TLS != 0 {
        let connector = mail_send::smtp::tls::build_tls_connector(true).map_err(|error| error.to_string())?;
        let name = if server_name.parse::<std::net::IpAddr>().is_ok() { our_hostname } else { server_name };
        let mut client = client.start_tls(&connector, name).await.map_err(|error| format!("STARTTLS: {error}"))?;
        client.ehlo(our_hostname).await.map_err(|error| format!("EHLO after STARTTLS: {error}"))?;
        transaction(&mut client, sender, recipients, raw).await
    } else {
        transaction(&mut client, sender, recipients, raw).await
    }
}

async fn transaction<T: AsyncRead + AsyncWrite + Unpin>(
    client: &mut SmtpClient<T>,
    sender: &str,
    recipients: &[String],
    raw: &[u8],
) -> Result<Vec<Outcome>, String> {
    // The session checked every path; this guards the one place that writes them.
    if !is_single_token(sender) {
        return Ok(vec![Outcome::Refused("501 5.1.7 sender address cannot be relayed".to_owned()); recipients.len()]);
    }
    let mail = client.cmd(format!("MAIL FROM:<{sender}>\r\n")).await.map_err(|error| error.to_string())?;
    if let Some(failure) = failure(&mail) {
        return Ok(vec![failure; recipients.len()]);
    }
    let mut outcomes = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        if !is_single_token(recipient) {
            outcomes.push(Outcome::Refused("501 5.1.3 recipient address cannot be relayed".to_owned()));
            continue;
        }
        let reply = client.cmd(format!("RCPT TO:<{recipient}>\r\n")).await.map_err(|error| error.to_string())?;
        outcomes.push(failure(&reply).unwrap_or(Outcome::Delivered));
    }
    if !outcomes.contains(&Outcome::Delivered) {
        let _ = client.cmd("QUIT\r\n").await;
        return Ok(outcomes);
    }
    let data = client.cmd("DATA\r\n").await.map_err(|error| error.to_string())?;
    if data.code != 354 {
        let failure = failure(&data).unwrap_or_else(|| Outcome::Deferred(reply_line(&data)));
        return Ok(outcomes.into_iter().map(|outcome| if outcome == Outcome::Delivered { failure.clone() } else { outcome }).collect());
    }
    let timeout = client.timeout;
    tokio::time::timeout(timeout.max(Duration::from_secs(60)), client.stream.write_all(&dot_stuffed(raw)))
        .await
        .map_err(|_| "timed out sending the message".to_owned())?
        .map_err(|error| error.to_string())?;
    client.stream.flush().await.map_err(|error| error.to_string())?;
    let done = client.read().await.map_err(|error| error.to_string())?;
    let _ = client.cmd("QUIT\r\n").await;
    if let Some(failure) = failure(&done) {
        return Ok(outcomes.into_iter().map(|outcome| if outcome == Outcome::Delivered { failure.clone() } else { outcome }).collect());
    }
    Ok(outcomes)
}

/// An address that cannot end the path or the command line early: no control
/// character and no angle bracket.
fn is_single_token(address: &str) -> bool {
    !address.chars().any(|ch| ch.is_control() || ch == '<' || ch == '>')
}

fn failure(reply: &Response<String>) -> Option<Outcome> {
    match reply.code {
        200..=399 => None,
        500..=599 => Some(Outcome::Refused(reply_line(reply))),
        _ => Some(Outcome::Deferred(reply_line(reply))),
    }
}

fn reply_line(reply: &Response<String>) -> String {
    let [class, subject, detail] = reply.esc;
    if class == 0 {
        format!("{} {}", reply.code, reply.message)
    } else {
        format!("{} {class}.{subject}.{detail} {}", reply.code, reply.message)
    }
}

/// The DATA payload: every line ended by CRLF (a bare LF becomes CRLF, so the
/// next hop cannot be smuggled a different end of data), lines starting with a dot
/// get another (RFC 5321 §4.5.2), and the terminating `.` line.
pub fn dot_stuffed(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 50 + 5);
    let mut rest = raw;
    while !rest.is_empty() {
        let (line, tail) = match rest.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &[][..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        rest = tail;
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::dot_stuffed;

    #[test]
    fn crlf_message_is_sent_unchanged_apart_from_dots() {
        assert_eq!(dot_stuffed(b"a\r\n.b\r\n\r\n"), b"a\r\n..b\r\n\r\n.\r\n");
    }

    #[test]
    fn bare_line_feeds_and_missing_final_newline_are_mended() {
        assert_eq!(dot_stuffed(b"a\n.\nlast"), b"a\r\n..\r\nlast\r\n.\r\n");
        assert_eq!(dot_stuffed(b""), b".\r\n");
    }
}
