//! What `check` reports: every problem (the data is refused) and warning (the data is loaded,
//! normalised), each naming the file, the feature or faction, and what is wrong in plain words.

use std::fmt;

use crate::model::Date;

/// Which item of a file a problem is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// The file as a whole.
    File,
    /// A feature with this id.
    Feature(String),
    /// A feature without a usable id, by its position in `features` (from 0).
    FeatureIndex(usize),
    /// A faction with this id.
    Faction(String),
    /// A faction without a usable id, by its position in `factions` (from 0).
    FactionIndex(usize),
}

/// A place in the data set: a file name and an item in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name, such as `regions.geojson`.
    pub file: String,
    /// The item the message is about.
    pub item: Item,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::File => f.write_str("the file"),
            Item::Feature(id) => write!(f, "feature {id:?}"),
            Item::FeatureIndex(i) => write!(f, "feature #{i}"),
            Item::Faction(id) => write!(f, "faction {id:?}"),
            Item::FactionIndex(i) => write!(f, "faction #{i}"),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.item {
            Item::File => f.write_str(&self.file),
            item => write!(f, "{}: {item}", self.file),
        }
    }
}

/// What is wrong. The message says what and, within the item, where (a field path such as
/// `history[3].from`); [`Problem`] adds the file and item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A required file is not in the data directory.
    #[error("is missing")]
    Missing,
    /// The file exists but cannot be read.
    #[error("cannot be read: {0}")]
    Unreadable(String),
    /// The file is larger than the loader reads; it was not read.
    #[error(
        "is {bytes} bytes, more than the {limit} bytes a data file may have \
         (--max-data-file-bytes); not read"
    )]
    TooLarge {
        /// The file's size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The file holds more vertices than the loader reads; reading stopped early.
    #[error(
        "has more than the {limit} vertices a data file may have (--max-data-file-vertices): \
         reading stopped at {counted} vertices, in {features} of its {total} features"
    )]
    TooManyVertices {
        /// The limit.
        limit: usize,
        /// The vertices counted when reading stopped.
        counted: usize,
        /// The features read by then.
        features: usize,
        /// The features in the file.
        total: usize,
    },
    /// The text is not JSON.
    #[error("is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },
    /// The file, a feature or a faction is not a JSON object.
    #[error("is not a JSON object")]
    NotObject,
    /// A value has the wrong JSON type or shape.
    #[error(
        "{}{message}",
        if .path.is_empty() { String::new() } else { format!("{}: ", .path) }
    )]
    Shape {
        /// Where in the item, such as `history[2].factions` (a feature's properties are named
        /// without the leading `properties.`, like every other check names them); empty when
        /// the item itself is at fault, as with a repeated key.
        path: String,
        /// What was expected.
        message: String,
    },
    /// The top-level object or a feature has no `type`.
    #[error("type is missing, expected {expected:?}")]
    MissingType {
        /// What we need, such as `FeatureCollection`.
        expected: &'static str,
    },
    /// The top-level object or a feature has the wrong `type`.
    #[error("type is {found:?}, expected {expected:?}")]
    WrongType {
        /// What we need, such as `FeatureCollection`.
        expected: &'static str,
        /// What the file says.
        found: String,
    },
    /// The format version is not one we read.
    #[error("format version {0} is not supported (this frontline reads versions 1 and 2)")]
    Version(String),
    /// A file that must name its format version does not.
    #[error("has no version (this frontline reads versions 1 and 2)")]
    MissingVersion,
    /// A file's `version` differs from the format version `factions.json` declares.
    #[error("version {found} differs from the format version factions.json declares ({declared})")]
    VersionMismatch {
        /// What this file says.
        found: String,
        /// What `factions.json` says.
        declared: u8,
    },
    /// A file that only a later format version has.
    #[error("needs format version {needs}; factions.json declares version {declared}")]
    NeedsVersion {
        /// The version that introduced the file.
        needs: u8,
        /// What `factions.json` says.
        declared: u8,
    },
    /// A control area that does not meet the region it says it was traced for.
    #[error("region {id:?} does not meet the area (an area's region must be one it intersects)")]
    RegionMissed {
        /// The region named.
        id: String,
    },
    /// Two control areas say something from the same date about the same ground.
    #[error("states control from {from} over the same geometry as feature {first:?}")]
    SameStatement {
        /// The first feature with that date and geometry.
        first: String,
        /// The shared date.
        from: String,
    },
    /// A feature or faction has no id.
    #[error("has no id (every item needs a unique string id)")]
    MissingId,
    /// An id that is not a non-empty string of URL-safe characters.
    #[error("id {0} must be a string of letters, digits, '-', '_' or '.'")]
    BadId(String),
    /// Two items share an id.
    #[error("id is used more than once (first used by {first})")]
    DuplicateId {
        /// The first item with this id, by position.
        first: Item,
    },
    /// A required text field is absent or blank.
    #[error("{0} is missing or empty")]
    EmptyText(String),
    /// The feature has no geometry.
    #[error("has no geometry")]
    MissingGeometry,
    /// The geometry is of a kind this file does not take.
    #[error("geometry is a {found}, expected {expected}")]
    GeometryType {
        /// What the file needs.
        expected: &'static str,
        /// What the feature has.
        found: String,
    },
    /// A polygon without a single ring.
    #[error("{polygon} has no rings")]
    NoRings {
        /// Which polygon: `polygon`, or `polygon at index 1` in a `MultiPolygon`.
        polygon: String,
    },
    /// A ring has fewer than four positions.
    #[error("{ring} has {count} positions, needs at least 4 (a closed triangle)")]
    ShortRing {
        /// Which ring, such as `exterior ring`, `interior ring at index 0` or, in a
        /// `MultiPolygon`, `polygon at index 1: exterior ring` (the words `geo` uses).
        ring: String,
        /// How many positions it has.
        count: usize,
    },
    /// A ring's last position is not its first.
    #[error("{ring} is not closed: its last position differs from its first")]
    UnclosedRing {
        /// Which ring.
        ring: String,
    },
    /// A position of a ring is not a valid lon/lat pair.
    #[error("{ring} position {index}: {detail}")]
    BadPosition {
        /// Which ring.
        ring: String,
        /// Index of the position in the ring.
        index: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// An event's point is not a valid lon/lat pair.
    #[error("point: {0}")]
    BadPoint(String),
    /// The polygon is not valid (self-intersecting ring, hole outside its shell, …).
    #[error("invalid geometry: {0}")]
    InvalidGeometry(String),
    /// A date field is not a real `YYYY-MM-DD` date.
    #[error("{field} {value} is not a date (expected YYYY-MM-DD)")]
    BadDate {
        /// Such as `history[3].from`.
        field: String,
        /// The text found.
        value: String,
    },
    /// A precision that is not `day`, `month` or `year`.
    #[error("{field} {value:?} is not one of day, month, year")]
    BadPrecision {
        /// Such as `history[3].precision`.
        field: String,
        /// The text found.
        value: String,
    },
    /// A month- or year-precision date that is not the first day of its month or year.
    #[error("{field} {date} has precision {precision} but is not the first day of its {precision}")]
    PrecisionMismatch {
        /// Such as `history[3].from`.
        field: String,
        /// The date found.
        date: String,
        /// Its precision.
        precision: String,
    },
    /// A status that is not `held` or `contested`.
    #[error("{field} {value:?} is not one of held, contested")]
    UnknownStatus {
        /// Such as `history[3].status`.
        field: String,
        /// The text found.
        value: String,
    },
    /// The wrong number of factions for the status.
    #[error(
        "{} is {status} with {count} faction(s): held needs exactly 1, contested 2 or more",
        entry_name(.entry)
    )]
    FactionCount {
        /// The path of the entry with a trailing dot, such as `history[3].`; empty for an
        /// entry sent alone.
        entry: String,
        /// Its status.
        status: String,
        /// How many factions it names.
        count: usize,
    },
    /// A faction id that `factions.json` does not define.
    #[error("{field} {id:?} is not a faction defined in factions.json")]
    UnknownFaction {
        /// Such as `history[3].factions[1]`.
        field: String,
        /// The id found.
        id: String,
    },
    /// The same faction twice in one entry.
    #[error("{field} names faction {id:?} twice")]
    RepeatedFaction {
        /// Such as `history[3].factions`.
        field: String,
        /// The repeated id.
        id: String,
    },
    /// A history entry without a source.
    #[error("{} has no sources (every entry needs at least one)", entry_name(.entry))]
    NoSources {
        /// The path of the entry with a trailing dot, as for `FactionCount`.
        entry: String,
    },
    /// An event without a source.
    #[error(
        "sources is {} (every event needs at least one)",
        if *.absent { "missing" } else { "empty" }
    )]
    NoEventSources {
        /// Whether `sources` is absent, rather than an empty list.
        absent: bool,
    },
    /// A region without a `history` list.
    #[error("history is missing (use [] when control is unknown)")]
    MissingHistory,
    /// A source URL that is not `http(s)://…`.
    #[error("{field} {value:?} is not an http or https URL")]
    BadUrl {
        /// Such as `history[3].sources[0].url`.
        field: String,
        /// The text found.
        value: String,
    },
    /// History entries out of order.
    #[error("history[{index}].from {from} is before history[{}].from {previous}: history must be sorted by from", index - 1)]
    Unsorted {
        /// Index of the entry that is out of order.
        index: usize,
        /// Its date.
        from: String,
        /// The date of the entry before it.
        previous: String,
    },
    /// Two history entries on the same date.
    #[error("history[{index}].from {from} repeats the date of history[{}]", index - 1)]
    DuplicateFrom {
        /// Index of the second entry.
        index: usize,
        /// The shared date.
        from: String,
    },
    /// A `#rrggbb` colour was expected.
    #[error("color {0:?} is not #rrggbb")]
    BadColor(String),
    /// A reference to a region the data set does not have.
    #[error("{field} {id:?} is not a region in regions.geojson")]
    UnknownRegion {
        /// Such as `parent`.
        field: String,
        /// The id found.
        id: String,
    },
    /// Following `parent` links comes back to this region.
    #[error("parent chain loops back to this region")]
    ParentCycle,
    /// Following `parent` links runs into a loop that does not include this region.
    #[error("parent chain runs into a loop ({})", .ids.join(", "))]
    ParentLoop {
        /// The ids of the regions in the loop, in chain order from where the chain enters it.
        ids: Vec<String>,
    },
}

