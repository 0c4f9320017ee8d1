//! End-to-end tests of the gateway: the real binary, real SMTP clients and a real
//! downstream SMTP server, on loopback.

mod support;

use std::time::Duration;

use support::{Sink, Sluice, free_port, message, raw_smtp, raw_smtp_until_closed, wait_for};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

fn ends_with(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && &haystack[haystack.len() - needle.len()..] == needle
}

#[test]
fn clean_mail_is_relayed_with_its_body_byte_for_byte() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    // Dots at line starts (stuffed on the wire), 8-bit UTF-8, a long line, trailing spaces.
    let body = format!(".leading dot\r\n..two dots\r\nGrüße aus Köln — ünïcödé  \r\n{}\r\n.\r\nend\r\n", "x".repeat(900));
    let original = message("relay", &body);
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&original]);
    assert_eq!(results[0]["code"], 250, "{results:?}");

    wait_for("delivery to the sink", Duration::from_secs(20), || sink.messages().len() == 1);
    let (raw, envelope) = &sink.messages()[0];
    assert!(raw.starts_with(b"Received: from client.example.org"), "{}", String::from_utf8_lossy(raw));
    assert!(String::from_utf8_lossy(raw).contains("\r\nX-Sluice-Class: "), "{}", String::from_utf8_lossy(raw));
    assert!(ends_with(raw, &original), "body changed in transit:\n{}", String::from_utf8_lossy(raw));
    assert_eq!(envelope["from"], "alice@example.org");
    assert_eq!(envelope["to"], serde_json::json!(["bob@example.net"]));

    let logs = sluice.logs();
    assert_eq!(logs[0]["main_class"], "not-spam");
    assert_eq!(logs[0]["action"], "deliver");
    assert_eq!(logs[0]["direction"], "incoming");
    assert_eq!(logs[0]["subject"], "relay");
    assert_eq!(logs[0]["reply"], "250 2.0.0 Message accepted for delivery");
    wait_for("delivery outcome in the log", Duration::from_secs(10), || {
        sluice.logs()[0]["delivery"].as_str().is_some_and(|text| text.starts_with("delivered"))
    });
}

#[test]
fn recipient_of_an_unconfigured_domain_is_refused_and_logged() {
    let sluice = Sluice::start(free_port(), "");
    let results = sluice.send("alice@example.org", &["bob@elsewhere.example"], &[&message("relay", "hi\r\n")]);
    assert_eq!(results[0]["code"], 550);
    assert_eq!(results[0]["reply"], "5.7.1 Relay not permitted!");
    let logs = sluice.logs();
    assert_eq!(logs[0]["main_class"], "spam");
    assert_eq!(logs[0]["sub_class"], "invalid-domain");
    assert_eq!(logs[0]["reply"], "550 5.7.1 Relay not permitted!");
    assert_eq!(logs[0]["recipients"], serde_json::json!(["bob@elsewhere.example"]));
    assert_eq!(logs[0]["quarantine_id"], serde_json::Value::Null);
}

#[test]
fn gtube_is_rejected_quarantined_and_delivered_on_release() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let original = message("gtube", &format!("This is a test.\r\n{GTUBE}\r\n"));
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&original]);
    assert_eq!(results[0]["code"], 550, "{results:?}");

    let logs = sluice.logs();
    assert_eq!((logs[0]["main_class"].as_str(), logs[0]["sub_class"].as_str()), (Some("spam"), Some("gtube")));
    assert_eq!(logs[0]["action"], "quarantine");
    assert!(logs[0]["reply"].as_str().unwrap().starts_with("550 5.7.1 "));
    let quarantine_id = logs[0]["quarantine_id"].as_str().expect("quarantined").to_owned();

    let (status, listed) = sluice.api("GET", "/api/v1/quarantine");
    assert_eq!(status, 200);
    let item = &listed["items"][0];
    assert_eq!(item["id"], quarantine_id.as_str());
    assert_eq!(item["subject"], "gtube");
    assert_eq!(item["sub_class"], "gtube");
    std::thread::sleep(Duration::from_millis(300));
    assert!(sink.messages().is_empty(), "quarantined mail must not be delivered");

    let (status, released) = sluice.api("POST", &format!("/api/v1/quarantine/{quarantine_id}/release"));
    assert_eq!(status, 200, "{released}");
    wait_for("released message at the sink", Duration::from_secs(20), || sink.messages().len() == 1);
    assert!(ends_with(&sink.messages()[0].0, &original));

    let (status, _) = sluice.api("POST", &format!("/api/v1/quarantine/{quarantine_id}/release"));
    assert_eq!(status, 409, "a second release must not deliver twice");
    let (status, _) = sluice.api("POST", "/api/v1/quarantine/does-not-exist/release");
    assert_eq!(status, 404);
    let (_, listed) = sluice.api("GET", "/api/v1/quarantine");
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
}

