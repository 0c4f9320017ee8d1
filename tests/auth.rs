//! Sender authentication end to end, through SMTP against the real binary and a
//! real DNS server (`sluice-testdns`) serving the senders' records: SPF fail is
//! refused with 550 5.7.23 and quarantined; DMARC reject is refused and not
//! quarantined, and an allow-listed client does not bypass it; DMARC quarantine
//! keeps a copy; a trusted ARC sealer rescues a mailing-list message; a sender
//! domain without MX or address is refused at RCPT and a SERVFAIL defers it with
//! an `error / verification-fail` row; every delivered message carries our
//! Authentication-Results header and none forged with our name; an SPF pass
//! authenticates the sender for allow-list sender entries and `s_addr_spf`
//! rules.

mod support;

use std::time::Duration;

use mail_auth::arc::ArcSealer;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::{ArcOutput, AuthenticatedMessage, AuthenticationResults, DmarcOutput, DmarcResult};
use serde_json::{Value, json};
use support::{Sink, Sluice, free_port, raw_smtp, wait_for};

/// One SMTP transaction from 127.0.0.1 and its transcript.
fn transact(port: u16, sender: &str, recipient: &str, data: &[u8]) -> String {
    let envelope = format!("EHLO client.example.org\r\nMAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\n");
    let mut body = data.to_vec();
    body.extend_from_slice(b".\r\n");
    raw_smtp(port, &[envelope.as_bytes(), b"DATA\r\n", &body, b"QUIT\r\n"], Duration::from_millis(400))
}

fn mail(from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: bob@example.net\r\nSubject: {subject}\r\nDate: {}\r\nMessage-ID: <{}@test>\r\n\r\nHello Bob,\r\n\r\nthe minutes of Tuesday are attached.\r\n",
        time_now(),
        free_port()
    )
    .into_bytes()
}

