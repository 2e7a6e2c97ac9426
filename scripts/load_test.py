#!/usr/bin/env python3
"""Bounded load test of `frontline serve` (issue 12). Run it through scripts/load.sh.

Starts the release binary on a free loopback port with a token, a copy of geodata/ and a fresh
database in a temporary directory, then for a fixed time drives it with three classes of
clients at once, below --max-in-flight:

  read   the map page and its files, OGC collections and items (bbox, datetime, at), features
         by id, GET /api/query at random points and dates, the timeline, stats, the change log;
  batch  POST /api/query with 1,000 points as JSON (answered as JSON or a GeoJSON text
         sequence) or CSV (answered as CSV), each answer checked for its row count;
  write  authenticated edits: control entries, events and control areas added, replaced (an
         area with its `base`) and withdrawn by reverting their first change (`force=true`);
         each client owns its items, so no answer but 201 is expected;

while a few clients hold the change stream (Server-Sent Events) open. It samples the server's
VmRSS every second and fits a line to the samples after the warm-up.

Then it stops the server with SIGTERM, starts it again on the same database and checks that
every acknowledged write (a 201 received) is in the change log exactly once, as sent, and that
the data served agrees; then it writes for a few seconds more, kills the server with SIGKILL
in the middle of it, restarts and checks again. With --overload, a second server with a small
--max-in-flight is driven far past it: every refusal must be a 503 with Retry-After.

Only Python's standard library; HTTP/1.1 over asyncio streams, keep-alive, one request at a
time per connection. Loopback only. Exit status 1 if any 5xx (apart from the deliberate
overload's 503s), any transport error or unexpected 4xx, any acknowledged write lost,
duplicated or changed, an ERROR or panic in the server's log, or an RSS slope of 1 MB/min or
more; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# The bundled data's box (lon, lat) and its years: random points and dates fall inside.
BOX = (35.70, 33.30, 37.30, 36.00)
FIRST_DAY = dt.date(2011, 1, 1)
DAYS = (dt.date(2025, 12, 31) - FIRST_DAY).days
# Control entries written by the test start here, one new day each, so they never replace an
# entry of the files.
WRITE_DAY0 = dt.date(2040, 1, 1)
# A part of the Ghab Plain where the test draws its control areas.
AREA_BOX = (36.25, 35.45, 36.45, 35.85)
CLIENT_TIMEOUT = 90.0  # above the server's 60 s request timeout
MB = 1_000_000
# Seconds of samples after the warm-up below which the RSS slope is shown but not judged.
MIN_SLOPE_WINDOW = 30


# ---------------------------------------------------------------------------------------------
# HTTP/1.1 client


class HttpError(Exception):
    """The exchange failed below HTTP: refused, reset, closed early, malformed, timed out."""


class Conn:
    """One keep-alive connection to the server; reconnects after a failure or `close`."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, path, headers=None, body=b"", timeout=CLIENT_TIMEOUT):
        """Returns (status, headers with lower-case names, body)."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, headers or {}, body), timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError, ValueError, HttpError) as e:
            self.close()
            raise HttpError(f"{method} {path[:80]}: {type(e).__name__}: {e}") from None

    async def _exchange(self, method, path, headers, body):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        try:
            await self.writer.drain()
        except ConnectionError:
            # The server may answer before it has read the body (a 503 or 413 at the door)
            # and close the connection: its answer can still be waiting to be read.
            self.writer = None
        status, rheaders = await read_head(self.reader)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            data = b""
        elif rheaders.get("transfer-encoding", "").lower() == "chunked":
            data = b"".join([piece async for piece in read_chunks(self.reader)])
        elif "content-length" in rheaders:
            data = await self.reader.readexactly(int(rheaders["content-length"]))
        else:
            data = await self.reader.read()
            self.close()
        if rheaders.get("connection", "").lower() == "close":
            self.close()
        return status, rheaders, data


async def read_head(reader):
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise HttpError(f"not an HTTP status line: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def read_chunks(reader):
    """The pieces of a chunked body; raises if it ends before its last chunk."""
    while True:
        size_line = await reader.readline()
        if not size_line.endswith(b"\r\n"):
            raise HttpError("the chunked body ended before its last chunk")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass  # trailers
            return
        piece = await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise HttpError("a chunk is not followed by CRLF")
        yield piece


# ---------------------------------------------------------------------------------------------
# Tallies


@dataclass
class Tally:
    """Every request's outcome, by class (read, batch, write) and by operation."""

    latencies: dict = field(default_factory=lambda: defaultdict(list))
    statuses: dict = field(default_factory=lambda: defaultdict(Counter))
    op_latencies: dict = field(default_factory=lambda: defaultdict(list))
    op_class: dict = field(default_factory=dict)
    # 503s that carried Retry-After / did not.
    retry_after: Counter = field(default_factory=Counter)
    no_retry_after: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    unexpected: Counter = field(default_factory=Counter)
    examples: list = field(default_factory=list)

    def record(self, cls, op, status, seconds, headers, expected, path=""):
        self.latencies[cls].append(seconds)
        self.statuses[cls][status] += 1
        self.op_latencies[op].append(seconds)
        self.op_class[op] = cls
        if status == 503:
            (self.retry_after if "retry-after" in headers else self.no_retry_after)[cls] += 1
        if status not in expected and status < 500:
            self.unexpected[cls] += 1
        if status not in expected or status >= 400 and status != 503:
            self.example(f"{cls} {op}: HTTP {status} {path[:120]}")

    def error(self, cls, op, why):
        self.errors[cls] += 1
        self.example(f"{cls} {op}: {why}")

    def example(self, text):
        if len(self.examples) < 20:
            self.examples.append(text)

    def count(self, cls, pred):
        return sum(n for s, n in self.statuses[cls].items() if isinstance(s, int) and pred(s))

    def five_xx(self):
        return sum(self.count(c, lambda s: s >= 500) for c in self.statuses)


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# ---------------------------------------------------------------------------------------------
# The server


