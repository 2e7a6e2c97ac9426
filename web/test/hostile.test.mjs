// The map page in a real Chromium against data written to attack it: every name, note,
// description and source title ends with FRONTLINE_PAYLOAD, markup that would run script if
// the page ever parsed data as HTML (an <img onerror>, a <script>, an <svg onload>, a
// javascript: link; each sets window.__xss). The server refuses source URLs that are not
// http(s), so the tests that need such URLs rewrite API answers on their way to the page:
// the page must refuse them too.
//
//   FRONTLINE_URL=http://127.0.0.1:PORT FRONTLINE_PAYLOAD=… FRONTLINE_TOKEN=… \
//     node --test test/hostile.test.mjs   (from web/)
//
// `cargo test --test browser` writes the data, starts the server and runs this file; without
// FRONTLINE_PAYLOAD (a server on ordinary data) the file is skipped. Every
// text the page must show is read from the API, and each test first checks that it does carry
// the payload, so the suite cannot pass on harmless data. On failure a screenshot is saved to
// <repo>/target/browser-failure-hostile-<test>-1.png.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, closeBrowser, launchBrowser, pagesTest, waitInPage } from './helpers.mjs';

const PAYLOAD = process.env.FRONTLINE_PAYLOAD || '';
const TOKEN = process.env.FRONTLINE_TOKEN || '';

const GHAB = 'ghab-plain';
/** al-Ziyarah, in the Ghab, on a date with several statements there. */
const GHAB_VIEW = { date: '2015-08-20', lat: 35.68482, lon: 36.33867, z: 11 };
/** An event in the Ghab (2012). */
const EVENT = 'ghab-villages-leave-government-control-2012';
/** A major town, labelled on the map and found by the search. */
const TOWN = 'al-suqaylabiyah';

/** Source URLs a page must never turn into links (each would set window.__xss if followed). */
const BAD_URLS = [
  "javascript:window.__xss='href'",
  "JavaScript:window.__xss='href-case'",
  "  javascript:window.__xss='href-space'",
  'java\tscript:window.__xss=1',
  "data:text/html,<script>window.__xss='data'</script>",
  'vbscript:msgbox(1)',
  '//example.org/protocol-relative',
  'example.org/no-scheme',
];
const badSources = (where) => BAD_URLS.map((url, i) => ({ title: `${where} bad source ${i + 1} ${PAYLOAD}`, url, published: '2015-01-01' }));

// ---------------------------------------------------------------------------------------------

async function api(pathAndQuery) {
  const response = await fetch(BASE + pathAndQuery, { headers: { accept: 'application/json' } });
  assert.equal(response.status, 200, `GET ${pathAndQuery}`);
  return response.json();
}

/** Fails unless `text` (from the API) carries the payload: the test would prove nothing. */
function hostile(text, what) {
  assert.ok(typeof text === 'string' && text.endsWith(PAYLOAD), `${what} carries the payload: ${JSON.stringify(text)}`);
  return text;
}

