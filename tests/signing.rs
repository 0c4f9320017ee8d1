//! Signing outgoing mail end to end against the real binary: `sluice dkim
//! generate` prints a record that the test DNS then serves; an authenticated
//! user's message (Python smtplib, STARTTLS, AUTH PLAIN) reaches the smarthost
//! sink with a DKIM signature that mail-auth and dkimpy verify against that record and a
//! BATV-tagged envelope sender; bounces to our user come in on port 25 with a
//! valid tag (delivered to the untagged address) and without one (550).

mod support;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{Sink, Sluice, free_port, wait_for};

/// `sluice` with `args`; (exit success, stdout, stderr).
fn sluice_cli(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().expect("run sluice");
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn add_user(sluice: &Sluice, address: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["user", "add", "--config"])
        .arg(&sluice.config_path)
        .args(["--role", "user", address])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sluice user add");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "sluice user add: {}", String::from_utf8_lossy(&output.stderr));
}

/// Submits `message` as `user` over STARTTLS with AUTH PLAIN; the final code.
fn submit(port: u16, user: &str, password: &str, to: &str, message: &[u8]) -> i64 {
    let script = r#"
import smtplib, ssl, sys
host, port, user, password, to, path = sys.argv[1:7]
context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
with smtplib.SMTP(host, int(port), timeout=30) as client:
    client.ehlo("client.example.org"); client.starttls(context=context); client.ehlo("client.example.org")
    client.login(user, password)
    try:
        client.sendmail(user, [to], open(path, "rb").read()); print(250)
    except smtplib.SMTPResponseException as error:
        print(error.smtp_code)
    except smtplib.SMTPRecipientsRefused as error:
        print(list(error.recipients.values())[0][0])
"#;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), message).unwrap();
    let output = Command::new("python3")
        .args(["-c", script, "127.0.0.1", &port.to_string(), user, password, to])
        .arg(file.path())
        .output()
        .expect("run python3");
    assert!(output.status.success(), "submission failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(-1)
}

fn mail(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    let date = Command::new("date").arg("-R").output().map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned()).unwrap_or_default();
    format!(
        "From: Alice <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        free_port()
    )
    .into_bytes()
}

/// Splits `NAME IN TXT "..." "..."` (what `sluice dkim generate` prints) into
/// the name and the joined value, checking each string's length.
fn parse_record(line: &str) -> (String, String) {
    let mut fields = line.splitn(4, ' ');
    let (name, class, kind, strings) = (fields.next().unwrap(), fields.next().unwrap(), fields.next().unwrap(), fields.next().unwrap());
    assert_eq!((class, kind), ("IN", "TXT"), "{line}");
    let pieces: Vec<&str> = strings.split('"').skip(1).step_by(2).collect();
    assert!(pieces.iter().all(|piece| piece.len() <= 255), "{line}");
    (name.to_owned(), pieces.concat())
}

/// mail-auth's DKIM results for `message`, asking the test DNS at `dns`.
fn verify_dkim(dns: std::net::SocketAddr, message: &[u8]) -> Vec<mail_auth::DkimResult> {
    use mail_auth::hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut udp = ConnectionConfig::udp();
        udp.port = dns.port();
        let mut tcp = ConnectionConfig::tcp();
        tcp.port = dns.port();
        let server = NameServerConfig::new(IpAddr::V4(Ipv4Addr::LOCALHOST), true, vec![udp, tcp]);
        let authenticator =
            mail_auth::MessageAuthenticator::new(ResolverConfig::from_parts(None, vec![], vec![server]), ResolverOpts::default())
                .expect("authenticator");
        let parsed = mail_auth::AuthenticatedMessage::parse(message).expect("parses");
        authenticator.verify_dkim(&parsed).await.into_iter().map(|output| output.result().clone()).collect()
    })
}

