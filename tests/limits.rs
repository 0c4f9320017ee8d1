//! Inbound message rates and filtering turned off, against the real binary
//! with real SMTP clients (smtplib, and raw sockets from other loopback
//! networks) and the aiosmtpd sink:
//! - a mail bomb: the message past `inbound_messages_per_hour` to one
//!   recipient from one client network is deferred at RCPT (451 4.7.1) with
//!   one `spam` / `ratelimited` row, while other recipients, other networks
//!   and allow-listed clients pass;
//! - a bounce storm: `bounces_per_hour` per recipient from anywhere;
//! - the attacks on both: one mailbox spelled otherwise each time (case,
//!   quotes, `+tag`), many sub-addresses in one transaction, the null sender
//!   written with a space or parameters; and a filtered mailbox spelled
//!   otherwise beside an unfiltered one;
//! - `filtering = false` for a mailbox: GTUBE and badly formed spam are
//!   delivered unjudged (`unknown` / `disabled`), and a recipient with
//!   filtering on in the same transaction is deferred (`disparate-settings`).

mod support;

use std::time::Duration;

use serde_json::Value;
use support::{Sink, Sluice, SmtpLines, free_port, message, wait_for};

const FLOOD_REPLY: &str = "4.7.1 Too many messages for this recipient, please try again later";

/// One message from `source` to `recipient` in one session: the reply to
/// RCPT, then (when it was accepted) the reply to the end of DATA.
fn send_from(source: &str, port: u16, sender: &str, recipient: &str, body: &[u8]) -> Vec<String> {
    let mut client = SmtpLines::from(source, port);
    client.command("EHLO client.example.org");
    let mail = client.command(&format!("MAIL FROM:<{sender}>"));
    assert!(mail.starts_with("250"), "{mail}");
    let rcpt = client.command(&format!("RCPT TO:<{recipient}>"));
    if !rcpt.starts_with("250") {
        return vec![rcpt];
    }
    let go_ahead = client.command("DATA");
    assert!(go_ahead.starts_with("354"), "{go_ahead}");
    let mut data = body.to_vec();
    data.extend_from_slice(b"\r\n.\r\n");
    vec![rcpt, client.send(&data)]
}

fn rows(sluice: &Sluice, main: &str, sub: &str) -> Vec<Value> {
    sluice.logs().into_iter().filter(|row| row["main_class"] == main && row["sub_class"] == sub).collect()
}