#[test]
fn mail_is_queued_while_the_destination_is_down_and_delivered_when_it_returns() {
    let sink_port = free_port();
    let sluice = Sluice::start(sink_port, "");
    let original = message("queued", "waiting for the destination\r\n");
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&original]);
    assert_eq!(results[0]["code"], 250);
    wait_for("a deferral in the log", Duration::from_secs(20), || {
        sluice.logs()[0]["delivery"].as_str().is_some_and(|text| text.starts_with("deferred"))
    });
    assert_eq!(sluice.logs()[0]["error_class"], "destination-unavailable");

    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_port, sink_dir.path());
    wait_for("delivery after the destination returned", Duration::from_secs(30), || sink.messages().len() == 1);
    assert!(ends_with(&sink.messages()[0].0, &original));
}

#[test]
fn every_acknowledged_message_survives_kill_9() {
    let sink_port = free_port();
    let mut sluice = Sluice::start(sink_port, "");
    let messages: Vec<Vec<u8>> = (0..25).map(|n| message(&format!("batch-{n}"), &format!("message number {n}\r\n"))).collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let results = sluice.send("alice@example.org", &["bob@example.net"], &refs);
    assert!(results.iter().all(|result| result["code"] == 250), "{results:?}");
    sluice.kill();

    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_port, sink_dir.path());
    sluice.spawn();
    wait_for("all 25 acknowledged messages delivered", Duration::from_secs(60), || sink.messages().len() >= 25);
    let delivered = sink.messages();
    for n in 0..25 {
        let needle = format!("Subject: batch-{n}\r\n");
        assert!(
            delivered.iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains(&needle)),
            "message {n} lost"
        );
    }
}

#[test]
fn permanent_refusal_by_the_destination_bounces_to_the_sender() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    // The sender is in a configured domain too, so the bounce comes back to the sink.
    let results = sluice.send("carol@example.net", &["perm-missing@example.net"], &[&message("bounce-me", "hi\r\n")]);
    assert_eq!(results[0]["code"], 250);
    wait_for("the bounce", Duration::from_secs(20), || !sink.messages().is_empty());
    let (raw, envelope) = &sink.messages()[0];
    let text = String::from_utf8_lossy(raw);
    assert!(envelope["from"] == "<>" || envelope["from"] == "", "bounces use the null sender: {envelope}");
    assert_eq!(envelope["to"], serde_json::json!(["carol@example.net"]));
    assert!(text.contains("Final-Recipient: rfc822; perm-missing@example.net"), "{text}");
    assert!(text.contains("Status: 5.1.1"), "{text}");
    // Only the Message-ID of the original is quoted (no backscatter: see tests/hardening.rs).
    assert!(text.contains("Message-ID: <bounce-me@example.org>"), "{text}");
    assert!(!text.contains("Subject: bounce-me"), "{text}");
    wait_for("error class on the log row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["error_class"] == "destination-rejected")
    });
}

