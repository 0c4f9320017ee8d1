//! What a mail admin running Sluice relies on around the mail itself: the
//! configuration check refuses what `serve` would refuse, paths are read
//! relative to the configuration file, a stop is announced to clients, log rows
//! go after the log retention, and the
//! files a deployment needs are in the repository.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{Sluice, free_port};

fn sluice(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().expect("run sluice")
}

fn repository(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

const DOMAIN: &str = "[[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:2526\"\n";

fn check_config(dir: &Path, text: &str, extra_args: &[&str]) -> std::process::Output {
    let path = dir.join("sluice.toml");
    std::fs::write(&path, text).unwrap();
    let mut args = vec!["check-config", "--config", path.to_str().unwrap()];
    args.extend_from_slice(extra_args);
    sluice(&args)
}

#[test]
fn check_config_refuses_what_serve_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let missing_certificate = format!(
        "hostname = \"mx.example.net\"\ndata_dir = \"data\"\n[tls]\ncertificate = \"missing.pem\"\nkey = \"missing-key.pem\"\n{DOMAIN}"
    );
    let output = check_config(dir.path(), &missing_certificate, &[]);
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{error}");
    assert!(error.contains("sluice.toml") && error.contains("tls.certificate") && error.contains("missing.pem"), "{error}");

    // No [[domains]]: the domains may all be added through the API, so a warning.
    let no_domain = "hostname = \"mx.example.net\"\ndata_dir = \"data\"\n";
    let output = check_config(dir.path(), no_domain, &[]);
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{error}");
    assert!(error.contains("warning") && error.contains("no [[domains]]") && error.contains("added through the API"), "{error}");

    let bad_storage = format!("hostname = \"mx.example.net\"\ndata_dir = \"data\"\n[storage]\nurl = \"mysql://x\"\n{DOMAIN}");
    let output = check_config(dir.path(), &bad_storage, &[]);
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(error.contains("storage.url") && error.contains("postgres://"), "{error}");
}

#[test]
fn check_config_warns_about_the_example_admin_token() {
    let output = sluice(&["check-config", "--config", repository("examples/sluice.toml").to_str().unwrap()]);
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{error}");
    assert!(error.contains("warning") && error.contains("web.admin_token"), "{error}");
}

#[test]
fn data_dir_is_relative_to_the_configuration_file_and_connect_opens_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let path = dir.path().join("sluice.toml");
    std::fs::write(&path, format!("hostname = \"mx.example.net\"\ndata_dir = \"state\"\n{DOMAIN}")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check-config", "--connect", "--config", path.to_str().unwrap()])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.path().join("state/sluice.db").exists(), "the store belongs next to the configuration file");
    assert!(!elsewhere.path().join("state").exists());
}

#[test]
fn classify_fails_for_a_missing_file_and_still_prints_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let readable = dir.path().join("a.eml");
    std::fs::write(&readable, support::message("hello", "hi\r\n")).unwrap();
    let output = sluice(&["classify", readable.to_str().unwrap(), "/nonexistent/b.eml"]);
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.lines().next().unwrap().contains("main_class"), "{stdout}");
}

#[test]
fn sigterm_tells_an_idle_client_before_closing() {
    let mut sluice = Sluice::start(free_port(), "");
    let stream = std::net::TcpStream::connect(("127.0.0.1", sluice.smtp_port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 "), "{line}");
    (&stream).write_all(b"EHLO client.example\r\n").unwrap();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line.starts_with("250 ") {
            break;
        }
    }
    let status = sluice.terminate();
    assert!(status.success(), "{status:?}");
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("421 4.3.2"), "an idle session must hear why it is closed: {line:?}\n{}", sluice.log());
}

#[test]
fn the_repository_has_what_a_deployment_needs() {
    let license = std::fs::read_to_string(repository("LICENSE")).expect("LICENSE at the root");
    let manifest = std::fs::read_to_string(repository("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\"") && license.contains("Apache License") && license.contains("Version 2.0"));
    let unit = std::fs::read_to_string(repository("dist/sluice.service")).expect("dist/sluice.service");
    let exec = unit.lines().find(|line| line.starts_with("ExecStart=")).expect("ExecStart");
    assert!(exec.contains("sluice serve --config /"), "absolute paths: {exec}");
    assert!(unit.contains("AmbientCapabilities=CAP_NET_BIND_SERVICE"));
}

