// Verification (核对) of a case's household, or of each case of a household (?household=ID):
// its reports (verificationReports) per person and data kind, with the batches each answer came
// from, the warnings and the kinds no batch covers; a verification requested through an adapter
// with the legal supporters (requestVerification), or a report made outside doudi recorded with
// its number (recordManualVerification). Either records the case's verification step.
import { html, useState, useEffect, useQuery, gql, getSession, may, params, navigate, todayInChina } from "../lib/core.js";
import { t, programName, stateName, relationName } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors } from "../lib/ui.js";
import { w, codeName } from "../lib/words-people.js";
import { placed } from "../lib/files.js";
import { dataKinds, kindTitle } from "./comparison.js";

const ERRORS = "userErrors { field message code }";
const CASE = `query CaseToVerify($id: ID!) { case(id: $id) { id version state program county { code name }
  household { id members { name relation idNumber } } } }`;
const REPORTS = `query Reports($id: ID!) { verificationReports(caseId: $id) {
  id number source adapter caseId householdId county on passed report } }`;
const HOUSEHOLD = `query HouseholdToVerify($id: ID!) { household(id: $id) { id
  members { name relation } cases { id program state county { code name } } } }`;
const REQUEST = `mutation RequestVerification($id: ID!, $s: [SupporterInput!], $on: Date, $v: Int) {
  requestVerification(caseId: $id, supporters: $s, on: $on, expectedVersion: $v) {
    report { id number passed } ${ERRORS} } }`;
const MANUAL = `mutation ManualVerification($id: ID!, $n: String!, $p: Boolean!, $notes: String!, $on: Date, $v: Int) {
  recordManualVerification(caseId: $id, number: $n, passed: $p, notes: $notes, on: $on, expectedVersion: $v) {
    report { id number passed } ${ERRORS} } }`;

export default function Verification() {
  const p = params();
  const [draft, setDraft] = useState(p.get("case") || "");
  const caseId = p.get("case") || "";
  const householdId = p.get("household") || "";
  const [kinds, setKinds] = useState([]);
  useEffect(() => { dataKinds().then(setKinds, () => {}); }, []);
  return html`<${Page} title=${w("verification_title")} wide>
    <p class="help">${w("verification_intro")}</p>
    <form class="controls" onSubmit=${(e) => { e.preventDefault(); navigate(`/verification?case=${encodeURIComponent(draft.trim())}`); }}>
      <${Field} id="vf-case" label=${w("case_id")}>
        ${(a) => html`<input ...${a} value=${draft} inputmode="numeric" onInput=${(e) => setDraft(e.target.value)} />`}
      </${Field}>
      <button type="submit" class="primary">${w("open")}</button>
    </form>
    ${caseId && html`<${OfCase} key=${caseId} id=${caseId} kinds=${kinds} />`}
    ${!caseId && householdId && html`<${OfHousehold} key=${householdId} id=${householdId} kinds=${kinds} />`}
  </${Page}>`;
}