#[test]
fn malformed_smtp_gets_clean_replies_and_never_a_crash() {
    let mut sluice = Sluice::start(free_port(), "");
    let port = sluice.smtp_port;
    let quiet = Duration::from_millis(400);

    // Commands out of order.
    let transcript = raw_smtp(port, &[b"MAIL FROM:<a@example.org>\r\n", b"RCPT TO:<b@example.net>\r\n", b"DATA\r\n", b"EHLO x.example\r\n", b"RCPT TO:<b@example.net>\r\n", b"DATA\r\n", b"QUIT\r\n"], quiet);
    assert!(transcript.contains("503 5.5.1 Send HELO/EHLO first"), "{transcript}");
    assert!(transcript.contains("503 5.5.1 Need MAIL before RCPT"), "{transcript}");
    assert!(transcript.contains("503 5.5.1 Need MAIL before DATA"), "{transcript}");
    assert!(transcript.contains("221 2.0.0"), "{transcript}");

    // Bare LF command endings are understood; an unknown command is refused.
    let transcript = raw_smtp(port, &[b"EHLO x.example\n", b"FOO bar\n", b"NOOP\n", b"QUIT\n"], quiet);
    assert!(transcript.contains("250-mx.test.example Hello x.example"), "{transcript}");
    assert!(transcript.contains("500 5.5.2"), "{transcript}");
    assert!(transcript.contains("221 2.0.0"), "{transcript}");

    // An over-long command line is refused once, and the session goes on.
    let long = format!("EHLO {}\r\n", "a".repeat(100_000));
    let transcript = raw_smtp(port, &[long.as_bytes(), b"NOOP\r\n", b"QUIT\r\n"], quiet);
    assert!(transcript.contains("500 5.5.2 Line too long"), "{transcript}");
    assert!(transcript.contains("250 2.0.0 Ok"), "{transcript}");

    // 10 MB of garbage without a newline, then binary noise with newlines.
    let garbage: Vec<u8> = (0..10 * 1024 * 1024u32).map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8 | 1).filter(|&b| b != b'\n').collect();
    let transcript = raw_smtp(port, &[&garbage, b"\r\n\x00\xff\xfe\r\n"], quiet);
    assert!(transcript.contains("500 5.5.2"), "{transcript}");
    assert!(transcript.contains("421 4.7.0 Too many errors") || transcript.matches("500").count() >= 1);

    // A client that closes in the middle of DATA leaves a connection-lost row.
    let transcript = raw_smtp(
        port,
        &[b"EHLO x.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n", b"Subject: cut\r\n\r\nhalf a mess"],
        quiet,
    );
    assert!(transcript.contains("354 "), "{transcript}");
    wait_for("connection-lost row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["sub_class"] == "connection-lost" && row["main_class"] == "unknown")
    });

    // SMTP smuggling: a bare-LF dot does not end DATA.
    let mut smuggled = message("smuggle", "hi\n.\nMAIL FROM:<evil@example.org>\r\n");
    smuggled.extend_from_slice(b".\r\nQUIT\r\n");
    let transcript = raw_smtp(
        port,
        &[b"EHLO x.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n", &smuggled],
        quiet,
    );
    assert_eq!(transcript.matches("250 2.0.0 Message accepted").count(), 1, "{transcript}");

    assert!(sluice.is_running(), "the gateway died:\n{}", sluice.log());
    assert!(!sluice.log().contains("panicked"), "{}", sluice.log());
}

#[test]
fn oversize_declared_or_streamed_is_refused() {
    let sluice = Sluice::start(free_port(), "max_message_size = \"2KB\"");
    let transcript = raw_smtp(sluice.smtp_port, &[b"EHLO x.example\r\n", b"MAIL FROM:<a@example.org> SIZE=5000\r\n", b"QUIT\r\n"], Duration::from_millis(300));
    assert!(transcript.contains("SIZE 2000"), "{transcript}");
    assert!(transcript.contains("552 5.3.4"), "{transcript}");
    assert_eq!(sluice.logs()[0]["sub_class"], "oversize");
    // Not declared: refused after the final dot, the rest read and thrown away.
    let mut big = message("big", &"y\r\n".repeat(5000));
    big.extend_from_slice(b".\r\nQUIT\r\n");
    let transcript = raw_smtp(
        sluice.smtp_port,
        &[b"EHLO x.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n", &big],
        Duration::from_millis(300),
    );
    assert!(transcript.contains("552 5.3.4"), "{transcript}");
    assert!(transcript.contains("221 2.0.0"), "session not usable after oversize: {transcript}");
    let logs = sluice.logs();
    assert_eq!((logs[0]["main_class"].as_str(), logs[0]["sub_class"].as_str()), (Some("block-list"), Some("oversize")));
    assert_eq!(logs[0]["quarantine_id"], serde_json::Value::Null);
}

