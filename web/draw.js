// Drawing one control area on the map: the editor clicks its corners, closes it by clicking the
// first corner, double-clicking or pressing Finish, and can then drag its corners until it is
// saved. Escape cancels. A small module of our own rather than a drawing plugin: it needs only
// Leaflet's markers and paths, no global `L`, and does exactly this one thing.
//
// While the editor draws, `MapView` hands map clicks to `click()` instead of asking the server
// about the point. Positions here are Leaflet's; `geometry()` converts with Leaflet's own
// `toGeoJSON`, and the pure helpers at the end work on GeoJSON rings ([lon, lat]).

import { DomEvent, divIcon, marker, polygon, polyline } from 'leaflet';

/** A click this close to the first corner (screen pixels) closes the area. */
const CLOSE_PX = 10;
/** A click this close to the last corner adds none (the two clicks of a double-click). */
const SAME_PX = 4;
/** Decimal places kept in the saved coordinates (5 ≈ 1 m, what `frontline check` accepts). */
const DECIMALS = 5;

const SHAPE_STYLE = { color: '#0b57d0', weight: 3, opacity: 1, fillColor: '#0b57d0', fillOpacity: 0.18, dashArray: null };
const OPEN_STYLE = { color: '#0b57d0', weight: 3, opacity: 1, dashArray: null };
const GUIDE_STYLE = { color: '#0b57d0', weight: 2, opacity: 0.8, dashArray: '6 6' };

/** What the bar says in each state, given the number of corners. */
function hint(state, corners) {
  if (state === 'drawing') {
    if (corners === 0) {
      return 'Click the map to place the first corner (or press Enter to place one at the centre).';
    }
    if (corners < 3) {
      return `${corners} ${corners === 1 ? 'corner' : 'corners'}: an area needs at least three.`;
    }
    return `${corners} corners. Close the area: click the first corner, double-click, or press Finish.`;
  }
  return 'Drag a corner to move it, then press Done.';
}

