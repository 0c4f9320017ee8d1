//! Authenticated submission end to end against the real binary: Python smtplib
//! (STARTTLS on `submission`, `SMTP_SSL` on `submissions`, AUTH PLAIN and
//! LOGIN) and swaks, an aiosmtpd sink as the smarthost and another as the
//! domain's destination; raw sockets for the hostile AUTH exchanges.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{Sink, Sluice, free_port, raw_smtp, wait_for};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
const QUIET: Duration = Duration::from_millis(1000);

/// A gateway with `example.test` (users' domain, delivered to the harness's
/// sink like `example.net`), a smarthost sink for the rest of the world, and
/// `outgoing` extra keys; users alice (user), boss (domain admin of
/// example.test) and bob (user).
struct Setup {
    sluice: Sluice,
    smarthost: Sink,
    domain_sink: Sink,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

fn setup(outgoing: &str, domain_keys: &str) -> Setup {
    let (smarthost_dir, domain_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let smarthost = Sink::start(free_port(), smarthost_dir.path());
    let domain_sink = Sink::start(free_port(), domain_dir.path());
    let extra = format!("[outgoing]\nsmarthost = \"127.0.0.1:{}\"\n{outgoing}\n", smarthost.port);
    let tail = format!("\n[[domains]]\nname = \"example.test\"\ndestination = \"127.0.0.1:{}\"\n{domain_keys}\n", domain_sink.port);
    let sluice = Sluice::start_with(None, domain_sink.port, &extra, &tail);
    add_user(&sluice, &["--role", "user", "alice@example.test"], "alice-secret");
    add_user(&sluice, &["--role", "user", "bob@example.test"], "bob-secret");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.test", "boss@example.test"], "boss-secret");
    Setup { sluice, smarthost, domain_sink, _dirs: (smarthost_dir, domain_dir) }
}

fn add_user(sluice: &Sluice, args: &[&str], password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["user", "add", "--config"])
        .arg(&sluice.config_path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sluice user add");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "sluice user add {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// One submission with `tests/support/submit.py`; its JSON transcript.
struct Submit<'a> {
    port: u16,
    mode: &'a str,
    source: &'a str,
    user: &'a str,
    password: &'a str,
    mechanism: &'a str,
    from: &'a str,
    to: &'a str,
}

impl Submit<'_> {
    fn send(&self, message: &[u8]) -> Value {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), message).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/submit.py");
        let output = Command::new("python3")
            .arg(script)
            .args(["127.0.0.1", &self.port.to_string(), self.mode, self.source, self.user, self.password, self.mechanism])
            .args([self.from, self.to])
            .arg(file.path())
            .output()
            .expect("run submit.py");
        assert!(output.status.success(), "submit.py failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

/// alice over STARTTLS with PLAIN, from alice to `to`.
fn alice<'a>(sluice: &Sluice, to: &'a str) -> Submit<'a> {
    Submit {
        port: sluice.submission_port,
        mode: "starttls",
        source: "127.0.0.1",
        user: "alice@example.test",
        password: "alice-secret",
        mechanism: "PLAIN",
        from: "alice@example.test",
        to,
    }
}

fn mail(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    let date = Command::new("date").arg("-R").output().map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned()).unwrap_or_default();
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        free_port()
    )
    .into_bytes()
}

fn code(step: &Value) -> i64 {
    step[0].as_i64().unwrap_or(-1)
}

fn rows_with(sluice: &Sluice, sub_class: &str) -> Vec<Value> {
    sluice.logs().into_iter().filter(|row| row["sub_class"] == sub_class).collect()
}

