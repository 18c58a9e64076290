// Dashboard: supervisor actions (listen / whisper / barge, force pause, sign out, dial mode and level) and the
// recordings (search, play in the page's audio player, evaluate against the scorecard, download). Loaded beside dashboard.js.
import { api, el, when } from "./common.js";
import { t, tn, word } from "./i18n.js";
import { openEvaluation, scoreText } from "./quality.js";

const $ = (id) => document.getElementById(id);
let session = null; // my open monitoring session
// The monitoring modes, supervision and recording states (shown with word()), listed for the catalogue extractor.
const WORDS = [t("listen"), t("whisper"), t("barge"), t("started"), t("ended"), t("failed")];
void WORDS;
// A recording's state in words of its own ("paused" alone reads as an agent's pause in ja/zh-CN).
// Why a supervision session ended (its end_reason, dialer.supervision.service.EndReason), as a short phrase.
const END_REASONS = {
  hangup: t("hung up"),
  originate_failed: t("your phone was not called"),
  leg_gone: t("stopped: the PBX no longer had the call"),
  connection_lost: t("stopped: connection to the PBX lost"),
  server_not_connected: t("stopped: no daemon connected to the PBX"),
  lost: t("its hang-up was missed: the PBX no longer had it"),
};
const REC_STATES = { recording: t("recording"), paused: t("Recording paused"), stopped: t("Recording stopped"), done: t("done") };

