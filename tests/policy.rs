//! The message and envelope policy checks end to end through SMTP: for each, the
//! reply code and text, the log row's class columns, and whether a copy was kept.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Sink, Sluice, free_port, message, raw_smtp, wait_for};

const STUBE: &str = "XJS*SLUICE*STUBE-STANDARD-QUARANTINE-TEST-EMAIL*7Q2K*C.34X";

/// `example.net` blackholes `void@`; `strict.example` lists its local recipients
/// and has another quarantine threshold (so its settings differ).
fn start(sink_port: u16) -> Sluice {
    Sluice::start_with(
        None,
        sink_port,
        "",
        &format!(
            "blackhole = [\"void@example.net\"]\n\n[[domains]]\nname = \"strict.example\"\ndestination = \"127.0.0.1:{sink_port}\"\nlocal_recipients = [\"alice@strict.example\"]\nquarantine_threshold = 0.95\n\n[[domains]]\nname = \"files.example\"\ndestination = \"127.0.0.1:{sink_port}\"\nblock_encrypted = true\nmax_date_skew = \"0s\"\n"
        ),
    )
}

/// One SMTP transaction, pipelined where SMTP allows, and the transcript.
fn transact(sluice: &Sluice, helo: &str, sender: &str, recipients: &[&str], data: Option<&[u8]>) -> String {
    let mut envelope = format!("EHLO {helo}\r\nMAIL FROM:<{sender}>\r\n");
    for recipient in recipients {
        envelope.push_str(&format!("RCPT TO:<{recipient}>\r\n"));
    }
    let mut chunks: Vec<Vec<u8>> = vec![envelope.into_bytes()];
    if let Some(data) = data {
        chunks.push(b"DATA\r\n".to_vec());
        let mut body = data.to_vec();
        body.extend_from_slice(b".\r\n");
        chunks.push(body);
    }
    chunks.push(b"QUIT\r\n".to_vec());
    let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    raw_smtp(sluice.smtp_port, &refs, Duration::from_millis(250))
}

fn newest_log(sluice: &Sluice) -> Value {
    sluice.logs().into_iter().next().expect("a log row")
}

fn classes(row: &Value) -> (String, String) {
    (row["main_class"].as_str().unwrap_or_default().to_owned(), row["sub_class"].as_str().unwrap_or_default().to_owned())
}

fn with_header(extra_headers: &str, body: &str) -> Vec<u8> {
    let base = message("policy", body);
    let mut out = extra_headers.as_bytes().to_vec();
    out.extend_from_slice(&base);
    out
}

/// (name, message, expected reply line start, main, sub, quarantined)
type DataCase = (&'static str, Vec<u8>, &'static str, &'static str, &'static str, bool);

