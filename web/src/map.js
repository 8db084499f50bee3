// The map: Leaflet in Web Mercator without a base map (no tiles are fetched from anywhere). The
// Belt's member units are drawn as outlines; one raster at a time (a dataset layer or an output of
// the chosen run) is laid over them as the PNG the API renders, placed at the WGS 84 corners the
// API gives (/…/info or /…/raster); vector layers are drawn from GeoJSON. A layer list and a legend
// sit beside the map.
import L from "leaflet";
import { api, encodePath, url } from "./api.js";
import { t } from "./i18n.js";

let map = null;
let overlay = null;
const vectors = new Map();

export function initMap(element) {
  if (map) return map;
  map = L.map(element, { zoomSnap: 0.25, attributionControl: false });
  map.setView([44.2, 86.0], 6);  // the Tianshan northern slope, until the outlines are loaded
  L.control.scale({ imperial: false }).addTo(map);
  return map;
}

/** Draw the dataset's member units as outlines and fit the map to them. */
export async function drawOutline(dataset = "belt", layer = "units") {
  const data = await api(`/datasets/${dataset}/layers/${layer}/geojson`);
  const outline = L.geoJSON(data, {
    style: { color: "#333", weight: 1, fill: false },
    onEachFeature: (feature, lyr) => {
      const p = feature.properties || {};
      const name = p.name_zh || p.name || p.unit || p.id;
      if (name) lyr.bindTooltip(String(name));
    },
  }).addTo(map);
  map.fitBounds(outline.getBounds());
  return outline;
}

function boundsOf(corners) {
  const lons = corners.map((c) => c[0]), lats = corners.map((c) => c[1]);
  return L.latLngBounds([Math.min(...lats), Math.min(...lons)], [Math.max(...lats), Math.max(...lons)]);
}

/** Lay a raster over the map: ``source`` = {image, info} API paths; resolves with its info. */
export async function showRaster(source, key) {
  const info = await api(source.info);
  if (!info.corners_wgs84) throw new Error(`${key}: the raster has no coordinate system`);
  const bounds = boundsOf(info.corners_wgs84);
  await new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = resolve;
    image.onerror = () => reject(new Error(`${key}: the map could not be drawn`));
    image.src = url(source.image);
  });
  if (overlay) overlay.remove();
  overlay = L.imageOverlay(url(source.image), bounds, { className: "raster-layer", opacity: 0.85 }).addTo(map);
  overlay.getElement().dataset.path = key;
  map.fitBounds(bounds);
  return info;
}

async function toggleVector(key, path, on) {
  if (!on) {
    if (vectors.has(key)) { vectors.get(key).remove(); vectors.delete(key); }
    return;
  }
  const data = await api(path);
  const layer = L.geoJSON(data, { style: { color: "#d95f02", weight: 1.5, fillOpacity: 0.1 } }).addTo(map);
  vectors.set(key, layer);
}

export function clearRunLayers() {
  if (overlay && overlay.getElement().dataset.run) { overlay.remove(); overlay = null; }
}

function legend(title, info, note, drawnHref) {
  const box = document.createElement("div");
  box.append(Object.assign(document.createElement("strong"), { textContent: title }));
  if (info.units) box.append(Object.assign(document.createElement("div"), { textContent: `${t("units")}: ${info.units}` }));
  box.append(Object.assign(document.createElement("div"), { className: "ramp" }));
  const ends = Object.assign(document.createElement("div"), { className: "ends" });
  ends.append(Object.assign(document.createElement("span"), { textContent: "2 %" }),
    Object.assign(document.createElement("span"), { textContent: t("legendStretch") }),
    Object.assign(document.createElement("span"), { textContent: "98 %" }));
  box.append(ends);
  if (info.min != null) {
    box.append(Object.assign(document.createElement("div"), { textContent: `min ${fmt(info.min)} · max ${fmt(info.max)}` }));
  }
  if (note) box.append(Object.assign(document.createElement("div"), { className: "note", textContent: note }));
  if (drawnHref) {
    const a = Object.assign(document.createElement("a"), { href: drawnHref, target: "_blank", rel: "noopener", textContent: t("runMap") });
    box.append(a);
  }
  return box;
}

const fmt = (v) => Number(v.toPrecision(4)).toLocaleString();

function radio(listEl, legendEl, key, labelText, source, describe) {
  const item = document.createElement("li");
  const label = document.createElement("label");
  const input = Object.assign(document.createElement("input"), { type: "radio", name: "layer", value: key });
  input.addEventListener("change", async () => {
    legendEl.replaceChildren(labelText);
    try {
      const info = await showRaster(source, key);
      if (source.run) overlay.getElement().dataset.run = source.run;
      const d = describe();
      legendEl.replaceChildren(legend(d.title || labelText, { ...info, units: d.units }, d.note, source.drawn));
    } catch (err) {
      legendEl.replaceChildren(Object.assign(document.createElement("span"), { className: "error", textContent: err.message }));
    }
  });
  label.append(input, " ", labelText);
  item.append(label);
  listEl.append(item);
}

function heading(listEl, text) {
  listEl.append(Object.assign(document.createElement("li"), { className: "group", textContent: text }));
}

/** The dataset's layers: rasters as radio buttons, vectors as check boxes. */
export function datasetLayers(listEl, legendEl, layers, dataset = "belt") {
  listEl.replaceChildren();
  heading(listEl, t("datasetLayers"));
  for (const layer of layers) {
    const key = `${dataset}:${layer.id}`;
    const title = layer.long_name || layer.id;
    if (layer.kind === "raster") {
      const base = `/datasets/${dataset}/layers/${encodeURIComponent(layer.id)}`;
      radio(listEl, legendEl, key, title, { image: `${base}/map`, info: `${base}/info` },
        () => ({ title, units: layer.units, note: `${layer.status} · ${layer.source || ""}` }));
    } else if (layer.kind === "vector") {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const box = Object.assign(document.createElement("input"), { type: "checkbox", value: key });
      box.addEventListener("change", () => toggleVector(key, `/datasets/${dataset}/layers/${encodeURIComponent(layer.id)}/geojson`, box.checked)
        .catch((err) => legendEl.replaceChildren(err.message)));
      label.append(box, " ", title);
      item.append(label);
      listEl.append(item);
    }
  }
}

/** The rasters of run ``runId`` (``drawn``: those with a map drawn by the run). */
export function runLayers(listEl, legendEl, runId, rasters, drawn, describe) {
  listEl.replaceChildren();
  heading(listEl, `${t("runLayers")} ${runId}`);
  if (!rasters.length) {
    listEl.append(Object.assign(document.createElement("li"), { textContent: t("noLayers") }));
    return;
  }
  const run = encodeURIComponent(runId);
  for (const path of rasters) {
    const file = encodePath(path);
    const drawnHref = drawn.has(path) ? url(`/results/${run}/files/${encodePath(path.replace(/\.tif$/, ".png"))}`) : null;
    radio(listEl, legendEl, path, path, { image: `/results/${run}/map/${file}?plain=true`, info: `/results/${run}/raster/${file}`, run: runId, drawn: drawnHref },
      () => { const o = describe(path) || {}; return { title: o.about || path, units: o.units }; });
  }
}
