//! Adversarial tests of the SMTP edge (issue 9), against the real binary, a real
//! downstream server (aiosmtpd) and raw sockets: envelope injection through
//! quoted local parts, every mix of CR, LF and dot around the DATA terminator,
//! bare CR and LF, slow clients, junk commands, backscatter, and the smaller
//! gaps (trailing dot, STARTTLS before EHLO, huge SIZE, `<postmaster>`, API
//! limits, log rows per client, slots after QUIT, top-level archive bombs), and
//! commands pipelined behind STARTTLS; on the web port, slow request heads and
//! connections piled up by one address.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{Sink, Sluice, free_port, message, raw_smtp, wait_for};

const QUIET: Duration = Duration::from_millis(300);
const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// Now, as a Date header wants it (the date check refuses stale dates).
fn date_now() -> String {
    let output = std::process::Command::new("date").arg("-R").output().expect("date");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Every CR in `raw` is followed by LF and every LF preceded by CR.
fn only_crlf_line_ends(raw: &[u8]) -> bool {
    raw.iter().enumerate().all(|(index, &byte)| match byte {
        b'\r' => raw.get(index + 1) == Some(&b'\n'),
        b'\n' => index > 0 && raw[index - 1] == b'\r',
        _ => true,
    })
}

/// One transaction over a raw socket: EHLO, MAIL with `sender_line`, RCPT, DATA
/// with `data` (which must carry its own terminator), QUIT.
fn transaction(port: u16, sender_line: &str, recipient_line: &str, data: &[u8]) -> String {
    let head = format!("EHLO client.example\r\n{sender_line}\r\n{recipient_line}\r\nDATA\r\n");
    let mut tail = data.to_vec();
    tail.extend_from_slice(b"QUIT\r\n");
    raw_smtp(port, &[head.as_bytes(), &tail], QUIET)
}

#[test]
fn quoted_local_parts_are_relayed_as_received_and_injection_is_refused() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let port = sluice.smtp_port;
    for (line, reply) in [
        ("MAIL FROM:<\"postmaster@example.net> RET=FULL ENVID=x\"@other.example>", "501 5.1.7"),
        ("MAIL FROM:<\"a>b\"@other.example>", "501 5.1.7"),
        ("MAIL FROM:<\"a<b\"@other.example>", "501 5.1.7"),
        ("MAIL FROM:<\"a\\>b\"@other.example>", "501 5.1.7"),
        ("MAIL FROM:<\"a\0b\"@other.example>", "501 5.1.7"),
        ("MAIL FROM:<a\0b@other.example>", "501 5.1.7"),
        ("MAIL FROM:<\"a\x1b[2Jb\"@other.example>", "501 5.1.7"),
        ("MAIL FROM:<\"a\rRCPT TO:<x@example.net>\"@other.example>", "501 5.1.7"),
        ("MAIL FROM:<a b@other.example>", "501 5.1.7"),
        ("MAIL FROM:<\"unterminated@other.example>", "501 5.1.7"),
    ] {
        let transcript = raw_smtp(port, &[format!("EHLO client.example\r\n{line}\r\nQUIT\r\n").as_bytes()], QUIET);
        assert!(transcript.contains(reply), "{line:?}: {transcript}");
        assert!(!transcript.contains("250 2.1.0"), "{line:?} accepted: {transcript}");
    }
    let transcript = raw_smtp(
        port,
        &[b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<\"b> NOTIFY=NEVER\"@example.net>\r\nRCPT TO:<\"b\0\"@example.net>\r\nQUIT\r\n"],
        QUIET,
    );
    assert_eq!(transcript.matches("501 5.1.3").count(), 2, "{transcript}");

    // Quoted local parts with spaces, `=` and `@` are legal: relayed with their
    // quotes. (A recipient's local part must also pass the domain's
    // `allowed_local_chars`, which by default refuses quotes and spaces.)
    let sender = "\"john doe=x@y\"@example.org";
    let recipient = "bob.smith@example.net";
    let mut data = message("quoted", "hello\r\n");
    data.extend_from_slice(b".\r\n");
    let transcript = transaction(port, &format!("MAIL FROM:<{sender}>"), &format!("RCPT TO:<{recipient}>"), &data);
    assert!(transcript.contains("250 2.0.0 Message accepted"), "{transcript}");
    wait_for("the quoted message at the sink", Duration::from_secs(20), || sink.messages().len() == 1);
    let (_, envelope) = &sink.messages()[0];
    assert_eq!(envelope["from"], sender, "{envelope}");
    assert_eq!(envelope["to"], serde_json::json!([recipient]), "{envelope}");
    let row = sluice.logs().into_iter().find(|row| row["subject"] == "quoted").expect("log row");
    assert_eq!(row["sender"], sender, "the log shows what the destination sees");
    assert_eq!(row["recipients"], serde_json::json!([recipient]));
}

