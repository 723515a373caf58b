// Calendar: the month's deadlines, reviews, payment days, report deadlines and campaign phases
// as a month view, and a link to subscribe to the .ics feed with a calendar-only token.
import { html, useState, useQuery, gql, getSession, params, navigate, todayInChina } from "../lib/core.js";
import { t, programName, lang } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors } from "../lib/ui.js";

const CALENDAR = `query Calendar($j: String!, $from: Date!, $to: Date!) {
  calendar(jurisdiction: $j, from: $from, to: $to) { asOf feedPath
    entries { uid kind subkind titleZh title start end overdue provisional caseId program note } } }`;
const TOKEN = `mutation { createCalendarToken { token userErrors { field message code } } }`;
const DOW_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const DOW_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function monthDays(month) {
  const [y, m] = month.split("-").map(Number);
  const first = new Date(Date.UTC(y, m - 1, 1));
  const last = new Date(Date.UTC(y, m, 0));
  const lead = (first.getUTCDay() + 6) % 7; // Monday first
  const days = [];
  for (let i = -lead; i < last.getUTCDate() + ((7 - ((lead + last.getUTCDate()) % 7)) % 7); i += 1) {
    const d = new Date(Date.UTC(y, m - 1, 1 + i));
    days.push({ iso: d.toISOString().slice(0, 10), inMonth: d.getUTCMonth() === m - 1 });
  }
  return { days, from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}

function weeks(days) {
  const out = [];
  for (let i = 0; i < days.length; i += 7) out.push(days.slice(i, i + 7));
  return out;
}

function shift(month, n) {
  const [y, m] = month.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

export default function CalendarPage() {
  const me = getSession().me;
  const p = params();
  const [code, setCode] = useState(p.get("j") || me.jurisdiction.code);
  const [month, setMonth] = useState(p.get("month") || todayInChina().slice(0, 7));
  const go = (c, m) => { setCode(c); setMonth(m); navigate(`/calendar?j=${c}&month=${m}`, { replace: true }); };
  const { days, from, to } = monthDays(month);
  const q = useQuery(CALENDAR, { j: code, from, to }, [code, month]);
  const today = todayInChina();
  const byDay = {};
  if (q.data) for (const e of q.data.calendar.entries) (byDay[e.start] ||= []).push(e);
  return html`<${Page} title=${`${t("calendar_title")} ${month}`} wide>
    <div class="row">
      <button type="button" onClick=${() => go(code, shift(month, -1))}>← ${t("prev_month")}</button>
      <${Field} id="cal-month" label=${t("month")}>
        ${(a) => html`<input ...${a} type="month" value=${month} onChange=${(e) => e.target.value && go(code, e.target.value)} />`}
      </${Field}>
      <button type="button" onClick=${() => go(code, shift(month, 1))}>${t("next_month")} →</button>
    </div>
    <${Alert} error=${q.error} onRetry=${q.reload} />
    ${!q.data && !q.error && html`<${Loading} />`}
    ${q.data && html`<table class="month">
      <caption class="sr-only">${t("calendar_title")} ${month}</caption>
      <thead><tr>${(lang() === "en" ? DOW_EN : DOW_ZH).map((d) => html`<th scope="col">${d}</th>`)}</tr></thead>
      <tbody>${weeks(days).map((week) => html`<tr>${week.map((d) => html`<td
        class=${`day${d.inMonth ? "" : " other"}${d.iso === today ? " today" : ""}`}>
        <time class="daynum" datetime=${d.iso}>${Number(d.iso.slice(8))}</time>
        ${byDay[d.iso] && html`<ul>${byDay[d.iso].map((e) => html`<li class=${e.overdue ? "overdue" : ""}>
          ${e.caseId ? html`<a href=${`/cases/${e.caseId}`}>${e.titleZh || e.title}</a>` : e.titleZh || e.title}
          ${e.provisional ? html` <span class="badge warn">${t("provisional")}</span>` : ""}
          ${e.overdue ? html` <span class="badge bad">${t("overdue")}</span>` : ""}
          ${e.program ? html` <span class="help">${programName(e.program)}</span>` : ""}</li>`)}</ul>`}
      </td>`)}</tr>`)}</tbody>
    </table>`}
    <${Subscribe} feedPath=${q.data && q.data.calendar.feedPath} code=${code} />
  </${Page}>`;
}

function Subscribe({ feedPath, code }) {
  const [url, setUrl] = useState(null);
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  async function make() {
    setFailure(null);
    try {
      const { createCalendarToken: r } = await gql(TOKEN);
      setErrors(r.userErrors);
      if (r.token) setUrl(`${location.origin}${feedPath || `/calendar/${code}.ics`}?token=${encodeURIComponent(r.token)}`);
    } catch (e) { setFailure(e); }
  }
  return html`<section aria-labelledby="sub-title"><h2 id="sub-title">${t("subscribe")}</h2>
    <p class="help">${t("subscribe_help")}</p>
    <button type="button" onClick=${make}>${t("make_link")}</button>
    <${FormErrors} errors=${errors} /><${Alert} error=${failure} />
    ${url && html`<p class="token"><a href=${url}>${url}</a></p>`}
  </section>`;
}