/// dkimpy's verdict on `message` with `value` as the TXT record of `name`: a
/// second verifier, independent of the mail-auth that signed.
fn dkimpy_verifies(message: &[u8], name: &str, value: &str) -> bool {
    let script = r#"
import sys, dkim
message, name, value = open(sys.argv[1], "rb").read(), sys.argv[2].encode(), sys.argv[3].encode()
def dnsfunc(query, timeout=5):
    return value if query.rstrip(b".").lower() == name.lower() else None
print("pass" if dkim.verify(message, dnsfunc=dnsfunc) else "fail")
"#;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), message).unwrap();
    let output = Command::new("/usr/bin/python3").args(["-c", script]).arg(file.path()).args([name, value]).output().expect("run python3");
    assert!(output.status.success(), "dkimpy (python3-dkim) failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim() == "pass"
}

fn rows_with(sluice: &Sluice, sub_class: &str) -> Vec<Value> {
    sluice.logs().into_iter().filter(|row| row["sub_class"] == sub_class).collect()
}

#[test]
fn outgoing_mail_is_dkim_signed_and_batv_tagged_and_bounces_are_judged_by_their_tag() {
    let (smarthost_dir, domain_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let smarthost = Sink::start(free_port(), smarthost_dir.path());
    let domain_sink = Sink::start(free_port(), domain_dir.path());
    let extra = format!("[outgoing]\nsmarthost = \"127.0.0.1:{}\"\n", smarthost.port);
    let tail = format!("\n[[domains]]\nname = \"example.test\"\ndestination = \"127.0.0.1:{}\"\nbatv = true\n", domain_sink.port);
    let sluice = Sluice::start_with(None, domain_sink.port, &extra, &tail);
    add_user(&sluice, "alice@example.test", "alice-secret");
    let config = sluice.config_path.to_str().unwrap();

    // The key: only a configured domain; the record in the contract's form.
    let (ok, _, error) = sluice_cli(&["dkim", "generate", "--config", config, "--domain", "elsewhere.example"]);
    assert!(!ok && error.contains("not configured"), "{error}");
    let (ok, printed, error) = sluice_cli(&["dkim", "generate", "--config", config, "--domain", "example.test"]);
    assert!(ok, "{error}");
    let line = printed.trim();
    assert_eq!(printed.lines().count(), 1, "{printed}");
    let (name, value) = parse_record(line);
    assert!(name.starts_with('s') && name.ends_with("._domainkey.example.test"), "{line}");
    assert!(value.starts_with("v=DKIM1; k=rsa; p=MIIB"), "{line}");
    assert!(line.matches('"').count() >= 4, "a 2048-bit key's record needs two strings: {line}");
    sluice.dns.add(&name, "TXT", &value);

    // An authenticated message to the world: signed, tagged, at the smarthost.
    let sent = mail("alice@example.test", "friend@elsewhere.example", "Lunch", "Shall we meet at noon? Alice");
    assert_eq!(submit(sluice.submission_port, "alice@example.test", "alice-secret", "friend@elsewhere.example", &sent), 250);
    wait_for("the smarthost to get the message", Duration::from_secs(20), || smarthost.messages().len() == 1);
    let (raw, envelope) = &smarthost.messages()[0];
    let tagged = envelope["from"].as_str().unwrap().to_owned();
    assert!(tagged.starts_with("prvs=0") && tagged.ends_with("=alice@example.test"), "{envelope}");
    assert_eq!(tagged.len(), "prvs=0DDDSSSSSS=alice@example.test".len(), "{tagged}");
    assert!(raw.starts_with(b"DKIM-Signature: v=1; a=rsa-sha256;"), "{}", String::from_utf8_lossy(&raw[..200.min(raw.len())]));
    assert_eq!(verify_dkim(sluice.dns.address(), raw), [mail_auth::DkimResult::Pass]);
    assert!(dkimpy_verifies(raw, &name, &value), "dkimpy disagrees:\n{}", String::from_utf8_lossy(raw));
    // The signature is over what left: a changed byte fails it.
    let mut changed = raw.clone();
    let last = changed.len() - 3;
    changed[last] ^= 1;
    assert_ne!(verify_dkim(sluice.dns.address(), &changed), [mail_auth::DkimResult::Pass]);
    assert!(!dkimpy_verifies(&changed, &name, &value));

    // An Ed25519 key signs beside the RSA one (RFC 8463: many receivers know only RSA).
    let (ok, printed, error) = sluice_cli(&["dkim", "generate", "--config", config, "--domain", "example.test", "--algorithm", "ed25519", "--selector", "ed"]);
    assert!(ok, "{error}");
    let (ed_name, ed_value) = parse_record(printed.trim());
    sluice.dns.add(&ed_name, "TXT", &ed_value);
    let again = mail("alice@example.test", "friend@elsewhere.example", "Lunch again", "Or at one? Alice");
    assert_eq!(submit(sluice.submission_port, "alice@example.test", "alice-secret", "friend@elsewhere.example", &again), 250);
    wait_for("the smarthost to get the second message", Duration::from_secs(20), || smarthost.messages().len() == 2);
    let (raw, _) = &smarthost.messages()[1];
    assert_eq!(String::from_utf8_lossy(raw).matches("DKIM-Signature:").count(), 2);
    assert_eq!(verify_dkim(sluice.dns.address(), raw), [mail_auth::DkimResult::Pass, mail_auth::DkimResult::Pass]);
    assert!(dkimpy_verifies(raw, &name, &value), "the RSA signature comes first, for verifiers that read one");

    // A bounce to the tag we sent: not-spam / batv, delivered to alice herself.
    let bounce = |to: &str| {
        let date = Command::new("date").arg("-R").output().map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned()).unwrap_or_default();
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@elsewhere.example>\r\nTo: <{to}>\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: {date}\r\nMessage-ID: <{}@elsewhere.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYour message to friend@elsewhere.example could not be delivered.\r\n",
            free_port()
        )
        .into_bytes()
    };
    let answered = sluice.send("", &[&tagged], &[&bounce(&tagged)]);
    assert_eq!(answered[0]["code"], 250, "{answered:?}\n{}", sluice.log());
    wait_for("the domain to get the bounce", Duration::from_secs(20), || domain_sink.messages().len() == 1);
    let (_, delivered) = &domain_sink.messages()[0];
    assert_eq!(delivered["from"], "<>", "{delivered}");
    assert_eq!(delivered["to"], serde_json::json!(["alice@example.test"]), "{delivered}");
    let valid = rows_with(&sluice, "batv");
    assert_eq!(valid.len(), 1, "{valid:?}");
    assert_eq!((valid[0]["main_class"].as_str(), valid[0]["extra_class"].as_str()), (Some("not-spam"), Some(tagged.as_str())));
    assert_eq!(valid[0]["recipients"], serde_json::json!(["alice@example.test"]));
    // The tag in any case: still ours.
    let shouted = tagged.to_ascii_uppercase();
    assert_eq!(sluice.send("", &[&shouted], &[&bounce(&shouted)])[0]["code"], 250);

    // Backscatter: no tag, a tag for another address, garbage: refused at RCPT.
    let forged = tagged.replace("=alice@", "=bob@");
    for to in ["alice@example.test", forged.as_str(), "prvs==alice@example.test"] {
        let answered = sluice.send("", &[to], &[&bounce(to)]);
        assert_eq!(answered[0]["code"], 550, "{to}: {answered:?}");
        assert_eq!(answered[0]["reply"], "5.7.1 Bounce to an address that sent no mail (BATV)", "{to}");
    }
    let refused: Vec<Value> = rows_with(&sluice, "batv").into_iter().filter(|row| row["main_class"] == "spam").collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(refused.iter().all(|row| row["action"] == "reject" && row["quarantine_id"].is_null()), "{refused:?}");
    // `sluice explain` reads a bounce's recipient as the gateway does.
    let bounce_file = sluice.dir.path().join("bounce.eml");
    std::fs::write(&bounce_file, bounce(&tagged)).unwrap();
    let explain = |to: &str| {
        let (ok, printed, error) =
            sluice_cli(&["explain", "--config", config, "--offline", "--from", "", "--rcpt", to, bounce_file.to_str().unwrap()]);
        assert!(ok, "{error}");
        printed
    };
    let valid = explain(&tagged);
    assert!(valid.contains("not-spam / batv") && valid.contains("judged as <alice@example.test>"), "{valid}");
    let untagged = explain("alice@example.test");
    assert!(untagged.contains("spam / batv") && untagged.contains("550 5.7.1 Bounce to an address that sent no mail (BATV)"), "{untagged}");
    // Mail with a sender to the same address is not a bounce: BATV does not judge it.
    assert_eq!(sluice.send("carol@elsewhere.example", &["alice@example.test"], &[&mail("carol@elsewhere.example", "alice@example.test", "Hi", "Hello")])[0]["code"], 250);
    // A reply to the tagged envelope sender (an auto-responder's, say) goes to alice too.
    let reply = mail("carol@elsewhere.example", &tagged, "Re: Lunch", "Noon is fine.");
    assert_eq!(sluice.send("carol@elsewhere.example", &[&tagged], &[&reply])[0]["code"], 250);
    wait_for("the domain to get two bounces and two messages", Duration::from_secs(20), || domain_sink.messages().len() == 4);
    assert!(domain_sink.messages().iter().all(|(_, envelope)| envelope["to"][0].as_str().unwrap().eq_ignore_ascii_case("alice@example.test")));

    // The admin's allow entry outranks BATV, as it outranks every content finding.
    let entry = serde_json::json!({"scope": "domain:example.test", "field": "ip", "value": "127.0.0.1"});
    assert_eq!(sluice.api_post("/api/v1/lists/allow", &entry.to_string()).0, 201);
    let answered = sluice.send("", &["alice@example.test"], &[&bounce("alice@example.test")]);
    assert_eq!(answered[0]["code"], 250, "{answered:?}");
    assert_eq!(sluice.logs().iter().max_by_key(|row| row["id"].as_i64()).unwrap()["main_class"], "allow-list");
    wait_for("the allowed bounce delivered", Duration::from_secs(20), || domain_sink.messages().len() == 5);
}

