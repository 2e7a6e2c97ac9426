//! Secrets hygiene, against the real binary with the most verbose logging it has: editor
//! tokens (from `FRONTLINE_TOKEN` and a token file) never show in its output or in any answer,
//! right or wrong, well formed or not; and error answers never show the server's paths, source
//! locations or backtraces.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use common::server::Server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The token in `FRONTLINE_TOKEN`; long and unusual, so any copy of it, or of a part, is found.
const ENV_TOKEN: &str = "env-secret-7f3a9c1e52d84b60";
/// Alice's token, in the token file.
const FILE_TOKEN: &str = "file-secret-b7d2e4a19c3f5086";

/// A request written byte for byte (so headers can be malformed), answered whole: the status
/// line, the headers and the body as one text.
fn raw(port: u16, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// `METHOD path` over HTTP/1.0 with the extra header lines `headers` (each ending in CRLF,
/// raw bytes) and a JSON `body`.
fn request(method: &str, path: &str, headers: &[u8], body: &str) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n").into_bytes();
    out.extend_from_slice(headers);
    if !body.is_empty() {
        out.extend_from_slice(
            format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_bytes());
    out
}

fn status(response: &str) -> &str {
    response.lines().next().unwrap_or("")
}

/// The parts of a token that must never show: the whole, and each half (a log cutting it short
/// would still leak it).
fn secret_parts() -> Vec<&'static str> {
    let mut parts = Vec::new();
    for token in [ENV_TOKEN, FILE_TOKEN] {
        let half = token.len() / 2;
        parts.extend([token, &token[..half], &token[half..]]);
    }
    parts
}

fn assert_no_token(text: &str, what: &str) {
    for part in secret_parts() {
        assert!(!text.contains(part), "{what} shows {part:?}:\n{text}");
    }
}

/// A copy of the shipped `geodata/` (this test breaks a file in it).
fn scratch_geodata() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("frontline-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata");
    for file in std::fs::read_dir(shipped).unwrap() {
        let file = file.unwrap();
        if file.file_type().unwrap().is_file() {
            std::fs::copy(file.path(), dir.join(file.file_name())).unwrap();
        }
    }
    dir
}

/// What an error answer must not contain: the server's directories, source locations,
/// backtraces and panic messages.
fn leaks(response: &str, dirs: &[&Path]) -> Vec<String> {
    let mut found: Vec<String> = dirs
        .iter()
        .map(|d| d.to_string_lossy().into_owned())
        .chain([env!("CARGO_MANIFEST_DIR").to_owned()])
        .filter(|d| response.contains(d.as_str()))
        .collect();
    for needle in [
        "/src/",
        ".rs:",
        "panicked",
        "backtrace",
        "RUST_BACKTRACE",
        "/tmp/",
        "/home/",
        "/root/",
        "/usr/",
        ".cargo/registry",
        "thread '",
    ] {
        if response.contains(needle) {
            found.push(needle.to_owned());
        }
    }
    found
}

/// Sends requests to the server and keeps every answer with the path asked for (an answer may
/// quote that back).
struct Client {
    port: u16,
    answers: Vec<(String, String)>,
}

impl Client {
    fn send(&mut self, bytes: &[u8]) -> String {
        let answer = raw(self.port, bytes);
        let text = String::from_utf8_lossy(bytes);
        let path = text.split(' ').nth(1).unwrap_or("").to_owned();
        self.answers.push((path, answer.clone()));
        answer
    }
}

/// A valid control entry for the Ghab.
const ENTRY: &str = r#"{"from": "2015-08-15", "status": "held", "factions": ["government"],
    "note": "Secrets test entry.", "sources": [{"title": "A report",
    "url": "https://example.org/report", "published": "2015-08-16"}]}"#;

#[test]
fn tokens_never_show_and_errors_never_show_internals() {
    let data = scratch_geodata();
    let db = common::server::scratch_db("secrets");
    let token_file = std::env::temp_dir().join(format!(
        "frontline-secrets-tokens-{}.txt",
        std::process::id()
    ));
    std::fs::write(&token_file, format!("# editors\nalice:{FILE_TOKEN}\n")).unwrap();
    let server = Server::start_editing_on(
        &data,
        &db,
        &[
            ("FRONTLINE_TOKEN", ENV_TOKEN),
            ("FRONTLINE_TOKEN_FILE", token_file.to_str().unwrap()),
            ("RUST_LOG", "trace"),
        ],
    );
    let dirs = [data.as_path(), db.parent().unwrap(), token_file.as_path()];
    let mut client = Client {
        port: server.port,
        answers: Vec::new(),
    };
    right_tokens(&mut client);
    wrong_tokens(&mut client);
    error_answers(&mut client);
    broken_reload(&server, &data, &mut client);

    for (path, answer) in &client.answers {
        assert_no_token(answer, "an answer");
        // Answers with data may quote URLs with any path in them; errors have no reason to,
        // beyond the path they were asked for.
        let ok = status(answer)
            .split(' ')
            .nth(1)
            .is_some_and(|code| code.starts_with('2'));
        if !ok {
            let found = leaks(&answer.replace(path.as_str(), ""), &dirs);
            assert!(
                found.is_empty(),
                "the answer to {path} shows {found:?}:\n{answer}"
            );
        }
    }

    // The log saw every request (so it could have leaked), and no token.
    let log = format!("{}\n{}", server.stderr(), server.stdout());
    assert!(
        log.contains("/api/whoami") && log.contains("401"),
        "RUST_LOG=trace logs each request and its status; the log:\n{log}"
    );
    assert_no_token(&log, "the server's output");

    drop(server);
    common::server::remove_db(&db);
    let _ = std::fs::remove_file(&token_file);
    let _ = std::fs::remove_dir_all(&data);
}

