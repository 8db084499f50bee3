// Small SVG charts (no chart library): grouped bars of one or more series over shared labels.
const COLOURS = ["#2a7f62", "#d95f02", "#7570b3", "#e7298a"];
const NS = "http://www.w3.org/2000/svg";

function el(name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceNumber(value) {
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-2)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toLocaleString();
}

/** Draw grouped bars: labels (strings), series [{name, values}] (numbers or null). */
export function barChart(container, labels, series, { title = "" } = {}) {
  container.replaceChildren();
  if (!labels.length) return;
  const width = Math.max(480, labels.length * 18 * series.length + 80);
  const height = 260 + 16 * series.length, left = 70, bottom = 90, top = 24 + 16 * series.length;
  const values = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  const high = Math.max(0, ...values), low = Math.min(0, ...values);
  const span = high - low || 1;
  const y = (v) => top + (high - v) / span * (height - top - bottom);
  const svg = el("svg", { width, height, role: "img", "aria-label": title });
  svg.append(el("text", { x: left, y: 14 }, title));
  svg.append(el("line", { x1: left, x2: width - 10, y1: y(0), y2: y(0), stroke: "#444" }));
  for (const v of [low, (low + high) / 2, high]) {
    svg.append(el("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end" }, niceNumber(v)));
  }
  const band = (width - left - 10) / labels.length;
  const bar = Math.max(2, (band - 4) / series.length);
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = s.values[i];
      if (!Number.isFinite(v)) return;
      const rect = el("rect", {
        x: left + i * band + 2 + j * bar, y: Math.min(y(v), y(0)), width: bar,
        height: Math.max(1, Math.abs(y(v) - y(0))), fill: COLOURS[j % COLOURS.length],
      });
      rect.append(el("title", {}, `${s.name} · ${label}: ${niceNumber(v)}`));
      svg.append(rect);
    });
    const x = left + i * band + band / 2, ty = height - bottom + 12;
    svg.append(el("text", { x, y: ty, transform: `rotate(45 ${x} ${ty})` }, String(label).slice(0, 18)));
  });
  series.forEach((s, j) => {
    svg.append(el("rect", { x: left, y: 20 + j * 16, width: 10, height: 10, fill: COLOURS[j % COLOURS.length] }));
    svg.append(el("text", { x: left + 14, y: 29 + j * 16 }, s.name.slice(0, 40)));
  });
  container.append(svg);
}

/** Render records [{col: value}] as an HTML table with the given columns. */
export function tableView(container, columns, records) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const c of columns) head.append(Object.assign(document.createElement("th"), { textContent: c }));
  const body = table.createTBody();
  for (const r of records) {
    const row = body.insertRow();
    for (const c of columns) {
      const v = r[c];
      row.insertCell().textContent = typeof v === "number" ? niceNumber(v) : (v ?? "");
    }
  }
  container.replaceChildren(table);
}
