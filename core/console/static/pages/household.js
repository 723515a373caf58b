// One household: members, income, expenses, assets and payment account; create and edit
// (createHousehold / updateHousehold, errors next to the field they name); a decision preview
// with its trace; accepting an application (submitApplication).
import { html, useState, useQuery, gql, navigate, todayInChina, getSession, may } from "../lib/core.js";
import { t, named, programName, PROGRAMS, RELATIONS_ZH } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors, money } from "../lib/ui.js";
import { DecisionSummary } from "./case.js";

const HOUSEHOLD = `query Household($id: ID!) { household(id: $id) {
  id version area incomeClass notes propertyWithinLocalRules document idNumbersMasked updatedAt
  members { idNumber name relation birthDate sex labourCapacity employed inSchool seriousIllness
    dateOfDeath disability { kind grade } }
  income { kind monthlyAmount member regular } expenses { kind monthlyAmount member }
  assets { kind value description }
  paymentAccount { holderIdNumber holderName bank accountNumber } } }`;
const ERRORS = "userErrors { field message code }";
const CREATE = `mutation CreateHousehold($input: HouseholdInput!) {
  createHousehold(input: $input) { household { id version } ${ERRORS} } }`;
const UPDATE = `mutation UpdateHousehold($id: ID!, $input: HouseholdInput!, $v: Int) {
  updateHousehold(id: $id, input: $input, expectedVersion: $v) { household { id version } ${ERRORS} } }`;
const PREVIEW = `query Preview($h: HouseholdInput!, $p: String!, $d: Date) {
  previewEligibility(household: $h, program: $p, asOf: $d) {
    decision { status eligible mode perCapitaIncome standard monthlyAmount oneOffAmount
      nextReview reasons missing membersCovered
      trace { path value isSet layer { code name level origin } source { title number section quote } } }
    ${ERRORS} } }`;
const APPLY = `mutation Apply($h: ID!, $p: String!, $amount: Float, $kind: String, $on: Date) {
  submitApplication(householdId: $h, program: $p, amount: $amount, kind: $kind, on: $on) {
    case { id } ${ERRORS} } }`;

const RELATIONS = ["head", "spouse", "child", "parent", "sibling", "grandparent", "grandchild", "child_in_law", "other"];
const INCOME = { wages: "工资", agriculture: "农业", business: "经营", property: "财产性", pension: "养老金", transfer: "转移性", other: "其他" };
const EXPENSE = { medical: "医疗", disability_rehabilitation: "残疾康复", education: "教育", employment_cost: "就业成本" };
const ASSETS = { deposit: "存款", securities: "证券", vehicle: "车辆", house: "房产", business: "经营性资产", other: "其他" };
const CLASSES = { stable: "收入稳定", slow_change: "收入变化缓慢", irregular_with_labour: "有劳动能力、收入不固定" };
const LABOUR = { full: "完全", partial: "部分", none: "无" };

export default function HouseholdPage({ arg }) {
  if (!arg) return html`<${Page} title=${t("new_household")}><${HouseholdForm} /></${Page}>`;
  return html`<${Existing} id=${arg} />`;
}

