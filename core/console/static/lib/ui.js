// Shared pieces: page frame, labelled fields with their errors, alerts, formatting.
import { html, useEffect, useRef } from "./core.js";
import { t, errorText, fieldName, levelName } from "./i18n.js";

// A page: sets the title and moves focus to the heading after navigation (screen readers
// announce the new page; keyboard users start from its top).
let firstPage = true;

export function Page({ title, children, wide = false }) {
  const h1 = useRef(null);
  useEffect(() => {
    document.title = `${title} · ${t("app")}`;
    // Not on the first page of a visit: there the skip link comes first, as on any site.
    if (h1.current && !firstPage) h1.current.focus({ preventScroll: true });
    firstPage = false;
  }, [title]);
  return html`<section class=${wide ? "page wide" : "page"} aria-labelledby="page-title">
    <h1 id="page-title" tabindex="-1" ref=${h1}>${title}</h1>
    ${children}
  </section>`;
}

export function Loading() {
  return html`<p class="loading" role="status">${t("loading")}</p>`;
}

// A GraphQL error (not a userError): what it means in Chinese, and the API's message.
export function Alert({ error, onRetry }) {
  if (!error) return null;
  const errors = error.errors || [{ message: String(error), extensions: {} }];
  return html`<div class="alert" role="alert">
    ${errors.map((e) => html`<p>
      <strong>${errorText((e.extensions && e.extensions.code) || "ERROR")}</strong>
      <span class="detail"> ${e.message}</span></p>`)}
    ${onRetry && html`<button type="button" onClick=${onRetry}>${t("retry")}</button>`}
  </div>`;
}

// userErrors not tied to a field of the form shown (or with no field).
// ``fields``: the fields the form shows next to their controls (exact names).
export function FormErrors({ errors, fields = [] }) {
  const rest = (errors || []).filter((e) => !e.field || !fields.includes(e.field));
  if (!rest.length) return null;
  return html`<div class="alert" role="alert">${rest.map((e) => html`<p>
    <strong>${errorText(e.code)}</strong>${e.field ? html` (${fieldName(e.field)})` : ""}
    <span class="detail"> ${e.message}</span></p>`)}</div>`;
}

function matches(errorField, field) {
  return errorField === field || errorField.startsWith(`${field}.`) || errorField.startsWith(`${field}[`);
}

export function errorsOf(errors, field) {
  return (errors || []).filter((e) => e.field && matches(e.field, field));
}

// A labelled control with help text and the userErrors of its field (next to it, linked with
// aria-describedby so a screen reader reads them with the control).
export function Field({ id, label, field, errors, help, children, inline = false }) {
  const mine = field ? errorsOf(errors, field) : [];
  const describedBy = [help && `${id}-help`, mine.length && `${id}-error`].filter(Boolean).join(" ");
  const control = typeof children === "function" ? children({
    id, "aria-describedby": describedBy || undefined, "aria-invalid": mine.length ? "true" : undefined,
  }) : children;
  return html`<div class=${`field${inline ? " inline" : ""}${mine.length ? " invalid" : ""}`}>
    <label for=${id}>${label}</label>
    ${control}
    ${help && html`<p class="help" id=${`${id}-help`}>${help}</p>`}
    ${mine.length > 0 && html`<p class="field-error" id=${`${id}-error`} role="alert">
      ${mine.map((e) => html`<span>${errorText(e.code)} <span class="detail">${e.message}</span></span>`)}
    </p>`}
  </div>`;
}

export function fmtValue(value, unit) {
  if (value === null || value === undefined) return t("not_set");
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  if (Array.isArray(value)) return value.join("、");
  if (typeof value === "object") return JSON.stringify(value);
  const u = unit && !BARE_UNITS.has(unit) ? ` ${unitName(unit)}` : "";
  return `${value}${u}`;
}

const BARE_UNITS = new Set(["none", "flag", "bool", "enum", "list", "ratio", "count", "text", "code"]);

const UNITS_ZH = {
  day_of_month: "日",
  yuan_per_month: "元/月", yuan: "元", months: "个月", days: "天", working_days: "个工作日",
  ratio: "", percent: "%", persons: "人", years: "年", multiple: "倍",
};

export function unitName(unit) {
  if (document.documentElement.lang === "en") return unit.replaceAll("_", " ");
  return UNITS_ZH[unit] ?? unit;
}

export function fmtLayer(layer) {
  if (!layer) return "";
  return [levelName(layer.level), layer.code, layer.name].filter(Boolean).join(" ");
}

export function money(v) {
  return v === null || v === undefined ? "—" : Number(v).toFixed(2);
}

export function when(dt) {
  return dt ? String(dt).replace("T", " ").slice(0, 16) : "";
}

export function Source({ source }) {
  if (!source) return null;
  return html`<div class="source">
    <p><strong>${source.title}</strong>${source.number ? ` ${source.number}` : ""}${source.section ? `，${source.section}` : ""}${source.date ? `（${source.date}）` : ""}</p>
    ${source.quote && html`<blockquote>“${source.quote}”</blockquote>`}
    ${source.note && html`<p class="help">${source.note}</p>`}
  </div>`;
}

// The trace of a decision or a step: each parameter with its value, layer and source.
export function Trace({ entries }) {
  if (!entries || !entries.length) return html`<p>${t("none")}</p>`;
  return html`<table class="data">
    <thead><tr><th scope="col">${t("parameter")}</th><th scope="col">${t("value")}</th>
      <th scope="col">${t("layer")}</th><th scope="col">${t("source")}</th></tr></thead>
    <tbody>${entries.map((e) => html`<tr>
      <td><code>${e.path}</code></td><td>${fmtValue(e.value)}</td><td>${fmtLayer(e.layer)}</td>
      <td>${e.source ? html`${e.source.title} ${e.source.section || ""}
        ${e.source.quote && html`<br/><q>${e.source.quote}</q>`}` : ""}</td></tr>`)}</tbody>
  </table>`;
}
