//! Test harness: runs the real `sluice` binary, a real downstream SMTP server
//! (aiosmtpd, `tests/support/sink.py`) and real SMTP clients (Python smtplib,
//! `tests/support/send.py`, or raw sockets for malformed input), all on loopback.
//! Every wait is bounded; every process is killed when the harness is dropped.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const TOKEN: &str = "test-token";

/// The Python with aiosmtpd: Debian's (`python3-aiosmtpd`), or any on PATH that
/// has it.
fn python_with_aiosmtpd() -> String {
    for candidate in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(candidate)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if ok {
            return candidate.to_owned();
        }
    }
    panic!("no python3 with aiosmtpd: install python3-aiosmtpd (see .ci/run)");
}

/// A port that is free now, below the kernel's ephemeral range (32768 and up) so
/// that no outgoing connection takes it between this call and its use.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(7919);
    loop {
        let candidate = 20_000 + (seed.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed) * 13) % 12_000) as u16;
        if TcpListener::bind(("127.0.0.1", candidate)).is_ok() {
            return candidate;
        }
    }
}

pub fn wait_for(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The downstream server.
pub struct Sink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl Sink {
    pub fn start(port: u16, dir: &Path) -> Sink {
        std::fs::create_dir_all(dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/sink.py");
        let mut child = Command::new(python_with_aiosmtpd())
            .arg(script)
            .args(["127.0.0.1", &port.to_string()])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "sink did not start");
        Sink {
            port,
            dir: dir.to_owned(),
            child,
        }
    }

    /// Messages received so far: (raw, envelope JSON), in arrival order.
    pub fn messages(&self) -> Vec<(Vec<u8>, Value)> {
        messages_in(&self.dir)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn messages_in(dir: &Path) -> Vec<(Vec<u8>, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "eml"));
    files.sort_by_key(|path| std::fs::metadata(path).and_then(|meta| meta.modified()).ok());
    files
        .iter()
        .map(|path| {
            let raw = std::fs::read(path).unwrap();
            let envelope = std::fs::read_to_string(path.with_extension("json")).unwrap();
            (raw, serde_json::from_str(&envelope).unwrap())
        })
        .collect()
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running gateway with its own data directory and ports.
pub struct Sluice {
    pub dir: tempfile::TempDir,
    pub smtp_port: u16,
    pub submission_port: u16,
    /// `[listen] submissions` (implicit TLS).
    pub submissions_port: u16,
    pub web_port: u16,
    pub sink_port: u16,
    pub config_path: PathBuf,
    /// The DNS server the gateway asks (`[dns] resolver`), unless the test's
    /// configuration names its own: it knows no name until the test adds one
    /// (every other name is NXDOMAIN, answered at once).
    pub dns: sluice_testdns::TestDns,
    child: Option<Child>,
}

impl Sluice {
    /// Writes a configuration routing `example.net` to `sink_port` (plus `extra`
    /// lines appended at the top level before the domains) and starts the gateway.
    pub fn start(sink_port: u16, extra: &str) -> Sluice {
        Sluice::start_on(None, sink_port, extra)
    }

    /// As [`Sluice::start`], on the storage at `storage_url` (default: SQLite in
    /// the data directory).
    pub fn start_on(storage_url: Option<&str>, sink_port: u16, extra: &str) -> Sluice {
        Sluice::start_with(storage_url, sink_port, extra, "")
    }

    /// The most general start: `extra` goes into `[smtp]`, `tail` after the
    /// `example.net` domain (its own keys first, then more `[[domains]]`).
    ///
    /// The gateway asks [`Sluice::dns`] (unless `extra` has a `[dns]` table of its
    /// own), which knows no name until a test adds it; so sender verification
    /// (which would refuse every sender of that empty world) is off in
    /// `[defaults]`, and a test turns it on per domain (`verify_senders = true`).
    pub fn start_with(storage_url: Option<&str>, sink_port: u16, extra: &str, tail: &str) -> Sluice {
        let dir = tempfile::tempdir().unwrap();
        let dns = sluice_testdns::TestDns::start();
        let resolver = if extra.contains("[dns]") || tail.contains("[dns]") {
            String::new()
        } else {
            format!("[dns]\nresolver = \"{}\"\ntimeout = \"2s\"\n", dns.address())
        };
        let extra = if extra.contains("[defaults]") {
            extra.replacen("[defaults]\n", "[defaults]\nverify_senders = false\n", 1)
        } else {
            format!("{extra}\n[defaults]\nverify_senders = false\n")
        };
        let storage = storage_url.map(|url| format!("[storage]\nurl = \"{url}\"\n")).unwrap_or_default();
        let (smtp_port, submission_port, web_port) = (free_port(), free_port(), free_port());
        let submissions_port = free_port();
        let config = format!(
            r#"hostname = "mx.test.example"
node_id = "node-{smtp_port}"
data_dir = "{data}"
[listen]
smtp = "127.0.0.1:{smtp_port}"
submission = "127.0.0.1:{submission_port}"
submissions = "127.0.0.1:{submissions_port}"
web = "127.0.0.1:{web_port}"
{storage}{resolver}[web]
admin_token = "{TOKEN}"
[delivery]
retry_initial = "1s"
retry_max = "2s"
max_age = "5d"
timeout = "10s"
starttls = false
{limits}[smtp]
{timeout}shutdown_grace = "5s"
{extra}
[[domains]]
name = "example.net"
destination = "127.0.0.1:{sink_port}"
{tail}
"#,
            data = dir.path().join("data").display(),
            // `extra` may set its own (shorter) timeout.
            timeout = if extra.lines().any(|line| line.trim_start().starts_with("timeout")) { "" } else { "timeout = \"10s\"\n" },
            // Every test connects from loopback, many times a minute: the
            // connection rate limits are off unless a test sets its own `[limits]`.
            limits = if extra.contains("[limits]") { "" } else { "[limits]\nconnections_per_minute = 0\nconnections_per_hour = 0\n" },
        );
        let config_path = dir.path().join("sluice.toml");
        std::fs::write(&config_path, config).unwrap();
        let mut sluice = Sluice {
            dir,
            smtp_port,
            submission_port,
            submissions_port,
            web_port,
            sink_port,
            config_path,
            dns,
            child: None,
        };
        sluice.spawn();
        sluice
    }

    /// Starts (or restarts) the process on the same configuration and data.
    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("sluice.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["serve", "--config"])
            .arg(&self.config_path)
            .env("SLUICE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start sluice");
        self.child = Some(child);
        let port = self.web_port;
        wait_for("sluice /healthz", Duration::from_secs(30), || {
            if !self.is_running() {
                panic!("sluice exited at start:\n{}", self.log());
            }
            http(port, "GET", "/healthz", None, None).is_some_and(|(status, _)| status == 200)
        });
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sluice.log")).unwrap_or_default()
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then the exit status (bounded wait).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                panic!("sluice did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|child| child.try_wait().unwrap().is_none())
    }

    /// Sends with Python smtplib; one JSON result per file.
    pub fn send(&self, sender: &str, recipients: &[&str], messages: &[&[u8]]) -> Vec<Value> {
        let mut files = Vec::new();
        for (index, message) in messages.iter().enumerate() {
            let path = self.dir.path().join(format!("out-{}-{index}.eml", free_port()));
            std::fs::write(&path, message).unwrap();
            files.push(path);
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/send.py");
        let output = Command::new("python3")
            .arg(script)
            .args(["127.0.0.1", &self.smtp_port.to_string(), sender, &recipients.join(",")])
            .args(&files)
            .output()
            .expect("run send.py");
        assert!(output.status.success(), "send.py failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    pub fn api(&self, method: &str, path: &str) -> (u16, Value) {
        let (status, body) = http(self.web_port, method, path, Some(TOKEN), None).expect("API answers");
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    pub fn api_post(&self, path: &str, body: &str) -> (u16, Value) {
        self.api_send("POST", path, body)
    }

    pub fn api_send(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let (status, body) = http(self.web_port, method, path, Some(TOKEN), Some(body)).expect("API answers");
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// The newest log row with its findings, decision and lookups (`GET /api/v1/logs/{id}`).
    pub fn newest_row(&self) -> Value {
        let logs = self.logs();
        let newest = logs.iter().max_by_key(|row| row["id"].as_i64()).expect("a log row");
        let (status, row) = self.api("GET", &format!("/api/v1/logs/{}", newest["id"]));
        assert_eq!(status, 200);
        row
    }

    /// The URL of this gateway's store: `storage` when it runs on one given,
    /// else its SQLite file.
    pub fn store_url(&self, storage: Option<&str>) -> String {
        storage.map_or_else(|| format!("sqlite://{}", self.dir.path().join("data/sluice.db").display()), str::to_owned)
    }

    pub fn logs(&self) -> Vec<Value> {
        let (status, body) = self.api("GET", "/api/v1/logs?limit=1000");
        assert_eq!(status, 200);
        body["items"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Sluice {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh PostgreSQL database on the server named by `SLUICE_TEST_POSTGRES_URL`
/// (set by `scripts/test`), or `None` when no server is configured.
pub fn fresh_postgres_database() -> Option<String> {
    let admin = std::env::var("SLUICE_TEST_POSTGRES_URL").ok()?;
    let name = format!("sluice_it_{}_{}", std::process::id(), free_port());
    let status = Command::new("psql")
        .arg(&admin)
        .args(["-q", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("run psql");
    assert!(status.success(), "cannot create a test database on {admin}");
    let (base, _) = admin.rsplit_once('/').expect("postgres url with a database");
    Some(format!("{base}/{name}"))
}

/// Two gateway nodes sharing one fresh PostgreSQL database and one sink.
pub struct TwoNodes {
    pub a: Sluice,
    pub b: Sluice,
    pub sink: Sink,
    _sink_dir: tempfile::TempDir,
}

/// [`TwoNodes`], or `None` (saying so) when no PostgreSQL server is configured.
pub fn two_nodes() -> Option<TwoNodes> {
    two_nodes_with("")
}

/// [`two_nodes`], both with `extra` as in [`Sluice::start_with`].
pub fn two_nodes_with(extra: &str) -> Option<TwoNodes> {
    let Some(url) = fresh_postgres_database() else {
        eprintln!("SLUICE_TEST_POSTGRES_URL not set: the two-node variant is not run (scripts/test sets it)");
        return None;
    };
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let a = Sluice::start_with(Some(&url), sink.port, extra, "");
    let b = Sluice::start_with(Some(&url), sink.port, extra, "");
    Some(TwoNodes { a, b, sink, _sink_dir: sink_dir })
}

/// A minimal HTTP/1.1 client over a raw socket: (status, body).
pub fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let auth = token.map(|token| format!("Authorization: Bearer {token}\r\n")).unwrap_or_default();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// A raw SMTP conversation for malformed input: sends `bytes`, returns all the
/// server said until it closed or went quiet for `quiet`.
pub fn raw_smtp(port: u16, chunks: &[&[u8]], quiet: Duration) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(quiet)).unwrap();
    let mut transcript = Vec::new();
    let mut buffer = [0u8; 65536];
    let mut read_some = |stream: &mut TcpStream, transcript: &mut Vec<u8>| {
        while let Ok(count) = stream.read(&mut buffer) {
            if count == 0 {
                break;
            }
            transcript.extend_from_slice(&buffer[..count]);
        }
    };
    read_some(&mut stream, &mut transcript);
    for chunk in chunks {
        if stream.write_all(chunk).is_err() {
            break;
        }
        read_some(&mut stream, &mut transcript);
    }
    String::from_utf8_lossy(&transcript).into_owned()
}

/// A connection from `source` (a 127.0.0.0/8 address) to the gateway's `port`,
/// reads bounded by 20 s.
pub fn connect_from(source: &str, port: u16) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        socket.connect(format!("127.0.0.1:{port}").parse().unwrap()).await.unwrap().into_std().unwrap()
    });
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream
}

/// An SMTP session from `source`, reply by reply (QUIT when dropped).
pub struct SmtpLines {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl SmtpLines {
    /// Connected from `source` and greeted with a 220.
    pub fn from(source: &str, port: u16) -> SmtpLines {
        let stream = connect_from(source, port);
        let mut session = SmtpLines { writer: stream.try_clone().unwrap(), reader: BufReader::new(stream) };
        let greeting = session.reply();
        assert!(greeting.starts_with("220 "), "{greeting}");
        session
    }

    /// The last line of the next (possibly multi-line) reply; what was read
    /// when the server closed.
    pub fn reply(&mut self) -> String {
        let mut last = String::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).unwrap_or(0) == 0 {
                return last;
            }
            last = line.trim_end().to_owned();
            if line.as_bytes().get(3) == Some(&b' ') {
                return last;
            }
        }
    }

    /// `line` with its CRLF, and the reply.
    pub fn command(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes())
    }

    /// `bytes` as they are (a message's data with its final dot), and the reply.
    pub fn send(&mut self, bytes: &[u8]) -> String {
        self.writer.write_all(bytes).unwrap();
        self.reply()
    }
}

impl Drop for SmtpLines {
    fn drop(&mut self) {
        let _ = self.writer.write_all(b"QUIT\r\n");
    }
}

/// Sends `commands` after the greeting and reads until the server closes the
/// connection (or `bound` passes): for sessions the server ends itself, where
/// a quiet period would cut the transcript whenever a loaded machine is slow.
pub fn raw_smtp_until_closed(port: u16, commands: &[u8], bound: Duration) -> String {
    let started = std::time::Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut transcript = Vec::new();
    let mut buffer = [0u8; 65536];
    let mut sent = false;
    while started.elapsed() < bound {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => transcript.extend_from_slice(&buffer[..count]),
            Err(_) => {}
        }
        if !sent && transcript.ends_with(b"\r\n") {
            sent = true;
            if stream.write_all(commands).is_err() {
                break;
            }
        }
    }
    String::from_utf8_lossy(&transcript).into_owned()
}

/// A small well-formed message with CRLF line endings.
pub fn message(subject: &str, body: &str) -> Vec<u8> {
    let date = Command::new("date").arg("-R").output().map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned()).unwrap_or_default();
    format!(
        "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{subject}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    )
    .into_bytes()
}

/// Waits out the last `margin` seconds of the current `window` (the limits count
/// in windows that start on the minute and on the hour), so that the connections
/// a test makes next are counted in one window.
pub fn away_from_a_window_end(window: u64, margin: u64) {
    let into = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % window;
    if into + margin >= window {
        std::thread::sleep(Duration::from_secs(window - into + 1));
    }
}

/// Milliseconds since the epoch, as the store's time stamps count.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A log row as the gateway writes one for a delivered message (not-spam /
/// combined, `250 2.0.0 queued`), for tests that write rows straight into a
/// gateway's store; change what the test needs.
pub fn log_row(direction: sluice_store::Direction, received_at_ms: i64, sender: &str, recipient: &str, subject: &str) -> sluice_store::LogEntry {
    sluice_store::LogEntry {
        received_at_ms,
        direction,
        client_ip: "192.0.2.7".to_owned(),
        helo: "client.example.org".to_owned(),
        sender: sender.to_owned(),
        recipients: vec![recipient.to_owned()],
        subject: subject.to_owned(),
        main_class: sluice_model::MainClass::NotSpam,
        sub_class: sluice_model::Subclass::Combined,
        error_class: None,
        extra_class: String::new(),
        score: None,
        reply: "250 2.0.0 queued".to_owned(),
        action: sluice_model::Action::Deliver,
        explanation: sluice_store::Explanation::default(),
    }
}

/// Runs `work` on the store at `url` (a gateway's, opened beside it), on a
/// runtime of its own.
pub fn in_store<T, F: std::future::Future<Output = T>>(url: &str, work: impl FnOnce(sluice_store::Store) -> F) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = sluice_store::Store::open(url).await.expect("open the gateway's store");
        work(store).await
    })
}
