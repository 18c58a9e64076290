// Agent console: the script of the current call (beside the screen pop) and the recording controls (only those the
// campaign's recording mode offers, each enabled when it applies: none, all = pause / resume, on_demand = start /
// stop too).
// Loaded beside console.js; reads the agent's script when their call may have changed (common.js: onCallChange).
import { api, boot, el, onCallChange } from "./common.js";
import { t } from "./i18n.js";

const me = boot.user;
const $ = (id) => document.getElementById(id);
let shownAttempt = null;

function say(text, bad = false) { const m = $("rec-msg"); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

let rec = { mode: "none", state: null };  // the current call's recording: the campaign's mode, its state
const AFTER = { start: "recording", pause: "paused", resume: "recording", stop: "stopped" };

async function recording(action) {
  try {
    await api("POST", `/api/agents/${encodeURIComponent(me)}/recording`, { action });
    rec = { ...rec, state: AFTER[action] };
    say({ start: t("Recording"), stop: t("Recording stopped"), pause: t("Recording paused"), resume: t("Recording") }[action]);
  } catch (e) { say(e.message, true); }
  showRecording();
}

function showRecording() {
  // A campaign recording every call records from the moment the agent takes it.
  const state = rec.state || (rec.mode === "all" ? "recording" : null);
  const on = state === "recording", paused = state === "paused", onDemand = rec.mode === "on_demand";
  const offered = { start: onDemand, stop: onDemand, pause: true, resume: true };
  const applies = { start: !on && !paused, stop: on || paused, pause: on, resume: paused };
  $("rec-controls").hidden = rec.mode === "none";
  for (const action of Object.keys(AFTER)) {
    const button = $(`rec-${action}`);
    button.hidden = !offered[action];
    button.disabled = !applies[action];
  }
}

async function refresh() {
  let body, current;
  try {
    body = await api("GET", `/api/agents/${encodeURIComponent(me)}/script`);
    current = (await api("GET", `/api/agents/${encodeURIComponent(me)}/call`)).call;
  } catch (e) { return; }
  rec = (current && current.recording) || { mode: "none", state: null };
  showRecording();
  const panel = $("script-panel");
  const script = body.script;
  if (!script) { panel.hidden = true; shownAttempt = null; return; }
  panel.hidden = false;
  if (script.attempt_id === shownAttempt) return;
  shownAttempt = script.attempt_id;
  // Plain text in a pre-wrap block: lead data can never become markup.
  $("script-text").textContent = script.text;
  showSections(script.sections || []);
  say("");
}

// The branches of the script (objection, close, hand-over...): buttons to move between them; the chosen one's text
// (as text, never markup) and the disposition it leads to shown under the opening.
function showSections(sections) {
  let box = $("script-sections");
  if (!box) {
    box = el("div", { id: "script-sections", class: "script-sections" });
    $("script-text").after(box);
  }
  box.replaceChildren();
  box.dataset.section = "";
  if (!sections.length) return;
  const byId = new Map(sections.map((s) => [s.id, s]));
  const nav = el("div", { class: "rec-controls", role: "group", "aria-label": t("Script sections") });
  const title = el("h4", { id: "script-section-title" });
  const body = el("p", { id: "script-section-text", class: "script" });
  const hint = el("p", { id: "script-section-disposition", class: "msg" });
  const go = (id) => {
    const s = id ? byId.get(id) : null;
    box.dataset.section = s ? s.id : "";
    title.textContent = s ? s.title : "";
    body.textContent = s ? s.text : "";
    hint.textContent = s && s.disposition ? t("This step leads to the disposition {code}", { code: s.disposition }) : "";
    const targets = (s ? s.next : sections.map((x) => x.id)).map((i) => byId.get(i)).filter(Boolean);
    nav.replaceChildren(
      ...(s ? [el("button", { class: "btn", type: "button", "data-section": "", onclick: () => go(null) }, t("Back to the opening"))] : []),
      ...targets.map((x) => el("button", { class: "btn", type: "button", "data-section": x.id, onclick: () => go(x.id) }, x.title)),
    );
  };
  box.append(nav, title, body, hint);
  go(null);
}

function start() {
  const controls = $("rec-controls");
  for (const [action, label] of [["start", t("Start recording")], ["pause", t("Pause recording")], ["resume", t("Resume recording")], ["stop", t("Stop recording")]]) {
    controls.append(el("button", { class: "btn", type: "button", id: `rec-${action}`, onclick: () => recording(action) }, label));
  }
  showRecording();
  refresh();
  onCallChange(refresh);
}

start();
