//! Measures the classifiers under shift, as a new installation meets mail the
//! global model never saw, and dumps every score for offline analysis.
//!
//! ```text
//! cargo run --release -p sluice-statistical --example shift -- \
//!     /work/shared/corpus/spamassassin/SPLIT.tsv /work/shared/corpus/csdmc2010/SPLIT.tsv OUT_DIR [final] \
//!     [passes=K] [order=same|shuffle] [tone=half|cut:MARGIN] [verdicts-only] [split=N]
//! ```
//!
//! `passes`, `order` and `tone` say how the learned half is learned ([`Passes`]:
//! `sluice train`'s extra passes of the regression, in its order or shuffled, over
//! every message or only near errors); `verdicts-only` stops after the reports,
//! without the dumps. (The eighth round's `ngram=GRID`, a prototype of cluster
//! method 3 over a grid of settings, went when the method was built into the
//! cluster: every run now measures it as the product has it.) `split=N`
//! (development only) deals the streams' train rows into other halves (ordered by
//! a hash of each message's key with seed `N` instead of by key; 0, the default,
//! is the halves of every earlier round), to see whether a difference holds on
//! another split of the same mail.
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
//! other half, both ways round (stdout), and `own`: a global model and a cluster
//! learned from four fifths of the SpamAssassin train rows, measured on the fifth
//! left out (the global model's own corpus); then TSV dumps for offline analysis
//! (below).
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
//! its Platt scalings. Development also prints the combined score's weights
//! (`sluice_core::combined`) fitted over in-sample and over held-out statistical
//! probabilities of the SpamAssassin train split (`fit_combined_score`).
//!
//! After learning, `OUT_DIR/parts-<scenario>-dev<half>.tsv` (`-final` with `final`;
//! `own-dev` for the own corpus) hold the statistical combination's parts
//! ([`write_parts`]), to re-decide the verdict offline under another rule.
//!
//! Beside each report, the product's whole verdict (`whole_verdict`: the fingerprint
//! judge, the heuristic sets and the statistical finding, decided with the default
//! settings, combined score on, as `bench/every_part.rs` judges), fresh and after
//! learning, with the fingerprint index empty (`sluice train` feeds none), fed with
//! the learned spam as reports through the API feed it, or with the learned ham also
//! reported as not spam. `OUT_DIR/whole-<scenario>-dev<half>.tsv` (development) and
//! `whole-<scenario>-final.tsv` (`final`): each measured message's parts after
//! learning, the learned spam reported.


use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use sluice_statistical::corpus::{LabelledMessage, read_label_file};
use sluice_statistical::model::{Calibration, RawScores};
use sluice_statistical::tokens::{Features, TokeniserLimits, features_of_raw};
use sluice_statistical::train::{Sample, TrainingOptions, train_global};
use sluice_core::checks::fingerprints::FingerprintJudge;
use sluice_core::checks::heuristics::{HeuristicContent, HeuristicSet, HeuristicSets, HeuristicsJudge};
use sluice_core::classify::Judge;
use sluice_core::fingerprints::{FingerprintIndex, Fingerprints};
use sluice_core::message::MessageFacts;
use sluice_core::verdict::{decide, settle};
use sluice_core::{DomainSettings, Envelope};
use sluice_model::Subclass;
use sluice_statistical::eval::{self, Evaluation, evaluate};
use sluice_statistical::{Classifier, ClusterModel, cluster_weight, GlobalModel, Label, Scores, StatisticalSettings, message_key};

struct Message {
    source: String,
    label: Label,
    key: u128,
    features: Features,
}

/// How the learned half is learned (`sluice train`'s bulk learning): the first pass
/// as `sluice train` learns, then `passes - 1` extra passes of the regression alone
/// (`ClusterModel::learn_again`), in the learning order again or in a fixed
/// pseudo-random order per pass, over every learned message or (`tone`, "train on
/// near errors") only over those whose cluster method-2 calibrated log-odds are on
/// the wrong side of `target` or within `margin` of it.
#[derive(Clone, Copy, Debug)]
struct Passes {
    passes: usize,
    shuffle: bool,
    tone: Option<(f64, f64)>,
}

