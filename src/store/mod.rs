//! Durable edits applied on top of the bundled geodata: an append-only log of changes behind
//! the [`Store`] trait. The only module that touches a database: SQLite in [`SqliteStore`],
//! PostgreSQL in [`PostgresStore`].
//!
//! The trait's methods return boxed futures, so an async driver (PostgreSQL, for several
//! replicas sharing one database) fits without changing callers; [`SqliteStore`] runs every
//! SQLite call on tokio's blocking pool.

mod migrations;
mod postgres;
mod sqlite;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use postgres::{ControlPiece, Existing, MapState, PostgresStore, is_postgres_url, redact};
pub use sqlite::SqliteStore;

/// A `Send` future borrowed from the store.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Adds or replaces a region's history entry (identified by region and `from`).
    Control,
    /// Adds an event.
    Event,
    /// Adds or replaces a control area (identified by its id).
    Area,
    /// Undoes an earlier change.
    Revert,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Control => "control",
            Self::Event => "event",
            Self::Area => "area",
            Self::Revert => "revert",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "control" => Some(Self::Control),
            "event" => Some(Self::Event),
            "area" => Some(Self::Area),
            "revert" => Some(Self::Revert),
            _ => None,
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change as a writer submits it; the store gives it an id and a time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    /// What it does.
    pub kind: ChangeKind,
    /// The region or event it changes.
    pub target: String,
    /// Which entry of the target: a control entry's `from` date, an event's id.
    pub key: String,
    /// The entry before the change (`None` when it adds one), in its file's form.
    pub before: Option<serde_json::Value>,
    /// The entry after the change (`None` when it removes one), in its file's form.
    pub after: Option<serde_json::Value>,
    /// Who made it (the token's name).
    pub author: String,
    /// For a revert, the change it undoes.
    pub reverts: Option<i64>,
    /// The version of the form `before` and `after` are written in; the store keeps it and
    /// never reads the payloads.
    pub form: u32,
}

/// A stored change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Position in the log; strictly increasing.
    pub id: i64,
    /// When it was committed.
    pub time: jiff::Timestamp,
    /// The change itself.
    pub change: NewChange,
}

/// A stored row as a driver read it, before the checks every store makes: its kind must be
/// known, its `before` and `after` JSON, its form a version number.
struct StoredRow {
    id: i64,
    time: Result<jiff::Timestamp, String>,
    kind: String,
    target: String,
    key: String,
    before: Option<String>,
    after: Option<String>,
    author: String,
    reverts: Option<i64>,
    form: i64,
}

impl StoredRow {
    /// The change the row holds; [`StoreError::Corrupt`] naming the row and what is wrong.
    fn into_change(self, store: &str) -> Result<Change, StoreError> {
        let id = self.id;
        let corrupt = |reason: String| StoreError::Corrupt {
            path: store.to_owned(),
            id,
            reason,
        };
        let json = |text: Option<String>, column: &str| {
            text.map(|t| {
                serde_json::from_str(&t).map_err(|e| corrupt(format!("{column} is not JSON: {e}")))
            })
            .transpose()
        };
        let form = self.form;
        Ok(Change {
            id,
            time: self.time.map_err(|why| corrupt(format!("time {why}")))?,
            change: NewChange {
                kind: ChangeKind::parse(&self.kind)
                    .ok_or_else(|| corrupt(format!("kind {:?}", self.kind)))?,
                target: self.target,
                key: self.key,
                before: json(self.before, "before")?,
                after: json(self.after, "after")?,
                author: self.author,
                reverts: self.reverts,
                form: u32::try_from(form).map_err(|_| corrupt(format!("form {form}")))?,
            },
        })
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("database {store}: {message}")]
    Database {
        /// The database: its file (or `:memory:`), or a PostgreSQL URL without its password.
        store: String,
        /// What the driver said.
        message: String,
        /// Why the database cannot be written for now, in a few words, when that is what
        /// failed (see [`StoreError::unavailable`]); classified by the driver's module.
        unavailable: Option<&'static str>,
    },
    /// The database was written by a newer frontline.
    #[error("database {path} has schema version {found}; this frontline knows up to {known}")]
    TooNew {
        /// The database file.
        path: String,
        /// Its `user_version`.
        found: i64,
        /// The newest schema this build knows.
        known: i64,
    },
    /// A stored row does not read back (hand-edited or corrupt).
    #[error("database {path}: change {id}: {reason}")]
    Corrupt {
        /// The database file.
        path: String,
        /// The row's id.
        id: i64,
        /// What is wrong with it.
        reason: String,
    },
    /// The blocking task running the query failed.
    #[error("database task failed: {0}")]
    Task(String),
    /// The entry changed since the writer read it: the latest stored change to it is not the
    /// one the writer based its change on (another server sharing the log wrote it).
    #[error(
        "{target} {key}: the latest change to this entry is {found}, not {base} as when it was read"
    )]
    Conflict {
        /// The region or item.
        target: String,
        /// The entry.
        key: String,
        /// The latest change to the entry the writer had seen (0: none).
        base: i64,
        /// The latest change to the entry in the log.
        found: i64,
    },
    /// A backup could not be made; a backup never replaces an existing file.
    #[error("cannot back up database {path} to {out}: {reason}")]
    Backup {
        /// The live database.
        path: String,
        /// The backup file asked for.
        out: String,
        /// What went wrong: the file exists, SQLite failed, or syncing it to disk failed.
        reason: String,
    },
}

