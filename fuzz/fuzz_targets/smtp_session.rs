//! Fuzzes a whole inbound SMTP session: arbitrary bytes from a client, through
//! the real session state machine, parser, DATA reader, classification and
//! SQLite store (on /dev/shm), over an in-memory duplex stream
//! (`smtp::serve_stream`).
//!
//! The oracle: what reaches the destination is exactly what the log says was
//! accepted. Every message logged as delivered (or quarantined, then released
//! here, without the training a release through the API does) has queue entries
//! with the logged sender and recipients, and nothing else is queued; replaying each
//! entry as the delivery client would write it (`MAIL FROM`, `RCPT TO`, DATA
//! with `dot_stuffed`) to a reference destination, whether it splits lines on
//! CRLF only or on any CR or LF, gives exactly one transaction with the same
//! sender, recipients and body: no injected parameter, no smuggled message.
//! And the gateway itself was not smuggled a message: each message it took in
//! whole (delivered or quarantined) needs a `LF . CRLF` of its own in the input
//! (the terminator after CRLF, or `.` CRLF right after the DATA line), so there
//! are never more of them than of those.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use sluice_gateway::delivery::client::dot_stuffed;
use sluice_gateway::{Config, Gateway};
use sluice_model::Action;
use sluice_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

const CONFIG: &str = r#"
hostname = "mx.fuzz.test"
data_dir = "DATA_DIR"
[smtp]
timeout = "10s"
max_message_size = "64KiB"
max_recipients = 5
max_errors = 8
max_junk_commands = 4
refusal_logs_per_minute = 1000000
[[domains]]
name = "example.test"
destination = "127.0.0.1:9"
[[domains]]
name = "other.test"
destination = "127.0.0.1:9"
"#;

struct Harness {
    runtime: Runtime,
    gateway: Arc<Gateway>,
    runs: std::sync::atomic::AtomicU64,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let dir = std::path::PathBuf::from(format!("/dev/shm/sluice-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("data dir");
        let text = CONFIG.replace("DATA_DIR", &dir.display().to_string());
        let config = Config::parse(&dir.join("fuzz.toml"), &text).expect("config");
        let gateway = runtime.block_on(async {
            let store = Store::open(&config.storage_url).await.expect("store");
            let (shutdown, watch) = tokio::sync::watch::channel(false);
            std::mem::forget(shutdown);
            let gateway = Gateway::new(config, store, watch).expect("gateway");
            gateway.load_settings().await.expect("settings");
            Arc::new(gateway)
        });
        Harness { runtime, gateway, runs: Default::default() }
    })
}

/// One transaction as a destination reads it: sender, recipients, body.
type Transaction = (String, Vec<String>, Vec<u8>);

/// A minimal destination: commands and DATA, lines split by `split`.
fn destination_view(stream: &[u8], lenient: bool) -> Vec<Transaction> {
    let lines: Vec<&[u8]> = if lenient {
        // Any CR, LF or CRLF ends a line.
        let mut lines = Vec::new();
        let mut start = 0;
        let mut index = 0;
        while index < stream.len() {
            match stream[index] {
                b'\r' => {
                    lines.push(&stream[start..index]);
                    index += if stream.get(index + 1) == Some(&b'\n') { 2 } else { 1 };
                    start = index;
                }
                b'\n' => {
                    lines.push(&stream[start..index]);
                    index += 1;
                    start = index;
                }
                _ => index += 1,
            }
        }
        lines
    } else {
        let mut lines: Vec<&[u8]> = Vec::new();
        let mut rest = stream;
        while let Some(end) = rest.windows(2).position(|pair| pair == b"\r\n") {
            lines.push(&rest[..end]);
            rest = &rest[end + 2..];
        }
        assert!(rest.is_empty(), "stream does not end in CRLF");
        lines
    };
    let mut transactions = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    let mut lines = lines.into_iter();
    while let Some(line) = lines.next() {
        let text = String::from_utf8_lossy(line).into_owned();
        if let Some(path) = text.strip_prefix("MAIL FROM:<") {
            // A naive destination: the path ends at the first '>', and nothing may follow.
            let (sender, rest) = path.split_once('>').expect("MAIL without '>'");
            assert!(rest.is_empty(), "parameters after the sender: {text:?}");
            current = Some((sender.to_owned(), Vec::new()));
        } else if let Some(path) = text.strip_prefix("RCPT TO:<") {
            let (recipient, rest) = path.split_once('>').expect("RCPT without '>'");
            assert!(rest.is_empty(), "parameters after a recipient: {text:?}");
            current.as_mut().expect("RCPT before MAIL").1.push(recipient.to_owned());
        } else if text == "DATA" {
            let mut body = Vec::new();
            loop {
                let line = lines.next().expect("DATA not ended");
                if line == b"." {
                    break;
                }
                body.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
                body.extend_from_slice(b"\r\n");
            }
            let (sender, recipients) = current.take().expect("DATA before MAIL");
            transactions.push((sender, recipients, body));
        } else if text == "QUIT" {
            break;
        } else {
            panic!("destination sees a command we never sent: {text:?}");
        }
    }
    transactions
}

