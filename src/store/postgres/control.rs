//! Today's flattened control map in PostgreSQL (`control_today`), for SQL and QGIS users who
//! want today's control without re-implementing the resolution rule. Every server writes it;
//! `control_today_state` records the change id and day it reflects, and a write for an older
//! state than the stored one is skipped.

use super::PostgresStore;
use crate::store::StoreError;

/// One piece of the control map: the part of a statement in force.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlPiece {
    /// The statement's id (`<area>` or `<region>@<from>`).
    pub statement: String,
    /// `area` or `region`.
    pub scope: &'static str,
    /// The region the statement belongs to, if any.
    pub region: Option<String>,
    /// `held` or `contested`.
    pub status: String,
    /// The factions it names.
    pub factions: Vec<String>,
    /// The faction holding it, or `contested`.
    pub holder: String,
    /// The day the statement is in force from (`YYYY-MM-DD`).
    pub since: String,
    /// Geodesic area of the piece, km².
    pub km2: f64,
    /// The piece as a GeoJSON geometry (a polygon or multipolygon, WGS84).
    pub geometry: String,
}

/// What the stored map reflects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapState {
    /// The last change applied.
    pub change_id: i64,
    /// The day of the map (`YYYY-MM-DD`).
    pub day: String,
    /// The served data's version.
    pub data_version: String,
}

impl PostgresStore {
    /// Replaces `control_today` with `pieces`, the map of `state`, unless the stored map
    /// reflects a later change, or the same change on a later or the same day with the same
    /// data. Returns whether it wrote.
    ///
    /// # Errors
    /// The database failed; nothing is written then.
    pub async fn put_control_map(
        &self,
        state: &MapState,
        pieces: &[ControlPiece],
    ) -> Result<bool, StoreError> {
        let err = |e: tokio_postgres::Error| self.error(&e);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(err)?;
        // Serialises the servers' writers; the guard then reads a committed state.
        tx.execute("LOCK TABLE control_today_state IN EXCLUSIVE MODE", &[])
            .await
            .map_err(err)?;
        let stored = tx
            .query_opt(
                "SELECT change_id, day::text, data_version FROM control_today_state",
                &[],
            )
            .await
            .map_err(err)?;
        if let Some(row) = stored {
            let (id, day, version): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
            let newer = (state.change_id, state.day.as_str()) > (id, day.as_str())
                || ((state.change_id, state.day.as_str()) == (id, day.as_str())
                    && state.data_version != version);
            if !newer {
                return Ok(false);
            }
        }
        tx.execute("DELETE FROM control_today", &[])
            .await
            .map_err(err)?;
        let insert = tx
            .prepare(
                "INSERT INTO control_today
                   (position, statement, scope, region, status, factions, holder, since, km2, geom)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::date, $9,
                         ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($10::text), 4326)))",
            )
            .await
            .map_err(err)?;
        for (i, p) in pieces.iter().enumerate() {
            let position = i32::try_from(i).unwrap_or(i32::MAX);
            tx.execute(
                &insert,
                &[
                    &position,
                    &p.statement,
                    &p.scope,
                    &p.region,
                    &p.status,
                    &p.factions,
                    &p.holder,
                    &p.since,
                    &p.km2,
                    &p.geometry,
                ],
            )
            .await
            .map_err(err)?;
        }
        tx.execute(
            "INSERT INTO control_today_state (change_id, day, data_version, updated)
             VALUES ($1, $2::text::date, $3, now())
             ON CONFLICT (one) DO UPDATE SET change_id = excluded.change_id,
                 day = excluded.day, data_version = excluded.data_version, updated = now()",
            &[&state.change_id, &state.day, &state.data_version],
        )
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(true)
    }
}
