// Annual review (年度复核): snapshots of a jurisdiction, starting a review over it with its
// scope, and its runs. While a run is under way (runAnnualReview answers only when it is done)
// the page polls annualReviews and shows the running run's progress per unit; then it opens the
// run (pages/review.js). ?j=CODE holds the jurisdiction.
import {
  html, useState, useEffect, useQuery, gql, getSession, may, params, navigate, todayInChina,
} from "../lib/core.js";
import { t, programName, proposalName, runStatusName, levelName } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors, when } from "../lib/ui.js";

const ERRORS = "userErrors { field message code }";
const SNAPSHOTS = `query Snapshots($j: String) { snapshots(jurisdiction: $j) {
  id jurisdiction jurisdictionName asOf takenAt households members cases counties } }`;
const RUNS = `query Runs($j: String!) { annualReviews(jurisdiction: $j) {
  id jurisdiction asOf status engine snapshotId tasksCount createdBy createdAt finishedAt error
  proposals { proposal count } } }`;
const PROGRESS = `query Progress($id: ID!) { annualReview(id: $id) { id status
  progress { unit level total stored done } } }`;
const TAKE = `mutation TakeSnapshot($j: String!, $d: Date) { takeSnapshot(jurisdiction: $j, asOf: $d) {
  snapshot { id households } ${ERRORS} } }`;
const RUN = `mutation RunAnnualReview($j: String!, $d: Date, $scope: ReviewScopeInput, $s: ID) {
  runAnnualReview(jurisdiction: $j, asOf: $d, scope: $scope, snapshot: $s) {
    review { id status } ${ERRORS} } }`;
export const POLL_MS = 1000;

export default function Reviews() {
  const me = getSession().me;
  const [code, setCode] = useState(params().get("j") || me.jurisdiction.code);
  const [draft, setDraft] = useState(code);
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((n) => n + 1);

  function submit(e) {
    e.preventDefault();
    setCode(draft.trim());
    navigate(`/reviews?j=${encodeURIComponent(draft.trim())}`, { replace: true });
  }

  return html`<${Page} title=${t("reviews_title")} wide>
    <p>${t("reviews_intro")}</p>
    <form class="controls" onSubmit=${submit}>
      <${Field} id="rv-j" label=${t("jurisdiction")}>
        ${(a) => html`<input ...${a} value=${draft} inputmode="numeric" onInput=${(e) => setDraft(e.target.value)} />`}
      </${Field}>
      <button type="submit">${t("search")}</button>
    </form>
    <${Snapshots} key=${`s${code}`} code=${code} tick=${tick} onTaken=${refresh} />
    ${may(getSession(), "run_reviews")
      ? html`<${Start} key=${`r${code}`} code=${code} tick=${tick} onDone=${refresh} />`
      : html`<p class="help" role="note">${t("may_not_run")}</p>`}
    <${Runs} key=${`l${code}`} code=${code} tick=${tick} />
  </${Page}>`;
}

