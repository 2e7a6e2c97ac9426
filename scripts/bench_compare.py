"""Side-by-side benchmark for issue 11: frontline against PostGIS and shapely/GEOS.

Run it through `scripts/bench-compare` (which builds the release binary first). On one
synthetic data set (`frontline synth`) and one set of seeded random points over its bounding
box, every side answers the same question, the ids of the regions containing each point:

  (a) frontline's HTTP batch: `POST /api/query`, GeoJSON in, JSON out, timed by curl from the
      first request byte to the last response byte;
  (b) PostgreSQL + PostGIS in a throw-away cluster: regions loaded with `ogr2ogr`, a GiST index,
      points loaded with `COPY`, `VACUUM ANALYZE`, then one set-based `ST_Intersects` join,
      timed by psql's `\\timing` (client side, result rows received);
  (c) shapely's `STRtree.query(points, predicate="intersects")` in process (GEOS);
  (d) frontline in process: `frontline bench-batch` (hidden), the engine's `locate` on the
      same points, point by point and as a batch (`Engine::locate_all`);
  (e) `GET /api/query` against `GET /healthz` under `wrk`, absolute requests per second.

It checks that all sides give the same answers (a point within 1e-9 degrees of a region's
boundary may differ and is only reported), prints a table of times and ratios, and exits 1 if
answers disagree anywhere else. Everything runs on loopback or a unix socket, in a temporary
directory; every server and the cluster are stopped at exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import http.client
import urllib.request
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

PG_BIN = Path("/usr/lib/postgresql/15/bin")
BOUNDARY_TOLERANCE = 1e-9
TARGETS = {
    "http_ms": 150.0,
    "postgis_over_http": 10.0,
    "geos_over_in_process": 5.0,
    "query_over_healthz": 0.70,
}

CHILDREN: list[subprocess.Popen] = []
LOADS: list[tuple[str, float]] = []


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def note_load(stage: str) -> None:
    one_minute = float(Path("/proc/loadavg").read_text().split()[0])
    LOADS.append((stage, one_minute))


def run(cmd: list[str], timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """Runs a command, failing loudly with its output when it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if result.returncode != 0:
        raise SystemExit(
            f"command failed ({result.returncode}): {' '.join(cmd)}\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return result


def spread(values: list[float]) -> str:
    """Median and range."""
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def cpu(values) -> str:
    """A CPU-time median, or a dash where it was not measured."""
    return f"{statistics.median(values):,.0f}" if values else "—"


# ---------------------------------------------------------------------------------------------
# Data and points


def make_points(regions_file: Path, out: Path, n: int, seed: int):
    """Seeded random points over the regions' bounding box, each with a date in 2011–2024,
    written as a GeoJSON FeatureCollection and as CSV. Returns (ids, lons, lats, polygons,
    region ids)."""
    collection = json.loads(regions_file.read_text())
    region_ids = [str(f["id"]) for f in collection["features"]]
    polygons = [shape(f["geometry"]) for f in collection["features"]]
    minx, miny, maxx, maxy = shapely.total_bounds(polygons)
    rng = np.random.default_rng(seed)
    lons = np.round(rng.uniform(minx, maxx, n), 6)
    lats = np.round(rng.uniform(miny, maxy, n), 6)
    first = dt.date(2011, 1, 1)
    days = rng.integers(0, 14 * 365, n)
    ids = [f"p{i}" for i in range(n)]
    dates = [(first + dt.timedelta(days=int(d))).isoformat() for d in days]
    # The same decimal text for every side, so every parser reads the same double.
    lon_text = [f"{x:.6f}" for x in lons]
    lat_text = [f"{y:.6f}" for y in lats]
    features = ",".join(
        f'{{"type":"Feature","id":"{i}","geometry":{{"type":"Point","coordinates":[{x},{y}]}},'
        f'"properties":{{"date":"{d}"}}}}'
        for i, x, y, d in zip(ids, lon_text, lat_text, dates)
    )
    (out / "points.geojson").write_text(
        f'{{"type":"FeatureCollection","features":[{features}]}}'
    )
    rows = "".join(
        f"{i},{x},{y},{d}\n" for i, x, y, d in zip(ids, lon_text, lat_text, dates)
    )
    (out / "points.csv").write_text("id,lon,lat,date\n" + rows)
    lons = np.array([float(t) for t in lon_text])
    lats = np.array([float(t) for t in lat_text])
    return ids, lons, lats, polygons, region_ids, (minx, miny, maxx, maxy)


# ---------------------------------------------------------------------------------------------
# (c) shapely / GEOS


def shapely_side(polygons, region_ids, lons, lats, runs: int):
    """Both directions of a bulk STRtree query, each tree built and queried `runs` times:
    points against a tree of the regions (each point tested unprepared against its candidate
    regions: what geopandas' `sjoin(points, regions)` runs), and the regions against a tree of
    the points (each region prepared once, then tested against the points in its box).
    Returns the times in ms and the answers of the first (both are checked equal)."""
    points = shapely.points(lons, lats)
    times = {"regions_build": [], "regions_query": [], "points_build": [], "points_query": [],
             "regions_query_cpu": [], "points_query_cpu": []}
    by_regions = by_points = None
    for _ in range(runs):
        start = time.perf_counter()
        tree = shapely.STRtree(polygons)
        times["regions_build"].append((time.perf_counter() - start) * 1e3)
        start, cpu = time.perf_counter(), time.thread_time()
        by_regions = tree.query(points, predicate="intersects")
        times["regions_query"].append((time.perf_counter() - start) * 1e3)
        times["regions_query_cpu"].append((time.thread_time() - cpu) * 1e3)
        del tree
        start = time.perf_counter()
        tree = shapely.STRtree(points)
        times["points_build"].append((time.perf_counter() - start) * 1e3)
        start, cpu = time.perf_counter(), time.thread_time()
        by_points = tree.query(polygons, predicate="intersects")
        times["points_query"].append((time.perf_counter() - start) * 1e3)
        times["points_query_cpu"].append((time.thread_time() - cpu) * 1e3)
        del tree
    answers: list[list[str]] = [[] for _ in range(len(lons))]
    for p, r in zip(by_regions[0], by_regions[1]):
        answers[p].append(region_ids[r])
    if set(zip(by_regions[0], by_regions[1])) != set(zip(by_points[1], by_points[0])):
        raise SystemExit("shapely's two query directions disagree")
    return times, answers


# ---------------------------------------------------------------------------------------------
# (d) frontline in process


def in_process_side(binary: Path, data: Path, out: Path, runs: int):
    answers_file = out / "in-process-answers.csv"
    result = run(
        [
            str(binary), "bench-batch", "--data", str(data),
            "--points", str(out / "points.csv"), "--runs", str(runs),
            "--answers", str(answers_file),
        ],
        timeout=600,
    )
    report = json.loads(result.stdout)
    answers = []
    for line in answers_file.read_text().splitlines()[1:]:
        _, regions = line.split(",", 1)
        answers.append(regions.split(";") if regions else [])
    return report, answers


# ---------------------------------------------------------------------------------------------
# (a) and (e): the server


def start_server(binary: Path, data: Path, out: Path):
    proc = subprocess.Popen(
        [str(binary), "serve", "--addr", "127.0.0.1:0", "--data", str(data),
         "--db", str(out / "frontline.db")],
        stdout=subprocess.PIPE, stderr=open(out / "server.log", "w"), text=True,
    )
    CHILDREN.append(proc)
    start = time.perf_counter()
    line = proc.stdout.readline()
    match = re.search(r"listening on http://(\S+)", line)
    if not match:
        raise SystemExit(f"the server did not start: {line!r}; see {out / 'server.log'}")
    log(f"server up at {match.group(1)} in {time.perf_counter() - start:.1f} s")
    return proc, match.group(1), time.perf_counter() - start


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_side(proc, addr: str, out: Path, runs: int):
    body = out / "points.geojson"
    answer = out / "http-answer.json"

    def post() -> float:
        result = run(
            ["curl", "-sS", "--fail-with-body", "-o", str(answer), "-w", "%{time_total}",
             "-H", "Content-Type: application/geo+json", "-H", "Accept: application/json",
             "-H", "Expect:", "--data-binary", f"@{body}",
             f"http://{addr}/api/query"],
            timeout=120,
        )
        return float(result.stdout) * 1e3

    post()  # warm-up
    cpu_before = cpu_seconds(proc.pid)
    times = [post() for _ in range(runs)]
    cpu_ms = (cpu_seconds(proc.pid) - cpu_before) / runs * 1e3
    results = json.loads(answer.read_text())["results"]
    answers = [[r["id"] for r in result["regions"]] for result in results]
    ids = [result["id"] for result in results]
    return times, cpu_ms, answers, ids, body.stat().st_size, answer.stat().st_size


def wrk_side(addr: str, out: Path, lons, lats, at: str, seconds: int, threads: int,
             connections: int, rotate: int):
    """`wrk` on /healthz and on /api/query with the same client (a Lua `request` function
    rotating through paths) and the same settings, once the server is warm: the date's map
    flattened and every path asked once (the first query in a region on a date clips the
    region's shares, computed once and kept; the time that first pass took is returned too)."""
    n = min(rotate, len(lons))
    query_paths = [f"/api/query?lon={lons[i]:.6f}&lat={lats[i]:.6f}&at={at}" for i in range(n)]
    # Warm the date's flattened map (GET /api/query gives the regions' shares).
    start = time.perf_counter()
    with urllib.request.urlopen(f"http://{addr}{query_paths[0]}", timeout=300) as r:
        r.read()
    warm_s = time.perf_counter() - start
    # Then every path once, on one keep-alive connection: what wrk measures is the steady
    # state, as criterion measures after its warm-up.
    host, port = addr.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=300)
    start = time.perf_counter()
    for path in query_paths:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
    first_pass_s = time.perf_counter() - start
    connection.close()
    results = {}
    for name, paths in (("healthz", ["/healthz"]), ("query", query_paths)):
        script = out / f"wrk-{name}.lua"
        listed = ",\n".join(json.dumps(p) for p in paths)
        script.write_text(
            "local paths = {\n" + listed + "\n}\n"
            "local i = 0\n"
            "request = function()\n"
            "  i = i % #paths + 1\n"
            "  return wrk.format(\"GET\", paths[i])\n"
            "end\n"
        )
        note_load(f"wrk {name}")
        result = run(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
             "--latency", "-s", str(script), f"http://{addr}"],
            timeout=seconds + 60,
        )
        text = result.stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
        errors = re.search(r"Socket errors:.*", text)
        if bad:
            raise SystemExit(f"wrk {name}: {bad.group(1)} non-2xx responses\n{text}")
        median = re.search(r"50%\s+(\S+)", text).group(1)
        p99 = re.search(r"99%\s+(\S+)", text).group(1)
        results[name] = {
            "rps": rps, "median": median, "p99": p99,
            "errors": errors.group(0) if errors else None, "text": text,
        }
    return results, warm_s, first_pass_s, n


