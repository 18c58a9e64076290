// Dashboard: the Alerts card -- the alerts active now (the dashboard document's "alerts", every daemon's, newest
// first, as GET /api/alerts shows them: a figure past its rule's threshold long enough; supervisors see their teams'
// agents' and those about no agent), when each started, its figure against its limit, and Acknowledge (who saw it).
// Loaded beside dashboard.js, which passes on the WebSocket's messages (common.js's consoleBus).
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
let acks = new Map(); // alert id -> {by, at}: acknowledged here, until the next document says so itself
let last = { alerts: [], at: 0 };

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

async function ack(id) {
  try {
    const done = await api("POST", `/api/alerts/${id}/ack`);
    acks.set(done.id, { by: done.acked_by, at: done.acked_at });
    say(t("Alert acknowledged"));
    render(last.alerts, last.at);
  } catch (err) { say(err.message, true); }
}

// How long the alert's condition has held at ``at`` (the document's time: the daemon's clock, in seconds).
function activeSeconds(a, at) { return Math.max(0, at - Date.parse(a.started_at) / 1000); }

function render(alerts, at) {
  last = { alerts, at };
  acks = new Map([...acks].filter(([id]) => alerts.some((a) => a.id === id && !a.acked_by)));
  $("alerts-card").dataset.count = String(alerts.length);
  $("alerts-summary").textContent = alerts.length ? t("{n} active", { n: alerts.length }) : t("No alert");
  $("alerts-table").tBodies[0].replaceChildren(...alerts.map((a) => {
    const acked = a.acked_by ? { by: a.acked_by, at: a.acked_at } : acks.get(a.id);
    return el("tr", { class: "alert alert-" + a.severity, "data-alert": a.rule, "data-subject": a.subject },
      el("td", {}, el("span", { class: "pill pill-alert-" + a.severity }, SEVERITIES[a.severity] || a.severity)),
      el("td", {}, TITLES[a.kind] || a.rule), el("td", {}, subject(a)), el("td", { class: "alert-figure" }, figure(a)),
      el("td", { class: "num", title: t("since {time}", { time: when(a.started_at) }) }, clock(activeSeconds(a, at))),
      el("td", {}, acked ? t("{who} at {when}", { who: acked.by, when: when(acked.at) })
        : el("button", { class: "btn", type: "button", onclick: () => ack(a.id) }, t("Acknowledge"))));
  }));
}

consoleBus.addEventListener("live", (ev) => {
  if (ev.detail.kind === "dashboard") render(ev.detail.data.alerts || [], ev.detail.data.at);
});
