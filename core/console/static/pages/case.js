// A case: its household, decision and trace, the steps open to this official on the chosen
// day (forms generated from the actions' specs, caseActionSpecs), the others with why not,
// and its audit trail.
import { html, useState, useEffect, useQuery, todayInChina, getSession, may } from "../lib/core.js";
import { t, stateName, programName, stepName, errorText, roleName, relationName } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, Trace, money, when } from "../lib/ui.js";
import { actionSpecs, ActionForm } from "../lib/forms.js";
import { codeName } from "../lib/words-people.js";

const CASE = `query Case($id: ID!) { case(id: $id) {
  id version program state openedOn benefitFrom amount exitReason spotCheckSelected
  amounts { from amount } data county { code name }
  household { id version area incomeClass document idNumbersMasked
    members { idNumber name relation birthDate dateOfDeath }
    paymentAccount { holderName bank accountNumber } } } }`;
// Lean on purpose: a case may have 200 events of 40 traced values each (the cost limit).
const HISTORY = `query CaseHistory($id: ID!) { caseHistory(id: $id) {
  seq action at on who role jurisdiction fromState toState reasons
  policy { path value layer { code level } source { title quote } } } }`;
const ACTIONS = `query CaseActions($id: ID!, $on: Date) { caseActions(id: $id, on: $on) {
  on actions { action mutation open code message waitUntil } } }`;
const PREVIEW = `query Preview($h: HouseholdInput!, $p: String!, $d: Date) {
  previewEligibility(household: $h, program: $p, asOf: $d) {
    decision { status eligible mode perCapitaIncome standard monthlyAmount oneOffAmount
      nextReview reasons missing membersCovered
      trace { path value isSet layer { code name level origin } source { title number section quote } } }
    userErrors { field message code } } }`;
const CASE_SELECTION = "case { id version state }";

export default function CasePage({ arg }) {
  const id = arg;
  const [tick, setTick] = useState(0);
  const [day, setDay] = useState(todayInChina());
  const [done, setDone] = useState(null);
  const c = useQuery(CASE, { id }, [id, tick]);
  const h = useQuery(HISTORY, { id }, [id, tick]);
  const kase = c.data && c.data.case;
  const title = kase ? `${t("case_title")} #${kase.id} · ${programName(kase.program)} · ${stateName(kase.state)}`
    : `${t("case_title")} #${id}`;

  return html`<${Page} title=${title}>
    <${Alert} error=${c.error} onRetry=${c.reload} />
    ${(c.loading || h.loading) && html`<${Loading} />`}
    ${done && html`<p class="notice" role="status">${stepName(done)}：${t("saved")}</p>`}
    ${kase && html`
      <dl class="facts">
        <dt>${t("state")}</dt><dd><strong>${stateName(kase.state)}</strong></dd>
        <dt>${t("county")}</dt><dd>${kase.county.name} ${kase.county.code}</dd>
        <dt>${t("opened")}</dt><dd>${kase.openedOn || ""}</dd>
        <dt>${t("benefit_from")}</dt><dd>${kase.benefitFrom || "—"}</dd>
        <dt>${t("amount")}</dt><dd>${money(kase.amount)}${kase.amounts.length > 1 ? html` <span class="help">（${kase.amounts.map((a) => `${a.from.slice(0, 7)}: ${money(a.amount)}`).join("；")}）</span>` : ""}</dd>
        <dt>${t("version")}</dt><dd>${kase.version}</dd>
        ${may(getSession(), "read_department_data") && html`<dt>${t("nav_verification")}</dt><dd><a href=${`/verification?case=${kase.id}`}>${t("p_reports")}</a></dd>`}
        ${kase.data.publicity && html`<dt>${t("publicity")}</dt><dd>${kase.data.publicity.start} — ${kase.data.publicity.ends}（${kase.data.publicity.days} ${t("days")}）</dd>`}
      </dl>
      <${Steps} kase=${kase} day=${day} setDay=${setDay}
        onDone=${(step) => { setDone(step); setTick((n) => n + 1); }} tick=${tick} />
      ${may(getSession(), "read_department_data") && html`<${Findings} kase=${kase} tick=${tick} />`}
      <${Household} kase=${kase} />
      <${DecisionView} kase=${kase} history=${h.data && h.data.caseHistory} />
      <${History} q=${h} />`}
  </${Page}>`;
}

