//! The `error` classes of a dependency that broke, against the real binary: a
//! store transaction failing half-way (`database-crash`, on SQLite and
//! PostgreSQL, through a trigger created in the store), a store that cannot be
//! reached (`database-unavailable`), and a destination answering the recipient
//! callout with what is not an SMTP reply (`verification-crash`, a raw socket
//! server on 127.0.0.1). Each is a 451 and never a silent accept. And the
//! attack on the store: a message made to fail a statement on purpose (a NUL
//! in its Subject) is stored, not a crash; and a destination dribbling its
//! callout reply is given up at the callout's deadline.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Sink, Sluice, free_port};

/// SQLite, and PostgreSQL when `SLUICE_TEST_POSTGRES_URL` names a server.
fn every_store() -> Vec<Option<String>> {
    std::iter::once(None).chain(support::fresh_postgres_database().map(Some)).collect()
}

/// Runs `statements` on the gateway's store with the dialect's own client
/// (`sqlite3`, `psql`), beside the running gateway.
fn in_store_sql(sluice: &Sluice, storage: Option<&str>, statements: &[&str]) {
    let output = match storage {
        None => Command::new("sqlite3")
            .args(["-cmd", ".timeout 10000"])
            .arg(sluice.dir.path().join("data/sluice.db"))
            .arg(statements.join(";\n"))
            .output(),
        Some(url) => {
            let mut psql = Command::new("psql");
            psql.arg(url).args(["-q", "-v", "ON_ERROR_STOP=1"]);
            for statement in statements {
                psql.args(["-c", statement]);
            }
            psql.output()
        }
    }
    .expect("run the store's client");
    assert!(output.status.success(), "{statements:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// A trigger making every INSERT into `messages` fail: the store is up, the
/// transaction recording a message breaks half-way.
fn refuse_messages(sluice: &Sluice, storage: Option<&str>) {
    match storage {
        None => in_store_sql(
            sluice,
            storage,
            &["CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"],
        ),
        Some(_) => in_store_sql(
            sluice,
            storage,
            &[
                "CREATE FUNCTION refuse_messages() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_messages BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_messages()",
            ],
        ),
    }
}

fn accept_messages(sluice: &Sluice, storage: Option<&str>) {
    let statement = if storage.is_none() { "DROP TRIGGER refuse_messages" } else { "DROP TRIGGER refuse_messages ON messages" };
    in_store_sql(sluice, storage, &[statement]);
}

#[test]
fn a_store_transaction_failing_half_way_is_database_crash() {
    for storage in every_store() {
        a_store_transaction_failing_half_way_is_database_crash_on(storage.as_deref());
    }
}

fn a_store_transaction_failing_half_way_is_database_crash_on(storage: Option<&str>) {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start_on(storage, sink.port, "");
    refuse_messages(&sluice, storage);
    let refused = sluice.send("alice@example.org", &["bob@example.net"], &[&support::message("crash", "Lunch on Friday?\r\n")]);
    assert_eq!(refused[0]["code"], 451, "{storage:?}: {refused:?}");
    assert_eq!(refused[0]["reply"], "4.3.0 Temporary storage failure, please try again later", "{storage:?}");
    // The store answers, so the refusal has its row, with the failure deciding
    // and the classification it would have had next.
    let row = sluice.newest_row();
    assert_eq!((row["main_class"].as_str(), row["sub_class"].as_str()), (Some("error"), Some("database-crash")), "{storage:?}: {row}");
    assert_eq!(row["error_class"], "database-crash", "{storage:?}");
    assert!(row["extra_class"].as_str().unwrap_or("").contains("disk on fire"), "{storage:?}: {row}");
    assert_eq!(row["action"], "temp-reject", "{storage:?}: {row}");
    assert!(row["quarantine_id"].is_null(), "{storage:?}: nothing kept: {row}");
    assert!(sluice.log().contains("error/database-crash"), "the process log names the class");

    accept_messages(&sluice, storage);
    let accepted = sluice.send("alice@example.org", &["bob@example.net"], &[&support::message("retry", "Lunch on Friday?\r\n")]);
    assert_eq!(accepted[0]["code"], 250, "{storage:?}: the retry is accepted: {accepted:?}");
    support::wait_for("the retry delivered", Duration::from_secs(20), || !sink.messages().is_empty());
    std::thread::sleep(Duration::from_millis(500));
    let delivered = sink.messages();
    assert_eq!(delivered.len(), 1, "{storage:?}: only the retry was delivered");
    assert!(String::from_utf8_lossy(&delivered[0].0).contains("Subject: retry"), "{storage:?}");
}

/// An attack on the store: a message whose decoded Subject holds a NUL
/// (`=?utf-8?q?free=00money?=`), which PostgreSQL refuses in a text column.
/// It must not become a `database-crash` for ever (nor fail the group commit
/// of the messages beside it): it is accepted, its row shows U+FFFD, and the
/// next message is accepted too.
#[test]
fn a_nul_in_the_subject_is_stored_not_a_database_crash() {
    for storage in every_store() {
        let sink_dir = tempfile::tempdir().unwrap();
        let sink = Sink::start(free_port(), sink_dir.path());
        let sluice = Sluice::start_on(storage.as_deref(), sink.port, "");
        // The NUL also in the From's name, a URL and an attachment's name.
        let date = String::from_utf8(Command::new("date").arg("-R").output().unwrap().stdout).unwrap();
        let hostile = format!(
            "From: =?utf-8?q?Al=00ice?= <alice@example.org>\r\nTo: bob@example.net\r\nSubject: =?utf-8?q?free=00money?=\r\n\
             Date: {}\r\nMessage-ID: <nul@example.org>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
             Lunch on Friday? http://lunch.example/menu%00x\r\n--b\r\nContent-Type: text/plain\r\n\
             Content-Disposition: attachment; filename*=utf-8''menu%00.txt\r\n\r\nSoup.\r\n--b--\r\n",
            date.trim()
        )
        .into_bytes();
        let innocent = support::message("innocent", "Lunch on Friday?\r\n");
        let sent = sluice.send("alice@example.org", &["bob@example.net"], &[&hostile, &innocent]);
        assert_eq!((&sent[0]["code"], &sent[1]["code"]), (&250.into(), &250.into()), "{storage:?}: {sent:?}");
        let logs = sluice.logs();
        let row = logs.iter().find(|row| row["subject"].as_str().is_some_and(|subject| subject.starts_with("free"))).expect("the hostile row");
        assert_eq!(row["subject"], "free\u{fffd}money", "{storage:?}: {row}");
        assert!(!sluice.log().contains("database-crash"), "{storage:?}: {}", sluice.log());
        support::wait_for("both delivered", Duration::from_secs(20), || sink.messages().len() == 2);
        // Nothing else the message wrote (reputation, fingerprints, URL
        // hashes) failed on it either.
        std::thread::sleep(Duration::from_millis(1500));
        assert!(!sluice.log().contains("0x00"), "{storage:?}: {}", sluice.log());
    }
}

/// An attack on the store: a Subject of megabytes (folded over many lines, so
/// no line is long) for the log's subject column, its search index and every
/// listing of the log. It is not a crash, the next message is accepted, and
/// the row keeps the Subject's first 2,000 characters.
#[test]
fn a_subject_of_megabytes_is_stored_not_a_database_crash() {
    for storage in every_store() {
        let sink_dir = tempfile::tempdir().unwrap();
        let sink = Sink::start(free_port(), sink_dir.path());
        let sluice = Sluice::start_on(storage.as_deref(), sink.port, "");
        let subject = vec!["lunch on friday at the usual place"; 100_000].join("\r\n ");
        let huge = support::message(&subject, "See you there.\r\n");
        let innocent = support::message("innocent", "Lunch on Friday?\r\n");
        let sent = sluice.send("alice@example.org", &["bob@example.net"], &[&huge, &innocent]);
        assert_ne!(sent[0]["code"], 451, "{storage:?}: {sent:?}");
        assert_eq!(sent[1]["code"], 250, "{storage:?}: {sent:?}");
        assert!(!sluice.log().contains("database-crash"), "{storage:?}: {}", sluice.log());
        let logs = sluice.logs();
        let row = logs.iter().find(|row| row["subject"].as_str().is_some_and(|subject| subject.starts_with("lunch on friday"))).expect("the row");
        let kept = row["subject"].as_str().unwrap();
        assert_eq!(kept.chars().count(), 2001, "{storage:?}");
        assert!(kept.ends_with('…'), "{storage:?}");
    }
}

/// PostgreSQL refusing every connection: the gateway cannot reach its store, so
/// the client gets the storage 451 and the process log (no row can be written)
/// says `error/database-unavailable`; once connections are allowed again the
/// retry is accepted.
#[test]
fn a_store_that_cannot_be_reached_is_database_unavailable() {
    let Some(url) = support::fresh_postgres_database() else {
        eprintln!("SLUICE_TEST_POSTGRES_URL not set: a store that cannot be reached is tested on PostgreSQL only (scripts/test sets it)");
        return;
    };
    let admin = std::env::var("SLUICE_TEST_POSTGRES_URL").unwrap();
    let name = url.rsplit_once('/').unwrap().1.to_owned();
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start_on(Some(&url), sink.port, "");
    let psql = |statement: &str| {
        let output = Command::new("psql").arg(&admin).args(["-q", "-v", "ON_ERROR_STOP=1", "-c", statement]).output().unwrap();
        assert!(output.status.success(), "{statement}: {}", String::from_utf8_lossy(&output.stderr));
    };
    psql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    psql(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"));
    let refused = sluice.send("alice@example.org", &["bob@example.net"], &[&support::message("down", "Lunch on Friday?\r\n")]);
    assert_eq!(refused[0]["code"], 451, "{refused:?}");
    assert_eq!(refused[0]["reply"], "4.3.0 Temporary storage failure, please try again later", "{refused:?}");
    assert!(sluice.log().contains("error/database-unavailable"), "{}", sluice.log());
    assert!(!sluice.log().contains("error/database-crash"), "nothing was begun: {}", sluice.log());

    psql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let accepted = sluice.send("alice@example.org", &["bob@example.net"], &[&support::message("back", "Lunch on Friday?\r\n")]);
    assert_eq!(accepted[0]["code"], 250, "{accepted:?}");
    support::wait_for("the retry delivered", Duration::from_secs(20), || !sink.messages().is_empty());
}

/// A destination for the recipient callout on 127.0.0.1: greets, takes EHLO and
/// MAIL, and answers RCPT by the recipient's local part, some of it with what
/// is not an SMTP reply. Every RCPT it was asked is kept.
struct FakeDestination {
    port: u16,
    asked: Arc<Mutex<Vec<String>>>,
}

impl FakeDestination {
    fn start() -> FakeDestination {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let kept = asked.clone();
        // Ends with the test process; each connection ends when the gateway
        // closes it or after 30 s of silence.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || converse(stream, &kept));
            }
        });
        FakeDestination { port, asked }
    }

    fn asked(&self, local: &str) -> usize {
        self.asked.lock().unwrap().iter().filter(|recipient| recipient.starts_with(&format!("{local}@"))).count()
    }
}

