// "My recent calls" in the agent console: each call, and the ones left without my disposition (none, or only the
// campaign's timeout disposition) marked, with the campaign's dispositions to give one late
// (POST /api/agents/{me}/calls/{attempt}/disposition; the rule: dialer/campaign/late_disposition.py).
import { api, boot, el, when } from "./common.js";
import { t, word } from "./i18n.js";

const me = boot.user;

// What the call's disposition is, said so a timeout's or a late one is told apart from one given on the call.
function dispositionText(a) {
  if (a.late_disposition_at) return t("{code} (given later)", { code: a.disposition });
  if (a.disposition && a.disposition === a.timed_out_disposition) return t("{code} (wrap-up timer)", { code: a.disposition });
  return a.disposition || word(a.outcome) || "…";
}

// The form under a call awaiting my disposition: the campaign's disposition buttons, notes, a callback time.
function lateForm(a, id, onSaved) {
  const waiting = a.awaiting_disposition;
  const msg = el("p", { class: "msg", role: "status", "aria-live": "polite" });
  const notes = el("textarea", { rows: 2, "aria-label": t("Notes") });
  const callbackAt = el("input", { type: "datetime-local", "aria-label": t("Call back at") });
  const needsTime = waiting.dispositions.some((d) => d.schedules_callback);
  async function give(d) {
    if (d.schedules_callback && !callbackAt.value) { msg.textContent = t("Choose the callback time first"); msg.classList.add("error"); callbackAt.focus(); return; }
    const body = { code: d.code, notes: notes.value || null };
    if (d.schedules_callback) body.callback_at = new Date(callbackAt.value).toISOString();
    try {
      await api("POST", `/api/agents/${encodeURIComponent(me)}/calls/${a.id}/disposition`, body);
      msg.classList.remove("error");
      msg.textContent = t("Saved: {label}", { label: d.label ? t(d.label) : d.code });
      onSaved(t("Call {id} dispositioned: {label}", { id: a.id, label: d.label ? t(d.label) : d.code }));
    } catch (err) { msg.textContent = err.message; msg.classList.add("error"); }
  }
  const buttons = waiting.dispositions.map((d) => {
    const cls = ["btn", "btn-small", d.final ? "final" : "", d.is_dnc ? "dnc" : "", d.schedules_callback ? "callback" : ""].join(" ");
    return el("button", { class: cls, type: "button", "data-late-code": d.code, onclick: () => give(d) }, d.label ? t(d.label) : d.code);
  });
  return el("div", { class: "late-dispo", id, role: "group", "aria-label": t("Disposition of call {id}", { id: a.id }), hidden: true },
    el("p", { class: "muted" }, t("Until {time}", { time: when(waiting.until) })),
    el("div", { class: "dispo-buttons" }, buttons),
    el("label", {}, t("Notes"), " ", notes),
    needsTime ? el("label", {}, t("Call back at"), " ", callbackAt) : null,
    msg);
}

// One call of the list; ``onSaved(sentence)`` after a late disposition (the console reloads the list).
export function recentCallItem(a, onSaved) {
  const said = dispositionText(a);
  const parts = [el("span", {}, when(a.started_at)), el("span", { class: "grow", title: said }, " " + said)];
  if (!a.awaiting_disposition) return el("li", { "data-attempt": a.id }, ...parts);
  const formId = `late-dispo-${a.id}`;
  const form = lateForm(a, formId, onSaved);
  const toggle = el("button", { class: "btn btn-ghost btn-small", type: "button", "aria-expanded": "false", "aria-controls": formId,
    "aria-label": t("Disposition call {id} of {time}", { id: a.id, time: when(a.started_at) }) }, t("Disposition"));
  function show(open) {
    form.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) form.querySelector("button").focus(); else toggle.focus();
  }
  toggle.onclick = () => show(form.hidden);
  form.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { show(false); ev.preventDefault(); } });
  const badge = el("span", { class: "awaiting-badge" }, t("awaiting your disposition"));
  return el("li", { "data-attempt": a.id, class: "awaiting" }, ...parts, toggle, badge, form);
}
