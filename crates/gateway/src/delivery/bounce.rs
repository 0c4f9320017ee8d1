//! Delivery status notifications (RFC 3464) for recipients we could not deliver to.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// How much of the original message a bounce quotes: its header only, so a
/// bounce never carries a large (or harmful) body back out.
const MAX_QUOTED_HEADER: usize = 64 * 1024;

/// Builds the DSN sent to `original_sender` for `failed` recipients, each with the
/// reply or reason that made it fail.
pub fn build(our_hostname: &str, original_sender: &str, failed: &[(String, String)], original: &[u8], now: OffsetDateTime) -> Vec<u8> {
    let boundary = format!("sluice-dsn-{}", sluice_store::new_id());
    let date = now.format(&Rfc2822).unwrap_or_default();
    let message_id = format!("<{}@{our_hostname}>", sluice_store::new_id());
    let header_end = find_header_end(original).min(MAX_QUOTED_HEADER);
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
    for (recipient, reason) in failed {
        text.push_str(&format!("  <{recipient}>: {reason}\r\n"));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {our_hostname}\r\nArrival-Date: {date}\r\n"
    ));
    for (recipient, reason) in failed {
        let status = status_of(reason);
        text.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {}\r\n",
            reason.replace(['\r', '\n'], " ")
        ));
    }
    text.push_str(&format!("\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"));
    let mut message = text.into_bytes();
    message.extend_from_slice(&original[..header_end]);
    message.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    message
}

fn find_header_end(message: &[u8]) -> usize {
    message
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|position| position + 2)
        .or_else(|| message.windows(2).position(|window| window == b"\n\n").map(|position| position + 1))
        .unwrap_or(message.len())
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
    fn bounce_names_recipient_status_and_quotes_only_the_header() {
        let original = b"Subject: hello\r\nFrom: a@b.example\r\n\r\nsecret body\r\n";
        let dsn = build("mx.example.net", "a@b.example", &[("x@example.net".into(), "550 5.1.1 No such user".into())], original, OffsetDateTime::UNIX_EPOCH);
        let dsn = String::from_utf8(dsn).unwrap();
        assert!(dsn.contains("Final-Recipient: rfc822; x@example.net"));
        assert!(dsn.contains("Status: 5.1.1"));
        assert!(dsn.contains("Subject: hello"));
        assert!(!dsn.contains("secret body"));
        assert!(dsn.contains("To: <a@b.example>"));
    }
}
