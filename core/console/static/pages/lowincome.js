// The low-income register (低收入人口): people with their categories, tags, warning marks and
// monitoring flags (lowIncomePeople, filtered by category, tag, flag and assessment due); a
// recognition stored with its decision (recogniseLowIncome); an entry tagged, flagged,
// re-assessed or exited (changeLowIncome).
import { html, useState, useQuery, gql, getSession, may, params, navigate, todayInChina } from "../lib/core.js";
import { t } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors } from "../lib/ui.js";
import { w, codeName, CORE_CATEGORIES, TAGS } from "../lib/words-people.js";
import { placed } from "../lib/files.js";

const PERSON = `id idNumber name county status recognisedOn nextAssessment flagged version
  categories tags document`;
const LIST = `query LowIncome($j: String!, $c: String, $tag: String, $f: Boolean, $due: Date) {
  lowIncomePeople(jurisdiction: $j, category: $c, tag: $tag, flagged: $f, dueBy: $due) { ${PERSON} } }`;
const RECOGNISE = `mutation Recognise($id: String!, $name: String!, $county: String!, $c: [String!]!,
  $d: String!, $n: String!, $tags: [String!], $on: Date) {
  recogniseLowIncome(idNumber: $id, name: $name, county: $county, categories: $c, decision: $d,
    decisionNumber: $n, tags: $tags, on: $on) { person { ${PERSON} } userErrors { field message code } } }`;
const CHANGE = `mutation ChangeLowIncome($id: ID!, $change: String!, $tag: String, $reason: String!,
  $c: [String!], $visit: Boolean!, $on: Date) {
  changeLowIncome(id: $id, change: $change, tag: $tag, reason: $reason, categories: $c,
    homeVisit: $visit, on: $on) { person { ${PERSON} } userErrors { field message code } } }`;

export default function LowIncome() {
  const me = getSession().me;
  const p = params();
  const initial = {
    code: p.get("j") || me.jurisdiction.code, category: p.get("category") || "",
    tag: p.get("tag") || "", flagged: p.get("flagged") === "1", due: p.get("due") || "",
  };
  const [draft, setDraft] = useState(initial);
  const [view, setView] = useState(initial);
  const [tick, setTick] = useState(0);
  const session = getSession();
  function submit(e) {
    e.preventDefault();
    const v = { ...draft, code: draft.code.trim() };
    setView(v);
    const q = new URLSearchParams({ j: v.code });
    if (v.category) q.set("category", v.category);
    if (v.tag) q.set("tag", v.tag);
    if (v.flagged) q.set("flagged", "1");
    if (v.due) q.set("due", v.due);
    navigate(`/lowincome?${q}`, { replace: true });
  }
  const set = (patch) => setDraft({ ...draft, ...patch });
  return html`<${Page} title=${w("lowincome_title")} wide>
    <p class="help">${w("lowincome_intro")}</p>
    <form class="controls" role="search" onSubmit=${submit}>
      <${Field} id="li-j" label=${t("jurisdiction")}>
        ${(a) => html`<input ...${a} value=${draft.code} inputmode="numeric" onInput=${(e) => set({ code: e.target.value })} />`}
      </${Field}>
      <${Field} id="li-cat" label=${w("category")}>
        ${(a) => html`<select ...${a} value=${draft.category} onChange=${(e) => set({ category: e.target.value })}>
          <option value="">${w("all_status")}</option>
          ${CORE_CATEGORIES.map((c) => html`<option value=${c}>${codeName(c)}</option>`)}</select>`}
      </${Field}>
      <${Field} id="li-tag" label=${w("tag")}>
        ${(a) => html`<select ...${a} value=${draft.tag} onChange=${(e) => set({ tag: e.target.value })}>
          <option value="">${w("all_status")}</option>
          ${TAGS.map((x) => html`<option value=${x}>${x}</option>`)}</select>`}
      </${Field}>
      <${Field} id="li-due" label=${w("due_by_date")}>
        ${(a) => html`<input ...${a} type="date" value=${draft.due} onChange=${(e) => set({ due: e.target.value })} />`}
      </${Field}>
      <div class="field inline"><input id="li-flagged" type="checkbox" checked=${draft.flagged}
        onChange=${(e) => set({ flagged: e.target.checked })} /><label for="li-flagged">${w("only_flagged")}</label></div>
      <button type="submit" class="primary">${w("filter")}</button>
    </form>
    <${List} view=${view} tick=${tick} onChange=${() => setTick((n) => n + 1)} />
    ${may(session, "write_low_income") && html`<${Recognise} code=${view.code} onDone=${() => setTick((n) => n + 1)} />`}
  </${Page}>`;
}

