// Wiring only: creates the modules, loads the data (again whenever the server reports a change),
// and passes the selected date and the map view between them. Nothing here knows a URL, a
// Leaflet class or how a popup looks.

import * as api from './api.js';
import { FIRST_DATE, clampDate, todayIso } from './dates.js';
import { EditPanel } from './edit.js';
import { EventsLayer } from './events.js';
import { Legend } from './legend.js';
import { LiveUpdates, changeScope } from './live.js';
import { MapView } from './map.js';
import { onHashChange, readHash, writeHash } from './permalink.js';
import { errorContent, loadingContent, queryContent } from './popup.js';
import { PlaceSearch } from './search.js';
import { Timeline } from './timeline.js';

/** The view that shows all three regions. */
const DEFAULT_VIEW = { lat: 34.9, lon: 36.4, zoom: 8 };
/** Wait this long after the last slider move before asking the server (ms). */
const FETCH_DELAY_MS = 120;

const byId = (id) => document.getElementById(id);
const narrow = window.matchMedia('(max-width: 700px)').matches;
const today = todayIso();
const initial = readHash(window.location.hash);

const state = {
  date: clampDate(initial.date ?? today, FIRST_DATE, today),
  factions: new Map(),
  regionsById: new Map(),
  /** Settles once the timeline's change dates are loaded (the legend's previous step). */
  changeDatesLoaded: Promise.resolve(),
  fetchTimer: null,
  fetchAbort: null,
  eventsAbort: null,
  queryAbort: null,
};

const status = byId('status');
function report(error) {
  status.textContent = `Could not load data: ${error.message}`;
  status.hidden = false;
  console.error(error);
}

const factionName = (id) => state.factions.get(id)?.name ?? id;

const mapView = new MapView(byId('map'), {
  view: initial.view ?? DEFAULT_VIEW,
  narrow,
  drawBar: byId('draw-bar'),
  onClick: (at, screen) => runQuery(at, events?.near(screen) ?? [], true),
  onViewChange: (view) => writeHash(state.date, view),
});

const timeline = new Timeline(byId('timeline'), { first: FIRST_DATE, last: today, onChange: (date) => selectDate(date, true) });
const legend = new Legend(byId('legend'));
legend.setOpen(!narrow);
const search = new PlaceSearch(byId('place-search'), byId('place-results'), { onChoose: (feature) => mapView.flyToPoint(feature) });
const download = byId('download-geojson');
let events = null;
const live = new LiveUpdates({ onChange: (changes) => refresh(changes) });
const editPanel = new EditPanel(byId('edit-panel'), byId('edit-open'), {
  currentDate: () => state.date,
  drawing: mapView.drawing,
  placeNear: (at) => search.nearest(at),
  onSaved: (change) => {
    live.seen(change.id);
    refresh([change]);
  },
});

/**
 * Asks the server where `at` is on the selected date and shows the answer, with the events
 * `nearby` (under the pointer), in the popup; `open` opens it, otherwise only refreshes it.
 */
async function runQuery(at, nearby, open) {
  state.queryAbort?.abort();
  const abort = new AbortController();
  state.queryAbort = abort;
  if (open) {
    mapView.openQueryPopup(at, loadingContent());
  }
  try {
    const answer = await api.queryPoint(at, state.date, abort.signal);
    mapView.updateQueryPopup(queryContent(answer, { regionsById: state.regionsById, factionName, events: nearby }));
  } catch (error) {
    if (error.name !== 'AbortError') {
      mapView.updateQueryPopup(errorContent(error.message));
    }
  }
}

/**
 * Loads the control map, front lines, regions and areas for the selected date (areas with their
 * change since the previous step of the timeline) and redraws what depends on them.
 */
