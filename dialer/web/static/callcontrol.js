// Agent console, call control: hang up, hold/resume, DTMF, blind and warm transfers, 3-way, the call timer and the
// call's legs; manual dial (a number, under the dialer's own rules: refusals show their reason).
import { api, boot, clock, consoleBus, consoleState, el, onCallChange } from "./common.js";
import { t, word } from "./i18n.js";

const me = encodeURIComponent(boot.user);
const $ = (id) => document.getElementById(id);
let control = null;     // the call-control document of the current call (or null)
let shownAt = 0;        // Date.now() when `control` was read (the timer runs on between reads)
let pending = false;    // an action is on its way: the panel's buttons wait for its answer
// The call states and how a leg began (shown with word()), listed for the catalogue extractor.
const WORDS = [t("held"), t("consulting"), t("conference"), t("transferred"), t("ended"), t("answered"), t("blind"), t("warm")];
void WORDS;

function say(text, error = false) { const m = $("cc-msg"); m.textContent = text; m.classList.toggle("error", error); }
function sayDial(text, error = false) { const m = $("dial-msg"); m.textContent = text; m.classList.toggle("error", error); }

function button(id, label, onclick, cls = "btn") { return el("button", { class: cls, id, type: "button", onclick }, label); }

function build() {
  const panel = $("callcontrol-panel");
  panel.replaceChildren(
    el("div", { class: "card-head" }, el("h3", {}, t("Call control")),
      el("span", { class: "timer", id: "cc-timer", title: t("talk time") }, "--:--"),
      el("span", { class: "pill", id: "cc-state" }, "")),
    el("div", { class: "row" },
      button("cc-hangup", t("Hang up"), () => act("hangup"), "btn btn-pause"),
      button("cc-hold", t("Hold"), () => act("hold")),
      button("cc-resume", t("Resume"), () => act("resume"))),
    el("div", { class: "row" },
      el("label", { class: "grow" }, t("DTMF") + " ", el("input", { id: "cc-digits", maxlength: "32", pattern: "[0-9*#A-D]+", size: "8" })),
      button("cc-dtmf", t("Send tones"), () => act("dtmf", { digits: $("cc-digits").value }))),
    el("div", { class: "row" },
      el("label", {}, t("Transfer to") + " ", el("select", { id: "cc-kind" },
        el("option", { value: "agent" }, t("agent")), el("option", { value: "queue" }, t("queue")),
        el("option", { value: "external" }, t("number")))),
      el("label", { class: "grow" }, " ", el("input", { id: "cc-target", placeholder: t("agent id, queue or number"), maxlength: "100" })),
      button("cc-blind", t("Blind transfer"), () => transfer("blind")),
      button("cc-warm", t("Warm transfer"), () => transfer("warm")),
      button("cc-conf", t("3-way"), () => conference())),
    el("div", { class: "row" },
      // Pressed while the target still rings, a Complete is answered when the target answers: say so meanwhile.
      button("cc-complete", t("Complete transfer"),
        () => act("transfer/complete", undefined, t("Completing the transfer: waiting for the target to answer…")),
        "btn btn-primary"),
      button("cc-cancel", t("Cancel transfer"), () => act("transfer/cancel"), "btn btn-ghost"),
      button("cc-leave", t("Leave 3-way"), () => act("conference/leave"), "btn btn-ghost")),
    el("ol", { id: "cc-legs", class: "recent" }),
    el("p", { id: "cc-msg", class: "msg", role: "status", "aria-live": "polite" }));
  const dial = $("manual-dial-panel");
  dial.replaceChildren(
    el("h3", {}, t("Manual dial")),
    el("div", { class: "row" },
      el("label", { class: "grow" }, t("Number") + " ", el("input", { id: "dial-number", type: "tel", maxlength: "40", placeholder: "+1 212 555 0100" })),
      button("dial-go", t("Dial number"), () => manualDial(), "btn btn-primary")),
    el("div", { class: "row" },
      el("label", { class: "grow" }, t("or lead #") + " ", el("input", { id: "dial-lead", type: "number", min: "1", placeholder: t("from a search") })),
      button("dial-lead-go", t("Dial lead"), () => manualDial(true))),
    el("p", { id: "dial-msg", class: "msg", role: "status", "aria-live": "polite" }));
}

