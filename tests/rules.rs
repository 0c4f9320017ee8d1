//! The filtering rules from outside: the API contract and its validation, and
//! rules judged through SMTP by the real binary: envelope fields at RCPT,
//! message fields at DATA, allow over block and content checks, the narrower
//! scope first, disabled rules, and a change taking effect without a restart.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Sink, Sluice, free_port, message, raw_smtp};

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

fn add(sluice: &Sluice, rule: Value) -> i64 {
    let (status, body) = sluice.api_post("/api/v1/rules", &rule.to_string());
    assert_eq!(status, 201, "{rule}: {body}");
    body["id"].as_i64().expect("an id")
}

fn remove(sluice: &Sluice, id: i64) {
    let (status, body) = sluice.api("DELETE", &format!("/api/v1/rules/{id}"));
    assert_eq!(status, 204, "{body}");
}

/// main class, subclass and extra class of the newest log row.
fn class(sluice: &Sluice) -> (String, String, String) {
    let row = sluice.newest_row();
    let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
    (text("main_class"), text("sub_class"), text("extra_class"))
}

fn rule(name: &str, scope: &str, field: &str, operator: &str, value: &str, action: &str) -> Value {
    json!({"name": name, "scope": scope, "field": field, "operator": operator, "value": value, "action": action, "enabled": true})
}

#[test]
fn the_api_adds_lists_changes_and_removes_rules_and_names_what_it_refuses() {
    let sluice = Sluice::start(free_port(), "");
    let id = add(&sluice, json!({"name": "no exe", "scope": "global", "field": "attachment_name", "operator": "glob", "value": "*.exe", "action": "block", "enabled": true}));
    let header = add(&sluice, json!({"name": "campaign", "scope": "domain:example.net", "field": "header", "header": "X-Campaign", "operator": "regex", "value": "^spring-\\d+$", "action": "allow"}));
    let (status, listed) = sluice.api("GET", "/api/v1/rules?scope=global");
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["id"], id);
    assert_eq!(listed["items"][0]["value"], "*.exe");
    let (_, listed) = sluice.api("GET", "/api/v1/rules?scope=domain:example.net");
    let item = &listed["items"][0];
    assert_eq!((item["id"].as_i64(), item["header"].as_str(), item["enabled"].as_bool()), (Some(header), Some("X-Campaign"), Some(true)), "{listed}");
    let (_, everything) = sluice.api("GET", "/api/v1/rules");
    assert_eq!(everything["items"].as_array().unwrap().len(), 2);

    // PUT changes the members given and keeps the others.
    let (status, changed) = sluice.api_send("PUT", &format!("/api/v1/rules/{header}"), &json!({"enabled": false, "value": "^autumn"}).to_string());
    assert_eq!(status, 200, "{changed}");
    assert_eq!((changed["enabled"].as_bool(), changed["value"].as_str(), changed["header"].as_str()), (Some(false), Some("^autumn"), Some("X-Campaign")));
    let (status, body) = sluice.api_send("PUT", &format!("/api/v1/rules/{header}"), &json!({"value": "(unclosed"}).to_string());
    assert_eq!((status, body["field"].as_str()), (400, Some("value")), "{body}");
    let (status, _) = sluice.api_send("PUT", "/api/v1/rules/999999", &json!({"enabled": false}).to_string());
    assert_eq!(status, 404);

    let good = rule("r", "global", "body", "contains", "x", "block");
    let with = |key: &str, value: Value| {
        let mut rule = good.clone();
        if value.is_null() {
            rule.as_object_mut().unwrap().remove(key);
        } else {
            rule[key] = value;
        }
        rule
    };
    let refusals = [
        (rule("r", "global", "body", "regex", "(a", "block"), "value"),
        (rule("r", "global", "s_ip", "cidr", "10.0.0.1/8", "block"), "value"),
        (rule("r", "global", "s_ip", "cidr", "10.0.0.0/33", "block"), "value"),
        (rule("r", "global", "s_ip", "cidr", "not-an-ip", "block"), "value"),
        (rule("r", "global", "s_ip", "equals", "10.0.0.1", "block"), "operator"),
        (rule("r", "global", "header", "contains", "x", "block"), "header"),
        (with("scope", json!("planet")), "scope"),
        (with("scope", json!("domain:nowhere.example")), "scope"),
        (with("field", json!("subject")), "field"),
        (with("operator", json!("like")), "operator"),
        (with("action", json!("maybe")), "action"),
        (with("name", Value::Null), "name"),
        (with("value", Value::Null), "value"),
        (with("enabled", json!("yes")), "enabled"),
    ];
    for (rule, field) in refusals {
        let (status, body) = sluice.api_post("/api/v1/rules", &rule.to_string());
        assert_eq!(status, 400, "{rule}: {body}");
        assert_eq!(body["field"], field, "{rule}: {body}");
        assert!(!body["reason"].as_str().unwrap().is_empty(), "{body}");
    }
    let (status, body) = sluice.api_post("/api/v1/rules", "{not json");
    assert_eq!((status, body["field"].as_str()), (400, Some("body")));
    let (status, _) = sluice.api("GET", "/api/v1/rules?scope=planet");
    assert_eq!(status, 400);

    remove(&sluice, id);
    let (status, _) = sluice.api("DELETE", &format!("/api/v1/rules/{id}"));
    assert_eq!(status, 404, "already removed");
}