function List({ view, tick, onChange }) {
  const q = useQuery(LIST, {
    j: view.code, c: view.category || null, tag: view.tag || null,
    f: view.flagged ? true : null, due: view.due || null,
  }, [JSON.stringify(view), tick]);
  const [open, setOpen] = useState(null);
  const session = getSession();
  const mayWrite = may(session, "write_low_income");
  if (q.error) return html`<${Alert} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<${Loading} />`;
  const people = q.data.lowIncomePeople;
  return html`<section aria-labelledby="li-list-title"><h2 id="li-list-title">${w("lowincome_title")}（${people.length}）</h2>
    ${q.loading && html`<${Loading} />`}
    ${!people.length ? html`<p>${w("no_people")}</p>` : html`<div class="table-wrap"><table class="data lowincome">
      <caption class="sr-only">${w("lowincome_title")}</caption>
      <thead><tr><th scope="col">${t("person_name")}</th><th scope="col">${t("id_number")}</th><th scope="col">${t("county")}</th>
        <th scope="col">${w("categories")}</th><th scope="col">${w("tags")}</th><th scope="col">${w("recognised_on")}</th>
        <th scope="col">${w("next_assessment")}</th><th scope="col">${t("status")}</th>
        ${mayWrite && html`<th scope="col">${t("actions")}</th>`}</tr></thead>
      <tbody>${people.map((x) => html`<tr data-person=${x.id}>
        <td>${x.name}</td><td><code>${x.idNumber}</code></td><td>${x.county}</td>
        <td>${x.categories.map((c) => codeName(c)).join("、")}</td>
        <td>${x.tags.map((g) => html`<span class="badge">${g}</span> `)}
          ${(x.document.marks || []).map((m) => html`<span class="badge warn" title=${w("marks")}>${typeof m === "string" ? m : m.mark || JSON.stringify(m)}</span> `)}</td>
        <td>${x.recognisedOn}<br/><span class="help">${(x.document.source || {}).decision || ""} ${(x.document.source || {}).number || ""}</span></td>
        <td>${x.nextAssessment || "—"}</td>
        <td>${codeName(x.status)}${x.flagged ? html` <span class="badge bad">${w("flagged")}</span>` : ""}</td>
        ${mayWrite && html`<td>${x.status === "active" && (open === x.id
          ? html`<${Change} person=${x} onDone=${() => { setOpen(null); onChange(); }} onCancel=${() => setOpen(null)} />`
          : html`<button type="button" onClick=${() => setOpen(x.id)}>${w("change")} ${x.name}</button>`)}</td>`}
      </tr>`)}</tbody></table></div>`}
  </section>`;
}

const CHANGES = ["tag", "flag", "reassess", "exit"];

function Change({ person, onDone, onCancel }) {
  const [change, setChange] = useState("tag");
  const [tag, setTag] = useState(TAGS.find((g) => !person.tags.includes(g)) || TAGS[0]);
  const [reason, setReason] = useState("");
  const [categories, setCategories] = useState(person.categories.join(","));
  const [visit, setVisit] = useState(false);
  const [day, setDay] = useState(todayInChina());
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const id = `lc-${person.id}`;
  async function submit(e) {
    e.preventDefault();
    setFailure(null);
    const cats = categories.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
    try {
      const { changeLowIncome: r } = await gql(CHANGE, {
        id: person.id, change, tag: change === "tag" ? tag : null, reason,
        c: change === "reassess" ? cats : null, visit, on: day,
      });
      setErrors(placed(r.userErrors, ["tag", "reason", "categories", "on", "change"]));
      if (r.person) onDone(r.person);
    } catch (x) { setFailure(x); }
  }
  return html`<form class="change" onSubmit=${submit} novalidate aria-label=${`${w("change")} ${person.name}`}>
    <${Field} id=${`${id}-change`} label=${w("change")} field="change" errors=${errors}>
      ${(a) => html`<select ...${a} value=${change} onChange=${(e) => { setChange(e.target.value); setErrors([]); }}>
        ${CHANGES.map((c) => html`<option value=${c}>${w(`change_${c}`)}</option>`)}</select>`}
    </${Field}>
    ${change === "tag" && html`<${Field} id=${`${id}-tag`} label=${w("tag")} field="tag" errors=${errors}>
      ${(a) => html`<select ...${a} value=${tag} onChange=${(e) => setTag(e.target.value)}>
        ${TAGS.map((g) => html`<option value=${g}>${g}</option>`)}</select>`}
    </${Field}>`}
    ${(change === "flag" || change === "exit") && html`<${Field} id=${`${id}-reason`} label=${`${w("reason")} *`} field="reason" errors=${errors}>
      ${(a) => html`<input ...${a} value=${reason} onInput=${(e) => setReason(e.target.value)} />`}
    </${Field}>`}
    ${change === "reassess" && html`
      <${Field} id=${`${id}-cats`} label=${w("categories")} field="categories" errors=${errors}
        help=${CORE_CATEGORIES.map((c) => `${c} ${codeName(c)}`).join("；")}>
        ${(a) => html`<input ...${a} value=${categories} onInput=${(e) => setCategories(e.target.value)} />`}
      </${Field}>
      <div class="field inline"><input id=${`${id}-visit`} type="checkbox" checked=${visit}
        onChange=${(e) => setVisit(e.target.checked)} /><label for=${`${id}-visit`}>${w("home_visit")}</label></div>`}
    <${Field} id=${`${id}-on`} label=${t("date")} field="on" errors=${errors}>
      ${(a) => html`<input ...${a} type="date" value=${day} max=${todayInChina()} onChange=${(e) => setDay(e.target.value)} />`}
    </${Field}>
    <${FormErrors} errors=${errors} fields=${["tag", "reason", "categories", "on", "change"]} />
    <${Alert} error=${failure} />
    <button type="submit" class="primary">${w("do_change")}</button>
    <button type="button" onClick=${onCancel}>${t("cancel")}</button>
  </form>`;
}

