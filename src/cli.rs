//! The `frontline` command line: clap types and one function per subcommand. The only module
//! that prints (answers and reports to stdout, errors to stderr).

use std::io::{self, Write};
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand};

use crate::answer::{Detail, PointAnswer};
use crate::engine::Engine;
use crate::geodata::{self, DataLimits, Loaded, Report};
use crate::http::Limits;
use crate::live::Live;
use crate::model::{Dataset, Date, LonLat, parse_date, today_utc};

mod postgres;

const EXIT_CODES: &str = "\
Exit status:
  0  success (a query outside every region is a success, answered with `nearest`)
  1  the data is invalid (the report is printed: by `check` on stdout, otherwise on stderr)
  2  usage error or unreadable path";

/// Who controlled this place on that day, and who says so?
///
/// With no subcommand, serves the map and API (as `frontline serve`).
#[derive(Debug, Parser)]
#[command(name = "frontline", version, about, after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for the default `serve`.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the map, the OGC API – Features and the query API over HTTP (the default).
    Serve(ServeArgs),
    /// Validate a geodata directory and report every problem, and warn where the resolution
    /// rule never puts a statement in force or a region-wide entry ends finer statements.
    Check(DataArgs),
    /// Which regions contain a point, under whose control, on which date.
    Query(QueryArgs),
    /// Write the geodata files with the stored edits applied (so an editor can commit them).
    Export(ExportArgs),
    /// Copy a live edits database consistently (use this, not cp: the WAL may hold writes).
    /// SQLite only: back up PostgreSQL with `pg_dump`.
    Backup(BackupArgs),
    /// Replace the data set held in a PostgreSQL database with the geodata files, checked.
    Import(ImportArgs),
    /// Copy a SQLite edits database into an empty PostgreSQL one, ids and times kept.
    Migrate(MigrateArgs),
    /// Write a deterministic synthetic data set, for benchmarks only (not a real place).
    Synth(SynthArgs),
    /// Time the engine on a batch of points in process (`scripts/bench-compare`; hidden).
    #[command(hide = true)]
    BenchBatch(BenchBatchArgs),
}

/// The edits database, for commands that read it.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// The database of edits, applied on top of the data set: a SQLite file, or a PostgreSQL
    /// URL (`postgres://user:password@host/db`), which also holds the data set.
    #[arg(
        long,
        env = "FRONTLINE_DB",
        default_value = "frontline.db",
        hide_env_values = true
    )]
    pub db: PathBuf,
}

/// What `import` stores, where.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The PostgreSQL database (`postgres://user:password@host/db`).
    #[arg(long, env = "FRONTLINE_DB", hide_env_values = true)]
    pub db: PathBuf,
    /// The geodata files to store.
    #[command(flatten)]
    pub data: DataArgs,
}

/// What `migrate` copies, where.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The SQLite edits database to copy.
    #[arg(long)]
    pub from: PathBuf,
    /// The PostgreSQL database to copy into (`postgres://user:password@host/db`); its change
    /// log must be empty.
    #[arg(long)]
    pub to: PathBuf,
}

/// Where to export to.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Directory to write factions.json, regions.geojson, events.geojson (and places.geojson).
    #[arg(long)]
    pub out: PathBuf,
    /// The edits.
    #[command(flatten)]
    pub db: DbArgs,
    /// The geodata the edits apply to.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Where to back up to.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The copy to create; must not exist yet.
    #[arg(long)]
    pub out: PathBuf,
    /// The database to copy.
    #[command(flatten)]
    pub db: DbArgs,
}

/// What synthetic data to write, and where.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// How many regions (a honeycomb of irregular, non-overlapping polygons).
    #[arg(long)]
    pub regions: usize,
    /// About how many vertices each region has (rounded to a multiple of 6, at least 6).
    #[arg(long, default_value_t = 50)]
    pub vertices: usize,
    /// How many overlapping control statements [default: as many as regions].
    #[arg(long)]
    pub statements: Option<usize>,
    /// The seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory to write factions.json, regions.geojson, control.geojson and events.geojson.
    #[arg(long)]
    pub out: PathBuf,
}

