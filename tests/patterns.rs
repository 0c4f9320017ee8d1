//! External pattern sets (`[[patterns]]`) from outside: the real binary with
//! pattern files, messages sent with smtplib. A match is refused with 550 5.7.1,
//! quarantined and logged as spam / pattern with `SOURCE:ID`; an allow list and
//! a mailbox's `pattern_sets` still let it through; a changed file counts
//! without a restart while a broken one keeps its last good set; a bad file is
//! a configuration error naming the file and the line, and `sluice patterns
//! check` says what is wrong with a hostile one.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Sink, Sluice, free_port, message, wait_for};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/patterns").join(name)
}

/// `[[patterns]]` tables for `(source, file)` pairs.
fn tables(sets: &[(&str, &Path)]) -> String {
    sets.iter().map(|(source, file)| format!("[[patterns]]\nsource = \"{source}\"\nfile = \"{}\"\n", file.display())).collect()
}

/// The newest log row's main class, subclass and extra class.
fn class(sluice: &Sluice) -> (String, String, String) {
    let row = sluice.newest_row();
    let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
    (text("main_class"), text("sub_class"), text("extra_class"))
}

fn send(sluice: &Sluice, recipient: &str, subject: &str, body: &str) -> Value {
    sluice.send("alice@example.org", &[recipient], &[&message(subject, body)]).remove(0)
}

fn refused_as_pattern(result: &Value) -> bool {
    result["code"] == 550 && result["reply"].as_str().unwrap_or_default() == "5.7.1 The content of this message looked like spam."
}

#[test]
fn a_match_is_refused_and_quarantined_unless_an_allow_list_or_the_mailbox_says_otherwise() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, &tables(&[("acme", &fixture("acme.txt"))]));

    let result = send(&sluice, "bob@example.net", "You have WON", "Claim it.\r\n");
    assert!(refused_as_pattern(&result), "{result}");
    assert_eq!(class(&sluice), ("spam".into(), "pattern".into(), "acme:subject-prize".into()));
    let row = sluice.newest_row();
    assert_eq!(row["action"], "quarantine", "{row}");
    let (status, quarantine) = sluice.api("GET", "/api/v1/quarantine");
    assert_eq!(status, 200);
    assert_eq!(quarantine["items"].as_array().map(Vec::len), Some(1), "{quarantine}");
    assert_eq!(quarantine["items"][0]["sub_class"], "pattern");

    let result = send(&sluice, "bob@example.net", "Minutes", "The minutes of Tuesday.\r\n");
    assert_eq!(result["code"], 250, "{result}");

    // A mailbox that judges no pattern set gets the message.
    let (status, set) = sluice.api_send("PUT", "/api/v1/settings/mailboxes/carol@example.net", r#"{"pattern_sets": []}"#);
    assert_eq!(status, 200, "{set}");
    let (status, refused) = sluice.api_send("PUT", "/api/v1/settings/mailboxes/dave@example.net", r#"{"pattern_sets": ["a b"]}"#);
    assert_eq!(status, 400, "not a source name: {refused}");
    let result = send(&sluice, "carol@example.net", "You have won", "Claim it.\r\n");
    assert_eq!(result["code"], 250, "{result}");
    assert_ne!(class(&sluice).1, "pattern");

    // An allow-listed sender is delivered despite a match (tier 5 before 8).
    let entry = json!({"scope": "global", "field": "sender", "value": "alice@example.org", "unauthenticated": true});
    let (status, body) = sluice.api_post("/api/v1/lists/allow", &entry.to_string());
    assert_eq!(status, 201, "{body}");
    let result = send(&sluice, "bob@example.net", "You have won again", "Claim it.\r\n");
    assert_eq!(result["code"], 250, "{result}");
    assert_eq!(class(&sluice).0, "allow-list");
    let explanation = sluice.newest_row();
    assert!(explanation.to_string().contains("acme:subject-prize"), "the match is kept among the findings: {explanation}");
    wait_for("three deliveries", Duration::from_secs(30), || sink.messages().len() == 3);
    let subjects: Vec<String> = sink.messages().iter().map(|(raw, _)| String::from_utf8_lossy(raw).lines().find(|line| line.starts_with("Subject:")).unwrap_or_default().to_owned()).collect();
    assert!(subjects.iter().any(|subject| subject == "Subject: You have won again"), "{subjects:?}");
}

#[test]
fn a_changed_file_counts_without_a_restart_and_a_broken_one_keeps_its_last_good_set() {
    let dir = tempfile::tempdir().unwrap();
    let (acme, local) = (dir.path().join("acme.txt"), dir.path().join("local.txt"));
    std::fs::write(&acme, "prize subject /you have won/i\n").unwrap();
    std::fs::write(&local, "# our own\nlunch body /free lunch/i\n").unwrap();
    let sluice = Sluice::start(free_port(), &tables(&[("acme", &acme), ("local", &local)]));

    assert!(refused_as_pattern(&send(&sluice, "bob@example.net", "Hello", "A FREE LUNCH for you.\r\n")));
    assert_eq!(class(&sluice).2, "local:lunch");
    let result = send(&sluice, "bob@example.net", "Jackpot", "Claim it.\r\n");
    assert!(!refused_as_pattern(&result), "no pattern for it yet: {result}");

    // One a new pattern, the other broken: both are looked at within a minute.
    std::fs::write(&acme, "prize subject /you have won/i\njackpot subject jackpot\n").unwrap();
    std::fs::write(&local, "# our own\nlunch body /(free lunch/i\n").unwrap();
    wait_for("the files looked at again", Duration::from_secs(90), || {
        let log = sluice.log();
        log.contains("pattern file reloaded") && log.contains("pattern file does not load")
    });
    let log = sluice.log();
    let error = log.lines().find(|line| line.contains("pattern file does not load")).unwrap_or_default();
    assert!(error.contains(&format!("{}: line 2: the regex does not compile", local.display())), "{error}");

    assert!(refused_as_pattern(&send(&sluice, "bob@example.net", "JACKPOT", "Claim it.\r\n")));
    assert_eq!(class(&sluice).2, "acme:jackpot");
    assert!(refused_as_pattern(&send(&sluice, "bob@example.net", "Hello", "A free lunch for you.\r\n")));
    assert_eq!(class(&sluice).2, "local:lunch", "the last good set of the broken file");
}

fn sluice_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice")).args(args).output().expect("run sluice")
}