/// How a message names a history entry: by its path, or as "the entry" when it was sent alone.
fn entry_name(prefix: &str) -> &str {
    match prefix.strip_suffix('.') {
        Some(path) if !path.is_empty() => path,
        _ => "the entry",
    }
}

impl ProblemKind {
    /// Where in its item the problem is, as a dotted path such as `history[3].sources[0].url`
    /// (a feature's properties without the leading `properties.`, as the messages name them);
    /// empty when the item as a whole is at fault.
    #[must_use]
    pub fn path(&self) -> String {
        match self {
            Self::Missing
            | Self::Unreadable(_)
            | Self::TooLarge { .. }
            | Self::TooManyVertices { .. }
            | Self::Json { .. }
            | Self::NotObject
            | Self::MissingId
            | Self::BadId(_)
            | Self::DuplicateId { .. } => String::new(),
            Self::Shape { path, .. } => path.clone(),
            Self::MissingType { .. } | Self::WrongType { .. } => "type".into(),
            Self::Version(_)
            | Self::MissingVersion
            | Self::VersionMismatch { .. }
            | Self::NeedsVersion { .. } => "version".into(),
            Self::RegionMissed { .. } => "region".into(),
            Self::MissingGeometry
            | Self::SameStatement { .. }
            | Self::GeometryType { .. }
            | Self::NoRings { .. }
            | Self::ShortRing { .. }
            | Self::UnclosedRing { .. }
            | Self::BadPosition { .. }
            | Self::BadPoint(_)
            | Self::InvalidGeometry(_) => "geometry".into(),
            Self::EmptyText(field)
            | Self::BadDate { field, .. }
            | Self::BadPrecision { field, .. }
            | Self::PrecisionMismatch { field, .. }
            | Self::UnknownStatus { field, .. }
            | Self::UnknownFaction { field, .. }
            | Self::RepeatedFaction { field, .. }
            | Self::BadUrl { field, .. }
            | Self::UnknownRegion { field, .. } => field.clone(),
            Self::FactionCount { entry, .. } => format!("{entry}factions"),
            Self::NoSources { entry } => format!("{entry}sources"),
            Self::NoEventSources { .. } => "sources".into(),
            Self::MissingHistory => "history".into(),
            Self::Unsorted { index, .. } | Self::DuplicateFrom { index, .. } => {
                format!("history[{index}].from")
            }
            Self::BadColor(_) => "color".into(),
            Self::ParentCycle | Self::ParentLoop { .. } => "parent".into(),
        }
    }
}

