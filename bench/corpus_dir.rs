//! The messages of a labelled corpus folder for the benchmarks that time a
//! whole corpus held in memory (`bench/classify.rs`, `bench/reputation.rs`).

use sluice_core::message::strip_mbox_from_line;

/// The corpus folder named on the command line (the first argument that is not a
/// flag), or the shared SpamAssassin corpus beside the repository.
pub(crate) fn corpus_dir_argument() -> String {
    std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .unwrap_or_else(|| format!("{}/../shared/corpus/spamassassin", env!("CARGO_MANIFEST_DIR")))
}

/// Every file under `DIR/ham` and `DIR/spam`, in name order, without a leading
/// mbox `From ` line.
pub(crate) fn ham_and_spam(dir: &str) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    for label in ["ham", "spam"] {
        let Ok(entries) = std::fs::read_dir(format!("{dir}/{label}")) else { continue };
        let mut paths: Vec<_> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
        paths.sort();
        for path in paths {
            if let Ok(raw) = std::fs::read(&path) {
                messages.push(strip_mbox_from_line(&raw).to_vec());
            }
        }
    }
    assert!(!messages.is_empty(), "no messages under {dir}/ham or {dir}/spam");
    messages
}