/// The findings of one log row (`GET /api/v1/logs/{id}`).
fn findings(sluice: &Sluice, row: &Value) -> Vec<Value> {
    let (status, detail) = sluice.api("GET", &format!("/api/v1/logs/{}", row["id"]));
    assert_eq!(status, 200, "{detail}");
    detail["findings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_mail_bomb_is_deferred_at_rcpt_with_one_row_and_others_pass() {
    support::away_from_a_window_end(3600, 30);
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "[defaults]\ninbound_messages_per_hour = 3\n");
    let bomb: Vec<Vec<u8>> = (0..6).map(|number| message(&format!("bomb-{number}"), "You have won.\r\n")).collect();
    let bomb: Vec<&[u8]> = bomb.iter().map(Vec::as_slice).collect();
    let sent = sluice.send("alice@example.org", &["bob@example.net"], &bomb);
    for result in &sent[..3] {
        assert_eq!(result["code"], 250, "the first three of the hour: {sent:?}");
    }
    for result in &sent[3..] {
        assert_eq!((&result["code"], result["reply"].as_str()), (&Value::from(451), Some(FLOOD_REPLY)), "{sent:?}");
    }
    // Another recipient from the same client, and the same recipient from
    // another network (127.0.1.0/24), are counted on their own.
    let other = sluice.send("alice@example.org", &["carol@example.net"], &[&message("carol", "Hello.\r\n")]);
    assert_eq!(other[0]["code"], 250, "{other:?}");
    let elsewhere = send_from("127.0.1.2", sluice.smtp_port, "dave@example.org", "bob@example.net", &message("dave", "Hi.\r\n"));
    assert!(elsewhere.last().is_some_and(|reply| reply.starts_with("250 2.0.0")), "{elsewhere:?}");
    // The same /24 is one client network.
    let neighbour = send_from("127.0.0.9", sluice.smtp_port, "eve@example.org", "bob@example.net", &message("eve", "Hi.\r\n"));
    assert_eq!(neighbour.last().map(String::as_str), Some(format!("451 {FLOOD_REPLY}").as_str()), "{neighbour:?}");

    wait_for("the flood's row", Duration::from_secs(10), || !rows(&sluice, "spam", "ratelimited").is_empty());
    std::thread::sleep(Duration::from_millis(300));
    let limited = rows(&sluice, "spam", "ratelimited");
    assert_eq!(limited.len(), 1, "one row per network, recipient and hour, not one per refusal: {limited:?}");
    assert_eq!(limited[0]["reply"], format!("451 {FLOOD_REPLY}"));
    assert_eq!(limited[0]["extra_class"], "3 messages this hour from this network, limit 3");
    assert_eq!(limited[0]["recipients"], serde_json::json!(["bob@example.net"]));
    assert_eq!(findings(&sluice, &limited[0])[0]["reason"], "inbound-rate");

    // A client on the allow list is not counted against the limit.
    let (status, entry) = sluice.api_post("/api/v1/lists/allow", r#"{"scope": "global", "field": "ip", "value": "127.0.0.1"}"#);
    assert!(status < 300, "{status} {entry}");
    let mut allowed = Value::Null;
    wait_for("the allow entry to count", Duration::from_secs(15), || {
        allowed = sluice.send("alice@example.org", &["bob@example.net"], &[&message("allowed", "Hello again.\r\n")]).remove(0);
        allowed["code"] == 250
    });
    wait_for("six messages at the sink", Duration::from_secs(20), || sink.messages().len() == 6);
    assert_eq!(rows(&sluice, "spam", "ratelimited").len(), 1, "nothing more was logged");
}

#[test]
fn a_bounce_storm_is_deferred_per_recipient_from_anywhere() {
    support::away_from_a_window_end(3600, 30);
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "[defaults]\nbounces_per_hour = 2\n");
    let bounce = |subject: &str| message(subject, "Delivery to the following recipients failed.\r\n");
    for (source, subject) in [("127.0.0.1", "ndr-1"), ("127.0.2.1", "ndr-2")] {
        let accepted = send_from(source, sluice.smtp_port, "", "bob@example.net", &bounce(subject));
        assert!(accepted.last().is_some_and(|reply| reply.starts_with("250 2.0.0")), "{accepted:?}");
    }
    // The third from a third network, and a fourth from a fourth.
    for source in ["127.0.3.1", "127.0.4.1"] {
        let refused = send_from(source, sluice.smtp_port, "", "bob@example.net", &bounce("ndr-3"));
        assert_eq!(refused.last().map(String::as_str), Some(format!("451 {FLOOD_REPLY}").as_str()), "{refused:?}");
    }
    // Mail with a sender still passes, and so do bounces to another mailbox.
    let normal = send_from("127.0.3.1", sluice.smtp_port, "alice@example.org", "bob@example.net", &message("real", "Hi.\r\n"));
    assert!(normal.last().is_some_and(|reply| reply.starts_with("250 2.0.0")), "{normal:?}");
    let other = send_from("127.0.3.1", sluice.smtp_port, "", "carol@example.net", &bounce("ndr-carol"));
    assert!(other.last().is_some_and(|reply| reply.starts_with("250 2.0.0")), "{other:?}");

    wait_for("the storm's row", Duration::from_secs(10), || !rows(&sluice, "spam", "ratelimited").is_empty());
    std::thread::sleep(Duration::from_millis(300));
    let limited = rows(&sluice, "spam", "ratelimited");
    assert_eq!(limited.len(), 1, "one row per recipient and hour, from whatever network: {limited:?}");
    assert_eq!(limited[0]["extra_class"], "2 bounces this hour, limit 2");
    assert_eq!(limited[0]["sender"], "");
    assert_eq!(findings(&sluice, &limited[0])[0]["reason"], "bounce-rate");
    wait_for("four messages at the sink", Duration::from_secs(20), || sink.messages().len() == 4);
}