impl Passes {
    fn parse(args: &[String]) -> Result<Passes, String> {
        let mut passes = Passes { passes: 1, shuffle: false, tone: None };
        for arg in args {
            match arg.split_once('=') {
                Some(("passes", n)) => passes.passes = n.parse().map_err(|_| format!("passes={n}"))?,
                Some(("order", "shuffle")) => passes.shuffle = true,
                Some(("order", "same")) => passes.shuffle = false,
                Some(("tone", spec)) => {
                    let (target, margin) = spec.split_once(':').ok_or(format!("tone={spec}: half:M or cut:M"))?;
                    let target = match target {
                        "half" => 0.0,
                        "cut" => sluice_statistical::ftrl::logit(0.9),
                        _ => return Err(format!("tone={spec}")),
                    };
                    passes.tone = Some((target, margin.parse().map_err(|_| format!("tone={spec}"))?));
                }
                _ => {}
            }
        }
        Ok(passes)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(sa), Some(csdmc), Some(out)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: shift SA_SPLIT.tsv CSDMC_SPLIT.tsv OUT_DIR [final] [passes=K] [order=same|shuffle] [tone=half|cut:MARGIN] [verdicts-only]");
        return ExitCode::from(2);
    };
    let options = &args[3..];
    let final_run = options.iter().any(|arg| arg == "final");
    let split = match options.iter().find_map(|arg| arg.strip_prefix("split=")).map(str::parse::<u64>) {
        None => 0,
        Some(Ok(split)) => split,
        Some(Err(_)) => {
            eprintln!("split=N: a number");
            return ExitCode::from(2);
        }
    };
    let verdicts_only = options.iter().any(|arg| arg == "verdicts-only");
    let passes = match Passes::parse(options) {
        Ok(passes) => passes,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    eprintln!("{passes:?}");
    let out = PathBuf::from(out);
    if let Err(error) = run(Path::new(sa), Path::new(csdmc), &out, Scope { final_run, verdicts_only, split }, passes) {
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

/// What a run measures: the test rows (`final`) or the development halves (dealt
/// by `split`), and whether it stops after the reports (`verdicts-only`).
#[derive(Clone, Copy)]
struct Scope {
    final_run: bool,
    verdicts_only: bool,
    split: u64,
}

fn run(sa: &Path, csdmc: &Path, out: &Path, scope: Scope, passes: Passes) -> Result<(), String> {
    let Scope { final_run, verdicts_only, split } = scope;
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
        verdicts("era: global on era 1; stream = era 2, learned: its train rows, measured: its test rows", &era_model, &second_era_raw, &era_test, Some(&out.join("whole-era-final.tsv")), passes);
        verdicts("csdmc: shipped global; learned: CSDMC2010 train rows, measured: its test rows", &embedded, &csdmc_train_raw, &csdmc_test, Some(&out.join("whole-csdmc-final.tsv")), passes);
        // A larger stream for the era-1 model: every second-era and every CSDMC2010
        // message, one half (by key) learned, the other measured.
        let mut mixed: Vec<&LabelledMessage> = second_era_raw.iter().chain(&era_test).chain(&csdmc_train_raw).chain(&csdmc_test).copied().collect();
        mixed.sort_by_key(|m| message_key(&m.raw));
        let learned: Vec<&LabelledMessage> = mixed.iter().step_by(2).copied().collect();
        let measured: Vec<&LabelledMessage> = mixed.iter().skip(1).step_by(2).copied().collect();
        verdicts("mixed: global on era 1; stream = era 2 + CSDMC2010, half learned, half measured", &era_model, &learned, &measured, Some(&out.join("whole-mixed-final.tsv")), passes);
        return Ok(());
    }
    // The verdict as the gateway decides it, on the stream's train rows: one half
    // learned, the other measured, both ways round.
    for (name, model, stream) in [("era", &era_model, &second_era_raw), ("csdmc", &embedded, &csdmc_train_raw)] {
        let mut ordered: Vec<&LabelledMessage> = stream.to_vec();
        ordered.sort_by_key(|m| split_order(message_key(&m.raw), split));
        let halves: [Vec<&LabelledMessage>; 2] =
            [ordered.iter().step_by(2).copied().collect(), ordered.iter().skip(1).step_by(2).copied().collect()];
        for fold in 0..2 {
            let dump = out.join(format!("whole-{name}-dev{fold}.tsv"));
            verdicts(&format!("{name} dev, half {fold} learned"), model, &halves[fold], &halves[1 - fold], Some(&dump), passes);
        }
    }
    // The global model's own corpus: a global model trained on four fifths of the
    // SpamAssassin train rows, a cluster that learned the same four fifths, measured
    // on the fifth left out (the development stand-in for the shared test split with
    // a cluster learned from the train split).
    let mut own: Vec<(&LabelledMessage, &Message)> = sa_train_raw.iter().zip(&sa_train).collect();
    own.sort_by_key(|(_, m)| m.key);
    let (held, kept): (Vec<_>, Vec<_>) = own.iter().enumerate().partition(|(i, _)| i % 5 == 0);
    let samples: Vec<Sample> = kept.iter().map(|(_, (_, m))| Sample { features: m.features.clone(), label: m.label }).collect();
    let (own_model, _) = train_global(&samples, &TrainingOptions::default());
    let kept: Vec<&LabelledMessage> = kept.iter().map(|(_, (raw, _))| *raw).collect();
    let held: Vec<&LabelledMessage> = held.iter().map(|(_, (raw, _))| *raw).collect();
    verdicts("own: global and cluster on 4/5 of the SpamAssassin train rows, measured on the fifth left out", &own_model, &kept, &held, Some(&out.join("whole-own-dev.tsv")), passes);
    if verdicts_only {
        return Ok(());
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
    fit_combined_score(&sa_train_raw, &report.held_out, &report.calibration, &cv_model);
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

/// Where a message falls when the development streams are dealt into halves: its
/// key for split 0 (every round's halves), else a hash of it seeded by `split`.
fn split_order(key: u128, split: u64) -> u128 {
    if split == 0 { key } else { u128::from(xxhash_rust::xxh3::xxh3_64_with_seed(&key.to_le_bytes(), split)) }
}

/// `sluice eval`'s report of a fresh install over `model`, then of the same after
/// learning `learned` (in `sluice train`'s order), both on `measured`; after each,
/// the product's whole verdict beside it ([`whole_verdict`]). With `dump`, every
/// measured message's parts after learning go to that file ([`whole_verdict`]'s rows).
fn verdicts(title: &str, model: &GlobalModel, learned: &[&LabelledMessage], measured: &[&LabelledMessage], dump: Option<&Path>, passes: Passes) {
    let measured: Vec<LabelledMessage> = measured.iter().map(|m| (*m).clone()).collect();
    let classifier = Classifier::new(model.clone(), StatisticalSettings::default());
    // The statistical verdict alone, as `sluice eval` reports it.
    let domain = DomainSettings { combined_score: false, ..DomainSettings::default() };
    let sets = HeuristicSets::new(None);
    println!("== {title}\n-- fresh install");
    let fresh = evaluate(&classifier, &measured, &domain);
    print!("{}", fresh.report());
    let empty = FingerprintIndex::default();
    print_whole("fresh install", &fresh, &[("whole verdict (nothing reported)", whole_verdict(&classifier, &sets, &empty, &measured, None))]);
    let mut ordered: Vec<&&LabelledMessage> = learned.iter().collect();
    ordered.sort_by_key(|m| message_key(&m.raw));
    // What reports through the API would have left in the fingerprint index: each
    // learned spam reported as spam (its fingerprints added); with `forgets`, each
    // learned ham also reported as not spam (what its fingerprints match un-learned).
    let (mut reported, mut reported_both) = (FingerprintIndex::default(), FingerprintIndex::default());
    let mut first_pass: Vec<(u128, Label, Features)> = Vec::new();
    for message in ordered {
        let (key, features) = (message_key(&message.raw), features_of_raw(&message.raw, &classifier.limits));
        if classifier.learn_features(key, message.label, &features).is_some() {
            first_pass.push((key, message.label, features));
        }
        let envelope = envelope_of(message);
        let fingerprints = Fingerprints::of(&MessageFacts::new(&message.raw, &envelope, NOW_S));
        if message.label == Label::Spam {
            reported.add(&fingerprints, NOW_S * 1000);
            reported_both.add(&fingerprints, NOW_S * 1000);
        } else {
            reported_both.forget(&fingerprints);
        }
    }
    let relearned = extra_passes(&classifier, &first_pass, passes);
    drop(first_pass);
    let (spam, ham) = classifier.cluster().read().map(|c| c.trained_messages()).unwrap_or_default();
    let losses = classifier.cluster().read().map(|c| c.scope_losses()).unwrap_or_default();
    let scale = classifier.cluster().read().map(|c| c.forecasts().scale()).unwrap_or(1.0);
    // Cluster method 3: its Platt scaling (intercept, slope) once it counts, and
    // the slots it learned something in.
    let (platt, touched) = classifier
        .cluster()
        .read()
        .map(|c| {
            let forecasts = c.forecasts();
            let platt = forecasts.ngram_log_odds(0.0).zip(forecasts.ngram_log_odds(1.0)).map(|(a, b)| (a, b - a));
            (platt, c.ngram_slots_touched())
        })
        .unwrap_or_default();
    println!(
        "-- after learning {spam} spam + {ham} ham (cluster weight {:.3}, {losses:?}, cluster evidence scale {scale:.3}; method 3 Platt {platt:?}, {touched} slots touched; extra passes {relearned:?})",
        cluster_weight(losses)
    );
    if let Some(dump) = dump {
        write_parts(&classifier, &measured, &dump.with_file_name(dump.file_name().map_or(String::new(), |n| n.to_string_lossy().replace("whole-", "parts-"))));
    }
    let learned = evaluate(&classifier, &measured, &domain);
    print!("{}", learned.report());
    let rows = vec![
        ("whole verdict, `sluice train` only (no fingerprints)", whole_verdict(&classifier, &sets, &empty, &measured, None)),
        ("whole verdict, learned spam reported", whole_verdict(&classifier, &sets, &reported, &measured, dump)),
        ("whole verdict, learned spam and ham reported", whole_verdict(&classifier, &sets, &reported_both, &measured, None)),
    ];
    print_whole("after learning", &learned, &rows);
}

/// The parts of the statistical combination after learning, for re-deciding it
/// offline under another forecast scale or scaling (development, the tenth round):
/// a `#` line with the scope weight, `k` and method 3's Platt scaling; one `F` line
/// per forecast of the cluster's record (label, methods 1 and 2's evidence, method
/// 3's margin); one `M` line per measured message (label, file, the global stacked
/// log-odds, the cluster's methods 1 and 2's evidence, method 3's margin, the share
/// of the message's features the cluster and the global model know).
fn write_parts(classifier: &Classifier, measured: &[LabelledMessage], file: &Path) {
    let Ok(cluster) = classifier.cluster().read() else { return };
    let calibration = &classifier.global().calibration;
    let forecasts = cluster.forecasts();
    let platt = forecasts.ngram_log_odds(0.0).zip(forecasts.ngram_log_odds(1.0)).map_or((f64::NAN, f64::NAN), |(a, b)| (a, b - a));
    let mut text = format!("#\t{}\t{}\t{}\t{}\n", cluster_weight(cluster.scope_losses()), forecasts.scale(), platt.0, platt.1);
    for f in forecasts.recent() {
        let _ = writeln!(text, "F\t{}\t{}\t{}", u8::from(f.spam), f.evidence, f.ngram_margin.unwrap_or(f64::NAN));
    }
    for message in measured {
        let features = features_of_raw(&message.raw, &classifier.limits);
        let global = classifier.global().scores_of(&features);
        let local = cluster.scores_of(&features);
        let _ = writeln!(
            text,
            "M\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            u8::from(message.label == Label::Spam),
            message.source.rsplit('/').next().unwrap_or(""),
            calibration.combined_log_odds(&global),
            calibration.methods_log_odds(&local),
            cluster.ngram_margin(features.ngrams()),
            local.known_share,
            global.known_share,
        );
    }
    if let Err(error) = std::fs::write(file, text) {
        eprintln!("{}: {error}", file.display());
    }
}

/// The extra passes of `passes` over the messages the first pass learned (in its
/// order); returns how many messages each extra pass learned again.
fn extra_passes(classifier: &Classifier, learned: &[(u128, Label, Features)], passes: Passes) -> Vec<usize> {
    let calibration = &classifier.global().calibration;
    let mut counts = Vec::new();
    for pass in 1..passes.passes {
        let mut order: Vec<&(u128, Label, Features)> = learned.iter().collect();
        if passes.shuffle {
            // Fixed per pass: every node computes the same order.
            order.sort_by_key(|(key, ..)| xxhash_rust::xxh3::xxh3_64_with_seed(&key.to_le_bytes(), pass as u64));
        }
        let mut count = 0;
        for (key, label, features) in order {
            if let Some((target, margin)) = passes.tone {
                let raw = classifier.cluster().read().map(|c| c.raw_scores(features.ids()).method2).unwrap_or(0.5);
                let z = calibration.method2.log_odds(raw);
                let near = match label {
                    Label::Spam => z < target + margin,
                    Label::Ham => z > target - margin,
                };
                if !near {
                    continue;
                }
            }
            if classifier.learn_features_again(*key, features).is_some() {
                count += 1;
            }
        }
        counts.push(count);
    }
    counts
}

/// When the corpora's messages are judged: their own dates are years old, and
/// the Date check is left out, as in `bench/every_part.rs`.
const NOW_S: i64 = 1_800_000_000;

/// The SpamAssassin corpus's owner, counted as the recipient of its messages (as
/// `bench/labelled_split.rs` does with `SPAMASSASSIN_OWNER=1`: the anonymisation
/// removed him from the headers, not from the bodies, where `contact-box` would
/// otherwise take him for a reported spammer's contact).
const SPAMASSASSIN_OWNER: &str = "jm@jmason.org";

/// The envelope as a gateway would have had it, guessed from the headers
/// (`bench/labelled_split.rs`'s rule): `Delivered-To:`, `X-Original-To:`, `To:` and
/// `Cc:` addresses, and the SpamAssassin corpus's owner for its messages.
fn envelope_of(message: &LabelledMessage) -> Envelope {
    let mut recipients: Vec<String> = Vec::new();
    if let Some(parsed) = mail_parser::MessageParser::new().parse_headers(&message.raw[..]) {
        for name in ["Delivered-To", "X-Original-To"] {
            for value in parsed.header_values(name) {
                if let Some(text) = value.as_text() {
                    recipients.push(text.trim().trim_matches(['<', '>']).to_ascii_lowercase());
                }
            }
        }
        for header in [parsed.to(), parsed.cc()].into_iter().flatten() {
            recipients.extend(header.iter().filter_map(|address| address.address()).map(str::to_ascii_lowercase));
        }
    }
    if message.source.contains("/spamassassin/") {
        recipients.push(SPAMASSASSIN_OWNER.to_owned());
    }
    Envelope { recipients, ..Envelope::default() }
}

/// The product's verdict on each message of `measured`, as the gateway decides it
/// after the final dot with the default settings (combined score on) and every
/// content part `bench/every_part.rs` runs: the fingerprint judge over `index`,
/// the heuristic sets, the statistical finding with their evidence attached.
struct Whole {
    /// Whether each message was refused (a reply other than 2xx).
    refused: Vec<bool>,
    /// The combined score (`sluice_core::combined::probability`) of each message.
    combined: Vec<f64>,
}

fn whole_verdict(classifier: &Classifier, sets: &HeuristicSets, index: &FingerprintIndex, measured: &[LabelledMessage], dump: Option<&Path>) -> Whole {
    let settings = DomainSettings::default();
    let alone = DomainSettings { combined_score: false, ..DomainSettings::default() };
    let (mut refused, mut combined) = (Vec::new(), Vec::new());
    let mut rows = String::from(
        "label\tfile\tstatistical_alone\twhole\trefused\tdecided_by\tstatistical_p\tcombined_p\tset1\tfingerprints\tm1_global\tm2_global\tm1_cluster\tm2_cluster\tngrams_cluster\tsimilarity\tucepp_items\n",
    );
    for message in measured {
        let envelope = envelope_of(message);
        let facts = MessageFacts::new(&message.raw, &envelope, NOW_S);
        let (scores, statistical) = classifier.score_raw(&message.raw);
        let statistical_alone = settle(&statistical, &alone);
        let mut findings = Vec::new();
        FingerprintJudge { index, our_domains: &[], match_set2_threshold: settings.match_set2_threshold }.judge(&facts, &mut findings);
        // What the index said short of a finding: the closest reported spam's
        // similarity and how many of the message's UCEPP items reported spam held.
        let matches = index.lookup(&Fingerprints::of(&facts), NOW_S * 1000);
        let similarity = matches.similarity.map_or(String::new(), |s| format!("{s:.3}"));
        let items = matches.items.len();
        let fingerprint_findings: Vec<&str> = findings.iter().map(|f| f.sub.as_str()).collect();
        let fingerprint_findings = fingerprint_findings.join(",");
        HeuristicsJudge { sets }.judge(&facts, &mut findings);
        // The set's sum as evidence; "limit" when it reached its limit and decides alone.
        let set1 = findings.iter().find(|f| f.sub == Subclass::HeuristicSet1).map_or("0".to_owned(), |f| match f.evidence {
            Some(value) => format!("{value}"),
            None => "limit".to_owned(),
        });
        findings.push(statistical);
        sluice_core::combined::attach_features(&mut findings);
        let p = findings.iter().find_map(|f| f.scored.as_deref()).map_or(f64::NAN, sluice_core::combined::probability);
        let verdict = decide(&findings, &settings);
        refused.push(!verdict.reply.is_positive());
        combined.push(p);
        let cluster = |p: Option<f64>| p.map_or(String::new(), |p| format!("{p:.6}"));
        let _ = writeln!(
            rows,
            "{}\t{}\t{}/{}\t{}/{}\t{}\t{}\t{:.6}\t{p:.6}\t{set1}\t{fingerprint_findings}\t{:.6}\t{:.6}\t{}\t{}\t{}\t{similarity}\t{items}",
            if message.label == Label::Spam { "spam" } else { "ham" },
            message.source.rsplit('/').next().unwrap_or(""),
            statistical_alone.main.as_str(),
            statistical_alone.sub.as_str(),
            verdict.main.as_str(),
            verdict.sub.as_str(),
            u8::from(!verdict.reply.is_positive()),
            verdict.decided_by,
            scores.combined,
            scores.method1_global,
            scores.method2_global,
            cluster(scores.method1_cluster),
            cluster(scores.method2_cluster),
            cluster(scores.ngram_cluster),
        );
    }
    if let Some(file) = dump
        && let Err(error) = std::fs::write(file, rows)
    {
        eprintln!("{}: {error}", file.display());
    }
    Whole { refused, combined }
}

/// The whole verdicts beside the statistical verdict alone and the best single
/// classifier at each one's ham count (`recall@verdFP`, an oracle cut).
fn print_whole(stage: &str, statistical: &Evaluation, rows: &[(&str, Whole)]) {
    let is_spam: Vec<bool> = statistical.results.iter().map(|r| r.label == Label::Spam).collect();
    let (spam, ham) = (is_spam.iter().filter(|s| **s).count(), is_spam.iter().filter(|s| !**s).count());
    let overall = &statistical.overall;
    println!("-- {stage}: the product's verdict (default settings, combined score on)");
    println!("verdict                                                ham refused     spam caught   best single @ its ham        combined score @ its ham");
    let best = |ham_allowed: usize| {
        statistical
            .per_classifier
            .iter()
            .filter(|(name, _, _)| *name != Subclass::CombinedStatistical.as_str())
            .map(|(name, _, _)| {
                let scores: Vec<f64> = statistical.results.iter().map(|r| pick(&r.scores, name)).collect();
                (*name, eval::recall_at_ham_flagged(&scores, &is_spam, ham_allowed))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or(("", 0.0))
    };
    let (name, recall) = best(overall.ham_flagged);
    println!(
        "{:<54} {:>5}/{ham:<5} {:>10.2} %   {name} {:.2} %",
        "statistical verdict alone",
        overall.ham_flagged,
        100.0 * overall.recall,
        100.0 * recall
    );
    for (title, whole) in rows {
        let ham_refused = whole.refused.iter().zip(&is_spam).filter(|(r, s)| **r && !**s).count();
        let spam_refused = whole.refused.iter().zip(&is_spam).filter(|(r, s)| **r && **s).count();
        let (name, recall) = best(ham_refused);
        println!(
            "{title:<54} {ham_refused:>5}/{ham:<5} {:>10.2} %   {name} {:.2} %   {:.2} %",
            100.0 * spam_refused as f64 / spam.max(1) as f64,
            100.0 * recall,
            100.0 * eval::recall_at_ham_flagged(&whole.combined, &is_spam, ham_refused)
        );
    }
}

/// One classifier's probability by its subclass name (the cluster's: 0 while not trusted).
fn pick(scores: &Scores, name: &str) -> f64 {
    match name {
        n if n == Subclass::StatisticalMethod1Global.as_str() => scores.method1_global,
        n if n == Subclass::StatisticalMethod2Global.as_str() => scores.method2_global,
        n if n == Subclass::StatisticalMethod1Cluster.as_str() => scores.method1_cluster.unwrap_or(0.0),
        n if n == Subclass::StatisticalMethod2Cluster.as_str() => scores.method2_cluster.unwrap_or(0.0),
        sluice_statistical::NGRAM_CLASSIFIER => scores.ngram_cluster.unwrap_or(0.0),
        _ => scores.combined,
    }
}

/// The combined score's intercept and heuristic-set1 weight (the statistical logit
/// as an offset, as `sluice eval --heuristics` fits them) fitted on the SpamAssassin
/// train split twice: over the statistical probabilities the shipped fit used (the
/// model scoring the mail it learned), and over the cross-validation's held-out
/// ones (what the model gives mail it did not learn, as an installation's mail is).
fn fit_combined_score(messages: &[LabelledMessage], held_out: &[RawScores], calibration: &Calibration, model: &GlobalModel) {
    let set1 = HeuristicSet::set1();
    let envelope = Envelope::default();
    let sums: Vec<f64> = messages
        .iter()
        .map(|m| set1.score(&HeuristicContent::gather(&MessageFacts::new(&m.raw, &envelope, 0))).sum)
        .collect();
    let limits = TokeniserLimits::default();
    let in_sample: Vec<f64> =
        messages.iter().map(|m| model.calibration.combined(&model.scores_of(&features_of_raw(&m.raw, &limits)))).collect();
    let held_out: Vec<f64> = held_out.iter().map(|raw| calibration.combined(raw)).collect();
    for (name, probabilities) in [("in-sample (shipped fit)", &in_sample), ("held-out", &held_out)] {
        let rows: Vec<(f64, Vec<f64>, bool)> = probabilities
            .iter()
            .zip(&sums)
            .zip(messages)
            .map(|((p, sum), m)| (*p, vec![*sum], m.label == Label::Spam))
            .collect();
        let (intercept, _, weights) = sluice_core::combined::fit(&rows, 1e-2, Some(1.0));
        println!("combined score fitted over {name} statistical probabilities: intercept {intercept:.4}, heuristic-set1 {:.4}", weights[0]);
    }
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
