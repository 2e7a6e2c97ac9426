// The map page in a real Chromium, against a running `frontline serve`.
//
//   FRONTLINE_URL=http://127.0.0.1:PORT node --test test/     (from web/)
//
// `cargo test --test browser` starts the server and runs this file. Every expectation about
// control and areas is read from the API, so the data can change without touching the tests.
// On failure a screenshot is saved to <repo>/target/browser-failure-map-<test>-1.png.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, WAIT_MS, closeBrowser, launchBrowser, pagesTest, until } from './helpers.mjs';

const GHAB = 'ghab-plain';
/** al-Ziyarah, in the Ghab. */
const GHAB_POINT = { lat: 35.68482, lon: 36.33867 };
const TOP_LEVEL = ['ghab-plain', 'nusayriyah-mountains', 'damascus-homs-corridor'];
const BEFORE = '2011-06-01';
const AFTER = '2015-08-20';
const UNKNOWN_FILL = '#9e9e9e';

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

/** What the contract says a region's `fill` is, from its API feature. */
function expectedFill(feature) {
  const p = feature.properties;
  switch (p.status) {
    case 'held':
      assert.match(p.color ?? '', /^#[0-9a-f]{6}$/i, `${feature.id} is held but has no colour`);
      return p.color;
    case 'contested':
      return `url(#hatch-${p.control.factions.join('-')})`;
    case 'unknown':
      return UNKNOWN_FILL;
    default:
      throw new Error(`unexpected status ${p.status} for ${feature.id}`);
  }
}

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

/** Opens `url` and waits until the five regions are drawn. */
async function open(page, url = `${BASE}/`) {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('#map path.region', { state: 'attached' });
  await page.waitForFunction(() => document.querySelectorAll('#map path.region').length >= 5);
}

const attribute = ([selector, name]) => document.querySelector(selector)?.getAttribute(name) ?? null;
const value = (selector) => document.querySelector(selector)?.value ?? null;
const text = (selector) => document.querySelector(selector)?.textContent.trim() ?? null;

/** The Ghab's path: status and fill. */
async function ghabShows(page, date, feature) {
  const selector = `#map path.region[data-region-id="${GHAB}"]`;
  await until(page, `Ghab status on ${date}`, attribute, [selector, 'data-status'], feature.properties.status);
  await until(page, `Ghab fill on ${date}`, attribute, [selector, 'fill'], expectedFill(feature));
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

/** Which region the page draws at a screen point (under any marker or label), if any. */
async function regionAt(page, { x, y }) {
  return page.evaluate(
    ([x, y]) =>
      document
        .elementsFromPoint(x, y)
        .find((el) => el.matches('path.region'))
        ?.getAttribute('data-region-id') ?? null,
    [x, y],
  );
}

/**
 * A screen point near `centre` where a click lands on region `id` itself, not on an event
 * marker or a label drawn over it.
 */
async function clickableIn(page, id, centre) {
  const point = await page.evaluate(
    ([id, cx, cy]) => {
      for (let r = 0; r <= 80; r += 8) {
        for (let a = 0; a < 360; a += r ? 30 : 360) {
          const x = cx + r * Math.cos((a * Math.PI) / 180);
          const y = cy + r * Math.sin((a * Math.PI) / 180);
          if (document.elementFromPoint(x, y)?.getAttribute('data-region-id') === id) return { x, y };
        }
      }
      return null;
    },
    [id, centre.x, centre.y],
  );
  assert.ok(point, `a point of ${id} within 80 px of the map centre is not covered by markers`);
  return point;
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
      assert.ok(['held', 'contested', 'unknown'].includes(status), `${id} has data-status ${status}`);
    }
  });

  pageTest('changing the date recolours the Ghab as the API says', async (page) => {
    const before = (await regionsAt(BEFORE)).get(GHAB);
    const after = (await regionsAt(AFTER)).get(GHAB);
    assert.notEqual(expectedFill(before), expectedFill(after), 'the data changes the Ghab between the dates');

    await open(page, permalink({ date: BEFORE, lat: 35.6, lon: 36.3, z: 9 }));
    await until(page, '#date-input after load', value, '#date-input', BEFORE);
    await ghabShows(page, BEFORE, before);

    await page.locator('#date-input').fill(AFTER);
    await until(page, '#date-label after typing a date', text, '#date-label', inWords(AFTER));
    await ghabShows(page, AFTER, after);

    // The permalink drives the date too.
    await page.evaluate((date) => {
      location.hash = `#date=${date}&lat=35.600&lon=36.300&z=9`;
    }, BEFORE);
    await until(page, '#date-input after hashchange', value, '#date-input', BEFORE);
    await ghabShows(page, BEFORE, before);

    // And the slider, by keyboard.
    const label = await page.evaluate(text, '#date-label');
    await page.locator('#date-slider').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(
      (old) => document.querySelector('#date-label')?.textContent.trim() !== old,
      label,
      { timeout: WAIT_MS },
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
    // The Ghab's own surface: an event marker may sit right on al-Ziyarah.
    const target = await clickableIn(page, GHAB, centre);
    await page.mouse.click(target.x, target.y);

    const popup = page.locator('.leaflet-popup-content');
    await popup.locator('.popup-query').waitFor();
    const region = popup.locator(`.popup-region[data-region-id="${GHAB}"]`);
    await region.waitFor();
    assert.match(await region.locator('h3').first().textContent(), /Ghab/, 'the popup names the Ghab');
    const statement = popup.locator('.popup-statement');
    assert.equal(await statement.getAttribute('data-statement-id'), answer.control.statement.id, 'the popup shows the statement in force');
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
    await page.waitForFunction(
      ([id, w]) => Math.abs(document.querySelector(`path.region[data-region-id="${id}"]`).getBBox().width * 2 - w) < w * 0.05,
      [GHAB, width10],
      { timeout: WAIT_MS },
    ).catch(() => {});
    const width9 = await ghabWidth(page);
    assert.ok(
      Math.abs(width10 / width9 - 2) < 0.1,
      `zoom 10 → 9 halves the Ghab on screen (${width10.toFixed(1)} px → ${width9.toFixed(1)} px)`,
    );
    assert.equal(await regionAt(page, await mapCentre(page)), GHAB, 'the Ghab is still under the centre');
  });

  pageTest('the legend lists the areas from /api/stats', async (page) => {
    const legendAreas = () => {
      const area = (el) =>
        el?.getAttribute('data-area-km2') ?? el?.querySelector('[data-area-km2]')?.getAttribute('data-area-km2') ?? null;
      const factions = {};
      for (const item of document.querySelectorAll('#legend .legend-item[data-faction]')) {
        factions[item.getAttribute('data-faction')] =
          item.querySelector('.legend-area')?.getAttribute('data-area-km2') ?? null;
      }
      return {
        factions,
        contested: area(document.querySelector('#legend .legend-item[data-kind="contested"]')),
        unknown: area(document.querySelector('#legend .legend-item[data-kind="unknown"]')),
      };
    };
    const expected = (stats) => {
      const want = { contested: stats.contested_km2, unknown: stats.unknown_km2, factions: {} };
      for (const f of stats.factions) if (f.area_km2 > 0) want.factions[f.id] = f.area_km2;
      return want;
    };
    const check = async (date) => {
      const stats = await api(`/api/stats?at=${date}`);
      const want = expected(stats);
      // Self-contained, so it also runs in the page.
      const ok = (got, want) =>
        got.contested !== null &&
        Number(got.contested) === want.contested &&
        got.unknown !== null &&
        Number(got.unknown) === want.unknown &&
        Object.entries(want.factions).every(([id, a]) => got.factions[id] != null && Number(got.factions[id]) === a);
      await page
        .waitForFunction(`(${ok})((${legendAreas})(), ${JSON.stringify(want)})`, undefined, { timeout: WAIT_MS })
        .catch(() => {});
      const got = await page.evaluate(legendAreas);
      assert.ok(
        ok(got, want),
        `legend on ${date}: ${JSON.stringify(got)}\nexpected (factions with area > 0): ${JSON.stringify(want)}`,
      );
    };

    await open(page, permalink({ date: BEFORE, lat: 35.6, lon: 36.3, z: 9 }));
    await check(BEFORE);
    await page.locator('#date-input').fill(AFTER);
    await check(AFTER);
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
