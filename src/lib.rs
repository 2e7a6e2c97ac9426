//! frontline: who controlled this place on that day, and who says so?
//!
//! # Layout
//! * [`model`]: our own types (positions, dates, regions, control entries, factions, events).
//!   No I/O.
//! * [`geodata`]: reads and validates the bundled `GeoJSON` files into a [`model::Dataset`],
//!   reporting every problem at once.
//! * [`engine`]: pure spatial indexes over a dataset (the regions', shared between snapshots,
//!   and the control areas'): point-in-region queries, the nearest region, the statement of
//!   control in force at a point on a date, the flattened control map of a date, front lines,
//!   shares and geodesic areas.
//! * [`store`]: the durable change log behind [`store::Store`] (SQLite). It stores edits in the
//!   versioned form [`geodata::change`] defines and never reads them.
//! * [`live`]: the one owner of the served data: the current snapshot (engine and data), the
//!   store, the writer lock, the change feed, reloads and shutdown. Opens the geodata with the
//!   log replayed on top; applies, reverts and announces edits, its own and those of other
//!   servers sharing the log.
//! * [`audit`]: the warnings `frontline check` adds to the loader's: statements the rule never
//!   puts in force, region-wide entries that end finer statements (found by the [`engine`],
//!   worded as [`geodata`] warnings).
//! * [`answer`]: the JSON shape of a point query, shared by the CLI and the HTTP API.
//! * [`http`]: the axum server: OGC API – Features, point and batch queries, timeline, stats,
//!   edits. Handlers translate requests into calls on [`live`] and results into responses.
//! * [`synth`]: deterministic synthetic data sets (a honeycomb of irregular regions, histories,
//!   overlapping control statements) for benchmarks and tests. No I/O.
//! * [`cli`]: the `frontline` command line; the only module that prints.
//!
//! Dependencies point one way: `cli → http → live → {store, engine, geodata, answer} → model`,
//! and `cli → audit → {engine, geodata}`.

pub mod answer;
pub mod audit;
pub mod cli;
pub mod engine;
pub mod geodata;
mod hash;
pub mod http;
mod json_runs;
pub mod live;
pub mod model;
pub mod store;
pub mod synth;