#[test]
fn authenticated_submission_is_filtered_and_relayed_to_the_smarthost() {
    let Setup { sluice, smarthost, domain_sink, _dirs: _keep, .. } = setup("", "");

    // No AUTH: the spec's 530 at MAIL FROM; AUTH is not offered before TLS.
    let plain = raw_smtp(
        sluice.submission_port,
        &[b"EHLO client.example.org\r\n", b"AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQ=\r\n", b"MAIL FROM:<alice@example.test>\r\n", b"QUIT\r\n"],
        QUIET,
    );
    assert!(!plain.contains("AUTH PLAIN LOGIN"), "AUTH offered before TLS: {plain}");
    assert!(plain.contains("530 5.7.0 Must issue a STARTTLS command first"), "{plain}");
    assert!(plain.contains("530 5.7.0 message submission is for authorised users only!"), "{plain}");
    let no_auth = Submit { mechanism: "none", ..alice(&sluice, "friend@elsewhere.example") }.send(&mail("alice@example.test", "friend@elsewhere.example", "x", "x"));
    assert!(no_auth["ehlo_auth"].as_str().unwrap().contains("PLAIN"), "{no_auth}");
    assert_eq!(code(&no_auth["mail"]), 530, "{no_auth}");

    // STARTTLS + PLAIN: relayed to the smarthost, logged as outgoing.
    let sent = alice(&sluice, "friend@elsewhere.example").send(&mail("alice@example.test", "friend@elsewhere.example", "Lunch", "Shall we meet at noon? Alice"));
    assert_eq!(sent["auth"], serde_json::json!([235, "2.7.0 Authentication successful"]), "{sent}");
    assert_eq!(code(&sent["data"]), 250, "{sent}");
    wait_for("the smarthost to get the message", Duration::from_secs(20), || smarthost.messages().len() == 1);
    let (raw, envelope) = &smarthost.messages()[0];
    assert_eq!(envelope["from"], "alice@example.test");
    assert_eq!(envelope["to"], serde_json::json!(["friend@elsewhere.example"]));
    assert!(String::from_utf8_lossy(raw).contains("Subject: Lunch"));
    let row = sluice.logs().into_iter().find(|row| row["subject"] == "Lunch").expect("a log row");
    assert_eq!(row["direction"], "outgoing");
    assert_eq!(row["action"], "deliver");

    // SMTP_SSL on submissions with LOGIN; a recipient in our own domain goes to
    // the domain's destination, not to the smarthost.
    let ssl = Submit { port: sluice.submissions_port, mode: "ssl", mechanism: "LOGIN", ..alice(&sluice, "carol@example.test") }
        .send(&mail("alice@example.test", "carol@example.test", "Internal", "Hello Carol"));
    assert_eq!(code(&ssl["auth"]), 235, "{ssl}");
    assert_eq!(code(&ssl["data"]), 250, "{ssl}");
    wait_for("the domain's destination to get the message", Duration::from_secs(20), || {
        domain_sink.messages().iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains("Subject: Internal"))
    });
    assert_eq!(smarthost.messages().len(), 1, "our own domain's mail does not go to the smarthost");

    // swaks with STARTTLS, AUTH LOGIN and AUTH PLAIN.
    for (number, mechanism) in ["LOGIN", "PLAIN"].into_iter().enumerate() {
        let swaks = Command::new("swaks")
            .args(["--server", &format!("127.0.0.1:{}", sluice.submission_port), "--tls", "--auth", mechanism])
            .args(["--auth-user", "alice@example.test", "--auth-password", "alice-secret", "--helo", "client.example.org"])
            .args(["--from", "alice@example.test", "--to", "dave@elsewhere.example", "--header", "Subject: From swaks"])
            .args(["--body", "Sent with swaks", "--timeout", "20"])
            .output()
            .expect("run swaks");
        let transcript = String::from_utf8_lossy(&swaks.stdout);
        assert!(transcript.contains(&format!("AUTH {mechanism}")), "{transcript}");
        assert!(transcript.contains("235 2.7.0 Authentication successful"), "{transcript}");
        assert!(transcript.contains("250 2.0.0 Message accepted for delivery"), "{transcript}");
        wait_for("swaks' message at the smarthost", Duration::from_secs(20), || smarthost.messages().len() == 2 + number);
    }

    // Sending as someone else: the envelope, then the header From.
    let forged = alice(&sluice, "friend@elsewhere.example").send(&mail("bob@example.test", "friend@elsewhere.example", "x", "x"));
    let forged_mail = Submit { from: "bob@example.test", ..alice(&sluice, "friend@elsewhere.example") }.send(b"");
    assert_eq!(code(&forged_mail["mail"]), 550, "{forged_mail}");
    let text = forged_mail["mail"][1].as_str().unwrap();
    assert!(text.starts_with("5.7.1 ") && text.contains("<bob@example.test>"), "{text}");
    assert_eq!(code(&forged["data"]), 550, "{forged}");
    assert!(forged["data"][1].as_str().unwrap().contains("Header From <bob@example.test>"), "{forged}");
    // A sub-address of one's own is one's own; a domain admin sends as anyone of its domain.
    let sub = Submit { from: "alice+news@example.test", ..alice(&sluice, "friend@elsewhere.example") }
        .send(&mail("alice+news@example.test", "friend@elsewhere.example", "Newsletter", "news"));
    assert_eq!(code(&sub["data"]), 250, "{sub}");
    let boss = Submit { user: "boss@example.test", password: "boss-secret", from: "sales@example.test", ..alice(&sluice, "friend@elsewhere.example") }
        .send(&mail("sales@example.test", "friend@elsewhere.example", "Offer", "A fair offer"));
    assert_eq!(code(&boss["data"]), 250, "{boss}");
    wait_for("both at the smarthost", Duration::from_secs(20), || smarthost.messages().len() == 5);

    // Outgoing spam: refused, kept in the quarantine, not relayed; an admin's
    // release delivers it to its recipient.
    let spam = alice(&sluice, "victim@elsewhere.example").send(&mail("alice@example.test", "victim@elsewhere.example", "GTUBE out", GTUBE));
    assert_eq!(code(&spam["data"]), 550, "{spam}");
    let row = sluice.logs().into_iter().find(|row| row["subject"] == "GTUBE out").expect("a log row");
    assert_eq!((row["direction"].as_str(), row["action"].as_str(), row["sub_class"].as_str()), (Some("outgoing"), Some("quarantine"), Some("gtube")));
    let quarantine_id = row["quarantine_id"].as_str().expect("quarantined").to_owned();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smarthost.messages().len(), 5, "outgoing spam is never relayed");
    // The held message is its sender's to see, not to send on: alice sees it
    // and may not release it (a compromised account's spam stays held); bob,
    // another mailbox, does not see it.
    let token = |name: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["user", "token", "--config"])
            .arg(&sluice.config_path)
            .args([name, "--label", "test"])
            .output()
            .expect("run sluice user token");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let (alice_token, bob_token) = (token("alice@example.test"), token("bob@example.test"));
    let held = |token: &str| {
        let (status, body) = support::http(sluice.web_port, "GET", "/api/v1/quarantine", Some(token), None).expect("API answers");
        assert_eq!(status, 200, "{body}");
        let items: Value = serde_json::from_str(&body).unwrap();
        items["items"].as_array().unwrap().iter().filter_map(|item| item["id"].as_str().map(str::to_owned)).collect::<Vec<_>>()
    };
    assert_eq!(held(&alice_token), std::slice::from_ref(&quarantine_id));
    assert!(held(&bob_token).is_empty());
    let release = format!("/api/v1/quarantine/{quarantine_id}/release");
    assert_eq!(support::http(sluice.web_port, "POST", &release, Some(&alice_token), Some("")).map(|(status, _)| status), Some(403));
    let (status, _) = sluice.api_post(&format!("/api/v1/quarantine/{quarantine_id}/release"), "");
    assert_eq!(status, 200);
    wait_for("the released message at the smarthost", Duration::from_secs(20), || smarthost.messages().len() == 6);
    assert_eq!(smarthost.messages()[5].1["to"], serde_json::json!(["victim@elsewhere.example"]));

    // Refused for good at the next hop: the bounce goes to the authenticated
    // sender, at its domain's destination.
    let refused = alice(&sluice, "perm-nobody@elsewhere.example").send(&mail("alice@example.test", "perm-nobody@elsewhere.example", "Lost", "x"));
    assert_eq!(code(&refused["data"]), 250, "{refused}");
    wait_for("the bounce at alice's domain", Duration::from_secs(20), || {
        domain_sink.messages().iter().any(|(raw, envelope)| {
            envelope["to"] == serde_json::json!(["alice@example.test"])
                && String::from_utf8_lossy(raw).contains("Final-Recipient: rfc822; perm-nobody@elsewhere.example")
        })
    });
}

