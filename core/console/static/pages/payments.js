// Payments (发放): the month's run, its summary, every payment with its results, held payments
// with their reason and how to release them, alerts, and the bank's CSV.
import {
  html, useState, useQuery, gql, getSession, may, params, navigate, todayInChina,
} from "../lib/core.js";
import { t, programName } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors, money } from "../lib/ui.js";

const ERRORS = "userErrors { field message code }";
const SUMMARY = `query Summary($j: String!, $m: String!) {
  paymentRun(jurisdiction: $j, month: $m) { count total byStatus { status count total }
    runs { id jurisdiction at by created alreadyThere } } }`;
const LIST = `query Payments($j: String!, $m: String, $after: String) {
  payments(jurisdiction: $j, month: $m, first: 100, after: $after) {
    edges { node { id version caseId householdId program month amount dueDate status attempt
      repayBy holdReason payeeName bank county { code name }
      results { seq attempt status on note recordedBy } } }
    pageInfo { hasNextPage endCursor } } }`;
const ALERTS = `query Alerts($j: String!) { paymentAlerts(jurisdiction: $j) {
  asOf alerts { kind county caseId months message due parameter { path value } }
  notSet { county path } } }`;
const RUN = `mutation Run($j: String!, $m: String!) { runPayments(jurisdiction: $j, month: $m) {
  run { created alreadyThere held released createdTotal notSet { county path } } ${ERRORS} } }`;
const RESULT = `mutation Result($id: ID!, $s: PaymentResultStatus!, $v: Int, $note: String) {
  recordPaymentResult(id: $id, status: $s, expectedVersion: $v, note: $note) {
    payment { id status } ${ERRORS} } }`;
const CSV = `query Csv($j: String!, $m: String!) { paymentsCsv(jurisdiction: $j, month: $m) }`;

const STATUS_ZH = { PENDING: "待发放", HELD: "暂停发放", PAID: "已发放", FAILED: "失败", RETURNED: "退回", UNCLAIMED: "未领取" };
const status = (s) => (document.documentElement.lang === "en" ? s.toLowerCase() : STATUS_ZH[s] || s);

export default function Payments() {
  const me = getSession().me;
  const p = params();
  const [code, setCode] = useState(p.get("j") || me.jurisdiction.code);
  const [month, setMonth] = useState(p.get("month") || todayInChina().slice(0, 7));
  const [view, setView] = useState({ code, month });
  const [tick, setTick] = useState(0);

  function submit(e) {
    e.preventDefault();
    setView({ code: code.trim(), month });
    navigate(`/payments?j=${code.trim()}&month=${month}`, { replace: true });
  }

  return html`<${Page} title=${t("payments_title")} wide>
    <form class="controls" onSubmit=${submit}>
      <${Field} id="pay-j" label=${t("jurisdiction")}>
        ${(a) => html`<input ...${a} value=${code} inputmode="numeric" onInput=${(e) => setCode(e.target.value)} />`}
      </${Field}>
      <${Field} id="pay-month" label=${t("month")}>
        ${(a) => html`<input ...${a} type="month" value=${month} onInput=${(e) => setMonth(e.target.value)} />`}
      </${Field}>
      <button type="submit" class="primary">${t("search")}</button>
    </form>
    <${Run} key=${`${view.code}|${view.month}`} view=${view} onDone=${() => setTick((n) => n + 1)} />
    <${Summary} view=${view} tick=${tick} />
    <${List} view=${view} tick=${tick} onChange=${() => setTick((n) => n + 1)} />
    <${Alerts} view=${view} tick=${tick} />
  </${Page}>`;
}

function Run({ view, onDone }) {
  const session = getSession();
  const [result, setResult] = useState(null);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  async function run() {
    setBusy(true); setFailure(null);
    try {
      const { runPayments: r } = await gql(RUN, { j: view.code, m: view.month });
      setErrors(r.userErrors); setResult(r.run); onDone();
    } catch (e) { setFailure(e); } finally { setBusy(false); }
  }
  async function download() {
    setFailure(null);
    try {
      const { paymentsCsv } = await gql(CSV, { j: view.code, m: view.month });
      const blob = new Blob([paymentsCsv], { type: "text/csv;charset=utf-8" });
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `payments-${view.code}-${view.month}.csv`;
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    } catch (e) { setFailure(e); }
  }
  return html`<div class="row">
    ${may(session, "run_payments") && html`<button type="button" class="primary" disabled=${busy} onClick=${run}>${t("run_month")}（${view.month}）</button>`}
    <button type="button" onClick=${download}>${t("csv")}</button>
    </div>
    <${FormErrors} errors=${errors} />
    <${Alert} error=${failure} />
    ${result && html`<p class="notice" role="status">${t("run_done")}：${t("created")} ${result.created}，${t("existing")} ${result.alreadyThere}，
      ${t("held")} ${result.held}，${t("released")} ${result.released}（${money(result.createdTotal)} ${t("yuan")}）</p>`}`;
}

function Summary({ view, tick }) {
  const q = useQuery(SUMMARY, { j: view.code, m: view.month }, [view.code, view.month, tick]);
  if (q.error) return html`<${Alert} error=${q.error} />`;
  if (!q.data) return html`<${Loading} />`;
  const s = q.data.paymentRun;
  return html`${q.loading && html`<${Loading} />`}<section aria-labelledby="sum-title"><h2 id="sum-title">${t("summary")}</h2>
    <p>${t("count")} ${s.count}，${t("total")} ${money(s.total)}</p>
    ${s.byStatus.length > 0 && html`<ul class="inline-list">${s.byStatus.map((b) => html`<li><span class="badge">${status(b.status)}</span> ${b.count} ${t("payments_unit")} ${money(b.total)} ${t("yuan")}</li>`)}</ul>`}
  </section>`;
}