class Server:
    """`frontline serve` on a free loopback port, its stderr in a log file."""

    def __init__(self, args, workdir: Path, db: Path, token: str, extra=(), label="server"):
        self.args, self.workdir, self.db, self.token = args, workdir, db, token
        self.extra = list(extra)
        self.log = workdir / f"{label}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.port = 0

    async def start(self):
        env = dict(os.environ, RUST_LOG="warn")
        env.pop("FRONTLINE_DATA", None)
        env.pop("FRONTLINE_TOKEN", None)
        if self.token:
            env["FRONTLINE_TOKEN"] = self.token
        cmd = [self.args.bin, "serve", "--addr", f"{HOST}:0", "--data",
               str(self.workdir / "geodata"), "--db", str(self.db), *self.extra]
        with open(self.log, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *cmd, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=log)
        line = (await asyncio.wait_for(self.proc.stdout.readline(), 120)).decode()
        m = re.fullmatch(rf"listening on http://{re.escape(HOST)}:(\d+)\s*", line)
        if not m:
            await self.kill()
            raise SystemExit(f"the server did not start: {line!r}; log: {self.log.read_text()[-2000:]}")
        self.port = int(m.group(1))
        return self

    def status(self, name):
        """A number from /proc/PID/status (`VmRSS` in bytes, `Threads`), or None."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(name + ":"):
                    value = int(line.split()[1])
                    return value * 1024 if line.endswith("kB") else value
        except (OSError, ValueError):
            return None
        return None

    def rss_bytes(self):
        return self.status("VmRSS")

    def cpu_seconds(self):
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    async def stop(self, sig=signal.SIGTERM, wait=30.0):
        """Sends `sig`; returns (exit code, seconds to exit). Kills it if it outlives `wait`."""
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None, 0.0
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = await asyncio.wait_for(self.proc.wait(), wait)
        except asyncio.TimeoutError:
            await self.kill()
            code = "did not exit; killed"
        return code, time.monotonic() - started

    async def kill(self):
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    def log_problems(self, refusals_expected=False):
        """ERROR and panic lines of its log; the trace layer logs every 5xx answer as an ERROR,
        so with `refusals_expected` the 503s are left out."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [l for l in text.splitlines() if ("ERROR" in l or "panicked" in l)
                and not (refusals_expected and "503 Service Unavailable" in l)]


# ---------------------------------------------------------------------------------------------
# What the clients send


def day(rng, span=DAYS):
    return (FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))).isoformat()


def point(rng, box=BOX):
    return (round(rng.uniform(box[0], box[2]), 5), round(rng.uniform(box[1], box[3]), 5))


def bbox(rng):
    lon, lat = point(rng)
    w, h = rng.uniform(0.05, 0.8), rng.uniform(0.05, 0.8)
    return f"{lon:.3f},{lat:.3f},{min(lon + w, 180):.3f},{min(lat + h, 90):.3f}"


def interval(rng):
    start = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
    return f"{start.isoformat()}/{(start + dt.timedelta(days=rng.randrange(7, 400))).isoformat()}"


class Catalogue:
    """What the readers and writers pick from, read from the data and the server at start."""

    def __init__(self, rng, batch_points):
        self.rng = rng
        self.batch_points = batch_points
        data = ROOT / "geodata"
        regions = json.loads((data / "regions.geojson").read_text())["features"]
        self.regions = [f.get("id") or f["properties"]["id"] for f in regions]
        self.factions = [f["id"] for f in json.loads((data / "factions.json").read_text())["factions"]]
        events = json.loads((data / "events.geojson").read_text())["features"]
        self.event_ids = [e["id"] for e in events]
        self.event_places = [(e["geometry"]["coordinates"], e["properties"].get("region"))
                             for e in events]
        areas = json.loads((data / "control.geojson").read_text())["features"]
        self.area_ids = [a["id"] for a in areas]
        web = ROOT / "web"
        skip = ("node_modules", "test", "scripts")
        self.assets = ["/"] + sorted(
            "/" + p.relative_to(web).as_posix() for p in web.rglob("*")
            if p.is_file() and p.relative_to(web).parts[0] not in skip
            and not p.name.startswith("package") and p.name != ".gitignore")
        self.batches = [self.batch_body(i) for i in range(24)]

    def batch_body(self, i):
        """(kind, body bytes, content type, points); a third each JSON, CSV, JSON→seq."""
        rng, n = random.Random(1000 + i), self.batch_points
        pts = [(f"bp-{i}-{k}", *point(rng), day(rng)) for k in range(n)]
        if i % 3 == 1:
            rows = ["id,lon,lat,date"] + [f"{a},{b},{c},{d}" for a, b, c, d in pts]
            return "csv", ("\r\n".join(rows) + "\r\n").encode(), "text/csv", n
        features = [{"type": "Feature", "id": a, "geometry": {"type": "Point", "coordinates": [b, c]},
                     "properties": {"date": d}} for a, b, c, d in pts]
        body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
        return ("seq" if i % 3 == 2 else "json"), body, "application/geo+json", n

    def read(self):
        """(operation, path, headers) of one read."""
        rng = self.rng
        r = rng.random()
        if r < 0.12:
            headers = {"Accept-Encoding": "gzip, br"} if rng.random() < 0.3 else {}
            return "map files", rng.choice(self.assets), headers
        if r < 0.40:
            lon, lat = point(rng)
            at = day(rng) if rng.random() < 0.9 else (WRITE_DAY0 + dt.timedelta(days=rng.randrange(400))).isoformat()
            extra = "&history=true" if rng.random() < 0.1 else ""
            return "GET /api/query", f"/api/query?lon={lon}&lat={lat}&at={at}{extra}", {}
        if r < 0.62:
            kind = rng.choice(["regions", "control", "front-lines", "events", "control-statements",
                               "control-periods"])
            if kind in ("regions", "control", "front-lines"):
                q = f"at={day(rng)}" + (f"&bbox={bbox(rng)}" if rng.random() < 0.5 else "")
            elif kind == "control-periods":
                q = f"datetime={interval(rng)}&limit={rng.choice([10, 100, 1000])}"
            else:
                q = f"datetime={interval(rng)}" + (f"&bbox={bbox(rng)}" if rng.random() < 0.5 else "")
            return f"items {kind}", f"/api/collections/{kind}/items?{q}", {}
        if r < 0.74:
            which = rng.random()
            if which < 0.4:
                return "feature by id", f"/api/collections/regions/items/{rng.choice(self.regions)}?at={day(rng)}", {}
            if which < 0.7:
                return "feature by id", f"/api/collections/events/items/{rng.choice(self.event_ids)}", {}
            return "feature by id", f"/api/collections/control-statements/items/{rng.choice(self.area_ids)}", {}
        if r < 0.80:
            return "GET /api/timeline", "/api/timeline", {}
        if r < 0.86:
            at, since = sorted([day(rng), day(rng)], reverse=True)
            extra = f"&from={since}" if rng.random() < 0.3 else ""
            return "GET /api/stats", f"/api/stats?at={at}{extra}", {}
        if r < 0.92:
            return "GET /api/changes", f"/api/changes?since={rng.randrange(0, 2000)}&limit=100", {}
        return "collections, landing", rng.choice(
            ["/api", "/api/collections", "/api/conformance", "/api/collections/control",
             "/places.geojson"]), {}


