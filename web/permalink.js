// The permalink: the URL hash `#date=2015-08-20&lat=35.600&lon=36.300&z=9` mirrors the selected
// date and the map view. It is rewritten with history.replaceState (no history entries, no
// hashchange event) and read on load and whenever the user edits the hash.

import { isIsoDate } from './dates.js';

/**
 * Reads a hash into `{date, view}`; each part is null when missing or invalid.
 * @returns {{date: string | null, view: {lat: number, lon: number, zoom: number} | null}}
 */
export function readHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const date = params.get('date');
  const lat = Number.parseFloat(params.get('lat') ?? '');
  const lon = Number.parseFloat(params.get('lon') ?? '');
  const zoom = Number.parseInt(params.get('z') ?? '', 10);
  const viewOk = Number.isFinite(lat) && Math.abs(lat) <= 90 && Number.isFinite(lon) && Math.abs(lon) <= 180 && Number.isFinite(zoom);
  return {
    date: isIsoDate(date) ? date : null,
    view: viewOk ? { lat, lon, zoom } : null,
  };
}

/** Writes a hash for `date` and `view` (3 decimals ≈ 100 m). */
export function formatHash(date, { lat, lon, zoom }) {
  return `#date=${date}&lat=${lat.toFixed(3)}&lon=${lon.toFixed(3)}&z=${Math.round(zoom)}`;
}

/** Replaces the current URL's hash without adding a history entry. */
export function writeHash(date, view) {
  const hash = formatHash(date, view);
  if (window.location.hash !== hash) {
    window.history.replaceState(window.history.state, '', hash);
  }
}

/** Calls `callback(readHash(...))` whenever the user changes the hash. */
export function onHashChange(callback) {
  window.addEventListener('hashchange', () => callback(readHash(window.location.hash)));
}
