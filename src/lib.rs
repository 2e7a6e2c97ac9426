//! frontline: who controlled this place on that day, and who says so?
//!
//! # Layout
//! * [`model`]: our own types (positions, dates, regions, control entries, factions, events).
//!   No I/O.
//! * [`geodata`]: reads and validates the bundled `GeoJSON` files into a [`model::Dataset`],
//!   reporting every problem at once.
//! * [`engine`]: a pure spatial index over a dataset: point-in-region queries, the nearest
//!   region, control on a date and geodesic areas.
//! * [`store`]: durable edits behind [`store::Store`] (SQLite), applied on top of the geodata.
//! * [`edits`]: replays stored changes onto the data set, with the loader's checks.
//! * [`answer`]: the JSON shape of a point query, shared by the CLI and the HTTP API.
//! * [`http`]: the axum server: OGC API – Features, point and batch queries, timeline, stats.
//! * [`cli`]: the `frontline` command line; the only module that prints.
//!
//! Dependencies point one way: `cli → http → {answer, engine, geodata} → model`.

pub mod answer;
pub mod cli;
pub mod edits;
pub mod engine;
pub mod geodata;
pub mod http;
pub mod model;
pub mod store;
