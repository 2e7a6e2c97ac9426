// A Leaflet GeoJSON layer whose features are kept by id, so that a new answer from the server
// redraws only what changed: a feature that is new or whose geometry changed gets a new path, a
// feature that is gone loses its path, and the others keep theirs and are only restyled.

import { geoJSON } from 'leaflet';

/** Drawn features kept by id; `layer` is the Leaflet GeoJSON group to add to the map. */
export class KeyedGeoJSON {
  /**
   * @param {object} options Leaflet GeoJSON options (`renderer`, `pane`, `className`,
   *   `interactive`, …) plus `style(feature)` (called again for every kept feature) and
   *   `onCreate(feature, layer)` (once per new path)
   */
  constructor({ style, onCreate = () => {}, ...options }) {
    this.style = style;
    /** The drawn layer of each feature id, in drawing order. */
    this.byId = new Map();
    /** The geometry (GeoJSON text) each feature id is drawn with. */
    this.geometry = new Map();
    this.layer = geoJSON(null, {
      ...options,
      style,
      onEachFeature: (feature, layer) => {
        this.byId.set(String(feature.id), layer);
        onCreate(feature, layer);
      },
    });
  }

  /** The drawn layers, in drawing order. */
  layers() {
    return this.byId.values();
  }

  /**
   * Draws `features` (each with an `id`), in this order: later ones on top. Returns the
   * layers that got a new path.
   * @param {object[]} features
   * @returns {Set<object>}
   */
  sync(features) {
    const ids = new Set(features.map((f) => String(f.id)));
    for (const [id, layer] of this.byId) {
      if (!ids.has(id)) {
        this.layer.removeLayer(layer);
        this.byId.delete(id);
        this.geometry.delete(id);
      }
    }
    const drawnOrder = [...this.byId.keys()];
    const created = new Set();
    // From the first feature drawn anew or out of place on, paths are put back in order.
    let reorderFrom = features.length;
    features.forEach((feature, index) => {
      const id = String(feature.id);
      const geometry = JSON.stringify(feature.geometry);
      const layer = this.byId.get(id);
      if (layer && this.geometry.get(id) === geometry) {
        layer.feature = feature;
        if (drawnOrder[index] !== id) {
          reorderFrom = Math.min(reorderFrom, index);
        }
        return;
      }
      if (layer) {
        this.layer.removeLayer(layer);
      }
      this.geometry.set(id, geometry);
      this.layer.addData(feature); // onEachFeature records the new layer
      created.add(this.byId.get(id));
      reorderFrom = Math.min(reorderFrom, index);
    });
    const order = features.map((f) => this.byId.get(String(f.id))).filter(Boolean);
    this.byId = new Map(order.map((layer) => [String(layer.feature.id), layer]));
    this.order(reorderFrom);
    for (const layer of this.byId.values()) {
      if (!created.has(layer)) {
        layer.setStyle(this.style(layer.feature));
      }
    }
    return created;
  }

  /** Puts the paths from position `from` on in drawing order, on top of those before. */
  order(from = 0) {
    // A hidden group has no paths in the page: `order()` again once it is shown.
    for (const layer of [...this.byId.values()].slice(from)) {
      if (layer.getElement()?.isConnected) {
        layer.bringToFront();
      }
    }
  }
}
