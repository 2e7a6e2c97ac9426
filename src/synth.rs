//! Synthetic geodata for benchmarks and tests: deterministic, seeded, and clearly not real.
//!
//! [`generate`] builds a format-2 [`Dataset`] from a [`Spec`] (how many regions, about how many
//! vertices each, how many control statements, which seed), with no I/O: `frontline synth`
//! writes it through [`crate::geodata::write_dir`], like `export`.
//!
//! 1. **Regions** tile the plane as a honeycomb whose corners are jittered (by up to 20 % of a
//!    side in each axis) and whose sides are wiggly lines (smooth noise plus a little per-vertex
//!    noise, up to 16 % of the side's length away from the straight side, less near the
//!    corners, so sides never cross): irregular, concave polygons that
//!    share their boundaries exactly with their neighbours and never overlap. About one cell in
//!    eight is left out, so there is land no region covers between regions, not only around
//!    them. Each side has `vertices / 6` segments (at least one), so a region has that many
//!    vertices rounded to a multiple of six.
//! 2. **Histories**: one to four sourced entries per region between 2011 and 2025, `held` by
//!    one of six synthetic factions or `contested` between two or three; a few dated to the
//!    month or year.
//! 3. **Control statements**: star-shaped blobs over the regions' bounding box, most about a
//!    region's size, some several times larger, so they overlap each other and the region
//!    boundaries; dated like the histories. Most name the region their centre falls in when
//!    they meet it.
//!
//! Every source is `https://example.org/synthetic/…` titled "synthetic". The land lies in the
//! North Atlantic around 40° N (mid-latitude, so geodesic effects are those of real data), so
//! nobody mistakes it for a map of a real place.
//!
//! The same spec gives the same data, bit for bit, on every platform: randomness comes from a
//! local `SplitMix64` (not from a crate whose streams may change between versions), each item
//! draws from its own stream (so the regions do not change with the number of statements), and
//! the geometry uses only IEEE-exact arithmetic (`+ − × ÷ √`, no `sin`/`cos` from the platform's
//! maths library). Coordinates have 5 decimals (about 1 m), as in the bundled data.

use geo::{Coord, Intersects, LineString, MultiPolygon, Polygon, Rect};

use crate::model::{
    AreaStatement, Color, ControlEntry, ControlStatus, Dataset, Date, Faction, FactionId, Format,
    LonLat, Precision, Region, RegionId, Source,
};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    regions: usize,
    segments: usize,
    statements: usize,
    seed: u64,
}

/// Why a [`Spec`] cannot be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// No regions asked for.
    #[error("regions 0: a data set needs at least 1 region")]
    NoRegions,
    /// Fewer vertices than a hexagon has.
    #[error("vertices {0}: a region needs at least {MIN_VERTICES} vertices")]
    TooFewVertices(usize),
    /// The honeycomb would not fit between the poles.
    #[error(
        "regions {regions} of {vertices} vertices would span {span:.0}° of latitude, more than the {MAX_SPAN_DEG}° available"
    )]
    TooLarge {
        /// Regions asked for.
        regions: usize,
        /// Vertices asked for.
        vertices: usize,
        /// The latitude span they would need, degrees.
        span: f64,
    },
}

/// The fewest vertices a region can have: a hexagon's.
pub const MIN_VERTICES: usize = 6;
/// The widest span in latitude (and longitude) the land may take, degrees.
const MAX_SPAN_DEG: f64 = 80.0;
/// Where the land is centred: the North Atlantic (longitude, latitude).
const CENTRE: (f64, f64) = (-35.0, 40.0);
/// The fraction of honeycomb cells left without a region.
const GAP: f64 = 0.12;
/// How far a corner moves, as a fraction of the hexagon's size, in each axis.
const JITTER: f64 = 0.2;
/// How far a side wiggles from the straight line, as a fraction of its length.
const WIGGLE: f64 = 0.16;
/// The smallest hexagon size (centre to corner), degrees: about 2 km.
const MIN_SIZE_DEG: f64 = 0.02;
/// The length of a side's segment on large regions, degrees (about 50 m): keeps segments well
/// above the 5-decimal rounding however many vertices a region has.
const SEGMENT_DEG: f64 = 0.0005;
/// √3, the width of a hexagon of size 1.
const SQRT_3: f64 = 1.732_050_807_568_877_2;
/// The first day a synthetic statement may start on.
const FIRST_DAY: (i16, i8, i8) = (2011, 3, 1);
/// How many days statements may start on: 2011-03-01 to 2025-12-31.
const DAYS: usize = 5420;