function say(id, text, bad = false) { const m = $(id); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

async function loadAgents() {
  const select = $("sv-agent");
  const current = select.value;
  const agents = (await api("GET", "/api/agents?limit=500")).items;
  select.replaceChildren(...agents.map((a) => el("option", { value: a.agent_id, selected: a.agent_id === current }, `${a.agent_id} · ${word(a.status)}`)));
}

async function loadAudit() {
  const items = (await api("GET", "/api/supervision?limit=10")).items;
  $("sv-audit").tBodies[0].replaceChildren(...items.map((s) => el("tr", { "data-id": s.id, "data-mode": s.mode, "data-state": s.state, "data-end-reason": s.end_reason ?? "" },
    el("td", {}, s.supervisor), el("td", {}, s.agent), el("td", {}, word(s.mode)), el("td", {}, s.attempt_id ?? ""),
    el("td", {}, word(s.state)), el("td", {}, when(s.started_at)), el("td", {}, when(s.ended_at)),
    el("td", { class: "sv-end-reason" }, s.end_reason ? (END_REASONS[s.end_reason] ?? s.end_reason) : ""))));
}

async function supervise(mode) {
  try {
    session = await api("POST", "/api/supervision", { agent: $("sv-agent").value, mode });
    say("sv-msg", t("{mode}: calling your phone ({phone})", { mode: word(mode), phone: session.phone }));
    $("sv-stop").disabled = false;
  } catch (e) { say("sv-msg", e.message, true); }
  await loadAudit();
}

async function stopSupervision() {
  if (!session) return;
  try { await api("DELETE", `/api/supervision/${session.id}`); say("sv-msg", t("stopped")); } catch (e) { say("sv-msg", e.message, true); }
  session = null; $("sv-stop").disabled = true;
  await loadAudit();
}

async function agentAction(verb) {
  const agent = $("sv-agent").value;
  try {
    if (verb === "pause") await api("POST", `/api/agents/${encodeURIComponent(agent)}/pause`, { reason: "supervisor" });
    else await api("POST", `/api/agents/${encodeURIComponent(agent)}/logout`);
    say("sv-msg", verb === "pause" ? t("{agent}: paused", { agent }) : t("{agent}: signed out", { agent }));
  } catch (e) { say("sv-msg", e.message, true); }
  await loadAgents();
}

async function applyDialing(ev) {
  ev.preventDefault();
  const name = $("dm-campaign").value;
  const body = {};
  if ($("dm-mode").value) body.dial_mode = $("dm-mode").value;
  const level = parseFloat($("dm-level").value);
  if (isFinite(level)) body[$("dm-mode").value === "power" ? "power_ratio" : "aggressiveness"] = level;
  try {
    const r = await api("PATCH", `/api/campaigns/${encodeURIComponent(name)}/dialing`, body);
    say("dm-msg", t("{campaign}: {mode}, power ratio {ratio}, aggressiveness {aggressiveness}", { campaign: name, mode: word(r.dial_mode), ratio: r.pacing.power_ratio, aggressiveness: r.pacing.aggressiveness }));
  } catch (e) { say("dm-msg", e.message, true); }
}

async function loadCampaigns() {
  const select = $("dm-campaign");
  if (select.options.length) return;
  const items = (await api("GET", "/api/campaigns?limit=500")).items;
  select.replaceChildren(...items.map((c) => el("option", { value: c.name }, c.name)));
  $("rec-campaign").replaceChildren(el("option", { value: "" }, t("any")), ...items.map((c) => el("option", { value: c.name }, c.name)));
}

function play(rec) {
  const player = $("rec-player");
  player.src = rec.audio_url;
  player.dataset.attempt = rec.attempt_id;
  $("rec-now").textContent = t("call {id}", { id: rec.attempt_id }) + ` · ${rec.agent || ""} · ${rec.phone || ""}`;
  player.play().catch(() => { /* autoplay may be refused: the controls are there */ });
}

// The consent announcement the called party heard before the recording began: when, or that it failed.
function consent(r) {
  if (!r.consent_at) return "";
  return r.consent_status === "SUCCESS" ? when(r.consent_at) : word("failed");
}

async function searchRecordings(ev) {
  if (ev) ev.preventDefault();
  const params = new URLSearchParams({ limit: "50" });
  for (const [field, id] of [["campaign", "rec-campaign"], ["agent", "rec-agent"], ["date_from", "rec-from"], ["date_to", "rec-to"], ["disposition", "rec-disposition"], ["phone", "rec-phone"]]) {
    const v = $(id).value.trim();
    if (v) params.set(field, v);
  }
  try {
    const page = await api("GET", "/api/recordings?" + params);
    $("rec-table").tBodies[0].replaceChildren(...page.items.map((r) => el("tr", { "data-attempt": r.attempt_id },
      el("td", {}, when(r.started_at)), el("td", {}, r.campaign), el("td", {}, r.agent || ""), el("td", {}, r.phone),
      el("td", {}, r.disposition || ""), el("td", {}, REC_STATES[r.state] || word(r.state)), el("td", { class: "rec-consent" }, consent(r)),
      el("td", { class: "rec-score" }, r.evaluation ? scoreText(r.evaluation) : ""),
      el("td", {}, el("button", { class: "btn", type: "button", onclick: () => play(r) }, t("Play")), " ",
        el("button", { class: "btn", type: "button", "data-evaluate": r.attempt_id, onclick: () => evaluate(r) }, t("Evaluate")), " ",
        el("a", { class: "btn btn-ghost", href: r.download_url }, t("Download"))))));
    say("rec-msg", tn("{n} recording", "{n} recordings", page.total));
  } catch (e) { say("rec-msg", e.message, true); }
}

// Evaluate: the scorecard form beside the player (playing the call); the list shows the saved score.
function evaluate(rec) {
  play(rec);
  openEvaluation(rec, () => searchRecordings());
}

function start() {
  $("sv-listen").addEventListener("click", () => supervise("listen"));
  $("sv-whisper").addEventListener("click", () => supervise("whisper"));
  $("sv-barge").addEventListener("click", () => supervise("barge"));
  $("sv-stop").addEventListener("click", stopSupervision);
  $("sv-pause").addEventListener("click", () => agentAction("pause"));
  $("sv-logout").addEventListener("click", () => agentAction("logout"));
  $("dm-form").addEventListener("submit", applyDialing);
  $("rec-form").addEventListener("submit", searchRecordings);
  const tick = async () => { try { await loadAgents(); await loadAudit(); await loadCampaigns(); } catch (e) { console.error(e); } };
  tick();
  setInterval(tick, 2000);
}

start();
