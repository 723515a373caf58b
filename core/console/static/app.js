// The console's frame: header, navigation by role, language, and the page for the URL.
import {
  html, render, useState, useEffect, useLocation, useSession, setSession, gql, may, onLink,
  navigate,
} from "./lib/core.js";
import { t, lang, setLang, roleName } from "./lib/i18n.js";
import { Loading, Alert } from "./lib/ui.js";
import "./lib/words-people.js";

setLang(lang());

// path pattern → [module, export, needs sign-in]
const ROUTES = [
  [/^\/(explorer)?$/, "explorer", false],
  [/^\/signin$/, "signin", false],
  [/^\/inbox$/, "inbox", true],
  [/^\/cases\/(\d+)$/, "case", true],
  [/^\/households$/, "households", true],
  [/^\/households\/new$/, "household", true],
  [/^\/households\/(\d+)$/, "household", true],
  [/^\/registers$/, "registers", true],
  [/^\/comparison$/, "comparison", true],
  [/^\/findings\/(\d+)$/, "finding", true],
  [/^\/verification$/, "verification", true],
  [/^\/lowincome$/, "lowincome", true],
  [/^\/payments$/, "payments", true],
  [/^\/calendar$/, "calendar", true],
  [/^\/admin$/, "admin", true],
  [/^\/reviews$/, "reviews", true],
  [/^\/reviews\/(\d+)$/, "review", true],
  [/^\/simulate$/, "simulate", true],
];

function match(path) {
  for (const [re, name, auth] of ROUTES) {
    const m = path.match(re);
    if (m) return { name, auth, arg: m[1] };
  }
  return null;
}

function Page({ route }) {
  const [mod, setMod] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    setMod(null);
    import(`./pages/${route.name}.js`).then(
      (m) => live && setMod(() => m.default),
      (e) => live && setError(e),
    );
    return () => { live = false; };
  }, [route.name]);
  if (error) return html`<${Alert} error=${error} />`;
  if (!mod) return html`<${Loading} />`;
  const View = mod;
  return html`<${View} arg=${route.arg} />`;
}

function Nav({ session }) {
  const { path } = useLocation();
  const items = [["/explorer", "nav_explorer", null]];
  if (session) {
    items.push(["/inbox", "nav_inbox", "read_households"]);
    items.push(["/households", "nav_households", "read_households"]);
    // Knowing the people: department data is not for village clerks (read_department_data).
    items.push(["/registers", "nav_registers", "read_households"]);
    items.push(["/comparison", "nav_comparison", "read_department_data"]);
    items.push(["/verification", "nav_verification", "read_department_data"]);
    items.push(["/lowincome", "nav_lowincome", "read_households"]);
    items.push(["/payments", "nav_payments", "read_payments"]);
    items.push(["/calendar", "nav_calendar", "read_households"]);
    // Officials read review runs where they work (county approvers and province
    // administrators start them); analysts see only the simulation: aggregates, no person.
    items.push(["/reviews", "nav_reviews", "read_households"]);
    items.push(["/simulate", "nav_simulate", "run_simulations"]);
    items.push(["/admin", "nav_admin", "manage_users"]);
  }
  const current = (href) => path === href || (href !== "/explorer" && path.startsWith(href))
    || (href === "/explorer" && path === "/");
  return html`<nav aria-label=${t("app")}><ul>
    ${items.filter(([, , p]) => !p || may(session, p)).map(([href, key]) => html`<li>
      <a href=${href} aria-current=${current(href) ? "page" : undefined}>${t(key)}</a></li>`)}
    <li><a href="/graphql" rel="external">${t("nav_graphql")}</a></li>
  </ul></nav>`;
}

async function signOut() {
  try { await gql("mutation { signOut { signedOut userErrors { code } } }"); } catch (e) { /* already gone */ }
  setSession(null);
  navigate("/signin");
}

function App() {
  const { path, search } = useLocation();
  const session = useSession();
  const [, rerender] = useState(0);
  const route = match(path);
  const switchLang = () => { setLang(lang() === "en" ? "zh" : "en"); rerender((n) => n + 1); };
  useEffect(() => {
    if (route && route.auth && !session) {
      navigate(`/signin?next=${encodeURIComponent(path + search)}`, { replace: true });
    }
  }, [path, session]);
  return html`<div class="shell" onClick=${onLink}>
    <a class="skip" href="#main">${t("skip")}</a>
    <header class="top">
      <a class="brand" href="/explorer">${t("app")}</a>
      <${Nav} session=${session} />
      <div class="who">
        <button type="button" class="link" onClick=${switchLang} aria-label=${t("languageLabel")}
          lang=${lang() === "en" ? "zh-CN" : "en"}>${t("language")}</button>
        ${session ? html`<span class="me"><span class="sr-only">${t("signed_in_as")}: </span>
            <strong>${session.me.name}</strong>
            <small>${roleName(session.me.role)} · ${session.me.jurisdiction.name}</small></span>
            <button type="button" onClick=${signOut}>${t("signout")}</button>`
          : html`<a class="button" href="/signin">${t("signin")}</a>`}
      </div>
    </header>
    <main id="main">
      ${!route ? html`<p>404</p>` : route.auth && !session ? html`<${Loading} />`
        : html`<${Page} route=${route} key=${`${path}|${lang()}`} />`}
    </main>
  </div>`;
}

const root = document.getElementById("app");
root.textContent = ""; // the boot message
render(html`<${App} />`, root);
