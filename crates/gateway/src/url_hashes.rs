//! The URL hash lists as this node holds them: compiled from the store
//! (`sluice urllist import`), reloaded when the store's version changes (checked
//! with the lists and rules at each MAIL FROM and every 5 s), judged at DATA by
//! `sluice_core::checks::url_hashes::UrlHashJudge`.

use std::sync::Arc;

use sluice_core::checks::url_hashes::{UrlHashLists, UrlList};

use crate::Gateway;

/// The `(list, hash)` pairs of stored rows; unreadable rows are logged and left out.
pub fn compile(rows: &[(String, String)]) -> UrlHashLists {
    UrlHashLists::new(rows.iter().filter_map(|(list, hex)| {
        let list = UrlList::parse(list);
        let hash = sluice_core::checks::url_hashes::parse_list_line(hex).and_then(Result::ok);
        if list.is_none() || hash.is_none() || hex.len() != 64 {
            tracing::error!(list = ?list, hash = %hex, "stored URL hash unreadable; ignored");
        }
        Some((list?, hash?))
    }))
}

impl Gateway {
    /// The URL hash lists in force on this node.
    pub fn url_hashes(&self) -> Arc<UrlHashLists> {
        self.url_hashes.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Reloads the URL hash lists when the store's version differs from the one
    /// held (`force`: whatever the version says).
    pub(crate) async fn refresh_url_hashes(&self, force: bool) -> Result<(), sluice_store::StoreError> {
        let held = || *self.url_hashes_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.store.url_hash_version().await?;
        if !force && held() == Some(version) {
            return Ok(());
        }
        let _reloading = self.policy_reload.lock().await;
        if !force && held() == Some(version) {
            return Ok(());
        }
        let rows = self.store.all_url_hashes().await?;
        let compiled = compile(&rows);
        tracing::info!(hashes = compiled.len(), version, "URL hash lists loaded");
        *self.url_hashes.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(compiled);
        *self.url_hashes_version.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(version);
        Ok(())
    }
}
