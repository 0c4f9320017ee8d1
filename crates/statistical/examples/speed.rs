//! Where classification time goes: tokenising, the global model's lookups, the
//! cluster model's lookups, and `Classifier::scores` (both scopes and the
//! combination), per message of the test split, after training the cluster model
//! on the train split:
//!
//! ```text
//! cargo build --release -p sluice-statistical --example speed
//! target/release/examples/speed /work/shared/corpus/spamassassin/SPLIT.tsv [ROUNDS]
//! ```
//!
//! Wall-clock figures: this VM's speed swings by up to 2x from minute to minute, so
//! compare builds in alternating runs over several rounds. `cached` is what scoring
//! costs without the cache misses: each message scored twice in a row, less once.
//!
//! The number in parentheses sums the scores; `bits` hashes every score of every
//! message bit for bit, and `snapshot` the trained cluster model, so a change that
//! must not move any number can be checked exactly.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use sluice_statistical::corpus::read_label_file;
use sluice_statistical::tokens::features_of_raw;
use sluice_statistical::{Classifier, Features, StatisticalSettings, TokeniserLimits, message_key};
use xxhash_rust::xxh3::xxh3_64;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(labels) = args.first() else {
        eprintln!("usage: speed LABELS.tsv [ROUNDS]");
        return ExitCode::from(2);
    };
    let Ok(rounds) = args.get(1).map_or(Ok(3), |rounds| rounds.parse::<usize>()) else {
        eprintln!("ROUNDS is a number");
        return ExitCode::from(2);
    };
    let (train, test) = match (read_label_file(&PathBuf::from(labels), Some("train")), read_label_file(&PathBuf::from(labels), Some("test"))) {
        (Ok(train), Ok(test)) => (train, test),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("reading {labels}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let classifier = match Classifier::with_embedded_model(StatisticalSettings::default()) {
        Ok(classifier) => classifier,
        Err(error) => {
            eprintln!("embedded model: {error}");
            return ExitCode::FAILURE;
        }
    };

    let started = Instant::now();
    let mut order: Vec<_> = train.iter().collect();
    order.sort_by_key(|message| message_key(&message.raw));
    for message in order {
        classifier.learn(&message.raw, message.label);
    }
    let learned = started.elapsed().as_secs_f64();
    let cluster = classifier.cluster().read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let snapshot = xxh3_64(&cluster.to_snapshot());
    println!("learned in {learned:.2} s, {} features, snapshot {snapshot:016x}", cluster.feature_count());
    drop(cluster);

    let per_message = 1e6 / test.len() as f64;
    let limits = TokeniserLimits::default();
    for round in 0..rounds {
        let (tokenise, features) = timed(|| test.iter().map(|message| features_of_raw(&message.raw, &limits)).collect::<Vec<Features>>());
        let mut sum = 0.0;
        let (global, ()) = timed(|| features.iter().for_each(|f| sum += classifier.global().scores_of(f).method2));
        let (cluster, ()) = timed(|| {
            let cluster = classifier.cluster().read().unwrap_or_else(|poisoned| poisoned.into_inner());
            features.iter().for_each(|f| sum += cluster.scores_of(f).method2);
        });
        let (scores, ()) = timed(|| features.iter().for_each(|f| sum += classifier.scores(f).combined));
        let (global_twice, ()) = timed(|| {
            for f in &features {
                black_box(classifier.global().scores_of(f));
                black_box(classifier.global().scores_of(f));
            }
        });
        let (cluster_twice, ()) = timed(|| {
            let cluster = classifier.cluster().read().unwrap_or_else(|poisoned| poisoned.into_inner());
            for f in &features {
                black_box(cluster.scores_of(f));
                black_box(cluster.scores_of(f));
            }
        });
        let mut bits = Vec::new();
        for f in &features {
            let cluster = classifier.cluster().read().unwrap_or_else(|poisoned| poisoned.into_inner()).scores_of(f);
            for raw in [classifier.global().scores_of(f), cluster] {
                bits.extend([raw.method1, raw.method2]);
                bits.extend(raw.parts.bayes.iter().chain(&raw.parts.margin).chain(&raw.parts.log_odds));
            }
            let scores = classifier.scores(f);
            bits.extend([scores.method1_global, scores.method2_global, scores.combined]);
            bits.extend(scores.method1_cluster.iter().chain(&scores.method2_cluster));
        }
        let bytes: Vec<u8> = bits.iter().flat_map(|value| value.to_bits().to_le_bytes()).collect();
        let count: usize = features.iter().map(Features::len).sum();
        println!(
            "round {round}: per message: tokenise {:.0} us, global {:.1} us, cluster {:.1} us, scores() {:.1} us; \
             cached: global {:.1} us, cluster {:.1} us; {:.0} features/msg ({sum:.1}) bits {:016x}",
            tokenise * per_message,
            global * per_message,
            cluster * per_message,
            scores * per_message,
            (global_twice - global) * per_message,
            (cluster_twice - cluster) * per_message,
            count as f64 / test.len() as f64,
            xxh3_64(&bytes),
        );
    }
    ExitCode::SUCCESS
}

/// The wall-clock seconds `work` took and what it returned.
fn timed<T>(work: impl FnOnce() -> T) -> (f64, T) {
    let started = Instant::now();
    let result = work();
    (started.elapsed().as_secs_f64(), result)
}
