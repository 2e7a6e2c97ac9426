//! The throw-away PostgreSQL cluster the PostgreSQL tests share (`tests/common/postgres.rs`):
//! PostGIS can be created, data survives a stop and start, and dropping it removes it.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use common::postgres::PgCluster;

#[test]
fn a_cluster_has_postgis_survives_a_restart_and_is_removed_when_dropped() {
    let Some(mut pg) = PgCluster::start() else {
        return;
    };
    pg.create_database("restart");
    pg.psql("restart", "CREATE EXTENSION postgis");
    let version = pg.psql("restart", "SELECT postgis_lib_version()");
    assert!(version.trim().starts_with('3'), "PostGIS 3: {version}");
    pg.psql(
        "restart",
        "CREATE TABLE t (x int); INSERT INTO t VALUES (42)",
    );

    pg.stop();
    let refused = pg.try_psql("restart", "SELECT 1");
    assert!(
        !refused.status.success(),
        "a stopped server answers nothing"
    );
    pg.start_again();
    assert_eq!(pg.psql("restart", "SELECT x FROM t").trim(), "42");
    assert!(pg.wait_for(
        "restart",
        "SELECT count(*) FROM t",
        "1",
        Duration::from_secs(1)
    ));

    let dir = pg.socket_dir().to_owned();
    assert!(dir.join("data/PG_VERSION").is_file());
    drop(pg);
    assert!(!dir.exists(), "{} is removed", dir.display());
}
