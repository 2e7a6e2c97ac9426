//! The JSON answer to a point query, exactly as `frontline query` prints it and the HTTP API
//! returns it. Built from the engine's borrowed results, serialised without copies.

use serde::Serialize;
use utoipa::ToSchema;

use crate::engine::{Answer, Hit, Nearest};
use crate::model::{
    ControlEntry, ControlStatus, Date, FactionId, LonLat, Precision, RegionId, Source,
};

/// An area as every answer gives it: km² to 0.1 km².
#[must_use]
pub fn km2(value: f64) -> f64 {
    round_to(value, 10.0)
}

/// Who controlled a point on a date: `{"point","at","regions","nearest"}`, the same JSON as
/// `frontline query` prints.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointAnswer<'a> {
    /// The queried position.
    pub point: LonLat,
    /// The date the control is given for.
    #[schema(value_type = String, format = Date, example = "2015-08-20")]
    pub at: Date,
    /// Every region containing the point, smallest first.
    pub regions: Vec<RegionAnswer<'a>>,
    /// The nearest region when `regions` is empty (and the data set has regions), else `null`.
    #[schema(required = true)]
    pub nearest: Option<NearestAnswer<'a>>,
}

/// One region containing the point.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionAnswer<'a> {
    /// Region id.
    pub id: &'a RegionId,
    /// Region name.
    pub name: &'a str,
    /// The region this one lies in, if it is a sub-region.
    #[schema(required = true)]
    pub parent: Option<&'a RegionId>,
    /// Geodesic area, km², to 0.1 km².
    pub area_km2: f64,
    /// Who controlled it on `at`.
    pub control: ControlAnswer<'a>,
}

/// The control of a region on a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct ControlAnswer<'a> {
    /// `held`, `contested`, or `unknown` before the region's first history entry.
    #[schema(example = "contested")]
    pub status: ControlStatus,
    /// The controlling faction(s); empty when unknown.
    pub factions: &'a [FactionId],
    /// First day of this status, `null` when unknown.
    #[schema(required = true, value_type = Option<String>, format = Date, example = "2015-08-11")]
    pub since: Option<Date>,
    /// How precisely `since` is known.
    #[schema(required = true)]
    pub precision: Option<Precision>,
    /// What the sources say, including uncertainty.
    #[schema(required = true)]
    pub note: Option<&'a str>,
    /// Who says so.
    pub sources: &'a [Source],
}

/// The nearest region to a point outside all regions.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearestAnswer<'a> {
    /// Region id.
    pub id: &'a RegionId,
    /// Region name.
    pub name: &'a str,
    /// Geodesic distance to its boundary, km, to 10 m.
    pub distance_km: f64,
}

impl<'a> PointAnswer<'a> {
    /// Shapes the engine's answer for `point` on `at`.
    #[must_use]
    pub fn new(point: LonLat, at: Date, answer: &Answer<'a>) -> Self {
        Self {
            point,
            at,
            regions: answer.regions.iter().map(RegionAnswer::new).collect(),
            nearest: answer.nearest.as_ref().map(NearestAnswer::new),
        }
    }
}

impl<'a> ControlAnswer<'a> {
    /// The control given by a history entry, or `unknown` for `None`.
    #[must_use]
    pub fn new(entry: Option<&'a ControlEntry>) -> Self {
        match entry {
            None => ControlAnswer {
                status: ControlStatus::Unknown,
                factions: &[],
                since: None,
                precision: None,
                note: None,
                sources: &[],
            },
            Some(entry) => ControlAnswer {
                status: entry.status,
                factions: &entry.factions,
                since: Some(entry.from),
                precision: Some(entry.precision),
                note: Some(&entry.note),
                sources: &entry.sources,
            },
        }
    }
}

impl<'a> RegionAnswer<'a> {
    fn new(hit: &Hit<'a>) -> Self {
        let control = ControlAnswer::new(hit.control);
        Self {
            id: &hit.region.id,
            name: &hit.region.name,
            parent: hit.region.parent.as_ref(),
            area_km2: km2(hit.area_km2),
            control,
        }
    }
}

impl<'a> NearestAnswer<'a> {
    fn new(nearest: &Nearest<'a>) -> Self {
        Self {
            id: &nearest.region.id,
            name: &nearest.region.name,
            distance_km: round_to(nearest.distance_km, 100.0),
        }
    }
}

/// Rounds to `1 / per_unit` (e.g. `per_unit = 10.0` keeps one decimal).
fn round_to(value: f64, per_unit: f64) -> f64 {
    (value * per_unit).round() / per_unit
}