#[test]
fn data_ends_on_crlf_dot_crlf_and_nothing_else() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let variants: [&[u8]; 14] = [
        b"\r\n.\r\r\n",
        b"\r\n.\r\r\r\n",
        b"\r.\r\r\n",
        b"\r\r\n.\r\r\n",
        b"\n.\n",
        b"\n.\r\n",
        b"\r\n.\n",
        b"\r.\r",
        b"\r.\r\n",
        b"\r\n.\r",
        b"\n.\r",
        b"\r\n. \r\n",
        b"\r\n.\x00\r\n",
        b"\r\n..\r\n",
    ];
    for (index, variant) in variants.iter().enumerate() {
        let mut data = message(&format!("terminator-{index}"), "first line");
        data.extend_from_slice(variant);
        data.extend_from_slice(b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n");
        data.extend_from_slice(b".\r\n");
        let transcript = transaction(sluice.smtp_port, "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>", &data);
        assert_eq!(transcript.matches("250 2.0.0 Message accepted").count(), 1, "variant {variant:?}: {transcript}");
        assert!(transcript.contains("221 2.0.0"), "variant {variant:?}: {transcript}");
    }
    wait_for("every variant at the sink", Duration::from_secs(30), || sink.messages().len() == variants.len());
    std::thread::sleep(Duration::from_millis(300));
    let delivered = sink.messages();
    assert_eq!(delivered.len(), variants.len(), "a smuggled message was relayed");
    for (raw, envelope) in &delivered {
        assert_eq!(envelope["from"], "alice@example.org", "{envelope}");
        assert_eq!(envelope["to"], serde_json::json!(["bob@example.net"]));
        assert!(only_crlf_line_ends(raw), "bare CR or LF relayed: {:?}", String::from_utf8_lossy(raw));
        let text = String::from_utf8_lossy(raw);
        assert!(text.contains("MAIL FROM:<evil@example.org>\r\n"), "the would-be command stays in the body: {text}");
    }
}

#[test]
fn bare_cr_and_bare_lf_are_normalised_to_crlf() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    let data = format!(
        "From: a@example.org\r\nDate: {}\r\nSubject: bare\rBcc: victim@example.net\r\nMessage-ID: <bare@example.org>\r\n\r\nline\r.\r\nMAIL FROM:<x@example.org>\nlast\r\n.\r\n",
        date_now()
    );
    let transcript = transaction(sluice.smtp_port, "MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.net>", data.as_bytes());
    assert_eq!(transcript.matches("250 2.0.0 Message accepted").count(), 1, "{transcript}");
    wait_for("the message at the sink", Duration::from_secs(20), || sink.messages().len() == 1);
    let (raw, _) = &sink.messages()[0];
    let text = String::from_utf8_lossy(raw);
    assert!(only_crlf_line_ends(raw), "{text:?}");
    // What a destination reads is what we classified: the Bcc is a header line
    // of its own, for us as for it, and the dot line is content.
    assert!(text.contains("Subject: bare\r\nBcc: victim@example.net\r\n"), "{text:?}");
    assert!(text.contains("\r\n\r\nline\r\n\r\nMAIL FROM:<x@example.org>\r\nlast\r\n"), "{text:?}");
    assert_eq!(sluice.logs()[0]["subject"], "bare");
}

