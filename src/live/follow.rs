//! Following the change log: applying the changes other servers sharing it commit, woken by
//! the store's announcements and by polling. Catching up is reading the log after the change
//! this server has reached ([`super::applied`]), which is also all a reconnect needs.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Live, LiveError, Replay, Snapshot, read_log};
use crate::store::StoreError;

/// The polling interval `frontline serve` follows the change log with by default.
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);

impl Live {
    /// Starts a task that applies the changes other servers sharing the change log commit,
    /// woken by the store's announcements and every `poll` (`None`: only by announcements);
    /// it ends when [`Live::close`] is called. `None` without a change log, or when nothing
    /// would wake it.
    ///
    /// Must be called inside a tokio runtime.
    #[must_use]
    pub fn follow(&self, poll: Option<Duration>) -> Option<JoinHandle<()>> {
        let store = self.inner.store.as_ref()?;
        let announcements = store.announcements();
        if poll.is_none() && announcements.is_none() {
            tracing::warn!(
                "polling is off and the database announces no changes: changes other servers \
                 make are applied only before this server's own writes"
            );
            return None;
        }
        let live = self.clone();
        Some(tokio::spawn(async move {
            live.follow_until_closed(poll, announcements).await;
        }))
    }

    async fn follow_until_closed(
        &self,
        poll: Option<Duration>,
        mut announcements: Option<watch::Receiver<i64>>,
    ) {
        let mut closing = self.inner.closing.subscribe();
        let mut tick = poll.map(|period| {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick
        });
        let mut failing = false;
        loop {
            tokio::select! {
                _ = closing.wait_for(|closed| *closed) => break,
                woke = announced(&mut announcements) => if !woke {
                    tracing::warn!("the database's announcements ended; following by polling only");
                    announcements = None;
                    continue;
                },
                () = ticked(&mut tick) => {}
            }
            // Log when following stops and starts working, not at every attempt.
            match (self.catch_up().await, failing) {
                (Ok(reached), true) => {
                    failing = false;
                    tracing::info!("following the change log again, at change {reached}");
                }
                (Err(e), false) => {
                    failing = true;
                    tracing::warn!("cannot follow the change log, retrying: {e}");
                }
                (Ok(_), false) | (Err(_), true) => {}
            }
        }
    }

    /// Applies every stored change this server has not applied yet (committed by another
    /// server sharing the change log), announces each, and returns the change it has reached
    /// (every change up to it is applied). Nothing without a change log.
    ///
    /// # Errors
    /// When the store cannot be read; what was read until then is applied.
    pub async fn catch_up(&self) -> Result<i64, LiveError> {
        let mut writer = self.inner.writer.lock().await;
        self.catch_up_locked(&mut writer).await?;
        Ok(writer.applied.reached())
    }

    /// [`Live::catch_up`] for a write, under its lock: the snapshot to read the item's
    /// `before` from, with every change stored so far applied.
    pub(super) async fn caught_up(&self, writer: &mut Replay) -> Result<Arc<Snapshot>, LiveError> {
        self.catch_up_locked(writer)
            .await
            .map_err(|e| self.write_failed(e))?;
        Ok(self.snapshot())
    }

    /// Reads the log after the change reached, applies what is new, installs the snapshot
    /// and announces the new changes; with the writer lock held.
    pub(super) async fn catch_up_locked(&self, writer: &mut Replay) -> Result<(), StoreError> {
        let Some(store) = &self.inner.store else {
            return Ok(());
        };
        let current = self.snapshot();
        let read = read_log(store.as_ref(), &current.engine, writer, |_| true).await;
        if let Some(edit) = read.edit {
            let snapshot = Snapshot::new(
                edit.finish(),
                current.files_version.clone(),
                &writer.applied,
            );
            self.inner.current.store(Arc::new(snapshot));
            self.announce(read.kept);
        }
        read.failed.map_or(Ok(()), Err)
    }
}

/// Waits for the next announcement; `false` when they ended. Never completes without any.
async fn announced(announcements: &mut Option<watch::Receiver<i64>>) -> bool {
    match announcements {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

/// Waits for the next tick; never completes without polling.
async fn ticked(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(tick) => {
            tick.tick().await;
        }
        None => std::future::pending().await,
    }
}
