// Scheduled recycling on the lists page: a list's schedule (the rules chosen in the rules table, every N hours or at
// the times of day of a crontab line read in a zone: the campaign's unless one is given),
// with the dry-run count before it is saved and what each saved schedule did last.
import { api, el, when } from "./common.js";
import { t, tn, word } from "./i18n.js";
import { chosenRules } from "./lists.js";

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const campaign = () => $("campaign").value;
const listId = () => Number($("schedule-list").value);
const hours = (minutes) => `${Math.round((minutes / 60) * 100) / 100} h`;

function say(...nodes) { $("schedule-result").replaceChildren(...nodes); }

function scheduleRow(l) {
  const s = l.recycle_schedule;
  const rules = s.rules.map((r) => `${word(r.outcome)} > ${hours(r.older_than_minutes)}`).join(", ");
  return el("tr", { "data-list": l.id }, el("td", {}, l.name), el("td", {}, rules), el("td", {}, s.at ? `${s.at} (${s.zone})` : hours(s.every_minutes)),
    el("td", {}, when(s.next_run_at)), el("td", {}, s.last_run_at ? when(s.last_run_at) : "—"),
    el("td", { class: "last-recycled" }, s.last_recycled ?? "—"));
}

async function load() {
  if (!campaign()) return;
  const data = await api("GET", `/api/campaigns/${enc(campaign())}/lists`);
  const keep = $("schedule-list").value;
  $("schedule-list").replaceChildren(...data.items.map((l) => el("option", { value: l.id }, l.name)));
  if (keep && data.items.some((l) => String(l.id) === keep)) $("schedule-list").value = keep;
  $("schedules-table").tBodies[0].replaceChildren(...data.items.filter((l) => l.recycle_schedule).map(scheduleRow));
}

const atTimes = () => $("schedule-kind-at").checked;

function showKind() {
  $("schedule-at-fields").hidden = !atTimes();
  $("schedule-every").disabled = atTimes();
  if (!atTimes()) $("schedule-at-error").textContent = "";
}

function rulesOrSay() {
  const rules = chosenRules();
  if (!rules.length) say(t("Choose at least one rule"));
  return rules;
}

async function count() {
  const rules = rulesOrSay();
  if (!rules.length || !listId()) return;
  try {
    const r = await api("POST", `/api/campaigns/${enc(campaign())}/recycle`, { rules, lists: [listId()], dry_run: true });
    say(el("p", { id: "schedule-count" }, tn("{n} lead would be recycled now", "{n} leads would be recycled now", r.recycled)));
  } catch (err) { say(err.message); }
}

async function save() {
  const rules = rulesOrSay();
  if (!rules.length || !listId()) return;
  const body = { rules };
  if (atTimes()) {
    body.at = $("schedule-at").value.trim();
    const zone = $("schedule-zone").value.trim();
    if (zone) body.zone = zone;
  } else body.every_minutes = Math.round(60 * Number($("schedule-every").value || 0));
  $("schedule-at-error").textContent = "";
  try {
    const r = await api("PUT", `/api/lead-lists/${listId()}/recycle-schedule`, body);
    const s = r.schedule;
    const next = s.at ? t("Saved: next run {at} ({zone})", { at: when(s.next_run_at), zone: s.zone })
      : t("Saved: next run {at}", { at: when(s.next_run_at) });
    say(el("p", { id: "schedule-count" }, next + " · " +
      tn("{n} lead would be recycled now", "{n} leads would be recycled now", r.would_recycle)));
  } catch (err) {
    // A line or zone the API refuses (422): its problem text next to the field, so it can be corrected there.
    if (atTimes() && err.status === 422) { $("schedule-at-error").textContent = err.message; say(); }
    else say(err.message);
  }
  await load();
}

async function remove() {
  if (!listId()) return;
  try {
    await api("DELETE", `/api/lead-lists/${listId()}/recycle-schedule`);
    say(t("Schedule removed"));
  } catch (err) { say(err.message); }
  await load();
}

$("schedule-kind-every").addEventListener("change", showKind);
$("schedule-kind-at").addEventListener("change", showKind);
showKind();
$("btn-schedule-count").onclick = count;
$("btn-schedule-save").onclick = save;
$("btn-schedule-remove").onclick = remove;
$("campaign").addEventListener("change", load);
await load();