fn time_now() -> String {
    let output = std::process::Command::new("date").arg("-R").output().expect("date");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn class(row: &Value) -> (&str, &str) {
    (row["main_class"].as_str().unwrap_or_default(), row["sub_class"].as_str().unwrap_or_default())
}

fn quarantined(sluice: &Sluice) -> usize {
    let (status, body) = sluice.api("GET", "/api/v1/quarantine?limit=100");
    assert_eq!(status, 200);
    body["items"].as_array().map_or(0, Vec::len)
}

#[test]
fn spf_fail_is_refused_550_5_7_23_and_quarantined() {
    let sluice = Sluice::start(free_port(), "");
    sluice.dns.add("forged.example", "TXT", "v=spf1 ip4:192.0.2.1 -all exp=why.forged.example");
    sluice.dns.add("why.forged.example", "TXT", "%{i} may not send for %{d}");
    let reply = transact(sluice.smtp_port, "ceo@forged.example", "bob@example.net", &mail("ceo@forged.example", "invoice"));
    assert!(reply.contains("550 5.7.23 SPF validation failed"), "{reply}");
    let row = sluice.newest_row();
    assert_eq!(class(&row), ("phish", "spf"), "{row}");
    assert_eq!(row["extra_class"], "forged.example: 127.0.0.1 may not send for forged.example", "{row}");
    assert_eq!(quarantined(&sluice), 1, "the spec keeps a copy of an SPF failure");
    let lookups = row["lookups"].as_array().expect("lookups logged");
    assert!(lookups.iter().any(|lookup| lookup["what"] == "SPF mail-from forged.example" && lookup["outcome"] == "fail"), "{row}");

    // The sender's DNS fails: SPF temperror, 451 after the final dot (the
    // default `auth_temperror = "defer"`) and an error row, never a silent accept.
    sluice.dns.fail("flaky.example");
    let reply = transact(sluice.smtp_port, "ceo@flaky.example", "bob@example.net", &mail("ceo@flaky.example", "invoice"));
    assert!(reply.contains("250 2.1.5 Recipient ok") && reply.contains("451 4.3.0"), "{reply}");
    let row = sluice.newest_row();
    assert_eq!((class(&row), row["error_class"].as_str()), (("error", "verification-fail"), Some("verification-fail")), "{row}");

    // softfail is evidence only: delivered (the destination is down here, so
    // the row is what counts), with the result in the log.
    sluice.dns.add("soft.example", "TXT", "v=spf1 ip4:192.0.2.1 ~all");
    let reply = transact(sluice.smtp_port, "ceo@soft.example", "bob@example.net", &mail("ceo@soft.example", "hi"));
    assert!(reply.contains("250 2.0.0"), "{reply}");
    let row = sluice.newest_row();
    let lookups = row["lookups"].as_array().expect("lookups logged");
    assert!(lookups.iter().any(|lookup| lookup["what"] == "SPF mail-from soft.example" && lookup["outcome"] == "softfail"), "{row}");
}

#[test]
fn dmarc_reject_is_not_quarantined_and_not_bypassed_by_an_allow_list() {
    let sluice = Sluice::start(free_port(), "");
    sluice.dns.add("_dmarc.bank.example", "TXT", "v=DMARC1; p=reject; rua=mailto:dmarc@bank.example");
    sluice.dns.add("_dmarc.shop.example", "TXT", "v=DMARC1; p=quarantine");
    // The client and the sender are allow-listed: the content checks are
    // skipped, DMARC is not.
    let (status, body) = sluice.api_post("/api/v1/lists/allow", &json!({"scope": "global", "field": "ip", "value": "127.0.0.0/8"}).to_string());
    assert_eq!(status, 201, "{body}");
    let sender = json!({"scope": "global", "field": "sender", "value": "*.bank.example", "unauthenticated": true});
    let (status, body) = sluice.api_post("/api/v1/lists/allow", &sender.to_string());
    assert_eq!(status, 201, "{body}");

    let reply = transact(sluice.smtp_port, "bounce@mailer.example", "bob@example.net", &mail("\"Bank\" <ceo@Mail.Bank.Example>", "reset your password"));
    assert!(reply.contains("550 5.7.1 Rejected by the sender domain's DMARC policy"), "{reply}");
    let row = sluice.newest_row();
    assert_eq!(class(&row), ("phish", "dmarc-reject"), "{row}");
    assert_eq!(row["extra_class"], "mail.bank.example p=reject pct=100", "sp= defaults to p for a subdomain: {row}");
    let findings = row["findings"].as_array().expect("findings");
    let allowed: Vec<&str> = findings.iter().filter(|finding| finding["main_class"] == "allow-list").filter_map(|finding| finding["sub_class"].as_str()).collect();
    assert!(allowed.contains(&"sender"), "the allow entries matched, and lost: {row}");
    assert_eq!(quarantined(&sluice), 0, "DMARC reject keeps no copy");

    let reply = transact(sluice.smtp_port, "bounce@mailer.example", "bob@example.net", &mail("orders@shop.example", "your order"));
    assert!(reply.contains("550 5.7.1 Quarantined by the sender domain's DMARC policy"), "{reply}");
    assert_eq!(class(&sluice.newest_row()), ("phish", "dmarc-quarantine"));
    assert_eq!(quarantined(&sluice), 1);

    // `sluice explain` gathers the same facts through the configured resolver.
    let file = sluice.dir.path().join("forged.eml");
    std::fs::write(&file, mail("ceo@bank.example", "reset your password")).unwrap();
    let config = sluice.config_path.to_string_lossy().into_owned();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["explain", "--config", &config, "--ip", "127.0.0.1", "--helo", "client.example.org", "--from", "bounce@mailer.example"])
        .args(["--rcpt", "bob@example.net", &file.to_string_lossy()])
        .output()
        .expect("run sluice explain");
    let explained = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(explained.contains("TXT _dmarc.bank.example answer"), "{explained}");
    assert!(explained.contains("phish / dmarc-reject") && explained.contains("550 5.7.1"), "{explained}");

    // An aligned SPF pass is a DMARC pass.
    sluice.dns.add("bank.example", "TXT", "v=spf1 ip4:127.0.0.1 -all");
    let reply = transact(sluice.smtp_port, "bounce@bank.example", "bob@example.net", &mail("ceo@mail.bank.example", "statement"));
    assert!(reply.contains("250 2.0.0"), "{reply}");
}

