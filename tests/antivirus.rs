//! Antivirus, URL hash lists and phishing patterns end to end (issue 17).
//!
//! Antivirus: the real `sluice` binary scanning with a real clamd
//! (Debian `clamav-daemon`) that loads only the tiny signature database in
//! `tests/data/clamav/` (no freshclam, no network), on a loopback TCP port and a
//! Unix socket in a temporary directory, stopped when the test ends. clamd that
//! cannot start fails the test: it is a dependency of the suite, not optional.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Sink, Sluice, free_port, wait_for};

/// A clamd process with the project's test signatures.
struct Clamd {
    port: u16,
    socket: PathBuf,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl Clamd {
    fn start() -> Clamd {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let socket = dir.path().join("clamd.sock");
        let database = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/clamav");
        let config = dir.path().join("clamd.conf");
        std::fs::write(
            &config,
            format!(
                "TCPSocket {port}\nTCPAddr 127.0.0.1\nLocalSocket {socket}\nDatabaseDirectory {database}\nTemporaryDirectory {tmp}\nForeground true\nLogFile {log}\nScanMail true\nScanArchive true\nStreamMaxLength 1M\n",
                socket = socket.display(),
                database = database.display(),
                tmp = dir.path().display(),
                log = dir.path().join("clamd.log").display(),
            ),
        )
        .unwrap();
        let binary = ["/usr/sbin/clamd", "clamd"]
            .into_iter()
            .find(|candidate| Command::new(candidate).arg("--version").output().is_ok_and(|out| out.status.success()))
            .expect("clamd is not installed: apt-get install clamav-daemon (scripts/test installs it)");
        let child = Command::new(binary)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start clamd");
        let mut clamd = Clamd { port, socket, child: Some(child), _dir: dir };
        let log = clamd._dir.path().join("clamd.log");
        wait_for("clamd to answer PING", Duration::from_secs(60), || {
            if let Some(status) = clamd.child.as_mut().and_then(|child| child.try_wait().unwrap()) {
                panic!("clamd exited at start ({status}):\n{}", std::fs::read_to_string(&log).unwrap_or_default());
            }
            clamd.ping()
        });
        clamd
    }

    fn ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = String::new();
        stream.write_all(b"zPING\0").is_ok() && stream.read_to_string(&mut answer).is_ok() && answer.starts_with("PONG")
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Clamd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fixture with its Date set to now (the date check would refuse an old one).
fn fixture(name: &str) -> Vec<u8> {
    fixture_in("clamav", name)
}

fn fixture_in(dir: &str, name: &str) -> Vec<u8> {
    let raw = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(dir).join(name)).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let now = Command::new("date").arg("-R").output().map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned()).unwrap();
    let (before, rest) = text.split_once("Date: ").expect("a Date header");
    let (_, after) = rest.split_once("\r\n").or_else(|| rest.split_once('\n')).unwrap();
    format!("{before}Date: {now}\r\n{after}").into_bytes()
}

/// A gateway scanning with clamd at `clamd` (`host:port` or `unix:/path`);
/// `domain` keys go to `example.net`.
fn gateway(sink: &Sink, clamd: &str, timeout: &str, domain: &str) -> Sluice {
    Sluice::start_with(
        None,
        sink.port,
        &format!(
            "[antivirus]\nclamd = \"{clamd}\"\ntimeout = \"{timeout}\"\nthird_party_prefixes = [\"Sanesecurity.\", \"Sluice.ThirdParty.\"]\n"
        ),
        domain,
    )
}

fn newest_log(sluice: &Sluice) -> Value {
    let row = sluice.logs().into_iter().next().expect("a log row");
    let (status, detail) = sluice.api("GET", &format!("/api/v1/logs/{}", row["id"]));
    assert_eq!(status, 200);
    detail
}

fn classes(row: &Value) -> (&str, &str) {
    (row["main_class"].as_str().unwrap_or_default(), row["sub_class"].as_str().unwrap_or_default())
}