# ---------------------------------------------------------------------------------------------
# Writes and their ledger


@dataclass
class Attempt:
    """One write sent: acknowledged when a 201 came back (then `change` is its change)."""

    op: str  # add, replace, revert
    kind: str  # control, event, area (the item's kind)
    item: tuple  # (kind, target, key)
    marker: str | None  # unique text in the body; None for reverts
    reverts: int | None = None
    change: dict | None = None


class Ledger:
    """Every write attempted, and the items each writer owns."""

    def __init__(self, run):
        self.run = run
        self.attempts: list[Attempt] = []
        self.serial = 0
        self.next_day = 0

    def marker(self):
        self.serial += 1
        return f"load-{self.run}-{self.serial}"

    def control_day(self):
        self.next_day += 1
        return (WRITE_DAY0 + dt.timedelta(days=self.next_day)).isoformat()

    def acked(self):
        return [a for a in self.attempts if a.change is not None]


@dataclass
class Item:
    kind: str
    target: str
    key: str
    body: dict
    first: int  # the change that added it
    last: int  # the last change to it


def source(marker):
    return [{"title": "Load test", "url": f"https://example.org/load/{marker}"}]


async def write_once(conn, tally, ledger, cat, owned: list, rng, token):
    """One write: withdraw, replace or add one of this writer's items."""
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    r = rng.random()
    if owned and (len(owned) >= 12 or r < 0.3):
        item = owned.pop(rng.randrange(len(owned)))
        attempt = Attempt("revert", item.kind, (item.kind, item.target, item.key), None, item.first)
        path, body = f"/api/changes/{item.first}/revert?force=true", b""
        headers = {"Authorization": f"Bearer {token}"}
    elif owned and r < 0.5:
        item = rng.choice(owned)
        marker = ledger.marker()
        doc = json.loads(json.dumps(item.body))
        if item.kind == "control":
            doc["note"] = marker
            doc["sources"] = source(marker)
            path = f"/api/regions/{item.target}/control"
        elif item.kind == "event":
            doc["properties"]["description"] = marker
            doc["properties"]["sources"] = source(marker)
            path = "/api/collections/events/items"
        else:
            doc["properties"]["note"] = marker
            doc["properties"]["sources"] = source(marker)
            path = f"/api/collections/control-statements/items?base={item.last}"
        attempt = Attempt("replace", item.kind, (item.kind, item.target, item.key), marker)
        body, headers = json.dumps(doc).encode(), auth
    else:
        marker = ledger.marker()
        kind = rng.choice(["control", "event", "area"])
        if kind == "control":
            region = rng.choice(cat.regions)
            factions = rng.sample(cat.factions, 2)
            contested = rng.random() < 0.3
            doc = {"from": ledger.control_day(), "precision": "day",
                   "status": "contested" if contested else "held",
                   "factions": factions if contested else factions[:1],
                   "note": marker, "sources": source(marker)}
            item = Item("control", region, doc["from"], doc, 0, 0)
            path = f"/api/regions/{region}/control"
        elif kind == "event":
            coords, region = rng.choice(cat.event_places)
            props = {"date": day(rng), "title": "Load test event", "description": marker,
                     "sources": source(marker)}
            if region:
                props["region"] = region
            doc = {"type": "Feature", "id": f"lt-{ledger.run}-event-{ledger.serial}",
                   "geometry": {"type": "Point", "coordinates": coords}, "properties": props}
            item = Item("event", doc["id"], doc["id"], doc, 0, 0)
            path = "/api/collections/events/items"
        else:
            lon, lat = point(rng, AREA_BOX)
            s = rng.uniform(0.004, 0.03)
            ring = [[lon - s, lat - s], [lon + s, lat - s], [lon + s, lat + s], [lon - s, lat + s],
                    [lon - s, lat - s]]
            ring = [[round(x, 6), round(y, 6)] for x, y in ring]
            doc = {"type": "Feature", "id": f"lt-{ledger.run}-area-{ledger.serial}",
                   "geometry": {"type": "Polygon", "coordinates": [ring]},
                   "properties": {"from": day(rng), "precision": "day", "status": "held",
                                  "factions": [rng.choice(cat.factions)], "note": marker,
                                  "sources": source(marker)}}
            item = Item("area", doc["id"], doc["id"], doc, 0, 0)
            path = "/api/collections/control-statements/items"
        attempt = Attempt("add", kind, (kind, item.target, item.key), marker)
        body, headers = json.dumps(doc).encode(), auth
    ledger.attempts.append(attempt)
    op = f"write {attempt.op} {attempt.kind}"
    started = time.perf_counter()
    try:
        status, rh, data = await conn.request("POST", path, headers, body)
    except HttpError as e:
        tally.error("write", op, str(e))
        return
    tally.record("write", op, status, time.perf_counter() - started, rh, (201,), path)
    if status != 201:
        return
    change = json.loads(data)
    attempt.change = change
    if attempt.op == "add":
        item.first = item.last = change["id"]
        owned.append(item)
    elif attempt.op == "replace":
        item.body, item.last = doc, change["id"]


