// One annual review run: its scope and status (polled while it runs), progress per unit, the
// proposal of each case with its one-line reason and — on demand — the full trace (the traced
// engine on the run's snapshot, checked against the run), a link to the case, and the batch
// confirmation of the "no change" tasks by the level that confirms dibao there.
import {
  html, useState, useEffect, useQuery, gql, getSession, may, params, navigate, todayInChina,
} from "../lib/core.js";
import {
  t, lang, programName, proposalName, taskStatusName, scopeName, runStatusName, errorText, stateName,
  PROPOSALS, TASK_STATUSES,
} from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors, Source, fmtValue, money, when } from "../lib/ui.js";
import { DecisionSummary } from "./case.js";
import { Progress, POLL_MS } from "./reviews.js";

const RUN = `query Review($id: ID!) { annualReview(id: $id) {
  id jurisdiction asOf status engine snapshotId policyVersion tasksCount error createdBy
  createdAt finishedAt proposals { proposal count }
  scope { inPayment applicants exitedSince tags programs counties }
  progress { unit level total stored done } } }`;
const TASKS = `query ReviewTasks($id: ID!, $county: String, $proposal: String, $status: String, $after: String) {
  annualReview(id: $id) { tasks(county: $county, proposal: $proposal, status: $status, first: 100, after: $after) {
    edges { node { id caseId householdId program county unit scope caseState proposal reason reasonZh
      currentAmount newAmount decisionStatus status confirmedBy confirmedAt } }
    pageInfo { hasNextPage endCursor } } } }`;
const TRACE = `query ReviewTrace($id: ID!) { reviewTask(id: $id) { id trace { agrees differences policyNote
  decision { status eligible mode perCapitaIncome standard monthlyAmount oneOffAmount nextReview
    reasons missing membersCovered
    trace { path value isSet layer { code name level origin } source { title number section quote } } } } } }`;
const LEVEL = `query ConfirmingLevel($j: String!) { policy(jurisdiction: $j) {
  jurisdiction { code name }
  parameter(path: "dibao.approval.confirming_level") { value isSet source { title number section quote } } } }`;
const CONFIRM = `mutation ConfirmUnchangedReviews($r: ID!, $county: String, $on: Date) {
  confirmUnchangedReviews(review: $r, county: $county, on: $on) {
    confirmed events skipped { taskId caseId code message } userErrors { field message code } } }`;
const RESUME = `mutation ResumeAnnualReview($id: ID!) { resumeAnnualReview(id: $id) {
  review { id status } userErrors { field message code } } }`;

const LEVEL_ZH = { county: "县级民政部门", township: "乡镇人民政府（街道办事处）" };

export default function Review({ arg }) {
  const id = arg;
  const [tick, setTick] = useState(0);
  const run = useQuery(RUN, { id }, [id, tick]);
  const r = run.data && run.data.annualReview;
  // A run still running (started elsewhere, or resumed): ask again until it is done.
  useEffect(() => {
    if (!r || r.status !== "running") return undefined;
    const timer = setTimeout(() => setTick((n) => n + 1), POLL_MS);
    return () => clearTimeout(timer);
  }, [r && r.status, tick]);
  const title = `${t("review_title")} #${id}${r ? ` · ${r.jurisdiction} · ${runStatusName(r.status)}` : ""}`;
  return html`<${Page} title=${title} wide>
    <p><a href=${`/reviews?j=${r ? r.jurisdiction : ""}`}>← ${t("runs")}</a></p>
    <${Alert} error=${run.error} onRetry=${run.reload} />
    ${!r && !run.error && html`<${Loading} />`}
    ${r && html`<${Facts} r=${r} onResumed=${() => setTick((n) => n + 1)} />
      <section aria-labelledby="progress-title"><h2 id="progress-title">${t("progress")}</h2>
        <${Progress} units=${r.progress} /></section>
      ${r.status === "done" && may(getSession(), "act_on_cases") && html`<${Confirm} r=${r} onDone=${() => setTick((n) => n + 1)} />`}
      ${r.status !== "running" && html`<${Tasks} r=${r} tick=${tick} />`}`}
  </${Page}>`;
}

