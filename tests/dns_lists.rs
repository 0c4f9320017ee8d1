//! The DNS lists end to end: the real binary, pointed at the in-process test DNS
//! server (`crates/testdns`), judged through SMTP. Block lists at RCPT and after
//! the final dot with weights, an allow list, a URL block list, hash block lists
//! (a listed Reply-To and a listed attachment: `spam` / `pattern-remote`), the client's
//! forward-confirmed name in our `Received:` header, the cache, and what happens
//! when the DNS is down or slow (the block lists list nothing; the lookups are in
//! the log row; the reply comes within the deadline), and when a list's server
//! is hostile (garbage, spoofed answers, answers for another name, cut short,
//! dribbled, CNAME loops, 64 KB of records: `crates/testdns/src/raw.rs`).
//!
//! The client is always 127.0.0.1: its entry in a list is `1.0.0.127.<zone>`.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde_json::Value;
use sluice_testdns::raw::{RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_CNAME, wire_name};
use sluice_testdns::{Behaviour, RawDns, RawQuery, RawRecord, RawReply, TestDns};
use support::{Sink, Sluice, free_port, message};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// A gateway asking `dns`, with `lists` (TOML tables) and `domain` keys for
/// `example.net`; `timeout` is `[dns] timeout`. Sender authentication asks the
/// same server: a failing SPF or DMARC lookup is judged without its result
/// (`auth_temperror = "accept"`), so these tests see the lists alone.
fn start(dns: &TestDns, sink_port: u16, timeout: &str, lists: &str, domain: &str) -> Sluice {
    start_at(dns.address(), sink_port, timeout, lists, domain)
}

/// [`start`] with the resolver at `resolver`.
fn start_at(resolver: std::net::SocketAddr, sink_port: u16, timeout: &str, lists: &str, domain: &str) -> Sluice {
    let extra = format!(
        "[dns]\nresolver = \"{resolver}\"\ntimeout = \"{timeout}\"\n{lists}[defaults]\nauth_temperror = \"accept\"\n"
    );
    Sluice::start_with(None, sink_port, &extra, domain)
}

/// One SMTP transaction (EHLO, MAIL, one RCPT, DATA, QUIT), one command at a
/// time: the transcript, and how long the RCPT and the final dot waited for
/// their replies.
fn transact(port: u16, data: &[u8]) -> String {
    timed_transaction(port, data).0
}

fn timed_transaction(port: u16, data: &[u8]) -> (String, Duration, Duration) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut transcript = String::new();
    fn reply(reader: &mut BufReader<TcpStream>, transcript: &mut String) {
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            transcript.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return;
            }
        }
    }
    let command = |stream: &mut TcpStream, reader: &mut BufReader<TcpStream>, transcript: &mut String, bytes: &[u8]| {
        stream.write_all(bytes).unwrap();
        let started = Instant::now();
        reply(reader, transcript);
        started.elapsed()
    };
    reply(&mut reader, &mut transcript);
    command(&mut stream, &mut reader, &mut transcript, b"EHLO client.example.org\r\n");
    command(&mut stream, &mut reader, &mut transcript, b"MAIL FROM:<alice@example.org>\r\n");
    let at_rcpt = command(&mut stream, &mut reader, &mut transcript, b"RCPT TO:<bob@example.net>\r\n");
    let mut at_dot = Duration::ZERO;
    if transcript.ends_with("Recipient ok\r\n") {
        command(&mut stream, &mut reader, &mut transcript, b"DATA\r\n");
        let mut body = data.to_vec();
        body.extend_from_slice(b".\r\n");
        at_dot = command(&mut stream, &mut reader, &mut transcript, &body);
    }
    command(&mut stream, &mut reader, &mut transcript, b"QUIT\r\n");
    (transcript, at_rcpt, at_dot)
}

fn classes(row: &Value) -> (&str, &str, &str) {
    (row["main_class"].as_str().unwrap(), row["sub_class"].as_str().unwrap(), row["extra_class"].as_str().unwrap())
}

