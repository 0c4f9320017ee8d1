//! `/metrics`: the gateway's Prometheus metrics (names in
//! `sluice_gateway::metrics`), rendered by the exporter the binary installs as
//! the process's recorder. Open like `/healthz`: scrapers carry no token, so the
//! web listener belongs on an internal address (docs/deploy.md).

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sluice_gateway::Gateway;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets (seconds) for the histograms: a lookup or a reply is
/// interesting from a millisecond to the SMTP timeouts.
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Makes the Prometheus exporter the process's metrics recorder. Once per
/// process (`serve` calls it); a second call changes nothing.
pub fn install() -> anyhow::Result<()> {
    if HANDLE.get().is_some() {
        return Ok(());
    }
    let handle = PrometheusBuilder::new().set_buckets(&BUCKETS)?.install_recorder()?;
    let _ = HANDLE.set(handle);
    Ok(())
}

pub(crate) async fn render(State(gateway): State<Arc<Gateway>>) -> Response {
    let Some(handle) = HANDLE.get() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are not enabled in this process\n").into_response();
    };
    // The queue is the store's (shared by the cluster): read it now, so the
    // gauge is as fresh as the scrape.
    if let Ok(summary) = gateway.store.queue_summary(0).await {
        let oldest = summary.oldest_created_at_ms.map(|created| (sluice_gateway::pipeline::now_ms() - created).max(0) / 1000);
        sluice_gateway::metrics::queue_observed(summary.length, oldest);
    }
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}
