// The ecociv dashboard: sign-in, scenario lever editor, runs with live progress (server-sent
// events), map of raster outputs, tables and charts of a run and of a comparison, reports.
import yaml from "js-yaml";
import { api, ApiError, encodePath, url } from "./api.js";
import { barChart, tableView } from "./charts.js";
import { currentLang, setLang, t } from "./i18n.js";
import { leverEditor } from "./levers.js";
import { datasetLayers, drawOutline, initMap, runLayers } from "./map.js";

const $ = (id) => document.getElementById(id);
const state = { me: null, specs: new Map(), scenario: null, data: null, editor: null, strategies: [], runs: [], source: null };

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function fail(err) {
  const extra = err instanceof ApiError && err.problems.length ? `: ${err.problems.join("; ")}` : "";
  status(`${err.message}${extra}`, true);
}

// sign-in -----------------------------------------------------------------------------------
async function signIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    await api("/auth/login", { method: "POST", body: { username: $("username").value, password: $("password").value } });
    $("password").value = "";
    await start();
  } catch (err) {
    $("login-error").textContent = err.message;
  }
}

async function signOut() {
  try { await api("/auth/logout", { method: "POST" }); } catch { /* already signed out */ }
  location.reload();
}

async function start() {
  try {
    state.me = await api("/auth/me");
  } catch (err) {
    if (err.status === 401) {
      $("login-view").hidden = false;
      $("app-view").hidden = true;
      return;
    }
    throw err;
  }
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = `${t("signedInAs")} ${state.me.user} (${state.me.role})`;
  const canEdit = state.me.role !== "viewer";
  for (const id of ["save-levers", "validate", "start", "make-report"]) $(id).disabled = !canEdit;
  if (!canEdit) status(t("readOnly"));
  initMap($("map"));
  const [models, strategies] = await Promise.all([api("/models"), api("/strategies").catch(() => [])]);
  state.specs = new Map(models.map((m) => [m.id, m]));
  state.strategies = strategies;
  loadPresets();
  await Promise.all([loadScenarios(), loadRuns(), loadCatalog()]);
}

// scenarios and levers ------------------------------------------------------------------------
async function loadScenarios(chosen) {
  const list = await api("/scenarios");
  const select = $("scenario");
  select.replaceChildren(...list.map((s) => new Option(`${s.name} (${s.owner})`, s.id)));
  if (!list.length) {
    $("levers").textContent = t("noScenario");
    return;
  }
  if (chosen) select.value = chosen;
  await openScenario(select.value);
}

/** A scenario of one's own with the chosen shipped strategy's file, runnable as it is. */
async function scenarioFromStrategy() {
  const id = $("preset").value;
  if (!id) return;
  const made = await api(`/strategies/${encodeURIComponent(id)}/scenario`, { method: "POST" });
  await loadScenarios(made.id);
  status(`${t("createdFrom")} ${made.strategy}: ${made.name}`);
}

async function openScenario(id) {
  state.scenario = await api(`/scenarios/${encodeURIComponent(id)}`);
  state.data = yaml.load(state.scenario.yaml) || {};
  state.editor = leverEditor($("levers"), state.data, state.specs);
  $("preset").value = "";
  $("from-strategy").disabled = true;
}

async function saveLevers() {
  const { levers, params } = state.editor.changes();
  const id = encodeURIComponent(state.scenario.id);
  if (params.length) {
    for (const [index, key, value] of params) {
      const step = state.data.models[index];
      step.params = step.params || {};
      if (value === null) delete step.params[key]; else step.params[key] = value;
    }
    state.data.levers = mergeLevers(state.data.levers || {}, levers);
    await api(`/scenarios/${id}`, { method: "PUT", body: { yaml: yaml.dump(state.data), shared: state.scenario.shared } });
  } else if (Object.keys(levers).length) {
    await api(`/scenarios/${id}/levers`, { method: "PATCH", body: { levers } });
  }
  await openScenario(state.scenario.id);
  status(t("saved"));
}