fn data_cases() -> Vec<DataCase> {
    let parts = |count: usize| {
        let mut body = String::from("This is MIME.\r\n");
        for n in 0..count {
            body.push_str(&format!("--b\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n"));
        }
        body.push_str("--b--\r\n");
        let date = std::process::Command::new("date").arg("-R").output().unwrap();
        format!(
            "From: a@example.org\r\nTo: bob@example.net\r\nSubject: parts\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n{body}",
            String::from_utf8_lossy(&date.stdout).trim()
        )
        .into_bytes()
    };
    let old_date = {
        let text = String::from_utf8(message("old", "hi\r\n")).unwrap();
        let start = text.find("Date: ").unwrap();
        let end = start + text[start..].find("\r\n").unwrap();
        format!("{}Date: Mon, 01 Jan 2001 00:00:00 +0000{}", &text[..start], &text[end..]).into_bytes()
    };
    let mut eight_bit_subject = message("x", "hi\r\n");
    let at = eight_bit_subject.windows(10).position(|w| w == b"Subject: x").unwrap() + 9;
    eight_bit_subject.splice(at..at + 1, "Gr\u{fc}\u{df}e".bytes());
    let attachment = {
        let date = std::process::Command::new("date").arg("-R").output().unwrap();
        format!(
            "From: a@example.org\r\nTo: bob@example.net\r\nSubject: invoice\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream; name=\"invoice.exe\"\r\nContent-Disposition: attachment; filename=\"invoice.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n--b--\r\n",
            String::from_utf8_lossy(&date.stdout).trim()
        )
        .into_bytes()
    };
    vec![
        ("998-octet line passes", message("l998", &format!("{}\r\n", "a".repeat(998))), "250 2.0.0", "", "", false),
        (
            "999-octet line",
            message("l999", &format!("{}\r\n", "a".repeat(999))),
            "550 5.6.0 Lines in message were longer than user maximum",
            "spam",
            "badly-formed",
            false,
        ),
        ("100 MIME entities pass", parts(99), "250 2.0.0", "", "", false),
        ("101 MIME entities", parts(100), "550 5.6.0 Message had more parts than the user maximum", "spam", "badly-formed", false),
        ("header too long", with_header(&format!("X-Long: {}\r\n", "h".repeat(9000)), "hi\r\n"), "550 5.6.0", "spam", "badly-formed", false),
        ("duplicate Subject", with_header("Subject: twice\r\n", "hi\r\n"), "550 5.7.1", "spam", "badly-formed", false),
        ("8-bit Subject", eight_bit_subject, "550 5.6.0 Subject contains invalid characters.", "spam", "badly-formed", false),
        ("Date far in the past", old_date, "550 5.7.1", "spam", "badly-formed", true),
        (
            "message/partial",
            String::from_utf8(message("partial", "part\r\n"))
                .unwrap()
                .replace("Content-Type: text/plain; charset=utf-8", "Content-Type: message/partial; id=\"x\"; number=1; total=2")
                .into_bytes(),
            "550 5.7.1 We do not accept message/partial messages here",
            "unknown",
            "message/partial",
            false,
        ),
        ("blocked attachment", attachment, "550 5.7.1", "block-list", "filename-extension", true),
        ("STUBE", message("stube", &format!("{STUBE}\r\n")), "550 5.7.1", "spam", "stube", true),
    ]
}

#[test]
fn content_checks_reply_log_and_quarantine_as_the_spec_says() {
    let sluice = start(free_port());
    for (name, data, reply, main, sub, quarantined) in data_cases() {
        let transcript = transact(&sluice, "client.example.org", "a@example.org", &["bob@example.net"], Some(&data));
        let line = transcript
            .lines()
            .rfind(|line| !line.starts_with("221") && !line.starts_with("354"))
            .unwrap_or_default()
            .to_owned();
        assert!(line.starts_with(reply), "{name}: got {line:?}\n{transcript}");
        let row = newest_log(&sluice);
        assert_eq!(row["reply"], line.as_str(), "{name}: the log row has the reply sent");
        let (got_main, got_sub) = classes(&row);
        if main.is_empty() {
            // Passes the structural check; the statistics decide the rest.
            assert_ne!(got_sub, "badly-formed", "{name}: {row}");
        } else {
            assert_eq!((got_main.as_str(), got_sub.as_str()), (main, sub), "{name}: {row}");
        }
        assert_eq!(row["quarantine_id"].is_string(), quarantined, "{name}: quarantined? {row}");
        if name == "8-bit Subject" {
            assert_eq!(row["extra_class"], "Badly formed Subject header");
        }
        if name == "blocked attachment" {
            assert!(row["extra_class"].as_str().unwrap().contains("invoice.exe"), "{row}");
        }
    }
}

#[test]
fn eight_bit_subject_is_fine_when_the_client_declared_smtputf8() {
    let sluice = start(free_port());
    let mut data = message("x", "hi\r\n");
    let at = data.windows(10).position(|w| w == b"Subject: x").unwrap() + 9;
    data.splice(at..at + 1, "Gr\u{fc}\u{df}e".bytes());
    data.extend_from_slice(b".\r\n");
    let transcript = raw_smtp(
        sluice.smtp_port,
        &[b"EHLO client.example.org\r\nMAIL FROM:<a@example.org> SMTPUTF8\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", &data, b"QUIT\r\n"],
        Duration::from_millis(250),
    );
    assert!(transcript.contains("250 2.0.0"), "{transcript}");
}

