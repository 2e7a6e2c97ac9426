//! The data set kept in PostgreSQL, the source of truth every server loads: each file's
//! top-level object without its list in `geodata_files`, and the list's items one row each
//! (`factions`, `regions`, `control_areas`, `events`, `places`), with PostGIS geometry
//! generated from the item's GeoJSON.

use super::{MIGRATE_LOCK, PostgresStore};
use crate::geodata::{CONTROL, EVENTS, FACTIONS, PLACES, REGIONS};
use crate::store::{GeodataTexts, StoreError};

/// A data set file: its name, the table of its items and the member holding them.
struct File {
    name: &'static str,
    table: &'static str,
    member: &'static str,
}

const FILES: [File; 5] = [
    File {
        name: FACTIONS,
        table: "factions",
        member: "factions",
    },
    File {
        name: REGIONS,
        table: "regions",
        member: "features",
    },
    File {
        name: CONTROL,
        table: "control_areas",
        member: "features",
    },
    File {
        name: EVENTS,
        table: "events",
        member: "features",
    },
    File {
        name: PLACES,
        table: "places",
        member: "features",
    },
];

impl GeodataTexts {
    /// The text of the file named `name`, if the data set has it.
    fn file(&self, name: &str) -> Option<&str> {
        match name {
            FACTIONS => Some(&self.factions),
            REGIONS => Some(&self.regions),
            CONTROL => self.control.as_deref(),
            EVENTS => self.events.as_deref(),
            PLACES => self.places.as_deref(),
            _ => None,
        }
    }
}

/// What [`PostgresStore::put_geodata`] does when the database already holds a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Leave it (first start of a server: another replica may have seeded it already).
    Keep,
    /// Replace it (`frontline import`).
    Replace,
}

impl PostgresStore {
    /// Stores the data set `texts` (already validated by the loader) in one transaction; with
    /// [`Existing::Keep`], only when the database holds none yet. Returns whether it wrote.
    ///
    /// # Errors
    /// A file that is not a JSON object with its list (`factions` or `features`), or the
    /// database failed; nothing is written then.
    pub async fn put_geodata(
        &self,
        texts: &GeodataTexts,
        existing: Existing,
    ) -> Result<bool, StoreError> {
        let err = |e: tokio_postgres::Error| self.error(&e);
        let mut split = Vec::new();
        for file in &FILES {
            let Some(text) = texts.file(file.name) else {
                continue;
            };
            let invalid = |why: String| StoreError::Database {
                store: self.shown.to_string(),
                message: format!("cannot store {}: {why}", file.name),
                unavailable: None,
            };
            let mut value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
            let object = value
                .as_object_mut()
                .ok_or_else(|| invalid("not a JSON object".into()))?;
            let items = object
                .remove(file.member)
                .filter(serde_json::Value::is_array)
                .ok_or_else(|| invalid(format!("no {:?} list", file.member)))?;
            split.push((file, value.to_string(), items.to_string()));
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        // The same lock as migrations: replicas starting together seed once.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
            .await
            .map_err(err)?;
        let held = tx
            .query_opt("SELECT 1 FROM geodata_files LIMIT 1", &[])
            .await
            .map_err(err)?
            .is_some();
        if held && existing == Existing::Keep {
            return Ok(false);
        }
        tx.batch_execute(
            "DELETE FROM geodata_files; DELETE FROM factions; DELETE FROM regions; \
             DELETE FROM control_areas; DELETE FROM events; DELETE FROM places;",
        )
        .await
        .map_err(err)?;
        for (file, envelope, items) in &split {
            tx.execute(
                "INSERT INTO geodata_files (name, envelope) VALUES ($1, $2::text::jsonb)",
                &[&file.name, envelope],
            )
            .await
            .map_err(err)?;
            // One statement per file, however many items.
            tx.execute(
                &format!(
                    "INSERT INTO {} (position, item) SELECT n, v \
                     FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS t (v, n)",
                    file.table
                ),
                &[items],
            )
            .await
            .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(true)
    }

    /// The data set's file texts rebuilt from the tables (items in their order), or `None`
    /// when the database holds none. The same rows give the same texts on every server.
    pub(super) async fn read_geodata(&self) -> Result<Option<GeodataTexts>, StoreError> {
        let err = |e: tokio_postgres::Error| self.error(&e);
        let client = self.client().await?;
        let mut texts = [None, None, None, None, None];
        for (text, file) in texts.iter_mut().zip(&FILES) {
            let row = client
                .query_opt(
                    &format!(
                        "SELECT jsonb_set(envelope, '{{{member}}}', \
                         (SELECT coalesce(jsonb_agg(item ORDER BY position), '[]') FROM {table}))::text \
                         FROM geodata_files WHERE name = $1",
                        member = file.member,
                        table = file.table
                    ),
                    &[&file.name],
                )
                .await
                .map_err(err)?;
            *text = row.map(|r| r.get::<_, String>(0));
        }
        let [factions, regions, control, events, places] = texts;
        let (Some(factions), Some(regions)) = (factions, regions) else {
            return Ok(None);
        };
        Ok(Some(GeodataTexts {
            factions,
            regions,
            events,
            places,
            control,
        }))
    }
}
