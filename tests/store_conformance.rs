//! One store test suite, run against both `SqliteStore` (a file) and `PostgresStore` (a
//! throw-away PostgreSQL + PostGIS cluster): ordering, paging, get, the conditional append,
//! concurrent appends, a reader that must never skip an id, a change written through another
//! connection, and (PostgreSQL) announcements, a database restart and the rights to create
//! PostGIS.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use common::postgres::{PG_PASSWORD, PgCluster};
use frontline::store::{
    ChangeKind, NewChange, PostgresStore, SqliteStore, Store, StoreError, redact,
};

/// Where a test's change log lives; [`Db::open`] gives a new handle (its own connections) on
/// the same log each time, as another server would have.
enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(PgCluster, String),
}

impl Db {
    #[expect(
        clippy::unnecessary_wraps,
        reason = "the same shape as `postgres`, which skips without PostgreSQL"
    )]
    fn sqlite() -> Option<Self> {
        Some(Self::Sqlite(tempfile::tempdir().unwrap()))
    }

    fn postgres() -> Option<Self> {
        let pg = PgCluster::start()?;
        let url = pg.create_database("frontline");
        Some(Self::Postgres(pg, url))
    }

    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(dir) => Arc::new(SqliteStore::open(&dir.path().join("log.db")).unwrap()),
            Self::Postgres(_, url) => Arc::new(
                PostgresStore::open(url)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
        }
    }
}

fn control(target: &str, from: &str, author: &str) -> NewChange {
    NewChange {
        kind: ChangeKind::Control,
        target: target.into(),
        key: from.into(),
        before: None,
        after: Some(json!({"from": from, "status": "held", "factions": ["government"]})),
        author: author.into(),
        reverts: None,
        form: 2,
    }
}

async fn an_empty_log_has_no_changes(db: Db) {
    let store = db.open().await;
    assert_eq!(store.since(0, 10).await.unwrap(), Vec::new());
    assert_eq!(store.get(1).await.unwrap(), None);
}

