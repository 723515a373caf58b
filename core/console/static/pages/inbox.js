// Work inbox: cases by state within the official's jurisdiction, and the deadlines and reviews
// due or overdue (counted in working days by the API; provisional ones marked).
import {
  html, useState, useQuery, getSession, params, navigate, todayInChina, addDays,
} from "../lib/core.js";
import { t, stateName, programName, STATES } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, money } from "../lib/ui.js";

const CASES = `query Inbox($j: String!, $s: String, $after: String) {
  cases(jurisdiction: $j, state: $s, first: 50, after: $after) {
    edges { node { id program state openedOn amount version county { code name }
      household { id members { name relation } } } }
    pageInfo { hasNextPage endCursor } } }`;
const DUE = `query Due($j: String!, $from: Date!, $to: Date!) {
  calendar(jurisdiction: $j, from: $from, to: $to) {
    asOf entries { uid kind subkind titleZh title start overdue provisional uncoveredYears
      caseId program note jurisdiction { code name } } } }`;
const OPEN_STATES = ["accepted", "investigated", "first_reviewed", "in_publicity", "assisted"];

export default function Inbox() {
  const me = getSession().me;
  const p = params();
  const [code, setCode] = useState(p.get("j") || me.jurisdiction.code);
  const [draft, setDraft] = useState(code);
  const [state, setState] = useState(p.get("state") || "accepted");

  function choose(s) {
    setState(s);
    navigate(`/inbox?j=${code}&state=${s}`, { replace: true });
  }

  return html`<${Page} title=${t("inbox_title")} wide>
    <form class="controls" onSubmit=${(e) => { e.preventDefault(); setCode(draft.trim()); navigate(`/inbox?j=${draft.trim()}&state=${state}`, { replace: true }); }}>
      <${Field} id="inbox-j" label=${t("jurisdiction")}>
        ${(a) => html`<input ...${a} value=${draft} inputmode="numeric" onInput=${(e) => setDraft(e.target.value)} />`}
      </${Field}>
      <button type="submit">${t("search")}</button>
    </form>
    <div class="two">
      <section aria-labelledby="cases-title">
        <h2 id="cases-title">${t("cases_by_state")}</h2>
        <div class="tabs" role="tablist" aria-label=${t("state")}>
          ${STATES.map((s) => html`<button type="button" role="tab" id=${`tab-${s}`}
            aria-selected=${s === state ? "true" : "false"} aria-controls="case-list"
            onClick=${() => choose(s)}>${stateName(s)}${OPEN_STATES.includes(s) ? " •" : ""}</button>`)}
        </div>
        <div id="case-list" role="tabpanel" aria-labelledby=${`tab-${state}`}>
          <${CaseList} key=${`${code}|${state}`} code=${code} state=${state} />
        </div>
      </section>
      <section aria-labelledby="due-title">
        <h2 id="due-title">${t("deadlines")}</h2>
        <${Deadlines} key=${code} code=${code} />
      </section>
    </div>
  </${Page}>`;
}

function CaseList({ code, state }) {
  const [pages, setPages] = useState([null]);
  return html`${pages.map((after, i) => html`<${CasePage} key=${i} code=${code} state=${state}
    after=${after} onMore=${i === pages.length - 1 ? (c) => setPages([...pages, c]) : null} />`)}`;
}

function CasePage({ code, state, after, onMore }) {
  const q = useQuery(CASES, { j: code, s: state, after }, [code, state, after]);
  if (q.error) return html`<${Alert} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<${Loading} />`;
  const { edges, pageInfo } = q.data.cases;
  if (!edges.length && !after) return html`<p>${t("no_cases")}</p>`;
  return html`<table class="data">
    <caption class="sr-only">${stateName(state)}</caption>
    <thead><tr><th scope="col">${t("case")}</th><th scope="col">${t("program")}</th>
      <th scope="col">${t("head")}</th><th scope="col">${t("county")}</th>
      <th scope="col">${t("opened")}</th><th scope="col">${t("amount")}</th></tr></thead>
    <tbody>${edges.map(({ node: c }) => {
      const head = c.household.members.find((m) => m.relation === "HEAD");
      return html`<tr><td><a href=${`/cases/${c.id}`}>#${c.id}</a></td><td>${programName(c.program)}</td>
        <td>${head ? head.name : ""}</td><td>${c.county.name}</td><td>${c.openedOn || ""}</td>
        <td>${money(c.amount)}</td></tr>`;
    })}</tbody></table>
    ${pageInfo.hasNextPage && onMore && html`<button type="button" onClick=${() => onMore(pageInfo.endCursor)}>${t("more")}</button>`}`;
}

// Working days left until each upcoming due date, counted by the API (holidays and make-up
// days included): one aliased query for up to 25 dates.
function remainingQuery(dates) {
  if (!dates.length) return null;
  return `query Remaining(${dates.map((_, i) => `$d${i}: Date!`).join(", ")}, $from: Date!) {
    ${dates.map((_, i) => `r${i}: workingDays(from: $from, to: $d${i}) { workingDays provisional }`).join("\n")} }`;
}

function Deadlines({ code }) {
  const today = todayInChina();
  const q = useQuery(DUE, { j: code, from: addDays(today, -30), to: addDays(today, 45) }, [code]);
  const entries = q.data ? q.data.calendar.entries
    .filter((e) => e.kind === "case_deadline" || e.kind === "review" || e.kind === "repayment")
    .sort((a, b) => (b.overdue - a.overdue) || a.start.localeCompare(b.start)) : [];
  const upcoming = [...new Set(entries.filter((e) => e.start > today).map((e) => e.start))].slice(0, 25);
  const vars = { from: today };
  upcoming.forEach((d, i) => { vars[`d${i}`] = d; });
  const r = useQuery(remainingQuery(upcoming) || "{ __typename }", vars, [upcoming.join(",")], upcoming.length > 0);
  const left = {};
  if (r.data) upcoming.forEach((d, i) => { left[d] = r.data[`r${i}`].workingDays; });
  if (q.error) return html`<${Alert} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<${Loading} />`;
  if (!entries.length) return html`<p>${t("no_deadlines")}</p>`;
  const anyProvisional = entries.some((e) => e.provisional);
  return html`${anyProvisional && html`<p class="help">（${t("provisional")}）${t("provisional_note")}</p>`}
    <table class="data">
    <caption class="sr-only">${t("deadlines")}</caption>
    <thead><tr><th scope="col">${t("due")}</th><th scope="col">${t("kind")}</th>
      <th scope="col">${t("case")}</th><th scope="col">${t("status")}</th></tr></thead>
    <tbody>${entries.map((e) => html`<tr>
      <td>${e.start}${e.provisional ? html` <span class="badge warn" title=${t("provisional_note")}>${t("provisional")}</span>` : ""}</td>
      <td>${e.titleZh || e.title}${e.note ? html`<br/><span class="help">${e.note}</span>` : ""}</td>
      <td>${e.caseId ? html`<a href=${`/cases/${e.caseId}`}>#${e.caseId}</a> ${programName(e.program || "")}` : ""}</td>
      <td>${e.overdue ? html`<span class="badge bad">${t("overdue")}</span>`
        : e.start <= today ? html`<span class="badge warn">${t("due")}</span>`
        : left[e.start] !== undefined ? html`<span class="badge">${t("working_days_left").replace("N", left[e.start])}</span>` : ""}</td>
    </tr>`)}</tbody></table>`;
}
