// Team reports: each team (a supervisor: their own) with calls, talk time, occupancy, the share of wrap-ups with
// "ready in N s" announced, the quality evaluations of the period (mean score over the calls evaluated, critical
// failures) and dispositions per agent.
import { api, clock, el, pct } from "./common.js";
import { languagePicker, number, t, tn } from "./i18n.js";

languagePicker(api); // the top bar's language, as on every page

const $ = (id) => document.getElementById(id);

// The agent's evaluations in the period: the mean score over the calls evaluated, and the calls failing a critical
// criterion ("—": none evaluated).
function qualityText(q) {
  if (!q) return "—";
  const text = tn("{score} over {n} call", "{score} over {n} calls", q.calls, { score: number(q.mean_score, 1) });
  return q.critical_failures ? text + " · " + tn("{n} critical failure", "{n} critical failures", q.critical_failures) : text;
}

function teamCard(team, report) {
  const share = (x) => (x === null ? "—" : pct(x));
  const rows = report.agents.map((a) => el("tr", { "data-agent": a.agent }, el("td", {}, a.agent), el("td", {}, String(a.calls)),
    el("td", {}, clock(a.talk_seconds)), el("td", { class: "occupancy" }, share(a.occupancy)),
    el("td", { class: "announced" }, share(a.ready_announced_share)),
    el("td", { class: "quality" }, qualityText(a.quality)),
    el("td", { class: "muted" }, Object.entries(a.dispositions).map(([k, v]) => `${k} ${v}`).join(", ") || "—")));
  return el("section", { class: "card team", "data-team": team.name },
    el("div", { class: "card-head" }, el("h2", {}, team.name), el("span", { class: "muted" }, t("supervisors: {names}", { names: team.supervisors.join(", ") || "—" }) + " · " + tn("{n} call", "{n} calls", report.totals.calls) + ", " + t("{time} talk", { time: clock(report.totals.talk_seconds) }))),
    el("table", { class: "table" }, el("thead", {}, el("tr", {}, [t("Agent"), t("Calls"), t("Talk"), t("Occupancy"), t("Ready in N s announced"), t("Quality"), t("Dispositions")].map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
}

async function load() {
  const hours = Number($("since").value);
  const members = $("members").value;  // then: each agent's calls and time while in the team; now: today's members'
  const teams = (await api("GET", "/api/teams?limit=500")).items;
  const reports = await Promise.all(teams.map((x) => api("GET", `/api/reports/team/${encodeURIComponent(x.name)}?hours=${hours}&members=${members}`)));
  $("teams").replaceChildren(...teams.map((x, i) => teamCard(x, reports[i])));
  $("no-teams").hidden = teams.length > 0;
}

$("since").onchange = load;
$("members").onchange = load;
await load();