function List({ view, tick, onChange }) {
  const q = useQuery(LIST, { j: view.code, m: view.month }, [view.code, view.month, tick]);
  if (q.error) return html`<${Alert} error=${q.error} />`;
  if (!q.data) return html`<${Loading} />`;
  const all = q.data.payments.edges.map((e) => e.node);
  const held = all.filter((p) => p.status === "HELD");
  return html`${q.loading && html`<${Loading} />`}
    ${held.length > 0 && html`<section aria-labelledby="held-title"><h2 id="held-title">${t("held")}（${held.length}）</h2>
      <p class="wait"><strong>${t("how_release")}</strong>：${t("release_help")}</p>
      <table class="data"><caption class="sr-only">${t("held")}</caption>
        <thead><tr><th scope="col">#</th><th scope="col">${t("case")}</th><th scope="col">${t("amount")}</th>
          <th scope="col">${t("held_reason")}</th><th scope="col">${t("how_release")}</th></tr></thead>
        <tbody>${held.map((p) => html`<tr><td>${p.id}</td>
          <td><a href=${`/cases/${p.caseId}`}>#${p.caseId}</a> ${programName(p.program)} · ${p.county.name}</td>
          <td>${money(p.amount)}</td><td>${p.holdReason}</td>
          <td><a href=${`/households/${p.householdId}`}>${t("record_account_of").replace("N", p.householdId)}</a>, ${t("then_run")} “${t("run_month")}”</td></tr>`)}</tbody></table>
    </section>`}
    <section aria-labelledby="list-title"><h2 id="list-title">${t("payments_title")}（${all.length}）</h2>
    ${!all.length ? html`<p>${t("no_payments")}</p>` : html`<div class="table-wrap"><table class="data">
      <caption class="sr-only">${t("payments_title")}</caption>
      <thead><tr><th scope="col">#</th><th scope="col">${t("case")}</th><th scope="col">${t("payee")}</th>
        <th scope="col">${t("amount")}</th><th scope="col">${t("due_date")}</th><th scope="col">${t("status")}</th>
        <th scope="col">${t("results")}</th><th scope="col">${t("record_result")}</th></tr></thead>
      <tbody>${all.map((p) => html`<tr>
        <td>${p.id}</td><td><a href=${`/cases/${p.caseId}`}>#${p.caseId}</a> ${programName(p.program)}</td>
        <td>${p.payeeName || "—"}${p.bank ? html`<br/><span class="help">${p.bank}</span>` : ""}</td>
        <td>${money(p.amount)}</td><td>${p.dueDate || "—"}</td>
        <td><span class=${`badge ${p.status === "HELD" || p.status === "FAILED" ? "bad" : p.status === "PAID" ? "ok" : ""}`}>${status(p.status)}</span>
          ${p.repayBy ? html`<br/><span class="help">${t("repay_by")} ${p.repayBy}</span>` : ""}</td>
        <td>${p.results.map((r) => html`<div>${r.on} ${status(r.status)}（${r.recordedBy}）${r.note || ""}</div>`)}</td>
        <td>${(p.status === "PENDING" || p.status === "FAILED") && html`<${ResultForm} p=${p} onDone=${onChange} />`}</td>
      </tr>`)}</tbody></table></div>`}
    </section>`;
}

function ResultForm({ p, onDone }) {
  const session = getSession();
  const [value, setValue] = useState("PAID");
  const [errors, setErrors] = useState([]);
  if (!may(session, "record_payment_results")) return null;
  async function submit(e) {
    e.preventDefault();
    const { recordPaymentResult: r } = await gql(RESULT, { id: p.id, s: value, v: p.version });
    setErrors(r.userErrors);
    if (!r.userErrors.length) onDone();
  }
  return html`<form class="row" onSubmit=${submit}>
    <${Field} id=${`res-${p.id}`} label=${`${t("status")} #${p.id}`} field="status" errors=${errors}>
      ${(a) => html`<select ...${a} value=${value} onChange=${(e) => setValue(e.target.value)}>
        ${["PAID", "FAILED", "RETURNED", "UNCLAIMED"].map((s) => html`<option value=${s}>${status(s)}</option>`)}</select>`}
    </${Field}>
    <button type="submit">${t("record_result")}</button>
    <${FormErrors} errors=${errors} fields=${["status"]} />
  </form>`;
}

function Alerts({ view, tick }) {
  const q = useQuery(ALERTS, { j: view.code }, [view.code, tick]);
  if (q.error) return html`<${Alert} error=${q.error} />`;
  if (!q.data) return html`<${Loading} />`;
  const r = q.data.paymentAlerts;
  return html`<section aria-labelledby="alerts-title"><h2 id="alerts-title">${t("alerts")}（${r.asOf}）</h2>
    ${!r.alerts.length ? html`<p>${t("none")}</p>` : html`<ul>${r.alerts.map((a) => html`<li>
      <span class="badge warn">${a.kind}</span> <a href=${`/cases/${a.caseId}`}>#${a.caseId}</a> ${a.message}
      <span class="help">（${a.parameter.path} = ${JSON.stringify(a.parameter.value)}）</span></li>`)}</ul>`}
    ${r.notSet.length > 0 && html`<p class="help">${t("not_set")}：${r.notSet.map((n) => `${n.county} ${n.path}`).join("；")}</p>`}
  </section>`;
}

