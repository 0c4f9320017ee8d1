//! The allow and block lists from outside: the API contract and its validation,
//! entries judged through SMTP by the real binary (client address, HELO, envelope
//! sender, header From, recipient; scopes; the authentication-gated allow entry;
//! one outcome per transaction), the command line, and `sluice explain`.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Sink, Sluice, free_port, message, raw_smtp, wait_for};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// One SMTP transaction and its transcript.
fn transact(port: u16, helo: &str, sender: &str, recipients: &[&str], data: &[u8]) -> String {
    let mut envelope = format!("EHLO {helo}\r\nMAIL FROM:<{sender}>\r\n");
    for recipient in recipients {
        envelope.push_str(&format!("RCPT TO:<{recipient}>\r\n"));
    }
    let mut body = data.to_vec();
    body.extend_from_slice(b".\r\n");
    raw_smtp(port, &[envelope.as_bytes(), b"DATA\r\n", &body, b"QUIT\r\n"], Duration::from_millis(250))
}

fn add(sluice: &Sluice, list: &str, entry: Value) -> i64 {
    let (status, body) = sluice.api_post(&format!("/api/v1/lists/{list}"), &entry.to_string());
    assert_eq!(status, 201, "{entry}: {body}");
    body["id"].as_i64().expect("an id")
}

fn remove(sluice: &Sluice, list: &str, id: i64) {
    let (status, body) = sluice.api("DELETE", &format!("/api/v1/lists/{list}/{id}"));
    assert_eq!(status, 204, "{body}");
}

fn class(row: &Value) -> (String, String) {
    (row["main_class"].as_str().unwrap().to_owned(), row["sub_class"].as_str().unwrap().to_owned())
}

#[test]
fn the_api_adds_lists_and_removes_entries_and_names_what_it_refuses() {
    let sluice = Sluice::start(free_port(), "");
    let id = add(&sluice, "block", json!({"scope": "global", "field": "ip", "value": "203.0.113.0/24", "unauthenticated": false}));
    let mailbox = add(&sluice, "allow", json!({"scope": "mailbox:Bob@example.net", "field": "sender", "value": "Partner.example", "unauthenticated": true}));
    let (status, listed) = sluice.api("GET", "/api/v1/lists/block?scope=global");
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["id"], id);
    assert_eq!(listed["items"][0]["value"], "203.0.113.0/24");
    let (_, listed) = sluice.api("GET", "/api/v1/lists/allow?scope=mailbox:bob@example.net");
    assert_eq!(listed["items"][0]["id"], mailbox, "{listed}");
    assert_eq!(listed["items"][0]["value"], "partner.example", "stored in canonical form");
    assert_eq!(listed["items"][0]["unauthenticated"], true);
    let (_, everything) = sluice.api("GET", "/api/v1/lists/allow");
    assert_eq!(everything["items"].as_array().unwrap().len(), 1);

    let refusals = [
        (json!({"scope": "global", "field": "ip", "value": "10.0.0.0/33"}), "value"),
        (json!({"scope": "global", "field": "ip", "value": "10.0.0.1/8"}), "value"),
        (json!({"scope": "global", "field": "ip", "value": "not-an-ip"}), "value"),
        (json!({"scope": "planet", "field": "ip", "value": "10.0.0.0/8"}), "scope"),
        (json!({"scope": "domain:nowhere.example", "field": "ip", "value": "10.0.0.0/8"}), "scope"),
        (json!({"scope": "global", "field": "subject", "value": "x"}), "field"),
        (json!({"scope": "global", "field": "sender", "value": "a b@example.org"}), "value"),
        (json!({"scope": "global", "field": "sender"}), "value"),
        (json!({"scope": "global", "field": "ip", "value": "10.0.0.0/8", "unauthenticated": "yes"}), "unauthenticated"),
        (json!({"scope": "global", "field": "ip", "value": "10.0.0.0/8", "unauthenticated": true}), "unauthenticated"),
    ];
    for (entry, field) in refusals {
        let (status, body) = sluice.api_post("/api/v1/lists/block", &entry.to_string());
        assert_eq!(status, 400, "{entry}: {body}");
        assert_eq!(body["field"], field, "{entry}: {body}");
        assert!(!body["reason"].as_str().unwrap().is_empty(), "{body}");
    }
    let (status, body) = sluice.api_post("/api/v1/lists/block", "{not json");
    assert_eq!((status, body["field"].as_str()), (400, Some("body")));
    let (status, _) = sluice.api("GET", "/api/v1/lists/block?scope=planet");
    assert_eq!(status, 400);
    let (status, _) = sluice.api("GET", "/api/v1/lists/grey");
    assert_eq!(status, 404);

    remove(&sluice, "block", id);
    let (status, _) = sluice.api("DELETE", &format!("/api/v1/lists/block/{id}"));
    assert_eq!(status, 404, "already removed");
    let (status, _) = sluice.api("DELETE", &format!("/api/v1/lists/block/{mailbox}"));
    assert_eq!(status, 404, "the entry is on the other list");
    let (_, listed) = sluice.api("GET", "/api/v1/lists/block");
    assert!(listed["items"].as_array().unwrap().is_empty(), "{listed}");
}