function Facts({ r, onResumed }) {
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  async function resume() {
    setBusy(true); setFailure(null);
    try {
      const { resumeAnnualReview: x } = await gql(RESUME, { id: r.id });
      setErrors(x.userErrors);
      if (x.review) onResumed();
    } catch (e) { setFailure(e); } finally { setBusy(false); }
  }
  const s = r.scope;
  const scope = [
    s.inPayment && t("in_payment"), s.applicants && t("applicants"),
    s.exitedSince && `${t("exited_since")} ${s.exitedSince}`, s.tags.length && `${t("tags")}: ${s.tags.join("、")}`,
  ].filter(Boolean).join("；");
  return html`<dl class="facts">
      <dt>${t("jurisdiction")}</dt><dd>${r.jurisdiction}${s.counties.length ? html` <span class="help">（${s.counties.join("、")}）</span>` : ""}</dd>
      <dt>${t("as_of")}</dt><dd>${r.asOf}</dd>
      <dt>${t("status")}</dt><dd><span class=${`badge ${r.status === "done" ? "ok" : r.status === "failed" ? "bad" : "warn"}`}>${runStatusName(r.status)}</span>
        ${r.error && html` <span class="detail">${r.error}</span>`}</dd>
      <dt>${t("review_scope")}</dt><dd>${scope}（${s.programs.map(programName).join("、")}）</dd>
      <dt>${t("proposals")}</dt><dd>${r.tasksCount} ${t("tasks_n")}：${r.proposals.map((p) => html`<span class="badge">${proposalName(p.proposal)} ${p.count}</span> `)}</dd>
      <dt>${t("snapshot")}</dt><dd><code>${r.snapshotId}</code> · ${t("engine")} ${r.engine}</dd>
      <dt>${t("created_by")}</dt><dd>${r.createdBy} ${when(r.createdAt)}${r.finishedAt ? ` — ${t("finished")} ${when(r.finishedAt)}` : ""}</dd>
    </dl>
    ${r.status === "failed" && may(getSession(), "run_reviews") && html`<p>
      <button type="button" class="primary" disabled=${busy} onClick=${resume}>${t("resume")}</button></p>`}
    <${FormErrors} errors=${errors} />
    <${Alert} error=${failure} />`;
}

// Who confirms dibao at a county (dibao.approval.confirming_level), with its source: the batch
// is offered to everyone who acts on cases, and the case workflow refuses the wrong level case
// by case (WRONG_LEVEL, shown with the skipped tasks).
function ConfirmingLevel({ code }) {
  const q = useQuery(LEVEL, { j: code }, [code]);
  const p = q.data && q.data.policy.parameter;
  if (!p || !p.isSet) return null;
  const level = LEVEL_ZH[p.value] && document.documentElement.lang !== "en" ? LEVEL_ZH[p.value] : fmtValue(p.value);
  return html`<div class="card"><p>${t("confirm_level")}（${q.data.policy.jurisdiction.name} ${code}）：<strong>${level}</strong>
    <code class="muted">dibao.approval.confirming_level</code></p><${Source} source=${p.source} /></div>`;
}