#[test]
fn rules_decide_through_smtp_at_the_earliest_stage() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let port = sluice.smtp_port;
    let mail = message("hello", "Hello Bob,\r\n\r\nthe minutes of Tuesday are attached.\r\n");
    let helo = "client.example.org";

    // Envelope fields are judged at RCPT: the message is never asked for.
    let network = add(&sluice, rule("loopback", "global", "s_ip", "cidr", "127.0.0.0/8", "block"));
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], &mail);
    assert!(refused.contains("550 5.7.1"), "{refused}");
    assert!(!refused.contains("354"), "refused at RCPT: {refused}");
    assert_eq!(class(&sluice), ("block-list".into(), "rule-s_ip".into(), "loopback".into()));
    // A mailbox allow rule beats the global block, for that mailbox only.
    let vip = add(&sluice, rule("vip", "mailbox:vip@example.net", "rcpt_to", "equals", "VIP@example.net", "allow"));
    let allowed = transact(port, helo, "alice@example.org", &["vip@example.net"], &mail);
    assert!(allowed.contains("250 2.0.0"), "{allowed}");
    assert_eq!(class(&sluice), ("allow-list".into(), "rule-rcpt_to".into(), "vip".into()));
    remove(&sluice, network);
    // One outcome per transaction: the allow-ruled mailbox after an ordinary one
    // is deferred.
    let mixed = transact(port, helo, "alice@example.org", &["bob@example.net", "vip@example.net"], &mail);
    assert!(mixed.contains("451 4.3.0"), "{mixed}");
    assert!(mixed.contains("250 2.0.0"), "bob's copy is still accepted: {mixed}");
    remove(&sluice, vip);

    let sender = add(&sluice, rule("bulk senders", "domain:example.net", "s_addr", "ends_with", "@bulk.example", "block"));
    let refused = transact(port, helo, "news@bulk.example", &["bob@example.net"], &mail);
    assert!(refused.contains("550 5.7.1") && !refused.contains("354"), "{refused}");
    assert_eq!(class(&sluice).1, "rule-s_addr");
    remove(&sluice, sender);
    let greeting = add(&sluice, rule("dynamic", "global", "helo", "regex", "^client\\.", "block"));
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], &mail);
    assert!(refused.contains("550 5.7.1") && !refused.contains("354"), "{refused}");
    assert_eq!(class(&sluice).1, "rule-helo");
    // Disabled through PUT: the next transaction is accepted, no restart.
    let (status, _) = sluice.api_send("PUT", &format!("/api/v1/rules/{greeting}"), &json!({"enabled": false}).to_string());
    assert_eq!(status, 200);
    let accepted = transact(port, helo, "alice@example.org", &["bob@example.net"], &mail);
    assert!(accepted.contains("250 2.0.0"), "{accepted}");
    remove(&sluice, greeting);

    // Message fields are judged after the final dot.
    let body = add(&sluice, rule("minutes", "global", "body", "contains", "MINUTES of tuesday", "block"));
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], &mail);
    assert!(refused.contains("354") && refused.contains("550 5.7.1"), "{refused}");
    assert_eq!(class(&sluice), ("block-list".into(), "rule-body".into(), "minutes".into()));
    remove(&sluice, body);

    let attached = b"From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: invoice\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <inv@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Pay <a href=\"https://Pay.Evil.example/now\">here</a></p>\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"invoice.pdf.zzz\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAA=\r\n--b--\r\n";
    for (field, operator, value, subclass) in [
        ("attachment_name", "glob", "*.pdf.zzz", "rule-attachment_name"),
        ("attachment_type", "equals", "application/x-msdownload", "rule-attachment_type"),
        ("url", "ends_with", ".evil.example", "rule-url"),
        ("decoded", "contains", "href=", "rule-decoded"),
    ] {
        let id = add(&sluice, rule(subclass, "global", field, operator, value, "block"));
        let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], attached);
        assert!(refused.contains("354") && refused.contains("550 5.7.1"), "{field}: {refused}");
        assert_eq!(class(&sluice).1, subclass);
        remove(&sluice, id);
    }

    // An allow rule outranks the content checks: GTUBE is delivered.
    let header = add(&sluice, json!({"name": "our newsletter", "scope": "global", "field": "header", "header": "subject", "operator": "equals", "value": "Weekly", "action": "allow"}));
    let gtube = message("weekly", &format!("{GTUBE}\r\n"));
    let allowed = transact(port, helo, "alice@example.org", &["bob@example.net"], &gtube);
    assert!(allowed.contains("250 2.0.0"), "{allowed}");
    assert_eq!(class(&sluice), ("allow-list".into(), "rule-header".into(), "our newsletter".into()));
    remove(&sluice, header);
    let refused = transact(port, helo, "alice@example.org", &["bob@example.net"], &gtube);
    assert!(refused.contains("554") || refused.contains("550"), "GTUBE refused again: {refused}");
}

