//! [`SqliteStore`]: the change log in an embedded SQLite file, WAL mode, `synchronous=FULL`,
//! so a change is on disk before `append` returns.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

use super::migrations::{MIGRATIONS, latest};
use super::{BoxFuture, Change, NewChange, Store, StoreError, StoredRow};

/// How long a statement waits for another connection's lock before it fails with "busy": a
/// write meanwhile holds the writer lock, so keep it short (the request timeout is longer).
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long [`Store::probe`] waits for the write lock.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The change log in SQLite. Cloning shares the connection.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// A rusqlite `Connection` is `Send` but not `Sync`: one writer at a time, which SQLite
    /// needs anyway. Held only inside blocking tasks, never across an `.await`.
    conn: Arc<Mutex<Connection>>,
    /// For messages.
    path: Arc<str>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        let conn = Connection::open(path).map_err(|e| sqlite_error(&shown, e))?;
        Self::setup(conn, &shown)
    }

    /// A private in-memory database, for tests and dry runs.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|e| sqlite_error(":memory:", e))?;
        Self::setup(conn, ":memory:")
    }

    fn setup(mut conn: Connection, path: &str) -> Result<Self, StoreError> {
        let err = |e| sqlite_error(path, e);
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if version > latest() {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: latest(),
            });
        }
        let pending = usize::try_from(version).unwrap_or(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(pending) {
            let tx = conn.transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(i + 1).unwrap_or(i64::MAX),
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.into(),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &str) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        let conn = Arc::clone(&self.conn);
        let path = Arc::clone(&self.path);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut guard = conn
                    .lock()
                    .map_err(|_| StoreError::Task("connection lock poisoned".into()))?;
                f(&mut guard, &path)
            })
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
        })
    }
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "called as `map_err(|e| sqlite_error(path, e))`"
)]
fn sqlite_error(path: &str, source: rusqlite::Error) -> StoreError {
    StoreError::Database {
        store: path.to_owned(),
        unavailable: unavailable(&source),
        message: source.to_string(),
    }
}

/// Why SQLite cannot write for now, when that is what `e` says: another process holds the
/// lock, the file is read-only, the disk is full or failing.
fn unavailable(e: &rusqlite::Error) -> Option<&'static str> {
    use rusqlite::ErrorCode as C;
    let rusqlite::Error::SqliteFailure(e, _) = e else {
        return None;
    };
    match e.code {
        C::DatabaseBusy | C::DatabaseLocked => Some("the database is locked by another process"),
        C::ReadOnly | C::PermissionDenied => Some("the database is read-only"),
        C::DiskFull => Some("the disk holding the database is full"),
        C::SystemIoFailure | C::CannotOpen => Some("the database cannot be read or written"),
        _ => None,
    }
}

const COLUMNS: &str = "id, time, kind, target, key, before, after, author, reverts, form";

/// Reads one row of `COLUMNS`.
fn row_to_change(path: &str, row: &rusqlite::Row<'_>) -> Result<Change, StoreError> {
    let err = |e| sqlite_error(path, e);
    let time: String = row.get(1).map_err(err)?;
    StoredRow {
        id: row.get(0).map_err(err)?,
        time: time.parse().map_err(|e| format!("{time:?}: {e}")),
        kind: row.get(2).map_err(err)?,
        target: row.get(3).map_err(err)?,
        key: row.get(4).map_err(err)?,
        before: row.get(5).map_err(err)?,
        after: row.get(6).map_err(err)?,
        author: row.get(7).map_err(err)?,
        reverts: row.get(8).map_err(err)?,
        form: row.get(9).map_err(err)?,
    }
    .into_change(path)
}

