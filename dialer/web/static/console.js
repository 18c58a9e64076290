// Agent console: session (queues, ready, pause), live state and timers, screen pop, disposition, callbacks.
import { api, boot, callbackWho, cancelCallback, clock, el, live, publishAgent, publishLive, setLive, when } from "./common.js";
import { dateTime, languagePicker, t, timeIn, userZone, word } from "./i18n.js";
import { recentCallItem } from "./late-disposition.js";
import { loadMyEvaluations } from "./quality.js";
import { readyInControls } from "./ready.js";

const me = boot.user;
const $ = (id) => document.getElementById(id);
let agent = null;          // last known agent state (from the API / WebSocket)
let offset = 0;            // server clock - browser clock, seconds
let currentCall = null;    // the call shown in the screen pop
let hotkeys = new Map();   // key -> disposition code
let previewQueues = new Set();  // queues of preview-mode campaigns
let previewHeld = null;    // the lead held for preview
// In wrap-up: "ready in N s" (buttons or typed) brings the wrap-up timer forward; the pacer counts on the agent.
const readyIn = readyInControls(async (seconds) => {
  showAgent(await api("POST", `/api/agents/${encodeURIComponent(me)}/ready-in`, { seconds }));
});

// The lead's name as stored for display ("山田 太郎" stays family-first), else its parts in the usual order.
function leadName(lead) { return lead.display_name || [lead.first_name, lead.last_name].filter(Boolean).join(" "); }

// Beside the callback picker: the chosen time in the lead's own zone (the calling window is the lead's).
function showCallbackLocal() {
  const at = $("callback-at").value;
  const zone = currentCall && currentCall.lead && (currentCall.lead.time_zones || [])[0];
  let hint = $("callback-local");
  if (!hint) { hint = el("span", { id: "callback-local", class: "muted" }); $("callback-at").after(hint); }
  hint.textContent = at && zone ? " " + t("= {time} for the lead", { time: timeIn(new Date(at), zone) }) : "";
}

function say(id, text, error = false) { const m = $(id); m.textContent = text; m.classList.toggle("error", error); }

// The pause reasons the daemon's settings allow ([[pause_codes]]), each with the longest it should last.
let pauseLimits = new Map();  // code -> seconds
async function loadPauseCodes() {
  try {
    const data = await api("GET", "/api/pause-codes");
    pauseLimits = new Map(data.pause_codes.filter((p) => p.max_minutes).map((p) => [p.code, 60 * p.max_minutes]));
    $("pause-reason").replaceChildren(...data.pause_codes.map((p) => el("option", { value: p.code }, t(p.label))));
  } catch (err) { say("session-msg", err.message, true); }  // the rest of the console works without them
}

async function loadQueues() {
  const data = await api("GET", "/api/queues");
  previewQueues = new Set(data.queues.filter((q) => q.dial_mode === "preview").map((q) => q.queue));
  const box = $("queue-choice");
  box.replaceChildren(el("legend", {}, t("Campaigns and inbound queues")));
  for (const q of data.queues) {
    const id = "q-" + q.queue;
    // Signed in: the queues they are in; otherwise every campaign queue (inbound queues are opt-in).
    const checked = agent && agent.queues.length ? agent.queues.includes(q.queue) : q.kind === "campaign";
    box.append(el("label", { class: "check", for: id },
      el("input", { type: "checkbox", id, value: q.queue, checked }),
      `${q.label}`, el("span", { class: "muted" }, ` · ${word(q.kind)}`)));
  }
}

function showAgent(a) {
  agent = a;
  const pill = $("state-pill");
  const label = a.status === "paused" && a.pause_reason ? `${word("paused")} · ${word(a.pause_reason)}` : word(a.status);
  pill.textContent = label;
  pill.className = "pill pill-" + a.status;
  $("btn-ready").disabled = a.status !== "paused";  // wrap-up ends with the disposition
  $("btn-logout").disabled = a.status === "logged_out";
  if (a.since && a.status !== "logged_out") offset = (a.since + (a.seconds_in_state || 0)) - Date.now() / 1000;
  const wrap = $("wrapup");
  wrap.hidden = a.status !== "wrapup";
  readyIn.show(a.status === "wrapup");
  publishAgent(a);
}

