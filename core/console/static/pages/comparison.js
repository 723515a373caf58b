// Data comparison (数据比对): supervision of open and overdue findings (findingSupervision), a
// comparison run (runComparison), the findings by status with their due dates in working days
// (findings), the department batches with their provenance (departmentBatches) and a batch
// imported — checked first, every bad row and column listed, then committed
// (importDepartmentBatch) — with the data kinds and what a match means (dataKinds).
import {
  html, useState, useEffect, useQuery, gql, getSession, may, params, navigate, todayInChina,
} from "../lib/core.js";
import { t } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors, when } from "../lib/ui.js";
import { w, codeName } from "../lib/words-people.js";
import { readBase64, FileProblems, unsendable, placed } from "../lib/files.js";

const ERRORS = "userErrors { field message code }";
const KINDS = "query DataKinds { dataKinds { id titleZh title departments mode columns required meanings } }";
const SUPERVISION = `query Supervision($j: String!, $d: Date) { findingSupervision(jurisdiction: $j, asOf: $d) {
  jurisdiction asOf open overdue noDueDate byKind
  overdueFindings { id name kind rule caseId meaning task { due level } } } }`;
const FINDINGS = `query Findings($j: String!, $s: String, $o: Boolean!, $d: Date) {
  findings(jurisdiction: $j, status: $s, overdue: $o, asOf: $d) {
    id rule kind severity status county caseId personId householdId idNumber name meaning
    task { status level due overdue openedOn deadline } } }`;
const BATCHES = `query Batches($j: String!) { departmentBatches(jurisdiction: $j) {
  id kind department jurisdiction batchDate fileName sha256 records importedBy at current } }`;
const RUN = `mutation RunComparison($j: String!, $d: Date) { runComparison(jurisdiction: $j, asOf: $d) {
  run { id asOf batches recipients matches raised known byRule } ${ERRORS} } }`;
const IMPORT = `mutation ImportBatch($kind: String!, $dept: String!, $j: String!, $date: Date!,
  $name: String!, $b64: String!, $commit: Boolean!, $enc: String) {
  importDepartmentBatch(kind: $kind, department: $dept, jurisdiction: $j, batchDate: $date,
    fileName: $name, contentBase64: $b64, commit: $commit, encoding: $enc) {
    batch { id kind records } committed records notes ${ERRORS} } }`;

let kindsOnce = null;
export function dataKinds() {
  // The catalog changes only with the plugins installed: asked once per page load.
  if (!kindsOnce) kindsOnce = gql(KINDS).then((d) => d.dataKinds, (e) => { kindsOnce = null; throw e; });
  return kindsOnce;
}

export function kindTitle(kinds, id) {
  const k = (kinds || []).find((x) => x.id === id);
  return k ? (document.documentElement.lang === "en" ? k.title : k.titleZh) : id;
}

export function summaryOf(meaning) {
  if (!meaning) return "";
  return document.documentElement.lang === "en" ? meaning.summary : meaning.summaryZh;
}

export function Due({ task }) {
  if (!task.due) return html`<span class="help">${w("no_due_date")}</span>`;
  return html`<span class=${task.overdue ? "overdue" : ""}>${task.due}</span>
    ${task.overdue && html` <span class="badge bad">${w("overdue_findings")}</span>`}
    ${task.deadline && task.deadline.provisional && html` <span class="badge warn">${t("provisional")}</span>`}
    ${task.deadline && task.deadline.value != null && html`<br/><span class="help">${task.deadline.value} ${w("working_days")}</span>`}`;
}