impl Store for SqliteStore {
    /// Takes the write lock (`BEGIN IMMEDIATE`) and lets it go at once: fails when another
    /// process holds it for longer than a second, or the file cannot be locked for writing.
    fn probe(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn, path| {
            let err = |e| sqlite_error(path, e);
            conn.busy_timeout(PROBE_TIMEOUT).map_err(err)?;
            let began = conn.execute_batch("BEGIN IMMEDIATE");
            let ended = match began {
                Ok(()) => conn.execute_batch("ROLLBACK"),
                Err(_) => Ok(()),
            };
            conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
            began.and(ended).map_err(err)
        })
    }

    fn append(&self, change: NewChange, base: i64) -> BoxFuture<'_, Result<Change, StoreError>> {
        self.blocking(move |conn, path| {
            let err = |e| sqlite_error(path, e);
            let text = |v: &Option<serde_json::Value>| v.as_ref().map(serde_json::Value::to_string);
            // `IMMEDIATE` takes the write lock first, so no other process appends to the
            // entry between the check and the insert.
            let tx = conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(err)?;
            let found: i64 = tx
                .prepare_cached(
                    "SELECT coalesce(max(id), 0) FROM changes WHERE target = ?1 AND key = ?2",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(params![change.target, change.key], |r| r.get(0))
                })
                .map_err(err)?;
            if found != base {
                return Err(StoreError::Conflict {
                    target: change.target,
                    key: change.key,
                    base,
                    found,
                });
            }
            let time = jiff::Timestamp::now();
            tx.execute(
                "INSERT INTO changes (time, kind, target, key, before, after, author, reverts, form)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    time.to_string(),
                    change.kind.as_str(),
                    change.target,
                    change.key,
                    text(&change.before),
                    text(&change.after),
                    change.author,
                    change.reverts,
                    change.form,
                ],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            tx.commit().map_err(err)?;
            Ok(Change { id, time, change })
        })
    }

    fn since(&self, after: i64, limit: usize) -> BoxFuture<'_, Result<Vec<Change>, StoreError>> {
        self.blocking(move |conn, path| {
            let err = |e| sqlite_error(path, e);
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM changes WHERE id > ?1 ORDER BY id LIMIT ?2"
                ))
                .map_err(err)?;
            let mut rows = stmt.query(params![after, limit]).map_err(err)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(err)? {
                out.push(row_to_change(path, row)?);
            }
            Ok(out)
        })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<Change>, StoreError>> {
        self.blocking(move |conn, path| {
            let err = |e| sqlite_error(path, e);
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {COLUMNS} FROM changes WHERE id = ?1"))
                .map_err(err)?;
            let found = stmt
                .query_row(params![id], |row| Ok(row_to_change(path, row)))
                .optional()
                .map_err(err)?;
            found.transpose()
        })
    }
}

impl SqliteStore {
    /// Writes a consistent copy of the live database to the new file `out` (`VACUUM INTO`):
    /// every change committed before the call, none after, compacted, and synced to disk.
    /// Writers wait while it runs; readers of the file itself do not.
    ///
    /// Blocks for as long as the copy takes: in async code, call it inside `spawn_blocking`.
    ///
    /// # Errors
    /// [`StoreError::Backup`] when `out` already exists (it is left as it was), when its path
    /// is not UTF-8, or when SQLite or the file system fails (a partial copy is removed).
    pub fn backup(&self, out: &Path) -> Result<(), StoreError> {
        let fail = |reason: String| StoreError::Backup {
            path: self.path.to_string(),
            out: out.display().to_string(),
            reason,
        };
        // `symlink_metadata`: a dangling symlink exists too, and SQLite would follow it.
        if out.symlink_metadata().is_ok() {
            return Err(fail("the file already exists".into()));
        }
        let Some(target) = out.to_str() else {
            return Err(fail("its path is not valid UTF-8".into()));
        };
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Task("connection lock poisoned".into()))?;
        let copied = conn
            .execute("VACUUM INTO ?1", params![target])
            .map_err(|e| e.to_string())
            .and_then(|_| sync_new_file(out).map_err(|e| format!("syncing it to disk: {e}")));
        drop(conn);
        copied.map_err(|reason| {
            // The file did not exist before: what is there now is an unfinished copy.
            let _ = std::fs::remove_file(out);
            fail(reason)
        })
    }
}

