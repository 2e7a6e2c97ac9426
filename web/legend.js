// The legend in #legend: one row per faction (colour swatch, name, area on the selected date
// from /api/stats), plus rows explaining the hatching of contested regions and the grey of
// unknown ones. Factions with no land on the date stay listed but dimmed.

import { formatDate } from './dates.js';
import { el, formatKm2, isHexColor } from './dom.js';
import { UNKNOWN_FILL } from './map.js';

function areaCell(areaKm2) {
  return el('span', { class: 'legend-area', 'data-area-km2': areaKm2 }, formatKm2(areaKm2));
}

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

  /** Shows the areas of `stats` (the /api/stats answer for one date). */
  update(stats) {
    this.caption.textContent = `Area on ${formatDate(stats.at)}`;
    const rows = stats.factions.map((faction) => {
      const swatch = el('span', { class: 'legend-swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = isHexColor(faction.color) ? faction.color : UNKNOWN_FILL;
      return el(
        'li',
        { class: `legend-item${faction.area_km2 > 0 ? '' : ' is-empty'}`, 'data-faction': faction.id },
        swatch,
        el('span', { class: 'legend-name' }, faction.name),
        areaCell(faction.area_km2),
      );
    });
    rows.push(
      el(
        'li',
        { class: `legend-item${stats.contested_km2 > 0 ? '' : ' is-empty'}`, 'data-kind': 'contested' },
        el('span', { class: 'legend-swatch swatch-contested', 'aria-hidden': 'true' }),
        el('span', { class: 'legend-name' }, 'Contested: stripes in the colours of the factions involved, dashed outline'),
        areaCell(stats.contested_km2),
      ),
      el(
        'li',
        { class: `legend-item${stats.unknown_km2 > 0 ? '' : ' is-empty'}`, 'data-kind': 'unknown' },
        el('span', { class: 'legend-swatch swatch-unknown', 'aria-hidden': 'true' }),
        el('span', { class: 'legend-name' }, 'Unknown: no sourced record yet'),
        areaCell(stats.unknown_km2),
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
