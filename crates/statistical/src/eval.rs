//! Evaluation on labelled mail: precision, recall, error rates, accuracy and ROC AUC,
//! overall and per classifier, plus a ROC curve and a score histogram as SVG.
//!
//! Spam is the positive class. "Overall" is what the gateway would do: a message
//! counts as flagged when the finding's main class is `spam` (an `unsure` message is
//! delivered, so it is not flagged). Each classifier alone is flagged at the domain's
//! quarantine threshold.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;
use std::time::Instant;

use sluice_core::DomainSettings;
use sluice_model::{MainClass, Subclass};

use crate::corpus::LabelledMessage;
use crate::{Classifier, Label, Scores};

/// The confusion counts and rates at one decision rule.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
    pub spam: usize,
    pub ham: usize,
    /// Spam flagged (true positives) and ham flagged (false positives).
    pub spam_flagged: usize,
    pub ham_flagged: usize,
    pub precision: f64,
    pub recall: f64,
    pub false_positive_rate: f64,
    pub false_negative_rate: f64,
    pub accuracy: f64,
    pub roc_auc: f64,
}

/// Metrics of flag decisions, with the AUC of the matching scores.
pub fn metrics(flagged: &[bool], scores: &[f64], is_spam: &[bool]) -> Metrics {
    let spam = is_spam.iter().filter(|spam| **spam).count();
    let ham = is_spam.len() - spam;
    let spam_flagged = flagged.iter().zip(is_spam).filter(|(flag, spam)| **flag && **spam).count();
    let ham_flagged = flagged.iter().zip(is_spam).filter(|(flag, spam)| **flag && !**spam).count();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Metrics {
        spam,
        ham,
        spam_flagged,
        ham_flagged,
        precision: ratio(spam_flagged, spam_flagged + ham_flagged),
        recall: ratio(spam_flagged, spam),
        false_positive_rate: ratio(ham_flagged, ham),
        false_negative_rate: ratio(spam - spam_flagged, spam),
        accuracy: ratio(spam_flagged + ham - ham_flagged, spam + ham),
        roc_auc: roc_auc(scores, is_spam),
    }
}

/// The area under the ROC curve: the chance that a random spam scores above a
/// random ham (ties count half), by ranks (Mann-Whitney U).
pub fn roc_auc(scores: &[f64], is_spam: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        // Tied scores share the mean of their ranks (1-based).
        let mean_rank = (start + end) as f64 / 2.0 + 1.0;
        rank_sum += order[start..=end].iter().filter(|&&index| is_spam[index]).count() as f64 * mean_rank;
        start = end + 1;
    }
    let spam = is_spam.iter().filter(|spam| **spam).count() as f64;
    let ham = is_spam.len() as f64 - spam;
    if spam == 0.0 || ham == 0.0 {
        return 0.5;
    }
    (rank_sum - spam * (spam + 1.0) / 2.0) / (spam * ham)
}

/// The share of spam caught by the best cut of `scores` that flags at most
/// `ham_allowed` ham: how a classifier alone does at a given false-positive count
/// (e.g. the verdict's), whatever its calibration.
pub fn recall_at_ham_flagged(scores: &[f64], is_spam: &[bool], ham_allowed: usize) -> f64 {
    let mut ham: Vec<f64> = scores.iter().zip(is_spam).filter(|(_, spam)| !**spam).map(|(score, _)| *score).collect();
    ham.sort_by(|a, b| b.total_cmp(a));
    let spam = is_spam.iter().filter(|spam| **spam).count();
    if spam == 0 {
        return 0.0;
    }
    // Flag what scores above the (ham_allowed + 1)-th highest ham: ties with it stay.
    let caught = match ham.get(ham_allowed) {
        Some(cut) => scores.iter().zip(is_spam).filter(|(score, spam)| **spam && *score > cut).count(),
        None => spam,
    };
    caught as f64 / spam as f64
}

/// The ROC curve as `(false positive rate, true positive rate)` points, one per
/// distinct score, from (0, 0) to (1, 1).
pub fn roc_curve(scores: &[f64], is_spam: &[bool]) -> Vec<(f64, f64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let spam = is_spam.iter().filter(|spam| **spam).count().max(1) as f64;
    let ham = (is_spam.len() - is_spam.iter().filter(|spam| **spam).count()).max(1) as f64;
    let mut points = vec![(0.0, 0.0)];
    let (mut true_positives, mut false_positives) = (0.0, 0.0);
    for (position, &index) in order.iter().enumerate() {
        if is_spam[index] {
            true_positives += 1.0;
        } else {
            false_positives += 1.0;
        }
        let last_of_tie = order.get(position + 1).is_none_or(|&next| scores[next] != scores[index]);
        if last_of_tie {
            points.push((false_positives / ham, true_positives / spam));
        }
    }
    points
}