fn lookups(row: &Value) -> Vec<String> {
    row["lookups"].as_array().unwrap().iter().map(|lookup| format!("{} {}", lookup["what"].as_str().unwrap(), lookup["outcome"].as_str().unwrap())).collect()
}

fn quarantined(sluice: &Sluice) -> usize {
    let (status, body) = sluice.api("GET", "/api/v1/quarantine?limit=100");
    assert_eq!(status, 200);
    body["items"].as_array().unwrap().len()
}

const HALVES: &str = "[[dnsbl]]\nzone = \"half-a.test\"\nweight = 0.5\n[[dnsbl]]\nzone = \"half-b.test\"\nweight = 0.5\n";

#[test]
fn one_list_of_weight_half_is_not_enough_and_a_repeated_client_costs_no_query() {
    let dns = TestDns::start();
    dns.add("1.0.0.127.half-a.test", "A", "127.0.0.2");
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&dns, sink.port, "2s", HALVES, "");
    for n in 0..2 {
        let transcript = transact(sluice.smtp_port, &message(&format!("half{n}"), "Hello Bob.\r\n"));
        assert!(transcript.contains("250 2.0.0"), "{transcript}");
        let row = sluice.newest_row();
        assert_eq!(classes(&row).0, "not-spam", "{row}");
        let asked = lookups(&row);
        assert!(asked.contains(&"A 1.0.0.127.half-a.test answer".to_owned()) && asked.contains(&"A 1.0.0.127.half-b.test not-found".to_owned()), "{asked:?}");
    }
    assert_eq!(dns.queries_for("1.0.0.127.half-a.test"), 1, "the second connection was answered from the cache");
    assert_eq!(dns.queries_for("1.0.0.127.half-b.test"), 1, "a negative answer too");
}