# ---------------------------------------------------------------------------------------------
# (b) PostgreSQL + PostGIS


class Cluster:
    """A throw-away PostgreSQL cluster in `root`, reachable only through a unix socket there."""

    def __init__(self, root: Path, port: int):
        self.root, self.port = root, port
        self.data = root / "data"
        self.started = False
        root.mkdir()
        # initdb refuses root: as root, the cluster runs as the `postgres` user.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(root, "postgres")
        self.as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "--no-sync", "-E", "UTF8"])

    def as_postgres(self, cmd: list[str], timeout: float = 120):
        return run([*self.prefix, *cmd], timeout=timeout, cwd=self.root)

    def start(self):
        options = (f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c jit=off")
        self.as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                          "-l", str(self.root / "server.log"), "-w", "start"])
        self.started = True

    def stop(self):
        if self.started:
            subprocess.run([*self.prefix, str(PG_BIN / "pg_ctl"), "-D",
                            str(self.data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, cwd=self.root)
            self.started = False

    def psql(self, *args: str, timeout: float = 300) -> str:
        return run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.root), "-p",
                    str(self.port), "-U", "postgres", "-d", "bench", *args],
                   timeout=timeout).stdout

    def version(self) -> str:
        return self.psql("-At", "-c", "SELECT version(); SELECT postgis_full_version();")


