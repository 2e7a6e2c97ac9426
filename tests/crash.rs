//! Nothing acknowledged is lost: 4 writers post edits to the real server, which is killed with
//! SIGKILL mid-stream; restarted on the same file, it must hold every write that got a 201.
//! Five rounds on one database.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::{Server, post_to, remove_db, scratch_db};

const TOKEN: &str = "crash-test-token";
const ROUNDS: u32 = 5;
const WRITERS: u32 = 4;

/// A control entry for the Ghab on a date no other write uses (before the shipped history).
fn entry(round: u32, writer: u32, i: u32) -> (String, String) {
    let days = i64::from(round * 20_000 + writer * 5_000 + i);
    let day = jiff::civil::date(1900, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .unwrap();
    let body = serde_json::json!({"from": day.to_string(), "status": "held", "factions": ["government"],
        "note": "crash test", "sources": [{"title": "T", "url": "https://example.org", "published": "2020-01-01"}]});
    (day.to_string(), body.to_string())
}

#[test]
fn every_acknowledged_write_survives_kill_9() {
    let db = scratch_db("crash");
    let env = [("FRONTLINE_TOKEN", TOKEN)];
    // (change id, key) of every 201.
    let acknowledged: Arc<Mutex<Vec<(i64, String)>>> = Arc::new(Mutex::new(Vec::new()));
    for round in 0..ROUNDS {
        let mut server = Server::start_editing(&db, &env);
        let port = server.port;
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (stop, acknowledged) = (Arc::clone(&stop), Arc::clone(&acknowledged));
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let (key, body) = entry(round, w, i);
                        match post_to(port, "/api/regions/ghab-plain/control", TOKEN, &body) {
                            Ok((status, reply)) if status.contains(" 201 ") => {
                                let change: serde_json::Value =
                                    serde_json::from_str(&reply).unwrap();
                                acknowledged
                                    .lock()
                                    .unwrap()
                                    .push((change["id"].as_i64().unwrap(), key));
                            }
                            Ok((status, reply)) => panic!("unexpected answer {status}: {reply}"),
                            // The server was killed under this request: not acknowledged.
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        // Kill at a different moment each round, with requests in flight.
        std::thread::sleep(Duration::from_millis(300 + u64::from(round) * 170));
        server.kill_hard();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        assert!(
            !acknowledged.lock().unwrap().is_empty(),
            "round {round}: no write was acknowledged before the kill"
        );
    }

    // Restart on the same file: it opens cleanly, serves, and holds every acknowledged write.
    let server = Server::start_editing(&db, &env);
    assert_eq!(server.get_json("/healthz")["status"], "ok");
    let feed = server.get_json("/api/changes?limit=10000");
    let stored: std::collections::HashMap<i64, String> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let acknowledged = acknowledged.lock().unwrap();
    for (id, key) in acknowledged.iter() {
        assert_eq!(
            stored.get(id),
            Some(key),
            "acknowledged change {id} ({key}) is missing after kill -9"
        );
    }
    let ghab = server.get_json("/api/collections/regions/items/ghab-plain");
    let history = ghab["properties"]["history"].as_array().unwrap().len();
    assert!(
        history >= acknowledged.len(),
        "every stored change is applied: {history} entries"
    );
    drop(server);
    remove_db(&db);
}
