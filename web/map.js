// The Leaflet map: a light basemap drawn from the bundled Natural Earth GeoJSON, the bundled
// context lines (the Orontes, the M4 and the M5, subdued, under the control map), an optional
// OpenStreetMap tile layer (off until the user turns it on), the control map of the selected
// date (one filled piece per statement in force, contested ones hatched, grey where nothing is
// known), the front lines in bold, the region outlines and names on top, town labels and the
// layer control, and the area an editor draws (draw.js). GeoJSON positions are [lon, lat] and
// Leaflet's are [lat, lng]: this module is the only place that converts between them, apart
// from draw.js handing its shape to Leaflet's own `toGeoJSON`.

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
import { BASEMAP_ATTRIBUTION, CONTEXT_ATTRIBUTION, OSM_TILES } from './api.js';
import { formatDate } from './dates.js';
import { arabic, el, isHexColor } from './dom.js';
import { AreaDrawing } from './draw.js';
import { HatchPatterns } from './hatch.js';
import { KeyedGeoJSON } from './keyed.js';

/** Fill of land whose control is unknown on the selected date. */
export const UNKNOWN_FILL = '#9e9e9e';

/** What the basemap covers, [[south, west], [north, east]]; the map stays near it. */
const BASEMAP_BOUNDS = latLngBounds([28.5, 29.5], [40.5, 45.0]);

/** Human words for each status, used in tooltips and labels. */
const STATUS_WORDS = { held: 'Held', contested: 'Contested', divided: 'Divided', unknown: 'Unknown' };

/** The Leaflet position of a GeoJSON `Point` feature. */
export function latLngOfPoint(feature) {
  const [lon, lat] = feature.geometry.coordinates;
  return latLng(lat, lon);
}

/** A GeoJSON-order position `{lon, lat}` from a Leaflet position. */
function lonLatOf(position) {
  return { lon: position.lng, lat: position.lat };
}

/** Style of a piece of the control map; `hatch` supplies contested fills. */
function pieceStyle(properties, hatch) {
  if (properties.status === 'contested') {
    return {
      fillColor: hatch.fill(properties.factions),
      fillOpacity: 0.8,
      color: '#111111',
      weight: 1.5,
      opacity: 0.9,
      dashArray: '6 4',
    };
  }
  const color = isHexColor(properties.color) ? properties.color : UNKNOWN_FILL;
  return { fillColor: color, fillOpacity: 0.6, color, weight: 1, opacity: 0.8, dashArray: null };
}

/** Grey under the control map: what no piece covers is unknown. */
const UNKNOWN_STYLE = { stroke: false, fillColor: UNKNOWN_FILL, fillOpacity: 0.35 };

/** Region outlines: no fill, so clicks inside reach the control map below. */
function regionStyle(properties) {
  const sub = Boolean(properties.parent);
  return { fill: false, color: '#555555', weight: sub ? 1 : 1.5, opacity: 0.9, dashArray: sub ? '5 3' : null };
}

/**
 * Context lines, under the control map so its fills tone them down: the river in water blue,
 * the motorways in a muted brown; solid and thin, unlike the dashed borders and bold fronts.
 */
function contextStyle(feature) {
  return feature.properties.kind === 'river'
    ? { color: '#2f6d9e', weight: 2.5, opacity: 0.9, lineCap: 'round', lineJoin: 'round', fill: false }
    : { color: '#8a6a4f', weight: 2.5, opacity: 0.85, lineCap: 'round', lineJoin: 'round', fill: false };
}

