// CRM screen pop (issue 18): when a call connects, open the campaign's CRM page for its lead -- in a named tab,
// or in a frame of this console. The server fills the campaign's [crm] popup_url template and hands out only
// allow-listed URLs; the console's CSP lets exactly those hosts be framed.
import { api, boot, el, onCallChange } from "./common.js";
import { t } from "./i18n.js";

const me = boot.user;
let shown = null;  // the attempt whose CRM page is open

function banner(url, why) {
  let box = document.getElementById("crm-pop");
  if (!box) {
    box = el("section", { id: "crm-pop", class: "card crm-pop", "aria-label": "CRM" });
    document.querySelector("main").append(box);
  }
  box.replaceChildren(el("h2", {}, "CRM"));
  if (url) box.append(el("a", { href: url, target: "dialer-crm", rel: "noopener noreferrer" }, t("Open the CRM page")));
  if (why) box.append(el("p", { class: "muted" }, why));
  return box;
}

function frame(url) {
  const box = banner(null, null);
  box.append(el("iframe", {
    src: url, title: "CRM", class: "crm-frame", referrerpolicy: "no-referrer",
    sandbox: "allow-scripts allow-forms allow-same-origin allow-popups",
  }));
}

// The CRM tab, without a way back to this console (no opener). window.open(url, name, "noopener") returns null
// whether or not the tab opened, so the tab is opened blank, cut from its opener, then sent to the CRM.
function openTab(url) {
  const tab = window.open("", "dialer-crm");
  if (!tab) return false;
  try { tab.opener = null; } catch (err) { /* the CRM tab of an earlier call: already cut from the console */ }
  tab.location.href = url;
  return true;
}

async function poll() {
  try {
    const pop = await api("GET", `/api/agents/${encodeURIComponent(me)}/crm`);
    if (!pop.url || pop.attempt_id === shown) {
      if (!pop.attempt_id && shown !== null) { shown = null; document.getElementById("crm-pop")?.remove(); }
      return;
    }
    shown = pop.attempt_id;
    if (pop.mode === "frame") { frame(pop.url); return; }
    // A blocked pop-up (no user gesture) leaves a link to click instead.
    banner(pop.url, openTab(pop.url) ? t("opened in the CRM tab") : t("the browser blocked the pop-up: open it here"));
  } catch (err) {
    // the console shows connection problems itself; try again at the next poll
  }
}

// Read on connect (the screen pop, the agent's new state), not every few seconds.
onCallChange(poll);
poll();