JOIN = ("SELECT p.id, r.id AS region FROM points p "
        "LEFT JOIN regions r ON ST_Intersects(r.geom, p.geom)")


def postgis_side(cluster: Cluster, regions_file: Path, out: Path, runs: int):
    timings = {}
    start = time.perf_counter()
    cluster.start()
    timings["start_s"] = time.perf_counter() - start
    run(["createdb", "-h", str(cluster.root), "-p", str(cluster.port), "-U", "postgres",
         "bench"])
    cluster.psql("-c", "CREATE EXTENSION postgis")
    start = time.perf_counter()
    run(["ogr2ogr", "-f", "PostgreSQL",
         f"PG:host={cluster.root} port={cluster.port} dbname=bench user=postgres",
         str(regions_file), "-nln", "regions", "-nlt", "MULTIPOLYGON", "-select", "id",
         "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=NONE", "-lco", "FID=gid"],
        timeout=300)
    timings["ogr2ogr_s"] = time.perf_counter() - start
    start = time.perf_counter()
    cluster.psql("-c", "CREATE INDEX regions_geom_gist ON regions USING gist (geom)")
    timings["index_s"] = time.perf_counter() - start
    start = time.perf_counter()
    cluster.psql(
        "-c", "CREATE TABLE points (id text PRIMARY KEY, lon float8, lat float8, date date)",
        "-c", f"\\copy points (id, lon, lat, date) FROM '{out / 'points.csv'}' "
              "WITH (FORMAT csv, HEADER true)",
        "-c", "ALTER TABLE points ADD COLUMN geom geometry(Point, 4326)",
        "-c", "UPDATE points SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)",
    )
    timings["copy_s"] = time.perf_counter() - start
    start = time.perf_counter()
    cluster.psql("-c", "VACUUM ANALYZE regions", "-c", "VACUUM ANALYZE points")
    timings["vacuum_s"] = time.perf_counter() - start
    counts = cluster.psql("-At", "-c", "SELECT count(*) FROM regions",
                          "-c", "SELECT count(*) FROM points").split()

    # Timed: the join's rows sent to the client as CSV; a warm-up that keeps the answers,
    # then `runs` whose rows psql writes to /dev/null.
    answers_file = out / "postgis-answers.csv"
    script = out / "join.sql"
    copy = f"COPY ({JOIN}) TO STDOUT (FORMAT csv);\n"
    script.write_text(
        f"\\o {answers_file}\n{copy}\\o /dev/null\n\\timing on\n" + copy * runs)
    text = cluster.psql("-f", str(script), timeout=600)
    times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", text)]
    if len(times) != runs:
        raise SystemExit(f"psql timing: expected {runs} figures, got {text!r}")
    explain = cluster.psql("-c", f"EXPLAIN (ANALYZE, BUFFERS) {JOIN}", timeout=600)
    if "regions_geom_gist" not in explain:
        raise SystemExit(f"the join does not use the GiST index:\n{explain}")
    execution = float(re.search(r"Execution Time: ([\d.]+) ms", explain).group(1))
    found: dict[str, list[str]] = {}
    for line in answers_file.read_text().splitlines():
        pid, region = line.split(",", 1)
        found.setdefault(pid, [])
        if region:
            found[pid].append(region)
    return times, explain, execution, found, timings, counts


