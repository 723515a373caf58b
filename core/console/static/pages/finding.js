// One finding (疑点): the department's record that matched, what the match means (the rule, its
// program, the action that closes it, the level that verifies it, the documents — or that no
// document sets it), its task with the due date in working days and how it was found, and the
// task closed (resolveFinding): by the case step (its inputs from caseActionSpecs, taken through
// the case workflow), a register change, or a dismissal with the reasons verification found.
import { html, useState, useEffect, useQuery, gql, getSession, may, todayInChina } from "../lib/core.js";
import { t, stepName, programName } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors } from "../lib/ui.js";
import { actionSpecs, formArgs, ArgInput, parse } from "../lib/forms.js";
import { w, codeName, TAGS } from "../lib/words-people.js";
import { placed } from "../lib/files.js";
import { dataKinds, kindTitle, summaryOf, Due } from "./comparison.js";

const FINDING_FIELDS = `id rule kind severity status county caseId personId householdId idNumber
  name batchId runId record meaning
  task { id status level version openedOn due overdue deadline outcome }`;
const FINDING = `query Finding($id: ID!) { finding(id: $id) { ${FINDING_FIELDS} } }`;
const CASE = "query CaseOfFinding($id: ID!) { case(id: $id) { id version state program } }";
const RESOLVE = `mutation ResolveFinding($id: ID!, $outcome: String!, $on: Date, $action: String,
  $inputs: JSON, $reasons: String!, $tag: String, $caseVersion: Int, $v: Int) {
  resolveFinding(id: $id, outcome: $outcome, on: $on, action: $action, inputs: $inputs,
    reasons: $reasons, tag: $tag, caseVersion: $caseVersion, expectedVersion: $v) {
    finding { ${FINDING_FIELDS} } userErrors { field message code } } }`;

// What closes a task of each meaning (core.exchange.rules: CASE_STEPS and check_outcome); the
// API checks again and answers any other choice with a userError shown at the outcome.
const CASE_STEPS = {
  record_death: ["record_death"],
  review: ["record_review", "start_phase_out", "exit_case", "record_verification"],
  update_household: ["record_review"],
};
const OTHER_OUTCOMES = {
  update_household: ["household_updated"], tag: ["tag"], exit: ["exit_register"],
  reassess: ["reassessed", "exit_register"],
};

export function outcomesFor(meaning) {
  const action = meaning.action;
  const out = [];
  if (meaning.program !== "low_income" && CASE_STEPS[action]) out.push("case_step");
  out.push(...(OTHER_OUTCOMES[action] || []));
  if (action === "review" && meaning.program === "low_income") out.push("reassessed");
  out.push("dismissed");
  return out;
}

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export default function FindingPage({ arg }) {
  const [tick, setTick] = useState(0);
  const [closed, setClosed] = useState(null);
  const [kinds, setKinds] = useState(null);
  useEffect(() => { dataKinds().then(setKinds, () => setKinds([])); }, []);
  const q = useQuery(FINDING, { id: arg }, [arg, tick]);
  const f = closed || (q.data && q.data.finding);
  const title = f ? `${w("finding_title")} #${f.id} · ${summaryOf(f.meaning)}` : `${w("finding_title")} #${arg}`;
  const session = getSession();
  return html`<${Page} title=${title}>
    <${Alert} error=${q.error} onRetry=${q.reload} />
    ${q.loading && html`<${Loading} />`}
    ${closed && html`<p class="notice" role="status" id="resolved-notice">${w("finding_resolved")}：${codeName(closed.status)}
      ${closed.task.outcome && closed.task.outcome.caseState ? html` · ${t("case")} #${closed.task.outcome.caseId} → ${closed.task.outcome.caseState}` : ""}</p>`}
    ${f && html`
      <dl class="facts">
        <dt>${t("status")}</dt><dd><strong>${codeName(f.status)}</strong></dd>
        <dt>${w("person")}</dt><dd>${f.name} <code>${f.idNumber}</code></dd>
        <dt>${w("severity")}</dt><dd><span class=${`badge ${f.severity === "high" ? "bad" : "warn"}`}>${codeName(f.severity)}</span></dd>
        <dt>${t("case")}</dt><dd>${f.caseId ? html`<a href=${`/cases/${f.caseId}`}>#${f.caseId}</a>` : "—"}
          ${f.householdId ? html` · ${t("household")} <a href=${`/households/${f.householdId}`}>#${f.householdId}</a>` : ""}
          ${f.personId ? html` · <a href=${`/lowincome?j=${f.county}`}>${codeName("low_income")}</a>` : ""}</dd>
        <dt>${t("county")}</dt><dd>${f.county}</dd>
        <dt>${w("from_batch")}</dt><dd>#${f.batchId} · ${w("run_no")} #${f.runId}</dd>
      </dl>
      <${Record} f=${f} kinds=${kinds} />
      <${Meaning} m=${f.meaning} />
      <${Task} task=${f.task} />
      ${f.task.status === "open" && may(session, "resolve_findings") && !closed
        && html`<${Resolve} f=${f} onDone=${(x) => { setClosed(x); setTick((n) => n + 1); }} />`}`}
  </${Page}>`;
}

