// Dashboard: the Alerts card -- the alerts active now (the dashboard document's "alerts", newest first: a figure
// past its rule's threshold long enough; supervisors see their teams' agents' and those about no agent), when each
// started, its figure against its limit, and Acknowledge (who saw it). Loaded beside dashboard.js, which passes on
// the WebSocket's messages (common.js's consoleBus).
import { api, clock, consoleBus, el, pct, when } from "./common.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
// The alerts' names, one per kind (dialer.alerts.rules.KINDS: the same sentences).
const TITLES = {
  abandon_near_cap: t("Abandon rate near the cap"),
  service_level_low: t("Service level below target"),
  caller_waiting: t("Caller waiting too long"),
  pause_overdue: t("Pause past its limit"),
  wrapup_overdue: t("Wrap-up overdue"),
  not_dialling: t("Campaign not dialling"),
  server_down: t("Asterisk server down"),
};
const SEVERITIES = { info: t("Info"), warning: t("Warning"), critical: t("Critical") };
const RATES = new Set(["abandon_near_cap", "service_level_low"]);
let acks = new Map(); // alert id -> {by, at}, from the history (GET /api/alerts?active=true)
let shownIds = "";
let last = [];

function say(text, bad = false) { const m = $("alerts-msg"); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

function figure(a) {
  if (a.kind === "server_down") return a.detail || "";
  if (a.kind === "not_dialling") return t("no call for {time} ({reason})", { time: clock(a.value), reason: a.detail || "" });
  if (a.kind === "pause_overdue") return t("{code}: over its limit by {time}", { code: a.detail || "", time: clock(a.value) });
  if (RATES.has(a.kind)) return t("{value} (limit {limit})", { value: pct(a.value), limit: pct(a.limit) });
  return t("{value} (limit {limit})", { value: clock(a.value), limit: clock(a.limit) });
}

function subject(a) {
  const [kind, name] = a.subject.split(/:(.*)/s);
  return { campaign: t("Campaign {name}", { name }), queue: t("Queue {name}", { name }), agent: t("Agent {name}", { name }),
    server: t("Server {name}", { name }) }[kind] || a.subject;
}

async function loadAcks() {
  try {
    const page = await api("GET", "/api/alerts?active=true&limit=500");
    acks = new Map(page.items.filter((a) => a.acked_by).map((a) => [a.id, { by: a.acked_by, at: a.acked_at }]));
    render(last);
  } catch (err) { say(err.message, true); }
}

async function ack(id) {
  try {
    const done = await api("POST", `/api/alerts/${id}/ack`);
    acks.set(done.id, { by: done.acked_by, at: done.acked_at });
    say(t("Alert acknowledged"));
    render(last);
  } catch (err) { say(err.message, true); }
}

function render(alerts) {
  last = alerts;
  $("alerts-card").dataset.count = String(alerts.length);
  $("alerts-summary").textContent = alerts.length ? t("{n} active", { n: alerts.length }) : t("No alert");
  $("alerts-table").tBodies[0].replaceChildren(...alerts.map((a) => {
    const acked = a.id !== null ? acks.get(a.id) : undefined;
    return el("tr", { class: "alert alert-" + a.severity, "data-alert": a.rule, "data-subject": a.subject },
      el("td", {}, el("span", { class: "pill pill-alert-" + a.severity }, SEVERITIES[a.severity] || a.severity)),
      el("td", {}, TITLES[a.kind] || a.rule), el("td", {}, subject(a)), el("td", { class: "alert-figure" }, figure(a)),
      el("td", { class: "num", title: t("since {time}", { time: when(a.started_at) }) }, clock(a.active_seconds)),
      el("td", {}, acked ? t("{who} at {when}", { who: acked.by, when: when(acked.at) })
        : a.id === null ? "" : el("button", { class: "btn", type: "button", onclick: () => ack(a.id) }, t("Acknowledge"))));
  }));
  const ids = alerts.map((a) => a.id).join();
  if (ids !== shownIds) { shownIds = ids; if (alerts.length) loadAcks(); }
}

consoleBus.addEventListener("live", (ev) => { if (ev.detail.kind === "dashboard") render(ev.detail.data.alerts || []); });
