//! The one owner of the served data: the current [`Snapshot`], the change log, the writer lock,
//! the change feed, reloads and shutdown.
//!
//! Everything that serves data opens it here: `frontline serve` (through [`crate::http`]),
//! `query --db` and `export`. The pipeline is:
//! 1. [`Live::open`] indexes the geodata (the [`Engine`]) and replays every stored change on
//!    top, each read in its stored form with the loader's checks;
//! 2. a write ([`Live::put_control`], [`Live::put_event`], [`Live::revert`]) takes the writer
//!    lock, reads the item once, takes its `before` from the current state, appends the change
//!    durably, applies it to a copy of the data that shares the spatial index, installs the new
//!    snapshot and announces the change to subscribers;
//! 3. [`Live::follow`] applies the changes other servers sharing the change log commit: woken
//!    by the store's announcements and by polling, it reads the log after the change this
//!    server has reached, applies what it has not applied yet under the writer lock and
//!    announces it, as a write does (a write catches up the same way first);
//! 4. [`Live::reload`] swaps in new geodata files with the log replayed on top, rebuilding only
//!    the shapes whose geometry changed;
//! 5. [`Live::close`] ends every subscription and the follower, so a server can shut down with
//!    streams open.
//!
//! Readers never wait: [`Live::snapshot`] is a lock-free load of an `Arc`. Only writers (and the
//! follower) take the lock, so snapshots are installed in the order changes are applied, and
//! [`applied`] tracks exactly which changes that is.

mod applied;
mod follow;
mod health;
mod replay;
mod snapshot;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::{Mutex, MutexGuard, broadcast, watch};
use tokio_stream::{Stream, StreamExt};

use crate::engine::{Edit, Engine};
use crate::geodata::change::{self, BodyProblem, FORM};
use crate::geodata::{self, DataLimits, Loaded, Report};
use crate::model::parse_date;
use crate::store::{Change, ChangeKind, NewChange, Store, StoreError};
use applied::Applied;
pub use follow::DEFAULT_POLL;
pub use health::{DbError, DbHealth, DbState};
use replay::{Effect, Replay};
pub use snapshot::{RegionRef, Snapshot};

/// How many changes a slow subscriber may fall behind before it misses some.
const FEED_CAPACITY: usize = 1024;
/// How many stored changes are read at a time while replaying.
const REPLAY_PAGE: usize = 10_000;

/// Why a write, a reload or opening the data failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// There is no change log to write to.
    #[error("this data is served without a change log, so it takes no edits")]
    NoLog,
    /// The region, event or change named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The item sent is invalid; one entry per problem.
    #[error("the item is invalid: {}", .0.iter().map(|p| p.detail.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<BodyProblem>),
    /// The write would undo or overwrite a later change.
    #[error("{0}")]
    Conflict(String),
    /// New geodata files did not pass the checks; the old data stays served.
    #[error("the new geodata is invalid, keeping the old:\n{0}")]
    InvalidData(Report),
    /// The change log cannot be written for now (locked by another process, read-only, out of
    /// space); the data is still served.
    #[error("the edits database is unavailable: {0}")]
    Unavailable(&'static str),
    /// The change log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A change was stored but could not be applied; it stays in the log.
    #[error("change {id} was stored but could not be applied: {reason}")]
    Apply {
        /// The stored change.
        id: i64,
        /// Why.
        reason: String,
    },
    /// A background task (indexing, loading) panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

/// What a write did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The item already said exactly this; nothing was stored.
    Unchanged {
        /// The region or event it names.
        target: String,
        /// The entry (a history entry's `from`, an event's id).
        key: String,
    },
    /// The change was stored, applied and announced.
    Committed(Arc<Change>),
}

/// The served data and everything that changes it. Cloning shares it.
#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    /// What readers see; replaced whole, so no reader sees half a change or waits for one.
    current: ArcSwap<Snapshot>,
    /// The durable log of edits; `None` serves the files as they are and takes no edits.
    store: Option<Arc<dyn Store>>,
    /// Held while a change is stored and applied (and during a reload, and while the log is
    /// read and applied); holds what each applied change was about, for reverts, and exactly
    /// which changes are applied.
    writer: Mutex<Replay>,
    /// Every change applied after start-up, in the order it was applied: this server's own
    /// when committed, other servers' when read from the log.
    feed: broadcast::Sender<Arc<Change>>,
    /// Turns `true` on [`Live::close`].
    closing: watch::Sender<bool>,
    /// Whether the change log takes writes, as last seen.
    db: health::Tracker,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("version", &self.snapshot().version)
            .field("log", &self.keeps_log())
            .finish_non_exhaustive()
    }
}

