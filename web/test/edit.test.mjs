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
import { BASE, WAIT_MS, closeBrowser, launchBrowser, pagesTest as harnessTest, until } from './helpers.mjs';

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
  await page.waitForFunction(() => document.querySelectorAll('#map path.region').length >= 5);
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

    pagesTest('an event added, changed and taken back through the API shows live in every browser', async (open) => {
      const missing = await api(`/api/collections/events/items/${EVENT_ID}`);
      assert.equal(missing.status, 404, `no event ${EVENT_ID} yet: run this file against a fresh store`);
      const pages = [await open(), await open()];
      for (const { page } of pages) {
        await openMap(page, SHOWN);
        await page.waitForFunction(() => document.querySelectorAll('#map path.event-marker').length > 0);
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

      const inside = (box) => box && box.x >= -1 && box.y >= -1 && box.x + box.width <= 376 && box.y + box.height <= 668;
      const panel = await page.locator('#edit-panel').boundingBox();
      assert.ok(inside(panel), `#edit-panel lies inside the viewport: ${JSON.stringify(panel)}`);
      for (const id of [
        'edit-signout', 'edit-region', 'edit-date', 'edit-precision', 'edit-status', 'edit-note',
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
