//! The antivirus scan of a message at DATA, gathered before the classification.
//!
//! The whole message as received goes to clamd in one `INSTREAM`: clamd decodes
//! the MIME structure itself (`ScanMail`, on by default) and opens archives
//! (`ScanArchive`), so the decoded attachments, a zip inside base64 included,
//! are scanned without Sluice decoding them a second time (see
//! `docs/decisions.md`). The outcome becomes a [`sluice_core::checks::virus::VirusJudge`].

use std::sync::Arc;

use sluice_core::DomainSettings;
use sluice_lookup::{Gathering, LookupOutcome, LookupRecord, Scanned, Scanner};
use sluice_store::LoggedLookup;

use crate::config::Antivirus;

/// The scan of one message, with the lookups made for it.
pub(crate) struct Scan {
    pub(crate) outcome: LookupOutcome<Scanned>,
    pub(crate) records: Vec<LookupRecord>,
    /// The scanner was unavailable and the recipients' settings let the message
    /// through: the log row must say so.
    pub(crate) failed_open: bool,
}

/// The configured scanner, if any.
pub(crate) fn scanner(config: &Antivirus) -> Option<Arc<dyn Scanner>> {
    let address = config.clamd.clone()?;
    Some(Arc::new(sluice_lookup::clamd::Clamd { address }))
}

/// Scans `raw` within `[antivirus] timeout`; `None` when no scanner is configured.
pub(crate) async fn scan(
    scanner: Option<&Arc<dyn Scanner>>,
    config: &Antivirus,
    raw: &[u8],
    settings: &DomainSettings,
) -> Option<Scan> {
    let scanner = scanner?;
    let gathering = Gathering::new(config.timeout, config.timeout);
    let what = format!("clamd INSTREAM {} octets", raw.len());
    let outcome = gathering.run(what, scanner.scan(raw)).await;
    let failed_open = outcome.is_unavailable() && settings.antivirus_fail_open;
    if let LookupOutcome::Failed(why) = &outcome {
        tracing::warn!(%why, fail_open = settings.antivirus_fail_open, "antivirus scan failed");
    } else if outcome == LookupOutcome::TimedOut {
        tracing::warn!(fail_open = settings.antivirus_fail_open, "antivirus scan timed out");
    }
    Some(Scan { outcome, records: gathering.records(), failed_open })
}

impl Scan {
    /// The lookups as the log row keeps them, with a line saying the message was
    /// accepted unscanned when it was.
    pub(crate) fn logged(&self) -> Vec<LoggedLookup> {
        let mut logged = crate::pipeline::logged_lookups(self.records.clone());
        if self.failed_open {
            logged.push(LoggedLookup {
                what: "antivirus unavailable: accepted unscanned (antivirus_fail_open = true)".to_owned(),
                outcome: "fail-open".to_owned(),
                took_ms: 0,
            });
        }
        logged
    }
}

#[cfg(test)]
mod tests {
    use sluice_model::{Action, MainClass, Subclass};
    use sluice_store::{Direction, Explanation, LogEntry, MessageBytes, Released};

    use crate::{ADMIN_RELEASER, Config, Gateway};

    /// A gateway on a fresh SQLite store in a temporary directory.
    async fn gateway(dir: &std::path::Path) -> Gateway {
        let text = format!(
            "hostname = \"mx.test\"\ndata_dir = \"{}\"\n[web]\nadmin_token = \"t\"\n[[domains]]\nname = \"example.net\"\ndestination = \"127.0.0.1:2526\"\n",
            dir.display()
        );
        let config = Config::parse(std::path::Path::new("test.toml"), &text).unwrap();
        let store = sluice_store::Store::open(&config.storage_url).await.unwrap();
        let (_shutdown, watch) = tokio::sync::watch::channel(false);
        Gateway::new(config, store, watch).unwrap()
    }

    async fn quarantine(gateway: &Gateway, main: MainClass, sub: Subclass) -> String {
        let entry = LogEntry {
            received_at_ms: 1,
            direction: Direction::Incoming,
            client_ip: "192.0.2.1".to_owned(),
            helo: "client.example.org".to_owned(),
            sender: "alice@example.org".to_owned(),
            recipients: vec!["bob@example.net".to_owned()],
            subject: "s".to_owned(),
            main_class: main,
            sub_class: sub,
            error_class: None,
            extra_class: "Eicar-Test-Signature".to_owned(),
            score: None,
            reply: "550 5.7.1 Message contains a virus".to_owned(),
            action: Action::Quarantine,
            explanation: Explanation::default(),
        };
        let raw = MessageBytes::new(b"Subject: s\r\n\r\nbody\r\n".to_vec(), 0);
        let recorded = gateway.store.record_message(entry, Some(raw), Vec::new()).await.unwrap();
        recorded.quarantine_id.unwrap()
    }

    #[tokio::test]
    async fn only_an_administrator_releases_a_virus() {
        let dir = std::env::temp_dir().join(format!("sluice-antivirus-release-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let gateway = gateway(&dir).await;
        let virus = quarantine(&gateway, MainClass::Virus, Subclass::PatternSet1).await;
        assert_eq!(gateway.release(&virus, "bob@example.net", false).await.unwrap(), Released::Forbidden);
        assert!(matches!(gateway.release(&virus, ADMIN_RELEASER, true).await.unwrap(), Released::Queued { .. }));
        // Other quarantined classes are not restricted here.
        let spam = quarantine(&gateway, MainClass::Spam, Subclass::Gtube).await;
        assert!(matches!(gateway.release(&spam, "bob@example.net", false).await.unwrap(), Released::Queued { .. }));
        gateway.store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
