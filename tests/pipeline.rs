//! The decision pipeline seen from outside: every finding kept and explained
//! (`GET /api/v1/logs/{id}`, `sluice explain`), settings at three scopes (the
//! `[defaults]` table, domains, mailboxes through the API, on every node), and the
//! reference time of offline classification (`--at`).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{Sink, Sluice, free_port, message, raw_smtp, wait_for};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

fn data(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path).display().to_string()
}

/// One SMTP transaction with pipelined envelope, and the transcript.
fn transact(port: u16, recipients: &[&str], data: &[u8]) -> String {
    let mut envelope = "EHLO client.example.org\r\nMAIL FROM:<alice@example.org>\r\n".to_owned();
    for recipient in recipients {
        envelope.push_str(&format!("RCPT TO:<{recipient}>\r\n"));
    }
    let mut body = data.to_vec();
    body.extend_from_slice(b".\r\n");
    raw_smtp(port, &[envelope.as_bytes(), b"DATA\r\n", &body, b"QUIT\r\n"], Duration::from_millis(250))
}

fn detail(sluice: &Sluice, id: &Value) -> Value {
    let (status, row) = sluice.api("GET", &format!("/api/v1/logs/{id}"));
    assert_eq!(status, 200, "{row}");
    row
}

fn subclasses(row: &Value) -> Vec<String> {
    row["findings"].as_array().unwrap().iter().map(|finding| finding["sub_class"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_log_row_lists_every_finding_and_the_decision_path() {
    let sluice = Sluice::start(free_port(), "");
    // GTUBE in a message with a line over 998 octets: structural precedes GTUBE.
    let body = format!("{GTUBE}\r\n{}\r\n", "x".repeat(1200));
    let transcript = transact(sluice.smtp_port, &["bob@example.net"], &message("both", &body));
    assert!(transcript.contains("550 5.6.0 Lines in message were longer than user maximum"), "{transcript}");
    let row = detail(&sluice, &sluice.logs()[0]["id"]);
    assert_eq!((row["main_class"].as_str(), row["sub_class"].as_str()), (Some("spam"), Some("badly-formed")), "{row}");
    let subs = subclasses(&row);
    assert!(subs.contains(&"badly-formed".to_owned()) && subs.contains(&"gtube".to_owned()), "{row}");
    for finding in row["findings"].as_array().unwrap() {
        for key in ["check", "main_class", "sub_class", "extra_class", "score", "reason"] {
            assert!(finding.get(key).is_some(), "{key} missing in {finding}");
        }
    }
    assert_eq!(row["decision"]["decided_tier"], "structural", "{row}");
    assert_eq!(row["decision"]["next_tier"], "decisive-content", "{row}");
    let decided = row["decision"]["decided_by"].as_u64().unwrap() as usize;
    assert_eq!(row["findings"][decided]["check"], "line_length", "{row}");
    assert_eq!(row["findings"][decided]["decided"], true);

    // An SMTP-time refusal keeps its finding too.
    let transcript = transact(sluice.smtp_port, &["bob@elsewhere.example"], &message("relay", "hi\r\n"));
    assert!(transcript.contains("550 5.7.1 Relay not permitted!"), "{transcript}");
    let refused = sluice.logs().into_iter().find(|row| row["sub_class"] == "invalid-domain").expect("relay row");
    let row = detail(&sluice, &refused["id"]);
    assert_eq!(subclasses(&row), ["invalid-domain"], "{row}");
    assert_eq!(row["decision"]["decided_tier"], "protocol", "{row}");
    assert_eq!(row["reply"], "550 5.7.1 Relay not permitted!");

    let (status, _) = sluice.api("GET", "/api/v1/logs/999999");
    assert_eq!(status, 404);
}

/// Everything is refused for a mailbox whose thresholds are 0.
const STRICT: &str = r#"{"quarantine_threshold": 0.0, "unsure_threshold": 0.0}"#;

#[test]
fn a_mailbox_setting_applies_to_that_address_only() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let (status, set) = sluice.api_send("PUT", "/api/v1/settings/mailboxes/Strict@example.net", STRICT);
    assert_eq!(status, 200, "{set}");
    assert_eq!(set, serde_json::json!({"quarantine_threshold": 0.0, "unsure_threshold": 0.0}));
    let (status, got) = sluice.api("GET", "/api/v1/settings/mailboxes/strict@example.net");
    assert_eq!((status, &got), (200, &set), "GET returns the values set there");
    let (_, other) = sluice.api("GET", "/api/v1/settings/mailboxes/bob@example.net");
    assert_eq!(other, serde_json::json!({}), "nothing set for another address");

    let mail = message("hello", "Hello Bob,\r\n\r\nthe minutes of Tuesday are attached.\r\n");
    let strict = transact(sluice.smtp_port, &["strict@example.net"], &mail);
    assert!(strict.contains("\r\n550 5.7.1"), "{strict}");
    let other = transact(sluice.smtp_port, &["bob@example.net"], &mail);
    assert!(other.contains("\r\n250 2.0.0"), "{other}");
    // Both in one transaction: the second's settings differ from the first's.
    let both = transact(sluice.smtp_port, &["bob@example.net", "strict@example.net"], &mail);
    assert!(both.contains("451 4.3.0"), "{both}");

    // `null` unsets a key, which then inherits again.
    let (status, set) = sluice.api_send("PUT", "/api/v1/settings/mailboxes/strict@example.net", r#"{"unsure_threshold": null}"#);
    assert_eq!(status, 400, "quarantine 0 below the inherited unsure 0.6: {set}");
    assert_eq!(set["key"], "unsure_threshold", "{set}");

    for (path, body, key) in [
        ("/api/v1/settings/mailboxes/strict@example.net", r#"{"quarantine_treshold": 0.5}"#, "quarantine_treshold"),
        ("/api/v1/settings/domains/example.net", r#"{"max_line_length": "long"}"#, "max_line_length"),
        ("/api/v1/settings/global", r#"{"quarantine_threshold": 7}"#, "quarantine_threshold"),
    ] {
        let (status, error) = sluice.api_send("PUT", path, body);
        assert_eq!(status, 400, "{path} {body}: {error}");
        assert_eq!(error["key"], key, "{error}");
        assert!(error["error"].as_str().unwrap().contains(key), "{error}");
    }
    let (status, _) = sluice.api_send("PUT", "/api/v1/settings/mailboxes/bob@nowhere.example", STRICT);
    assert_eq!(status, 404, "a mailbox of a domain we do not filter");
    let (status, _) = sluice.api("GET", "/api/v1/settings/domains/nowhere.example");
    assert_eq!(status, 404);
    drop(sink);
}

#[test]
fn the_defaults_table_applies_to_every_domain_and_the_api_changes_it() {
    let sluice = Sluice::start(free_port(), "[defaults]\nmax_line_length = 50\n");
    let line = message("sixty", &format!("{}\r\n", "b".repeat(60)));
    let refused = transact(sluice.smtp_port, &["bob@example.net"], &line);
    assert!(refused.contains("550 5.6.0 Lines in message were longer"), "{refused}");
    let (_, global) = sluice.api("GET", "/api/v1/settings/global");
    // The harness turns sender verification off for its empty test DNS.
    assert_eq!(global, serde_json::json!({"max_line_length": 50, "verify_senders": false}));
    let (_, domain) = sluice.api("GET", "/api/v1/settings/domains/example.net");
    assert_eq!(domain, serde_json::json!({}), "the domain sets nothing of its own");

    let (status, domain) = sluice.api_send("PUT", "/api/v1/settings/domains/example.net", r#"{"max_line_length": 100}"#);
    assert_eq!((status, &domain), (200, &serde_json::json!({"max_line_length": 100})));
    let accepted = transact(sluice.smtp_port, &["bob@example.net"], &line);
    assert!(accepted.contains("\r\n250 2.0.0"), "the domain's value wins over the default: {accepted}");
}

#[test]
fn a_mailbox_setting_reaches_every_node_within_seconds() {
    let Some(nodes) = support::two_nodes() else { return };
    let (node_a, node_b) = (&nodes.a, &nodes.b);
    let (status, _) = node_a.api_send("PUT", "/api/v1/settings/mailboxes/strict@example.net", STRICT);
    assert_eq!(status, 200);
    let mail = message("hello", "Hello,\r\n\r\nsee you on Thursday.\r\n");
    wait_for("node B to refuse mail for the strict mailbox", Duration::from_secs(8), || {
        transact(node_b.smtp_port, &["strict@example.net"], &mail).contains("\r\n550 5.7.1")
    });
    let other = transact(node_b.smtp_port, &["bob@example.net"], &mail);
    assert!(other.contains("\r\n250 2.0.0"), "{other}");
}

fn sluice_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().expect("run sluice")
}

#[test]
fn classify_at_received_judges_archived_mail_as_of_its_arrival() {
    let file = data("reference_time/2007-list-mail.eml");
    let stripped = data("reference_time/2007-archived-without-received.eml");
    let output = sluice_cli(&["classify", "--at", "received", &stripped]);
    let line: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert_ne!(line["sub_class"], "badly-formed", "without Received fields the Date tells: {line}");
    let now = sluice_cli(&["classify", &file]);
    let now: Value = serde_json::from_slice(&now.stdout).expect("one JSON line");
    assert_eq!(now["sub_class"], "badly-formed", "judged today the 2007 Date is far off: {now}");
    for at in ["received", "2007-07-03T10:00:05Z", "1183456805"] {
        let output = sluice_cli(&["classify", "--at", at, &file]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let line: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
        assert_ne!(line["sub_class"], "badly-formed", "--at {at}: {line}");
    }
    let output = sluice_cli(&["classify", "--at", "last tuesday", &file]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("RFC 3339"));
}

#[test]
fn explain_names_every_finding_and_the_deciding_tier() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("explain.toml");
    std::fs::write(
        &config,
        "hostname = \"mx.example.net\"\ndata_dir = \"/nonexistent/sluice\"\n[[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:25\"\n",
    )
    .unwrap();
    let config = config.display().to_string();
    let file = data("reference_time/2007-list-mail.eml");
    let output = sluice_cli(&[
        "explain", "--config", &config, "--offline", "--ip", "192.0.2.10", "--helo", "lists.example.org", "--from",
        "alice@example.org", "--rcpt", "bob@example.net", "--rcpt", "eve@elsewhere.example", &file,
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("RCPT TO:<eve@elsewhere.example>") && text.contains("invalid-domain"), "{text}");
    assert!(text.contains("Relay not permitted!"), "{text}");
    assert!(text.contains("badly-formed") && text.contains("date-out-of-range"), "{text}");
    assert!(text.contains("statistical-method") || text.contains("combined"), "the statistics run too: {text}");
    assert!(text.contains("tier structural decided"), "{text}");
    let output = sluice_cli(&["explain", "--config", &config, "--at", "received", "--rcpt", "bob@example.net", &file]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains("badly-formed"), "{text}");
    assert!(text.contains("tier scored decided"), "{text}");
}

#[test]
fn blackholed_and_unfinished_messages_are_logged_with_their_subject() {
    let sluice = Sluice::start_with(None, free_port(), "", "blackhole = [\"void@example.net\"]\n");
    let transcript = transact(sluice.smtp_port, &["void@example.net"], &message("Into the void", "nobody reads this\r\n"));
    assert!(transcript.contains("\r\n250 2.0.0"), "{transcript}");
    let row = sluice.logs().into_iter().find(|row| row["sub_class"] == "recipient").expect("blackhole row");
    assert_eq!(row["subject"], "Into the void", "{row}");
    let row = detail(&sluice, &row["id"]);
    assert_eq!(subclasses(&row), ["recipient"], "{row}");

    // The client goes away after the header block and part of the body.
    let partial = b"Subject: Half a message\r\nFrom: alice@example.org\r\n\r\nthe first lines of";
    raw_smtp(
        sluice.smtp_port,
        &[b"EHLO client.example.org\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", partial],
        Duration::from_millis(300),
    );
    wait_for("the connection-lost row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["sub_class"] == "connection-lost")
    });
    let row = sluice.logs().into_iter().find(|row| row["sub_class"] == "connection-lost").expect("lost row");
    assert_eq!(row["subject"], "Half a message", "{row}");
}
