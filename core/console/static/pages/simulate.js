// Reform simulation (政策模拟), for analysts and officials: a population (the registered
// households of a jurisdiction, or a snapshot), one or more reforms of one or more overrides
// (catalog path, layer, value or factor, from a date), simulateReform, and the result —
// baseline beside reform in total and per county, winners and losers, a chart and the CSV.
// Aggregates only: the API answers no household or person here, and the page asks for none.
import {
  html, useState, useEffect, useRef, useQuery, gql, getSession, todayInChina, navigate, params,
} from "../lib/core.js";
import { t, programName, lang } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors, errorsOf } from "../lib/ui.js";
import { loadECharts } from "../lib/charts.js";

const META = `query SimulationMeta { parameterCatalog { path labelZh unit } }`;
const SNAPSHOTS = `query Snapshots { snapshots { id jurisdiction jurisdictionName asOf households } }`;
const ROW = `reform program county countyName households eligibleBaseline eligibleReform eligibleChange
  personsBaseline personsReform personsChange monthlyCostBaseline monthlyCostReform monthlyCostChange
  yearlyCostBaseline yearlyCostReform yearlyCostChange winners losers newlyEligible noLongerEligible
  cannotDecideBaseline cannotDecideReform`;
const SIMULATE = `query SimulateReform($p: PopulationInput!, $r: [ReformInput!]!, $d: Date, $programs: [String!]) {
  simulateReform(population: $p, reforms: $r, asOf: $d, programs: $programs) {
    population asOf weighted programs reforms { name overrides } notes
    totals { ${ROW} } counties { ${ROW} } csv } }`;
const PROGRAMS = ["dibao", "low_income", "tekun"];

const newOverride = (at) => ({ path: "dibao.standard.urban", at, kind: "scale", value: "1.1", from: todayInChina(), until: "" });

