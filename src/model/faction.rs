//! The parties that control territory, with the colour the map gives them.

use std::fmt;

use super::Source;

/// A faction's identifier, such as `government` or `jaish-al-fatah`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(transparent)]
#[schema(example = "government")]
pub struct FactionId(String);

impl FactionId {
    /// Wraps an id that the loader has checked.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `#rrggbb` colour; always exactly that shape, lowercase.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Color(String);

impl Color {
    /// Parses `#rrggbb` (either case); anything else, including `#rgb` and names, is `None`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix('#')?;
        (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(s.to_ascii_lowercase()))
    }

    /// The colour as `#rrggbb`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A party to the conflict, as the data set describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faction {
    /// Its id, used in history entries.
    pub id: FactionId,
    /// Its name for readers.
    pub name: String,
    /// Its fill colour on the map.
    pub color: Color,
    /// Who it is, and over which period.
    pub description: String,
    /// Sources for the description (may be empty for a third party's data set).
    pub sources: Vec<Source>,
}

#[cfg(test)]
mod tests {
    use super::Color;

    #[test]
    fn colors_must_be_six_hex_digits() {
        assert_eq!(
            Color::parse("#D55E00").map(|c| c.as_str().to_owned()),
            Some("#d55e00".into())
        );
        for bad in ["D55E00", "#d55e0", "#d55e000", "#gggggg", "red", ""] {
            assert_eq!(Color::parse(bad), None, "{bad:?}");
        }
    }
}
