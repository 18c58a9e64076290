// Dashboard (managers): the wallboard TVs' tokens. Create one (a name; optionally teams, campaigns, a language):
// its address is shown once, to open on the TV; revoke one and its TVs stop showing the board at once.
import { api, el, managing, when } from "./common.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function say(text, bad = false) { const m = $("wbt-msg"); m.textContent = text; m.className = "msg" + (bad ? " error" : ""); }

const names = (id) => $(id).value.split(",").map((s) => s.trim()).filter(Boolean);

async function load() {
  const tokens = await api("GET", "/api/wallboard-tokens");
  $("wbt-table").tBodies[0].replaceChildren(...tokens.map((w) => el("tr", { "data-token": w.name },
    el("td", {}, w.name), el("td", {}, w.teams.join(", ") || t("all")), el("td", {}, w.campaigns.join(", ") || t("all")),
    el("td", {}, `${when(w.created_at)} · ${w.created_by}`),
    el("td", {}, w.revoked ? t("revoked {time}", { time: when(w.revoked_at) }) : t("active")),
    el("td", {}, w.revoked ? "" : el("button", { class: "btn btn-danger", type: "button", onclick: () => revoke(w) }, t("Revoke"))))));
}

async function revoke(w) {
  if (!confirm(t("Revoke the wallboard token {name}? Its TVs stop showing the board at once.", { name: w.name }))) return;
  try { await api("DELETE", `/api/wallboard-tokens/${w.id}`); say(t("Revoked {name}", { name: w.name })); await load(); }
  catch (err) { say(err.message, true); }
}

async function create(ev) {
  ev.preventDefault();
  const body = { name: $("wbt-name").value.trim(), teams: names("wbt-teams"), campaigns: names("wbt-campaigns") };
  if ($("wbt-language").value) body.language = $("wbt-language").value;
  try {
    const made = await api("POST", "/api/wallboard-tokens", body);
    $("wbt-link").textContent = location.origin + made.url;
    $("wbt-url").hidden = false;
    say(t("Created {name}", { name: made.name }));
    $("wbt-form").reset();
    await load();
  } catch (err) { say(err.message, true); }
}

// Each language by its own name (the same in every language: not translated).
const LANGUAGES = [["en", "English"], ["ja", "日本語"], ["zh-CN", "简体中文"], ["zh-Hant", "繁體中文"]];

if (managing) {
  $("wbt-language").append(...LANGUAGES.map(([code, name]) => el("option", { value: code }, name)));
  $("wbt-form").addEventListener("submit", create);
  load().catch((err) => say(err.message, true));
}