// The API answers a refused simulation as a GraphQL error (a query: no userErrors); its message
// names what is at fault, so the error is put next to that field:
// "reform 'NAME' override K (PATH): …", "unknown parameter path 'PATH'", "CODE (名) is outside …".
export function fieldOf(error, form) {
  const m = error.message || "";
  const code = (error.extensions && error.extensions.code) || "";
  const over = m.match(/^reform '(.*)' override (\d+) \(/);
  if (over) {
    const r = form.reforms.findIndex((x) => x.name === over[1]);
    const k = Number(over[2]) - 1;
    const rest = m.slice(m.indexOf("):") + 2);
    // the layer's code, the end date, or else the value (or factor) itself
    const sub = /jurisdiction/.test(rest) ? "at" : /until/.test(rest) ? "until" : "value";
    return r >= 0 ? `reforms.${r}.overrides.${k}.${sub}` : null;
  }
  if (code === "UNKNOWN_PARAMETER") {
    for (const [r, reform] of form.reforms.entries()) {
      const k = reform.overrides.findIndex((o) => m.includes(`'${o.path}'`));
      if (k >= 0) return `reforms.${r}.overrides.${k}.path`;
    }
  }
  const named = m.match(/^reform '(.*)':/);
  if (named) {
    const r = form.reforms.findIndex((x) => x.name === named[1]);
    if (r >= 0) return `reforms.${r}.name`;
  }
  if (/^reforms?[:\s]/.test(m)) return "reforms.0.name";
  if (m.startsWith("programs:")) return "programs";
  if (m.startsWith("population") || m.startsWith("snapshot")) return "population";
  const j = form.kind === "jurisdiction" ? form.jurisdiction.trim() : null;
  if ((code === "FORBIDDEN" || code === "UNKNOWN_JURISDICTION") && j && m.includes(j)) return "population";
  if (code === "NOT_FOUND" && form.kind === "snapshot") return "population";
  return null;
}

function reformsInput(form) {
  return form.reforms.map((r) => ({
    name: r.name.trim(),
    overrides: r.overrides.map((o) => {
      const out = { path: o.path.trim(), at: o.at.trim(), from: o.from || null };
      if (o.until) out.until = o.until;
      if (o.kind === "scale") out.scale = String(o.value).trim();
      else {
        // JSON where it parses (800, true, "gap", ["medical"]), else the text as typed.
        try { out.value = JSON.parse(o.value); } catch (e) { out.value = o.value; }
      }
      return out;
    }),
  }));
}

// The settings of a simulation in the page's address, as the explorer keeps its view there: a
// link (or a reload) fills the form the same way and runs the simulation again. j or snapshot,
// date, programs, and the reforms as JSON (names, overrides: path, at, kind, value, from, until).
function readForm(me) {
  const p = params();
  const form = {
    kind: p.get("snapshot") ? "snapshot" : "jurisdiction",
    jurisdiction: p.get("j") || me.jurisdiction.code,
    snapshot: p.get("snapshot") || "",
    day: p.get("date") || todayInChina(),
    programs: (p.get("programs") || "dibao").split(",").filter((x) => PROGRAMS.includes(x)),
    reforms: [{ name: "reform", overrides: [newOverride(me.jurisdiction.code)] }],
  };
  let given = null;
  try { given = JSON.parse(p.get("reforms") || "null"); } catch (e) { given = null; }
  const text = (v) => (v === undefined || v === null ? "" : String(v));
  if (Array.isArray(given) && given.length && given.every((r) => r && Array.isArray(r.overrides) && r.overrides.length)) {
    form.reforms = given.map((r) => ({
      name: text(r.name),
      overrides: r.overrides.map((o) => ({
        path: text(o.path), at: text(o.at), kind: o.kind === "value" ? "value" : "scale",
        value: text(o.value), from: text(o.from), until: text(o.until),
      })),
    }));
    return { form, run: true };
  }
  return { form, run: false };
}

function formUrl(form) {
  const q = new URLSearchParams();
  if (form.kind === "snapshot") q.set("snapshot", form.snapshot);
  else q.set("j", form.jurisdiction.trim());
  if (form.day) q.set("date", form.day);
  q.set("programs", form.programs.join(","));
  q.set("reforms", JSON.stringify(form.reforms.map((r) => ({
    name: r.name,
    overrides: r.overrides.map((o) => {
      const out = { path: o.path, at: o.at, kind: o.kind, value: o.value, from: o.from };
      if (o.until) out.until = o.until;
      return out;
    }),
  }))));
  return `/simulate?${q.toString()}`;
}

export default function Simulate() {
  const me = getSession().me;
  const meta = useQuery(META, {}, []);
  const snaps = useQuery(SNAPSHOTS, {}, []);
  const [start] = useState(() => readForm(me));
  const [form, setForm] = useState(start.form);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);

  const setReform = (r, change) => setForm({
    ...form, reforms: form.reforms.map((x, i) => (i === r ? { ...x, ...change } : x)),
  });
  const setOverride = (r, k, change) => setReform(r, {
    overrides: form.reforms[r].overrides.map((o, i) => (i === k ? { ...o, ...change } : o)),
  });

  async function submit(e) {
    e.preventDefault();
    navigate(formUrl(form), { replace: true });
    await simulate(form);
  }

  // A link with the settings runs them at once, as the explorer shows its comparison.
  useEffect(() => { if (start.run) simulate(start.form); }, []);

  async function simulate(form) {
    setBusy(true); setFailure(null); setErrors([]); setResult(null);
    const p = form.kind === "snapshot" ? { snapshot: form.snapshot } : { jurisdiction: form.jurisdiction.trim() };
    try {
      const data = await gql(SIMULATE, { p, r: reformsInput(form), d: form.day || null, programs: form.programs });
      setResult(data.simulateReform);
    } catch (err) {
      const found = (err.errors || []).map((x) => ({ error: x, field: fieldOf(x, form) }));
      const placed = found.filter((x) => x.field).map((x) => ({
        field: x.field, code: (x.error.extensions && x.error.extensions.code) || "ERROR", message: x.error.message,
      }));
      setErrors(placed);
      if (placed.length < found.length || !found.length) setFailure(err);
    } finally { setBusy(false); }
  }

  const catalog = meta.data ? meta.data.parameterCatalog : [];
  const snapshotList = snaps.data ? snaps.data.snapshots : [];
  return html`<${Page} title=${t("simulate_title")} wide>
    <p>${t("simulate_intro")}</p>
    <form onSubmit=${submit} novalidate aria-label=${t("simulate_title")}>
      <fieldset><legend>${t("population")}</legend>
        <div class="row">
          <div class="field inline"><input id="sim-kind-j" type="radio" name="sim-kind" checked=${form.kind === "jurisdiction"}
            onChange=${() => setForm({ ...form, kind: "jurisdiction" })} /><label for="sim-kind-j">${t("by_jurisdiction")}</label></div>
          <div class="field inline"><input id="sim-kind-s" type="radio" name="sim-kind" checked=${form.kind === "snapshot"}
            disabled=${!snapshotList.length} onChange=${() => setForm({ ...form, kind: "snapshot", snapshot: form.snapshot || (snapshotList[0] && snapshotList[0].id) || "" })} />
            <label for="sim-kind-s">${t("by_snapshot")}</label></div>
        </div>
        <div class="row">
          ${form.kind === "jurisdiction" ? html`<${Field} id="sim-j" label=${`${t("jurisdiction")} *`} field="population" errors=${errors}>
            ${(a) => html`<input ...${a} value=${form.jurisdiction} inputmode="numeric" onInput=${(e) => setForm({ ...form, jurisdiction: e.target.value })} />`}
          </${Field}>` : html`<${Field} id="sim-snapshot" label=${`${t("snapshot")} *`} field="population" errors=${errors}>
            ${(a) => html`<select ...${a} value=${form.snapshot} onChange=${(e) => setForm({ ...form, snapshot: e.target.value })}>
              ${snapshotList.map((s) => html`<option value=${s.id}>${s.id}（${s.jurisdictionName} ${s.jurisdiction}，${s.asOf}，${s.households} ${t("households_n")}）</option>`)}
            </select>`}
          </${Field}>`}
          <${Field} id="sim-day" label=${t("as_of")}>
            ${(a) => html`<input ...${a} type="date" value=${form.day} onInput=${(e) => setForm({ ...form, day: e.target.value })} />`}
          </${Field}>
          <div class=${`field${errorsOf(errors, "programs").length ? " invalid" : ""}`} role="group" aria-labelledby="sim-programs-label">
            <span id="sim-programs-label" class="label-like">${t("programs")}</span>
            <div class="row">${PROGRAMS.map((p) => html`<div class="field inline">
              <input id=${`sim-p-${p}`} type="checkbox" checked=${form.programs.includes(p)}
                onChange=${(e) => setForm({ ...form, programs: e.target.checked ? [...form.programs, p] : form.programs.filter((x) => x !== p) })} />
              <label for=${`sim-p-${p}`}>${p === "low_income" ? t("low_income") : programName(p)}</label></div>`)}</div>
          </div>
        </div>
      </fieldset>
      <datalist id="sim-paths">${catalog.map((c) => html`<option value=${c.path}>${c.labelZh || ""}</option>`)}</datalist>
      ${form.reforms.map((reform, r) => html`<fieldset class="reform">
        <legend>${t("reform")} ${r + 1}</legend>
        <${Field} id=${`sim-r${r}-name`} label=${`${t("reform_name")} *`} field=${`reforms.${r}.name`} errors=${errors}>
          ${(a) => html`<input ...${a} value=${reform.name} onInput=${(e) => setReform(r, { name: e.target.value })} />`}
        </${Field}>
        ${reform.overrides.map((o, k) => html`<div class="row override" role="group" aria-label=${`${t("override")} ${r + 1}.${k + 1}`}>
          <${Field} id=${`sim-r${r}-o${k}-path`} label=${`${t("path")} *`} field=${`reforms.${r}.overrides.${k}.path`} errors=${errors}>
            ${(a) => html`<input ...${a} class="path-input" list="sim-paths" value=${o.path} onInput=${(e) => setOverride(r, k, { path: e.target.value })} />`}
          </${Field}>
          <${Field} id=${`sim-r${r}-o${k}-at`} label=${`${t("at")} *`} field=${`reforms.${r}.overrides.${k}.at`} errors=${errors}>
            ${(a) => html`<input ...${a} size="8" inputmode="numeric" value=${o.at} onInput=${(e) => setOverride(r, k, { at: e.target.value })} />`}
          </${Field}>
          <${Field} id=${`sim-r${r}-o${k}-kind`} label=${t("change_kind")}>
            ${(a) => html`<select ...${a} value=${o.kind} onChange=${(e) => setOverride(r, k, { kind: e.target.value })}>
              <option value="scale">${t("scale_by")}</option><option value="value">${t("set_value")}</option></select>`}
          </${Field}>
          <${Field} id=${`sim-r${r}-o${k}-value`} label=${`${o.kind === "scale" ? t("factor") : t("value_json")} *`} field=${`reforms.${r}.overrides.${k}.value`} errors=${errors}>
            ${(a) => html`<input ...${a} size="10" value=${o.value} onInput=${(e) => setOverride(r, k, { value: e.target.value })} />`}
          </${Field}>
          <${Field} id=${`sim-r${r}-o${k}-from`} label=${`${t("from_date")} *`} field=${`reforms.${r}.overrides.${k}.from`} errors=${errors}>
            ${(a) => html`<input ...${a} type="date" value=${o.from} onInput=${(e) => setOverride(r, k, { from: e.target.value })} />`}
          </${Field}>
          <${Field} id=${`sim-r${r}-o${k}-until`} label=${t("until_date")} field=${`reforms.${r}.overrides.${k}.until`} errors=${errors}>
            ${(a) => html`<input ...${a} type="date" value=${o.until} onInput=${(e) => setOverride(r, k, { until: e.target.value })} />`}
          </${Field}>
          ${reform.overrides.length > 1 && html`<button type="button" onClick=${() => setReform(r, { overrides: reform.overrides.filter((_, i) => i !== k) })}
            aria-label=${`${t("remove")} ${t("override")} ${r + 1}.${k + 1}`}>${t("remove")}</button>`}
        </div>`)}
        <div class="row">
          <button type="button" onClick=${() => setReform(r, { overrides: [...reform.overrides, newOverride(form.jurisdiction.trim())] })}>${t("add_override")}</button>
          ${form.reforms.length > 1 && html`<button type="button" onClick=${() => setForm({ ...form, reforms: form.reforms.filter((_, i) => i !== r) })}>${t("remove")} ${t("reform")} ${r + 1}</button>`}
        </div>
      </fieldset>`)}
      <p><button type="button" onClick=${() => setForm({ ...form, reforms: [...form.reforms, { name: `reform ${form.reforms.length + 1}`, overrides: [newOverride(form.jurisdiction.trim())] }] })}>${t("add_reform")}</button></p>
      <${FormErrors} errors=${errors} fields=${["population", "programs", ...form.reforms.flatMap((x, r) => [`reforms.${r}.name`, ...x.overrides.flatMap((_, k) => ["path", "at", "value", "from", "until"].map((f) => `reforms.${r}.overrides.${k}.${f}`))])]} />
      <${Alert} error=${failure} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("simulating") : t("run_simulation")}</button>
      ${busy && html`<${Loading} />`}
    </form>
    ${result && html`<${Result} s=${result} />`}
  </${Page}>`;
}

