//! Dated, sourced events placed on the map (captures, withdrawals, offensives).

use super::{Date, LonLat, Precision, RegionId, Source};

/// Something that happened at a place on a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unique within the events file.
    pub id: String,
    /// When it happened.
    pub date: Date,
    /// How precisely the sources date it.
    pub precision: Precision,
    /// A one-line headline.
    pub title: String,
    /// What happened.
    pub description: String,
    /// The region it concerns, if any.
    pub region: Option<RegionId>,
    /// Where it happened (the town).
    pub location: LonLat,
    /// At least one source.
    pub sources: Vec<Source>,
}