function Record({ f, kinds }) {
  const entries = Object.entries(f.record || {});
  return html`<section aria-labelledby="rec-title"><h2 id="rec-title">${w("what_matched")}（${kindTitle(kinds, f.kind)}）</h2>
    <table class="data record"><caption class="sr-only">${w("what_matched")}</caption>
      <tbody>${entries.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v === null || v === "" ? "—" : String(v)}</td></tr>`)}</tbody>
    </table></section>`;
}

function Meaning({ m }) {
  return html`<section aria-labelledby="mean-title"><h2 id="mean-title">${w("meaning")}</h2>
    <p><strong>${summaryOf(m)}</strong> <span class="help">（${m.summary}）</span></p>
    <dl class="facts">
      <dt>${w("for_program")}</dt><dd>${codeName(m.program)}</dd>
      <dt>${w("resolved_by")}</dt><dd>${codeName(m.action)}${m.tag ? `：${m.tag}` : ""}</dd>
      <dt>${w("level")}</dt><dd>${codeName(m.level)}</dd>
      <dt>${w("data_kind")}</dt><dd>${document.documentElement.lang === "en" ? m.kindTitle : m.kindTitleZh}（${(m.departments || []).join("、")}）</dd>
    </dl>
    ${m.notSet && html`<p class="wait" role="note"><strong>${w("meaning_not_set")}</strong> ${m.notSet}</p>`}
    ${(m.sources || []).map((s) => html`<div class="source"><p><strong>${s.document}</strong>${s.section ? ` ${s.section}` : ""}</p>
      ${s.quote && html`<blockquote>“${s.quote}”</blockquote>`}</div>`)}
  </section>`;
}

function Task({ task }) {
  const d = task.deadline || {};
  return html`<section aria-labelledby="task-title"><h2 id="task-title">${w("task")} #${task.id}</h2>
    <dl class="facts">
      <dt>${t("status")}</dt><dd>${codeName(task.status)}</dd>
      <dt>${w("level")}</dt><dd>${codeName(task.level)}</dd>
      <dt>${w("opened_on")}</dt><dd>${task.openedOn}</dd>
      <dt>${w("due_by")}</dt><dd><${Due} task=${task} /></dd>
      <dt>${t("version")}</dt><dd>${task.version}</dd>
    </dl>
    ${d.why && html`<p class="help"><strong>${w("deadline_how")}</strong>：${d.why}</p>`}
    ${task.outcome && html`<div class="card"><h3>${w("outcome")}</h3><dl class="facts">
      <dt>${w("outcome")}</dt><dd>${codeName(task.outcome.outcome)}${task.outcome.action ? ` · ${stepName(task.outcome.action)}` : ""}</dd>
      <dt>${t("date")}</dt><dd>${task.outcome.on}</dd>
      ${task.outcome.reasons && html`<dt>${t("reasons")}</dt><dd>${task.outcome.reasons}</dd>`}
      ${task.outcome.tag && html`<dt>${w("tag")}</dt><dd>${task.outcome.tag}</dd>`}
      ${task.outcome.caseId && html`<dt>${t("case")}</dt><dd><a href=${`/cases/${task.outcome.caseId}`}>#${task.outcome.caseId}</a> → ${task.outcome.caseState}</dd>`}
    </dl></div>`}
  </section>`;
}

