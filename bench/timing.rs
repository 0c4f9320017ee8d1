//! What the core benchmarks that time one check over a corpus share: loading the
//! messages of a corpus folder, and the best of several timings. Included by
//! each bench with `#[path = "timing.rs"] mod timing;` (every bench is a binary
//! of its own, so this is the one place the code lives).

use std::time::{Duration, Instant};

use sluice_core::message::strip_mbox_from_line;

/// Every message of `dir/ham` and `dir/spam` (mbox `From ` lines dropped); a
/// folder that is missing counts as empty.
pub(crate) fn load(dir: &str) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    for label in ["ham", "spam"] {
        let Ok(entries) = std::fs::read_dir(format!("{dir}/{label}")) else { continue };
        for entry in entries.flatten() {
            if let Ok(raw) = std::fs::read(entry.path()) {
                messages.push(strip_mbox_from_line(&raw).to_vec());
            }
        }
    }
    messages
}

/// Best of `rounds` timings of `work`.
pub(crate) fn best(rounds: usize, mut work: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}
