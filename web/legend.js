// The legend in #legend: one row per faction (colour swatch, name, area on the selected date
// from /api/stats and its change since the previous step of the timeline), plus rows explaining
// the hatching of contested land, the grey of unknown land, front lines and events. Factions
// with no land on the date stay listed but dimmed.

import { formatDate } from './dates.js';
import { el, formatKm2, isHexColor } from './dom.js';
import { UNKNOWN_FILL } from './map.js';

/** A change of area in words: "+12.3 km²", "−4.1 km²", "±0 km²". */
export function formatChange(km2) {
  const rounded = Math.round(km2 * 10) / 10;
  const digits = Math.abs(rounded).toLocaleString('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  if (rounded === 0) {
    return '±0 km²';
  }
  return `${rounded > 0 ? '+' : '\u2212'}${digits} km²`;
}

/** The net change of `holder`'s area in `changes` (from /api/stats with `from`), or null. */
function netChange(changes, holder) {
  if (!changes) {
    return null;
  }
  const change = changes.find((c) => c.holder === holder);
  return change ? change.gained_km2 - change.lost_km2 : null;
}

/** The area of a row and, when known, its change since the previous step. */
function areaCell(areaKm2, changeKm2) {
  const change =
    changeKm2 === null
      ? null
      : el(
          'span',
          {
            class: `legend-change${changeKm2 > 0 ? ' is-gain' : changeKm2 < 0 ? ' is-loss' : ''}`,
            'data-change-km2': Math.round(changeKm2 * 10) / 10,
          },
          formatChange(changeKm2),
        );
  return el('span', { class: 'legend-area', 'data-area-km2': areaKm2 }, el('span', {}, formatKm2(areaKm2)), change);
}

/** The legend panel. */
export class Legend {
  /** @param {HTMLElement} root the #legend panel (markup in index.html) */
  constructor(root) {
    this.root = root;
    this.list = root.querySelector('#legend-items');
    this.caption = root.querySelector('#legend-date');
    this.toggle = root.querySelector('#legend-toggle');
    this.toggle.addEventListener('click', () => this.setOpen(this.toggle.getAttribute('aria-expanded') !== 'true'));
  }

  /** Expands or collapses the legend body (collapsed by default on small screens). */
  setOpen(open) {
    this.toggle.setAttribute('aria-expanded', String(open));
    this.root.classList.toggle('is-collapsed', !open);
  }

  /**
   * Shows the areas of `stats` (the /api/stats answer for one date) and, when it was asked
   * with `from` (the previous step of the timeline), each holder's change since then.
   * @param {object} stats
   * @param {string | null} from
   */
  update(stats, from) {
    const changes = from && Array.isArray(stats.changes) ? stats.changes : null;
    this.caption.textContent = changes
      ? `Area on ${formatDate(stats.at)}, change since ${formatDate(from)}`
      : `Area on ${formatDate(stats.at)}`;
    const rows = stats.factions.map((faction) => {
      const swatch = el('span', { class: 'legend-swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = isHexColor(faction.color) ? faction.color : UNKNOWN_FILL;
      return el(
        'li',
        { class: `legend-item${faction.area_km2 > 0 ? '' : ' is-empty'}`, 'data-faction': faction.id },
        swatch,
        el('span', { class: 'legend-name' }, faction.name),
        areaCell(faction.area_km2, netChange(changes, faction.id)),
      );
    });
    rows.push(
      el(
        'li',
        { class: `legend-item${stats.contested_km2 > 0 ? '' : ' is-empty'}`, 'data-kind': 'contested' },
        el('span', { class: 'legend-swatch swatch-contested', 'aria-hidden': 'true' }),
        el('span', { class: 'legend-name' }, 'Contested: stripes in the colours of the factions involved, dashed outline'),
        areaCell(stats.contested_km2, netChange(changes, 'contested')),
      ),
      el(
        'li',
        { class: `legend-item${stats.unknown_km2 > 0 ? '' : ' is-empty'}`, 'data-kind': 'unknown' },
        el('span', { class: 'legend-swatch swatch-unknown', 'aria-hidden': 'true' }),
        el('span', { class: 'legend-name' }, 'Unknown: no sourced record yet'),
        areaCell(stats.unknown_km2, null),
      ),
      el(
        'li',
        { class: 'legend-item legend-front', 'data-kind': 'fronts' },
        el('span', { class: 'legend-swatch swatch-front', 'aria-hidden': 'true' }),
        el('span', { class: 'legend-name' }, 'Front line: where two holders meet'),
      ),
      el(
        'li',
        { class: 'legend-item legend-event', 'data-kind': 'events' },
        el('span', { class: 'legend-swatch swatch-event', 'aria-hidden': 'true' }),
        el('span', { class: 'legend-name' }, 'Event (large: in the last 90 days)'),
      ),
    );
    this.list.replaceChildren(...rows);
  }
}