function Resolve({ f, onDone }) {
  const outcomes = outcomesFor(f.meaning);
  const steps = CASE_STEPS[f.meaning.action] || [];
  const [outcome, setOutcome] = useState(outcomes[0]);
  const [action, setAction] = useState(steps[0] || "");
  const [day, setDay] = useState(todayInChina());
  const [reasons, setReasons] = useState("");
  const [tag, setTag] = useState(f.meaning.tag || TAGS[0]);
  const [values, setValues] = useState({});
  const [specs, setSpecs] = useState(null);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const kase = useQuery(CASE, { id: f.caseId }, [f.caseId, f.task.version], !!f.caseId);
  useEffect(() => { actionSpecs().then(setSpecs, setFailure); }, []);
  const spec = specs && outcome === "case_step" ? specs[action] : null;
  const args = spec ? formArgs(spec, ["id", "expectedVersion", "on"]) : [];
  // A death: the finding's person and the record's date of death unless the official changes them.
  const defaults = action === "record_death"
    ? { idNumber: f.idNumber, dateOfDeath: (f.record || {})["死亡日期"] || "" } : {};
  const value = (name) => (name in values ? values[name] : defaults[name]);

  async function submit(e) {
    e.preventDefault();
    setBusy(true); setFailure(null);
    const vars = { id: f.id, outcome, on: day || null, reasons, v: f.task.version };
    if (outcome === "case_step") {
      vars.action = action;
      vars.caseVersion = kase.data ? kase.data.case.version : null;
      // Only what the official typed: the API fills a death's person and date from the
      // finding itself (and takes the inputs as JSON, so a date typed here travels as text).
      const inputs = {};
      for (const a of args) {
        if (!(a.name in values)) continue;
        const v = parse(a, values[a.name]);
        if (v !== null) inputs[snake(a.name)] = v;
      }
      vars.inputs = inputs;
    }
    if (outcome === "tag") vars.tag = tag;
    try {
      const { resolveFinding: r } = await gql(RESOLVE, vars);
      // Errors of the step's inputs come back by their Python names (date_of_death): shown at
      // the control of the same input.
      const named = r.userErrors.map((x) => {
        const arg = x.field && args.find((a) => snake(a.name) === x.field);
        return arg ? { ...x, field: arg.name } : x;
      });
      setErrors(placed(named, ["outcome", "action", "reasons", "tag", "on", ...args.map((a) => a.name)]));
      if (r.finding) onDone(r.finding);
    } catch (x) { setFailure(x); } finally { setBusy(false); }
  }

  const shown = ["outcome", "action", "reasons", "tag", "on", ...args.map((a) => a.name)];
  return html`<section aria-labelledby="resolve-title"><h2 id="resolve-title">${w("resolve")}</h2>
    <p class="help">${w("resolve_help")}</p>
    <form onSubmit=${submit} novalidate>
      <div class="row">
        <${Field} id="rs-outcome" label=${w("outcome")} field="outcome" errors=${errors}>
          ${(a) => html`<select ...${a} value=${outcome} onChange=${(e) => { setOutcome(e.target.value); setErrors([]); }}>
            ${outcomes.map((o) => html`<option value=${o}>${w(`outcome_${o}`)}</option>`)}</select>`}
        </${Field}>
        ${outcome === "case_step" && html`<${Field} id="rs-action" label=${w("case_step")} field="action" errors=${errors}>
          ${(a) => html`<select ...${a} value=${action} onChange=${(e) => { setAction(e.target.value); setValues({}); }}>
            ${steps.map((s) => html`<option value=${s}>${stepName(s)}</option>`)}</select>`}
        </${Field}>`}
        ${outcome === "tag" && html`<${Field} id="rs-tag" label=${w("tag")} field="tag" errors=${errors}>
          ${(a) => html`<select ...${a} value=${tag} onChange=${(e) => setTag(e.target.value)}>
            ${TAGS.map((x) => html`<option value=${x}>${x}</option>`)}</select>`}
        </${Field}>`}
        <${Field} id="rs-on" label=${t("step_date")} field="on" errors=${errors}>
          ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onChange=${(e) => setDay(e.target.value)} />`}
        </${Field}>
      </div>
      ${outcome === "case_step" && kase.data && html`<p class="help">${t("case")} #${kase.data.case.id} · ${programName(kase.data.case.program)} · ${t("version")} ${kase.data.case.version}</p>`}
      ${args.map((a) => html`<${ArgInput} arg=${a} prefix="rs-in" value=${value(a.name)} errors=${errors}
        onChange=${(v) => setValues({ ...values, [a.name]: v })} />`)}
      ${(outcome === "dismissed" || outcome === "exit_register" || outcome === "reassessed") && html`
        <${Field} id="rs-reasons" label=${`${w("dismiss_reasons")}${outcome === "dismissed" ? " *" : ""}`} field="reasons" errors=${errors}>
          ${(a) => html`<textarea ...${a} value=${reasons} onInput=${(e) => setReasons(e.target.value)}></textarea>`}
        </${Field}>`}
      <${FormErrors} errors=${errors} fields=${shown} />
      <${Alert} error=${failure || kase.error} />
      <button type="submit" class="primary" disabled=${busy}>${w("resolve")}：${w(`outcome_${outcome}`)}</button>
    </form>
  </section>`;
}

