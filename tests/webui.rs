//! The web interface over HTTP against the real binary: `sluice user`, login
//! and sessions, the gate in front of every page, CSRF, the login rate limit,
//! what each role sees and may release, hostile subjects rendered as text, and
//! the security headers. (The same in a real browser: `tests/browser.rs`.)

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Sink, Sluice, free_port, message, wait_for};

pub const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// `sluice user ARGS...` with `stdin`: (success, stdout, stderr).
fn user_cli(sluice: &Sluice, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("user")
        .arg(args[0])
        .arg("--config")
        .arg(&sluice.config_path)
        .args(&args[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sluice user");
    // A command refused before it reads its input may have exited already:
    // the write then fails with a broken pipe, and the exit status tells.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let output = child.wait_with_output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn add_user(sluice: &Sluice, args: &[&str], password: &str) {
    let mut all = vec!["add"];
    all.extend_from_slice(args);
    let (ok, _, stderr) = user_cli(sluice, &all, &format!("{password}\n"));
    assert!(ok, "sluice user add {args:?}: {stderr}");
}

/// One HTTP response.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// The value of the hidden input `name` (the first).
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        Some(self.body[start..].split('"').next()?.to_owned())
    }
}

/// `text` as the templates escape it.
pub fn escaped(text: &str) -> String {
    let mut out = String::new();
    for character in text.chars() {
        match character {
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&#38;"),
            other => out.push(other),
        }
    }
    out
}

/// A browser reduced to HTTP/1.1 and one session cookie.
pub struct Client {
    port: u16,
    cookie: Option<String>,
}

/// `application/x-www-form-urlencoded`.
fn form(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|byte| if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") })
            .collect::<String>()
    };
    fields.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}

impl Client {
    pub fn new(port: u16) -> Client {
        Client { port, cookie: None }
    }

    pub fn request(&mut self, method: &str, path: &str, body: Option<&str>, extra_headers: &str) -> Page {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the web listener");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let cookie = self.cookie.as_ref().map(|cookie| format!("Cookie: {cookie}\r\n")).unwrap_or_default();
        let body = body.unwrap_or("");
        // A form unless the caller names its own type (JSON for the API).
        let content_type =
            if extra_headers.to_ascii_lowercase().contains("content-type:") { "" } else { "Content-Type: application/x-www-form-urlencoded\r\n" };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{cookie}{extra_headers}{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        let mut lines = head.lines();
        let status = lines.next().and_then(|line| line.split_whitespace().nth(1)).and_then(|code| code.parse().ok()).unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':').map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned())))
            .collect();
        let chunked = headers.iter().any(|(name, value)| name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked"));
        let body = if chunked { dechunk(body) } else { body.to_owned() };
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or("").to_owned();
                self.cookie = if pair.ends_with('=') || value.contains("Max-Age=0") { None } else { Some(pair) };
            }
        }
        Page { status, headers, body }
    }

    pub fn get(&mut self, path: &str) -> Page {
        self.request("GET", path, None, "")
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.request("POST", path, Some(&form(fields)), "")
    }

    /// Logs in; panics unless it worked.
    pub fn login(&mut self, username: &str, password: &str) {
        let page = self.post("/login", &[("username", username), ("password", password)]);
        assert_eq!(page.status, 303, "login as {username}: {}", page.body);
        assert!(self.cookie.is_some(), "no session cookie after logging in");
    }

    /// The CSRF token of the pages of this session.
    pub fn csrf(&mut self) -> String {
        self.get("/logs").hidden("csrf").expect("a csrf field on /logs")
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].strip_prefix("\r\n").unwrap_or(&rest[size..]);
    }
    out
}

/// The gateway with a second domain, `example.com`, routed to the same sink.
fn start(sink: &Sink) -> Sluice {
    start_on(sink, None)
}

/// As [`start`], on the store at `storage_url` (default: SQLite).
fn start_on(sink: &Sink, storage_url: Option<&str>) -> Sluice {
    // The fixtures are sent now; no Date skew matters.
    Sluice::start_with(storage_url, sink.port, "", &format!("[[domains]]\nname = \"example.com\"\ndestination = \"127.0.0.1:{}\"\n", sink.port))
}

/// SQLite, and PostgreSQL when a server is configured (`scripts/test` starts one).
fn every_store() -> Vec<Option<String>> {
    std::iter::once(None).chain(support::fresh_postgres_database().map(Some)).collect()
}

#[test]
fn user_cli_adds_lists_changes_and_removes_users() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "root"], "first secret");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "--domain", "example.net", "postmaster"], "x");
    add_user(&sluice, &["--role", "user", "Bob@Example.net"], "bobs password");

    let (ok, listed, _) = user_cli(&sluice, &["list"], "");
    assert!(ok);
    let users: Vec<serde_json::Value> = listed.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let names: Vec<&str> = users.iter().map(|user| user["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bob@example.net", "postmaster", "root"]);
    assert_eq!(users[1]["role"], "domain-admin");
    assert_eq!(users[1]["domains"], serde_json::json!(["example.com", "example.net"]));
    assert!(!listed.contains("argon2"), "hashes are not listed: {listed}");

    let refused = [
        (vec!["add", "--role", "admin", "root"], "again\n", "exists"),
        (vec!["add", "--role", "domain-admin", "nodomain"], "x\n", "at least one --domain"),
        (vec!["add", "--role", "user", "not-an-address"], "x\n", "its address"),
        (vec!["add", "--role", "owner", "x"], "x\n", "--role"),
        (vec!["add", "--role", "admin", "empty"], "\n", "no password"),
        (vec!["remove", "nobody"], "", "no user"),
        (vec!["passwd", "nobody"], "x\n", "no user"),
    ];
    for (args, stdin, error) in refused {
        let (ok, _, stderr) = user_cli(&sluice, &args, stdin);
        assert!(!ok && stderr.contains(error), "{args:?}: {stderr}");
    }

    let mut client = Client::new(sluice.web_port);
    client.login("root", "first secret");
    let (ok, _, stderr) = user_cli(&sluice, &["passwd", "ROOT"], "second secret\r\n");
    assert!(ok, "{stderr}");
    let mut other = Client::new(sluice.web_port);
    assert_eq!(other.post("/login", &[("username", "root"), ("password", "first secret")]).status, 200, "old password still works");
    other.login("root", "second secret");

    let (ok, _, stderr) = user_cli(&sluice, &["remove", "root"], "");
    assert!(ok, "{stderr}");
    let page = client.get("/logs");
    assert_eq!(page.status, 303, "a removed user's session goes on");
}