#[test]
fn entries_decide_through_smtp_narrowest_scope_first() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let port = sluice.smtp_port;
    let mail = message("hello", "Hello Bob,\r\n\r\nthe minutes of Tuesday are attached.\r\n");
    let helo = "client.example.org";

    // The client's network is blocked for everyone but one mailbox.
    let ip = add(&sluice, "block", json!({"scope": "global", "field": "ip", "value": "127.0.0.0/8"}));
    let vip = add(&sluice, "allow", json!({"scope": "mailbox:vip@example.net", "field": "recipient", "value": "vip@example.net"}));
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], &mail);
    assert!(refused.contains("550 5.7.1 Blacklisted sending server"), "{refused}");
    assert_eq!(class(&sluice.newest_row()), ("block-list".into(), "ip".into()));
    assert!(sluice.newest_row()["extra_class"].as_str().unwrap().contains(&format!("entry {ip} (global)")));
    let allowed = transact(port, helo, "alice@example.org", &["vip@example.net"], &mail);
    assert!(allowed.contains("250 2.0.0"), "{allowed}");
    let row = sluice.newest_row();
    assert_eq!(class(&row), ("allow-list".into(), "recipient".into()), "{row}");
    assert!(row["extra_class"].as_str().unwrap().contains("(mailbox:vip@example.net)"), "{row}");
    remove(&sluice, "block", ip);

    // One outcome per transaction: the allow-listed mailbox after an ordinary one
    // is deferred.
    let mixed = transact(port, helo, "alice@example.org", &["bob@example.net", "vip@example.net"], &mail);
    assert!(mixed.contains("451 4.3.0 Mail for this domain cannot be accepted right now"), "{mixed}");
    assert!(mixed.contains("250 2.0.0"), "bob's copy is still accepted: {mixed}");
    remove(&sluice, "allow", vip);

    // Envelope sender, then the header From at DATA.
    let sender = add(&sluice, "block", json!({"scope": "domain:example.net", "field": "sender", "value": "*.spam.example"}));
    let refused = transact(port, helo, "x@relay.spam.example", &["bob@example.net"], &mail);
    assert!(refused.contains("550 5.7.1 We do not accept mail from this address"), "{refused}");
    assert!(!refused.contains("354"), "refused at RCPT: {refused}");
    let forged = String::from_utf8(mail.clone()).unwrap().replace("From: Alice <alice@example.org>", "From: Bank <alerts@mx.spam.example>");
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], forged.as_bytes());
    assert!(refused.contains("354") && refused.contains("550 5.7.1 We do not accept mail from this address"), "{refused}");
    remove(&sluice, "block", sender);

    // HELO.
    let greeting = add(&sluice, "block", json!({"scope": "global", "field": "helo", "value": "client.example.org"}));
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], &mail);
    assert!(refused.contains("550 5.7.1"), "{refused}");
    assert_eq!(class(&sluice.newest_row()), ("block-list".into(), "ehlo".into()));
    remove(&sluice, "block", greeting);

    // A blocked recipient is the spec's blackhole: accepted, delivered nowhere.
    let void = add(&sluice, "block", json!({"scope": "global", "field": "recipient", "value": "void@example.net"}));
    let discarded = transact(port, helo, "alice@example.org", &["void@example.net"], &mail);
    assert!(discarded.contains("250 2.0.0"), "{discarded}");
    assert_eq!(class(&sluice.newest_row()), ("block-list".into(), "recipient".into()));
    remove(&sluice, "block", void);

    // An allow-listed sender is not authenticated here (its domain publishes no
    // SPF, DKIM or DMARC in the test DNS), so the entry does not apply unless it
    // says `unauthenticated` (tests/auth.rs shows an SPF pass making it apply).
    let spam = message("gtube", &format!("{GTUBE}\r\n"));
    let gated = add(&sluice, "allow", json!({"scope": "global", "field": "sender", "value": "alice@example.org"}));
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], &spam);
    assert!(refused.contains("550 5.7.1"), "{refused}");
    remove(&sluice, "allow", gated);
    add(&sluice, "allow", json!({"scope": "global", "field": "sender", "value": "example.org", "unauthenticated": true}));
    let accepted = transact(port, helo, "alice@example.org", &["bob@example.net"], &spam);
    assert!(accepted.contains("250 2.0.0"), "{accepted}");
    let row = sluice.newest_row();
    assert_eq!(class(&row), ("allow-list".into(), "sender".into()), "{row}");
    assert!(row["extra_class"].as_str().unwrap().contains("unauthenticated"), "{row}");
    let subs: Vec<&str> = row["findings"].as_array().unwrap().iter().filter_map(|finding| finding["sub_class"].as_str()).collect();
    assert!(subs.contains(&"gtube"), "the content finding is kept: {row}");
    // Delivered: vip's, bob's of the mixed transaction, the allowed GTUBE; not void's.
    wait_for("the accepted messages delivered", Duration::from_secs(20), || sink.messages().len() >= 3);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sink.messages().len(), 3);
}

