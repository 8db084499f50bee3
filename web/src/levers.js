// The lever editor, generated from the model specs (GET /models): for every step of the scenario,
// one field per parameter (units, allowed range, default), and for parameters that read a lever
// group (spec ``lever_group`` with ``keys``) one field per lever of the scenario's ``levers.<group>``.
import { t } from "./i18n.js";

function range(p) {
  const parts = [];
  if (p.ge != null) parts.push(`≥ ${p.ge}`);
  if (p.gt != null) parts.push(`> ${p.gt}`);
  if (p.le != null) parts.push(`≤ ${p.le}`);
  if (p.lt != null) parts.push(`< ${p.lt}`);
  return parts.join(", ");
}

/** A field's text as a value: a number, JSON (for mappings and lists), or the text itself. */
export function parseValue(text, dtype) {
  const s = text.trim();
  if (s === "") return null;
  if (dtype === "float" || dtype === "int") {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(t("badNumber"));
    return n;
  }
  if (dtype === "str") return s;
  if (/^-?\d+(\.\d+)?([eE]-?\d+)?$/.test(s)) return Number(s);
  if (s.startsWith("{") || s.startsWith("[") || s === "true" || s === "false") return JSON.parse(s);
  return s;
}

function show(value) {
  if (value == null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function outOfRange(p, v) {
  if (typeof v !== "number") return false;
  return (p.ge != null && v < p.ge) || (p.le != null && v > p.le) ||
    (p.gt != null && v <= p.gt) || (p.lt != null && v >= p.lt);
}

function field(labelText, hint, value, { dtype = "any", param = {}, onInput }) {
  const row = document.createElement("div");
  row.className = "lever";
  const label = document.createElement("label");
  label.textContent = labelText;
  let input;
  if (dtype === "bool") {
    input = Object.assign(document.createElement("input"), { type: "checkbox", checked: Boolean(value) });
  } else if (param.choices) {
    input = document.createElement("select");
    for (const c of param.choices) input.append(new Option(c, c, false, c === value));
  } else {
    input = Object.assign(document.createElement("input"), { value: show(value) });
  }
  input.name = labelText;
  row.setValue = (v) => {
    if (dtype === "bool") input.checked = Boolean(v); else input.value = show(v);
    input.classList.toggle("invalid", outOfRange(param, v));
    onInput(v);
  };
  label.htmlFor = input.id = `f-${labelText.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  input.addEventListener("input", () => {
    try {
      const v = dtype === "bool" ? input.checked : parseValue(input.value, dtype);
      input.classList.toggle("invalid", outOfRange(param, v));
      input.title = "";
      onInput(v);
    } catch (err) {
      input.classList.add("invalid");
      input.title = err.message;
    }
  });
  row.append(label, input, Object.assign(document.createElement("small"), { textContent: hint }));
  return row;
}

/**
 * Build the editor for scenario ``data`` (parsed YAML) into ``container``.
 * Returns {changes(), apply(levers)}: changes() is {levers: {group: {key: value}}, params:
 * [[stepIndex, id, value]]}; apply() fills the lever fields from a strategy's ``levers``.
 */
export function leverEditor(container, data, specs) {
  container.replaceChildren();
  const leverChanges = {};
  const paramChanges = new Map();
  const levers = (data && typeof data.levers === "object" && data.levers) || {};
  const steps = Array.isArray(data && data.models) ? data.models : [];
  const groups = new Set();
  const leverFields = new Map();
  steps.forEach((step, index) => {
    const spec = specs.get(step.id);
    if (!spec) return;
    const params = spec.inputs.filter((i) => i.type === "param");
    const box = document.createElement("fieldset");
    box.append(Object.assign(document.createElement("legend"), { textContent: `${step.name || step.id} · ${t("params")}` }));
    for (const p of params) {
      if (p.lever_group) {
        if (!groups.has(p.lever_group)) {
          groups.add(p.lever_group);
          const group = document.createElement("fieldset");
          group.dataset.group = p.lever_group;
          group.append(Object.assign(document.createElement("legend"), { textContent: `${t("levers")}: levers.${p.lever_group}` }));
          group.append(Object.assign(document.createElement("small"), { textContent: p.about || "" }));
          const current = levers[p.lever_group] || {};
          for (const key of p.keys || Object.keys(current)) {
            const row = field(`${p.lever_group}.${key}`, "", current[key], {
              onInput: (v) => { (leverChanges[p.lever_group] ||= {})[key] = v; },
            });
            leverFields.set(`${p.lever_group}.${key}`, row);
            group.append(row);
          }
          container.append(group);
        }
        continue;
      }
      const stepParams = step.params || {};
      const value = p.id in stepParams ? stepParams[p.id] : p.default;
      const hint = [p.about, p.units ? `${t("units")}: ${p.units}` : "", range(p) ? `${t("range")}: ${range(p)}` : "",
        p.default != null ? `${t("default")}: ${show(p.default)}` : ""].filter(Boolean).join(" · ");
      box.append(field(`${step.name || step.id}.${p.id}`, hint, value, {
        dtype: p.dtype === "mapping" ? "any" : p.dtype, param: p,
        onInput: (v) => paramChanges.set(`${index}\u0000${p.id}`, [index, p.id, v]),
      }));
    }
    if (params.some((p) => !p.lever_group)) container.append(box);
  });
  return {
    changes: () => ({ levers: leverChanges, params: [...paramChanges.values()] }),
    /** Fill the fields of a strategy's levers; the lever groups this scenario does not read. */
    apply(strategyLevers) {
      const unread = [];
      for (const [group, values] of Object.entries(strategyLevers || {})) {
        if (!values || !Object.keys(values).length) continue;
        if (!groups.has(group)) { unread.push(group); continue; }
        for (const [key, value] of Object.entries(values)) {
          const row = leverFields.get(`${group}.${key}`);
          if (row) row.setValue(value);
        }
      }
      return unread;
    },
  };
}
