//! The command line's PostgreSQL side: `--db postgres://…` for `serve`, `query` and `export`
//! (the database holds the data set, seeded from `--data` on first start), `import` and
//! `migrate`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow};

use super::{DataArgs, Failure, ImportArgs, MigrateArgs, count, print};
use crate::geodata::{self, Loaded, Report};
use crate::store::{Existing, PostgresStore, SqliteStore, is_postgres_url, redact};

/// The PostgreSQL URL `db` is, if it is one rather than a SQLite file.
pub(super) fn postgres_url(db: &Path) -> Option<&str> {
    db.to_str().filter(|s| is_postgres_url(s))
}

/// The data set's files in `data` as texts, checked by the loader.
fn checked_texts(data: &DataArgs) -> Result<crate::store::GeodataTexts, Failure> {
    let dir = &data.data;
    let invalid = |report: &Report| Failure {
        code: 1,
        error: anyhow!(
            "{report}{}: the data is invalid ({} problems)",
            dir.display(),
            report.problems.len()
        ),
    };
    let texts = geodata::read_texts(dir, data.limits()).map_err(|r| invalid(&r))?;
    geodata::parse_within(texts.texts(), data.limits()).map_err(|r| invalid(&r))?;
    Ok(texts)
}

/// Opens the PostgreSQL store at `url` and the data set it holds. With `seed`, a database
/// holding no data set yet gets the one in `--data` first (after the loader's checks);
/// without, such a database is served with the files' data set, and nothing is written.
pub(super) async fn open(
    url: &str,
    data: &DataArgs,
    seed: bool,
) -> Result<(PostgresStore, Loaded), Failure> {
    let store = PostgresStore::open(url)
        .await
        .context("cannot open the edits database")
        .map_err(Failure::usage)?;
    let stored = read_stored(&store, data).await?;
    if let Some(loaded) = stored {
        return Ok((store, loaded));
    }
    let texts = checked_texts(data)?;
    if seed
        && store
            .put_geodata(&texts, Existing::Keep)
            .await
            .context("cannot store the data set in the database")
            .map_err(Failure::usage)?
    {
        tracing::info!(
            "stored the data set of {} in {}",
            data.data.display(),
            store.shown()
        );
    }
    // Whatever is in the database now (another replica may have seeded it first).
    if let Some(loaded) = read_stored(&store, data).await? {
        return Ok((store, loaded));
    }
    let loaded = geodata::parse_within(texts.texts(), data.limits())
        .map_err(|r| Failure::usage(anyhow!("{r}")))?;
    Ok((store, loaded))
}

/// The data set the database holds, parsed with the loader's checks.
async fn read_stored(store: &PostgresStore, data: &DataArgs) -> Result<Option<Loaded>, Failure> {
    use crate::store::Store as _;
    let Some(texts) = store
        .geodata()
        .await
        .context("cannot read the data set from the database")
        .map_err(Failure::usage)?
    else {
        return Ok(None);
    };
    geodata::parse_within(texts.texts(), data.limits())
        .map(Some)
        .map_err(|report| Failure {
            code: 1,
            error: anyhow!(
                "{report}database {}: the data set stored there is invalid ({} problems); \
                 replace it with `frontline import`",
                store.shown(),
                report.problems.len()
            ),
        })
}