fn converse(stream: TcpStream, asked: &Mutex<Vec<String>>) {
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let _ = writer.write_all(b"220 fake.example.net ESMTP\r\n");
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|count| count > 0) {
        let command = line.trim_end().to_ascii_uppercase();
        let answer: Vec<u8> = if command.starts_with("EHLO") {
            b"250-fake.example.net\r\n250 8BITMIME\r\n".to_vec()
        } else if command.starts_with("MAIL") {
            b"250 2.1.0 OK\r\n".to_vec()
        } else if let Some(recipient) = command.strip_prefix("RCPT TO:<").and_then(|rest| rest.strip_suffix('>')) {
            let recipient = recipient.to_ascii_lowercase();
            asked.lock().unwrap().push(recipient.clone());
            if recipient.starts_with("dribble@") {
                // One octet of a reply line that never ends, every 100 ms,
                // until the gateway hangs up.
                let _ = writer.write_all(b"250-");
                while writer.write_all(b"x").is_ok() {
                    std::thread::sleep(Duration::from_millis(100));
                }
                return;
            }
            match recipient.split('@').next().unwrap_or("") {
                "garbage" => b"\x00\xff\xfe this is not SMTP\r\n".to_vec(),
                "long" => [b"250 ".as_slice(), &[b'x'; 5000], b"\r\n"].concat(),
                "endless" => b"250-and more\r\n".repeat(1000),
                "code" => b"650 6.0.0 what\r\n".to_vec(),
                "greeting" => b"220 fake.example.net ESMTP again\r\n".to_vec(),
                "temp" => b"451 4.3.0 try again later\r\n".to_vec(),
                _ => b"250 2.1.5 OK\r\n".to_vec(),
            }
        } else if command.starts_with("QUIT") {
            let _ = writer.write_all(b"221 bye\r\n");
            return;
        } else {
            b"500 5.5.1 unknown command\r\n".to_vec()
        };
        if writer.write_all(&answer).is_err() {
            return;
        }
        line.clear();
    }
}