impl Live {
    /// Serves `loaded` as it is, with no change log: it takes no edits. Indexes the data on the
    /// calling thread.
    #[must_use]
    pub fn new(loaded: Loaded) -> Self {
        let snapshot = Snapshot::new(
            Engine::new(loaded.dataset),
            loaded.version,
            &Applied::default(),
        );
        Self::from_parts(snapshot, None, Replay::default())
    }

    /// Serves `loaded` with every change in `store` applied on top, and takes edits into it.
    /// Changes that no longer apply (a region dropped from the files) are logged and kept in
    /// the log. The indexing runs on the blocking pool.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn open(loaded: Loaded, store: Arc<dyn Store>) -> Result<Self, LiveError> {
        let Loaded {
            dataset, version, ..
        } = loaded;
        let engine = blocking(move || Engine::new(dataset)).await?;
        let mut replay = Replay::default();
        let engine = read_log(store.as_ref(), &engine, &mut replay, |_| false)
            .await
            .into_engine(engine)?
            .0;
        let applied = replay.applied.clone();
        let snapshot = Snapshot::new(engine, version, &applied);
        Ok(Self::from_parts(snapshot, Some(store), replay))
    }

    fn from_parts(snapshot: Snapshot, store: Option<Arc<dyn Store>>, replay: Replay) -> Self {
        Self {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(snapshot),
                writer: Mutex::new(replay),
                db: health::Tracker::new(if store.is_some() {
                    DbState::Ok
                } else {
                    DbState::None
                }),
                store,
                feed: broadcast::channel(FEED_CAPACITY).0,
                closing: watch::Sender::new(false),
            }),
        }
    }

    /// The data being served now. Never waits.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.current.load_full()
    }

    /// Whether edits are kept (there is a change log).
    #[must_use]
    pub fn keeps_log(&self) -> bool {
        self.inner.store.is_some()
    }

    fn store(&self) -> Result<&Arc<dyn Store>, LiveError> {
        self.inner.store.as_ref().ok_or(LiveError::NoLog)
    }

    /// The change log, for a write: refused at once while a write failed for the database
    /// being unavailable moments ago, so writers do not queue behind a lock.
    fn writable(&self) -> Result<&Arc<dyn Store>, LiveError> {
        let store = self.store()?;
        match self.inner.db.refusal() {
            Some(reason) => Err(LiveError::Unavailable(reason)),
            None => Ok(store),
        }
    }

    /// `error` from a write, with the database's health updated: an unavailable database is
    /// [`LiveError::Unavailable`].
    fn write_failed(&self, error: StoreError) -> LiveError {
        if let StoreError::Conflict { .. } = error {
            return LiveError::Conflict(format!(
                "{error}: another server sharing the change log wrote it; read it again and retry"
            ));
        }
        match error.unavailable() {
            Some(reason) => {
                tracing::warn!("a write failed: {error}");
                self.inner.db.failed(reason, true);
                LiveError::Unavailable(reason)
            }
            None => LiveError::Store(error),
        }
    }

    /// Whether the change log takes writes, as the last write or probe found; no I/O.
    #[must_use]
    pub fn db_health(&self) -> DbHealth {
        self.inner.db.get()
    }

    /// Checks whether the change log could take a write now (without writing) and records
    /// the answer for [`Live::db_health`]; nothing without a change log. The server calls it
    /// every few seconds, so the health check notices a locked database with no writes.
    pub async fn probe_store(&self) {
        let Some(store) = &self.inner.store else {
            return;
        };
        match store.probe().await {
            Ok(()) => self.inner.db.ok(),
            Err(e) => {
                if let Some(reason) = e.unavailable() {
                    self.inner.db.failed(reason, false);
                } else {
                    tracing::warn!("the database probe failed: {e}");
                }
            }
        }
    }

    /// Puts a history entry (`json`, in the form of `regions.geojson`) into region `region`,
    /// replacing the entry with the same `from`.
    ///
    /// # Errors
    /// No such region, an invalid entry (every problem), or the store failed.
    pub async fn put_control(
        &self,
        region: &str,
        json: &str,
        author: &str,
    ) -> Result<Outcome, LiveError> {
        self.writable()?;
        let mut writer = self.inner.writer.lock().await;
        let current = self.caught_up(&mut writer).await?;
        let data = current.engine.dataset();
        if data.region(region).is_none() {
            return Err(LiveError::NotFound(format!("no region {region:?}")));
        }
        let entry = change::control_entry(json, &replay::faction_ids(data), data.format)
            .map_err(LiveError::Invalid)?;
        let key = entry.from.to_string();
        let before = data.control_entry(region, entry.from);
        if before == Some(&entry) {
            return Ok(Outcome::Unchanged {
                target: region.to_owned(),
                key,
            });
        }
        let new = NewChange {
            kind: ChangeKind::Control,
            target: region.to_owned(),
            key,
            before: before.map(change::control_entry_form),
            after: Some(change::control_entry_form(&entry)),
            author: author.to_owned(),
            reverts: None,
            form: FORM,
        };
        let effect = Effect::PutControl {
            region: region.to_owned(),
            entry,
        };
        self.commit(&mut writer, &current, new, ChangeKind::Control, effect)
            .await
    }

    /// Adds an event (`json`, a feature in the form of `events.geojson`), or replaces the one
    /// with its id.
    ///
    /// # Errors
    /// An invalid event (every problem), or the store failed.
    pub async fn put_event(&self, json: &str, author: &str) -> Result<Outcome, LiveError> {
        self.writable()?;
        let mut writer = self.inner.writer.lock().await;
        let current = self.caught_up(&mut writer).await?;
        let data = current.engine.dataset();
        let is_region = |id: &str| data.regions.index_of(id).is_some();
        let event = change::event(json, &is_region, data.format).map_err(LiveError::Invalid)?;
        let before = data.event(&event.id).map(change::event_form);
        let after = change::event_form(&event);
        let new = item_change(ChangeKind::Event, &event.id, before, after, author);
        self.commit(
            &mut writer,
            &current,
            new,
            ChangeKind::Event,
            Effect::PutEvent(event),
        )
        .await
    }

    /// Adds a control area (`json`, a feature in the form of `control.geojson`), or replaces the
    /// one with its id. Replacing needs `base`, the id of the last change to that area the
    /// editor saw (0 for an area only the files hold): if another change came since, the
    /// answer is a conflict, unless `force`.
    ///
    /// # Errors
    /// An invalid area (every problem), a conflict, or the store failed.
    pub async fn put_area(
        &self,
        json: &str,
        author: &str,
        base: Option<i64>,
        force: bool,
    ) -> Result<Outcome, LiveError> {
        self.writable()?;
        let mut writer = self.inner.writer.lock().await;
        let current = self.caught_up(&mut writer).await?;
        let data = current.engine.dataset();
        let region = |id: &str| data.region(id).map(|r| &r.geometry);
        let area = change::area(json, &replay::faction_ids(data), &region, data.format)
            .map_err(LiveError::Invalid)?;
        if data.format < crate::model::Format::V2 {
            return Err(LiveError::Invalid(vec![BodyProblem {
                pointer: String::new(),
                detail: "this data set is format 1, which has no control areas".into(),
            }]));
        }
        if let Some(twin) = data.areas.iter().find(|a| {
            a.id != area.id && a.control.from == area.control.from && a.geometry == area.geometry
        }) {
            return Err(LiveError::Invalid(vec![BodyProblem {
                pointer: "/geometry".into(),
                detail: format!(
                    "control area {:?} already states control from {} over the same geometry",
                    twin.id, area.control.from
                ),
            }]));
        }
        let before = data.area(&area.id);
        let latest = writer.latest(ChangeKind::Area, &area.id);
        if (before.is_some() || latest > 0) && !force && base != Some(latest) {
            return Err(LiveError::Conflict(format!(
                "control area {:?} was last changed by change {latest}; send base={latest} to \
                 replace it after reading it, or force=true",
                area.id
            )));
        }
        if before == Some(&area) {
            return Ok(Outcome::Unchanged {
                target: area.id.clone(),
                key: area.id,
            });
        }
        let after = change::area_form(&area);
        let new = item_change(
            ChangeKind::Area,
            &area.id,
            before.map(change::area_form),
            after,
            author,
        );
        self.commit(
            &mut writer,
            &current,
            new,
            ChangeKind::Area,
            Effect::PutArea(area),
        )
        .await
    }

    /// Undoes change `id` with a new change that puts back what it replaced. Refused when a
    /// later change touched the same item, unless `force`.
    ///
    /// # Errors
    /// No such change, a later change on the same item (without `force`), an item that can no
    /// longer be put back as it was, or the store failed.
    pub async fn revert(&self, id: i64, force: bool, author: &str) -> Result<Outcome, LiveError> {
        let store = self.writable()?;
        let mut writer = self.inner.writer.lock().await;
        let current = self.caught_up(&mut writer).await?;
        let target = store
            .get(id)
            .await
            .map_err(|e| self.write_failed(e))?
            .ok_or_else(|| LiveError::NotFound(format!("no change {id}")))?;
        let t = &target.change;
        let newer = writer.last_touch(&t.target, &t.key);
        if !force && newer > id {
            return Err(LiveError::Conflict(format!(
                "change {id} was superseded by change {newer} on the same entry; add ?force=true to revert it anyway"
            )));
        }
        let data = current.engine.dataset();
        let subject = writer
            .subject_of(&target)
            .map_err(|why| LiveError::Conflict(format!("change {id} cannot be reverted: {why}")))?;
        // What the item is now (the revert's `before`), and what it goes back to: read in the
        // form the reverted change was stored in, written in today's.
        let before = match subject {
            ChangeKind::Area => data.area(&t.key).map(change::area_form),
            ChangeKind::Control => parse_date(&t.key)
                .and_then(|from| data.control_entry(&t.target, from))
                .map(change::control_entry_form),
            _ => data.event(&t.key).map(change::event_form),
        };
        let effect = replay::read(subject, &t.target, &t.key, t.before.as_ref(), t.form, data);
        let effect = effect.map_err(|why| {
            LiveError::Conflict(format!(
                "change {id} cannot be reverted: what it replaced no longer passes the checks: {why}"
            ))
        })?;
        let new = NewChange {
            kind: ChangeKind::Revert,
            target: t.target.clone(),
            key: t.key.clone(),
            before,
            after: effect.form(),
            author: author.to_owned(),
            reverts: Some(id),
            form: FORM,
        };
        self.commit(&mut writer, &current, new, subject, effect)
            .await
    }

    /// Stores `new`, applies `effect` to a copy of `current` sharing its spatial index, installs
    /// the result and announces the change.
    async fn commit(
        &self,
        writer: &mut MutexGuard<'_, Replay>,
        current: &Snapshot,
        new: NewChange,
        subject: ChangeKind,
        effect: Effect,
    ) -> Result<Outcome, LiveError> {
        let base = writer.last_touch(&new.target, &new.key);
        let stored = match self.store()?.append(new, base).await {
            Ok(stored) => stored,
            Err(conflict @ StoreError::Conflict { .. }) => {
                // Another server wrote the entry after this one caught up: read it now, so
                // that the editor's retry starts from it.
                if let Err(e) = self.catch_up_locked(writer).await {
                    tracing::warn!("cannot read the change log after a conflict: {e}");
                }
                return Err(self.write_failed(conflict));
            }
            Err(e) => return Err(self.write_failed(e)),
        };
        self.inner.db.ok();
        writer.applied.own(stored.id);
        writer.record(
            stored.id,
            subject,
            &stored.change.target,
            &stored.change.key,
        );
        let mut edit = current.engine.edit();
        effect.apply(&mut edit).map_err(|reason| LiveError::Apply {
            id: stored.id,
            reason,
        })?;
        let snapshot = Snapshot::new(
            edit.finish(),
            current.files_version.clone(),
            &writer.applied,
        );
        self.inner.current.store(Arc::new(snapshot));
        let stored = Arc::new(stored);
        // Nobody listening is not an error.
        let _ = self.inner.feed.send(Arc::clone(&stored));
        Ok(Outcome::Committed(stored))
    }

    /// Up to `limit` changes after change `since`, oldest first; none without a change log.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn changes(&self, since: i64, limit: usize) -> Result<Vec<Change>, LiveError> {
        match &self.inner.store {
            Some(store) if limit > 0 => Ok(store.since(since, limit).await?),
            _ => Ok(Vec::new()),
        }
    }

    /// The stored change `id`; `None` when there is none, or no change log.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn change(&self, id: i64) -> Result<Option<Change>, LiveError> {
        match &self.inner.store {
            Some(store) => Ok(store.get(id).await?),
            None => Ok(None),
        }
    }

    /// Reloads the geodata files from `dir`, replays the change log on top and swaps the result
    /// in; only the shapes whose geometry changed are rebuilt. Returns a one-line summary.
    ///
    /// # Errors
    /// The check report of invalid files (or of files over `limits`), or the store's error;
    /// the old data stays served.
    pub async fn reload(&self, dir: &Path, limits: DataLimits) -> Result<String, LiveError> {
        let dir = dir.to_path_buf();
        let loaded = blocking(move || geodata::load_within(&dir, limits))
            .await?
            .map_err(LiveError::InvalidData)?;
        // Hold the writer lock, so no edit lands between the replay and the swap.
        let mut writer = self.inner.writer.lock().await;
        let current = self.snapshot();
        let previous = Arc::clone(&current);
        let Loaded {
            dataset, version, ..
        } = loaded;
        let engine = blocking(move || previous.engine.reloaded(dataset)).await?;
        let mut replay = Replay::default();
        // The changes this server had not applied yet are announced, as the follower would.
        let (engine, fresh) = match &self.inner.store {
            Some(store) => {
                let seen = &writer.applied;
                read_log(store.as_ref(), &engine, &mut replay, |id| {
                    !seen.contains(id)
                })
                .await
                .into_engine(engine)?
            }
            None => (engine, Vec::new()),
        };
        let summary = format!(
            "{} regions, {} events",
            engine.dataset().regions.len(),
            engine.dataset().events.len()
        );
        let applied = replay.applied.clone();
        let snapshot = Snapshot::new(engine, version, &applied);
        self.inner.current.store(Arc::new(snapshot));
        *writer = replay;
        self.announce(fresh);
        Ok(summary)
    }

    /// Every change applied from now on, once each, in the order this server applies them (log
    /// order, except that its own changes may come before lower ids another server sharing
    /// the log committed meanwhile); ends when [`Live::close`] is called (at once if it
    /// already was). A subscriber more than 1,024 changes behind skips the changes it missed.
    pub fn subscribe(&self) -> impl Stream<Item = Arc<Change>> + Send + 'static {
        let changes = tokio_stream::wrappers::BroadcastStream::new(self.inner.feed.subscribe())
            .filter_map(Result::ok);
        let stop = tokio_stream::wrappers::WatchStream::new(self.inner.closing.subscribe())
            .filter(|closed| *closed)
            .map(|_| None);
        changes
            .map(Some)
            .merge(stop)
            .take_while(Option::is_some)
            .filter_map(|change| change)
    }

    /// Ends every subscription, present and future, and the follower: call it when shutting
    /// down, so that long-lived responses finish.
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Whether [`Live::close`] was called: the server is shutting down.
    #[must_use]
    pub fn closed(&self) -> bool {
        *self.inner.closing.borrow()
    }

    /// Sends `changes` to the subscribers.
    fn announce(&self, changes: Vec<Change>) {
        for change in changes {
            // Nobody listening is not an error.
            let _ = self.inner.feed.send(Arc::new(change));
        }
    }
}