function Steps({ kase, day, setDay, onDone, tick }) {
  const a = useQuery(ACTIONS, { id: kase.id, on: day }, [kase.id, day, tick, kase.version]);
  const [spec, setSpec] = useState(null);
  const [specError, setSpecError] = useState(null);
  const [openForm, setOpenForm] = useState(null);
  useEffect(() => { actionSpecs().then(setSpec, setSpecError); }, []);
  const actions = a.data ? a.data.caseActions.actions : [];
  const open = actions.filter((x) => x.open);
  // Every step refused for the same reason (an auditor, a province administrator): say it once.
  const one = actions.length && actions.every((x) => x.code === "FORBIDDEN") ? actions[0] : null;
  const closed = one ? [] : actions.filter((x) => !x.open && x.code !== "INVALID_TRANSITION");
  return html`<section aria-labelledby="steps-title">
    <h2 id="steps-title">${t("steps_now")}</h2>
    <form class="row" onSubmit=${(e) => e.preventDefault()}>
      <${Field} id="step-day" label=${t("step_date")} help=${t("step_date_help")}>
        ${(attrs) => html`<input ...${attrs} type="date" value=${day} max=${todayInChina()}
          onChange=${(e) => e.target.value && setDay(e.target.value)} />`}
      </${Field}>
    </form>
    <${Alert} error=${a.error || specError} onRetry=${a.reload} />
    ${a.loading && !a.data && html`<${Loading} />`}
    ${a.data && !open.length && html`<p>${t("no_steps")}${one ? html` ${errorText(one.code)}
      <span class="detail">${one.message}</span>` : ""}</p>`}
    ${open.map((x) => {
      const actionSpec = spec && spec[x.action];
      const expanded = openForm === x.action;
      return html`<div class="step">
        <h3>${stepName(x.action)} <code class="muted">${x.mutation}</code></h3>
        ${actionSpec && html`<p class="help">${actionSpec.description}</p>`}
        ${!expanded && html`<button type="button" class="primary" aria-expanded="false"
          onClick=${() => setOpenForm(x.action)}>${t("do_step")}：${stepName(x.action)}</button>`}
        ${expanded && actionSpec && html`<${ActionForm} spec=${actionSpec} prefix=${`f-${x.action}`}
          fixed=${{ id: kase.id, expectedVersion: kase.version }} initial=${{ on: day }}
          selection=${CASE_SELECTION} submitLabel=${`${t("do_step")}：${stepName(x.action)}`}
          extraFields=${["expectedVersion"]}
          onDone=${() => { setOpenForm(null); onDone(x.action); }} />`}
      </div>`;
    })}
    ${closed.length > 0 && html`<details><summary>${t("other_steps")}</summary><ul>
      ${closed.map((x) => html`<li><strong>${stepName(x.action)}</strong>：${errorText(x.code)}
        <span class="detail">${x.message}</span>
        ${x.waitUntil && html`<p class="wait">${t("wait_until")} <strong>${x.waitUntil}</strong>：${t("wait_explain")}</p>`}
      </li>`)}</ul></details>`}
    ${closed.filter((x) => x.waitUntil).map((x) => html`<p class="wait" role="note">
      <strong>${stepName(x.action)}</strong>：${t("wait_until")} <strong>${x.waitUntil}</strong>。${t("wait_explain")}</p>`)}
  </section>`;
}

// The findings (疑点) raised on this case by data comparisons, with their tasks' due dates.
const FINDINGS = `query CaseFindings($j: String!, $c: ID!) { findings(jurisdiction: $j, caseId: $c) {
  id name status meaning task { status level due overdue } } }`;

function Findings({ kase, tick }) {
  const q = useQuery(FINDINGS, { j: kase.county.code, c: kase.id }, [kase.id, tick]);
  const list = q.data ? q.data.findings : [];
  if (!q.error && !list.length) return null;
  const zh = document.documentElement.lang !== "en";
  return html`<section aria-labelledby="case-findings-title">
    <h2 id="case-findings-title">${t("p_findings")}（${list.length}）</h2>
    <${Alert} error=${q.error} />
    <ul>${list.map((f) => html`<li><a href=${`/findings/${f.id}`}>#${f.id}</a>
      ${zh ? f.meaning.summaryZh : f.meaning.summary} · ${f.name} · ${codeName(f.status)}
      ${f.task.status === "open" && f.task.due ? html` · ${t("p_due_by")} <span class=${f.task.overdue ? "overdue" : ""}>${f.task.due}</span>` : ""}</li>`)}</ul>
  </section>`;
}