/// The attack on the mail bomb limit: the same mailbox spelled another way
/// each time (case, quoted, `+tag`), then many sub-addresses in one
/// transaction. Every spelling counts against the one mailbox; the
/// transaction's recipients past the limit are deferred and the others go on.
#[test]
fn a_mail_bomb_cannot_dodge_the_limit_by_spelling_the_mailbox_otherwise() {
    support::away_from_a_window_end(3600, 30);
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    // Quoted local parts are refused by default (`allowed_local_chars`): an
    // administrator who allows them must not open a way round the limit.
    let config = r#"[defaults]
inbound_messages_per_hour = 3
allowed_local_chars = ".-_+=\"\\"
"#;
    let sluice = Sluice::start(sink.port, config);
    let port = sluice.smtp_port;
    for (number, spelling) in ["bob@example.net", "Bob+win@example.net", "\"bob\"@EXAMPLE.net"].iter().enumerate() {
        let sent = send_from("127.0.0.1", port, "alice@example.org", spelling, &message(&format!("bomb-{number}"), "You have won.\r\n"));
        assert!(sent.last().is_some_and(|reply| reply.starts_with("250 2.0.0")), "{spelling}: {sent:?}");
    }
    for spelling in ["bob+2@example.net", "BOB@example.net", "\"bob+x\"@example.net", "\"b\\ob\"@example.net"] {
        let refused = send_from("127.0.0.1", port, "alice@example.org", spelling, &message("bomb", "You have won.\r\n"));
        assert_eq!(refused, [format!("451 {FLOOD_REPLY}")], "{spelling}");
    }
    // Another mailbox whose name starts alike is another mailbox.
    let bobby = send_from("127.0.0.1", port, "alice@example.org", "bobby@example.net", &message("bobby", "Hi.\r\n"));
    assert!(bobby.last().is_some_and(|reply| reply.starts_with("250 2.0.0")), "{bobby:?}");

    // From a fresh network: one transaction with five sub-addresses of
    // carol. The count was 0 at every RCPT, but the transaction's own
    // recipients count: three pass, two are deferred, another recipient and
    // the message itself go on.
    let mut client = SmtpLines::from("127.0.7.1", port);
    client.command("EHLO client.example.org");
    assert!(client.command("MAIL FROM:<alice@example.org>").starts_with("250"));
    let replies: Vec<String> = ["carol+1", "carol+2", "Carol+3", "carol+4", "carol", "dave"]
        .iter()
        .map(|local| client.command(&format!("RCPT TO:<{local}@example.net>")))
        .collect();
    let codes: Vec<&str> = replies.iter().map(|reply| &reply[..3]).collect();
    assert_eq!(codes, ["250", "250", "250", "451", "451", "250"], "{replies:?}");
    assert!(client.command("DATA").starts_with("354"));
    let mut data = message("carols", "Hi.\r\n");
    data.extend_from_slice(b"\r\n.\r\n");
    let accepted = client.send(&data);
    assert!(accepted.starts_with("250 2.0.0"), "{accepted}");
    drop(client);
    // The three were counted: carol from that network is at the limit now.
    let again = send_from("127.0.7.9", port, "alice@example.org", "carol@example.net", &message("again", "Hi.\r\n"));
    assert_eq!(again, [format!("451 {FLOOD_REPLY}")]);
    wait_for("five messages at the sink", Duration::from_secs(20), || sink.messages().len() == 5);
    let to: Vec<Value> = sink.messages().into_iter().map(|(_, envelope)| envelope["to"].clone()).collect();
    assert_eq!(to[4], serde_json::json!(["carol+1@example.net", "carol+2@example.net", "Carol+3@example.net", "dave@example.net"]), "{to:?}");
    // One refusal row per network and mailbox.
    wait_for("the rows", Duration::from_secs(10), || rows(&sluice, "spam", "ratelimited").len() == 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(rows(&sluice, "spam", "ratelimited").len(), 2);
}

/// A bounce is a bounce however the null sender is written: with a space
/// before it and with parameters after it.
#[test]
fn a_bounce_storm_is_counted_whatever_the_null_senders_spelling() {
    support::away_from_a_window_end(3600, 30);
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "[defaults]\nbounces_per_hour = 2\n");
    let bounce = |client: &mut SmtpLines, mail: &str, recipient: &str| {
        client.command("EHLO client.example.org");
        let accepted = client.command(mail);
        assert!(accepted.starts_with("250"), "{mail}: {accepted}");
        client.command(&format!("RCPT TO:<{recipient}>"))
    };
    let spellings = ["MAIL FROM: <>", "MAIL FROM:<> SIZE=300", "mail from:<> BODY=8BITMIME", "MAIL FROM:<>"];
    let mut replies = Vec::new();
    for (number, mail) in spellings.iter().enumerate() {
        let mut client = SmtpLines::from(&format!("127.0.{}.1", 10 + number), sluice.smtp_port);
        let rcpt = bounce(&mut client, mail, if number % 2 == 0 { "bob@example.net" } else { "Bob+ndr@example.net" });
        if rcpt.starts_with("250") {
            assert!(client.command("DATA").starts_with("354"));
            let mut data = message("ndr", "Delivery failed.\r\n");
            data.extend_from_slice(b"\r\n.\r\n");
            assert!(client.send(&data).starts_with("250 2.0.0"));
        }
        replies.push(rcpt);
    }
    let codes: Vec<&str> = replies.iter().map(|reply| &reply[..3]).collect();
    assert_eq!(codes, ["250", "250", "451", "451"], "{replies:?}");
    wait_for("two bounces at the sink", Duration::from_secs(20), || sink.messages().len() == 2);
}

