//! Evaluates the embedded global model on one split of a label file, as
//! `sluice eval` does, without the rest of the binary:
//!
//! ```text
//! cargo run --release -p sluice-statistical --example eval -- \
//!     /work/shared/corpus/spamassassin/SPLIT.tsv test [PLOT_DIR]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use sluice_core::DomainSettings;
use sluice_statistical::corpus::read_label_file;
use sluice_statistical::eval::evaluate;
use sluice_statistical::{Classifier, StatisticalSettings};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(labels), Some(split)) = (args.first(), args.get(1)) else {
        eprintln!("usage: eval LABELS.tsv SPLIT [PLOT_DIR]");
        return ExitCode::from(2);
    };
    let classifier = match Classifier::with_embedded_model(StatisticalSettings::default()) {
        Ok(classifier) => classifier,
        Err(error) => {
            eprintln!("embedded model: {error}");
            return ExitCode::FAILURE;
        }
    };
    let messages = match read_label_file(&PathBuf::from(labels), Some(split)) {
        Ok(messages) => messages,
        Err(error) => {
            eprintln!("reading {labels}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let evaluation = evaluate(&classifier, &messages, &DomainSettings::default());
    print!("{}", evaluation.report());
    if let Some(directory) = args.get(2)
        && let Err(error) = evaluation.write_plots(&PathBuf::from(directory))
    {
        eprintln!("writing plots to {directory}: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