#[test]
fn pages_need_a_session_and_the_login_form_keeps_its_fields() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "correct horse");
    let mut client = Client::new(sluice.web_port);

    for path in ["/logs", "/logs/1", "/quarantine", "/quarantine/abc", "/", "/no-such-page"] {
        let page = client.get(path);
        assert_eq!(page.status, 303, "{path}");
        let location = page.header("location").unwrap();
        assert!(location.starts_with("/login?next="), "{path}: {location}");
    }
    assert_eq!(client.get("/logs?subject=a%20b").header("location"), Some("/login?next=%2Flogs%3Fsubject%3Da%2520b"));
    assert_eq!(client.post("/quarantine/abc/release", &[]).header("location"), Some("/login"));
    let css = client.get("/static/app.css");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert_eq!(client.get("/static/app.js").status, 200);
    // The API keeps its own (bearer token) door.
    assert_eq!(client.get("/api/v1/logs").status, 401);
    assert_eq!(sluice.api("GET", "/api/v1/no-such").0, 404);

    let login_form = client.get("/login?next=/quarantine&theme=dark");
    assert_eq!(login_form.status, 200);
    assert!(login_form.body.contains("name=\"username\"") && login_form.body.contains("name=\"password\""), "{}", login_form.body);
    assert_eq!(login_form.hidden("next").as_deref(), Some("/quarantine"));
    assert_eq!(login_form.hidden("theme").as_deref(), Some("dark"));

    let wrong = client.post("/login", &[("username", "admin"), ("password", "wrong"), ("next", "/quarantine"), ("x", "<b>\"")]);
    assert_eq!(wrong.status, 200);
    assert!(wrong.body.contains("Wrong user name or password"), "{}", wrong.body);
    assert!(wrong.body.contains("name=\"password\""));
    assert_eq!(wrong.hidden("next").as_deref(), Some("/quarantine"), "the other fields are sent back");
    assert_eq!(wrong.hidden("x"), Some(escaped("<b>\"")), "and escaped");
    assert!(wrong.header("set-cookie").is_none(), "a session for a wrong password");
    let unknown = client.post("/login", &[("username", "nobody"), ("password", "wrong")]);
    assert!(unknown.body.contains("Wrong user name or password") && unknown.header("set-cookie").is_none());

    let cross = client.request("POST", "/login", Some(&form(&[("username", "admin"), ("password", "correct horse")])), "Origin: https://evil.test\r\n");
    assert_eq!(cross.status, 403, "a login posted from another site");
    assert!(cross.header("set-cookie").is_none());

    let page = client.post("/login", &[("username", "admin"), ("password", "correct horse"), ("next", "/quarantine")]);
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.header("location"), Some("/quarantine"));
    let cookie = page.header("set-cookie").unwrap();
    for attribute in ["sluice_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    let logs = client.get("/logs");
    assert_eq!(logs.status, 200, "{}", logs.body);
    assert!(logs.header("content-type").unwrap().starts_with("text/html; charset=utf-8"));
    let csp = logs.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(logs.header("x-frame-options"), Some("DENY"));
    assert_eq!(logs.header("referrer-policy"), Some("no-referrer"));
    assert!(!logs.body.contains("<script>"), "inline script on the page");
    for column in ["Main Class", "Subclass", "Error Class", "Extra Class", "Visible columns"] {
        assert!(logs.body.contains(column), "{column} missing");
    }

    let hostile_next = Client::new(sluice.web_port).post("/login", &[("username", "admin"), ("password", "correct horse"), ("next", "//evil.test/x")]);
    assert_eq!(hostile_next.header("location"), Some("/logs"));

    // Every post needs the session's token.
    assert_eq!(client.post("/logout", &[]).status, 403);
    assert_eq!(client.post("/logout", &[("csrf", "0000")]).status, 403);
    let csrf = client.csrf();
    assert_eq!(client.post("/logout", &[("csrf", &csrf)]).header("location"), Some("/login"));
    assert_eq!(client.get("/logs").status, 303, "still logged in after logging out");
}

#[test]
fn failed_logins_are_limited_per_user() {
    support::away_from_a_window_end(900, 20);
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "correct horse");
    let mut client = Client::new(sluice.web_port);
    for _ in 0..10 {
        assert_eq!(client.post("/login", &[("username", "admin"), ("password", "guess")]).status, 200);
    }
    let limited = client.post("/login", &[("username", "admin"), ("password", "correct horse")]);
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(limited.body.contains("Too many failed logins") && limited.header("set-cookie").is_none());
}

/// The log row ids (from the `/logs/ID` links) of a page.
fn row_ids(page: &Page) -> Vec<i64> {
    let mut ids: Vec<i64> = page
        .body
        .match_indices("<tr data-href=\"/logs/")
        .filter_map(|(at, marker)| page.body[at + marker.len()..].split('"').next()?.parse().ok())
        .collect();
    ids.dedup();
    ids
}

fn quarantine_ids(page: &Page) -> Vec<String> {
    page.body
        .match_indices("<tr data-href=\"/quarantine/")
        .filter_map(|(at, marker)| Some(page.body[at + marker.len()..].split('"').next()?.to_owned()))
        .collect()
}

#[test]
fn roles_see_and_release_only_their_rows() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    sluice.send("alice@example.org", &["bob@example.net"], &[&message("for-bob", &format!("{GTUBE}\r\n"))]);
    sluice.send("alice@example.org", &["carol@example.com"], &[&message("for-carol", &format!("{GTUBE}\r\n"))]);
    sluice.send("alice@example.org", &["dave@example.net"], &[&message("for-dave", "hello\r\n")]);
    let logs = sluice.logs();
    let id_of = |subject: &str| logs.iter().find(|row| row["subject"] == subject).and_then(|row| row["id"].as_i64()).unwrap();
    let (bob, carol, dave) = (id_of("for-bob"), id_of("for-carol"), id_of("for-dave"));

    let mut admin = Client::new(sluice.web_port);
    admin.login("admin", "a");
    assert_eq!(row_ids(&admin.get("/logs")), [dave, carol, bob]);
    assert_eq!(quarantine_ids(&admin.get("/quarantine")).len(), 2);

    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    assert_eq!(row_ids(&comadmin.get("/logs")), [carol]);
    assert_eq!(comadmin.get(&format!("/logs/{carol}")).status, 200);
    assert_eq!(comadmin.get(&format!("/logs/{bob}")).status, 404, "another domain's row");
    let com_quarantine = quarantine_ids(&comadmin.get("/quarantine"));
    assert_eq!(com_quarantine.len(), 1);

    let mut user = Client::new(sluice.web_port);
    user.login("bob@example.net", "b");
    assert_eq!(row_ids(&user.get("/logs")), [bob]);
    assert_eq!(user.get(&format!("/logs/{dave}")).status, 404, "another mailbox's row");
    let bob_quarantine = quarantine_ids(&user.get("/quarantine"));
    assert_eq!(bob_quarantine.len(), 1);
    assert_eq!(user.get(&format!("/quarantine/{}", com_quarantine[0])).status, 404);
    let preview = user.get(&format!("/quarantine/{}", bob_quarantine[0]));
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("GTUBE-STANDARD"), "the text preview");

    // Releasing another's message is refused as if it did not exist; one's own
    // is delivered.
    let csrf = user.csrf();
    let refused = user.post(&format!("/quarantine/{}/release", com_quarantine[0]), &[("csrf", &csrf)]);
    assert_eq!(refused.header("location"), Some("/quarantine?done=not-found"));
    assert_eq!(user.post(&format!("/quarantine/{}/release", bob_quarantine[0]), &[]).status, 403, "a release without the token");
    let released = user.post(&format!("/quarantine/{}/release", bob_quarantine[0]), &[("csrf", &csrf)]);
    assert_eq!(released.header("location"), Some("/quarantine?done=released"));
    wait_for("the released message at the sink", Duration::from_secs(20), || {
        sink.messages().iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains("Subject: for-bob"))
    });
    assert!(user.get("/quarantine?done=released").body.contains("Released"));
    let refused = user.post(&format!("/quarantine/{}/delete", com_quarantine[0]), &[("csrf", &csrf)]);
    assert_eq!(refused.header("location"), Some("/quarantine?done=not-found"), "another's message deleted");
    // The domain admin deletes its domain's message: gone, never delivered.
    let csrf = comadmin.csrf();
    let deleted = comadmin.post(&format!("/quarantine/{}/delete", com_quarantine[0]), &[("csrf", &csrf)]);
    assert_eq!(deleted.header("location"), Some("/quarantine?done=deleted"));
    assert!(quarantine_ids(&admin.get("/quarantine")).is_empty());
    assert!(admin.get(&format!("/logs/{carol}")).body.contains("deleted from the quarantine by comadmin"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(!sink.messages().iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains("Subject: for-carol")));
    // Report a delivered message as spam; only who sees it may.
    let csrf = user.csrf();
    assert_eq!(user.post(&format!("/logs/{dave}/report"), &[("csrf", &csrf), ("as", "spam")]).status, 404);
    let csrf = admin.csrf();
    let reported = admin.post(&format!("/logs/{dave}/report"), &[("csrf", &csrf), ("as", "spam")]);
    assert_eq!(reported.header("location"), Some(format!("/logs/{dave}?done=learned").as_str()));
    let again = admin.post(&format!("/logs/{dave}/report"), &[("csrf", &csrf), ("as", "spam")]);
    assert_eq!(again.header("location"), Some(format!("/logs/{dave}?done=already-learned").as_str()));
    assert!(admin.get(&format!("/logs/{dave}?done=learned")).body.contains("classifiers learned"));
    let detail = admin.get(&format!("/logs/{bob}"));
    assert!(detail.body.contains("<td>delivered"), "{}", detail.body);
}