fuzz_target!(|input: &[u8]| {
    let harness = harness();
    let gateway = harness.gateway.clone();
    let store = &gateway.store;
    harness.runtime.block_on(async {
        let last_log = store.list_logs(1).await.expect("logs").first().map(|row| row.id).unwrap_or(0);
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let peer: SocketAddr = "192.0.2.7:4242".parse().expect("peer");
        let session = tokio::spawn(sluice_gateway::smtp::serve_stream(gateway.clone(), server, peer));
        let (mut reader, mut writer) = tokio::io::split(&mut client);
        let write = async {
            // The first byte picks the chunking, so pipelining and split lines both occur.
            let chunk = 1 + input.first().copied().unwrap_or(0) as usize % 512;
            for piece in input.chunks(chunk) {
                if writer.write_all(piece).await.is_err() {
                    break;
                }
                tokio::task::yield_now().await;
            }
            let _ = writer.shutdown().await;
        };
        let read = async {
            let mut replies = Vec::new();
            let _ = reader.read_to_end(&mut replies).await;
            replies
        };
        let (_, _replies) = tokio::join!(write, read);
        session.await.expect("session panicked");

        let logs: Vec<_> = store.list_logs(1000).await.expect("logs").into_iter().filter(|row| row.id > last_log).collect();
        let mut delivered: Vec<_> = logs.iter().filter(|row| row.entry.action == Action::Deliver).collect();
        for row in logs.iter().filter(|row| row.entry.action == Action::Quarantine) {
            let id = row.quarantine_id.as_deref().expect("quarantined without a quarantine row");
            let quarantined = store.get_quarantine(id).await.expect("quarantine").expect("quarantine row");
            assert_eq!((&quarantined.sender, &quarantined.recipients), (&row.entry.sender, &row.entry.recipients));
            let routes = sluice_gateway::pipeline::routes_for(&gateway.config, &quarantined.sender, &quarantined.recipients);
            store.release_quarantine(id, "fuzz", &routes, 0).await.expect("release");
            delivered.push(row);
        }
        let entries = store.claim_due("fuzz", i64::MAX / 4, 1, 1000).await.expect("queue");
        let received_whole = logs.iter().filter(|row| matches!(row.entry.action, Action::Deliver | Action::Quarantine)).count();
        let terminators = input.windows(4).filter(|window| window == b"\n.\r\n").count();
        assert!(received_whole <= terminators, "{received_whole} messages taken in from {terminators} terminators");
        for row in &logs {
            for address in std::iter::once(&row.entry.sender).chain(&row.entry.recipients) {
                assert!(!address.chars().any(|ch| ch.is_control() || ch == '<' || ch == '>'), "logged address {address:?}");
            }
        }
        if std::env::var_os("SLUICE_FUZZ_VERBOSE").is_some() {
            for row in &logs {
                eprintln!("log {} {:?} {} {:?}", row.id, row.entry.action, row.entry.reply, row.quarantine_id);
            }
            for entry in &entries {
                eprintln!("queue {:?} {:?}", entry.log_id, entry.recipients);
            }
        }
        for row in &delivered {
            let mine: Vec<_> = entries.iter().filter(|entry| entry.log_id == Some(row.id)).collect();
            assert!(!mine.is_empty(), "log row {} says delivered but nothing is queued", row.id);
            let mut queued: Vec<String> = mine.iter().flat_map(|entry| entry.recipients.clone()).collect();
            let mut logged = row.entry.recipients.clone();
            queued.sort();
            logged.sort();
            assert_eq!(queued, logged, "queued recipients differ from the log");
        }
        for entry in &entries {
            assert!(!entry.is_bounce);
            let row = delivered.iter().find(|row| Some(row.id) == entry.log_id).expect("queued message the log does not show as delivered");
            assert_eq!(entry.sender, row.entry.sender, "queued sender differs from the log");
            let raw = store.message_raw(&entry.message_id).await.expect("raw").expect("stored message");
            for (index, &byte) in raw.iter().enumerate() {
                match byte {
                    b'\r' => assert_eq!(raw.get(index + 1), Some(&b'\n'), "bare CR stored"),
                    b'\n' => assert_eq!(raw.get(index.wrapping_sub(1)), Some(&b'\r'), "bare LF stored"),
                    _ => {}
                }
            }
            let mut wire = format!("MAIL FROM:<{}>\r\n", entry.sender).into_bytes();
            for recipient in &entry.recipients {
                wire.extend_from_slice(format!("RCPT TO:<{recipient}>\r\n").as_bytes());
            }
            wire.extend_from_slice(b"DATA\r\n");
            wire.extend_from_slice(&dot_stuffed(&raw));
            wire.extend_from_slice(b"QUIT\r\n");
            let expected = vec![(entry.sender.clone(), entry.recipients.clone(), raw.clone())];
            assert_eq!(destination_view(&wire, false), expected, "strict destination");
            assert_eq!(destination_view(&wire, true), expected, "lenient destination");
            store.finish(entry, "fuzz").await.expect("finish");
        }
        if std::env::var_os("SLUICE_FUZZ_VERBOSE").is_some() {
            eprintln!("{} log rows, {} accepted for delivery, {} queue entries", logs.len(), delivered.len(), entries.len());
        }
        let runs = harness.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if runs % 2000 == 1999 {
            let _ = store.purge(i64::MAX, i64::MAX).await;
        }
    });
});