/// `frontline import`: replaces the data set in the database with `--data`'s, checked.
pub(super) fn import(args: &ImportArgs) -> Result<ExitCode, Failure> {
    let Some(url) = postgres_url(&args.db) else {
        return Err(Failure::usage(anyhow!(
            "import stores a data set in a PostgreSQL database (--db postgres://…); with \
             SQLite the server reads the geodata files themselves"
        )));
    };
    let texts = checked_texts(&args.data)?;
    let runtime = super::current_thread_runtime()?;
    let regions = runtime.block_on(async {
        let store = PostgresStore::open(url)
            .await
            .context("cannot open the database")
            .map_err(Failure::usage)?;
        store
            .put_geodata(&texts, Existing::Replace)
            .await
            .context("cannot store the data set")
            .map_err(Failure::usage)?;
        geodata::parse_within(texts.texts(), args.data.limits())
            .map(|l| l.dataset.regions.len())
            .map_err(|r| Failure::usage(anyhow!("{r}")))
    })?;
    print(&format!(
        "{}: imported {} from {}; restart the servers to serve it\n",
        redact(url),
        count(regions, "region"),
        args.data.data.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `frontline migrate`: copies a SQLite change log into an empty PostgreSQL one, ids and
/// times as they were.
pub(super) fn migrate(args: &MigrateArgs) -> Result<ExitCode, Failure> {
    let Some(url) = postgres_url(&args.to) else {
        return Err(Failure::usage(anyhow!(
            "--to must be a PostgreSQL URL (postgres://…), not {}",
            args.to.display()
        )));
    };
    if !args.from.exists() {
        return Err(Failure::usage(anyhow!(
            "edits database {} does not exist",
            args.from.display()
        )));
    }
    let from = SqliteStore::open(&args.from)
        .context("cannot open the SQLite database")
        .map_err(Failure::usage)?;
    let runtime = super::current_thread_runtime()?;
    let copied = runtime.block_on(async {
        let to = PostgresStore::open(url)
            .await
            .context("cannot open the PostgreSQL database")
            .map_err(Failure::usage)?;
        to.copy_log_from(&from)
            .await
            .with_context(|| format!("cannot migrate {}", args.from.display()))
            .map_err(Failure::usage)
    })?;
    print(&format!(
        "{}: copied {} from {}\n",
        redact(url),
        count(copied, "change"),
        args.from.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// How often the server looks whether today's control map in the database needs writing.
const MAP_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Keeps `control_today` in the database current for SQL and QGIS users: written after
/// each change this server applies and at each new day (UTC); the store skips a write for a
/// state older than the stored one, so a server that is behind never overwrites it.
pub(super) async fn keep_control_map(live: crate::live::Live, store: PostgresStore) {
    use crate::store::MapState;
    let mut written: Option<MapState> = None;
    loop {
        let snapshot = live.snapshot();
        let today = crate::model::today_utc();
        let state = MapState {
            change_id: snapshot.last_change,
            day: today.to_string(),
            data_version: snapshot.version.clone(),
        };
        if written.as_ref() != Some(&state) {
            let pieces =
                tokio::task::spawn_blocking(move || control_pieces(&snapshot.engine, today)).await;
            match pieces {
                Ok(pieces) => match store.put_control_map(&state, &pieces).await {
                    Ok(_) => written = Some(state),
                    Err(e) => tracing::warn!("cannot write today's control map: {e}"),
                },
                Err(e) => tracing::warn!("cannot flatten today's control map: {e}"),
            }
        }
        tokio::time::sleep(MAP_CHECK).await;
    }
}

/// The pieces of the control map of `date`, as the `control` collection serves them.
pub(crate) fn control_pieces(
    engine: &crate::engine::Engine,
    date: crate::model::Date,
) -> Vec<crate::store::ControlPiece> {
    use crate::engine::{Scope, StatementId, StatementKey};
    let map = engine.control_map(date);
    map.pieces
        .iter()
        .map(|piece| {
            let s = engine.statement(piece.key);
            let region = match (s.id, piece.key) {
                (StatementId::Region(region, _), _) => Some(region.to_string()),
                (_, StatementKey::Area(i)) => engine.dataset().areas[i]
                    .region
                    .as_ref()
                    .map(ToString::to_string),
                _ => None,
            };
            crate::store::ControlPiece {
                statement: s.id.to_string(),
                scope: match s.scope() {
                    Scope::Area => "area",
                    Scope::Region => "region",
                },
                region,
                status: s.control.status.as_str().to_owned(),
                factions: s.control.factions.iter().map(ToString::to_string).collect(),
                holder: s.holder().as_str().to_owned(),
                since: s.control.from.to_string(),
                km2: piece.km2,
                geometry: geojson::Geometry::from(&piece.geometry).to_string(),
            }
        })
        .collect()
}