fn send_one(sluice: &Sluice, message: &[u8]) -> (u64, String) {
    let result = &sluice.send("alice@example.org", &["bob@example.net"], &[message])[0];
    (result["code"].as_u64().unwrap_or_default(), result["reply"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn viruses_are_refused_and_quarantined_by_signature_set() {
    let clamd = Clamd::start();
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    for (delivered, address) in [format!("127.0.0.1:{}", clamd.port), format!("unix:{}", clamd.socket.display())].into_iter().enumerate() {
        let sluice = gateway(&sink, &address, "10s", "");
        for (file, sub, signature) in [
            ("eicar-zip-base64.eml", "pattern-set1", "Eicar-Test-Signature.UNOFFICIAL"),
            ("third-party-pattern.eml", "pattern-set2", "Sluice.ThirdParty.BodyPattern.UNOFFICIAL"),
            ("logical-signature.eml", "pattern-set1", "Sluice-Test-Logical.UNOFFICIAL"),
        ] {
            let (code, reply) = send_one(&sluice, &fixture(file));
            assert_eq!(code, 550, "{file} via {address}: {reply}");
            assert!(reply.starts_with("5.7.1"), "{file}: {reply}");
            let row = newest_log(&sluice);
            assert_eq!(classes(&row), ("virus", sub), "{file}: {row}");
            assert_eq!(row["extra_class"], signature, "{file}");
            assert_eq!(row["action"], "quarantine", "{file}");
            assert!(row["quarantine_id"].is_string(), "{file}: kept for an admin");
            let lookups = row["lookups"].as_array().unwrap();
            assert!(lookups.iter().any(|lookup| lookup["what"].as_str().unwrap().starts_with("clamd INSTREAM")), "{row}");
        }
        let (code, reply) = send_one(&sluice, &fixture("clean.eml"));
        assert_eq!(code, 250, "clean via {address}: {reply}");
        let row = newest_log(&sluice);
        assert_eq!(clamd_lookup(&row)["outcome"], "answer", "{row}");
        // Delivered before this gateway is stopped.
        wait_for("the clean message at the sink", Duration::from_secs(20), || sink.messages().len() == delivered + 1);
    }
    // Larger than the test clamd's StreamMaxLength (1M): not scanned, so not accepted.
    let sluice = gateway(&sink, &format!("127.0.0.1:{}", clamd.port), "10s", "");
    let big = support::message("big", &"All work and no play makes Jack a dull boy.\r\n".repeat(40_000));
    let (code, reply) = send_one(&sluice, &big);
    assert_eq!(code, 451, "{reply}");
    let row = newest_log(&sluice);
    assert_eq!(classes(&row), ("error", "antivirus-unavailable"), "{row}");
    assert_eq!(sink.messages().len(), 2);
    assert!(sink.messages().iter().all(|(raw, _)| !raw.windows(6).any(|window| window == b"EICAR-")));
}

#[test]
fn the_conformance_eicar_attachment_is_a_virus() {
    let clamd = Clamd::start();
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = gateway(&sink, &format!("127.0.0.1:{}", clamd.port), "10s", "");
    let (code, _) = send_one(&sluice, &fixture("eicar-attachment.eml"));
    assert_eq!(code, 550);
    assert_eq!(classes(&newest_log(&sluice)), ("virus", "pattern-set1"));
}

#[test]
fn clamd_down_refuses_temporarily_and_delivers_nothing_unless_failing_open() {
    let mut clamd = Clamd::start();
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let address = format!("127.0.0.1:{}", clamd.port);
    let sluice = gateway(&sink, &address, "10s", "");
    let open = gateway(&sink, &address, "10s", "antivirus_fail_open = true\n");
    clamd.stop();
    let clean = fixture("clean.eml");
    let (code, reply) = send_one(&sluice, &clean);
    assert_eq!(code, 451, "{reply}");
    assert!(reply.starts_with("4.3.0"), "{reply}");
    let row = newest_log(&sluice);
    assert_eq!(classes(&row), ("error", "antivirus-unavailable"), "{row}");
    assert_eq!(row["error_class"], "antivirus-unavailable");
    assert_eq!(clamd_lookup(&row)["outcome"], "failed", "{row}");
    // A virus is not let through unscanned either.
    assert_eq!(send_one(&sluice, &fixture("eicar-zip-base64.eml")).0, 451);

    // A domain that fails open accepts, and its log row says so.
    let (code, reply) = send_one(&open, &clean);
    assert_eq!(code, 250, "{reply}");
    let row = newest_log(&open);
    let lookups = row["lookups"].as_array().unwrap();
    assert!(lookups.iter().any(|lookup| lookup["outcome"] == "fail-open"), "{row}");
    wait_for("the fail-open message at the sink", Duration::from_secs(20), || sink.messages().len() == 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.messages().len(), 1, "nothing from the fail-closed gateway");
}

#[test]
fn clamd_slower_than_the_timeout_refuses_temporarily_in_time() {
    // A listener that accepts and never answers: clamd stuck on a scan.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let held = std::thread::spawn(move || {
        let mut connections = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if let Ok((stream, _)) = listener.accept() {
                connections.push(stream);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = gateway(&sink, &address, "1s", "");
    let started = Instant::now();
    let (code, reply) = send_one(&sluice, &fixture("clean.eml"));
    let took = started.elapsed();
    assert_eq!(code, 451, "{reply}");
    assert!(took < Duration::from_secs(6), "answered after {took:?}");
    let row = newest_log(&sluice);
    assert_eq!(classes(&row), ("error", "antivirus-unavailable"));
    assert_eq!(clamd_lookup(&row)["outcome"], "timed-out", "{row}");
    assert!(sink.messages().is_empty());
    drop(held);
}

/// `sluice urllist import` into the gateway's store.
fn import_url_list(sluice: &Sluice, list: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/urllists").join(format!("{list}.txt"));
    let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["urllist", "import", "--config"])
        .arg(&sluice.config_path)
        .args(["--list", list])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["list"], list);
    assert_eq!(report["hashes"], 2);
}

fn message_with(subject: &str, content_type: &str, body: &str) -> Vec<u8> {
    let mut raw = support::message(subject, body);
    let text = String::from_utf8(raw.clone()).unwrap().replace("Content-Type: text/plain; charset=utf-8", content_type);
    raw = text.into_bytes();
    raw
}

#[test]
fn url_hash_lists_and_phishing_patterns_through_smtp() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start_with(None, sink.port, "[phishing]\nprotected_domains = [\"example.test\"]\n", "");
    import_url_list(&sluice, "phishing");
    import_url_list(&sluice, "malware");
    // (what, message, reply code, (main, sub), extra starts with)
    type Case = (&'static str, Vec<u8>, u64, (&'static str, &'static str), &'static str);
    let cases: Vec<Case> = vec![
        (
            "phishing list, in text",
            message_with("t1", "Content-Type: text/plain; charset=utf-8", "Sign in: http://Secure.Login.Phish-Test.example:8080/a/../b?x=1\r\n"),
            550,
            ("phish", "pattern-remote"),
            "phishing list: login.phish-test.example/",
        ),
        (
            "phishing list, full hash of a page",
            message_with("t2", "Content-Type: text/html; charset=utf-8", "<a href=\"https://pay.phish-test.example/verify/account.php?id=7\">Pay</a>\r\n"),
            550,
            ("phish", "pattern-remote"),
            "phishing list: pay.phish-test.example/verify/account.php",
        ),
        (
            "malware list, in an href",
            message_with("t3", "Content-Type: text/html; charset=utf-8", "<a href=\"https://downloads.malware-test.example/payload/setup.exe\">Update</a>\r\n"),
            550,
            ("virus", "pattern-set1-remote"),
            "malware list: downloads.malware-test.example/payload/",
        ),
        ("phishing pattern", fixture_in("phishing", "lookalike-sender-display.positive.eml"), 550, ("phish", "pattern"), "lookalike-sender: "),
        ("clean", fixture_in("phishing", "link-text.negative.eml"), 250, ("", ""), ""),
    ];
    // `sluice explain` judges with the same lists and patterns.
    let listed = sluice.dir.path().join("listed.eml");
    std::fs::write(&listed, &cases[0].1).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["explain", "--offline", "--rcpt", "bob@example.net", "--config"])
        .arg(&sluice.config_path)
        .arg(&listed)
        .output()
        .unwrap();
    let explained = String::from_utf8_lossy(&output.stdout);
    assert!(explained.contains("pattern-remote") && explained.contains("login.phish-test.example/"), "{explained}");
    for (what, raw, code, (main, sub), extra) in cases {
        let (got, reply) = send_one(&sluice, &raw);
        assert_eq!(got, code, "{what}: {reply}");
        let row = newest_log(&sluice);
        if code != 250 {
            assert_eq!(row["main_class"], main, "{what}: {row}");
            assert_eq!(row["sub_class"], sub, "{what}");
            assert!(row["extra_class"].as_str().unwrap().starts_with(extra), "{what}: {row}");
            assert_eq!(row["action"], "quarantine", "{what}");
        }
    }
}

/// The clamd scan among the row's lookups (the sender authentication's come first).
fn clamd_lookup(row: &serde_json::Value) -> serde_json::Value {
    let lookups = row["lookups"].as_array().expect("lookups");
    lookups
        .iter()
        .find(|lookup| lookup["what"].as_str().is_some_and(|what| what.starts_with("clamd")))
        .cloned()
        .unwrap_or_else(|| panic!("no clamd lookup: {row}"))
}