impl Spec {
    /// `regions` regions of about `vertices` vertices, `statements` control statements, from
    /// `seed`.
    ///
    /// # Errors
    /// No regions, fewer than [`MIN_VERTICES`] vertices, or more land than fits on the globe.
    pub fn new(
        regions: usize,
        vertices: usize,
        statements: usize,
        seed: u64,
    ) -> Result<Self, SpecError> {
        if regions == 0 {
            return Err(SpecError::NoRegions);
        }
        if vertices < MIN_VERTICES {
            return Err(SpecError::TooFewVertices(vertices));
        }
        let spec = Self {
            regions,
            segments: ((vertices + 3) / 6).max(1),
            statements,
            seed,
        };
        let layout = Layout::new(&spec);
        // Rows run on past the expected count when many cells are left out; statements reach
        // past the land by up to their largest radius.
        let span =
            layout.expected_rows as f64 * 1.2 * 1.5 * layout.size + 2.0 * MAX_RADIUS * layout.size;
        let width = layout.cols as f64 * layout.width + 2.0 * MAX_RADIUS * layout.size;
        if span.max(width) > MAX_SPAN_DEG {
            return Err(SpecError::TooLarge {
                regions,
                vertices,
                span: span.max(width),
            });
        }
        Ok(spec)
    }

    /// How many regions.
    #[must_use]
    pub fn regions(&self) -> usize {
        self.regions
    }

    /// How many vertices each region has: `vertices` rounded to a multiple of six.
    #[must_use]
    pub fn vertices(&self) -> usize {
        6 * self.segments
    }

    /// How many control statements.
    #[must_use]
    pub fn statements(&self) -> usize {
        self.statements
    }

