// The map: Leaflet in plain pixel coordinates (CRS.Simple) showing a run's raster outputs as the
// PNG maps the API renders (/results/{run}/map/{path}); a layer list and a legend beside it.
import L from "leaflet";
import { encodePath, url } from "./api.js";
import { t } from "./i18n.js";

let map = null;
let overlay = null;

export function initMap(element) {
  map = L.map(element, { crs: L.CRS.Simple, minZoom: -4, maxZoom: 4, zoomSnap: 0.25, attributionControl: false });
  map.setView([0, 0], 0);
  return map;
}

/** Show raster ``path`` of run ``runId``; resolves with the image size once it is drawn. */
export function showRaster(runId, path) {
  const src = url(`/results/${encodeURIComponent(runId)}/map/${encodePath(path)}`);
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => {
      const bounds = [[-image.naturalHeight, 0], [0, image.naturalWidth]];
      if (overlay) overlay.remove();
      overlay = L.imageOverlay(src, bounds, { className: "raster-layer" }).addTo(map);
      overlay.getElement().dataset.path = path;
      map.fitBounds(bounds);
      resolve({ width: image.naturalWidth, height: image.naturalHeight });
    };
    image.onerror = () => reject(new Error(`map ${path} could not be drawn`));
    image.src = src;
  });
}

export function clearMap() {
  if (overlay) overlay.remove();
  overlay = null;
}

/** The layer list (radio buttons, one per raster) and the legend of the chosen one. */
export function layerList(listEl, legendEl, runId, rasters, drawn, describe) {
  listEl.replaceChildren();
  legendEl.replaceChildren();
  clearMap();
  if (!rasters.length) {
    listEl.append(Object.assign(document.createElement("li"), { textContent: t("noLayers") }));
    return;
  }
  for (const path of rasters) {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const radio = Object.assign(document.createElement("input"), { type: "radio", name: "layer", value: path });
    radio.addEventListener("change", async () => {
      legendEl.replaceChildren(legend(path, drawn.has(path), describe(path)));
      try { await showRaster(runId, path); } catch (err) { legendEl.append(String(err.message)); }
    });
    label.append(radio, " ", path);
    item.append(label);
    listEl.append(item);
  }
}

function legend(path, runDrawn, info) {
  const box = document.createElement("div");
  const name = document.createElement("strong");
  name.textContent = info && info.about ? info.about : path;
  box.append(name);
  if (info && info.units) box.append(Object.assign(document.createElement("div"), { textContent: `${t("units")}: ${info.units}` }));
  if (runDrawn) {
    box.append(Object.assign(document.createElement("div"), { textContent: "↳ legend drawn in the run's map" }));
  } else {
    box.append(Object.assign(document.createElement("div"), { className: "ramp" }));
    const ends = Object.assign(document.createElement("div"), { className: "ends" });
    ends.append(Object.assign(document.createElement("span"), { textContent: "2 %" }),
      Object.assign(document.createElement("span"), { textContent: t("legendStretch") }),
      Object.assign(document.createElement("span"), { textContent: "98 %" }));
    box.append(ends);
  }
  return box;
}
