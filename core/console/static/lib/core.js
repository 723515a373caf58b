// The console's plumbing: Preact + htm, the session, GraphQL over fetch, the router.
// Everything the console shows comes from the public GraphQL API at /graphql.
import {
  html, render, useState, useEffect, useMemo, useCallback, useRef,
} from "../vendor/preact-htm/standalone.module.js";

export { html, render, useState, useEffect, useMemo, useCallback, useRef };

// -- session ----------------------------------------------------------------------------------
// The session token lives in localStorage (shared by the tabs of this browser) until it
// expires or the user signs out; the CSP allows no inline or foreign script to read it.
const SESSION_KEY = "doudi.session";
const listeners = new Set();

export function getSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    if (s && s.token && (!s.expiresAt || Date.parse(s.expiresAt) > Date.now())) return s;
  } catch (e) { /* unreadable: signed out */ }
  return null;
}

export function setSession(s) {
  if (s) localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else localStorage.removeItem(SESSION_KEY);
  listeners.forEach((f) => f(s));
}

export function useSession() {
  const [s, set] = useState(getSession());
  useEffect(() => { listeners.add(set); return () => listeners.delete(set); }, []);
  return s;
}

export function may(session, permission) {
  return !!(session && session.me && session.me.permissions.includes(permission));
}

// -- GraphQL ----------------------------------------------------------------------------------

export class GraphQLFailure extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
    this.code = (errors[0] && errors[0].extensions && errors[0].extensions.code) || "ERROR";
  }
}

// Returns data; throws GraphQLFailure for GraphQL errors (not for userErrors, which are data).
export async function gql(query, variables = {}) {
  const s = getSession();
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (s) headers.Authorization = `Bearer ${s.token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new GraphQLFailure([{ message: String(e), extensions: { code: "NETWORK" } }]);
  }
  let body;
  try { body = await response.json(); } catch (e) {
    throw new GraphQLFailure([{ message: `HTTP ${response.status}`, extensions: { code: "HTTP" } }]);
  }
  if (body.errors && body.errors.length) {
    const failure = new GraphQLFailure(body.errors);
    if (failure.code === "UNAUTHENTICATED" && s) setSession(null); // expired or revoked
    throw failure;
  }
  return body.data;
}

// A query run when its deps change: { data, error, loading, reload }.
export function useQuery(query, variables, deps, enabled = true) {
  const [state, setState] = useState({ data: null, error: null, loading: enabled });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!enabled) { setState({ data: null, error: null, loading: false }); return undefined; }
    let live = true;
    setState((old) => ({ data: old.data, error: null, loading: true }));
    gql(query, variables).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => { live = false; };
  }, [...deps, tick, enabled]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

// -- router -----------------------------------------------------------------------------------

const routeListeners = new Set();

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  routeListeners.forEach((f) => f());
  if (!replace) window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => routeListeners.forEach((f) => f()));

export function useLocation() {
  const [loc, setLoc] = useState({ path: location.pathname, search: location.search });
  useEffect(() => {
    const f = () => setLoc({ path: location.pathname, search: location.search });
    routeListeners.add(f);
    return () => routeListeners.delete(f);
  }, []);
  return loc;
}

export function params() {
  return new URLSearchParams(location.search);
}

// Links handled by the router (a plain <a href>, so they open in a new tab too).
export function onLink(event) {
  const a = event.target.closest && event.target.closest("a[href]");
  if (!a || a.target || event.defaultPrevented || event.button !== 0) return;
  if (a.getAttribute("href").startsWith("#")) return; // in-page (the skip link)
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || a.hasAttribute("download")) return;
  if (url.pathname.startsWith("/graphql") || url.pathname.startsWith("/calendar/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

// -- dates ------------------------------------------------------------------------------------

// Today in China (the API's default date), as YYYY-MM-DD.
export function todayInChina() {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  }).format(new Date());
}

export function addDays(iso, n) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function monthOf(iso) { return iso.slice(0, 7); }
