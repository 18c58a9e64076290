// Webhooks page: subscriptions (create, disable, delete) and deliveries (state, tries, last error, re-send).
import { api, el, when } from "./common.js";
import { languagePicker, t, word } from "./i18n.js";

languagePicker(api); // the top bar's language, as on every page

const $ = (id) => document.getElementById(id);

const EVERY_TYPE = () => t("Every type, those added later too");

// The events a subscription names, as the page shows them ("*": the wildcard).
const eventsText = (events) => (events.includes("*") ? EVERY_TYPE() + " (*)" : events.join(", "));

async function loadEvents() {
  const data = await api("GET", "/api/webhooks/events");
  const box = $("sub-events");
  // "*" (the default) subscribes to every type, those a later release adds too; unticked, the types ticked below.
  const all = el("input", { type: "checkbox", id: "ev-all", value: "*", checked: true });
  box.append(el("label", { class: "check", for: "ev-all" }, all, EVERY_TYPE()));
  for (const name of data.events) {
    const id = "ev-" + name;
    box.append(el("label", { class: "check", for: id }, el("input", { type: "checkbox", id, value: name, checked: true, disabled: true }), name));
  }
  all.addEventListener("change", () => {
    for (const one of box.querySelectorAll("input:not(#ev-all)")) one.disabled = all.checked;
  });
  $("allowed").textContent = data.allowed_destinations.length
    ? t("Allowed destinations: {hosts}", { hosts: data.allowed_destinations.join(", ") })
    : t("No destination is allowed yet: set [webhooks] allowed_destinations in the daemon's settings.");
}

async function loadSubscriptions() {
  const data = await api("GET", "/api/webhooks/subscriptions");
  const body = $("subs-table").querySelector("tbody");
  body.replaceChildren(...data.items.map((s) => el("tr", {},
    el("td", {}, String(s.id)),
    el("td", {}, s.campaign_id === null ? t("all") : String(s.campaign_id)),
    el("td", {}, s.url),
    el("td", {}, eventsText(s.events)),
    el("td", {}, s.enabled ? t("enabled") : t("disabled")),
    el("td", {},
      el("button", { class: "btn btn-ghost", type: "button", "data-toggle": s.id, "data-enabled": String(s.enabled) }, s.enabled ? t("Disable") : t("Enable")),
      el("button", { class: "btn btn-ghost", type: "button", "data-delete": s.id }, t("Delete"))))));
}

async function loadDeliveries() {
  const state = $("dl-state").value;
  const data = await api("GET", "/api/webhooks/deliveries" + (state ? `?state=${state}` : ""));
  $("counts").textContent = t("{pending} pending · {dead} dead · {delivered} delivered", data.counts);
  const body = $("dl-table").querySelector("tbody");
  body.replaceChildren(...data.items.map((d) => el("tr", {},
    el("td", {}, String(d.id)),
    el("td", { title: d.event_id }, d.event_id.slice(0, 8)),
    el("td", {}, d.event_type),
    el("td", {}, d.lead_id === null ? "" : String(d.lead_id)),
    el("td", {}, d.url),
    el("td", { class: "state-" + d.state }, word(d.state)),
    el("td", {}, String(d.attempts)),
    el("td", { title: d.last_error || "" }, d.last_error_text || d.last_error || ""),
    el("td", {}, d.state === "pending" ? when(d.next_attempt_at) : ""),
    el("td", {}, d.state === "pending" ? "" : el("button", { class: "btn btn-ghost", type: "button", "data-resend": d.id }, t("Re-send"))))));
}

$("sub-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const events = $("ev-all").checked ? ["*"] : [...$("sub-events").querySelectorAll("input:checked")].map((i) => i.value);
  const body = { url: $("sub-url").value, events };
  if ($("sub-campaign").value) body.campaign = $("sub-campaign").value;
  if ($("sub-description").value) body.description = $("sub-description").value;
  try {
    const sub = await api("POST", "/api/webhooks/subscriptions", body);
    $("sub-msg").replaceChildren(t("Subscribed. Signing secret (shown once):") + " ", el("span", { class: "secret" }, sub.secret));
    await loadSubscriptions();
  } catch (err) { $("sub-msg").textContent = err.message; }
});

$("subs-table").addEventListener("click", async (e) => {
  const b = e.target;
  try {
    if (b.dataset.toggle) await api("PATCH", `/api/webhooks/subscriptions/${b.dataset.toggle}`, { enabled: b.dataset.enabled !== "true" });
    if (b.dataset.delete && confirm(t("Delete this subscription? Its pending deliveries are dropped."))) await api("DELETE", `/api/webhooks/subscriptions/${b.dataset.delete}`);
    await loadSubscriptions();
  } catch (err) { $("sub-msg").textContent = err.message; }
});

$("dl-table").addEventListener("click", async (e) => {
  const id = e.target.dataset.resend;
  if (!id) return;
  try { await api("POST", `/api/webhooks/deliveries/${id}/resend`); $("dl-msg").textContent = t("delivery {id} queued again", { id }); await loadDeliveries(); }
  catch (err) { $("dl-msg").textContent = err.message; }
});

$("dl-state").addEventListener("change", loadDeliveries);
await loadEvents();
await loadSubscriptions();
await loadDeliveries();
setInterval(loadDeliveries, 5000);
