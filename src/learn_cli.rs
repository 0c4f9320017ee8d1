//! `sluice train` and `sluice eval`: the statistical classifiers' command-line tools.
//!
//! Kept apart from `main.rs` so the learning tools can grow without touching the
//! gateway's wiring. Until the store keeps the cluster model, `train --scope cluster`
//! and `eval` read and write it as a snapshot file (`--snapshot`, by default
//! `cluster-model.bin` beside the configuration file).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use sluice_gateway::Config;
use sluice_statistical::corpus::{LabelledMessage, read_label_file, read_spam_and_ham};
use sluice_statistical::eval::evaluate;
use sluice_statistical::tokens::features_of_raw;
use sluice_statistical::train::{Sample, TrainingOptions, train_global};
use sluice_statistical::{Classifier, ClusterModel, GlobalModel, Label, StatisticalSettings, message_key};

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
        /// The cluster model snapshot [cluster-model.bin beside the configuration].
        #[arg(long)]
        snapshot: Option<PathBuf>,
        /// Where `--scope global` writes the model.
        #[arg(long, default_value = "global.bin")]
        output: PathBuf,
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
        #[arg(long)]
        snapshot: Option<PathBuf>,
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
            snapshot,
            output,
        } => {
            let config = Config::load(&config)?;
            let messages = read_spam_and_ham(&spam, &ham).context("reading the training mail")?;
            match scope {
                Scope::Global => train_global_model(&messages, &output),
                Scope::Cluster => train_cluster(&messages, &snapshot_path(&config, snapshot)),
            }
        }
        LearnCommand::Eval {
            config,
            spam,
            ham,
            labels,
            plot,
            snapshot,
        } => {
            let config = Config::load(&config)?;
            let messages = match labels {
                Some(labels) => read_label_file(&labels, None),
                None => read_spam_and_ham(&spam, &ham),
            }
            .context("reading the labelled mail")?;
            anyhow::ensure!(!messages.is_empty(), "no messages to evaluate: give --spam/--ham or --labels");
            let classifier = Classifier::with_embedded_model(StatisticalSettings::default())?;
            let snapshot = snapshot_path(&config, snapshot);
            if snapshot.exists() {
                let bytes = std::fs::read(&snapshot).with_context(|| format!("reading {}", snapshot.display()))?;
                classifier.load_cluster_snapshot(&bytes).with_context(|| format!("loading {}", snapshot.display()))?;
            }
            let evaluation = evaluate(&classifier, &messages, &config.default_settings());
            print!("{}", evaluation.report());
            if let Some(directory) = plot {
                evaluation.write_plots(&directory).with_context(|| format!("writing plots to {}", directory.display()))?;
                println!("plots written to {}", directory.display());
            }
            Ok(())
        }
    }
}

fn snapshot_path(config: &Config, snapshot: Option<PathBuf>) -> PathBuf {
    snapshot.unwrap_or_else(|| config.path.parent().unwrap_or(Path::new(".")).join("cluster-model.bin"))
}

fn train_global_model(messages: &[LabelledMessage], output: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = TrainingOptions::default();
    let limits = sluice_statistical::TokeniserLimits::default();
    let samples: Vec<Sample> = messages
        .iter()
        .map(|message| Sample {
            features: features_of_raw(&message.raw, &limits),
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

fn train_cluster(messages: &[LabelledMessage], snapshot: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut cluster = if snapshot.exists() {
        let bytes = std::fs::read(snapshot).with_context(|| format!("reading {}", snapshot.display()))?;
        ClusterModel::from_snapshot(&bytes).with_context(|| format!("loading {}", snapshot.display()))?
    } else {
        let global = GlobalModel::embedded()?;
        ClusterModel::new(global.bayes, global.ftrl)
    };
    let limits = sluice_statistical::TokeniserLimits::default();
    let (mut learned_spam, mut learned_ham, mut unchanged) = (0, 0, 0);
    // The regression learns online: all spam then all ham would leave it biased
    // towards whatever came last. Ordering by message hash interleaves the labels,
    // reproducibly.
    let mut ordered: Vec<&LabelledMessage> = messages.iter().collect();
    ordered.sort_by_key(|message| message_key(&message.raw));
    for message in ordered {
        let features = features_of_raw(&message.raw, &limits);
        match cluster.learn(message_key(&message.raw), message.label, &features) {
            Some(_) if message.label == Label::Spam => learned_spam += 1,
            Some(_) => learned_ham += 1,
            None => unchanged += 1,
        }
    }
    std::fs::write(snapshot, cluster.to_snapshot()).with_context(|| format!("writing {}", snapshot.display()))?;
    let (spam, ham) = cluster.trained_messages();
    println!(
        "cluster model: learned {learned_spam} spam and {learned_ham} ham ({unchanged} already learned) in {:.1} s; \
         now {spam} spam, {ham} ham, {} features in {}",
        started.elapsed().as_secs_f64(),
        cluster.feature_count(),
        snapshot.display()
    );
    Ok(())
}
