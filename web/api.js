// The only module that knows URLs or calls `fetch`. Every function returns parsed JSON or
// throws an Error whose message names the URL and, for an RFC 9457 problem, its detail.

const REGIONS = '/api/collections/regions/items';
const EVENTS = '/api/collections/events/items';

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
  const response = await fetch(url, { signal, headers: { Accept: 'application/json, application/geo+json' } });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      detail = problem.detail ?? detail;
    } catch {
      // The body was not JSON; the status text will do.
    }
    throw new Error(`${url}: ${response.status} ${detail}`);
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

/** Every dated event (GeoJSON FeatureCollection of Points). */
export function fetchEvents(signal) {
  return getJson(`${EVENTS}?limit=10000`, signal);
}

/** Area per faction on `date`: `{at, factions: [{id, name, color, area_km2}], contested_km2, …}`. */
export function fetchStats(date, signal) {
  return getJson(`/api/stats?at=${encodeURIComponent(date)}`, signal);
}

/** Every control change and event date: `{changes: [{date, region, control}], events: […]}`. */
export function fetchTimeline(signal) {
  return getJson('/api/timeline', signal);
}

/** The regions containing a point on `date`, smallest first, or the nearest one. */
export function queryPoint({ lon, lat }, date, signal) {
  const params = new URLSearchParams({ lon: lon.toFixed(5), lat: lat.toFixed(5), at: date });
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
