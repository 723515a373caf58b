// Users (province administrators, within their jurisdiction): accounts, lockouts, passwords,
// tokens; create, deactivate, reset a password, issue and revoke tokens.
import { html, useState, useQuery, gql, getSession } from "../lib/core.js";
import { t, roleName } from "../lib/i18n.js";
import { Page, Loading, Alert, Field, FormErrors, when } from "../lib/ui.js";

const ERRORS = "userErrors { field message code }";
const ACCOUNTS = `query Accounts($j: String!) { userAccounts(jurisdiction: $j) {
  id name role active hasPassword passwordSetAt failedSignIns lockedUntil validTokens createdAt
  jurisdiction { code name } } }`;
const CREATE = `mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) {
  token account { name } ${ERRORS} } }`;
const ACTIVE = `mutation SetActive($n: String!, $a: Boolean!) { setUserActive(name: $n, active: $a) {
  account { name active } ${ERRORS} } }`;
const RESET = `mutation Reset($n: String!, $p: String!) { resetPassword(name: $n, password: $p) {
  account { name } ${ERRORS} } }`;
const ISSUE = `mutation Issue($n: String!) { issueToken(name: $n) { token ${ERRORS} } }`;
const REVOKE = `mutation Revoke($n: String!) { revokeTokens(name: $n) { revoked ${ERRORS} } }`;
const ROLES = ["village_clerk", "township_officer", "county_approver", "province_admin", "auditor"];

export default function Admin() {
  const me = getSession().me;
  const [tick, setTick] = useState(0);
  const [shown, setShown] = useState(null); // a token shown once
  const q = useQuery(ACCOUNTS, { j: me.jurisdiction.code }, [tick]);
  const refresh = () => setTick((n) => n + 1);
  return html`<${Page} title=${t("admin_title")} wide>
    <${Alert} error=${q.error} onRetry=${q.reload} />
    ${shown && html`<div class="notice" role="status"><p>${t("token_once")}</p><p class="token"><code>${shown}</code></p></div>`}
    <${CreateUser} onDone=${(token) => { setShown(token); refresh(); }} />
    ${!q.data && !q.error && html`<${Loading} />`}
    ${q.data && html`<h2>${t("users")}（${q.data.userAccounts.length}）</h2>
      <div class="table-wrap"><table class="data"><caption class="sr-only">${t("users")}</caption>
      <thead><tr><th scope="col">${t("name")}</th><th scope="col">${t("role")}</th><th scope="col">${t("jurisdiction")}</th>
        <th scope="col">${t("active")}</th><th scope="col">${t("has_password")}</th><th scope="col">${t("locked_until")}</th>
        <th scope="col">${t("tokens")}</th><th scope="col">${t("actions")}</th></tr></thead>
      <tbody>${q.data.userAccounts.map((u) => html`<${Row} key=${u.id} u=${u} me=${me} onDone=${refresh} onToken=${setShown} />`)}</tbody>
      </table></div>`}
  </${Page}>`;
}

function Row({ u, me, onDone, onToken }) {
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const self = u.name === me.name;
  async function call(query, vars, key) {
    setFailure(null);
    try {
      const data = await gql(query, vars);
      const payload = data[key];
      setErrors(payload.userErrors);
      if (!payload.userErrors.length) {
        if (payload.token) onToken(payload.token);
        setPassword("");
        onDone();
      }
    } catch (e) { setFailure(e); }
  }
  return html`<tr>
    <td>${u.name}</td><td>${roleName(u.role)}</td><td>${u.jurisdiction.name} ${u.jurisdiction.code}</td>
    <td>${u.active ? t("yes") : t("no")}</td><td>${u.hasPassword ? t("yes") : t("no")}</td>
    <td>${u.lockedUntil ? html`<span class="badge bad">${when(u.lockedUntil)}</span>` : ""}${u.failedSignIns ? ` (${u.failedSignIns})` : ""}</td>
    <td>${u.validTokens}</td>
    <td>${!self && html`<div class="row">
      <button type="button" onClick=${() => call(ACTIVE, { n: u.name, a: !u.active }, "setUserActive")}>${u.active ? t("deactivate") : t("activate")} ${u.name}</button>
      <form class="row" onSubmit=${(e) => { e.preventDefault(); call(RESET, { n: u.name, p: password }, "resetPassword"); }}>
        <${Field} id=${`pw-${u.id}`} label=${`${t("reset_password")}（${u.name}）`} field="password" errors=${errors}>
          ${(a) => html`<input ...${a} type="password" autocomplete="new-password" value=${password} onInput=${(e) => setPassword(e.target.value)} />`}
        </${Field}>
        <button type="submit">${t("reset_password")}</button>
      </form>
      <button type="button" onClick=${() => call(ISSUE, { n: u.name }, "issueToken")}>${t("issue_token")}</button>
      <button type="button" onClick=${() => call(REVOKE, { n: u.name }, "revokeTokens")}>${t("revoke_all")}</button>
    </div>`}
    <${FormErrors} errors=${errors} fields=${["password"]} /><${Alert} error=${failure} /></td>
  </tr>`;
}

function CreateUser({ onDone }) {
  const me = getSession().me;
  const [input, setInput] = useState({ name: "", role: "village_clerk", jurisdiction: me.jurisdiction.code, password: "" });
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setFailure(null);
    try {
      const { createUser: r } = await gql(CREATE, { input: { ...input, password: input.password || null } });
      setErrors(r.userErrors);
      if (r.token) { onDone(r.token); setInput({ ...input, name: "", password: "" }); }
    } catch (x) { setFailure(x); }
  }
  const F = (id, label, field, control) => html`<${Field} id=${id} label=${label} field=${field} errors=${errors}>${control}</${Field}>`;
  return html`<form onSubmit=${submit} novalidate aria-labelledby="new-user-title">
    <h2 id="new-user-title">${t("new_user")}</h2>
    <div class="row">
      ${F("nu-name", t("name"), "name", (a) => html`<input ...${a} value=${input.name} onInput=${(e) => setInput({ ...input, name: e.target.value })} />`)}
      ${F("nu-role", t("role"), "role", (a) => html`<select ...${a} value=${input.role} onChange=${(e) => setInput({ ...input, role: e.target.value })}>
        ${ROLES.map((r) => html`<option value=${r}>${roleName(r)}</option>`)}</select>`)}
      ${F("nu-j", t("jurisdiction"), "jurisdiction", (a) => html`<input ...${a} value=${input.jurisdiction} inputmode="numeric" onInput=${(e) => setInput({ ...input, jurisdiction: e.target.value })} />`)}
      ${F("nu-pw", t("password"), "password", (a) => html`<input ...${a} type="password" autocomplete="new-password" value=${input.password} onInput=${(e) => setInput({ ...input, password: e.target.value })} />`)}
      <button type="submit" class="primary">${t("new_user")}</button>
    </div>
    <${FormErrors} errors=${errors} fields=${["name", "role", "jurisdiction", "password"]} />
    <${Alert} error=${failure} />
  </form>`;
}
