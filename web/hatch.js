// SVG hatch patterns for contested regions: one `<pattern id="hatch-a-b…">` per combination of
// factions, diagonal stripes in each faction's colour (in the order the control entry lists
// them) separated by thin dark lines, so the hatching still reads when printed in greyscale.

import { isHexColor, svgEl } from './dom.js';

const STRIPE_PX = 7;
const SEPARATOR_PX = 1.5;
const UNKNOWN_COLOR = '#9e9e9e';

/** The `id` of the pattern for `factionIds`, e.g. `hatch-government-fsa`. */
export function hatchId(factionIds) {
  return `hatch-${factionIds.join('-')}`;
}

/**
 * Hatch patterns kept in the `<defs>` of one SVG element (Leaflet's SVG renderer).
 * `colorOf(id)` returns a faction's `#rrggbb` colour.
 */
export class HatchPatterns {
  constructor(svgElement, colorOf) {
    this.colorOf = colorOf;
    this.defs = svgElement.querySelector(':scope > defs') ?? svgElement.insertBefore(svgEl('defs'), svgElement.firstChild);
  }

  /** A `fill` value, `url(#hatch-…)`, for `factionIds`; creates the pattern the first time. */
  fill(factionIds) {
    const id = hatchId(factionIds);
    if (!this.defs.querySelector(`pattern[id="${CSS.escape(id)}"]`)) {
      this.defs.append(this.pattern(id, factionIds));
    }
    return `url(#${id})`;
  }

  pattern(id, factionIds) {
    const width = STRIPE_PX * factionIds.length;
    const pattern = svgEl('pattern', {
      id,
      class: 'hatch',
      patternUnits: 'userSpaceOnUse',
      width,
      height: width,
      patternTransform: 'rotate(45)',
    });
    factionIds.forEach((factionId, i) => {
      const color = this.colorOf(factionId);
      pattern.append(
        svgEl('rect', {
          x: i * STRIPE_PX,
          y: 0,
          width: STRIPE_PX,
          height: width,
          fill: isHexColor(color) ? color : UNKNOWN_COLOR,
          'data-faction': factionId,
        }),
        svgEl('rect', { x: i * STRIPE_PX, y: 0, width: SEPARATOR_PX, height: width, fill: '#1a1a1a', 'fill-opacity': 0.7 }),
      );
    });
    return pattern;
  }
}