#[test]
fn failed_authentications_lock_out_the_client_and_the_user_name() {
    support::away_from_a_window_end(600, 30);
    let Setup { sluice, _dirs: _keep, .. } = setup("auth_failures_limit = 3\nauth_failures_window = \"10m\"\n", "");
    let wrong = Submit { password: "guess", ..alice(&sluice, "x@elsewhere.example") };
    for attempt in 1..=3 {
        let reply = wrong.send(b"");
        assert_eq!(reply["auth"], serde_json::json!([535, "5.7.8 Authentication credentials invalid"]), "attempt {attempt}: {reply}");
    }
    // The right password now: denied, by PLAIN and by LOGIN, from here...
    let denied = serde_json::json!([454, "4.7.0 You have been denied authentication"]);
    assert_eq!(alice(&sluice, "x@elsewhere.example").send(b"")["auth"], denied);
    assert_eq!(Submit { mechanism: "LOGIN", ..alice(&sluice, "x@elsewhere.example") }.send(b"")["auth"], denied);
    // ...for the same user from another client address...
    assert_eq!(Submit { source: "127.0.0.2", ..alice(&sluice, "x@elsewhere.example") }.send(b"")["auth"], denied);
    // ...and for another user from the locked-out address.
    let bob = Submit { user: "bob@example.test", password: "bob-secret", from: "bob@example.test", ..alice(&sluice, "x@elsewhere.example") };
    assert_eq!(bob.send(b"")["auth"], denied);
    // Another user from another address is not affected.
    assert_eq!(code(&Submit { source: "127.0.0.3", ..bob }.send(b"")["auth"]), 235);
    // One auth-log row for the lockout (and one process log line), not one per attempt.
    let log = sluice.log();
    assert_eq!(log.matches("SMTP AUTH lockout").count(), 1, "{log}");
    let (status, auth_log) = sluice.api("GET", "/api/v1/auth-log");
    assert_eq!(status, 200);
    let items = auth_log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{auth_log}");
    assert_eq!((items[0]["event"].as_str(), items[0]["username"].as_str()), (Some("lockout"), Some("alice@example.test")));
    assert_eq!(items[0]["client_ip"], "127.0.0.1");
}