function Existing({ id }) {
  const [tick, setTick] = useState(0);
  const [editing, setEditing] = useState(false);
  const q = useQuery(HOUSEHOLD, { id }, [id, tick]);
  const session = getSession();
  const hh = q.data && q.data.household;
  const head = hh && hh.members.find((m) => m.relation === "HEAD");
  return html`<${Page} title=${`${t("household")} #${id}${head ? ` · ${head.name}` : ""}`}>
    <${Alert} error=${q.error} onRetry=${q.reload} />
    ${q.loading && html`<${Loading} />`}
    ${hh && !editing && html`
      ${hh.idNumbersMasked && html`<p class="help" role="note">${t("ids_masked")}</p>`}
      ${may(session, "write_households") && !hh.idNumbersMasked && html`<p><button type="button" onClick=${() => setEditing(true)}>${t("edit_household")}</button></p>`}
      ${may(session, "read_department_data") && html`<p><a href=${`/verification?household=${hh.id}`}>${t("nav_verification")}：${t("p_reports")}</a></p>`}
      <${View} hh=${hh} />
      ${!hh.idNumbersMasked && html`<${Preview} hh=${hh} />`}
      ${may(session, "act_on_cases") && html`<${Apply} hh=${hh} />`}`}
    ${hh && editing && html`<${HouseholdForm} id=${id} version=${hh.version} initial=${hh.document}
      onSaved=${() => { setEditing(false); setTick((n) => n + 1); }} onCancel=${() => setEditing(false)} />`}
  </${Page}>`;
}

function View({ hh }) {
  return html`
    <dl class="facts">
      <dt>${t("area")}</dt><dd>${t(hh.area.toLowerCase())}</dd>
      <dt>${t("income_class")}</dt><dd>${named(CLASSES, hh.incomeClass)}</dd>
      <dt>${t("property_ok")}</dt><dd>${hh.propertyWithinLocalRules === null ? t("not_assessed") : hh.propertyWithinLocalRules ? t("yes") : t("no")}</dd>
      ${hh.notes && html`<dt>${t("notes")}</dt><dd>${hh.notes}</dd>`}
    </dl>
    <h2>${t("members")}</h2>
    <table class="data"><caption class="sr-only">${t("members")}</caption>
      <thead><tr><th scope="col">${t("person_name")}</th><th scope="col">${t("relation")}</th><th scope="col">${t("id_number")}</th>
        <th scope="col">${t("born")}</th><th scope="col">${t("labour")}</th><th scope="col">${t("situation")}</th></tr></thead>
      <tbody>${hh.members.map((m) => html`<tr><td>${m.name}</td><td>${named(RELATIONS_ZH, m.relation)}</td>
        <td><code>${m.idNumber}</code></td><td>${m.birthDate}</td><td>${named(LABOUR, m.labourCapacity)}</td>
        <td>${[m.employed && t("employed"), m.inSchool && t("in_school"), m.seriousIllness && t("serious_illness"),
          m.disability && `${t("disability")} ${m.disability.kind} ${m.disability.grade} ${t("grade")}`, m.dateOfDeath && `${t("deceased")} ${m.dateOfDeath}`].filter(Boolean).join("、")}</td></tr>`)}</tbody></table>
    <h2>${t("income")}</h2>
    ${hh.income.length ? html`<ul>${hh.income.map((x) => html`<li>${named(INCOME, x.kind)}: ${money(x.monthlyAmount)} ${t("yuan_month")}${x.regular ? t("regular_mark") : ""}</li>`)}</ul>` : html`<p>${t("none")}</p>`}
    <h2>${t("expenses")}</h2>
    ${hh.expenses.length ? html`<ul>${hh.expenses.map((x) => html`<li>${named(EXPENSE, x.kind)}: ${money(x.monthlyAmount)} ${t("yuan_month")}</li>`)}</ul>` : html`<p>${t("none")}</p>`}
    <h2>${t("assets")}</h2>
    ${hh.assets.length ? html`<ul>${hh.assets.map((x) => html`<li>${named(ASSETS, x.kind)}: ${money(x.value)} ${t("yuan")} ${x.description || ""}</li>`)}</ul>` : html`<p>${t("none")}</p>`}
    <h2>${t("payment_account")}</h2>
    ${hh.paymentAccount ? html`<p>${hh.paymentAccount.holderName} · ${hh.paymentAccount.bank} · <code>${hh.paymentAccount.accountNumber}</code></p>`
      : html`<p class="wait">${t("none")}: ${t("no_account_held")}</p>`}`;
}

function Preview({ hh }) {
  const [program, setProgram] = useState("dibao");
  const [day, setDay] = useState(todayInChina());
  const [asked, setAsked] = useState(null);
  const q = useQuery(PREVIEW, asked || {}, [asked && JSON.stringify(asked)], asked !== null);
  const payload = q.data && q.data.previewEligibility;
  return html`<section aria-labelledby="preview-title">
    <h2 id="preview-title">${t("preview")}</h2>
    <p class="help">${t("preview_help")}</p>
    <form class="row" onSubmit=${(e) => { e.preventDefault(); setAsked({ h: hh.document, p: program, d: day }); }}>
      <${Field} id="pv-program" label=${t("program")}>
        ${(a) => html`<select ...${a} value=${program} onChange=${(e) => setProgram(e.target.value)}>
          ${PROGRAMS.filter((p) => p !== "temporary").map((p) => html`<option value=${p}>${programName(p)}</option>`)}</select>`}
      </${Field}>
      <${Field} id="pv-day" label=${t("as_of")}>
        ${(a) => html`<input ...${a} type="date" value=${day} onChange=${(e) => setDay(e.target.value)} />`}
      </${Field}>
      <button type="submit">${t("preview")}</button>
    </form>
    <${Alert} error=${q.error} />
    ${q.loading && html`<${Loading} />`}
    ${payload && html`<${FormErrors} errors=${payload.userErrors} />`}
    ${payload && payload.decision && html`<${DecisionSummary} d=${payload.decision} />`}
  </section>`;
}

function Apply({ hh }) {
  const [program, setProgram] = useState("dibao");
  const [amount, setAmount] = useState("");
  const [kind, setKind] = useState("emergency");
  const [day, setDay] = useState(todayInChina());
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setFailure(null);
    const vars = { h: hh.id, p: program, on: day };
    if (program === "temporary") { vars.amount = amount === "" ? null : Number(amount); vars.kind = kind; }
    try {
      const { submitApplication: r } = await gql(APPLY, vars);
      setErrors(r.userErrors);
      if (r.case) navigate(`/cases/${r.case.id}`);
    } catch (x) { setFailure(x); }
  }
  return html`<section aria-labelledby="apply-title">
    <h2 id="apply-title">${t("apply")}</h2>
    <form class="row" onSubmit=${submit} novalidate>
      <${Field} id="ap-program" label=${t("apply_for")} field="program" errors=${errors}>
        ${(a) => html`<select ...${a} value=${program} onChange=${(e) => setProgram(e.target.value)}>
          ${PROGRAMS.map((p) => html`<option value=${p}>${programName(p)}</option>`)}</select>`}
      </${Field}>
      ${program === "temporary" && html`
        <${Field} id="ap-amount" label=${t("amount")} field="amount" errors=${errors}>
          ${(a) => html`<input ...${a} type="number" step="0.01" value=${amount} onInput=${(e) => setAmount(e.target.value)} />`}
        </${Field}>
        <${Field} id="ap-kind" label=${t("kind")} field="kind" errors=${errors}>
          ${(a) => html`<select ...${a} value=${kind} onChange=${(e) => setKind(e.target.value)}>
            <option value="emergency">${t("emergency")}</option><option value="expenditure">${t("expenditure")}</option></select>`}
        </${Field}>`}
      <${Field} id="ap-on" label=${t("opened")} field="on" errors=${errors}>
        ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onChange=${(e) => setDay(e.target.value)} />`}
      </${Field}>
      <button type="submit" class="primary">${t("apply")}</button>
    </form>
    <${FormErrors} errors=${errors} fields=${["program", "amount", "kind", "on"]} />
    <${Alert} error=${failure} />
  </section>`;
}

