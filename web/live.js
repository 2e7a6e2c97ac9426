// Live updates: listens to the server's change stream and calls `onChange` once a burst of
// changes has settled, so the page can redraw the selected date without a reload. The stream
// opens only after `GET /api/changes` answers, so a server without the feed causes no errors.
// A reload of the data files is not a change in the stream: the server's data version is asked
// for every VERSION_POLL_MS (and when the tab is shown again), and a new one means "redraw all".

import * as api from './api.js';

/** Wait this long after the last change of a burst before redrawing (ms). */
const SETTLE_MS = 300;
/** After the stream fails for good, ask again after this long, doubling up to the maximum (ms). */
const RETRY_MIN_MS = 30_000;
const RETRY_MAX_MS = 300_000;
/** How many missed changes to ask for after a reconnect; more than this just means "redraw". */
const CATCH_UP_LIMIT = 100;
/** How often a visible page asks for the data version (ms). */
const VERSION_POLL_MS = 10_000;

/**
 * What a stored change is about: `'control'` (a region's entry or a control area), `'event'`,
 * or null when it cannot tell.
 */
function subjectOf(change) {
  if (change.kind === 'control' || change.kind === 'area') {
    return 'control';
  }
  if (change.kind === 'event') {
    return 'event';
  }
  if (change.kind === 'revert') {
    // A revert names no kind: what it puts back or takes away is a region's entry (no
    // geometry), an event (a Point feature) or a control area (a Polygon feature).
    const item = change.after ?? change.before;
    if (item?.type === 'Feature') {
      return item.geometry?.type === 'Point' ? 'event' : 'control';
    }
    if (typeof item?.from === 'string') {
      return 'control';
    }
  }
  return null;
}

/**
 * What a burst of `changes` (as `onChange` gets them) touched: `{regions, events}`. Control
 * entries and areas change the control map, events the events, a revert what it undoes; an
 * empty burst (after a gap in the stream or a reload of the data files) or a change of unknown
 * kind, everything.
 * @param {object[]} changes
 * @returns {{regions: boolean, events: boolean}}
 */
export function changeScope(changes) {
  if (changes.length === 0) {
    return { regions: true, events: true };
  }
  const scope = { regions: false, events: false };
  for (const change of changes) {
    const subject = subjectOf(change);
    scope.regions ||= subject !== 'event';
    scope.events ||= subject !== 'control';
  }
  return scope;
}

export class LiveUpdates {
  /**
   * @param {{onChange: (changes: object[]) => void}} options `changes` are the changes of one
   *   burst, oldest first; empty when anything may have changed (a gap, a reload; see `changeScope`)
   */
  constructor({ onChange }) {
    this.onChange = onChange;
    this.source = null;
    /** The newest change this page has seen, so a change it made itself is not redrawn twice. */
    this.lastId = null;
    this.pending = [];
    /** Whether the burst being settled may hold more than `pending` says. */
    this.pendingAll = false;
    this.settleTimer = null;
    this.retryTimer = null;
    this.retryMs = RETRY_MIN_MS;
    this.opened = false;
    /** The server's data version when last asked; null until it first answers. */
    this.version = null;
    this.versionTimer = null;
    this.watchingVisibility = false;
  }

  /** Starts listening if the server has a change feed; returns whether it does. */
  async start() {
    this.stop();
    this.watchVersion();
    let feed;
    try {
      feed = await api.fetchChanges(null, 0);
    } catch (error) {
      if (error.status !== 404) {
        this.retryLater(); // the server is away or busy; a server without the feed stays quiet
      }
      return false;
    }
    this.lastId = Math.max(this.lastId ?? 0, Number(feed.last_id) || 0);
    this.opened = false;
    const source = api.openChangeStream();
    this.source = source;
    source.addEventListener('change', (event) => this.received(event.data));
    source.addEventListener('open', () => {
      this.retryMs = RETRY_MIN_MS;
      if (this.opened) {
        this.catchUp(); // a reconnect: changes may have been made while the stream was down
      }
      this.opened = true;
    });
    source.addEventListener('error', () => {
      // CONNECTING: the EventSource retries by itself. CLOSED: the server refused the stream.
      if (source.readyState === EventSource.CLOSED) {
        this.stop();
        this.retryLater();
      }
    });
    return true;
  }

  /** Closes the stream and cancels pending work. */
  stop() {
    this.source?.close();
    this.source = null;
    clearTimeout(this.settleTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.versionTimer);
    this.settleTimer = null;
    this.retryTimer = null;
    this.versionTimer = null;
  }

  /** Records that this page already shows change `id` (it made it), so its event is skipped. */
  seen(id) {
    if (Number.isInteger(id) && id > (this.lastId ?? 0)) {
      this.lastId = id;
    }
  }

  received(data) {
    try {
      this.accept(JSON.parse(data));
    } catch {
      // Not a change: nothing to redraw.
    }
  }

  accept(change) {
    if (typeof change !== 'object' || change === null) {
      return;
    }
    if (Number.isInteger(change.id) && this.lastId !== null && change.id <= this.lastId) {
      return;
    }
    this.seen(change.id);
    this.pending.push(change);
    this.settle();
  }

  /** Calls `onChange` once the burst has settled; `everything` when it cannot tell what changed. */
  settle(everything = false) {
    this.pendingAll ||= everything;
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      const changes = this.pendingAll ? [] : this.pending;
      this.pending = [];
      this.pendingAll = false;
      this.settleTimer = null;
      this.onChange(changes);
    }, SETTLE_MS);
  }

  async catchUp() {
    try {
      const missed = await api.fetchChanges(this.lastId, CATCH_UP_LIMIT);
      for (const change of missed.changes) {
        this.accept(change);
      }
      const more = missed.changes.length >= CATCH_UP_LIMIT;
      if (more || (missed.changes.length === 0 && Number(missed.last_id) > (this.lastId ?? 0))) {
        this.seen(Number(missed.last_id));
        this.settle(true);
      }
    } catch {
      this.settle(true); // cannot tell what was missed: redraw everything
    }
  }

  retryLater() {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.start(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /** Asks for the data version now and every VERSION_POLL_MS, and whenever the tab is shown. */
  watchVersion() {
    if (!this.watchingVisibility) {
      this.watchingVisibility = true;
      document.addEventListener('visibilitychange', () => {
        if (!document.hidden && this.versionTimer !== null) {
          this.checkVersion();
        }
      });
    }
    this.checkVersion();
  }

  /** A new data version redraws everything: it may be a reload the stream does not report. */
  async checkVersion() {
    clearTimeout(this.versionTimer);
    this.versionTimer = setTimeout(() => this.checkVersion(), VERSION_POLL_MS);
    if (document.hidden) {
      return; // a hidden tab asks when it is shown again
    }
    let version;
    try {
      version = String((await api.fetchHealth()).data_version);
    } catch {
      return; // the server is away: ask again at the next tick
    }
    if (this.versionTimer === null) {
      return; // stopped meanwhile
    }
    // Also after a change from the stream, whose redraw may have missed a reload: the extra
    // redraw costs little (what was fetched at this version answers 304, and nothing unchanged
    // is redrawn).
    if (this.version !== null && version !== this.version) {
      this.settle(true);
    }
    this.version = version;
  }
}