# ---------------------------------------------------------------------------------------------
# The clients


async def reader(port, tally, cat, running):
    conn = Conn(port)
    while running():
        op, path, headers = cat.read()
        started = time.perf_counter()
        try:
            status, rh, _ = await conn.request("GET", path, headers)
        except HttpError as e:
            tally.error("read", op, str(e))
            continue
        tally.record("read", op, status, time.perf_counter() - started, rh, (200,), path)
    conn.close()


def batch_complete(kind, data, n):
    if kind == "csv":
        return data.count(b"\n") == n + 1
    if kind == "seq":
        return data.count(b"\x1e") == n
    return data.count(b'"id":"bp-') == n and data.rstrip().endswith(b"]}")


async def batcher(port, tally, cat, running, rng):
    conn = Conn(port)
    while running():
        kind, body, ctype, n = rng.choice(cat.batches)
        path = "/api/query" + ("?f=geojsonseq" if kind == "seq" else "")
        headers = {"Content-Type": ctype}
        if kind == "csv":
            headers["Accept"] = "text/csv"
        op = f"batch {kind} {n}"
        started = time.perf_counter()
        try:
            status, rh, data = await conn.request("POST", path, headers, body)
        except HttpError as e:
            tally.error("batch", op, str(e))
            continue
        tally.record("batch", op, status, time.perf_counter() - started, rh, (200,))
        if status == 200 and not batch_complete(kind, data, n):
            tally.error("batch", op, f"the answer does not hold {n} points")
    conn.close()


async def writer(port, tally, ledger, cat, running, rng, token):
    conn = Conn(port)
    owned: list[Item] = []
    while running():
        await write_once(conn, tally, ledger, cat, owned, rng, token)
    conn.close()


