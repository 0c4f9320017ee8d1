//! Measures the classifiers under shift, as a new installation meets mail the
//! global model never saw, and dumps every score for offline analysis.
//!
//! ```text
//! cargo run --release -p sluice-statistical --example shift -- \
//!     /work/shared/corpus/spamassassin/SPLIT.tsv /work/shared/corpus/csdmc2010/SPLIT.tsv OUT_DIR [final]
//! ```
//!
//! Two proxies of a new installation:
//! - `era`: a global model trained on the first era of the SpamAssassin train rows
//!   only (`easy_ham-`, `hard_ham-`, `spam-`: 2002); the second era (`easy_ham_2-`,
//!   `spam_2-`: 2003-2005) is the installation's stream;
//! - `csdmc`: the embedded model (all SpamAssassin train rows); CSDMC2010
//!   (2009-2010, another source) is the stream.
//!
//! Development (the default) uses the stream's train rows only: `sluice eval`'s report
//! of a fresh install and, after learning one half (in `sluice train`'s order), of the
//! other half, both ways round (stdout); then TSV dumps for offline analysis (below).
//! `final` (look once per shipped candidate) learns the stream's train rows and
//! measures its test rows, and adds `mixed`: the era-1 model meeting every second-era
//! and every CSDMC2010 message, half learned, half measured.
//!
//! Dumps (development only), `OUT_DIR/<scenario>.tsv`: `era-fresh`, `csdmc-fresh`,
//! `era-csdmc-fresh` (the era-1 model on CSDMC2010) score the stream with the global
//! model alone; `era-learned`, `csdmc-learned` each half with a cluster model that
//! learned the other; `sa-cv` the held-out scores of the SpamAssassin train split's
//! cross-validation with a cluster model per fold learned from the other folds
//! (in-distribution reference, never the test split). Each row: label, file name,
//! list, html, familiarity (the share of the message's features the global model
//! knows), then for the global scope and the cluster scope (empty without one)
//! method 1 and 2 calibrated probabilities and the stacker inputs.
//! `OUT_DIR/<stream>-sequence.tsv`: per fold, each learned message's label and both
//! scopes' evidence just before it was learned (what `ScopeLosses` and the cluster's
//! `Forecasts` are fed), then each measured message's global stacked log-odds and
//! cluster evidence; each row goes on with the cluster's two methods' calibrated
//! log-odds, and a learned message's row then with the global model's two methods'
//! calibrated log-odds, its stacked log-odds and the file name.
//! `OUT_DIR/stacker.tsv`: each global model's stacker weights, block by block, and
//! its Platt scalings.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sluice_statistical::corpus::{LabelledMessage, read_label_file};
use sluice_statistical::model::{Calibration, RawScores};
use sluice_statistical::tokens::{Features, TokeniserLimits, features_of_raw};
use sluice_statistical::train::{Sample, TrainingOptions, train_global};
use sluice_core::DomainSettings;
use sluice_statistical::eval::evaluate;
use sluice_statistical::{Classifier, ClusterModel, cluster_weight, GlobalModel, Label, StatisticalSettings, message_key};