function Snapshots({ code, tick, onTaken }) {
  const q = useQuery(SNAPSHOTS, { j: code }, [code, tick]);
  const [day, setDay] = useState(todayInChina());
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [taken, setTaken] = useState(null);
  async function take(e) {
    e.preventDefault();
    setBusy(true); setFailure(null); setTaken(null);
    try {
      const { takeSnapshot: r } = await gql(TAKE, { j: code, d: day || null });
      setErrors(r.userErrors);
      if (r.snapshot) { setTaken(r.snapshot); onTaken(); }
    } catch (err) { setFailure(err); } finally { setBusy(false); }
  }
  const list = q.data ? q.data.snapshots : [];
  return html`<section aria-labelledby="snap-title">
    <h2 id="snap-title">${t("snapshots")}</h2>
    <p class="help">${t("snapshot_help")}</p>
    <form class="row" onSubmit=${take}>
      <${Field} id="snap-day" label=${t("as_of")} field="asOf" errors=${errors}>
        ${(a) => html`<input ...${a} type="date" value=${day} onInput=${(e) => setDay(e.target.value)} />`}
      </${Field}>
      <button type="submit" disabled=${busy}>${t("take_snapshot")}（${code}）</button>
    </form>
    <${FormErrors} errors=${errors} fields=${["asOf"]} />
    <${Alert} error=${failure || q.error} onRetry=${q.error ? q.reload : null} />
    ${taken && html`<p class="notice" role="status">${t("snapshot_taken")}：<code>${taken.id}</code>（${taken.households} ${t("households_n")}）</p>`}
    ${!q.data && !q.error && html`<${Loading} />`}
    ${q.data && !list.length && html`<p>${t("no_snapshots")}</p>`}
    ${list.length > 0 && html`<div class="table-wrap"><table class="data">
      <caption class="sr-only">${t("snapshots")}</caption>
      <thead><tr><th scope="col">${t("snapshot")}</th><th scope="col">${t("jurisdiction")}</th>
        <th scope="col">${t("as_of")}</th><th scope="col">${t("taken_at")}</th>
        <th scope="col">${t("households_n")}</th><th scope="col">${t("members_n")}</th>
        <th scope="col">${t("cases_n")}</th></tr></thead>
      <tbody>${list.map((s) => html`<tr><td><code>${s.id}</code></td>
        <td>${s.jurisdictionName} ${s.jurisdiction}</td><td>${s.asOf}</td><td>${when(s.takenAt)}</td>
        <td>${s.households}</td><td>${s.members}</td><td>${s.cases}</td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}

// The form to start a run, and the running run's progress while the mutation is under way.
function Start({ code, tick, onDone }) {
  const snaps = useQuery(SNAPSHOTS, { j: code }, [code, tick]);
  const [form, setForm] = useState({
    j: code, day: todayInChina(), snapshot: "", inPayment: true, applicants: true,
    exitedSince: "", tags: "", dibao: true, tekun: true,
  });
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [running, setRunning] = useState(null); // the run seen running, with its progress
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.type === "checkbox" ? e.target.checked : e.target.value });

  // Poll while the mutation runs: the newest running run at this jurisdiction, and its units.
  useEffect(() => {
    if (!busy) return undefined;
    let live = true;
    let timer = null;
    async function poll() {
      try {
        const { annualReviews } = await gql(RUNS, { j: form.j.trim() });
        const run = annualReviews.find((r) => r.status === "running");
        if (run && live) {
          const { annualReview } = await gql(PROGRESS, { id: run.id });
          if (live) setRunning(annualReview);
        }
      } catch (e) { /* the run's own answer reports errors */ }
      if (live) timer = setTimeout(poll, POLL_MS);
    }
    timer = setTimeout(poll, POLL_MS / 2);
    return () => { live = false; clearTimeout(timer); };
  }, [busy]);

  async function submit(e) {
    e.preventDefault();
    setBusy(true); setFailure(null); setErrors([]); setRunning(null);
    const programs = ["dibao", "tekun"].filter((p) => form[p]);
    const scope = {
      inPayment: form.inPayment, applicants: form.applicants,
      exitedSince: form.exitedSince || null,
      tags: form.tags.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean),
      programs,
    };
    try {
      const { runAnnualReview: r } = await gql(RUN, {
        j: form.j.trim(), d: form.day || null, scope, s: form.snapshot || null,
      });
      setErrors(r.userErrors);
      if (r.review) { onDone(); navigate(`/reviews/${r.review.id}`); }
    } catch (err) { setFailure(err); } finally { setBusy(false); }
  }

  const fields = ["jurisdiction", "asOf", "snapshot", "scope", "programs", "exitedSince", "tags"];
  return html`<section aria-labelledby="start-title">
    <h2 id="start-title">${t("start_review")}</h2>
    <form onSubmit=${submit} novalidate>
      <div class="row">
        <${Field} id="rv-run-j" label=${`${t("jurisdiction")} *`} field="jurisdiction" errors=${errors}>
          ${(a) => html`<input ...${a} value=${form.j} inputmode="numeric" onInput=${set("j")} />`}
        </${Field}>
        <${Field} id="rv-run-day" label=${t("as_of")} field="asOf" errors=${errors}>
          ${(a) => html`<input ...${a} type="date" value=${form.day} onInput=${set("day")} />`}
        </${Field}>
        <${Field} id="rv-run-snapshot" label=${t("snapshot")} field="snapshot" errors=${errors}>
          ${(a) => html`<select ...${a} value=${form.snapshot} onChange=${set("snapshot")}>
            <option value="">${t("new_snapshot")}</option>
            ${(snaps.data ? snaps.data.snapshots : []).map((s) => html`<option value=${s.id}>
              ${s.id}（${s.jurisdiction}，${s.asOf}，${s.households} ${t("households_n")}）</option>`)}
          </select>`}
        </${Field}>
      </div>
      <fieldset><legend>${t("review_scope")}</legend>
        <div class="row">
          <div class="field inline"><input id="rv-in-payment" type="checkbox" checked=${form.inPayment} onChange=${set("inPayment")} />
            <label for="rv-in-payment">${t("in_payment")}</label></div>
          <div class="field inline"><input id="rv-applicants" type="checkbox" checked=${form.applicants} onChange=${set("applicants")} />
            <label for="rv-applicants">${t("applicants")}</label></div>
          <${Field} id="rv-exited" label=${t("exited_since")} field="exitedSince" errors=${errors}>
            ${(a) => html`<input ...${a} type="date" value=${form.exitedSince} onInput=${set("exitedSince")} />`}
          </${Field}>
          <${Field} id="rv-tags" label=${t("tags")} field="tags" errors=${errors}>
            ${(a) => html`<input ...${a} value=${form.tags} placeholder="clergy_living_apart" onInput=${set("tags")} />`}
          </${Field}>
        </div>
        <div class="row" role="group" aria-label=${t("programs")}>
          <span class="label-like">${t("programs")}：</span>
          ${["dibao", "tekun"].map((p) => html`<div class="field inline">
            <input id=${`rv-p-${p}`} type="checkbox" checked=${form[p]} onChange=${set(p)} />
            <label for=${`rv-p-${p}`}>${programName(p)}</label></div>`)}
        </div>
      </fieldset>
      <${FormErrors} errors=${errors} fields=${fields} />
      <${Alert} error=${failure} />
      <button type="submit" class="primary" disabled=${busy}>${busy ? t("review_running") : t("run_review")}</button>
    </form>
    ${busy && html`<div role="status" aria-live="polite">
      <p>${t("review_running")}${running ? ` ${t("run")} #${running.id}` : ""}</p>
      ${running && html`<${Progress} units=${running.progress} />`}
    </div>`}
  </section>`;
}

export function Progress({ units }) {
  if (!units || !units.length) return null;
  return html`<table class="data">
    <caption class="sr-only">${t("progress")}</caption>
    <thead><tr><th scope="col">${t("unit")}</th><th scope="col">${t("stored")}</th>
      <th scope="col">${t("progress_bar")}</th><th scope="col">${t("done")}</th></tr></thead>
    <tbody>${units.map((u) => html`<tr>
      <td><code>${u.unit}</code> <span class="help">${levelName(u.level)}</span></td>
      <td>${u.stored} / ${u.total}</td>
      <td><progress max=${Math.max(u.total, 1)} value=${u.total ? u.stored : 1}
        aria-label=${`${u.unit} ${u.stored}/${u.total}`}></progress></td>
      <td>${u.done ? html`<span class="badge ok">${t("done")}</span>` : ""}</td></tr>`)}</tbody>
  </table>`;
}

function Runs({ code, tick }) {
  const q = useQuery(RUNS, { j: code }, [code, tick]);
  if (q.error) return html`<${Alert} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<${Loading} />`;
  const runs = q.data.annualReviews;
  return html`<section aria-labelledby="runs-title">
    <h2 id="runs-title">${t("runs")}</h2>
    ${!runs.length ? html`<p>${t("no_runs")}</p>` : html`<div class="table-wrap"><table class="data">
      <caption class="sr-only">${t("runs")}</caption>
      <thead><tr><th scope="col">${t("run")}</th><th scope="col">${t("jurisdiction")}</th>
        <th scope="col">${t("as_of")}</th><th scope="col">${t("status")}</th>
        <th scope="col">${t("proposals")}</th><th scope="col">${t("created_by")}</th></tr></thead>
      <tbody>${runs.map((r) => html`<tr>
        <td><a href=${`/reviews/${r.id}`}>#${r.id}</a></td><td>${r.jurisdiction}</td><td>${r.asOf}</td>
        <td><span class=${`badge ${r.status === "done" ? "ok" : r.status === "failed" ? "bad" : "warn"}`}>${runStatusName(r.status)}</span></td>
        <td>${r.tasksCount} ${t("tasks_n")}：${r.proposals.map((p) => `${proposalName(p.proposal)} ${p.count}`).join("，")}</td>
        <td>${r.createdBy}<br/><span class="help">${when(r.createdAt)}</span></td></tr>`)}</tbody>
    </table></div>`}
  </section>`;
}