fn sluice_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().expect("run sluice")
}

#[test]
fn the_command_line_imports_a_list_that_a_running_node_picks_up() {
    let sluice = Sluice::start(free_port(), "");
    let config = sluice.config_path.display().to_string();
    let file = sluice.dir.path().join("blocked.txt");
    std::fs::write(&file, "# spammers we know\n127.0.0.0/8   # this client\n\n198.51.100.0/24\n").unwrap();
    let file = file.display().to_string();
    let output = sluice_cli(&["list", "import", "--config", &config, "block", "global", "ip", &file]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let imported: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(imported["added"], 2, "{imported}");
    // The running node follows within its refresh interval.
    let mail = message("hello", "Hi\r\n");
    wait_for("the imported block list in force", Duration::from_secs(15), || {
        transact(sluice.smtp_port, "client.example.org", "alice@example.org", &["bob@example.net"], &mail)
            .contains("550 5.7.1 Blacklisted sending server")
    });

    let output = sluice_cli(&["list", "show", "--config", &config, "block", "--scope", "global"]);
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(shown.lines().count(), 2, "{shown}");
    let first: Value = serde_json::from_str(shown.lines().next().unwrap()).unwrap();
    let id = first["id"].as_i64().unwrap().to_string();
    let output = sluice_cli(&["list", "remove", "--config", &config, "block", &id]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = sluice_cli(&["list", "remove", "--config", &config, "block", &id]);
    assert!(!output.status.success(), "removing twice fails");

    // A bad line refuses the whole file, naming the line.
    std::fs::write(sluice.dir.path().join("bad.txt"), "192.0.2.0/24\n10.0.0.1/8\n").unwrap();
    let bad = sluice.dir.path().join("bad.txt").display().to_string();
    let output = sluice_cli(&["list", "import", "--config", &config, "block", "global", "ip", &bad]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.txt:2"), "{}", String::from_utf8_lossy(&output.stderr));
    let output = sluice_cli(&["list", "add", "--config", &config, "allow", "domain:example.net", "sender", "partner.example", "--unauthenticated"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // `sluice explain` shows the entry that decided.
    let eml = sluice.dir.path().join("hello.eml");
    std::fs::write(&eml, message("hello", "Hi\r\n")).unwrap();
    let eml = eml.display().to_string();
    let output = sluice_cli(&[
        "explain", "--config", &config, "--offline", "--ip", "198.51.100.9", "--helo", "client.example.org", "--from",
        "alice@example.org", "--rcpt", "bob@example.net", &eml,
    ]);
    let explained = String::from_utf8_lossy(&output.stdout);
    assert!(explained.contains("block-list / ip (check lists") && explained.contains("198.51.100.0/24"), "{explained}");
    let output = sluice_cli(&[
        "explain", "--config", &config, "--offline", "--ip", "192.0.2.9", "--from", "news@partner.example", "--rcpt",
        "bob@example.net", &eml,
    ]);
    let explained = String::from_utf8_lossy(&output.stdout);
    assert!(explained.contains("allow-list / sender (check lists") && explained.contains("unauthenticated"), "{explained}");
}

#[test]
fn an_entry_added_on_one_node_counts_for_the_next_transaction_on_the_other() {
    let Some(nodes) = support::two_nodes() else { return };
    let mail = message("hello", "Hello Bob,\r\n\r\nsee you on Thursday.\r\n");
    let before = transact(nodes.b.smtp_port, "client.example.org", "spammer@bad.example", &["bob@example.net"], &mail);
    assert!(before.contains("\r\n250 2.0.0"), "{before}");
    add(&nodes.a, "block", json!({"scope": "global", "field": "sender", "value": "bad.example", "unauthenticated": false}));
    // No waiting: node B checks for changes before it judges a transaction.
    let after = transact(nodes.b.smtp_port, "client.example.org", "spammer@bad.example", &["bob@example.net"], &mail);
    assert!(after.contains("550 5.7.1 We do not accept mail from this address"), "{after}");
}