#[test]
fn hostile_subjects_render_as_text() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    let subjects = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(2)>",
        // `<script>alert(3)</script>` as an RFC 2047 encoded word.
        "=?utf-8?B?PHNjcmlwdD5hbGVydCgzKTwvc2NyaXB0Pg==?=",
        // `invoice<U+202E>fdp.exe` (reads as "invoiceexe.pdf"), encoded.
        "=?utf-8?B?aW52b2ljZeKArmZkcC5leGU=?=",
    ];
    for subject in subjects {
        sluice.send("alice@example.org", &["bob@example.net"], &[&message(subject, &format!("{GTUBE}\r\n"))]);
    }
    let mut client = Client::new(sluice.web_port);
    client.login("admin", "a");
    let logs = client.get("/logs");
    let quarantine = client.get("/quarantine");
    for page in [&logs, &quarantine] {
        assert!(!page.body.contains("<script>alert"), "script tag in the page: {}", page.body);
        assert!(!page.body.contains("<img"), "img tag in the page");
        assert!(!page.body.contains('\u{202E}'), "right-to-left override in the page");
        assert!(page.body.contains(&escaped("<script>alert(1)</script>")));
        assert!(page.body.contains(&escaped("<script>alert(3)</script>")), "the encoded word, decoded and escaped");
        assert!(page.body.contains(&escaped("\"><img src=x onerror=alert(2)>")));
        assert!(page.body.contains("invoice[U+202E]fdp.exe"));
    }
    for id in row_ids(&logs) {
        let detail = client.get(&format!("/logs/{id}"));
        assert_eq!(detail.status, 200);
        assert!(!detail.body.contains("<script>alert") && !detail.body.contains("<img") && !detail.body.contains('\u{202E}'));
    }
    for id in quarantine_ids(&quarantine) {
        let preview = client.get(&format!("/quarantine/{id}"));
        assert!(!preview.body.contains("<script>alert") && !preview.body.contains("<img") && !preview.body.contains('\u{202E}'));
    }
    // A search for markup finds it as text.
    let found = client.get("/logs?subject=%3Cscript%3E");
    assert_eq!(row_ids(&found).len(), 2, "{}", found.body);
}

/// Writes a log row straight into the gateway's store, as the submission side
/// writes one for mail our users send.
fn insert_outgoing(sluice: &Sluice, storage: Option<&str>, sender: &str, recipient: &str, subject: &str) -> i64 {
    let entry = support::log_row(sluice_store::Direction::Outgoing, support::now_ms(), sender, recipient, subject);
    support::in_store(&sluice.store_url(storage), |store| async move { store.log_event(&entry).await.expect("insert an outgoing row") })
}

#[test]
fn outgoing_log_and_the_full_message_page() {
    for storage in every_store() {
        outgoing_log_and_the_full_message_page_on(storage.as_deref());
    }
}

fn outgoing_log_and_the_full_message_page_on(storage: Option<&str>) {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start_on(&sink, storage);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    let from_bob = insert_outgoing(&sluice, storage, "Bob@example.net", "friend@example.org", "bob writes");
    let from_carol = insert_outgoing(&sluice, storage, "carol@example.com", "friend@example.org", "carol writes <b>");
    let hostile = String::from_utf8(message("headers-shown", "hello\r\n"))
        .unwrap()
        .replacen("Subject:", "X-Evil: <img src=x onerror=alert(1)>\r\n\tfolded\u{202E}line\r\nSubject:", 1);
    sluice.send("alice@example.org", &["bob@example.net"], &[hostile.as_bytes()]);
    wait_for("the delivery", Duration::from_secs(20), || {
        sink.messages().iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains("Subject: headers-shown"))
    });
    let incoming = sluice.logs().iter().find(|row| row["subject"] == "headers-shown").and_then(|row| row["id"].as_i64()).unwrap();

    let mut admin = Client::new(sluice.web_port);
    admin.login("admin", "a");
    let outgoing = admin.get("/outgoing/logs");
    assert_eq!(outgoing.status, 200);
    assert!(outgoing.body.contains("<h1>Outgoing log</h1>"));
    assert_eq!(row_ids(&outgoing), [from_carol, from_bob], "outgoing rows only");
    assert!(outgoing.body.contains(&escaped("carol writes <b>")));
    assert_eq!(row_ids(&admin.get("/logs")), [incoming], "incoming rows only");
    assert_eq!(row_ids(&admin.get("/outgoing/logs?subject=BOB")), [from_bob]);

    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    assert_eq!(row_ids(&comadmin.get("/outgoing/logs")), [from_carol], "by the sender's domain");
    assert_eq!(comadmin.get(&format!("/logs/{from_bob}")).status, 404);
    let mut bob = Client::new(sluice.web_port);
    bob.login("bob@example.net", "b");
    assert_eq!(row_ids(&bob.get("/outgoing/logs")), [from_bob], "what bob sent");
    let detail = bob.get(&format!("/logs/{from_bob}"));
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("&larr; Outgoing log") && detail.body.contains("outgoing"));
    assert_eq!(bob.get(&format!("/logs/{from_carol}")).status, 404);

    // The delivered message: every header as received, every attempt, the
    // source for an administrator only.
    let detail = admin.get(&format!("/logs/{incoming}"));
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("id=\"message-headers\""), "{}", detail.body);
    for field in ["Received", "X-Evil", "Message-ID", "Subject"] {
        assert!(detail.body.contains(&format!("<bdi>{field}</bdi>")), "{field} missing");
    }
    assert!(detail.body.contains(&escaped("<img src=x onerror=alert(1)>")), "the header, escaped");
    assert!(detail.body.contains("folded[U+202E]line") && !detail.body.contains('\u{202E}') && !detail.body.contains("<img"));
    let attempts = detail.body.split("id=\"delivery-attempts\"").nth(1).expect("a table of attempts");
    assert!(attempts.contains(&format!("127.0.0.1:{}", sink.port)) || attempts.contains("example.net"), "{attempts}");
    assert!(attempts.split("</table>").next().unwrap().contains("delivered"), "{attempts}");
    assert!(detail.body.contains("id=\"raw-source\""));
    let source = admin.get(&format!("/logs/{incoming}/source"));
    assert_eq!(source.status, 200);
    assert!(source.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(source.header("x-content-type-options"), Some("nosniff"));
    assert!(source.body.contains("X-Evil: <img src=x onerror=alert(1)>\r\n") && source.body.contains("Received: from"), "{}", source.body);

    let bobs_view = bob.get(&format!("/logs/{incoming}"));
    assert_eq!(bobs_view.status, 200);
    assert!(bobs_view.body.contains("X-Evil") && !bobs_view.body.contains("raw-source"), "headers yes, source link no");
    assert_eq!(bob.get(&format!("/logs/{incoming}/source")).status, 403);
    assert_eq!(comadmin.get(&format!("/logs/{incoming}/source")).status, 404, "a row one may not see");
    assert_eq!(admin.get(&format!("/logs/{from_bob}/source")).status, 404, "nothing stored");
}