function Confirm({ r, onDone }) {
  const counties = r.progress.map((u) => u.unit);
  const me = getSession().me;
  const mine = counties.filter((c) => c === me.jurisdiction.code);
  const [county, setCounty] = useState(mine[0] || counties[0] || "");
  const [day, setDay] = useState(todayInChina());
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setFailure(null); setResult(null);
    try {
      const { confirmUnchangedReviews: x } = await gql(CONFIRM, { r: r.id, county: county || null, on: day || null });
      setErrors(x.userErrors);
      if (!x.userErrors.length) { setResult(x); onDone(); }
    } catch (err) { setFailure(err); } finally { setBusy(false); }
  }
  return html`<section aria-labelledby="confirm-title">
    <h2 id="confirm-title">${t("confirm_title")}</h2>
    <p class="help">${t("confirm_help")}</p>
    ${county && html`<${ConfirmingLevel} key=${county} code=${county} />`}
    <form class="row" onSubmit=${submit} novalidate>
      <${Field} id="cf-county" label=${t("county")} field="county" errors=${errors}>
        ${(a) => html`<select ...${a} value=${county} onChange=${(e) => setCounty(e.target.value)}>
          <option value="">${t("all")}</option>
          ${counties.map((c) => html`<option value=${c}>${c}</option>`)}</select>`}
      </${Field}>
      <${Field} id="cf-on" label=${t("review_on")} field="on" errors=${errors}>
        ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onInput=${(e) => setDay(e.target.value)} />`}
      </${Field}>
      <button type="submit" class="primary" disabled=${busy}>${t("confirm_button")}</button>
    </form>
    <${FormErrors} errors=${errors} fields=${["county", "on"]} />
    <${Alert} error=${failure} />
    ${result && html`<div role="status">
      <p class="notice">${t("confirmed_n")}：${result.confirmed.length}${result.skipped.length ? `，${t("skipped")}：${result.skipped.length}` : ""}</p>
      ${result.skipped.length > 0 && html`<table class="data" id="skipped">
        <caption>${t("skipped")}</caption>
        <thead><tr><th scope="col">#</th><th scope="col">${t("case")}</th><th scope="col">${t("reason")}</th></tr></thead>
        <tbody>${result.skipped.map((s) => html`<tr><td>${s.taskId}</td>
          <td>${s.caseId ? html`<a href=${`/cases/${s.caseId}`}>#${s.caseId}</a>` : "—"}</td>
          <td><strong>${errorText(s.code)}</strong> <span class="detail">${s.message}</span></td></tr>`)}</tbody>
      </table>`}</div>`}
  </section>`;
}

function Tasks({ r, tick }) {
  const p = params();
  const [filter, setFilter] = useState({ county: p.get("county") || "", proposal: p.get("proposal") || "", status: p.get("status") || "" });
  const [draft, setDraft] = useState(filter);
  const [pages, setPages] = useState([null]);
  function submit(e) {
    e.preventDefault();
    setFilter(draft); setPages([null]);
    const q = new URLSearchParams(Object.entries(draft).filter(([, v]) => v));
    navigate(`/reviews/${r.id}${q.toString() ? `?${q}` : ""}`, { replace: true });
  }
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.target.value });
  return html`<section aria-labelledby="tasks-title">
    <h2 id="tasks-title">${t("tasks")}</h2>
    <form class="controls" onSubmit=${submit}>
      <${Field} id="tk-county" label=${t("county")}>
        ${(a) => html`<input ...${a} value=${draft.county} inputmode="numeric" onInput=${set("county")} />`}
      </${Field}>
      <${Field} id="tk-proposal" label=${t("proposal")}>
        ${(a) => html`<select ...${a} value=${draft.proposal} onChange=${set("proposal")}>
          <option value="">${t("all")}</option>
          ${PROPOSALS.map((x) => html`<option value=${x}>${proposalName(x)}</option>`)}</select>`}
      </${Field}>
      <${Field} id="tk-status" label=${t("task_status")}>
        ${(a) => html`<select ...${a} value=${draft.status} onChange=${set("status")}>
          <option value="">${t("all")}</option>
          ${TASK_STATUSES.map((x) => html`<option value=${x}>${taskStatusName(x)}</option>`)}</select>`}
      </${Field}>
      <button type="submit">${t("filter")}</button>
    </form>
    <div class="table-wrap"><table class="data" id="tasks">
      <caption class="sr-only">${t("tasks")}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">${t("case")}</th><th scope="col">${t("county")}</th>
        <th scope="col">${t("scope_kind")}</th><th scope="col">${t("proposal")}</th>
        <th scope="col">${t("current")}</th><th scope="col">${t("proposed")}</th>
        <th scope="col">${t("reason")}</th><th scope="col">${t("task_status")}</th></tr></thead>
      ${pages.map((after, i) => html`<${TaskPage} key=${`${i}|${tick}|${JSON.stringify(filter)}`} id=${r.id} filter=${filter} after=${after}
        onMore=${i === pages.length - 1 ? (c) => setPages([...pages, c]) : null} />`)}
    </table></div>
  </section>`;
}

