// The edit panel in #edit-panel (a modal <dialog>): signs the editor in with a token checked by
// the server, then adds a control entry to a region, or a control area the editor draws on the
// map (draw.js; the panel steps aside while they draw). The token lives in sessionStorage only
// (this tab, until sign-out or the tab closes): never localStorage, a URL or the console. The
// server is the authority on what is valid; the checks here only catch the obvious before
// sending, and its answers (422 with a pointer per problem, 409) are shown by the fields.

import * as api from './api.js';
import { isIsoDate } from './dates.js';
import { el, isHexColor, isHttpUrl } from './dom.js';
import { approxAreaKm2, ringCentre } from './draw.js';

const TOKEN_KEY = 'frontline-editor-token';

/** The token this tab signed in with, or null. */
function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage is disabled: the editor signs in each time
  }
}

function storeToken(token) {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage is disabled; the token stays in memory for this page only.
  }
}

function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing was stored.
  }
}

/** What a statement id may hold (as `frontline check` requires). */
const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

/** The form's fields for each member of the entry or area it sends (see `entry()`, `area()`). */
const FIELDS = {
  id: ['#edit-statement-id'],
  geometry: ['#edit-area'],
  region: ['#edit-region'],
  from: ['#edit-date'],
  precision: ['#edit-precision'],
  status: ['#edit-status'],
  factions: ['#edit-factions'],
  note: ['#edit-note'],
};
/** The form's fields for each member of its one source. */
const SOURCE_FIELDS = {
  title: '#edit-source-title',
  url: '#edit-source-url',
  published: '#edit-source-published',
};

/**
 * The fields a server problem is about, from its JSON Pointer into the entry or area sent
 * (`/sources/0/url`, `/factions/1`, `/properties/from`, `/geometry`; RFC 6901): the server says
 * where, the form need not guess.
 */
function fieldsFor(pointer) {
  let path = String(pointer ?? '').split('/').slice(1);
  if (path[0] === 'properties') {
    path = path.slice(1); // an area's properties are an entry's members
  }
  const [member, , sourceMember] = path;
  if (member === 'sources') {
    return sourceMember in SOURCE_FIELDS ? [SOURCE_FIELDS[sourceMember]] : [SOURCE_FIELDS.title, SOURCE_FIELDS.url];
  }
  return FIELDS[member] ?? [];
}

