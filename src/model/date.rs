//! Calendar dates: the one date type used everywhere, and how precise a date is.

use std::fmt;

/// A proleptic Gregorian calendar date with no time zone (`jiff::civil::Date`).
pub type Date = jiff::civil::Date;

/// How precisely a source dates a change. A `Month` or `Year` date is stored as the first day
/// of that month or year and shown as "August 2015" or "2015".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Known to the day.
    #[default]
    Day,
    /// Known to the month; the date is the 1st of the month.
    Month,
    /// Known to the year; the date is 1 January.
    Year,
}

impl Precision {
    /// Parses `day`, `month` or `year`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }

    /// Whether `date` is a legal value at this precision (the first of the month or year).
    #[must_use]
    pub fn fits(self, date: Date) -> bool {
        match self {
            Self::Day => true,
            Self::Month => date.day() == 1,
            Self::Year => date.day() == 1 && date.month() == 1,
        }
    }

    /// `date` in words at this precision: "20 August 2015", "August 2015" or "2015".
    #[must_use]
    pub fn describe(self, date: Date) -> String {
        match self {
            Self::Day => date.strftime("%-d %B %Y").to_string(),
            Self::Month => date.strftime("%B %Y").to_string(),
            Self::Year => date.strftime("%Y").to_string(),
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Day => "day",
            Self::Month => "month",
            Self::Year => "year",
        })
    }
}

/// Parses a strict `YYYY-MM-DD` calendar date; `None` for anything else, including
/// `2015-13-01`, `2015-02-30` and `2015-8-3`.
#[must_use]
pub fn parse_date(s: &str) -> Option<Date> {
    let bytes = s.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    s.parse::<Date>().ok()
}

/// Parses one instant of an OGC `datetime`: an RFC 3339 date-time (its UTC date is taken) or
/// a plain `YYYY-MM-DD` date.
#[must_use]
pub fn parse_instant(s: &str) -> Option<Date> {
    parse_date(s).or_else(|| {
        let ts: jiff::Timestamp = s.parse().ok()?;
        Some(ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
    })
}

/// An inclusive range of dates, either end open: the OGC API `datetime` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day, or unbounded (`..`).
    pub start: Option<Date>,
    /// Last day, or unbounded (`..`).
    pub end: Option<Date>,
}

impl DateRange {
    /// Parses `instant`, `a/b`, `../b`, `a/..` (an empty end counts as `..`). `None` when an
    /// instant is malformed, both ends are open, or the start is after the end.
    ///
    /// ```
    /// use frontline::model::DateRange;
    /// let r = DateRange::parse("2015-08-01T00:00:00Z/..").unwrap();
    /// assert_eq!(r.start.unwrap().to_string(), "2015-08-01");
    /// assert_eq!(r.end, None);
    /// assert!(DateRange::parse("../..").is_none());
    /// ```
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let end = |part: &str| match part {
            "" | ".." => Some(None),
            text => parse_instant(text).map(Some),
        };
        let range = match s.split_once('/') {
            None => {
                let d = parse_instant(s)?;
                Self {
                    start: Some(d),
                    end: Some(d),
                }
            }
            Some((a, b)) => Self {
                start: end(a)?,
                end: end(b)?,
            },
        };
        match (range.start, range.end) {
            (None, None) => None,
            (Some(a), Some(b)) if a > b => None,
            _ => Some(range),
        }
    }

    /// The single day, when the range is one instant.
    #[must_use]
    pub fn instant(&self) -> Option<Date> {
        match (self.start, self.end) {
            (Some(a), Some(b)) if a == b => Some(a),
            _ => None,
        }
    }

    /// Whether `date` lies in the range.
    #[must_use]
    pub fn contains(&self, date: Date) -> bool {
        self.start.is_none_or(|s| s <= date) && self.end.is_none_or(|e| date <= e)
    }

    /// Whether the period from `from` up to (not including) `until` meets the range.
    #[must_use]
    pub fn overlaps(&self, from: Date, until: Option<Date>) -> bool {
        self.end.is_none_or(|e| from <= e) && until.is_none_or(|u| self.start.is_none_or(|s| s < u))
    }
}

/// Today's date in UTC, the default for every "at" date.
#[must_use]
pub fn today_utc() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_calendar_dates_parse() {
        assert_eq!(
            parse_date("2015-08-20"),
            Some(jiff::civil::date(2015, 8, 20))
        );
        assert_eq!(
            parse_date("2016-02-29"),
            Some(jiff::civil::date(2016, 2, 29))
        );
        for bad in [
            "2015-13-01",
            "2015-02-30",
            "2015-02-29",
            "2015-8-3",
            "2015-08-20T00:00:00Z",
            "",
            "20150820",
            "yesterday",
            "+2015-08-2",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?} must not parse");
        }
    }

    #[test]
    fn datetime_ranges_follow_ogc() {
        let d = |y, m, day| jiff::civil::date(y, m, day);
        assert_eq!(
            DateRange::parse("2015-08-20").unwrap().instant(),
            Some(d(2015, 8, 20))
        );
        assert_eq!(
            DateRange::parse("2015-08-20T23:30:00Z").unwrap().instant(),
            Some(d(2015, 8, 20))
        );
        assert_eq!(
            DateRange::parse("2015-08-20T23:30:00-05:00")
                .unwrap()
                .instant(),
            Some(d(2015, 8, 21))
        );
        let open = DateRange::parse("../2015-08-20").unwrap();
        assert_eq!((open.start, open.end), (None, Some(d(2015, 8, 20))));
        assert!(open.contains(d(1990, 1, 1)) && !open.contains(d(2015, 8, 21)));
        assert_eq!(DateRange::parse("2015-01-01/").unwrap().end, None);
        for bad in [
            "../..",
            "/",
            "2015-13-01",
            "2016-01-01/2015-01-01",
            "yesterday/..",
            "",
        ] {
            assert_eq!(DateRange::parse(bad), None, "{bad:?}");
        }
        let r = DateRange::parse("2015-08-11/2015-08-20").unwrap();
        assert!(r.overlaps(d(2015, 8, 1), Some(d(2015, 8, 12))));
        assert!(
            !r.overlaps(d(2015, 8, 1), Some(d(2015, 8, 11))),
            "until is exclusive"
        );
        assert!(r.overlaps(d(2015, 8, 20), None));
        assert!(!r.overlaps(d(2015, 8, 21), None));
    }

    #[test]
    fn precision_describes_and_checks_dates() {
        let d = jiff::civil::date(2015, 8, 1);
        assert_eq!(
            Precision::Day.describe(jiff::civil::date(2015, 8, 20)),
            "20 August 2015"
        );
        assert_eq!(Precision::Month.describe(d), "August 2015");
        assert_eq!(
            Precision::Year.describe(jiff::civil::date(2012, 1, 1)),
            "2012"
        );
        assert!(Precision::Month.fits(d));
        assert!(!Precision::Year.fits(d));
        assert!(!Precision::Month.fits(jiff::civil::date(2015, 8, 2)));
        assert_eq!(Precision::parse("week"), None);
    }
}
