// Shared helpers: API calls with the CSRF token, the live WebSocket (reconnects), formatting.
import { dateTime, percent, t } from "./i18n.js";
export const boot = JSON.parse(document.body.dataset.boot || "{}");
// Campaign control, the compliance and IVR reports, lead uploads are the managers' (a supervisor: their teams).
export const managing = boot.role === "admin" || boot.role === "manager";
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
// The page is being left (a sign-out's form, a link): a request answered 401 meanwhile must not send the browser to
// /login on top of that navigation (the sign-out's own redirect), which it would abort. A page still here seconds
// later was not left (a download link also fires beforeunload).
let leaving = false;
window.addEventListener("beforeunload", () => { leaving = true; setTimeout(() => { leaving = false; }, 5000); });

// ``contentType``: send ``body`` as it is, with that content type (a campaign file as application/toml); else JSON.
export async function api(method, path, body, contentType) {
  const opts = { method, headers: { "X-CSRF-Token": csrf, Accept: "application/json" }, credentials: "same-origin" };
  if (body instanceof FormData) opts.body = body;
  else if (contentType) { opts.body = body; opts.headers["Content-Type"] = contentType; }
  else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  const res = await fetch(path, opts);
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    if (res.status === 401 && !leaving) window.location.href = "/login?next=" + encodeURIComponent(location.pathname);
    const err = new Error((data && data.detail) || res.statusText);
    err.status = res.status; err.problem = data; throw err;
  }
  return data;
}

export function live(onMessage, onState) {
  let delay = 500;
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    ws.onopen = () => { delay = 500; onState(true); };
    ws.onmessage = (ev) => { try { onMessage(JSON.parse(ev.data)); } catch (e) { console.error(e); } };
    ws.onclose = (ev) => {
      onState(false);
      // 1008: the server ended this session (signed out elsewhere, disabled): ask who we are; a 401 goes to /login.
      if (ev.code === 1008) api("GET", "/api/me").catch(() => {});
      setTimeout(connect, delay); delay = Math.min(delay * 2, 10000);
    };
  }
  connect();
}

// The agent console's panels (console.js, callcontrol.js, crm.js, agent-tools.js) share the one WebSocket console.js
// opens and the agent's last known state: console.js publishes both here, and the others read the agent's call when
// it may have changed (a screen pop, a new agent state, the WebSocket back) instead of polling for it every second.
export const consoleBus = new EventTarget();
export const consoleState = { agent: null };
const CALL_EVENTS = new Set(["screen_pop", "agent_state", "reconnected"]);

export function publishAgent(agent) {
  consoleState.agent = agent;
  consoleBus.dispatchEvent(new CustomEvent("agent", { detail: agent }));
}

export function publishLive(msg) { consoleBus.dispatchEvent(new CustomEvent("live", { detail: msg })); }

// How often a panel reads again without an event (a missed one: the WebSocket was down).
const SAFETY_POLL_MS = 30000;

// `handler` runs whenever the agent's call may have changed, and every SAFETY_POLL_MS in case an event was missed.
export function onCallChange(handler) {
  consoleBus.addEventListener("live", (ev) => { if (CALL_EVENTS.has(ev.detail.kind)) handler(); });
  setInterval(handler, SAFETY_POLL_MS);
}

export function setLive(el, up) { el.className = "dot " + (up ? "dot-on" : "dot-off"); el.title = up ? t("live") : t("reconnecting"); }

export function clock(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function pct(x, digits = 1) { return percent(x, digits); }

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;  // CSSOM: allowed by the page's CSP (style attributes are not)
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

// A date and time in the user's zone and language.
export function when(iso) { return dateTime(iso); }

// A callback in a list (the console's, the dashboard's): whom it is for, and cancelling it -- the sentence to show.
export function callbackWho(c) { return c.lead_name || c.phone; }
export async function cancelCallback(c) {
  await api("POST", `/api/callbacks/${c.id}/cancel`);
  return t("Callback to {who} cancelled", { who: callbackWho(c) });
}

// A report (a URL under /api/reports/) asked for by a click: fetched first, with this session, so that a refusal (an
// unknown campaign, a bad range, no permission, a bad encoding) is said where it was asked, in the element ``box``
// (the server's problem detail, in the user's language; ``box`` is hidden while it has nothing to say), instead of
// on an error page in a new tab. Accepted: the printable page
// opens in a new tab (while the click's user activation lasts; a blocked tab leaves a link in ``box``), a CSV or
// JSON is saved from the bytes already fetched. Returns whether the report was served.
export async function openReport(target, box) {
  const say = (said) => { box.replaceChildren(...(said ? [said] : [])); box.hidden = !said; };
  say(null);
  let res;
  try {
    res = await fetch(target, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch (err) { say(err.message); return false; }
  const type = res.headers.get("Content-Type") || "";
  if (!res.ok) {
    if (res.status === 401 && !leaving) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname); return false; }
    const problem = type.includes("json") ? await res.json().catch(() => null) : null;
    say((problem && problem.detail) || res.statusText || String(res.status));
    return false;
  }
  if (type.startsWith("text/html")) {
    res.body?.cancel().catch(() => {});  // the tab loads the page itself (its own address, to bookmark or print)
    // Not "noopener": window.open then returns null whether or not the tab opened. Our own page, cut from its opener.
    const tab = window.open(target, "_blank");
    if (tab) tab.opener = null;
    else say(el("a", { href: target, target: "_blank", rel: "noopener" }, t("the browser blocked the pop-up: open it here")));
    return true;
  }
  const named = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
  const path = new URL(target, location.href).pathname.replace(/^\/api\/reports\//, "").split("/").map(decodeURIComponent);
  const link = el("a", { href: URL.createObjectURL(await res.blob()), download: named ? named[1] : `${path.join("-")}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  return true;
}
