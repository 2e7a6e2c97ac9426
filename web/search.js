// Place search: matches English (GeoNames too) or Arabic names, ignoring case and Latin
// diacritics ("shughur" finds "Jisr ash Shughūr"); results are buttons in #place-results.

import { arabic, el } from './dom.js';

const MAX_RESULTS = 8;

/** Lower case, without diacritics, apostrophes or hyphens: what matching compares. */
export function normalize(text) {
  return (text ?? '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[’‘'ʿʾ`]/g, '')
    .replace(/[-_]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

export class PlaceSearch {
  /**
   * @param {HTMLInputElement} input #place-search
   * @param {HTMLElement} results #place-results
   * @param {{onChoose: (feature: object) => void}} options
   */
  constructor(input, results, { onChoose }) {
    this.input = input;
    this.results = results;
    this.onChoose = onChoose;
    this.places = [];
    input.addEventListener('input', () => this.show(this.find(input.value)));
    input.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') {
        this.results.querySelector('button')?.focus();
        event.preventDefault();
      } else if (event.key === 'Enter') {
        const first = this.find(input.value)[0];
        if (first) {
          this.choose(first);
        }
        event.preventDefault();
      } else if (event.key === 'Escape') {
        this.clear();
      }
    });
    results.addEventListener('keydown', (event) => {
      const buttons = [...this.results.querySelectorAll('button')];
      const index = buttons.indexOf(document.activeElement);
      if (event.key === 'ArrowDown' && index >= 0) {
        buttons[Math.min(index + 1, buttons.length - 1)].focus();
        event.preventDefault();
      } else if (event.key === 'ArrowUp' && index >= 0) {
        (index === 0 ? this.input : buttons[index - 1]).focus();
        event.preventDefault();
      } else if (event.key === 'Escape') {
        this.clear();
        this.input.focus();
      }
    });
  }

  /** Sets the searchable places (GeoJSON Points with `name`, `name_ar`, `name_geonames`). */
  setPlaces(collection) {
    this.places = collection.features.map((feature) => ({
      feature,
      keys: [feature.properties.name, feature.properties.name_geonames, feature.properties.name_ar].filter(Boolean).map(normalize),
    }));
  }

  /** Up to MAX_RESULTS places matching `query`: prefix matches first, then major towns. */
  find(query) {
    const q = normalize(query);
    if (!q) {
      return [];
    }
    const rank = (place) => {
      const prefix = place.keys.some((k) => k.startsWith(q) || k.includes(` ${q}`)) ? 0 : 2;
      return prefix + (place.feature.properties.major ? 0 : 1);
    };
    return this.places
      .filter((place) => place.keys.some((k) => k.includes(q)))
      .sort((a, b) => rank(a) - rank(b) || a.feature.properties.name.localeCompare(b.feature.properties.name))
      .slice(0, MAX_RESULTS)
      .map((place) => place.feature);
  }

  /**
   * The place nearest to `{lon, lat}` within `maxKm` kilometres (a local flat-earth distance,
   * fine at that range), or null.
   */
  nearest({ lon, lat }, maxKm = 15) {
    const k = Math.cos((lat * Math.PI) / 180);
    let best = null;
    let bestKm = maxKm;
    for (const { feature } of this.places) {
      const [x, y] = feature.geometry.coordinates;
      const km = Math.hypot((x - lon) * k, y - lat) * 111.32;
      if (km <= bestKm) {
        best = feature;
        bestKm = km;
      }
    }
    return best;
  }

  show(features) {
    this.results.replaceChildren(
      ...features.map((feature) => {
        const { name, name_ar: nameAr } = feature.properties;
        const button = el('button', { type: 'button', class: 'place-result' }, el('span', { class: 'place-name' }, name), nameAr ? [' ', arabic(nameAr)] : null);
        button.addEventListener('click', () => this.choose(feature));
        return el('li', {}, button);
      }),
    );
    if (features.length === 0 && normalize(this.input.value)) {
      this.results.append(el('li', { class: 'place-none' }, 'No place found'));
    }
    this.results.hidden = this.results.childElementCount === 0;
  }

  choose(feature) {
    this.input.value = feature.properties.name;
    this.clear();
    this.onChoose(feature);
  }

  clear() {
    this.results.replaceChildren();
    this.results.hidden = true;
  }
}
