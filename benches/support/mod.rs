//! What the benchmarks share: the data sets (the bundled one, and synthetic ones from
//! `frontline::synth`, never a committed blob) and seeded random query points over a data set's
//! bounding box, each on a date drawn from the data's own statement dates.

#![allow(dead_code, reason = "each benchmark uses a different subset")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkGroup, Criterion, SamplingMode};
use frontline::engine::Engine;
use frontline::geodata::{self, Loaded};
use frontline::model::{Dataset, Date, LonLat};
use frontline::synth::{self, Rng, Spec};
use geo::Rect;

/// The seed of every synthetic data set and query point in the benchmarks.
pub const SEED: u64 = 1;

/// The bundled data set, `geodata/`.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// The bundled data set, loaded.
pub fn bundled() -> Loaded {
    geodata::load(&bundled_dir()).unwrap_or_else(|report| panic!("{report}"))
}

/// A synthetic data set: `regions` regions of about `vertices` vertices and as many control
/// statements as regions.
pub fn synthetic(regions: usize, vertices: usize) -> Dataset {
    let spec = Spec::new(regions, vertices, regions, SEED).unwrap_or_else(|e| panic!("{e}"));
    synth::generate(&spec)
}

/// A data set as the loader would hand it over.
pub fn loaded(dataset: Dataset) -> Loaded {
    Loaded {
        dataset,
        version: "bench".into(),
        warnings: Vec::new(),
    }
}

/// The synthetic sizes the benchmarks compare: label, regions, vertices.
pub const SIZES: [(&str, usize, usize); 4] = [
    ("1k x 50", 1_000, 50),
    ("10k x 50", 10_000, 50),
    ("100k x 50", 100_000, 50),
    ("100 x 10k", 100, 10_000),
];

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("frontline-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The box around every region and control area.
pub fn extent(engine: &Engine) -> Rect<f64> {
    [engine.extent(), engine.areas_extent()]
        .into_iter()
        .flatten()
        .reduce(|a, b| {
            Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .expect("a data set with regions")
}

/// A point and the date it is asked about.
pub type Probe = (LonLat, Date);

/// Query points of three kinds, `n` of each (fewer only if the box has almost no land or no
/// gaps).
pub struct Probes {
    /// Seeded random points over the data's box that some region contains.
    pub inside: Vec<Probe>,
    /// Seeded random points over the data's box that no region contains (they pay for the
    /// nearest-region search).
    pub outside: Vec<Probe>,
    /// Seeded random points on region boundaries moved by up to 1e-4° (about 10 m) each way.
    pub near: Vec<Probe>,
}

impl Probes {
    /// `n` probes of each kind for `engine`, by [`SEED`].
    pub fn new(engine: &Engine, n: usize) -> Self {
        let data = engine.dataset();
        let ticks = data.statement_dates();
        let mut rng = Rng::new(SEED);
        let mut dated = |p: LonLat| (p, ticks[rng.below(ticks.len())]);
        let (mut inside, mut outside) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let box_ = extent(engine);
        for round in 0..40 {
            if inside.len() >= n && outside.len() >= n {
                break;
            }
            for p in synth::points_in(box_, 4 * n, SEED + round) {
                let list = if engine.locate(p).is_empty() {
                    &mut outside
                } else {
                    &mut inside
                };
                if list.len() < n {
                    list.push(dated(p));
                }
            }
        }
        let near = synth::points_near_boundaries(data, n, 1e-4, SEED)
            .into_iter()
            .map(dated)
            .collect();
        Self {
            inside,
            outside,
            near,
        }
    }

    /// The three kinds by name.
    pub fn kinds(&self) -> [(&'static str, &[Probe]); 3] {
        [
            ("inside", &self.inside),
            ("outside", &self.outside),
            ("near boundary", &self.near),
        ]
    }
}

/// What the benchmarks are timed by: wall time (criterion's default) or, with
/// `FRONTLINE_BENCH_CLOCK=cpu`, the CPU time of the whole process (every thread), which other
/// work on a busy shared machine inflates far less. On an idle machine the two agree for
/// single-threaded work.
pub struct Clock {
    cpu: bool,
    wall: WallTime,
}

impl Clock {
    /// The clock `FRONTLINE_BENCH_CLOCK` names (`cpu`, or wall time by default).
    pub fn from_env() -> Self {
        let cpu = match std::env::var("FRONTLINE_BENCH_CLOCK").as_deref() {
            Ok("cpu") => true,
            Ok("wall") | Err(_) => false,
            Ok(other) => panic!("FRONTLINE_BENCH_CLOCK={other}: expected cpu or wall"),
        };
        Self {
            cpu,
            wall: WallTime,
        }
    }

    /// A clock of wall time whatever the environment says (for latencies that include I/O).
    pub fn wall() -> Self {
        Self {
            cpu: false,
            wall: WallTime,
        }
    }
}

fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

impl Measurement for Clock {
    type Intermediate = (std::time::Instant, Duration);
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        let cpu = if self.cpu {
            process_cpu()
        } else {
            Duration::ZERO
        };
        (std::time::Instant::now(), cpu)
    }

    fn end(&self, (wall, cpu): Self::Intermediate) -> Duration {
        if self.cpu {
            process_cpu().saturating_sub(cpu)
        } else {
            wall.elapsed()
        }
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

/// Criterion timed by [`Clock::from_env`].
pub fn criterion() -> Criterion<Clock> {
    Criterion::default().with_measurement(Clock::from_env())
}

/// Settings for a group whose every iteration takes a second or more: the fewest samples
/// criterion allows, one iteration each.
pub fn slow<M: Measurement>(group: &mut BenchmarkGroup<'_, M>, measurement: Duration) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(measurement);
}