/// What `bench-batch` times, on which points.
#[derive(Debug, Args)]
pub struct BenchBatchArgs {
    /// CSV of points with a header row naming `id`, `lon`, `lat` and optionally `date`.
    #[arg(long)]
    pub points: PathBuf,
    /// Date for points without one [default: today, UTC].
    #[arg(long)]
    pub at: Option<String>,
    /// Timed runs of each figure.
    #[arg(long, default_value = "5")]
    pub runs: NonZeroUsize,
    /// Write `id,regions` (the ids of the regions containing each point, `;`-joined) here.
    #[arg(long)]
    pub answers: Option<PathBuf>,
    /// Where the geodata lives.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Where the geodata lives, and how much of it may be read.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Directory holding factions.json, regions.geojson and events.geojson.
    #[arg(long, env = "FRONTLINE_DATA", default_value = "geodata")]
    pub data: PathBuf,
    /// Largest geodata file in bytes; a larger one is refused from its size, unread (the data
    /// is then invalid, and a reload keeps the old data served).
    #[arg(long, env = "FRONTLINE_MAX_DATA_FILE_BYTES", default_value_t = DataLimits::DEFAULT.file_bytes)]
    pub max_data_file_bytes: u64,
    /// Most vertices one geodata file may hold (polygon ring positions, closing ones
    /// included, and points); reading stops beyond, and the data is invalid.
    #[arg(long, env = "FRONTLINE_MAX_DATA_FILE_VERTICES", default_value_t = DataLimits::DEFAULT.file_vertices)]
    pub max_data_file_vertices: usize,
}

impl DataArgs {
    /// The limits these flags set.
    #[must_use]
    pub fn limits(&self) -> DataLimits {
        DataLimits {
            file_bytes: self.max_data_file_bytes,
            file_vertices: self.max_data_file_vertices,
        }
    }
}

/// How to serve.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "FRONTLINE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Where the geodata lives.
    #[command(flatten)]
    pub data: DataArgs,
    /// The database of edits: a SQLite file (created if missing; back it up with `frontline
    /// backup`), or a PostgreSQL URL (`postgres://user:password@host/db`) shared by several
    /// servers, which then also holds the data set (seeded from `--data` when empty; the files
    /// are not watched; back it up with `pg_dump`).
    #[arg(
        long,
        env = "FRONTLINE_DB",
        default_value = "frontline.db",
        hide_env_values = true
    )]
    pub db: PathBuf,
    /// Editors' tokens, one `name:token` per line. With neither this nor the `FRONTLINE_TOKEN`
    /// environment variable, the server is read-only.
    #[arg(long, env = "FRONTLINE_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Seconds between two reads of the edits database for changes other servers sharing it
    /// made (decimals allowed), which this server then applies and shows; 0 turns polling
    /// off, leaving only the database's own announcements (SQLite makes none).
    #[arg(long, env = "FRONTLINE_POLL_INTERVAL", default_value_t = PollInterval(Some(crate::live::DEFAULT_POLL)))]
    pub poll_interval: PollInterval,
    /// What requests may send and take.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The server's limits. A request beyond one is refused with a problem naming the flag.
#[derive(Debug, Args)]
#[allow(
    clippy::struct_field_names,
    reason = "the fields are the flags, named as users type them"
)]
pub struct LimitArgs {
    /// Largest request body in bytes, except a CSV batch's (413 beyond; a body that declares
    /// more in its Content-Length is refused before it is read).
    #[arg(long, env = "FRONTLINE_MAX_BODY_BYTES", default_value_t = Limits::default().body_bytes)]
    pub max_body_bytes: usize,
    /// Most points a JSON batch to `POST /api/query` may have; larger batches are refused
    /// with 413 (send them as CSV). Its body must also fit `--max-body-bytes`.
    #[arg(long, env = "FRONTLINE_BATCH_POINTS", default_value_t = Limits::default().batch_points)]
    pub batch_points: NonZeroUsize,
    /// Most rows (after the header) a CSV batch to `POST /api/query` may have; larger batches
    /// are refused with 413. Each may also average at most 256 bytes a row.
    #[arg(long, env = "FRONTLINE_BATCH_CSV_ROWS", default_value_t = Limits::default().csv_rows)]
    pub batch_csv_rows: NonZeroUsize,
    /// Seconds a request may take until its answer starts (503 beyond).
    #[arg(long, env = "FRONTLINE_REQUEST_TIMEOUT", default_value_t = Seconds(Limits::default().request_timeout))]
    pub request_timeout: Seconds,
    /// Seconds a request body may pause between two pieces (408 beyond).
    #[arg(long, env = "FRONTLINE_BODY_TIMEOUT", default_value_t = Seconds(Limits::default().body_timeout))]
    pub body_timeout: Seconds,
    /// Seconds a client may take to send a request's head (the connection is closed beyond).
    #[arg(long, env = "FRONTLINE_HEADER_TIMEOUT", default_value_t = Seconds(Limits::default().header_timeout))]
    pub header_timeout: Seconds,
    /// Most requests served at once, change streams apart (503 with Retry-After beyond).
    #[arg(long, env = "FRONTLINE_MAX_IN_FLIGHT", default_value_t = Limits::default().in_flight)]
    pub max_in_flight: NonZeroUsize,
    /// Most change streams (`/api/changes/stream`, the maps' live updates) open at once.
    #[arg(long, env = "FRONTLINE_MAX_STREAMS", default_value_t = Limits::default().streams)]
    pub max_streams: NonZeroUsize,
    /// Seconds to let requests in flight finish after SIGTERM or Ctrl-C; connections still
    /// open then are closed (an edit is acknowledged only once stored, so none is lost).
    #[arg(long, env = "FRONTLINE_SHUTDOWN_TIMEOUT", default_value_t = Seconds(Limits::default().shutdown_timeout))]
    pub shutdown_timeout: Seconds,
}