/// Standard base64, for the key record (no dependency for 10 lines).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `message` as the list `lists.example.org` passes it on: ARC-sealed (i=1)
/// with an ARC-Authentication-Results saying the author's DMARC passed there.
fn sealed_by_the_list(message: &str, key: Ed25519Key) -> String {
    let parsed = AuthenticatedMessage::parse(message.as_bytes()).expect("a message");
    let results = AuthenticationResults::new("lists.example.org")
        .with_dmarc_result(&DmarcOutput::new("bank.example".to_owned()).with_dkim_result(DmarcResult::Pass));
    let set = ArcSealer::from_key(key)
        .domain("lists.example.org")
        .selector("arc")
        .headers(["From", "To", "Subject"])
        .seal(&parsed, &results, &ArcOutput::default())
        .expect("sealed");
    format!("{}{message}", set.to_header())
}

#[test]
fn a_trusted_arc_sealer_rescues_a_list_message_and_every_delivery_has_our_results() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "[auth]\ntrusted_arc_sealers = [\"lists.example.org\"]\n");
    let pkcs8 = Ed25519Key::generate_pkcs8().expect("a key");
    let key = Ed25519Key::from_pkcs8_der(&pkcs8).expect("a key");
    sluice.dns.add("arc._domainkey.lists.example.org", "TXT", &format!("v=DKIM1; k=ed25519; p={}", base64(&key.public_key())));
    sluice.dns.add("_dmarc.bank.example", "TXT", "v=DMARC1; p=reject");
    sluice.dns.add("lists.example.org", "TXT", "v=spf1 ip4:127.0.0.1 -all");

    // The list's copy: the author's domain rejects unaligned mail, the list's
    // envelope is its own, and a forged result claims our name.
    let original = String::from_utf8(mail("alice@bank.example", "[members] agenda")).unwrap();
    let forged = "Authentication-Results: mx.test.example; dmarc=pass header.from=bank.example\r\n";
    let sealed = sealed_by_the_list(&format!("{forged}{original}"), key);
    let reply = transact(sluice.smtp_port, "members-bounces@lists.example.org", "bob@example.net", sealed.as_bytes());
    assert!(reply.contains("250 2.0.0"), "{reply}\n{}", sluice.log());
    wait_for("delivery", Duration::from_secs(20), || !sink.messages().is_empty());
    let (delivered, _) = sink.messages().remove(0);
    let delivered = String::from_utf8_lossy(&delivered).into_owned();
    assert!(!delivered.contains(forged), "the forged result is removed:\n{delivered}");
    let ours = delivered.find("Authentication-Results: mx.test.example;").expect("our results");
    assert!(delivered[..ours].starts_with("Received: from client.example.org"), "right under our Received:\n{delivered}");
    for expected in [
        "spf=pass smtp.mailfrom=lists.example.org",
        "dkim=none",
        "dmarc=fail (p=reject pct=100) (overridden: trusted ARC sealer lists.example.org reported dmarc=pass) header.from=bank.example",
        "arc=pass (i=1 lists.example.org)",
    ] {
        assert!(delivered.contains(expected), "{expected}:\n{delivered}");
    }
    assert!(delivered.contains("ARC-Seal: i=1;"), "the message itself is unchanged");

    // The same copy sealed by a list nobody trusts is refused.
    let pkcs8 = Ed25519Key::generate_pkcs8().expect("a key");
    let other = Ed25519Key::from_pkcs8_der(&pkcs8).expect("a key");
    let untrusted = sealed_by_the_list(&original, other).replace("d=lists.example.org", "d=lists.example.net");
    let reply = transact(sluice.smtp_port, "members-bounces@lists.example.org", "bob@example.net", untrusted.as_bytes());
    assert!(reply.contains("550 5.7.1 Rejected by the sender domain's DMARC policy"), "{reply}");
}