/// Sends `bytes` one at a time, `pause` apart, and returns what the server said
/// (until it closes, or `give_up` passes).
fn trickle(port: u16, prefix: &[u8], bytes: &[u8], pause: Duration, give_up: Duration) -> (String, Duration) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let start = Instant::now();
    let mut transcript = Vec::new();
    let mut buffer = [0u8; 4096];
    let mut read = |stream: &mut TcpStream, transcript: &mut Vec<u8>| -> bool {
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => return false,
                Ok(count) => transcript.extend_from_slice(&buffer[..count]),
                Err(_) => return true,
            }
        }
    };
    read(&mut stream, &mut transcript);
    let _ = stream.write_all(prefix);
    std::thread::sleep(Duration::from_millis(200));
    read(&mut stream, &mut transcript);
    for byte in bytes.iter().cycle() {
        if start.elapsed() > give_up || stream.write_all(std::slice::from_ref(byte)).is_err() || !read(&mut stream, &mut transcript) {
            break;
        }
        std::thread::sleep(pause);
    }
    (String::from_utf8_lossy(&transcript).into_owned(), start.elapsed())
}

#[test]
fn trickling_clients_lose_their_slot_at_the_deadline() {
    let sluice = Sluice::start(free_port(), "timeout = \"2s\"\ndata_min_rate = 1000");
    // A new byte every 300 ms never lets a per-read timer of 2 s expire, but
    // the whole line must arrive within it.
    let (transcript, elapsed) = trickle(sluice.smtp_port, b"", b"NOOP NOOP NOOP ", Duration::from_millis(300), Duration::from_secs(20));
    assert!(transcript.contains("421 4.4.2 Timeout"), "{transcript}");
    assert!(elapsed < Duration::from_secs(8), "command line deadline took {elapsed:?}");

    // DATA: 2 s plus what was received at 1000 octets/s (a few octets here).
    let (transcript, elapsed) = trickle(
        sluice.smtp_port,
        b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n",
        b"slow\r\n",
        Duration::from_millis(300),
        Duration::from_secs(20),
    );
    assert!(transcript.contains("354 "), "{transcript}");
    assert!(transcript.contains("421 4.4.2 Timeout"), "{transcript}");
    assert!(elapsed < Duration::from_secs(8), "DATA deadline took {elapsed:?}");
    wait_for("connection-lost row", Duration::from_secs(10), || {
        sluice.logs().iter().any(|row| row["sub_class"] == "connection-lost")
    });
}

#[test]
fn junk_commands_count_towards_max_errors() {
    let sluice = Sluice::start(free_port(), "max_junk_commands = 3\nmax_errors = 2");
    let transcript = raw_smtp(
        sluice.smtp_port,
        &[b"EHLO client.example\r\nNOOP\r\nRSET\r\nVRFY x\r\nHELP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"],
        QUIET,
    );
    assert_eq!(transcript.matches("250 2.0.0 Ok").count(), 3, "{transcript}");
    assert!(transcript.contains("421 4.7.0 Too many errors"), "{transcript}");
    assert!(!transcript.ends_with("250 2.0.0 Ok\r\n"), "{transcript}");
}