struct Message {
    source: String,
    label: Label,
    key: u128,
    features: Features,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(sa), Some(csdmc), Some(out)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: shift SA_SPLIT.tsv CSDMC_SPLIT.tsv OUT_DIR [final]");
        return ExitCode::from(2);
    };
    let final_run = args.get(3).is_some_and(|arg| arg == "final");
    let out = PathBuf::from(out);
    if let Err(error) = run(Path::new(sa), Path::new(csdmc), &out, final_run) {
        eprintln!("{error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn load(labels: &Path, split: &str) -> std::io::Result<Vec<Message>> {
    let limits = TokeniserLimits::default();
    let messages: Vec<LabelledMessage> = read_label_file(labels, Some(split))?;
    Ok(messages
        .into_iter()
        .map(|message| Message {
            key: message_key(&message.raw),
            features: features_of_raw(&message.raw, &limits),
            source: message.source,
            label: message.label,
        })
        .collect())
}

fn is_first_era(source: &str) -> bool {
    let name = source.rsplit('/').next().unwrap_or(source);
    name.starts_with("easy_ham-") || name.starts_with("hard_ham-") || name.starts_with("spam-")
}

fn run(sa: &Path, csdmc: &Path, out: &Path, final_run: bool) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let sa_train = load(sa, "train").map_err(|e| format!("{}: {e}", sa.display()))?;
    let (first_era, second_era): (Vec<&Message>, Vec<&Message>) = sa_train.iter().partition(|m| is_first_era(&m.source));
    let samples: Vec<Sample> =
        first_era.iter().map(|m| Sample { features: m.features.clone(), label: m.label }).collect();
    let (era_model, _) = train_global(&samples, &TrainingOptions::default());
    eprintln!("era-1 model: {} spam, {} ham", era_model.spam_messages, era_model.ham_messages);
    let embedded = GlobalModel::embedded().map_err(|e| e.to_string())?;
    let mut stackers = String::new();
    for (name, model) in [("era", &era_model), ("shipped", &embedded)] {
        if let Some(stacker) = &model.calibration.stacker {
            for (block, weights) in stacker.weights.iter().enumerate() {
                let row: Vec<String> = weights.iter().map(|w| format!("{w}")).collect();
                let _ = writeln!(stackers, "{name}\t{block}\t{}", row.join("\t"));
            }
        }
        let c = &model.calibration;
        let _ = writeln!(
            stackers,
            "{name}\tplatt\t{}\t{}\t{}\t{}",
            c.method1.intercept, c.method1.slope, c.method2.intercept, c.method2.slope
        );
    }
    std::fs::write(out.join("stacker.tsv"), stackers).map_err(|e| e.to_string())?;

    let csdmc_train = load(csdmc, "train").map_err(|e| format!("{}: {e}", csdmc.display()))?;
    let csdmc_train_raw = read_label_file(csdmc, Some("train")).map_err(|e| e.to_string())?;
    let sa_train_raw = read_label_file(sa, Some("train")).map_err(|e| e.to_string())?;
    let second_era_raw: Vec<&LabelledMessage> = sa_train_raw.iter().filter(|m| !is_first_era(&m.source)).collect();
    let csdmc_train_raw: Vec<&LabelledMessage> = csdmc_train_raw.iter().collect();
    if final_run {
        let sa_test = read_label_file(sa, Some("test")).map_err(|e| e.to_string())?;
        let era_test: Vec<&LabelledMessage> = sa_test.iter().filter(|m| !is_first_era(&m.source)).collect();
        let csdmc_test = read_label_file(csdmc, Some("test")).map_err(|e| e.to_string())?;
        let csdmc_test: Vec<&LabelledMessage> = csdmc_test.iter().collect();
        verdicts("era: global on era 1; stream = era 2, learned: its train rows, measured: its test rows", &era_model, &second_era_raw, &era_test);
        verdicts("csdmc: shipped global; learned: CSDMC2010 train rows, measured: its test rows", &embedded, &csdmc_train_raw, &csdmc_test);
        // A larger stream for the era-1 model: every second-era and every CSDMC2010
        // message, one half (by key) learned, the other measured.
        let mut mixed: Vec<&LabelledMessage> = second_era_raw.iter().chain(&era_test).chain(&csdmc_train_raw).chain(&csdmc_test).copied().collect();
        mixed.sort_by_key(|m| message_key(&m.raw));
        let learned: Vec<&LabelledMessage> = mixed.iter().step_by(2).copied().collect();
        let measured: Vec<&LabelledMessage> = mixed.iter().skip(1).step_by(2).copied().collect();
        verdicts("mixed: global on era 1; stream = era 2 + CSDMC2010, half learned, half measured", &era_model, &learned, &measured);
        return Ok(());
    }
    // The verdict as the gateway decides it, on the stream's train rows: one half
    // learned, the other measured, both ways round.
    for (name, model, stream) in [("era", &era_model, &second_era_raw), ("csdmc", &embedded, &csdmc_train_raw)] {
        let mut ordered: Vec<&LabelledMessage> = stream.to_vec();
        ordered.sort_by_key(|m| message_key(&m.raw));
        let halves: [Vec<&LabelledMessage>; 2] =
            [ordered.iter().step_by(2).copied().collect(), ordered.iter().skip(1).step_by(2).copied().collect()];
        for fold in 0..2 {
            verdicts(&format!("{name} dev, half {fold} learned"), model, &halves[fold], &halves[1 - fold]);
        }
    }

    // In-distribution reference: the shipped training's held-out scores.
    let samples: Vec<Sample> = sa_train.iter().map(|m| Sample { features: m.features.clone(), label: m.label }).collect();
    let (cv_model, report) = train_global(&samples, &TrainingOptions::default());
    // With a cluster model per fold too, learned from the other folds in one online
    // pass as an installation learns: how the cluster scope's scores map to odds.
    let mut clusters = Vec::new();
    for fold in 0..TrainingOptions::default().folds {
        let others: Vec<&Message> = sa_train.iter().zip(&report.folds).filter(|(_, f)| **f != fold).map(|(m, _)| m).collect();
        clusters.push(learn(&cv_model, &others));
    }
    let mut text = String::new();
    for ((message, raw), fold) in sa_train.iter().zip(&report.held_out).zip(&report.folds) {
        let cluster_raw = clusters[*fold].scores_of(&message.features);
        row(&mut text, message, &cv_model, raw, &report.calibration, Some(&cluster_raw));
    }
    std::fs::write(out.join("sa-cv.tsv"), text).map_err(|e| e.to_string())?;
    drop(clusters);
    let csdmc_rows: Vec<&Message> = csdmc_train.iter().collect();
    write_rows(out, "era-csdmc-fresh", &era_model, None, &csdmc_rows)?;

    let csdmc_train: Vec<&Message> = csdmc_train.iter().collect();
    for (name, model, stream) in [("era", &era_model, &second_era), ("csdmc", &embedded, &csdmc_train)] {
        write_rows(out, &format!("{name}-fresh"), model, None, stream)?;
        // Two halves by message key, each learned and scored on the other.
        let mut ordered: Vec<&Message> = stream.to_vec();
        ordered.sort_by_key(|m| m.key);
        let halves: [Vec<&Message>; 2] = [
            ordered.iter().step_by(2).copied().collect(),
            ordered.iter().skip(1).step_by(2).copied().collect(),
        ];
        // Before-learning scores of the learned half (as the classifier records them),
        // and the measured half's evidence, per fold.
        let mut sequence = String::new();
        for fold in 0..2 {
            let mut cluster = ClusterModel::new(model.bayes, model.ftrl);
            let mut learned: Vec<&Message> = halves[fold].clone();
            learned.sort_by_key(|m| m.key);
            let c = &model.calibration;
            for message in learned {
                let ids = message.features.ids();
                let local = cluster.raw_scores(ids);
                let global = model.scores_of(&message.features);
                let _ = writeln!(sequence, "{fold}\tlearn\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", u8::from(message.label == Label::Spam),
                    c.methods_log_odds(&model.raw_scores(ids)), c.methods_log_odds(&local),
                    c.method1.log_odds(local.method1), c.method2.log_odds(local.method2),
                    c.method1.log_odds(global.method1), c.method2.log_odds(global.method2), c.combined_log_odds(&global),
                    message.source.rsplit('/').next().unwrap_or(""));
                cluster.learn(message.key, message.label, &message.features);
            }
            for message in &halves[1 - fold] {
                let local = cluster.scores_of(&message.features);
                let _ = writeln!(sequence, "{fold}\tmeasure\t{}\t{}\t{}\t{}\t{}", u8::from(message.label == Label::Spam),
                    c.combined_log_odds(&model.scores_of(&message.features)), c.methods_log_odds(&local),
                    c.method1.log_odds(local.method1), c.method2.log_odds(local.method2));
            }
        }
        std::fs::write(out.join(format!("{name}-sequence.tsv")), sequence).map_err(|e| e.to_string())?;
        let mut text = String::new();
        for fold in 0..2 {
            let cluster = learn(model, &halves[fold]);
            for message in &halves[1 - fold] {
                let raw = model.scores_of(&message.features);
                let cluster_raw = cluster.scores_of(&message.features);
                row(&mut text, message, model, &raw, &model.calibration, Some(&cluster_raw));
            }
        }
        std::fs::write(out.join(format!("{name}-learned.tsv")), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `sluice eval`'s report of a fresh install over `model`, then of the same after
/// learning `learned` (in `sluice train`'s order), both on `measured`.
fn verdicts(title: &str, model: &GlobalModel, learned: &[&LabelledMessage], measured: &[&LabelledMessage]) {
    let measured: Vec<LabelledMessage> = measured.iter().map(|m| (*m).clone()).collect();
    let classifier = Classifier::new(model.clone(), StatisticalSettings::default());
    // The statistical verdict alone, as `sluice eval` reports it.
    let domain = DomainSettings { combined_score: false, ..DomainSettings::default() };
    println!("== {title}\n-- fresh install");
    print!("{}", evaluate(&classifier, &measured, &domain).report());
    let mut ordered: Vec<&&LabelledMessage> = learned.iter().collect();
    ordered.sort_by_key(|m| message_key(&m.raw));
    for message in ordered {
        classifier.learn(&message.raw, message.label);
    }
    let (spam, ham) = classifier.cluster().read().map(|c| c.trained_messages()).unwrap_or_default();
    let losses = classifier.cluster().read().map(|c| c.scope_losses()).unwrap_or_default();
    let scale = classifier.cluster().read().map(|c| c.forecasts().scale()).unwrap_or(1.0);
    println!(
        "-- after learning {spam} spam + {ham} ham (cluster weight {:.3}, {losses:?}, cluster evidence scale {scale:.3})",
        cluster_weight(losses)
    );
    print!("{}", evaluate(&classifier, &measured, &domain).report());
}

/// A cluster model that learned `messages` in `sluice train`'s order (by key).
fn learn(model: &GlobalModel, messages: &[&Message]) -> ClusterModel {
    let mut ordered: Vec<&&Message> = messages.iter().collect();
    ordered.sort_by_key(|m| m.key);
    let mut cluster = ClusterModel::new(model.bayes, model.ftrl);
    for message in ordered {
        cluster.learn(message.key, message.label, &message.features);
    }
    cluster
}

fn write_rows(out: &Path, name: &str, model: &GlobalModel, cluster: Option<&ClusterModel>, messages: &[&Message]) -> Result<(), String> {
    let mut text = String::new();
    for message in messages {
        let raw = model.scores_of(&message.features);
        let cluster_raw = cluster.map(|c| c.scores_of(&message.features));
        row(&mut text, message, model, &raw, &model.calibration, cluster_raw.as_ref());
    }
    std::fs::write(out.join(format!("{name}.tsv")), text).map_err(|e| e.to_string())
}

fn row(text: &mut String, message: &Message, model: &GlobalModel, raw: &RawScores, calibration: &Calibration, cluster: Option<&RawScores>) {
    let known = message.features.ids().iter().filter(|id| model.get(**id).is_some()).count();
    let familiarity = known as f64 / message.features.len().max(1) as f64;
    let label = if message.label == Label::Spam { "spam" } else { "ham" };
    let _ = write!(
        text,
        "{label}\t{}\t{}\t{}\t{familiarity:.4}",
        message.source.rsplit('/').next().unwrap_or(""),
        u8::from(raw.kind.list),
        u8::from(raw.kind.html)
    );
    for scores in [Some(raw), cluster] {
        match scores {
            Some(scores) => {
                let _ = write!(
                    text,
                    "\t{}\t{}",
                    calibration.method1.probability(scores.method1),
                    calibration.method2.probability(scores.method2)
                );
                for input in calibration.stack_inputs(scores) {
                    let _ = write!(text, "\t{input}");
                }
            }
            None => text.push_str(&"\t".repeat(12)),
        }
    }
    text.push('\n');
}