impl LimitArgs {
    /// The limits these flags set.
    #[must_use]
    pub fn limits(&self) -> Limits {
        Limits {
            body_bytes: self.max_body_bytes,
            batch_points: self.batch_points,
            csv_rows: self.batch_csv_rows,
            request_timeout: self.request_timeout.0,
            body_timeout: self.body_timeout.0,
            header_timeout: self.header_timeout.0,
            in_flight: self.max_in_flight,
            streams: self.max_streams,
            shutdown_timeout: self.shutdown_timeout.0,
        }
    }
}

/// A duration given in seconds, decimals allowed (`0.5`); more than zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seconds(pub Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

impl std::str::FromStr for Seconds {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let secs: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a number of seconds"))?;
        if !(secs > 0.0 && secs <= 86_400.0) {
            return Err(format!(
                "{s:?} seconds is out of range: give more than 0 and at most 86400"
            ));
        }
        Ok(Self(Duration::from_secs_f64(secs)))
    }
}

/// How often the change log is polled: `0` for never, else as [`Seconds`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollInterval(pub Option<Duration>);

impl std::fmt::Display for PollInterval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(period) => write!(f, "{}", Seconds(period)),
            None => f.write_str("0"),
        }
    }
}

impl std::str::FromStr for PollInterval {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().parse::<f64>() == Ok(0.0) {
            return Ok(Self(None));
        }
        s.parse::<Seconds>().map(|period| Self(Some(period.0)))
    }
}

/// A point and a date.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Longitude in degrees, WGS84, -180 to 180 (east positive).
    #[arg(long, allow_negative_numbers = true)]
    pub lon: String,
    /// Latitude in degrees, WGS84, -90 to 90 (north positive).
    #[arg(long, allow_negative_numbers = true)]
    pub lat: String,
    /// Date as YYYY-MM-DD [default: today, UTC].
    #[arg(long)]
    pub at: Option<String>,
    /// Also list every statement that ever covered the point, by date.
    #[arg(long)]
    pub history: bool,
    /// Where the geodata lives.
    #[command(flatten)]
    pub data: DataArgs,
    /// The edits to apply, if the database exists (it is never created by a query).
    #[command(flatten)]
    pub db: DbArgs,
}

/// Why a command could not finish, and the exit status that says so.
#[derive(Debug)]
pub struct Failure {
    /// 1 for invalid data, 2 for usage errors and unreadable paths.
    pub code: u8,
    /// What went wrong, with its causes.
    pub error: anyhow::Error,
}

impl Failure {
    fn usage(error: anyhow::Error) -> Self {
        Self { code: 2, error }
    }
}

/// Runs the parsed command line.
///
/// # Errors
/// A [`Failure`] carrying the exit status and the error to print once.
pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        None => serve(&cli.serve),
        Some(Command::Serve(args)) => serve(&args),
        Some(Command::Check(args)) => check(&args),
        Some(Command::Query(args)) => query(&args),
        Some(Command::Export(args)) => export(&args),
        Some(Command::Backup(args)) => backup(&args),
        Some(Command::Import(args)) => postgres::import(&args),
        Some(Command::Migrate(args)) => postgres::migrate(&args),
        Some(Command::Synth(args)) => synth(&args),
        Some(Command::BenchBatch(args)) => bench_batch(&args),
    }
}