function mergeLevers(base, changes) {
  const out = { ...base };
  for (const [group, values] of Object.entries(changes)) {
    out[group] = { ...(out[group] || {}) };
    for (const [k, v] of Object.entries(values)) if (v === null) delete out[group][k]; else out[group][k] = v;
  }
  return out;
}

async function validate() {
  await saveLevers();
  const answer = await api(`/scenarios/${encodeURIComponent(state.scenario.id)}/validate`, { method: "POST" });
  status(answer.valid ? t("valid") : `${t("invalid")}: ${answer.problems.join("; ")}`, !answer.valid);
  return answer.valid;
}

function loadPresets() {
  const zh = currentLang() === "zh";
  $("preset").replaceChildren(new Option(t("none"), ""),
    ...state.strategies.map((s) => new Option(`${s.id} · ${zh ? s.title_zh : s.title}`, s.id)));
}

function applyPreset() {
  $("from-strategy").disabled = !$("preset").value || state.me.role === "viewer";
  const strategy = state.strategies.find((s) => s.id === $("preset").value);
  if (!strategy || !state.editor) return;
  const unread = state.editor.apply(strategy.levers);
  status(unread.length ? `${t("presetApplied")} ${strategy.id}; ${t("unreadGroups")}: ${unread.join(", ")}`
    : `${t("presetApplied")} ${strategy.id}`);
}

// runs and progress ---------------------------------------------------------------------------
async function startRun() {
  await saveLevers();
  const job = await api("/runs", { method: "POST", body: { scenario_id: state.scenario.id } });
  $("progress").value = 0;
  $("cancel").hidden = false;
  $("start").disabled = true;
  status(t("queued"));
  follow(job.id);
}

function follow(jobId) {
  const steps = [];
  const finished = new Set();
  let fraction = 0;
  const source = new EventSource(url(`/runs/${encodeURIComponent(jobId)}/events`));
  state.source = source;
  state.job = jobId;
  const update = () => {
    const total = Math.max(1, steps.length);
    $("progress").value = Math.min(1, (finished.size + fraction) / total);
  };
  source.addEventListener("start", (e) => { steps.push(...JSON.parse(e.data).steps); update(); });
  source.addEventListener("step", (e) => {
    const ev = JSON.parse(e.data);
    const percent = /(\d+(?:\.\d+)?) ?%/.exec(ev.status);
    if (ev.status === "done" || ev.status === "cached") { finished.add(ev.step); fraction = 0; } else fraction = percent ? Number(percent[1]) / 100 : 0;
    status(`${t("step")} ${ev.step}: ${t(ev.status.split(" ")[0])}${percent ? ` ${percent[1]} %` : ""}`);
    update();
  });
  source.addEventListener("done", async (e) => {
    $("progress").value = 1;
    status(`${t("completed")}: ${JSON.parse(e.data).run_id}`);
    $("progress").dataset.done = "1";
  });
  source.addEventListener("error", (e) => {
    if (e.data) status(`${t("failed")}: ${JSON.parse(e.data).message}`, true);
  });
  source.addEventListener("cancelled", () => status(t("cancelled"), true));
  source.addEventListener("end", async () => {
    source.close();
    state.source = null;
    $("cancel").hidden = true;
    $("start").disabled = false;
    await loadRuns();
  });
}

async function cancelRun() {
  if (state.job) await api(`/runs/${encodeURIComponent(state.job)}/cancel`, { method: "POST" });
}

async function loadRuns() {
  const answer = await api("/runs");
  const runs = [
    ...answer.jobs.filter((j) => j.run_id).map((j) => ({ run_id: j.run_id, label: `${j.run_id} (${j.owner})` })),
    ...answer.catalog.filter((r) => r.status !== "failed").map((r) => ({ run_id: r.run_id, label: `${r.run_id} · ${r.scenario}` })),
  ];
  state.runs = runs;
  $("run").replaceChildren(...runs.map((r) => new Option(r.label, r.run_id)));
  $("compare").replaceChildren(new Option(t("none"), ""), ...runs.map((r) => new Option(r.label, r.run_id)));
  if (runs.length) await openRun(runs[0].run_id);
}

