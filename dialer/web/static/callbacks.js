// Dashboard: the callbacks to come (supervisors: their teams'), soonest first, overdue ones marked, how many are
// pending and overdue; a callback can be cancelled from the list. Refreshed every 30 s.
import { api, callbackWho, cancelCallback, el, when } from "./common.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const SHOWN = 20;

async function refresh() {
  let pending, overdue;
  try {
    [pending, overdue] = await Promise.all([
      api("GET", `/api/callbacks?state=pending&limit=${SHOWN}`),
      api("GET", "/api/callbacks?state=pending&overdue=true&limit=1"),
    ]);
  } catch (err) { $("cb-msg").textContent = err.message; return; }
  $("cb-summary").textContent = t("{pending} pending, {overdue} overdue", { pending: pending.total, overdue: overdue.total });
  $("cb-table").tBodies[0].replaceChildren(...pending.items.map((c) => el("tr", { "data-callback": c.id, class: c.overdue ? "overdue" : "" },
    el("td", {}, when(c.due_at)), el("td", {}, c.campaign), el("td", {}, callbackWho(c)), el("td", {}, c.agent || t("any agent")),
    el("td", {}, c.notes || ""),
    el("td", {}, el("button", { class: "btn btn-ghost btn-small", type: "button", onclick: () => cancel(c) }, t("Cancel"))))));
}

async function cancel(c) {
  try { $("cb-msg").textContent = await cancelCallback(c); } catch (err) { $("cb-msg").textContent = err.message; }
  refresh();
}

refresh();
setInterval(refresh, 30000);
