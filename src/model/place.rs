//! Named places (towns) for the map's labels and search box.

use super::LonLat;

/// A town with its names in English and, where known, Arabic.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Unique within the places file.
    pub id: String,
    /// English name.
    pub name: String,
    /// Arabic name, when the data set gives one.
    pub name_ar: Option<String>,
    /// The spelling in GeoNames, which the search box also matches.
    pub name_geonames: Option<String>,
    /// Where it is.
    pub location: LonLat,
    /// Labelled on the map at every zoom (a major town).
    pub major: bool,
    /// Where the name and position come from.
    pub source: String,
}
