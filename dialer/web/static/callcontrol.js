// Agent console, call control: hang up, hold/resume, DTMF, blind and warm transfers, 3-way, the call timer and the
// call's legs; manual dial (a number, under the dialer's own rules: refusals show their reason).
import { api, boot, clock, el } from "./common.js";

const me = encodeURIComponent(boot.user);
const $ = (id) => document.getElementById(id);
let control = null;     // the call-control document of the current call (or null)
let status = null;      // the agent's state
let shownAt = 0;        // Date.now() when `control` was read (the timer runs on between reads)

function say(text, error = false) { const m = $("cc-msg"); m.textContent = text; m.classList.toggle("error", error); }
function sayDial(text, error = false) { const m = $("dial-msg"); m.textContent = text; m.classList.toggle("error", error); }

function button(id, label, onclick, cls = "btn") { return el("button", { class: cls, id, type: "button", onclick }, label); }

function build() {
  const panel = $("callcontrol-panel");
  panel.replaceChildren(
    el("div", { class: "card-head" }, el("h3", {}, "Call control"),
      el("span", { class: "timer", id: "cc-timer", title: "talk time" }, "--:--"),
      el("span", { class: "pill", id: "cc-state" }, "")),
    el("div", { class: "row" },
      button("cc-hangup", "Hang up", () => act("hangup"), "btn btn-pause"),
      button("cc-hold", "Hold", () => act("hold")),
      button("cc-resume", "Resume", () => act("resume"))),
    el("div", { class: "row" },
      el("label", { class: "grow" }, "DTMF ", el("input", { id: "cc-digits", maxlength: "32", pattern: "[0-9*#A-D]+", size: "8" })),
      button("cc-dtmf", "Send tones", () => act("dtmf", { digits: $("cc-digits").value }))),
    el("div", { class: "row" },
      el("label", {}, "To ", el("select", { id: "cc-kind" },
        el("option", { value: "agent" }, "agent"), el("option", { value: "queue" }, "queue"),
        el("option", { value: "external" }, "number"))),
      el("label", { class: "grow" }, " ", el("input", { id: "cc-target", placeholder: "agent id, queue or number", maxlength: "100" })),
      button("cc-blind", "Blind transfer", () => transfer("blind")),
      button("cc-warm", "Warm transfer", () => transfer("warm")),
      button("cc-conf", "3-way", () => conference())),
    el("div", { class: "row" },
      button("cc-complete", "Complete transfer", () => act("transfer/complete"), "btn btn-primary"),
      button("cc-cancel", "Cancel transfer", () => act("transfer/cancel"), "btn btn-ghost"),
      button("cc-leave", "Leave 3-way", () => act("conference/leave"), "btn btn-ghost")),
    el("ol", { id: "cc-legs", class: "recent" }),
    el("p", { id: "cc-msg", class: "msg", role: "status", "aria-live": "polite" }));
  const dial = $("manual-dial-panel");
  dial.replaceChildren(
    el("h3", {}, "Manual dial"),
    el("div", { class: "row" },
      el("label", { class: "grow" }, "Number ", el("input", { id: "dial-number", type: "tel", maxlength: "40", placeholder: "+1 212 555 0100" })),
      button("dial-go", "Dial number", () => manualDial(), "btn btn-primary")),
    el("div", { class: "row" },
      el("label", { class: "grow" }, "or lead # ", el("input", { id: "dial-lead", type: "number", min: "1", placeholder: "from a search" })),
      button("dial-lead-go", "Dial lead", () => manualDial(true))),
    el("p", { id: "dial-msg", class: "msg", role: "status", "aria-live": "polite" }));
}

function show() {
  const panel = $("callcontrol-panel");
  const live = control && control.state !== "ended";
  panel.hidden = !live;
  $("manual-dial-panel").hidden = !(status === "ready" && !live);
  if (!live) return;
  const s = control.state;
  $("cc-state").textContent = s;
  $("cc-state").className = "pill pill-" + (s === "held" || s === "consulting" ? "paused" : "talking");
  const mine = control.controller === boot.user;
  const can = {
    "cc-hangup": mine && s !== "transferred", "cc-hold": mine && s === "talking", "cc-resume": mine && s === "held",
    "cc-dtmf": mine && (s === "talking" || s === "conference"),
    "cc-blind": mine && (s === "talking" || s === "held"), "cc-warm": mine && (s === "talking" || s === "held"),
    "cc-conf": mine && (s === "talking" || s === "held"),
    "cc-complete": mine && s === "consulting", "cc-cancel": mine && s === "consulting", "cc-leave": mine && s === "conference",
  };
  for (const [id, ok] of Object.entries(can)) $(id).disabled = !ok;
  $("cc-legs").replaceChildren(...control.legs.map((leg) => el("li", { class: leg.ended ? "muted" : "" },
    el("span", {}, `${leg.seq}. ${leg.party}`), el("span", {}, `${leg.how}${leg.transferred_by ? " by " + leg.transferred_by : ""} · ${clock(leg.talk_seconds)}`))));
  tick();
}

function tick() {
  if (!control) { if ($("cc-timer")) $("cc-timer").textContent = "--:--"; return; }
  $("cc-timer").textContent = clock(control.talk_seconds + (Date.now() - shownAt) / 1000);
}

async function poll() {
  try {
    const call = await api("GET", `/api/agents/${me}/call`);
    status = call.agent && call.agent.status;
    const data = await api("GET", `/api/agents/${me}/call/control`);
    control = data.control; shownAt = Date.now();
  } catch (_) { control = null; status = null; }
  show();
}

async function act(path, body) {
  try {
    control = await api("POST", `/api/agents/${me}/call/${path}`, body); shownAt = Date.now();
    say(""); show();
  } catch (err) { say(err.message, true); }
}

function target() { return { kind: $("cc-kind").value, target: $("cc-target").value.trim() }; }

function transfer(mode) {
  const t = target();
  if (!t.target) { say("Choose who takes the call", true); return; }
  act("transfer", { ...t, mode });
}

function conference() {
  const t = target();
  if (t.kind === "queue") { say("A queue cannot join a 3-way call", true); return; }
  if (!t.target) { say("Choose who joins the call", true); return; }
  act("conference", t);
}

async function manualDial(byLead = false) {
  const number = $("dial-number").value.trim();
  const lead = parseInt($("dial-lead").value, 10);
  if (byLead ? !(lead > 0) : !number) { sayDial(byLead ? "Type a lead number" : "Type a number", true); return; }
  try {
    const data = await api("POST", `/api/agents/${me}/dial`, byLead ? { lead_id: lead } : { number });
    sayDial(`Dialling… (attempt #${data.attempt_id}, campaign ${data.campaign})`);
  } catch (err) { sayDial(err.message, true); }
}

build();
await poll();
setInterval(poll, 1000);
setInterval(tick, 250);
