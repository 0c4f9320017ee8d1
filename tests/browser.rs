//! The web interface in a real browser: headless Chromium driven through
//! chromedriver (Debian `chromium` and `chromium-driver`), both started and
//! stopped by the test. Logs in, searches the log, toggles a column (and sees
//! the choice remembered after a reload), opens a message, sees a hostile
//! subject as text with no script run, and releases a quarantined message
//! that then reaches the test sink; sees the dashboard's chart and a
//! message's headers and delivery attempts, and releases two messages at once
//! through "select all" and the bulk form; adds a domain on the Domains page
//! (a hostile name refused as text), sees it listed and removes it.
//!
//! `SLUICE_SCREENSHOT_DIR=docs/screenshots cargo test --test browser` also
//! saves the log, quarantine and dashboard pages as PNG files there.

mod support;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use support::{Sink, Sluice, free_port, message, wait_for};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
const HOSTILE_SUBJECT: &str = "<script>alert(1)</script><img src=x onerror=alert(2)> You won";

/// chromedriver on a free port; killed when dropped.
struct ChromeDriver {
    port: u16,
    child: Child,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .expect("chromedriver is not installed: apt-get install chromium chromium-driver (scripts/test does)");
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        wait_for("chromedriver", Duration::from_secs(20), || TcpStream::connect(("127.0.0.1", port)).is_ok());
        ChromeDriver { port, child }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn add_admin(sluice: &Sluice) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["user", "add", "--config"])
        .arg(&sluice.config_path)
        .args(["--role", "admin", "admin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"correct horse\n").unwrap();
    assert!(child.wait().unwrap().success());
}

/// A headless Chromium session through `driver`.
async fn open_browser(driver: &ChromeDriver) -> fantoccini::Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,900"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a chromedriver session")
}

/// Logs in as the admin of [`add_admin`] from the login form.
async fn log_in(browser: &fantoccini::Client, base: &str) -> Result<(), fantoccini::error::CmdError> {
    browser.goto(&format!("{base}/login")).await?;
    browser.find(Locator::Css("input[name=username]")).await?.send_keys("admin").await?;
    browser.find(Locator::Css("input[name=password]")).await?.send_keys("correct horse").await?;
    browser.find(Locator::Css("form.login button[type=submit]")).await?.click().await?;
    browser.wait().for_element(Locator::Css("header.nav")).await?;
    Ok(())
}

/// Runs a test's browser `steps` within 120 s; when they fail, prints where the
/// browser was and the gateway's log before failing the test. The browser is
/// closed either way.
async fn run_steps(
    browser: &fantoccini::Client,
    sluice: &Sluice,
    steps: impl std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
) {
    let outcome = tokio::time::timeout(Duration::from_secs(120), steps).await;
    if !matches!(outcome, Ok(Ok(()))) {
        let url = browser.current_url().await.map(|url| url.to_string()).unwrap_or_default();
        let source = browser.source().await.unwrap_or_default();
        eprintln!("the browser was at {url}:\n{source}\n\nsluice log:\n{}", sluice.log());
    }
    let _ = browser.clone().close().await;
    outcome.expect("the browser steps took over 120 s").expect("a browser step failed");
}

