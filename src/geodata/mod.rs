//! Reads and validates a geodata directory (`factions.json`, `regions.geojson`, optional
//! `events.geojson`, optional `places.geojson`) into a [`Dataset`]. The only code that reads geodata files.
//!
//! Validation happens once, here: every problem in every file is collected into a [`Report`]
//! (a value, so `check`, `query` and the server print the same thing), and nothing downstream
//! re-parses a string. The format is documented in `geodata/README.md`.

pub mod change;
mod geometry;
mod history;
mod parse;
mod report;
mod validity;
mod wire;
mod write;

use std::io::Read as _;
use std::path::Path;

use rayon::prelude::*;

pub use change::BodyProblem;
pub use report::{
    Item, Location, Masked, Problem, ProblemKind, Report, Warning, WarningKind, pointer,
};
pub use write::{WriteError, places_collection, write_dir};

use crate::model::{Dataset, Format};

/// The factions file name.
pub const FACTIONS: &str = "factions.json";
/// The regions file name.
pub const REGIONS: &str = "regions.geojson";
/// The events file name (optional in a data set).
pub const EVENTS: &str = "events.geojson";
/// The places file name (optional in a data set).
pub const PLACES: &str = "places.geojson";
/// The control areas file name (optional; format 2 and later).
pub const CONTROL: &str = "control.geojson";

/// A valid data set and the warnings its files drew.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The data, validated and normalised.
    pub dataset: Dataset,
    /// A short hash of the files' contents: changes whenever the data does.
    pub version: String,
    /// What was normalised on load (ring winding, coordinate precision).
    pub warnings: Vec<Warning>,
}

/// The texts of a data set's files, for validating data that is not on disk.
#[derive(Debug, Clone, Copy)]
pub struct Texts<'a> {
    /// `factions.json`.
    pub factions: &'a str,
    /// `regions.geojson`.
    pub regions: &'a str,
    /// `events.geojson`, if the data set has one.
    pub events: Option<&'a str>,
    /// `places.geojson`, if the data set has one.
    pub places: Option<&'a str>,
    /// `control.geojson`, if the data set has one.
    pub control: Option<&'a str>,
}

impl Texts<'_> {
    /// A 64-bit hash of the three texts, as 16 hex digits.
    fn version(&self) -> String {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut hasher = DefaultHasher::new();
        (
            self.factions,
            self.regions,
            self.events,
            self.places,
            self.control,
        )
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

/// How much geodata a load reads, so that a huge or runaway file is a clear error instead of
/// the process running out of memory. Each limit applies to each file on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataLimits {
    /// Largest data file, in bytes: a larger file is refused from its size, before it is read.
    pub file_bytes: u64,
    /// Most vertices a data file may hold (every position of a polygon's rings, closing ones
    /// included, and every point): counted while the features are read, which stops at the
    /// limit.
    pub file_vertices: usize,
}

impl DataLimits {
    /// 1 GiB and 25 million vertices a file: five times the largest file of the synthetic
    /// benchmark set of 100,000 regions of 48 vertices (310 MB, 4.9 million vertices).
    pub const DEFAULT: Self = Self {
        file_bytes: 1 << 30,
        file_vertices: 25_000_000,
    };
}

