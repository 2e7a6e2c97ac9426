//! [`PostgresStore`]: the change log in PostgreSQL (with PostGIS), shared by several
//! servers. Appends are serialised by a transaction-scoped advisory lock, so ids become
//! visible in id order, and each is announced with `pg_notify` carrying only its id; a
//! `LISTEN` connection, reconnecting with backoff, drives [`Store::announcements`].

mod control;
mod geodata;
mod schema;

pub use control::{ControlPiece, MapState};
pub use geodata::Existing;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{BoxFuture, Change, GeodataTexts, NewChange, Store, StoreError, StoredRow};
use schema::{MIGRATIONS, latest};

/// The channel appends are announced on; the payload is the change's id.
pub const CHANNEL: &str = "frontline_changes";
/// The advisory lock every append holds until it commits ("fl-append").
const APPEND_LOCK: i64 = 0x666c_2d61_7070_656e;
/// The advisory lock a migration holds, so replicas starting together migrate once.
const MIGRATE_LOCK: i64 = 0x666c_2d6d_6967_7261;
/// Connections in the pool: writes are serialised anyway, reads are rare (start-up and
/// catching up), so a few suffice.
const POOL_SIZE: usize = 4;
/// How long a query waits for a pooled connection, or for a new one to connect.
const POOL_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest pause between two attempts of the `LISTEN` connection to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The change log in PostgreSQL. Cloning shares the pool and the listener.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: Arc<str>,
    /// The highest change id announced, woken on every announcement and reconnection.
    announced: watch::Receiver<i64>,
    /// Stops the `LISTEN` task when the last clone is dropped.
    _listener: Arc<AbortOnDrop>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether `db` names a PostgreSQL database (`postgres://…` or `postgresql://…`) rather than
/// a SQLite file.
#[must_use]
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// `url` without its password (in the user part or a `password=` parameter), for messages
/// and logs.
#[must_use]
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => before_query.split_at(i),
        None => (before_query, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.to_ascii_lowercase().starts_with("password="))
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out
}

/// `e` as a [`StoreError::Database`] of the store shown as `shown`, classified.
pub(crate) fn pg_error(shown: &str, e: &tokio_postgres::Error) -> StoreError {
    let message = match e.as_db_error() {
        Some(db) => db.to_string(),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    };
    StoreError::Database {
        store: shown.to_owned(),
        message,
        unavailable: unavailable(e),
    }
}

/// Why PostgreSQL cannot take a write for now, when that is what `e` says.
fn unavailable(e: &tokio_postgres::Error) -> Option<&'static str> {
    if e.is_closed() {
        return Some("the connection to the database server was closed");
    }
    if let Some(code) = e.code() {
        let c = code.code();
        return if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            Some("the database is read-only")
        } else if *code == SqlState::DISK_FULL {
            Some("the disk holding the database is full")
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            Some("the database server refuses more connections")
        } else if c.starts_with("57P") || c.starts_with("08") {
            // Operator intervention (admin or crash shutdown, cannot connect now) and
            // connection exceptions.
            Some("the database server is shutting down, starting or unreachable")
        } else {
            None
        };
    }
    // No answer from the server at all: it could not be reached, or the socket failed.
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return Some("the database server cannot be reached");
        }
        cause = c.source();
    }
    None
}