// results ---------------------------------------------------------------------------------------
function outputInfo(manifest, path) {
  // "<step>/<output>.tif": the model of the step from the manifest, the output from its spec
  const [stepName, file] = path.split("/");
  const steps = (manifest && manifest.steps) || [];
  const step = Array.isArray(steps) ? steps.find((s) => s.name === stepName || s.step === stepName) : steps[stepName];
  const modelId = step && (step.model || step.id || step.model_id);
  const spec = state.specs.get(modelId) || state.specs.get(stepName);
  const outputId = file ? file.replace(/\.[^.]+$/, "") : "";
  return spec ? spec.outputs.find((o) => o.id === outputId) : undefined;
}

async function openRun(runId) {
  $("run").value = runId;
  $("report-status").textContent = "";
  const result = await api(`/results/${encodeURIComponent(runId)}`);
  state.result = result;
  const files = result.files;
  const rasters = files.rasters || [];
  const drawn = new Set(rasters.filter((r) => (files.maps || []).includes(r.replace(/\.tif$/, ".png"))));
  runLayers($("layer-list"), $("legend"), runId, rasters, drawn, (p) => outputInfo(result.manifest, p));
  const tables = files.tables ? files.tables.filter((f) => f.endsWith(".csv")) : [];
  $("table").replaceChildren(...tables.map((f) => new Option(f, f)));
  if (tables.length) await openTable(); else { $("chart").replaceChildren(); $("table-view").replaceChildren(); }
  await loadReports(runId);
}

async function getTable(runId, path) {
  return api(`/results/${encodeURIComponent(runId)}/table/${encodePath(path)}?limit=500`);
}

function numericColumns(table) {
  return table.columns.filter((c) => table.records.some((r) => typeof r[c] === "number"));
}

async function openTable() {
  const path = $("table").value;
  const table = await getTable($("run").value, path);
  state.table = table;
  const numeric = numericColumns(table);
  const previous = $("column").value;
  $("column").replaceChildren(...numeric.map((c) => new Option(c, c)));
  if (numeric.includes(previous)) $("column").value = previous;
  tableView($("table-view"), table.columns, table.records);
  drawChart();
  await compare();
}

function labelsOf(table) {
  const key = table.columns.find((c) => table.records.some((r) => typeof r[c] === "string")) || table.columns[0];
  return { key, labels: table.records.map((r, i) => (key ? String(r[key]) : String(i))) };
}

function drawChart() {
  const table = state.table;
  const column = $("column").value;
  if (!table || !column) { $("chart").replaceChildren(); return; }
  const { labels } = labelsOf(table);
  const n = Math.min(40, labels.length);
  barChart($("chart"), labels.slice(0, n), [{ name: column, values: table.records.slice(0, n).map((r) => r[column]) }],
    { title: `${$("table").value} · ${column} (${table.rows} ${t("rows")})` });
}

async function compare() {
  const other = $("compare").value;
  const path = $("table").value;
  const column = $("column").value;
  $("compare-chart").replaceChildren();
  $("compare-view").replaceChildren();
  if (!other || !path || !column) return;
  let table;
  try { table = await getTable(other, path); } catch (err) { $("compare-view").textContent = err.message; return; }
  const base = state.table;
  const { key, labels } = labelsOf(base);
  const lookup = new Map(table.records.map((r) => [String(r[key]), r[column]]));
  const rows = labels.map((label, i) => {
    const a = base.records[i][column], b = lookup.get(label);
    return { [key || "#"]: label, [$("run").value]: a, [other]: b, difference: Number.isFinite(a) && Number.isFinite(b) ? b - a : null };
  });
  const n = Math.min(40, rows.length);
  barChart($("compare-chart"), labels.slice(0, n), [
    { name: $("run").value, values: rows.slice(0, n).map((r) => r[$("run").value]) },
    { name: other, values: rows.slice(0, n).map((r) => r[other]) },
  ], { title: `${path} · ${column}` });
  tableView($("compare-view"), [key || "#", $("run").value, other, "difference"], rows);
}