/// A change that puts an item known by its own id (an event, a control area).
fn item_change(
    kind: ChangeKind,
    id: &str,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
    author: &str,
) -> NewChange {
    NewChange {
        kind,
        target: id.to_owned(),
        key: id.to_owned(),
        before,
        after: Some(after),
        author: author.to_owned(),
        reverts: None,
        form: FORM,
    }
}

/// What [`read_log`] did.
struct LogRead {
    /// The changes applied on top of the engine; `None` when no change was read.
    edit: Option<Edit>,
    /// The changes read and applied that `keep` chose, in log order.
    kept: Vec<Change>,
    /// Why reading stopped before the end of the log; what was read until then is applied.
    failed: Option<StoreError>,
}

impl LogRead {
    /// The engine with the changes applied (`engine` itself when none was read), and the
    /// changes kept; or the store's error.
    fn into_engine(self, engine: Engine) -> Result<(Engine, Vec<Change>), LiveError> {
        if let Some(e) = self.failed {
            return Err(e.into());
        }
        Ok((self.edit.map_or(engine, Edit::finish), self.kept))
    }
}

/// Reads the log from the change `replay` has reached to its end and applies, on top of
/// `engine`, every change `replay` has not applied yet, in log order; keeps those for which
/// `keep(id)` holds. Changes that no longer apply are logged as warnings and skipped; they stay
/// in the log and count as applied.
async fn read_log(
    store: &dyn Store,
    engine: &Engine,
    replay: &mut Replay,
    keep: impl Fn(i64) -> bool,
) -> LogRead {
    let mut read = LogRead {
        edit: None,
        kept: Vec::new(),
        failed: None,
    };
    loop {
        let page = match store.since(replay.applied.reached(), REPLAY_PAGE).await {
            Ok(page) => page,
            Err(e) => {
                read.failed = Some(e);
                break;
            }
        };
        let full = page.len() == REPLAY_PAGE;
        for change in page {
            let edit = read.edit.get_or_insert_with(|| engine.edit());
            if !replay.applied.read(change.id) {
                continue;
            }
            if let Err(why) = replay.apply_stored(edit, &change) {
                tracing::warn!(change = change.id, "stored change not applied: {why}");
            }
            if keep(change.id) {
                read.kept.push(change);
            }
        }
        if !full {
            break;
        }
    }
    read
}

/// Runs CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, LiveError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| LiveError::Task(e.to_string()))
}

#[cfg(test)]
mod tests;
