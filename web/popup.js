// Popup contents, built as elements (never HTML strings): the answer to "what was here on this
// date?" for a clicked point, and an event's details.

import { formatDate } from './dates.js';
import { arabic, el, isHttpUrl } from './dom.js';

/** "Loading…" while a point query runs. */
export function loadingContent() {
  return el('div', { class: 'popup-query', 'aria-busy': 'true' }, el('p', { class: 'popup-loading' }, 'Loading…'));
}

/** Shown when a query failed. */
export function errorContent(message) {
  return el('div', { class: 'popup-query' }, el('p', { class: 'popup-error', role: 'alert' }, `Could not load this place: ${message}`));
}

/** Joins names as "A", "A and B", "A, B and C". */
function listWords(words) {
  if (words.length <= 1) {
    return words.join('');
  }
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** One line on who held a place: "Held by X" / "Contested between X and Y" / "Unknown". */
function controlWords(control, factionName) {
  const names = (control?.factions ?? []).map(factionName);
  switch (control?.status) {
    case 'held':
      return `Held by ${listWords(names)}`;
    case 'contested':
      return `Contested between ${listWords(names)}`;
    default:
      return 'Control unknown (no sourced statement covers this place on this date)';
  }
}

function statusBadge(status) {
  const words = { held: 'Held', contested: 'Contested', unknown: 'Unknown' };
  return el('span', { class: 'status-badge', 'data-status': status }, words[status] ?? status);
}

/** Sources as a list of links; only http(s) URLs become links, the rest stay plain text. */
export function sourceList(sources) {
  if (!sources?.length) {
    return null;
  }
  return el(
    'ul',
    { class: 'sources' },
    sources.map((source) =>
      el(
        'li',
        {},
        isHttpUrl(source.url)
          ? el('a', { class: 'source-link', href: source.url, target: '_blank', rel: 'noopener noreferrer' }, source.title || source.url)
          : source.title,
        source.published ? el('span', { class: 'source-date' }, ` (${formatDate(source.published)})`) : null,
      ),
    ),
  );
}

/** Where a statement comes from: a drawn control area, or a region's whole polygon. */
function statementWords(statement, regionName) {
  if (!statement) {
    return null;
  }
  if (statement.scope === 'region') {
    const [region] = statement.id.split('@');
    return `Statement about the whole of ${regionName(region)} (${statement.id})`;
  }
  return `Control area ${statement.id}`;
}

/** The statement in force at the point: who held it, since when, what the sources say. */
function controlSection(control, { factionName, regionName }) {
  const status = control?.status ?? 'unknown';
  return el(
    'section',
    { class: 'popup-statement', 'data-status': status, 'data-statement-id': control?.statement?.id ?? '' },
    el('p', { class: 'popup-control' }, statusBadge(status), ' ', controlWords(control, factionName)),
    control?.since ? el('p', { class: 'popup-since' }, `Since ${formatDate(control.since, control.precision ?? 'day')}`) : null,
    control?.note ? el('p', { class: 'popup-note' }, control.note) : null,
    sourceList(control?.sources),
    control?.statement ? el('p', { class: 'popup-statement-id' }, statementWords(control.statement, regionName)) : null,
  );
}

/** A region's shares on the date: "Government 14.4 % (90.9 km²)". */
function shareList(shares, factionName) {
  if (!shares?.length) {
    return null;
  }
  const holderName = (holder) => (holder === 'contested' ? 'Contested' : holder === 'unknown' ? 'No record' : factionName(holder));
  return el(
    'ul',
    { class: 'shares' },
    shares.map((share) =>
      el('li', { 'data-holder': share.holder }, `${holderName(share.holder)} ${share.percent.toFixed(1)} % (${share.km2.toFixed(1)} km²)`),
    ),
  );
}

/** Every statement that ever covered the point, by date; the one in force marked. */
function historyList(history, current, factionName) {
  if (!history?.length) {
    return null;
  }
  return [
    el('h4', { class: 'history-title' }, 'History of this place'),
    el(
      'ol',
      { class: 'history' },
      history.map((entry) =>
        el(
          'li',
          { 'data-from': entry.since, 'aria-current': entry.statement?.id === current ? 'true' : null },
          el('span', { class: 'history-date' }, formatDate(entry.since, entry.precision ?? 'day')),
          ': ',
          controlWords(entry, factionName),
        ),
      ),
    ),
  ];
}

/**
 * The answer to a point query (`/api/query` with `history=true`): the statement in force and
 * its sources, each region's shares (names from `regionsById`, features of the regions
 * endpoint), and the place's history; faction names from `factionName(id)`. `events` (GeoJSON
 * features) are the event markers under the pointer; they come first.
 */
export function queryContent(answer, { regionsById, factionName, events = [] }) {
  const regionName = (id) => regionsById.get(id)?.properties.name ?? id;
  const [lon, lat] = [answer.point.lon, answer.point.lat];
  const where = `${Math.abs(lat).toFixed(3)}° ${lat >= 0 ? 'N' : 'S'}, ${Math.abs(lon).toFixed(3)}° ${lon >= 0 ? 'E' : 'W'}`;
  const root = el(
    'div',
    { class: 'popup-query', 'data-at': answer.at },
    events.map((event) => eventContent(event, { regionName })),
    el('p', { class: 'popup-where' }, `${where}, on ${formatDate(answer.at)}`),
    controlSection(answer.control, { factionName, regionName }),
  );
  for (const region of answer.regions) {
    const feature = regionsById.get(region.id);
    root.append(
      el(
        'section',
        { class: 'popup-region', 'data-region-id': region.id, 'data-status': region.status ?? 'unknown' },
        el('h3', {}, region.name),
        feature?.properties.name_ar ? arabic(feature.properties.name_ar, 'p') : null,
        region.parent ? el('p', { class: 'popup-parent' }, `Part of ${regionName(region.parent)}`) : null,
        shareList(region.shares, factionName),
      ),
    );
  }
  if (answer.regions.length === 0) {
    root.append(
      answer.nearest
        ? el('p', { class: 'popup-nearest' }, `Nearest region: ${answer.nearest.name}, ${answer.nearest.distance_km.toFixed(1)} km away`)
        : el('p', { class: 'popup-nearest' }, 'Outside all mapped regions'),
    );
  }
  root.append(...(historyList(answer.history, answer.control?.statement?.id, factionName) ?? []));
  return root;
}

/** An event (GeoJSON feature): title, date (at its precision), description and sources. */
export function eventContent(feature, { regionName }) {
  const properties = feature.properties;
  return el(
    'section',
    { class: 'popup-event', 'data-event-id': feature.id },
    el('h3', {}, properties.title),
    el('p', { class: 'popup-event-date' }, formatDate(properties.date, properties.precision ?? 'day'), properties.region ? ` · ${regionName(properties.region)}` : null),
    properties.description ? el('p', { class: 'popup-event-description' }, properties.description) : null,
    sourceList(properties.sources),
  );
}

