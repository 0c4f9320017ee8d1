//! The eighth round's measurement (`shift ... ngram=GRID`): a third cluster method,
//! "m3", on hashed character n-grams of the message's bytes, learned beside the
//! shipped cluster on the same learned half and measured on the same measured half.
//!
//! The view is the TREC spam tracks' (Goodman & Yih 2006; Cormack's on-line logistic
//! regression filter, TREC 2007; Sculley's relaxed online SVMs): binary, hashed byte
//! n-grams of the first few thousand bytes, which see header layout, encodings,
//! obfuscations and partial words that the word tokeniser does not. Nothing here is in
//! the product: the model lives in this file, and the verdicts with it are simulated
//! with the product's own rule (`Classifier::finding`, `settle`) over recomputed
//! cluster evidence.
//!
//! `GRID` is a cartesian product of six `-`-separated fields, each a `/`-separated list:
//! `VIEW-N-BYTES-BITS-LEARNER-PASSES`, e.g.
//! `raw/text-3/4/5-2500/3000/5000-22-lr0.002/ftrl0.01:0:0.1-1/3` (several grids
//! joined by `+`):
//! - `VIEW`: `raw` (the message as received) or `text` (a header subset as written,
//!   then the decoded text parts, HTML rendered: [`text_view`]);
//! - `N`: the n-gram length in bytes; `BYTES`: how much of the view is read;
//! - `BITS`: the hash table has `2^BITS` weights (xxh3 with a fixed seed, binary
//!   presence: each n-gram counts once per message);
//! - `LEARNER`: `lrRATE`, plain on-line logistic regression (`w += rate * (y - p)`
//!   for every present n-gram and a bias), or `ftrlALPHA:L1:L2`, FTRL-Proximal with
//!   `ftrl.rs` (beta 1);
//! - `PASSES`: passes over the learned half, in learning order (the first one records
//!   the forecasts, as `sluice train` does for method 2).
//!
//! Per scenario and configuration it prints m3 alone (ROC AUC; spam caught at the
//! statistical verdict's ham count and at no ham, best cut) and the statistical
//! verdict (the shipped rule: decisive 0.999, cut 0.9, agreement 0.6) with the
//! cluster's evidence replaced by:
//! - `mean3`: the mean of m1's, m2's and m3's calibrated log-odds;
//! - `m3-for-m1`: the mean of m3's and m2's;
//! - `m3-alone`: m3's alone.
//!
//! Each line also says how many hash slots learning touched (what a sparse snapshot
//! would hold) and how many measured messages m3's calibrated probability puts at
//! the decisive 0.999 or above (what it would decide alone were it a classifier of
//! the evidence).
//!
//! Beside each variant's verdict, in brackets, the spam its combined score ranks
//! above all but the shipped verdict's ham count of ham (an oracle cut: the ranking,
//! whatever the 0.9 cut), and for reference the same figures of the shipped cluster
//! methods and combined score.
//!
//! m3's calibration is a Platt scaling fitted on its own first-pass forecasts (the last
//! [`FORECAST_WINDOW`] messages learned while the cluster was trusted, each scored
//! just before it was learned: the record `calibrate::Forecasts` keeps). For each
//! variant the forecast scale `k` and the scope weight are refitted as the product
//! fits them on the variant's evidence: `k` over the same record, the scope losses
//! over every learned message's before-learning evidence (m3's through that final
//! Platt scaling: slightly optimistic, the product would refit it as it learns). The
//! decisive and agreement rules still see the four shipped classifiers only (m3 has
//! no subclass). The end of the run prints each proxy's figures pooled over its
//! halves.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use sluice_core::message::MessageFacts;
use sluice_core::verdict::settle;
use sluice_core::{DomainSettings, Envelope};
use sluice_model::MainClass;
use sluice_statistical::calibrate::{FORECAST_WINDOW, Forecasts, fit_logistic};
use sluice_statistical::corpus::LabelledMessage;
use sluice_statistical::eval::{recall_at_ham_flagged, roc_auc};
use sluice_statistical::ftrl::{FtrlParams, FtrlState, sigmoid};
use sluice_statistical::{Classifier, Label, ScopeLosses, Scores, cluster_weight};

