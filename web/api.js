// The only module that knows URLs or calls `fetch`. Every function returns parsed JSON or
// throws an `ApiError` whose message names the URL and, for an RFC 9457 problem, its detail.
// Edits send the editor's token as `Authorization: Bearer …`; it never goes into a URL.

const REGIONS = '/api/collections/regions/items';
const CONTROL = '/api/collections/control/items';
const FRONTS = '/api/collections/front-lines/items';
const STATEMENTS = '/api/collections/control-statements/items';
const EVENTS = '/api/collections/events/items';
const CHANGES = '/api/changes';
const CHANGE_STREAM = '/api/changes/stream';
const HEALTH = '/healthz';

/** How long the server lets browsers reuse a data response without asking (its max-age, ms). */
const SERVER_MAX_AGE_MS = 60_000;
/** Until then, data requests revalidate with the server, because the data changed meanwhile. */
let revalidateUntil = 0;

/** A failed request: `status` is the HTTP status (0 when there was no answer), `problem` its body. */
export class ApiError extends Error {
  constructor(message, status, problem = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Tells this module the data changed on the server: for as long as a browser may still hold an
 * older answer, requests revalidate (ETag) instead of reusing it.
 */
export function noteDataChanged() {
  revalidateUntil = Date.now() + SERVER_MAX_AGE_MS;
}

/** The `ApiError` for a response that is not ok, with its problem+json body when it has one. */
async function failure(url, response) {
  let detail = response.statusText;
  let problem = null;
  try {
    problem = await response.json();
    detail = problem?.detail ?? detail;
  } catch {
    // The body was not JSON; the status text will do.
  }
  return new ApiError(`${url}: ${response.status} ${detail}`, response.status, problem);
}

/** OpenStreetMap's standard tiles, used only when the user turns that layer on. */
export const OSM_TILES = {
  url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
  attribution:
    '&copy; <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener noreferrer">OpenStreetMap</a> contributors',
};

/** Credits for the bundled basemap and town positions (Leaflet attribution HTML, our own text). */
export const BASEMAP_ATTRIBUTION =
  'Basemap: <a href="https://www.naturalearthdata.com/" target="_blank" rel="noopener noreferrer">Natural Earth</a>' +
  ' · Towns: <a href="https://www.geonames.org/" target="_blank" rel="noopener noreferrer">GeoNames</a> (CC BY 4.0)';

async function getJson(url, signal) {
  const cache = Date.now() < revalidateUntil ? 'no-cache' : 'default';
  const response = await fetch(url, { signal, cache, headers: { Accept: 'application/json, application/geo+json' } });
  if (!response.ok) {
    throw await failure(url, response);
  }
  return response.json();
}

/** The URL of every region with its control on `date` (GeoJSON); also the download link. */
export function regionsUrl(date) {
  return `${REGIONS}?at=${encodeURIComponent(date)}&limit=10000`;
}

/** Every region with its control on `date` and its full history (GeoJSON FeatureCollection). */
export function fetchRegions(date, signal) {
  return getJson(regionsUrl(date), signal);
}

/**
 * The control map of `date`: one feature per statement in force, its geometry the part in force
 * (MultiPolygon), properties `statement`, `status`, `holder`, `factions`, `color`, `since`, ….
 */
export function fetchControl(date, signal) {
  return getJson(`${CONTROL}?at=${encodeURIComponent(date)}&limit=10000`, signal);
}

/** Where two holders meet on `date`: MultiLineString features with `properties.sides: [a, b]`. */
export function fetchFronts(date, signal) {
  return getJson(`${FRONTS}?at=${encodeURIComponent(date)}&limit=10000`, signal);
}

/** Every dated event (GeoJSON FeatureCollection of Points). */
export function fetchEvents(signal) {
  return getJson(`${EVENTS}?limit=10000`, signal);
}

/**
 * Area per faction on `date`: `{at, factions: [{id, name, color, area_km2}], contested_km2, …}`;
 * with a `from` date also `changes: [{holder, gained_km2, lost_km2}]` since then.
 */
export function fetchStats(date, from, signal) {
  const params = new URLSearchParams({ at: date });
  if (from) {
    params.set('from', from);
  }
  return getJson(`/api/stats?${params}`, signal);
}

/**
 * Every statement's date and every event date:
 * `{changes: [{date, statement: {id, scope}, region, control}], events: […]}`.
 */
export function fetchTimeline(signal) {
  return getJson('/api/timeline', signal);
}

/**
 * Who held a point on `date`: the statement in force, the regions containing it with their
 * shares (or the nearest region), and every statement that ever covered it (`history`).
 */
export function queryPoint({ lon, lat }, date, signal) {
  const params = new URLSearchParams({ lon: lon.toFixed(5), lat: lat.toFixed(5), at: date, history: 'true' });
  return getJson(`/api/query?${params}`, signal);
}

/** Towns for search and labels (GeoJSON Points with `name`, `name_ar`, `major`). */
export function fetchPlaces(signal) {
  return getJson('/places.geojson', signal);
}

/** The bundled light basemap: land, borders, coasts and country labels (GeoJSON). */
export function fetchBasemap(signal) {
  return getJson('/vendor/basemap/countries.geojson', signal);
}

/** The bundled context lines: the Orontes, the M4 and the M5, with their labels (GeoJSON). */
export function fetchContext(signal) {
  return getJson('/vendor/basemap/context.geojson', signal);
}

/** Credits for the context lines (Leaflet attribution HTML, our own text). */
export const CONTEXT_ATTRIBUTION = 'Orontes, M4, M5: traced (GeoNames, Wikipedia)';

/** Headers that carry the editor's `token`. */
function authorized(token, headers = {}) {
  return { ...headers, Accept: 'application/json', Authorization: `Bearer ${token}` };
}

/**
 * Who `token` belongs to: `{author}`. Throws an `ApiError` with status 401 when the token is
 * wrong and 403 when the server is read-only (its `detail` says how to enable editing).
 */
export async function whoami(token, signal) {
  const url = '/api/whoami';
  const response = await fetch(url, { signal, cache: 'no-store', headers: authorized(token) });
  if (!response.ok) {
    throw await failure(url, response);
  }
  return response.json();
}

/**
 * Adds a control entry (`{from, precision, status, factions, note?, sources}`) to region
 * `regionId`. Returns the stored change `{id, time, kind, target, key, before, after, author}`,
 * or `{unchanged: true, target, key}` when the region already had exactly that entry.
 * Throws an `ApiError`: 422 with `problem.errors` listing every problem, 401, 403, …
 */
export async function postControl(regionId, entry, token, signal) {
  const url = `/api/regions/${encodeURIComponent(regionId)}/control`;
  return postChange(url, 'application/json', entry, token, signal);
}

/**
 * Adds a control area, or replaces the one with its id: `feature` is a GeoJSON Feature (`id`, a
 * Polygon, properties `from`, `precision`, `status`, `factions`, `note`, `sources`, `region`?).
 * `base` is the id of the last change to that area this page knows of, `force` replaces it
 * whatever changed since. Returns the stored change, or `{unchanged: true, target, key}`.
 * Throws an `ApiError`: 422 with `problem.errors` (pointers into `feature`), 409 when the id
 * exists and changed since `base`, 401, 403, …
 */
export async function postArea(feature, { base = null, force = false }, token, signal) {
  const params = new URLSearchParams();
  if (base !== null) {
    params.set('base', String(base));
  }
  if (force) {
    params.set('force', 'true');
  }
  const url = `${STATEMENTS}${params.size ? `?${params}` : ''}`;
  return postChange(url, 'application/geo+json', feature, token, signal);
}

/**
 * Posts `body` as JSON of `contentType` to an editing endpoint with the editor's token, and
 * returns the stored change (or `{unchanged: true, …}`); a 201 tells the page the data changed.
 * Throws an `ApiError` on any other status.
 */
async function postChange(url, contentType, body, token, signal) {
  const response = await fetch(url, {
    method: 'POST',
    signal,
    cache: 'no-store',
    headers: authorized(token, { 'Content-Type': contentType }),
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw await failure(url, response);
  }
  const answer = await response.json();
  if (response.status === 201) {
    noteDataChanged();
  }
  return answer;
}

/** Changes after change `since` (all when null), oldest first: `{changes: [change…], last_id}`. */
export async function fetchChanges(since, limit, signal) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (since !== null && since !== undefined) {
    params.set('since', String(since));
  }
  const url = `${CHANGES}?${params}`;
  const response = await fetch(url, { signal, cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!response.ok) {
    throw await failure(url, response);
  }
  return response.json();
}

/**
 * The server's health: `{status, data_version}`. The version changes with every change and every
 * reload of the data files, which the change stream does not report. Never cached.
 */
export async function fetchHealth(signal) {
  const response = await fetch(HEALTH, { signal, cache: 'no-store', headers: { Accept: 'application/json' } });
  if (!response.ok) {
    throw await failure(HEALTH, response);
  }
  return response.json();
}

/**
 * Opens the server's change stream (Server-Sent Events, one `change` event per committed
 * change, `data` the change as JSON). The EventSource reconnects by itself after a dropped
 * connection; the caller closes it.
 */
export function openChangeStream() {
  return new EventSource(CHANGE_STREAM);
}
