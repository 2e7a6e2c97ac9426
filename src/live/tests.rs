use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_stream::StreamExt;

use super::*;
use crate::store::SqliteStore;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid")
}

async fn editable() -> Live {
    let loaded = geodata::load(&fixture()).unwrap();
    Live::open(loaded, Arc::new(SqliteStore::open_in_memory().unwrap()))
        .await
        .unwrap()
}

fn entry(from: &str, status: &str, factions: &[&str]) -> String {
    json!({"from": from, "status": status, "factions": factions, "note": "",
           "sources": [{"title": "T", "url": "https://example.org", "published": "2016-01-01"}]})
    .to_string()
}

fn committed(outcome: Outcome) -> Arc<Change> {
    match outcome {
        Outcome::Committed(change) => change,
        Outcome::Unchanged { .. } => panic!("expected a committed change"),
    }
}

#[tokio::test]
async fn an_edit_is_served_at_once_and_shares_the_spatial_index() {
    let live = editable().await;
    let before = live.snapshot();
    let change = committed(
        live.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    let after = live.snapshot();
    assert!(Arc::ptr_eq(before.engine.spatial(), after.engine.spatial()));
    assert_eq!(
        before.region(0).region.geometry,
        after.region(0).region.geometry
    );
    assert_eq!((after.last_change, change.id), (1, 1));
    assert_ne!(before.version, after.version);
    let big = after.region_by_id("big").unwrap().region;
    assert_eq!(big.history.len(), 3);
    assert_eq!(
        before.region_by_id("big").unwrap().region.history.len(),
        2,
        "a snapshot never changes"
    );
    assert_eq!(change.change.form, FORM);
    assert_eq!(
        change.change.after.as_ref().unwrap()["factions"],
        json!(["blue"])
    );
}

#[tokio::test]
async fn the_same_entry_again_is_unchanged_and_a_replacement_records_what_it_replaced() {
    let live = editable().await;
    // The file's own entry, sent again.
    let snapshot = live.snapshot();
    let file_entry = &snapshot.region_by_id("big").unwrap().region.history[1];
    let same = change::control_entry_form(file_entry).to_string();
    assert!(matches!(
        live.put_control("big", &same, "ed").await.unwrap(),
        Outcome::Unchanged { ref key, .. } if key == "2015-08-11"
    ));
    let replaced = committed(
        live.put_control("big", &entry("2015-08-11", "held", &["red"]), "ed")
            .await
            .unwrap(),
    );
    assert_eq!(
        replaced.change.before,
        Some(change::control_entry_form(file_entry))
    );
}

#[tokio::test]
async fn writes_name_every_problem_and_store_nothing() {
    let live = editable().await;
    let Err(LiveError::Invalid(problems)) = live
        .put_control("big", &entry("2016-13-01", "held", &["green"]), "ed")
        .await
    else {
        panic!("expected an invalid entry")
    };
    let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
    assert_eq!(pointers, ["/from", "/factions/0"]);
    assert!(matches!(
        live.put_control("atlantis", &entry("2016-01-01", "held", &["red"]), "ed")
            .await,
        Err(LiveError::NotFound(_))
    ));
    assert!(live.changes(0, 10).await.unwrap().is_empty());
    let read_only = Live::new(geodata::load(&fixture()).unwrap());
    assert!(matches!(
        read_only
            .put_control("big", &entry("2016-01-01", "held", &["red"]), "ed")
            .await,
        Err(LiveError::NoLog)
    ));
}

#[tokio::test]
async fn a_revert_restores_what_was_there_and_refuses_to_skip_a_later_change() {
    let live = editable().await;
    let event = json!({"type": "Feature", "id": "front-opens",
        "geometry": {"type": "Point", "coordinates": [1.5, 1.25]},
        "properties": {"date": "2015-08-12", "title": "Moved", "region": "big",
            "sources": [{"title": "T", "url": "https://example.org", "published": "2016-01-01"}]}});
    let moved = committed(live.put_event(&event.to_string(), "ed").await.unwrap());
    let original = live
        .snapshot()
        .engine
        .dataset()
        .event("front-opens")
        .cloned();
    assert_eq!(original.map(|e| e.title).as_deref(), Some("Moved"));
    let undone = committed(live.revert(moved.id, false, "ed").await.unwrap());
    assert_eq!(undone.change.reverts, Some(moved.id));
    let title = |live: &Live| {
        live.snapshot()
            .engine
            .dataset()
            .event("front-opens")
            .map(|e| e.title.clone())
    };
    assert_eq!(title(&live).as_deref(), Some("The front opens"));
    assert!(matches!(
        live.revert(moved.id, false, "ed").await,
        Err(LiveError::Conflict(_))
    ));
    // Reverting the revert puts the edit back.
    committed(live.revert(undone.id, false, "ed").await.unwrap());
    assert_eq!(title(&live).as_deref(), Some("Moved"));
    assert!(matches!(
        live.revert(99, false, "ed").await,
        Err(LiveError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_subscription_sees_each_change_and_ends_on_close() {
    let live = editable().await;
    let mut changes = Box::pin(live.subscribe());
    let stored = committed(
        live.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    let seen = tokio::time::timeout(Duration::from_secs(5), changes.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.id, stored.id);
    live.close();
    let end = tokio::time::timeout(Duration::from_secs(5), changes.next()).await;
    assert!(matches!(end, Ok(None)), "the stream ends on close");
    let mut late = Box::pin(live.subscribe());
    let end = tokio::time::timeout(Duration::from_secs(5), late.next()).await;
    assert!(
        matches!(end, Ok(None)),
        "a subscription after close ends at once"
    );
}

#[tokio::test]
async fn a_reload_keeps_the_index_when_only_histories_change_and_replays_the_log() {
    let dir = std::env::temp_dir().join(format!("frontline-live-reload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["factions.json", "regions.geojson", "events.geojson"] {
        std::fs::copy(fixture().join(name), dir.join(name)).unwrap();
    }
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let live = Live::open(geodata::load(&dir).unwrap(), store)
        .await
        .unwrap();
    committed(
        live.put_control("small", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    let before = live.snapshot();
    // A new note in the file: same geometry.
    let regions = std::fs::read_to_string(dir.join("regions.geojson")).unwrap();
    let edited = regions.replacen("\"note\": \"", "\"note\": \"Reviewed. ", 1);
    assert_ne!(regions, edited, "the fixture has a note to change");
    std::fs::write(dir.join("regions.geojson"), edited).unwrap();
    live.reload(&dir, geodata::DataLimits::DEFAULT)
        .await
        .unwrap();
    let after = live.snapshot();
    assert!(Arc::ptr_eq(before.engine.spatial(), after.engine.spatial()));
    assert_ne!(before.files_version, after.files_version);
    assert_eq!(after.last_change, 1);
    let small = &after.region_by_id("small").unwrap().region.history;
    assert_eq!(
        small.last().unwrap().from.to_string(),
        "2016-01-01",
        "the log is replayed"
    );
    // Invalid files are refused and the old data stays.
    std::fs::write(dir.join("regions.geojson"), "{").unwrap();
    assert!(matches!(
        live.reload(&dir, geodata::DataLimits::DEFAULT).await,
        Err(LiveError::InvalidData(_))
    ));
    assert!(Arc::ptr_eq(&after, &live.snapshot()));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A database file for servers that share it; removed (with its WAL files) when dropped.
struct SharedDb(PathBuf);

impl SharedDb {
    fn new(label: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "frontline-live-{label}-{}-{n}.db",
            std::process::id()
        ));
        let shared = Self(path);
        shared.remove();
        shared
    }

    fn store(&self) -> SqliteStore {
        SqliteStore::open(&self.0).unwrap()
    }

    /// A server over the fixture with this database.
    async fn server(&self) -> Live {
        server_on(Arc::new(self.store())).await
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.0.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
    }
}

impl Drop for SharedDb {
    fn drop(&mut self) {
        self.remove();
    }
}

async fn server_on(store: Arc<dyn Store>) -> Live {
    Live::open(geodata::load(&fixture()).unwrap(), store)
        .await
        .unwrap()
}

/// The ids a server announced since `feed` subscribed, in order, without waiting: every
/// announcement is sent before the write or catch-up that makes it returns.
fn announced(feed: &mut broadcast::Receiver<Arc<Change>>) -> Vec<i64> {
    let mut ids = Vec::new();
    while let Ok(change) = feed.try_recv() {
        ids.push(change.id);
    }
    ids
}

/// Region `big`'s history as `(from, factions)`.
fn history(live: &Live) -> Vec<(String, Vec<String>)> {
    live.snapshot()
        .region_by_id("big")
        .unwrap()
        .region
        .history
        .iter()
        .map(|e| {
            (
                e.from.to_string(),
                e.factions.iter().map(ToString::to_string).collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_write_on_one_server_appears_on_the_other_after_a_follow_step() {
    let db = SharedDb::new("follow");
    let (a, b) = (db.server().await, db.server().await);
    let mut feed = b.inner.feed.subscribe();
    let written = committed(
        a.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    assert_eq!(history(&b).len(), 2, "not read yet");
    assert_eq!(b.snapshot().last_change, 0);
    assert_eq!(b.catch_up().await.unwrap(), written.id);
    assert_eq!(history(&b), history(&a));
    assert_eq!(b.snapshot().last_change, written.id);
    assert_eq!(b.snapshot().version, a.snapshot().version);
    assert_eq!(announced(&mut feed), [written.id]);
    // Nothing new: nothing applied or announced again.
    let before = b.snapshot();
    assert_eq!(b.catch_up().await.unwrap(), written.id);
    assert!(Arc::ptr_eq(&before, &b.snapshot()));
    assert_eq!(announced(&mut feed), Vec::<i64>::new());
}

#[tokio::test]
async fn a_follower_task_applies_other_servers_writes_and_stops_on_close() {
    let db = SharedDb::new("follower");
    let (a, b) = (db.server().await, db.server().await);
    let follower = b.follow(Some(Duration::from_millis(10))).unwrap();
    let written = committed(
        a.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    let start = std::time::Instant::now();
    while b.snapshot().last_change < written.id {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "change {} not applied on the follower within 30 s",
            written.id
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(history(&b), history(&a));
    b.close();
    tokio::time::timeout(Duration::from_secs(5), follower)
        .await
        .expect("the follower ends on close")
        .unwrap();
    assert!(
        b.follow(None).is_none(),
        "with neither polling nor announcements nothing follows"
    );
}

/// One step of an interleaving: a server writes the next of its entries, or catches up.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Write(usize),
    Follow(usize),
}

/// Every ordering of `steps` (a multiset), each once.
fn orderings(steps: &[Step]) -> Vec<Vec<Step>> {
    if steps.is_empty() {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    let mut tried = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if tried.contains(step) {
            continue;
        }
        tried.push(*step);
        let mut rest = steps.to_vec();
        rest.remove(i);
        for mut tail in orderings(&rest) {
            tail.insert(0, *step);
            out.push(tail);
        }
    }
    out
}

#[tokio::test]
async fn writes_on_two_servers_are_applied_exactly_once_on_both_in_every_order() {
    use Step::{Follow, Write};
    let all = orderings(&[Write(0), Write(0), Write(1), Write(1), Follow(0), Follow(1)]);
    assert_eq!(all.len(), 180);
    for order in all {
        let db = SharedDb::new("orders");
        let servers = [db.server().await, db.server().await];
        let mut feeds = servers.each_ref().map(|s| s.inner.feed.subscribe());
        let mut written = Vec::new();
        for step in &order {
            match *step {
                Write(s) => {
                    // Distinct entries: server 0 writes 2016-01-0N, server 1 2017-01-0N.
                    let from = format!("{}-01-0{}", 2016 + s, written.len() + 1);
                    let change = committed(
                        servers[s]
                            .put_control("big", &entry(&from, "held", &["blue"]), "ed")
                            .await
                            .unwrap(),
                    );
                    written.push(change.id);
                }
                Follow(s) => {
                    servers[s].catch_up().await.unwrap();
                }
            }
        }
        for server in &servers {
            server.catch_up().await.unwrap();
        }
        written.sort_unstable();
        for (s, feed) in feeds.iter_mut().enumerate() {
            let mut seen = announced(feed);
            seen.sort_unstable();
            assert_eq!(
                seen, written,
                "server {s}, order {order:?}: each change once"
            );
            assert_eq!(servers[s].snapshot().last_change, 4, "order {order:?}");
        }
        assert_eq!(history(&servers[0]).len(), 6, "order {order:?}");
        assert_eq!(
            history(&servers[0]),
            history(&servers[1]),
            "order {order:?}"
        );
        assert_eq!(servers[0].snapshot().version, servers[1].snapshot().version);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_on_two_following_servers_are_applied_exactly_once_on_both() {
    const EACH: usize = 20;
    let db = SharedDb::new("concurrent");
    let servers = [db.server().await, db.server().await];
    let mut feeds = servers.each_ref().map(|s| s.inner.feed.subscribe());
    let followers = servers
        .each_ref()
        .map(|s| s.follow(Some(Duration::from_millis(2))).unwrap());
    // Both servers write at once, each its own entries (server 0 in 2016, server 1 in 2017).
    let writers: Vec<_> = servers
        .iter()
        .enumerate()
        .map(|(s, server)| {
            let server = server.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for day in 1..=EACH {
                    let from = format!("{}-01-{day:02}", 2016 + s);
                    let outcome = server
                        .put_control("big", &entry(&from, "held", &["blue"]), "ed")
                        .await;
                    ids.push(committed(outcome.unwrap()).id);
                }
                ids
            })
        })
        .collect();
    let mut written = Vec::new();
    for writer in writers {
        written.extend(writer.await.unwrap());
    }
    written.sort_unstable();
    let last = *written.last().unwrap();
    assert_eq!(written.len(), 2 * EACH);
    let start = std::time::Instant::now();
    while servers.iter().any(|s| s.snapshot().last_change < last) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not every server reached change {last} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for server in &servers {
        server.close();
    }
    for follower in followers {
        follower.await.unwrap();
    }
    for (s, feed) in feeds.iter_mut().enumerate() {
        let mut seen = announced(feed);
        seen.sort_unstable();
        assert_eq!(seen, written, "server {s}: each change announced once");
    }
    assert_eq!(history(&servers[0]).len(), 2 + 2 * EACH);
    assert_eq!(history(&servers[0]), history(&servers[1]));
    assert_eq!(servers[0].snapshot().version, servers[1].snapshot().version);
}

/// A store that runs a hook (another server's write) right before its next append: what
/// happens when another server commits between this one's catch-up and its own append.
struct Interleaved {
    inner: SqliteStore,
    hook: std::sync::Mutex<Option<crate::store::BoxFuture<'static, ()>>>,
}

impl Interleaved {
    fn before_next_append(&self, hook: impl std::future::Future<Output = ()> + Send + 'static) {
        *self.hook.lock().unwrap() = Some(Box::pin(hook));
    }
}

impl Store for Interleaved {
    fn append(
        &self,
        change: crate::store::NewChange,
        base: i64,
    ) -> crate::store::BoxFuture<'_, Result<Change, StoreError>> {
        let hook = self.hook.lock().unwrap().take();
        Box::pin(async move {
            if let Some(hook) = hook {
                hook.await;
            }
            self.inner.append(change, base).await
        })
    }

    fn since(
        &self,
        after: i64,
        limit: usize,
    ) -> crate::store::BoxFuture<'_, Result<Vec<Change>, StoreError>> {
        self.inner.since(after, limit)
    }

    fn get(&self, id: i64) -> crate::store::BoxFuture<'_, Result<Option<Change>, StoreError>> {
        self.inner.get(id)
    }
}

/// Server A over an [`Interleaved`] store, and server B, sharing `db`.
async fn interleaved(db: &SharedDb) -> (Live, Arc<Interleaved>, Live) {
    let store = Arc::new(Interleaved {
        inner: db.store(),
        hook: std::sync::Mutex::new(None),
    });
    let a = server_on(Arc::clone(&store) as Arc<dyn Store>).await;
    (a, store, db.server().await)
}

#[tokio::test]
async fn an_own_change_applied_ahead_of_another_servers_is_not_applied_twice_nor_the_other_skipped()
{
    let db = SharedDb::new("ahead");
    let (a, store, b) = interleaved(&db).await;
    let mut feed = a.inner.feed.subscribe();
    let other = b.clone();
    store.before_next_append(async move {
        committed(
            other
                .put_control("big", &entry("2017-01-01", "held", &["red"]), "ed")
                .await
                .unwrap(),
        );
    });
    let own = committed(
        a.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    assert_eq!(own.id, 2, "B's change took id 1 in between");
    let ahead = a.snapshot();
    assert_eq!(ahead.last_change, 0, "change 1 is not applied yet");
    assert!(ahead.version.ends_with("+2"), "{}", ahead.version);
    assert_eq!(history(&a).len(), 3);
    assert_eq!(a.catch_up().await.unwrap(), 2);
    assert_eq!(
        announced(&mut feed),
        [2, 1],
        "each once, the own change first"
    );
    b.catch_up().await.unwrap();
    assert_eq!(history(&a), history(&b));
    assert_eq!(history(&a).len(), 4);
    assert_eq!(a.snapshot().version, b.snapshot().version);
    // A reload reads the whole log again: it announces only what it had not applied.
    let later = committed(
        b.put_control("big", &entry("2018-01-01", "held", &["red"]), "ed")
            .await
            .unwrap(),
    );
    a.reload(&fixture(), geodata::DataLimits::DEFAULT)
        .await
        .unwrap();
    assert_eq!(a.snapshot().last_change, later.id);
    assert_eq!(announced(&mut feed), [later.id]);
    assert_eq!(history(&a).len(), 5);
}

#[tokio::test]
async fn a_write_conflicting_with_another_servers_is_refused_then_the_retry_succeeds() {
    let db = SharedDb::new("conflict");
    let (a, store, b) = interleaved(&db).await;
    let other = b.clone();
    store.before_next_append(async move {
        committed(
            other
                .put_control("big", &entry("2016-01-01", "held", &["red"]), "bob")
                .await
                .unwrap(),
        );
    });
    let refused = a
        .put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
        .await;
    let Err(LiveError::Conflict(why)) = refused else {
        panic!("expected a conflict, got {refused:?}")
    };
    assert!(
        why.contains("big 2016-01-01") && why.contains("is 1, not 0"),
        "{why}"
    );
    // A has read B's change while answering, so the retry is based on it.
    assert_eq!(a.snapshot().last_change, 1);
    let retried = committed(
        a.put_control("big", &entry("2016-01-01", "held", &["blue"]), "ed")
            .await
            .unwrap(),
    );
    assert_eq!(retried.id, 2);
    assert_eq!(
        retried.change.before.as_ref().unwrap()["factions"],
        json!(["red"]),
        "the retry replaces B's entry"
    );
    b.catch_up().await.unwrap();
    assert_eq!(history(&a), history(&b));
}
