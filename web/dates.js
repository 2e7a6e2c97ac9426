// Calendar dates as `YYYY-MM-DD` strings (what the API speaks), day numbers for the slider,
// and dates in words ("20 August 2015") for people. All arithmetic is in UTC, so no time zone
// or daylight-saving change ever shifts a day.

/** The first day the map can show: the month the uprising began. */
export const FIRST_DATE = '2011-03-01';

const MS_PER_DAY = 86_400_000;
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

function parts(iso) {
  return iso.split('-').map(Number);
}

function utcMs(iso) {
  const [year, month, day] = parts(iso);
  return Date.UTC(year, month - 1, day);
}

/** True when `value` is a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value) {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return false;
  }
  return new Date(utcMs(value)).toISOString().slice(0, 10) === value;
}

/** Today's date in the user's time zone, `YYYY-MM-DD`. */
export function todayIso() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Days from `FIRST_DATE` to `iso` (0 for `FIRST_DATE`). */
export function dayIndex(iso) {
  return Math.round((utcMs(iso) - utcMs(FIRST_DATE)) / MS_PER_DAY);
}

/** The date `index` days after `FIRST_DATE`. */
export function dateFromIndex(index) {
  return new Date(utcMs(FIRST_DATE) + index * MS_PER_DAY).toISOString().slice(0, 10);
}

/** `iso` moved into [`first`, `last`] (string order is date order for `YYYY-MM-DD`). */
export function clampDate(iso, first, last) {
  if (iso < first) {
    return first;
  }
  return iso > last ? last : iso;
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from, to) {
  return Math.round((utcMs(to) - utcMs(from)) / MS_PER_DAY);
}

/**
 * A date in words at the precision the sources support: "20 August 2015" (`day`, the
 * default), "August 2015" (`month`) or "2015" (`year`).
 */
export function formatDate(iso, precision = 'day') {
  const [year, month, day] = parts(iso);
  if (precision === 'year') {
    return String(year);
  }
  if (precision === 'month') {
    return `${MONTHS[month - 1]} ${year}`;
  }
  return `${day} ${MONTHS[month - 1]} ${year}`;
}