/// The outcome of one message.
#[derive(Clone, Debug)]
pub struct MessageResult {
    pub source: String,
    pub label: Label,
    pub scores: Scores,
    pub main: MainClass,
    pub sub: Subclass,
    pub score: f64,
}

/// The evaluation of a classifier on labelled messages.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub results: Vec<MessageResult>,
    pub overall: Metrics,
    /// `(classifier name, metrics, spam caught with at most as many ham flagged as
    /// the verdict flagged)`, for every classifier that scored every message.
    pub per_classifier: Vec<(&'static str, Metrics, f64)>,
    /// Wall-clock seconds spent tokenising and scoring (files already in memory).
    pub classify_seconds: f64,
    /// CPU seconds the classifying thread got for it, where the system tells
    /// ([`thread_cpu_seconds`]): on a shared or virtual machine the wall clock also
    /// counts the time the core was busy elsewhere, so this is the per-core figure.
    pub classify_cpu_seconds: Option<f64>,
    /// The evaluated stream's median share of features the global model knows, and
    /// the temperature it gave the global model ([`crate::familiarity`]).
    /// (`None`: too few messages and no installation's figure to go by.)
    pub familiarity: (Option<crate::familiarity::MedianSource>, f64),
}

/// The CPU time the calling thread has run for, in seconds: the first field of
/// Linux's `/proc/thread-self/schedstat` (nanoseconds on a CPU, time stolen by a
/// hypervisor excluded). `None` where that file does not exist.
pub fn thread_cpu_seconds() -> Option<f64> {
    let text = fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanoseconds: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanoseconds as f64 / 1e9)
}

