// The Leaflet map: a light basemap drawn from the bundled Natural Earth GeoJSON, an optional
// OpenStreetMap tile layer (off until the user turns it on), the region layer with fills keyed
// by control status, town labels and the layer control. GeoJSON positions are [lon, lat] and
// Leaflet's are [lat, lng]: this module is the only place that converts between them.

import {
  control,
  divIcon,
  geoJSON,
  latLng,
  latLngBounds,
  layerGroup,
  map as leafletMap,
  marker,
  popup,
  svg,
  tileLayer,
} from 'leaflet';
import { BASEMAP_ATTRIBUTION, OSM_TILES } from './api.js';
import { arabic, el, isHexColor } from './dom.js';
import { HatchPatterns } from './hatch.js';

/** Fill of a region whose control is unknown on the selected date. */
export const UNKNOWN_FILL = '#9e9e9e';

/** What the basemap covers, [[south, west], [north, east]]; the map stays near it. */
const BASEMAP_BOUNDS = latLngBounds([28.5, 29.5], [40.5, 45.0]);

/** Human words for each status, used in tooltips. */
const STATUS_WORDS = { held: 'Held', contested: 'Contested', unknown: 'Unknown' };

/** The Leaflet position of a GeoJSON `Point` feature. */
export function latLngOfPoint(feature) {
  const [lon, lat] = feature.geometry.coordinates;
  return latLng(lat, lon);
}

/** A GeoJSON-order position `{lon, lat}` from a Leaflet position. */
function lonLatOf(position) {
  return { lon: position.lng, lat: position.lat };
}

/** Region path style for each control status; `hatch` supplies contested fills. */
function regionStyle(properties, hatch) {
  const control = properties.control ?? { status: 'unknown', factions: [] };
  switch (control.status) {
    case 'held':
      return {
        fillColor: isHexColor(properties.color) ? properties.color : UNKNOWN_FILL,
        fillOpacity: 0.6,
        color: '#303030',
        weight: 1.5,
        opacity: 0.9,
        dashArray: null,
      };
    case 'contested':
      return {
        fillColor: hatch.fill(control.factions),
        fillOpacity: 0.8,
        color: '#111111',
        weight: 2.5,
        opacity: 1,
        dashArray: '8 4',
      };
    default:
      return {
        fillColor: UNKNOWN_FILL,
        fillOpacity: 0.55,
        color: '#4d4d4d',
        weight: 1.5,
        opacity: 0.9,
        dashArray: '2 5',
      };
  }
}

function basemapStyle(feature) {
  switch (feature.properties.kind) {
    case 'land':
      return { stroke: false, fillColor: '#f4f1ea', fillOpacity: 1 };
    case 'border':
      return { color: '#8a8a8a', weight: 1, dashArray: '5 3', fill: false };
    default:
      return { color: '#9fb7c4', weight: 1, fill: false };
  }
}

