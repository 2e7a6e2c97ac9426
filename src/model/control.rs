//! Who controls a region from a date on, and who says so.

use std::fmt;

use super::{Date, FactionId, Precision};

/// Who holds a place: what a history entry says, or `Unknown` where no entry does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ControlStatus {
    /// Held by exactly one faction.
    Held,
    /// Fought over, or split by a front line, between two or more factions.
    Contested,
    /// No statement covers it (before a region's first history entry). Never written in a
    /// file: a file leaves a period out instead.
    Unknown,
}

impl ControlStatus {
    /// Parses the statuses a file may state: `held` or `contested`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "held" => Some(Self::Held),
            "contested" => Some(Self::Contested),
            _ => None,
        }
    }

    /// The status `entry` states, `Unknown` for none.
    #[must_use]
    pub fn of(entry: Option<&ControlEntry>) -> Self {
        entry.map_or(Self::Unknown, |e| e.status)
    }

    /// Whether `count` factions is the right number for this status (one, two or more, none).
    #[must_use]
    pub fn accepts_faction_count(self, count: usize) -> bool {
        match self {
            Self::Held => count == 1,
            Self::Contested => count >= 2,
            Self::Unknown => count == 0,
        }
    }

    /// The word used in files and answers.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Contested => "contested",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for ControlStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A published source backing a fact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Source {
    /// The title of the article, report or page.
    pub title: String,
    /// Where to read it (`http` or `https`).
    #[schema(format = "iri")]
    pub url: String,
    /// When it was published; `None` where the source shows no date (format 2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, example = "2015-08-11")]
    pub published: Option<Date>,
}

/// One entry of a region's history: from `from` on, the region is `status` by `factions`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ControlEntry {
    /// The first day this entry holds (the 1st of the month or year at coarser precision).
    #[schema(value_type = String, format = Date, example = "2015-08-11")]
    pub from: Date,
    /// How precisely the sources date the change.
    pub precision: Precision,
    /// Held or contested.
    pub status: ControlStatus,
    /// One faction when held, two or more when contested; all defined in the data set.
    pub factions: Vec<FactionId>,
    /// What happened and, where sources disagree or a front cut through, what is uncertain.
    pub note: String,
    /// At least one source.
    pub sources: Vec<Source>,
}

impl ControlEntry {
    /// The one faction holding the place, when the entry says `held`.
    #[must_use]
    pub fn holder(&self) -> Option<&FactionId> {
        (self.status == ControlStatus::Held)
            .then(|| self.factions.first())
            .flatten()
    }
}

#[cfg(test)]
impl ControlEntry {
    /// A sourceless `held` entry, for tests of code that only reads dates and factions.
    pub(crate) fn held_by(from: Date, faction: &str) -> Self {
        Self {
            from,
            precision: Precision::Day,
            status: ControlStatus::Held,
            factions: vec![FactionId::new(faction)],
            note: String::new(),
            sources: Vec::new(),
        }
    }
}