#[test]
fn hostile_auth_exchanges_get_clear_replies() {
    let Setup { sluice, _dirs: _keep, .. } = setup("allow_plaintext_auth_on_loopback = true\n", "");
    let port = sluice.submission_port;
    let ehlo = b"EHLO client.example.org\r\n";

    // On loopback, with the setting, AUTH is offered without TLS.
    let offered = raw_smtp(port, &[ehlo, b"QUIT\r\n"], QUIET);
    assert!(offered.contains("250-AUTH PLAIN LOGIN") || offered.contains("250 AUTH PLAIN LOGIN"), "{offered}");

    // A 100 KB AUTH line: refused as too long, the session goes on.
    let long = format!("AUTH PLAIN {}\r\n", "A".repeat(100 * 1024));
    let transcript = raw_smtp(port, &[ehlo, long.as_bytes(), b"NOOP\r\n", b"QUIT\r\n"], QUIET);
    assert!(transcript.contains("500 5.5.2 Line too long"), "{transcript}");
    assert!(transcript.contains("221 2.0.0 Bye"), "{transcript}");
    // The same as the response after `334`.
    let transcript = raw_smtp(port, &[ehlo, b"AUTH PLAIN\r\n", long.as_bytes(), b"QUIT\r\n"], QUIET);
    assert!(transcript.contains("334 \r\n") && transcript.contains("500 5.5.2 Line too long"), "{transcript}");

    // Garbage base64, a cancelled exchange, an unknown mechanism.
    let transcript = raw_smtp(port, &[ehlo, b"AUTH PLAIN !!!not-base64!!!\r\n", b"AUTH LOGIN\r\n", b"*\r\n", b"AUTH CRAM-MD5\r\n", b"QUIT\r\n"], QUIET);
    assert!(transcript.contains("501 5.5.2 Invalid base64 data"), "{transcript}");
    assert!(transcript.contains("334 VXNlcm5hbWU6") && transcript.contains("501 5.7.0 Authentication cancelled"), "{transcript}");
    assert!(transcript.contains("504 5.5.4"), "{transcript}");

    // PLAIN acting as another user (authzid bob, authcid alice): refused.
    // (base64 of "bob@example.test\0alice@example.test\0alice-secret")
    let as_bob = b"AUTH PLAIN Ym9iQGV4YW1wbGUudGVzdABhbGljZUBleGFtcGxlLnRlc3QAYWxpY2Utc2VjcmV0\r\n";
    let transcript = raw_smtp(port, &[ehlo, as_bob, b"QUIT\r\n"], QUIET);
    assert!(transcript.contains("535 5.7.8 Authentication credentials invalid"), "{transcript}");

    // PLAIN after an empty 334, then AUTH twice: 503; AUTH on port 25: 503.
    // (base64 of "\0alice@example.test\0alice-secret")
    let good = b"AGFsaWNlQGV4YW1wbGUudGVzdABhbGljZS1zZWNyZXQ=\r\n";
    let transcript = raw_smtp(port, &[ehlo, b"AUTH PLAIN\r\n", good, b"AUTH LOGIN\r\n", b"QUIT\r\n"], QUIET);
    assert!(transcript.contains("235 2.7.0 Authentication successful"), "{transcript}");
    assert!(transcript.contains("503 5.5.1 Already authenticated"), "{transcript}");
    let inbound = raw_smtp(sluice.smtp_port, &[ehlo, b"AUTH PLAIN AGFAYgBj\r\n", b"QUIT\r\n"], QUIET);
    assert!(!inbound.contains("AUTH PLAIN LOGIN"), "{inbound}");
    assert!(inbound.contains("503 5.5.1 AUTH is offered on the submission ports only"), "{inbound}");
}