const fmt = (v, digits = 0) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN", {
  minimumFractionDigits: digits, maximumFractionDigits: digits,
}));
const signed = (v, digits = 0) => (v > 0 ? `+${fmt(v, digits)}` : fmt(v, digits));

function download(text, name) {
  // With a byte-order mark, as the CLI writes it: spreadsheet programs then read UTF-8.
  const blob = new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function Result({ s }) {
  const digits = s.weighted ? 1 : 0;
  const name = `simulation-${s.asOf}.csv`;
  return html`<section aria-labelledby="result-title" id="result">
    <h2 id="result-title">${t("results")}</h2>
    <p class="help" role="note">${t("aggregates_only")}</p>
    <dl class="facts">
      <dt>${t("population")}</dt><dd>${s.population}${s.weighted ? `（${t("weighted")}）` : ""}</dd>
      <dt>${t("as_of")}</dt><dd>${s.asOf}</dd>
      <dt>${t("programs")}</dt><dd>${s.programs.map((p) => (p === "low_income" ? t("low_income") : programName(p))).join("、")}</dd>
      ${s.reforms.map((r) => html`<dt>${t("reform")} ${r.name}</dt><dd><code>${r.overrides}</code></dd>`)}
    </dl>
    ${s.notes.length > 0 && html`<div class="wait"><strong>${t("notes_title")}</strong><ul>${s.notes.map((n) => html`<li>${n}</li>`)}</ul></div>`}
    <p><button type="button" onClick=${() => download(s.csv, name)}>${t("download_csv")}</button></p>
    <h3>${t("totals")}</h3>
    <${Table} rows=${s.totals} digits=${digits} caption=${t("totals")} id="totals" />
    <h3>${t("by_county")}</h3>
    <${Chart} rows=${s.counties} />
    <${Table} rows=${s.counties} digits=${digits} caption=${t("by_county")} id="counties" />
  </section>`;
}

function Table({ rows, digits, caption, id }) {
  const pair = (b, r, c, d = digits) => html`<td>${fmt(b, d)}</td><td>${fmt(r, d)}</td><td class=${c > 0 ? "up" : c < 0 ? "down" : ""}>${signed(c, d)}</td>`;
  // A wide table scrolls sideways: focusable, so the keyboard can scroll it too.
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${caption}><table class="data sim" id=${id}>
    <caption class="sr-only">${caption}</caption>
    <thead>
      <tr><th scope="col" rowspan="2">${t("reform")}</th><th scope="col" rowspan="2">${t("program")}</th>
        <th scope="col" rowspan="2">${t("county")}</th>
        <th scope="colgroup" colspan="3">${t("eligible_households")}</th><th scope="colgroup" colspan="3">${t("persons")}</th>
        <th scope="colgroup" colspan="3">${t("monthly_cost")}</th><th scope="colgroup" colspan="3">${t("yearly_cost")}</th>
        <th scope="col" rowspan="2">${t("winners")}</th><th scope="col" rowspan="2">${t("losers")}</th>
        <th scope="col" rowspan="2">${t("newly_eligible")}</th><th scope="col" rowspan="2">${t("no_longer")}</th>
        <th scope="col" rowspan="2">${t("cannot_decide_n")}</th></tr>
      <tr>${[1, 2, 3, 4].map(() => html`<th scope="col">${t("baseline")}</th><th scope="col">${t("reformed")}</th><th scope="col">${t("change")}</th>`)}</tr>
    </thead>
    <tbody>${rows.map((x) => html`<tr>
      <td>${x.reform}</td><td>${x.program === "low_income" ? t("low_income") : programName(x.program)}</td>
      <td>${x.county === "total" ? html`<strong>${x.countyName}</strong>` : `${x.countyName} ${x.county}`}</td>
      ${pair(x.eligibleBaseline, x.eligibleReform, x.eligibleChange)}
      ${pair(x.personsBaseline, x.personsReform, x.personsChange)}
      ${pair(x.monthlyCostBaseline, x.monthlyCostReform, x.monthlyCostChange, 2)}
      ${pair(x.yearlyCostBaseline, x.yearlyCostReform, x.yearlyCostChange, 2)}
      <td>${fmt(x.winners, digits)}</td><td>${fmt(x.losers, digits)}</td>
      <td>${fmt(x.newlyEligible, digits)}</td><td>${fmt(x.noLongerEligible, digits)}</td>
      <td>${fmt(x.cannotDecideBaseline, digits)} → ${fmt(x.cannotDecideReform, digits)}</td></tr>`)}</tbody>
  </table></div>`;
}

// Monthly cost per county: the baseline and each reform side by side (one chart per program).
function Chart({ rows }) {
  const ref = useRef(null);
  const programs = [...new Set(rows.map((x) => x.program))];
  const program = programs[0];
  const mine = rows.filter((x) => x.program === program);
  const counties = [...new Set(mine.map((x) => x.county))];
  const label = (c) => { const x = mine.find((y) => y.county === c); return `${x.countyName} ${c}`; };
  const reforms = [...new Set(mine.map((x) => x.reform))];
  useEffect(() => {
    if (!ref.current || !counties.length) return undefined;
    let chart = null;
    let live = true;
    loadECharts().then((echarts) => {
      if (!live || !ref.current) return;
      chart = echarts.init(ref.current, null, { renderer: "svg" });
      const at = (reform, c, key) => { const x = mine.find((y) => y.reform === reform && y.county === c); return x ? x[key] : 0; };
      chart.setOption({
        aria: { enabled: true },
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 72, right: 24, top: 40, bottom: 56 },
        xAxis: { type: "category", data: counties.map(label), axisLabel: { interval: 0, rotate: counties.length > 8 ? 30 : 0 } },
        yAxis: { type: "value", name: lang() === "en" ? "yuan / month" : "元/月" },
        series: [
          { name: t("baseline"), type: "bar", data: counties.map((c) => at(reforms[0], c, "monthlyCostBaseline")) },
          ...reforms.map((r) => ({ name: `${t("reformed")}：${r}`, type: "bar", data: counties.map((c) => at(r, c, "monthlyCostReform")) })),
        ],
      });
    }).catch(() => {});
    return () => { live = false; if (chart) chart.dispose(); };
  }, [rows]);
  if (!counties.length) return null;
  return html`<div class="chart" ref=${ref} role="img" id="sim-chart"
    aria-label=${`${t("chart_title")}（${program === "low_income" ? t("low_income") : programName(program)}）`}></div>`;
}