/// Makes a newly written file and its directory entry durable (SQLite does not sync the
/// output of `VACUUM INTO`).
fn sync_new_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()?;
    if cfg!(unix)
        && let Some(dir) = path.parent()
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ChangeKind;
    use serde_json::json;

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

    #[tokio::test]
    async fn an_empty_log_has_no_changes() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(store.since(0, 10).await.unwrap(), Vec::new());
        assert_eq!(store.get(1).await.unwrap(), None);
    }

    #[tokio::test]
    async fn appended_changes_read_back_in_order_and_page() {
        let store = SqliteStore::open_in_memory().unwrap();
        for i in 0..5 {
            let c = store
                .append(control("ghab-plain", &format!("2015-08-1{i}"), "ed"), 0)
                .await
                .unwrap();
            assert_eq!(c.id, i + 1);
        }
        let page = store.since(2, 2).await.unwrap();
        assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(page[0].change, control("ghab-plain", "2015-08-12", "ed"));
        assert_eq!(
            store.get(5).await.unwrap().unwrap().change.key,
            "2015-08-14"
        );
    }

    #[tokio::test]
    async fn a_file_database_keeps_changes_across_reopening_in_wal_mode() {
        let dir = std::env::temp_dir().join(format!("frontline-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("reopen.db");
        let _ = std::fs::remove_file(&path);
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .append(control("ghab-plain", "2015-08-11", "ed"), 0)
                .await
                .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let all = store.since(0, 100).await.unwrap();
        assert_eq!(all.len(), 1);
        let conn = store.conn.lock().unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(
            (mode.as_str(), sync, version),
            ("wal", 2, latest()),
            "WAL, FULL (2), migrated"
        );
        drop(conn);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let dir = std::env::temp_dir().join(format!("frontline-store-new-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("newer.db");
        let _ = std::fs::remove_file(&path);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "database {} has schema version 99; this frontline knows up to 3",
                path.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_each_land_exactly_once() {
        let store = SqliteStore::open_in_memory().unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for i in 0..50 {
                        let c = store
                            .append(
                                control(&format!("r{w}"), &format!("{i}"), &format!("w{w}")),
                                0,
                            )
                            .await
                            .unwrap();
                        ids.push(c.id);
                    }
                    ids
                })
            })
            .collect();
        let mut acknowledged = Vec::new();
        for t in tasks {
            acknowledged.extend(t.await.unwrap());
        }
        let stored = store.since(0, 1000).await.unwrap();
        let mut stored_ids: Vec<i64> = stored.iter().map(|c| c.id).collect();
        acknowledged.sort_unstable();
        stored_ids.sort_unstable();
        assert_eq!(acknowledged.len(), 400);
        assert_eq!(
            stored_ids, acknowledged,
            "every acknowledged write is stored exactly once"
        );
        let mut keys: Vec<(String, String)> = stored
            .iter()
            .map(|c| (c.change.target.clone(), c.change.key.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 400);
    }

    #[tokio::test]
    async fn a_hand_edited_row_is_reported_by_id_and_column() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .conn
            .lock()
            .unwrap()
            .execute_batch(
                "INSERT INTO changes (time, kind, target, key, after, author)
                 VALUES ('2024-06-01T12:00:00Z', 'control', 'ghab-plain', '2015-08-11', '{oops', 'ed')",
            )
            .unwrap();
        let err = store.since(0, 10).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { id: 1, .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("database :memory:: change 1: after is not JSON"),
            "{err}"
        );
    }

    /// A fresh directory for one test's files.
    fn test_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("frontline-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn a_backup_of_a_live_database_holds_every_committed_change() {
        let dir = test_dir("backup");
        let store = SqliteStore::open(&dir.join("live.db")).unwrap();
        let mut appended = Vec::new();
        for from in ["2015-08-11", "2015-09-01", "2016-01-22"] {
            appended.push(
                store
                    .append(control("ghab-plain", from, "ed"), 0)
                    .await
                    .unwrap(),
            );
        }
        let out = dir.join("backup.db");
        store.backup(&out).unwrap();
        // Later changes go to the live database only.
        store
            .append(control("ghab-plain", "2017-01-01", "ed"), 0)
            .await
            .unwrap();

        let copy = SqliteStore::open(&out).unwrap();
        assert_eq!(copy.since(0, 100).await.unwrap(), appended);
        assert_eq!(
            store.since(0, 100).await.unwrap().len(),
            4,
            "the live store goes on"
        );
        // The copy is a working store: ids continue after the last backed-up change.
        assert_eq!(
            copy.append(control("x", "2020-01-01", "ed"), 0)
                .await
                .unwrap()
                .id,
            4
        );
        drop((store, copy));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_backup_never_replaces_an_existing_file() {
        let dir = test_dir("backup-exists");
        let store = SqliteStore::open(&dir.join("live.db")).unwrap();
        store
            .append(control("ghab-plain", "2015-08-11", "ed"), 0)
            .await
            .unwrap();
        let out = dir.join("taken.db");
        std::fs::write(&out, "not a backup").unwrap();
        let err = store.backup(&out).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot back up database {} to {}: the file already exists",
                dir.join("live.db").display(),
                out.display()
            )
        );
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "not a backup");
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_backup_leaves_no_file_behind() {
        let store = SqliteStore::open_in_memory().unwrap();
        let out = std::env::temp_dir()
            .join(format!("frontline-no-such-dir-{}", std::process::id()))
            .join("backup.db");
        let err = store.backup(&out).unwrap_err();
        assert!(
            matches!(&err, StoreError::Backup { out: o, .. } if *o == out.display().to_string()),
            "{err}"
        );
        assert!(!out.exists());
    }

    #[tokio::test]
    async fn a_locked_database_is_unavailable_and_says_where() {
        let dir = test_dir("locked");
        let path = dir.join("locked.db");
        let store = SqliteStore::open(&path).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let err = store.probe().await.unwrap_err();
        assert_eq!(
            err.unavailable(),
            Some("the database is locked by another process"),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("database {}: ", path.display())),
            "{err}"
        );
        other.execute_batch("ROLLBACK").unwrap();
        store.probe().await.unwrap();
        drop((store, other));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_query_error_is_not_unavailability() {
        let store = SqliteStore::open_in_memory().unwrap();
        let conn = store.conn.lock().unwrap();
        let e = conn
            .execute_batch("SELECT * FROM no_such_table")
            .unwrap_err();
        let err = sqlite_error(":memory:", e);
        assert_eq!(err.unavailable(), None);
        assert_eq!(
            err.to_string(),
            "database :memory:: no such table: no_such_table"
        );
    }
}
