// The wallboard: the floor's live figures for the TV on the wall (/ws/wallboard pushes dialer.web.wallboard's
// document once a second). Read-only: no control, nothing to click. A "connection lost" banner covers the top
// when the feed stops (the socket closed, or nothing came for a few seconds); it reconnects by itself. A kiosk whose
// session expired loads the page again, which asks for the wallboard's token.
import { clock, el } from "./common.js";
import { lang, number, percent, t, word } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const boot = JSON.parse(document.body.dataset.boot || "{}");
const STALE_MS = 5000;  // no document for this long: the feed has stopped
let lastSeen = 0;
let connected = false;

// A figure: its value as the document has it (data-value, for tests and tools), its text in the page's language.
function figure(name, value, text, cls = "wb-figure") {
  return el("div", { class: cls, "data-figure": name, "data-value": value === null || value === undefined ? "" : String(value) }, text);
}

function setFigure(name, value) {
  const node = document.querySelector(`.wb-agents [data-figure=${name}]`);
  node.dataset.value = String(value);
  node.textContent = number(value);
}

function stat(label, fig, sub = "", level = "") {
  return el("div", { class: "wb-stat" + (level ? " lvl-" + level : "") }, el("div", { class: "wb-label" }, label), fig, el("div", { class: "wb-sub" }, sub));
}

function campaignTile(c) {
  const hours = c.abandon_window_hours;
  const window = hours >= 48 ? t("{n} d window", { n: number(hours / 24) }) : t("{n} h window", { n: number(hours) });
  return el("article", { class: "wb-tile wb-campaign lvl-" + c.abandon_level, "data-campaign": c.campaign },
    el("div", { class: "wb-camp-head" }, el("h2", {}, c.campaign), el("span", { class: "wb-mode", "data-figure": "dial_mode", "data-value": c.dial_mode }, word(c.dial_mode))),
    el("div", { class: "wb-stats" },
      stat(t("Calls today"), figure("calls_today", c.calls_today, number(c.calls_today))),
      // live answers as the abandon rate counts them (an AMD estimate may make them fractional): whole ones shown
      stat(t("Live answers"), figure("live_answers_today", c.live_answers_today, number(c.live_answers_today, 0)), t("today")),
      stat(t("Abandoned"), figure("abandon_rate", c.abandon_rate, percent(c.abandon_rate)),
        t("cap {cap} · {window}", { cap: percent(c.abandon_cap), window }), c.abandon_level)));
}

function queueTile(q) {
  const state = q.service_level_state;
  return el("article", { class: "wb-tile wb-queue", "data-queue": q.queue },
    el("div", { class: "wb-camp-head" }, el("h2", {}, q.queue), el("span", { class: "wb-mode" }, t("inbound"))),
    el("div", { class: "wb-stats" },
      stat(t("Callers waiting"), figure("waiting", q.waiting, number(q.waiting)), "", q.waiting > 0 && q.late ? "over" : ""),
      stat(t("Longest wait"), figure("longest_waiting_seconds", q.longest_waiting_seconds, q.longest_waiting_seconds === null ? "—" : clock(q.longest_waiting_seconds)), "", q.late ? "over" : ""),
      stat(t("Service level"), figure("service_level", q.service_level, q.service_level === null ? "—" : percent(q.service_level, 0)),
        t("target {target} · last hour", { target: percent(q.service_level_target, 0) }), state === "below" ? "over" : state === "ok" ? "ok" : "")));
}

function render(doc) {
  for (const state of ["ready", "talking", "wrapup", "paused"]) setFigure(state, doc.agents[state]);
  setFigure("pauses_overdue", doc.pauses_overdue);
  $("wb-overdue").classList.toggle("lvl-over", doc.pauses_overdue > 0);
  const campaigns = $("wb-campaigns");
  campaigns.dataset.count = String(doc.campaigns.length);
  campaigns.replaceChildren(...(doc.campaigns.length ? doc.campaigns.map(campaignTile) : [el("p", { class: "wb-none" }, t("No campaign is running"))]));
  const inbound = $("wb-inbound");
  inbound.hidden = !doc.inbound.length;
  inbound.replaceChildren(...doc.inbound.map(queueTile));
  document.body.dataset.at = String(doc.at);
}

function showLost() {
  const lost = !connected || Date.now() - lastSeen > STALE_MS;
  $("wb-lost").hidden = !lost;
  document.body.classList.toggle("wb-stale", lost);
}

function tick() {
  const now = new Date();
  $("wb-clock").textContent = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(now);
  $("wb-date").textContent = new Intl.DateTimeFormat(lang, { weekday: "long", month: "long", day: "numeric" }).format(now);
  showLost();
}

// A kiosk whose session has expired: the page, loaded again, asks for the wallboard's token.
function expiredReload() {
  fetch("/api/wallboard", { headers: { Accept: "application/json" } })
    .then((r) => (r.status === 401 ? r.json() : null))
    .then((p) => { if (p && String(p.type).endsWith("/kiosk-expired")) location.reload(); })
    .catch(() => {});
}

function connect(delay = 500) {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/wallboard");
  ws.onopen = () => { delay = 500; };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.kind !== "wallboard") return;
    connected = true;
    lastSeen = Date.now();
    render(msg.data);
    showLost();
  };
  ws.onclose = () => {
    connected = false;
    showLost();
    if (boot.kiosk) expiredReload();
    setTimeout(() => connect(Math.min(delay * 2, 10000)), delay);
  };
}

$("wb-name").textContent = boot.name ? "· " + boot.name : "";
tick();
setInterval(tick, 1000);
connect();