    /// The seed.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// The synthetic data set `spec` describes (format 2, no events or places).
#[must_use]
pub fn generate(spec: &Spec) -> Dataset {
    let layout = Layout::new(spec);
    let cells = layout.cells(spec.regions);
    let factions = factions();
    let regions: Vec<Region> = cells
        .iter()
        .enumerate()
        .map(|(i, &(col, row))| Region {
            id: RegionId::new(format!("r{i}")),
            name: format!("Synthetic region {i}"),
            name_ar: None,
            description: String::new(),
            parent: None,
            last_reviewed: None,
            geometry: MultiPolygon::new(vec![Polygon::new(layout.ring(col, row), Vec::new())]),
            history: history(
                &mut Rng::stream(spec.seed, Stream::History, i as u64),
                &factions,
                &format!("regions/r{i}"),
            ),
        })
        .collect();
    let bbox = bounding_box(&regions);
    let by_cell: std::collections::HashMap<(i64, i64), usize> = cells
        .iter()
        .enumerate()
        .map(|(i, &(col, row))| ((col, row), i))
        .collect();
    let areas = (0..spec.statements)
        .map(|i| {
            let mut rng = Rng::stream(spec.seed, Stream::Statement, i as u64);
            let id = format!("c{i}");
            let geometry = blob(&mut rng, bbox, layout.size);
            let named = rng.unit() < 0.8;
            let region = layout
                .cell_at(centre_of(&geometry))
                .and_then(|cell| by_cell.get(&cell))
                .map(|&r| &regions[r])
                .filter(|r| named && r.geometry.intersects(&geometry))
                .map(|r| r.id.clone());
            let day = draw_day(&mut rng);
            let control = entry(
                &mut rng,
                day,
                &factions,
                &format!("control/{id}"),
                "Synthetic control area (benchmark data, not a real event).",
            );
            AreaStatement {
                id,
                region,
                geometry,
                control,
            }
        })
        .collect::<Vec<_>>();
    Dataset {
        format: Format::V2,
        factions,
        regions: regions.into(),
        areas: areas.into(),
        events: Vec::new(),
        places: Vec::new(),
    }
}

/// `n` points spread uniformly over `bbox` by `seed`.
#[must_use]
pub fn points_in(bbox: Rect<f64>, n: usize, seed: u64) -> Vec<LonLat> {
    let mut rng = Rng::stream(seed, Stream::Points, 0);
    (0..n)
        .filter_map(|_| {
            let lon = bbox.min().x + rng.unit() * bbox.width();
            let lat = bbox.min().y + rng.unit() * bbox.height();
            LonLat::new(lon, lat).ok()
        })
        .collect()
}

/// `n` points near the regions' boundaries, by `seed`: each on a random side of a random
/// region, at a random place along it, then moved by up to `within` degrees in each axis
/// (`within = 0`: on the boundary, up to the rounding of the interpolation).
#[must_use]
pub fn points_near_boundaries(dataset: &Dataset, n: usize, within: f64, seed: u64) -> Vec<LonLat> {
    let regions = &dataset.regions;
    if regions.is_empty() {
        return Vec::new();
    }
    let mut rng = Rng::stream(seed, Stream::Points, 1);
    (0..n)
        .filter_map(|_| {
            let region = &regions[rng.below(regions.len())];
            let polygon = &region.geometry.0[rng.below(region.geometry.0.len())];
            let outline = &polygon.exterior().0;
            let i = rng.below(outline.len().saturating_sub(1).max(1));
            let (a, b) = (outline[i], outline[(i + 1) % outline.len()]);
            let t = rng.unit();
            let lon = a.x + t * (b.x - a.x) + (2.0 * rng.unit() - 1.0) * within;
            let lat = a.y + t * (b.y - a.y) + (2.0 * rng.unit() - 1.0) * within;
            LonLat::new(lon, lat).ok()
        })
        .collect()
}

// ---- randomness ----------------------------------------------------------------------------

/// `SplitMix64` (Steele, Lea and Flood, 2014): tiny, fast, and fixed forever, so a seed always
/// gives the same data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// What a stream of random numbers is for, so each kind of item has streams of its own.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
enum Stream {
    Cell = 1,
    Corner = 2,
    Edge = 3,
    History = 4,
    Statement = 5,
    Points = 6,
}

impl Rng {
    /// A generator seeded with `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The stream for item `index` of kind `stream`.
    fn stream(seed: u64, stream: Stream, index: u64) -> Self {
        Self::keyed(seed, stream, &[index])
    }