class Stream:
    """A client holding GET /api/changes/stream open, collecting the change ids it is sent."""

    def __init__(self, port):
        self.port = port
        self.ids: set[int] = set()
        self.status = None
        self.ended = False  # the server ended the stream properly (last chunk)
        self.error = None
        self.connected = asyncio.Event()

    async def run(self):
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)
            writer.write(f"GET /api/changes/stream HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            await writer.drain()
            self.status, headers = await read_head(reader)
            self.connected.set()
            if self.status != 200:
                writer.close()
                return
            buf = b""
            async for piece in read_chunks(reader):
                buf += piece
                while b"\n\n" in buf:
                    event, buf = buf.split(b"\n\n", 1)
                    for line in event.split(b"\n"):
                        if line.startswith(b"data:"):
                            self.ids.add(json.loads(line[5:])["id"])
            self.ended = True
            writer.close()
        except (OSError, asyncio.IncompleteReadError, ValueError, HttpError) as e:
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.connected.set()


async def sample_rss(server, samples, stop: asyncio.Event, t0):
    while not stop.is_set():
        rss = server.rss_bytes()
        if rss is not None:
            samples.append((time.monotonic() - t0, rss, server.status("Threads")))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except asyncio.TimeoutError:
            pass


def slope_mb_per_min(samples, after):
    pts = [(t, b) for t, b, *_ in samples if t >= after]
    if len(pts) < 3:
        return float("nan"), len(pts)
    mt = statistics.fmean(t for t, _ in pts)
    mb = statistics.fmean(b for _, b in pts)
    num = sum((t - mt) * (b - mb) for t, b in pts)
    den = sum((t - mt) ** 2 for t, _ in pts)
    return num / den * 60 / MB, len(pts)


# ---------------------------------------------------------------------------------------------
# Checking the acknowledged writes


async def fetch_log(conn):
    log, since = {}, 0
    while True:
        status, _, data = await conn.request("GET", f"/api/changes?since={since}&limit=10000")
        if status != 200:
            raise SystemExit(f"GET /api/changes answered {status}")
        page = json.loads(data)
        if not page["changes"]:
            return log
        for c in page["changes"]:
            log[c["id"]] = c
        since = page["last_id"]


async def check_writes(port, ledger: Ledger):
    """Compares the change log and the served data with every write attempted."""
    conn = Conn(port)
    log = await fetch_log(conn)
    problems = []
    acked = ledger.acked()
    # Each acknowledged change is in the log, as answered, with the body's marker.
    for a in acked:
        c = a.change
        stored = log.get(c["id"])
        if stored is None:
            problems.append(f"missing: change {c['id']} ({a.op} {a.kind} {a.item[1]})")
            continue
        for k in ("kind", "target", "key", "reverts"):
            if stored.get(k) != c.get(k):
                problems.append(f"changed: change {c['id']} {k} {stored.get(k)!r} != {c.get(k)!r}")
        if a.marker and a.marker not in json.dumps(stored.get("after")):
            problems.append(f"changed: change {c['id']} lacks its body's marker {a.marker}")
        if a.op == "revert" and stored.get("kind") != "revert":
            problems.append(f"changed: change {c['id']} is not a revert")
    # Each body is in the log at most once (exactly once when acknowledged), and so is each
    # revert; nothing is in the log that was never sent.
    by_marker = Counter()
    by_revert = Counter()
    foreign = 0
    for c in log.values():
        text = json.dumps(c.get("after"))
        m = re.search(rf"load-{ledger.run}-\d+\b", text)
        if c["kind"] == "revert":
            by_revert[c.get("reverts")] += 1
        elif m:
            by_marker[m.group(0)] += 1
        else:
            foreign += 1
    duplicated = 0
    unacked_stored = 0
    for a in ledger.attempts:
        n = by_marker[a.marker] if a.marker else by_revert[a.reverts]
        if n > 1:
            duplicated += 1
            problems.append(f"duplicated: {a.op} {a.kind} {a.item[1]} is in the log {n} times")
        if a.change is None and n == 1:
            unacked_stored += 1
    if foreign:
        problems.append(f"{foreign} changes in the log that no client sent")
    # The served data agrees with the last acknowledged write to each item (items with an
    # unacknowledged write are left out: either outcome is right for them).
    last, unsure = {}, set()
    for a in ledger.attempts:
        if a.change is None:
            unsure.add(a.item)
        else:
            last[a.item] = a
    served_events = await features(conn, "events")
    served_areas = await features(conn, "control-statements")
    regions = {}
    checked = 0
    for item, a in last.items():
        if item in unsure:
            continue
        kind, target, key = item
        want = None if a.op == "revert" else a.marker
        if kind == "event":
            got = served_events.get(target)
            have = got and got["properties"].get("description")
        elif kind == "area":
            got = served_areas.get(target)
            have = got and got["properties"].get("note")
        else:
            if target not in regions:
                status, _, data = await conn.request("GET", f"/api/collections/regions/items/{target}")
                regions[target] = {h["from"]: h for h in json.loads(data)["properties"]["history"]}
            got = regions[target].get(key)
            have = got and got.get("note")
        checked += 1
        if (want is None) != (not have) or (want is not None and have != want):
            problems.append(f"served: {kind} {target} {key}: expected {want!r}, served {have!r}")
    conn.close()
    return {
        "log": len(log), "acknowledged": len(acked), "attempted": len(ledger.attempts),
        "missing": sum(p.startswith("missing") for p in problems),
        "duplicated": duplicated,
        "changed": sum(p.startswith("changed") for p in problems),
        "served_checked": checked,
        "served_wrong": sum(p.startswith("served") for p in problems),
        "unacknowledged_stored": unacked_stored, "foreign": foreign,
        "problems": problems[:20], "ok": not problems,
    }


async def features(conn, collection):
    status, _, data = await conn.request("GET", f"/api/collections/{collection}/items?limit=10000")
    if status != 200:
        raise SystemExit(f"GET /api/collections/{collection}/items answered {status}")
    return {f["id"]: f for f in json.loads(data)["features"]}


# ---------------------------------------------------------------------------------------------
# Phases


async def prime(port):
    """Asks once for the control map of every date a statement starts on, and for the control
    periods, so that the engine's caches are full before memory is measured. Returns the
    number of requests and how many were not 200."""
    conn = Conn(port)
    status, _, data = await conn.request("GET", "/api/timeline")
    if status != 200:
        raise SystemExit(f"GET /api/timeline answered {status}")
    dates = sorted({c["date"][:10] for c in json.loads(data)["changes"]})
    paths = [f"/api/collections/control/items?at={d}&limit=1" for d in dates]
    paths.append("/api/collections/control-periods/items?limit=1")
    bad = 0
    for path in paths:
        status, _, _ = await conn.request("GET", path)
        bad += status != 200
    conn.close()
    return len(paths), bad


async def main_phase(args, server, cat, ledger, token, rng):
    tally = Tally()
    rss_start = server.rss_bytes()
    primed = await prime(server.port)
    streams = [Stream(server.port) for _ in range(args.streams)]
    stream_tasks = [asyncio.create_task(s.run()) for s in streams]
    await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in streams)), 30)
    await asyncio.sleep(1)  # let the streams subscribe before the first write
    samples, stop = [], asyncio.Event()
    t0 = time.monotonic()
    rss_before = server.rss_bytes()
    cpu_before = server.cpu_seconds()
    client_cpu = time.process_time()
    load_before = os.getloadavg()
    sampler = asyncio.create_task(sample_rss(server, samples, stop, t0))
    deadline = t0 + args.duration

    def running():
        return time.monotonic() < deadline

    clients = [reader(server.port, tally, cat, running) for _ in range(args.readers)]
    clients += [batcher(server.port, tally, cat, running, random.Random(rng.random()))
                for _ in range(args.batchers)]
    clients += [writer(server.port, tally, ledger, cat, running, random.Random(rng.random()), token)
                for _ in range(args.writers)]
    await asyncio.gather(*clients)
    elapsed = time.monotonic() - t0
    rss_after = server.rss_bytes()
    cpu = server.cpu_seconds() - cpu_before
    client_cpu = time.process_time() - client_cpu
    load_after = os.getloadavg()
    await asyncio.sleep(3)
    rss_idle = server.rss_bytes()
    stop.set()
    await sampler
    slope, n = slope_mb_per_min([s for s in samples if s[0] <= elapsed], args.warmup)
    return {
        "tally": tally, "elapsed": elapsed, "streams": streams, "stream_tasks": stream_tasks,
        "primed": primed,
        "rss": {"start": rss_start, "before": rss_before, "after": rss_after, "idle_after": rss_idle,
                "peak": max(b for _, b, _ in samples), "slope_mb_min": slope, "slope_samples": n,
                "threads_peak": max((n or 0) for *_, n in samples),
                "warmup": args.warmup},
        "server_cpu": cpu, "client_cpu": client_cpu,
        "loadavg": (load_before, load_after), "samples": samples,
    }


