//! What every handler shares: the served data ([`Live`]) and who may change it.

use std::num::NonZeroUsize;
use std::sync::Arc;

use axum::http::HeaderMap;

use super::auth::Tokens;
use super::batch::FragmentPool;
use super::limits::Limits;
use super::problem::ApiError;
use crate::live::{Live, Snapshot};

/// Shared state. Cloning bumps reference counts.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The data and everything that changes it.
    live: Live,
    /// The editors; `None` when the server is read-only.
    editors: Option<Arc<Tokens>>,
    /// What requests may send and take.
    limits: Arc<Limits>,
    /// The JSON that batch answers repeat, kept between batches.
    fragments: Arc<FragmentPool>,
}

impl AppState {
    /// Serves `live`. The server takes edits only with both a change log and at least one
    /// editor token: that is the one definition of "read-only".
    #[must_use]
    pub fn new(live: Live, tokens: Tokens) -> Self {
        let editors = (live.keeps_log() && tokens.enabled()).then(|| Arc::new(tokens));
        Self {
            live,
            editors,
            limits: Arc::new(Limits::default()),
            fragments: Arc::default(),
        }
    }

    /// Serves with `limits` instead of the defaults.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = Arc::new(limits);
        self
    }

    /// What requests may send and take.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Most rows a CSV batch may have after its header.
    #[must_use]
    pub fn csv_rows(&self) -> NonZeroUsize {
        self.limits.csv_rows
    }

    /// The served data and its writers.
    #[must_use]
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The data being served now.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.live.snapshot()
    }

    /// The JSON of statements and regions earlier batches wrote from the data served now.
    #[must_use]
    pub fn fragments(&self) -> Arc<FragmentPool> {
        Arc::clone(&self.fragments)
    }

    /// Whether the server takes no edits.
    #[must_use]
    pub fn read_only(&self) -> bool {
        self.editors.is_none()
    }

    /// The editor a request's bearer token names, or why it may not write.
    pub(super) fn editor(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        self.editors
            .as_ref()
            .ok_or(ApiError::ReadOnly)?
            .author(headers)
    }
}
