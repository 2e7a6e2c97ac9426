//! WGS84 positions, longitude first (RFC 7946 order).

/// A WGS84 position in degrees, longitude first. Always finite and in range.
///
/// # Units
/// Degrees: longitude in `[-180, 180]`, latitude in `[-90, 90]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LonLat {
    /// Longitude, east positive.
    #[schema(minimum = -180, maximum = 180, example = 36.33867)]
    lon: f64,
    /// Latitude, north positive.
    #[schema(minimum = -90, maximum = 90, example = 35.68482)]
    lat: f64,
}

/// Why a pair of numbers is not a [`LonLat`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoordError {
    /// The longitude is NaN, infinite or outside `[-180, 180]`.
    #[error("longitude {0} is outside [-180, 180]")]
    Lon(f64),
    /// The latitude is NaN, infinite or outside `[-90, 90]`.
    #[error("latitude {0} is outside [-90, 90]")]
    Lat(f64),
}

impl LonLat {
    /// Checks that both values are finite and in range (`contains` is false for NaN).
    ///
    /// ```
    /// use frontline::model::LonLat;
    /// assert!(LonLat::new(36.33, 35.69).is_ok()); // the Ghab: longitude, latitude
    /// assert_eq!(LonLat::new(36.0, 95.0).unwrap_err().to_string(), "latitude 95 is outside [-90, 90]");
    /// ```
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::Lon(lon));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::Lat(lat));
        }
        Ok(Self { lon, lat })
    }

    /// Longitude in degrees.
    #[must_use]
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees.
    #[must_use]
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// The same position as a `geo` point (x = longitude, y = latitude).
    #[must_use]
    pub fn to_point(self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_infinity_are_rejected() {
        assert!(matches!(LonLat::new(f64::NAN, 0.0), Err(CoordError::Lon(v)) if v.is_nan()));
        assert!(matches!(LonLat::new(0.0, f64::NAN), Err(CoordError::Lat(v)) if v.is_nan()));
        assert!(matches!(
            LonLat::new(0.0, f64::INFINITY),
            Err(CoordError::Lat(_))
        ));
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(LonLat::new(-180.0, -90.0).is_ok_and(|p| p.lon() == -180.0 && p.lat() == -90.0));
        assert!(LonLat::new(180.0, 90.0).is_ok_and(|p| p.lon() == 180.0 && p.lat() == 90.0));
        assert_eq!(LonLat::new(180.5, 0.0), Err(CoordError::Lon(180.5)));
        assert_eq!(LonLat::new(-73.98, -90.1), Err(CoordError::Lat(-90.1)));
    }
}