#[test]
fn two_lists_of_weight_half_refuse_at_rcpt_without_a_copy() {
    let dns = TestDns::start();
    dns.add("1.0.0.127.half-a.test", "A", "127.0.0.2").add("1.0.0.127.half-b.test", "A", "127.0.0.3");
    let sluice = start(&dns, free_port(), "2s", HALVES, "");
    let transcript = transact(sluice.smtp_port, &message("listed", "Hello Bob.\r\n"));
    assert!(transcript.contains("550 5.7.1 Sending server is listed on multiple DNS block lists"), "{transcript}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row), ("spam", "dnsbl-rcpt", "half-a.test, half-b.test"), "{row}");
    assert!(lookups(&row).contains(&"A 1.0.0.127.half-b.test answer".to_owned()), "{row}");
    assert_eq!(quarantined(&sluice), 0);
}

#[test]
fn at_data_a_listed_client_is_quarantined() {
    let dns = TestDns::start();
    dns.add("1.0.0.127.bl.test", "A", "127.0.0.2");
    let sluice = start(&dns, free_port(), "2s", "[[dnsbl]]\nzone = \"bl.test\"\n", "dnsbl_stage = \"data\"\n");
    let transcript = transact(sluice.smtp_port, &message("at-data", "Hello Bob.\r\n"));
    assert!(transcript.contains("250 2.1.5"), "RCPT accepted: {transcript}");
    assert!(transcript.contains("550 5.7.1 Sending server is listed on multiple DNS block lists"), "{transcript}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row), ("spam", "dnsbl", "bl.test"), "{row}");
    assert_eq!(quarantined(&sluice), 1);
}

#[test]
fn a_dns_allow_list_accepts_skipping_the_content_checks_and_the_received_header_names_the_client() {
    let dns = TestDns::start();
    // 127.0.0.1 is `localhost` to every resolver (RFC 6761): its PTR and A
    // records never reach a DNS server, and confirm each other.
    dns.add("1.0.0.127.bl.test", "A", "127.0.0.2").add("1.0.0.127.wl.test", "A", "127.0.10.1");
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&dns, sink.port, "2s", "[[dnsbl]]\nzone = \"bl.test\"\n[[dnswl]]\nzone = \"wl.test\"\n", "");
    let transcript = transact(sluice.smtp_port, &message("allowed", &format!("{GTUBE}\r\n")));
    assert!(transcript.contains("250 2.0.0"), "{transcript}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row), ("not-spam", "dnswl", "wl.test"), "{row}");
    let findings: Vec<&str> = row["findings"].as_array().unwrap().iter().map(|finding| finding["sub_class"].as_str().unwrap()).collect();
    assert!(findings.contains(&"gtube"), "the content check still reports, the allow list decides: {findings:?}");
    support::wait_for("delivery", Duration::from_secs(10), || !sink.messages().is_empty());
    let (raw, _) = &sink.messages()[0];
    let raw = String::from_utf8_lossy(raw);
    assert!(raw.contains("Received: from client.example.org (localhost [127.0.0.1])"), "forward-confirmed: {raw}");
    assert!(raw.contains("X-Sluice-Class: not-spam/dnswl"), "{raw}");
}

#[test]
fn a_url_on_a_url_block_list_is_quarantined() {
    let dns = TestDns::start();
    dns.add("phish.test.uri.test", "A", "127.0.0.2").add("7.2.0.192.uri.test", "A", "127.0.0.4");
    let sluice = start(&dns, free_port(), "2s", "[[urlbl]]\nzone = \"uri.test\"\n", "");
    let clean = transact(sluice.smtp_port, &message("clean-url", "See https://www.fine.test/ and http://docs.fine.test/a.\r\n"));
    assert!(clean.contains("250 2.0.0"), "{clean}");
    let body = "Log in at https://www.login.Phish.test/account?id=1 now.\r\n";
    let transcript = transact(sluice.smtp_port, &message("phish-url", body));
    assert!(transcript.contains("550 5.7.1 Message contains a URL listed on a URL block list"), "{transcript}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row), ("spam", "urlbl", "uri.test: phish.test"), "{row}");
    assert!(lookups(&row).contains(&"A phish.test.uri.test answer".to_owned()), "{row}");
    let address = transact(sluice.smtp_port, &message("ip-url", "Download http://192.0.2.7/setup.exe\r\n"));
    assert!(address.contains("550 5.7.1"), "{address}");
    assert_eq!(classes(&sluice.newest_row()), ("spam", "urlbl", "uri.test: 192.0.2.7"));
    assert_eq!(quarantined(&sluice), 2);
}

#[test]
fn a_dns_server_that_is_down_refuses_nothing_and_the_log_says_so() {
    let dns = TestDns::start();
    dns.add("1.0.0.127.bl.test", "A", "127.0.0.2");
    let lists = "[[dnsbl]]\nzone = \"bl.test\"\n[[dnswl]]\nzone = \"wl.test\"\n[[urlbl]]\nzone = \"uri.test\"\n";
    let sluice = start(&dns, free_port(), "1s", lists, "");
    drop(dns);
    let (transcript, at_rcpt, at_dot) = timed_transaction(sluice.smtp_port, &message("dns-down", "See http://phish.test/ now.\r\n"));
    // Each lookup within `[dns] timeout` (1 s), all of a stage at once; after
    // the dot, sender authentication's stage (3 timeouts) comes before the lists'.
    assert!(at_rcpt < Duration::from_millis(2500) && at_dot < Duration::from_millis(5000), "bounded: {at_rcpt:?}, {at_dot:?}");
    assert!(transcript.contains("250 2.0.0"), "a block list that cannot answer lists nothing: {transcript}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row).0, "not-spam", "{row}");
    let asked = lookups(&row);
    for what in ["A 1.0.0.127.bl.test", "A 1.0.0.127.wl.test", "A phish.test.uri.test"] {
        assert!(asked.iter().any(|lookup| lookup.starts_with(what) && (lookup.ends_with("failed") || lookup.ends_with("timed-out"))), "{what}: {asked:?}");
    }
}

#[test]
fn a_slow_answer_past_the_deadline_times_out_in_time() {
    let dns = TestDns::start();
    dns.add("1.0.0.127.bl.test", "A", "127.0.0.2").add("1.0.0.127.bl2.test", "A", "127.0.0.2");
    dns.behave_everywhere(Behaviour::Delay(Duration::from_secs(5)));
    let sluice = start(&dns, free_port(), "500ms", "[[dnsbl]]\nzone = \"bl.test\"\n[[dnsbl]]\nzone = \"bl2.test\"\n", "");
    let (transcript, at_rcpt, _) = timed_transaction(sluice.smtp_port, &message("slow", "Hello Bob.\r\n"));
    assert!(transcript.contains("250 2.0.0"), "{transcript}");
    // Every lookup of the connection at once, each within 500 ms, the PTR chain
    // within twice that: well before the answers would come.
    assert!(at_rcpt >= Duration::from_millis(450) && at_rcpt < Duration::from_millis(1500), "RCPT answered after {at_rcpt:?}");
    let asked = lookups(&sluice.newest_row());
    assert!(asked.contains(&"A 1.0.0.127.bl.test timed-out".to_owned()) && asked.contains(&"A 1.0.0.127.bl2.test timed-out".to_owned()), "{asked:?}");
}

#[test]
fn explain_asks_the_lists_as_the_gateway_does() {
    let dns = TestDns::start();
    dns.add("1.0.0.127.bl.test", "A", "127.0.0.2").add("phish.test.uri.test", "A", "127.0.0.2");
    let sluice = start(&dns, free_port(), "2s", "[[dnsbl]]\nzone = \"bl.test\"\n[[urlbl]]\nzone = \"uri.test\"\n", "");
    let file = sluice.dir.path().join("phish.eml");
    std::fs::write(&file, message("explained", "See http://phish.test/ now.\r\n")).unwrap();
    let explain = |extra: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["explain", "--config"])
            .arg(&sluice.config_path)
            .args(["--ip", "127.0.0.1", "--from", "alice@example.org", "--rcpt", "bob@example.net"])
            .args(extra)
            .arg(&file)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let text = explain(&[]);
    assert!(text.contains("A 1.0.0.127.bl.test answer") && text.contains("A phish.test.uri.test answer"), "{text}");
    assert!(text.contains("spam / dnsbl-rcpt (check dns-block-lists"), "{text}");
    let offline = explain(&["--offline"]);
    assert!(offline.contains("lookups: off (--offline)") && !offline.contains("dnsbl"), "{offline}");
}

/// The hash lists of `hashbl_lists_are_asked_about_addresses_and_attachments`:
/// addresses by SHA-1 in base32 (Spamhaus HBL's `_email` form), attachments by
/// SHA-256 in base32.
const HASH_LISTS: &str = "[[hashbl]]\nzone = \"_email.hbl.test\"\nitems = [\"email\"]\nhash = \"sha1\"\nencoding = \"base32\"\ncodes = [\"127.0.0.2\"]\n\
    [[hashbl]]\nzone = \"_file.hbl.test\"\nitems = [\"file\"]\n";

/// `base64.b32encode(hashlib.sha1(b"payout@claims.example").digest()).decode().lower().rstrip("=")` (Python 3).
const LISTED_ADDRESS: &str = "6dhq4ya33uitfukbmsaixnkwg3lna7h7";
/// The attachment of [`with_attachment`], base64 as sent, and
/// `base64.b32encode(hashlib.sha256(<its bytes>).digest()).decode().lower().rstrip("=")`.
const ATTACHMENT_BASE64: &str = "JVBERi0xLjQgbm90IHJlYWxseSBhbiBpbnZvaWNlOiBhIFNsdWljZSBoYXNoIGxpc3QgdGVzdAo=";
const LISTED_ATTACHMENT: &str = "d7njrz3z424zgs7xawtdfnmapcha4wgnt7ylgubzlpe4wm23y2wa";

/// A message (`support::message`) with a `Reply-To:`.
fn with_reply_to(subject: &str, reply_to: &str) -> Vec<u8> {
    let mut raw = format!("Reply-To: <{reply_to}>\r\n").into_bytes();
    raw.extend(message(subject, "Please answer to the address above.\r\n"));
    raw
}

/// A message (`support::message`) with one attachment, `invoice.pdf`.
fn with_attachment(subject: &str) -> Vec<u8> {
    let body = format!(
        "--b\r\nContent-Type: text/plain\r\n\r\nThe invoice is attached.\r\n--b\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{ATTACHMENT_BASE64}\r\n--b--\r\n"
    );
    let raw = String::from_utf8(message(subject, &body)).unwrap();
    raw.replace("Content-Type: text/plain; charset=utf-8\r\n\r\n", "Content-Type: multipart/mixed; boundary=b\r\n\r\n").into_bytes()
}

#[test]
fn hashbl_lists_are_asked_about_addresses_and_attachments() {
    let dns = TestDns::start();
    dns.add(&format!("{LISTED_ADDRESS}._email.hbl.test"), "A", "127.0.0.2")
        .add(&format!("{LISTED_ATTACHMENT}._file.hbl.test"), "A", "127.0.0.3");
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&dns, sink.port, "2s", HASH_LISTS, "");

    let clean = transact(sluice.smtp_port, &with_reply_to("unlisted", "help@fine.example"));
    assert!(clean.contains("250 2.0.0"), "{clean}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row).0, "not-spam", "{row}");
    assert!(lookups(&row).iter().any(|lookup| lookup.ends_with("._email.hbl.test not-found")), "asked: {row}");
    support::wait_for("delivery", Duration::from_secs(10), || !sink.messages().is_empty());

    let listed = transact(sluice.smtp_port, &with_reply_to("listed-reply-to", "Payout@Claims.example"));
    assert!(listed.contains("550 5.7.1 The content of this message looked like spam."), "{listed}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row), ("spam", "pattern-remote", "_email.hbl.test:email:payout@claims.example"), "{row}");
    assert!(lookups(&row).contains(&format!("A {LISTED_ADDRESS}._email.hbl.test answer")), "{row}");

    let attached = transact(sluice.smtp_port, &with_attachment("listed-attachment"));
    assert!(attached.contains("550 5.7.1 The content of this message looked like spam."), "{attached}");
    let row = sluice.newest_row();
    let extra = format!("_file.hbl.test:file:invoice.pdf sha256:{LISTED_ATTACHMENT}");
    assert_eq!(classes(&row), ("spam", "pattern-remote", extra.as_str()), "{row}");
    assert_eq!(quarantined(&sluice), 2, "both copies kept");
    assert_eq!(sink.messages().len(), 1, "only the unlisted message was delivered");

    // `sluice explain` asks the lists as the gateway does.
    let file = sluice.dir.path().join("listed.eml");
    std::fs::write(&file, with_reply_to("explained", "payout@claims.example")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["explain", "--config"])
        .arg(&sluice.config_path)
        .args(["--from", "alice@example.org", "--rcpt", "bob@example.net"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains(&format!("A {LISTED_ADDRESS}._email.hbl.test answer")), "{text}");
    assert!(text.contains("spam / pattern-remote (check hash-block-lists"), "{text}");
}

#[test]
fn a_hashbl_list_that_does_not_answer_lists_nothing_and_the_row_says_so() {
    let dns = TestDns::start();
    let silent = format!("{LISTED_ADDRESS}._email.hbl.test");
    dns.add(&silent, "A", "127.0.0.2").behave(&silent, Behaviour::Silent);
    let sluice = start(&dns, free_port(), "1s", HASH_LISTS, "");
    let (transcript, _, at_dot) = timed_transaction(sluice.smtp_port, &with_reply_to("silent-list", "payout@claims.example"));
    assert!(transcript.contains("250 2.0.0"), "a list that cannot answer lists nothing: {transcript}");
    // Sender authentication's stage (3 timeouts at most) comes first, then the
    // lists' lookups at once within one `[dns] timeout`.
    assert!(at_dot < Duration::from_millis(5000), "bounded: {at_dot:?}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row).0, "not-spam", "judged on the rest: {row}");
    assert!(lookups(&row).contains(&format!("A {silent} timed-out")), "{row}");
}

/// What a hostile list server answers, by the zone the name ends in: the
/// query's entry in a list of that zone always says "listed" (127.0.0.2) in a
/// way the resolver must not take, or never says it in time. Every other name
/// does not exist.
fn hostile(query: &RawQuery) -> RawReply {
    let listed = || RawRecord::a(Ipv4Addr::new(127, 0, 0, 2));
    let zone = |suffix: &str| query.name.ends_with(suffix);
    if zone(".garbage.test") {
        RawReply::Send(b"\x13\x37 this is not DNS at all, only noise from a broken list server".to_vec())
    } else if zone(".spoof.test") {
        let mut bytes = query.response(RCODE_NOERROR, false, &[listed()]);
        bytes[..2].copy_from_slice(&query.id.wrapping_add(1).to_be_bytes());
        RawReply::Send(bytes)
    } else if zone(".other.test") {
        RawReply::Send(query.response(RCODE_NOERROR, false, &[RawRecord::a_of("listed.other.test", Ipv4Addr::new(127, 0, 0, 2))]))
    } else if zone(".beside.test") {
        // The name's own record, not a code the lists want, beside a record of
        // another name that is.
        let records = [RawRecord::a(Ipv4Addr::new(127, 0, 0, 3)), RawRecord::a_of("listed.beside.test", Ipv4Addr::new(127, 0, 0, 2))];
        RawReply::Send(query.response(RCODE_NOERROR, false, &records))
    } else if zone(".cut.test") {
        let bytes = query.response(RCODE_NOERROR, false, &[listed(), listed()]);
        RawReply::Send(bytes[..bytes.len() - 20].to_vec())
    } else if zone(".dribble.test") && query.tcp {
        RawReply::Dribble { bytes: query.response(RCODE_NOERROR, false, &[listed()]), pause: Duration::from_millis(100) }
    } else if zone(".dribble.test") {
        RawReply::Send(query.response(RCODE_NOERROR, true, &[]))
    } else if zone(".loop.test") {
        let to_itself = RawRecord { owner: None, record_type: TYPE_CNAME, data: wire_name(&query.name) };
        RawReply::Send(query.response(RCODE_NOERROR, false, &[to_itself]))
    } else {
        RawReply::Send(query.response(RCODE_NXDOMAIN, false, &[]))
    }
}

const HOSTILE_KINDS: [&str; 7] = ["garbage", "spoof", "other", "beside", "cut", "dribble", "loop"];

#[test]
fn hostile_list_servers_list_nothing_and_the_message_is_judged_in_time() {
    let dns = RawDns::start(hostile);
    // Every kind of hostile server as a block list of weight 1.0 (one listing
    // refuses at RCPT), a URL list and a hash list, each listing by 127.0.0.2.
    let mut lists = String::new();
    for kind in HOSTILE_KINDS {
        let codes = "codes = [\"127.0.0.2\"]";
        lists.push_str(&format!("[[dnsbl]]\nzone = \"bl.{kind}.test\"\n{codes}\n[[urlbl]]\nzone = \"uri.{kind}.test\"\n{codes}\n"));
        lists.push_str(&format!("[[hashbl]]\nzone = \"_email.{kind}.test\"\nitems = [\"email\"]\n{codes}\n"));
    }
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start_at(dns.address(), sink.port, "1s", &lists, "");
    let mut data = b"Reply-To: <payout@claims.example>\r\n".to_vec();
    data.extend(message("hostile-lists", "See https://www.phish.example/login now.\r\n"));
    let (transcript, at_rcpt, at_dot) = timed_transaction(sluice.smtp_port, &data);
    // The connection's lookups at once, each within `[dns] timeout` (1 s);
    // after the dot, sender authentication's stage, then the lists' at once.
    assert!(at_rcpt < Duration::from_millis(2500) && at_dot < Duration::from_millis(5000), "bounded: {at_rcpt:?}, {at_dot:?}");
    assert!(transcript.contains("250 2.1.5") && transcript.contains("250 2.0.0"), "nothing listed: {transcript}");
    let row = sluice.newest_row();
    assert_eq!(classes(&row).0, "not-spam", "{row}");
    let asked = lookups(&row);
    for kind in HOSTILE_KINDS {
        for name in [format!("A 1.0.0.127.bl.{kind}.test "), format!("A phish.example.uri.{kind}.test "), format!("._email.{kind}.test ")] {
            assert!(asked.iter().any(|lookup| lookup.contains(&name)), "{name}: {asked:?}");
        }
    }
    let dribbled = asked.iter().find(|lookup| lookup.starts_with("A 1.0.0.127.bl.dribble.test")).unwrap();
    assert!(dribbled.ends_with("timed-out"), "{dribbled}");
    assert!(dns.queries().iter().any(|query| query.tcp && query.name.ends_with(".dribble.test")), "asked again over TCP");
}

#[test]
fn a_64_kb_answer_of_thousands_of_records_is_one_finding() {
    // Every entry asked of `huge.test` and `_email.huge.test` answers, over TCP,
    // 4,000 A records (127.0.0.2 to 127.0.0.254 over and over: 64 KB); over UDP,
    // "truncated".
    let records: Vec<RawRecord> = (0..4000u32).map(|n| RawRecord::a(Ipv4Addr::new(127, 0, 0, u8::try_from(2 + n % 253).unwrap()))).collect();
    let dns = RawDns::start(move |query| {
        if query.name.ends_with(".huge.test") {
            RawReply::Send(query.response(RCODE_NOERROR, !query.tcp, if query.tcp { &records } else { &[] }))
        } else {
            RawReply::Send(query.response(RCODE_NXDOMAIN, false, &[]))
        }
    });
    let lists = "[[dnsbl]]\nzone = \"bl.huge.test\"\n[[hashbl]]\nzone = \"_email.huge.test\"\nitems = [\"email\"]\n";
    let sluice = start_at(dns.address(), free_port(), "2s", lists, "dnsbl_stage = \"data\"\n");
    let (transcript, _, at_dot) = timed_transaction(sluice.smtp_port, &with_reply_to("huge-answers", "payout@claims.example"));
    assert!(transcript.contains("550 5.7.1"), "{transcript}");
    assert!(at_dot < Duration::from_millis(5000), "{at_dot:?}");
    let row = sluice.newest_row();
    let findings: Vec<(String, String)> = row["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| (finding["sub_class"].as_str().unwrap().to_owned(), finding["extra_class"].as_str().unwrap_or("").to_owned()))
        .collect();
    // One finding per list and item (the hash list answers for every address
    // of the message: the Reply-To and the From), whatever the number of records.
    let listed: Vec<&(String, String)> = findings.iter().filter(|(sub, _)| sub == "dnsbl" || sub == "pattern-remote").collect();
    let expected = [
        ("dnsbl", "bl.huge.test"),
        ("pattern-remote", "_email.huge.test:email:payout@claims.example"),
        ("pattern-remote", "_email.huge.test:email:alice@example.org"),
    ];
    assert_eq!(listed.len(), expected.len(), "{findings:?}");
    for (sub, extra) in expected {
        assert!(listed.iter().any(|(s, e)| s == sub && e == extra), "{sub} {extra}: {findings:?}");
    }
    assert!(row["extra_class"].as_str().unwrap().len() < 100, "{row}");
    let asked = lookups(&row);
    assert!(asked.contains(&"A 1.0.0.127.bl.huge.test answer".to_owned()), "{asked:?}");
    assert!(asked.iter().any(|lookup| lookup.ends_with("._email.huge.test answer")), "{asked:?}");
    assert_eq!(quarantined(&sluice), 1);
}