#[test]
fn envelope_checks_refuse_at_rcpt_with_the_spec_replies() {
    let sluice = start(free_port());
    // (name, helo, sender, recipients, expected reply for the last RCPT, main, sub)
    let cases = [
        ("bare IP HELO", "192.0.2.1", "a@example.org", vec!["bob@example.net"], "550 5.7.1", "block-list", "ehlo"),
        ("underscore HELO", "bad_name.example", "a@example.org", vec!["bob@example.net"], "550 5.7.1", "block-list", "ehlo"),
        ("dotless HELO", "localhost", "a@example.org", vec!["bob@example.net"], "550 5.7.1", "block-list", "ehlo"),
        (
            "bounce to two recipients",
            "client.example.org",
            "",
            vec!["bob@example.net", "carol@example.net"],
            "550 5.5.3 Legitimate bounces are never sent to more than one recipient.",
            "block-list",
            "recipients-count",
        ),
        (
            "restricted character",
            "client.example.org",
            "a@example.org",
            vec!["a&b@example.net"],
            "550 5.1.3 restricted characters in address",
            "block-list",
            "local-characters",
        ),
        (
            "not a local recipient",
            "client.example.org",
            "a@example.org",
            vec!["bob@strict.example"],
            "550 5.1.1 Destination address is not configured.",
            "spam",
            "invalid-recipient",
        ),
        (
            "disparate settings",
            "client.example.org",
            "a@example.org",
            vec!["bob@example.net", "alice@strict.example"],
            "451 4.3.0 Mail for this domain cannot be accepted right now; please retry (Unable to handle in active connection)",
            "unknown",
            "disparate-settings",
        ),
    ];
    for (name, helo, sender, recipients, reply, main, sub) in cases {
        let transcript = transact(&sluice, helo, sender, &recipients, None);
        let rcpt_replies: Vec<&str> = transcript.lines().filter(|line| line.starts_with(['2', '4', '5']) && !line.starts_with("250-") && !line.starts_with("220") && !line.starts_with("221")).collect();
        // EHLO, MAIL, then one reply per RCPT.
        let last = rcpt_replies.last().copied().unwrap_or_default();
        assert!(last.starts_with(reply), "{name}: {last:?}\n{transcript}");
        let row = newest_log(&sluice);
        assert_eq!(classes(&row), (main.to_owned(), sub.to_owned()), "{name}: {row}");
        assert_eq!(row["reply"], last, "{name}");
        assert_eq!(row["quarantine_id"], Value::Null, "{name}: refused at RCPT keeps no copy");
    }
}

#[test]
fn blackhole_recipient_is_accepted_logged_and_never_delivered() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(sink.port);
    let transcript = transact(&sluice, "client.example.org", "a@example.org", &["void@example.net"], Some(&message("void", "hi\r\n")));
    assert!(transcript.contains("250 2.0.0"), "{transcript}");
    let row = newest_log(&sluice);
    assert_eq!(classes(&row), ("block-list".to_owned(), "recipient".to_owned()), "{row}");
    assert_eq!(row["action"], "discard");

    // Mixed: the blackhole recipient is dropped, the other one gets the message.
    let transcript = transact(&sluice, "client.example.org", "a@example.org", &["void@example.net", "bob@example.net"], Some(&message("mixed", "hi\r\n")));
    assert!(transcript.contains("250 2.0.0"), "{transcript}");
    wait_for("delivery of the mixed message", Duration::from_secs(20), || sink.messages().len() == 1);
    std::thread::sleep(Duration::from_millis(300));
    let delivered = sink.messages();
    assert_eq!(delivered.len(), 1, "the blackholed message went somewhere");
    assert_eq!(delivered[0].1["to"], serde_json::json!(["bob@example.net"]));
}

