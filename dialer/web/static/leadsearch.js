// Lead search (number, name or external id) and a lead's attempt history: the lists page (managers) and the leads
// page (supervisors: the leads of their teams' campaigns and agents; the server decides, dialer.store.leadscope).
import { api, el, when } from "./common.js";
import { t, word } from "./i18n.js";

const $ = (id) => document.getElementById(id);

async function history(id) {
  const lead = await api("GET", `/api/leads/${id}`);
  $("lead-history").replaceChildren(el("h3", {}, t("Lead #{id}: {phone} · {status}", { id: lead.id, phone: lead.phone, status: word(lead.status) })),
    el("table", { class: "table", id: "history-table" },
      el("thead", {}, el("tr", {}, [t("Started"), t("Outcome"), t("Agent"), t("Disposition"), t("Notes")].map((h) => el("th", {}, h)))),
      el("tbody", {}, lead.history.map((a) => el("tr", {}, el("td", {}, when(a.started_at)), el("td", {}, a.outcome ? word(a.outcome) : "—"),
        el("td", {}, a.agent || "—"), el("td", {}, a.disposition || "—"), el("td", {}, a.notes || "")))) ));
}

// ``campaign()``: the campaign to search in ("" for every campaign the user may see).
export function mountLeadSearch(campaign) {
  $("search-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const params = new URLSearchParams({ q: $("search-q").value, limit: "50" });
    if (campaign()) params.set("campaign", campaign());
    const data = await api("GET", `/api/leads?${params}`);
    $("search-table").tBodies[0].replaceChildren(...data.items.map((l) =>
      el("tr", { "data-lead": l.id }, el("td", {}, el("button", { class: "btn btn-link", onclick: () => history(l.id) }, `#${l.id}`)),
        el("td", {}, [l.first_name, l.last_name].filter(Boolean).join(" ")), el("td", {}, l.phone), el("td", {}, word(l.status)),
        el("td", {}, t("{attempts} / {dials} dials", { attempts: l.attempts, dials: l.dials })), el("td", {}, l.list_id ?? "—"))));
    $("lead-history").replaceChildren();
    if (!data.items.length) $("lead-history").textContent = t("No lead found");
  };
}