#[test]
fn bounces_quote_only_the_message_id_and_never_follow_spam() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    // A forged sender in a domain routed to the sink, so the DSN is seen there.
    let original = format!(
        "From: someone@example.net\r\nTo: perm-missing@example.net\r\nSubject: quarterly figures\r\n\
X-Payload: token-7391\r\nMessage-ID: <payload-1@example.net>\r\nDate: {}\r\n\r\nbody-secret-4242\r\n",
        date_now()
    );
    let results = sluice.send("victim@example.net", &["perm-missing@example.net"], &[original.as_bytes()]);
    assert_eq!(results[0]["code"], 250, "{results:?}");
    wait_for("the bounce", Duration::from_secs(20), || !sink.messages().is_empty());
    let (raw, envelope) = &sink.messages()[0];
    let dsn = String::from_utf8_lossy(raw);
    assert_eq!(envelope["to"], serde_json::json!(["victim@example.net"]));
    assert!(dsn.contains("Final-Recipient: rfc822; perm-missing@example.net"), "{dsn}");
    assert!(dsn.contains("\r\nMessage-ID: <payload-1@example.net>\r\n"), "{dsn}");
    for quoted in ["quarterly figures", "token-7391", "body-secret-4242", "X-Payload", "From: someone"] {
        assert!(!dsn.contains(quoted), "{quoted:?} quoted in the DSN:\n{dsn}");
    }

    // Spam released from the quarantine and then refused: no DSN at all.
    let spam = format!("Subject: gtube\r\nMessage-ID: <payload-2@example.net>\r\nDate: {}\r\n\r\n{GTUBE}\r\n", date_now());
    let results = sluice.send("victim@example.net", &["perm-other@example.net"], &[spam.as_bytes()]);
    assert_eq!(results[0]["code"], 550, "{results:?}");
    let quarantine_id = sluice.logs()[0]["quarantine_id"].as_str().expect("quarantined").to_owned();
    let (status, _) = sluice.api("POST", &format!("/api/v1/quarantine/{quarantine_id}/release"));
    assert_eq!(status, 200);
    wait_for("the released spam refused by the destination", Duration::from_secs(20), || {
        sluice.logs().iter().any(|row| row["sub_class"] == "gtube" && row["delivery"].as_str().is_some_and(|text| text.starts_with("bounced")))
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(sink.messages().len(), 1, "a DSN followed a message classified spam");
}

#[test]
fn smaller_gaps_are_closed() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "postmaster = \"hostmaster@example.net\"\nrefusal_logs_per_minute = 5");
    let port = sluice.smtp_port;

    // Refusals write at most `refusal_logs_per_minute` rows per client, over sessions.
    for _ in 0..3 {
        let mut commands = b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n".to_vec();
        for n in 0..4 {
            commands.extend_from_slice(format!("RCPT TO:<user{n}@elsewhere.example>\r\n").as_bytes());
        }
        commands.extend_from_slice(b"QUIT\r\n");
        let transcript = raw_smtp(port, &[&commands], QUIET);
        assert_eq!(transcript.matches("550 5.7.1 Relay not permitted!").count(), 4, "{transcript}");
    }
    assert_eq!(sluice.logs().len(), 5, "refusal rows beyond the per-client budget");

    let transcript = raw_smtp(port, &[b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.net.>\r\nQUIT\r\n"], QUIET);
    assert!(transcript.contains("501 5.1.3 Bad recipient address syntax: empty label in domain"), "{transcript}");

    let transcript = raw_smtp(port, &[b"STARTTLS\r\nQUIT\r\n"], QUIET);
    assert!(transcript.contains("503 5.5.1"), "{transcript}");
    assert!(!transcript.contains("220 2.0.0"), "{transcript}");

    let transcript = raw_smtp(port, &[b"EHLO client.example\r\nMAIL FROM:<a@example.org> SIZE=99999999999999999999999\r\nQUIT\r\n"], QUIET);
    assert!(transcript.contains("552 5.3.4"), "{transcript}");

    // RCPT TO:<postmaster> without a domain goes to the configured address.
    let mut data = message("for-postmaster", "hello\r\n");
    data.extend_from_slice(b".\r\n");
    let transcript = transaction(port, "MAIL FROM:<a@example.org>", "RCPT TO:<Postmaster>", &data);
    assert!(transcript.contains("250 2.0.0 Message accepted"), "{transcript}");
    wait_for("the postmaster's message", Duration::from_secs(20), || sink.messages().len() == 1);
    assert_eq!(sink.messages()[0].1["to"], serde_json::json!(["hostmaster@example.net"]));

    // limit=0 or below gives no rows.
    for limit in ["0", "-1", "-9223372036854775808"] {
        let (status, body) = sluice.api("GET", &format!("/api/v1/logs?limit={limit}"));
        assert!(status == 400 || (status == 200 && body["items"].as_array().is_some_and(Vec::is_empty)), "limit={limit}: {status} {body}");
    }

}

#[test]
fn a_client_reconnecting_right_after_quit_finds_its_slot_free() {
    let sluice = Sluice::start(free_port(), "max_connections_per_ip = 2");
    let port = sluice.smtp_port;
    let clients: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..30 {
                    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    let mut buffer = [0u8; 512];
                    let count = stream.read(&mut buffer).unwrap();
                    let greeting = String::from_utf8_lossy(&buffer[..count]).into_owned();
                    if !greeting.starts_with("220 ") {
                        return Err(greeting);
                    }
                    stream.write_all(b"QUIT\r\n").unwrap();
                    let mut rest = Vec::new();
                    let _ = stream.read_to_end(&mut rest);
                    assert!(String::from_utf8_lossy(&rest).starts_with("221 "));
                }
                Ok(())
            })
        })
        .collect();
    for client in clients {
        assert_eq!(client.join().unwrap(), Ok(()), "refused right after QUIT");
    }
}