/// A dotted path (`sources[0].url`) as an RFC 6901 JSON Pointer (`/sources/0/url`) below
/// `base` (a pointer itself, empty for the document).
#[must_use]
pub fn pointer(base: &str, path: &str) -> String {
    let mut out = base.to_owned();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indices) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push('/');
            out.push_str(&key.replace('~', "~0").replace('/', "~1"));
        }
        for index in indices.split('[').map(|i| i.trim_end_matches(']')) {
            if !index.is_empty() {
                out.push('/');
                out.push_str(index);
            }
        }
    }
    out
}

/// A problem that makes the data set unusable, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct Problem {
    /// File and item.
    pub location: Location,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// Something the loader accepted and normalised, or that the resolution rule makes of the
/// statements and an editor should look at; the data is valid all the same.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WarningKind {
    /// A ring wound the other way from RFC 7946's right-hand rule; reversed on load.
    #[error("{ring} is wound {found}; RFC 7946 wants it {wanted} (reversed on load)")]
    Winding {
        /// Which ring.
        ring: String,
        /// `clockwise` or `counter-clockwise`.
        found: &'static str,
        /// The opposite.
        wanted: &'static str,
    },
    /// Coordinates with more decimals than the ~1 m that 5 decimals give.
    #[error("coordinates have up to {0} decimals; 5 (about 1 m) is plenty")]
    Precision(usize),
    /// A statement the resolution rule never puts in force: on its own date, statements of the
    /// same date that win over it cover all of it (later ones only take over later).
    #[error(
        "{} from {from} is never in force: on that day statements of the same date that win \
         over it (smaller, or as large and first by the rule) cover all of it: {}; give it the \
         date its sources give, or remove it",
        statement_name(.entry),
        .winners.join(", ")
    )]
    NeverInForce {
        /// The history entry's path with a trailing dot (`history[3].`); empty for a control
        /// area.
        entry: String,
        /// Its date.
        from: Date,
        /// The ids of the statements that win over it, in the rule's order.
        winners: Vec<String>,
    },
    /// A region-wide entry that ends earlier, finer statements still in force in its region.
    #[error(
        "{} from {from} is about the whole region, so it ends {} still in force there the day \
         before: {}; that is right only when a source speaks of the whole region on {from}; \
         otherwise state the change with control areas over the ground the sources name",
        statement_name(.entry),
        count_statements(.masked.len()),
        .masked.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    )]
    MasksEarlier {
        /// The history entry's path with a trailing dot (`history[3].`).
        entry: String,
        /// Its date.
        from: Date,
        /// The statements it ends, by date.
        masked: Vec<Masked>,
    },
}

