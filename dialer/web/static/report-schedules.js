// Mailed reports on the reports page (managers): the report schedules (/api/report-schedules) listed with their next
// and last run (its SMTP error when it failed), one added from the form (a refused field: the server's sentence under
// the form), one removed.
import { api, el, when } from "./common.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const REPORTS = { compliance: t("Compliance"), performance: t("Performance"), ivr: t("IVR flows"), inbound: t("Inbound queues (service level)") };
const PERIODS = { yesterday: t("Yesterday"), last_7_days: t("Last 7 days"), last_month: t("Last month") };
const CADENCES = { daily: t("Every day"), weekly: t("Every week"), monthly: t("Every month") };
const STATUSES = { ok: t("sent"), partial: t("sent, some recipients refused"), retrying: t("not sent, will retry"), failed: t("failed") };

function say(text) { $("mail-msg").textContent = text; $("mail-msg").hidden = !text; }

function whenSent(s) {
  const day = s.cadence === "weekly" ? ` ${$("mail-weekday").querySelector(`option[value="${s.weekday}"]`).textContent}`
    : s.cadence === "monthly" ? ` ${s.day}` : "";
  return `${CADENCES[s.cadence]}${day} ${s.at} (${s.zone})`;
}

function lastRun(s) {
  if (!s.last_run_at) return "—";
  const status = `${when(s.last_run_at)}: ${STATUSES[s.last_status] || s.last_status}`;
  return s.last_error ? `${status} (${s.last_error})` : status;
}

function row(s) {
  const remove = el("button", { class: "btn btn-ghost", type: "button", onclick: () => removeSchedule(s.id) }, t("Remove"));
  return el("tr", { "data-schedule": s.id, "data-status": s.last_status || "" },
    el("td", {}, `${REPORTS[s.report]}: ${s.target || t("all queues")}`), el("td", {}, PERIODS[s.period]),
    el("td", {}, whenSent(s)), el("td", {}, s.recipients.join(", ")), el("td", {}, when(s.next_run_at)),
    el("td", { class: "last-run" }, lastRun(s)), el("td", {}, remove));
}

async function load() {
  const data = await api("GET", "/api/report-schedules");
  $("mail-table").tBodies[0].replaceChildren(...data.items.map(row));
}

async function removeSchedule(id) {
  try { await api("DELETE", `/api/report-schedules/${id}`); say(""); } catch (err) { say(err.message); }
  await load();
}

function kindChanged() {
  const inbound = $("mail-kind").value === "inbound";
  $("mail-campaign-field").hidden = inbound;
  $("mail-queue-field").hidden = !inbound;
}

function cadenceChanged() {
  $("mail-weekday-field").hidden = $("mail-cadence").value !== "weekly";
  $("mail-day-field").hidden = $("mail-cadence").value !== "monthly";
}

async function add(ev) {
  ev.preventDefault();
  const kind = $("mail-kind").value, cadence = $("mail-cadence").value;
  const body = {
    report: kind, period: $("mail-period").value, cadence, at: $("mail-at").value,
    formats: ["csv", "json", "html"].filter((f) => $(`mail-${f}`).checked), html_body: $("mail-body").checked,
    recipients: $("mail-to").value.split(/[,;\s]+/).filter(Boolean),
  };
  if (kind === "inbound") { if ($("mail-queue").value) body.queue = $("mail-queue").value; } else body.campaign = $("mail-campaign").value;
  if (cadence === "weekly") body.weekday = $("mail-weekday").value;
  if (cadence === "monthly") body.day = Number($("mail-day").value);
  if ($("mail-zone").value.trim()) body.zone = $("mail-zone").value.trim();
  try { await api("POST", "/api/report-schedules", body); say(""); $("mail-to").value = ""; } catch (err) { say(err.message); }
  await load();
}

async function start() {
  const listing = await api("GET", "/api/reports");
  $("mail-queue").append(...listing.inbound_queues.map((q) => el("option", { value: q }, q)));
  const items = (await api("GET", "/api/campaigns?limit=500")).items;
  $("mail-campaign").replaceChildren(...items.map((c) => el("option", { value: c.name }, c.name)));
  $("mail-kind").addEventListener("change", kindChanged);
  $("mail-cadence").addEventListener("change", cadenceChanged);
  $("mail-form").addEventListener("submit", add);
  kindChanged();
  cadenceChanged();
  await load();
}

start();