async function loadDate() {
  state.fetchAbort?.abort();
  const abort = new AbortController();
  state.fetchAbort = abort;
  const date = state.date;
  try {
    await state.changeDatesLoaded;
    const from = timeline.previousChange(date);
    const [regions, control, fronts, stats] = await Promise.all([
      api.fetchRegions(date, abort.signal),
      api.fetchControl(date, abort.signal),
      api.fetchFronts(date, abort.signal),
      api.fetchStats(date, from, abort.signal),
    ]);
    if (abort.signal.aborted) {
      return;
    }
    state.factions = new Map(stats.factions.map((f) => [f.id, f]));
    state.regionsById = new Map(regions.features.map((f) => [String(f.id), f]));
    mapView.setFactions(state.factions);
    mapView.setControl(control);
    mapView.setFronts(fronts);
    mapView.setRegions(regions);
    legend.update(stats, from);
    editPanel.setChoices({ regions: regions.features, factions: stats.factions });
    byId('map').dataset.date = date;
    status.hidden = true;
  } catch (error) {
    if (error.name !== 'AbortError') {
      report(error);
    }
  }
}

/** The timeline's marks: every date on which some statement of control starts. */
function loadChangeDates() {
  state.changeDatesLoaded = api.fetchTimeline().then(
    (timelineData) => timeline.setChangeDates(timelineData.changes.map((c) => c.date)),
    report,
  );
  return state.changeDatesLoaded;
}

/** Loads every event and shows those up to the selected date (the first time, adds the layer). */
async function loadEvents() {
  state.eventsAbort?.abort();
  const abort = new AbortController();
  state.eventsAbort = abort;
  try {
    const collection = await api.fetchEvents(abort.signal);
    if (events) {
      events.setEvents(collection);
      return;
    }
    events = new EventsLayer(collection, {
      renderer: mapView.eventsRenderer,
      pane: 'events',
      toScreen: (position) => mapView.toScreen(position),
      onActivate: (feature) => runQuery(mapView.positionOf(feature), [feature], true),
    });
    mapView.addOverlay(events.layer, 'Events', true);
    events.setDate(state.date);
  } catch (error) {
    if (error.name !== 'AbortError') {
      report(error);
    }
  }
}

/**
 * Redraws, for the selected date, what `changes` on the server touched (see `changeScope`:
 * everything when the list is empty), and the open popup.
 */
async function refresh(changes) {
  const scope = changeScope(changes);
  api.noteDataChanged();
  const loads = [];
  if (scope.events) {
    loads.push(loadEvents());
  }
  if (scope.regions) {
    loadChangeDates();
    loads.push(loadDate());
  }
  await Promise.all(loads);
  const open = mapView.queryPopupPosition();
  if (open) {
    runQuery(open, events?.near(mapView.screenOf(open)) ?? [], false);
  }
}

/** Makes `date` the selected date everywhere; `debounce` while the slider is dragged. */
function selectDate(date, debounce) {
  state.date = date;
  timeline.setDate(date);
  download.href = api.regionsUrl(date);
  download.setAttribute('download', `frontline-regions-${date}.geojson`);
  events?.setDate(date);
  writeHash(date, mapView.getView());
  clearTimeout(state.fetchTimer);
  const refresh = () => {
    loadDate();
    const open = mapView.queryPopupPosition();
    if (open) {
      runQuery(open, events?.near(mapView.screenOf(open)) ?? [], false);
    }
  };
  if (debounce) {
    state.fetchTimer = setTimeout(refresh, FETCH_DELAY_MS);
  } else {
    refresh();
  }
}

onHashChange(({ date, view }) => {
  if (view) {
    mapView.setView(view);
  }
  if (date && date !== state.date) {
    selectDate(clampDate(date, FIRST_DATE, today), false);
  }
});

loadChangeDates();
selectDate(state.date, false);

api.fetchBasemap().then((basemap) => mapView.setBasemap(basemap), report);
api.fetchContext().then((context) => mapView.setContext(context), report);
live.start();
api.fetchPlaces().then((places) => {
  search.setPlaces(places);
  mapView.setTowns(places);
}, report);
loadEvents();