    /// The stream for the item of kind `stream` named by `key`.
    fn keyed(seed: u64, stream: Stream, key: &[u64]) -> Self {
        let mut h = Self(seed ^ (stream as u64).wrapping_mul(0xA076_1D64_78BD_642F)).next_u64();
        for &k in key {
            h = Self(h ^ k).next_u64();
        }
        Self(h)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    #[expect(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[-1, 1)`.
    fn signed(&mut self) -> f64 {
        2.0 * self.unit() - 1.0
    }

    /// Uniform in `0..n` (`n > 0`), unbiased enough for data generation.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the product is below n, which is a usize"
    )]
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

// ---- regions -------------------------------------------------------------------------------

/// The honeycomb: pointy-top hexagons of size `size` (centre to corner), rows offset by half a
/// cell. Positions are counted in half-widths and half-sizes, so shared corners have the same
/// integer key in every cell and are jittered the same way.
struct Layout {
    seed: u64,
    /// Centre to corner, degrees.
    size: f64,
    /// A cell's width, degrees.
    width: f64,
    /// Segments per side.
    segments: usize,
    cols: usize,
    expected_rows: usize,
    /// The position of key (0, 0).
    origin: (f64, f64),
}

/// The corners of a cell, counter-clockwise from 30°, in (half-width, half-size) units.
const CORNERS: [(i64, i64); 6] = [(1, 1), (0, 2), (-1, 1), (-1, -1), (0, -2), (1, -1)];
/// The largest statement radius, in hexagon sizes.
const MAX_RADIUS: f64 = 15.0;

impl Layout {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "small positive counts"
    )]
    fn new(spec: &Spec) -> Self {
        let size = MIN_SIZE_DEG.max(spec.segments as f64 * SEGMENT_DEG);
        let width = SQRT_3 * size;
        let cells = spec.regions as f64 / (1.0 - GAP);
        // Rows are 1.5 sizes apart and cells √3 sizes wide: this many columns makes it square.
        let cols = (cells * 1.5 / SQRT_3).sqrt().ceil().max(1.0) as usize;
        let expected_rows = (cells / cols as f64).ceil().max(1.0) as usize;
        let origin = (
            CENTRE.0 - cols as f64 * width / 2.0,
            CENTRE.1 - expected_rows as f64 * 1.5 * size / 2.0,
        );
        Self {
            seed: spec.seed,
            size,
            width,
            segments: spec.segments,
            cols,
            expected_rows,
            origin,
        }
    }

    /// The first `n` cells kept, row by row.
    fn cells(&self, n: usize) -> Vec<(i64, i64)> {
        let mut kept = Vec::with_capacity(n);
        let cols = i64::try_from(self.cols).unwrap_or(i64::MAX);
        'rows: for row in 0_i64.. {
            for col in 0..cols {
                if kept.len() == n {
                    break 'rows;
                }
                if Rng::keyed(
                    self.seed,
                    Stream::Cell,
                    &[col.cast_unsigned(), row.cast_unsigned()],
                )
                .unit()
                    >= GAP
                {
                    kept.push((col, row));
                }
            }
        }
        kept
    }

    /// The cell whose unjittered centre is nearest to `at` (roughly the one containing it).
    #[expect(
        clippy::cast_possible_truncation,
        reason = "rounded, and small for any land that fits on the globe"
    )]
    fn cell_at(&self, at: Coord<f64>) -> Option<(i64, i64)> {
        let row = ((at.y - self.origin.1) / (1.5 * self.size)).round();
        let shift = if (row as i64) % 2 == 0 { 0.0 } else { 0.5 };
        let col = ((at.x - self.origin.0) / self.width - shift).round();
        (row >= 0.0 && col >= 0.0).then_some((col as i64, row as i64))
    }

    /// The key of cell (col, row)'s centre.
    fn centre_key(col: i64, row: i64) -> (i64, i64) {
        (2 * col + (row & 1), 3 * row)
    }

    #[expect(clippy::cast_precision_loss, reason = "small keys")]
    fn corner(&self, key: (i64, i64)) -> Coord<f64> {
        let mut rng = Rng::keyed(
            self.seed,
            Stream::Corner,
            &[key.0.cast_unsigned(), key.1.cast_unsigned()],
        );
        let x = self.origin.0 + key.0 as f64 * self.width / 2.0;
        let y = self.origin.1 + key.1 as f64 * self.size / 2.0;
        Coord {
            x: round5(x + rng.signed() * JITTER * self.size),
            y: round5(y + rng.signed() * JITTER * self.size),
        }
    }

    /// The vertices strictly between corners `a` and `b`, from `a` to `b`. Computed from the
    /// side's own stream in a fixed direction, so both cells sharing it get the same points.
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    fn side(&self, a: (i64, i64), b: (i64, i64)) -> Vec<Coord<f64>> {
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let (p, q) = (self.corner(lo), self.corner(hi));
        let mut rng = Rng::keyed(
            self.seed,
            Stream::Edge,
            &[
                lo.0.cast_unsigned(),
                lo.1.cast_unsigned(),
                hi.0.cast_unsigned(),
                hi.1.cast_unsigned(),
            ],
        );
        let k = self.segments;
        let broad = Noise::new(&mut rng, 3, false);
        let fine = Noise::new(&mut rng, (k / 4).max(2), false);
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        let length = (dx * dx + dy * dy).sqrt();
        // The unit normal to the side, scaled to the largest wiggle.
        let (nx, ny) = (
            -dy / length * WIGGLE * length,
            dx / length * WIGGLE * length,
        );
        let mut points: Vec<Coord<f64>> = (1..k)
            .map(|i| {
                let t = (i as f64 + 0.3 * rng.signed()) / k as f64;
                // Within a cone at each end (tent), so sides meeting at a corner never cross.
                let tent = 2.0 * t.min(1.0 - t);
                let n = 0.6 * broad.at(t) + 0.3 * fine.at(t) + 0.1 * rng.signed();
                Coord {
                    x: round5(p.x + t * dx + tent * n * nx),
                    y: round5(p.y + t * dy + tent * n * ny),
                }
            })
            .collect();
        if a != lo {
            points.reverse();
        }
        points
    }

    /// The closed, counter-clockwise ring of cell (col, row).
    fn ring(&self, col: i64, row: i64) -> LineString<f64> {
        let centre = Self::centre_key(col, row);
        let keys = CORNERS.map(|(dx, dy)| (centre.0 + dx, centre.1 + dy));
        let mut coords = Vec::with_capacity(6 * self.segments + 1);
        for j in 0..6 {
            let (a, b) = (keys[j], keys[(j + 1) % 6]);
            coords.push(self.corner(a));
            coords.extend(self.side(a, b));
        }
        coords.push(coords[0]);
        LineString::new(coords)
    }
}

