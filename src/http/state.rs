//! What every handler shares: the current data set, indexed, and its version.

use std::sync::Arc;

use crate::engine::Engine;
use crate::geodata::Loaded;

/// Shared, read-only state. Cloning bumps a reference count.
#[derive(Debug, Clone)]
pub struct AppState {
    snapshot: Arc<Snapshot>,
}

/// One loaded data set with everything derived from it, never mutated after it is built.
#[derive(Debug)]
pub struct Snapshot {
    /// The spatial engine, which owns the data set.
    pub engine: Engine,
    /// Hash of the data files; part of every `ETag`.
    pub version: String,
    /// Each region's geometry as `GeoJSON` text, serialised once rather than per request.
    pub geometries: Vec<Box<serde_json::value::RawValue>>,
}

impl AppState {
    /// Indexes a loaded data set for serving.
    ///
    /// # Panics
    /// Never in practice: serialising a valid polygon to JSON cannot fail.
    #[must_use]
    pub fn new(loaded: Loaded) -> Self {
        let geometries = loaded
            .dataset
            .regions
            .iter()
            .map(|r| {
                let geometry = geojson::Geometry::from(&r.geometry);
                serde_json::value::to_raw_value(&geometry).expect("a polygon serialises")
            })
            .collect();
        Self {
            snapshot: Arc::new(Snapshot {
                engine: Engine::new(loaded.dataset),
                version: loaded.version,
                geometries,
            }),
        }
    }

    /// The data set being served.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot)
    }
}
