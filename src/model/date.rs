//! Calendar dates: the one date type used everywhere, and how precise a date is.

use std::fmt;

/// A proleptic Gregorian calendar date with no time zone (`jiff::civil::Date`).
pub type Date = jiff::civil::Date;

/// How precisely a source dates a change. A `Month` or `Year` date is stored as the first day
/// of that month or year and shown as "August 2015" or "2015".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
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
        assert_eq!(parse_date("2015-08-20"), Some(jiff::civil::date(2015, 8, 20)));
        assert_eq!(parse_date("2016-02-29"), Some(jiff::civil::date(2016, 2, 29)));
        for bad in ["2015-13-01", "2015-02-30", "2015-02-29", "2015-8-3", "2015-08-20T00:00:00Z", "", "20150820", "yesterday", "+2015-08-2"] {
            assert_eq!(parse_date(bad), None, "{bad:?} must not parse");
        }
    }

    #[test]
    fn precision_describes_and_checks_dates() {
        let d = jiff::civil::date(2015, 8, 1);
        assert_eq!(Precision::Day.describe(jiff::civil::date(2015, 8, 20)), "20 August 2015");
        assert_eq!(Precision::Month.describe(d), "August 2015");
        assert_eq!(Precision::Year.describe(jiff::civil::date(2012, 1, 1)), "2012");
        assert!(Precision::Month.fits(d));
        assert!(!Precision::Year.fits(d));
        assert!(!Precision::Month.fits(jiff::civil::date(2015, 8, 2)));
        assert_eq!(Precision::parse("week"), None);
    }
}