/// The geodata in `data`, served with the edits in `db` applied when that database exists.
fn open_data(data: &DataArgs, db: &Path) -> Result<(Live, tokio::runtime::Runtime), Failure> {
    if let Some(url) = postgres::postgres_url(db) {
        let runtime = current_thread_runtime()?;
        let live = runtime.block_on(async {
            let (store, loaded) = postgres::open(url, data, false).await?;
            Live::open(loaded, Arc::new(store))
                .await
                .context("cannot read the edits database")
                .map_err(Failure::usage)
        })?;
        return Ok((live, runtime));
    }
    let loaded = load_or_fail(data)?;
    let runtime = current_thread_runtime()?;
    if !db.exists() {
        return Ok((Live::new(loaded), runtime));
    }
    let store = crate::store::SqliteStore::open(db)
        .context("cannot open the edits database")
        .map_err(Failure::usage)?;
    let live = runtime
        .block_on(Live::open(loaded, Arc::new(store)))
        .context("cannot read the edits database")
        .map_err(Failure::usage)?;
    Ok((live, runtime))
}

/// A runtime for a command that waits on a database.
fn current_thread_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Failure::usage)
}

fn export(args: &ExportArgs) -> Result<ExitCode, Failure> {
    if postgres::postgres_url(&args.db.db).is_none() && !args.db.db.exists() {
        return Err(Failure::usage(anyhow!(
            "edits database {} does not exist",
            args.db.db.display()
        )));
    }
    let (live, _runtime) = open_data(&args.data, &args.db.db)?;
    let snapshot = live.snapshot();
    let dataset = snapshot.engine.dataset();
    crate::geodata::write_dir(dataset, &args.out)
        .context("cannot export")
        .map_err(Failure::usage)?;
    print(&format!(
        "{}: exported {}\n",
        args.out.display(),
        count(dataset.regions.len(), "region")
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn synth(args: &SynthArgs) -> Result<ExitCode, Failure> {
    let spec = crate::synth::Spec::new(
        args.regions,
        args.vertices,
        args.statements.unwrap_or(args.regions),
        args.seed,
    )
    .context("cannot generate synthetic data")
    .map_err(Failure::usage)?;
    let dataset = crate::synth::generate(&spec);
    crate::geodata::write_dir(&dataset, &args.out)
        .context("cannot write synthetic data")
        .map_err(Failure::usage)?;
    print(&format!(
        "{}: wrote {} of {} vertices and {} (seed {}); synthetic, for benchmarks only\n",
        args.out.display(),
        count(dataset.regions.len(), "region"),
        spec.vertices(),
        count(dataset.areas.len(), "control area"),
        spec.seed(),
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn backup(args: &BackupArgs) -> Result<ExitCode, Failure> {
    if postgres::postgres_url(&args.db.db).is_some() {
        return Err(Failure::usage(anyhow!(
            "backup copies a SQLite database; back up PostgreSQL with pg_dump, e.g. \
             `pg_dump --format=custom --file=frontline.dump DBNAME` (restore with pg_restore)"
        )));
    }
    if !args.db.db.exists() {
        return Err(Failure::usage(anyhow!(
            "edits database {} does not exist",
            args.db.db.display()
        )));
    }
    let store = crate::store::SqliteStore::open(&args.db.db)
        .context("cannot open the edits database")
        .map_err(Failure::usage)?;
    store
        .backup(&args.out)
        .context("backup failed")
        .map_err(Failure::usage)?;
    print(&format!(
        "{}: backed up {}\n",
        args.out.display(),
        args.db.db.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn serve(args: &ServeArgs) -> Result<ExitCode, Failure> {
    let pg_url = postgres::postgres_url(&args.db);
    // With PostgreSQL the data set comes from the database, once connected.
    let loaded = match pg_url {
        None => Some(load_or_fail(&args.data)?),
        Some(_) => None,
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(io::stderr)
        // Colours only on a terminal: not in files, journald or pipes.
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(Failure::usage)?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))
            .map_err(Failure::usage)?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::usage(e.into()))?;
        let tokens = editor_tokens(args.token_file.as_deref())?;
        let mut pg_store = None;
        let (store, loaded): (Arc<dyn crate::store::Store>, Loaded) = match (pg_url, loaded) {
            (Some(url), _) => {
                let (store, loaded) = postgres::open(url, &args.data, true).await?;
                pg_store = Some(store.clone());
                (Arc::new(store), loaded)
            }
            (None, loaded) => {
                let store = crate::store::SqliteStore::open(&args.db)
                    .context("cannot open the edits database")
                    .map_err(Failure::usage)?;
                let loaded = loaded.ok_or_else(|| Failure::usage(anyhow!("no data set")))?;
                (Arc::new(store), loaded)
            }
        };
        for w in &loaded.warnings {
            eprintln_line(&w.to_string());
        }
        let live = Live::open(loaded, store)
            .await
            .context("cannot read the edits database")
            .map_err(Failure::usage)?;
        // The database is the source of truth with PostgreSQL: the files are read again only
        // by `frontline import`.
        match pg_store {
            None => {
                tokio::spawn(watch_geodata(
                    live.clone(),
                    args.data.data.clone(),
                    args.data.limits(),
                ));
            }
            Some(store) => {
                tokio::spawn(postgres::keep_control_map(live.clone(), store));
            }
        }
        tokio::spawn(probe_database(live.clone()));
        // Ends when the server closes `live`.
        let _follower = live.follow(args.poll_interval.0);
        let state = crate::http::AppState::new(live, tokens).with_limits(args.limits.limits());
        print(&format!("listening on http://{bound}\n"))?;
        crate::http::serve(listener, state, shutdown_signal())
            .await
            .context("the server stopped")
            .map_err(Failure::usage)?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The editors from `FRONTLINE_TOKEN` and the token file; never printed.
fn editor_tokens(file: Option<&Path>) -> Result<crate::http::Tokens, Failure> {
    let env_token = std::env::var("FRONTLINE_TOKEN").ok();
    let text = file
        .map(|path| {
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))
                .map_err(Failure::usage)
        })
        .transpose()?;
    let tokens =
        crate::http::Tokens::new(env_token.as_deref(), text.as_deref()).map_err(|why| {
            let shown = file.map_or_else(String::new, |p| p.display().to_string());
            Failure::usage(anyhow!("token file {shown}: {why}"))
        })?;
    if tokens.enabled() {
        tracing::info!("editing enabled");
    } else {
        tracing::info!("read-only: set FRONTLINE_TOKEN or --token-file to enable editing");
    }
    Ok(tokens)
}

/// How often the edits database is probed, so the health check tells when it stops (or
/// starts again) taking writes even while nobody writes.
const PROBE_PERIOD: std::time::Duration = std::time::Duration::from_secs(5);

/// Probes the edits database every [`PROBE_PERIOD`], for `/healthz`.
async fn probe_database(live: Live) {
    let mut tick = tokio::time::interval(PROBE_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        live.probe_store().await;
    }
}

/// How often the geodata files are checked for changes; a change is applied once the files have
/// stayed the same for one more period (debounce: editors save several files in a row).
const WATCH_PERIOD: std::time::Duration = std::time::Duration::from_millis(500);

/// Reloads the geodata on SIGHUP and when the files change on disk. Invalid files are refused
/// with the check report in the log, and the old data stays served.
async fn watch_geodata(live: Live, dir: PathBuf, limits: DataLimits) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut seen = crate::geodata::fingerprint(&dir);
    let mut pending: Option<Vec<Option<(std::time::SystemTime, u64)>>> = None;
    let mut tick = tokio::time::interval(WATCH_PERIOD);
    loop {
        #[cfg(unix)]
        let signal = async {
            match hangup.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let signal = std::future::pending::<Option<()>>();
        let forced = tokio::select! {
            _ = signal => true,
            _ = tick.tick() => false,
        };
        let now = crate::geodata::fingerprint(&dir);
        if !forced {
            // Reload once a change has held still for a whole period.
            let settled = pending.as_ref() == Some(&now) && now != seen;
            pending = (now != seen).then(|| now.clone());
            if !settled {
                continue;
            }
        }
        seen = now;
        pending = None;
        match live.reload(&dir, limits).await {
            Ok(summary) => tracing::info!("reloaded {}: {summary}", dir.display()),
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

#[expect(
    clippy::print_stderr,
    reason = "warnings about the data go to stderr before logging starts"
)]
fn eprintln_line(line: &str) {
    eprintln!("{line}");
}

fn check(args: &DataArgs) -> Result<ExitCode, Failure> {
    ensure_dir(&args.data)?;
    let shown = args.data.display();
    match geodata::load_within(&args.data, args.limits()) {
        Ok(loaded) => {
            let engine = Engine::new(loaded.dataset);
            let mut warnings = loaded.warnings;
            warnings.extend(crate::audit::warnings(&engine));
            for w in &warnings {
                print(&format!("{w}\n"))?;
            }
            let summary = summary(engine.dataset(), warnings.len());
            print(&format!("{shown}: valid: {summary}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(report) => {
            let problems = report.problems.len();
            print(&format!(
                "{report}{shown}: {}\n",
                count(problems, "problem")
            ))?;
            Ok(ExitCode::from(1))
        }
    }
}

/// Loads the data, then times, `runs` times each, the engine on every point of the file:
/// `locate` (the regions containing each point: what GEOS and `PostGIS` are asked) point by
/// point in input order on one thread and on every core, then as a batch
/// ([`Engine::locate_all`]: every core, neighbours together); and `query` (control resolution
/// and, outside every region, the nearest region) as a batch. Prints the wall and CPU
/// milliseconds of each run as one JSON object.
fn bench_batch(args: &BenchBatchArgs) -> Result<ExitCode, Failure> {
    use rayon::prelude::*;
    let at = match &args.at {
        Some(text) => parse_at(text).map_err(Failure::usage)?,
        None => today_utc(),
    };
    let text = std::fs::read_to_string(&args.points)
        .with_context(|| format!("cannot read points file {}", args.points.display()))
        .map_err(Failure::usage)?;
    let points = bench_points(&text, at)
        .with_context(|| format!("points file {}", args.points.display()))
        .map_err(Failure::usage)?;
    let started = std::time::Instant::now();
    let loaded = load_or_fail(&args.data)?;
    let load_ms = ms(started);
    let started = std::time::Instant::now();
    let engine = Engine::new(loaded.dataset);
    let index_ms = ms(started);
    // Wall and process CPU milliseconds of each run.
    let timed = |f: &dyn Fn() -> usize| -> (Vec<f64>, Vec<f64>) {
        (0..args.runs.get())
            .map(|_| {
                let (started, cpu) = (std::time::Instant::now(), process_cpu_ms());
                std::hint::black_box(f());
                (ms(started), process_cpu_ms() - cpu)
            })
            .unzip()
    };
    let locate_one = timed(&|| points.iter().map(|p| engine.locate(p.1).len()).sum());
    let locate_cores = timed(&|| points.par_iter().map(|p| engine.locate(p.1).len()).sum());
    let positions: Vec<LonLat> = points.iter().map(|p| p.1).collect();
    let locate_batch = timed(&|| engine.locate_all(&positions).len());
    let query_batch = timed(&|| {
        crate::engine::batch::answer_all(&points, |p| p.1, |p| engine.query(p.1, p.2)).len()
    });
    if let Some(path) = &args.answers {
        let regions = &engine.dataset().regions;
        let mut out = String::from("id,regions\n");
        let located = engine.locate_all(&positions);
        for ((id, ..), found) in points.iter().zip(located.iter()) {
            let ids: Vec<&str> = found.iter().map(|&i| regions[i].id.as_str()).collect();
            out.extend([id.as_str(), ",", &ids.join(";"), "\n"]);
        }
        std::fs::write(path, out)
            .with_context(|| format!("cannot write answers to {}", path.display()))
            .map_err(Failure::usage)?;
    }
    let report = serde_json::json!({
        "points": points.len(),
        "regions": engine.dataset().regions.len(),
        "load_ms": load_ms,
        "index_ms": index_ms,
        "threads": rayon::current_num_threads(),
        "locate_one_thread_ms": locate_one.0,
        "locate_one_thread_cpu_ms": locate_one.1,
        "locate_all_cores_ms": locate_cores.0,
        "locate_all_cores_cpu_ms": locate_cores.1,
        "locate_batch_ms": locate_batch.0,
        "locate_batch_cpu_ms": locate_batch.1,
        "query_batch_ms": query_batch.0,
        "query_batch_cpu_ms": query_batch.1,
    });
    print(&format!("{report}\n"))?;
    Ok(ExitCode::SUCCESS)
}

/// The CPU time (user and system, every thread) this process has used, in ms, from
/// `/proc/self/stat` (10 ms ticks); 0 where that file cannot be read.
fn process_cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // utime and stime are fields 14 and 15, the 12th and 13th after the command's ")".
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    ticks * 10.0
}

/// Milliseconds since `started`.
fn ms(started: std::time::Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

/// The `(id, position, date)` of every row of a points CSV (header `id,lon,lat[,date]`, in
/// that order, no quoting); an empty or absent date means `at`. Errors name the line, column
/// and value.
fn bench_points(text: &str, at: Date) -> anyhow::Result<Vec<(String, LonLat, Date)>> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map_or("", |(_, h)| h.trim_end_matches('\r'));
    if header != "id,lon,lat" && header != "id,lon,lat,date" {
        return Err(anyhow!(
            "line 1: header {header:?} is not \"id,lon,lat\" or \"id,lon,lat,date\""
        ));
    }
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let line_no = i + 1;
            let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            let ([id, lon, lat] | [id, lon, lat, _]) = fields[..] else {
                return Err(anyhow!(
                    "line {line_no}: {} fields, not 3 or 4",
                    fields.len()
                ));
            };
            let pos = parse_position(lon, lat).map_err(|e| anyhow!("line {line_no}: {e}"))?;
            let date = match fields.get(3).map(|d| d.trim()) {
                None | Some("") => at,
                Some(d) => parse_date(d)
                    .ok_or_else(|| anyhow!("line {line_no}: date {d:?} is not YYYY-MM-DD"))?,
            };
            Ok((id.to_owned(), pos, date))
        })
        .collect()
}

fn query(args: &QueryArgs) -> Result<ExitCode, Failure> {
    let pos = parse_position(&args.lon, &args.lat).map_err(Failure::usage)?;
    let at = match &args.at {
        Some(text) => parse_at(text).map_err(Failure::usage)?,
        None => today_utc(),
    };
    let (live, _runtime) = open_data(&args.data, &args.db.db)?;
    let snapshot = live.snapshot();
    let detail = Detail {
        history: args.history,
        ..Detail::POINT
    };
    let answer = PointAnswer::new(&snapshot.engine, pos, at, detail);
    let json = serde_json::to_string_pretty(&answer).map_err(|e| Failure::usage(e.into()))?;
    print(&format!("{json}\n"))?;
    Ok(ExitCode::SUCCESS)
}

/// Parses `--lon`/`--lat`, naming the flag and value on failure.
fn parse_position(lon: &str, lat: &str) -> anyhow::Result<LonLat> {
    let number = |flag: &str, text: &str| {
        text.trim()
            .parse::<f64>()
            .map_err(|_| anyhow!("{flag} {text:?} is not a number"))
    };
    let (lon_value, lat_value) = (number("--lon", lon)?, number("--lat", lat)?);
    LonLat::new(lon_value, lat_value).map_err(|e| match e {
        crate::model::CoordError::Lon(_) => anyhow!("--lon {lon}: {e}"),
        _ => anyhow!("--lat {lat}: {e}"),
    })
}

fn parse_at(text: &str) -> anyhow::Result<Date> {
    parse_date(text).ok_or_else(|| anyhow!("--at {text:?} is not a date (expected YYYY-MM-DD)"))
}

/// Loads the data set for a command that needs it; invalid data exits 1 with the report.
fn load_or_fail(args: &DataArgs) -> Result<Loaded, Failure> {
    let dir = &args.data;
    ensure_dir(dir)?;
    geodata::load_within(dir, args.limits()).map_err(|report: Report| Failure {
        code: 1,
        error: anyhow!(
            "{report}{}: the data is invalid ({} problems)",
            dir.display(),
            report.problems.len()
        ),
    })
}

fn ensure_dir(dir: &Path) -> Result<(), Failure> {
    let meta = std::fs::metadata(dir)
        .with_context(|| format!("cannot read data directory {}", dir.display()))
        .map_err(Failure::usage)?;
    if meta.is_dir() {
        Ok(())
    } else {
        Err(Failure::usage(anyhow!(
            "data directory {} is not a directory",
            dir.display()
        )))
    }
}

/// What a valid data set holds, and how many warnings `check` gave.
fn summary(d: &Dataset, warnings: usize) -> String {
    let subs = d.regions.iter().filter(|r| r.parent.is_some()).count();
    let entries: usize = d.regions.iter().map(|r| r.history.len()).sum();
    let areas = if d.format >= crate::model::Format::V2 {
        format!("{}, ", count(d.areas.len(), "control area"))
    } else {
        String::new()
    };
    format!(
        "format {}: {}, of which {}; {}, {areas}{}, {}, {}",
        d.format,
        count(d.regions.len(), "region"),
        count(subs, "sub-region"),
        count(entries, "history entry"),
        count(d.factions.len(), "faction"),
        count(d.events.len(), "event"),
        count(warnings, "warning"),
    )
}

/// "1 event", "2 events", "3 history entries".
fn count(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

/// Writes to stdout; a closed pipe (`frontline query … | head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Failure::usage(
            anyhow::Error::new(e).context("cannot write to stdout"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_coordinates_parse() {
        let cli = Cli::try_parse_from(["frontline", "query", "--lon", "-73.98", "--lat", "-40.7"])
            .unwrap();
        let Some(Command::Query(q)) = cli.command else {
            panic!("expected query")
        };
        let pos = parse_position(&q.lon, &q.lat).unwrap();
        assert_eq!((pos.lon(), pos.lat()), (-73.98, -40.7));
    }

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["frontline"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.addr.port(), 8080);
        let cli =
            Cli::try_parse_from(["frontline", "serve", "--addr", "127.0.0.1:0", "--data", "x"])
                .unwrap();
        let Some(Command::Serve(s)) = cli.command else {
            panic!("expected serve")
        };
        assert_eq!((s.addr.port(), s.data.data.to_str()), (0, Some("x")));
        assert_eq!(s.poll_interval.0, Some(crate::live::DEFAULT_POLL));
    }

    #[test]
    fn a_poll_interval_of_zero_turns_polling_off_and_a_bad_one_is_named() {
        let interval = |text: &str| {
            Cli::try_parse_from(["frontline", &format!("--poll-interval={text}")])
                .map(|c| c.serve.poll_interval)
        };
        assert_eq!(interval("0").unwrap(), PollInterval(None));
        assert_eq!(
            interval("0.25").unwrap(),
            PollInterval(Some(Duration::from_millis(250)))
        );
        let error = interval("-1").unwrap_err().to_string();
        assert!(error.contains("\"-1\" seconds is out of range"), "{error}");
        assert_eq!(PollInterval(None).to_string(), "0");
    }

    #[test]
    fn bad_values_are_named() {
        assert_eq!(
            parse_position("36", "95").unwrap_err().to_string(),
            "--lat 95: latitude 95 is outside [-90, 90]"
        );
        assert_eq!(
            parse_position("-181", "0").unwrap_err().to_string(),
            "--lon -181: longitude -181 is outside [-180, 180]"
        );
        assert_eq!(
            parse_position("NaN", "0").unwrap_err().to_string(),
            "--lon NaN: longitude NaN is outside [-180, 180]"
        );
        assert_eq!(
            parse_position("east", "0").unwrap_err().to_string(),
            "--lon \"east\" is not a number"
        );
        assert_eq!(
            parse_at("2015-13-01").unwrap_err().to_string(),
            "--at \"2015-13-01\" is not a date (expected YYYY-MM-DD)"
        );
    }

    #[test]
    fn bench_points_read_and_name_bad_rows() {
        let at = parse_date("2015-08-20").unwrap();
        let points =
            bench_points("id,lon,lat,date\na,36.1,35.6,2013-01-02\nb,-1,2,\n", at).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!((points[0].0.as_str(), points[0].1.lon()), ("a", 36.1));
        assert_eq!(points[0].2, parse_date("2013-01-02").unwrap());
        assert_eq!((points[1].1.lat(), points[1].2), (2.0, at));
        let error = |text| bench_points(text, at).unwrap_err().to_string();
        assert_eq!(
            error("lon,lat\n"),
            "line 1: header \"lon,lat\" is not \"id,lon,lat\" or \"id,lon,lat,date\""
        );
        assert_eq!(
            error("id,lon,lat\na,1,95\n"),
            "line 2: --lat 95: latitude 95 is outside [-90, 90]"
        );
        assert_eq!(
            error("id,lon,lat,date\na,1,2,3,4\n"),
            "line 2: 5 fields, not 3 or 4"
        );
        assert_eq!(
            error("id,lon,lat,date\na,1,2,soon\n"),
            "line 2: date \"soon\" is not YYYY-MM-DD"
        );
    }

    #[test]
    fn process_cpu_time_grows_with_work() {
        let (before, started) = (process_cpu_ms(), std::time::Instant::now());
        let mut x = 0u64;
        while process_cpu_ms() < before + 30.0 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            assert!(
                started.elapsed().as_secs() < 20,
                "CPU time stuck at {before} ms"
            );
        }
        std::hint::black_box(x);
    }

    #[test]
    fn bench_batch_is_hidden() {
        let cli = Cli::try_parse_from(["frontline", "bench-batch", "--points", "p.csv"]).unwrap();
        assert!(matches!(cli.command, Some(Command::BenchBatch(_))));
        let help = <Cli as clap::CommandFactory>::command()
            .render_help()
            .to_string();
        assert!(!help.contains("bench-batch"), "{help}");
    }
}
