//! The JSON answer to a point query, exactly as `frontline query` prints it and the HTTP API
//! returns it. Built from the engine's borrowed results, serialised without copies.

use serde::Serialize;
use utoipa::ToSchema;

use crate::engine::{Answer, Engine, Hit, Nearest, RegionStatus, Scope, Share, Statement};
use crate::model::{
    ControlEntry, ControlStatus, Date, FactionId, LonLat, Precision, RegionId, Source,
};

/// An area as every answer gives it: km² to 0.1 km².
#[must_use]
pub fn km2(value: f64) -> f64 {
    // `+ 0.0` turns -0.0 (an empty sum) into 0.0.
    round_to(value, 10.0) + 0.0
}

/// Who controlled a point on a date, and who says so; the same JSON as `frontline query`
/// prints.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointAnswer<'a> {
    /// The queried position.
    pub point: LonLat,
    /// The date the control is given for.
    #[schema(value_type = String, format = Date, example = "2015-08-20")]
    pub at: Date,
    /// The statement in force at the point on the date (always present: `unknown`, with
    /// `statement: null`, where no statement covers the point).
    pub control: ControlAnswer<'a>,
    /// Every region containing the point, smallest first.
    pub regions: Vec<RegionAnswer<'a>>,
    /// The nearest region when `regions` is empty (and the data set has regions), else `null`.
    #[schema(required = true)]
    pub nearest: Option<NearestAnswer<'a>>,
    /// With `history=true`: every statement that ever covered the point, by date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<ControlAnswer<'a>>>,
}

/// What a point answer includes beyond the statement in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// Each region's shares on the date (and its summary status).
    pub shares: bool,
    /// Every statement that ever covered the point.
    pub history: bool,
}

impl Detail {
    /// Shares, no history: the point query's default.
    pub const POINT: Self = Self {
        shares: true,
        history: false,
    };
    /// Neither: a batch result's default.
    pub const BATCH: Self = Self {
        shares: false,
        history: false,
    };
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
    /// The region's control on the date summed up: `held` (one faction holds all the known
    /// land), `contested` (some of it is), `divided` (two or more factions, none contested) or
    /// `unknown`. Left out where shares are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<RegionStatus>,
    /// What each holder has of the region on the date, largest first; percentages sum to
    /// exactly 100.0. Left out of batch results unless `shares=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<Vec<ShareAnswer<'a>>>,
}

/// One holder's share of a region.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareAnswer<'a> {
    /// A faction id, `contested`, or `unknown` (land of the region no statement covers).
    #[schema(example = "government")]
    pub holder: &'a str,
    /// Geodesic area, km², to 0.1 km².
    pub km2: f64,
    /// Percent of the region, to 0.1.
    pub percent: f64,
}

/// A statement of control: what it says, since when, and who says so.
#[derive(Debug, Serialize, ToSchema)]
pub struct ControlAnswer<'a> {
    /// `held`, `contested`, or `unknown` where no statement covers the place.
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
    /// The statement: a control area's id or `<region>@<from>`, and its scope; `null` when
    /// unknown.
    #[schema(required = true)]
    pub statement: Option<StatementAnswer>,
}

/// Which statement an answer comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementAnswer {
    /// A control area's id, or `<region>@<from>` for a region-wide history entry.
    #[schema(example = "ghab-east-2015-08-09")]
    pub id: String,
    /// `area` or `region`.
    pub scope: Scope,
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
    /// Who controlled `point` on `at`, from `engine`, with the `detail` asked for.
    #[must_use]
    pub fn new(engine: &'a Engine, point: LonLat, at: Date, detail: Detail) -> Self {
        Self::of(engine, point, at, &engine.query(point, at), detail)
    }

    /// The answer for `answer`, what `engine.query(point, at)` gave (a batch computes the
    /// engine's answers for many points in another order than it writes them).
    #[must_use]
    pub fn of(
        engine: &'a Engine,
        point: LonLat,
        at: Date,
        answer: &Answer<'a>,
        detail: Detail,
    ) -> Self {
        Self {
            point,
            at,
            control: ControlAnswer::of(answer.control.as_ref()),
            regions: answer
                .regions
                .iter()
                .map(|hit| RegionAnswer::new(engine, hit, at, detail.shares))
                .collect(),
            nearest: answer.nearest.as_ref().map(NearestAnswer::new),
            history: detail.history.then(|| {
                engine
                    .history_at(point)
                    .iter()
                    .map(|s| ControlAnswer::of(Some(s)))
                    .collect()
            }),
        }
    }
}

impl<'a> ControlAnswer<'a> {
    /// What `statement` says, or `unknown` for `None`.
    #[must_use]
    pub fn of(statement: Option<&Statement<'a>>) -> Self {
        match statement {
            None => Self::unknown(),
            Some(s) => Self {
                statement: Some(StatementAnswer {
                    id: s.id.to_string(),
                    scope: s.scope(),
                }),
                ..Self::entry(s.control)
            },
        }
    }

    /// What a history entry says, with no statement id (the region's own history lists them).
    #[must_use]
    pub fn entry(entry: &'a ControlEntry) -> Self {
        Self {
            status: entry.status,
            factions: &entry.factions,
            since: Some(entry.from),
            precision: Some(entry.precision),
            note: Some(&entry.note),
            sources: &entry.sources,
            statement: None,
        }
    }

    /// Control unknown: no statement covers the place.
    #[must_use]
    pub fn unknown() -> Self {
        Self {
            status: ControlStatus::Unknown,
            factions: &[],
            since: None,
            precision: None,
            note: None,
            sources: &[],
            statement: None,
        }
    }
}

impl<'a> RegionAnswer<'a> {
    /// The region `hit` of an answer on `at`, with its shares when `shares` (then `engine`
    /// flattens the control map of `at`).
    #[must_use]
    pub fn new(engine: &'a Engine, hit: &Hit<'a>, at: Date, shares: bool) -> Self {
        let shares = shares.then(|| engine.shares(hit.index, at));
        Self {
            id: &hit.region.id,
            name: &hit.region.name,
            parent: hit.region.parent.as_ref(),
            area_km2: km2(hit.area_km2),
            status: shares.as_deref().map(RegionStatus::of),
            shares: shares.map(|shares| shares.iter().map(ShareAnswer::new).collect()),
        }
    }
}

impl<'a> ShareAnswer<'a> {
    /// The share as answers give it.
    #[must_use]
    pub fn new(share: &Share<'a>) -> Self {
        Self {
            holder: share.holder.as_str(),
            km2: km2(share.km2),
            percent: share.percent,
        }
    }
}

impl<'a> NearestAnswer<'a> {
    /// The nearest region as answers give it: the distance to 10 m.
    #[must_use]
    pub fn new(nearest: &Nearest<'a>) -> Self {
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