impl StoreError {
    /// Why the database cannot be written for now, in a few words without its path, when
    /// that is what failed: it is locked by another process, read-only, out of space, failing
    /// I/O, or (a database server) unreachable, shutting down or refusing connections. The
    /// server then answers 503 to writes and goes on serving reads. `None` for every other
    /// error.
    #[must_use]
    pub fn unavailable(&self) -> Option<&'static str> {
        match self {
            Self::Database { unavailable, .. } => *unavailable,
            _ => None,
        }
    }
}

/// An append-only, durable log of changes.
pub trait Store: Send + Sync + 'static {
    /// Whether a write could start now, without writing anything; cheap enough to call every
    /// few seconds. The default says yes.
    fn probe(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }

    /// Appends `change` and returns it with its id and time, once it is durable, provided the
    /// latest stored change to the same entry (same `target` and `key`) is still `base` (0:
    /// none): the change's `before` was read from a state that had seen exactly up to `base`.
    /// Otherwise nothing is written and the answer is [`StoreError::Conflict`]. The check and
    /// the append are one atomic step, also against other processes sharing the log.
    fn append(&self, change: NewChange, base: i64) -> BoxFuture<'_, Result<Change, StoreError>>;

    /// Up to `limit` changes with id greater than `after`, in ascending id order.
    fn since(&self, after: i64, limit: usize) -> BoxFuture<'_, Result<Vec<Change>, StoreError>>;

    /// The change with this id, if any.
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<Change>, StoreError>>;

    /// Wakes its receivers whenever another process may have appended changes, with the
    /// highest change id announced so far; also after reconnecting, when announcements may
    /// have been missed. Receivers read [`Store::since`] to learn what is new. `None` (the
    /// default): the store announces nothing, and followers must poll.
    fn announcements(&self) -> Option<tokio::sync::watch::Receiver<i64>> {
        None
    }

    /// The geodata files' texts, when the store itself holds the data set (a database shared
    /// by several servers is the source of truth). `None` (the default): serve the files.
    fn geodata(&self) -> BoxFuture<'_, Result<Option<GeodataTexts>, StoreError>> {
        Box::pin(async { Ok(None) })
    }
}

/// The texts of a data set's files, as a store keeps them; parsed with the loader's checks by
/// [`crate::geodata::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeodataTexts {
    /// `factions.json`.
    pub factions: String,
    /// `regions.geojson`.
    pub regions: String,
    /// `events.geojson`, if the data set has one.
    pub events: Option<String>,
    /// `places.geojson`, if the data set has one.
    pub places: Option<String>,
    /// `control.geojson`, if the data set has one.
    pub control: Option<String>,
}

impl GeodataTexts {
    /// The texts as the loader takes them.
    #[must_use]
    pub fn texts(&self) -> crate::geodata::Texts<'_> {
        crate::geodata::Texts {
            factions: &self.factions,
            regions: &self.regions,
            events: self.events.as_deref(),
            places: self.places.as_deref(),
            control: self.control.as_deref(),
        }
    }
}
