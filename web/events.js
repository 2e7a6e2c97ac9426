// The events layer: a circle marker for every event up to the selected date, with the ones of
// the last RECENT_DAYS days drawn bigger and brighter.
//
// The markers take no pointer events, so a click on one falls through to the map (and to the
// region under it): the map's point query then lists the events under the pointer (`near`) in
// the same popup as the region's control. Each marker is still focusable; Enter or Space on it
// asks for that popup too (`onActivate`).

import { circleMarker, layerGroup } from 'leaflet';
import { daysBetween, formatDate } from './dates.js';
import { latLngOfPoint } from './map.js';

/** Events this many days before the selected date, or fewer, count as recent. */
export const RECENT_DAYS = 90;
/** A click this many pixels outside a marker's circle still counts as on it. */
const SLACK_PX = 3;

const OLD_STYLE = { radius: 5, color: '#1f2d3a', weight: 1.5, fillColor: '#5b7083', fillOpacity: 0.75, opacity: 0.9 };
const RECENT_STYLE = { radius: 9, color: '#000000', weight: 3, fillColor: '#ffffff', fillOpacity: 1, opacity: 1 };

export class EventsLayer {
  /**
   * @param {{features: Array}} collection events (GeoJSON Points with `date`, `title`, …)
   * @param {{renderer: object, pane: string, toScreen: (latLng: object) => {x: number, y: number},
   *   onActivate: (feature: object) => void}} options
   */
  constructor(collection, { renderer, pane, toScreen, onActivate }) {
    /** The Leaflet layer to add to the map and the layer control. */
    this.layer = layerGroup();
    this.renderer = renderer;
    this.pane = pane;
    this.toScreen = toScreen;
    this.onActivate = onActivate;
    this.date = null;
    /** Path elements that already answer Enter and Space (Leaflet recreates them on re-add). */
    this.keyboardReady = new WeakSet();
    /** One marker per event, oldest first. */
    this.markers = [];
    this.setEvents(collection);
  }

  /**
   * Shows the events of `collection` (all of them, as the events endpoint gives them) instead of
   * the ones shown: a new or changed event gets a new marker, a removed one loses its marker,
   * and the markers of unchanged events stay as they are.
   * @param {{features: Array}} collection
   */
  setEvents(collection) {
    const shown = new Map(this.markers.map((marker) => [String(marker.feature.id), marker]));
    const markers = collection.features.map((feature) => {
      const marker = shown.get(String(feature.id));
      if (marker && JSON.stringify(marker.feature) === JSON.stringify(feature)) {
        return marker;
      }
      return this.createMarker(feature);
    });
    const kept = new Set(markers);
    for (const marker of this.markers) {
      if (!kept.has(marker)) {
        this.layer.removeLayer(marker);
      }
    }
    this.markers = markers.sort((a, b) => a.feature.properties.date.localeCompare(b.feature.properties.date));
    if (this.date !== null) {
      this.setDate(this.date);
    }
  }

  createMarker(feature) {
    const marker = circleMarker(latLngOfPoint(feature), {
      ...OLD_STYLE,
      renderer: this.renderer,
      pane: this.pane,
      className: 'event-marker',
      interactive: false,
    });
    marker.feature = feature;
    marker.on('add', () => this.mark(marker));
    return marker;
  }

  /** Shows the events on or before `date` and emphasises the recent ones. */
  setDate(date) {
    this.date = date;
    for (const marker of this.markers) {
      const eventDate = marker.feature.properties.date;
      if (eventDate > date) {
        this.layer.removeLayer(marker);
        continue;
      }
      const style = this.isRecent(marker) ? RECENT_STYLE : OLD_STYLE;
      marker.setStyle(style);
      marker.setRadius(style.radius);
      if (this.layer.hasLayer(marker)) {
        this.mark(marker);
      } else {
        this.layer.addLayer(marker);
      }
    }
    // Recent events are drawn last, on top of older ones at the same town.
    for (const marker of this.markers) {
      if (this.isRecent(marker) && marker.getElement()?.isConnected) {
        marker.bringToFront();
      }
    }
  }

  /**
   * The events drawn under the screen point `{x, y}` (map container pixels), newest first;
   * empty when the layer is hidden.
   */
  near(point) {
    return this.markers
      .filter((marker) => marker.getElement()?.isConnected && this.layer.hasLayer(marker))
      .filter((marker) => {
        const at = this.toScreen(marker.getLatLng());
        return Math.hypot(at.x - point.x, at.y - point.y) <= marker.getRadius() + SLACK_PX;
      })
      .map((marker) => marker.feature)
      .sort((a, b) => b.properties.date.localeCompare(a.properties.date));
  }

  isRecent(marker) {
    const age = daysBetween(marker.feature.properties.date, this.date);
    return age >= 0 && age <= RECENT_DAYS;
  }

  mark(marker) {
    const path = marker.getElement();
    if (!path || this.date === null) {
      return;
    }
    const { title, date, precision } = marker.feature.properties;
    path.setAttribute('data-event-id', String(marker.feature.id));
    path.setAttribute('data-date', date);
    path.classList.toggle('event-recent', this.isRecent(marker));
    path.setAttribute('tabindex', '0');
    path.setAttribute('role', 'button');
    path.setAttribute('aria-label', `Event, ${formatDate(date, precision ?? 'day')}: ${title}`);
    if (!this.keyboardReady.has(path)) {
      this.keyboardReady.add(path);
      path.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this.onActivate(marker.feature);
        }
      });
    }
  }
}
