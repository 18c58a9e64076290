// Agent console: session (queues, ready, pause), live state and timers, screen pop, disposition, callbacks.
import { api, boot, clock, el, live, setLive, when } from "./common.js";

const me = boot.user;
const $ = (id) => document.getElementById(id);
let agent = null;          // last known agent state (from the API / WebSocket)
let offset = 0;            // server clock - browser clock, seconds
let currentCall = null;    // the call shown in the screen pop
let hotkeys = new Map();   // key -> disposition code
let previewQueues = new Set();  // queues of preview-mode campaigns
let previewHeld = null;    // the lead held for preview

function say(id, text, error = false) { const m = $(id); m.textContent = text; m.classList.toggle("error", error); }

async function loadQueues() {
  const data = await api("GET", "/api/queues");
  previewQueues = new Set(data.queues.filter((q) => q.dial_mode === "preview").map((q) => q.queue));
  const box = $("queue-choice");
  box.replaceChildren(el("legend", {}, "Campaigns and inbound queues"));
  for (const q of data.queues) {
    const id = "q-" + q.queue;
    // Signed in: the queues they are in; otherwise every campaign queue (inbound queues are opt-in).
    const checked = agent && agent.queues.length ? agent.queues.includes(q.queue) : q.kind === "campaign";
    box.append(el("label", { class: "check", for: id },
      el("input", { type: "checkbox", id, value: q.queue, checked }),
      `${q.label}`, el("span", { class: "muted" }, ` · ${q.kind}`)));
  }
}

function showAgent(a) {
  agent = a;
  const pill = $("state-pill");
  const label = a.status === "paused" && a.pause_reason ? `paused · ${a.pause_reason}` : a.status.replace("_", " ");
  pill.textContent = label;
  pill.className = "pill pill-" + a.status;
  $("btn-ready").disabled = a.status !== "paused";  // wrap-up ends with the disposition
  $("btn-logout").disabled = a.status === "logged_out";
  if (a.since && a.status !== "logged_out") offset = (a.since + (a.seconds_in_state || 0)) - Date.now() / 1000;
  const wrap = $("wrapup");
  wrap.hidden = a.status !== "wrapup";
}

function tick() {
  if (!agent || agent.status === "logged_out") { $("state-timer").textContent = "--:--"; return; }
  const now = Date.now() / 1000 + offset;
  $("state-timer").textContent = clock(now - agent.since);
  if (agent.status === "wrapup" && agent.wrapup_until) {
    const left = Math.max(0, agent.wrapup_until - now);
    const total = (currentCall && currentCall.wrap_up_seconds) || 30;
    $("wrapup-left").textContent = Math.ceil(left) + " s";
    $("wrapup-bar").style.width = Math.min(100, (100 * left) / total) + "%";
  }
}

async function refresh() {
  try {
    const data = await api("GET", `/api/agents/${encodeURIComponent(me)}/call`);
    showAgent(data.agent);
    showCall(data.call);
  } catch (err) {
    if (err.status === 404) { showAgent({ status: "logged_out", queues: [] }); showCall(null); }
    else say("session-msg", err.message, true);
  }
}

function fieldList(lead) {
  const dl = el("dl", { class: "fields" });
  const rows = [["Time zone", (lead.time_zones || []).join(", ")], ["Status", lead.status], ["Attempts", lead.attempts],
    ["Postal code", lead.postal_code], ["Last outcome", lead.last_outcome], ["Last disposition", lead.last_disposition]];
  for (const [k, v] of Object.entries(lead.fields || {})) rows.push([k.replace(/_/g, " "), v]);
  for (const [k, v] of rows) if (v !== null && v !== undefined && v !== "") dl.append(el("dt", {}, k), el("dd", {}, String(v)));
  return dl;
}

function historyTable(history) {
  const body = history.map((a) => el("tr", {}, el("td", {}, when(a.started_at)), el("td", {}, a.outcome || "in progress"),
    el("td", {}, a.disposition || ""), el("td", {}, a.agent || ""), el("td", {}, a.notes || "")));
  return el("table", { class: "table" },
    el("thead", {}, el("tr", {}, ["When", "Outcome", "Disposition", "Agent", "Notes"].map((h) => el("th", {}, h)))),
    el("tbody", {}, body));
}