#[test]
fn metrics_count_decisions_and_show_the_queue_and_admin_actions_are_logged() {
    // Nothing listens at the destination: the accepted message waits in the queue.
    let sluice = Sluice::start(free_port(), "");
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&support::message("queued", "hi\r\n")]);
    assert_eq!(results[0]["code"], 250);
    let (status, text) = support::http(sluice.web_port, "GET", "/metrics", None, None).expect("metrics answer");
    assert_eq!(status, 200, "{text}");
    let counted = text
        .lines()
        .find(|line| line.starts_with("sluice_messages_total{") && line.contains("main_class=\"not-spam\""))
        .unwrap_or_else(|| panic!("no decision counted:\n{text}"));
    assert!(counted.contains("direction=\"incoming\"") && counted.contains("action="), "{counted}");
    assert!(text.lines().any(|line| line == "sluice_queue_length 1"), "{text}");
    assert!(text.contains("sluice_data_reply_seconds_bucket"), "{text}");
    assert!(text.contains("sluice_smtp_sessions_open"), "{text}");

    support::wait_for("a failed delivery attempt", Duration::from_secs(20), || {
        let (_, health) = support::http(sluice.web_port, "GET", "/healthz", None, None).unwrap();
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        health["failing_destinations"].as_array().is_some_and(|failing| !failing.is_empty())
    });
    let (_, health) = support::http(sluice.web_port, "GET", "/healthz", None, None).unwrap();
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["queue_length"], 1, "{health}");
    assert!(health["oldest_queued_seconds"].as_i64().is_some(), "{health}");
    assert!(health["failing_destinations"][0]["route"].as_str().is_some(), "{health}");

    let (status, _) = sluice.api_send("PUT", "/api/v1/settings/global", r#"{"quarantine_threshold": 0.95}"#);
    assert!(status < 300);
    let log = sluice.log();
    let audit = log.lines().find(|line| line.contains("admin action")).unwrap_or_else(|| panic!("no audit line:\n{log}"));
    assert!(audit.contains("actor") && audit.contains("/api/v1/settings/global") && audit.contains("127.0.0.1"), "{audit}");
}

#[test]
fn sluice_sink_shows_the_whole_loop() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut sink = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["sink", "--listen", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    support::wait_for("sink listening", Duration::from_secs(10), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let sluice = Sluice::start(port, "");
    let results = sluice.send("alice@example.org", &["bob@example.net"], &[&support::message("through the loop", "hi\r\n.dot\r\n")]);
    assert_eq!(results[0]["code"], 250);
    let mut output = BufReader::new(sink.stdout.take().unwrap());
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    let _ = sink.kill();
    let _ = sink.wait();
    assert!(line.contains("received from alice@example.org to bob@example.net"), "{line}");
    assert!(line.contains("Subject: through the loop") && line.contains("X-Sluice-Class: not-spam"), "{line}");
    let saved = std::fs::read_dir(dir.path()).unwrap().next().expect("message kept").unwrap().path();
    let raw = std::fs::read(saved).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("hi\r\n.dot\r\n") && !text.contains("..dot"), "dot-unstuffed as received: {text}");
}

/// The retention task deletes log rows past `[storage] log_retention`
/// (its first sweep runs as the process starts) and keeps the younger ones.
#[test]
fn log_rows_past_the_log_retention_are_deleted() {
    let mut sluice = Sluice::start(free_port(), "[storage]\nlog_retention = \"30d\"\n");
    let url = sluice.store_url(None);
    let now = support::now_ms();
    let day = 86_400_000;
    let row = |age_days: i64, subject: &str| {
        support::log_row(sluice_store::Direction::Incoming, now - age_days * day, "alice@example.org", "bob@example.net", subject)
    };
    support::in_store(&url, |store| async move {
        store.log_event(&row(31, "a month and a day old")).await.unwrap();
        store.log_event(&row(29, "29 days old")).await.unwrap();
    });
    let subjects = |sluice: &Sluice| sluice.logs().iter().filter_map(|row| row["subject"].as_str().map(str::to_owned)).collect::<Vec<_>>();
    assert_eq!(subjects(&sluice).len(), 2);
    assert!(sluice.terminate().success());
    sluice.spawn();
    support::wait_for("the old row deleted", Duration::from_secs(20), || subjects(&sluice) == ["29 days old"]);
    assert!(sluice.log().contains("deleted log rows past the log retention"), "{}", sluice.log());
}
