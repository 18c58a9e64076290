// Campaigns (managers): each campaign's settings as its campaign file (TOML), checked (a dry run: what would change,
// or why it is refused) and saved; a new campaign starts from the selected one's file.
import { api, el, when } from "./common.js";
import { languagePicker, t, word } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const TOML = "application/toml";
let selected = null;  // the campaign whose file is in the editor

function say(text, bad = false) { const m = $("file-msg"); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

async function loadList() {
  const items = (await api("GET", "/api/campaigns?limit=500")).items;
  $("campaigns-table").tBodies[0].replaceChildren(...items.map((c) => el("tr", { "data-campaign": c.name, class: c.name === selected ? "selected" : "" },
    el("td", {}, el("button", { class: "btn btn-link", type: "button", onclick: () => open(c.name) }, c.name)),
    el("td", {}, el("span", { class: "pill pill-" + c.state }, word(c.state))), el("td", {}, word(c.dial_mode)),
    el("td", {}, c.description || ""), el("td", {}, when(c.updated_at)))));
  return items;
}

async function open(name) {
  try {
    $("file-text").value = await api("GET", `/api/campaigns/${encodeURIComponent(name)}/toml`);
    selected = name;
    $("file-name").textContent = name;
    say("");
    await loadList();
  } catch (err) { say(err.message, true); }
}

// The campaign the file is for: the editor's ``name = "…"`` line wins (a new campaign's name is written there).
function fileName() {
  const m = /^name\s*=\s*"([^"]*)"/m.exec($("file-text").value);
  return m ? m[1] : selected;
}

async function put(dryRun) {
  const name = fileName();
  if (!name) { say(t("The file names no campaign (name = \"…\")"), true); return; }
  try {
    const r = await api("PUT", `/api/campaigns/${encodeURIComponent(name)}${dryRun ? "?dry_run=true" : ""}`, $("file-text").value, TOML);
    if (dryRun) {
      say(r.created ? t("Valid: saving creates campaign {name}", { name })
        : r.changed.length ? t("Valid: saving changes {fields}", { fields: r.changed.join(", ") }) : t("Valid: nothing to change"));
    } else {
      say(r.created ? t("Campaign {name} created, not dialling: start it on the dashboard", { name })
        : r.changed.length ? t("Saved: {fields}", { fields: r.changed.join(", ") }) : t("Saved: nothing changed"));
      selected = name;
      $("file-name").textContent = name;
      await loadList();
    }
  } catch (err) { say(err.message, true); }
}

function startNew(ev) {
  ev.preventDefault();
  const name = $("new-name").value.trim();
  if (!selected) { say(t("Choose the campaign to start from first"), true); return; }
  $("file-text").value = $("file-text").value.replace(/^name\s*=\s*"[^"]*"/m, `name = "${name}"`);
  $("file-name").textContent = t("{name} (new, not saved)", { name });
  say(t("Edit the file, then Check and Save"));
}

async function start() {
  languagePicker(api);
  $("btn-check").addEventListener("click", () => put(true));
  $("btn-save").addEventListener("click", () => put(false));
  $("new-form").addEventListener("submit", startNew);
  const items = await loadList();
  const wanted = new URLSearchParams(location.search).get("campaign");
  const first = items.find((c) => c.name === wanted) || items[0];
  if (first) await open(first.name);
}

start();
