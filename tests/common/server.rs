//! The real `frontline serve` binary on a free port, for tests that need a live server (GDAL,
//! signals, the browser). Killed when dropped, so a failing assertion does not leak it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A running server.
pub struct Server {
    child: Child,
    /// The port it listens on, from its `listening on` line.
    pub port: u16,
    stderr: Arc<Mutex<String>>,
    /// What it wrote to stdout after its first line, drained from then on.
    stdout: Arc<Mutex<String>>,
    /// The thread draining stderr; joined once the process has exited, so nothing is lost.
    drain: Option<std::thread::JoinHandle<()>>,
    /// Its database of edits.
    pub db: std::path::PathBuf,
    /// Whether `db` is a scratch file to remove when the server is dropped.
    owns_db: bool,
}

/// A fresh database path under the system's temporary directory.
pub fn scratch_db(label: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("frontline-{label}-{}-{n}.db", std::process::id()))
}

impl Server {
    /// Serves the shipped `geodata/`.
    pub fn start() -> Self {
        Self::start_with(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata"))
    }

    /// Serves `data`; panics with the server's stderr if it does not announce its address.
    pub fn start_with(data: &Path) -> Self {
        Self::announce(Self::spawn(data))
    }

    /// Serves the shipped data with the edits database `db` and extra environment.
    pub fn start_editing(db: &Path, env: &[(&str, &str)]) -> Self {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
        Self::start_editing_on(&data, db, env)
    }

    /// Serves `data` with the edits database `db` and extra environment.
    pub fn start_editing_on(data: &Path, db: &Path, env: &[(&str, &str)]) -> Self {
        Self::announce(Self::spawn_with(data, db, env))
    }

    /// Waits for the `listening on` line and records the port.
    fn announce(mut server: Self) -> Self {
        let line = server.first_line();
        let port = line
            .trim_end()
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|p| p.parse().ok());
        let Some(port) = port else {
            let _ = server.child.kill();
            let _ = server.child.wait();
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "expected `listening on http://127.0.0.1:PORT`, got {line:?}; stderr:\n{}",
                server.stderr()
            );
        };
        server.port = port;
        server
    }

    /// Starts the binary without waiting for it to listen (for start-up failures).
    pub fn spawn(data: &Path) -> Self {
        let mut server = Self::spawn_with(data, &scratch_db("serve"), &[]);
        server.owns_db = true;
        server
    }

    /// Starts the binary on `data` with the edits database `db` and extra environment.
    pub fn spawn_with(data: &Path, db: &Path, env: &[(&str, &str)]) -> Self {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_frontline"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(data)
            .arg("--db")
            .arg(db)
            .env_remove("FRONTLINE_TOKEN")
            .env_remove("FRONTLINE_TOKEN_FILE")
            .env_remove("FRONTLINE_DATA")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .current_dir(manifest)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the frontline binary starts");
        // Drain stderr so the server never blocks on it; keep it for failure messages.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        let drain = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("stderr lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self {
            child,
            port: 0,
            stderr,
            stdout: Arc::new(Mutex::new(String::new())),
            drain: Some(drain),
            db: db.to_path_buf(),
            owns_db: false,
        }
    }

    /// The first line on stdout, waiting up to a minute (data loading and indexing); the rest
    /// is drained into [`Self::stdout`].
    fn first_line(&mut self) -> String {
        let stdout = self.child.stdout.take().expect("piped stdout");
        let rest = Arc::clone(&self.stdout);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                rest.lock()
                    .expect("stdout lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr lock").clone()
    }

    /// Everything the server wrote to stdout after its `listening on` line, so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout lock").clone()
    }

    /// The server's base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET path` over plain HTTP/1.0: the status line and the body.
    pub fn get(&self, path: &str) -> (String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAccept: application/geo+json\r\n\r\n",
            self.port
        )
        .expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let response = String::from_utf8(response).expect("UTF-8");
        let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
        (
            head.lines().next().unwrap_or("").to_owned(),
            body.to_owned(),
        )
    }

    /// `POST path` with a JSON body and a bearer token over plain HTTP/1.0: the status line
    /// and the body, or the I/O error (the server may be killed mid-request).
    pub fn post(&self, path: &str, token: &str, body: &str) -> std::io::Result<(String, String)> {
        post_to(self.port, path, token, body)
    }

    /// `GET path`, asserting 200, parsed as JSON.
    pub fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert!(status.contains(" 200 "), "GET {path}: {status}\n\n{body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// The process id, for signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL, as a crash would, and reaps it.
    pub fn kill_hard(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.wait();
    }

    /// Sends SIGTERM and waits (up to a minute) for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal_term();
        self.wait()
    }

    /// Sends SIGTERM, as a service manager stopping the server does.
    pub fn signal_term(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM {pid} failed");
    }

    /// Waits (up to a minute) for the process to exit.
    pub fn wait(&mut self) -> ExitStatus {
        self.wait_up_to(Duration::from_secs(60)).unwrap_or_else(|| {
            panic!(
                "the server did not exit within a minute; stderr:\n{}",
                self.stderr()
            )
        })
    }

    /// Waits up to `limit` for the process to exit; `None` if it is still running.
    pub fn wait_up_to(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                if let Some(drain) = self.drain.take() {
                    let _ = drain.join();
                }
                return Some(status);
            }
            if start.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.owns_db {
            remove_db(&self.db);
        }
    }
}