function Household({ kase }) {
  const hh = kase.household;
  return html`<section aria-labelledby="hh-title">
    <h2 id="hh-title">${t("household")} <a href=${`/households/${hh.id}`}>#${hh.id}</a></h2>
    <table class="data"><caption class="sr-only">${t("members")}</caption>
      <thead><tr><th scope="col">${t("person_name")}</th><th scope="col">${t("relation")}</th>
        <th scope="col">${t("id_number")}</th><th scope="col">${t("born")}</th></tr></thead>
      <tbody>${hh.members.map((m) => html`<tr><td>${m.name}${m.dateOfDeath ? `（${t("deceased")} ${m.dateOfDeath}）` : ""}</td>
        <td>${relationName(m.relation)}</td><td><code>${m.idNumber}</code></td><td>${m.birthDate}</td></tr>`)}</tbody></table>
    <p>${t("payment_account")}：${hh.paymentAccount ? `${hh.paymentAccount.holderName} · ${hh.paymentAccount.bank} · ${hh.paymentAccount.accountNumber}` : t("none")}</p>
  </section>`;
}

function DecisionView({ kase, history }) {
  const confirm = history && [...history].reverse().find((e) => e.action === "confirm_case" || e.action === "record_review");
  const [preview, setPreview] = useState(null);
  const [day, setDay] = useState(todayInChina());
  const p = useQuery(PREVIEW, { h: kase.household.document, p: kase.program, d: day },
    [kase.household.version, kase.program, day, preview], preview !== null);
  const decision = p.data && p.data.previewEligibility.decision;
  return html`<section aria-labelledby="decision-title">
    <h2 id="decision-title">${t("decision")}</h2>
    ${confirm ? html`<p>${stepName(confirm.action)}（${confirm.on}，${confirm.who}）：
        ${(confirm.reasons || []).join("；")}</p>
      <h3>${t("trace")}</h3><${Trace} entries=${confirm.policy} />`
      : html`<p class="help">${t("none")}</p>`}
    <h3>${t("preview_decision")}</h3>
    ${kase.household.idNumbersMasked ? html`<p class="help" role="note">${t("ids_masked")}</p>` : html`
    <form class="row" onSubmit=${(e) => { e.preventDefault(); setPreview((n) => (n || 0) + 1); }}>
      <${Field} id="preview-day" label=${t("as_of")}>
        ${(a) => html`<input ...${a} type="date" value=${day} onChange=${(e) => setDay(e.target.value)} />`}
      </${Field}>
      <button type="submit">${t("preview")}</button>
    </form>
    <${Alert} error=${p.error} />
    ${p.loading && html`<${Loading} />`}
    ${decision && html`<${DecisionSummary} d=${decision} />`}`}
  </section>`;
}

export function DecisionSummary({ d }) {
  const status = d.status === "eligible" ? "ok" : d.status === "cannot_decide" ? "warn" : "bad";
  return html`<div class="card">
    <p><span class=${`badge ${status}`}>${t(d.status === "eligible" ? "eligible" : d.status === "cannot_decide" ? "cannot_decide" : "not_eligible")}</span>
      ${d.mode ? ` ${t("mode")}: ${d.mode}` : ""}</p>
    <dl class="facts">
      <dt>${t("per_capita")}</dt><dd>${money(d.perCapitaIncome)}</dd>
      <dt>${t("standard")}</dt><dd>${money(d.standard)}</dd>
      <dt>${t("monthly")}</dt><dd>${money(d.monthlyAmount ?? d.oneOffAmount)}</dd>
      ${d.nextReview && html`<dt>${t("next_review")}</dt><dd>${d.nextReview}</dd>`}
    </dl>
    <ul>${d.reasons.map((r) => html`<li>${r}</li>`)}</ul>
    ${d.missing.length > 0 && html`<p class="alert">${t("not_set")}: ${d.missing.join(", ")}</p>`}
    <details><summary>${t("trace")}</summary><${Trace} entries=${d.trace} /></details>
  </div>`;
}

function History({ q }) {
  return html`<section aria-labelledby="history-title">
    <h2 id="history-title">${t("audit")}</h2>
    <${Alert} error=${q.error} />
    ${q.data && html`<div class="table-wrap"><table class="data">
      <caption class="sr-only">${t("audit")}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">${t("date")}</th><th scope="col">${t("step")}</th>
        <th scope="col">${t("from_to")}</th><th scope="col">${t("who")}</th><th scope="col">${t("reasons")}</th></tr></thead>
      <tbody>${q.data.caseHistory.map((e) => html`<tr>
        <td>${e.seq}</td><td>${e.on}<br/><span class="help">${when(e.at)}</span></td>
        <td>${stepName(e.action)}</td>
        <td>${e.fromState ? stateName(e.fromState) : "—"} → ${stateName(e.toState)}</td>
        <td>${e.who}<br/><span class="help">${roleName(e.role)} ${e.jurisdiction}</span></td>
        <td>${(e.reasons || []).join("；")}
          ${e.policy.length > 0 && html`<details><summary>${t("trace")}（${e.policy.length}）</summary>
            <${Trace} entries=${e.policy} /></details>`}</td>
      </tr>`)}</tbody></table></div>`}
  </section>`;
}