#[test]
fn submission_port_requires_authentication() {
    let sluice = Sluice::start(free_port(), "");
    let transcript = raw_smtp(sluice.submission_port, &[b"EHLO x.example\r\n", b"MAIL FROM:<a@example.net>\r\n", b"QUIT\r\n"], Duration::from_millis(300));
    assert!(transcript.contains("530 5.7.0 message submission is for authorised users only!"), "{transcript}");
}

#[test]
fn api_refuses_missing_or_wrong_tokens() {
    let sluice = Sluice::start(free_port(), "");
    for token in [None, Some("wrong")] {
        let (status, _) = support::http(sluice.web_port, "GET", "/api/v1/logs", token, None).unwrap();
        assert_eq!(status, 401);
        let (status, _) = support::http(sluice.web_port, "POST", "/api/v1/quarantine/x/release", token, None).unwrap();
        assert_eq!(status, 401);
    }
    let (status, body) = support::http(sluice.web_port, "GET", "/healthz", None, None).unwrap();
    assert_eq!(status, 200, "{body}");
}

#[test]
fn sigterm_stops_cleanly_and_keeps_the_queue() {
    let sink_port = free_port();
    let mut sluice = Sluice::start(sink_port, "");
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&message("kept", "hi\r\n")]);
    assert_eq!(results[0]["code"], 250);
    let status = sluice.terminate();
    assert!(status.success(), "exit status {status:?}\n{}", sluice.log());

    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_port, sink_dir.path());
    sluice.spawn();
    wait_for("queued message delivered after restart", Duration::from_secs(30), || sink.messages().len() == 1);
}

#[test]
fn too_many_concurrent_connections_from_one_ip_get_421() {
    let sluice = Sluice::start(free_port(), "max_connections_per_ip = 2");
    let open: Vec<std::net::TcpStream> =
        (0..2).map(|_| std::net::TcpStream::connect(("127.0.0.1", sluice.smtp_port)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let transcript = raw_smtp(sluice.smtp_port, &[], Duration::from_millis(500));
    assert!(transcript.starts_with("421 4.7.0 Too many concurrent SMTP connections"), "{transcript}");
    drop(open);
    wait_for("ratelimited row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["main_class"] == "unknown" && row["sub_class"] == "ratelimited")
    });
    std::thread::sleep(Duration::from_millis(200));
    let transcript = raw_smtp(sluice.smtp_port, &[b"QUIT\r\n"], Duration::from_millis(300));
    assert!(transcript.starts_with("220 "), "slot not given back: {transcript}");
}

#[test]
fn postgres_backend_keeps_acknowledged_mail_and_releases_quarantine() {
    let Some(url) = support::fresh_postgres_database() else {
        eprintln!("SLUICE_TEST_POSTGRES_URL not set: PostgreSQL variant not run (scripts/test sets it)");
        return;
    };
    let sink_port = free_port();
    let mut sluice = Sluice::start_on(Some(&url), sink_port, "");
    let clean = message("pg-clean", "hello\r\n");
    let spam = message("pg-gtube", &format!("{GTUBE}\r\n"));
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&clean, &spam]);
    assert_eq!((results[0]["code"].as_i64(), results[1]["code"].as_i64()), (Some(250), Some(550)), "{results:?}");
    sluice.kill();

    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_port, sink_dir.path());
    sluice.spawn();
    wait_for("acknowledged message delivered after kill -9", Duration::from_secs(30), || sink.messages().len() == 1);
    let (_, listed) = sluice.api("GET", "/api/v1/quarantine");
    let id = listed["items"][0]["id"].as_str().expect("quarantined on PostgreSQL").to_owned();
    let (status, _) = sluice.api("POST", &format!("/api/v1/quarantine/{id}/release"));
    assert_eq!(status, 200);
    wait_for("released message delivered", Duration::from_secs(30), || sink.messages().len() == 2);
    assert!(ends_with(&sink.messages()[1].0, &spam));
}