/// Which bytes the n-grams are read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum View {
    /// The message as received (a leading mbox `From ` line skipped).
    Raw,
    /// [`text_view`]: a header subset as written, then the decoded text.
    Text,
}

/// How m3 learns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Learner {
    /// `w += rate * (y - p)` for every present feature and the bias.
    Logistic { rate: f64 },
    /// FTRL-Proximal (`ftrl.rs`) over the same features and a bias.
    Ftrl(FtrlParams),
}

/// One configuration of m3.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Config {
    pub(crate) view: View,
    pub(crate) n: usize,
    pub(crate) bytes: usize,
    pub(crate) bits: u32,
    pub(crate) learner: Learner,
    pub(crate) passes: usize,
}

impl Config {
    /// A short name for the tables: `raw 4g 3000B 2^22 lr0.002 x1`.
    pub(crate) fn name(&self) -> String {
        let learner = match self.learner {
            Learner::Logistic { rate } => format!("lr{rate}"),
            Learner::Ftrl(p) => format!("ftrl{}:{}:{}", p.alpha, p.l1, p.l2),
        };
        let view = match self.view {
            View::Raw => "raw",
            View::Text => "text",
        };
        format!("{view} {}g {}B 2^{} {learner} x{}", self.n, self.bytes, self.bits, self.passes)
    }

    /// Bytes of model state: 4 per weight (f32) for the plain regression, 8 for
    /// FTRL's `z` and `n`.
    pub(crate) fn model_bytes(&self) -> usize {
        let per_slot = match self.learner {
            Learner::Logistic { .. } => 4,
            Learner::Ftrl(_) => 8,
        };
        per_slot << self.bits
    }

    fn features_key(&self) -> (View, usize, usize, u32) {
        (self.view, self.n, self.bytes, self.bits)
    }
}

/// The configurations of a `GRID` argument (see the module's documentation);
/// several grids joined by `+` are measured one after the other.
pub(crate) fn parse_grid(grids: &str) -> Result<Vec<Config>, String> {
    let mut configs = Vec::new();
    for spec in grids.split('+') {
        configs.extend(parse_one_grid(spec)?);
    }
    Ok(configs)
}

fn parse_one_grid(spec: &str) -> Result<Vec<Config>, String> {
    let fields: Vec<Vec<&str>> = spec.split('-').map(|field| field.split('/').collect()).collect();
    let [views, ns, bytes, bits, learners, passes] = fields.as_slice() else {
        return Err(format!("ngram={spec}: VIEW-N-BYTES-BITS-LEARNER-PASSES"));
    };
    let number = |text: &str| text.parse::<f64>().map_err(|_| format!("ngram={spec}: {text}"));
    let mut configs = Vec::new();
    for view in views {
        let view = match *view {
            "raw" => View::Raw,
            "text" => View::Text,
            other => return Err(format!("ngram={spec}: view {other}")),
        };
        for n in ns {
            for size in bytes {
                for bit in bits {
                    for learner in learners {
                        let learner = if let Some(rate) = learner.strip_prefix("lr") {
                            Learner::Logistic { rate: number(rate)? }
                        } else if let Some(params) = learner.strip_prefix("ftrl") {
                            let values = params.split(':').map(number).collect::<Result<Vec<f64>, String>>()?;
                            let [alpha, l1, l2] = values.as_slice() else {
                                return Err(format!("ngram={spec}: ftrlALPHA:L1:L2"));
                            };
                            Learner::Ftrl(FtrlParams { alpha: *alpha, beta: 1.0, l1: *l1, l2: *l2 })
                        } else {
                            return Err(format!("ngram={spec}: learner {learner}"));
                        };
                        for pass in passes {
                            let n = number(n)? as usize;
                            let bits = number(bit)? as u32;
                            if !(1..=16).contains(&n) || !(10..=26).contains(&bits) {
                                return Err(format!("ngram={spec}: n 1-16, bits 10-26"));
                            }
                            configs.push(Config { view, n, bytes: number(size)? as usize, bits, learner, passes: number(pass)? as usize });
                        }
                    }
                }
            }
        }
    }
    Ok(configs)
}