function showPreviewPanel(call) {
  const inPreview = agent && agent.queues && agent.queues.some((q) => previewQueues.has(q));
  $("preview-panel").hidden = !(inPreview && !call && agent.status === "ready");
}

function showPreviewLead(data) {
  previewHeld = data.lead;
  $("btn-dial").disabled = !previewHeld; $("btn-skip").disabled = !previewHeld;
  if (!previewHeld) {
    $("preview-lead").replaceChildren(el("p", { class: "muted" }, data.why ? `Nothing to dial: ${data.why}` : "Take the next lead, read it, then dial."));
    return;
  }
  const lead = previewHeld;
  $("preview-lead").replaceChildren(
    el("div", { class: "lead-head" }, el("div", {}, el("div", { class: "lead-name", id: "preview-name" }, [lead.first_name, lead.last_name].filter(Boolean).join(" ") || "Unnamed lead"),
      el("div", { class: "muted" }, `Campaign ${data.campaign} · lead #${lead.id}`)), el("div", { class: "lead-phone" }, lead.phone)),
    fieldList(lead), el("h3", {}, "Attempt history"), historyTable(data.history || []));
}

async function preview(verb) {
  try {
    const data = await api("POST", `/api/agents/${encodeURIComponent(me)}/preview/${verb}`, {});
    if (verb === "claim") showPreviewLead(data);
    else { showPreviewLead({ lead: null }); say("preview-msg", verb === "dial" ? "Dialling…" : "Lead given back"); }
  } catch (err) { say("preview-msg", err.message, true); }
}

function showCall(call) {
  currentCall = call;
  showPreviewPanel(call);
  const pop = $("screen-pop");
  const panel = $("disposition-panel");
  if (!call) {
    pop.className = "screen-pop empty";
    pop.replaceChildren(el("p", { class: "waiting" }, agent && agent.status === "ready" ? "Ready — waiting for the next call…" : "No call. Go Ready and calls will arrive here."));
    panel.hidden = true; return;
  }
  pop.className = "screen-pop";
  if (call.inbound) {
    const banner = el("div", { class: "inbound-banner" }, el("strong", {}, "Inbound call"),
      ` from ${call.caller || "an unknown number"} · queue ${call.queue}`,
      call.lead ? el("span", { class: "muted" }, ` · known lead of campaign ${call.campaign}` + (call.other_matches ? ` (+${call.other_matches} other matches)` : "")) : el("span", { class: "muted" }, " · no lead with this number"));
    const parts = [banner];
    if (call.ivr_summary) parts.push(el("div", { class: "ivr-context", id: "ivr-context" }, call.ivr_summary));
    if (call.lead) {
      const lead = call.lead;
      parts.push(el("div", { class: "lead-head" }, el("div", {}, el("div", { class: "lead-name", id: "lead-name" }, [lead.first_name, lead.last_name].filter(Boolean).join(" ") || "Unnamed lead"),
        el("div", { class: "muted" }, `lead #${lead.id}`)), el("div", { class: "lead-phone" }, lead.phone)), fieldList(lead), el("h3", {}, "Attempt history"), historyTable(call.history || []));
    }
    pop.replaceChildren(...parts);
    panel.hidden = true; return;
  }
  const lead = call.lead || {};
  const name = [lead.first_name, lead.last_name].filter(Boolean).join(" ") || "Unknown caller";
  pop.replaceChildren(
    el("div", { class: "lead-head" },
      el("div", {}, el("div", { class: "lead-name", id: "lead-name" }, name), el("div", { class: "muted" }, `Campaign ${call.campaign} · lead #${lead.id}`)),
      el("div", { class: "lead-phone" }, lead.phone || "")),
    fieldList(lead),
    el("h3", {}, "Attempt history"), historyTable(call.history || []));
  const buttons = $("dispo-buttons");
  buttons.replaceChildren();
  hotkeys = new Map();
  for (const d of call.dispositions || []) {
    const cls = ["btn", d.final ? "final" : "", d.is_dnc ? "dnc" : "", d.schedules_callback ? "callback" : ""].join(" ");
    const key = (d.hotkey || "").toLowerCase();
    if (key) hotkeys.set(key, d.code);
    buttons.append(el("button", { class: cls, type: "button", "data-code": d.code, onclick: () => dispose(d) },
      d.label || d.code, key ? el("kbd", {}, "Alt+" + key.toUpperCase()) : null));
  }
  panel.hidden = false;
}

