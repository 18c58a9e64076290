// Agent console: the messages from supervisors (a banner each, "Got it" marks it read) and the raised hand (on a
// call or in its wrap-up: ask the supervisors for help). Loaded beside console.js; hears its WebSocket through
// common.js's consoleBus ("message", "message_read", "hand") and the agent's state ("agent").
import { api, boot, consoleBus, consoleState, el, when } from "./common.js";
import { t } from "./i18n.js";

const me = boot.user;
const $ = (id) => document.getElementById(id);
const shown = new Map();  // message id -> its banner
let hand = null;          // my raised hand (GET /api/agents/{me}/hand), null when lowered

function say(text, bad = false) { const m = $("hand-msg"); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

function banner(m) {
  if (m.read_at || shown.has(m.id)) return;
  const got = el("button", { class: "btn", type: "button" }, t("Got it"));
  // Announced by the #inbox region it joins (aria-live): no live region of its own, or it would be read twice.
  const box = el("div", { class: "message-banner", "data-message-id": String(m.id) },
    el("p", { class: "message-text" }, m.text),
    el("p", { class: "muted" }, t("from {sender} · {time}", { sender: m.sender, time: when(m.sent_at) })), got);
  got.onclick = async () => {
    got.disabled = true;
    try { await api("POST", `/api/messages/${m.id}/read`); remove(m.id); }
    catch (err) { got.disabled = false; box.append(el("p", { class: "msg msg-bad" }, err.message)); }
  };
  shown.set(m.id, box);
  $("inbox").append(box);
}

function remove(id) {
  const box = shown.get(id);
  if (!box) return;
  shown.delete(id);
  const next = box.nextElementSibling || box.previousElementSibling;
  box.remove();
  // The focus was on the banner's button: move it to the next banner's, else leave it where the page starts.
  if (next) next.querySelector("button")?.focus();
}

async function loadUnread() {
  try {
    const page = await api("GET", "/api/messages?unread=true&limit=20");
    for (const m of [...page.items].reverse()) banner(m);  // oldest first, as they came
  } catch (err) { console.error(err); }
}

function showHand() {
  const status = consoleState.agent && consoleState.agent.status;
  const onCall = status === "talking" || status === "wrapup";
  $("btn-hand").disabled = !onCall && !hand;
  $("btn-hand").textContent = "";
  $("btn-hand").append(hand ? t("Update note") : t("Raise hand"), " ", el("kbd", {}, "Alt+H"));
  $("btn-hand-lower").hidden = !hand;
}

async function loadHand() {
  try {
    const h = await api("GET", `/api/agents/${encodeURIComponent(me)}/hand`);
    hand = h.raised ? h : null;
  } catch (err) { hand = null; }
  showHand();
}

async function raise(ev) {
  ev.preventDefault();
  try {
    hand = await api("POST", `/api/agents/${encodeURIComponent(me)}/hand`, { note: $("hand-note").value.trim() || null });
    say(t("Hand raised: your supervisors see it"));
  } catch (err) { say(err.message, true); }
  showHand();
}

async function lower() {
  try {
    await api("DELETE", `/api/agents/${encodeURIComponent(me)}/hand`);
    hand = null;
    say(t("Hand lowered"));
  } catch (err) { if (err.status === 404) hand = null; else say(err.message, true); }
  showHand();
}

consoleBus.addEventListener("live", (ev) => {
  const msg = ev.detail;
  if (msg.kind === "message") banner(msg.data);
  else if (msg.kind === "message_read" && msg.data.agent === me) remove(msg.data.id);
  else if (msg.kind === "hand") {
    const was = hand;
    hand = msg.data.raised ? msg.data.hand : null;
    if (was && !hand) say(msg.data.by && msg.data.by !== me ? t("{who} lowered your hand", { who: msg.data.by }) : t("Hand lowered"));
    showHand();
  } else if (msg.kind === "reconnected") { loadUnread(); loadHand(); }
});
consoleBus.addEventListener("agent", showHand);
$("hand-form").addEventListener("submit", raise);
$("btn-hand-lower").addEventListener("click", lower);
document.addEventListener("keydown", (ev) => {
  if (ev.altKey && ev.key.toLowerCase() === "h" && !$("btn-hand").disabled) { $("btn-hand").click(); ev.preventDefault(); }
});
await loadUnread();
await loadHand();
