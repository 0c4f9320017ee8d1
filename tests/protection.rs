//! Connection-level protection against the real binary, with clients on
//! several loopback source addresses: rate limits per client across the cluster,
//! exemptions, and early talkers.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use support::{Sluice, SmtpLines, connect_from, free_port};

/// What the server says first: its greeting or its refusal.
fn first_words(source: &str, port: u16) -> String {
    let mut stream = connect_from(source, port);
    let mut buffer = [0u8; 512];
    let count = stream.read(&mut buffer).unwrap_or(0);
    let _ = stream.write_all(b"QUIT\r\n");
    String::from_utf8_lossy(&buffer[..count]).into_owned()
}

fn ratelimited_rows(sluice: &Sluice) -> Vec<serde_json::Value> {
    sluice.logs().into_iter().filter(|row| row["main_class"] == "unknown" && row["sub_class"] == "ratelimited").collect()
}

#[test]
fn the_connection_past_the_per_minute_limit_is_refused_and_one_row_is_logged() {
    support::away_from_a_window_end(60, 5);
    let sluice = Sluice::start(free_port(), "[limits]\nconnections_per_minute = 3\nconnections_per_hour = 0\n");
    for _ in 0..3 {
        assert!(first_words("127.0.0.2", sluice.smtp_port).starts_with("220 "));
    }
    for _ in 0..3 {
        let refused = first_words("127.0.0.2", sluice.smtp_port);
        assert!(refused.starts_with("421 4.7.0 Per-minute connection limit exceeded"), "{refused}");
    }
    // Another client is counted on its own.
    assert!(first_words("127.0.0.3", sluice.smtp_port).starts_with("220 "));
    support::wait_for("the refusal's row", Duration::from_secs(10), || !ratelimited_rows(&sluice).is_empty());
    std::thread::sleep(Duration::from_millis(300));
    let rows = ratelimited_rows(&sluice);
    assert_eq!(rows.len(), 1, "one row per refused burst: {rows:?}");
    assert_eq!(rows[0]["client_ip"], "127.0.0.2");
}

#[test]
fn the_hourly_limit_and_the_exemptions() {
    support::away_from_a_window_end(3600, 10);
    let sluice = Sluice::start(
        free_port(),
        "[limits]\nconnections_per_minute = 0\nconnections_per_hour = 2\nexempt = [\"127.0.0.4/32\"]\n",
    );
    assert!(first_words("127.0.0.2", sluice.smtp_port).starts_with("220 "));
    assert!(first_words("127.0.0.2", sluice.smtp_port).starts_with("220 "));
    let refused = first_words("127.0.0.2", sluice.smtp_port);
    assert!(refused.starts_with("421 4.7.0 Too many connections"), "{refused}");
    for _ in 0..4 {
        assert!(first_words("127.0.0.4", sluice.smtp_port).starts_with("220 "), "exempt network");
    }
    // A global allow-list entry exempts too.
    let (status, _) = sluice.api_post("/api/v1/lists/allow", r#"{"scope": "global", "field": "ip", "value": "127.0.0.5"}"#);
    assert!(status < 300, "{status}");
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..4 {
        let words = first_words("127.0.0.5", sluice.smtp_port);
        assert!(words.starts_with("220 "), "allow-listed client: {words}");
    }
}

#[test]
fn a_client_talking_before_the_greeting_is_refused() {
    let sluice = Sluice::start(free_port(), "[limits]\npregreet_wait = \"700ms\"\n");
    // A polite client reads the whole (two-line) greeting first.
    let mut polite = connect_from("127.0.0.2", sluice.smtp_port);
    let mut greeting = Vec::new();
    let mut buffer = [0u8; 512];
    while !String::from_utf8_lossy(&greeting).contains("220 ") {
        let count = polite.read(&mut buffer).unwrap();
        assert!(count > 0, "closed during the greeting");
        greeting.extend_from_slice(&buffer[..count]);
    }
    assert!(String::from_utf8_lossy(&greeting).starts_with("220-"), "{}", String::from_utf8_lossy(&greeting));
    polite.write_all(b"QUIT\r\n").unwrap();

    // A spam engine that does not wait.
    let mut rude = connect_from("127.0.0.3", sluice.smtp_port);
    rude.write_all(b"EHLO bot.example\r\nMAIL FROM:<a@example.org>\r\n").unwrap();
    let mut transcript = String::new();
    let _ = rude.read_to_string(&mut transcript);
    assert!(transcript.contains("554 5.5.1"), "{transcript}");
    assert!(!transcript.contains("250"), "{transcript}");
    support::wait_for("the early talker's row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["client_ip"] == "127.0.0.3" && row["sub_class"] == "badly-formed")
    });
}

#[test]
fn two_nodes_share_the_counts() {
    let Some(nodes) = support::two_nodes_with("[limits]\nconnections_per_minute = 4\nconnections_per_hour = 0\n") else {
        return;
    };
    support::away_from_a_window_end(60, 10);
    for _ in 0..2 {
        assert!(first_words("127.0.0.2", nodes.a.smtp_port).starts_with("220 "));
        assert!(first_words("127.0.0.2", nodes.b.smtp_port).starts_with("220 "));
    }
    // Each node has sent its counts (one batch a second) and read the other's.
    std::thread::sleep(Duration::from_millis(2500));
    let words = first_words("127.0.0.2", nodes.a.smtp_port);
    assert!(words.starts_with("421 4.7.0 Per-minute"), "four connections across the cluster: {words}");
}

/// A session from `source`, greeted and past EHLO and
/// `MAIL FROM:<alice@example.org>`.
fn in_transaction(source: &str, port: u16) -> SmtpLines {
    let mut client = SmtpLines::from(source, port);
    client.command("EHLO client.example.org");
    client.command("MAIL FROM:<alice@example.org>");
    client
}

