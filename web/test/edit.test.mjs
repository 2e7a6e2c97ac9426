// The edit panel and live updates in a real Chromium, against a running `frontline serve` that
// accepts the editor token in FRONTLINE_TOKEN:
//
//   FRONTLINE_URL=http://127.0.0.1:PORT FRONTLINE_TOKEN=… [FRONTLINE_SCRATCH_DATA=DIR] \
//     node --test test/edit.test.mjs   (from web/)
//
// The first test adds a control entry, so run this file against a fresh store, on its own server:
// the map tests read the shipped history and must not see the edit. Without FRONTLINE_TOKEN the
// file is skipped. FRONTLINE_SCRATCH_DATA is the server's data directory, a copy this file may
// rewrite (never the shipped geodata/); without it the test that rewrites it is skipped. On
// failure a screenshot is saved to <repo>/target/browser-failure-edit-<test>-<page>.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { BASE, WAIT_MS, closeBrowser, launchBrowser, pagesTest as harnessTest, until, waitInPage } from './helpers.mjs';

const TOKEN = process.env.FRONTLINE_TOKEN || '';
const SCRATCH_DATA = process.env.FRONTLINE_SCRATCH_DATA || '';

const GHAB = 'ghab-plain';
const FACTION = 'government';
/** The new entry starts on FROM; the map is looked at the day after. */
const FROM = '2015-08-15';
const SHOWN = '2015-08-16';
const VIEW = { lat: 35.6, lon: 36.3, z: 9 };
/** The event the live-events test adds, changes and takes back: at al-Ziyarah, in the Ghab. */
const EVENT_ID = 'browser-test-event';
const EVENT_AT = [36.33867, 35.68482];
/** Where the drawing tests draw: the southern Ghab, at a zoom where 60 px is about 4 km. */
const AREA_VIEW = { lat: 35.5, lon: 36.35, z: 11 };
/** The drawn area's date, the same as the map's: no later statement can mask it. */
const AREA_FROM = SHOWN;
const AREA_FACTION = 'fsa';
const AREA_SOURCE = { title: 'Rebels hold the southern Ghab villages (test source)', url: 'https://example.org/browser-test-area' };
/** An area statement the shipped data has: saving over it needs `force`. */
const SHIPPED_AREA = 'jisr-al-shughur-falls-2015';
/** The region whose geometry the reload test changes (top level, no sub-regions), and a view of all. */
const RESHAPED = 'damascus-homs-corridor';
const ALL_REGIONS = { lat: 34.9, lon: 36.4, z: 8 };

// ---------------------------------------------------------------------------------------------
// API helpers: the expectations.

async function api(pathAndQuery, init = {}) {
  const response = await fetch(BASE + pathAndQuery, { ...init, headers: { accept: 'application/json', ...init.headers } });
  return { status: response.status, body: await response.json().catch(() => null) };
}

async function apiOk(pathAndQuery) {
  const { status, body } = await api(pathAndQuery);
  assert.equal(status, 200, `GET ${pathAndQuery}: ${JSON.stringify(body)}`);
  return body;
}

/** The control map of `date`: the API's pieces, one per statement in force. */
async function controlAt(date) {
  return (await apiOk(`/api/collections/control/items?at=${date}&limit=10000`)).features;
}

async function ghabAt(date) {
  const page = await apiOk(`/api/collections/regions/items?at=${date}&limit=10000`);
  const feature = page.features.find((f) => (f.id ?? f.properties.id) === GHAB);
  assert.ok(feature, `${GHAB} is in the regions collection`);
  return feature.properties;
}