export default function Comparison() {
  const me = getSession().me;
  const p = params();
  const [code, setCode] = useState(p.get("j") || me.jurisdiction.code);
  const [view, setView] = useState({ code: p.get("j") || me.jurisdiction.code, status: p.get("status") || "open", overdue: p.get("overdue") === "1" });
  const [tick, setTick] = useState(0);
  const [kinds, setKinds] = useState(null);
  const [kindsError, setKindsError] = useState(null);
  useEffect(() => { dataKinds().then(setKinds, setKindsError); }, []);
  const session = getSession();
  const bump = () => setTick((n) => n + 1);

  function show(next) {
    const v = { ...view, ...next };
    setView(v);
    const q = new URLSearchParams({ j: v.code, status: v.status });
    if (v.overdue) q.set("overdue", "1");
    navigate(`/comparison?${q}`, { replace: true });
  }

  return html`<${Page} title=${w("comparison_title")} wide>
    <p class="help">${w("comparison_intro")}</p>
    <form class="controls" onSubmit=${(e) => { e.preventDefault(); show({ code: code.trim() }); }}>
      <${Field} id="cmp-j" label=${t("jurisdiction")}>
        ${(a) => html`<input ...${a} value=${code} inputmode="numeric" onInput=${(e) => setCode(e.target.value)} />`}
      </${Field}>
      <button type="submit" class="primary">${t("search")}</button>
    </form>
    <${Alert} error=${kindsError} />
    <${Supervision} key=${`s${view.code}`} code=${view.code} tick=${tick} kinds=${kinds} />
    ${may(session, "run_comparisons") && html`<${Run} key=${`r${view.code}`} code=${view.code} onDone=${bump} />`}
    <${Findings} view=${view} show=${show} tick=${tick} kinds=${kinds} />
    <${Batches} key=${`b${view.code}`} code=${view.code} tick=${tick} kinds=${kinds} />
    ${may(session, "import_department_data") && kinds && html`<${ImportBatch} key=${`i${view.code}`} code=${view.code} kinds=${kinds} onDone=${bump} />`}
    ${kinds && html`<${Catalog} kinds=${kinds} />`}
  </${Page}>`;
}

function Supervision({ code, tick, kinds }) {
  const q = useQuery(SUPERVISION, { j: code, d: null }, [code, tick]);
  if (q.error) return html`<${Alert} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<${Loading} />`;
  const s = q.data.findingSupervision;
  const byKind = Object.entries(s.byKind || {});
  return html`<section aria-labelledby="sup-title"><h2 id="sup-title">${w("supervision")}（${s.asOf}）</h2>
    <ul class="inline-list counts">
      <li>${w("open_findings")} <strong class="big" id="sup-open">${s.open}</strong></li>
      <li>${w("overdue_findings")} <strong class=${`big${s.overdue ? " overdue" : ""}`} id="sup-overdue">${s.overdue}</strong></li>
      <li>${w("no_due_date")} <strong class="big">${s.noDueDate}</strong></li>
    </ul>
    ${byKind.length > 0 && html`<table class="data"><caption>${w("by_kind")}</caption>
      <thead><tr><th scope="col">${w("data_kind")}</th><th scope="col">${w("open_findings")}</th><th scope="col">${w("overdue_findings")}</th></tr></thead>
      <tbody>${byKind.map(([k, v]) => html`<tr><td>${kindTitle(kinds, k)}</td><td>${v.open}</td><td>${v.overdue}</td></tr>`)}</tbody></table>`}
    ${s.overdueFindings.length > 0 && html`<h3>${w("overdue_list")}</h3><ul>${s.overdueFindings.map((f) => html`<li>
      <a href=${`/findings/${f.id}`}>${w("finding")} #${f.id}</a> ${f.name} · ${summaryOf(f.meaning)} · ${w("due_by")} ${f.task.due}（${codeName(f.task.level)}）</li>`)}</ul>`}
  </section>`;
}