fn screenshot_dir() -> Option<PathBuf> {
    std::env::var_os("SLUICE_SCREENSHOT_DIR").map(|dir| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_logs_in_searches_opens_and_releases() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    add_admin(&sluice);
    for (recipient, subject, body) in [
        ("carol@example.net", "Minutes of the board meeting", "See you next week.\r\n".to_owned()),
        ("dave@example.net", "Quarterly report", "Numbers attached.\r\n".to_owned()),
        ("bob@example.net", HOSTILE_SUBJECT, format!("Claim your prize <b>now</b>.\r\n{GTUBE}\r\n")),
    ] {
        sluice.send("alice@example.org", &[recipient], &[&message(subject, &body)]);
    }
    let driver = ChromeDriver::start();
    let browser = open_browser(&driver).await;
    let base = format!("http://127.0.0.1:{}", sluice.web_port);
    let steps = async {
        // Not logged in: the log sends us to the login form.
        browser.goto(&format!("{base}/logs")).await?;
        assert_eq!(browser.current_url().await?.path(), "/login");
        browser.find(Locator::Css("input[name=username]")).await?.send_keys("admin").await?;
        browser.find(Locator::Css("input[name=password]")).await?.send_keys("correct horse").await?;
        browser.find(Locator::Css("form.login button[type=submit]")).await?.click().await?;
        browser.wait().for_element(Locator::Id("log-table")).await?;
        assert_eq!(browser.current_url().await?.path(), "/logs", "back where we were sent from");
        assert_eq!(browser.find_all(Locator::Css("#log-table tbody tr")).await?.len(), 3);

        // The hostile subject is text: no element made of it, and no script ran
        // (an `alert` would fail the next WebDriver command: "unexpected alert open").
        let subjects = browser.find_all(Locator::Css("#log-table td[data-column=subject]")).await?;
        let mut texts = Vec::new();
        for cell in &subjects {
            texts.push(cell.text().await?);
        }
        assert!(texts.iter().any(|text| text == HOSTILE_SUBJECT), "{texts:?}");
        assert!(browser.find_all(Locator::Css("main img, main script")).await?.is_empty(), "markup from a subject became elements");

        if let Some(dir) = screenshot_dir() {
            std::fs::write(dir.join("logs.png"), browser.screenshot().await?).unwrap();
        }

        // Search the log.
        browser.find(Locator::Css("#log-search input[name=subject]")).await?.send_keys("quarterly").await?;
        browser.find(Locator::Css("#log-search button[type=submit]")).await?.click().await?;
        for _ in 0..100 {
            if browser.current_url().await?.as_str().contains("subject=quarterly") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let rows = browser.find_all(Locator::Css("#log-table tbody tr")).await?;
        assert_eq!(rows.len(), 1);
        assert_eq!(browser.find(Locator::Css("#log-table td[data-column=subject]")).await?.text().await?, "Quarterly report");

        // Hide the Main Class column; the choice survives a reload.
        browser.find(Locator::Css("#visible-columns summary")).await?.click().await?;
        browser.find(Locator::Css("#visible-columns input[data-column=main]")).await?.click().await?;
        assert!(!browser.find(Locator::Css("#log-table th[data-column=main]")).await?.is_displayed().await?);
        assert!(browser.find(Locator::Css("#log-table th[data-column=sub]")).await?.is_displayed().await?);
        browser.refresh().await?;
        browser.wait().for_element(Locator::Id("log-table")).await?;
        assert!(!browser.find(Locator::Css("#log-table th[data-column=main]")).await?.is_displayed().await?, "forgotten on reload");
        assert!(!browser.find(Locator::Css("#log-table td[data-column=main]")).await?.is_displayed().await?);
        browser.find(Locator::Css("#visible-columns summary")).await?.click().await?;
        browser.find(Locator::Css("#visible-columns input[data-column=main]")).await?.click().await?;
        assert!(browser.find(Locator::Css("#log-table th[data-column=main]")).await?.is_displayed().await?);

        // Open the message by clicking its row.
        browser.find(Locator::Css("#log-table td[data-column=subject]")).await?.click().await?;
        browser.wait().for_element(Locator::Css("table.facts")).await?;
        assert!(browser.current_url().await?.path().starts_with("/logs/"));
        assert_eq!(browser.find(Locator::Css("h1.subject")).await?.text().await?, "Quarterly report");
        let findings = browser.find_all(Locator::Css("table.findings tbody tr")).await?;
        assert!(!findings.is_empty(), "the findings of the message");

        // Release the quarantined message: it reaches the sink.
        browser.goto(&format!("{base}/quarantine")).await?;
        browser.wait().for_element(Locator::Id("quarantine-table")).await?;
        let quarantined = browser.find(Locator::Css("#quarantine-table td.subject")).await?.text().await?;
        assert_eq!(quarantined, HOSTILE_SUBJECT);
        if let Some(dir) = screenshot_dir() {
            std::fs::write(dir.join("quarantine.png"), browser.screenshot().await?).unwrap();
        }
        browser.find(Locator::Css("#quarantine-table button.release")).await?.click().await?;
        let notice = browser.wait().for_element(Locator::Css("p.notice")).await?.text().await?;
        assert!(notice.starts_with("Released"), "{notice}");
        Ok::<(), fantoccini::error::CmdError>(())
    };
    run_steps(&browser, &sluice, steps).await;
    drop(driver);
    tokio::task::spawn_blocking(move || {
        wait_for("the released message at the sink", Duration::from_secs(20), || {
            sink.messages().iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains("Claim your prize"))
        });
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_sees_the_dashboard_and_releases_in_bulk() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    add_admin(&sluice);
    sluice.send("alice@example.org", &["carol@example.net"], &[&message("Lunch on Friday", "Noon?\r\n")]);
    for subject in ["First held", "Second held"] {
        sluice.send("mallory@example.org", &["bob@example.net"], &[&message(subject, &format!("{GTUBE}\r\n"))]);
    }
    let delivered = sluice.logs().iter().find(|row| row["subject"] == "Lunch on Friday").unwrap()["id"].as_i64().unwrap();
    let driver = ChromeDriver::start();
    let browser = open_browser(&driver).await;
    let base = format!("http://127.0.0.1:{}", sluice.web_port);
    let steps = async {
        log_in(&browser, &base).await?;
        // The dashboard: the chart is drawn (inline SVG, no script needed).
        browser.goto(&format!("{base}/")).await?;
        browser.wait().for_element(Locator::Id("class-chart")).await?;
        assert_eq!(browser.current_url().await?.path(), "/dashboard");
        assert!(browser.find_all(Locator::Css("#class-chart rect")).await?.len() >= 2, "bars for two main classes");
        assert_eq!(browser.find(Locator::Id("quarantine-size")).await?.text().await?, "2");
        if let Some(dir) = screenshot_dir() {
            std::fs::write(dir.join("dashboard.png"), browser.screenshot().await?).unwrap();
        }

        // The full message page: headers and delivery attempts.
        wait_for_delivery(&sink, "Lunch on Friday").await;
        browser.goto(&format!("{base}/logs/{delivered}")).await?;
        browser.wait().for_element(Locator::Id("message-headers")).await?;
        assert!(browser.find(Locator::Id("message-headers")).await?.text().await?.contains("Lunch on Friday"));
        assert!(browser.find(Locator::Id("delivery-attempts")).await?.text().await?.contains("delivered"));
        assert!(browser.find(Locator::Id("raw-source")).await?.is_displayed().await?);

        // Select all (the script's box), release in bulk: both reach the sink.
        browser.goto(&format!("{base}/quarantine")).await?;
        browser.wait().for_element(Locator::Id("quarantine-table")).await?;
        browser.find(Locator::Id("select-all")).await?.click().await?;
        for box_ in browser.find_all(Locator::Css("#quarantine-table input.select")).await? {
            assert!(box_.is_selected().await?, "select all selected every row");
        }
        browser.find(Locator::Css("#bulk button[value=release]")).await?.click().await?;
        let notice = browser.wait().for_element(Locator::Css("p.notice")).await?.text().await?;
        assert!(notice.contains("2 message(s)"), "{notice}");
        assert!(browser.find_all(Locator::Css("#quarantine-table tbody tr")).await?.is_empty());
        Ok::<(), fantoccini::error::CmdError>(())
    };
    run_steps(&browser, &sluice, steps).await;
    drop(driver);
    wait_for_delivery(&sink, "First held").await;
    wait_for_delivery(&sink, "Second held").await;
}

/// Waits (off the async workers) until the sink got a message with `subject`.
async fn wait_for_delivery(sink: &Sink, subject: &str) {
    let dir = sink.dir.clone();
    let marker = format!("Subject: {subject}\r\n");
    tokio::task::spawn_blocking(move || {
        wait_for("the message at the sink", Duration::from_secs(20), || {
            support::messages_in(&dir).iter().any(|(raw, _)| String::from_utf8_lossy(raw).contains(&marker))
        });
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_adds_a_domain_sees_it_listed_and_removes_it() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(free_port(), sink_dir.path());
    let sluice = Sluice::start(sink.port, "");
    add_admin(&sluice);
    let driver = ChromeDriver::start();
    let browser = open_browser(&driver).await;
    let base = format!("http://127.0.0.1:{}", sluice.web_port);
    let destination = format!("127.0.0.1:{}", sink.port);
    let steps = async {
        log_in(&browser, &base).await?;
        browser.goto(&format!("{base}/domains")).await?;
        browser.wait().for_element(Locator::Id("add-domain")).await?;
        // A hostile name is refused and shown as text (an `alert` would fail
        // the next command).
        browser.find(Locator::Css("#add-domain input[name=name]")).await?.send_keys("<img src=x onerror=alert(1)>.example").await?;
        browser.find(Locator::Css("#add-domain input[name=destination]")).await?.send_keys(&destination).await?;
        browser.find(Locator::Css("#add-domain button[type=submit]")).await?.click().await?;
        let error = browser.wait().for_element(Locator::Css("p.error")).await?.text().await?;
        assert!(error.contains("key `name`") && error.contains("<img"), "{error}");

        let name = browser.find(Locator::Css("#add-domain input[name=name]")).await?;
        name.clear().await?;
        name.send_keys("Browser.Example").await?;
        browser.find(Locator::Css("#add-domain button[type=submit]")).await?.click().await?;
        let notice = browser.wait().for_element(Locator::Css("p.notice")).await?.text().await?;
        assert!(notice.starts_with("Added"), "{notice}");
        let listed = browser.find(Locator::Id("domains")).await?.text().await?;
        assert!(listed.contains("browser.example") && listed.contains(&destination), "{listed}");
        if let Some(dir) = screenshot_dir() {
            std::fs::write(dir.join("domains.png"), browser.screenshot().await?).unwrap();
        }

        // Remove: the confirmation page, then the button.
        browser.find(Locator::Css("a[href='/domains/browser.example/remove']")).await?.click().await?;
        browser.wait().for_element(Locator::Id("remove-domain")).await?;
        browser.find(Locator::Css("#remove-domain button[type=submit]")).await?.click().await?;
        let notice = browser.wait().for_element(Locator::Css("p.notice")).await?.text().await?;
        assert!(notice.starts_with("Removed"), "{notice}");
        assert!(!browser.find(Locator::Id("domains")).await?.text().await?.contains("browser.example"));
        Ok::<(), fantoccini::error::CmdError>(())
    };
    run_steps(&browser, &sluice, steps).await;
    drop(driver);
    let (_, listed) = sluice.api("GET", "/api/v1/domains");
    assert_eq!(listed["items"], json!(["example.net"]), "{listed}");
}
