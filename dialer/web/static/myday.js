// The agent console's "My day": my figures since the start of my day (my zone, else the browser's) beside my team's
// average per agent (GET /api/me/today; dialer/reports/myday.py). Read again when a call or its wrap-up ends (the
// console's WebSocket events, shared through consoleBus) and every 30 s otherwise.
import { api, consoleBus, el } from "./common.js";
import { dateTime, duration, number, percent, t, userZone } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const EVERY_MS = 30000;
// A state change that ends a call (talking ->) or its wrap-up (wrapup ->): the day's figures have moved.
const ENDS = new Set(["talking", "wrapup"]);

const count = (x) => number(x, Number.isInteger(x) ? 0 : 1);
const share = (x) => (x === null || x === undefined ? "—" : percent(x));
const sub = (text) => el("div", { class: "muted sub" }, text);

// The rows: [test hook, label, the cell of one side's figures].
const ROWS = [
  ["calls", t("Calls handled"), (f) => [count(f.calls), sub(t("outbound {out} · inbound {in}", { out: count(f.calls_outbound), in: count(f.calls_inbound) }))]],
  ["conversations", t("Live conversations"), (f) => count(f.live_conversations)],
  ["talk", t("Talk time"), (f) => duration(f.talk_seconds)],
  ["aht", t("Average handle time"), (f) => duration(f.aht_seconds)],
  ["ready", t("Ready"), (f) => duration(f.ready_seconds)],
  ["paused", t("Paused"), (f) => duration(f.pause_seconds)],
  ["wrapup", t("In wrap-up"), (f) => duration(f.wrapup_seconds)],
  ["occupancy", t("Occupancy"), (f) => share(f.occupancy)],
  ["sales", t("Sales"), (f) => [count(f.sales), sub(t("{rate} conversion", { rate: share(f.conversion) }))]],
  ["callbacks-kept", t("Callbacks kept"), (f) => count(f.callbacks.kept)],
  ["callbacks-pending", t("Callbacks pending"), (f) => count(f.callbacks.pending)],
];

function row(key, label, mine, team) {
  return el("tr", { "data-figure": key }, el("th", { scope: "row" }, label),
    el("td", { class: "num mine" }, mine), el("td", { class: "num team" }, team));
}

function show(day) {
  const team = day.team_average;
  const rows = ROWS.map(([key, label, cell]) => row(key, label, cell(day.mine), team ? cell(team) : "—"));
  // Dispositions by outcome: my codes and my team's, sales first.
  const codes = new Map();
  for (const d of [...day.mine.dispositions, ...(team ? team.dispositions : [])]) if (!codes.has(d.code)) codes.set(d.code, d);
  const of = (f, code) => { const d = f && f.dispositions.find((x) => x.code === code); return d ? count(d.count) : count(0); };
  for (const d of [...codes.values()].sort((a, b) => Number(b.is_sale) - Number(a.is_sale))) {
    const label = d.code === "(none)" ? t("No disposition") : t(d.label);
    rows.push(row("disposition-" + d.code, "· " + label, of(day.mine, d.code), team ? of(team, d.code) : "—"));
  }
  $("myday-rows").replaceChildren(...rows);
  $("myday-since").textContent = t("since {time}", { time: dateTime(day.from, day.zone) });
  $("myday-team").textContent = day.team ? t("Team {team} (average per agent)", { team: day.team }) : t("Team average");
  // The server's notes (in my language): a campaign whose stored file no longer loads is not counted.
  const notes = [day.team ? "" : t("You are in no team: no average to compare with."), ...(day.notes || [])];
  $("myday-note").textContent = notes.filter(Boolean).join(" ");
}

let loading = null;
async function load() {
  if (loading) return loading;
  loading = (async () => {
    try { show(await api("GET", `/api/me/today?zone=${encodeURIComponent(userZone)}`)); $("myday-msg").textContent = ""; }
    catch (err) { $("myday-msg").textContent = err.message; }
    finally { loading = null; }
  })();
  return loading;
}

consoleBus.addEventListener("live", (ev) => {
  const msg = ev.detail;
  if (msg.kind === "reconnected" || (msg.kind === "agent_state" && ENDS.has(msg.data.previous))) load();
});
setInterval(load, EVERY_MS);
await load();