function tick() {
  if (!agent || agent.status === "logged_out") { $("state-timer").textContent = "--:--"; return; }
  const now = Date.now() / 1000 + offset;
  $("state-timer").textContent = clock(now - agent.since);
  // A pause longer than its code allows (the supervisors' dashboard flags it too).
  const limit = agent.status === "paused" ? pauseLimits.get(agent.pause_reason) : undefined;
  $("state-timer").classList.toggle("overdue", limit !== undefined && now - agent.since > limit);
  if (agent.status === "wrapup" && agent.wrapup_until) {
    const left = Math.max(0, agent.wrapup_until - now);
    const total = (currentCall && currentCall.wrap_up_seconds) || 30;
    // A campaign with wrap_up_ends = "disposition": only the disposition ends the wrap-up; past its time it is overdue.
    const owed = Boolean(agent.wrapup_needs_disposition);
    const overdue = owed && left <= 0;
    $("wrapup").classList.toggle("overdue", overdue);
    $("wrapup-left").textContent = overdue ? t("overdue by {n} s: choose a disposition", { n: Math.ceil(now - agent.wrapup_until) })
      : owed ? t("{n} s · a disposition ends it", { n: Math.ceil(left) }) : t("{n} s", { n: Math.ceil(left) });
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
  const zone = (lead.time_zones || [])[0];
  const rows = [[t("Lead's local time"), zone ? timeIn(new Date(), zone) : "", "lead-local-time"],
    [t("Time zone"), (lead.time_zones || []).join(", ")], [t("Reading"), lead.name_reading], [t("Status"), word(lead.status)],
    // A lead's attempts are counted when each ends: the call in progress is one more.
    [t("Attempts"), lead.status === "in_call" ? t("{n}, this call included", { n: lead.attempts + 1 }) : lead.attempts, "lead-attempts"], [t("Postal code"), lead.postal_code], [t("Last outcome"), word(lead.last_outcome)],
    [t("Last disposition"), lead.last_disposition]];
  // The caller asked for this callback (the IVR's "call me back"): it permits this call only, so the agent asks for
  // consent to call again where the campaign's regime requires it.
  const asked = lead.requested_callback;
  if (asked) rows.unshift([t("Requested callback"), t("the caller asked for this call ({when}): ask for consent to call again", { when: when(asked.requested_at) }), "lead-requested-callback"]);
  for (const [k, v] of Object.entries(lead.fields || {})) rows.push([k.replace(/_/g, " "), v]);
  for (const [k, v, id] of rows) if (v !== null && v !== undefined && v !== "") dl.append(el("dt", {}, k), el("dd", { id }, String(v)));
  return dl;
}

function historyTable(history) {
  const body = history.map((a) => el("tr", {}, el("td", {}, when(a.started_at)), el("td", {}, a.outcome ? word(a.outcome) : t("in progress")),
    el("td", {}, a.disposition || ""), el("td", {}, a.agent || ""), el("td", {}, a.notes || "")));
  return el("table", { class: "table" },
    el("thead", {}, el("tr", {}, [t("When"), t("Outcome"), t("Disposition"), t("Agent"), t("Notes")].map((h) => el("th", {}, h)))),
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
    $("preview-lead").replaceChildren(el("p", { class: "muted" }, data.why ? t("Nothing to dial: {why}", { why: data.why }) : t("Take the next lead, read it, then dial.")));
    return;
  }
  const lead = previewHeld;
  $("preview-lead").replaceChildren(
    el("div", { class: "lead-head" }, el("div", {}, el("div", { class: "lead-name", id: "preview-name" }, leadName(lead) || t("Unnamed lead")),
      el("div", { class: "muted" }, t("Campaign {campaign} · lead #{id}", { campaign: data.campaign, id: lead.id }))), el("div", { class: "lead-phone" }, lead.phone)),
    fieldList(lead), el("h3", {}, t("Attempt history")), historyTable(data.history || []));
}

async function preview(verb) {
  try {
    const data = await api("POST", `/api/agents/${encodeURIComponent(me)}/preview/${verb}`, {});
    if (verb === "claim") showPreviewLead(data);
    else { showPreviewLead({ lead: null }); say("preview-msg", verb === "dial" ? t("Dialling…") : t("Lead given back")); }
  } catch (err) { say("preview-msg", err.message, true); }
}

function showCall(call) {
  currentCall = call;
  showPreviewPanel(call);
  showConsent(call);
  const pop = $("screen-pop");
  const panel = $("disposition-panel");
  if (!call) {
    pop.className = "screen-pop empty";
    pop.replaceChildren(el("p", { class: "waiting" }, agent && agent.status === "ready" ? t("Ready — waiting for the next call…") : t("No call. Go Ready and calls will arrive here.")));
    panel.hidden = true; return;
  }
  pop.className = "screen-pop";
  if (call.inbound) {
    const unknown = t("an unknown number"); // not inside another t()'s arguments: the extractor does not look there
    const banner = el("div", { class: "inbound-banner" }, el("strong", {}, t("Inbound call")),
      " " + t("from {caller} · queue {queue}", { caller: call.caller || unknown, queue: call.queue }),
      call.lead ? el("span", { class: "muted" }, " · " + t("known lead of campaign {campaign}", { campaign: call.campaign }) + (call.other_matches ? " " + t("(+{n} other matches)", { n: call.other_matches }) : "")) : el("span", { class: "muted" }, " · " + t("no lead with this number")));
    const parts = [banner];
    if (call.ivr_summary) parts.push(el("div", { class: "ivr-context", id: "ivr-context" }, call.ivr_summary));
    if (call.lead) {
      const lead = call.lead;
      parts.push(el("div", { class: "lead-head" }, el("div", {}, el("div", { class: "lead-name", id: "lead-name" }, leadName(lead) || t("Unnamed lead")),
        el("div", { class: "muted" }, t("lead #{id}", { id: lead.id }))), el("div", { class: "lead-phone" }, lead.phone)), fieldList(lead), el("h3", {}, t("Attempt history")), historyTable(call.history || []));
    }
    pop.replaceChildren(...parts);
    panel.hidden = true; return;
  }
  const lead = call.lead || {};
  const name = leadName(lead) || t("Unknown caller");
  pop.replaceChildren(
    el("div", { class: "lead-head" },
      el("div", {}, el("div", { class: "lead-name", id: "lead-name" }, name), el("div", { class: "muted" }, t("Campaign {campaign} · lead #{id}", { campaign: call.campaign, id: lead.id }))),
      el("div", { class: "lead-phone" }, lead.phone || "")),
    call.ivr_summary ? el("div", { class: "ivr-context", id: "ivr-context" }, call.ivr_summary) : "",
    ownCallback(call.own_callback),
    fieldList(lead),
    el("h3", {}, t("Attempt history")), historyTable(call.history || []));
  const buttons = $("dispo-buttons");
  buttons.replaceChildren();
  hotkeys = new Map();
  for (const d of call.dispositions || []) {
    const cls = ["btn", d.final ? "final" : "", d.is_dnc ? "dnc" : "", d.schedules_callback ? "callback" : ""].join(" ");
    const key = (d.hotkey || "").toLowerCase();
    if (key) hotkeys.set(key, d.code);
    buttons.append(el("button", { class: cls, type: "button", "data-code": d.code, onclick: () => dispose(d) },
      d.label ? t(d.label) : d.code, key ? el("kbd", {}, "Alt+" + key.toUpperCase()) : null));
  }
  panel.hidden = false;
}

// The campaign's regime dials its leads only with the called party's recorded consent (or their own request for a
// callback): on a lead without it, the agent records how it was given on the call (POST /api/leads/{id}/consent);
// once recorded, when. Outside the screen pop, so that a refresh keeps what the agent is typing.
let consentLead = null;  // the lead the consent form is for
function showConsent(call) {
  const lead = call && call.requires_consent ? call.lead : null;  // (an inbound caller matched to the lead too)
  $("consent-panel").hidden = !lead;
  if (!lead) { consentLead = null; return; }
  if (consentLead !== lead.id) { $("consent-source").value = ""; say("consent-msg", ""); }
  consentLead = lead.id;
  const recorded = Boolean(lead.consent_at);
  $("consent-form").hidden = recorded;
  $("consent-recorded").hidden = !recorded;
  if (recorded) $("consent-recorded").textContent = t("Consent recorded ({when})", { when: dateTime(lead.consent_at) });
}

async function recordConsent(ev) {
  ev.preventDefault();
  const source = $("consent-source").value.trim();
  if (!source) { say("consent-msg", t("Say how the called party gave consent"), true); $("consent-source").focus(); return; }
  try {
    const lead = await api("POST", `/api/leads/${consentLead}/consent`, { source });
    if (currentCall && currentCall.lead && currentCall.lead.id === lead.id) currentCall.lead = lead;
    say("consent-msg", "");
    say("dispo-msg", "");  // a disposition refused for want of consent may now be given again
    showConsent(currentCall);
  } catch (err) { say("consent-msg", err.message, true); }
}

// The call keeps a callback this agent promised (placed to them alone): say so, with when it was promised for and
// its notes.
function ownCallback(own) {
  if (!own) return "";
  return el("div", { class: "own-callback", id: "own-callback" },
    el("strong", {}, t("Your callback, promised for {when}", { when: dateTime(own.due_at) })),
    own.notes ? el("div", { class: "muted" }, own.notes) : "");
}

async function dispose(d) {
  const body = { code: d.code, notes: $("notes").value || null, campaign: currentCall && currentCall.campaign };
  const at = $("callback-at").value;
  if (d.schedules_callback) {
    if (!at) { say("dispo-msg", t("Choose the callback time first"), true); $("callback-at").focus(); return; }
  }
  if (at) { body.callback_at = new Date(at).toISOString(); body.callback_personal = $("callback-personal").checked; }
  try {
    await api("POST", `/api/agents/${encodeURIComponent(me)}/disposition`, body);
    say("dispo-msg", t("Saved: {label}", { label: d.label ? t(d.label) : d.code }));
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

// ``force``: also while a late disposition form is open (it is kept otherwise: the agent is choosing in it).
async function loadRecent(force = false) {
  try {
    const choosing = () => !force && $("recent-calls").querySelector(".late-dispo:not([hidden])");
    if (!choosing()) {
      const data = await api("GET", `/api/agents/${encodeURIComponent(me)}/calls?limit=8`);
      if (!choosing()) $("recent-calls").replaceChildren(...data.items.map((a) => recentCallItem(a, (said) => { say("session-msg", said); loadRecent(true); })));
    }
  } catch (_) { /* not an agent yet */ }
  loadCallbacks();
  loadMyEvaluations($("my-evaluations"));
}

// My pending callbacks, soonest first: when, whom (the notes on hover), a way to cancel one; overdue ones marked.
async function loadCallbacks() {
  let data;
  try { data = await api("GET", "/api/callbacks?state=pending&limit=20"); } catch (_) { return; }
  const items = data.items.map((c) => el("li", { "data-callback": c.id, class: c.overdue ? "overdue" : "", title: c.notes || "" },
    el("span", {}, when(c.due_at)), el("span", { class: "grow" }, " " + callbackWho(c)),
    el("button", { class: "btn btn-ghost btn-small", type: "button", "aria-label": t("Cancel the callback to {who}", { who: callbackWho(c) }), onclick: () => cancelMine(c) }, t("Cancel"))));
  $("my-callbacks").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, t("No callback scheduled"))]));
}

