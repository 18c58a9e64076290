// User administration: users (create, disable, reset password, role, team, phone), teams and their supervisors, the audit
// log.
import { api, el, when } from "./common.js";
import { languagePicker, t } from "./i18n.js";

languagePicker(api); // the top bar's language, as on every page

const $ = (id) => document.getElementById(id);
const ROLES = ["agent", "supervisor", "manager", "admin"];
const ROLE_NAMES = { agent: t("Agent"), supervisor: t("Supervisor"), manager: t("Manager"), admin: t("Administrator") };
let teams = [];

function msg(text) { $("user-msg").textContent = text; }

async function change(name, body, done) {
  try { await api("PATCH", `/api/users/${encodeURIComponent(name)}`, body); msg(done); }
  catch (err) { msg(err.message); }
  await refresh();
}

function userRow(u) {
  const teamName = (teams.find((x) => x.id === u.team_id) || {}).name || "";
  const role = el("select", { "aria-label": t("role of {user}", { user: u.name }), "data-field": "role", onchange: (ev) => change(u.name, { role: ev.target.value }, t("{user} is now {role}", { user: u.name, role: ROLE_NAMES[ev.target.value] || ev.target.value })) },
    ROLES.map((r) => el("option", { value: r, selected: r === u.role }, ROLE_NAMES[r])));
  const team = el("select", { "aria-label": t("team of {user}", { user: u.name }), "data-field": "team", onchange: (ev) => change(u.name, { team: ev.target.value }, ev.target.value ? t("{user} moved to {team}", { user: u.name, team: ev.target.value }) : t("{user} moved to no team", { user: u.name })) },
    el("option", { value: "" }, "—"), teams.map((x) => el("option", { value: x.name, selected: x.name === teamName }, x.name)));
  const toggle = el("button", { class: "btn " + (u.disabled ? "" : "btn-danger"), "data-action": u.disabled ? "enable" : "disable",
    onclick: () => change(u.name, { disabled: !u.disabled }, u.disabled ? t("{user} enabled", { user: u.name }) : t("{user} disabled", { user: u.name })) }, u.disabled ? t("Enable") : t("Disable"));
  const reset = el("button", { class: "btn btn-ghost", "data-action": "reset", onclick: () => {
    const pw = window.prompt(t("New password for {user} (at least 8 characters)", { user: u.name }));
    if (pw) change(u.name, { password: pw }, t("password of {user} reset", { user: u.name }));
  } }, t("Reset password"));
  // The phone an agent's calls ring, or the one a supervisor listens on (Enter or leaving the field saves it).
  const phone = el("input", { "aria-label": t("phone of {user}", { user: u.name }), "data-field": "phone", value: u.phone || "", placeholder: "PJSIP/1001", size: 14 });
  const savePhone = () => {
    const value = phone.value.trim();
    if (value && value !== (u.phone || "")) change(u.name, { phone: value }, t("phone of {user}: {phone}", { user: u.name, phone: value }));
  };
  phone.addEventListener("change", savePhone);
  return el("tr", { "data-user": u.name }, el("td", {}, u.name), el("td", {}, role), el("td", {}, team), el("td", {}, phone),
    el("td", { "data-field": "state", "data-state": u.disabled ? "disabled" : "active" }, u.disabled ? t("disabled") : t("active")), el("td", {}, toggle, " ", reset));
}

function teamRow(team, users, campaigns) {
  const candidates = users.filter((u) => u.role !== "agent");
  const sup = el("select", { multiple: true, "aria-label": t("supervisors of {team}", { team: team.name }), size: Math.min(4, Math.max(2, candidates.length)) },
    candidates.map((u) => el("option", { value: u.name, selected: team.supervisors.includes(u.name) }, u.name)));
  const save = el("button", { class: "btn", onclick: async () => {
    const chosen = [...sup.selectedOptions].map((o) => o.value);
    try { await api("PUT", `/api/teams/${encodeURIComponent(team.name)}/supervisors`, { supervisors: chosen }); }
    catch (err) { msg(err.message); }
    await refresh();
  } }, t("Save supervisors"));
  // The campaigns the team works: its supervisors see those campaigns' leads.
  const works = el("select", { multiple: true, "data-field": "campaigns", "aria-label": t("campaigns of {team}", { team: team.name }), size: Math.min(4, Math.max(2, campaigns.length)) },
    campaigns.map((c) => el("option", { value: c.name, selected: (team.campaigns || []).includes(c.name) }, c.name)));
  const saveWorks = el("button", { class: "btn", "data-action": "save-campaigns", onclick: async () => {
    try { await api("PUT", `/api/teams/${encodeURIComponent(team.name)}/campaigns`, { campaigns: [...works.selectedOptions].map((o) => o.value) }); }
    catch (err) { msg(err.message); }
    await refresh();
  } }, t("Save campaigns"));
  return el("tr", { "data-team": team.name }, el("td", {}, team.name), el("td", {}, sup), el("td", {}, team.members.join(", ") || "—"), el("td", {}, save),
    el("td", {}, works), el("td", {}, saveWorks));
}

async function refresh() {
  const [users, teamList, audit, campaigns] = await Promise.all([api("GET", "/api/users?limit=500"), api("GET", "/api/teams?limit=500"), api("GET", "/api/audit?limit=100"), api("GET", "/api/campaigns?limit=500")]);
  teams = teamList.items;
  $("users-table").tBodies[0].replaceChildren(...users.items.map(userRow));
  $("teams-table").tBodies[0].replaceChildren(...teams.map((x) => teamRow(x, users.items, campaigns.items)));
  $("audit-table").tBodies[0].replaceChildren(...audit.items.map((e) =>
    el("tr", {}, el("td", {}, when(e.at)), el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.target), el("td", { class: "muted" }, JSON.stringify(e.detail)))));
}

$("user-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = { name: $("new-name").value, role: $("new-role").value, password: $("new-password").value };
  if ($("new-phone").value) body.phone = $("new-phone").value;
  try { await api("POST", "/api/users", body); msg(t("{user} created", { user: body.name })); ev.target.reset(); }
  catch (err) { msg(err.message); }
  await refresh();
};

$("team-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try { await api("POST", "/api/teams", { name: $("new-team").value }); ev.target.reset(); }
  catch (err) { msg(err.message); }
  await refresh();
};

await refresh();
