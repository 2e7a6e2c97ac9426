#!/usr/bin/env python3
"""Writes the raw seed inputs of each fuzz target into fuzz/corpus-work/<target>/ (ignored by
git). Fuzzing grows that folder; the committed fuzz/corpus/<target>/ is its minimized merge
(SECURITY.md, "Fuzzing"). Each input's first byte is the target's selector (fuzz/src/lib.rs)."""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus-work"
FILES = ["factions.json", "regions.geojson", "events.geojson", "places.geojson", "control.geojson"]


def write(target, inputs):
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(inputs):
        (folder / f"seed-{i:04}").write_bytes(data)
    print(f"{target}: {len(inputs)} seeds")


def small(text, limit=12000):
    """A collection cut to its first features, at most `limit` bytes, as the fuzzer's inputs
    stay small; other files as they are."""
    if len(text) <= limit:
        return text
    data = json.loads(text)
    key = "features" if "features" in data else "factions"
    items, kept = data[key], []
    for item in items:
        data[key] = kept + [item]
        if len(json.dumps(data, ensure_ascii=False)) > limit and kept:
            break
        kept.append(item)
    data[key] = kept
    return json.dumps(data, ensure_ascii=False)


def geodata():
    inputs = []
    for folder in ["tests/fixtures/v2", "tests/fixtures/valid", "geodata"]:
        for k, name in enumerate(FILES):
            path = ROOT / folder / name
            if path.exists():
                inputs.append(bytes([k]) + small(path.read_text()).encode())
    for path in sorted((ROOT / "tests/fixtures/problems").glob("*.*json")):
        name = path.name
        k = next((i for i, p in enumerate(["factions_", "regions_", "events_", "places_", "control_"])
                  if name.startswith(p)), 1)
        inputs.append(bytes([k]) + path.read_bytes())
    return inputs


ROUTES = 16
QUERIES = {
    0: ["at=2015-08-20", "limit=1&offset=1", "bbox=0.5,0.5,1.5,1.5", "datetime=2015-08-20",
        "bbox=0,0,0,2,2,100&f=geojson"],
    1: ["datetime=2015-08-01/2015-08-31&bbox=0,0,2,2", "datetime=../2016-01-01", "limit=20000"],
    2: ["at=2015-08-20", "datetime=2015-08-01T00:00:00Z/..", "limit=2&offset=3"],
    3: ["at=2016-03-01", "datetime=2016-03-01", "at=2015-08-20&bbox=0,0,1,1"],
    4: ["datetime=2013-06-01/2016-12-31", "f=json"],
    5: ["at=2016-03-01&limit=5"],
    6: ["big?at=2015-08-20", "small", "big?f=json"],
    7: ["front-opens"],
    8: ["west-2013@2013-06-01", "strip-2015@2015-08-11", "big@2011-03-01"],
    9: ["strip-2015?at=2016-03-01"],
    10: ["east-2016"],
    11: ["blue--red?at=2016-03-01"],
    12: ["lon=1.2&lat=1.0&at=2015-08-20&history=true", "lon=-73.98&lat=40.7", "lon=1&lat=95"],
    13: ["at=2016-03-01&from=2015-08-20", "at=2015-08-20"],
    14: ["f=json"],
    15: ["at=2015-08-20&shares=true&f=geojsonseq", "f=csv"],
}


def params():
    return [bytes([k]) + q.encode() for k, qs in QUERIES.items() for q in qs]


JSON_BODIES = [
    """{"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "salma-2013", "geometry": {"type": "Point", "coordinates": [36.13667, 35.69]}, "properties": {"date": "2013-08-10"}},
    {"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [1.2, 1.0]}, "properties": {"date": "2016-02-01"}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.5, 1.5, 10]}}]}""",
    """{"features":[],"type":"FeatureCollection"}""",
    """{"type":"FeatureCollection","bbox":[0,0,1,1],"features":[
    {"properties":{"date":"2016-01-02","name":"x"},"id":null,"type":"Feature",
     "geometry":{"coordinates":[1,2.5,300,4],"type":"Point","bbox":[1]},"extra":{}},
    {"type":"Feature","id":"a\\"b","geometry":{"type":"Point","coordinates":[-180,90]},
     "properties":null}]}""",
    """{"type":"FeatureCollection","features":[5,
    {"type":"Feature","geometry":{"coordinates":[1,2]}},
    {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"date":7}},
    {"type":"Feature","geometry":{"type":"Point","coordinates":[1]}},
    {"type":"Feature","id":{"a":1},"geometry":{"type":"Point","coordinates":[1,91]}}]}""",
    """{"type":"Feature\\u0043ollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"date":"2016-01-0\\u0032"}}]}""",
]
CSV_BODIES = [
    "id,lon,lat,date\nsalma,36.13667,35.69,2013-08-10\nbig,1.2,1.0,\n",
    "\ufeffDate, LAT ,extra,lon,id\r\n2011-06-01,35.5,x,36.1,\"a, \"\"b\"\"\"\n,35.6,,36.2,\"multi\nline\"\n\n2016-01-01,  35.7 ,,36.3,c\n",
    "id,lon,lat,date\na,36,35,\nb,abc,95,2015-02-30\nc,36\nd,,35,\ne,200,35,\n",
    "lat,note,date,id,lon\r\n1.0,x,2015-08-20,p,1.2\r\n",
]


def batch():
    inputs = []
    for i, body in enumerate(JSON_BODIES):
        for how in [0x00, 0x21, 0x04 | 0x10, 0x08 | 0x20, 0x0c | 0x40]:
            inputs.append(bytes([how | (i & 1)]) + body.encode())
    for body in CSV_BODIES:
        for how in [0x02, 0x22 | 0x04, 0x0a | 0x40, 0x0e | 0x80 | 0x10, 0x02 | 0xc0]:
            inputs.append(bytes([how]) + body.encode())
    inputs.append(bytes([0x03]) + b"id,lon,lat\n")
    return inputs


if __name__ == "__main__":
    write("geodata", geodata())
    write("params", params())
    write("batch", batch())