#[test]
fn the_per_user_message_limit_refuses_with_the_spec_text_and_logs_once() {
    support::away_from_a_window_end(3600, 30);
    let Setup { sluice, smarthost, _dirs: _keep, .. } = setup("allow_plaintext_auth_on_loopback = true\n", "outgoing_messages_per_hour = 2\n");
    for number in 1..=2 {
        let sent = alice(&sluice, "friend@elsewhere.example").send(&mail("alice@example.test", "friend@elsewhere.example", &format!("n{number}"), "hello"));
        assert_eq!(code(&sent["data"]), 250, "{sent}");
    }
    for _ in 0..3 {
        let refused = alice(&sluice, "friend@elsewhere.example").send(b"");
        assert_eq!(refused["mail"], serde_json::json!([451, "4.7.1 Too many messages. Please wait for a while and try again."]), "{refused}");
    }
    // Another user has its own count.
    let bob = Submit { user: "bob@example.test", password: "bob-secret", from: "bob@example.test", ..alice(&sluice, "friend@elsewhere.example") }
        .send(&mail("bob@example.test", "friend@elsewhere.example", "bob", "hello"));
    assert_eq!(code(&bob["data"]), 250, "{bob}");
    let limited = rows_with(&sluice, "ratelimited");
    assert_eq!(limited.len(), 1, "one row per user and window: {limited:?}");
    assert_eq!((limited[0]["main_class"].as_str(), limited[0]["direction"].as_str()), (Some("block-list"), Some("outgoing")));
    wait_for("three messages at the smarthost", Duration::from_secs(20), || smarthost.messages().len() == 3);
}

#[test]
fn the_per_user_limit_and_the_lockout_are_counted_across_two_nodes() {
    support::away_from_a_window_end(3600, 30);
    let extra = "[outgoing]\nallow_plaintext_auth_on_loopback = true\nauth_failures_limit = 2\n[defaults]\noutgoing_messages_per_hour = 2\n";
    let Some(nodes) = support::two_nodes_with(extra) else { return };
    add_user(&nodes.a, &["--role", "user", "alice@example.net"], "alice-secret");
    let send = |node: &Sluice| {
        Submit { from: "alice@example.net", user: "alice@example.net", ..alice(node, "friend@example.net") }
            .send(&mail("alice@example.net", "friend@example.net", "two nodes", "hello"))
    };
    assert_eq!(code(&send(&nodes.a)["data"]), 250);
    assert_eq!(code(&send(&nodes.b)["data"]), 250);
    let refused = send(&nodes.a);
    assert_eq!(code(&refused["mail"]), 451, "{refused}");

    // Two failures on node A lock the name out on node B too.
    add_user(&nodes.a, &["--role", "user", "carol@example.net"], "carol-secret");
    let carol = |node: &Sluice, password: &'static str| {
        Submit { from: "carol@example.net", user: "carol@example.net", password, source: "127.0.0.4", ..alice(node, "friend@example.net") }.send(b"")
    };
    assert_eq!(code(&carol(&nodes.a, "guess")["auth"]), 535);
    assert_eq!(code(&carol(&nodes.a, "guess")["auth"]), 535);
    assert_eq!(code(&Submit { source: "127.0.0.5", user: "alice@example.net", ..alice(&nodes.b, "x") }.send(b"")["auth"]), 235, "alice is not locked out");
    let denied = carol(&nodes.b, "carol-secret");
    assert_eq!(denied["auth"], serde_json::json!([454, "4.7.0 You have been denied authentication"]), "{denied}");
}