#[test]
fn dkim_keys_are_listed_and_removed_and_ed25519_records_fit_one_string() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start_with(None, sink.port, "", "");
    let config = sluice.config_path.to_str().unwrap();
    let (ok, printed, error) =
        sluice_cli(&["dkim", "generate", "--config", config, "--domain", "EXAMPLE.net", "--algorithm", "ed25519", "--selector", "ed1"]);
    assert!(ok, "{error}");
    assert!(printed.starts_with("ed1._domainkey.example.net IN TXT \"v=DKIM1; k=ed25519; p="), "{printed}");
    assert_eq!(printed.matches('"').count(), 2, "{printed}");
    let (ok, _, error) = sluice_cli(&["dkim", "generate", "--config", config, "--domain", "example.net", "--selector", "ed1"]);
    assert!(!ok && error.contains("already has a key with selector"), "{error}");
    let (ok, _, error) = sluice_cli(&["dkim", "generate", "--config", config, "--domain", "example.net", "--algorithm", "dsa"]);
    assert!(!ok && error.contains("expected rsa or ed25519"), "{error}");
    let (ok, listed, _) = sluice_cli(&["dkim", "list", "--config", config]);
    assert!(ok);
    let keys: Vec<Value> = listed.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(keys.len(), 1, "{listed}");
    assert_eq!((keys[0]["selector"].as_str(), keys[0]["signing"].as_bool()), (Some("ed1"), Some(true)));
    assert!(printed.contains(keys[0]["record"].as_str().unwrap()), "{listed}");
    let (ok, _, error) = sluice_cli(&["dkim", "remove", "--config", config, "--domain", "example.net", "--selector", "ed1"]);
    assert!(ok, "{error}");
    let (ok, _, error) = sluice_cli(&["dkim", "remove", "--config", config, "--domain", "example.net", "--selector", "ed1"]);
    assert!(!ok && error.contains("has no key"), "{error}");
}

