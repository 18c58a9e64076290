// Agent console, in wrap-up: "ready in N s" -- one of the buttons, or a typed whole number of seconds (Alt+I, the
// number, Enter). The server checks the number (whole seconds, the range of dialer/agents/ready.py) and refuses a
// bad one with a problem whose sentence is shown here; nothing changes then. Accepted, the wrap-up timer counts
// down to the announced time (console.js), and the pacer counts on the agent from then.
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

// ``announce(seconds)``: POST it, show the agent's new state; throws the API's refusal.
export function readyInControls(announce) {
  const form = $("ready-in");
  const box = $("ready-in-seconds");
  const msg = $("ready-in-msg");
  const buttons = [...form.querySelectorAll("button[data-ready-seconds]")];
  const controls = [...buttons, box, $("btn-ready-typed")];

  function say(text, error = false) { msg.textContent = text; msg.classList.toggle("error", error); }

  async function send(seconds) {
    try {
      await announce(seconds);
      say(t("Announced: ready in {n} s", { n: seconds }));
      box.value = "";
    } catch (err) {
      say(err.message, true);
      box.focus(); box.select();
    }
  }

  for (const button of buttons) button.addEventListener("click", () => send(Number(button.dataset.readySeconds)));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = box.value.trim();
    // Not a number at all (the browser keeps no value for it): the server's sentence says what is wanted.
    if (text === "" && !box.validity.badInput) { say(t("Type the number of seconds until you are ready"), true); box.focus(); return; }
    send(text === "" ? null : Number(text));
  });
  box.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") { box.value = ""; say(""); box.blur(); ev.preventDefault(); }
  });
  document.addEventListener("keydown", (ev) => {
    if (!ev.altKey || ev.key.toLowerCase() !== "i" || form.closest("[hidden]") || box.disabled) return;
    box.focus(); box.select(); ev.preventDefault();
  });

  return {
    // Usable in wrap-up only; leaving it clears the last message.
    show(inWrapup) {
      for (const c of controls) c.disabled = !inWrapup;
      if (!inWrapup) say("");
    },
  };
}