#[test]
fn sender_domains_without_records_are_refused_and_dns_failures_deferred() {
    let sluice = Sluice::start_with(None, free_port(), "", "verify_senders = true\n");
    sluice.dns.add("good.example", "MX", "10 mx.good.example");
    sluice.dns.add("bare.example", "A", "192.0.2.7");
    sluice.dns.add("nomx.example", "TXT", "v=spf1 -all");
    sluice.dns.fail("broken.example");
    let port = sluice.smtp_port;
    let message = mail("someone@example.org", "hello");

    for accepted in ["a@good.example", "a@bare.example", ""] {
        let reply = transact(port, accepted, "bob@example.net", &message);
        assert!(reply.contains("250 2.1.5 Recipient ok"), "{accepted}: {reply}");
    }
    for missing in ["a@nowhere.example", "a@nomx.example"] {
        let reply = transact(port, missing, "bob@example.net", &message);
        assert!(reply.contains("550 5.1.8 Sending server is missing DNS records"), "{missing}: {reply}");
        let row = sluice.newest_row();
        assert_eq!(class(&row), ("unknown", "sender-verification"));
        let domain = missing.trim_start_matches("a@");
        let lookups = row["lookups"].as_array().expect("lookups");
        // nomx.example exists (it has a TXT record): its MX answer is empty.
        let outcome = if domain == "nomx.example" { "answer" } else { "not-found" };
        assert!(lookups.iter().any(|lookup| lookup["what"] == format!("MX {domain}") && lookup["outcome"] == outcome), "{row}");
    }
    let reply = transact(port, "a@broken.example", "bob@example.net", &message);
    assert!(reply.contains("451 4.3.0"), "{reply}");
    let row = sluice.newest_row();
    assert_eq!((class(&row), row["error_class"].as_str()), (("error", "verification-fail"), Some("verification-fail")), "{row}");
}

#[test]
fn an_spf_pass_authenticates_the_sender_for_allow_entries_and_spf_rules() {
    const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
    let sluice = Sluice::start(free_port(), "");
    sluice.dns.add("partner.example", "TXT", "v=spf1 ip4:127.0.0.0/8 -all");
    sluice.dns.add("stranger.example", "TXT", "v=spf1 ip4:192.0.2.0/24 ?all");
    let (status, body) = sluice.api_post("/api/v1/lists/allow", &json!({"scope": "global", "field": "sender", "value": "partner.example"}).to_string());
    assert_eq!(status, 201, "{body}");
    let partner_entry = body["id"].clone();
    let spam = |from: &str| {
        let mut message = mail(from, "test");
        message.extend_from_slice(format!("{GTUBE}\r\n").as_bytes());
        message
    };
    let reply = transact(sluice.smtp_port, "news@partner.example", "bob@example.net", &spam("news@partner.example"));
    assert!(reply.contains("250 2.0.0"), "SPF passed: the allow entry applies: {reply}");
    assert_eq!(class(&sluice.newest_row()), ("allow-list", "sender"));
    let (status, body) = sluice.api_post("/api/v1/lists/allow", &json!({"scope": "global", "field": "sender", "value": "stranger.example"}).to_string());
    assert_eq!(status, 201, "{body}");
    let reply = transact(sluice.smtp_port, "news@stranger.example", "bob@example.net", &spam("news@stranger.example"));
    assert!(reply.contains("550 5.7.1"), "SPF neutral authenticates nothing: {reply}");
    assert_eq!(class(&sluice.newest_row()), ("spam", "gtube"));

    // The allow entry would outrank any block rule: remove it first.
    let (status, _) = sluice.api("DELETE", &format!("/api/v1/lists/allow/{partner_entry}"));
    assert_eq!(status, 204);
    let rule = json!({"name": "partner by SPF", "scope": "global", "field": "s_addr_spf", "operator": "ends_with", "value": "@partner.example", "action": "block"});
    let (status, body) = sluice.api_post("/api/v1/rules", &rule.to_string());
    assert_eq!(status, 201, "{body}");
    let reply = transact(sluice.smtp_port, "news@partner.example", "bob@example.net", &mail("news@partner.example", "hello"));
    assert!(reply.contains("550 5.7.1"), "{reply}");
    let row = sluice.newest_row();
    assert_eq!((class(&row), row["extra_class"].as_str()), (("block-list", "rule-s_addr_spf"), Some("partner by SPF")), "{row}");
}