/** Front lines: bold, above the control map and below the region names. */
const FRONT_STYLE = { color: '#111111', weight: 4.5, opacity: 0.95, lineCap: 'round', lineJoin: 'round' };

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
   * @param {{view: {lat: number, lon: number, zoom: number}, narrow: boolean, drawBar: HTMLElement,
   *   onClick: (at: {lat: number, lon: number}, screen: {x: number, y: number}) => void,
   *   onViewChange: (view: {lat: number, lon: number, zoom: number}) => void}} options
   *   `drawBar` is #draw-bar, shown while an editor draws an area; `onClick` is not called then
   */
  constructor(container, { view, narrow, drawBar, onClick, onViewChange }) {
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
    this.createPane('context', 155, true);
    this.createPane('basemap-labels', 160, true);
    this.createPane('unknown', 350, true);
    this.createPane('regions', 410);
    this.createPane('fronts', 420, true);
    this.createPane('context-labels', 430, true);
    this.createPane('events', 450);
    this.createPane('labels', 460, true);
    this.createPane('drawing', 470, true);

    /** Renderer of the control map, in the overlay pane; its `<defs>` hold the hatchings. */
    this.pieceRenderer = svg({ padding: 0.5 });
    this.pieceRenderer.addTo(this.map);
    /** Renderer for event markers, in their own pane above the regions. */
    this.eventsRenderer = svg({ pane: 'events', padding: 0.5 });
    const pieceSvg = this.map.getPane('overlayPane').querySelector('svg');
    /** Each faction's `{name, color}` by id, from `setFactions`. */
    this.factions = new Map();
    this.hatch = new HatchPatterns(pieceSvg, (id) => this.factions.get(id)?.color);

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

    /** The Orontes, the M4 and the M5, with a few labels above the control map. */
    this.context = geoJSON(null, {
      pane: 'context',
      renderer: svg({ pane: 'context' }),
      interactive: false,
      attribution: CONTEXT_ATTRIBUTION,
      style: contextStyle,
      onEachFeature: (feature, layer) => layer.on('add', () => markContext(layer)),
      pointToLayer: (feature, position) =>
        marker(position, {
          pane: 'context-labels',
          interactive: false,
          keyboard: false,
          icon: divIcon({
            className: `context-label context-label-${feature.properties.kind}`,
            html: el('span', { 'data-line': feature.properties.line }, feature.properties.name),
            iconSize: null,
          }),
        }).on('add', (event) => this.showContextLabel(event.target)),
    }).addTo(this.map);
    this.map.on('zoomend', () => this.context.eachLayer((layer) => this.showContextLabel(layer)));

    /** Top-level regions in grey, under the pieces: what no piece covers is unknown. */
    this.unknown = new KeyedGeoJSON({
      pane: 'unknown',
      renderer: svg({ pane: 'unknown', padding: 0.5 }),
      interactive: false,
      className: 'unknown-land',
      style: () => UNKNOWN_STYLE,
    });
    /** One piece per statement in force on the selected date. */
    this.pieces = new KeyedGeoJSON({
      renderer: this.pieceRenderer,
      className: 'control-piece',
      style: (feature) => pieceStyle(feature.properties, this.hatch),
      onCreate: (feature, layer) => this.initPiece(layer),
    });
    this.controlMap = layerGroup([this.unknown.layer, this.pieces.layer]).addTo(this.map);
    this.fronts = new KeyedGeoJSON({
      pane: 'fronts',
      renderer: svg({ pane: 'fronts', padding: 0.5 }),
      interactive: false,
      className: 'front-line',
      style: () => FRONT_STYLE,
      onCreate: (feature, layer) => layer.on('add', () => markFront(layer)),
    });
    this.fronts.layer.addTo(this.map);
    this.regions = new KeyedGeoJSON({
      pane: 'regions',
      renderer: svg({ pane: 'regions', padding: 0.5 }),
      className: 'region',
      style: (feature) => regionStyle(feature.properties),
      onCreate: (feature, layer) => this.initRegion(layer),
    });
    this.regions.layer.addTo(this.map);
    // Shown again from the layer control, the group adds its paths oldest first.
    this.map.on('overlayadd', (event) => {
      if (event.layer === this.regions.layer) {
        this.regions.order();
      }
    });

    this.towns = layerGroup().addTo(this.map);
    this.osm = tileLayer(OSM_TILES.url, { attribution: OSM_TILES.attribution, maxZoom: 19 });

    this.layers = control
      .layers(
        null,
        {
          'Control areas': this.controlMap,
          'Front lines': this.fronts.layer,
          Regions: this.regions.layer,
          'Town labels': this.towns,
          'Rivers and roads': this.context,
          'OpenStreetMap tiles': this.osm,
        },
        { collapsed: narrow },
      )
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

    /** The area an editor draws; while it captures clicks, they place its corners. */
    this.drawing = new AreaDrawing(this.map, drawBar, { pane: 'drawing' });
    this.onClick = (at, screen) => {
      if (!this.drawing.capturing) {
        onClick(at, screen);
      }
    };
    /** Path elements that already answer Enter and Space (Leaflet recreates them on re-add). */
    this.keyboardReady = new WeakSet();
    this.map.on('click', (event) => {
      if (this.drawing.capturing) {
        this.drawing.click(event.latlng, event.containerPoint);
      } else {
        onClick(lonLatOf(event.latlng), event.containerPoint);
      }
    });
    this.map.on('moveend', () => onViewChange(this.getView()));
    container.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && event.target === container) {
        const center = this.map.getCenter();
        if (this.drawing.capturing) {
          this.drawing.click(center, this.toScreen(center));
        } else {
          onClick(lonLatOf(center), this.toScreen(center));
        }
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

  /** Draws the bundled context lines (the Orontes, the M4, the M5) and their labels. */
  setContext(collection) {
    this.context.clearLayers();
    this.context.addData(collection);
  }

  /** Hides a context label below its `minzoom`, so that zoomed out the map stays readable. */
  showContextLabel(layer) {
    const minzoom = layer.feature?.properties.minzoom;
    if (typeof minzoom === 'number') {
      layer.getElement()?.classList.toggle('is-hidden', this.map.getZoom() < minzoom);
    }
  }

  /** Adds a layer to the map and to the layer control. */
  addOverlay(layer, name, visible = true) {
    if (visible) {
      layer.addTo(this.map);
    }
    this.layers.addOverlay(layer, name);
  }

  /** Sets each faction's `{name, color}` (a Map by id), for fills, hatchings and tooltips. */
  setFactions(factions) {
    this.factions = factions;
  }

  /**
   * Shows the region outlines and names of `collection` (from the regions endpoint for one
   * date), parents first so sub-regions draw on top, and greys the top-level regions under the
   * control map. Only a region that is new or whose geometry changed is drawn anew.
   */
  setRegions(collection) {
    const features = [...collection.features].sort(
      (a, b) => Number(Boolean(a.properties.parent)) - Number(Boolean(b.properties.parent)),
    );
    this.regions.sync(features);
    for (const layer of this.regions.layers()) {
      this.markRegion(layer);
    }
    this.unknown.sync(features.filter((f) => !f.properties.parent));
  }

  /**
   * Shows the control map of `collection` (the `control` collection for one date): one piece
   * per statement in force, filled in its faction's colour or hatched when contested. Only a
   * piece that is new or whose geometry changed is drawn anew.
   */
  setControl(collection) {
    this.pieces.sync(collection.features);
    for (const layer of this.pieces.layers()) {
      markPiece(layer);
    }
  }

  /** Shows the front lines of `collection` (the `front-lines` collection for one date). */
  setFronts(collection) {
    this.fronts.sync(collection.features);
    for (const layer of this.fronts.layers()) {
      markFront(layer);
    }
  }

  initPiece(layer) {
    layer.bindTooltip(() => pieceTooltip(layer.feature.properties, this.factions), {
      sticky: true,
      direction: 'top',
      className: 'region-tooltip',
    });
    layer.on('add', () => markPiece(layer));
  }

  initRegion(layer) {
    layer.bindTooltip(() => regionName(layer.feature.properties), {
      permanent: true,
      direction: 'center',
      className: 'region-name',
    });
    layer.on('add', () => this.markRegion(layer));
    layer.on('mouseover', () => {
      const base = regionStyle(layer.feature.properties);
      layer.setStyle({ weight: base.weight + 2, opacity: 1 });
      layer.getElement()?.classList.add('is-hovered');
    });
    layer.on('mouseout', () => {
      layer.setStyle(regionStyle(layer.feature.properties));
      layer.getElement()?.classList.remove('is-hovered');
    });
  }

  /** Sets the DOM attributes the page's tests and styles rely on, and Enter/Space. */
  markRegion(layer) {
    const path = layer.getElement();
    if (!path) {
      return;
    }
    const properties = layer.feature.properties;
    const status = properties.status ?? 'unknown';
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

/** Sets the attributes that tell a drawn piece's statement, holder and status. */
function markPiece(layer) {
  const path = layer.getElement();
  if (!path) {
    return;
  }
  const properties = layer.feature.properties;
  path.setAttribute('data-statement-id', properties.statement);
  path.setAttribute('data-holder', properties.holder);
  path.setAttribute('data-status', properties.status);
  if (properties.region) {
    path.setAttribute('data-region', properties.region);
  } else {
    path.removeAttribute('data-region');
  }
}

/** Sets the attributes that tell which context line a path draws, and its kind. */
function markContext(layer) {
  const path = layer.getElement?.();
  if (!path || layer.feature.geometry.type !== 'LineString') {
    return;
  }
  path.setAttribute('data-line', String(layer.feature.id));
  path.setAttribute('data-kind', layer.feature.properties.kind);
  path.classList.add('context-line');
}

/** Sets the attribute that tells which holders a drawn front line separates. */
function markFront(layer) {
  layer.getElement()?.setAttribute('data-sides', layer.feature.properties.sides.join(' '));
}

/** A region's name (and Arabic name) as its label on the map. */
function regionName(properties) {
  return el('span', { class: 'region-name-text' }, properties.name, properties.name_ar ? [' ', arabic(properties.name_ar)] : null);
}

/** What the pointer shows over a piece: who holds it since when. */
function pieceTooltip(properties, factions) {
  const name = (id) => factions.get(id)?.name ?? id;
  const who =
    properties.status === 'contested'
      ? `Contested: ${properties.factions.map(name).join(', ')}`
      : `Held by ${name(properties.holder)}`;
  return el(
    'span',
    { class: 'region-tooltip-content' },
    el('strong', {}, who),
    el('span', { class: 'region-tooltip-status' }, `Since ${formatDate(properties.since, properties.precision)}`),
  );
}
