//! One served state of the data, never mutated after it is built.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::applied::Applied;
use crate::engine::Engine;
use crate::model::Region;

/// The data being served at one moment, with everything derived from it.
#[derive(Debug)]
pub struct Snapshot {
    /// The spatial engine, which owns the data set.
    pub engine: Engine,
    /// Each region's geometry as `GeoJSON` text, serialised once rather than per request and
    /// shared by every snapshot with the same geometry.
    geometries: Arc<[Box<RawValue>]>,
    /// Hash of the data files and of which changes are applied; part of every `ETag`. Two
    /// servers sharing a change log serve the same version only with the same changes.
    pub version: String,
    /// Hash of the geodata files alone.
    pub files_version: String,
    /// The change this server has reached: every stored change up to it is applied (0: none).
    /// Some of this server's own later changes may be applied too.
    pub last_change: i64,
}

/// One region of a snapshot with what is derived from it.
#[derive(Debug, Clone, Copy)]
pub struct RegionRef<'a> {
    /// Its position in the data set (file order).
    pub index: usize,
    /// The region, with its history.
    pub region: &'a Region,
    /// Its geodesic area, km².
    pub area_km2: f64,
    /// Its geometry as `GeoJSON`.
    pub geometry: &'a RawValue,
}

impl Snapshot {
    /// The first snapshot of an engine: serialises every region's geometry (CPU-bound: call it
    /// from a blocking thread for large data).
    pub(super) fn build(engine: Engine, files_version: String, applied: &Applied) -> Self {
        let geometries = serialise(&engine);
        Self::with(engine, geometries, files_version, applied)
    }

    /// The snapshot after an edit or a reload: keeps the serialised geometry when the engine
    /// shares this one's spatial index (the geometry did not change).
    pub(super) fn next(&self, engine: Engine, files_version: String, applied: &Applied) -> Self {
        let geometries = if Arc::ptr_eq(engine.spatial(), self.engine.spatial()) {
            Arc::clone(&self.geometries)
        } else {
            serialise(&engine)
        };
        Self::with(engine, geometries, files_version, applied)
    }

    fn with(
        engine: Engine,
        geometries: Arc<[Box<RawValue>]>,
        files_version: String,
        applied: &Applied,
    ) -> Self {
        let last_change = applied.reached();
        let mut version = if last_change > 0 {
            format!("{files_version}-{last_change}")
        } else {
            files_version.clone()
        };
        for id in applied.ahead() {
            // Writing to a String cannot fail.
            let _ = write!(version, "+{id}");
        }
        Self {
            engine,
            geometries,
            version,
            files_version,
            last_change,
        }
    }

    /// The region at `index` (data-set order).
    ///
    /// # Panics
    /// When `index` is not below the number of regions.
    #[must_use]
    pub fn region(&self, index: usize) -> RegionRef<'_> {
        RegionRef {
            index,
            region: &self.engine.dataset().regions[index],
            area_km2: self.engine.area_km2(index),
            geometry: &self.geometries[index],
        }
    }

    /// The region with this id, in O(1).
    #[must_use]
    pub fn region_by_id(&self, id: &str) -> Option<RegionRef<'_>> {
        let index = self.engine.dataset().regions.index_of(id)?;
        Some(self.region(index))
    }
}

/// Every region's geometry as `GeoJSON` text.
fn serialise(engine: &Engine) -> Arc<[Box<RawValue>]> {
    engine
        .dataset()
        .regions
        .iter()
        .map(|r| {
            let geometry = geojson::Geometry::from(&r.geometry);
            serde_json::value::to_raw_value(&geometry).expect("a polygon serialises")
        })
        .collect()
}