function show() {
  const panel = $("callcontrol-panel");
  const live = control && control.state !== "ended";
  panel.hidden = !live;
  $("manual-dial-panel").hidden = !(agentStatus() === "ready" && !live);
  if (!live) return;
  const s = control.state;
  $("cc-state").textContent = word(s);
  $("cc-state").className = "pill pill-" + (s === "held" || s === "consulting" ? "paused" : "talking");
  const mine = control.controller === boot.user;
  const can = {
    "cc-hangup": mine && s !== "transferred", "cc-hold": mine && s === "talking", "cc-resume": mine && s === "held",
    "cc-dtmf": mine && (s === "talking" || s === "conference"),
    "cc-blind": mine && (s === "talking" || s === "held"), "cc-warm": mine && (s === "talking" || s === "held"),
    "cc-conf": mine && (s === "talking" || s === "held"),
    "cc-complete": mine && s === "consulting", "cc-cancel": mine && s === "consulting", "cc-leave": mine && s === "conference",
  };
  for (const [id, ok] of Object.entries(can)) $(id).disabled = !ok || pending;
  $("cc-legs").replaceChildren(...control.legs.map((leg) => el("li", { class: leg.ended ? "muted" : "" },
    el("span", {}, `${leg.seq}. ${leg.party}`), el("span", {}, (leg.transferred_by ? t("{how} by {agent}", { how: word(leg.how), agent: leg.transferred_by }) : word(leg.how)) + " · " + clock(leg.talk_seconds)))));
  tick();
}

function tick() {
  if (!control) { if ($("cc-timer")) $("cc-timer").textContent = "--:--"; return; }
  $("cc-timer").textContent = clock(control.talk_seconds + (Date.now() - shownAt) / 1000);
}

// The agent's state as the console last showed it (common.js: consoleState).
function agentStatus() { return consoleState.agent && consoleState.agent.status; }

// A call is on (or its control still shown): its legs and holds change with the far ends, so read them every second.
function onCall() { return control !== null || agentStatus() === "talking" || agentStatus() === "ringing"; }

async function poll() {
  try {
    const data = await api("GET", `/api/agents/${me}/call/control`);
    control = data.control; shownAt = Date.now();
  } catch (_) { control = null; }
  show();
}

// One call-control action; `waiting`: what to say if its answer takes more than a moment.
async function act(path, body, waiting = "") {
  pending = true; show();
  const slow = waiting ? setTimeout(() => say(waiting), 300) : 0;
  try {
    control = await api("POST", `/api/agents/${me}/call/${path}`, body); shownAt = Date.now();
    say("");
  } catch (err) { say(err.message, true); }
  finally { clearTimeout(slow); pending = false; show(); }
}

function target() { return { kind: $("cc-kind").value, target: $("cc-target").value.trim() }; }

function transfer(mode) {
  const to = target();
  if (!to.target) { say(t("Choose who takes the call"), true); return; }
  act("transfer", { ...to, mode });
}

function conference() {
  const to = target();
  if (to.kind === "queue") { say(t("A queue cannot join a 3-way call"), true); return; }
  if (!to.target) { say(t("Choose who joins the call"), true); return; }
  act("conference", to);
}

async function manualDial(byLead = false) {
  const number = $("dial-number").value.trim();
  const lead = parseInt($("dial-lead").value, 10);
  if (byLead ? !(lead > 0) : !number) { sayDial(byLead ? t("Type a lead number") : t("Type a number"), true); return; }
  try {
    const data = await api("POST", `/api/agents/${me}/dial`, byLead ? { lead_id: lead } : { number });
    sayDial(t("Dialling… (attempt #{attempt}, campaign {campaign})", { attempt: data.attempt_id, campaign: data.campaign }));
  } catch (err) { sayDial(err.message, true); }
}

build();
await poll();
consoleBus.addEventListener("agent", show);  // the manual-dial panel follows the agent's state
onCallChange(poll);
setInterval(() => { if (onCall()) poll(); }, 1000);
setInterval(tick, 250);
