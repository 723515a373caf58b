// Sign-in: name and password → a session token that expires (signIn mutation).
import { html, useState, gql, setSession, navigate, params } from "../lib/core.js";
import { t } from "../lib/i18n.js";
import { Page, Field, FormErrors, Alert } from "../lib/ui.js";

const SIGN_IN = `mutation SignIn($name: String!, $password: String!) {
  signIn(name: $name, password: $password) {
    token expiresAt
    me { id name role permissions sessionExpiresAt jurisdiction { code name level } }
    userErrors { field message code } } }`;

export default function SignIn() {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState([]);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const { signIn } = await gql(SIGN_IN, { name, password });
      setErrors(signIn.userErrors);
      if (signIn.token) {
        setSession({ token: signIn.token, expiresAt: signIn.expiresAt, me: signIn.me });
        const next = params().get("next");
        // An analyst has no inbox (no case, no person): their page is the simulation.
        const home = signIn.me.permissions.includes("read_households") ? "/inbox" : "/simulate";
        navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : home);
      }
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(false);
    }
  }

  return html`<${Page} title=${t("signin_title")}>
    <p>${t("signin_intro")}</p>
    <${Alert} error=${failure} />
    <form class="narrow" onSubmit=${submit} novalidate>
      <${Field} id="signin-name" label=${t("name")} field="name" errors=${errors}>
        ${(a) => html`<input ...${a} name="username" autocomplete="username" required
          value=${name} onInput=${(e) => setName(e.target.value)} />`}
      </${Field}>
      <${Field} id="signin-password" label=${t("password")} field="password" errors=${errors}>
        ${(a) => html`<input ...${a} type="password" name="password" autocomplete="current-password"
          required value=${password} onInput=${(e) => setPassword(e.target.value)} />`}
      </${Field}>
      <${FormErrors} errors=${errors} fields=${["name", "password"]} />
      <button type="submit" class="primary" disabled=${busy}>${t("signin")}</button>
    </form>
  </${Page}>`;
}