#[test]
fn two_nodes_count_a_recipients_messages_together() {
    let Some(nodes) = support::two_nodes_with("[defaults]\ninbound_messages_per_hour = 2\n") else { return };
    support::away_from_a_window_end(3600, 30);
    let send = |node: &Sluice, subject: &str| node.send("alice@example.org", &["bob@example.net"], &[&message(subject, "Hi.\r\n")]).remove(0);
    assert_eq!(send(&nodes.a, "on a")["code"], 250);
    assert_eq!(send(&nodes.b, "on b")["code"], 250);
    // Each node has sent its count (one batch a second) and read the other's.
    std::thread::sleep(Duration::from_millis(2500));
    for node in [&nodes.a, &nodes.b] {
        let refused = send(node, "third");
        assert_eq!((&refused["code"], refused["reply"].as_str()), (&Value::from(451), Some(FLOOD_REPLY)), "two across the cluster");
    }
}

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

#[test]
fn a_mailbox_with_filtering_off_receives_spam_unjudged_and_cannot_share_a_transaction() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let (status, set) = sluice.api_send("PUT", "/api/v1/settings/mailboxes/abuse@example.net", r#"{"filtering": false}"#);
    assert_eq!((status, &set), (200, &serde_json::json!({"filtering": false})));

    // A spam sample with GTUBE, and one without a Date (badly formed):
    // filtered, both are refused; for abuse@ both are delivered.
    let gtube = message("Fwd: spam sample", &format!("{GTUBE}\r\n"));
    let undated = b"From: spammer@example.org\r\nTo: abuse@example.net\r\nSubject: cheap pills\r\n\r\nBuy now.\r\n".to_vec();
    let filtered = sluice.send("reporter@example.org", &["bob@example.net"], &[&gtube, &undated]);
    assert_eq!((&filtered[0]["code"], &filtered[1]["code"]), (&Value::from(550), &Value::from(550)), "{filtered:?}");
    let unfiltered = sluice.send("reporter@example.org", &["abuse@example.net"], &[&gtube, &undated]);
    assert_eq!((&unfiltered[0]["code"], &unfiltered[1]["code"]), (&Value::from(250), &Value::from(250)), "{unfiltered:?}");
    wait_for("two samples at the sink", Duration::from_secs(20), || sink.messages().len() == 2);
    for (raw, envelope) in sink.messages() {
        assert_eq!(envelope["to"], serde_json::json!(["abuse@example.net"]));
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("X-Sluice-Class: unknown/disabled\r\n"), "{text}");
        assert!(!text.contains("Authentication-Results: mx.test.example"), "nothing was checked: {text}");
    }
    let disabled = rows(&sluice, "unknown", "disabled");
    assert_eq!(disabled.len(), 2, "{disabled:?}");
    for row in &disabled {
        assert_eq!((row["reply"].as_str(), row["action"].as_str()), (Some("250 2.0.0 Message accepted for delivery"), Some("deliver")));
        let found = findings(&sluice, row);
        assert_eq!(found.len(), 1, "no content check ran: {found:?}");
    }

    // Filtering on and off in one transaction: the second recipient is
    // deferred, whichever comes first, and retries in its own transaction.
    for recipients in [["abuse@example.net", "bob@example.net"], ["bob@example.net", "abuse@example.net"]] {
        let sent = sluice.send("alice@example.org", &recipients, &[&message("both", "Hello.\r\n")]);
        assert_eq!(sent[0]["code"], 250, "{sent:?}");
        let refused = &sent[0]["refused"][recipients[1]];
        assert_eq!(refused[0], 451, "{sent:?}");
        assert!(refused[1].as_str().is_some_and(|text| text.starts_with("4.3.0 ")), "{sent:?}");
    }
    wait_for("the disparate rows", Duration::from_secs(10), || rows(&sluice, "unknown", "disparate-settings").len() == 2);
    wait_for("two more messages at the sink", Duration::from_secs(20), || sink.messages().len() == 4);
    let delivered: Vec<Value> = sink.messages().into_iter().map(|(_, envelope)| envelope["to"].clone()).collect();
    assert_eq!(delivered[2..].iter().filter(|to| **to == serde_json::json!(["bob@example.net"])).count(), 1, "{delivered:?}");

    // What protects the gateway still applies: relaying.
    let relay = sluice.send("alice@example.org", &["abuse@elsewhere.example"], &[&gtube]);
    assert_eq!(relay[0]["code"], 550, "{relay:?}");
}