function Run({ code, onDone }) {
  const [day, setDay] = useState(todayInChina());
  const [run, setRun] = useState(null);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setFailure(null); setRun(null);
    try {
      const { runComparison: r } = await gql(RUN, { j: code, d: day || null });
      setErrors(placed(r.userErrors, ["asOf"]));
      if (r.run) { setRun(r.run); onDone(); }
    } catch (x) { setFailure(x); } finally { setBusy(false); }
  }
  return html`<section aria-labelledby="run-title"><h2 id="run-title">${w("run_comparison")}</h2>
    <p class="help">${w("run_comparison_help")}</p>
    <form class="row" onSubmit=${submit} novalidate>
      <${Field} id="run-date" label=${w("as_of_date")} field="asOf" errors=${errors}>
        ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onChange=${(e) => setDay(e.target.value)} />`}
      </${Field}>
      <button type="submit" class="primary" disabled=${busy}>${w("run_comparison")}（${code}）</button>
    </form>
    <${FormErrors} errors=${errors} fields=${["asOf"]} />
    <${Alert} error=${failure} />
    ${run && html`<p class="notice" role="status" id="run-result">${w("comparison_done")} #${run.id}（${run.asOf}）：
      ${w("recipients")} ${run.recipients}，${w("batches")} ${run.batches.length}，${w("matches")} ${run.matches}，
      ${w("raised")} ${run.raised}，${w("known")} ${run.known}</p>`}
  </section>`;
}

const STATUSES = ["open", "resolved", "dismissed", ""];

function Findings({ view, show, tick, kinds }) {
  const q = useQuery(FINDINGS, { j: view.code, s: view.status || null, o: view.overdue, d: null },
    [view.code, view.status, view.overdue, tick]);
  const list = q.data ? q.data.findings : [];
  return html`<section aria-labelledby="fd-title"><h2 id="fd-title">${w("findings")}</h2>
    <div class="tabs" role="tablist" aria-label=${t("state")}>
      ${STATUSES.map((s) => html`<button type="button" role="tab" id=${`fd-tab-${s || "all"}`}
        aria-selected=${view.status === s ? "true" : "false"} aria-controls="finding-list"
        onClick=${() => show({ status: s })}>${s ? w(`status_${s}`) : w("all_status")}</button>`)}
    </div>
    <div class="field inline"><input id="fd-overdue" type="checkbox" checked=${view.overdue}
      onChange=${(e) => show({ overdue: e.target.checked })} /><label for="fd-overdue">${w("only_overdue")}</label></div>
    <div id="finding-list" role="tabpanel" aria-labelledby=${`fd-tab-${view.status || "all"}`}>
    <${Alert} error=${q.error} onRetry=${q.reload} />
    ${q.loading && html`<${Loading} />`}
    ${q.data && !list.length && html`<p>${w("no_findings")}</p>`}
    ${list.length > 0 && html`<div class="table-wrap"><table class="data findings"><caption class="sr-only">${w("findings")}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">${w("finding")}</th><th scope="col">${w("person")}</th>
        <th scope="col">${t("case")}</th><th scope="col">${w("severity")}</th><th scope="col">${w("level")}</th>
        <th scope="col">${w("due_by")}</th><th scope="col">${t("status")}</th></tr></thead>
      <tbody>${list.map((f) => html`<tr>
        <td><a href=${`/findings/${f.id}`}>#${f.id}</a></td>
        <td><a href=${`/findings/${f.id}`}>${summaryOf(f.meaning)}</a><br/><span class="help">${kindTitle(kinds, f.kind)} · ${codeName(f.meaning && f.meaning.program)}</span></td>
        <td>${f.name}<br/><code>${f.idNumber}</code></td>
        <td>${f.caseId ? html`<a href=${`/cases/${f.caseId}`}>#${f.caseId}</a>` : f.personId ? html`<a href=${`/lowincome?j=${f.county}`}>${codeName("low_income")}</a>` : "—"}</td>
        <td><span class=${`badge ${f.severity === "high" ? "bad" : f.severity === "medium" ? "warn" : ""}`}>${codeName(f.severity)}</span></td>
        <td>${codeName(f.task.level)}</td>
        <td>${f.task.status === "open" ? html`<${Due} task=${f.task} />` : "—"}</td>
        <td>${codeName(f.status)}</td></tr>`)}</tbody></table></div>`}
    </div>
  </section>`;
}

function Batches({ code, tick, kinds }) {
  const q = useQuery(BATCHES, { j: code }, [code, tick]);
  if (q.error) return html`<${Alert} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<${Loading} />`;
  const list = q.data.departmentBatches;
  return html`<section aria-labelledby="bt-title"><h2 id="bt-title">${w("batches")}</h2>
    ${q.loading && html`<${Loading} />`}
    ${!list.length ? html`<p>${w("no_batches")}</p>` : html`<div class="table-wrap"><table class="data"><caption class="sr-only">${w("batches")}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">${w("data_kind")}</th><th scope="col">${w("department")}</th>
        <th scope="col">${t("jurisdiction")}</th><th scope="col">${w("batch_date")}</th><th scope="col">${w("records")}</th>
        <th scope="col">${w("file")}</th><th scope="col">${w("imported_at")}</th><th scope="col">${t("status")}</th></tr></thead>
      <tbody>${list.map((b) => html`<tr><td>${b.id}</td><td>${kindTitle(kinds, b.kind)}</td><td>${b.department}</td>
        <td>${b.jurisdiction}</td><td>${b.batchDate}</td><td>${b.records}</td>
        <td>${b.fileName}<br/><code class="help" title=${b.sha256}>${b.sha256.slice(0, 12)}…</code></td>
        <td>${when(b.at)}<br/><span class="help">${w("imported_by")} ${b.importedBy}</span></td>
        <td>${b.current ? html`<span class="badge ok">${w("current_batch")}</span>` : w("replaced")}</td></tr>`)}</tbody></table></div>`}
  </section>`;
}

function ImportBatch({ code, kinds, onDone }) {
  const [kind, setKind] = useState(kinds[0] ? kinds[0].id : "");
  const spec = kinds.find((k) => k.id === kind) || kinds[0];
  const [department, setDepartment] = useState(spec ? spec.departments[0] : "");
  const [day, setDay] = useState(todayInChina());
  const [file, setFile] = useState(null);
  const [encoding, setEncoding] = useState("");
  const [checked, setChecked] = useState(null);
  const [done, setDone] = useState(null);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const reset = () => { setChecked(null); setDone(null); setErrors([]); };

  async function send(commit) {
    setFailure(null); setDone(null);
    const refused = unsendable(file);
    if (refused.length) { setErrors(refused); return; }
    setBusy(true);
    try {
      const b64 = await readBase64(file);
      const { importDepartmentBatch: r } = await gql(IMPORT, {
        kind, dept: department, j: code, date: day, name: file.name, b64, commit, enc: encoding || null,
      });
      setErrors(placed(r.userErrors, ["kind", "department", "batchDate", "jurisdiction"]));
      if (r.userErrors.length) { setChecked(null); return; }
      if (commit) { setDone(r); setChecked(null); onDone(); } else setChecked(r);
    } catch (x) { setFailure(x); } finally { setBusy(false); }
  }
  const mine = ["kind", "department", "batchDate", "contentBase64", "jurisdiction", "encoding"];
  const fileErrors = errors.filter((e) => !mine.includes(e.field));
  return html`<section aria-labelledby="ib-title"><h2 id="ib-title">${w("import_batch")}（${code}）</h2>
    <form onSubmit=${(e) => { e.preventDefault(); send(false); }} novalidate>
      <div class="row">
        <${Field} id="ib-kind" label=${w("data_kind")} field="kind" errors=${errors}>
          ${(a) => html`<select ...${a} value=${kind} onChange=${(e) => {
            const k = kinds.find((x) => x.id === e.target.value);
            setKind(e.target.value); setDepartment(k ? k.departments[0] : ""); reset();
          }}>${kinds.map((k) => html`<option value=${k.id}>${kindTitle(kinds, k.id)}</option>`)}</select>`}
        </${Field}>
        <${Field} id="ib-dept" label=${w("department")} field="department" errors=${errors}>
          ${(a) => html`<select ...${a} value=${department} onChange=${(e) => { setDepartment(e.target.value); reset(); }}>
            ${(spec ? spec.departments : []).map((d) => html`<option value=${d}>${d}</option>`)}</select>`}
        </${Field}>
        <${Field} id="ib-date" label=${w("batch_date")} field="batchDate" errors=${errors}>
          ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onChange=${(e) => { setDay(e.target.value); reset(); }} />`}
        </${Field}>
      </div>
      ${spec && html`<p class="help">${w("columns")}：${spec.columns.map((c, i) => html`${i ? "、" : ""}${spec.required.includes(c) ? html`<strong>${c}*</strong>` : c}`)}（* ${w("required_cols")}）</p>`}
      <div class="row">
        <${Field} id="ib-file" label=${w("file")} field="contentBase64" errors=${errors} help="CSV / XLSX / Parquet">
          ${(a) => html`<input ...${a} type="file" accept=".csv,.xlsx,.parquet"
            aria-invalid=${errors.length ? "true" : undefined}
            aria-describedby=${[a["aria-describedby"], fileErrors.length ? "ib-problems" : null].filter(Boolean).join(" ") || undefined}
            onChange=${(e) => { setFile(e.target.files[0] || null); reset(); }} />`}
        </${Field}>
        <${Field} id="ib-enc" label=${w("encoding")}>
          ${(a) => html`<select ...${a} value=${encoding} onChange=${(e) => setEncoding(e.target.value)}>
            <option value="">${w("encoding_auto")}</option><option value="utf-8">UTF-8</option>
            <option value="gb18030">GBK / GB18030</option></select>`}
        </${Field}>
        <button type="submit" disabled=${busy}>${w("check_batch")}</button>
      </div>
    </form>
    <${Alert} error=${failure} />
    <${FileProblems} errors=${fileErrors.filter((e) => e.code === "INVALID_FILE")} id="ib-problems" />
    <${FormErrors} errors=${fileErrors.filter((e) => e.code !== "INVALID_FILE")} />
    ${checked && html`<div class="notice" role="status"><p>${w("batch_ok").replace("N", checked.records)}</p>
      ${checked.notes.map((n) => html`<p class="help">${n}</p>`)}
      <button type="button" class="primary" disabled=${busy} onClick=${() => send(true)}>${w("commit_batch")}</button></div>`}
    ${done && html`<p class="notice" role="status">${w("batch_imported")} #${done.batch.id}：${kindTitle(kinds, done.batch.kind)} ${done.records} ${w("records")}
      ${done.notes.map((n) => html`<br/><span class="help">${n}</span>`)}</p>`}
  </section>`;
}

function Catalog({ kinds }) {
  return html`<section aria-labelledby="cat-title"><details><summary><h2 id="cat-title" class="inline">${w("kinds_catalog")}</h2></summary>
    <table class="data"><caption class="sr-only">${w("kinds_catalog")}</caption>
      <thead><tr><th scope="col">${w("data_kind")}</th><th scope="col">${w("department")}</th><th scope="col">${w("columns")}</th>
        <th scope="col">${w("meaning")}</th></tr></thead>
      <tbody>${kinds.map((k) => html`<tr><td>${kindTitle(kinds, k.id)}<br/><span class="help">${k.id} · ${codeName(k.mode)}</span></td>
        <td>${k.departments.join("、")}</td><td>${k.columns.join("、")}</td>
        <td><ul>${k.meanings.map((m) => html`<li><strong>${codeName(m.program)}</strong>：${summaryOf(m)}
          → ${codeName(m.action)}（${codeName(m.level)}）${m.notSet ? html`<br/><span class="help">${w("meaning_not_set")} ${m.notSet}</span>` : ""}</li>`)}</ul></td></tr>`)}</tbody>
    </table></details></section>`;
}
