//! Exactly which stored changes this server has applied: the log read contiguously up to a
//! watermark, plus this server's own changes above it, applied when they were committed.
//!
//! Several servers may share one change log. A server applies its own change as soon as the
//! store has it, which may be before a lower id another server committed in between has been
//! read: so "the highest id applied" does not say what is applied, and reading the log from it
//! would skip that lower id. The store makes ids visible in ascending order (a change read
//! means every lower id that will ever exist is readable), but ids may have gaps (a
//! PostgreSQL sequence skips on rollback): so the watermark moves only by reading the log.

use std::collections::BTreeSet;

/// What has been applied; held under the writer lock.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Applied {
    /// The log has been read, and every change in it applied, up to this id (0: none).
    reached: i64,
    /// This server's own changes above `reached`, applied when committed; each is skipped
    /// (not applied again) when the log is read up to it.
    ahead: BTreeSet<i64>,
}

impl Applied {
    /// The id up to which every change is applied: the log is read from here.
    pub(super) fn reached(&self) -> i64 {
        self.reached
    }

    /// This server's own changes applied above [`Self::reached`], ascending.
    pub(super) fn ahead(&self) -> impl Iterator<Item = i64> + '_ {
        self.ahead.iter().copied()
    }

    /// Whether change `id` is applied.
    pub(super) fn contains(&self, id: i64) -> bool {
        id <= self.reached || self.ahead.contains(&id)
    }

    /// Records that this server committed and applied change `id` (before the log was
    /// necessarily read up to it).
    pub(super) fn own(&mut self, id: i64) {
        if id > self.reached {
            self.ahead.insert(id);
            self.absorb();
        }
    }

    /// Moves the watermark over the own changes right above it: no id lies between them.
    fn absorb(&mut self) {
        while self.ahead.remove(&(self.reached + 1)) {
            self.reached += 1;
        }
    }

    /// Records that the log was read, in order, up to change `id`; whether `id` still needs
    /// applying (`false`: it was applied already, as one of this server's own changes or by
    /// an earlier read).
    pub(super) fn read(&mut self, id: i64) -> bool {
        if id <= self.reached {
            return false;
        }
        self.reached = id;
        let own = self.ahead.remove(&id);
        // Anything left below is not in the log where the store's ordering puts it: drop it
        // rather than carry it forever (it cannot happen with a store that keeps its contract).
        if self.ahead.first().is_some_and(|first| *first < id) {
            tracing::warn!(
                change = id,
                "own changes below change {id} were not found in the log: {:?}",
                self.ahead.range(..id).collect::<Vec<_>>()
            );
            self.ahead = self.ahead.split_off(&id);
        }
        self.absorb();
        !own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_applied_at_first() {
        let applied = Applied::default();
        assert_eq!(applied.reached(), 0);
        assert!(!applied.contains(1));
    }

    #[test]
    fn reading_the_log_moves_the_watermark_across_gaps() {
        let mut applied = Applied::default();
        assert!(applied.read(1));
        assert!(applied.read(4), "ids may skip");
        assert_eq!(applied.reached(), 4);
        assert!(!applied.read(4), "never twice");
        assert!(!applied.read(2), "nor anything below");
        assert!(
            applied.contains(3),
            "a gap below the watermark counts as read"
        );
    }

    #[test]
    fn an_own_change_next_to_the_watermark_moves_it() {
        let mut applied = Applied::default();
        applied.read(1);
        applied.own(2);
        assert_eq!((applied.reached(), applied.ahead().count()), (2, 0));
    }

    #[test]
    fn an_own_change_ahead_is_skipped_when_the_log_reaches_it_and_nothing_below_is() {
        let mut applied = Applied::default();
        applied.read(5);
        // Another server committed 6 (and perhaps 7) before this one committed 8.
        applied.own(8);
        assert_eq!(applied.reached(), 5, "6 and 7 are not known to be applied");
        assert!(applied.contains(8) && !applied.contains(6));
        assert!(applied.read(6), "the other server's change is applied");
        assert!(applied.read(7));
        assert!(!applied.read(8), "the own change is not applied again");
        assert_eq!((applied.reached(), applied.ahead().count()), (8, 0));
    }

    #[test]
    fn own_changes_ahead_join_the_watermark_once_the_gap_below_is_filled() {
        let mut applied = Applied::default();
        applied.own(3);
        applied.own(4);
        assert_eq!(applied.ahead().collect::<Vec<_>>(), [3, 4]);
        assert!(applied.read(1));
        assert_eq!(applied.reached(), 1);
        assert!(applied.read(2));
        assert_eq!((applied.reached(), applied.ahead().count()), (4, 0));
        assert!(!applied.read(3) && !applied.read(4), "read already");
        applied.own(6);
        assert_eq!(applied.ahead().collect::<Vec<_>>(), [6]);
        assert!(applied.read(5));
        assert_eq!((applied.reached(), applied.ahead().count()), (6, 0));
    }

    #[test]
    fn an_own_change_the_log_skipped_over_is_dropped_not_kept_forever() {
        let mut applied = Applied::default();
        applied.own(3);
        assert!(applied.read(4));
        assert_eq!((applied.reached(), applied.ahead().count()), (4, 0));
    }
}