/// A statement a region-wide entry ends, and how much of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Masked {
    /// The statement's id: a control area's, or `<region>@<from>`.
    pub id: String,
    /// Its date.
    pub from: Date,
    /// Geodesic area of the part the entry takes over, km².
    pub km2: f64,
}

impl fmt::Display for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Small parts keep a second decimal, so that none reads "0.0 km²".
        let digits = if self.km2 < 1.0 { 2 } else { 1 };
        write!(
            f,
            "{} (from {}, {:.digits$} km²)",
            self.id, self.from, self.km2
        )
    }
}

/// How a warning names a statement: a history entry by its path, a control area (the feature
/// itself) as "the statement".
fn statement_name(prefix: &str) -> &str {
    match prefix.strip_suffix('.') {
        Some(path) if !path.is_empty() => path,
        _ => "the statement",
    }
}

/// "1 statement", "3 statements".
fn count_statements(n: usize) -> String {
    if n == 1 {
        "1 statement".into()
    } else {
        format!("{n} statements")
    }
}

/// A warning and where it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("warning: {location}: {kind}")]
pub struct Warning {
    /// File and item.
    pub location: Location,
    /// What was normalised.
    pub kind: WarningKind,
}

/// Everything `check` found: the data is valid when `problems` is empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Problems that make the data unusable, in file order.
    pub problems: Vec<Problem>,
    /// Normalisations applied on load (and, from `check`, what the rule makes of the
    /// statements).
    pub warnings: Vec<Warning>,
}