impl Default for DataLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The size and modification time of each data file in `dir` (`None` when absent): changes
/// whenever a file is written, so a watcher can tell when to reload.
#[must_use]
pub fn fingerprint(dir: &Path) -> Vec<Option<(std::time::SystemTime, u64)>> {
    [FACTIONS, REGIONS, EVENTS, PLACES, CONTROL]
        .iter()
        .map(|name| {
            let meta = std::fs::metadata(dir.join(name)).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// Reads and validates the data set in `dir`, within the default [`DataLimits`].
///
/// # Errors
/// A [`Report`] with every problem found (missing or unreadable files among them).
pub fn load(dir: &Path) -> Result<Loaded, Report> {
    load_within(dir, DataLimits::DEFAULT)
}

/// Reads and validates the data set in `dir`; a file over one of `limits` is a problem.
///
/// # Errors
/// A [`Report`] with every problem found (missing, unreadable or too large files among them).
pub fn load_within(dir: &Path, limits: DataLimits) -> Result<Loaded, Report> {
    let mut report = Report::default();
    let files = read_files(dir, limits, &mut report);
    let (Some(factions), Some(regions)) = (&files.factions, &files.regions) else {
        return Err(report);
    };
    let texts = Texts {
        factions,
        regions,
        events: files.events.as_deref(),
        places: files.places.as_deref(),
        control: files.control.as_deref(),
    };
    parse_into(texts, limits.file_vertices, report)
}

/// The texts of the data set's files in `dir`, unparsed, each at most `limits.file_bytes`
/// (to store them: a database shared by several servers holds the data set).
///
/// # Errors
/// A [`Report`] naming each required file that is missing and each file that cannot be read
/// or is too large.
pub fn read_texts(dir: &Path, limits: DataLimits) -> Result<crate::store::GeodataTexts, Report> {
    let mut report = Report::default();
    let GeodataFiles {
        factions,
        regions,
        events,
        places,
        control,
    } = read_files(dir, limits, &mut report);
    match (factions, regions) {
        (Some(factions), Some(regions)) if report.is_valid() => Ok(crate::store::GeodataTexts {
            factions,
            regions,
            events,
            places,
            control,
        }),
        _ => Err(report),
    }
}

/// Each file of a data set as read; `None` when it is missing or could not be read.
struct GeodataFiles {
    factions: Option<String>,
    regions: Option<String>,
    events: Option<String>,
    places: Option<String>,
    control: Option<String>,
}

/// Reads the data set's files in `dir`, each at most `limits.file_bytes`, adding to `report`
/// each required file that is missing and each file that cannot be read or is too large.
fn read_files(dir: &Path, limits: DataLimits, report: &mut Report) -> GeodataFiles {
    // Read on every core: reading is copying from the page cache and checking UTF-8.
    let names = [FACTIONS, REGIONS, EVENTS, PLACES, CONTROL];
    let texts: Vec<_> = names
        .par_iter()
        .map(|name| read_file(&dir.join(name), limits.file_bytes))
        .collect();
    // Problems in the files' order; fields are taken in the same order.
    let mut read = texts.into_iter().zip(names).map(|(text, name)| match text {
        Ok(text) => Some(text),
        Err(kind) => {
            let required = name == FACTIONS || name == REGIONS;
            if required || kind != ProblemKind::Missing {
                problem(report, name, kind);
            }
            None
        }
    });
    GeodataFiles {
        factions: read.next().flatten(),
        regions: read.next().flatten(),
        events: read.next().flatten(),
        places: read.next().flatten(),
        control: read.next().flatten(),
    }
}

/// The text of the file at `path`, at most `limit` bytes: a larger file is refused from its
/// size before anything is read (and one that grows past the limit while it is read, when
/// the read reaches it).
fn read_file(path: &Path, limit: u64) -> Result<String, ProblemKind> {
    let unreadable = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ProblemKind::Missing
        } else {
            ProblemKind::Unreadable(e.to_string())
        }
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let bytes = file.metadata().map_err(unreadable)?.len();
    if bytes > limit {
        return Err(ProblemKind::TooLarge { bytes, limit });
    }
    let mut text = String::with_capacity(usize::try_from(bytes).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(unreadable)?;
    let read = text.len() as u64;
    if read > limit {
        return Err(ProblemKind::TooLarge { bytes: read, limit });
    }
    Ok(text)
}

/// Validates a data set given as texts, within the default vertex limit; see [`load`].
///
/// # Errors
/// A [`Report`] with every problem found.
pub fn parse(texts: Texts<'_>) -> Result<Loaded, Report> {
    parse_into(texts, DataLimits::DEFAULT.file_vertices, Report::default())
}

/// Validates a data set given as texts, a file holding at most `limits.file_vertices`
/// vertices; see [`load_within`].
///
/// # Errors
/// A [`Report`] with every problem found.
pub fn parse_within(texts: Texts<'_>, limits: DataLimits) -> Result<Loaded, Report> {
    parse_into(texts, limits.file_vertices, Report::default())
}

fn parse_into(texts: Texts<'_>, max_vertices: usize, report: Report) -> Result<Loaded, Report> {
    // Hashing the texts (a serial pass over them all) overlaps the parsing.
    let (version, parsed) = rayon::join(|| texts.version(), || check(texts, max_vertices, report));
    let (dataset, warnings) = parsed?;
    Ok(Loaded {
        dataset,
        version,
        warnings,
    })
}

/// Parses and checks `texts`: the data set and its warnings, or every problem.
fn check(
    texts: Texts<'_>,
    max_vertices: usize,
    mut report: Report,
) -> Result<(Dataset, Vec<Warning>), Report> {
    let (factions, declared) = match parse::factions(texts.factions, &mut report) {
        Some((factions, declared)) => (Some(factions), declared),
        None => (None, None),
    };
    // With no usable declaration, check the other files by the newest rules, so that the one
    // problem reported is the version itself.
    let format = declared.unwrap_or(Format::LATEST);
    let faction_ids = factions.as_ref().map(|f| &f.ids);
    let rules = parse::Rules {
        format,
        max_vertices,
    };
    let regions = parse::regions(texts.regions, faction_ids, rules, &mut report);
    let events = match texts.events {
        Some(text) => parse::events(text, regions.as_ref().map(|r| &r.ids), rules, &mut report),
        None => Some(parse::Parsed::empty()),
    };
    let places = match texts.places {
        Some(text) => parse::places(text, rules, &mut report),
        None => Some(parse::Parsed::empty()),
    };
    let areas = match texts.control {
        Some(_) if format < Format::V2 => {
            problem(
                &mut report,
                CONTROL,
                ProblemKind::NeedsVersion {
                    needs: Format::V2.number(),
                    declared: format.number(),
                },
            );
            None
        }
        Some(text) => parse::areas(text, faction_ids, regions.as_ref(), rules, &mut report),
        None => Some(parse::Parsed::empty()),
    };
    match (factions, regions, events, places, areas) {
        (Some(factions), Some(regions), Some(events), Some(places), Some(areas))
            if factions.complete
                && regions.complete
                && events.complete
                && places.complete
                && areas.complete
                && report.is_valid() =>
        {
            let dataset = Dataset {
                format,
                factions: factions.items,
                regions: regions.items.into(),
                areas: areas.items.into(),
                events: events.items,
                places: places.items,
            };
            Ok((dataset, report.warnings))
        }
        _ => Err(report),
    }
}

fn problem(report: &mut Report, file: &str, kind: ProblemKind) {
    report.problems.push(Problem {
        location: Location {
            file: file.to_owned(),
            item: Item::File,
        },
        kind,
    });
}

#[cfg(test)]
mod tests;