/// Both tokens work, and the answers name the editor, not the token.
fn right_tokens(client: &mut Client) {
    for (token, who) in [(ENV_TOKEN, "editor"), (FILE_TOKEN, "alice")] {
        let header = format!("Authorization: Bearer {token}\r\n");
        let answer = client.send(&request("GET", "/api/whoami", header.as_bytes(), ""));
        assert!(status(&answer).contains(" 200 "), "{answer}");
        assert!(answer.contains(&format!("\"{who}\"")), "{answer}");
    }
    let header = format!("Authorization: Bearer {ENV_TOKEN}\r\n");
    let saved = client.send(&request(
        "POST",
        "/api/regions/ghab-plain/control",
        header.as_bytes(),
        ENTRY,
    ));
    assert!(status(&saved).contains(" 201 "), "{saved}");
    // The right token with a body that is refused.
    let invalid = client.send(&request(
        "POST",
        "/api/regions/ghab-plain/control",
        header.as_bytes(),
        r#"{"from": "2015-13-01", "status": "taken"}"#,
    ));
    assert!(status(&invalid).contains(" 422 "), "{invalid}");
    let broken = client.send(&request(
        "POST",
        "/api/regions/ghab-plain/control",
        header.as_bytes(),
        "{not json",
    ));
    assert!(status(&broken).contains(" 400 "), "{broken}");
}

/// Wrong and malformed credentials, each refused (401, or 400 or 431 for a header the HTTP
/// parser itself refuses), none echoed.
fn wrong_tokens(client: &mut Client) {
    let env_half = &ENV_TOKEN[..ENV_TOKEN.len() / 2];
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("editor:{ENV_TOKEN}"))
    };
    let malformed: Vec<Vec<u8>> = vec![
        b"Authorization: Bearer wrong-token\r\n".to_vec(),
        format!("Authorization: Bearer {env_half}\r\n").into_bytes(),
        format!("Authorization: Bearer {ENV_TOKEN}x\r\n").into_bytes(),
        format!("Authorization: Bearer {ENV_TOKEN} {FILE_TOKEN}\r\n").into_bytes(),
        format!("Authorization: bearer {ENV_TOKEN}\r\n").into_bytes(),
        format!("Authorization: {ENV_TOKEN}\r\n").into_bytes(),
        format!("Authorization: Basic {basic}\r\n").into_bytes(),
        format!("Authorization: Token token={FILE_TOKEN}\r\n").into_bytes(),
        b"Authorization: Bearer\r\n".to_vec(),
        b"Authorization: \r\n".to_vec(),
        [
            b"Authorization: Bearer \xff\xfe".as_slice(),
            ENV_TOKEN.as_bytes(),
            b"\r\n",
        ]
        .concat(),
        format!("Authorization: Bearer {}\r\n", "x".repeat(6000)).into_bytes(),
        format!("X-Api-Key: {ENV_TOKEN}\r\n").into_bytes(),
    ];
    for headers in malformed {
        for (method, path, body) in [
            ("GET", "/api/whoami", ""),
            ("POST", "/api/regions/ghab-plain/control", ENTRY),
            ("POST", "/api/changes/1/revert", ""),
        ] {
            let answer = client.send(&request(method, path, &headers, body));
            let shown = String::from_utf8_lossy(&headers);
            assert!(
                status(&answer).starts_with("HTTP/1.0 4")
                    || status(&answer).starts_with("HTTP/1.1 4"),
                "{method} {path} with {shown:?}: {answer}"
            );
        }
    }
}

/// Error answers: not found, bad parameters, bad bodies, odd paths.
fn error_answers(client: &mut Client) {
    for (method, path, body) in [
        ("GET", "/nowhere", ""),
        ("GET", "/api/collections/nope/items", ""),
        ("GET", "/api/collections/regions/items/nope", ""),
        ("GET", "/api/query?lon=abc&lat=1", ""),
        ("GET", "/api/query?lon=36&lat=35&at=2015-02-30", ""),
        ("GET", "/api/collections/regions/items?limit=-1", ""),
        ("GET", "/../../../etc/passwd", ""),
        ("GET", "/..%2f..%2fCargo.toml", ""),
        ("GET", "/%2e%2e/src/main.rs", ""),
        ("GET", "/src/main.rs", ""),
        ("GET", "/api/%ff", ""),
        ("GET", "/api/changes?since=x", ""),
        ("POST", "/api/query", "{\"points\": 3}"),
        ("POST", "/api/query", "not json at all"),
        ("DELETE", "/api/collections", ""),
    ] {
        let answer = client.send(&request(method, path, b"", body));
        assert!(
            !status(&answer).contains(" 200 "),
            "{method} {path}: {answer}"
        );
    }
}

/// A data file broken on disk: the reload is refused (its report, with the path, goes to the
/// log), the old data stays served and no answer mentions it.
fn broken_reload(server: &Server, data: &Path, client: &mut Client) {
    let version = server.get_json("/healthz")["data_version"].clone();
    let logged = server.stderr().len();
    std::fs::write(
        data.join("regions.geojson"),
        "{\"type\": \"FeatureCollection\",",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let refused = |log: &str| {
        let new = &log[logged..];
        new.contains("WARN") && new.contains("regions.geojson: is not valid JSON")
    };
    while !refused(&server.stderr()) {
        assert!(
            Instant::now() < deadline,
            "the broken file was not reported within 30 s; stderr since:\n{}",
            &server.stderr()[logged..]
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.get_json("/healthz")["data_version"], version);
    for path in [
        "/healthz",
        "/api/collections/regions/items/nope",
        "/api/timeline",
    ] {
        client.send(&request("GET", path, b"", ""));
    }
}
