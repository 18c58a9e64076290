// Dashboard: messages to agents' consoles (to one of my teams' agents, a team, or everyone for managers; who has
// read them) and the raised hands (lower one once helped). Loaded beside dashboard.js, which passes on the
// WebSocket's messages (common.js's consoleBus): the dashboard document (hands) and "message_read".
import { api, consoleBus, el, managing, when } from "./common.js";
import { t, tn } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function say(id, text, bad = false) { const m = $(id); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

// Whom I may write to: my teams and their members (supervisors), every team and agent (managers), everyone.
async function loadAudience() {
  const teams = (await api("GET", "/api/teams?limit=500")).items;
  const agents = new Set(teams.flatMap((team) => team.members));
  for (const a of (await api("GET", "/api/agents?limit=500")).items) agents.add(a.agent_id);
  const current = $("msg-to").value;
  const option = (value, label) => el("option", { value, selected: value === current }, label);
  $("msg-to").replaceChildren(
    ...(managing ? [option("everyone:", t("Everyone"))] : []),
    ...teams.map((team) => option(`team:${team.name}`, t("Team {team}", { team: team.name }))),
    ...[...agents].sort().map((a) => option(`agent:${a}`, a)));
}

function audience(m) {
  if (m.to.audience === "everyone") return t("Everyone");
  return m.to.audience === "team" ? t("Team {team}", { team: m.to.name }) : m.to.name;
}

async function loadMessages() {
  try {
    const page = await api("GET", "/api/messages?limit=10");
    $("msg-table").tBodies[0].replaceChildren(...page.items.map((m) => {
      const readers = m.recipients.filter((r) => r.read_at).map((r) => r.agent);
      return el("tr", { "data-message-id": String(m.id) }, el("td", {}, when(m.sent_at)), el("td", {}, m.sender),
        el("td", {}, audience(m)), el("td", {}, m.text),
        el("td", { class: "msg-read", title: readers.join(", ") },
          t("{n} of {total} read", { n: m.read, total: m.recipients.length }) + (readers.length ? ` (${readers.join(", ")})` : "")));
    }));
  } catch (err) { say("msg-msg", err.message, true); }
}

async function send(ev) {
  ev.preventDefault();
  const [kind, name] = $("msg-to").value.split(/:(.*)/s);
  const text = $("msg-text").value;
  if (!kind) { say("msg-msg", t("Choose whom to send it to"), true); return; }
  const body = kind === "everyone" ? { everyone: true, text } : { [kind]: name, text };
  try {
    const sent = await api("POST", "/api/messages", body);
    $("msg-text").value = "";
    say("msg-msg", tn("Sent to {n} agent", "Sent to {n} agents", sent.recipients.length));
  } catch (err) { say("msg-msg", err.message, true); }
  await loadMessages();
}

// The raised hands of the last dashboard document (every daemon's agents'), for the picker beside "Lower hand".
function showHands(hands) {
  const raised = hands.map((h) => h.agent_id);
  const select = $("hand-agent");
  const listed = [...select.options].map((o) => o.value);
  if (raised.join() !== listed.join()) {
    const current = select.value;
    select.replaceChildren(...raised.map((a) => el("option", { value: a, selected: a === current }, a)));
  }
  $("hand-lower").disabled = !raised.length;
}

async function lowerHand() {
  const agent = $("hand-agent").value;
  if (!agent) return;
  try {
    await api("DELETE", `/api/agents/${encodeURIComponent(agent)}/hand`);
    say("hand-msg", t("{agent}'s hand lowered", { agent }));
  } catch (err) { say("hand-msg", err.message, true); }
}

consoleBus.addEventListener("live", (ev) => {
  const msg = ev.detail;
  if (msg.kind === "dashboard") showHands(msg.data.hands || []);
  else if (msg.kind === "message_read" || msg.kind === "message") loadMessages();
});
$("msg-form").addEventListener("submit", send);
$("hand-lower").addEventListener("click", lowerHand);
loadAudience().catch((err) => say("msg-msg", err.message, true));
loadMessages();
setInterval(() => { loadAudience().catch(() => {}); }, 30000);
