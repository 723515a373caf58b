// Households: search by a member's name or ID number (masked unless the role may see it).
import { html, useState, useQuery, getSession, params, navigate } from "../lib/core.js";
import { t } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, when } from "../lib/ui.js";

const SEARCH = `query Search($j: String!, $text: String!) {
  householdSearch(jurisdiction: $j, text: $text, first: 50) {
    id version area headName updatedAt county { code name }
    members { name relation idNumber idNumberMasked matches } } }`;
const LIST = `query List($j: String!, $after: String) {
  households(jurisdiction: $j, first: 50, after: $after) {
    edges { node { id version area updatedAt members { name relation } } }
    pageInfo { hasNextPage endCursor } } }`;

export default function Households() {
  const me = getSession().me;
  const p = params();
  const [code, setCode] = useState(p.get("j") || me.jurisdiction.code);
  const [text, setText] = useState(p.get("q") || "");
  const [query, setQuery] = useState({ code, text: p.get("q") || "" });

  function submit(e) {
    e.preventDefault();
    setQuery({ code: code.trim(), text: text.trim() });
    const q = new URLSearchParams({ j: code.trim() });
    if (text.trim()) q.set("q", text.trim());
    navigate(`/households?${q}`, { replace: true });
  }

  return html`<${Page} title=${t("households_title")}>
    <form class="controls" role="search" onSubmit=${submit}>
      <${Field} id="hh-j" label=${t("jurisdiction")}>
        ${(a) => html`<input ...${a} value=${code} inputmode="numeric" onInput=${(e) => setCode(e.target.value)} />`}
      </${Field}>
      <${Field} id="hh-q" label=${t("search")} help=${t("search_help")}>
        ${(a) => html`<input ...${a} type="search" value=${text} onInput=${(e) => setText(e.target.value)} />`}
      </${Field}>
      <button type="submit" class="primary">${t("search")}</button>
      <a class="button" href="/households/new">${t("new_household")}</a>
    </form>
    ${query.text ? html`<${Results} key=${`${query.code}|${query.text}`} code=${query.code} text=${query.text} />`
      : html`<${Recent} key=${query.code} code=${query.code} />`}
  </${Page}>`;
}

function Results({ code, text }) {
  const q = useQuery(SEARCH, { j: code, text }, [code, text]);
  if (q.error) return html`<${Alert} error=${q.error} />`;
  if (!q.data) return html`<${Loading} />`;
  const found = q.data.householdSearch;
  if (!found.length) return html`<p role="status">${t("no_results")}</p>`;
  return html`<table class="data"><caption class="sr-only">${t("search")}</caption>
    <thead><tr><th scope="col">${t("household")}</th><th scope="col">${t("head")}</th>
      <th scope="col">${t("members")}</th><th scope="col">${t("county")}</th></tr></thead>
    <tbody>${found.map((h) => html`<tr><td><a href=${`/households/${h.id}`}>#${h.id}</a></td>
      <td>${h.headName}</td>
      <td>${h.members.map((m) => html`<div class=${m.matches ? "match" : ""}>${m.matches ? html`<strong>${m.name}</strong>` : m.name}
        <code>${m.idNumber}</code>${m.idNumberMasked ? html` <span class="badge">${t("masked")}</span>` : ""}</div>`)}</td>
      <td>${h.county.name} ${h.county.code}</td></tr>`)}</tbody></table>`;
}

function Recent({ code }) {
  const q = useQuery(LIST, { j: code }, [code]);
  if (q.error) return html`<${Alert} error=${q.error} />`;
  if (!q.data) return html`<${Loading} />`;
  const edges = q.data.households.edges;
  if (!edges.length) return html`<p>${t("no_results")}</p>`;
  return html`<table class="data"><caption class="sr-only">${t("households_title")}</caption>
    <thead><tr><th scope="col">${t("household")}</th><th scope="col">${t("head")}</th>
      <th scope="col">${t("members")}</th><th scope="col">${t("area")}</th><th scope="col">${t("updated")}</th></tr></thead>
    <tbody>${edges.map(({ node: h }) => {
      const head = h.members.find((m) => m.relation === "HEAD");
      return html`<tr><td><a href=${`/households/${h.id}`}>#${h.id}</a></td><td>${head ? head.name : ""}</td>
        <td>${h.members.length}</td><td>${h.area}</td><td>${when(h.updatedAt)}</td></tr>`;
    })}</tbody></table>`;
}