/// Classifies every message and measures the results.
///
/// The classifier is first shown every message (not judged), as an installation
/// that has been receiving this stream: the global model's familiarity with it
/// ([`crate::familiarity`]) is then that of the stream, not of its first messages.
pub fn evaluate(classifier: &Classifier, messages: &[LabelledMessage], domain: &DomainSettings) -> Evaluation {
    for message in messages {
        classifier.observe(&crate::tokens::word_features_of_raw(&message.raw, &classifier.limits));
    }
    let familiarity = (classifier.stream_median(), classifier.familiarity().1);
    let started = Instant::now();
    let cpu_started = thread_cpu_seconds();
    let results: Vec<MessageResult> = messages
        .iter()
        .map(|message| {
            let (scores, finding) = classifier.score_raw(&message.raw);
            let finding = sluice_core::verdict::settle(&finding, domain);
            MessageResult {
                source: message.source.clone(),
                label: message.label,
                scores,
                main: finding.main,
                sub: finding.sub,
                score: finding.score.unwrap_or(scores.combined),
            }
        })
        .collect();
    let classify_seconds = started.elapsed().as_secs_f64();
    let classify_cpu_seconds = cpu_started.zip(thread_cpu_seconds()).map(|(start, end)| end - start);
    let is_spam: Vec<bool> = results.iter().map(|result| result.label == Label::Spam).collect();
    let flagged: Vec<bool> = results.iter().map(|result| result.main == MainClass::Spam).collect();
    let scores: Vec<f64> = results.iter().map(|result| result.score).collect();
    let overall = metrics(&flagged, &scores, &is_spam);

    type Pick = fn(&Scores) -> Option<f64>;
    let classifiers: [(&'static str, Pick); 6] = [
        (Subclass::CombinedStatistical.as_str(), |s| Some(s.combined)),
        (Subclass::StatisticalMethod1Global.as_str(), |s| Some(s.method1_global)),
        (Subclass::StatisticalMethod2Global.as_str(), |s| Some(s.method2_global)),
        (Subclass::StatisticalMethod1Cluster.as_str(), |s| s.method1_cluster),
        (Subclass::StatisticalMethod2Cluster.as_str(), |s| s.method2_cluster),
        (crate::NGRAM_CLASSIFIER, |s| s.ngram_cluster),
    ];
    let mut per_classifier = Vec::new();
    for (name, pick) in classifiers {
        let Some(scores) = results.iter().map(|result| pick(&result.scores)).collect::<Option<Vec<f64>>>() else {
            continue;
        };
        let flagged: Vec<bool> = scores.iter().map(|&p| p >= domain.quarantine_threshold).collect();
        let at_verdict_fp = recall_at_ham_flagged(&scores, &is_spam, overall.ham_flagged);
        per_classifier.push((name, metrics(&flagged, &scores, &is_spam), at_verdict_fp));
    }
    Evaluation {
        results,
        overall,
        per_classifier,
        classify_seconds,
        classify_cpu_seconds,
        familiarity,
    }
}

impl Evaluation {
    /// The metrics as a plain-text table.
    pub fn report(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{:<30} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>14} {:>8}",
            "classifier", "precision", "recall", "FP-rate", "FN-rate", "accuracy", "ROC-AUC", "recall@verdFP", "FP/ham"
        );
        let mut row = |name: &str, m: &Metrics, at_verdict_fp: f64| {
            let _ = writeln!(
                text,
                "{name:<30} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.5} {:>14.4} {:>8}",
                m.precision,
                m.recall,
                m.false_positive_rate,
                m.false_negative_rate,
                m.accuracy,
                m.roc_auc,
                at_verdict_fp,
                format!("{}/{}", m.ham_flagged, m.ham)
            );
        };
        row("overall (verdict)", &self.overall, self.overall.recall);
        for (name, m, at_verdict_fp) in &self.per_classifier {
            row(name, m, *at_verdict_fp);
        }
        let _ = writeln!(text, "(recall@verdFP: spam caught by the classifier's best cut that flags at most the verdict's ham)");
        let count = self.results.len();
        let _ = write!(
            text,
            "{count} messages ({} spam, {} ham) classified in {:.3} s: {:.0} messages/s",
            self.overall.spam,
            self.overall.ham,
            self.classify_seconds,
            count as f64 / self.classify_seconds.max(1e-9)
        );
        if let Some(cpu) = self.classify_cpu_seconds {
            let _ = write!(text, "; {cpu:.3} s on the CPU: {:.0} messages per CPU-second", count as f64 / cpu.max(1e-9));
        }
        text.push('\n');
        let (median, temperature) = self.familiarity;
        let median = match median {
            Some(crate::familiarity::MedianSource::Observed(figure)) => format!("{:.3}", figure.median_share),
            Some(crate::familiarity::MedianSource::Installation(figure)) => {
                format!("{:.3} (too few messages: the installation's stored figure)", figure.median_share)
            }
            None => "too few messages".to_owned(),
        };
        let _ = writeln!(
            text,
            "the global model knows a median {median} of each message's features (its own held-out mail: {:.2}); its log-odds x {temperature:.2} until the cluster is trusted",
            crate::familiarity::OWN_MEDIAN_SHARE
        );
        text
    }

    /// Writes `roc.svg` and `histogram.svg` into `directory`.
    pub fn write_plots(&self, directory: &Path) -> io::Result<()> {
        fs::create_dir_all(directory)?;
        fs::write(directory.join("roc.svg"), self.roc_svg())?;
        fs::write(directory.join("histogram.svg"), self.histogram_svg())
    }

    /// ROC curves of every classifier, false-positive rate on a log axis (the
    /// region that matters for mail is below 1 %).
    pub fn roc_svg(&self) -> String {
        let is_spam: Vec<bool> = self.results.iter().map(|result| result.label == Label::Spam).collect();
        let mut curves: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        let overall: Vec<f64> = self.results.iter().map(|result| result.score).collect();
        curves.push(("verdict".to_owned(), roc_curve(&overall, &is_spam)));
        type Pick = fn(&Scores) -> Option<f64>;
        let picks: [(&str, Pick); 6] = [
            ("combined", |s| Some(s.combined)),
            ("method1-global", |s| Some(s.method1_global)),
            ("method2-global", |s| Some(s.method2_global)),
            ("method1-cluster", |s| s.method1_cluster),
            ("method2-cluster", |s| s.method2_cluster),
            (crate::NGRAM_CLASSIFIER, |s| s.ngram_cluster),
        ];
        // Every classifier that scored every message (the cluster ones once trusted).
        for (name, pick) in picks {
            if let Some(scores) = self.results.iter().map(|result| pick(&result.scores)).collect::<Option<Vec<f64>>>() {
                curves.push((name.to_owned(), roc_curve(&scores, &is_spam)));
            }
        }
        roc_svg(&curves, self.overall.ham.max(1))
    }

    /// Histogram of the verdict score of spam and ham, 50 bins on [0, 1], counts on
    /// a log scale so that the few messages in the middle stay visible.
    pub fn histogram_svg(&self) -> String {
        const BINS: usize = 50;
        let mut spam = [0usize; BINS];
        let mut ham = [0usize; BINS];
        for result in &self.results {
            let bin = ((result.score.clamp(0.0, 1.0) * BINS as f64) as usize).min(BINS - 1);
            match result.label {
                Label::Spam => spam[bin] += 1,
                Label::Ham => ham[bin] += 1,
            }
        }
        let (width, height, margin) = (640.0, 360.0, 50.0);
        let top = spam.iter().chain(&ham).copied().max().unwrap_or(1).max(1) as f64;
        let y_of = |count: usize| {
            let scaled = if count == 0 { 0.0 } else { (count as f64 + 1.0).ln() / (top + 1.0).ln() };
            height - margin - scaled * (height - 2.0 * margin)
        };
        let bin_width = (width - 2.0 * margin) / BINS as f64;
        let mut svg = svg_header(width, height, "Score histogram (log count): spam red, ham blue");
        for (bins, colour, shift) in [(&ham, "#1f5fbf", 0.0), (&spam, "#c8322d", bin_width / 2.0)] {
            for (index, &count) in bins.iter().enumerate() {
                if count == 0 {
                    continue;
                }
                let x = margin + index as f64 * bin_width + shift;
                let y = y_of(count);
                let _ = writeln!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{count}</title></rect>"#,
                    bin_width / 2.0,
                    height - margin - y
                );
            }
        }
        axes(&mut svg, width, height, margin, "verdict score", "messages per bin (log scale)");
        // The count axis: 1, 10, 100, ... up to the fullest bin, and that bin's count.
        let mut ticks: Vec<usize> = std::iter::successors(Some(1usize), |tick| tick.checked_mul(10)).take_while(|tick| *tick as f64 <= top).collect();
        if ticks.last() != Some(&(top as usize)) {
            ticks.push(top as usize);
        }
        for tick in ticks {
            let y = y_of(tick);
            let _ = writeln!(
                svg,
                r#"<line x1="{:.1}" y1="{y:.1}" x2="{margin}" y2="{y:.1}" stroke="black"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{tick}</text>"#,
                margin - 4.0,
                margin - 6.0,
                y + 4.0
            );
        }
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let x = margin + tick * (width - 2.0 * margin);
            let _ = writeln!(svg, r#"<text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{tick}</text>"#, height - margin + 15.0);
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn roc_svg(curves: &[(String, Vec<(f64, f64)>)], ham: usize) -> String {
    let (width, height, margin) = (640.0, 480.0, 55.0);
    // Log x axis from one ham in the set (or 1e-4) to 1.
    let floor = (1.0 / ham as f64).min(1e-2) / 2.0;
    let x_of = |fpr: f64| {
        let fraction = (fpr.max(floor).ln() - floor.ln()) / (1.0 - floor.ln());
        margin + fraction * (width - 2.0 * margin)
    };
    let y_of = |tpr: f64| height - margin - tpr * (height - 2.0 * margin);
    let colours = ["#000000", "#c8322d", "#1f5fbf", "#2a9d3a", "#9b59b6", "#e08a00"];
    let mut svg = svg_header(width, height, "ROC (false-positive rate on a log axis)");
    for (index, (name, points)) in curves.iter().enumerate() {
        let colour = colours[index % colours.len()];
        let path: Vec<String> = points.iter().map(|&(fpr, tpr)| format!("{:.1},{:.1}", x_of(fpr), y_of(tpr))).collect();
        let _ = writeln!(svg, r#"<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{}"/>"#, path.join(" "));
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" fill="{colour}">{name}</text>"#,
            width - margin - 130.0,
            height - margin - 20.0 - 15.0 * index as f64
        );
    }
    axes(&mut svg, width, height, margin, "false-positive rate (log)", "spam caught");
    let mut tick = 1.0;
    while tick >= floor {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{tick}</text>"#,
            x_of(tick),
            height - margin + 15.0
        );
        tick /= 10.0;
    }
    for tpr in [0.0, 0.5, 0.9, 1.0] {
        let _ = writeln!(svg, r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{tpr}</text>"#, margin - 5.0, y_of(tpr) + 4.0);
    }
    svg.push_str("</svg>\n");
    svg
}

fn svg_header(width: f64, height: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{:.1}\" y=\"20\" font-size=\"14\" text-anchor=\"middle\">{title}</text>\n",
        width / 2.0
    )
}

