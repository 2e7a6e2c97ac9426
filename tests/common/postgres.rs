//! A throw-away PostgreSQL + PostGIS cluster for tests: `initdb` in a temporary directory
//! (as the `postgres` user when the tests run as root, since `initdb` refuses root), a
//! server on a free loopback port with its unix socket in that directory, stopped and
//! removed when dropped. It can be stopped and started again mid-test, keeping its data.
//!
//! Without PostgreSQL 15+ and PostGIS installed, [`PgCluster::start`] returns `None` after
//! saying what to install; with the `CI` variable set it panics instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What to install when the cluster cannot be made.
pub const PG_INSTALL: &str = "PostgreSQL and PostGIS are not installed: `apt-get install postgresql-15 postgresql-15-postgis-3`";

/// The superuser's password, for URLs over TCP (the socket needs none).
pub const PG_PASSWORD: &str = "pg-test-s3cret";

/// Numbers the clusters of one test process.
static NEXT_CLUSTER: AtomicUsize = AtomicUsize::new(0);

/// A running (or stopped) test cluster.
pub struct PgCluster {
    /// The temporary directory holding the data directory, the socket and the log.
    root: PathBuf,
    /// PostgreSQL's `bin` directory (`initdb`, `pg_ctl`, `psql`).
    bin: PathBuf,
    /// The loopback port it listens on, the same across restarts.
    pub port: u16,
    /// Whether commands run through `runuser -u postgres` (the tests run as root).
    as_postgres: bool,
    running: bool,
}

/// PostgreSQL's `bin` directory with PostGIS installed for that version, newest first;
/// `FRONTLINE_PG_BIN` overrides the search.
fn find_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("FRONTLINE_PG_BIN") {
        candidates.push(dir.into());
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    versions.sort_by_key(|p| {
        std::cmp::Reverse(
            p.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    candidates.extend(versions);
    candidates.into_iter().find(|bin| {
        bin.join("initdb").is_file()
            && bin.join("pg_ctl").is_file()
            && bin.join("psql").is_file()
            && has_postgis(bin)
    })
}

/// Whether this PostgreSQL's extension directory has PostGIS.
fn has_postgis(bin: &Path) -> bool {
    let Ok(out) = Command::new(bin.join("pg_config"))
        .arg("--sharedir")
        .output()
    else {
        return false;
    };
    let share = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Path::new(&share)
        .join("extension/postgis.control")
        .is_file()
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A port nobody listens on now, on 127.0.0.1.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Asserts a command succeeded, printing its output when not.
fn check(what: &str, out: &Output, log: &Path) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}\nserver log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(log).unwrap_or_default()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl PgCluster {
    /// Makes and starts a fresh cluster, or `None` (after saying why) when PostgreSQL or
    /// PostGIS is not installed and `CI` is not set.
    #[allow(
        clippy::print_stderr,
        reason = "tell a developer why the test did nothing"
    )]
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            assert!(std::env::var_os("CI").is_none(), "{PG_INSTALL}");
            eprintln!("skipped: {PG_INSTALL}");
            return None;
        };
        let n = NEXT_CLUSTER.fetch_add(1, Ordering::Relaxed);
        // Short: a unix socket path is limited to about 100 bytes.
        let root = std::env::temp_dir().join(format!("fl-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let as_postgres = running_as_root();
        if as_postgres {
            let out = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&root)
                .output()
                .unwrap();
            check("chown postgres", &out, Path::new(""));
        }
        let cluster = Self {
            root,
            bin,
            port: free_port(),
            as_postgres,
            running: false,
        };
        cluster.watch_for_abandonment();
        let pwfile = cluster.root.join("pwfile");
        std::fs::write(&pwfile, PG_PASSWORD).unwrap();
        let out = cluster
            .tool("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .unwrap();
        check("initdb", &out, &cluster.log());
        let mut cluster = cluster;
        cluster.start_again();
        Some(cluster)
    }

    /// A command running PostgreSQL's `tool`, as the `postgres` user when we are root.
    fn tool(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The server's log file.
    pub fn log(&self) -> PathBuf {
        self.root.join("server.log")
    }

    /// The directory holding the server's unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    /// Starts the server (again), on the same port with the same data; waits until it accepts
    /// connections.
    pub fn start_again(&mut self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.root.display()
        );
        let out = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log())
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .unwrap();
        check("pg_ctl start", &out, &self.log());
        self.running = true;
    }

    /// Stops the server (`fast`: open connections are closed, as in an administrator's
    /// shutdown); its data stays for [`Self::start_again`].
    pub fn stop(&mut self) {
        self.pg_ctl_stop("fast");
    }

    fn pg_ctl_stop(&mut self, mode: &str) {
        if !self.running {
            return;
        }
        let out = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", mode, "-w", "-t", "60", "stop"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        check("pg_ctl stop", &out, &self.log());
        self.running = false;
    }

    /// A `postgres://` URL for database `db` as the superuser over TCP, with the password.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{PG_PASSWORD}@127.0.0.1:{}/{db}",
            self.port
        )
    }

    /// Creates database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    /// Runs `sql` with `psql` over the socket as the superuser; returns its unaligned,
    /// tuples-only output. Panics with psql's message when it fails.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self.try_psql(db, sql);
        check(&format!("psql {sql:?}"), &out, &self.log())
    }

    /// Like [`Self::psql`], returning the output whether or not it succeeded.
    pub fn try_psql(&self, db: &str, sql: &str) -> Output {
        Command::new(self.bin.join("psql"))
            .arg("-h")
            .arg(&self.root)
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db])
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Waits up to `limit` for `sql` to print `expected`.
    pub fn wait_for(&self, db: &str, sql: &str, expected: &str, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            let out = self.try_psql(db, sql);
            if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == expected {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// If this process dies without dropping the cluster (killed, aborted), a watchdog stops
    /// the server and removes its directory, so no stray postmaster outlives the tests.
    fn watch_for_abandonment(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let runuser = if self.as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             [ -d '{data}' ] && {runuser}'{pg_ctl}' -D '{data}' -m immediate stop; \
             rm -rf '{root}'",
            pid = std::process::id(),
            data = self.data().display(),
            pg_ctl = pg_ctl.display(),
            root = self.root.display(),
        );
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .tool("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .stdin(Stdio::null())
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