/// A message with an attachment named `name` whose bytes the Python lines
/// `make_data` leave in `data`, made by Python's email module.
fn with_attachment(name: &str, make_data: &str) -> Vec<u8> {
    let script = format!(
        "import sys, io, gzip, zipfile, os, email.utils\n\
         from email.message import EmailMessage\n\
         {make_data}\n\
         m = EmailMessage()\n\
         m['From'] = 'a@example.org'\nm['To'] = 'bob@example.net'\nm['Subject'] = 'bomb {name}'\n\
         m['Message-ID'] = '<bomb@example.org>'\nm['Date'] = email.utils.formatdate(localtime=True)\n\
         m.set_content('see attached')\n\
         m.add_attachment(data, maintype='application', subtype='octet-stream', filename='{name}')\n\
         sys.stdout.buffer.write(m.as_bytes().replace(b'\\n', b'\\r\\n'))\n"
    );
    let output = std::process::Command::new("python3").args(["-c", &script]).output().expect("python3");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

#[test]
fn top_level_archive_bombs_are_refused_like_nested_ones() {
    let sluice = Sluice::start(free_port(), "");
    let zip = with_attachment(
        "zeros.zip",
        "buffer = io.BytesIO()\n\
         with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:\n    archive.writestr('zeros.bin', bytes(64 << 20))\n\
         data = buffer.getvalue()",
    );
    // A gzip over the decompression budget at ~1000:1, padded so the file's own
    // size does not give it away (as a 1 GiB bomb of ~1 MiB would not).
    let gzip = with_attachment("zeros.gz", "data = gzip.compress(bytes(80 << 20), 9) + os.urandom(400000)");
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&zip, &gzip]);
    for result in &results {
        assert_eq!(result["code"], 550, "{results:?}");
    }
    let logs = sluice.logs();
    for name in ["zeros.zip", "zeros.gz"] {
        let row = logs.iter().find(|row| row["subject"] == format!("bomb {name}")).expect("log row");
        assert_eq!((row["main_class"].as_str(), row["sub_class"].as_str()), (Some("spam"), Some("badly-formed")), "{row}");
        assert!(row["extra_class"].as_str().unwrap_or_default().contains("200:1"), "{row}");
    }
}

