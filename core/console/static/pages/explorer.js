// Policy explorer (public): the comparison matrix, a value's source and what it overrides, a
// parameter's history as a chart per jurisdiction, and violations and conflicts with both
// sources. The URL holds the view: ?j=codes&date=D&prefix=P&diff=1&sel=path@code
import {
  html, useState, useEffect, useRef, useQuery, navigate, params, todayInChina,
} from "../lib/core.js";
import { t, levelName, lang } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, fmtValue, Source, unitName } from "../lib/ui.js";
import { loadECharts } from "../lib/charts.js";

export const FIVE = ["522700", "140300", "530000", "450326", "640121"];

const META = `query Meta { plugins { name jurisdictions { code name level } }
  parameterCatalog { path labelZh } }`;
const COMPARE = `query Compare($j: [String!]!, $d: Date, $prefix: String) {
  comparePolicies(jurisdictions: $j, asOf: $d, prefix: $prefix) {
    path unit labelZh differs
    cells { jurisdiction { code name } value isSet effectiveFrom
      layer { code name level origin } } } }`;
const CELL = `query Cell($j: String!, $d: Date, $p: String!) { policy(jurisdiction: $j, asOf: $d) {
  jurisdiction { code name }
  parameter(path: $p) { path unit description labelZh value isSet effectiveFrom effectiveUntil
    layer { code name level origin kind file }
    source { title number issuer date section quote note url }
    overrides { value effectiveFrom effectiveUntil layer { code name level origin }
      source { title number section quote } } } } }`;
const VIOLATION_FIELDS = `kind path message
  value { value effectiveFrom layer { code name level } source { title number section quote } }
  other { value effectiveFrom layer { code name level } source { title number section quote } }
  rule { id description }`;

function readView() {
  const p = params();
  const j = (p.get("j") || FIVE.join(",")).split(",").map((s) => s.trim()).filter(Boolean);
  return {
    j,
    date: p.get("date") || todayInChina(),
    prefix: p.get("prefix") || "dibao",
    diff: p.get("diff") === "1",
    sel: p.get("sel") || "",
  };
}

function viewUrl(v) {
  const q = new URLSearchParams();
  q.set("j", v.j.join(","));
  q.set("date", v.date);
  q.set("prefix", v.prefix);
  if (v.diff) q.set("diff", "1");
  if (v.sel) q.set("sel", v.sel);
  return `/explorer?${q.toString()}`;
}

function prefixes(catalog) {
  const out = new Set();
  for (const { path } of catalog) {
    const parts = path.split(".");
    out.add(parts[0]);
    if (parts.length > 2) out.add(parts.slice(0, 2).join("."));
  }
  return [...out].sort();
}