async function loadReports(runId) {
  const list = await api(`/results/${encodeURIComponent(runId)}/reports`);
  const items = list.map((path) => {
    const li = document.createElement("li");
    const a = Object.assign(document.createElement("a"), {
      href: url(`/results/${encodeURIComponent(runId)}/files/${encodePath(path)}`), textContent: path,
    });
    a.setAttribute("download", path.split("/").pop());
    a.className = "report-link";
    li.append(a);
    return li;
  });
  $("reports").replaceChildren(...(items.length ? items : [Object.assign(document.createElement("li"), { textContent: t("noReports") })]));
}

/** Write the chosen run's report on the server (in the page's language, PDF on request), show
 * that it is being written and any error, then list its files as download links. */
async function makeReport() {
  const runId = $("run").value;
  if (!runId) return;
  const lang = currentLang();
  $("make-report").disabled = true;
  $("report-progress").hidden = false;
  $("report-status").className = "";
  $("report-status").textContent = `${t("reportWriting")} (${lang}${$("report-pdf").checked ? ", PDF" : ""})`;
  try {
    const files = await api(`/results/${encodeURIComponent(runId)}/reports`, {
      method: "POST", body: { lang, pdf: $("report-pdf").checked },
    });
    $("report-status").textContent = `${t("reportWritten")}: ${files.join(", ")}`;
    if ($("run").value === runId) await loadReports(runId);
  } catch (err) {
    $("report-status").className = "error";
    const extra = err instanceof ApiError && err.problems.length ? `: ${err.problems.join("; ")}` : "";
    $("report-status").textContent = `${t("failed")}: ${err.message}${extra}`;
  } finally {
    $("report-progress").hidden = true;
    $("make-report").disabled = state.me.role === "viewer";
  }
}

async function loadCatalog() {
  const layers = await api("/datasets/belt/layers");
  const columns = ["id", "long_name", "kind", "status", "units", "resolution", "source"];
  tableView($("catalog"), columns, layers);
  datasetLayers($("dataset-layers"), $("legend"), layers);
  try { await drawOutline(); } catch (err) { $("legend").textContent = err.message; }
}

// wiring --------------------------------------------------------------------------------------
function guard(fn) {
  return async (...args) => { try { await fn(...args); } catch (err) { fail(err); } };
}

document.addEventListener("DOMContentLoaded", () => {
  $("lang").value = currentLang();
  setLang(currentLang());
  $("lang").addEventListener("change", () => { setLang($("lang").value); if (state.data) state.editor = leverEditor($("levers"), state.data, state.specs);
  $("preset").value = ""; });
  $("login").addEventListener("submit", signIn);
  $("logout").addEventListener("click", signOut);
  $("scenario").addEventListener("change", guard(() => openScenario($("scenario").value)));
  $("save-levers").addEventListener("click", guard(saveLevers));
  $("preset").addEventListener("change", applyPreset);
  $("validate").addEventListener("click", guard(validate));
  $("start").addEventListener("click", guard(startRun));
  $("cancel").addEventListener("click", guard(cancelRun));
  $("run").addEventListener("change", guard(() => openRun($("run").value)));
  $("compare").addEventListener("change", guard(compare));
  $("make-report").addEventListener("click", guard(makeReport));
  $("from-strategy").addEventListener("click", guard(scenarioFromStrategy));
  $("table").addEventListener("change", guard(openTable));
  $("column").addEventListener("change", guard(async () => { drawChart(); await compare(); }));
  guard(start)();
});
