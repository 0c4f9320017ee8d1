//! `sluice train` and `sluice eval`: the statistical classifiers' command-line tools.
//!
//! Kept apart from `main.rs` so the learning tools can grow without touching the
//! gateway's wiring. `train --scope cluster` learns into the store named by the
//! configuration (as releases and reports do, so every node picks it up), then
//! stores a snapshot of the model so the next run loads it instead of replaying every
//! learning row; `eval` classifies with the global model and that store's cluster model.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use sluice_gateway::Config;
use sluice_statistical::corpus::{LabelledMessage, read_label_file, read_spam_and_ham};
use sluice_statistical::eval::evaluate;
use sluice_statistical::tokens::word_features_of_raw;
use sluice_statistical::train::{Sample, TrainingOptions, train_global};
use sluice_gateway::learning::{Learning, Pass};
use sluice_statistical::{Label, message_key};

#[derive(Subcommand)]
pub(crate) enum LearnCommand {
    /// Train the statistical classifiers on labelled mail (directories of .eml
    /// files, Maildir folders or mbox files).
    Train {
        #[arg(long, env = "SLUICE_CONFIG")]
        config: PathBuf,
        /// Spam locations (repeatable).
        #[arg(long, required = true)]
        spam: Vec<PathBuf>,
        /// Ham (not-spam) locations (repeatable).
        #[arg(long, required = true)]
        ham: Vec<PathBuf>,
        /// `cluster` learns into this installation's model; `global` trains a new
        /// model file to ship (with cross-validated calibration).
        #[arg(long, value_enum, default_value_t = Scope::Cluster)]
        scope: Scope,
        /// Where `--scope global` writes the model.
        #[arg(long, default_value = "global.bin")]
        output: PathBuf,
        /// `--scope cluster`: passes over the messages this run learns; after the
        /// first, each extra pass learns them again in the regressions alone
        /// (method 2 and the n-gram method 3), which one online pass leaves far
        /// from their optimum.
        #[arg(long, default_value_t = DEFAULT_PASSES, value_parser = clap::value_parser!(u32).range(1..=MAX_PASSES))]
        passes: u32,
    },
    /// Classify labelled mail offline and print precision, recall, error rates,
    /// accuracy and ROC AUC, overall and per classifier.
    Eval {
        #[arg(long, env = "SLUICE_CONFIG")]
        config: PathBuf,
        #[arg(long)]
        spam: Vec<PathBuf>,
        #[arg(long)]
        ham: Vec<PathBuf>,
        /// A label file instead: `file<TAB>spam|ham` per line.
        #[arg(long, conflicts_with_all = ["spam", "ham"])]
        labels: Option<PathBuf>,
        /// Write roc.svg and histogram.svg into this directory.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// With `--labels`: only the rows of this split (the label file's third
        /// column, e.g. `train` or `test`).
        #[arg(long, requires = "labels")]
        split: Option<String>,
        /// Also print every heuristic rule's hits on ham and spam, and what each
        /// heuristic set decides alone (`[heuristics] set2` from the configuration).
        #[arg(long)]
        heuristics: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scope {
    Global,
    Cluster,
}

pub(crate) fn run(command: LearnCommand) -> anyhow::Result<()> {
    match command {
        LearnCommand::Train {
            config,
            spam,
            ham,
            scope,
            output,
            passes,
        } => {
            let config = Config::load(&config)?;
            let messages = read_spam_and_ham(&spam, &ham).context("reading the training mail")?;
            match scope {
                Scope::Global => train_global_model(&messages, &output),
                Scope::Cluster => tokio::runtime::Runtime::new()?.block_on(train_cluster(&config, messages, passes)),
            }
        }
        LearnCommand::Eval {
            config,
            spam,
            ham,
            labels,
            plot,
            split,
            heuristics,
        } => {
            let config = Config::load(&config)?;
            let messages = match labels {
                Some(labels) => read_label_file(&labels, split.as_deref()),
                None => read_spam_and_ham(&spam, &ham),
            }
            .context("reading the labelled mail")?;
            anyhow::ensure!(!messages.is_empty(), "no messages to evaluate: give --spam/--ham or --labels");
            let learning = Learning::for_config(&config)?;
            if std::fs::exists(&config.data_dir).unwrap_or(false) {
                tokio::runtime::Runtime::new()?.block_on(async {
                    let store = crate::open_store(&config).await?;
                    learning.catch_up(&store).await?;
                    // Below 50 messages the installation's familiarity with its
                    // stream counts, as on a node (`sluice_gateway::familiarity`).
                    sluice_gateway::familiarity::seed_from_store(learning.classifier(), &store, crate::now_ms()).await?;
                    store.close().await;
                    anyhow::Ok(())
                })?;
            }
            // The statistical classifiers' own verdict (`combined-statistical`):
            // `--heuristics` adds the combined score with the heuristic evidence.
            let statistical_only = sluice_core::DomainSettings { combined_score: false, ..config.default_settings() };
            let evaluation = evaluate(learning.classifier(), &messages, &statistical_only);
            print!("{}", evaluation.report());
            if heuristics {
                let installed = sluice_core::checks::heuristics::HeuristicSets::new(
                    config.heuristics.load_set2().map_err(anyhow::Error::msg)?,
                );
                let sets: Vec<&sluice_core::checks::heuristics::HeuristicSet> =
                    std::iter::once(&installed.set1).chain(installed.set2.as_ref()).collect();
                let measured = crate::heuristics_eval::measure(&sets, &messages);
                print!("{}", measured.table);
                print!(
                    "{}",
                    crate::heuristics_eval::compare_combined(
                        learning.classifier(),
                        &evaluation,
                        installed.set1.limit(),
                        &measured.sums[0],
                        &statistical_only,
                    )
                );
            }
            if let Some(directory) = plot {
                evaluation.write_plots(&directory).with_context(|| format!("writing plots to {}", directory.display()))?;
                println!("plots written to {}", directory.display());
            }
            Ok(())
        }
    }
}

fn train_global_model(messages: &[LabelledMessage], output: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = TrainingOptions::default();
    let limits = sluice_statistical::TokeniserLimits::default();
    let samples: Vec<Sample> = messages
        .iter()
        .map(|message| Sample {
            features: word_features_of_raw(&message.raw, &limits),
            label: message.label,
        })
        .collect();
    let (model, _) = train_global(&samples, &options);
    let bytes = model.to_bytes();
    std::fs::write(output, &bytes).with_context(|| format!("writing {}", output.display()))?;
    println!(
        "global model: learned {} spam and {} ham in {:.1} s; {} features, {} bytes written to {}",
        model.spam_messages,
        model.ham_messages,
        started.elapsed().as_secs_f64(),
        model.feature_count(),
        bytes.len(),
        output.display()
    );
    Ok(())
}

/// Messages learned per store transaction.
const TRAIN_BATCH: usize = 500;

/// `sluice train --passes` by default: the first pass and two passes of the
/// regression again (`crates/statistical/README.md`, "Sixth round").
const DEFAULT_PASSES: u32 = 3;

/// At most this many passes: each one is a learning row per message in the store.
const MAX_PASSES: i64 = 10;

async fn train_cluster(config: &Config, messages: Vec<LabelledMessage>, passes: u32) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = crate::open_store(config).await?;
    let learning = Learning::for_config(config)?;
    let total = messages.len();
    // The regression learns online: all spam then all ham would leave it biased
    // towards whatever came last. Ordering by message hash interleaves the labels,
    // reproducibly.
    let mut ordered: Vec<(Vec<u8>, Label)> = messages.into_iter().map(|message| (message.raw, message.label)).collect();
    ordered.sort_by_key(|(raw, _)| message_key(raw));
    let progress = progress_bar(total as u64);
    // The first pass learns every message; the extra passes go over the ones it
    // learned (not those learned before this run: training the same folder twice
    // changes nothing), in the same order.
    let mut learned_now: Vec<(Vec<u8>, Label)> = Vec::new();
    let mut learned = 0;
    for pass in 0..passes {
        let (kind, messages) = match pass {
            0 => (Pass::First, std::mem::take(&mut ordered)),
            _ => (Pass::Again, std::mem::take(&mut learned_now)),
        };
        if pass == 1 {
            progress.set_length(total as u64 + u64::from(passes - 1) * messages.len() as u64);
        }
        let mut messages = messages.into_iter().peekable();
        while messages.peek().is_some() {
            let batch: Vec<(Vec<u8>, Label)> = messages.by_ref().take(TRAIN_BATCH).collect();
            let size = batch.len() as u64;
            let (batch, changed) = learning
                .learn_batch(&store, &config.node_id, batch, kind, crate::now_ms())
                .await
                .context("storing what was learned")?;
            learned_now.extend(batch.into_iter().zip(changed).filter(|(_, changed)| *changed).map(|(message, _)| message));
            progress.inc(size);
        }
        if pass == 0 {
            learned = learned_now.len();
        }
    }
    progress.finish_and_clear();
    // A snapshot of the model as trained, so the next run (and every node that
    // starts) loads it at once instead of replaying every learning row: a row holds
    // each feature of its message, ~30 KB. The rows stay for the retention's hour,
    // for the nodes running now, which replay them as usual.
    learning
        .compact(&store, sluice_gateway::retention::KEEP_LEARNING_ROWS, 1, crate::now_ms())
        .await
        .context("writing the cluster snapshot")?;
    store.close().await;
    let (spam, ham) = learning.classifier().cluster().read().map(|cluster| cluster.trained_messages()).unwrap_or_default();
    println!(
        "cluster model: learned {learned} of {total} messages ({} already learned) in {:.1} s{}; \
         this installation's model now holds {spam} spam and {ham} ham (store {}){}",
        total - learned,
        started.elapsed().as_secs_f64(),
        match passes {
            _ if learned == 0 => String::new(),
            1 => ", one pass".to_owned(),
            n => format!(", {n} passes (the regression learned them {} more times)", n - 1),
        },
        config.storage_url,
        if learned > 0 { "; snapshot written" } else { "" }
    );
    Ok(())
}

/// A progress bar on a terminal; nothing when stderr is a file or a pipe (CI logs).
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} messages, {per_sec}, {eta} left") {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