fn axes(svg: &mut String, width: f64, height: f64, margin: f64, x_label: &str, y_label: &str) {
    let _ = writeln!(
        svg,
        r#"<line x1="{margin}" y1="{0}" x2="{1}" y2="{0}" stroke="black"/><line x1="{margin}" y1="{margin}" x2="{margin}" y2="{0}" stroke="black"/>"#,
        height - margin,
        width - margin
    );
    let _ = writeln!(svg, r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{x_label}</text>"#, width / 2.0, height - 12.0);
    let _ = writeln!(
        svg,
        r#"<text x="14" y="{:.1}" font-size="12" text-anchor="middle" transform="rotate(-90 14 {:.1})">{y_label}</text>"#,
        height / 2.0,
        height / 2.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // Perfect separation, perfect inversion, all tied.
        assert_eq!(roc_auc(&[0.9, 0.8, 0.1, 0.2], &[true, true, false, false]), 1.0);
        assert_eq!(roc_auc(&[0.1, 0.2, 0.9, 0.8], &[true, true, false, false]), 0.0);
        assert_eq!(roc_auc(&[0.5, 0.5, 0.5], &[true, false, false]), 0.5);
        // One of four spam/ham pairs inverted: 3/4.
        assert_eq!(roc_auc(&[0.9, 0.3, 0.4, 0.1], &[true, true, false, false]), 0.75);
    }

    #[test]
    fn confusion_rates_by_hand() {
        let is_spam = [true, true, true, true, false, false, false, false];
        let flagged = [true, true, true, false, true, false, false, false];
        let scores = [0.9, 0.9, 0.9, 0.1, 0.9, 0.1, 0.1, 0.1];
        let m = metrics(&flagged, &scores, &is_spam);
        assert_eq!((m.spam_flagged, m.ham_flagged), (3, 1));
        assert_eq!(m.precision, 0.75);
        assert_eq!(m.recall, 0.75);
        assert_eq!(m.false_positive_rate, 0.25);
        assert_eq!(m.false_negative_rate, 0.25);
        assert_eq!(m.accuracy, 0.75);
    }

    fn evaluation(cluster: bool) -> Evaluation {
        let results: Vec<MessageResult> = (0..20)
            .map(|index| {
                let p = index as f64 / 20.0;
                let label = if index % 2 == 0 { Label::Spam } else { Label::Ham };
                let scores = Scores {
                    method1_global: p,
                    method2_global: p,
                    method1_cluster: cluster.then_some(p),
                    method2_cluster: cluster.then_some(p),
                    ngram_cluster: cluster.then_some(p),
                    combined: p,
                    temperature: 1.0,
                    global_share: 1.0,
                };
                MessageResult { source: format!("{index}.eml"), label, scores, main: MainClass::NotSpam, sub: Subclass::CombinedStatistical, score: p }
            })
            .collect();
        let overall = metrics(&vec![false; results.len()], &vec![0.5; results.len()], &vec![true; results.len()]);
        Evaluation { results, overall, per_classifier: Vec::new(), classify_seconds: 1.0, classify_cpu_seconds: None, familiarity: (None, 1.0) }
    }

    #[test]
    fn the_roc_plot_draws_every_classifier_present() {
        let with_cluster = evaluation(true).roc_svg();
        for name in ["verdict", "combined", "method1-global", "method2-global", "method1-cluster", "method2-cluster", crate::NGRAM_CLASSIFIER] {
            assert!(with_cluster.contains(&format!(">{name}</text>")), "{name} missing");
        }
        assert_eq!(with_cluster.matches("<polyline").count(), 7);
        let global_only = evaluation(false).roc_svg();
        assert_eq!(global_only.matches("<polyline").count(), 4);
        assert!(!global_only.contains("cluster"));
    }

    #[test]
    fn the_histogram_labels_its_count_axis() {
        let svg = evaluation(false).histogram_svg();
        assert!(svg.contains("messages per bin (log scale)"), "{svg}");
        // One message per bin at most here: the axis shows the tick 1.
        assert!(svg.contains(r#"text-anchor="end">1</text>"#), "{svg}");
    }

    #[test]
    fn recall_at_a_false_positive_count() {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
        let is_spam = [true, false, true, true, false, false];
        assert_eq!(recall_at_ham_flagged(&scores, &is_spam, 0), 1.0 / 3.0);
        assert_eq!(recall_at_ham_flagged(&scores, &is_spam, 1), 1.0);
        assert_eq!(recall_at_ham_flagged(&scores, &is_spam, 5), 1.0);
        // A spam tied with the allowed ham's successor is not counted.
        assert_eq!(recall_at_ham_flagged(&[0.9, 0.9], &[true, false], 0), 0.0);
    }

    #[test]
    fn roc_curve_runs_corner_to_corner() {
        let curve = roc_curve(&[0.9, 0.8, 0.8, 0.1], &[true, false, true, false]);
        assert_eq!(curve, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
    }
}