/// One transaction from `source` with these recipients; the replies to each RCPT.
fn rcpt_replies(source: &str, port: u16, recipients: &[&str]) -> Vec<String> {
    let mut client = in_transaction(source, port);
    recipients.iter().map(|recipient| client.command(&format!("RCPT TO:<{recipient}>"))).collect()
}

#[test]
fn a_dictionary_attack_is_deferred_then_refused() {
    support::away_from_a_window_end(900, 20);
    let sluice = Sluice::start_with(
        None,
        free_port(),
        "max_errors = 100\n",
        "local_recipients = [\"bob@example.net\"]\ndictionary_attack_limit = 3\n",
    );
    let replies = rcpt_replies(
        "127.0.0.2",
        sluice.smtp_port,
        &["a@example.net", "b@example.net", "c@example.net", "bob@example.net", "d@example.net", "e@example.net", "bob@example.net"],
    );
    for reply in &replies[..3] {
        assert!(reply.starts_with("550 5.1.1"), "{replies:?}");
    }
    for reply in &replies[3..6] {
        assert!(reply.starts_with("451 4.7.1"), "deferred, valid recipients too: {replies:?}");
    }
    assert!(replies[6].starts_with("550 5.7.1 Sending server attempted too many invalid addresses"), "{replies:?}");
    // Another client is not affected.
    assert!(rcpt_replies("127.0.0.3", sluice.smtp_port, &["bob@example.net"])[0].starts_with("250"));
    support::wait_for("the dictionary-attack row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["sub_class"] == "dictionary-attack" && row["extra_class"].as_str().unwrap_or("").contains("limit 3"))
    });
}

#[test]
fn recipients_are_verified_at_the_destination() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = support::Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start_with(None, sink.port, "", "verify_recipients = true\n");
    let replies = rcpt_replies("127.0.0.2", sluice.smtp_port, &["bob@example.net", "perm-gone@example.net", "temp-busy@example.net", "carol@example.net"]);
    assert!(replies[0].starts_with("250"), "{replies:?}");
    assert_eq!(replies[1], "550 5.1.1 Destination address does not exist", "{replies:?}");
    assert_eq!(replies[2], "451 4.4.0 Unable to verify destination address", "{replies:?}");
    assert!(replies[3].starts_with("250"), "the connection goes on after a 4xx: {replies:?}");
    support::wait_for("the recipient-verification row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["sub_class"] == "recipient-verification")
    });
    // The answer is cached: asked again with the destination gone, still refused.
    sink.stop();
    let replies = rcpt_replies("127.0.0.2", sluice.smtp_port, &["perm-gone@example.net", "dave@example.net"]);
    assert_eq!(replies[0], "550 5.1.1 Destination address does not exist", "{replies:?}");
    // Not cached, destination down: never a silent accept.
    assert_eq!(replies[1], "451 4.4.0 Unable to verify destination address", "{replies:?}");
    support::wait_for("the verification-fail row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["main_class"] == "error" && row["sub_class"] == "verification-fail")
    });
}

/// A whole transaction from `source`: the RCPT reply, then (when it was 250)
/// the reply to the message.
fn send_from(source: &str, port: u16, recipient: &str, subject: &str) -> (String, Option<String>) {
    let mut client = in_transaction(source, port);
    let rcpt = client.command(&format!("RCPT TO:<{recipient}>"));
    if !rcpt.starts_with("250") {
        return (rcpt, None);
    }
    client.command("DATA");
    let mut data = support::message(subject, "hello\r\n");
    data.extend_from_slice(b".\r\n");
    (rcpt, Some(client.send(&data)))
}

#[test]
fn greylisting_delays_a_client_without_standing_once() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = support::Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start_with(None, sink.port, "[greylisting]\ndelay = \"2s\"\n", "greylisting = true\n");
    // An allow-listed client has standing.
    let (status, _) = sluice.api_post("/api/v1/lists/allow", r#"{"scope": "global", "field": "ip", "value": "127.0.0.5"}"#);
    assert!(status < 300);
    // (RCPT only: an accepted message would give the whole 127.0.0.0/24 standing.)
    let replies = rcpt_replies("127.0.0.5", sluice.smtp_port, &["bob@example.net"]);
    assert!(replies[0].starts_with("250"), "{replies:?}");

    let (rcpt, _) = send_from("127.0.0.2", sluice.smtp_port, "bob@example.net", "first");
    assert_eq!(rcpt, "451 4.7.1 Greylisted, please try again later");
    let (rcpt, _) = send_from("127.0.0.2", sluice.smtp_port, "bob@example.net", "too early");
    assert!(rcpt.starts_with("451 4.7.1"), "a retry before the delay: {rcpt}");
    let row = sluice.logs().into_iter().find(|row| row["sub_class"] == "ratelimited").expect("a greylisting row");
    assert!(row["extra_class"].as_str().unwrap().starts_with("greylisted"), "{row}");

    std::thread::sleep(Duration::from_millis(2200));
    let (rcpt, done) = send_from("127.0.0.2", sluice.smtp_port, "bob@example.net", "retried");
    assert!(rcpt.starts_with("250"), "the retry after the delay: {rcpt}");
    assert!(done.unwrap().starts_with("250"));
    // The accepted message gave the network its standing: a new triplet passes.
    let (rcpt, _) = send_from("127.0.0.3", sluice.smtp_port, "carol@example.net", "from the same /24");
    assert!(rcpt.starts_with("250"), "{rcpt}");
    support::wait_for("both messages delivered", Duration::from_secs(20), || sink.messages().len() >= 2);
}