/** `text` as an id: lower case ASCII letters and digits joined by hyphens. */
function slug(text) {
  return String(text)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export class EditPanel {
  /**
   * @param {HTMLDialogElement} dialog #edit-panel (markup in index.html)
   * @param {HTMLButtonElement} opener #edit-open
   * @param {{currentDate: () => string, onSaved: (change: object) => void,
   *   drawing: import('./draw.js').AreaDrawing, placeNear: (at: {lon: number, lat: number}) => object | null}} options
   *   `currentDate` is the map's selected date (the form's default); `onSaved` gets each stored
   *   change; `drawing` draws the area on the map; `placeNear` names the place nearest a point
   *   (a GeoJSON Point feature with an `id`, or null), for the statement id it suggests
   */
  constructor(dialog, opener, { currentDate, onSaved, drawing, placeNear }) {
    this.dialog = dialog;
    this.opener = opener;
    this.currentDate = currentDate;
    this.onSaved = onSaved;
    this.drawing = drawing;
    this.placeNear = placeNear;
    /** 'region' (an entry in a region's history) or 'area' (a control area drawn on the map). */
    this.mode = 'region';
    /** The last change this page saved to each area id: the `base` of its next save. */
    this.bases = new Map();
    /** Whether the editor typed the statement id (then it is no longer suggested). */
    this.idTyped = false;
    /** Token in memory, for when sessionStorage is unavailable. */
    this.token = null;
    this.author = null;
    this.choicesKey = '';
    this.busy = false;

    const $ = (selector) => dialog.querySelector(selector);
    this.message = $('#edit-auth-message');
    this.signinForm = $('#edit-signin-form');
    this.tokenInput = $('#edit-token');
    this.signinButton = $('#edit-signin');
    this.session = $('#edit-session');
    this.authorLine = $('#edit-author');
    this.form = $('#edit-form');
    this.formHint = $('#edit-form-hint');
    this.targets = [...dialog.querySelectorAll('input[name=target]')];
    this.areaBox = $('#edit-area');
    this.areaSummary = $('#edit-area-summary');
    this.drawButton = $('#edit-draw');
    this.adjustButton = $('#edit-adjust');
    this.statementBox = $('#edit-statement');
    this.statementId = $('#edit-statement-id');
    this.replaceRow = $('#edit-replace-row');
    this.replace = $('#edit-replace');
    this.regionLabel = $('#edit-region-label');
    this.region = $('#edit-region');
    this.date = $('#edit-date');
    this.precision = $('#edit-precision');
    this.status = $('#edit-status');
    this.factions = $('#edit-factions');
    this.factionList = $('#edit-factions-list');
    this.note = $('#edit-note');
    this.sourceTitle = $('#edit-source-title');
    this.sourceUrl = $('#edit-source-url');
    this.sourcePublished = $('#edit-source-published');
    this.problems = $('#edit-problems');
    this.errorList = $('#edit-errors');
    this.submit = $('#edit-submit');
    this.closeButton = $('#edit-close');
    this.result = $('#edit-result');

    opener.addEventListener('click', () => this.open());
    this.closeButton.addEventListener('click', () => dialog.close());
    // A click on the backdrop (outside the panel's box) closes it too.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) {
        const box = dialog.getBoundingClientRect();
        const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
        if (!inside) {
          dialog.close();
        }
      }
    });
    this.signinForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.signIn(this.tokenInput.value.trim());
    });
    $('#edit-signout').addEventListener('click', () => this.signOut());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.save();
    });
    for (const radio of this.targets) {
      radio.addEventListener('change', () => this.setMode(radio.value));
    }
    this.drawButton.addEventListener('click', () => this.draw(false));
    this.adjustButton.addEventListener('click', () => this.draw(true));
    this.statementId.addEventListener('input', () => {
      this.idTyped = this.statementId.value.trim() !== '';
      this.replaceRow.hidden = true;
      this.replace.checked = false;
    });
    this.date.addEventListener('change', () => this.suggestId());
    this.region.addEventListener('change', () => this.suggestId());
    this.setMode('region');
  }

  /** Shows the form for a region's entry (`'region'`) or for a drawn area (`'area'`). */
  setMode(mode) {
    this.mode = mode;
    const area = mode === 'area';
    for (const radio of this.targets) {
      radio.checked = radio.value === mode;
    }
    this.areaBox.hidden = !area;
    this.statementBox.hidden = !area;
    this.formHint.textContent = area
      ? 'Adds who controlled an area you draw, from a date on: trace what the sources describe (the village and its fields, the front they name).'
      : 'Adds who controlled a region from a date on.';
    this.formHint.append(' Every entry needs a source: its title, its address, and the date it was published when the source shows one.');
    this.regionLabel.replaceChildren('Region', area ? el('span', { class: 'edit-optional' }, ' (optional, the one it was traced for)') : null);
    this.region.required = !area;
    const placeholder = this.region.querySelector('option[value=""]');
    if (placeholder) {
      placeholder.textContent = this.regionPlaceholder();
    }
    this.showProblems([]);
    this.showArea();
  }

  regionPlaceholder() {
    return this.mode === 'area' ? 'None' : 'Choose a region…';
  }

  /**
   * Steps aside for the map: draws a new area (`adjust` false) or lets the editor move the
   * corners of the one drawn; the panel comes back when they finish or cancel.
   */
  draw(adjust) {
    this.dialog.close();
    const back = (done) => {
      this.opener.focus(); // where focus goes back to when the panel closes
      this.dialog.showModal();
      this.showArea();
      if (done) {
        this.showProblems([]);
        this.suggestId();
      }
      (done ? this.statementId : adjust ? this.adjustButton : this.drawButton).focus();
    };
    if (adjust) {
      this.drawing.adjust(back);
    } else {
      this.drawing.start(back);
    }
  }

  /** Says what area is drawn and offers to draw it again or move its corners. */
  showArea() {
    const geometry = this.drawing.geometry();
    if (geometry) {
      const ring = geometry.coordinates[0];
      const km2 = approxAreaKm2(ring);
      const size = km2 >= 10 ? Math.round(km2).toLocaleString('en-GB') : km2.toFixed(1);
      this.areaSummary.textContent = `Drawn: ${ring.length - 1} corners, about ${size} km². It is shown in blue on the map.`;
    } else {
      this.areaSummary.textContent = 'No area drawn yet.';
    }
    this.drawButton.textContent = geometry ? 'Draw it again' : 'Draw on the map';
    this.adjustButton.hidden = !geometry;
  }

  /**
   * Fills in a statement id unless the editor typed one: the nearest place (else the region,
   * else "area") and the date, e.g. `al-ziyarah-2015-08-15`.
   */
  suggestId() {
    const geometry = this.drawing.geometry();
    if (this.idTyped || !geometry) {
      return;
    }
    const place = this.placeNear(ringCentre(geometry.coordinates[0]));
    const where = slug(place?.id ?? (this.region.value || 'area')) || 'area';
    this.statementId.value = isIsoDate(this.date.value) ? `${where}-${this.date.value}` : where;
    this.replaceRow.hidden = true;
    this.replace.checked = false;
  }

  /**
   * Sets what the form offers: `regions` (GeoJSON features with `properties.name` and
   * `parent`) and `factions` (`{id, name, color}` from /api/stats). Keeps what is chosen.
   */
  setChoices({ regions, factions }) {
    const key = JSON.stringify([regions.map((r) => [r.id, r.properties.name]), factions.map((f) => [f.id, f.name, f.color])]);
    if (key === this.choicesKey) {
      return;
    }
    this.choicesKey = key;
    const names = new Map(regions.map((r) => [String(r.id), r.properties.name]));
    const chosenRegion = this.region.value;
    const options = regions
      .map((r) => {
        const parent = r.properties.parent ? names.get(String(r.properties.parent)) ?? r.properties.parent : null;
        return { id: String(r.id), label: parent ? `${r.properties.name} (part of ${parent})` : r.properties.name };
      })
      .sort((a, b) => a.label.localeCompare(b.label));
    this.region.replaceChildren(
      el('option', { value: '' }, this.regionPlaceholder()),
      ...options.map((o) => el('option', { value: o.id, selected: o.id === chosenRegion }, o.label)),
    );

    const ticked = new Set(this.checkedFactions());
    this.factionList.replaceChildren(
      ...factions.map((f) => {
        const swatch = el('span', { class: 'legend-swatch', 'aria-hidden': 'true' });
        if (isHexColor(f.color)) {
          swatch.style.backgroundColor = f.color;
        }
        const id = `edit-faction-${f.id}`;
        return el(
          'div',
          { class: 'edit-faction' },
          el('input', { type: 'checkbox', id, name: 'factions', value: f.id, checked: ticked.has(f.id) }),
          el('label', { for: id }, swatch, f.name),
        );
      }),
    );
  }

  /** Opens the panel: the sign-in step, or the form when this tab is signed in. */
  open() {
    if (this.drawing.state !== 'idle') {
      this.drawing.cancel(); // brings the panel back
      return;
    }
    if (!this.dialog.open) {
      this.dialog.showModal();
    }
    if (!this.date.value) {
      this.date.value = this.currentDate();
    }
    const token = this.token ?? storedToken();
    if (this.author && token) {
      this.showSignedIn();
      this.region.focus();
    } else if (token) {
      this.signIn(token);
    } else {
      this.showSignIn('');
    }
  }

  showMessage(text) {
    this.message.textContent = text;
    this.message.hidden = !text;
  }

  /** The sign-in step, with `text` above it (why the editor has to sign in). */
  showSignIn(text) {
    this.showMessage(text);
    this.signinForm.hidden = false;
    this.session.hidden = true;
    this.form.hidden = true;
    this.tokenInput.value = '';
    this.tokenInput.focus();
  }

  showSignedIn() {
    this.showMessage('');
    this.signinForm.hidden = true;
    this.authorLine.replaceChildren('Signed in as ', el('strong', {}, this.author));
    this.session.hidden = false;
    this.form.hidden = false;
  }

  /** The server accepts no edits: its `detail` says how to enable them. */
  showReadOnly(error) {
    this.author = null;
    this.token = null;
    forgetToken();
    this.showMessage(error.problem?.detail ?? 'This server is read-only: it accepts no edits.');
    this.signinForm.hidden = true;
    this.session.hidden = true;
    this.form.hidden = true;
    this.closeButton.focus();
  }

  /** Checks `token` with the server; keeps it for this tab when it names an author. */
  async signIn(token) {
    if (!token) {
      this.showSignIn('Enter your editor token.');
      return;
    }
    this.signinButton.disabled = true;
    this.showMessage('Checking the token…');
    try {
      const { author } = await api.whoami(token);
      this.author = String(author);
      this.token = token;
      storeToken(token);
      this.tokenInput.value = '';
      this.showSignedIn();
      this.region.focus();
    } catch (error) {
      this.author = null;
      this.token = null;
      if (error.status === 403) {
        this.showReadOnly(error);
      } else if (error.status === 401) {
        forgetToken();
        this.showSignIn('That token was not accepted. Check it and try again.');
      } else {
        this.showSignIn(`Could not check the token: ${error.message}`);
      }
    } finally {
      this.signinButton.disabled = false;
    }
  }

  signOut() {
    this.author = null;
    this.token = null;
    forgetToken();
    this.drawing.clear();
    this.showArea();
    this.showProblems([]);
    this.result.textContent = '';
    this.showSignIn('Signed out.');
  }

  checkedFactions() {
    return [...this.factionList.querySelectorAll('input[type=checkbox]:checked')].map((box) => box.value);
  }

  /** The control entry the form describes, as the API takes it. */
  entry() {
    const source = { title: this.sourceTitle.value.trim(), url: this.sourceUrl.value.trim() };
    if (this.sourcePublished.value) {
      source.published = this.sourcePublished.value; // never guessed: left out when unknown
    }
    const entry = {
      from: this.date.value,
      precision: this.precision.value,
      status: this.status.value,
      factions: this.checkedFactions(),
      sources: [source],
    };
    const note = this.note.value.trim();
    if (note) {
      entry.note = note;
    }
    return entry;
  }

  /**
   * The control area the form describes, as `POST /api/collections/control-statements/items`
   * takes it (a GeoJSON Feature), or null when no area is drawn.
   */
  area(entry) {
    const geometry = this.drawing.geometry();
    if (!geometry) {
      return null;
    }
    const region = this.region.value;
    return {
      type: 'Feature',
      id: this.statementId.value.trim(),
      geometry,
      properties: region ? { region, ...entry } : entry,
    };
  }

  /**
   * What is obviously wrong with `entry` for `region` (or, drawing, with `area`), as
   * `[message, field selectors]` pairs.
   */
  check(region, entry, area) {
    const problems = [];
    if (this.mode === 'area') {
      if (!area) {
        problems.push(['Draw the area on the map.', ['#edit-area']]);
      }
      if (!ID_PATTERN.test(this.statementId.value.trim())) {
        problems.push(['Give the statement an id: letters, digits, “-”, “_” or “.”, no spaces.', ['#edit-statement-id']]);
      }
    } else if (!region) {
      problems.push(['Choose a region.', ['#edit-region']]);
    }
    if (!isIsoDate(entry.from)) {
      problems.push(['Enter the date from which this control holds.', ['#edit-date']]);
    }
    const count = entry.factions.length;
    if (entry.status === 'held' && count !== 1) {
      problems.push([`Held needs exactly one faction; ${count} ${count === 1 ? 'is' : 'are'} ticked.`, ['#edit-factions']]);
    }
    if (entry.status === 'contested' && count < 2) {
      problems.push([`Contested needs two or more factions; ${count} ${count === 1 ? 'is' : 'are'} ticked.`, ['#edit-factions']]);
    }
    const [source] = entry.sources;
    if (!source.title) {
      problems.push(['Give the source’s title.', ['#edit-source-title']]);
    }
    if (!isHttpUrl(source.url)) {
      problems.push(['The source URL must be a full address starting with https:// or http://.', ['#edit-source-url']]);
    }
    if (source.published !== undefined && !isIsoDate(source.published)) {
      problems.push(['The date the source was published is not a date: enter it, or leave it empty.', ['#edit-source-published']]);
    }
    return problems;
  }

  /** Lists `problems` (`[message, field selectors]`) by the form and marks their fields. */
  showProblems(problems) {
    for (const field of this.form.querySelectorAll('[aria-invalid]')) {
      field.removeAttribute('aria-invalid');
    }
    this.errorList.replaceChildren(...problems.map(([message]) => el('li', {}, message)));
    for (const [, selectors] of problems) {
      for (const selector of selectors) {
        this.form.querySelector(selector)?.setAttribute('aria-invalid', 'true');
      }
    }
    this.problems.hidden = problems.length === 0;
  }

  async save() {
    if (this.busy) {
      return;
    }
    const region = this.region.value;
    const entry = this.entry();
    const area = this.mode === 'area' ? this.area(entry) : null;
    const problems = this.check(region, entry, area);
    this.showProblems(problems);
    if (problems.length) {
      this.result.textContent = '';
      this.form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    const token = this.token ?? storedToken();
    if (!token) {
      this.showSignIn('Sign in to save.');
      return;
    }
    this.busy = true;
    this.submit.disabled = true;
    this.result.textContent = 'Saving…';
    try {
      const change = area
        ? await api.postArea(area, { base: this.bases.get(area.id) ?? null, force: this.replace.checked }, token)
        : await api.postControl(region, entry, token);
      if (change.unchanged) {
        this.result.textContent = area
          ? 'Nothing to save: the statement already says exactly this'
          : 'Nothing to save: the region already has exactly this entry';
      } else {
        this.result.textContent = `Saved as change #${change.id}`;
        if (area) {
          this.saved(area.id, change.id);
        }
        this.onSaved(change);
      }
    } catch (error) {
      this.result.textContent = '';
      if (error.status === 422) {
        const errors = Array.isArray(error.problem?.errors) ? error.problem.errors : [];
        const problems = errors.map((e) => [String(e?.detail ?? e), fieldsFor(e?.pointer)]);
        this.showProblems(problems.length ? problems : [[error.problem?.detail ?? error.message, []]]);
      } else if (error.status === 409 && area) {
        this.conflict(area.id);
      } else if (error.status === 401) {
        this.author = null;
        this.token = null;
        forgetToken();
        this.showSignIn('Your token is no longer accepted. Sign in again; the form keeps what you entered.');
      } else if (error.status === 403) {
        this.showReadOnly(error);
      } else {
        this.result.textContent = `Not saved: ${error.message}`;
      }
    } finally {
      this.busy = false;
      this.submit.disabled = false;
    }
  }

  /**
   * Area `id` was stored as change `changeId`: its next save replaces it from there. The
   * drawing is cleared (the control map now draws the area) and the next id will be suggested;
   * the date, status, factions and source stay for the next area traced from the same source.
   */
  saved(id, changeId) {
    this.bases.set(id, changeId);
    this.drawing.clear();
    this.statementId.value = '';
    this.idTyped = false;
    this.replaceRow.hidden = true;
    this.replace.checked = false;
    this.showArea();
  }

  /** The server refused to replace area `id` (409): says why by the id, and offers to replace it. */
  conflict(id) {
    const message = this.bases.has(id)
      ? `Someone changed the statement “${id}” after you saved it. Read it on the map first, then tick “Replace” to save yours over it, or choose another id.`
      : `A statement with the id “${id}” already exists. Choose another id, or tick “Replace” to save yours in its place.`;
    this.showProblems([[message, ['#edit-statement-id']]]);
    this.replaceRow.hidden = false;
    this.statementId.focus();
  }
}