/// The attack on `filtering = false`: a filtered mailbox spelled otherwise
/// (case, `+tag`) after the unfiltered one in the same transaction is still
/// filtered (deferred as disparate, so it gets its own transaction); only
/// the unfiltered mailbox itself, in any case, skips the content checks.
#[test]
fn filtering_off_cannot_be_borrowed_by_another_spelling_in_the_transaction() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let (status, _) = sluice.api_send("PUT", "/api/v1/settings/mailboxes/abuse@example.net", r#"{"filtering": false}"#);
    assert_eq!(status, 200);
    let gtube = message("Fwd: spam sample", &format!("{GTUBE}\r\n"));
    let sent = sluice.send("spammer@example.org", &["ABUSE@example.net", "Bob+x@example.net", "BOB@example.net"], &[&gtube]);
    assert_eq!(sent[0]["code"], 250, "{sent:?}");
    for filtered in ["Bob+x@example.net", "BOB@example.net"] {
        assert_eq!(sent[0]["refused"][filtered][0], 451, "{filtered}: {sent:?}");
    }
    // Sent to the filtered mailbox alone, GTUBE is refused whatever the spelling.
    for filtered in ["Bob+x@example.net", "bob@EXAMPLE.net"] {
        let alone = sluice.send("spammer@example.org", &[filtered], &[&gtube]);
        assert_eq!(alone[0]["code"], 550, "{filtered}: {alone:?}");
    }
    wait_for("the sample at the sink", Duration::from_secs(20), || sink.messages().len() == 1);
    std::thread::sleep(Duration::from_millis(500));
    let delivered = sink.messages();
    assert_eq!(delivered.len(), 1, "only abuse@ received it");
    assert_eq!(delivered[0].1["to"], serde_json::json!(["ABUSE@example.net"]));
}

#[test]
fn explain_shows_filtering_off_as_the_gateway_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("explain.toml");
    std::fs::write(
        &config,
        "hostname = \"mx.example.net\"\ndata_dir = \"/nonexistent/sluice\"\n[[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:25\"\nfiltering = false\n",
    )
    .unwrap();
    let file = dir.path().join("sample.eml");
    std::fs::write(&file, message("Fwd: spam sample", &format!("{GTUBE}\r\n"))).unwrap();
    // A greeting the HELO check refuses, and GTUBE: neither judges the mail.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["explain", "--config", &config.display().to_string(), "--offline", "--ip", "192.0.2.10", "--helo", "localhost"])
        .args(["--from", "reporter@example.org", "--rcpt", "abuse@example.net", &file.display().to_string()])
        .output()
        .expect("run sluice explain");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("no finding: 250 2.1.5 Recipient ok"), "{text}");
    assert!(text.contains("unknown / disabled (check filtering") && text.contains("<- decided"), "{text}");
    assert!(text.contains("spam / gtube"), "what the content checks would have found is shown: {text}");
    assert!(text.contains("verdict: unknown / disabled, deliver, \"250 2.0.0 Message accepted for delivery\""), "{text}");
}
