//! The change log's health as the server last saw it: set by every write and by a periodic
//! probe ([`Live::probe_store`](super::Live::probe_store)), read by the health check without
//! any I/O.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long after a write failed because the database was unavailable the next writes are
/// refused at once, without waiting for the database again (the `Retry-After` of the 503).
pub const REFUSE_FOR: Duration = Duration::from_secs(2);

/// Whether the change log takes writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbState {
    /// The last write or probe succeeded.
    Ok,
    /// The last write or probe failed: the database is locked, read-only or out of space.
    Unavailable,
    /// The data is served without a change log.
    None,
}

/// The last time the database was found unavailable, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    /// When.
    pub time: jiff::Timestamp,
    /// Why, in a few words, without the database's path.
    pub reason: &'static str,
}

/// What the health check reports about the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbHealth {
    /// Whether it takes writes now.
    pub state: DbState,
    /// The last failure since the server started, kept after the database recovers.
    pub last_error: Option<DbError>,
}

/// [`DbHealth`], and when a write last failed, behind one lock held only to copy or set them.
#[derive(Debug)]
pub(super) struct Tracker(Mutex<Tracked>);

#[derive(Debug)]
struct Tracked {
    health: DbHealth,
    /// When a write last failed because the database was unavailable.
    refused_since: Option<Instant>,
}

impl Tracker {
    pub(super) fn new(state: DbState) -> Self {
        Self(Mutex::new(Tracked {
            health: DbHealth {
                state,
                last_error: None,
            },
            refused_since: None,
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tracked> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn get(&self) -> DbHealth {
        self.lock().health.clone()
    }

    /// A write or probe succeeded.
    pub(super) fn ok(&self) {
        let mut tracked = self.lock();
        tracked.health.state = DbState::Ok;
        tracked.refused_since = None;
    }

    /// A write or probe found the database unavailable; `write`: a write, after which writes
    /// are refused at once for [`REFUSE_FOR`].
    pub(super) fn failed(&self, reason: &'static str, write: bool) {
        let mut tracked = self.lock();
        tracked.health.state = DbState::Unavailable;
        tracked.health.last_error = Some(DbError {
            time: jiff::Timestamp::now(),
            reason,
        });
        if write {
            tracked.refused_since = Some(Instant::now());
        }
    }

    /// Why a write should be refused without trying the database: one failed for being
    /// unavailable less than [`REFUSE_FOR`] ago.
    pub(super) fn refusal(&self) -> Option<&'static str> {
        let tracked = self.lock();
        let recent = tracked
            .refused_since
            .is_some_and(|t| t.elapsed() < REFUSE_FOR);
        match (recent, tracked.health.state, &tracked.health.last_error) {
            (true, DbState::Unavailable, Some(e)) => Some(e.reason),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_refuses_writes_for_a_while_and_a_success_clears_it() {
        let tracker = Tracker::new(DbState::Ok);
        assert_eq!(tracker.refusal(), None);
        tracker.failed("the database is locked by another process", false);
        assert_eq!(tracker.get().state, DbState::Unavailable);
        assert_eq!(tracker.refusal(), None, "a probe alone refuses nothing");
        tracker.failed("the database is locked by another process", true);
        assert_eq!(
            tracker.refusal(),
            Some("the database is locked by another process")
        );
        tracker.ok();
        let health = tracker.get();
        assert_eq!((health.state, tracker.refusal()), (DbState::Ok, None));
        assert_eq!(
            health.last_error.map(|e| e.reason),
            Some("the database is locked by another process"),
            "the last failure stays on record"
        );
    }
}