/** The map view and its layers. */
export class MapView {
  /**
   * @param {HTMLElement} container
   * @param {{view: {lat: number, lon: number, zoom: number}, narrow: boolean,
   *   onClick: (at: {lat: number, lon: number}, screen: {x: number, y: number}) => void,
   *   onViewChange: (view: {lat: number, lon: number, zoom: number}) => void}} options
   */
  constructor(container, { view, narrow, onClick, onViewChange }) {
    this.map = leafletMap(container, {
      center: [view.lat, view.lon],
      zoom: view.zoom,
      minZoom: 6,
      maxZoom: 14,
      maxBounds: BASEMAP_BOUNDS.pad(0.1),
      maxBoundsViscosity: 0.8,
      preferCanvas: false,
    });
    this.createPane('basemap', 150);
    this.createPane('basemap-labels', 160, true);
    this.createPane('events', 450);
    this.createPane('labels', 460, true);

    this.regionRenderer = svg({ padding: 0.5 });
    this.regionRenderer.addTo(this.map);
    /** Renderer for event markers, in their own pane above the regions. */
    this.eventsRenderer = svg({ pane: 'events', padding: 0.5 });
    const regionSvg = this.map.getPane('overlayPane').querySelector('svg');
    this.hatch = new HatchPatterns(regionSvg, (id) => this.colorOf(id));
    this.colorOf = () => null;

    this.basemap = geoJSON(null, {
      pane: 'basemap',
      renderer: svg({ pane: 'basemap' }),
      interactive: false,
      attribution: BASEMAP_ATTRIBUTION,
      style: basemapStyle,
      pointToLayer: (feature, position) =>
        marker(position, {
          pane: 'basemap-labels',
          interactive: false,
          keyboard: false,
          icon: divIcon({ className: 'country-label', html: el('span', {}, feature.properties.name), iconSize: null }),
        }),
    }).addTo(this.map);

    /** The drawn layer of each region id, in drawing order. */
    this.regionLayers = new Map();
    /** The geometry (GeoJSON text) each region id is drawn with. */
    this.regionGeometry = new Map();
    this.regions = geoJSON(null, {
      renderer: this.regionRenderer,
      className: 'region',
      style: (feature) => regionStyle(feature.properties, this.hatch),
      onEachFeature: (feature, layer) => this.initRegion(feature, layer),
    }).addTo(this.map);
    // Shown again from the layer control, the group adds its paths oldest first.
    this.map.on('overlayadd', (event) => {
      if (event.layer === this.regions) {
        this.orderRegions();
      }
    });

    this.towns = layerGroup().addTo(this.map);
    this.osm = tileLayer(OSM_TILES.url, { attribution: OSM_TILES.attribution, maxZoom: 19 });

    this.layers = control
      .layers(null, { Regions: this.regions, 'Town labels': this.towns, 'OpenStreetMap tiles': this.osm }, { collapsed: narrow })
      .addTo(this.map);

    // On small screens keep the popup clear of the zoom and layer controls at the sides.
    const padding = narrow ? [50, 10] : [16, 16];
    this.queryPopup = popup({
      maxWidth: narrow ? 230 : 360,
      maxHeight: narrow ? 300 : 420,
      className: 'query-popup',
      autoPanPaddingTopLeft: padding,
      autoPanPaddingBottomRight: padding,
    });

    this.onClick = onClick;
    /** Path elements that already answer Enter and Space (Leaflet recreates them on re-add). */
    this.keyboardReady = new WeakSet();
    this.map.on('click', (event) => onClick(lonLatOf(event.latlng), event.containerPoint));
    this.map.on('moveend', () => onViewChange(this.getView()));
    container.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && event.target === container) {
        const center = this.map.getCenter();
        onClick(lonLatOf(center), this.toScreen(center));
      }
    });
  }

  createPane(name, zIndex, passive = false) {
    const pane = this.map.createPane(name);
    pane.style.zIndex = String(zIndex);
    if (passive) {
      pane.style.pointerEvents = 'none';
    }
  }

  /** Where a Leaflet position is on screen, in map container pixels `{x, y}`. */
  toScreen(position) {
    return this.map.latLngToContainerPoint(position);
  }

  /** Where `{lat, lon}` is on screen, in map container pixels `{x, y}`. */
  screenOf({ lat, lon }) {
    return this.toScreen(latLng(lat, lon));
  }

  /** Where a GeoJSON `Point` feature is, as `{lat, lon}`. */
  positionOf(feature) {
    return lonLatOf(latLngOfPoint(feature));
  }

  /** Centre and zoom of the map, `{lat, lon, zoom}`. */
  getView() {
    const center = this.map.getCenter();
    return { lat: center.lat, lon: center.lng, zoom: this.map.getZoom() };
  }

  /** Moves the map to `view` without animation. */
  setView({ lat, lon, zoom }) {
    this.map.setView([lat, lon], zoom, { animate: false });
  }

  /** Flies to a GeoJSON `Point` feature. */
  flyToPoint(feature, zoom = 11) {
    this.map.flyTo(latLngOfPoint(feature), Math.max(zoom, this.map.getZoom()), { duration: 0.8 });
  }

  /** Draws the bundled basemap (land, borders, coasts, country labels). */
  setBasemap(collection) {
    this.basemap.clearLayers();
    this.basemap.addData(collection);
  }

  /** Adds a layer to the map and to the layer control. */
  addOverlay(layer, name, visible = true) {
    if (visible) {
      layer.addTo(this.map);
    }
    this.layers.addOverlay(layer, name);
  }

  /**
   * Shows the regions of `collection` (from the regions endpoint for one date): parents
   * first so sub-regions draw on top. `colorOf(factionId)` gives a faction's `#rrggbb`.
   * Only a region that is new or whose geometry changed gets a new path (drawn in its place
   * in the order); a removed one loses its path; the others only change their style.
   */
  setRegions(collection, colorOf) {
    this.colorOf = colorOf;
    const features = [...collection.features].sort(
      (a, b) => Number(Boolean(a.properties.parent)) - Number(Boolean(b.properties.parent)),
    );
    const ids = new Set(features.map((f) => String(f.id)));
    for (const [id, layer] of this.regionLayers) {
      if (!ids.has(id)) {
        this.regions.removeLayer(layer);
        this.regionLayers.delete(id);
        this.regionGeometry.delete(id);
      }
    }
    const drawnOrder = [...this.regionLayers.keys()];
    // From the first region drawn anew or out of place on, paths are put back in order.
    let reorderFrom = features.length;
    features.forEach((feature, index) => {
      const id = String(feature.id);
      const geometry = JSON.stringify(feature.geometry);
      const layer = this.regionLayers.get(id);
      if (layer && this.regionGeometry.get(id) === geometry) {
        layer.feature = feature;
        if (drawnOrder[index] !== id) {
          reorderFrom = Math.min(reorderFrom, index);
        }
        return;
      }
      if (layer) {
        this.regions.removeLayer(layer);
      }
      this.regionGeometry.set(id, geometry);
      this.regions.addData(feature); // initRegion records the new layer
      reorderFrom = Math.min(reorderFrom, index);
    });
    const order = features.map((f) => this.regionLayers.get(String(f.id))).filter(Boolean);
    this.regionLayers = new Map(order.map((layer) => [String(layer.feature.id), layer]));
    this.orderRegions(reorderFrom);
    for (const layer of this.regionLayers.values()) {
      layer.setStyle(regionStyle(layer.feature.properties, this.hatch));
      this.markRegion(layer);
    }
  }

  /** Puts the region paths from position `from` on in drawing order, on top of those before. */
  orderRegions(from = 0) {
    for (const layer of [...this.regionLayers.values()].slice(from)) {
      layer.bringToFront();
    }
  }

  initRegion(feature, layer) {
    this.regionLayers.set(String(feature.id), layer);
    layer.bindTooltip(() => regionTooltip(layer.feature.properties), { sticky: true, direction: 'top', className: 'region-tooltip' });
    layer.on('add', () => this.markRegion(layer));
    layer.on('mouseover', () => {
      const base = regionStyle(layer.feature.properties, this.hatch);
      layer.setStyle({ weight: base.weight + 2.5, opacity: 1 });
      layer.getElement()?.classList.add('is-hovered');
    });
    layer.on('mouseout', () => {
      layer.setStyle(regionStyle(layer.feature.properties, this.hatch));
      layer.getElement()?.classList.remove('is-hovered');
    });
  }

  /** Sets the DOM attributes the page's tests and styles rely on. */
  markRegion(layer) {
    const path = layer.getElement();
    if (!path) {
      return;
    }
    const properties = layer.feature.properties;
    const status = properties.control?.status ?? 'unknown';
    path.setAttribute('data-region-id', String(layer.feature.id));
    path.setAttribute('data-status', status);
    path.setAttribute('tabindex', '0');
    path.setAttribute('role', 'button');
    path.setAttribute('aria-label', `${properties.name}: ${STATUS_WORDS[status] ?? status}. Press Enter for details.`);
    if (!this.keyboardReady.has(path)) {
      this.keyboardReady.add(path);
      path.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          const center = layer.getCenter();
          this.onClick(lonLatOf(center), this.toScreen(center));
        }
      });
    }
  }

  /** Labels the towns marked `major` in `places` (GeoJSON Points). */
  setTowns(places) {
    this.towns.clearLayers();
    for (const feature of places.features) {
      if (!feature.properties.major) {
        continue;
      }
      const label = el('span', { class: 'town-label' }, el('span', { class: 'town-dot', 'aria-hidden': 'true' }), el('span', { class: 'town-name' }, feature.properties.name));
      marker(latLngOfPoint(feature), {
        pane: 'labels',
        interactive: false,
        keyboard: false,
        icon: divIcon({ className: 'town', html: label, iconSize: null }),
      }).addTo(this.towns);
    }
  }

  /** Opens the query popup at `{lat, lon}` with `content` (an element). */
  openQueryPopup({ lat, lon }, content) {
    this.queryPopup.setLatLng([lat, lon]).setContent(content).openOn(this.map);
  }

  /** Replaces the query popup's content if it is still open; returns whether it was. */
  updateQueryPopup(content) {
    if (!this.map.hasLayer(this.queryPopup)) {
      return false;
    }
    this.queryPopup.setContent(content);
    return true;
  }

  /** The open query popup's position `{lat, lon}`, or null when it is closed. */
  queryPopupPosition() {
    return this.map.hasLayer(this.queryPopup) ? lonLatOf(this.queryPopup.getLatLng()) : null;
  }
}

function regionTooltip(properties) {
  const status = properties.control?.status ?? 'unknown';
  return el(
    'span',
    { class: 'region-tooltip-content' },
    el('strong', {}, properties.name),
    properties.name_ar ? [' ', arabic(properties.name_ar)] : null,
    el('span', { class: 'region-tooltip-status' }, STATUS_WORDS[status] ?? status),
  );
}