/// One client transaction on the gateway: the reply to each RCPT.
fn rcpt_replies(port: u16, recipients: &[&str]) -> Vec<String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let reply = |reader: &mut BufReader<TcpStream>| {
        let mut last = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return last;
            }
            last = line.trim_end().to_owned();
            if line.as_bytes().get(3) != Some(&b'-') {
                return last;
            }
        }
    };
    reply(&mut reader);
    let mut command = |reader: &mut BufReader<TcpStream>, line: &str| {
        writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        reply(reader)
    };
    command(&mut reader, "EHLO client.example.org");
    command(&mut reader, "MAIL FROM:<alice@example.org>");
    let replies = recipients.iter().map(|recipient| command(&mut reader, &format!("RCPT TO:<{recipient}>"))).collect();
    command(&mut reader, "QUIT");
    replies
}

#[test]
fn a_callout_answered_with_what_is_not_a_reply_is_verification_crash() {
    let destination = FakeDestination::start();
    let sluice = Sluice::start_with(None, destination.port, "max_errors = 100\n", "verify_recipients = true\n");
    let broken = ["garbage", "long", "endless", "code", "greeting"];
    let mut recipients = vec!["bob@example.net"];
    let addresses: Vec<String> = broken.iter().map(|local| format!("{local}@example.net")).collect();
    recipients.extend(addresses.iter().map(String::as_str));
    recipients.extend(["temp@example.net", "carol@example.net"]);
    let replies = rcpt_replies(sluice.smtp_port, &recipients);
    assert!(replies[0].starts_with("250"), "a normal answer still verifies: {replies:?}");
    for (index, local) in broken.iter().enumerate() {
        assert_eq!(replies[index + 1], "451 4.3.0 Internal error while filtering, please try again later", "{local}: {replies:?}");
    }
    assert_eq!(replies[6], "451 4.4.0 Unable to verify destination address", "a 4xx is no crash: {replies:?}");
    assert!(replies[7].starts_with("250"), "a new connection after a broken one: {replies:?}");

    let reasons = [
        ("garbage", "not an SMTP reply"),
        ("long", "a reply line over 2048 octets"),
        ("endless", "a reply of more than 100 lines"),
        ("code", "not an SMTP reply: \"650"),
        ("greeting", "a second greeting in reply to RCPT"),
    ];
    support::wait_for("the verification-crash rows", Duration::from_secs(10), || {
        sluice.logs().iter().filter(|row| row["sub_class"] == "verification-crash").count() == broken.len()
    });
    for row in sluice.logs().iter().filter(|row| row["sub_class"] == "verification-crash") {
        assert_eq!((row["main_class"].as_str(), row["error_class"].as_str()), (Some("error"), Some("verification-crash")), "{row}");
        let recipient = row["recipients"][0].as_str().unwrap();
        let local = recipient.split('@').next().unwrap();
        let (_, reason) = reasons.iter().find(|(name, _)| *name == local).expect("a broken recipient");
        assert!(row["extra_class"].as_str().unwrap().contains(reason), "{local}: {row}");
    }
    assert!(sluice.logs().iter().any(|row| row["sub_class"] == "verification-fail"), "the 4xx row");

    // Not cached as an answer: asked again, the destination is asked again.
    let again = rcpt_replies(sluice.smtp_port, &["garbage@example.net", "bob@example.net"]);
    assert!(again[0].starts_with("451 4.3.0"), "{again:?}");
    assert!(again[1].starts_with("250"), "{again:?}");
    assert_eq!(destination.asked("garbage"), 2, "not cached");
    assert_eq!(destination.asked("bob"), 1, "an existing recipient is cached");
}

/// A destination that dribbles its reply (one octet every 100 ms, a line that
/// never ends) is given up at the callout's deadline (the client's command
/// timeout here, 3 s): the recipient is deferred, and the next one is asked
/// on a new connection.
#[test]
fn a_callout_answered_one_octet_at_a_time_ends_at_its_deadline() {
    let destination = FakeDestination::start();
    let sluice = Sluice::start_with(None, destination.port, "timeout = \"3s\"\n", "verify_recipients = true\n");
    let replies = rcpt_replies(sluice.smtp_port, &["dribble@example.net", "carol@example.net"]);
    assert_eq!(replies[0], "451 4.4.0 Unable to verify destination address", "{replies:?}");
    assert!(replies[1].starts_with("250"), "{replies:?}");
    assert_eq!(destination.asked("carol"), 1);
}
