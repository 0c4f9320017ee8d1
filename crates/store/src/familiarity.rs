//! The mail stream's familiarity to the global model, kept per node
//! (`stream_familiarity`): each gateway node saves its median share of known
//! features and how many messages it is over; a node that starts, and the
//! command-line tools, read the installation's figure (`sluice-statistical`
//! `familiarity.rs` says what the figure is for).

use sqlx::Row;

use crate::{Result, Store};

/// Figures older than this are not the installation's stream any more (a node
/// long stopped, a stream that changed): one day, so a node's overnight restart
/// still finds its own.
pub const FAMILIARITY_FRESH_FOR_MS: i64 = 24 * 3600 * 1000;

/// The installation's figure: the median shares of the nodes updated within
/// [`FAMILIARITY_FRESH_FOR_MS`], weighted by the messages each is over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StoredFamiliarity {
    pub median_share: f64,
    /// The nodes' messages together.
    pub messages: i64,
    pub nodes: i64,
}

impl Store {
    /// Saves `node_id`'s median share over `messages` messages, replacing its
    /// previous figure.
    pub async fn save_stream_familiarity(&self, node_id: &str, median_share: f64, messages: i64, now_ms: i64) -> Result<()> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO stream_familiarity (node_id, median_share, messages, updated_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (node_id) DO UPDATE SET median_share = excluded.median_share, \
             messages = excluded.messages, updated_ms = excluded.updated_ms",
        )
        .bind(node_id)
        .bind(median_share)
        .bind(messages)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The installation's figure as of `now_ms`; `None` when no node saved one
    /// within [`FAMILIARITY_FRESH_FOR_MS`].
    pub async fn installation_familiarity(&self, now_ms: i64) -> Result<Option<StoredFamiliarity>> {
        // One row per node: a handful, weighed here rather than in two dialects' SQL.
        let rows = sqlx::query("SELECT median_share, messages FROM stream_familiarity WHERE updated_ms >= $1 AND messages > 0")
            .bind(now_ms - FAMILIARITY_FRESH_FOR_MS)
            .fetch_all(&self.pool)
            .await?;
        let (mut weighted, mut messages, mut nodes) = (0.0, 0i64, 0i64);
        for row in rows {
            let (share, count): (f64, i64) = (row.try_get(0)?, row.try_get(1)?);
            if !share.is_finite() {
                continue;
            }
            weighted += share * count as f64;
            messages = messages.saturating_add(count);
            nodes += 1;
        }
        Ok((messages > 0).then(|| StoredFamiliarity { median_share: weighted / messages as f64, messages, nodes }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::stores;

    #[tokio::test]
    async fn the_installations_figure_weighs_the_fresh_nodes_by_their_messages() {
        let now = 1_800_000_000_000;
        for (backend, store, _dir) in stores().await {
            assert_eq!(store.installation_familiarity(now).await.expect("read"), None, "{backend}: nothing saved");
            store.save_stream_familiarity("a", 0.9, 10, now - 1_000).await.expect("save");
            store.save_stream_familiarity("a", 0.6, 300, now - 500).await.expect("save again");
            store.save_stream_familiarity("b", 0.4, 100, now).await.expect("save");
            // A node not heard of for more than a day is left out.
            store.save_stream_familiarity("stale", 0.1, 1_000, now - FAMILIARITY_FRESH_FOR_MS - 1).await.expect("save");
            let figure = store.installation_familiarity(now).await.expect("read").expect("a figure");
            assert_eq!((figure.messages, figure.nodes), (400, 2), "{backend}: {figure:?}");
            assert!((figure.median_share - (0.6 * 300.0 + 0.4 * 100.0) / 400.0).abs() < 1e-6, "{backend}: {figure:?}");
            let later = now + FAMILIARITY_FRESH_FOR_MS + 1;
            assert_eq!(store.installation_familiarity(later).await.expect("read"), None, "{backend}: every figure too old");
        }
    }
}