/// Removes a database file and its WAL companions.
pub fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(name));
    }
}

/// `POST path` to a server on `port` (usable from other threads without the `Server`).
pub fn post_to(
    port: u16,
    path: &str,
    token: &str,
    body: &str,
) -> std::io::Result<(String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no header block"))?;
    Ok((
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    ))
}

/// A response read whole over HTTP/1.1, with how its body came.
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The header fields, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body, with any chunked framing removed.
    pub body: Vec<u8>,
    /// With `Transfer-Encoding: chunked`, how many chunks the body came in.
    pub chunks: Option<usize>,
}

impl HttpReply {
    /// A header's value ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The body as text (it must be UTF-8).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }

    /// The body as JSON, failing with the status and the body's start.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            let start = String::from_utf8_lossy(&self.body[..self.body.len().min(2000)]);
            panic!("{e}: status {}, body: {start}", self.status)
        })
    }
}

/// `POST path` over HTTP/1.1 (`Connection: close`) with `body`, the given content type and,
/// when `accept` is given, an `Accept` header. The body is written from another thread while
/// the response is read, so a server that answers before it has read everything cannot
/// deadlock the test.
pub fn post_batch(
    port: u16,
    path: &str,
    content_type: &str,
    accept: Option<&str>,
    body: &[u8],
) -> std::io::Result<HttpReply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let accept = accept.map_or_else(String::new, |a| format!("Accept: {a}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\n{accept}Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut writer = stream.try_clone()?;
    let mut response = Vec::new();
    std::thread::scope(|scope| {
        let sent = scope.spawn(move || {
            writer.write_all(head.as_bytes())?;
            // The server may answer (413, 415, …) and close before reading everything.
            let _ = writer.write_all(body);
            Ok::<(), std::io::Error>(())
        });
        let read = stream.read_to_end(&mut response);
        sent.join().expect("the writer thread")?;
        read.map(|_| ())
    })?;
    parse_response(&response)
}

/// Splits a raw HTTP/1.1 response into status, headers and body, undoing chunked framing.
fn parse_response(raw: &[u8]) -> std::io::Result<HttpReply> {
    let bad = |why: &str| std::io::Error::other(why.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header block"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if !chunked {
        return Ok(HttpReply {
            status,
            headers,
            body: rest.to_vec(),
            chunks: None,
        });
    }
    let (mut body, mut chunks, mut at) = (Vec::new(), 0, 0);
    loop {
        let line_end = rest[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("a chunk size line is cut off"))?;
        let size_text = std::str::from_utf8(&rest[at..at + line_end])
            .map_err(|_| bad("chunk size is not text"))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        at += line_end + 2;
        if size == 0 {
            break;
        }
        let data = rest
            .get(at..at + size)
            .ok_or_else(|| bad("a chunk is cut off: the body ended early"))?;
        body.extend_from_slice(data);
        chunks += 1;
        at += size + 2;
    }
    Ok(HttpReply {
        status,
        headers,
        body,
        chunks: Some(chunks),
    })
}