/** Runs `body(page, problems)` with one page that records CSP violations from its start. */
function hostileTest(name, body) {
  pagesTest('hostile', name, async (open) => {
    assert.ok(PAYLOAD.includes('<img'), `FRONTLINE_PAYLOAD is markup: ${JSON.stringify(PAYLOAD)}`);
    const { page, problems } = await open();
    await page.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.__csp.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`);
      });
    });
    await body(page, problems);
  });
}

async function openMap(page, { date, lat, lon, z }) {
  await page.goto(`${BASE}/#date=${date}&lat=${lat}&lon=${lon}&z=${z}`, { waitUntil: 'load' });
  await waitInPage(page, () => document.querySelectorAll('#map path.region').length >= 5);
  await page.waitForSelector('#map path.control-piece', { state: 'attached' });
}

/**
 * In the page: what the payload would leave behind had any of it been parsed: its elements,
 * event-handler attributes, links that are not http(s), the sentinel, CSP violations.
 */
const traces = () => {
  const found = [];
  for (const node of document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]')) {
    found.push(`element <${node.tagName.toLowerCase()}> ${node.outerHTML.slice(0, 120)}`);
  }
  for (const script of document.querySelectorAll('script')) {
    if (script.textContent.includes('__xss')) found.push(`script ${script.outerHTML.slice(0, 120)}`);
  }
  for (const link of document.querySelectorAll('a[href]')) {
    const protocol = new URL(link.href, document.baseURI).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') found.push(`link to ${link.getAttribute('href')}`);
  }
  if (window.__xss !== undefined) found.push(`window.__xss = ${window.__xss}`);
  for (const violation of window.__csp ?? []) found.push(`CSP violation ${violation}`);
  return found;
};

/** Fails if the page shows any trace of the payload having run or been parsed, or any problem. */
async function assertClean(page, problems, where) {
  assert.deepEqual(await page.evaluate(traces), [], `${where}: traces of parsed markup`);
  assert.deepEqual(problems.all(), [], `${where}: console errors, failed requests or error responses`);
}

/** The texts of the elements matching `selector`, trimmed. */
function texts(page, selector) {
  return page.locator(selector).evaluateAll((nodes) => nodes.map((node) => node.textContent.trim()));
}

/** In the page: a screen point near `[cx, cy]` where a click lands on a control piece of region `id`. */
const pieceNear = ([id, cx, cy, radius]) => {
  const inRegion = (x, y) =>
    [...document.querySelectorAll(`#map path.region[data-region-id="${id}"]`)].some((path) =>
      path.isPointInFill(new DOMPoint(x, y).matrixTransform(path.getScreenCTM().inverse())),
    );
  for (let r = 0; r <= radius; r += 4) {
    for (let a = 0; a < 360; a += r ? 30 : 360) {
      const x = cx + r * Math.cos((a * Math.PI) / 180);
      const y = cy + r * Math.sin((a * Math.PI) / 180);
      if (document.elementFromPoint(x, y)?.matches('path.control-piece') && inRegion(x, y)) return { x, y };
    }
  }
  return null;
};

async function ghabPiece(page) {
  const box = await page.locator('#map').boundingBox();
  const point = await page.evaluate(pieceNear, [GHAB, box.x + box.width / 2, box.y + box.height / 2, 120]);
  assert.ok(point, 'a control piece of the Ghab near the centre of the map');
  return point;
}

/**
 * Checks a rendered source list against `sources` (what the page was given): an http(s) URL is
 * a link that opens apart (`noopener noreferrer`), anything else is its title as plain text.
 */
async function assertSources(list, sources, where) {
  const items = await list.locator(':scope > li').evaluateAll((lis) =>
    lis.map((li) => {
      const link = li.querySelector('a');
      return {
        text: li.firstChild?.nodeType === Node.TEXT_NODE ? li.firstChild.textContent : link?.textContent ?? null,
        href: link?.getAttribute('href') ?? null,
        target: link?.getAttribute('target') ?? null,
        rel: link?.getAttribute('rel') ?? null,
      };
    }),
  );
  assert.equal(items.length, sources.length, `${where}: one item per source`);
  sources.forEach((source, i) => {
    const item = items[i];
    if (/^https?:\/\//.test(source.url)) {
      assert.equal(item.href, source.url, `${where}: source ${i + 1} links to its URL`);
      assert.equal(item.text, source.title, `${where}: source ${i + 1}'s link text is its title, as text`);
      assert.equal(item.target, '_blank', `${where}: source ${i + 1} opens apart`);
      assert.deepEqual((item.rel ?? '').split(/\s+/).sort(), ['noopener', 'noreferrer'], `${where}: source ${i + 1}'s rel`);
    } else {
      assert.equal(item.href, null, `${where}: ${JSON.stringify(source.url)} is not a link`);
      assert.equal(item.text, source.title, `${where}: source ${i + 1}'s title, as text`);
    }
  });
}

// ---------------------------------------------------------------------------------------------

const SKIP = PAYLOAD ? false : "set FRONTLINE_PAYLOAD to the markup appended to every text of the server's data (cargo test --test browser does)";

describe('hostile data', { skip: SKIP }, () => {
  before(launchBrowser);
  after(closeBrowser);

  hostileTest('region and faction names show as text on the map, in tooltips and in the legend', async (page, problems) => {
    const regions = (await api(`/api/collections/regions/items?at=${GHAB_VIEW.date}&limit=10000`)).features;
    const stats = await api(`/api/stats?at=${GHAB_VIEW.date}`);
    await openMap(page, { ...GHAB_VIEW, z: 8 });

    // The permanent labels: each region's name (then its Arabic name).
    await waitInPage(page, () => document.querySelectorAll('.region-name-text').length >= 5);
    const labels = await texts(page, '.region-name-text');
    for (const region of regions) {
      const name = hostile(region.properties.name, `region ${region.id}'s name`);
      assert.ok(
        labels.some((label) => label.startsWith(name)),
        `the label of ${region.id} shows its name as text; labels: ${JSON.stringify(labels)}`,
      );
    }

    // The legend: every faction's name.
    await waitInPage(page, () => document.querySelectorAll('#legend-items .legend-name').length > 3);
    const legend = await texts(page, '#legend-items .legend-name');
    for (const faction of stats.factions) {
      assert.ok(legend.includes(hostile(faction.name, `faction ${faction.id}'s name`)), `the legend shows ${faction.id}'s name as text`);
    }

    // A piece's tooltip: its holder's name.
    await openMap(page, GHAB_VIEW);
    const piece = await ghabPiece(page);
    await page.mouse.move(piece.x, piece.y);
    const tooltip = page.locator('.region-tooltip-content strong');
    await tooltip.waitFor();
    const words = await tooltip.textContent();
    assert.ok(
      stats.factions.some((faction) => words.includes(faction.name)),
      `the piece's tooltip names its holder as text: ${JSON.stringify(words)}`,
    );
    await assertClean(page, problems, 'map, labels, legend and tooltip');
  });

  hostileTest('the point popup shows region, note, faction and source titles as text; only http(s) sources are links', async (page, problems) => {
    // The server refuses non-http(s) source URLs, so add some to its answers on the way.
    const answers = [];
    await page.route(
      (url) => url.pathname === '/api/query',
      async (route) => {
        const response = await route.fetch();
        const answer = await response.json();
        if (answer.control) answer.control.sources = [...(answer.control.sources ?? []), ...badSources('statement')];
        answers.push(answer);
        await route.fulfill({ response, json: answer });
      },
    );
    await openMap(page, GHAB_VIEW);
    const piece = await ghabPiece(page);
    await page.mouse.click(piece.x, piece.y);
    const popup = page.locator('.leaflet-popup-content .popup-query:not([aria-busy])');
    await popup.locator(`.popup-region[data-region-id="${GHAB}"]`).waitFor();
    const answer = answers.at(-1);

    const region = answer.regions.find((r) => r.id === GHAB);
    assert.equal(
      await popup.locator(`.popup-region[data-region-id="${GHAB}"] h3`).textContent(),
      hostile(region.name, 'the Ghab region name in the answer'),
      'the region heading is its name, as text',
    );
    assert.equal(
      await popup.locator('.popup-note').textContent(),
      hostile(answer.control.note, 'the note of the statement in force'),
      'the note is shown as text',
    );
    const stats = await api(`/api/stats?at=${GHAB_VIEW.date}`);
    const holders = answer.control.factions.map((id) => stats.factions.find((f) => f.id === id).name);
    const control = await popup.locator('.popup-control').textContent();
    for (const name of holders) assert.ok(control.includes(hostile(name, 'a holder name')), `the popup names ${name} as text`);
    const history = await texts(page, '.leaflet-popup-content .history li');
    assert.ok(history.length >= 1 && history.some((line) => holders.some((name) => line.includes(name))), 'the history names holders as text');

    for (const source of answer.control.sources.filter((s) => /^https?:/.test(s.url))) hostile(source.title, 'a source title');
    await assertSources(popup.locator('.popup-statement ul.sources'), answer.control.sources, 'the statement in force');
    await assertClean(page, problems, 'point popup');
  });

  hostileTest('an event popup shows title, description and sources as text', async (page, problems) => {
    let event = null;
    await page.route(
      (url) => url.pathname === '/api/collections/events/items',
      async (route) => {
        const response = await route.fetch();
        const collection = await response.json();
        event = collection.features.find((f) => (f.id ?? f.properties.id) === EVENT);
        assert.ok(event, `the events collection has ${EVENT}`);
        event.properties.sources = [...event.properties.sources, ...badSources('event')];
        await route.fulfill({ response, json: collection });
      },
    );
    await openMap(page, { ...GHAB_VIEW, date: '2012-12-31', lat: 35.41465, lon: 36.39085 });
    const marker = page.locator(`#map path[data-event-id="${EVENT}"]`);
    await marker.waitFor({ state: 'attached' });
    const title = hostile(event.properties.title, 'the event title');
    assert.ok((await marker.getAttribute('aria-label')).endsWith(`: ${title}`), "the marker's accessible name ends with the title, as text");
    await marker.focus();
    await page.keyboard.press('Enter');

    const section = page.locator(`.leaflet-popup-content .popup-event[data-event-id="${EVENT}"]`);
    await section.waitFor();
    assert.equal(await section.locator('h3').textContent(), title, 'the heading is the title, as text');
    assert.equal(
      await section.locator('.popup-event-description').textContent(),
      hostile(event.properties.description, 'the event description'),
      'the description is shown as text',
    );
    const regionName = (await api('/api/collections/regions/items?limit=10000')).features.find((f) => (f.id ?? f.properties.id) === GHAB).properties.name;
    assert.ok((await section.locator('.popup-event-date').textContent()).endsWith(` · ${regionName}`), "the event's region is named as text");
    await assertSources(section.locator('ul.sources'), event.properties.sources, 'the event');
    await assertClean(page, problems, 'event popup');
  });

  hostileTest('place names show as text in the search results and the town labels', async (page, problems) => {
    const places = (await api('/places.geojson')).features;
    const town = places.find((f) => (f.id ?? f.properties.id) === TOWN);
    assert.ok(town?.properties.major, `${TOWN} is a major place`);
    const name = hostile(town.properties.name, `${TOWN}'s name`);
    await openMap(page, { ...GHAB_VIEW, z: 9 });

    await waitInPage(page, () => document.querySelectorAll('.town-name').length > 0);
    const labels = await texts(page, '.town-name');
    for (const place of places.filter((f) => f.properties.major)) {
      assert.ok(labels.includes(place.properties.name), `the town label of ${place.properties.name} is text`);
    }

    await page.locator('#place-search').fill('Suqaylab');
    await page.locator('#place-results .place-result').first().waitFor();
    assert.deepEqual(await texts(page, '#place-results .place-name'), [name], 'the result is the name, as text');
    await assertClean(page, problems, 'search results');
    await page.locator('#place-results .place-result').first().click();
    assert.equal(await page.locator('#place-search').inputValue(), name, 'the chosen name fills the search box');
    await assertClean(page, problems, 'after choosing a place');
  });

  hostileTest('the edit panel lists region and faction names as text', async (page, problems) => {
    assert.ok(TOKEN, 'set FRONTLINE_TOKEN (cargo test --test browser does)');
    const regions = (await api(`/api/collections/regions/items?at=${GHAB_VIEW.date}&limit=10000`)).features;
    const stats = await api(`/api/stats?at=${GHAB_VIEW.date}`);
    await openMap(page, GHAB_VIEW);
    await page.locator('#edit-open').click();
    await page.locator('#edit-panel').waitFor({ state: 'visible' });
    await page.locator('#edit-token').fill(TOKEN);
    await page.locator('#edit-signin').click();
    await waitInPage(page, (n) => document.querySelectorAll('#edit-region option[value]:not([value=""])').length >= n, regions.length);

    const options = await page.locator('#edit-region option').evaluateAll((nodes) =>
      Object.fromEntries(nodes.filter((o) => o.value).map((o) => [o.value, o.textContent])),
    );
    for (const region of regions) {
      const name = hostile(region.properties.name, `region ${region.id}'s name`);
      assert.ok(options[region.id]?.startsWith(name), `the option for ${region.id} is its name as text: ${JSON.stringify(options[region.id])}`);
    }
    const factions = await texts(page, '#edit-factions-list label');
    for (const faction of stats.factions) {
      assert.ok(factions.includes(hostile(faction.name, `faction ${faction.id}'s name`)), `the checkbox for ${faction.id} is labelled with its name as text`);
    }
    await assertClean(page, problems, 'edit panel');
  });

  hostileTest('markup in the permalink is ignored', async (page, problems) => {
    const hash = new URLSearchParams({ date: `2015-08-20${PAYLOAD}`, lat: `35.6${PAYLOAD}`, lon: '36.3', z: '9' });
    await page.goto(`${BASE}/#${hash}`, { waitUntil: 'load' });
    await waitInPage(page, () => document.querySelectorAll('#map path.region').length >= 5);
    await waitInPage(page, () => /^#date=\d{4}-\d\d-\d\d&lat=/.test(location.hash));
    assert.doesNotMatch(await page.evaluate(() => decodeURIComponent(location.hash)), /</, 'the page rewrites the hash from what it understood');
    assert.match(await page.locator('#date-label').textContent(), /^\d{1,2} \w+ \d{4}$/, 'the date label is a date');
    await assertClean(page, problems, 'hostile permalink');
  });
});