#[test]
fn quarantine_actions_one_at_a_time_and_in_bulk() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    for subject in ["q1", "q2", "q3", "q4", "q5"] {
        sluice.send("alice@example.org", &["bob@example.net"], &[&message(subject, &format!("{GTUBE}\r\n"))]);
    }
    sluice.send("alice@example.org", &["carol@example.com"], &[&message("q6", &format!("{GTUBE}\r\n"))]);
    let (_, quarantined) = sluice.api("GET", "/api/v1/quarantine");
    let quarantined = quarantined["items"].as_array().unwrap().clone();
    let by_subject = |subject: &str| quarantined.iter().find(|row| row["subject"] == subject).unwrap().clone();
    let id = |subject: &str| (by_subject(subject)["id"].as_str().unwrap().to_owned(), by_subject(subject)["log_id"].as_i64().unwrap());
    let delivered = |subject: &str| sink.messages().iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains(&format!("Subject: {subject}\r\n")));

    let mut bob = Client::new(sluice.web_port);
    bob.login("bob@example.net", "b");
    let csrf = bob.csrf();
    let page = bob.get("/quarantine");
    assert!(page.body.contains("id=\"bulk\"") && page.body.contains("form=\"bulk\""), "check boxes for bulk actions");

    // Release without training: delivered, and reporting it as not spam then
    // teaches something new.
    let (q1, q1_log) = id("q1");
    let done = bob.post(&format!("/quarantine/{q1}/release-untrained"), &[("csrf", &csrf)]);
    assert_eq!(done.header("location"), Some("/quarantine?done=released-untrained"));
    assert!(bob.get("/quarantine?done=released-untrained").body.contains("nothing was learned"));
    wait_for("q1 delivered", Duration::from_secs(20), || delivered("q1"));
    let (_, reported) = sluice.api_post(&format!("/api/v1/logs/{q1_log}/report"), r#"{"as": "not-spam"}"#);
    assert_eq!(reported["status"], "learned", "the untrained release taught nothing");

    // Train as spam: gone from the quarantine, learned as spam, never delivered.
    let (q2, q2_log) = id("q2");
    let done = bob.post(&format!("/quarantine/{q2}/spam"), &[("csrf", &csrf)]);
    assert_eq!(done.header("location"), Some("/quarantine?done=trained-spam"));
    assert!(!quarantine_ids(&bob.get("/quarantine")).contains(&q2));
    let (_, reported) = sluice.api_post(&format!("/api/v1/logs/{q2_log}/report"), r#"{"as": "spam"}"#);
    assert_eq!(reported["status"], "already learned", "train as spam learned it");

    // Bulk: bob's two and carol's one (not his: refused as absent).
    let (q3, q4, q5, q6) = (id("q3").0, id("q4").0, id("q5").0, id("q6").0);
    let body = [("csrf", csrf.as_str()), ("action", "delete"), ("id", q3.as_str()), ("id", q4.as_str()), ("id", q6.as_str())];
    assert_eq!(bob.post("/quarantine/bulk", &body[1..]).status, 403, "a bulk action without the token");
    let done = bob.post("/quarantine/bulk", &body);
    assert_eq!(done.header("location"), Some("/quarantine?done=bulk-deleted&count=2&refused=1"));
    assert!(bob.get("/quarantine?done=bulk-deleted&count=2&refused=1").body.contains("Deleted: 2 message(s); 1 could not be"));
    assert_eq!(quarantine_ids(&bob.get("/quarantine")), std::slice::from_ref(&q5));
    let (_, all) = sluice.api("GET", "/api/v1/quarantine");
    assert!(all["items"].as_array().unwrap().iter().any(|row| row["id"] == q6.as_str()), "carol's message untouched");
    let done = bob.post("/quarantine/bulk", &[("csrf", &csrf), ("action", "release"), ("id", &q5)]);
    assert_eq!(done.header("location"), Some("/quarantine?done=bulk-released&count=1&refused=0"));
    wait_for("q5 delivered", Duration::from_secs(20), || delivered("q5"));
    assert_eq!(bob.post("/quarantine/bulk", &[("csrf", &csrf), ("action", "explode"), ("id", &q5)]).status, 400);
    assert!(!delivered("q3") && !delivered("q4") && !delivered("q2"));

    // Allow this sender: bob's own mailbox scope; a domain admin's domain.
    sluice.send("alice@example.org", &["bob@example.net"], &[&message("q7", &format!("{GTUBE}\r\n"))]);
    let (_, quarantined) = sluice.api("GET", "/api/v1/quarantine");
    let q7 = quarantined["items"].as_array().unwrap().iter().find(|row| row["subject"] == "q7").unwrap()["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let done = bob.post(&format!("/quarantine/{q7}/allow-sender"), &[("csrf", &csrf)]);
        assert_eq!(done.header("location"), Some(format!("/quarantine/{q7}?done=allowed").as_str()));
    }
    assert!(bob.get(&format!("/quarantine/{q7}?done=allowed")).body.contains("on the allow list now"));
    let (_, entries) = sluice.api("GET", "/api/v1/lists/allow");
    let entries = entries["items"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "allowed twice, listed once: {entries:?}");
    assert_eq!((entries[0]["scope"].as_str(), entries[0]["field"].as_str(), entries[0]["value"].as_str()), (Some("mailbox:bob@example.net"), Some("sender"), Some("alice@example.org")));
    assert_eq!(entries[0]["unauthenticated"], false, "the sender must authenticate");
    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    let csrf = comadmin.csrf();
    assert_eq!(comadmin.post(&format!("/quarantine/{q7}/allow-sender"), &[("csrf", &csrf)]).header("location"), Some("/quarantine?done=not-found"));
    comadmin.post(&format!("/quarantine/{q6}/allow-sender"), &[("csrf", &csrf)]);
    let (_, entries) = sluice.api("GET", "/api/v1/lists/allow?scope=domain:example.com");
    assert_eq!(entries["items"].as_array().unwrap().len(), 1, "{entries}");
}

#[test]
fn list_and_rule_editors_per_scope_and_role() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    let mut admin = Client::new(sluice.web_port);
    admin.login("admin", "a");
    let csrf = admin.csrf();
    let entry = |csrf: &str, scope: &str, field: &str, value: &str| {
        vec![("csrf", csrf.to_owned()), ("kind", "block".to_owned()), ("scope", scope.to_owned()), ("field", field.to_owned()), ("value", value.to_owned())]
    };
    let post = |client: &mut Client, path: &str, fields: Vec<(&str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
        client.post(path, &fields)
    };
    let added = post(&mut admin, "/lists", entry(&csrf, "global", "sender", "spam@bad.test"));
    assert_eq!(added.header("location"), Some("/lists?done=added"), "{}", added.body);
    let (_, listed) = sluice.api("GET", "/api/v1/lists/block");
    let global_id = listed["items"][0]["id"].as_i64().unwrap();
    assert_eq!(listed["items"][0]["value"], "spam@bad.test");
    let page = admin.get("/lists");
    assert!(page.body.contains("spam@bad.test") && page.body.contains("domain:example.com"), "the entry, and the scopes offered");
    let refused = post(&mut admin, "/lists", entry(&csrf, "global", "ip", "<not an address>"));
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("value:") && refused.body.contains(&escaped("<not an address>")), "the field at fault, the value kept: {}", refused.body);

    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    let csrf = comadmin.csrf();
    assert!(!comadmin.get("/lists").body.contains("spam@bad.test"), "the global list is not a domain admin's");
    let refused = post(&mut comadmin, "/lists", entry(&csrf, "global", "sender", "x@bad.test"));
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("scope: global is not one of yours"));
    assert_eq!(post(&mut comadmin, "/lists", entry(&csrf, "domain:example.net", "sender", "x@bad.test")).status, 400);
    let added = post(&mut comadmin, "/lists", entry(&csrf, "mailbox:carol@example.com", "sender", "x@bad.test"));
    assert_eq!(added.header("location"), Some("/lists?done=added"));
    assert!(comadmin.get("/lists").body.contains("mailbox:carol@example.com"));
    let removed = comadmin.post(&format!("/lists/block/{global_id}/delete"), &[("csrf", &csrf)]);
    assert_eq!(removed.header("location"), Some("/lists?done=not-found"), "another's scope");
    let (_, listed) = sluice.api("GET", "/api/v1/lists/block");
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let own_id = listed["items"][1]["id"].as_i64().unwrap();
    assert_eq!(comadmin.post(&format!("/lists/block/{own_id}/delete"), &[("csrf", &csrf)]).header("location"), Some("/lists?done=removed"));

    // Rules.
    let rule = |csrf: &str, scope: &str, operator: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("name", "no exe".to_owned()),
            ("scope", scope.to_owned()),
            ("field", "attachment_name".to_owned()),
            ("operator", operator.to_owned()),
            ("value", "*.exe".to_owned()),
            ("action", "block".to_owned()),
        ]
    };
    assert_eq!(post(&mut comadmin, "/rules", rule(&csrf, "domain:example.com", "glob")).header("location"), Some("/rules?done=added"));
    let refused = post(&mut comadmin, "/rules", rule(&csrf, "domain:example.com", "sounds-like"));
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("operator:"), "{}", refused.body);
    assert_eq!(post(&mut comadmin, "/rules", rule(&csrf, "global", "glob")).status, 400);
    let csrf = admin.csrf();
    assert_eq!(post(&mut admin, "/rules", rule(&csrf, "global", "glob")).header("location"), Some("/rules?done=added"));
    let (_, rules) = sluice.api("GET", "/api/v1/rules");
    let rules = rules["items"].as_array().unwrap().clone();
    assert_eq!(rules.len(), 2);
    let global_rule = rules.iter().find(|rule| rule["scope"] == "global").unwrap()["id"].as_i64().unwrap();
    assert_eq!(comadmin.get("/rules").body.matches("<form method=\"post\" action=\"/rules/").count(), 1, "its own rule only");
    let csrf = comadmin.csrf();
    assert_eq!(comadmin.post(&format!("/rules/{global_rule}/delete"), &[("csrf", &csrf)]).header("location"), Some("/rules?done=not-found"));
    let csrf = admin.csrf();
    assert_eq!(admin.post(&format!("/rules/{global_rule}/delete"), &[("csrf", &csrf)]).header("location"), Some("/rules?done=removed"));

    let mut bob = Client::new(sluice.web_port);
    bob.login("bob@example.net", "b");
    assert_eq!(bob.get("/lists").status, 403);
    assert_eq!(bob.get("/rules").status, 403);
    assert!(!bob.get("/logs").body.contains("href=\"/lists\""), "no editor links for a mailbox user");
    let csrf = bob.csrf();
    assert_eq!(post(&mut bob, "/lists", entry(&csrf, "mailbox:bob@example.net", "sender", "x@bad.test")).status, 403);
}

