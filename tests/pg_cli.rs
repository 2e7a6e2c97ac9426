//! The real `frontline` binary with `--db postgres://…` on a throw-away PostgreSQL + PostGIS
//! cluster: `serve` seeds the data set into the database (rows with PostGIS geometry) and
//! stores writes there, answers 503 to writes and goes on reading while the database is
//! down, and keeps today's control map there; `query`, `export`, `import`, `migrate`, and
//! `backup`'s pointer to `pg_dump`.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::postgres::{PG_PASSWORD, PgCluster};
use common::server::Server;

const TOKEN: &str = "pg-t0ken";
const WRITE: &str = "/api/regions/ghab-plain/control";

fn entry(from: &str) -> String {
    format!(
        r#"{{"from": "{from}", "status": "held", "factions": ["government"], "note": "PostgreSQL test.",
        "sources": [{{"title": "T", "url": "https://example.org", "published": "{from}"}}]}}"#
    )
}

fn frontline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FRONTLINE_DB")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The number of features in one of the shipped geodata files.
fn shipped_features(file: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("geodata")
        .join(file);
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["features"].as_array().unwrap().len()
}

#[test]
fn serve_seeds_the_database_stores_writes_there_and_refuses_them_while_it_is_down() {
    let Some(mut pg) = PgCluster::start() else {
        return;
    };
    let url = pg.create_database("served");
    let server = Server::start_editing(Path::new(&url), &[("FRONTLINE_TOKEN", TOKEN)]);

    // The data set is in the database, as rows with PostGIS geometry.
    let counts = pg.psql(
        "served",
        "SELECT (SELECT count(*) FROM regions) || ' ' || (SELECT count(*) FROM control_areas) \
         || ' ' || (SELECT count(*) FROM events) || ' ' || (SELECT count(*) FROM places)",
    );
    assert_eq!(
        counts.trim(),
        format!(
            "{} {} {} {}",
            shipped_features("regions.geojson"),
            shipped_features("control.geojson"),
            shipped_features("events.geojson"),
            shipped_features("places.geojson")
        )
    );
    assert_eq!(
        pg.psql(
            "served",
            "SELECT DISTINCT GeometryType(geom) || ' ' || ST_SRID(geom) FROM regions"
        )
        .trim(),
        "MULTIPOLYGON 4326"
    );
    let ghab = pg.psql(
        "served",
        "SELECT id FROM regions WHERE ST_Contains(geom, ST_SetSRID(ST_Point(36.33867, 35.68482), 4326))",
    );
    assert_eq!(ghab.trim(), "ghab-plain");

    // A write lands in the database's change log.
    let (status, body) = server.post(WRITE, TOKEN, &entry("1999-01-01")).unwrap();
    assert!(status.contains(" 201 "), "{status}\n{body}");
    assert_eq!(
        pg.psql("served", "SELECT author || ' ' || key FROM changes")
            .trim(),
        "editor 1999-01-01"
    );
    assert_eq!(server.get_json("/healthz")["change_id"], 1);

    // Today's control map is kept in the database, as the API serves it.
    assert!(
        pg.wait_for(
            "served",
            "SELECT change_id FROM control_today_state",
            "1",
            Duration::from_secs(20)
        ),
        "control_today reflects change 1; stderr:\n{}",
        server.stderr()
    );
    let map_page = server.get_json("/api/collections/control/items?limit=10000");
    assert_eq!(
        pg.psql("served", "SELECT count(*) FROM control_today")
            .trim(),
        map_page["numberMatched"].to_string()
    );
    let holder_here = pg.psql(
        "served",
        "SELECT holder FROM control_today WHERE ST_Contains(geom, ST_SetSRID(ST_Point(36.33867, 35.68482), 4326))",
    );
    let today = server.get_json("/api/query?lon=36.33867&lat=35.68482");
    let factions = today["control"]["factions"].as_array().unwrap();
    let expected = if today["control"]["status"] == "contested" {
        "contested".to_owned()
    } else {
        factions[0].as_str().unwrap().to_owned()
    };
    assert_eq!(holder_here.trim(), expected);

    // The database goes down: reads go on, writes answer 503.
    pg.stop();
    let (status, body) = server.post(WRITE, TOKEN, &entry("1999-02-01")).unwrap();
    assert!(status.contains(" 503 "), "{status}\n{body}");
    assert!(!body.contains(PG_PASSWORD), "{body}");
    let answer = server.get_json("/api/query?lon=36.33867&lat=35.68482&at=2015-08-20");
    assert_eq!(answer["regions"][0]["id"], "ghab-plain");

    // It comes back: writes resume.
    pg.start_again();
    let start = Instant::now();
    loop {
        let (status, body) = server.post(WRITE, TOKEN, &entry("1999-03-01")).unwrap();
        if status.contains(" 201 ") {
            break;
        }
        assert!(
            status.contains(" 503 ") && start.elapsed() < Duration::from_secs(30),
            "{status}\n{body}\nstderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(
        pg.psql("served", "SELECT count(*) FROM changes").trim(),
        "2"
    );
    drop(server);
}

#[test]
fn query_export_import_and_backup_take_a_postgres_url() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    let url = pg.create_database("cli");
    let query = [
        "query",
        "--lon",
        "36.33867",
        "--lat",
        "35.68482",
        "--at",
        "2015-08-20",
    ];

    // An empty database: the files' data set, nothing written.
    let no_db = tempfile::tempdir().unwrap();
    let none = no_db.path().join("none.db");
    let mut files_only = query.to_vec();
    files_only.extend(["--db", none.to_str().unwrap()]);
    let from_files = frontline(&files_only);
    assert!(from_files.status.success(), "{}", text(&from_files.stderr));
    let mut with_db = query.to_vec();
    with_db.extend(["--db", &url]);
    let out = frontline(&with_db);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), text(&from_files.stdout));
    assert_eq!(pg.psql("cli", "SELECT count(*) FROM regions").trim(), "0");

    // Invalid data is refused, and nothing is stored.
    let out = frontline(&["import", "--data", "tests/fixtures/broken", "--db", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(pg.psql("cli", "SELECT count(*) FROM regions").trim(), "0");

    // Import stores the two squares; query and export then read them from the database.
    let out = frontline(&["import", "--data", "tests/fixtures/valid", "--db", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("imported 2 regions"), "{said}");
    assert!(!said.contains(PG_PASSWORD), "{said}");
    assert_eq!(
        pg.psql(
            "cli",
            "SELECT string_agg(id, ' ' ORDER BY position) FROM regions"
        )
        .trim(),
        "big small"
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = frontline(&[
        "export",
        "--db",
        &url,
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.path().join("regions.geojson")).unwrap(),
    )
    .unwrap();
    let ids: Vec<&str> = exported["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["big", "small"],
        "exported from the database, not geodata/"
    );

    // backup points to pg_dump.
    let out = frontline(&["backup", "--db", &url, "--out", "x.db"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pg_dump"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn migrate_copies_a_sqlite_log_with_its_ids_and_times_and_refuses_a_non_empty_target() {
    let Some(pg) = PgCluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("edits.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let appended = runtime.block_on(async {
        use frontline::store::{ChangeKind, NewChange, SqliteStore, Store};
        let store = SqliteStore::open(&sqlite).unwrap();
        let mut appended = Vec::new();
        for key in ["2015-01-01", "2016-01-01", "2017-01-01"] {
            let change = NewChange {
                kind: ChangeKind::Control,
                target: "ghab-plain".into(),
                key: key.into(),
                before: None,
                after: Some(serde_json::json!({"from": key, "status": "held"})),
                author: "ed".into(),
                reverts: None,
                form: 2,
            };
            appended.push(store.append(change, 0).await.unwrap());
        }
        appended
    });
    let target = pg.create_database("migrated");
    let from = sqlite.to_str().unwrap();
    let out = frontline(&["migrate", "--from", from, "--to", &target]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("copied 3 changes"),
        "{}",
        text(&out.stdout)
    );
    let copied = runtime.block_on(async {
        use frontline::store::{PostgresStore, Store};
        let store = PostgresStore::open(&target).await.unwrap();
        let copied = store.since(0, 10).await.unwrap();
        // Appends continue after the copied ids.
        let next = store
            .append(copied[0].change.clone(), copied[0].id)
            .await
            .unwrap();
        (copied, next.id)
    });
    assert_eq!(copied.1, 4);
    for (a, b) in appended.iter().zip(&copied.0) {
        assert_eq!((a.id, &a.change), (b.id, &b.change));
        let drift = (a.time.as_microsecond() - b.time.as_microsecond()).abs();
        assert_eq!(drift, 0, "times kept to the microsecond");
    }
    let out = frontline(&["migrate", "--from", from, "--to", &target]);
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(said.contains("already holds 4 changes"), "{said}");
    assert!(!said.contains(PG_PASSWORD), "{said}");
}