async function dispose(d) {
  const body = { code: d.code, notes: $("notes").value || null, campaign: currentCall && currentCall.campaign };
  const at = $("callback-at").value;
  if (d.schedules_callback) {
    if (!at) { say("dispo-msg", "Choose the callback time first", true); $("callback-at").focus(); return; }
  }
  if (at) { body.callback_at = new Date(at).toISOString(); body.callback_personal = $("callback-personal").checked; }
  try {
    await api("POST", `/api/agents/${encodeURIComponent(me)}/disposition`, body);
    say("dispo-msg", `Saved: ${d.label || d.code}`);
    $("notes").value = ""; $("callback-at").value = "";
    await refresh(); loadRecent();
  } catch (err) { say("dispo-msg", err.message, true); }
}

async function command(path, body) {
  try {
    const a = await api("POST", `/api/agents/${encodeURIComponent(me)}/${path}`, body);
    showAgent(a); say("session-msg", "");
  } catch (err) { say("session-msg", err.message, true); }
}

async function loadRecent() {
  try {
    const data = await api("GET", `/api/agents/${encodeURIComponent(me)}/calls?limit=8`);
    $("recent-calls").replaceChildren(...data.items.map((a) => el("li", {}, el("span", {}, when(a.started_at)), el("span", {}, a.disposition || a.outcome || "…"))));
  } catch (_) { /* not an agent yet */ }
}

function wire() {
  $("btn-login").onclick = () => {
    const queues = [...document.querySelectorAll("#queue-choice input:checked")].map((i) => i.value);
    if (!queues.length) { say("session-msg", "Choose at least one campaign or queue", true); return; }
    command("login", { queues });
  };
  $("btn-logout").onclick = () => command("logout");
  $("btn-ready").onclick = () => command("ready");
  $("btn-pause").onclick = () => command("pause", { reason: $("pause-reason").value });
  $("btn-next").onclick = () => preview("claim");
  $("btn-dial").onclick = () => preview("dial");
  $("btn-skip").onclick = () => preview("skip");
  document.addEventListener("keydown", (ev) => {
    if (!ev.altKey) return;
    const k = ev.key.toLowerCase();
    const actions = { r: "btn-ready", p: "btn-pause", l: "btn-login", g: "btn-next", d: "btn-dial", s: "btn-skip" };
    if (k === "n") { $("notes").focus(); ev.preventDefault(); return; }
    if (actions[k] && !$(actions[k]).disabled && !$(actions[k]).closest("[hidden]")) { $(actions[k]).click(); ev.preventDefault(); return; }
    if (hotkeys.has(k) && !$("disposition-panel").hidden) {
      const btn = document.querySelector(`[data-code="${CSS.escape(hotkeys.get(k))}"]`);
      if (btn) { btn.click(); ev.preventDefault(); }
    }
  });
}

live((msg) => {
  if (msg.kind === "agent_state") {
    const d = msg.data;
    if (agent) { agent = { ...agent, status: d.state, since: d.since, pause_reason: d.pause_reason, wrapup_until: d.wrapup_until }; showAgent(agent); }
    if (d.state === "wrapup" || d.state === "ready" || d.state === "talking") refresh();
  } else if (msg.kind === "screen_pop") {
    refresh();
  }
}, (up) => setLive($("ws-status"), up));

wire();
await refresh();
await loadQueues();
showPreviewPanel(currentCall);
loadRecent();
setInterval(tick, 500);
setInterval(refresh, 15000);