#[test]
fn a_bad_file_is_a_configuration_error_and_the_check_command_names_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir.path().join("hostile.txt");
    let mut text = b"ok subject fine\nhuge body /(?:a{1000}){1000}/\nlatin1 body caf\xe9\n".to_vec();
    text.extend_from_slice(format!("long body {}\n", "x".repeat(10_000)).as_bytes());
    text.extend_from_slice(b"odd subjekt spam\n");
    std::fs::write(&hostile, &text).unwrap();
    let file = hostile.display().to_string();
    let output = sluice_cli(&["patterns", "check", &file]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for expected in [
        format!("{file}:2: the regex compiles past the 1024 KiB limit"),
        format!("{file}:3: the line is not UTF-8"),
        format!("{file}:4: the line is longer than 8192 octets"),
        format!("{file}:5: unknown field \"subjekt\": expected subject, header:Name, body"),
    ] {
        assert!(stderr.contains(&expected), "{expected:?} in {stderr}");
    }
    let output = sluice_cli(&["patterns", "check", &fixture("acme.txt").display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(": 10 patterns") && stdout.lines().any(|line| line.split_whitespace().eq(["body", "2"])), "{stdout}");

    // At start: the configuration names the table, the file and the line.
    let config = dir.path().join("sluice.toml");
    std::fs::write(&config, format!("hostname = \"mx.test.example\"\ndata_dir = \"data\"\n{}", tables(&[("vendor", &hostile)]))).unwrap();
    let output = sluice_cli(&["check-config", "--config", &config.display().to_string()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(&format!("[[patterns]] #1: key `file`: {file}: line 2: the regex compiles past")), "{stderr}");
}