impl Report {
    /// Adds `other`'s problems and warnings after this one's.
    pub(crate) fn append(&mut self, other: Self) {
        self.problems.extend(other.problems);
        self.warnings.extend(other.warnings);
    }

    /// Whether the data can be used.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for Report {
    /// One line per problem, then one per warning.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        for w in &self.warnings {
            writeln!(f, "{w}")?;
        }
        Ok(())
    }
}

/// Collects problems and warnings about one item of one file.
pub(crate) struct Sink<'a> {
    location: Location,
    report: &'a mut Report,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(file: &str, item: Item, report: &'a mut Report) -> Self {
        Self {
            location: Location {
                file: file.to_owned(),
                item,
            },
            report,
        }
    }

    /// Records a problem.
    pub(crate) fn problem(&mut self, kind: ProblemKind) {
        self.report.problems.push(Problem {
            location: self.location.clone(),
            kind,
        });
    }

    /// Records a warning.
    pub(crate) fn warn(&mut self, kind: WarningKind) {
        self.report.warnings.push(Warning {
            location: self.location.clone(),
            kind,
        });
    }

    /// How many problems the whole report holds so far.
    pub(crate) fn problem_count(&self) -> usize {
        self.report.problems.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_become_json_pointers() {
        assert_eq!(pointer("", "sources[0].url"), "/sources/0/url");
        assert_eq!(
            pointer("", "history[3].factions[1]"),
            "/history/3/factions/1"
        );
        assert_eq!(pointer("/properties", "date"), "/properties/date");
        assert_eq!(pointer("/features/2", ""), "/features/2");
        assert_eq!(pointer("", "a/b.c~d"), "/a~1b/c~0d");
    }

    #[test]
    fn an_entry_is_named_by_its_path_or_as_the_entry() {
        let count = |entry: &str| ProblemKind::FactionCount {
            entry: entry.into(),
            status: "held".into(),
            count: 2,
        };
        assert!(
            count("history[3].")
                .to_string()
                .starts_with("history[3] is held")
        );
        assert!(count("").to_string().starts_with("the entry is held"));
        assert_eq!(count("history[3].").path(), "history[3].factions");
        assert_eq!(
            ProblemKind::NoSources {
                entry: String::new()
            }
            .path(),
            "sources"
        );
    }
}