# ---------------------------------------------------------------------------------------------
# Checking answers


def compare(sides: dict[str, list[list[str]]], ids, lons, lats, polygons, region_ids):
    """Every side against the first. Returns (boundary mismatches, other mismatches)."""
    index = {r: i for i, r in enumerate(region_ids)}
    names = list(sides)
    reference = sides[names[0]]
    boundary, wrong = [], []
    for name in names[1:]:
        answers = sides[name]
        if len(answers) != len(reference):
            wrong.append((name, None, f"{len(answers)} answers, not {len(reference)}"))
            continue
        for k, (a, b) in enumerate(zip(reference, answers)):
            if sorted(a) == sorted(b):
                continue
            involved = set(a) ^ set(b)
            point = shapely.Point(lons[k], lats[k])
            distance = min(
                shapely.distance(polygons[index[r]].boundary, point) for r in involved
            )
            record = (name, k, f"{ids[k]} ({lons[k]:.6f}, {lats[k]:.6f}): "
                               f"{names[0]} {sorted(a)}, {name} {sorted(b)}, "
                               f"{distance:.2e}° from a boundary")
            (boundary if distance <= BOUNDARY_TOLERANCE else wrong).append(record)
    return boundary, wrong


# ---------------------------------------------------------------------------------------------


def machine() -> str:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = next(l for l in Path("/proc/meminfo").read_text().splitlines()
               if l.startswith("MemTotal"))
    gib = int(mem.split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores ({model}), {gib:.0f} GiB, {platform.system()} {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench-compare",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, type=Path,
                        help="the release frontline binary (scripts/bench-compare passes it)")
    parser.add_argument("--regions", type=int, default=10_000)
    parser.add_argument("--vertices", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1, help="frontline synth's seed")
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--points-seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--wrk-points", type=int, default=10_000,
                        help="how many of the points GET /api/query rotates through")
    parser.add_argument("--wrk-at", default="2018-07-27", help="the date GET /api/query asks")
    parser.add_argument("--pg-port", type=int, default=54329)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--skip-postgis", action="store_true")
    parser.add_argument("--skip-wrk", action="store_true")
    args = parser.parse_args()

    for tool in ["curl", "ogr2ogr", "psql", "createdb"] + ([] if args.skip_wrk else ["wrk"]):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (see BENCHMARKS.md, Side by side)")
    if not args.skip_postgis and not (PG_BIN / "initdb").exists():
        raise SystemExit(f"{PG_BIN / 'initdb'} is missing: apt-get install postgresql postgis")

    began = time.perf_counter()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = Path(tempfile.mkdtemp(prefix="frontline-compare-"))
    os.chmod(out, 0o755)
    cluster = None
    try:
        note_load("start")
        data = out / "data"
        log(f"synthetic data: {args.regions} regions of {args.vertices} vertices in {out}")
        run([str(args.bin), "synth", "--regions", str(args.regions), "--vertices",
             str(args.vertices), "--seed", str(args.seed), "--out", str(data)])
        for f in data.iterdir():
            os.chmod(f, 0o644)
        ids, lons, lats, polygons, region_ids, bbox = make_points(
            data / "regions.geojson", out, args.points, args.points_seed)
        log(f"{args.points} points over {tuple(round(b, 4) for b in bbox)}")

        note_load("shapely")
        log("shapely / GEOS")
        geos_times, geos = shapely_side(polygons, region_ids, lons, lats, args.runs)

        note_load("in process")
        log("frontline in process (bench-batch)")
        report, in_process = in_process_side(args.bin, data, out, args.runs)

        note_load("http")
        log("frontline over HTTP")
        server, addr, start_s = start_server(args.bin, data, out)
        http_times, http_cpu, http, http_ids, in_bytes, out_bytes = http_side(
            server, addr, out, args.runs)
        if http_ids != ids:
            raise SystemExit("the HTTP batch did not answer the points in input order")
        wrk = None
        if not args.skip_wrk:
            log(f"wrk: {args.wrk_seconds} s each on /healthz and /api/query")
            wrk, warm_s, first_s, rotated = wrk_side(addr, out, lons, lats, args.wrk_at,
                                            args.wrk_seconds, args.wrk_threads,
                                            args.wrk_connections, args.wrk_points)
        server.terminate()
        server.wait(timeout=30)
        bundled_wrk = None
        if not args.skip_wrk:
            # The same two loads on the bundled data (5 regions, 88 statements), where a point
            # query's own cost is smallest: the HTTP stack's share shows there.
            log("wrk on the bundled data")
            bundled_out = out / "bundled"
            bundled_out.mkdir()
            geodata = Path(__file__).resolve().parent.parent / "geodata"
            _, b_lons, b_lats, *_ = make_points(geodata / "regions.geojson", bundled_out,
                                                args.wrk_points, args.points_seed)
            server, b_addr, _ = start_server(args.bin, geodata, bundled_out)
            bundled_wrk, b_warm_s, b_first_s, b_rotated = wrk_side(
                b_addr, bundled_out, b_lons, b_lats, "2015-08-20", args.wrk_seconds,
                args.wrk_threads, args.wrk_connections, args.wrk_points)
            server.terminate()
            server.wait(timeout=30)

        postgis = None
        if not args.skip_postgis:
            note_load("postgis")
            log("PostgreSQL + PostGIS")
            cluster = Cluster(out / "pg", args.pg_port)
            pg_times, explain, pg_exec, found, pg_setup, counts = postgis_side(
                cluster, data / "regions.geojson", out, args.runs)
            pg_version = cluster.version()
            cluster.stop()
            postgis = [found.get(i, []) for i in ids]
            missing = [i for i in ids if i not in found]
            if missing:
                raise SystemExit(f"PostGIS left out {len(missing)} points, e.g. {missing[:5]}")
        note_load("end")

        sides = {"shapely/GEOS": geos, "frontline in process": in_process,
                 "frontline HTTP": http}
        if postgis is not None:
            sides["PostGIS"] = postgis
        boundary, wrong = compare(sides, ids, lons, lats, polygons, region_ids)
        inside = sum(1 for a in geos if a)

        # -------------------------------------------------------------------- the report
        med = statistics.median
        http_ms = med(http_times)
        # The faster direction is GEOS's figure: the strongest baseline.
        geos_ms = min(med(geos_times["regions_query"]), med(geos_times["points_query"]))
        locate_one = med(report["locate_one_thread_ms"])
        locate_all = med(report["locate_all_cores_ms"])
        locate_batch = med(report["locate_batch_ms"])
        query_batch = med(report["query_batch_ms"])
        loads = [l for _, l in LOADS]
        lines = []
        p = lines.append
        p(f"Run {when} on {machine()}; load average (1 min) {min(loads):.1f}–{max(loads):.1f} "
          f"during the run ({', '.join(f'{s} {l:.1f}' for s, l in LOADS)}).")
        p(f"Data: `frontline synth --regions {args.regions} --vertices {args.vertices} "
          f"--seed {args.seed}` ({report['regions']} regions); {args.points:,} points "
          f"(seed {args.points_seed}) over its bounding box, {inside:,} inside a region. "
          f"Times in ms, median (min–max) of {args.runs} runs after a warm-up.")
        p("")
        p("| side | what is timed | wall ms | CPU ms |")
        p("|---|---|---:|---:|")
        p(f"| (a) frontline, HTTP batch | `POST /api/query`, GeoJSON in ({in_bytes / 1e6:.1f} MB), "
          f"JSON out ({out_bytes / 1e6:.1f} MB), first request byte to last response byte (curl); "
          f"control resolution and nearest region included; CPU: the server's | "
          f"{spread(http_times)} | {http_cpu:,.0f} |")
        if postgis is not None:
            p(f"| (b) PostGIS | `COPY ({JOIN}) TO STDOUT`, psql `\\timing` (rows received by "
              f"the client) | {spread(pg_times)} | — |")
            p(f"| | — `EXPLAIN ANALYZE` execution time | {pg_exec:,.0f} | — |")
        shapely_name = f"(c) shapely {shapely.__version__} / GEOS {shapely.geos_version_string}"
        p(f"| {shapely_name} | `STRtree(regions).query(points, predicate=\"intersects\")`, one "
          f"thread (geopandas `sjoin`'s direction) | {spread(geos_times['regions_query'])} | "
          f"{cpu(geos_times['regions_query_cpu'])} |")
        p(f"| | — building that tree | {spread(geos_times['regions_build'])} | — |")
        p(f"| | `STRtree(points).query(regions, predicate=\"intersects\")` (each region "
          f"prepared once) | {spread(geos_times['points_query'])} | "
          f"{cpu(geos_times['points_query_cpu'])} |")
        p(f"| | — building that tree | {spread(geos_times['points_build'])} | — |")
        p(f"| (d) frontline in process | `Engine::locate` per point, one thread "
          f"(`frontline bench-batch`) | {spread(report['locate_one_thread_ms'])} | "
          f"{cpu(report.get('locate_one_thread_cpu_ms'))} |")
        p(f"| | — the same on {report['threads']} threads (rayon) | "
          f"{spread(report['locate_all_cores_ms'])} | "
          f"{cpu(report.get('locate_all_cores_cpu_ms'))} |")
        p(f"| | `Engine::locate_all`: the batch, in Z-order on {report['threads']} threads | "
          f"{spread(report['locate_batch_ms'])} | {cpu(report.get('locate_batch_cpu_ms'))} |")
        p(f"| | — `Engine::query` (control resolution, nearest region) as a batch the same way "
          f"| {spread(report['query_batch_ms'])} | {cpu(report.get('query_batch_cpu_ms'))} |")
        p(f"| | — load and index (once) | {report['load_ms']:,.0f} + {report['index_ms']:,.0f} "
          f"| — |")
        p("")
        verdict = lambda ok: "met" if ok else "**missed**"
        p("| target | measured | verdict |")
        p("|---|---:|---|")
        p(f"| HTTP batch ≤ {TARGETS['http_ms']:.0f} ms | {http_ms:,.0f} ms | "
          f"{verdict(http_ms <= TARGETS['http_ms'])} |")
        if postgis is not None:
            ratio = med(pg_times) / http_ms
            p(f"| HTTP batch ≥ {TARGETS['postgis_over_http']:.0f}× PostGIS | PostGIS / HTTP = "
              f"{ratio:.2f}× | {verdict(ratio >= TARGETS['postgis_over_http'])} |")
        ratio = geos_ms / locate_batch
        p(f"| in process ≥ {TARGETS['geos_over_in_process']:.0f}× GEOS bulk query | GEOS / "
          f"`locate_all` = {ratio:.2f}× (point by point in input order: one thread "
          f"{geos_ms / locate_one:.2f}×, {report['threads']} threads {geos_ms / locate_all:.2f}×; "
          f"`query` as a batch {geos_ms / query_batch:.2f}×) | "
          f"{verdict(ratio >= TARGETS['geos_over_in_process'])} |")
        if report.get("locate_batch_cpu_ms"):
            geos_cpu = min(med(geos_times["regions_query_cpu"]), med(geos_times["points_query_cpu"]))
            locate_cpu = med(report["locate_batch_cpu_ms"])
            p(f"| — by CPU time (work done, whatever the cores; 10 ms ticks) | GEOS / "
              f"`locate_all` = {geos_cpu / max(locate_cpu, 1):.2f}× | |")
        p(f"| — for reference: GEOS / HTTP batch | {geos_ms / http_ms:.2f}× | |")
        for label, w in (("these regions", wrk), ("the bundled data", bundled_wrk)):
            if w is None:
                continue
            h, q = w["healthz"], w["query"]
            ratio = q["rps"] / h["rps"]
            p(f"| `GET /api/query` ≥ {TARGETS['query_over_healthz']:.0%} of `/healthz` req/s, "
              f"{label} | {q['rps']:,.0f} / {h['rps']:,.0f} req/s = {ratio:.0%} | "
              f"{verdict(ratio >= TARGETS['query_over_healthz'])} |")
        p("")
        if wrk is not None:
            p(f"wrk: `wrk -t {args.wrk_threads} -c {args.wrk_connections} -d {args.wrk_seconds}s`, "
              f"{args.wrk_seconds} s on each URL, both through the same Lua `request` function; "
              f"`/api/query` rotates through {rotated:,} of the points at `at={args.wrk_at}` "
              f"(that date's map flattened first: the first request took {warm_s:.1f} s; then "
              f"each point asked once, on one connection, {first_s:.1f} s: the first query in "
              f"a region on a date clips its shares), and on the bundled data through "
              f"{b_rotated:,} seeded points over its box at `at=2015-08-20` ({b_warm_s:.2f} s, "
              f"then {b_first_s:.1f} s).")
            for label, w in (("these regions", wrk), ("bundled", bundled_wrk)):
                h, q = w["healthz"], w["query"]
                p(f"Latency median / 99th percentile, {label}: `/healthz` {h['median']} / "
                  f"{h['p99']}, `/api/query` {q['median']} / {q['p99']}."
                  + (f" {h['errors']} (healthz)." if h['errors'] else "")
                  + (f" {q['errors']} (query)." if q['errors'] else ""))
        if postgis is not None:
            p(f"PostGIS set-up (not timed above): cluster start {pg_setup['start_s']:.1f} s, "
              f"`ogr2ogr` {pg_setup['ogr2ogr_s']:.1f} s ({counts[0]} regions), GiST index "
              f"{pg_setup['index_s']:.1f} s, `COPY` and point geometries "
              f"{pg_setup['copy_s']:.1f} s ({counts[1]} points), `VACUUM ANALYZE` "
              f"{pg_setup['vacuum_s']:.1f} s. {pg_version.splitlines()[0]}.")
        p(f"Server start to listening on these regions: {start_s:.1f} s.")
        p(f"Answers: {len(sides)} sides compared point by point ({', '.join(sides)}); "
          f"{len(boundary)} differ only within {BOUNDARY_TOLERANCE:g}° of a boundary, "
          f"{len(wrong)} differ elsewhere.")
        print("\n".join(lines))
        if postgis is not None:
            print("\nEXPLAIN (ANALYZE, BUFFERS) of the join:\n")
            print("```text\n" + explain.rstrip() + "\n```")
        for _, _, text in boundary[:20]:
            print(f"boundary: {text}")
        for _, _, text in wrong[:50]:
            print(f"MISMATCH: {text}", file=sys.stderr)
        log(f"done in {time.perf_counter() - began:.0f} s")
        return 1 if wrong else 0
    finally:
        for proc in CHILDREN:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if cluster is not None:
            cluster.stop()
        if args.keep:
            log(f"kept {out}")
        else:
            shutil.rmtree(out, ignore_errors=True)


def on_signal(signum, _frame):
    raise SystemExit(f"stopped by signal {signum}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.exit(main())
