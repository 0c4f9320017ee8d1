//! `/dashboard` (where `/` leads): incoming messages per main class over the
//! last 24 hours, 7 days or 30 days as a stacked bar chart drawn here as inline
//! SVG (no script, no chart library: the CSP stays strict), the top senders,
//! recipients and subclasses, the quarantine's size and, for administrators,
//! the delivery queue's. Every figure is within the viewer's audience.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sluice_model::{MainClass, Subclass};
use sluice_store::{Dashboard, Role};

use super::view::{self, Class, Nav, shown};
use super::{Ui, Viewer};

const HOUR_MS: i64 = 3_600_000;
/// The chart's drawing area, in SVG units.
const CHART_WIDTH: f64 = 760.0;
const CHART_HEIGHT: f64 = 200.0;
const LEFT: f64 = 48.0;
const TOP: f64 = 10.0;

/// The ranges offered: name, bucket length, buckets.
const RANGES: [(&str, i64, i64); 3] = [("24h", HOUR_MS, 24), ("7d", 6 * HOUR_MS, 28), ("30d", 24 * HOUR_MS, 30)];

/// Each main class's colour in the chart (exhaustive: a new class needs one).
fn colour(class: MainClass) -> &'static str {
    match class {
        MainClass::Spam => "#c0392b",
        MainClass::NotSpam => "#2d7a3a",
        MainClass::Phish => "#8e44ad",
        MainClass::Virus => "#111111",
        MainClass::Error => "#e67e22",
        MainClass::Unsure => "#d4ac0d",
        MainClass::Unknown => "#7f8c8d",
        MainClass::BlockList => "#1f5fa8",
        MainClass::AllowList => "#76b7e5",
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct RangeForm {
    range: String,
}

pub(crate) struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    fill: &'static str,
    title: String,
}

pub(crate) struct Label {
    x: String,
    text: String,
}