/// Two nodes on one PostgreSQL store: a tag one node made is valid at the other,
/// and the key made through one node's configuration signs at both.
#[test]
fn nodes_sharing_a_store_share_the_batv_secret_and_the_dkim_key() {
    let smarthost_dir = tempfile::tempdir().unwrap();
    let smarthost = Sink::start(free_port(), smarthost_dir.path());
    let extra = format!("[outgoing]\nsmarthost = \"127.0.0.1:{}\"\n[defaults]\nbatv = true\n", smarthost.port);
    let Some(nodes) = support::two_nodes_with(&extra) else { return };
    let (a, b, sink) = (&nodes.a, &nodes.b, &nodes.sink);
    add_user(a, "alice@example.net", "alice-secret");
    let (ok, printed, error) = sluice_cli(&["dkim", "generate", "--config", b.config_path.to_str().unwrap(), "--domain", "example.net"]);
    assert!(ok, "{error}");
    let (name, value) = parse_record(printed.trim());
    for node in [a, b] {
        node.dns.add(&name, "TXT", &value);
    }
    let sent = mail("alice@example.net", "friend@elsewhere.example", "From node a", "Hello from a.");
    assert_eq!(submit(a.submission_port, "alice@example.net", "alice-secret", "friend@elsewhere.example", &sent), 250);
    wait_for("the smarthost to get the message", Duration::from_secs(20), || smarthost.messages().len() == 1);
    let (raw, envelope) = &smarthost.messages()[0];
    assert_eq!(verify_dkim(a.dns.address(), raw), [mail_auth::DkimResult::Pass]);
    let tagged = envelope["from"].as_str().unwrap().to_owned();
    assert!(tagged.starts_with("prvs="), "{envelope}");
    // The bounce comes back to either node.
    for node in [b, a] {
        let bounce = mail("MAILER-DAEMON@elsewhere.example", &tagged, "Undelivered Mail Returned to Sender", "Could not deliver.");
        assert_eq!(node.send("", &[&tagged], &[&bounce])[0]["code"], 250, "{}", node.log());
        assert_eq!(node.send("", &["alice@example.net"], &[&bounce])[0]["code"], 550);
    }
    wait_for("both bounces delivered", Duration::from_secs(20), || sink.messages().len() == 2);
    assert!(sink.messages().iter().all(|(_, envelope)| envelope["to"] == serde_json::json!(["alice@example.net"])));
}
