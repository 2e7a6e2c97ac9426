//! The map page in a real Chromium: starts `frontline serve` on the shipped data (or a copy,
//! for the edit suite, or a copy full of hostile markup, for the escaping suite) and runs the
//! Node test suites in `web/test/` (Playwright) against it.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use common::server::Server;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the whole browser suite may run before it is killed.
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Chromium binary Playwright drives: `$CHROMIUM`, else Debian's `/usr/bin/chromium`.
fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the suite, if anything.
fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !node {
        missing.push("Node.js (`node`) is not on PATH: `apt-get install nodejs npm`".to_owned());
    }
    let chromium = chromium();
    if !chromium.is_file() {
        missing.push(format!(
            "Chromium is not at {}: `apt-get install chromium` (or set CHROMIUM to its path)",
            chromium.display()
        ));
    }
    if !repo().join("web/node_modules/playwright-core").is_dir() {
        missing
            .push("web/node_modules/playwright-core is missing: `npm ci --prefix web`".to_owned());
    }
    missing
}

/// Whether the suite can run. Without its tools it fails under CI and skips elsewhere.
#[allow(
    clippy::print_stderr,
    reason = "tell a developer why the test did nothing"
)]
fn tools_available() -> bool {
    let missing = missing_tools();
    if missing.is_empty() {
        return true;
    }
    let message = format!("the browser test needs:\n  {}", missing.join("\n  "));
    assert!(std::env::var_os("CI").is_none(), "{message}");
    eprintln!("skipped: {message}");
    false
}

/// Copies a child's pipe into a string until it closes.
fn drain(mut pipe: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    })
}

#[test]
fn map_page_in_chromium() {
    if !tools_available() {
        return;
    }
    assert!(
        repo().join("web/index.html").is_file(),
        "web/index.html is missing: the map page is what this test checks"
    );
    let server = Server::start();
    run_suite(&server, "web/test/map.test.mjs", &[]);
}

#[test]
fn edit_panel_in_chromium() {
    if !tools_available() {
        return;
    }
    // A server of its own with an empty edits database and a copy of the data: this suite
    // writes both.
    let db = common::server::scratch_db("browser-edit");
    let data = scratch_geodata("browser-edit");
    let token = "browser-test-token";
    let server = Server::start_editing_on(&data, &db, &[("FRONTLINE_TOKEN", token)]);
    run_suite(
        &server,
        "web/test/edit.test.mjs",
        &[
            ("FRONTLINE_TOKEN", token),
            ("FRONTLINE_SCRATCH_DATA", data.to_str().unwrap()),
        ],
    );
    drop(server);
    common::server::remove_db(&db);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn hostile_data_in_chromium() {
    if !tools_available() {
        return;
    }
    // Every free text of the data (names, notes, descriptions, source titles) carries markup
    // that would run script if the page ever parsed it as HTML; the suite checks it is shown
    // as text. A token, so the suite can open the edit panel and see the names there too.
    let db = common::server::scratch_db("browser-hostile");
    let data = scratch_geodata("browser-hostile");
    hostile_texts(&data);
    let token = "browser-hostile-token";
    let server = Server::start_editing_on(&data, &db, &[("FRONTLINE_TOKEN", token)]);
    run_suite(
        &server,
        "web/test/hostile.test.mjs",
        &[("FRONTLINE_TOKEN", token), ("FRONTLINE_PAYLOAD", PAYLOAD)],
    );
    drop(server);
    common::server::remove_db(&db);
    let _ = std::fs::remove_dir_all(&data);
}

/// Markup appended to every free text of the hostile data: an image whose `onerror`, a script,
/// an SVG whose `onload` and a `javascript:` link would each set `window.__xss` if parsed.
const PAYLOAD: &str = concat!(
    r#""><img src=x onerror="window.__xss='img'">"#,
    r"<script>window.__xss='script'</script>",
    r#"<svg onload="window.__xss='svg'"></svg>"#,
    r#"<a href="javascript:window.__xss='link'">link</a>"#,
);

/// Appends `PAYLOAD` to the names, notes, descriptions and source titles of the data in `dir`
/// (text the loader accepts as it is: it is free text).
fn hostile_texts(dir: &Path) {
    use serde_json::Value;
    fn poison(object: &mut Value, keys: &[&str]) {
        for key in keys {
            if let Some(Value::String(text)) = object.get_mut(*key) {
                text.push(' ');
                text.push_str(PAYLOAD);
            }
        }
        if let Some(Value::Array(sources)) = object.get_mut("sources") {
            for source in sources {
                poison(source, &["title"]);
            }
        }
    }
    fn rewrite(path: &Path, change: impl Fn(&mut Value)) {
        let mut value: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        change(&mut value);
        std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    }
    fn each_feature(value: &mut Value, change: impl Fn(&mut Value)) {
        for feature in value["features"].as_array_mut().unwrap() {
            change(&mut feature["properties"]);
        }
    }
    rewrite(&dir.join("regions.geojson"), |v| {
        each_feature(v, |p| {
            poison(p, &["name", "name_ar", "description"]);
            for entry in p["history"].as_array_mut().unwrap() {
                poison(entry, &["note"]);
            }
        });
    });
    rewrite(&dir.join("control.geojson"), |v| {
        each_feature(v, |p| poison(p, &["note"]));
    });
    rewrite(&dir.join("events.geojson"), |v| {
        each_feature(v, |p| poison(p, &["title", "description"]));
    });
    rewrite(&dir.join("places.geojson"), |v| {
        each_feature(v, |p| poison(p, &["name"]));
    });
    rewrite(&dir.join("factions.json"), |v| {
        for faction in v["factions"].as_array_mut().unwrap() {
            poison(faction, &["name", "description"]);
        }
    });
}

/// A fresh copy of the shipped `geodata/` under the system's temporary directory.
fn scratch_geodata(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("frontline-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in std::fs::read_dir(repo().join("geodata")).unwrap() {
        let file = file.unwrap();
        // The data files only (not geodata/scripts/).
        if file.file_type().unwrap().is_file() {
            std::fs::copy(file.path(), dir.join(file.file_name())).unwrap();
        }
    }
    dir
}

/// Runs one Node test file against `server`, failing with its report and the server's stderr.
fn run_suite(server: &Server, file: &str, env: &[(&str, &str)]) {
    let (status, body) = server.get("/");
    assert!(status.contains(" 200 "), "GET /: {status}\n\n{body}");

    let mut child = Command::new("node")
        .args(["--test", "--test-reporter=spec", file])
        .current_dir(repo())
        .env("FRONTLINE_URL", server.url())
        .envs(env.iter().copied())
        // A proxy in the environment must not swallow requests to our loopback server.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let output = Arc::new(Mutex::new(Vec::new()));
    let readers = [
        drain(child.stdout.take().unwrap(), Arc::clone(&output)),
        drain(child.stderr.take().unwrap(), Arc::clone(&output)),
    ];

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > SUITE_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    for reader in readers {
        reader.join().unwrap();
    }
    let output = String::from_utf8_lossy(&output.lock().unwrap()).into_owned();
    // Shown with --nocapture, or when the test fails.
    #[allow(clippy::print_stderr, reason = "the suite's own report")]
    {
        eprintln!("{output}");
    }
    let Some(status) = status else {
        panic!(
            "the browser suite did not finish within {SUITE_TIMEOUT:?}:\n{output}\nserver stderr:\n{}",
            server.stderr()
        );
    };
    assert!(
        status.success(),
        "`node --test {file}` failed ({status}):\n{output}\nserver stderr:\n{}",
        server.stderr()
    );
}
