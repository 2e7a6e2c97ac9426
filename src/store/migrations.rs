//! Schema versions as ordered SQL, applied at open; `PRAGMA user_version` records the last one.

/// Each entry moves the schema from version `i` to `i + 1`. Never edit a released entry: add one.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the change log.
    "CREATE TABLE changes (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        time    TEXT    NOT NULL,
        kind    TEXT    NOT NULL CHECK (kind IN ('control', 'event', 'revert')),
        target  TEXT    NOT NULL,
        key     TEXT    NOT NULL,
        before  TEXT,
        after   TEXT,
        author  TEXT    NOT NULL,
        reverts INTEGER REFERENCES changes (id)
    );
    CREATE INDEX changes_by_target ON changes (target, key);",
    // 2: the version of the form `before` and `after` are written in (see
    // `geodata::change::FORM`); rows from before it was recorded are form 1.
    "ALTER TABLE changes ADD COLUMN form INTEGER NOT NULL DEFAULT 1;",
    // 3: changes to control areas (kind 'area'). SQLite cannot alter a CHECK, so the table is
    // copied into one that allows the new kind, ids and all.
    "CREATE TABLE changes_3 (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        time    TEXT    NOT NULL,
        kind    TEXT    NOT NULL CHECK (kind IN ('control', 'event', 'area', 'revert')),
        target  TEXT    NOT NULL,
        key     TEXT    NOT NULL,
        before  TEXT,
        after   TEXT,
        author  TEXT    NOT NULL,
        reverts INTEGER REFERENCES changes_3 (id),
        form    INTEGER NOT NULL DEFAULT 1
    );
    INSERT INTO changes_3 (id, time, kind, target, key, before, after, author, reverts, form)
        SELECT id, time, kind, target, key, before, after, author, reverts, form FROM changes
        ORDER BY id;
    DROP TABLE changes;
    ALTER TABLE changes_3 RENAME TO changes;
    CREATE INDEX changes_by_target ON changes (target, key);",
];

/// The schema version this build creates.
pub(crate) fn latest() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}