#[test]
fn domain_settings_change_at_run_time_and_survive_a_restart() {
    let mut sluice = start(free_port());
    let (status, settings) = sluice.api("GET", "/api/v1/domains/example.net/settings");
    assert_eq!(status, 200);
    assert_eq!(settings["max_line_length"], 998);
    assert_eq!(settings["blackhole"], serde_json::json!(["void@example.net"]), "seeded from the file");

    let (status, changed) = sluice.api_send("PUT", "/api/v1/domains/example.net/settings", r#"{"max_line_length": 50}"#);
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["max_line_length"], 50);
    assert_eq!(changed["blackhole"], serde_json::json!(["void@example.net"]), "other keys keep their value");

    let long_line = message("sixty", &format!("{}\r\n", "b".repeat(60)));
    let transcript = transact(&sluice, "client.example.org", "a@example.org", &["bob@example.net"], Some(&long_line));
    assert!(transcript.contains("550 5.6.0 Lines in message were longer than user maximum"), "{transcript}");

    let (status, error) = sluice.api_send("PUT", "/api/v1/domains/example.net/settings", r#"{"max_line_lenght": 10}"#);
    assert_eq!(status, 422);
    assert!(error["error"].as_str().unwrap().contains("max_line_lenght"), "{error}");
    let (status, error) = sluice.api_send("PUT", "/api/v1/domains/example.net/settings", r#"{"quarantine_threshold": 7}"#);
    assert_eq!(status, 422);
    assert!(error["error"].as_str().unwrap().contains("quarantine_threshold"), "{error}");
    let (status, _) = sluice.api("GET", "/api/v1/domains/nowhere.example/settings");
    assert_eq!(status, 404);

    sluice.kill();
    sluice.spawn();
    let (_, settings) = sluice.api("GET", "/api/v1/domains/example.net/settings");
    assert_eq!(settings["max_line_length"], 50, "the API's change survives a restart with the same file");
    let (_, domains) = sluice.api("GET", "/api/v1/domains");
    assert_eq!(domains["items"], serde_json::json!(["example.net", "strict.example", "files.example"]));
}

/// The fixture files of the structure and attachment checks, sent through SMTP to
/// a domain that blocks encrypted attachments and accepts any Date (the fixtures
/// are dated).
#[test]
fn structure_and_attachment_fixtures_through_smtp() {
    let sluice = start(free_port());
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let cases = [
        ("structure/nul-in-header.eml", "spam", "badly-formed", false),
        ("structure/multipart-without-boundary.eml", "spam", "badly-formed", false),
        ("attachments/encrypted/encrypted-zip.eml", "block-list", "password-protected-attachment", true),
        ("attachments/encrypted/encrypted-pdf.eml", "block-list", "password-protected-attachment", true),
        ("attachments/nested-3-levels.eml", "block-list", "filename-extension", true),
        ("attachments/rar5-solid-nested-zip.eml", "block-list", "filename-extension", true),
        ("attachments/7z-nested-zip.eml", "block-list", "filename-extension", true),
        ("attachments/zip-bomb.eml", "spam", "badly-formed", true),
        ("attachments/nested-4-levels.eml", "spam", "badly-formed", true),
    ];
    for (file, main, sub, quarantined) in cases {
        let raw = std::fs::read(data.join(file)).unwrap();
        // SMTP carries CRLF lines; the fixtures are stored with LF.
        let mut wire = Vec::new();
        for line in raw.split_inclusive(|&byte| byte == b'\n') {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.first() == Some(&b'.') {
                wire.push(b'.');
            }
            wire.extend_from_slice(line);
            wire.extend_from_slice(b"\r\n");
        }
        let transcript = transact(&sluice, "client.example.org", "a@example.org", &["bob@files.example"], Some(&wire));
        assert!(transcript.contains("\r\n550 5."), "{file}: {transcript}");
        let row = newest_log(&sluice);
        assert_eq!(classes(&row), (main.to_owned(), sub.to_owned()), "{file}: {row}");
        assert_eq!(row["quarantine_id"].is_string(), quarantined, "{file}: {row}");
        assert!(!row["extra_class"].as_str().unwrap_or_default().is_empty(), "{file}: the defect is named");
        if file.contains("bomb") || file.contains("4-levels") {
            assert!(transcript.contains("550 5.6.0 Attachment holds an archive that cannot be inspected"), "{transcript}");
            assert!(row["extra_class"].as_str().unwrap_or_default().starts_with("archive cannot be inspected: "), "{row}");
        }
    }
}
