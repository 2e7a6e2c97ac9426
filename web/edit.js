// The edit panel in #edit-panel (a modal <dialog>): signs the editor in with a token checked by
// the server, then adds a control entry to a region. The token lives in sessionStorage only (this
// tab, until sign-out or the tab closes): never localStorage, a URL or the console. The server
// is the authority on what is valid; the checks here only catch the obvious before sending.

import * as api from './api.js';
import { isIsoDate } from './dates.js';
import { el, isHexColor, isHttpUrl } from './dom.js';

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

/** The form's fields for each member of the entry it sends (see `entry()`). */
const FIELDS = {
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
 * The fields a server problem is about, from its JSON Pointer into the entry sent
 * (`/sources/0/url`, `/factions/1`; RFC 6901): the server says where, the form need not guess.
 */
function fieldsFor(pointer) {
  const [member, , sourceMember] = String(pointer ?? '').split('/').slice(1);
  if (member === 'sources') {
    return sourceMember in SOURCE_FIELDS ? [SOURCE_FIELDS[sourceMember]] : [SOURCE_FIELDS.title, SOURCE_FIELDS.url];
  }
  return FIELDS[member] ?? [];
}

export class EditPanel {
  /**
   * @param {HTMLDialogElement} dialog #edit-panel (markup in index.html)
   * @param {HTMLButtonElement} opener #edit-open
   * @param {{currentDate: () => string, onSaved: (change: object) => void}} options
   *   `currentDate` is the map's selected date (the form's default); `onSaved` gets each stored change
   */
  constructor(dialog, opener, { currentDate, onSaved }) {
    this.dialog = dialog;
    this.currentDate = currentDate;
    this.onSaved = onSaved;
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
      el('option', { value: '' }, 'Choose a region…'),
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
    this.showProblems([]);
    this.result.textContent = '';
    this.showSignIn('Signed out.');
  }

  checkedFactions() {
    return [...this.factionList.querySelectorAll('input[type=checkbox]:checked')].map((box) => box.value);
  }

  /** The control entry the form describes, as the API takes it. */
  entry() {
    const source = { title: this.sourceTitle.value.trim(), url: this.sourceUrl.value.trim(), published: this.sourcePublished.value };
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

  /** What is obviously wrong with `entry` for `region`, as `[message, field selectors]` pairs. */
  check(region, entry) {
    const problems = [];
    if (!region) {
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
    if (!isIsoDate(source.published)) {
      problems.push(['Enter the date the source was published.', ['#edit-source-published']]);
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
    const problems = this.check(region, entry);
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
      const change = await api.postControl(region, entry, token);
      if (change.unchanged) {
        this.result.textContent = 'Nothing to save: the region already has exactly this entry';
      } else {
        this.result.textContent = `Saved as change #${change.id}`;
        this.onSaved(change);
      }
    } catch (error) {
      this.result.textContent = '';
      if (error.status === 422) {
        const errors = Array.isArray(error.problem?.errors) ? error.problem.errors : [];
        const problems = errors.map((e) => [String(e?.detail ?? e), fieldsFor(e?.pointer)]);
        this.showProblems(problems.length ? problems : [[error.problem?.detail ?? error.message, []]]);
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
}