fn pool_error(shown: &str, e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError as P;
    match e {
        P::Backend(e) => pg_error(shown, &e),
        P::Timeout(_) => StoreError::Database {
            store: shown.to_owned(),
            message: format!(
                "no connection to the database server within {} s",
                POOL_TIMEOUT.as_secs()
            ),
            unavailable: Some("the database server cannot be reached"),
        },
        other => StoreError::Database {
            store: shown.to_owned(),
            message: other.to_string(),
            unavailable: None,
        },
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`), creates
    /// PostGIS and the schema if needed (under an advisory lock, so replicas starting
    /// together do it once) and starts listening for other servers' appends.
    ///
    /// # Errors
    /// An unparsable URL, an unreachable server, a schema newer than this build, or missing
    /// rights to create PostGIS (the message gives the statement to run as a superuser).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let shown: Arc<str> = redact(url).into();
        let mut config: tokio_postgres::Config =
            url.parse()
                .map_err(|e: tokio_postgres::Error| StoreError::Database {
                    store: shown.to_string(),
                    message: format!("not a PostgreSQL URL: {e}"),
                    unavailable: None,
                })?;
        config
            .connect_timeout(POOL_TIMEOUT)
            .keepalives_idle(Duration::from_secs(30))
            .application_name("frontline");
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Database {
                store: shown.to_string(),
                message: e.to_string(),
                unavailable: None,
            })?;
        migrate(&pool, &shown).await?;
        let (tx, announced) = watch::channel(0);
        let listener = tokio::spawn(listen(config, Arc::clone(&shown), tx));
        Ok(Self {
            pool,
            shown,
            announced,
            _listener: Arc::new(AbortOnDrop(listener)),
        })
    }

    /// The URL without its password.
    #[must_use]
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| pool_error(&self.shown, e))
    }

    /// `e` as this store's error.
    pub(crate) fn error(&self, e: &tokio_postgres::Error) -> StoreError {
        pg_error(&self.shown, e)
    }
}

/// Creates PostGIS (if missing) and brings the schema up to date, in one transaction under
/// [`MIGRATE_LOCK`].
async fn migrate(pool: &Pool, shown: &str) -> Result<(), StoreError> {
    let err = |e: tokio_postgres::Error| pg_error(shown, &e);
    let mut client = pool.get().await.map_err(|e| pool_error(shown, e))?;
    let mut tx = client.transaction().await.map_err(err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .await
        .map_err(err)?;
    let has_postgis = tx
        .query_opt("SELECT 1 FROM pg_extension WHERE extname = 'postgis'", &[])
        .await
        .map_err(err)?
        .is_some();
    if !has_postgis {
        let db: String = tx
            .query_one("SELECT current_database()", &[])
            .await
            .map_err(err)?
            .get(0);
        // A savepoint, so the transaction survives a refusal and the message can be ours.
        let sp = tx.savepoint("postgis").await.map_err(err)?;
        match sp.batch_execute("CREATE EXTENSION postgis").await {
            Ok(()) => sp.commit().await.map_err(err)?,
            Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
                return Err(StoreError::Database {
                    store: shown.to_owned(),
                    message: format!(
                        "PostGIS is not installed in database {db:?} and this user may not \
                         install it; as a superuser, run: CREATE EXTENSION postgis; \
                         (e.g. psql -d {db} -c 'CREATE EXTENSION postgis')"
                    ),
                    unavailable: None,
                });
            }
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_FILE) => {
                return Err(StoreError::Database {
                    store: shown.to_owned(),
                    message: format!(
                        "PostGIS is not installed on the database server ({}); on Debian: \
                         apt-get install postgresql-15-postgis-3",
                        e.as_db_error()
                            .map_or_else(|| e.to_string(), ToString::to_string)
                    ),
                    unavailable: None,
                });
            }
            Err(e) => return Err(err(e)),
        }
    }
    tx.batch_execute("CREATE TABLE IF NOT EXISTS frontline_schema (version integer NOT NULL)")
        .await
        .map_err(err)?;
    let version: Option<i32> = tx
        .query_opt("SELECT version FROM frontline_schema", &[])
        .await
        .map_err(err)?
        .map(|r| r.get(0));
    let version = if let Some(v) = version {
        v
    } else {
        tx.execute("INSERT INTO frontline_schema (version) VALUES (0)", &[])
            .await
            .map_err(err)?;
        0
    };
    if version > latest() {
        return Err(StoreError::TooNew {
            path: shown.to_owned(),
            found: version.into(),
            known: latest().into(),
        });
    }
    let pending = usize::try_from(version).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(pending) {
        tx.batch_execute(sql).await.map_err(err)?;
        let next = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.execute("UPDATE frontline_schema SET version = $1", &[&next])
            .await
            .map_err(err)?;
    }
    tx.commit().await.map_err(err)
}

/// Keeps a `LISTEN` connection open, reconnecting with backoff, and forwards each
/// announced id to `tx`; wakes the receivers after every (re)connection, since changes may
/// have been announced while no one listened.
async fn listen(config: tokio_postgres::Config, shown: Arc<str>, tx: watch::Sender<i64>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let listened = listen_once(&config, &shown, &tx, &mut backoff).await;
        if tx.is_closed() {
            return;
        }
        tracing::warn!(
            "change announcements from {shown}: {listened}; reconnecting in {} ms",
            backoff.as_millis()
        );
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One `LISTEN` connection, until it fails; returns why. Resets `backoff` once listening.
async fn listen_once(
    config: &tokio_postgres::Config,
    shown: &str,
    tx: &watch::Sender<i64>,
    backoff: &mut Duration,
) -> String {
    let (client, mut connection) = match config.connect(NoTls).await {
        Ok(pair) => pair,
        Err(e) => return pg_error(shown, &e).to_string(),
    };
    let (notes_tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
    // The connection must be polled for `LISTEN` itself to complete.
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(|cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if notes_tx.send(n.payload().to_owned()).is_err() {
                        return None;
                    }
                }
                Ok(_) => {}
                Err(e) => return Some(e),
            }
        }
        None
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        driver.abort();
        return pg_error(shown, &e).to_string();
    }
    *backoff = Duration::from_millis(100);
    tracing::debug!("listening for changes on {shown}");
    // Whatever was announced while no one listened: receivers read the log again.
    tx.send_modify(|_| {});
    while let Some(payload) = notes.recv().await {
        if let Ok(id) = payload.parse::<i64>() {
            // Even an older id wakes: it may be a change not yet read.
            tx.send_modify(|seen| *seen = id.max(*seen));
        } else {
            tracing::warn!(
                "ignoring an announcement on {CHANNEL} that is not a change id: {payload:?}"
            );
        }
    }
    drop(client);
    if let Ok(Some(e)) = driver.await {
        pg_error(shown, &e).to_string()
    } else {
        "the connection ended".into()
    }
}

const COLUMNS: &str = "id, (extract(epoch FROM time) * 1000000)::bigint, kind, target, key, \
                       before::text, after::text, author, reverts, form";

/// Reads one row of `COLUMNS`.
fn row_to_change(shown: &str, row: &tokio_postgres::Row) -> Result<Change, StoreError> {
    let err = |e: tokio_postgres::Error| pg_error(shown, &e);
    let micros: i64 = row.try_get(1).map_err(err)?;
    let form: i32 = row.try_get(9).map_err(err)?;
    StoredRow {
        id: row.try_get(0).map_err(err)?,
        time: jiff::Timestamp::from_microsecond(micros).map_err(|e| format!("{micros} µs: {e}")),
        kind: row.try_get(2).map_err(err)?,
        target: row.try_get(3).map_err(err)?,
        key: row.try_get(4).map_err(err)?,
        before: row.try_get(5).map_err(err)?,
        after: row.try_get(6).map_err(err)?,
        author: row.try_get(7).map_err(err)?,
        reverts: row.try_get(8).map_err(err)?,
        form: i64::from(form),
    }
    .into_change(shown)
}

/// Inserts `change` as it is (id and time included, or a new id when `id` is `None`) inside
/// `tx`, which must hold [`APPEND_LOCK`]; announces it on commit. Returns the id.
pub(crate) async fn insert_change(
    tx: &deadpool_postgres::Transaction<'_>,
    id: Option<i64>,
    time: jiff::Timestamp,
    change: &NewChange,
) -> Result<i64, tokio_postgres::Error> {
    let text = |v: &Option<serde_json::Value>| v.as_ref().map(serde_json::Value::to_string);
    let form = i32::try_from(change.form).unwrap_or(i32::MAX);
    let row = tx
        .query_one(
            "INSERT INTO changes (id, time, kind, target, key, before, after, author, reverts, form)
             VALUES (coalesce($1, nextval(pg_get_serial_sequence('changes', 'id'))),
                     timestamptz 'epoch' + $2::bigint * interval '1 microsecond',
                     $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8, $9, $10)
             RETURNING id",
            &[
                &id,
                &time.as_microsecond(),
                &change.kind.as_str(),
                &change.target,
                &change.key,
                &text(&change.before),
                &text(&change.after),
                &change.author,
                &change.reverts,
                &form,
            ],
        )
        .await?;
    let id: i64 = row.try_get(0)?;
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &id.to_string()])
        .await?;
    Ok(id)
}

/// Takes the append lock for the rest of `tx`.
pub(crate) async fn lock_appends(
    tx: &deadpool_postgres::Transaction<'_>,
) -> Result<(), tokio_postgres::Error> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])
        .await
        .map(drop)
}

impl PostgresStore {
    /// Copies every change of `from` into this log, which must be empty, ids and times kept
    /// (times to the microsecond), in one transaction; later appends continue after the last
    /// id. Returns how many changes were copied.
    ///
    /// # Errors
    /// This log is not empty (nothing is written), or either database failed.
    pub async fn copy_log_from(&self, from: &dyn Store) -> Result<usize, StoreError> {
        let err = |e: tokio_postgres::Error| self.error(&e);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        lock_appends(&tx).await.map_err(err)?;
        let held: i64 = tx
            .query_one("SELECT count(*) FROM changes", &[])
            .await
            .map_err(err)?
            .get(0);
        if held > 0 {
            return Err(StoreError::Database {
                store: self.shown.to_string(),
                message: format!(
                    "its change log already holds {held} changes; migrate only into an empty one"
                ),
                unavailable: None,
            });
        }
        let mut last = 0;
        let mut copied = 0;
        loop {
            let page = from.since(last, 1000).await?;
            let Some(end) = page.last().map(|c| c.id) else {
                break;
            };
            for c in &page {
                insert_change(&tx, Some(c.id), c.time, &c.change)
                    .await
                    .map_err(err)?;
            }
            copied += page.len();
            last = end;
        }
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('changes', 'id'), max(id)) FROM changes \
             HAVING count(*) > 0",
            &[],
        )
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(copied)
    }
}

impl Store for PostgresStore {
    /// A pooled connection answers, and the database is not read-only (a standby, or
    /// `default_transaction_read_only`).
    fn probe(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row = client
                .query_one("SELECT current_setting('transaction_read_only')", &[])
                .await
                .map_err(|e| self.error(&e))?;
            let read_only: String = row.get(0);
            if read_only == "on" {
                return Err(StoreError::Database {
                    store: self.shown.to_string(),
                    message: "the database only allows reading (transaction_read_only is on)"
                        .into(),
                    unavailable: Some("the database is read-only"),
                });
            }
            Ok(())
        })
    }

    fn append(&self, change: NewChange, base: i64) -> BoxFuture<'_, Result<Change, StoreError>> {
        Box::pin(async move {
            let err = |e: tokio_postgres::Error| self.error(&e);
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(err)?;
            // Held until commit: ids are handed out and become visible in the same order,
            // and no other server appends to the entry between the check and the insert.
            lock_appends(&tx).await.map_err(err)?;
            let found: i64 = tx
                .query_one(
                    "SELECT coalesce(max(id), 0) FROM changes WHERE target = $1 AND key = $2",
                    &[&change.target, &change.key],
                )
                .await
                .map_err(err)?
                .get(0);
            if found != base {
                return Err(StoreError::Conflict {
                    target: change.target,
                    key: change.key,
                    base,
                    found,
                });
            }
            // Microseconds: what timestamptz keeps, so the change reads back equal.
            let now = jiff::Timestamp::now().as_microsecond();
            let time = jiff::Timestamp::from_microsecond(now)
                .map_err(|e| StoreError::Task(e.to_string()))?;
            let id = insert_change(&tx, None, time, &change).await.map_err(err)?;
            tx.commit().await.map_err(err)?;
            Ok(Change { id, time, change })
        })
    }

    fn since(&self, after: i64, limit: usize) -> BoxFuture<'_, Result<Vec<Change>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = client
                .query(
                    &format!("SELECT {COLUMNS} FROM changes WHERE id > $1 ORDER BY id LIMIT $2"),
                    &[&after, &limit],
                )
                .await
                .map_err(|e| self.error(&e))?;
            rows.iter().map(|r| row_to_change(&self.shown, r)).collect()
        })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<Change>, StoreError>> {
        Box::pin(async move {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {COLUMNS} FROM changes WHERE id = $1"),
                    &[&id],
                )
                .await
                .map_err(|e| self.error(&e))?;
            row.map(|r| row_to_change(&self.shown, &r)).transpose()
        })
    }

    fn announcements(&self) -> Option<watch::Receiver<i64>> {
        Some(self.announced.clone())
    }

    fn geodata(&self) -> BoxFuture<'_, Result<Option<GeodataTexts>, StoreError>> {
        Box::pin(self.read_geodata())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            redact("postgres://ed:s3cret@db.example:5433/frontline?sslmode=disable"),
            "postgres://ed@db.example:5433/frontline?sslmode=disable"
        );
        assert_eq!(
            redact("postgresql://ed:p%40ss@db/fl?password=x&application_name=a"),
            "postgresql://ed@db/fl?application_name=a"
        );
        assert_eq!(
            redact("postgres://ed@db/fl?PASSWORD=x"),
            "postgres://ed@db/fl"
        );
        assert_eq!(redact("postgres://db/fl"), "postgres://db/fl");
        assert_eq!(redact("postgres://ed:x@db"), "postgres://ed@db");
    }

    #[test]
    fn only_postgres_urls_select_postgres() {
        assert!(is_postgres_url("postgres://db/fl"));
        assert!(is_postgres_url("postgresql://db/fl"));
        assert!(!is_postgres_url("frontline.db"));
        assert!(!is_postgres_url("/var/lib/postgres/frontline.db"));
    }
}
