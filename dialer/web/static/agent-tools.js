// Agent console: the script of the current call (beside the screen pop) and the recording controls.
// Loaded beside console.js; polls the agent's script while a call is on.
import { api, boot, el } from "./common.js";
import { t } from "./i18n.js";

const me = boot.user;
const $ = (id) => document.getElementById(id);
let shownAttempt = null;

function say(text, bad = false) { const m = $("rec-msg"); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

async function recording(action) {
  try {
    await api("POST", `/api/agents/${encodeURIComponent(me)}/recording`, { action });
    say({ start: t("Recording"), stop: t("Recording stopped"), pause: t("Recording paused"), resume: t("Recording") }[action]);
  } catch (e) { say(e.message, true); }
}

async function refresh() {
  let body;
  try { body = await api("GET", `/api/agents/${encodeURIComponent(me)}/script`); } catch (e) { return; }
  const panel = $("script-panel");
  const script = body.script;
  if (!script) { panel.hidden = true; shownAttempt = null; return; }
  panel.hidden = false;
  if (script.attempt_id === shownAttempt) return;
  shownAttempt = script.attempt_id;
  // Plain text in a pre-wrap block: lead data can never become markup.
  $("script-text").textContent = script.text;
  say("");
}

function start() {
  const controls = $("rec-controls");
  for (const [action, label] of [["start", t("Start recording")], ["pause", t("Pause recording")], ["resume", t("Resume recording")], ["stop", t("Stop recording")]]) {
    controls.append(el("button", { class: "btn", type: "button", id: `rec-${action}`, onclick: () => recording(action) }, label));
  }
  refresh();
  setInterval(refresh, 1500);
}

start();
