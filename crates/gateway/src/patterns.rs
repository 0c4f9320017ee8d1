//! The external pattern sets (`[[patterns]]`) as this node holds them: loaded
//! with the configuration, each file's modification time and size looked at
//! once a minute ([`Gateway::follow_pattern_files`]) and a changed file read and
//! compiled again on the blocking pool. A file that no longer loads keeps its
//! last good set, and the error is logged with the file and the line (once per
//! change of the file). Judged at DATA by
//! `sluice_core::checks::patterns::PatternsJudge`.

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use sluice_core::checks::patterns::{FILE_SIZE_MAX, PatternSets};

use crate::Gateway;
use crate::config::{PatternSource, Patterns};

/// How often the files are looked at: a vendor's feed changes a few times a
/// day, and a minute is as soon as an admin editing one expects it to count.
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// Reads at most one octet past [`FILE_SIZE_MAX`], so an endless file costs no
/// more memory than that (the parser refuses it).
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(FILE_SIZE_MAX as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// What a file looked like: a change of either means it is read again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl FileStamp {
    /// The file's stamp now; `None` when it cannot be looked at.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(FileStamp { modified: metadata.modified().ok(), len: metadata.len() })
    }
}

/// The pattern sets in force and what their files looked like when read.
pub struct PatternFiles {
    sources: Vec<PatternSource>,
    sets: RwLock<Arc<PatternSets>>,
    /// Per source: the stamp of the file when it was last read (loaded or not).
    stamps: Mutex<Vec<Option<FileStamp>>>,
}

impl PatternFiles {
    /// The sets the configuration loaded, with the stamps taken before it read them.
    pub fn new(patterns: &Patterns) -> PatternFiles {
        PatternFiles {
            sources: patterns.sources.clone(),
            sets: RwLock::new(patterns.loaded.clone()),
            stamps: Mutex::new(patterns.stamps.clone()),
        }
    }

    /// The sets in force now.
    pub fn current(&self) -> Arc<PatternSets> {
        self.sets.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Reads again each file whose stamp changed, replacing its set when it
    /// loads; returns how many sets were replaced. Blocking (file reads and
    /// compiling up to 100,000 patterns): run it on the blocking pool.
    pub fn reload_changed(&self) -> usize {
        let mut replaced = 0;
        for (position, source) in self.sources.iter().enumerate() {
            let stamp = FileStamp::of(&source.file);
            let known = self.stamps.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[position];
            if stamp == known {
                continue;
            }
            self.stamps.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[position] = stamp;
            if stamp.is_none() {
                tracing::error!(source = %source.source, file = %source.file.display(), "pattern file cannot be read; keeping the last good set");
                continue;
            }
            match source.load() {
                Ok(set) => {
                    tracing::info!(source = %source.source, file = %source.file.display(), patterns = set.len(), "pattern file reloaded");
                    let mut sets = self.sets.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                    *sets = Arc::new(sets.with_replaced(Arc::new(set)));
                    replaced += 1;
                }
                Err(error) => {
                    tracing::error!(source = %source.source, %error, "pattern file does not load; keeping the last good set");
                }
            }
        }
        replaced
    }
}

impl Gateway {
    /// Looks at the pattern files every [`RECHECK_EVERY`] until shutdown and
    /// swaps in the sets of those that changed.
    pub async fn follow_pattern_files(self: Arc<Self>) {
        if self.patterns.sources.is_empty() {
            return;
        }
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(RECHECK_EVERY) => {}
                _ = shutdown.changed() => return,
            }
            let gateway = self.clone();
            if let Err(error) = tokio::task::spawn_blocking(move || gateway.patterns.reload_changed()).await {
                tracing::error!(%error, "pattern file reload failed");
            }
        }
    }
}