/** The one area being drawn or adjusted, with the bar that explains and controls it. */
export class AreaDrawing {
  /**
   * @param {object} map the Leaflet map
   * @param {HTMLElement} bar #draw-bar (markup in index.html)
   * @param {{pane: string}} options the pane the shape is drawn in (above the control map)
   */
  constructor(map, bar, { pane }) {
    this.map = map;
    this.pane = pane;
    /** 'idle' (nothing to capture), 'drawing' (clicks add corners) or 'adjusting' (drag corners). */
    this.state = 'idle';
    /** The corners placed (Leaflet positions), in order. */
    this.corners = [];
    /** The corners of the finished area, or null: what `geometry()` gives. */
    this.finished = null;
    /** What `cancel()` goes back to. */
    this.saved = null;
    this.onEnd = null;

    this.shape = polygon([], { ...SHAPE_STYLE, pane, interactive: false, className: 'draw-shape' });
    this.open = polyline([], { ...OPEN_STYLE, pane, interactive: false, className: 'draw-open' });
    this.guide = polyline([], { ...GUIDE_STYLE, pane, interactive: false, className: 'draw-guide' });
    this.handles = [];

    this.bar = bar;
    this.hintText = bar.querySelector('#draw-hint');
    this.undoButton = bar.querySelector('#draw-undo');
    this.finishButton = bar.querySelector('#draw-finish');
    this.cancelButton = bar.querySelector('#draw-cancel');
    this.undoButton.addEventListener('click', () => this.undo());
    this.finishButton.addEventListener('click', () => (this.state === 'adjusting' ? this.end(true) : this.finish()));
    this.cancelButton.addEventListener('click', () => this.cancel());
    // Clicks and double-clicks on the bar must not reach the map below it.
    DomEvent.disableClickPropagation(bar);

    this.onKey = (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.cancel();
      } else if (event.key === 'Backspace' && this.state === 'drawing' && event.target === map.getContainer()) {
        event.preventDefault();
        this.undo();
      }
    };
    this.onMove = (event) => this.drawGuide(event.latlng);
    this.onDoubleClick = () => this.finish();
  }

  /** Whether map clicks belong to the drawing (and must not open the point query). */
  get capturing() {
    return this.state === 'drawing';
  }

  /** Whether an area is drawn (finished) and not yet cleared. */
  get hasArea() {
    return this.finished !== null;
  }

  /**
   * Starts drawing a new area (the one drawn before stays until this one is finished);
   * `onEnd(done)` is called once, when it is finished (`true`) or cancelled (`false`).
   */
  start(onEnd) {
    this.begin('drawing', onEnd);
    this.corners = [];
    this.shape.remove();
    this.redraw();
  }

  /** Shows the finished area's corners as handles to drag; `onEnd` as for `start`. */
  adjust(onEnd) {
    if (!this.finished) {
      return;
    }
    this.begin('adjusting', onEnd);
    this.corners = this.finished.map((p) => p.clone());
    this.redraw();
  }

  begin(state, onEnd) {
    this.saved = this.finished;
    this.state = state;
    this.onEnd = onEnd;
    this.map.closePopup();
    this.map.getContainer().classList.add('is-drawing');
    if (state === 'drawing') {
      this.map.doubleClickZoom.disable();
      this.map.on('mousemove', this.onMove);
      this.map.on('dblclick', this.onDoubleClick);
    }
    document.addEventListener('keydown', this.onKey);
    this.bar.hidden = false;
    this.undoButton.hidden = state !== 'drawing';
    this.finishButton.textContent = state === 'drawing' ? 'Finish' : 'Done';
    this.map.getContainer().focus({ preventScroll: true });
  }

  /** A click on the map at Leaflet position `latlng` (`point`: container pixels) while drawing. */
  click(latlng, point) {
    if (this.state !== 'drawing') {
      return;
    }
    const first = this.corners[0];
    if (this.corners.length >= 3 && this.map.latLngToContainerPoint(first).distanceTo(point) <= CLOSE_PX) {
      this.finish();
      return;
    }
    const last = this.corners.at(-1);
    if (last && this.map.latLngToContainerPoint(last).distanceTo(point) <= SAME_PX) {
      return; // the second click of a double-click, or a click on the last corner
    }
    this.corners.push(latlng);
    this.redraw();
  }

  /** Removes the last corner placed. */
  undo() {
    if (this.state === 'drawing' && this.corners.length > 0) {
      this.corners.pop();
      this.redraw();
    }
  }

  /** Closes the area being drawn, if it has three corners or more. */
  finish() {
    if (this.state !== 'drawing') {
      return;
    }
    if (this.corners.length < 3) {
      this.hintText.textContent = `${hint('drawing', this.corners.length)} Place ${3 - this.corners.length} more.`;
      return;
    }
    this.end(true);
  }

  /** Stops drawing or adjusting and puts back the area there was before. */
  cancel() {
    if (this.state === 'idle') {
      return;
    }
    this.corners = [];
    this.finished = this.saved;
    this.end(false);
  }

  /** Forgets the area (after it was saved, or when the editor signs out). */
  clear() {
    if (this.state !== 'idle') {
      this.cancel();
    }
    this.finished = null;
    this.saved = null;
    this.redraw();
  }

  end(done) {
    if (done) {
      this.finished = this.corners.map((p) => p.clone());
    }
    const onEnd = this.onEnd;
    this.state = 'idle';
    this.onEnd = null;
    this.corners = [];
    this.map.getContainer().classList.remove('is-drawing');
    this.map.off('mousemove', this.onMove);
    this.map.off('dblclick', this.onDoubleClick);
    // Re-enabled only after this double-click's own event has passed (it would zoom).
    setTimeout(() => this.map.doubleClickZoom.enable(), 0);
    document.removeEventListener('keydown', this.onKey);
    this.bar.hidden = true;
    this.redraw();
    onEnd?.(done);
  }

  /** Redraws the shape, the open outline and the handles for the current state. */
  redraw() {
    for (const handle of this.handles) {
      handle.remove();
    }
    this.handles = [];
    this.guide.setLatLngs([]).remove();
    if (this.state === 'drawing') {
      this.open.setLatLngs(this.corners).addTo(this.map);
      this.shape.remove();
      this.corners.forEach((corner, index) => this.addHandle(corner, index));
    } else {
      this.open.remove();
      const corners = this.state === 'adjusting' ? this.corners : this.finished;
      if (corners) {
        this.shape.setLatLngs(corners).addTo(this.map);
      } else {
        this.shape.remove();
      }
      if (this.state === 'adjusting') {
        this.corners.forEach((corner, index) => this.addHandle(corner, index));
      }
    }
    if (this.state !== 'idle') {
      this.hintText.textContent = hint(this.state, this.corners.length);
      this.undoButton.disabled = this.corners.length === 0;
      this.finishButton.disabled = this.state === 'drawing' && this.corners.length < 3;
    }
  }

  /** A corner's handle: the first one closes the area while drawing; all drag while adjusting. */
  addHandle(corner, index) {
    const closes = this.state === 'drawing' && index === 0 && this.corners.length >= 3;
    const handle = marker(corner, {
      icon: divIcon({ className: `draw-corner${closes ? ' is-closing' : ''}`, iconSize: closes ? [18, 18] : [12, 12] }),
      keyboard: false,
      title: closes ? 'Close the area here' : this.state === 'adjusting' ? 'Drag to move this corner' : '',
      interactive: closes || this.state === 'adjusting',
      zIndexOffset: closes ? 1000 : 0,
    }).addTo(this.map);
    if (closes) {
      handle.on('click', () => this.finish());
    }
    if (this.state === 'adjusting') {
      handle.dragging.enable();
      handle.on('drag', () => {
        this.corners[index] = handle.getLatLng();
        this.shape.setLatLngs(this.corners);
      });
    }
    this.handles.push(handle);
  }

  /** The dashed line from the last corner to the pointer, while drawing. */
  drawGuide(latlng) {
    const last = this.corners.at(-1);
    if (this.state !== 'drawing' || !last) {
      return;
    }
    const points = this.corners.length >= 2 ? [last, latlng, this.corners[0]] : [last, latlng];
    this.guide.setLatLngs(points).addTo(this.map);
  }

  /**
   * The finished area as a GeoJSON Polygon ([lon, lat], DECIMALS places, the exterior ring
   * counter-clockwise as RFC 7946 asks), or null when none is drawn.
   */
  geometry() {
    if (!this.finished) {
      return null;
    }
    const [ring] = polygon(this.finished).toGeoJSON(DECIMALS).geometry.coordinates;
    const corners = ring.slice(0, -1).filter((p, i, all) => i === 0 || p[0] !== all[i - 1][0] || p[1] !== all[i - 1][1]);
    if (ringArea([...corners, corners[0]]) < 0) {
      corners.reverse();
    }
    return { type: 'Polygon', coordinates: [[...corners, corners[0]]] };
  }
}

/** The signed area of a closed [lon, lat] ring, in square degrees (positive: counter-clockwise). */
function ringArea(ring) {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i += 1) {
    sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  }
  return sum / 2;
}

/** The mean of a closed ring's corners, `{lon, lat}`: near enough to name the nearest place. */
export function ringCentre(ring) {
  const corners = ring.slice(0, -1);
  const sum = corners.reduce(([x, y], [lon, lat]) => [x + lon, y + lat], [0, 0]);
  return { lon: sum[0] / corners.length, lat: sum[1] / corners.length };
}

/**
 * About how many km² a closed [lon, lat] ring encloses (a local equirectangular projection:
 * within a few per cent for an area a few tens of km across), for the editor's feedback only.
 */
export function approxAreaKm2(ring) {
  const { lat } = ringCentre(ring);
  const kmPerDegree = 111.32;
  return Math.abs(ringArea(ring)) * kmPerDegree * kmPerDegree * Math.cos((lat * Math.PI) / 180);
}