// -- the form ---------------------------------------------------------------------------------

const EMPTY = {
  county: "", area: "rural", incomeClass: "stable", propertyWithinLocalRules: null, notes: "",
  members: [{ idNumber: "", name: "", relation: "head" }], income: [], expenses: [], assets: [],
  paymentAccount: null,
};

function clean(doc) {
  // Only what HouseholdInput accepts, with numbers as numbers.
  const num = (v) => (v === "" || v === null || v === undefined ? v : Number(v));
  const out = {
    county: doc.county, area: doc.area, incomeClass: doc.incomeClass,
    propertyWithinLocalRules: doc.propertyWithinLocalRules, notes: doc.notes || null,
    members: doc.members.map((m) => {
      const x = { ...m };
      delete x.birthDate; delete x.sex;
      for (const k of Object.keys(x)) if (x[k] === "" || x[k] === undefined) delete x[k];
      return x;
    }),
    income: (doc.income || []).map((x) => ({ ...x, monthlyAmount: num(x.monthlyAmount), member: x.member || null })),
    expenses: (doc.expenses || []).map((x) => ({ ...x, monthlyAmount: num(x.monthlyAmount), member: x.member || null })),
    assets: (doc.assets || []).map((x) => ({ ...x, value: num(x.value) })),
    paymentAccount: doc.paymentAccount && doc.paymentAccount.holderIdNumber !== undefined ? doc.paymentAccount : null,
  };
  // Left out rather than null: the household schema takes an absent field as "none".
  for (const k of ["notes", "paymentAccount", "propertyWithinLocalRules"]) if (out[k] === null) delete out[k];
  return out;
}