function Recognise({ code, onDone }) {
  const [doc, setDoc] = useState({
    idNumber: "", name: "", county: /^\d{6}$/.test(code) ? code : "", categories: [], other: "",
    decision: "", decisionNumber: "", tags: [], on: todayInChina(),
  });
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [done, setDone] = useState(null);
  const set = (patch) => setDoc({ ...doc, ...patch });
  const toggle = (list, v) => (doc[list].includes(v) ? doc[list].filter((x) => x !== v) : [...doc[list], v]);
  const fields = ["idNumber", "name", "county", "categories", "decision", "decisionNumber", "tags", "on"];
  async function submit(e) {
    e.preventDefault();
    setFailure(null); setDone(null);
    const extra = doc.other.split(/[,，、\s]+/).map((s) => s.trim()).filter(Boolean);
    try {
      const { recogniseLowIncome: r } = await gql(RECOGNISE, {
        id: doc.idNumber.trim(), name: doc.name.trim(), county: doc.county.trim(),
        c: [...doc.categories, ...extra], d: doc.decision, n: doc.decisionNumber,
        tags: doc.tags.length ? doc.tags : null, on: doc.on,
      });
      setErrors(placed(r.userErrors, fields));
      if (r.person) { setDone(r.person); onDone(); }
    } catch (x) { setFailure(x); }
  }
  const F = (fid, label, field, control, help) => html`<${Field} id=${fid} label=${label} field=${field} errors=${errors} help=${help}>${control}</${Field}>`;
  return html`<section aria-labelledby="rc-title"><h2 id="rc-title">${w("recognise")}</h2>
    <form onSubmit=${submit} novalidate>
      <div class="row">
        ${F("rc-name", `${t("person_name")} *`, "name", (a) => html`<input ...${a} value=${doc.name} onInput=${(e) => set({ name: e.target.value })} />`)}
        ${F("rc-id", `${t("id_number")} *`, "idNumber", (a) => html`<input ...${a} value=${doc.idNumber} maxlength="18" onInput=${(e) => set({ idNumber: e.target.value.toUpperCase() })} />`)}
        ${F("rc-county", `${t("county")} *`, "county", (a) => html`<input ...${a} value=${doc.county} inputmode="numeric" onInput=${(e) => set({ county: e.target.value })} />`)}
        ${F("rc-on", w("recognised_on"), "on", (a) => html`<input ...${a} type="date" value=${doc.on} max=${todayInChina()} onChange=${(e) => set({ on: e.target.value })} />`)}
      </div>
      <fieldset class=${errors.some((x) => x.field === "categories") ? "invalid" : ""}><legend>${w("categories")} *</legend>
        <div class="row">${CORE_CATEGORIES.map((c) => html`<div class="field inline">
          <input id=${`rc-cat-${c}`} type="checkbox" checked=${doc.categories.includes(c)}
            onChange=${() => set({ categories: toggle("categories", c) })} /><label for=${`rc-cat-${c}`}>${codeName(c)}</label></div>`)}</div>
        ${F("rc-other", w("other_categories"), "categories", (a) => html`<input ...${a} value=${doc.other} placeholder="poverty_alleviated" onInput=${(e) => set({ other: e.target.value })} />`)}
      </fieldset>
      <fieldset><legend>${w("tags")}</legend>
        <div class="row">${TAGS.map((g, i) => html`<div class="field inline">
          <input id=${`rc-tag-${i}`} type="checkbox" checked=${doc.tags.includes(g)}
            onChange=${() => set({ tags: toggle("tags", g) })} /><label for=${`rc-tag-${i}`}>${g}</label></div>`)}</div>
      </fieldset>
      <div class="row">
        ${F("rc-decision", `${w("decision_text")} *`, "decision", (a) => html`<input ...${a} value=${doc.decision} onInput=${(e) => set({ decision: e.target.value })} />`)}
        ${F("rc-number", w("decision_number"), "decisionNumber", (a) => html`<input ...${a} value=${doc.decisionNumber} onInput=${(e) => set({ decisionNumber: e.target.value })} />`)}
      </div>
      <${FormErrors} errors=${errors} fields=${fields} />
      <${Alert} error=${failure} />
      <button type="submit" class="primary">${w("recognise")}</button>
    </form>
    ${done && html`<p class="notice" role="status">${w("recorded")}：${done.name}（${done.categories.map((c) => codeName(c)).join("、")}），${w("next_assessment")} ${done.nextAssessment || "—"}</p>`}
  </section>`;
}