#[test]
fn message_memory_budget_exhausted_gives_451_and_an_error_row() {
    let sluice = Sluice::start(free_port(), "data_memory = \"100KiB\"");
    let mut big = message("memory", &"z".repeat(70).repeat(4000).chars().collect::<Vec<_>>().chunks(70).map(|line| line.iter().collect::<String>() + "\r\n").collect::<String>());
    big.extend_from_slice(b".\r\nQUIT\r\n");
    let transcript = raw_smtp(
        sluice.smtp_port,
        &[b"EHLO x.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n", &big],
        Duration::from_millis(400),
    );
    assert!(transcript.contains("451 4.3.1"), "{transcript}");
    let logs = sluice.logs();
    assert_eq!((logs[0]["main_class"].as_str(), logs[0]["sub_class"].as_str()), (Some("error"), Some("memory")));
    assert_eq!(logs[0]["error_class"], "memory");
    // The budget is given back: a small message goes through afterwards.
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&message("small", "hi\r\n")]);
    assert_eq!(results[0]["code"], 250, "{results:?}");
}

#[test]
fn store_down_gives_451_never_a_silent_accept() {
    let Some(url) = support::fresh_postgres_database() else {
        eprintln!("SLUICE_TEST_POSTGRES_URL not set: the store-down test is not run (scripts/test sets it)");
        return;
    };
    let admin = std::env::var("SLUICE_TEST_POSTGRES_URL").unwrap();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let psql = |sql: &str| {
        let status = std::process::Command::new("psql").arg(&admin).args(["-q", "-c", sql]).status().unwrap();
        assert!(status.success(), "{sql}");
    };
    let mut sluice = Sluice::start_on(Some(&url), free_port(), "");
    assert_eq!(sluice.send("alice@example.org", &["bob@example.net"], &[&message("before", "hi\r\n")])[0]["code"], 250);

    // The database goes away: no new connections, existing ones cut.
    psql(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS false"));
    psql(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"));
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&message("during", "hi\r\n")]);
    assert_eq!(results[0]["code"], 451, "{results:?}");
    assert!(sluice.is_running(), "{}", sluice.log());

    // It comes back: mail is accepted again.
    psql(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"));
    wait_for("acceptance after the store returned", Duration::from_secs(30), || {
        sluice.send("alice@example.org", &["bob@example.net"], &[&message("after", "hi\r\n")])[0]["code"] == 250
    });
}

#[test]
fn a_client_trying_address_after_address_is_cut_off() {
    let sluice = Sluice::start(free_port(), "");
    let mut commands = b"EHLO x.example\r\nMAIL FROM:<a@example.org>\r\n".to_vec();
    for n in 0..30 {
        commands.extend_from_slice(format!("RCPT TO:<user{n}@elsewhere.example>\r\n").as_bytes());
    }
    // The server's close after its 421 ends the transcript (a quiet period of
    // 1.5 s was overrun on a loaded machine: the pipelined replies come at once,
    // after the refusals' log rows are written).
    let transcript = raw_smtp_until_closed(sluice.smtp_port, &commands, Duration::from_secs(30));
    assert_eq!(transcript.matches("550 5.7.1 Relay not permitted!").count(), 20, "{transcript}");
    assert!(transcript.contains("421 4.7.0 Too many errors"), "{transcript}");
    assert_eq!(sluice.logs().len(), 20, "every refusal logged, and no more than the limit");
}