/// Smooth noise in `[-1, 1]` over `t` in `[0, 1]`: random values at evenly spaced knots,
/// joined by smoothstep curves; periodic noise ends where it starts.
struct Noise(Vec<f64>);

impl Noise {
    fn new(rng: &mut Rng, intervals: usize, periodic: bool) -> Self {
        let mut knots: Vec<f64> = (0..=intervals).map(|_| rng.signed()).collect();
        if periodic {
            knots[intervals] = knots[0];
        }
        Self(knots)
    }

    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "t is clamped to [0, 1], so the knot index is in range"
    )]
    fn at(&self, t: f64) -> f64 {
        let intervals = self.0.len() - 1;
        let x = t.clamp(0.0, 1.0) * intervals as f64;
        let i = (x.floor() as usize).min(intervals - 1);
        let f = x - i as f64;
        let s = f * f * (3.0 - 2.0 * f);
        self.0[i] + s * (self.0[i + 1] - self.0[i])
    }
}

fn round5(v: f64) -> f64 {
    (v * 1e5).round() / 1e5
}

fn bounding_box(regions: &[Region]) -> Rect<f64> {
    let mut coords = regions
        .iter()
        .flat_map(|r| r.geometry.0.iter())
        .flat_map(|p| p.exterior().0.iter());
    let first = coords.next().copied().unwrap_or(Coord {
        x: CENTRE.0,
        y: CENTRE.1,
    });
    let (min, max) = coords.fold((first, first), |(min, max), c| {
        (
            Coord {
                x: min.x.min(c.x),
                y: min.y.min(c.y),
            },
            Coord {
                x: max.x.max(c.x),
                y: max.y.max(c.y),
            },
        )
    });
    Rect::new(min, max)
}

// ---- statements ----------------------------------------------------------------------------

/// A star-shaped blob over `bbox`: a radius of 0.3 to 15 hexagon sizes (most about one, a
/// few very large), 12 to 40 vertices, the radius varying smoothly by up to 40 % around it.
#[expect(clippy::cast_precision_loss, reason = "small counts")]
fn blob(rng: &mut Rng, bbox: Rect<f64>, size: f64) -> MultiPolygon<f64> {
    let centre = Coord {
        x: bbox.min().x + rng.unit() * bbox.width(),
        y: bbox.min().y + rng.unit() * bbox.height(),
    };
    let class = rng.unit();
    let (lo, hi) = if class < 0.7 {
        (0.3, 1.5)
    } else if class < 0.95 {
        (1.5, 5.0)
    } else {
        (5.0, MAX_RADIUS)
    };
    let radius = size * (lo + rng.unit() * (hi - lo));
    let n = 12 + rng.below(29);
    let knots = 4 + rng.below(5);
    let shape = Noise::new(rng, knots, true);
    let phase = rng.unit();
    let mut coords: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let t = (i as f64 + 0.25 * rng.signed()) / n as f64;
            let r = radius * (1.0 + 0.4 * shape.at(t));
            let (cos, sin) = cos_sin_turns(t + phase);
            Coord {
                x: round5(centre.x + r * cos),
                y: round5(centre.y + r * sin),
            }
        })
        .collect();
    coords.push(coords[0]);
    MultiPolygon::new(vec![Polygon::new(LineString::new(coords), Vec::new())])
}

/// The mean of a geometry's exterior vertices (a point inside a star-shaped blob).
#[expect(clippy::cast_precision_loss, reason = "small counts")]
fn centre_of(shape: &MultiPolygon<f64>) -> Coord<f64> {
    let ring = &shape.0[0].exterior().0;
    let open = &ring[..ring.len() - 1];
    let (x, y) = open.iter().fold((0.0, 0.0), |(x, y), c| (x + c.x, y + c.y));
    Coord {
        x: x / open.len() as f64,
        y: y / open.len() as f64,
    }
}

