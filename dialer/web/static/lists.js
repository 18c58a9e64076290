// Lead lists of a campaign (enable, priority, share, expiry), recycling with a dry run first, lead search + history.
import { api, el, openReport } from "./common.js";
import { languagePicker, t, tn, word } from "./i18n.js";
import { mountLeadSearch } from "./leadsearch.js";

languagePicker(api); // the top bar's language, as on every page

const $ = (id) => document.getElementById(id);
const OUTCOMES = ["no_answer", "busy", "machine", "congestion", "failed", "abandoned", "connected", "cancelled"];
const DEFAULT_RULES = { no_answer: 72, busy: 1 };
let lastCount = null;

const campaign = () => $("campaign").value;
const enc = encodeURIComponent;

function listRow(l) {
  const enabled = el("input", { type: "checkbox", checked: l.enabled, "aria-label": t("enable {list}", { list: l.name }), "data-field": "enabled" });
  const priority = el("input", { type: "number", value: l.priority, min: -1000, max: 1000, "data-field": "priority", class: "num" });
  const share = el("input", { type: "number", value: l.share ?? "", min: 0, step: "any", "data-field": "share", placeholder: "—" });
  const expires = el("input", { type: "datetime-local", value: l.valid_until ? l.valid_until.slice(0, 16) : "", "data-field": "valid_until" });
  const counts = Object.entries(l.leads).map(([s, n]) => `${word(s)} ${n}`).join(", ") || t("no leads");
  const save = el("button", { class: "btn", "data-action": "save", onclick: async () => {
    const body = { enabled: enabled.checked, priority: Number(priority.value || 0), share: share.value === "" ? 0 : Number(share.value) };
    if (expires.value) body.valid_until = new Date(expires.value).toISOString(); else body.clear_valid_until = true;
    try { await api("PATCH", `/api/lead-lists/${l.id}`, body); $("lists-msg").textContent = t("{list} saved", { list: l.name }); }
    catch (err) { $("lists-msg").textContent = err.message; }
    await loadLists();
  } }, t("Save"));
  const download = el("a", { class: "btn btn-ghost", "data-action": "export", href: exportUrl(l.id), onclick: exportLeads,
    "aria-label": t("export the leads of {list} (CSV)", { list: l.name }) }, t("Export"));
  return el("tr", { "data-list": l.id, class: l.expired ? "muted" : "" }, el("td", {}, l.name, l.expired ? " " + t("(expired)") : ""),
    el("td", {}, enabled), el("td", {}, priority), el("td", {}, share), el("td", {}, expires), el("td", { class: "muted" }, counts), el("td", {}, save, " ", download));
}

// The lead export (GET /api/campaigns/{name}/leads/export): one list's leads, or the campaign's, with their results;
// downloaded, or what the server refused said under the list (a name the encoding chosen cannot hold).
function exportLeads(event) {
  event.preventDefault();
  openReport(event.currentTarget.href, $("export-msg"));
}

function exportUrl(listId) {
  const q = new URLSearchParams({ encoding: $("export-encoding").value });
  if (listId !== undefined) q.set("lists", String(listId));
  return `/api/campaigns/${enc(campaign())}/leads/export?${q}`;
}

async function loadLists() {
  if (!campaign()) return;
  const data = await api("GET", `/api/campaigns/${enc(campaign())}/lists`);
  $("lists-table").tBodies[0].replaceChildren(...data.items.map(listRow));
  $("export-all").href = exportUrl();
}

// The rules chosen in the rules table (also what a list's schedule applies: static/recycle-schedule.js).
export function chosenRules() {
  return [...$("rules-table").tBodies[0].rows].filter((r) => r.querySelector("[data-field=use]").checked)
    .map((r) => ({ outcome: r.dataset.outcome, older_than_minutes: Math.round(60 * Number(r.querySelector("[data-field=hours]").value || 0)) }));
}

function rulesBody(dryRun) {
  return { rules: chosenRules(), dry_run: dryRun };
}

async function recycle(dryRun) {
  const body = rulesBody(dryRun);
  if (!body.rules.length) { $("recycle-result").textContent = t("Choose at least one rule"); return; }
  try {
    const r = await api("POST", `/api/campaigns/${enc(campaign())}/recycle`, body);
    const byRule = Object.entries(r.by_rule).map(([k, v]) => `${word(k)}: ${v}`).join(", ");
    $("recycle-result").replaceChildren(el("p", { id: "recycle-count" }, dryRun ? tn("{n} lead would be recycled", "{n} leads would be recycled", r.recycled) : tn("{n} lead recycled", "{n} leads recycled", r.recycled)),
      el("p", { class: "muted" }, byRule));
    lastCount = dryRun ? JSON.stringify(body.rules) : null;
    $("btn-apply").disabled = !dryRun || r.recycled === 0;
    if (!dryRun) await loadLists();
  } catch (err) { $("recycle-result").textContent = err.message; }
}

$("rules-table").tBodies[0].replaceChildren(...OUTCOMES.map((o) => el("tr", { "data-outcome": o },
  el("td", {}, word(o)),
  el("td", {}, el("input", { type: "number", min: 0, step: "any", value: DEFAULT_RULES[o] ?? 24, "data-field": "hours", "aria-label": t("hours for {outcome}", { outcome: word(o) }) })),
  el("td", {}, el("input", { type: "checkbox", checked: o in DEFAULT_RULES, "data-field": "use", "aria-label": t("use {outcome}", { outcome: word(o) }) })))));
$("rules-table").addEventListener("change", () => { $("btn-apply").disabled = true; });
$("btn-count").onclick = () => recycle(true);
$("btn-apply").onclick = () => { if (lastCount === JSON.stringify(rulesBody(false).rules)) recycle(false); };
mountLeadSearch(campaign);
$("campaign").onchange = () => { $("btn-apply").disabled = true; loadLists(); };
$("export-encoding").onchange = loadLists;
$("export-all").onclick = exportLeads;

const campaigns = await api("GET", "/api/campaigns?limit=500");
$("campaign").replaceChildren(...campaigns.items.map((c) => el("option", { value: c.name }, c.name)));
await loadLists();