function OfCase({ id, kinds }) {
  const [tick, setTick] = useState(0);
  const [notice, setNotice] = useState(null);
  const c = useQuery(CASE, { id }, [id, tick]);
  const r = useQuery(REPORTS, { id }, [id, tick]);
  const session = getSession();
  const kase = c.data && c.data.case;
  const done = (report) => { setNotice(report); setTick((n) => n + 1); };
  return html`
    <${Alert} error=${c.error || r.error} />
    ${(c.loading || r.loading) && html`<${Loading} />`}
    ${kase && html`<section aria-labelledby="vc-title"><h2 id="vc-title">${w("case_summary")}
        <a href=${`/cases/${kase.id}`}>#${kase.id}</a></h2>
      <p>${programName(kase.program)} · ${stateName(kase.state)} · ${kase.county.name} ${kase.county.code} · ${t("version")} ${kase.version}
        · ${t("household")} <a href=${`/households/${kase.household.id}`}>#${kase.household.id}</a></p></section>`}
    ${notice && html`<p class="notice" role="status" id="vf-notice">${w("recorded")}：${w("report_no")} ${notice.number} ·
      ${notice.passed ? w("passed") : w("failed")}</p>`}
    ${r.data && html`<${Reports} reports=${r.data.verificationReports} kinds=${kinds} />`}
    ${kase && may(session, "request_verification") && html`
      <${Request} kase=${kase} onDone=${done} />
      <${Manual} kase=${kase} onDone=${done} />`}`;
}

// A household's reports: those of each of its cases (reports are stored on cases).
function OfHousehold({ id, kinds }) {
  const h = useQuery(HOUSEHOLD, { id }, [id]);
  const hh = h.data && h.data.household;
  return html`<${Alert} error=${h.error} />
    ${h.loading && html`<${Loading} />`}
    ${hh && html`<section aria-labelledby="vh-title"><h2 id="vh-title">${t("household")}
        <a href=${`/households/${hh.id}`}>#${hh.id}</a></h2>
      <p>${hh.members.map((m) => `${m.name}（${relationName(m.relation)}）`).join("、")}</p>
      ${!hh.cases.length && html`<p>${t("no_cases")}</p>`}</section>
      ${hh.cases.map((c) => html`<${CaseReports} key=${c.id} c=${c} kinds=${kinds} />`)}`}`;
}

function CaseReports({ c, kinds }) {
  const r = useQuery(REPORTS, { id: c.id }, [c.id]);
  return html`<section aria-labelledby=${`vhc-${c.id}`}>
    <h3 id=${`vhc-${c.id}`}><a href=${`/verification?case=${c.id}`}>${t("case")} #${c.id}</a>
      ${programName(c.program)} · ${stateName(c.state)} · ${c.county.name}</h3>
    <${Alert} error=${r.error} />
    ${r.data && html`<${Reports} reports=${r.data.verificationReports} kinds=${kinds} level="h4" scope=${c.id} />`}
  </section>`;
}

function Reports({ reports, kinds, level = "h2", scope = null }) {
  const H = level;
  const sub = level === "h2" ? "h3" : "h5";
  const id = scope ? `vr-title-${scope}` : "vr-title";
  return html`<section aria-labelledby=${id}><${H} id=${id}>${w("reports")}（${reports.length}）</${H}>
    ${!reports.length && html`<p>${w("no_reports")}</p>`}
    ${reports.map((r) => {
      const doc = r.report || {};
      return html`<article class="card report" aria-labelledby=${`vr-${r.id}`}>
        <${sub} id=${`vr-${r.id}`}>${w("report_no")} ${r.number}
          <span class=${`badge ${r.passed ? "ok" : "bad"}`}>${r.passed ? w("passed") : w("failed")}</span></${sub}>
        <p>${r.on} · ${w("source_kind")}：${codeName(r.source)}${r.source === "platform" ? `（${r.adapter}）` : ""}</p>
        ${Array.isArray(doc.notes) && doc.notes.length > 0 && html`<ul class="help">${doc.notes.map((n) => html`<li>${n}</li>`)}</ul>`}
        ${typeof doc.notes === "string" && doc.notes && html`<p>${doc.notes}</p>`}
        ${doc.warnings && doc.warnings.length > 0 && html`<div class="wait" role="note"><strong>${w("warnings")}</strong>
          <ul>${doc.warnings.map((x) => html`<li>${typeof x === "string" ? x : JSON.stringify(x)}</li>`)}</ul></div>`}
        ${doc.notCovered && doc.notCovered.length > 0 && html`<p class="help">${w("not_covered")}：${doc.notCovered.map((k) => kindTitle(kinds, k)).join("、")}</p>`}
        ${doc.people && html`<div class="table-wrap"><table class="data"><caption class="sr-only">${w("report_no")} ${r.number}</caption>
          <thead><tr><th scope="col">${t("person_name")}</th><th scope="col">${t("role")}</th><th scope="col">${t("id_number")}</th>
            <th scope="col">${w("found_records")}</th></tr></thead>
          <tbody>${doc.people.map((p) => {
            const found = (p.kinds || []).filter((k) => k.found > 0 || k.warning);
            return html`<tr><td>${p.name}</td><td>${codeName(p.role)}</td><td><code>${p.idNumber}</code></td>
              <td>${found.length ? html`<ul>${found.map((k) => html`<li><strong>${kindTitle(kinds, k.kind)}</strong>：${k.found}
                ${k.batches && k.batches.length ? html` <span class="help">（${w("from_batch")} ${k.batches.map((b) => `#${typeof b === "object" ? b.id : b}`).join("、")}${k.asOf ? ` · ${k.asOf}` : ""}）</span>` : ""}
                ${k.warning ? html`<br/><span class="overdue">${k.warning}</span>` : ""}</li>`)}</ul>` : t("none")}</td></tr>`;
          })}</tbody></table></div>`}
      </article>`;
    })}
  </section>`;
}

function Request({ kase, onDone }) {
  const [people, setPeople] = useState([]);
  const [day, setDay] = useState(todayInChina());
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const setIn = (i, patch) => setPeople(people.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setFailure(null);
    try {
      const { requestVerification: r } = await gql(REQUEST, {
        id: kase.id, s: people.length ? people : null, on: day, v: kase.version,
      });
      setErrors(placed(r.userErrors, ["on", "supporters"]));
      if (r.report) { setPeople([]); onDone(r.report); }
    } catch (x) { setFailure(x); } finally { setBusy(false); }
  }
  const shown = ["on", ...people.flatMap((_, i) => [`supporters[${i}].idNumber`, `supporters[${i}].name`, `supporters[${i}].relation`])];
  return html`<section aria-labelledby="rq-title"><h2 id="rq-title">${w("request_verification")}</h2>
    <form onSubmit=${submit} novalidate>
      <p class="help">${t("members")}：${kase.household.members.map((m) => `${m.name}（${relationName(m.relation)}）`).join("、")}</p>
      <fieldset><legend>${w("supporters")}</legend>
        ${people.map((p, i) => html`<div class="row" role="group" aria-label=${`${w("supporter")} ${i + 1}`}>
          <${Field} id=${`rq-s${i}-name`} label=${`${t("person_name")} ${i + 1}`} field=${`supporters[${i}].name`} errors=${errors}>
            ${(a) => html`<input ...${a} value=${p.name} onInput=${(e) => setIn(i, { name: e.target.value })} />`}
          </${Field}>
          <${Field} id=${`rq-s${i}-id`} label=${t("id_number")} field=${`supporters[${i}].idNumber`} errors=${errors}>
            ${(a) => html`<input ...${a} value=${p.idNumber} maxlength="18" onInput=${(e) => setIn(i, { idNumber: e.target.value.toUpperCase() })} />`}
          </${Field}>
          <${Field} id=${`rq-s${i}-rel`} label=${w("relation_text")} field=${`supporters[${i}].relation`} errors=${errors}>
            ${(a) => html`<input ...${a} value=${p.relation} placeholder="子女" onInput=${(e) => setIn(i, { relation: e.target.value })} />`}
          </${Field}>
          <button type="button" onClick=${() => setPeople(people.filter((_, j) => j !== i))}>${t("remove")} ${p.name}</button>
        </div>`)}
        <button type="button" onClick=${() => setPeople([...people, { idNumber: "", name: "", relation: "" }])}>${w("add_supporter")}</button>
      </fieldset>
      <div class="row">
        <${Field} id="rq-on" label=${t("step_date")} field="on" errors=${errors}>
          ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onChange=${(e) => setDay(e.target.value)} />`}
        </${Field}>
        <button type="submit" class="primary" disabled=${busy}>${w("request_verification")}</button>
      </div>
      <${FormErrors} errors=${errors} fields=${shown} />
      <${Alert} error=${failure} />
    </form></section>`;
}