async def crash_phase(args, server, cat, ledger, token, rng):
    """Writes (and reads) for a few seconds, then SIGKILL in the middle of it."""
    tally = Tally()
    killed = asyncio.Event()

    def running():
        return not killed.is_set()

    first = len(ledger.attempts)
    clients = [writer(server.port, tally, ledger, cat, running, random.Random(rng.random()), token)
               for _ in range(args.writers)]
    clients += [reader(server.port, tally, cat, running) for _ in range(8)]
    tasks = [asyncio.create_task(c) for c in clients]
    await asyncio.sleep(args.crash_after)
    killed.set()
    server.proc.kill()
    await server.proc.wait()
    # Every client fails the request it has in flight, and sends no other.
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    attempts = ledger.attempts[first:]
    return {"tally": tally, "acked": sum(a.change is not None for a in attempts),
            "cut": sum(a.change is None for a in attempts)}


async def overload_phase(args, workdir, rng):
    """A server with a small --max-in-flight and --max-streams, driven far past both."""
    cat = Catalogue(random.Random(rng.random()), args.batch_points)
    server = await Server(args, workdir, workdir / "overload.db", "",
                          ["--max-in-flight", str(args.overload_limit), "--max-streams", "2"],
                          label="overload").start()
    tally = Tally()
    streams = [Stream(server.port) for _ in range(4)]
    tasks = [asyncio.create_task(s.run()) for s in streams]
    await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in streams)), 30)
    health = []

    async def probe(deadline):
        conn = Conn(server.port)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, rh, _ = await conn.request("GET", "/healthz")
                health.append((status, time.perf_counter() - started))
            except HttpError as e:
                tally.error("healthz", "GET /healthz", str(e))
            await asyncio.sleep(0.05)

    deadline = time.monotonic() + args.overload_seconds
    expected = (200, 503)
    jobs = [probe(deadline)]
    jobs += [overload_reader(server.port, tally, cat, deadline, expected) for _ in range(48)]
    jobs += [overload_batcher(server.port, tally, cat, deadline, random.Random(rng.random()), expected)
             for _ in range(16)]
    await asyncio.gather(*jobs)
    code, _ = await server.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"tally": tally, "health": health, "streams": [s.status for s in streams],
            "exit": code, "log_problems": server.log_problems(refusals_expected=True)}


async def overload_reader(port, tally, cat, deadline, expected):
    conn = Conn(port)
    while time.monotonic() < deadline:
        op, path, headers = cat.read()
        started = time.perf_counter()
        try:
            status, rh, _ = await conn.request("GET", path, headers)
        except HttpError as e:
            tally.error("read", op, str(e))
            continue
        tally.record("read", op, status, time.perf_counter() - started, rh, expected, path)


async def overload_batcher(port, tally, cat, deadline, rng, expected):
    conn = Conn(port)
    while time.monotonic() < deadline:
        kind, body, ctype, n = rng.choice(cat.batches)
        headers = {"Content-Type": ctype}
        started = time.perf_counter()
        try:
            status, rh, _ = await conn.request("POST", "/api/query?f=json" if kind != "seq" else
                                               "/api/query?f=geojsonseq", headers, body)
        except HttpError as e:
            tally.error("batch", f"batch {kind}", str(e))
            continue
        tally.record("batch", f"batch {kind} {n}", status, time.perf_counter() - started, rh, expected)


# ---------------------------------------------------------------------------------------------
# Report


def ms(x):
    return "n/a" if x != x else f"{x * 1000:.1f}"


def mb(b):
    return "n/a" if b is None else f"{b / MB:.1f}"