function TaskPage({ id, filter, after, onMore }) {
  const vars = { id, after, county: filter.county || null, proposal: filter.proposal || null, status: filter.status || null };
  const q = useQuery(TASKS, vars, [id, after, filter.county, filter.proposal, filter.status]);
  if (q.error) return html`<tbody><tr><td colspan="9"><${Alert} error=${q.error} onRetry=${q.reload} /></td></tr></tbody>`;
  if (!q.data) return html`<tbody><tr><td colspan="9"><${Loading} /></td></tr></tbody>`;
  const { edges, pageInfo } = q.data.annualReview.tasks;
  if (!edges.length && !after) return html`<tbody><tr><td colspan="9">${t("no_results")}</td></tr></tbody>`;
  return html`${edges.map(({ node }) => html`<${TaskRows} key=${node.id} task=${node} />`)}
    ${pageInfo.hasNextPage && onMore && html`<tbody><tr><td colspan="9">
      <button type="button" onClick=${() => onMore(pageInfo.endCursor)}>${t("more")}</button></td></tr></tbody>`}`;
}

const BADGE = { continue: "ok", eligible: "ok", raise: "warn", lower: "warn", phase_out: "warn", exit: "bad", not_eligible: "bad", cannot_decide: "bad" };

// A task's row, and under it (on demand) the full trace.
function TaskRows({ task: k }) {
  const [open, setOpen] = useState(false);
  return html`<tbody class="task">
    <tr id=${`task-${k.id}`}>
      <td>${k.id}</td>
      <td>${k.caseId ? html`<a href=${`/cases/${k.caseId}`} aria-label=${`${t("open_case_page")} #${k.caseId}`}>#${k.caseId}</a>` : "—"}
        ${programName(k.program)}${k.caseState ? html`<br/><span class="help">${stateName(k.caseState)}</span>` : ""}</td>
      <td>${k.county}</td><td>${scopeName(k.scope)}</td>
      <td><span class=${`badge ${BADGE[k.proposal] || ""}`}>${proposalName(k.proposal)}</span></td>
      <td>${money(k.currentAmount)}</td><td>${money(k.newAmount)}</td>
      <td><span class="reason">${lang() === "en" ? k.reason : k.reasonZh}</span>
        <br/><button type="button" class="link" aria-expanded=${open ? "true" : "false"}
          aria-controls=${`trace-${k.id}`} onClick=${() => setOpen(!open)}>${open ? t("hide_trace") : t("show_trace")}</button></td>
      <td>${taskStatusName(k.status)}${k.confirmedBy ? html`<br/><span class="help">${k.confirmedBy} ${when(k.confirmedAt)}</span>` : ""}</td>
    </tr>
    ${open && html`<tr id=${`trace-${k.id}`}><td colspan="9"><${TaskTrace} id=${k.id} /></td></tr>`}
  </tbody>`;
}

function TaskTrace({ id }) {
  const q = useQuery(TRACE, { id }, [id]);
  if (q.error) return html`<${Alert} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<${Loading} />`;
  const x = q.data.reviewTask.trace;
  return html`<div class="trace">
    <p><span class=${`badge ${x.agrees ? "ok" : "bad"}`}>${x.agrees ? t("trace_agrees") : t("trace_differs")}</span>
      ${x.differences.length > 0 && html` <span class="detail">${x.differences.join("；")}</span>`}</p>
    ${x.policyNote && html`<p class="wait">${x.policyNote}</p>`}
    <${DecisionSummary} d=${x.decision} />
  </div>`;
}
