// The map: Leaflet in Web Mercator without a base map (nothing is fetched from another host). The
// Belt's member units are drawn as outlines; one raster at a time (a dataset layer or an output of
// the chosen run) is laid over them as the API's Web Mercator tiles (…/tiles/{z}/{x}/{y}.png,
// reprojected on the server from the raster's own CRS), coloured on one scale per layer that the
// API's legend (…/legend) describes; vector layers are drawn from GeoJSON. A layer list and a
// legend sit beside the map.
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

// A transparent 1 × 1 GIF for tiles the API answers "no content" (outside the raster).
const EMPTY_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

/** Lay a raster over the map as Web Mercator tiles: ``source`` = {tiles (an API path ending in
 * /{z}/{x}/{y}.png), legend (its API path)}; resolves with the legend (colour scale or classes,
 * fixed for the whole layer, and its WGS 84 bounds). */
export async function showRaster(source, key, band = 1) {
  const info = await api(`${source.legend}?band=${band}`);
  const [west, south, east, north] = info.bounds_wgs84;
  const bounds = L.latLngBounds([south, west], [north, east]);
  if (overlay) overlay.remove();
  overlay = L.tileLayer(`${url(source.tiles)}?band=${band}`, {
    bounds, tileSize: 256, opacity: 0.85, className: "raster-layer", errorTileUrl: EMPTY_TILE,
    maxNativeZoom: Math.max(info.native_zoom || 0, 1), maxZoom: 18, keepBuffer: 1,
  }).addTo(map);
  overlay.getContainer().dataset.path = key;
  overlay.getContainer().dataset.band = String(band);
  if (band === 1) map.fitBounds(bounds);
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
  if (overlay && overlay.getContainer().dataset.run) { overlay.remove(); overlay = null; }
}

function legend(title, info, note, drawnHref) {
  const box = document.createElement("div");
  const el = (tag, props) => Object.assign(document.createElement(tag), props);
  box.append(el("strong", { textContent: title }));
  if (info.kind === "categorical") {
    const list = el("ul", { className: "classes" });
    for (const c of info.classes || []) {
      const item = el("li", {});
      const swatch = el("span", { className: "swatch" });
      swatch.style.background = c.colour;
      item.append(swatch, ` ${c.code} · ${c.name}`);
      list.append(item);
    }
    box.append(list);
  } else {
    if (info.units) box.append(el("div", { textContent: `${t("units")}: ${info.units}` }));
    const ramp = el("div", { className: "ramp" });
    if (info.ramp) ramp.style.background = `linear-gradient(to right, ${info.ramp.join(", ")})`;
    box.append(ramp);
    const ends = el("div", { className: "ends" });
    ends.append(el("span", { textContent: fmt(info.min) }), el("span", { textContent: t("legendStretch") }),
      el("span", { textContent: fmt(info.max) }));
    box.append(ends);
    box.append(el("div", { textContent: `min ${fmt(info.min)} · max ${fmt(info.max)}` }));
  }
  if (note) box.append(el("div", { className: "note", textContent: note }));
  if (drawnHref) box.append(el("a", { href: drawnHref, target: "_blank", rel: "noopener", textContent: t("runMap") }));
  return box;
}

const fmt = (v) => Number(v.toPrecision(4)).toLocaleString();

function radio(listEl, legendEl, key, labelText, source, describe) {
  const item = document.createElement("li");
  const label = document.createElement("label");
  const input = Object.assign(document.createElement("input"), { type: "radio", name: "layer", value: key });
  const show = async (band) => {
    legendEl.replaceChildren(labelText);
    try {
      const info = await showRaster(source, key, band);
      if (source.run) overlay.getContainer().dataset.run = source.run;
      const d = describe();
      const box = legend(d.title || labelText, { ...info, units: d.units || info.units }, d.note, source.drawn);
      if (info.bands > 1) {  // a multi-band raster (e.g. one band per month): choose the band
        const select = Object.assign(document.createElement("select"), { id: "band" });
        info.band_names.forEach((name, i) => select.append(new Option(`${i + 1} · ${name}`, String(i + 1))));
        select.value = String(band);
        select.addEventListener("change", () => show(Number(select.value)));
        box.insertBefore(select, box.children[1]);
      }
      legendEl.replaceChildren(box);
    } catch (err) {
      legendEl.replaceChildren(Object.assign(document.createElement("span"), { className: "error", textContent: err.message }));
    }
  };
  input.addEventListener("change", () => show(1));
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
      radio(listEl, legendEl, key, title, { tiles: `${base}/tiles/{z}/{x}/{y}.png`, legend: `${base}/legend` },
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
    radio(listEl, legendEl, path, path, { tiles: `/results/${run}/tiles/${file}/{z}/{x}/{y}.png`, legend: `/results/${run}/legend/${file}`, run: runId, drawn: drawnHref },
      () => { const o = describe(path) || {}; return { title: o.about || path, units: o.units }; });
  }
}