/// The header fields the sender writes (the receiving side's `Received`,
/// `Return-Path`, `Delivered-To` describe the installation, not the sender, and stay
/// out, as in the word tokeniser).
const TEXT_VIEW_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "X-Mailer",
    "User-Agent",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
];

/// The `text` view: the fields of [`TEXT_VIEW_HEADERS`] as written (folds unfolded),
/// then the decoded subject, then every text part decoded and every HTML part as the
/// product renders it (`MessageFacts::html_parts`), in message order.
pub(crate) fn text_view(raw: &[u8], limit: usize) -> Vec<u8> {
    let envelope = Envelope::default();
    let facts = MessageFacts::new(raw, &envelope, 0);
    let mut out = Vec::with_capacity(limit.min(64 * 1024));
    for name in TEXT_VIEW_HEADERS {
        for field in facts.headers.named(name) {
            out.extend_from_slice(field.name);
            out.extend_from_slice(b":");
            out.extend(field.value.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
            out.push(b'\n');
        }
    }
    out.extend_from_slice(facts.subject().as_bytes());
    out.push(b'\n');
    for entity in facts.mime_entities(64) {
        if out.len() >= limit {
            break;
        }
        match &entity.part.body {
            mail_parser::PartType::Text(text) => out.extend_from_slice(text.as_bytes()),
            mail_parser::PartType::Html(source) => {
                if let Some(rendered) = facts.rendered_html(source) {
                    out.extend_from_slice(rendered.text.as_bytes());
                }
            }
            _ => {}
        }
        out.push(b'\n');
    }
    out.truncate(limit);
    out
}

/// A corpus file's name without its folder and hash (`easy_ham_2-01388`).
fn name_of(source: &str) -> &str {
    let name = source.rsplit('/').next().unwrap_or(source);
    name.split('.').next().unwrap_or(name)
}

/// Seed of the n-gram hash (any fixed value: every node must hash alike).
const NGRAM_SEED: u64 = 0x6e67_7261_6d33;

/// The distinct hashed n-grams of the first `bytes` of `view`, sorted, each below
/// `2^bits`.
pub(crate) fn ngram_ids(view: &[u8], n: usize, bytes: usize, bits: u32) -> Vec<u32> {
    let head = &view[..view.len().min(bytes)];
    let mask = (1u64 << bits) - 1;
    let mut ids: Vec<u32> = head.windows(n).map(|gram| (xxhash_rust::xxh3::xxh3_64_with_seed(gram, NGRAM_SEED) & mask) as u32).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// m3: one hashed weight table and a bias.
enum Model {
    Logistic { rate: f64, weights: Vec<f32>, bias: f64 },
    Ftrl { params: FtrlParams, states: Vec<FtrlState>, bias: FtrlState },
}

impl Model {
    fn new(config: &Config) -> Model {
        match config.learner {
            Learner::Logistic { rate } => Model::Logistic { rate, weights: vec![0.0; 1 << config.bits], bias: 0.0 },
            Learner::Ftrl(params) => Model::Ftrl { params, states: vec![FtrlState::default(); 1 << config.bits], bias: FtrlState::default() },
        }
    }

    /// The log-odds of spam (uncalibrated).
    fn margin(&self, ids: &[u32]) -> f64 {
        match self {
            Model::Logistic { weights, bias, .. } => bias + ids.iter().map(|&id| f64::from(weights[id as usize])).sum::<f64>(),
            Model::Ftrl { params, states, bias } => {
                bias.weight(params) + ids.iter().map(|&id| states[id as usize].weight(params)).sum::<f64>()
            }
        }
    }

    /// How many weights learning touched (what a sparse snapshot would hold).
    fn touched(&self) -> usize {
        match self {
            Model::Logistic { weights, .. } => weights.iter().filter(|w| **w != 0.0).count(),
            Model::Ftrl { states, .. } => states.iter().filter(|s| s.n != 0.0).count(),
        }
    }

    /// One on-line step towards `spam`; returns the margin before it.
    fn learn(&mut self, ids: &[u32], spam: bool) -> f64 {
        let margin = self.margin(ids);
        let error = if spam { 1.0 } else { 0.0 } - sigmoid(margin);
        match self {
            Model::Logistic { rate, weights, bias } => {
                let step = *rate * error;
                for &id in ids {
                    weights[id as usize] += step as f32;
                }
                *bias += step;
            }
            Model::Ftrl { params, states, bias } => {
                let gradient = -error;
                let step = |state: &mut FtrlState| {
                    let (dz, dn) = state.step(gradient, params);
                    state.z += dz;
                    state.n += dn;
                };
                for &id in ids {
                    step(&mut states[id as usize]);
                }
                step(bias);
            }
        }
        margin
    }
}

/// What the shipped classifier knew of one learned message just before learning it
/// (the inputs of its scope losses and forecast record).
pub(crate) struct Before {
    pub(crate) label: Label,
    /// The global scope's evidence (mean of its methods' calibrated log-odds).
    pub(crate) global: f64,
    /// The cluster's methods' calibrated log-odds.
    pub(crate) z1: f64,
    pub(crate) z2: f64,
    /// Whether the cluster was trusted then (the forecast record's messages).
    pub(crate) trusted: bool,
}

/// One measured message after learning.
pub(crate) struct After {
    pub(crate) spam: bool,
    /// The global model's stacked log-odds (temperature 1: the cluster is trusted).
    pub(crate) global: f64,
    pub(crate) z1: f64,
    pub(crate) z2: f64,
    /// The shipped classifier's scores and verdict.
    pub(crate) scores: Scores,
    pub(crate) refused: bool,
}

/// Pooled counts of one configuration on one proxy.
#[derive(Default, Clone)]
struct Pooled {
    aucs: Vec<f64>,
    spam: usize,
    ham: usize,
    verdict_ham: usize,
    verdict_spam: usize,
    m3_at_verdict: usize,
    m3_at_zero: usize,
    /// `(ham refused, spam caught, spam above the shipped verdict's ham count of
    /// ham)` per variant of [`VARIANTS`]: the verdict, then its combined score's
    /// ranking (an oracle cut).
    variants: [(usize, usize, usize); 3],
    platt: Vec<(f64, f64)>,
    weights: Vec<(f64, f64)>,
}

const VARIANTS: [&str; 3] = ["mean3", "m3-for-m1", "m3-alone"];

/// The study across scenarios: the configurations and what each scored so far.
pub(crate) struct Study {
    pub(crate) configs: Vec<Config>,
    pooled: BTreeMap<(String, usize), Pooled>,
    /// Per proxy, the shipped classifiers for reference, pooled as `pooled`.
    reference: BTreeMap<String, Vec<Reference>>,
    timings: Vec<String>,
}

/// One shipped classifier on one proxy, for reference: its ROC AUC per half, the
/// spam it ranks above all but the verdict's ham count of ham and above every ham.
struct Reference {
    name: &'static str,
    aucs: Vec<f64>,
    at_verdict: usize,
    at_zero: usize,
}

/// Each message's n-gram ids, learned half then measured half.
type HalvesIds = (Vec<Vec<u32>>, Vec<Vec<u32>>);

/// Seconds of learning and scoring, for the cost figures.
#[derive(Default)]
struct Clock {
    extract: f64,
    learn: f64,
    score: f64,
    messages_extracted: usize,
    passes_learned: usize,
    scored: usize,
}

impl Study {
    pub(crate) fn new(configs: Vec<Config>) -> Study {
        Study { configs, pooled: BTreeMap::new(), reference: BTreeMap::new(), timings: Vec::new() }
    }

    /// Learns every configuration's m3 from `learned` (in the shipped first pass's
    /// order), measures it on `measured` and prints one line per configuration.
    /// `proxy` pools the halves of one stream in [`Study::summary`]. Returns the
    /// first configuration's `mean3` combined probability of each measured message,
    /// for the whole verdict with it.
    pub(crate) fn measure(
        &mut self,
        proxy: &str,
        classifier: &Classifier,
        learned: &[&LabelledMessage],
        before: &[Before],
        measured: &[LabelledMessage],
        after: &[After],
    ) -> Vec<f64> {
        let alone = DomainSettings { combined_score: false, ..DomainSettings::default() };
        let cluster = classifier.cluster().read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (shipped_weight, shipped_scale) = (cluster_weight(cluster.scope_losses()), cluster.forecasts().scale());
        drop(cluster);
        let is_spam: Vec<bool> = after.iter().map(|a| a.spam).collect();
        let (spam, ham) = (is_spam.iter().filter(|s| **s).count(), is_spam.iter().filter(|s| !**s).count());
        let verdict_ham = after.iter().filter(|a| a.refused && !a.spam).count();
        let verdict_spam = after.iter().filter(|a| a.refused && a.spam).count();
        // The shipped rule recomputed from its parts: checks the simulation.
        let drift = after
            .iter()
            .map(|a| {
                let evidence = shipped_weight.mul_add(shipped_scale * (a.z1 + a.z2) / 2.0, (1.0 - shipped_weight) * a.global);
                (sigmoid(evidence) - a.scores.combined).abs()
            })
            .fold(0.0, f64::max);
        println!("-- ngram ({proxy}): shipped verdict {verdict_ham}/{ham} ham, {verdict_spam}/{spam} spam; recomputed combined within {drift:.2e}");
        // The shipped cluster methods and combined score alone, for reference.
        let caught = |scores: &[f64], ham_allowed: usize| (recall_at_ham_flagged(scores, &is_spam, ham_allowed) * spam as f64).round() as usize;
        let references: [(&'static str, Vec<f64>); 3] = [
            ("cluster m1", after.iter().map(|a| a.z1).collect()),
            ("cluster m2", after.iter().map(|a| a.z2).collect()),
            ("combined", after.iter().map(|a| a.scores.combined).collect()),
        ];
        let reference = self.reference.entry(proxy.to_owned()).or_insert_with(|| {
            references.iter().map(|(name, _)| Reference { name, aucs: Vec::new(), at_verdict: 0, at_zero: 0 }).collect()
        });
        for (pooled, (name, scores)) in reference.iter_mut().zip(&references) {
            pooled.aucs.push(roc_auc(scores, &is_spam));
            pooled.at_verdict += caught(scores, verdict_ham);
            pooled.at_zero += caught(scores, 0);
            println!("{name}: AUC {:.5}, @{verdict_ham} ham {}/{spam}, @0 {}/{spam}", roc_auc(scores, &is_spam), caught(scores, verdict_ham), caught(scores, 0));
        }

        let mut clock = Clock::default();
        let mut first_mean3 = Vec::new();
        let mut cache: BTreeMap<(View, usize, usize, u32), HalvesIds> = BTreeMap::new();
        for (index, config) in self.configs.iter().enumerate() {
            let (learned_ids, measured_ids) = cache.entry(config.features_key()).or_insert_with(|| {
                let started = Instant::now();
                let ids = |raw: &[u8]| {
                    let raw = sluice_core::message::strip_mbox_from_line(raw);
                    match config.view {
                        View::Raw => ngram_ids(raw, config.n, config.bytes, config.bits),
                        View::Text => ngram_ids(&text_view(raw, config.bytes), config.n, config.bytes, config.bits),
                    }
                };
                let pair = (learned.iter().map(|m| ids(&m.raw)).collect(), measured.iter().map(|m| ids(&m.raw)).collect());
                clock.extract += started.elapsed().as_secs_f64();
                clock.messages_extracted += learned.len() + measured.len();
                pair
            });
            let mut model = Model::new(config);
            let started = Instant::now();
            let forecasts: Vec<f64> =
                learned_ids.iter().zip(before).map(|(ids, b)| model.learn(ids, b.label == Label::Spam)).collect();
            for _ in 1..config.passes {
                for (ids, b) in learned_ids.iter().zip(before) {
                    model.learn(ids, b.label == Label::Spam);
                }
            }
            clock.learn += started.elapsed().as_secs_f64();
            clock.passes_learned += learned_ids.len() * config.passes;
            let started = Instant::now();
            let margins: Vec<f64> = measured_ids.iter().map(|ids| model.margin(ids)).collect();
            clock.score += started.elapsed().as_secs_f64();
            clock.scored += measured_ids.len();
            let touched = model.touched();
            drop(model);

            // m3 alone, whatever its calibration.
            let auc = roc_auc(&margins, &is_spam);
            let at_verdict = (recall_at_ham_flagged(&margins, &is_spam, verdict_ham) * spam as f64).round() as usize;
            let at_zero = (recall_at_ham_flagged(&margins, &is_spam, 0) * spam as f64).round() as usize;

            // Its Platt scaling, over the record of trusted first-pass forecasts.
            let record: Vec<(bool, f64)> = forecasts
                .iter()
                .zip(before)
                .filter(|(_, b)| b.trusted)
                .map(|(margin, b)| (b.label == Label::Spam, *margin))
                .collect();
            let record = &record[record.len().saturating_sub(FORECAST_WINDOW)..];
            let rows: Vec<Vec<f64>> = record.iter().map(|(_, margin)| vec![*margin]).collect();
            let labels: Vec<bool> = record.iter().map(|(spam, _)| *spam).collect();
            let fitted = fit_logistic(&rows, &labels, 1e-2);
            let (a, b) = (fitted[0], fitted.get(1).copied().unwrap_or(1.0));
            let z3 = |margin: f64| a + b * margin;
            // Were m3 a classifier of the evidence, the messages it would decide
            // alone (calibrated probability at the decisive 0.999 or above).
            let decisive = sluice_statistical::ftrl::logit(classifier.settings.decisive_confidence);
            let decides = |spam: bool| after.iter().zip(&margins).filter(|(a, m)| a.spam == spam && z3(**m) >= decisive).count();
            let (decisive_ham, decisive_spam) = (decides(false), decides(true));

            let mut line = format!(
                "{:<40} m3 AUC {auc:.5}, @{verdict_ham} ham {at_verdict}/{spam}, @0 {at_zero}/{spam}; platt {a:.2} + {b:.3} x; {touched} weights touched; at >= 0.999 {decisive_ham} ham, {decisive_spam} spam",
                config.name()
            );
            let mut variants = [(0, 0, 0); 3];
            let mut weights = Vec::new();
            for (v, variant) in VARIANTS.iter().enumerate() {
                let evidence = |z1: f64, z2: f64, z3: f64| match v {
                    0 => (z1 + z2 + z3) / 3.0,
                    1 => (z3 + z2) / 2.0,
                    _ => z3,
                };
                // Scope losses over every learned message, the forecast scale over the
                // trusted record, as the product fits them.
                let mut losses = ScopeLosses::default();
                let mut trusted = Vec::new();
                for (margin, b) in forecasts.iter().zip(before) {
                    let e = evidence(b.z1, b.z2, z3(*margin));
                    losses.record(b.global, e, b.label);
                    if b.trusted {
                        trusted.push((b.label == Label::Spam, e));
                    }
                }
                let trusted = trusted[trusted.len().saturating_sub(FORECAST_WINDOW)..].to_vec();
                let scale = Forecasts::from_record(trusted).map_or(1.0, |f| f.scale());
                let weight = cluster_weight(losses);
                weights.push((weight, scale));
                let mut combined_scores = Vec::with_capacity(after.len());
                let mut ham_refused = Vec::new();
                for ((a, margin), message) in after.iter().zip(&margins).zip(measured) {
                    let e = evidence(a.z1, a.z2, z3(*margin));
                    let combined = sigmoid(weight.mul_add(scale * e, (1.0 - weight) * a.global));
                    combined_scores.push(weight.mul_add(scale * e, (1.0 - weight) * a.global));
                    let scores = Scores { combined, ..a.scores };
                    let refused = settle(&classifier.finding(&scores), &alone).main == MainClass::Spam;
                    if index == 0 && v == 0 {
                        first_mean3.push(combined);
                    }
                    if refused && !a.spam {
                        ham_refused.push(name_of(&message.source));
                    }
                    if refused {
                        if a.spam {
                            variants[v].1 += 1;
                        } else {
                            variants[v].0 += 1;
                        }
                    }
                }
                variants[v].2 = caught(&combined_scores, verdict_ham);
                let _ = write!(
                    line,
                    "; {variant} {}/{ham} {}/{spam} (oracle {}, w {weight:.3}, k {scale:.2}; ham {})",
                    variants[v].0,
                    variants[v].1,
                    variants[v].2,
                    ham_refused.join(",")
                );
            }
            println!("{line}");
            let pooled = self.pooled.entry((proxy.to_owned(), index)).or_default();
            pooled.aucs.push(auc);
            pooled.spam += spam;
            pooled.ham += ham;
            pooled.verdict_ham += verdict_ham;
            pooled.verdict_spam += verdict_spam;
            pooled.m3_at_verdict += at_verdict;
            pooled.m3_at_zero += at_zero;
            for (sum, one) in pooled.variants.iter_mut().zip(variants) {
                sum.0 += one.0;
                sum.1 += one.1;
                sum.2 += one.2;
            }
            pooled.platt.push((a, b));
            pooled.weights.extend(weights);
        }
        let per = |seconds: f64, count: usize| 1e6 * seconds / count.max(1) as f64;
        let timing = format!(
            "{proxy}: n-gram extraction {:.0} us/message, learning {:.0} us/message and pass, scoring {:.0} us/message (means over {} configurations)",
            per(clock.extract, clock.messages_extracted),
            per(clock.learn, clock.passes_learned),
            per(clock.score, clock.scored),
            self.configs.len()
        );
        println!("{timing}");
        self.timings.push(timing);
        first_mean3
    }

    /// Every configuration's figures pooled per proxy (halves summed), as Markdown
    /// rows: m3 alone (AUC per half, caught at the shipped verdict's ham count and at
    /// no ham), then each variant's ham refused and spam caught.
    pub(crate) fn summary(&self) -> String {
        let mut text = String::new();
        let proxies: Vec<&String> = {
            let mut names: Vec<&String> = self.pooled.keys().map(|(proxy, _)| proxy).collect();
            names.dedup();
            names
        };
        for proxy in proxies {
            let Some(first) = self.pooled.get(&(proxy.clone(), 0)) else { continue };
            let _ = writeln!(
                text,
                "\n{proxy}: shipped statistical verdict {}/{} ham, {:.2} % ({}/{})",
                first.verdict_ham,
                first.ham,
                100.0 * first.verdict_spam as f64 / first.spam.max(1) as f64,
                first.verdict_spam,
                first.spam
            );
            for Reference { name, aucs, at_verdict, at_zero } in self.reference.get(proxy).into_iter().flatten() {
                let aucs: Vec<String> = aucs.iter().map(|auc| format!("{auc:.5}")).collect();
                let percent = |count: usize| 100.0 * count as f64 / first.spam.max(1) as f64;
                let _ = writeln!(
                    text,
                    "shipped {name}: AUC {}, @ verdict's ham {:.2} %, @ 0 ham {:.2} %",
                    aucs.join(" / "),
                    percent(*at_verdict),
                    percent(*at_zero)
                );
            }
            let _ = writeln!(text, "| m3 | AUC | m3 @ verdict's ham | m3 @ 0 ham | mean3 | m3 for m1 | m3 alone as cluster evidence | m3 Platt (a, b) | (w, k) mean3 / m3-for-m1 / alone |");
            let _ = writeln!(text, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
            for (index, config) in self.configs.iter().enumerate() {
                let Some(p) = self.pooled.get(&(proxy.clone(), index)) else { continue };
                let percent = |count: usize| 100.0 * count as f64 / p.spam.max(1) as f64;
                let aucs: Vec<String> = p.aucs.iter().map(|auc| format!("{auc:.5}")).collect();
                let variants: Vec<String> =
                    p.variants.iter().map(|(h, s, o)| format!("{h}/{}, {:.2} % ({:.2} %)", p.ham, percent(*s), percent(*o))).collect();
                let platt: Vec<String> = p.platt.iter().map(|(a, b)| format!("{a:.2}, {b:.3}")).collect();
                let weights: Vec<String> = p.weights.iter().map(|(w, k)| format!("{w:.3}, {k:.2}")).collect();
                let _ = writeln!(
                    text,
                    "| {} ({} MB) | {} | {:.2} % | {:.2} % | {} | {} | {} |",
                    config.name(),
                    config.model_bytes() >> 20,
                    aucs.join(" / "),
                    percent(p.m3_at_verdict),
                    percent(p.m3_at_zero),
                    variants.join(" | "),
                    platt.join(" / "),
                    weights.join(" / ")
                );
            }
        }
        for timing in &self.timings {
            let _ = writeln!(text, "{timing}");
        }
        text
    }
}