/// `(cos, sin)` of an angle in turns, by polynomials (IEEE-exact operations only, so every
/// platform gets the same bits); accurate to about 1e-9, plenty for drawing outlines.
#[expect(
    clippy::cast_possible_truncation,
    reason = "the quadrant is taken modulo 4"
)]
fn cos_sin_turns(turns: f64) -> (f64, f64) {
    let quadrant = (turns * 4.0).round();
    let x = (turns - quadrant / 4.0) * std::f64::consts::TAU; // in [-π/4, π/4]
    let x2 = x * x;
    let sin = x
        * (1.0
            - x2 / 6.0
                * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0 * (1.0 - x2 / 110.0)))));
    let cos = 1.0
        - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0 * (1.0 - x2 / 90.0))));
    match (quadrant as i64).rem_euclid(4) {
        0 => (cos, sin),
        1 => (-sin, cos),
        2 => (-cos, -sin),
        _ => (sin, -cos),
    }
}

// ---- histories and factions ----------------------------------------------------------------

/// Six synthetic factions, in Okabe–Ito colours.
fn factions() -> Vec<Faction> {
    const COLOURS: [&str; 6] = [
        "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#cc79a7",
    ];
    COLOURS
        .iter()
        .zip('a'..)
        .map(|(colour, letter)| Faction {
            id: FactionId::new(format!("synthetic-{letter}")),
            name: format!("Synthetic faction {}", letter.to_ascii_uppercase()),
            color: Color::parse(colour).unwrap_or_else(|| unreachable!("a valid colour")),
            description: "A synthetic faction (benchmark data, not a real party).".into(),
            sources: Vec::new(),
        })
        .collect()
}

/// One to four entries on distinct dates, ascending.
fn history(rng: &mut Rng, factions: &[Faction], path: &str) -> Vec<ControlEntry> {
    let count = 1 + rng.below(4);
    let mut days: Vec<(Date, Precision)> = (0..count).map(|_| draw_day(rng)).collect();
    days.sort_by_key(|(from, _)| *from);
    days.dedup_by_key(|(from, _)| *from);
    days.into_iter()
        .map(|day| {
            entry(
                rng,
                day,
                factions,
                path,
                "Synthetic history entry (benchmark data, not a real event).",
            )
        })
        .collect()
}

/// A start day between 2011 and 2025: to the day mostly, to the month or year sometimes.
fn draw_day(rng: &mut Rng) -> (Date, Precision) {
    let (y, m, d) = FIRST_DAY;
    let offset = i64::try_from(rng.below(DAYS)).unwrap_or(0);
    let day = jiff::civil::date(y, m, d)
        .checked_add(jiff::Span::new().days(offset))
        .unwrap_or_else(|_| unreachable!("within the calendar"));
    let kind = rng.unit();
    if kind < 0.85 {
        (day, Precision::Day)
    } else if kind < 0.95 {
        (day.first_of_month(), Precision::Month)
    } else {
        (day.first_of_year(), Precision::Year)
    }
}

/// A sourced statement from `day`: held by one faction (three in four) or contested.
fn entry(
    rng: &mut Rng,
    (from, precision): (Date, Precision),
    factions: &[Faction],
    path: &str,
    note: &str,
) -> ControlEntry {
    let (status, count) = if rng.unit() < 0.75 {
        (ControlStatus::Held, 1)
    } else {
        (ControlStatus::Contested, 2 + rng.below(2))
    };
    let mut picked: Vec<FactionId> = Vec::with_capacity(count);
    while picked.len() < count {
        let f = &factions[rng.below(factions.len())].id;
        if !picked.contains(f) {
            picked.push(f.clone());
        }
    }
    ControlEntry {
        from,
        precision,
        status,
        factions: picked,
        note: note.into(),
        sources: vec![Source {
            title: "synthetic".into(),
            url: format!("https://example.org/synthetic/{path}/{from}"),
            published: None,
        }],
    }
}

#[cfg(test)]
mod tests;