export default function Explorer() {
  const [view, setView] = useState(readView());
  const [draft, setDraft] = useState({ ...view, codes: view.j.join(",") });
  const meta = useQuery(META, {}, []);
  const compare = useQuery(
    COMPARE, { j: view.j, d: view.date, prefix: view.prefix === "*" ? null : view.prefix },
    [view.j.join(","), view.date, view.prefix],
  );

  function apply(next) {
    setView(next);
    navigate(viewUrl(next), { replace: true });
  }

  function submit(event) {
    event.preventDefault();
    const j = draft.codes.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
    apply({ ...view, j, date: draft.date, prefix: draft.prefix, diff: draft.diff, sel: "" });
  }

  const rows = compare.data ? compare.data.comparePolicies : [];
  const shown = view.diff ? rows.filter((r) => r.differs) : rows;
  const [selPath, selCode] = view.sel.split("@");
  const selRow = rows.find((r) => r.path === selPath);

  return html`<${Page} title=${t("explorer_title")} wide>
    <p>${t("explorer_intro")}</p>
    <form class="controls" onSubmit=${submit} aria-label=${t("compare")}>
      <${Field} id="ex-codes" label=${t("jurisdictions")}>
        ${(a) => html`<input ...${a} value=${draft.codes} inputmode="numeric"
          onInput=${(e) => setDraft({ ...draft, codes: e.target.value })} />`}
      </${Field}>
      <button type="button" onClick=${() => setDraft({ ...draft, codes: FIVE.join(",") })}>
        ${t("five")}</button>
      <${Field} id="ex-date" label=${t("as_of")}>
        ${(a) => html`<input ...${a} type="date" value=${draft.date}
          onInput=${(e) => setDraft({ ...draft, date: e.target.value })} />`}
      </${Field}>
      <${Field} id="ex-prefix" label=${t("prefix")}>
        ${(a) => html`<select ...${a} value=${draft.prefix}
          onChange=${(e) => setDraft({ ...draft, prefix: e.target.value })}>
          <option value="*">${t("all_params")}</option>
          ${meta.data && prefixes(meta.data.parameterCatalog).map((p) => html`<option value=${p}>${p}</option>`)}
          ${!meta.data && html`<option value=${draft.prefix}>${draft.prefix}</option>`}
        </select>`}
      </${Field}>
      <div class="field inline">
        <input id="ex-diff" type="checkbox" checked=${draft.diff}
          onChange=${(e) => setDraft({ ...draft, diff: e.target.checked })} />
        <label for="ex-diff">${t("only_diff")}</label>
      </div>
      <button type="submit" class="primary">${t("compare")}</button>
    </form>
    ${meta.data && html`<${Known} plugins=${meta.data.plugins} />`}
    <p class="help"><a href=${viewUrl(view)}>${t("link_view")}</a> ·
      ${rows.length} ${t("rows")}, ${rows.filter((r) => r.differs).length} ${t("differing_rows")}</p>
    <${Alert} error=${compare.error} onRetry=${compare.reload} />
    ${compare.loading && !compare.data && html`<${Loading} />`}
    ${rows.length > 0 && html`<${Matrix} rows=${shown} sel=${view.sel}
      onPick=${(path, code) => apply({ ...view, sel: `${path}@${code}` })} />`}
    ${selRow && html`<${CellPanel} key=${view.sel} row=${selRow} code=${selCode} view=${view}
      onClose=${() => apply({ ...view, sel: "" })} />`}
    ${view.j.length > 0 && html`<${Violations} codes=${view.j} date=${view.date} />`}
  </${Page}>`;
}

function Known({ plugins }) {
  const places = plugins.flatMap((p) => p.jurisdictions.map((j) => ({ ...j, plugin: p.name })))
    .filter((j) => j.code !== "000000");
  if (!places.length) return null;
  return html`<details class="known"><summary>${t("plugin_places")}</summary>
    <ul class="inline-list">${places.map((j) => html`<li><code>${j.code}</code> ${j.name}
      <span class="muted">(${j.plugin})</span></li>`)}</ul></details>`;
}

