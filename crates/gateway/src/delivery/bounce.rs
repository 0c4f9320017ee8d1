//! Delivery status notifications (RFC 3464) for recipients we could not deliver to.
//!
//! **Invariant (no backscatter):** the envelope sender of inbound mail is not
//! authenticated (no SPF or DKIM check yet), so a bounce may go to a forged
//! address, a third party. A DSN therefore quotes nothing of the original
//! message but its Message-ID: no Subject, no other header, no body, so a
//! spammer gains nothing by making us bounce. Whether a DSN is sent at all
//! (never for spam, phish or virus) is decided in `delivery/mod.rs`.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// How far into the original the Message-ID is looked for.
const MAX_HEADER_SCANNED: usize = 64 * 1024;
/// Longest Message-ID quoted; longer ones are left out.
const MAX_MESSAGE_ID: usize = 250;
/// Longest diagnostic (the destination's reply) quoted per recipient.
const MAX_DIAGNOSTIC: usize = 512;

/// Builds the DSN sent to `original_sender` for `failed` recipients, each with the
/// reply or reason that made it fail. Of `original` only the Message-ID is quoted.
pub fn build(our_hostname: &str, original_sender: &str, failed: &[(String, String)], original: &[u8], now: OffsetDateTime) -> Vec<u8> {
    let boundary = format!("sluice-dsn-{}", sluice_store::new_id());
    let date = now.format(&Rfc2822).unwrap_or_default();
    let message_id = format!("<{}@{our_hostname}>", sluice_store::new_id());
    let failed: Vec<(&str, String)> = failed.iter().map(|(recipient, reason)| (recipient.as_str(), diagnostic(reason))).collect();
    let mut text = String::new();
    text.push_str(&format!(
        "From: Mail Delivery System <MAILER-DAEMON@{our_hostname}>\r\n\
         To: <{original_sender}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Date: {date}\r\n\
         Message-ID: {message_id}\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         This is the mail gateway at {our_hostname}.\r\n\
         \r\n\
         Your message could not be delivered to the following recipients:\r\n\r\n"
    ));
    for (recipient, reason) in &failed {
        text.push_str(&format!("  <{recipient}>: {reason}\r\n"));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {our_hostname}\r\nArrival-Date: {date}\r\n"
    ));
    for (recipient, reason) in &failed {
        let status = status_of(reason);
        text.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {reason}\r\n"
        ));
    }
    text.push_str(&format!("\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"));
    if let Some(original_id) = original_message_id(original) {
        text.push_str(&format!("Message-ID: {original_id}\r\n"));
    }
    text.push_str(&format!("\r\n--{boundary}--\r\n"));
    text.into_bytes()
}

/// A reason on one line of printable text, cut to [`MAX_DIAGNOSTIC`] characters.
fn diagnostic(reason: &str) -> String {
    reason
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .take(MAX_DIAGNOSTIC)
        .collect()
}

/// The original's Message-ID, when it is one `<...>` token of printable ASCII.
fn original_message_id(original: &[u8]) -> Option<String> {
    let header = &original[..original.len().min(MAX_HEADER_SCANNED)];
    let mut lines = header.split(|&byte| byte == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    while let Some(line) = lines.next() {
        if line.is_empty() {
            return None;
        }
        let Some(name) = line.get(..11) else { continue };
        if !name.eq_ignore_ascii_case(b"message-id:") {
            continue;
        }
        let value = std::str::from_utf8(&line[11..]).ok()?.trim();
        let candidate = if value.is_empty() {
            // Folded onto the next line.
            std::str::from_utf8(lines.next()?).ok()?.trim()
        } else {
            value
        };
        let inner = candidate.strip_prefix('<')?.strip_suffix('>')?;
        let sane = !inner.is_empty()
            && candidate.len() <= MAX_MESSAGE_ID
            && inner.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'<' && byte != b'>');
        return sane.then(|| candidate.to_owned());
    }
    None
}

/// The enhanced status code in a reply such as `550 5.1.1 No such user`, or 5.0.0.
fn status_of(reason: &str) -> String {
    reason
        .split_whitespace()
        .nth(1)
        .filter(|code| code.starts_with('5') && code.split('.').count() == 3 && code.split('.').all(|part| part.parse::<u16>().is_ok()))
        .unwrap_or("5.0.0")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_names_recipient_status_and_quotes_only_the_message_id() {
        let original = b"Subject: buy cheap pills\r\nFrom: a@b.example\r\nMessage-ID: <42@b.example>\r\nX-Spam: visit http://spam.example\r\n\r\nsecret body\r\n";
        let dsn = build("mx.example.net", "a@b.example", &[("x@example.net".into(), "550 5.1.1 No such user".into())], original, OffsetDateTime::UNIX_EPOCH);
        let dsn = String::from_utf8(dsn).unwrap();
        assert!(dsn.contains("Final-Recipient: rfc822; x@example.net"));
        assert!(dsn.contains("Status: 5.1.1"));
        assert!(dsn.contains("To: <a@b.example>"));
        assert!(dsn.contains("\r\nMessage-ID: <42@b.example>\r\n"));
        for quoted in ["cheap pills", "spam.example", "secret body", "From: a@b.example"] {
            assert!(!dsn.contains(quoted), "{quoted} quoted in {dsn}");
        }
    }

    #[test]
    fn a_message_id_that_is_not_one_token_is_left_out() {
        for original in [
            &b"Message-ID: <a@b> http://spam.example\r\n\r\n"[..],
            b"Message-ID: buy now\r\n\r\n",
            b"Subject: x\r\n\r\nMessage-ID: <in@body>\r\n",
        ] {
            assert_eq!(original_message_id(original), None, "{}", String::from_utf8_lossy(original));
        }
        assert_eq!(original_message_id(b"message-id:\r\n <folded@b.example>\r\n\r\n").as_deref(), Some("<folded@b.example>"));
    }
}