fn sluice_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().expect("run sluice")
}

#[test]
fn the_command_line_adds_a_rule_that_a_running_node_picks_up() {
    let sluice = Sluice::start(free_port(), "");
    let config = sluice.config_path.display().to_string();
    let output = sluice_cli(&["rule", "add", "--config", &config, "--name", "greeting", "block", "global", "helo", "glob", "client.*"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // The running node follows within its refresh interval.
    let mail = message("hello", "Hi\r\n");
    support::wait_for("the rule in force", Duration::from_secs(15), || {
        transact(sluice.smtp_port, "client.example.org", "alice@example.org", &["bob@example.net"], &mail).contains("550 5.7.1")
    });
    assert_eq!(class(&sluice), ("block-list".into(), "rule-helo".into(), "greeting".into()));

    let output = sluice_cli(&[
        "rule", "add", "--config", &config, "--name", "subject", "--header", "Subject", "block", "domain:example.net", "header", "regex", "(unclosed",
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("value"), "{}", String::from_utf8_lossy(&output.stderr));
    let output = sluice_cli(&["rule", "add", "--config", &config, "--name", "subject", "--header", "Subject", "block", "domain:example.net", "header", "contains", "hello"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let output = sluice_cli(&["rule", "show", "--config", &config, "--scope", "global"]);
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(shown.lines().count(), 1, "{shown}");
    let first: Value = serde_json::from_str(shown.lines().next().unwrap()).unwrap();
    let id = first["id"].as_i64().unwrap().to_string();

    // `sluice explain` shows the rule that decided, at RCPT and at DATA.
    let eml = sluice.dir.path().join("hello.eml");
    std::fs::write(&eml, message("hello", "Hi\r\n")).unwrap();
    let eml = eml.display().to_string();
    let output = sluice_cli(&["explain", "--config", &config, "--offline", "--helo", "client.example.org", "--from", "alice@example.org", "--rcpt", "bob@example.net", &eml]);
    let explained = String::from_utf8_lossy(&output.stdout);
    assert!(explained.contains("block-list / rule-helo (check rules") && explained.contains("greeting"), "{explained}");
    let output = sluice_cli(&["rule", "remove", "--config", &config, &id]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let output = sluice_cli(&["rule", "remove", "--config", &config, &id]);
    assert!(!output.status.success(), "removing twice fails");
    let output = sluice_cli(&["explain", "--config", &config, "--offline", "--helo", "client.example.org", "--from", "alice@example.org", "--rcpt", "bob@example.net", &eml]);
    let explained = String::from_utf8_lossy(&output.stdout);
    assert!(explained.contains("block-list / rule-header (check rules") && explained.contains("subject"), "{explained}");
}