#[test]
fn domains_page_shows_every_setting_and_names_a_refused_key() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    let mut admin = Client::new(sluice.web_port);
    admin.login("admin", "a");
    let domains = admin.get("/domains");
    assert_eq!(domains.status, 200);
    assert!(domains.body.contains("/domains/example.net") && domains.body.contains("/domains/example.com"));
    assert!(domains.body.contains(&format!("127.0.0.1:{}", sink.port)), "the destination route");
    let page = admin.get("/domains/example.net");
    assert_eq!(page.status, 200);
    for key in ["max_line_length", "quarantine_threshold", "blocked_extensions", "greylisting", "auth_temperror"] {
        assert!(page.body.contains(&format!("name=\"s.{key}\"")), "{key} missing");
    }
    assert!(page.body.contains("<bdi>998</bdi>"), "the default shown");

    let csrf = admin.csrf();
    let saved = admin.post("/domains/example.net", &[("csrf", &csrf), ("s.max_line_length", "500"), ("s.greylisting", "true"), ("s.local_recipients", "bob@example.net, postmaster")]);
    assert_eq!(saved.header("location"), Some("/domains/example.net?done=saved"), "{}", saved.body);
    let (_, layer) = sluice.api("GET", "/api/v1/settings/domains/example.net");
    assert_eq!(layer, serde_json::json!({"max_line_length": 500, "greylisting": true, "local_recipients": ["bob@example.net", "postmaster"]}));
    assert!(admin.get("/domains/example.net?done=saved").body.contains("value=\"500\""));

    let refused = admin.post("/domains/example.net", &[("csrf", &csrf), ("s.max_line_length", "lots"), ("s.greylisting", "true")]);
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("max_line_length") && refused.body.contains("class=\"refused\"") && refused.body.contains("value=\"lots\""), "{}", refused.body);
    let (_, unchanged) = sluice.api("GET", "/api/v1/settings/domains/example.net");
    assert_eq!(unchanged["max_line_length"], 500, "nothing saved from a refused form");
    let cleared = admin.post("/domains/example.net", &[("csrf", &csrf), ("s.max_line_length", ""), ("s.greylisting", ""), ("s.local_recipients", "")]);
    assert_eq!(cleared.status, 303);
    assert_eq!(sluice.api("GET", "/api/v1/settings/domains/example.net").1, serde_json::json!({}));

    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    assert!(!comadmin.get("/domains").body.contains("/domains/example.net"));
    assert_eq!(comadmin.get("/domains/example.net").status, 404);
    let csrf = comadmin.csrf();
    assert_eq!(comadmin.post("/domains/example.net", &[("csrf", &csrf), ("s.max_line_length", "1")]).status, 404);
    assert_eq!(comadmin.post("/domains/example.com", &[("csrf", &csrf), ("s.max_line_length", "1000")]).status, 303);
    let mut bob = Client::new(sluice.web_port);
    bob.login("bob@example.net", "b");
    assert_eq!(bob.get("/domains").status, 403);
    assert_eq!(bob.get("/domains/example.net").status, 404);
}

#[test]
fn domains_are_added_and_removed_on_the_page_by_administrators_only() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "--domain", "added.example", "comadmin"], "c");
    let mut admin = Client::new(sluice.web_port);
    admin.login("admin", "a");
    let page = admin.get("/domains");
    assert!(page.body.contains("id=\"add-domain\"") && !page.body.contains("/remove\""), "a form; nothing of the file's to remove");
    let csrf = admin.csrf();
    let destination = format!("127.0.0.1:{}", sink.port);
    assert_eq!(admin.post("/domains", &[("name", "added.example"), ("destination", &destination)]).status, 403, "no CSRF token");

    // Refused: named, escaped, the form kept; nothing stored.
    let hostile = "<img src=x onerror=alert(1)>.example";
    let refused = admin.post("/domains", &[("csrf", &csrf), ("name", hostile), ("destination", &destination)]);
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("key `name`") && refused.body.contains(&escaped(hostile)) && !refused.body.contains(hostile), "{}", refused.body);
    let refused = admin.post("/domains", &[("csrf", &csrf), ("name", "added.example"), ("destination", "nowhere")]);
    assert!(refused.status == 400 && refused.body.contains("key `destination`") && refused.body.contains("value=\"added.example\""));
    let refused = admin.post("/domains", &[("csrf", &csrf), ("name", "Example.NET"), ("destination", &destination)]);
    assert!(refused.status == 400 && refused.body.contains("configuration file"), "{}", refused.body);

    let added = admin.post("/domains", &[("csrf", &csrf), ("name", "Added.Example"), ("destination", &destination)]);
    assert_eq!(added.header("location"), Some("/domains?done=added"), "{}", added.body);
    let page = admin.get("/domains?done=added");
    assert!(page.body.contains("href=\"/domains/added.example\"") && page.body.contains("href=\"/domains/added.example/remove\""), "{}", page.body);
    assert!(!page.body.contains("/domains/example.net/remove"));
    let domain = admin.get("/domains/added.example");
    assert!(domain.status == 200 && domain.body.contains("added in the web interface"), "its settings page");
    let (_, listed) = sluice.api("GET", "/api/v1/domains");
    assert_eq!(listed["domains"][2]["added_by"], "admin", "{listed}");

    // A domain admin sees its own domains, added ones too, and adds or removes none.
    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    let page = comadmin.get("/domains");
    assert!(page.body.contains("/domains/added.example") && !page.body.contains("id=\"add-domain\"") && !page.body.contains("/remove\""));
    let their_csrf = comadmin.csrf();
    assert_eq!(comadmin.post("/domains", &[("csrf", &their_csrf), ("name", "mine.example"), ("destination", &destination)]).status, 403);
    assert_eq!(comadmin.get("/domains/added.example/remove").status, 403);
    assert_eq!(comadmin.post("/domains/added.example/remove", &[("csrf", &their_csrf)]).status, 403);

    // Removal: a confirmation first, then the POST (CSRF-checked).
    assert_eq!(admin.get("/domains/example.net/remove").status, 409, "the file's");
    let confirm = admin.get("/domains/added.example/remove");
    assert!(confirm.status == 200 && confirm.body.contains("id=\"remove-domain\"") && confirm.body.contains("still delivered"), "{}", confirm.body);
    assert_eq!(admin.post("/domains/added.example/remove", &[]).status, 403, "no CSRF token");
    let removed = admin.post("/domains/added.example/remove", &[("csrf", &csrf)]);
    assert_eq!(removed.header("location"), Some("/domains?done=removed"), "{}", removed.body);
    assert!(!admin.get("/domains").body.contains("/domains/added.example"));
    assert_eq!(admin.get("/domains/added.example").status, 404);
}

