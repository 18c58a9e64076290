// Quality evaluations: the scorecard form beside the dashboard's recording player (Evaluate), and the agent
// console's "My evaluations". The score itself is the server's (dialer.quality.scoring).
import { api, boot, el, when } from "./common.js";
import { number, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function say(id, text, bad = false) { const m = $(id); m.textContent = text; m.className = "msg" + (bad ? " msg-bad" : ""); }

export function scoreText(e) {
  return e.critical_failed ? t("{score} (critical failure)", { score: number(e.score, 1) }) : number(e.score, 1);
}

// One criterion as a group of radio buttons (arrow keys move between them): yes/no or 0..max, N/A when allowed.
function criterionField(c, answer) {
  const name = `ev-${c.id}`;
  const options = c.kind === "scale"
    ? Array.from({ length: c.max + 1 }, (_, i) => [String(i), String(i)])
    : [["true", t("Yes")], ["false", t("No")]];
  if (!c.critical) options.push(["null", t("N/A")]);
  const given = answer === undefined ? undefined : JSON.stringify(answer);
  return el("fieldset", { class: "ev-criterion", "data-criterion": c.id },
    el("legend", {}, c.label, c.critical ? el("span", { class: "badge" }, " " + t("critical")) : null),
    c.description ? el("p", { class: "muted" }, c.description) : null,
    ...options.map(([value, label]) => el("label", { class: "ev-option" },
      el("input", { type: "radio", name, value, required: true, checked: given === value }), " ", label)));
}

// The scorecard form of a recorded call (``rec``: a recordings list item), filled with my earlier evaluation.
export async function openEvaluation(rec, onSaved) {
  const box = $("ev-box");
  const form = $("ev-form");
  say("ev-msg", "");
  try {
    const card = await api("GET", `/api/campaigns/${encodeURIComponent(rec.campaign)}/scorecard`);
    const mine = (await api("GET", `/api/calls/${rec.attempt_id}/evaluations?limit=100`)).items.find((e) => e.evaluator === boot.user);
    $("ev-title").textContent = t("Evaluate call {id} ({agent})", { id: rec.attempt_id, agent: rec.agent || "" });
    $("ev-criteria").replaceChildren(...card.criteria.map((c) => criterionField(c, mine ? mine.answers[c.id] : undefined)));
    $("ev-comment").value = mine ? mine.comment || "" : "";
    form.dataset.attempt = rec.attempt_id;
    form.onsubmit = (ev) => { ev.preventDefault(); saveEvaluation(card, onSaved); };
    $("ev-cancel").onclick = () => { box.hidden = true; };
    box.hidden = false;
    const first = form.querySelector("input");
    if (first) first.focus();
  } catch (e) { say("ev-msg", e.message, true); box.hidden = false; }
}

async function saveEvaluation(card, onSaved) {
  const form = $("ev-form");
  const answers = {};
  for (const c of card.criteria) {
    const picked = form.querySelector(`input[name="ev-${c.id}"]:checked`);
    if (!picked) { say("ev-msg", t("Answer every criterion: {label}", { label: c.label }), true); return; }
    answers[c.id] = JSON.parse(picked.value);
  }
  try {
    const saved = await api("PUT", `/api/calls/${form.dataset.attempt}/evaluation`, { answers, comment: $("ev-comment").value });
    say("ev-msg", t("Saved: score {score}", { score: scoreText(saved) }));
    if (onSaved) onSaved(saved);
  } catch (e) { say("ev-msg", e.message, true); }
}

// The agent console's "My evaluations": my latest, with the score, critical failures and the evaluator's comment.
export async function loadMyEvaluations(list) {
  let data;
  try { data = await api("GET", `/api/evaluations?agent=${encodeURIComponent(boot.user)}&limit=5`); } catch (_) { return; }
  const items = data.items.map((e) => el("li", { "data-evaluation": e.id, class: e.critical_failed ? "overdue" : "" },
    el("span", {}, when(e.created_at)),
    el("span", { class: "grow" }, " " + t("Score {score} by {evaluator}", { score: scoreText(e), evaluator: e.evaluator })),
    e.comment ? el("q", { class: "ev-comment" }, e.comment) : null));
  list.replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, t("No evaluation yet"))]));
}