function Manual({ kase, onDone }) {
  const [number, setNumber] = useState("");
  const [passed, setPassed] = useState("true");
  const [notes, setNotes] = useState("");
  const [day, setDay] = useState(todayInChina());
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true); setFailure(null);
    try {
      const { recordManualVerification: r } = await gql(MANUAL, {
        id: kase.id, n: number, p: passed === "true", notes, on: day, v: kase.version,
      });
      setErrors(placed(r.userErrors, ["number", "passed", "notes", "on"]));
      if (r.report) { setNumber(""); setNotes(""); onDone(r.report); }
    } catch (x) { setFailure(x); } finally { setBusy(false); }
  }
  return html`<section aria-labelledby="mn-title"><h2 id="mn-title">${w("manual_report")}</h2>
    <form onSubmit=${submit} novalidate><div class="row">
      <${Field} id="mn-number" label=${`${w("report_number")} *`} field="number" errors=${errors}>
        ${(a) => html`<input ...${a} value=${number} onInput=${(e) => setNumber(e.target.value)} />`}
      </${Field}>
      <${Field} id="mn-passed" label=${w("result")} field="passed" errors=${errors}>
        ${(a) => html`<select ...${a} value=${passed} onChange=${(e) => setPassed(e.target.value)}>
          <option value="true">${w("passed")}</option><option value="false">${w("failed")}</option></select>`}
      </${Field}>
      <${Field} id="mn-on" label=${t("step_date")} field="on" errors=${errors}>
        ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onChange=${(e) => setDay(e.target.value)} />`}
      </${Field}>
    </div>
    <${Field} id="mn-notes" label=${t("notes")} field="notes" errors=${errors}>
      ${(a) => html`<textarea ...${a} value=${notes} onInput=${(e) => setNotes(e.target.value)}></textarea>`}
    </${Field}>
    <${FormErrors} errors=${errors} fields=${["number", "passed", "notes", "on"]} />
    <${Alert} error=${failure} />
    <button type="submit" class="primary" disabled=${busy}>${w("manual_report")}</button>
    </form></section>`;
}