/// The number in the element with `id`.
fn figure(page: &Page, id: &str) -> i64 {
    let marker = format!("id=\"{id}\">");
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("{id} missing")) + marker.len();
    page.body[start..].split('<').next().unwrap().parse().unwrap()
}

#[test]
fn dashboard_counts_within_the_audience() {
    for storage in every_store() {
        dashboard_counts_within_the_audience_on(storage.as_deref());
    }
}

fn dashboard_counts_within_the_audience_on(storage: Option<&str>) {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start_on(&sink, storage);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    for subject in ["d1", "d2"] {
        sluice.send("alice@example.org", &["bob@example.net"], &[&message(subject, &format!("{GTUBE}\r\n"))]);
    }
    sluice.send("alice@example.org", &["dave@example.net"], &[&message("d3", "hello\r\n")]);
    sluice.send("mallory@example.org", &["carol@example.com"], &[&message("<d4>", &format!("{GTUBE}\r\n"))]);

    let mut admin = Client::new(sluice.web_port);
    admin.login("admin", "a");
    assert_eq!(admin.get("/").header("location"), Some("/dashboard"));
    let page = admin.get("/dashboard");
    assert_eq!(page.status, 200);
    assert_eq!(figure(&page, "total"), 4);
    assert_eq!(figure(&page, "quarantine-size"), 3);
    assert!(page.body.contains("id=\"queue-size\""), "the queue, for an administrator");
    // Where the statistics stand: nothing learned, four messages seen (too few to
    // tell the stream), so the global model is careful.
    let statistics = page.body.split("id=\"statistics\">").nth(1).expect("the statistics line").split("</p>").next().unwrap();
    assert!(statistics.contains("learned 0 of 50 spam and 0 of 50 ham"), "{statistics}");
    assert!(statistics.contains("x 0.50"), "{statistics}");
    assert!(page.body.contains("<svg class=\"chart\"") && page.body.matches("<rect x=").count() >= 2, "stacked bars");
    assert!(!page.body.contains(" style=") && !page.body.contains("<script>"), "nothing the CSP would block");
    let senders = page.body.split("id=\"top-senders\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(senders.contains("alice@example.org</bdi></td><td>3"), "{senders}");
    let subclasses = page.body.split("id=\"top-subclasses\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(subclasses.contains(">gtube</span></td><td>3"), "{subclasses}");
    for range in ["7d", "30d"] {
        let page = admin.get(&format!("/dashboard?range={range}"));
        assert_eq!(page.status, 200);
        assert!(page.body.contains(&format!("class=\"current\">last {range}")));
    }

    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    let page = comadmin.get("/dashboard");
    assert_eq!(figure(&page, "total"), 1, "its domain's only");
    assert_eq!(figure(&page, "quarantine-size"), 1);
    assert!(!page.body.contains("id=\"queue-size\"") && !page.body.contains("alice@example.org"));
    assert!(!page.body.contains("id=\"statistics\""), "the installation's statistics are for administrators");
    assert!(page.body.contains(&escaped("mallory@example.org")));
}

/// One row of the role matrix: method, path, body, the status expected for
/// each caller, and the item count expected for each caller answered 200.
type Expectation<'a> = (&'a str, String, Option<&'a str>, [u16; 4], Option<[usize; 4]>);

/// A new API token of `name`, from `sluice user token`.
fn user_token(sluice: &Sluice, name: &str) -> String {
    let (ok, stdout, stderr) = user_cli(sluice, &["token", name, "--label", "test"], "");
    assert!(ok, "sluice user token {name}: {stderr}");
    let token = stdout.trim().to_owned();
    assert!(token.starts_with("sluice_") && !token.contains('\n'), "{stdout}");
    token
}

/// `(status, JSON body)` of an API call with a bearer token.
fn call(sluice: &Sluice, token: &str, method: &str, path: &str, body: Option<&str>) -> (u16, serde_json::Value) {
    let (status, body) = support::http(sluice.web_port, method, path, Some(token), body).expect("API answers");
    (status, serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

#[test]
fn api_role_matrix_with_tokens_and_sessions() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    sluice.send("alice@example.org", &["bob@example.net"], &[&message("to-bob", &format!("{GTUBE}\r\n"))]);
    sluice.send("alice@example.org", &["carol@example.com"], &[&message("to-carol", &format!("{GTUBE}\r\n"))]);
    let logs = sluice.logs();
    let row = |subject: &str| logs.iter().find(|row| row["subject"] == subject).unwrap()["id"].as_i64().unwrap();
    let (bob_row, carol_row) = (row("to-bob"), row("to-carol"));
    for (scope, value) in [("global", "one@bad.test"), ("domain:example.com", "two@bad.test")] {
        let body = format!(r#"{{"scope": "{scope}", "field": "sender", "value": "{value}"}}"#);
        assert_eq!(sluice.api_post("/api/v1/lists/block", &body).0, 201);
        let rule = format!(r#"{{"name": "r", "scope": "{scope}", "field": "attachment_name", "operator": "glob", "value": "*.exe", "action": "block"}}"#);
        assert_eq!(sluice.api_post("/api/v1/rules", &rule).0, 201);
    }
    let (_, block) = sluice.api("GET", "/api/v1/lists/block");
    let global_entry = block["items"].as_array().unwrap().iter().find(|entry| entry["scope"] == "global").unwrap()["id"].as_i64().unwrap();

    let admin_config_token = support::TOKEN.to_owned();
    let tokens = [admin_config_token, user_token(&sluice, "admin"), user_token(&sluice, "comadmin"), user_token(&sluice, "bob@example.net")];
    let names = ["admin token", "admin user", "domain admin", "mailbox user"];
    let count = |value: &serde_json::Value| value["items"].as_array().map_or(usize::MAX, Vec::len);
    let matrix: Vec<Expectation> = vec![
        ("GET", "/api/v1/logs".into(), None, [200, 200, 200, 200], Some([2, 2, 1, 1])),
        ("GET", format!("/api/v1/logs/{bob_row}"), None, [200, 200, 404, 200], None),
        ("GET", format!("/api/v1/logs/{carol_row}"), None, [200, 200, 200, 404], None),
        ("GET", "/api/v1/quarantine".into(), None, [200, 200, 200, 200], Some([2, 2, 1, 1])),
        ("GET", "/api/v1/domains".into(), None, [200, 200, 200, 403], Some([2, 2, 1, 0])),
        ("POST", "/api/v1/domains".into(), Some(r#"{"name": "by-token.example", "destination": "127.0.0.1:25"}"#), [201, 409, 403, 403], None),
        ("POST", "/api/v1/domains".into(), Some(r#"{"name": "by-user.example", "destination": "127.0.0.1:25"}"#), [0, 201, 403, 403], None),
        ("DELETE", "/api/v1/domains/example.net".into(), None, [409, 409, 403, 403], None),
        ("DELETE", "/api/v1/domains/by-token.example".into(), None, [204, 404, 403, 403], None),
        ("GET", "/api/v1/settings/global".into(), None, [200, 200, 403, 403], None),
        ("GET", "/api/v1/auth-log".into(), None, [200, 200, 403, 403], Some([0, 0, 0, 0])),
        ("PUT", "/api/v1/settings/global".into(), Some("{}"), [200, 200, 403, 403], None),
        ("GET", "/api/v1/settings/domains/example.net".into(), None, [200, 200, 404, 403], None),
        ("PUT", "/api/v1/settings/domains/example.com".into(), Some(r#"{"max_line_length": 900}"#), [200, 200, 200, 403], None),
        ("PUT", "/api/v1/settings/domains/example.net".into(), Some(r#"{"max_line_length": 900}"#), [200, 200, 404, 403], None),
        ("GET", "/api/v1/domains/example.com/settings".into(), None, [200, 200, 200, 403], None),
        ("GET", "/api/v1/settings/mailboxes/carol@example.com".into(), None, [200, 200, 200, 403], None),
        ("GET", "/api/v1/settings/mailboxes/bob@example.net".into(), None, [200, 200, 404, 403], None),
        ("GET", "/api/v1/lists/block".into(), None, [200, 200, 200, 403], Some([2, 2, 1, 0])),
        ("GET", "/api/v1/rules".into(), None, [200, 200, 200, 403], Some([2, 2, 1, 0])),
        ("POST", "/api/v1/lists/allow".into(), Some(r#"{"scope": "global", "field": "sender", "value": "x@good.test"}"#), [201, 201, 403, 403], None),
        ("POST", "/api/v1/lists/allow".into(), Some(r#"{"scope": "domain:example.com", "field": "sender", "value": "y@good.test"}"#), [201, 201, 201, 403], None),
        ("POST", "/api/v1/rules".into(), Some(r#"{"name": "g", "scope": "global", "field": "helo", "operator": "equals", "value": "x", "action": "block"}"#), [201, 201, 403, 403], None),
        ("DELETE", format!("/api/v1/lists/block/{global_entry}"), None, [0, 0, 404, 403], None),
        ("POST", format!("/api/v1/logs/{carol_row}/report"), Some(r#"{"as": "spam"}"#), [200, 200, 200, 404], None),
        ("POST", format!("/api/v1/logs/{bob_row}/report"), Some(r#"{"as": "spam"}"#), [200, 200, 404, 200], None),
    ];
    for (method, path, body, statuses, counts) in &matrix {
        for (index, token) in tokens.iter().enumerate() {
            if statuses[index] == 0 {
                continue;
            }
            let (status, value) = call(&sluice, token, method, path, *body);
            assert_eq!(status, statuses[index], "{} {method} {path}: {value}", names[index]);
            if let (Some(counts), 200) = (counts, status) {
                assert_eq!(count(&value), counts[index], "{} {method} {path}: {value}", names[index]);
            }
        }
    }
    let (_, whoami) = call(&sluice, &tokens[2], "GET", "/api/v1/whoami", None);
    assert_eq!((whoami["name"].as_str(), whoami["role"].as_str(), whoami["via"].as_str()), (Some("comadmin"), Some("domain-admin"), Some("api-token")));
    let (_, whoami) = call(&sluice, &tokens[0], "GET", "/api/v1/whoami", None);
    assert_eq!(whoami["role"], "admin");

    // Release: another's row is absent; one's own is released, by its name.
    let (_, quarantine) = sluice.api("GET", "/api/v1/quarantine");
    let held = |subject: &str| quarantine["items"].as_array().unwrap().iter().find(|row| row["subject"] == subject).unwrap()["id"].as_str().unwrap().to_owned();
    let (for_bob, for_carol) = (held("to-bob"), held("to-carol"));
    assert_eq!(call(&sluice, &tokens[3], "POST", &format!("/api/v1/quarantine/{for_carol}/release"), None).0, 404);
    assert_eq!(call(&sluice, &tokens[2], "POST", &format!("/api/v1/quarantine/{for_bob}/release"), None).0, 404);
    assert_eq!(call(&sluice, &tokens[2], "POST", &format!("/api/v1/quarantine/{for_carol}/release"), None).0, 200);
    // The row says who released it until the queue's delivery outcome replaces it
    // (which may be at once): either, and the message has left the quarantine.
    let delivery = sluice.api("GET", &format!("/api/v1/logs/{carol_row}")).1["delivery"].as_str().unwrap().to_owned();
    assert!(delivery.contains("comadmin") || delivery.starts_with("delivered"), "{delivery}");
    let (_, quarantine) = sluice.api("GET", "/api/v1/quarantine");
    assert!(!quarantine["items"].as_array().unwrap().iter().any(|row| row["subject"] == "to-carol"), "{quarantine}");

    // A web session opens the API with its user's rights; changes need the CSRF header.
    let mut bob = Client::new(sluice.web_port);
    bob.login("bob@example.net", "b");
    let page = bob.get("/api/v1/logs");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&page.body).unwrap()["items"].as_array().unwrap().len(), 1);
    let whoami: serde_json::Value = serde_json::from_str(&bob.get("/api/v1/whoami").body).unwrap();
    assert_eq!(whoami["via"], "session");
    let csrf = whoami["csrf"].as_str().unwrap().to_owned();
    let release = format!("/api/v1/quarantine/{for_bob}/release");
    assert_eq!(bob.request("POST", &release, Some(""), "Content-Type: application/json\r\n").status, 403, "no CSRF header");
    assert_eq!(bob.request("POST", &release, Some(""), "X-CSRF-Token: 00\r\nContent-Type: application/json\r\n").status, 403);
    let released = bob.request("POST", &release, Some(""), &format!("X-CSRF-Token: {csrf}\r\nContent-Type: application/json\r\n"));
    assert_eq!(released.status, 200, "{}", released.body);
    assert_eq!(bob.request("GET", "/api/v1/settings/global", None, "").status, 403);
    assert_eq!(Client::new(sluice.web_port).get("/api/v1/logs").status, 401, "no session, no token");

    // Wrong tokens, revoked tokens, removed users.
    assert_eq!(call(&sluice, "sluice_0000", "GET", "/api/v1/logs", None).0, 401);
    assert_eq!(call(&sluice, "garbage", "GET", "/api/v1/logs", None).0, 401);
    let (ok, _, _) = user_cli(&sluice, &["token", "comadmin", "--revoke"], "");
    assert!(ok);
    assert_eq!(call(&sluice, &tokens[2], "GET", "/api/v1/logs", None).0, 401, "a revoked token");
    let (ok, _, _) = user_cli(&sluice, &["remove", "bob@example.net"], "");
    assert!(ok);
    assert_eq!(call(&sluice, &tokens[3], "GET", "/api/v1/logs", None).0, 401, "a removed user's token");
    assert_eq!(call(&sluice, &tokens[1], "GET", "/api/v1/logs", None).0, 200);
    assert!(!sluice.log().contains(&tokens[1]), "a token in the process log");
}

/// Writes a quarantined outgoing message straight into the gateway's store, as
/// the submission side records one our user sent that looked like spam
/// (`tests/submission.rs` does it over SMTP); its quarantine id.
fn insert_outgoing_quarantined(sluice: &Sluice, storage: Option<&str>, sender: &str, recipient: &str, subject: &str) -> String {
    let entry = sluice_store::LogEntry {
        main_class: sluice_model::MainClass::Spam,
        sub_class: sluice_model::Subclass::Gtube,
        reply: "550 5.7.1 spam".to_owned(),
        action: sluice_model::Action::Quarantine,
        ..support::log_row(sluice_store::Direction::Outgoing, support::now_ms(), sender, recipient, subject)
    };
    let raw = format!("From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n\r\n{GTUBE}\r\n").into_bytes();
    support::in_store(&sluice.store_url(storage), |store| async move {
        let recorded = store.record_message(entry, Some(raw.into()), Vec::new()).await.expect("record an outgoing message");
        recorded.quarantine_id.expect("quarantined")
    })
}

/// The role matrix's rows for outgoing mail in the quarantine: seen by
/// its sender (and its domain's admins), never by its recipient even when that
/// is a mailbox of ours; released by admins and domain admins only; its sender
/// may withdraw (delete) it.
#[test]
fn outgoing_quarantine_is_its_senders_and_released_by_admins() {
    for storage in every_store() {
        outgoing_quarantine_is_its_senders_and_released_by_admins_on(storage.as_deref());
    }
}

fn outgoing_quarantine_is_its_senders_and_released_by_admins_on(storage: Option<&str>) {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start_on(&sink, storage);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    add_user(&sluice, &["--role", "domain-admin", "--domain", "example.com", "comadmin"], "c");
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    add_user(&sluice, &["--role", "user", "carol@example.com"], "k");
    let first = insert_outgoing_quarantined(&sluice, storage, "Carol@example.com", "bob@example.net", "carol sends one");
    let second = insert_outgoing_quarantined(&sluice, storage, "carol@example.com", "bob@example.net", "carol sends two");
    let tokens = [
        support::TOKEN.to_owned(),
        user_token(&sluice, "admin"),
        user_token(&sluice, "comadmin"),
        user_token(&sluice, "bob@example.net"),
        user_token(&sluice, "carol@example.com"),
    ];
    let names = ["admin token", "admin user", "domain admin", "recipient mailbox", "sender mailbox"];
    let count = |value: &serde_json::Value| value["items"].as_array().map_or(usize::MAX, Vec::len);
    let release = |id: &str| format!("/api/v1/quarantine/{id}/release");
    // (method, path, status per caller, item count per caller answered 200);
    // a 0 status skips that caller (a release that would succeed is tried last).
    type Row = (&'static str, String, [u16; 5], Option<[usize; 5]>);
    let matrix: Vec<Row> = vec![
        ("GET", "/api/v1/quarantine".into(), [200, 200, 200, 200, 200], Some([2, 2, 2, 0, 2])),
        ("POST", release(&first), [0, 0, 0, 404, 403], None),
        ("POST", release(&first), [0, 0, 200, 0, 0], None),
        ("POST", release(&first), [409, 0, 0, 0, 0], None),
    ];
    for (method, path, statuses, counts) in &matrix {
        for (index, token) in tokens.iter().enumerate() {
            if statuses[index] == 0 {
                continue;
            }
            let (status, value) = call(&sluice, token, method, path, None);
            assert_eq!(status, statuses[index], "{} {method} {path}: {value}", names[index]);
            if let (Some(counts), 200) = (counts, status) {
                assert_eq!(count(&value), counts[index], "{} {method} {path}: {value}", names[index]);
            }
            if let (Some(_), 200, "GET") = (counts, status, *method) {
                let directions: Vec<&str> = value["items"].as_array().unwrap().iter().filter_map(|item| item["direction"].as_str()).collect();
                assert!(directions.iter().all(|direction| *direction == "outgoing"), "{value}");
            }
        }
    }

    // The pages: the sender sees it without release buttons, and its posts to
    // release or train are refused; it withdraws the other one.
    let mut carol = Client::new(sluice.web_port);
    carol.login("carol@example.com", "k");
    assert_eq!(quarantine_ids(&carol.get("/quarantine")), std::slice::from_ref(&second));
    let preview = carol.get(&format!("/quarantine/{second}"));
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("outgoing") && preview.body.contains("id=\"delete\""), "{}", preview.body);
    assert!(!preview.body.contains("id=\"release\"") && !preview.body.contains("id=\"train-spam\"") && !preview.body.contains("id=\"allow-sender\""));
    let csrf = carol.csrf();
    for action in ["release", "release-untrained", "spam"] {
        let refused = carol.post(&format!("/quarantine/{second}/{action}"), &[("csrf", &csrf)]);
        assert_eq!(refused.header("location"), Some("/quarantine?done=forbidden-outgoing"), "{action}");
    }
    let bulk = carol.post("/quarantine/bulk", &[("csrf", &csrf), ("action", "release"), ("id", &second)]);
    assert_eq!(bulk.header("location"), Some("/quarantine?done=bulk-released&count=0&refused=1"));
    let mut bob = Client::new(sluice.web_port);
    bob.login("bob@example.net", "b");
    assert!(quarantine_ids(&bob.get("/quarantine")).is_empty(), "the recipient does not see it");
    assert_eq!(bob.get(&format!("/quarantine/{second}")).status, 404);
    let deleted = carol.post(&format!("/quarantine/{second}/delete"), &[("csrf", &csrf)]);
    assert_eq!(deleted.header("location"), Some("/quarantine?done=deleted"));
    let mut comadmin = Client::new(sluice.web_port);
    comadmin.login("comadmin", "c");
    assert!(quarantine_ids(&comadmin.get("/quarantine")).is_empty(), "released and withdrawn");
    let (_, logs) = call(&sluice, &tokens[0], "GET", "/api/v1/logs", None);
    let delivery: Vec<&str> = logs["items"].as_array().unwrap().iter().filter_map(|row| row["delivery"].as_str()).collect();
    assert!(delivery.iter().any(|text| text.contains("deleted from the quarantine by carol@example.com")), "{delivery:?}");
}

#[test]
fn the_session_cookie_is_secure_behind_a_tls_proxy() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let mut sluice = start(&sink);
    add_user(&sluice, &["--role", "admin", "admin"], "a");
    let plain = Client::new(sluice.web_port).post("/login", &[("username", "admin"), ("password", "a")]);
    assert!(!plain.header("set-cookie").unwrap().contains("Secure"), "plain HTTP without a proxy");
    let config = std::fs::read_to_string(&sluice.config_path).unwrap();
    let config = config.replacen("[web]\n", "[web]\nbehind_tls_proxy = true\n", 1);
    std::fs::write(&sluice.config_path, config).unwrap();
    sluice.kill();
    sluice.spawn();
    let proxied = Client::new(sluice.web_port).post("/login", &[("username", "admin"), ("password", "a")]);
    let cookie = proxied.header("set-cookie").unwrap();
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
}

#[test]
fn users_make_and_revoke_their_own_api_tokens_on_a_page() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = start(&sink);
    add_user(&sluice, &["--role", "user", "bob@example.net"], "b");
    sluice.send("alice@example.org", &["bob@example.net"], &[&message("mine", "hello\r\n")]);
    sluice.send("alice@example.org", &["dave@example.net"], &[&message("not mine", "hello\r\n")]);
    let mut bob = Client::new(sluice.web_port);
    bob.login("bob@example.net", "b");
    let csrf = bob.csrf();
    assert_eq!(bob.post("/tokens", &[("label", "cron")]).status, 403, "no CSRF token");
    let made = bob.post("/tokens", &[("csrf", &csrf), ("label", "cron <job>")]);
    assert_eq!(made.status, 201);
    assert_eq!(made.header("cache-control"), Some("no-store"));
    let token = made.body.split("id=\"new-token\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert!(made.body.contains(&escaped("cron <job>")));
    let (status, logs) = call(&sluice, &token, "GET", "/api/v1/logs", None);
    assert_eq!(status, 200);
    let subjects: Vec<&str> = logs["items"].as_array().unwrap().iter().map(|row| row["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["mine"], "the token has bob's rights only");
    let listed = bob.get("/tokens");
    assert!(listed.body.contains(&escaped("cron <job>")) && !listed.body.contains(&token), "listed, never shown again");
    assert_eq!(bob.post("/tokens/revoke", &[("csrf", &csrf)]).status, 303);
    assert_eq!(call(&sluice, &token, "GET", "/api/v1/logs", None).0, 401);
}