function Matrix({ rows, sel, onPick }) {
  if (!rows.length) return html`<p>${t("no_results")}</p>`;
  const columns = rows[0].cells.map((c) => c.jurisdiction);
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t("explorer_title")}>
  <table class="matrix">
    <caption class="sr-only">${t("explorer_title")}</caption>
    <thead><tr><th scope="col">${t("parameter")}</th>
      ${columns.map((j) => html`<th scope="col">${j.name}<br/><code>${j.code}</code></th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr class=${r.differs ? "differs" : ""}>
      <th scope="row">
        ${r.differs && html`<span class="badge warn">≠ ${t("differs")}</span> `}
        <span class="label">${lang() === "zh" && r.labelZh ? r.labelZh : ""}</span>
        <code class="path">${r.path}</code></th>
      ${r.cells.map((c) => {
        const id = `${r.path}@${c.jurisdiction.code}`;
        return html`<td class=${c.isSet ? "" : "unset"}>
          <button type="button" class="cell" aria-pressed=${sel === id ? "true" : "false"}
            aria-label=${`${r.path} · ${c.jurisdiction.name}: ${fmtValue(c.value, r.unit)}`}
            onClick=${() => onPick(r.path, c.jurisdiction.code)}>
            <span class="value">${fmtValue(c.value, r.unit)}</span>
          </button>
          ${c.layer && html`<span class="layer">${levelName(c.layer.level)} ${c.layer.code}
            · ${c.layer.origin}</span>`}
          ${c.effectiveFrom && html`<span class="date">${t("from")} ${c.effectiveFrom}</span>`}
        </td>`;
      })}</tr>`)}</tbody>
  </table></div>`;
}

function CellPanel({ row, code, view, onClose }) {
  const cell = useQuery(CELL, { j: code, d: view.date, p: row.path }, [code, view.date, row.path]);
  const ref = useRef(null);
  useEffect(() => { if (ref.current) ref.current.focus(); }, []);
  const p = cell.data && cell.data.policy.parameter;
  return html`<section class="panel" aria-labelledby="cell-title" tabindex="-1" ref=${ref}>
    <div class="panel-head">
      <h2 id="cell-title">${row.labelZh || row.path} · ${cell.data ? cell.data.policy.jurisdiction.name : code}</h2>
      <button type="button" onClick=${onClose}>${t("close")}</button>
    </div>
    <${Alert} error=${cell.error} />
    ${!p && !cell.error && html`<${Loading} />`}
    ${p && html`<div>
      <p><code>${p.path}</code> — ${p.description}</p>
      <dl class="facts">
        <dt>${t("value")}</dt><dd class="big">${fmtValue(p.value, p.unit)}</dd>
        <dt>${t("layer")}</dt><dd>${p.layer ? `${levelName(p.layer.level)} ${p.layer.code} ${p.layer.name}（${p.layer.origin}${p.layer.file ? `, ${p.layer.file}` : ""}）` : t("not_set")}</dd>
        <dt>${t("date")}</dt><dd>${p.effectiveFrom ? `${t("from")} ${p.effectiveFrom}` : ""}${p.effectiveUntil ? ` ${t("until")} ${p.effectiveUntil}` : ""}</dd>
      </dl>
      <h3>${t("source")}</h3>
      ${p.source ? html`<${Source} source=${p.source} />` : html`<p>${t("none")}</p>`}
      <h3>${t("overrides")}</h3>
      ${p.overrides.length ? html`<ul class="overrides">${p.overrides.map((o) => html`<li>
        <strong>${fmtValue(o.value, p.unit)}</strong> — ${levelName(o.layer.level)} ${o.layer.code} ${o.layer.name}
        （${t("from")} ${o.effectiveFrom}）<${Source} source=${o.source} /></li>`)}</ul>`
        : html`<p>${t("none")}</p>`}
    </div>`}
    <${History} path=${row.path} unit=${row.unit} codes=${view.j} date=${view.date} />
  </section>`;
}

function historyQuery(n) {
  const vars = Array.from({ length: n }, (_, i) => `$j${i}: String!`).join(", ");
  const fields = Array.from({ length: n }, (_, i) => `h${i}: policy(jurisdiction: $j${i}, asOf: $d) {
    jurisdiction { code name } parameter(path: $p) { history { effectiveFrom effectiveUntil value
      isSet layer { code level } } } }`).join("\n");
  return `query History($d: Date, $p: String!, ${vars}) { ${fields} }`;
}

function History({ path, unit, codes, date }) {
  const vars = { d: date, p: path };
  codes.forEach((c, i) => { vars[`j${i}`] = c; });
  const q = useQuery(historyQuery(codes.length), vars, [path, codes.join(","), date]);
  const chartRef = useRef(null);
  const series = q.data ? Object.values(q.data).map((h) => ({
    name: `${h.jurisdiction.name} ${h.jurisdiction.code}`,
    entries: h.parameter.history,
  })) : [];
  const numeric = series.some((s) => s.entries.some((e) => typeof e.value === "number"));

  useEffect(() => {
    if (!numeric || !chartRef.current) return undefined;
    let chart = null;
    let live = true;
    loadECharts().then((echarts) => {
      if (!live || !chartRef.current) return;
      chart = echarts.init(chartRef.current, null, { renderer: "svg" });
      const end = date;
      chart.setOption({
        aria: { enabled: true },
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { type: "scroll", top: 0 },
        grid: { left: 56, right: 24, top: 48, bottom: 32 },
        xAxis: { type: "time" },
        yAxis: { type: "value", name: unitName(unit), scale: true },
        series: series.map((s) => ({
          name: s.name,
          type: "line",
          step: "end",
          data: [
            ...s.entries.filter((e) => typeof e.value === "number")
              .map((e) => [e.effectiveFrom, e.value]),
            ...(s.entries.length && typeof s.entries[s.entries.length - 1].value === "number"
              ? [[end > s.entries[s.entries.length - 1].effectiveFrom ? end : s.entries[s.entries.length - 1].effectiveFrom, s.entries[s.entries.length - 1].value]] : []),
          ],
        })),
      });
    }).catch(() => {});
    return () => { live = false; if (chart) chart.dispose(); };
  }, [q.data, numeric]);

  return html`<section aria-labelledby="history-title">
    <h3 id="history-title">${t("history")}（${path}）</h3>
    <${Alert} error=${q.error} />
    ${q.loading && html`<${Loading} />`}
    ${numeric && html`<div class="chart" ref=${chartRef} role="img"
      aria-label=${`${t("history_chart")}: ${path}`}></div>`}
    ${series.length > 0 && html`<div class="table-wrap"><table class="data">
      <caption class="sr-only">${t("history")}</caption>
      <thead><tr><th scope="col">${t("jurisdiction")}</th><th scope="col">${t("from")}</th>
        <th scope="col">${t("until")}</th><th scope="col">${t("value")}</th><th scope="col">${t("layer")}</th></tr></thead>
      <tbody>${series.flatMap((s) => (s.entries.length ? s.entries : [null]).map((e) => html`<tr>
        <td>${s.name}</td><td>${e ? e.effectiveFrom : ""}</td><td>${e && e.effectiveUntil || ""}</td>
        <td>${e ? fmtValue(e.value, unit) : t("not_set")}</td>
        <td>${e && e.layer ? `${levelName(e.layer.level)} ${e.layer.code}` : ""}</td></tr>`))}</tbody>
    </table></div>`}
  </section>`;
}

function Violations({ codes, date }) {
  const vars = { d: date };
  codes.forEach((c, i) => { vars[`j${i}`] = c; });
  const query = `query Violations($d: Date, ${codes.map((_, i) => `$j${i}: String!`).join(", ")}) {
    ${codes.map((_, i) => `v${i}: policy(jurisdiction: $j${i}, asOf: $d) {
      jurisdiction { code name } violations { ${VIOLATION_FIELDS} } }`).join("\n")} }`;
  const q = useQuery(query, vars, [codes.join(","), date]);
  const found = q.data ? Object.values(q.data).flatMap((p) => p.violations.map((v) => ({ ...v, at: p.jurisdiction }))) : [];
  return html`<section aria-labelledby="violations-title">
    <h2 id="violations-title">${t("violations")}</h2>
    <${Alert} error=${q.error} />
    ${q.loading && html`<${Loading} />`}
    ${q.data && !found.length && html`<p>${t("no_violations")}</p>`}
    ${found.length > 0 && html`<ul class="violations">${found.map((v) => html`<li>
      <p><span class="badge warn">${t(v.kind)}</span> <strong>${v.at.name} ${v.at.code}</strong>
        <code>${v.path}</code></p>
      <p>${v.message}</p>
      <div class="two">
        <div><h4>${t("value")}: ${fmtValue(v.value.value)}（${levelName(v.value.layer.level)} ${v.value.layer.code}，${t("from")} ${v.value.effectiveFrom}）</h4>
          <${Source} source=${v.value.source} /></div>
        ${v.other && html`<div><h4>${t("other")}: ${fmtValue(v.other.value)}（${levelName(v.other.layer.level)} ${v.other.layer.code}，${t("from")} ${v.other.effectiveFrom}）</h4>
          <${Source} source=${v.other.source} /></div>`}
      </div>
      ${v.rule && html`<p class="help">${v.rule.id}: ${v.rule.description}</p>`}
    </li>`)}</ul>`}
  </section>`;
}