async function cancelMine(c) {
  try { say("session-msg", await cancelCallback(c)); } catch (err) { say("session-msg", err.message, true); }
  loadCallbacks();
}

function wire() {
  $("callback-at").addEventListener("input", showCallbackLocal);
  $("consent-form").addEventListener("submit", recordConsent);
  languagePicker(api);
  $("btn-login").onclick = () => {
    const queues = [...document.querySelectorAll("#queue-choice input:checked")].map((i) => i.value);
    if (!queues.length) { say("session-msg", t("Choose at least one campaign or queue"), true); return; }
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
    if (agent) { agent = { ...agent, status: d.state, since: d.since, pause_reason: d.pause_reason, wrapup_until: d.wrapup_until, wrapup_needs_disposition: d.wrapup_needs_disposition }; showAgent(agent); }
    if (d.state === "wrapup" || d.state === "ready" || d.state === "talking") refresh();
    if (d.state === "wrapup" || d.state === "ready") loadRecent();  // a call just ended may await my disposition
  } else if (msg.kind === "screen_pop") {
    refresh();
  }
  publishLive(msg);
}, (up) => {
  setLive($("ws-status"), up);
  if (up) publishLive({ kind: "reconnected" });  // events may have been missed meanwhile
});

wire();
await refresh();
await loadQueues();
await loadPauseCodes();
showPreviewPanel(currentCall);
loadRecent();
setInterval(tick, 500);
setInterval(refresh, 15000);
setInterval(loadCallbacks, 60000);  // due ones leave the list as the dialer places them
