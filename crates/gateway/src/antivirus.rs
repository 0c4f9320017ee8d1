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
        let mut logged: Vec<LoggedLookup> = self
            .records
            .iter()
            .map(|record| LoggedLookup {
                what: record.what.clone(),
                outcome: record.outcome.to_owned(),
                took_ms: record.took_ms,
            })
            .collect();
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
