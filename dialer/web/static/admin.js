// User administration: users (create, disable, reset password, role, team), teams and their supervisors, the audit log.
import { api, el, when } from "./common.js";

const $ = (id) => document.getElementById(id);
const ROLES = ["agent", "supervisor", "manager", "admin"];
let teams = [];

function msg(text) { $("user-msg").textContent = text; }

async function change(name, body, done) {
  try { await api("PATCH", `/api/users/${encodeURIComponent(name)}`, body); msg(done); }
  catch (err) { msg(err.message); }
  await refresh();
}

function userRow(u) {
  const teamName = (teams.find((t) => t.id === u.team_id) || {}).name || "";
  const role = el("select", { "aria-label": `role of ${u.name}`, "data-field": "role", onchange: (ev) => change(u.name, { role: ev.target.value }, `${u.name} is now ${ev.target.value}`) },
    ROLES.map((r) => el("option", { value: r, selected: r === u.role }, r)));
  const team = el("select", { "aria-label": `team of ${u.name}`, "data-field": "team", onchange: (ev) => change(u.name, { team: ev.target.value }, `${u.name} moved to ${ev.target.value || "no team"}`) },
    el("option", { value: "" }, "—"), teams.map((t) => el("option", { value: t.name, selected: t.name === teamName }, t.name)));
  const toggle = el("button", { class: "btn " + (u.disabled ? "" : "btn-danger"), "data-action": u.disabled ? "enable" : "disable",
    onclick: () => change(u.name, { disabled: !u.disabled }, `${u.name} ${u.disabled ? "enabled" : "disabled"}`) }, u.disabled ? "Enable" : "Disable");
  const reset = el("button", { class: "btn btn-ghost", "data-action": "reset", onclick: () => {
    const pw = window.prompt(`New password for ${u.name} (at least 8 characters)`);
    if (pw) change(u.name, { password: pw }, `password of ${u.name} reset`);
  } }, "Reset password");
  return el("tr", { "data-user": u.name }, el("td", {}, u.name), el("td", {}, role), el("td", {}, team),
    el("td", { "data-field": "state" }, u.disabled ? "disabled" : "active"), el("td", {}, toggle, " ", reset));
}

function teamRow(t, users) {
  const candidates = users.filter((u) => u.role !== "agent");
  const sup = el("select", { multiple: true, "aria-label": `supervisors of ${t.name}`, size: Math.min(4, Math.max(2, candidates.length)) },
    candidates.map((u) => el("option", { value: u.name, selected: t.supervisors.includes(u.name) }, u.name)));
  const save = el("button", { class: "btn", onclick: async () => {
    const chosen = [...sup.selectedOptions].map((o) => o.value);
    try { await api("PUT", `/api/teams/${encodeURIComponent(t.name)}/supervisors`, { supervisors: chosen }); }
    catch (err) { msg(err.message); }
    await refresh();
  } }, "Save supervisors");
  return el("tr", { "data-team": t.name }, el("td", {}, t.name), el("td", {}, sup), el("td", {}, t.members.join(", ") || "—"), el("td", {}, save));
}

async function refresh() {
  const [users, teamList, audit] = await Promise.all([api("GET", "/api/users?limit=500"), api("GET", "/api/teams?limit=500"), api("GET", "/api/audit?limit=100")]);
  teams = teamList.items;
  $("users-table").tBodies[0].replaceChildren(...users.items.map(userRow));
  $("teams-table").tBodies[0].replaceChildren(...teams.map((t) => teamRow(t, users.items)));
  $("audit-table").tBodies[0].replaceChildren(...audit.items.map((e) =>
    el("tr", {}, el("td", {}, when(e.at)), el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.target), el("td", { class: "muted" }, JSON.stringify(e.detail)))));
}

$("user-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = { name: $("new-name").value, role: $("new-role").value, password: $("new-password").value };
  if ($("new-phone").value) body.phone = $("new-phone").value;
  try { await api("POST", "/api/users", body); msg(`${body.name} created`); ev.target.reset(); }
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