/// The STARTTLS command injection (CVE-2011-0411 and its kin): commands pipelined
/// in plaintext right behind STARTTLS must not run inside the TLS session, where
/// they would pass as the client's own. The session after the upgrade starts from
/// nothing: EHLO again, no sender.
#[test]
fn commands_pipelined_behind_starttls_are_dropped() {
    let sluice = Sluice::start(free_port(), "");
    let script = r#"
import socket, ssl, sys
plain = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
def reply(stream):
    text = ""
    while True:
        line = stream.readline().decode()
        text += line
        if len(line) < 4 or line[3] != "-":
            return text
reader = plain.makefile("rb")
transcript = reply(reader)
plain.sendall(b"EHLO client.example\r\n")
transcript += reply(reader)
plain.sendall(b"STARTTLS\r\nMAIL FROM:<injected@other.example>\r\n")
transcript += reply(reader)
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
tls = context.wrap_socket(plain)
reader = tls.makefile("rb")
tls.sendall(b"MAIL FROM:<alice@other.example>\r\n")
transcript += "=== inside TLS ===\r\n" + reply(reader)
tls.sendall(b"EHLO client.example\r\n")
transcript += reply(reader)
tls.sendall(b"RCPT TO:<bob@example.net>\r\nQUIT\r\n")
transcript += reply(reader) + reply(reader)
print(transcript)
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", script, &sluice.smtp_port.to_string()])
        .output()
        .expect("python3");
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{transcript}\n{}", String::from_utf8_lossy(&output.stderr));
    let (before, after) = transcript.split_once("=== inside TLS ===\r\n").expect("the upgrade happened");
    assert!(before.contains("220 2.0.0"), "{transcript}");
    // The injected MAIL was never answered, in plaintext or inside TLS.
    assert!(!transcript.contains("250 2.1.0"), "{transcript}");
    // Inside TLS: no greeting carried over (EHLO first), then no sender for RCPT.
    let replies: Vec<&str> = after.lines().filter(|line| line.len() >= 4 && &line[3..4] == " ").collect();
    assert!(replies[0].starts_with("503 5.5.1 Send HELO/EHLO first"), "MAIL before EHLO inside TLS: {transcript}");
    assert!(replies[2].starts_with("503 5.5.1 Need MAIL before RCPT"), "RCPT without MAIL inside TLS: {transcript}");
}

/// Slowloris on the web port: a connection that never finishes its request head,
/// or idles after a request, is closed (hyper's head deadline, 10 s); one address
/// piling up connections gets its 65th closed at once while another address is
/// still served, and the slots come back when the pile goes.
#[test]
fn the_web_port_closes_slow_heads_and_bounds_connections_per_address() {
    let sluice = Sluice::start(free_port(), "");
    let script = r#"
import socket, sys, time
port = int(sys.argv[1])
def connect(source="127.0.0.1"):
    stream = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    return stream
def closed_within(stream, seconds):
    stream.settimeout(seconds)
    start = time.time()
    try:
        while stream.recv(4096):
            pass
        return True
    except socket.timeout:
        return False
def health(source):
    stream = connect(source)
    stream.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    stream.settimeout(10)
    return stream.recv(12).decode()
half = connect()
half.sendall(b"GET /api/v1/logs HTTP/1.1\r\nHost: x\r\n")
idle = connect()
print("half head closed:", closed_within(half, 25))
print("idle closed:", closed_within(idle, 25))
pile = [connect() for _ in range(64)]
time.sleep(0.5)
print("65th closed:", closed_within(connect(), 5))
print("other address:", health("127.0.0.2"))
for stream in pile:
    stream.close()
time.sleep(0.5)
print("after the pile:", health("127.0.0.1"))
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", script, &sluice.web_port.to_string()])
        .output()
        .expect("python3");
    let transcript = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{transcript}\n{}", String::from_utf8_lossy(&output.stderr));
    for line in [
        "half head closed: True",
        "idle closed: True",
        "65th closed: True",
        "other address: HTTP/1.1 200",
        "after the pile: HTTP/1.1 200",
    ] {
        assert!(transcript.contains(line), "{line:?} missing:\n{transcript}");
    }
}