def class_table(tally, elapsed, classes=("read", "batch", "write")):
    rows = ["| class | requests | per second | p50 ms | p99 ms | 2xx | 3xx | 4xx | 5xx | of which 503 with Retry-After | transport errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for cls in classes:
        lat = tally.latencies.get(cls, [])
        rows.append(
            f"| {cls} | {len(lat)} | {len(lat) / elapsed:.1f} | {ms(pct(lat, 0.5))} | {ms(pct(lat, 0.99))} "
            f"| {tally.count(cls, lambda s: 200 <= s < 300)} | {tally.count(cls, lambda s: 300 <= s < 400)} "
            f"| {tally.count(cls, lambda s: 400 <= s < 500)} | {tally.count(cls, lambda s: s >= 500)} "
            f"| {tally.retry_after[cls]} | {tally.errors[cls]} |")
    return "\n".join(rows)


def op_table(tally):
    rows = ["| operation | class | requests | p50 ms | p99 ms |", "|---|---|---:|---:|---:|"]
    for op in sorted(tally.op_latencies, key=lambda o: (tally.op_class[o], o)):
        lat = tally.op_latencies[op]
        rows.append(f"| {op} | {tally.op_class[op]} | {len(lat)} | {ms(pct(lat, 0.5))} | {ms(pct(lat, 0.99))} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------


async def run(args):
    rng = random.Random(args.seed)
    run_id = secrets.token_hex(3)
    token = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="frontline-load-"))
    shutil.copytree(ROOT / "geodata", workdir / "geodata")
    db = workdir / "edits.db"
    failures = []
    out = []
    servers = []
    try:
        cat = Catalogue(random.Random(rng.random()), args.batch_points)
        ledger = Ledger(run_id)
        server = await Server(args, workdir, db, token,
                              ["--max-in-flight", str(args.max_in_flight)]).start()
        servers.append(server)
        cores = os.cpu_count()
        print(f"frontline serve on {HOST}:{server.port} (pid {server.proc.pid}), {cores} cores, "
              f"load average {os.getloadavg()[0]:.2f}; {args.duration:g} s of {args.readers} readers, "
              f"{args.batchers} batch clients, {args.writers} writers and {args.streams} change "
              f"streams (--max-in-flight {args.max_in_flight}) ...", file=sys.stderr)
        main = await main_phase(args, server, cat, ledger, token, rng)
        tally, elapsed = main["tally"], main["elapsed"]
        acked_main = len(ledger.acked())

        print("SIGTERM, restart, check ...", file=sys.stderr)
        code, took = await server.stop(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(*main["stream_tasks"], return_exceptions=True), 30)
        server = await Server(args, workdir, db, token).start()
        servers.append(server)
        after_term = await check_writes(server.port, ledger)

        crash = None
        if args.crash_after > 0:
            print("writing, SIGKILL, restart, check ...", file=sys.stderr)
            crash = await crash_phase(args, server, cat, ledger, token, rng)
            server = await Server(args, workdir, db, token).start()
            servers.append(server)
            crash["check"] = await check_writes(server.port, ledger)
        await server.stop()
        # Every server on this database logged to the same file.
        log_problems = server.log_problems()

        overload = None
        if args.overload:
            print(f"overload: --max-in-flight {args.overload_limit}, 64 clients, "
                  f"{args.overload_seconds:g} s ...", file=sys.stderr)
            overload = await overload_phase(args, workdir, rng)

        # ----- the report
        streams = main["streams"]
        main_ids = {a.change["id"] for a in ledger.attempts if a.change is not None}
        rss = main["rss"]
        la0, la1 = main["loadavg"]
        out.append(f"### Load test: {elapsed:.0f} s, {args.readers} readers, {args.batchers} batch "
                   f"clients ({args.batch_points:,} points), {args.writers} writers, "
                   f"{args.streams} change streams, --max-in-flight {args.max_in_flight}\n")
        out.append(class_table(tally, elapsed))
        out.append("")
        out.append(f"- Writes acknowledged (201): {acked_main} ({write_counts_main(ledger, acked_main)}).")
        out.append(f"- Resident memory (VmRSS): {mb(rss['start'])} MB at start, "
                   f"{mb(rss['before'])} MB before the load (after {main['primed'][0]} requests "
                   f"that fill the caches of control maps), {mb(rss['after'])} MB "
                   f"after, {mb(rss['peak'])} MB at most, {mb(rss['idle_after'])} MB 3 s after; "
                   f"slope after the first {rss['warmup']:.0f} s: **{rss['slope_mb_min']:+.2f} MB/min** "
                   f"(least squares, {rss['slope_samples']} samples); at most {rss['threads_peak']} server threads.")
        out.append(f"- Server CPU {main['server_cpu']:.0f} s ({main['server_cpu'] / elapsed:.2f} cores), "
                   f"load generator CPU {main['client_cpu']:.0f} s; load average "
                   f"{la0[0]:.2f} → {la1[0]:.2f} on {os.cpu_count()} cores (shared).")
        term_ok = code == 0
        out.append(f"- SIGTERM with {len(streams)} streams open: exit {code} in {took:.2f} s; "
                   f"streams ended by the server: {sum(s.ended for s in streams)} of {len(streams)}.")
        seen = [len(s.ids & main_ids) for s in streams]
        out.append(f"- Change streams: each saw {', '.join(map(str, seen))} of {acked_main} "
                   f"acknowledged changes.")
        out.append(f"- After SIGTERM and restart: {after_term['acknowledged']} acknowledged writes, "
                   f"{after_term['missing']} missing, {after_term['duplicated']} duplicated, "
                   f"{after_term['changed']} changed; {after_term['served_checked']} items checked "
                   f"in the data served, {after_term['served_wrong']} wrong.")
        if crash:
            c = crash["check"]
            out.append(f"- SIGKILL after {args.crash_after:g} s more of writes ({crash['acked']} more "
                       f"acknowledged, {crash['cut']} in flight at the kill): after "
                       f"restart {c['acknowledged']} acknowledged writes, {c['missing']} missing, "
                       f"{c['duplicated']} duplicated, {c['changed']} changed; "
                       f"{c['served_checked']} items checked, {c['served_wrong']} wrong; "
                       f"{c['unacknowledged_stored']} of those in flight stored (allowed either way).")
        if log_problems:
            out.append(f"- Server log: {len(log_problems)} ERROR/panic lines, e.g. {log_problems[0][:200]}")
        else:
            out.append("- Server log: no ERROR or panic lines.")
        if overload:
            t = overload["tally"]
            h = [s for s, _ in overload["health"]]
            out.append("")
            out.append(f"Overload (`--overload`): --max-in-flight {args.overload_limit}, 64 clients, "
                       f"{args.overload_seconds:g} s; --max-streams 2 with 4 streams.\n")
            out.append(class_table(t, args.overload_seconds, ("read", "batch")))
            out.append("")
            out.append(f"- 503 with Retry-After: {sum(t.retry_after.values())}; 503 without: "
                       f"{sum(t.no_retry_after.values())}; other 5xx: "
                       f"{t.five_xx() - sum(t.retry_after.values()) - sum(t.no_retry_after.values())}.")
            out.append(f"- /healthz during it: {h.count(200)} of {len(h)} answered 200, p99 "
                       f"{ms(pct([d for _, d in overload['health']], 0.99))} ms.")
            out.append(f"- Change streams: {sorted(overload['streams'], key=str)} (2 over the cap).")
            unexpected = [e for e in t.examples if "HTTP 503" not in e]
            if unexpected:
                out.append("- Other outcomes: " + "; ".join(unexpected[:5]))

        # ----- the verdict
        judged = elapsed - args.warmup >= MIN_SLOPE_WINDOW
        if main["primed"][1]:
            failures.append(f"{main['primed'][1]} of the priming requests did not answer 200")
        five = tally.five_xx()
        if five:
            failures.append(f"{five} 5xx answers below the limit")
        if sum(tally.errors.values()):
            failures.append(f"{sum(tally.errors.values())} transport errors or incomplete answers")
        if sum(tally.unexpected.values()):
            failures.append(f"{sum(tally.unexpected.values())} unexpected 4xx answers")
        for name, check in [("SIGTERM", after_term)] + ([("SIGKILL", crash["check"])] if crash else []):
            if not check["ok"]:
                failures.append(f"after {name}: " + "; ".join(check["problems"][:5]))
        if not term_ok:
            failures.append(f"SIGTERM: exit {code}")
        if not judged:
            out.append(f"- The RSS slope is not judged: fewer than {MIN_SLOPE_WINDOW} s after the "
                       "warm-up.")
        elif not rss["slope_mb_min"] < args.max_slope:
            failures.append(f"RSS slope {rss['slope_mb_min']:+.2f} MB/min (limit {args.max_slope})")
        if log_problems:
            failures.append(f"{len(log_problems)} ERROR/panic lines in the server log")
        if overload:
            t = overload["tally"]
            ra = sum(t.retry_after.values())
            if ra == 0:
                failures.append("overload: no 503 came (the limit was not reached)")
            if sum(t.no_retry_after.values()):
                failures.append("overload: 503s without Retry-After")
            if t.five_xx() - ra - sum(t.no_retry_after.values()):
                failures.append("overload: 5xx other than 503")
            if sum(t.errors.values()):
                failures.append(f"overload: {sum(t.errors.values())} transport errors")
            if sorted(overload["streams"]).count(503) != 2:
                failures.append(f"overload: streams answered {overload['streams']}, expected two 503s")
            if overload["log_problems"]:
                failures.append("overload: ERROR/panic lines in the server log")

        out.append("")
        out.append("Per operation:\n")
        out.append(op_table(tally))
        if tally.examples:
            out.append("\nFirst unexpected outcomes:\n")
            out += [f"- {e}" for e in tally.examples]
        out.append("")
        out.append("**PASS**" if not failures else "**FAIL**: " + "; ".join(failures))
        print("\n".join(out))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps({
                "elapsed": elapsed, "rss": rss, "after_sigterm": after_term,
                "after_sigkill": crash and crash["check"], "failures": failures,
                "classes": {c: {"n": len(v), "p50": pct(v, .5), "p99": pct(v, .99),
                                "statuses": {str(k): n for k, n in tally.statuses[c].items()}}
                            for c, v in tally.latencies.items()},
                "rss_samples": [[round(t, 2), b, n] for t, b, n in main["samples"]],
            }, indent=1))
        return 1 if failures else 0
    finally:
        for s in servers:
            await s.kill()
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def write_counts_main(ledger, n):
    acked = Counter(f"{a.op} {a.kind}" for a in ledger.acked()[:n])
    return ", ".join(f"{k} {v}" for k, v in sorted(acked.items()))


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True, help="the frontline binary")
    p.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    p.add_argument("--smoke", action="store_true",
                   help="a short run: 10 s, 24 readers, 2 batch clients, 2 writers, 2 streams")
    p.add_argument("--readers", type=int, default=160, help="read clients (default 160)")
    p.add_argument("--batchers", type=int, default=8, help="batch clients (default 8)")
    p.add_argument("--writers", type=int, default=8, help="writing clients (default 8)")
    p.add_argument("--streams", type=int, default=4, help="open change streams (default 4)")
    p.add_argument("--batch-points", type=int, default=1000, help="points in each batch (default 1000)")
    p.add_argument("--max-in-flight", type=int, default=256,
                   help="the server's limit; the clients stay below it (default 256)")
    p.add_argument("--warmup", type=float, help="seconds left out of the RSS slope (default: a third of the run, at most 60)")
    p.add_argument("--max-slope", type=float, default=1.0, help="MB/min (default 1.0)")
    p.add_argument("--crash-after", type=float, default=5,
                   help="seconds of writes before the SIGKILL check; 0 skips it (default 5)")
    p.add_argument("--overload", action="store_true", help="also drive a server past its limits")
    p.add_argument("--overload-limit", type=int, default=8,
                   help="--max-in-flight of the overloaded server (default 8)")
    p.add_argument("--overload-seconds", type=float, default=10, help="(default 10)")
    p.add_argument("--seed", type=int, default=12, help="seeds what the clients ask (default 12)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    p.add_argument("--json-out", help="also write the results as JSON to this file")
    args = p.parse_args(argv)
    if args.smoke:
        args.duration, args.readers, args.batchers, args.writers, args.streams = 10, 24, 2, 2, 2
        args.crash_after, args.overload_seconds = min(args.crash_after, 3), 5
    if args.warmup is None:
        args.warmup = min(60.0, args.duration / 3)
    clients = args.readers + args.batchers + args.writers
    if clients >= args.max_in_flight:
        p.error(f"{clients} clients would not stay below --max-in-flight {args.max_in_flight}")
    if not 1 <= args.duration <= 3600:
        p.error("--duration must be between 1 and 3600 seconds")
    return args


def main(argv=None):
    args = parse(argv)
    try:
        return asyncio.run(asyncio.wait_for(run(args), args.duration + 600))
    except asyncio.TimeoutError:
        print("the load test overran its time bound; every server was stopped", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