async function factionColor(id) {
  const stats = await apiOk(`/api/stats?at=${SHOWN}`);
  const faction = stats.factions.find((f) => f.id === id);
  assert.match(faction?.color ?? '', /^#[0-9a-f]{6}$/i, `${id} has a colour in /api/stats`);
  return faction.color.toLowerCase();
}

/** POSTs `body` (none when undefined) with the editor's token. */
function postAsEditor(pathAndQuery, body) {
  return api(pathAndQuery, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The test event as `POST /api/collections/events/items` takes it. */
function testEvent(date, title) {
  return {
    type: 'Feature',
    id: EVENT_ID,
    geometry: { type: 'Point', coordinates: EVENT_AT },
    properties: {
      date,
      title,
      description: 'Added by the browser tests.',
      region: GHAB,
      sources: [{ title: 'A report (test source)', url: 'https://example.org/browser-test-event', published: date }],
    },
  };
}

/** `geometry` (a Polygon) as a MultiPolygon with a small square part added east of it. */
function withPartEast(geometry) {
  assert.equal(geometry.type, 'Polygon', `${RESHAPED} is a Polygon`);
  const outer = geometry.coordinates[0];
  const east = Math.max(...outer.map(([x]) => x));
  const south = Math.min(...outer.map(([, y]) => y));
  const [x0, x1, y0, y1] = [east + 0.3, east + 0.35, south, south + 0.05].map((v) => Number(v.toFixed(5)));
  const square = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];
  return { type: 'MultiPolygon', coordinates: [geometry.coordinates, [square]] };
}

/** A Polygon as the one-part MultiPolygon the API serves it as. */
function asMultiPolygon(geometry) {
  return geometry.type === 'Polygon' ? { type: 'MultiPolygon', coordinates: [geometry.coordinates] } : geometry;
}

/** Replaces `file` with `text` at once, so the server's watcher never sees half a file. */
async function replaceFile(file, text) {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, file);
}

/** Polls `read()` (in Node) until `done(value)`, for up to `ms`; returns the last value. */
async function poll(read, done, ms) {
  const start = Date.now();
  let value = await read();
  while (!done(value) && Date.now() - start < ms) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

function permalink(date, view = VIEW) {
  return `${BASE}/#date=${date}&lat=${view.lat}&lon=${view.lon}&z=${view.z}`;
}

/**
 * Where screen offset `[dx, dy]` from the centre of a map showing `view` lies, `[lon, lat]`:
 * Web Mercator, 256 px tiles, as Leaflet draws it.
 */
function lonLatAt(view, [dx, dy]) {
  const worldPx = 256 * 2 ** view.z;
  const y = (lat) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  const lat = (2 * Math.atan(Math.exp(y(view.lat) - (dy / worldPx) * 2 * Math.PI)) - Math.PI / 2) * (180 / Math.PI);
  return [view.lon + (dx / worldPx) * 360, lat];
}

/** Fails unless `ring` (closed, GeoJSON) has exactly the corners clicked at `offsets`, within `px`. */
function assertCorners(ring, view, offsets, what, px = 2) {
  assert.deepEqual(ring[0], ring.at(-1), `${what}: the ring is closed`);
  const corners = ring.slice(0, -1);
  assert.equal(corners.length, offsets.length, `${what}: ${offsets.length} corners, got ${JSON.stringify(ring)}`);
  const tolerance = (px * 360) / (256 * 2 ** view.z);
  for (const offset of offsets) {
    const [lon, lat] = lonLatAt(view, offset);
    const near = corners.some(([x, y]) => Math.abs(x - lon) <= tolerance && Math.abs(y - lat) <= tolerance);
    assert.ok(near, `${what}: a corner where the mouse clicked at ${offset} (${lon.toFixed(5)}, ${lat.toFixed(5)}): ${JSON.stringify(corners)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Page helpers.

/** A test of this suite: `body(open)`, see `pagesTest` in helpers.mjs. */
function pagesTest(name, body) {
  harnessTest('edit', name, body);
}

/**
 * Opens the map at `date` (and `view`) and waits until the regions are drawn and the change
 * stream is open.
 */
async function openMap(page, date, view = VIEW) {
  const stream = page.waitForResponse((r) => r.url().endsWith('/api/changes/stream'), { timeout: WAIT_MS });
  await page.goto(permalink(date, view), { waitUntil: 'load' });
  await waitInPage(page, () => document.querySelectorAll('#map path.region').length >= 5);
  const response = await stream;
  assert.equal(response.status(), 200, 'GET /api/changes/stream');
  // A mark the page itself never sets: if it is gone, the page was reloaded.
  await page.evaluate(() => document.documentElement.setAttribute('data-test-no-reload', 'yes'));
}

async function notReloaded(page, what) {
  assert.equal(
    await page.evaluate(() => document.documentElement.getAttribute('data-test-no-reload')),
    'yes',
    `${what} was not reloaded`,
  );
}

/** The drawn control piece of statement `id`: its status and fill (lower case), or null. */
const pieceDrawn = (id) => {
  const path = document.querySelector(`#map path.control-piece[data-statement-id="${id}"]`);
  return path ? { status: path.getAttribute('data-status'), fill: path.getAttribute('fill')?.toLowerCase() ?? null } : null;
};

/** The drawn marker of event `id`: its date and the title its label ends with, or null. */
const eventDrawn = (id) => {
  const path = document.querySelector(`#map path.event-marker[data-event-id="${id}"]`);
  if (!path) return null;
  const label = path.getAttribute('aria-label') ?? '';
  return { date: path.getAttribute('data-date'), title: label.slice(label.indexOf(': ') + 2) };
};

/** Marks every drawn path matching `selector`, to tell later whether it was drawn anew. */
const markDrawn = (selector) => {
  for (const path of document.querySelectorAll(selector)) path.setAttribute('data-test-kept', 'yes');
  return document.querySelectorAll(selector).length;
};

/** The drawn region paths in drawing order: id, outline, whether marked, width on screen. */
const regionPaths = () =>
  [...document.querySelectorAll('#map path.region')].map((path) => ({
    id: path.getAttribute('data-region-id'),
    d: path.getAttribute('d'),
    kept: path.getAttribute('data-test-kept') === 'yes',
    width: path.getBBox().width,
  }));

const attributeOf = ([selector, name]) => document.querySelector(selector)?.getAttribute(name) ?? null;

const storage = () => ({
  session: Object.keys(sessionStorage).map((key) => sessionStorage.getItem(key)),
  local: Object.keys(localStorage).map((key) => localStorage.getItem(key)),
});

/** Opens the panel and signs in with `token`; returns once the panel has answered. */
async function signIn(page, token) {
  await page.locator('#edit-open').click();
  await page.locator('#edit-panel').waitFor({ state: 'visible' });
  await page.locator('#edit-token').fill(token);
  await page.locator('#edit-signin').click();
}

/** Fills the form with an entry for the Ghab (`status` and `factions` as given). */
async function fillEntry(page, { status, factions, note }) {
  await page.locator('#edit-region').selectOption(GHAB);
  await page.locator('#edit-date').fill(FROM);
  await page.locator('#edit-precision').selectOption('day');
  await page.locator('#edit-status').selectOption(status);
  for (const box of await page.locator('#edit-factions input[type=checkbox]').all()) {
    await box.setChecked(factions.includes(await box.getAttribute('value')));
  }
  await page.locator('#edit-note').fill(note);
  await page.locator('#edit-source-title').fill('Syrian army retakes positions in al-Ghab (test source)');
  await page.locator('#edit-source-url').fill('https://example.org/ghab-2015-08-15');
  await page.locator('#edit-source-published').fill('2015-08-16');
}

/** The screen position of offset `[dx, dy]` from the centre of `#map`. */
async function onMap(page, [dx, dy]) {
  const box = await page.locator('#map').boundingBox();
  return { x: box.x + box.width / 2 + dx, y: box.y + box.height / 2 + dy };
}

/** Chooses "An area I draw" and presses `button` (#edit-draw or #edit-adjust): the map is free. */
async function startDrawing(page, button = '#edit-draw') {
  await page.locator('#edit-target-area').check();
  await page.locator(button).click();
  await page.locator('#edit-panel').waitFor({ state: 'hidden' });
  await page.locator('#draw-bar').waitFor({ state: 'visible' });
}

/** Clicks the map at each of `offsets` from its centre, checking the bar counts the corners. */
async function clickCorners(page, offsets) {
  for (const [index, offset] of offsets.entries()) {
    const { x, y } = await onMap(page, offset);
    await page.mouse.click(x, y);
    const corners = (selector) => document.querySelectorAll(selector).length;
    await until(page, `corner ${index + 1} is placed`, corners, '#map .draw-corner', index + 1);
  }
}

/** Fills the area form's entry: held by AREA_FACTION from AREA_FROM, with AREA_SOURCE (no date). */
async function fillArea(page, note) {
  await page.locator('#edit-date').fill(AREA_FROM);
  await page.locator('#edit-precision').selectOption('day');
  await page.locator('#edit-status').selectOption('held');
  for (const box of await page.locator('#edit-factions input[type=checkbox]').all()) {
    await box.setChecked((await box.getAttribute('value')) === AREA_FACTION);
  }
  await page.locator('#edit-note').fill(note);
  await page.locator('#edit-source-title').fill(AREA_SOURCE.title);
  await page.locator('#edit-source-url').fill(AREA_SOURCE.url);
  await page.locator('#edit-source-published').fill('');
}

/** Presses Save and returns the number of the change the panel reports. */
async function saveAndRead(page) {
  await page.locator('#edit-submit').click();
  const saved = (s) => /^Saved as change #\d+$/.test(document.querySelector(s)?.textContent.trim());
  await until(page, '#edit-result after saving', saved, '#edit-result', true);
  return Number(/#(\d+)/.exec(await page.locator('#edit-result').textContent())[1]);
}

// ---------------------------------------------------------------------------------------------

if (!TOKEN) {
  test('edit panel', (t) => {
    t.skip('set FRONTLINE_TOKEN (and FRONTLINE_URL) to a server that accepts that editor token');
  });
} else {
  describe('edit panel', () => {
    let author;

    before(async () => {
      assert.ok(BASE, 'set FRONTLINE_URL to a running `frontline serve` (cargo test --test browser does)');
      const who = await api('/api/whoami', { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(who.status, 200, `GET /api/whoami with FRONTLINE_TOKEN: ${JSON.stringify(who.body)}`);
      author = who.body.author;
      await launchBrowser();
    });

    after(closeBrowser);

    pagesTest('a saved entry is drawn live on the control map, here and in another browser', async (open) => {
      const government = await factionColor(FACTION);
      const was = await ghabAt(SHOWN);
      assert.ok(
        !(was.status === 'held' && was.control?.factions?.[0] === FACTION),
        `the Ghab is already held by ${FACTION} on ${SHOWN}: run this file against a fresh store`,
      );
      const { last_id: lastBefore } = await apiOk('/api/changes?limit=0');

      const editor = await open();
      const watcher = await open();
      await openMap(editor.page, SHOWN);
      await openMap(watcher.page, SHOWN);
      // A region-wide entry is the statement `<region>@<from>`.
      const statement = `${GHAB}@${FROM}`;
      assert.equal(await editor.page.evaluate(pieceDrawn, statement), null, `before the edit no piece of ${statement} is drawn`);

      await signIn(editor.page, TOKEN);
      await until(editor.page, 'the panel says who signed in', (s) => document.querySelector(s)?.textContent.trim(), '#edit-author', `Signed in as ${author}`);
      assert.ok(await editor.page.locator('#edit-signout').isVisible(), '#edit-signout is shown');
      const stored = await editor.page.evaluate(storage);
      assert.deepEqual(stored.session, [TOKEN], 'the token is kept in sessionStorage');
      assert.deepEqual(stored.local, [], 'nothing is kept in localStorage');
      assert.ok(!editor.page.url().includes(TOKEN), 'the token is not in the URL');

      await fillEntry(editor.page, { status: 'held', factions: [FACTION], note: 'Browser test: the army holds the Ghab.' });
      await editor.page.locator('#edit-submit').click();
      const result = editor.page.locator('#edit-result');
      await until(editor.page, '#edit-result after saving', (s) => /^Saved as change #\d+$/.test(document.querySelector(s)?.textContent.trim()), '#edit-result', true);
      const id = Number(/#(\d+)/.exec(await result.textContent())[1]);

      // The server stored what the form said.
      const feed = await apiOk(`/api/changes?since=${lastBefore}&limit=10`);
      const change = feed.changes.find((c) => c.id === id);
      assert.ok(change, `change #${id} is in /api/changes?since=${lastBefore}: ${JSON.stringify(feed)}`);
      assert.equal(change.kind, 'control');
      assert.equal(change.target, GHAB);
      assert.equal(change.author, author);
      assert.equal(change.after.from, FROM);
      assert.equal(change.after.status, 'held');
      assert.deepEqual(change.after.factions, [FACTION]);
      assert.equal(change.after.sources[0].url, 'https://example.org/ghab-2015-08-15');
      const inForce = (await controlAt(SHOWN)).find((f) => f.properties.statement === statement);
      assert.ok(inForce?.properties.km2 > 0, `the API has the new entry in force in part of the Ghab on ${SHOWN}`);
      assert.equal(inForce.properties.holder, FACTION, `the new entry's piece is held by ${FACTION}`);

      // Both pages redraw without a reload: the editor's own and, through the stream, the other.
      const held = { status: 'held', fill: government };
      await until(editor.page, `the editor's piece of ${statement} on ${SHOWN}`, pieceDrawn, statement, held);
      await until(watcher.page, `the other page's piece of ${statement} on ${SHOWN}`, pieceDrawn, statement, held);
      const tick = (date) => Boolean(document.querySelector(`#timeline-ticks .tick[data-date="${date}"]`));
      await until(watcher.page, `the other page's timeline marks ${FROM}`, tick, FROM, true);
      await notReloaded(editor.page, 'the editing page');
      await notReloaded(watcher.page, 'the other page');
      for (const [who, { problems }] of [['editor', editor], ['watcher', watcher]]) {
        assert.deepEqual(problems.all(), [], `console errors/warnings, failed or 4xx/5xx requests (${who})`);
      }
    });

    pagesTest('an area drawn by mouse is saved, drawn live in another browser, and reverted', async (open) => {
      const fsa = await factionColor(AREA_FACTION);
      const places = await apiOk('/places.geojson');
      const { last_id: lastBefore } = await apiOk('/api/changes?limit=0');
      const editor = await open();
      const watcher = await open();
      await openMap(editor.page, SHOWN, AREA_VIEW);
      // The other browser, not signed in, has the map of the same date open.
      await openMap(watcher.page, SHOWN, AREA_VIEW);

      await signIn(editor.page, TOKEN);
      await editor.page.locator('#edit-form').waitFor({ state: 'visible' });
      await startDrawing(editor.page);
      const focused = () => document.activeElement?.id ?? null;
      assert.equal(await editor.page.evaluate(focused), 'map', 'drawing moves the focus to the map');
      // Four corners, clockwise on screen, and a click on the first one closes the area.
      const corners = [[-60, -50], [60, -50], [70, 40], [-50, 50]];
      await clickCorners(editor.page, corners);
      assert.match(await editor.page.locator('#draw-hint').textContent(), /4 corners/, 'the bar counts the corners');
      assert.equal(await editor.page.locator('.leaflet-popup').count(), 0, 'clicks while drawing ask no point query');
      const first = await onMap(editor.page, corners[0]);
      await editor.page.mouse.click(first.x, first.y);
      await editor.page.locator('#edit-panel').waitFor({ state: 'visible' });
      assert.ok(await editor.page.locator('#draw-bar').isHidden(), 'the bar goes once the area is closed');
      assert.match(await editor.page.locator('#edit-area-summary').textContent(), /^Drawn: 4 corners, about [\d.,]+ km²/);
      assert.equal(await editor.page.evaluate((s) => document.querySelectorAll(s).length, '#map path.draw-shape'), 1, 'the area stays drawn on the map');

      // The suggested id: the nearest place's id and the date.
      const id = await editor.page.locator('#edit-statement-id').inputValue();
      const suggested = new RegExp(`^([a-z0-9-]+)-${SHOWN}$`).exec(id);
      assert.ok(suggested, `the suggested id ${JSON.stringify(id)} ends with the date`);
      assert.ok(places.features.some((f) => f.id === suggested[1]), `the suggested id starts with a place's id: ${id}`);
      assert.equal((await api(`/api/collections/control-statements/items/${id}`)).status, 404, `no statement ${id} yet`);

      await fillArea(editor.page, 'Browser test: an area drawn on the map.');
      await editor.page.locator('#edit-region').selectOption(GHAB);
      const changeId = await saveAndRead(editor.page);

      // The server stored what was drawn and filled in, through the change log.
      const feed = await apiOk(`/api/changes?since=${lastBefore}&limit=10`);
      const change = feed.changes.find((c) => c.id === changeId);
      assert.ok(change, `change #${changeId} is in /api/changes: ${JSON.stringify(feed)}`);
      assert.equal(change.kind, 'area');
      assert.equal(change.author, author);
      assert.equal(change.target, id);
      assert.equal(change.before, null, 'a new statement');
      const { properties, geometry } = change.after;
      assert.equal(properties.from, AREA_FROM);
      assert.equal(properties.status, 'held');
      assert.deepEqual(properties.factions, [AREA_FACTION]);
      assert.equal(properties.region, GHAB);
      assert.equal(properties.note, 'Browser test: an area drawn on the map.');
      assert.deepEqual(properties.sources, [AREA_SOURCE], 'the source, with no invented publication date');
      assert.equal(geometry.type, 'Polygon');
      assertCorners(geometry.coordinates[0], AREA_VIEW, corners, 'the stored area');
      const served = await apiOk(`/api/collections/control-statements/items/${id}`);
      assert.equal(served.properties.statement, id, `the control-statements collection serves ${id}`);

      // Both maps draw it without a reload: the editor's own, and the other through the stream.
      const held = { status: 'held', fill: fsa };
      await until(editor.page, `the editor's piece of ${id}`, pieceDrawn, id, held);
      await until(watcher.page, `the other browser's piece of ${id}`, pieceDrawn, id, held);
      assert.equal(await editor.page.evaluate((s) => document.querySelectorAll(s).length, '#map path.draw-shape'), 0, 'the drawing gives way to the saved area');

      // A click inside the area in the other browser tells its statement and source.
      const inside = await onMap(watcher.page, [5, 0]);
      await watcher.page.mouse.click(inside.x, inside.y);
      const statement = watcher.page.locator('.leaflet-popup-content .popup-statement[data-statement-id]').first();
      await statement.waitFor();
      assert.equal(await statement.getAttribute('data-statement-id'), id, 'the popup shows the new statement');
      const hrefs = await statement.locator('a.source-link').evaluateAll((links) => links.map((a) => a.href));
      assert.deepEqual(hrefs, [AREA_SOURCE.url], 'with its source');

      // Reverting the change withdraws the area, live too.
      const undone = await postAsEditor(`/api/changes/${changeId}/revert`);
      assert.equal(undone.status, 201, `revert the area: ${JSON.stringify(undone.body)}`);
      await until(watcher.page, `the other browser withdraws ${id}`, pieceDrawn, id, null);
      await until(editor.page, `the editor's page withdraws ${id}`, pieceDrawn, id, null);

      await notReloaded(editor.page, 'the editing page');
      await notReloaded(watcher.page, 'the other page');
      for (const [who, { problems }] of [['editor', editor], ['watcher', watcher]]) {
        assert.deepEqual(problems.all(), [], `console errors/warnings, failed or 4xx/5xx requests (${who})`);
      }
    });

    pagesTest('a drawn area is checked by the server, can be reshaped, and keeps what it must not replace', async (open) => {
      const { page, problems } = await open();
      await openMap(page, SHOWN, AREA_VIEW);
      await signIn(page, TOKEN);
      await page.locator('#edit-form').waitFor({ state: 'visible' });
      const { last_id: lastBefore } = await apiOk('/api/changes?limit=0');
      const sent = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/collections/control-statements/items') {
          sent.push({ search: new URL(request.url()).search, body: JSON.parse(request.postData()) });
        }
      });

      // A bow-tie (its third and fourth corners swapped), closed by a double-click.
      await startDrawing(page);
      const corners = [[-60, -50], [60, -50], [-60, 50]];
      await clickCorners(page, corners);
      const last = await onMap(page, [60, 50]);
      await page.mouse.dblclick(last.x, last.y);
      await page.locator('#edit-panel').waitFor({ state: 'visible' });
      assert.match(await page.locator('#edit-area-summary').textContent(), /^Drawn: 4 corners/, 'a double-click closes the area, adding no extra corner');

      // Escape while drawing again puts the area back as it was.
      await page.locator('#edit-draw').click();
      await page.locator('#draw-bar').waitFor({ state: 'visible' });
      await clickCorners(page, [[0, 80]]);
      await page.keyboard.press('Escape');
      await page.locator('#edit-panel').waitFor({ state: 'visible' });
      assert.ok(await page.locator('#draw-bar').isHidden(), 'Escape ends the drawing');
      assert.match(await page.locator('#edit-area-summary').textContent(), /^Drawn: 4 corners/, 'and keeps the area drawn before');
      const focused = () => document.activeElement?.id ?? null;
      assert.equal(await page.evaluate(focused), 'edit-draw', 'focus returns to the Draw button');

      // The server finds the crossing edges: shown by the area, as it says them.
      await fillArea(page, 'Browser test: must not be saved as drawn.');
      await page.locator('#edit-statement-id').fill('browser-test-reshaped');
      await page.locator('#edit-submit').click();
      const listed = (selector) => [...document.querySelectorAll(selector)].map((li) => li.textContent);
      await until(page, 'a problem is listed', (s) => document.querySelectorAll(s).length > 0, '#edit-errors li', true);
      assert.equal(sent.length, 1, 'the form sent the area');
      const direct = await postAsEditor('/api/collections/control-statements/items', sent[0].body);
      assert.equal(direct.status, 422, `POST a bow-tie: ${JSON.stringify(direct.body)}`);
      assert.ok(direct.body.errors.some((e) => e.pointer === '/geometry' && /self-intersection/.test(e.detail)), `the server names the crossing: ${JSON.stringify(direct.body)}`);
      assert.deepEqual(await page.evaluate(listed, '#edit-errors li'), direct.body.errors.map((e) => e.detail), 'the form lists what the server says');
      assert.equal(await page.locator('#edit-area').getAttribute('aria-invalid'), 'true', 'the pointer marks the area');
      assert.equal(await page.locator('#edit-statement-id').getAttribute('aria-invalid'), null, 'and not the id');

      // Reshaped by dragging the third corner out to the right: the edges no longer cross.
      await page.locator('#edit-adjust').click();
      await page.locator('#draw-bar').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#draw-finish').textContent(), 'Done');
      const from = await onMap(page, [-60, 50]);
      const to = await onMap(page, [80, 10]);
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
      await page.mouse.move(to.x, to.y, { steps: 5 });
      await page.mouse.up();
      await page.locator('#draw-finish').click();
      await page.locator('#edit-panel').waitFor({ state: 'visible' });
      const reshaped = [[-60, -50], [60, -50], [80, 10], [60, 50]];

      // An id the shipped data has: 409, shown by the id, and nothing is replaced.
      await page.locator('#edit-statement-id').fill(SHIPPED_AREA);
      await page.locator('#edit-submit').click();
      await until(page, 'the conflict is shown by the id', attributeOf, ['#edit-statement-id', 'aria-invalid'], 'true');
      assert.match(await page.locator('#edit-errors li').first().textContent(), /already exists/);
      assert.ok(await page.locator('#edit-replace').isVisible(), 'the form offers to replace it');
      assert.equal(await page.locator('#edit-area').getAttribute('aria-invalid'), null, 'the reshaped area is no longer marked');
      assert.equal(sent.length, 2, 'the form sent the area again');
      assert.equal(sent[1].search, '', 'without base or force');
      const shipped = await apiOk(`/api/collections/control-statements/items/${SHIPPED_AREA}`);
      assert.equal(shipped.properties.status, 'held', `${SHIPPED_AREA} is as shipped`);
      assert.notEqual(shipped.properties.note, 'Browser test: must not be saved as drawn.', `${SHIPPED_AREA} was not replaced`);
      assert.equal((await apiOk('/api/changes?limit=0')).last_id, lastBefore, 'nothing was stored');

      // Another id saves it, as reshaped.
      await page.locator('#edit-statement-id').fill('browser-test-reshaped');
      assert.ok(await page.locator('#edit-replace').isHidden(), 'a new id takes back the offer to replace');
      await saveAndRead(page);
      const stored = await apiOk('/api/collections/control-statements/items/browser-test-reshaped');
      const ring = stored.geometry.type === 'Polygon' ? stored.geometry.coordinates[0] : stored.geometry.coordinates[0][0];
      assertCorners(ring, AREA_VIEW, reshaped, 'the stored area, as dragged');
      assert.deepEqual(problems.all().filter((p) => !/HTTP (409|422): POST/.test(p) && !/status of (409|422)/.test(p)), [], 'no problems but the refusals the test provoked');
    });

    pagesTest('an event added, changed and taken back through the API shows live in every browser', async (open) => {
      const missing = await api(`/api/collections/events/items/${EVENT_ID}`);
      assert.equal(missing.status, 404, `no event ${EVENT_ID} yet: run this file against a fresh store`);
      const pages = [await open(), await open()];
      for (const { page } of pages) {
        await openMap(page, SHOWN);
        await waitInPage(page, () => document.querySelectorAll('#map path.event-marker').length > 0);
      }
      const shownBefore = [];
      for (const { page } of pages) {
        assert.equal(await page.evaluate(eventDrawn, EVENT_ID), null, `no marker for ${EVENT_ID} before it is added`);
        shownBefore.push(await page.evaluate(markDrawn, '#map path.event-marker'));
      }
      const showsEverywhere = async (what, expected) => {
        for (const [index, { page }] of pages.entries()) {
          await until(page, `${what} (browser ${index + 1})`, eventDrawn, EVENT_ID, expected);
        }
      };

      const added = await postAsEditor('/api/collections/events/items', testEvent('2015-08-14', 'A test event'));
      assert.equal(added.status, 201, `POST the event: ${JSON.stringify(added.body)}`);
      await showsEverywhere('the added event', { date: '2015-08-14', title: 'A test event' });
      for (const [index, { page }] of pages.entries()) {
        const kept = await page.evaluate(() => document.querySelectorAll('#map path.event-marker[data-test-kept]').length);
        assert.equal(kept, shownBefore[index], `the other events' markers were not drawn anew (browser ${index + 1})`);
      }

      const changed = await postAsEditor('/api/collections/events/items', testEvent('2015-08-12', 'A changed test event'));
      assert.equal(changed.status, 201, `POST the changed event: ${JSON.stringify(changed.body)}`);
      await showsEverywhere('the changed event', { date: '2015-08-12', title: 'A changed test event' });

      const undone = await postAsEditor(`/api/changes/${changed.body.id}/revert`);
      assert.equal(undone.status, 201, `revert the change: ${JSON.stringify(undone.body)}`);
      await showsEverywhere('the event as first added', { date: '2015-08-14', title: 'A test event' });

      // Forced: the revert above is a later change of the same event.
      const removed = await postAsEditor(`/api/changes/${added.body.id}/revert?force=true`);
      assert.equal(removed.status, 201, `revert the addition: ${JSON.stringify(removed.body)}`);
      await showsEverywhere('no marker once the addition is reverted', null);
      assert.equal((await api(`/api/collections/events/items/${EVENT_ID}`)).status, 404, 'the API has no such event either');

      for (const [index, { page, problems }] of pages.entries()) {
        await notReloaded(page, `browser ${index + 1}`);
        assert.deepEqual(problems.all(), [], `console errors/warnings, failed or 4xx/5xx requests (browser ${index + 1})`);
      }
    });

    pagesTest('every problem the server finds is listed by the form', async (open) => {
      const { page } = await open();
      await openMap(page, SHOWN);
      await signIn(page, TOKEN);
      await page.locator('#edit-form').waitFor({ state: 'visible' });
      // A faction the server does not know: the client cannot catch that, only the server can.
      await page.evaluate(() => {
        const box = document.createElement('input');
        Object.assign(box, { type: 'checkbox', value: 'no-such-faction', checked: true });
        document.querySelector('#edit-factions-list').append(box);
      });
      await fillEntry(page, { status: 'contested', factions: [FACTION, 'no-such-faction'], note: 'Browser test: must not be saved.' });
      const { last_id: lastBefore } = await apiOk('/api/changes?limit=0');

      // What the server says about the same entry.
      const entry = {
        from: FROM,
        precision: 'day',
        status: 'contested',
        factions: [FACTION, 'no-such-faction'],
        note: 'Browser test: must not be saved.',
        sources: [{ title: 'Syrian army retakes positions in al-Ghab (test source)', url: 'https://example.org/ghab-2015-08-15', published: '2015-08-16' }],
      };
      const direct = await api(`/api/regions/${GHAB}/control`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(entry),
      });
      assert.equal(direct.status, 422, `POST an unknown faction: ${JSON.stringify(direct.body)}`);
      const faction = direct.body.errors.find((e) => e.detail.includes('no-such-faction'));
      assert.ok(faction, `the problems name the faction: ${JSON.stringify(direct.body)}`);
      assert.equal(faction.pointer, '/factions/1', 'and point at it');

      await page.locator('#edit-submit').click();
      const listed = (selector) => [...document.querySelectorAll(selector)].map((li) => li.textContent);
      await until(page, '#edit-errors li', listed, '#edit-errors li', direct.body.errors.map((e) => e.detail));
      assert.ok(await page.locator('#edit-errors').isVisible(), 'the problems are shown');
      assert.equal(await page.locator('#edit-factions').getAttribute('aria-invalid'), 'true', 'the pointer marks the factions field');
      assert.equal(await page.locator('#edit-date').getAttribute('aria-invalid'), null, 'and no other');
      assert.doesNotMatch(await page.locator('#edit-result').textContent(), /Saved/, 'nothing is reported saved');
      assert.equal((await apiOk('/api/changes?limit=0')).last_id, lastBefore, 'nothing was stored');
    });

    pagesTest('the form checks the number of factions before sending', async (open) => {
      const { page } = await open();
      await openMap(page, SHOWN);
      await signIn(page, TOKEN);
      await page.locator('#edit-form').waitFor({ state: 'visible' });
      await fillEntry(page, { status: 'contested', factions: [FACTION], note: '' });
      let posted = 0;
      page.on('request', (request) => {
        if (request.method() === 'POST') posted += 1;
      });
      await page.locator('#edit-submit').click();
      const count = (selector) => document.querySelectorAll(selector).length;
      await until(page, 'one problem listed', count, '#edit-errors li', 1);
      assert.match(await page.locator('#edit-errors li').textContent(), /two or more/i);
      assert.equal(await page.locator('#edit-factions').getAttribute('aria-invalid'), 'true', 'the factions are marked invalid');
      assert.equal(posted, 0, 'nothing was sent');
    });

    pagesTest('a wrong token is refused and signing out forgets the right one', async (open) => {
      const { page } = await open();
      await openMap(page, SHOWN);
      await signIn(page, `${TOKEN}-wrong`);
      const message = (s) => document.querySelector(s)?.textContent.trim() ?? '';
      await until(page, 'the refusal', (s) => /not accepted/.test(document.querySelector(s)?.textContent ?? ''), '#edit-auth-message', true);
      assert.ok(await page.locator('#edit-token').isVisible(), 'the panel asks for the token again');
      assert.ok(await page.locator('#edit-form').isHidden(), 'the form stays hidden');
      assert.deepEqual((await page.evaluate(storage)).session, [], 'a refused token is not kept');

      await page.locator('#edit-token').fill(TOKEN);
      await page.locator('#edit-signin').click();
      await until(page, 'signed in', message, '#edit-author', `Signed in as ${author}`);
      // Kept for this tab: closing and reopening the panel needs no new sign-in.
      await page.keyboard.press('Escape');
      await page.locator('#edit-panel').waitFor({ state: 'hidden' });
      await page.locator('#edit-open').click();
      await until(page, 'still signed in', message, '#edit-author', `Signed in as ${author}`);
      await page.locator('#edit-signout').click();
      assert.ok(await page.locator('#edit-token').isVisible(), 'signing out asks for the token again');
      assert.deepEqual((await page.evaluate(storage)).session, [], 'signing out forgets the token');
    });

    pagesTest('the panel works by keyboard and fits a 375×667 screen', async (open) => {
      const { page } = await open({ viewport: { width: 375, height: 667 } });
      await openMap(page, SHOWN);
      const button = page.locator('#edit-open');
      assert.match(await button.ariaSnapshot(), /button "Edit"/, 'the Edit button is named "Edit"');
      await button.focus();
      await page.keyboard.press('Enter');
      await page.locator('#edit-panel').waitFor({ state: 'visible' });
      const focused = () => document.activeElement?.id ?? null;
      await until(page, 'focus goes to the token field', focused, null, 'edit-token');
      await page.keyboard.type(TOKEN);
      await page.keyboard.press('Enter');
      await until(page, 'focus goes to the form', focused, null, 'edit-region');

      // Two pixels of slack: the panel scrolls by whole pixels, its layout is in fractions of one.
      const inside = (box) => box && box.x >= -2 && box.y >= -2 && box.x + box.width <= 377 && box.y + box.height <= 669;
      const panel = await page.locator('#edit-panel').boundingBox();
      assert.ok(inside(panel), `#edit-panel lies inside the viewport: ${JSON.stringify(panel)}`);
      for (const id of [
        'edit-signout', 'edit-target-region', 'edit-target-area', 'edit-region', 'edit-date', 'edit-precision', 'edit-status', 'edit-note',
        'edit-source-title', 'edit-source-url', 'edit-source-published', 'edit-submit',
      ]) {
        const field = page.locator(`#${id}`);
        await field.scrollIntoViewIfNeeded();
        const box = await field.boundingBox();
        assert.ok(inside(box), `#${id} fits the screen once scrolled to: ${JSON.stringify(box)}`);
        const name = /^- [\w-]+ "((?:[^"\\]|\\.)*)"/.exec((await field.ariaSnapshot()).split('\n')[0])?.[1] ?? '';
        assert.ok(name.trim(), `#${id} has an accessible name`);
      }
      const scroll = await page.evaluate(() => {
        const panel = document.querySelector('#edit-panel');
        return { panel: panel.scrollWidth - panel.clientWidth, page: document.documentElement.scrollWidth };
      });
      assert.ok(scroll.panel <= 0, `the panel does not scroll sideways: ${JSON.stringify(scroll)}`);
      assert.ok(scroll.page <= 375, `the page does not scroll sideways: ${JSON.stringify(scroll)}`);

      // An area by keyboard: the arrow keys choose it, Enter starts drawing, Escape cancels.
      await page.locator('#edit-target-region').focus();
      await page.keyboard.press('ArrowDown');
      await page.locator('#edit-draw').waitFor({ state: 'visible' });
      for (const id of ['edit-draw', 'edit-statement-id', 'edit-region']) {
        const field = page.locator(`#${id}`);
        await field.scrollIntoViewIfNeeded();
        assert.ok(inside(await field.boundingBox()), `#${id} fits the screen once scrolled to`);
        const name = /^- [\w-]+ "((?:[^"\\]|\\.)*)"/.exec((await field.ariaSnapshot()).split('\n')[0])?.[1] ?? '';
        assert.ok(name.trim(), `#${id} has an accessible name`);
      }
      await page.locator('#edit-draw').focus();
      await page.keyboard.press('Enter');
      await page.locator('#draw-bar').waitFor({ state: 'visible' });
      await until(page, 'focus goes to the map', focused, null, 'map');
      // Enter on the map places a corner at its centre.
      await page.keyboard.press('Enter');
      await until(page, 'a corner at the centre', (s) => document.querySelectorAll(s).length, '#map .draw-corner', 1);
      for (const id of ['draw-undo', 'draw-finish', 'draw-cancel']) {
        const box = await page.locator(`#${id}`).boundingBox();
        assert.ok(inside(box), `#${id} lies inside the screen: ${JSON.stringify(box)}`);
      }
      await page.keyboard.press('Escape');
      await page.locator('#edit-panel').waitFor({ state: 'visible' });
      await until(page, 'focus returns to the Draw button', focused, null, 'edit-draw');
      assert.equal(await page.locator('#edit-area-summary').textContent(), 'No area drawn yet.', 'a cancelled drawing leaves no area');

      await page.keyboard.press('Escape');
      await page.locator('#edit-panel').waitFor({ state: 'hidden' });
      await until(page, 'focus returns to the Edit button', focused, null, 'edit-open');
    });

    pagesTest('a region whose geometry changes on disk is redrawn, and only that region', async (open, t) => {
      if (!SCRATCH_DATA) {
        t.skip('set FRONTLINE_SCRATCH_DATA to the server\'s data directory, a copy this test may rewrite');
        return;
      }
      const file = path.join(SCRATCH_DATA, 'regions.geojson');
      const original = await readFile(file, 'utf8');
      const collection = JSON.parse(original);
      const feature = collection.features.find((f) => f.id === RESHAPED);
      assert.ok(feature, `${RESHAPED} is in ${file}`);
      const served = async () => (await apiOk(`/api/collections/regions/items/${RESHAPED}`)).geometry;
      assert.deepEqual(await served(), asMultiPolygon(feature.geometry), `the server serves ${file}`);

      const { page, problems } = await open();
      // The page's first answer about the data version, so that the new one is news to it.
      const asked = page.waitForResponse((r) => new URL(r.url()).pathname === '/healthz', { timeout: WAIT_MS });
      await openMap(page, SHOWN, ALL_REGIONS);
      await asked;
      const before = await page.evaluate(regionPaths);
      assert.equal(before.length, 5, `five regions drawn: ${JSON.stringify(before.map((r) => r.id))}`);
      await page.evaluate(markDrawn, '#map path.region');
      const was = before.find((r) => r.id === RESHAPED);
      assert.ok(was?.d, `${RESHAPED} is drawn`);

      // A part added, the rest kept: every control area traced for the region must still meet
      // it, or the server rightly refuses the new file.
      const geometry = withPartEast(feature.geometry);
      try {
        feature.geometry = geometry;
        await replaceFile(file, JSON.stringify(collection));
        // The server looks at the files twice a second and reloads once they hold still.
        const now = await poll(served, (g) => isDeepStrictEqual(g, asMultiPolygon(geometry)), 20_000);
        assert.deepEqual(now, asMultiPolygon(geometry), `the server reloaded ${file}`);

        // The page asks for the data version every few seconds.
        const redrawn = ([id, d]) => {
          const path = document.querySelector(`#map path.region[data-region-id="${id}"]`);
          return Boolean(path) && path.getAttribute('d') !== d;
        };
        await until(page, `${RESHAPED} is redrawn with its new geometry`, redrawn, [RESHAPED, was.d], true, 30_000);
        const after = await page.evaluate(regionPaths);
        const reshaped = after.find((r) => r.id === RESHAPED);
        assert.ok(
          reshaped.width > was.width * 1.1,
          `${RESHAPED} grew on screen: ${was.width.toFixed(1)} px → ${reshaped.width.toFixed(1)} px`,
        );
        for (const { id, d } of before.filter((r) => r.id !== RESHAPED)) {
          const path = after.find((r) => r.id === id);
          assert.ok(path?.kept, `${id} kept its path (it was not drawn anew)`);
          assert.equal(path.d, d, `${id} kept its outline`);
        }
        // Sub-regions still draw on top of the top-level regions, also once the regions are
        // hidden and shown again from the layer control.
        const isSubRegion = new Map(collection.features.map((f) => [f.id, Boolean(f.properties.parent)]));
        const topLevelFirst = (paths, when) => {
          const subRegion = paths.map((r) => isSubRegion.get(r.id));
          assert.deepEqual(subRegion, [...subRegion].sort(), `top-level regions first ${when}: ${paths.map((r) => r.id).join(', ')}`);
        };
        topLevelFirst(after, 'after the redraw');
        const control = page.locator('.leaflet-control-layers');
        await control.hover();
        const shown = control.locator('label', { hasText: 'Regions' }).locator('input');
        await shown.uncheck();
        await shown.check();
        topLevelFirst(await page.evaluate(regionPaths), 'when shown again');
        await notReloaded(page, 'the map');
        assert.deepEqual(problems.all(), [], 'console errors/warnings, failed or 4xx/5xx requests');
      } finally {
        await replaceFile(file, original);
      }
    });
  });
}
