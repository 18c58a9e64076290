// Reports (managers): a campaign's compliance, performance, IVR or call-record report, the inbound queues' service
// level, or the agents' activity (time in each state, pauses), over chosen days, or an inbound queue's staffing
// forecast for a week: the printable page opened in a new tab, a CSV or JSON downloaded (a refused range, agent or
// setting: the server's sentence under the form, nothing opened).
import { api, el, openReport } from "./common.js";
import { languagePicker } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function url() {
  const kind = $("rep-kind").value;
  const format = kind === "calls" && $("rep-format").value === "html" ? "csv" : $("rep-format").value;  // records: no page
  const params = new URLSearchParams({ format });
  // Whole days in this browser's time zone, as the instants they start and end at (the API reads a bare date in UTC).
  const from = $("rep-from").value, to = $("rep-to").value;
  if (from) params.set("from", new Date(`${from}T00:00`).toISOString());
  if (to) { const end = new Date(`${to}T00:00`); end.setDate(end.getDate() + 1); params.set("to", end.toISOString()); }
  if (format === "csv") params.set("encoding", $("rep-encoding").value);
  if (kind === "staffing") return staffingUrl(params);
  if (kind === "inbound") {
    if ($("rep-queue").value) params.set("queue", $("rep-queue").value);
    return `/api/reports/inbound?${params}`;
  }
  const agent = $("rep-agent").value.trim();
  if (agent) params.set("agent", agent);
  if (kind === "agents") return `/api/reports/agents?${params}`;
  return `/api/reports/${kind}/${encodeURIComponent($("rep-campaign").value)}?${params}`;
}

// The staffing forecast: one queue, a week (any day of it; none: next week), its history and settings.
function staffingUrl(params) {
  params.delete("from");
  params.delete("to");
  params.set("queue", $("rep-queue").value);
  if ($("rep-week").value) params.set("week_of", $("rep-week").value);
  if ($("rep-weeks").value) params.set("weeks", $("rep-weeks").value);
  if ($("rep-target").value.trim()) params.set("target", $("rep-target").value.trim());
  if ($("rep-shrinkage").value !== "") params.set("shrinkage", String(Number($("rep-shrinkage").value) / 100));
  if ($("rep-model").value) params.set("model", $("rep-model").value);
  return `/api/reports/staffing?${params}`;
}

function kindChanged() {
  const kind = $("rep-kind").value;
  const staffing = kind === "staffing";  // one queue, a week
  const inbound = kind === "inbound" || staffing;  // per queue, not per campaign or agent
  const ofCampaign = !inbound && kind !== "agents";  // the agents' activity: every campaign's
  $("rep-campaign-field").hidden = !ofCampaign;
  $("rep-campaign").required = ofCampaign;
  $("rep-queue-field").hidden = !inbound;
  $("rep-agent").disabled = inbound;
  const all = $("rep-queue").options[0];  // "all": not for a forecast, which is one queue's
  all.disabled = staffing;
  if (staffing && $("rep-queue").value === "" && $("rep-queue").options.length > 1) $("rep-queue").selectedIndex = 1;
  for (const field of document.querySelectorAll(".rep-range")) field.hidden = staffing;
  for (const field of document.querySelectorAll(".rep-staffing")) field.hidden = !staffing;
}

async function open(ev) {
  ev.preventDefault();
  const target = url();
  const served = await openReport(target, $("rep-msg"));
  $("rep-link").href = served ? target : "#";  // what was opened, to copy or bookmark
  $("rep-link").textContent = served ? target : "";
}

async function start() {
  languagePicker(api);
  const listing = await api("GET", "/api/reports");
  $("rep-queue").append(...listing.inbound_queues.map((q) => el("option", { value: q }, q)));
  const items = (await api("GET", "/api/campaigns?limit=500")).items;
  $("rep-campaign").replaceChildren(...items.map((c) => el("option", { value: c.name }, c.name)));
  const wanted = new URLSearchParams(location.search).get("campaign");
  if (wanted) $("rep-campaign").value = wanted;
  $("rep-kind").addEventListener("change", kindChanged);
  kindChanged();
  $("rep-form").addEventListener("submit", open);
}

start();