async fn appended_changes_read_back_in_order_page_and_get(db: Db) {
    let store = db.open().await;
    let mut appended = Vec::new();
    for i in 0..5 {
        let mut change = control("ghab-plain", &format!("2015-08-1{i}"), "ed");
        change.before = (i % 2 == 1).then(|| json!({"note": "before", "n": i}));
        let c = store.append(change.clone(), 0).await.unwrap();
        assert_eq!(c.change, change);
        appended.push(c);
    }
    let ids: Vec<i64> = appended.iter().map(|c| c.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(
        appended.windows(2).all(|w| w[0].time <= w[1].time),
        "times follow ids"
    );
    let page = store.since(ids[1], 2).await.unwrap();
    assert_eq!(
        page,
        appended[2..4].to_vec(),
        "what append returned reads back"
    );
    assert_eq!(store.since(ids[4], 10).await.unwrap(), Vec::new());
    assert_eq!(
        store.get(ids[4]).await.unwrap().as_ref(),
        Some(&appended[4])
    );
    assert_eq!(store.get(ids[4] + 1000).await.unwrap(), None);
    // A revert names the change it undoes.
    let revert = NewChange {
        kind: ChangeKind::Revert,
        reverts: Some(ids[0]),
        before: appended[0].change.after.clone(),
        after: None,
        ..control("ghab-plain", "2015-08-10", "ed")
    };
    let r = store.append(revert.clone(), ids[0]).await.unwrap();
    assert_eq!(store.get(r.id).await.unwrap().unwrap().change, revert);
}

async fn an_append_based_on_a_stale_entry_is_a_conflict_and_writes_nothing(db: Db) {
    let store = db.open().await;
    let first = store
        .append(control("ghab-plain", "2015-08-11", "ed"), 0)
        .await
        .unwrap();
    // Another entry of the same region, and the same entry elsewhere, are not in the way.
    store
        .append(control("ghab-plain", "2015-09-01", "ed"), 0)
        .await
        .unwrap();
    store
        .append(control("al-ghab", "2015-08-11", "ed"), 0)
        .await
        .unwrap();
    let err = store
        .append(control("ghab-plain", "2015-08-11", "late"), 0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { base: 0, found, .. } if found == first.id),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "ghab-plain 2015-08-11: the latest change to this entry is {}, not 0 as when it was read",
            first.id
        )
    );
    assert_eq!(store.since(0, 10).await.unwrap().len(), 3);
    // Through another handle, as another server: the same conflict, then a good base.
    let other = db.open().await;
    assert!(matches!(
        other
            .append(control("ghab-plain", "2015-08-11", "x"), 7777)
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let next = other
        .append(control("ghab-plain", "2015-08-11", "ed"), first.id)
        .await
        .unwrap();
    assert_eq!(store.get(next.id).await.unwrap().unwrap(), next);
}

/// Eight writers on two handles, all on the same entry with their own idea of its latest
/// change: each write lands exactly once, conflicts write nothing, and ids are in order.
async fn concurrent_appends_each_land_exactly_once_in_id_order(db: Db) {
    let handles = [db.open().await, db.open().await];
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let store = Arc::clone(&handles[w % 2]);
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                let mut mine = 0;
                while mine < 25 {
                    // Separate entries: no conflicts, only contention for the log.
                    let c = store
                        .append(control(&format!("r{w}"), &format!("{mine}"), "ed"), 0)
                        .await
                        .unwrap();
                    acknowledged.push(c.id);
                    mine += 1;
                }
                // One shared entry: read its latest change, try to replace it; a conflict
                // means someone else got there first, so read again.
                let mut shared = 0;
                while shared < 5 {
                    let latest = store
                        .since(0, 100_000)
                        .await
                        .unwrap()
                        .iter()
                        .filter(|c| c.change.target == "shared")
                        .map(|c| c.id)
                        .max()
                        .unwrap_or(0);
                    match store
                        .append(control("shared", "2015-01-01", &format!("w{w}")), latest)
                        .await
                    {
                        Ok(c) => {
                            acknowledged.push(c.id);
                            shared += 1;
                        }
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                assert!(
                    acknowledged.windows(2).all(|w| w[0] < w[1]),
                    "{acknowledged:?}"
                );
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.extend(t.await.unwrap());
    }
    let stored = handles[0].since(0, 100_000).await.unwrap();
    let stored_ids: Vec<i64> = stored.iter().map(|c| c.id).collect();
    assert!(stored_ids.windows(2).all(|w| w[0] < w[1]), "ascending");
    acknowledged.sort_unstable();
    assert_eq!(acknowledged.len(), 8 * 30);
    assert_eq!(
        stored_ids, acknowledged,
        "every acknowledged write exactly once"
    );
    // Each version of the shared entry was based on the one before it.
    let shared: Vec<_> = stored
        .iter()
        .filter(|c| c.change.target == "shared")
        .collect();
    assert_eq!(shared.len(), 40);
}

/// A reader paging with `since(last)` while writers append never skips an id: an id it has
/// not seen yet is never below one it has read.
async fn a_reader_following_the_log_never_skips_a_change(db: Db) {
    let store = db.open().await;
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..40 {
                    store
                        .append(control(&format!("w{w}"), &format!("{i}"), "ed"), 0)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let reader = db.open().await;
    let mut seen = Vec::new();
    let mut last = 0;
    while seen.len() < 160 {
        for c in reader.since(last, 7).await.unwrap() {
            assert!(c.id > last);
            last = c.id;
            seen.push(c.id);
        }
        tokio::task::yield_now().await;
    }
    for w in writers {
        w.await.unwrap();
    }
    let all: Vec<i64> = store
        .since(0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(seen, all, "the follower read every change, in order");
}

async fn a_change_written_through_another_connection_is_read(db: Db) {
    let store = db.open().await;
    let a = store.append(control("a", "1", "ed"), 0).await.unwrap();
    let other = db.open().await;
    let b = other.append(control("b", "1", "ed"), 0).await.unwrap();
    assert!(b.id > a.id);
    assert_eq!(store.since(a.id, 10).await.unwrap(), vec![b.clone()]);
    assert_eq!(store.get(b.id).await.unwrap(), Some(b));
    store.probe().await.unwrap();
}

macro_rules! suite {
    ($backend:ident) => {
        mod $backend {
            use super::*;

            #[tokio::test]
            async fn an_empty_log_has_no_changes() {
                let Some(db) = Db::$backend() else { return };
                super::an_empty_log_has_no_changes(db).await;
            }

            #[tokio::test]
            async fn appended_changes_read_back_in_order_page_and_get() {
                let Some(db) = Db::$backend() else { return };
                super::appended_changes_read_back_in_order_page_and_get(db).await;
            }

            #[tokio::test]
            async fn an_append_based_on_a_stale_entry_is_a_conflict_and_writes_nothing() {
                let Some(db) = Db::$backend() else { return };
                super::an_append_based_on_a_stale_entry_is_a_conflict_and_writes_nothing(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_appends_each_land_exactly_once_in_id_order() {
                let Some(db) = Db::$backend() else { return };
                super::concurrent_appends_each_land_exactly_once_in_id_order(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn a_reader_following_the_log_never_skips_a_change() {
                let Some(db) = Db::$backend() else { return };
                super::a_reader_following_the_log_never_skips_a_change(db).await;
            }

            #[tokio::test]
            async fn a_change_written_through_another_connection_is_read() {
                let Some(db) = Db::$backend() else { return };
                super::a_change_written_through_another_connection_is_read(db).await;
            }
        }
    };
}

suite!(sqlite);
suite!(postgres);

/// Waits for the receiver to be woken, up to `limit`.
async fn woken(rx: &mut tokio::sync::watch::Receiver<i64>, limit: Duration) -> bool {
    tokio::time::timeout(limit, rx.changed())
        .await
        .is_ok_and(|r| r.is_ok())
}

#[tokio::test]
async fn postgres_announces_another_servers_append_and_wakes_after_reconnecting() {
    let Some(Db::Postgres(mut pg, url)) = Db::postgres() else {
        return;
    };
    let store = PostgresStore::open(&url).await.unwrap();
    let mut rx = store.announcements().unwrap();
    // The first wake-up: listening has started.
    assert!(woken(&mut rx, Duration::from_secs(5)).await, "listening");
    let other = PostgresStore::open(&url).await.unwrap();
    let c = other.append(control("a", "1", "ed"), 0).await.unwrap();
    assert!(woken(&mut rx, Duration::from_secs(5)).await, "announced");
    assert_eq!(
        *rx.borrow_and_update(),
        c.id,
        "the payload is the change id"
    );

    // A restart drops the LISTEN connection: once back, the receivers are woken.
    pg.stop();
    let err = store.append(control("a", "2", "ed"), 0).await.unwrap_err();
    assert!(err.unavailable().is_some(), "{err}");
    assert!(!err.to_string().contains(PG_PASSWORD), "{err}");
    assert!(err.to_string().contains(&redact(&url)), "{err}");
    let err = store.probe().await.unwrap_err();
    assert!(err.unavailable().is_some(), "{err}");
    pg.start_again();
    assert!(
        woken(&mut rx, Duration::from_secs(15)).await,
        "woken after reconnecting"
    );
    // Writes resume through the same pool, and are announced again.
    let d = other.append(control("a", "2", "ed"), 0).await.unwrap();
    let mut last = 0;
    for _ in 0..50 {
        if woken(&mut rx, Duration::from_secs(5)).await {
            last = *rx.borrow_and_update();
            if last == d.id {
                break;
            }
        }
    }
    assert_eq!(last, d.id);
    store.probe().await.unwrap();
    assert_eq!(store.since(0, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn postgres_without_rights_to_create_postgis_says_what_to_run() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    pg.create_database("plain");
    pg.psql(
        "plain",
        "CREATE ROLE editor LOGIN PASSWORD 'ed-s3cret'; GRANT ALL ON SCHEMA public TO editor",
    );
    let url = format!("postgres://editor:ed-s3cret@127.0.0.1:{}/plain", pg.port);
    let err = PostgresStore::open(&url).await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "database postgres://editor@127.0.0.1:{}/plain: ",
            pg.port
        )),
        "{message}"
    );
    assert!(message.contains("CREATE EXTENSION postgis"), "{message}");
    assert!(!message.contains("ed-s3cret"), "{message}");
    // Once a superuser has run it, the same user can open the store.
    pg.psql("plain", "CREATE EXTENSION postgis");
    let store = PostgresStore::open(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store.append(control("a", "1", "ed"), 0).await.unwrap();
}

#[tokio::test]
async fn postgres_refuses_a_newer_schema_and_a_wrong_password_without_showing_it() {
    let Some(Db::Postgres(pg, url)) = Db::postgres() else {
        return;
    };
    drop(PostgresStore::open(&url).await.unwrap());
    pg.psql("frontline", "UPDATE frontline_schema SET version = 99");
    let err = PostgresStore::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    let wrong = url.replace(PG_PASSWORD, "not-the-password");
    let err = PostgresStore::open(&wrong).await.unwrap_err();
    assert!(!err.to_string().contains("not-the-password"), "{err}");
    assert!(
        err.to_string().contains("password authentication failed"),
        "{err}"
    );
}

#[tokio::test]
async fn postgres_control_map_writes_are_monotone() {
    use frontline::store::{ControlPiece, MapState};
    let Some(Db::Postgres(pg, url)) = Db::postgres() else {
        return;
    };
    let store = PostgresStore::open(&url).await.unwrap();
    let piece = |statement: &str| ControlPiece {
        statement: statement.into(),
        scope: "area",
        region: None,
        status: "held".into(),
        factions: vec!["government".into()],
        holder: "government".into(),
        since: "2015-08-18".into(),
        km2: 1.5,
        geometry: r#"{"type":"Polygon","coordinates":[[[36,35],[36.1,35],[36.1,35.1],[36,35]]]}"#
            .into(),
    };
    let state = |change_id: i64, day: &str| MapState {
        change_id,
        day: day.into(),
        data_version: "v1".into(),
    };
    assert!(
        store
            .put_control_map(&state(5, "2026-11-30"), &[piece("new")])
            .await
            .unwrap()
    );
    // A replica that is behind does not overwrite it, nor does the same state again.
    assert!(
        !store
            .put_control_map(&state(4, "2026-12-01"), &[piece("old")])
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_control_map(&state(5, "2026-11-30"), &[piece("old")])
            .await
            .unwrap()
    );
    assert_eq!(
        pg.psql("frontline", "SELECT statement FROM control_today")
            .trim(),
        "new"
    );
    // The next day, or a later change, does.
    assert!(
        store
            .put_control_map(&state(5, "2026-12-01"), &[piece("a"), piece("b")])
            .await
            .unwrap()
    );
    assert_eq!(
        pg.psql(
            "frontline",
            "SELECT string_agg(statement || ' ' || GeometryType(geom), ',' ORDER BY position) FROM control_today"
        )
        .trim(),
        "a MULTIPOLYGON,b MULTIPOLYGON"
    );
}