// The fields the form shows next to a control (every other userError is listed at the end).
function shownFields(doc) {
  const out = ["county", "area", "incomeClass", "propertyWithinLocalRules", "notes",
    "paymentAccount.holderIdNumber", "paymentAccount.holderName", "paymentAccount.bank",
    "paymentAccount.accountNumber"];
  doc.members.forEach((_, i) => ["name", "idNumber", "relation", "labourCapacity", "dateOfDeath"]
    .forEach((k) => out.push(`members[${i}].${k}`)));
  doc.income.forEach((_, i) => ["kind", "monthlyAmount", "member"].forEach((k) => out.push(`income[${i}].${k}`)));
  doc.expenses.forEach((_, i) => ["kind", "monthlyAmount", "member"].forEach((k) => out.push(`expenses[${i}].${k}`)));
  doc.assets.forEach((_, i) => ["kind", "value", "description"].forEach((k) => out.push(`assets[${i}].${k}`)));
  return out;
}

export function HouseholdForm({ id = null, version = null, initial = null, onSaved, onCancel }) {
  const me = getSession().me;
  const [doc, setDoc] = useState(() => {
    const base = JSON.parse(JSON.stringify(initial || { ...EMPTY, county: me.jurisdiction.level === "COUNTY" ? me.jurisdiction.code : "" }));
    return { ...EMPTY, ...base, income: base.income || [], expenses: base.expenses || [], assets: base.assets || [] };
  });
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (patch) => setDoc({ ...doc, ...patch });
  const setIn = (list, i, patch) => set({ [list]: doc[list].map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  const drop = (list, i) => set({ [list]: doc[list].filter((_, j) => j !== i) });
  const memberOptions = doc.members.filter((m) => m.idNumber).map((m) => html`<option value=${m.idNumber}>${m.name || m.idNumber}</option>`);

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const input = clean(doc);
      const data = id ? await gql(UPDATE, { id, input, v: version }) : await gql(CREATE, { input });
      const payload = id ? data.updateHousehold : data.createHousehold;
      setErrors(payload.userErrors);
      if (payload.household) {
        if (onSaved) onSaved(payload.household);
        else navigate(`/households/${payload.household.id}`);
      }
    } catch (x) { setFailure(x); } finally { setBusy(false); }
  }

  const F = (fid, label, field, control, help) => html`<${Field} id=${fid} label=${label} field=${field} errors=${errors} help=${help}>${control}</${Field}>`;
  const pa = doc.paymentAccount || {};
  return html`<form onSubmit=${submit} novalidate aria-label=${id ? t("edit_household") : t("new_household")}>
    <fieldset><legend>${t("household")}</legend><div class="row">
      ${F("hf-county", t("county"), "county", (a) => html`<input ...${a} value=${doc.county} inputmode="numeric" onInput=${(e) => set({ county: e.target.value })} />`)}
      ${F("hf-area", t("area"), "area", (a) => html`<select ...${a} value=${doc.area} onChange=${(e) => set({ area: e.target.value })}>
        <option value="urban">${t("urban")}</option><option value="rural">${t("rural")}</option></select>`)}
      ${F("hf-class", t("income_class"), "incomeClass", (a) => html`<select ...${a} value=${doc.incomeClass} onChange=${(e) => set({ incomeClass: e.target.value })}>
        ${Object.keys(CLASSES).map((k) => html`<option value=${k}>${named(CLASSES, k)}</option>`)}</select>`)}
      ${F("hf-property", t("property_ok"), "propertyWithinLocalRules", (a) => html`<select ...${a}
        value=${doc.propertyWithinLocalRules === null || doc.propertyWithinLocalRules === undefined ? "" : String(doc.propertyWithinLocalRules)}
        onChange=${(e) => set({ propertyWithinLocalRules: e.target.value === "" ? null : e.target.value === "true" })}>
        <option value="">${t("not_assessed")}</option><option value="true">${t("yes")}</option><option value="false">${t("no")}</option></select>`)}
    </div>
    ${F("hf-notes", t("notes"), "notes", (a) => html`<textarea ...${a} value=${doc.notes || ""} onInput=${(e) => set({ notes: e.target.value })}></textarea>`)}
    </fieldset>
    <fieldset><legend>${t("members")}</legend>
      ${doc.members.map((m, i) => html`<div class="row" role="group" aria-label=${`${t("member")} ${i + 1}`}>
        ${F(`hf-m${i}-name`, `${t("person_name")} ${i + 1}`, `members[${i}].name`, (a) => html`<input ...${a} value=${m.name} onInput=${(e) => setIn("members", i, { name: e.target.value })} />`)}
        ${F(`hf-m${i}-id`, t("id_number"), `members[${i}].idNumber`, (a) => html`<input ...${a} value=${m.idNumber} maxlength="18" onInput=${(e) => setIn("members", i, { idNumber: e.target.value.toUpperCase() })} />`)}
        ${F(`hf-m${i}-rel`, t("relation"), `members[${i}].relation`, (a) => html`<select ...${a} value=${m.relation} onChange=${(e) => setIn("members", i, { relation: e.target.value })}>
          ${RELATIONS.map((r) => html`<option value=${r}>${named(RELATIONS_ZH, r)}</option>`)}</select>`)}
        ${F(`hf-m${i}-labour`, t("labour"), `members[${i}].labourCapacity`, (a) => html`<select ...${a} value=${m.labourCapacity || "full"} onChange=${(e) => setIn("members", i, { labourCapacity: e.target.value })}>
          ${Object.keys(LABOUR).map((k) => html`<option value=${k}>${named(LABOUR, k)}</option>`)}</select>`)}
        ${F(`hf-m${i}-death`, t("date_of_death"), `members[${i}].dateOfDeath`, (a) => html`<input ...${a} type="date" value=${m.dateOfDeath || ""} onChange=${(e) => setIn("members", i, { dateOfDeath: e.target.value || null })} />`)}
        <div class="field inline"><input id=${`hf-m${i}-emp`} type="checkbox" checked=${!!m.employed} onChange=${(e) => setIn("members", i, { employed: e.target.checked })} /><label for=${`hf-m${i}-emp`}>${t("employed")}</label></div>
        <div class="field inline"><input id=${`hf-m${i}-school`} type="checkbox" checked=${!!m.inSchool} onChange=${(e) => setIn("members", i, { inSchool: e.target.checked })} /><label for=${`hf-m${i}-school`}>${t("in_school")}</label></div>
        <div class="field inline"><input id=${`hf-m${i}-ill`} type="checkbox" checked=${!!m.seriousIllness} onChange=${(e) => setIn("members", i, { seriousIllness: e.target.checked })} /><label for=${`hf-m${i}-ill`}>${t("serious_illness")}</label></div>
        ${doc.members.length > 1 && html`<button type="button" onClick=${() => drop("members", i)}>${t("remove")} ${m.name}</button>`}
      </div>`)}
      <button type="button" onClick=${() => set({ members: [...doc.members, { idNumber: "", name: "", relation: "child" }] })}>${t("add_member")}</button>
    </fieldset>
    <fieldset><legend>${t("income")}</legend>
      ${doc.income.map((x, i) => html`<div class="row" role="group" aria-label=${`${t("income")} ${i + 1}`}>
        ${F(`hf-i${i}-kind`, `${t("kind")} ${i + 1}`, `income[${i}].kind`, (a) => html`<select ...${a} value=${x.kind} onChange=${(e) => setIn("income", i, { kind: e.target.value })}>
          ${Object.keys(INCOME).map((k) => html`<option value=${k}>${named(INCOME, k)}</option>`)}</select>`)}
        ${F(`hf-i${i}-amount`, t("monthly_amount"), `income[${i}].monthlyAmount`, (a) => html`<input ...${a} type="number" step="0.01" value=${x.monthlyAmount} onInput=${(e) => setIn("income", i, { monthlyAmount: e.target.value })} />`)}
        ${F(`hf-i${i}-member`, t("member"), `income[${i}].member`, (a) => html`<select ...${a} value=${x.member || ""} onChange=${(e) => setIn("income", i, { member: e.target.value || null })}><option value="">${t("whole_household")}</option>${memberOptions}</select>`)}
        <div class="field inline"><input id=${`hf-i${i}-regular`} type="checkbox" checked=${x.regular !== false} onChange=${(e) => setIn("income", i, { regular: e.target.checked })} /><label for=${`hf-i${i}-regular`}>${t("regular")}</label></div>
        <button type="button" onClick=${() => drop("income", i)}>${t("remove")}</button>
      </div>`)}
      <button type="button" onClick=${() => set({ income: [...doc.income, { kind: "wages", monthlyAmount: "", member: null, regular: true }] })}>${t("add_income")}</button>
    </fieldset>
    <fieldset><legend>${t("expenses")}</legend>
      ${doc.expenses.map((x, i) => html`<div class="row" role="group" aria-label=${`${t("expenses")} ${i + 1}`}>
        ${F(`hf-e${i}-kind`, `${t("kind")} ${i + 1}`, `expenses[${i}].kind`, (a) => html`<select ...${a} value=${x.kind} onChange=${(e) => setIn("expenses", i, { kind: e.target.value })}>
          ${Object.keys(EXPENSE).map((k) => html`<option value=${k}>${named(EXPENSE, k)}</option>`)}</select>`)}
        ${F(`hf-e${i}-amount`, t("monthly_amount"), `expenses[${i}].monthlyAmount`, (a) => html`<input ...${a} type="number" step="0.01" value=${x.monthlyAmount} onInput=${(e) => setIn("expenses", i, { monthlyAmount: e.target.value })} />`)}
        ${F(`hf-e${i}-member`, t("member"), `expenses[${i}].member`, (a) => html`<select ...${a} value=${x.member || ""} onChange=${(e) => setIn("expenses", i, { member: e.target.value || null })}><option value="">${t("whole_household")}</option>${memberOptions}</select>`)}
        <button type="button" onClick=${() => drop("expenses", i)}>${t("remove")}</button>
      </div>`)}
      <button type="button" onClick=${() => set({ expenses: [...doc.expenses, { kind: "medical", monthlyAmount: "", member: null }] })}>${t("add_expense")}</button>
    </fieldset>
    <fieldset><legend>${t("assets")}</legend>
      ${doc.assets.map((x, i) => html`<div class="row" role="group" aria-label=${`${t("assets")} ${i + 1}`}>
        ${F(`hf-a${i}-kind`, `${t("kind")} ${i + 1}`, `assets[${i}].kind`, (a) => html`<select ...${a} value=${x.kind} onChange=${(e) => setIn("assets", i, { kind: e.target.value })}>
          ${Object.keys(ASSETS).map((k) => html`<option value=${k}>${named(ASSETS, k)}</option>`)}</select>`)}
        ${F(`hf-a${i}-value`, t("asset_value"), `assets[${i}].value`, (a) => html`<input ...${a} type="number" step="0.01" value=${x.value} onInput=${(e) => setIn("assets", i, { value: e.target.value })} />`)}
        ${F(`hf-a${i}-desc`, t("description"), `assets[${i}].description`, (a) => html`<input ...${a} value=${x.description || ""} onInput=${(e) => setIn("assets", i, { description: e.target.value })} />`)}
        <button type="button" onClick=${() => drop("assets", i)}>${t("remove")}</button>
      </div>`)}
      <button type="button" onClick=${() => set({ assets: [...doc.assets, { kind: "deposit", value: "", description: "" }] })}>${t("add_asset")}</button>
    </fieldset>
    <fieldset><legend>${t("payment_account")}</legend>
      <div class="row">
        ${F("hf-pa-holder", t("holder_id"), "paymentAccount.holderIdNumber", (a) => html`<select ...${a} value=${pa.holderIdNumber || ""}
          onChange=${(e) => set({ paymentAccount: e.target.value ? { ...pa, holderIdNumber: e.target.value, holderName: pa.holderName || (doc.members.find((m) => m.idNumber === e.target.value) || {}).name || "" } : null })}>
          <option value="">${t("not_recorded")}</option>${memberOptions}</select>`)}
        ${F("hf-pa-name", t("holder_name"), "paymentAccount.holderName", (a) => html`<input ...${a} value=${pa.holderName || ""} disabled=${!doc.paymentAccount} onInput=${(e) => set({ paymentAccount: { ...pa, holderName: e.target.value } })} />`)}
        ${F("hf-pa-bank", t("bank"), "paymentAccount.bank", (a) => html`<input ...${a} value=${pa.bank || ""} disabled=${!doc.paymentAccount} onInput=${(e) => set({ paymentAccount: { ...pa, bank: e.target.value } })} />`)}
        ${F("hf-pa-number", t("account_number"), "paymentAccount.accountNumber", (a) => html`<input ...${a} value=${pa.accountNumber || ""} inputmode="numeric" disabled=${!doc.paymentAccount} onInput=${(e) => set({ paymentAccount: { ...pa, accountNumber: e.target.value } })} />`)}
      </div>
    </fieldset>
    <${FormErrors} errors=${errors} fields=${shownFields(doc)} />
    <${Alert} error=${failure} />
    <button type="submit" class="primary" disabled=${busy}>${t("save")}</button>
    ${onCancel && html` <button type="button" onClick=${onCancel}>${t("cancel")}</button>`}
  </form>`;
}
