//! What every handler shares: the current data set, indexed, and its version; and, when
//! editing is enabled, the change log, the editors' tokens and the live feed.

use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::{Mutex, broadcast, watch};

use super::auth::Tokens;
use crate::edits::Replay;
use crate::engine::Engine;
use crate::geodata::Loaded;
use crate::model::Dataset;
use crate::store::{Store, StoreError};

/// Shared state. Cloning bumps reference counts.
#[derive(Clone)]
pub struct AppState {
    /// The data being served; replaced whole after each edit, so a reader never sees a
    /// half-applied change and never waits for a writer.
    current: Arc<ArcSwap<Snapshot>>,
    /// `None`: no change log, the server is read-only.
    editing: Option<Arc<Editing>>,
    /// Turns `true` when shutdown starts, so that streams end and in-flight requests can finish.
    closing: Arc<watch::Sender<bool>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("version", &self.snapshot().version)
            .field("editing", &self.editing.is_some())
            .finish_non_exhaustive()
    }
}

/// One data set with everything derived from it, never mutated after it is built.
#[derive(Debug)]
pub struct Snapshot {
    /// The spatial engine, which owns the data set.
    pub engine: Engine,
    /// Hash of the data files and the last change applied; part of every `ETag`.
    pub version: String,
    /// Each region's geometry as `GeoJSON` text, serialised once rather than per request.
    pub geometries: Vec<Box<serde_json::value::RawValue>>,
    /// Hash of the geodata files alone.
    pub files_version: String,
    /// Id of the last stored change applied (0: none).
    pub last_change: i64,
}

impl Snapshot {
    /// Indexes `dataset` (CPU-bound: call from the blocking pool for large data).
    ///
    /// # Panics
    /// Never in practice: serialising a valid polygon to JSON cannot fail.
    #[must_use]
    pub fn build(dataset: Dataset, files_version: String, last_change: i64) -> Self {
        let geometries = dataset
            .regions
            .iter()
            .map(|r| {
                let geometry = geojson::Geometry::from(&r.geometry);
                serde_json::value::to_raw_value(&geometry).expect("a polygon serialises")
            })
            .collect();
        let version = if last_change > 0 {
            format!("{files_version}-{last_change}")
        } else {
            files_version.clone()
        };
        Self {
            engine: Engine::new(dataset),
            version,
            geometries,
            files_version,
            last_change,
        }
    }
}

/// Everything writes need.
pub struct Editing {
    /// The durable change log.
    pub store: Arc<dyn Store>,
    /// Who may write.
    pub tokens: Tokens,
    /// Held while a write is stored and applied, so the log order and the order in which
    /// snapshots are installed agree. Holds the replay state (what each change touched).
    pub writer: Mutex<Replay>,
    /// Each committed change as JSON, for `GET /api/changes/stream`.
    pub feed: broadcast::Sender<Arc<str>>,
}

impl AppState {
    /// A read-only server over `loaded` (no change log).
    #[must_use]
    pub fn new(loaded: Loaded) -> Self {
        let snapshot = Snapshot::build(loaded.dataset, loaded.version, 0);
        Self {
            current: Arc::new(ArcSwap::from_pointee(snapshot)),
            editing: None,
            closing: Arc::new(watch::Sender::new(false)),
        }
    }

    /// A server that applies every change in `store` on top of `loaded`, and takes writes
    /// from the editors in `tokens` (read-only when there are none). Changes that no longer
    /// apply (a region dropped from the files) are logged and kept in the log.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn with_store(
        loaded: Loaded,
        store: Arc<dyn Store>,
        tokens: Tokens,
    ) -> Result<Self, StoreError> {
        let mut dataset = loaded.dataset;
        let replay = crate::edits::replay_all(store.as_ref(), &mut dataset).await?;
        let version = loaded.version;
        let last = replay.last_id;
        let snapshot = tokio::task::spawn_blocking(move || Snapshot::build(dataset, version, last))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?;
        let (feed, _) = broadcast::channel(1024);
        Ok(Self {
            current: Arc::new(ArcSwap::from_pointee(snapshot)),
            editing: Some(Arc::new(Editing {
                store,
                tokens,
                writer: Mutex::new(replay),
                feed,
            })),
            closing: Arc::new(watch::Sender::new(false)),
        })
    }

    /// The data set being served.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The change log and editors, when editing is set up.
    #[must_use]
    pub fn editing(&self) -> Option<&Arc<Editing>> {
        self.editing.as_ref()
    }

    /// Tells long-lived responses (the change stream) that the server is shutting down.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Watches for shutdown.
    #[must_use]
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Reloads the geodata files from `dir` and reapplies the stored changes on top, then
    /// swaps the result in. Invalid files are refused and the current data stays served.
    ///
    /// # Errors
    /// The full check report (or the store's error); nothing is changed then.
    pub async fn reload(&self, dir: &std::path::Path) -> Result<String, String> {
        let dir = dir.to_path_buf();
        let loaded = tokio::task::spawn_blocking(move || crate::geodata::load(&dir))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|report| format!("the new geodata is invalid, keeping the old:\n{report}"))?;
        let mut dataset = loaded.dataset;
        let (replay, _guard) = match &self.editing {
            Some(editing) => {
                // Hold the writer lock, so no edit lands between the replay and the swap.
                let mut guard = editing.writer.lock().await;
                let replay = crate::edits::replay_all(editing.store.as_ref(), &mut dataset)
                    .await
                    .map_err(|e| e.to_string())?;
                *guard = replay;
                (guard.last_id, Some(guard))
            }
            None => (0, None),
        };
        let summary = format!(
            "{} regions, {} events",
            dataset.regions.len(),
            dataset.events.len()
        );
        let version = loaded.version;
        let snapshot =
            tokio::task::spawn_blocking(move || Snapshot::build(dataset, version, replay))
                .await
                .map_err(|e| e.to_string())?;
        self.install(snapshot);
        Ok(summary)
    }

    /// Makes `snapshot` the data being served.
    pub fn install(&self, snapshot: Snapshot) {
        self.current.store(Arc::new(snapshot));
    }
}
