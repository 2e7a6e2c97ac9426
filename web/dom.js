// Small DOM helpers. Data text enters the page only through these: `textContent`/`append`,
// never `innerHTML`; links are checked with `isHttpUrl`, colours with `isHexColor`.

/**
 * Creates an element. `attrs` are set with `setAttribute` (skipped when null, undefined or
 * false; `true` sets an empty attribute); `children` are nodes or strings (appended as text),
 * arrays of them, or null/undefined/false (skipped).
 * @param {string} tag
 * @param {Record<string, string | number | boolean | null | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined | false | Array<Node | string | null | undefined | false>)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

/** Appends nodes and strings (as text) to `parent`, flattening arrays and skipping empties. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.append(typeof child === 'number' ? String(child) : child);
  }
  return parent;
}

/** Creates an SVG element (for hatch patterns); attributes as for `el`. */
export function svgEl(tag, attrs = {}) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) {
    node.setAttribute(name, String(value));
  }
  return node;
}

/** True when `value` is an absolute `http:` or `https:` URL (so never `javascript:` or `data:`). */
export function isHttpUrl(value) {
  if (typeof value !== 'string') {
    return false;
  }
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** True when `value` is a `#rrggbb` colour, the only data text we ever put into a style. */
export function isHexColor(value) {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value);
}

/** Text with Arabic script, marked up so it is read and laid out right to left. */
export function arabic(text, tag = 'span') {
  return el(tag, { lang: 'ar', dir: 'rtl', class: 'ar' }, text);
}

/** Formats a number of square kilometres, e.g. 3615.4 → "3,615 km²". */
export function formatKm2(value) {
  return `${Math.round(value).toLocaleString('en-GB')} km²`;
}