pub(crate) struct Legend {
    class: Class,
    fill: &'static str,
    total: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Nav,
    range: &'static str,
    ranges: [&'static str; 3],
    bars: Vec<Bar>,
    labels: Vec<Label>,
    y_max: i64,
    legend: Vec<Legend>,
    total: i64,
    top_senders: Vec<(String, i64)>,
    top_recipients: Vec<(String, i64)>,
    top_subclasses: Vec<(Class, i64)>,
    sampled: i64,
    quarantined: i64,
    queue: Option<i64>,
    /// Where the statistical classifiers stand (administrators only).
    statistics: Option<String>,
    chart_width: f64,
    chart_height: f64,
    left: f64,
    top: f64,
}

/// `GET /dashboard?range=24h|7d|30d`.
pub(crate) async fn page(State(ui): State<Arc<Ui>>, Extension(viewer): Extension<Viewer>, Query(form): Query<RangeForm>) -> Response {
    let (range, bucket_ms, buckets) = RANGES.into_iter().find(|(name, _, _)| *name == form.range).unwrap_or(RANGES[0]);
    // Buckets end at the next whole bucket (UTC), so they do not shift with
    // every reload.
    let now = super::now_ms();
    let until = (now / bucket_ms + 1) * bucket_ms;
    let from = until - bucket_ms * buckets;
    let audience = viewer.user.audience();
    let dashboard = match ui.gateway.store.dashboard(&audience, from, bucket_ms, buckets).await {
        Ok(dashboard) => dashboard,
        Err(error) => return view::store_failed(error),
    };
    let queue = if viewer.user.role == Role::Admin {
        match ui.gateway.store.queue_len().await {
            Ok(length) => Some(length),
            Err(error) => return view::store_failed(error),
        }
    } else {
        None
    };
    let statistics = (viewer.user.role == Role::Admin).then(|| statistics(ui.gateway.learning.classifier()));
    let (bars, labels, y_max, legend) = chart(&dashboard, from, bucket_ms, buckets);
    let total = legend.iter().map(|entry| entry.total).sum();
    let Dashboard { top_senders, top_recipients, top_subclasses, sampled, quarantined, .. } = dashboard;
    DashboardPage {
        nav: Nav::new(&viewer, "dashboard"),
        range,
        ranges: RANGES.map(|(name, _, _)| name),
        bars,
        labels,
        y_max,
        legend,
        total,
        top_senders: top_senders.into_iter().map(|(sender, count)| (shown(&sender), count)).collect(),
        top_recipients: top_recipients
            .into_iter()
            .map(|(recipients, count)| {
                let list: Vec<String> = serde_json::from_str(&recipients).unwrap_or_else(|_| vec![recipients.clone()]);
                (shown(&list.join(", ")), count)
            })
            .collect(),
        top_subclasses: top_subclasses
            .into_iter()
            .filter_map(|(sub, count)| Some((Class::sub(Subclass::parse(&sub).ok()?), count)))
            .collect(),
        sampled,
        quarantined,
        queue,
        statistics,
        chart_width: CHART_WIDTH,
        chart_height: CHART_HEIGHT,
        left: LEFT,
        top: TOP,
    }
    .into_response()
}

/// One sentence on the statistical classifiers of this node: whether the
/// installation's own models are in use yet and, until they are, how far the
/// global model is trusted on this stream (`sluice_statistical::familiarity`), so
/// an administrator can tell why mail is delivered as `unsure` on a new install.
fn statistics(classifier: &sluice_statistical::Classifier) -> String {
    use sluice_statistical::familiarity::{MedianSource, OWN_MEDIAN_SHARE};
    let ((spam, ham), losses) = {
        let cluster = classifier.cluster().read().unwrap_or_else(std::sync::PoisonError::into_inner);
        (cluster.trained_messages(), cluster.scope_losses())
    };
    if classifier.cluster_trusted() {
        let weight = sluice_statistical::cluster_weight(losses);
        return format!(
            "Statistics: this installation's own models are in use ({spam} spam and {ham} ham learned); they carry {:.0} % of the statistical evidence, the shipped global model the rest.",
            100.0 * weight
        );
    }
    let settings = &classifier.settings;
    let (_, temperature) = classifier.familiarity();
    let stream = match classifier.stream_median() {
        Some(MedianSource::Observed(figure)) => format!("on the mail this node received it knows a median {:.2} of each message's features", figure.median_share),
        Some(MedianSource::Installation(figure)) => {
            format!("on this installation's mail it knows a median {:.2} of each message's features (as the nodes stored it)", figure.median_share)
        }
        None => "it has not seen enough of this installation's mail to tell how well it knows it".to_owned(),
    };
    format!(
        "Statistics: this installation's own models have learned {spam} of {} spam and {ham} of {} ham; until then the shipped global model judges alone. {}{stream} (of its own mail: {OWN_MEDIAN_SHARE:.2}), so its evidence counts x {temperature:.2}.",
        settings.min_cluster_spam,
        settings.min_cluster_ham,
        if temperature < 1.0 { "It is careful: " } else { "It is trusted as it is: " },
    )
}

/// The stacked bars (main classes in their fixed order, bottom up), the time
/// labels under them, the scale's top and the legend with totals.
fn chart(dashboard: &Dashboard, from: i64, bucket_ms: i64, buckets: i64) -> (Vec<Bar>, Vec<Label>, i64, Vec<Legend>) {
    let columns = buckets.max(1) as usize;
    let mut counts = vec![[0i64; MainClass::ALL.len()]; columns];
    for (bucket, main, count) in &dashboard.buckets {
        let (Ok(bucket), Ok(main)) = (usize::try_from(*bucket), MainClass::parse(main)) else { continue };
        if let (Some(column), Some(index)) = (counts.get_mut(bucket), MainClass::ALL.iter().position(|class| *class == main)) {
            column[index] += count;
        }
    }
    let y_max = counts.iter().map(|column| column.iter().sum::<i64>()).max().unwrap_or(0).max(1);
    let width = CHART_WIDTH / columns as f64;
    let mut bars = Vec::new();
    for (column, classes) in counts.iter().enumerate() {
        let mut base = TOP + CHART_HEIGHT;
        for (index, count) in classes.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let height = CHART_HEIGHT * *count as f64 / y_max as f64;
            base -= height;
            let class = MainClass::ALL[index];
            bars.push(Bar {
                x: format!("{:.1}", LEFT + column as f64 * width + 1.0),
                y: format!("{base:.1}"),
                width: format!("{:.1}", (width - 2.0).max(1.0)),
                height: format!("{height:.1}"),
                fill: colour(class),
                title: format!("{} UTC, {}: {count}", view::time(from + column as i64 * bucket_ms), class.as_str()),
            });
        }
    }
    let step = (columns / 6).max(1);
    let labels = (0..columns)
        .step_by(step)
        .map(|column| {
            let time = view::time(from + column as i64 * bucket_ms);
            // `YYYY-MM-DD HH:MM:SS`: hours for a day, dates beyond.
            let text = if bucket_ms < 24 * HOUR_MS && buckets <= 24 { time[11..16].to_owned() } else { time[5..10].to_owned() };
            Label { x: format!("{:.1}", LEFT + column as f64 * width), text }
        })
        .collect();
    let legend = MainClass::ALL
        .iter()
        .enumerate()
        .map(|(index, class)| Legend {
            class: Class::main(*class),
            fill: colour(*class),
            total: counts.iter().map(|column| column[index]).sum(),
        })
        .filter(|entry| entry.total > 0)
        .collect();
    (bars, labels, y_max, legend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_stack_per_bucket_and_scale_to_the_busiest() {
        let dashboard = Dashboard {
            buckets: vec![
                (0, MainClass::Spam.as_str().to_owned(), 3),
                (0, MainClass::NotSpam.as_str().to_owned(), 1),
                (2, MainClass::NotSpam.as_str().to_owned(), 2),
                (99, MainClass::NotSpam.as_str().to_owned(), 5),
                (1, "no-such-class".to_owned(), 5),
            ],
            ..Dashboard::default()
        };
        let (bars, labels, y_max, legend) = chart(&dashboard, 0, HOUR_MS, 4);
        assert_eq!(y_max, 4, "bucket 0 is the busiest; out-of-range buckets and unknown classes are dropped");
        assert_eq!(bars.len(), 3);
        assert_eq!(bars[0].height, format!("{:.1}", CHART_HEIGHT * 3.0 / 4.0), "spam first, at the bottom");
        assert_eq!(labels[0].text, "00:00");
        let totals: Vec<(&str, i64)> = legend.iter().map(|entry| (entry.class.name, entry.total)).collect();
        assert_eq!(totals, [(MainClass::Spam.as_str(), 3), (MainClass::NotSpam.as_str(), 3)]);
    }
}
