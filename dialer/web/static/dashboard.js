// Manager dashboard: every campaign live (pushed over the WebSocket once a second), agents, lead upload.
import { api, clock, el, live, managing, openReport, pct, publishLive, setLive } from "./common.js";
import { lineChart } from "./chart.js";
import { languagePicker, number, t, tn, word } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const STATE_COLORS = { ready: "#18a058", talking: "#2f6fe4", wrapup: "#a35ee8", paused: "#e59a12", ringing: "#12a5b8", logged_out: "#9aa3b5" };
const LEAD_COLORS = { new: "#3557d4", retry: "#12a5b8", callback: "#e59a12", in_call: "#2f6fe4", done: "#18a058", archived: "#9aa3b5", dnc: "#d64545", exhausted: "#6b7385" };
const history = new Map();  // campaign -> [{t, rate, inflight, talking, abandon}]
const cards = new Map();
// What bounds an agentless campaign's calls up (its last decision's reason), listed for the catalogue extractor.
const BOUNDS = { target: t("the target finish"), channels: t("the channel cap"), agents: t("the transfer queue's agents"), cps: t("the calls-per-second budget"), done: t("nothing left to dial now") };

// A report link: the report is checked before anything opens (openReport); a refusal is said in ``box``, beside the
// link. A click that asks for a new tab or window itself (middle button, a modifier key) is the browser's.
function reportClick(box) {
  return (ev) => {
    if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    openReport(ev.currentTarget.href, box);
  };
}
// Per campaign, the line its report links' refusals are said on (one node: the card is rebuilt every second).
const reportMsgs = new Map();
function reportMsg(campaign) {
  if (!reportMsgs.has(campaign)) reportMsgs.set(campaign, el("p", { class: "msg error", role: "alert", "data-field": "report-problem", hidden: true }));
  return reportMsgs.get(campaign);
}

function kpi(label, value, sub = "", alert = false) {
  return el("div", { class: "kpi" + (alert ? " alert" : "") }, el("div", { class: "label" }, label), el("div", { class: "value" }, value), el("div", { class: "sub" }, sub));
}

function gauge(rate, cap) {
  const ratio = cap ? rate / cap : 0;
  const cls = ratio >= 1 ? "over" : ratio >= 0.8 ? "warn" : "";
  return el("div", { class: "gauge" }, el("div", { class: cls, style: `width:${Math.min(100, 100 * ratio)}%` }));
}

function hbars(counts, colors) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) =>
    el("div", { class: "hbar" }, el("span", {}, word(k)),
      el("div", { class: "track" }, el("div", { class: "fill", style: `width:max(3px, ${(100 * v) / total}%);background:${colors[k] || "#3557d4"}` })),
      el("span", { class: "num" }, number(v))));
}

function campaignCard(c) {
  let card = cards.get(c.campaign);
  if (!card) {
    card = el("section", { class: "card campaign", "data-campaign": c.campaign });
    cards.set(c.campaign, card);
    $("campaigns").append(card);
  }
  const h = history.get(c.campaign) || [];
  const talking = (c.agents_by_state || {}).talking || 0;
  h.push({ t: Date.now() / 1000, rate: c.dial_rate_per_minute, inflight: c.calls_in_flight, talking, abandon: c.abandon_window.rate });
  while (h.length > 600) h.shift();
  history.set(c.campaign, h);
  const aw = c.abandon_window, a30 = c.abandon_30d || { rate: 0, live_answers: 0, abandoned: 0 };
  const p = c.pacing || {};
  const why = c.why_not_dialing;
  const leads = c.leads || { by_status: {}, total: 0, due_now: 0 };
  const left = ["new", "retry", "callback"].reduce((n, s) => n + (leads.by_status[s] || 0), 0);
  const action = (verb) => el("button", { class: "btn" + (verb === "stop" ? " btn-danger" : ""), type: "button", onclick: () => control(c.campaign, verb) }, { start: t("Start"), pause: t("Pause"), stop: t("Stop") }[verb]);
  const report = (kind, label) => el("a", { class: "btn btn-link", href: `/api/reports/${kind}/${encodeURIComponent(c.campaign)}?format=html`, target: "_blank", rel: "noopener", onclick: reportClick(reportMsg(c.campaign)) }, label);
  const ag = c.agentless;  // null for a campaign with agents
  const decision = ag && ag.last_decision;

  const rateSvg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  const abSvg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  card.replaceChildren(
    el("div", { class: "camp-head" }, el("h2", {}, c.campaign), el("span", { class: "pill pill-" + c.state, "data-field": "state" }, word(c.state)),
      el("span", { class: "muted", "data-field": "mode" }, ag ? t("agentless · IVR flow {flow} · transfers to queue {queue}", { flow: ag.flow || "—", queue: c.queue }) : t("{mode} · queue {queue}", { mode: word(c.dial_mode), queue: c.queue })),
      // A campaign's reports and controls are the managers' (a supervisor reads their teams on /teams).
      managing ? el("div", { class: "camp-actions" },
        report("compliance", t("Compliance report")),
        report("performance", t("Performance report")),
        ag ? report("ivr", t("IVR report")) : null,
        el("a", { class: "btn btn-link", href: `/api/reports/calls/${encodeURIComponent(c.campaign)}?format=csv`, onclick: reportClick(reportMsg(c.campaign)) }, t("Calls CSV")),
        action("start"), action("pause"), action("stop")) : null),
    managing ? reportMsg(c.campaign) : "",  // (replaceChildren writes a null as the text "null")
    el("div", { class: "why" + (why ? "" : " ok"), "data-field": "why" }, why ? [el("strong", {}, (c.calls_in_flight > 0 || c.dial_rate_per_minute > 0 ? t("Holding new calls:") : t("Not dialling:")) + " " + word(why.code)), " — " + why.detail,
      Object.keys(why.breakdown || {}).length ? el("span", { class: "muted" }, " (" + Object.entries(why.breakdown).map(([k, v]) => `${word(k)} ${number(v)}`).join(", ") + ")") : null]
      : [el("strong", {}, t("Dialling")), " — " + (p.reason || t("pacing normally"))]),
    el("div", { class: "kpis" },
      kpi(t("Calls in flight"), number(c.calls_in_flight), ag ? t("of {max} channels", { max: number(ag.max_channels) }) : t("{n} asked last tick", { n: number(c.last_decision_calls) })),
      kpi(t("Dial rate"), number(c.dial_rate_per_minute, 1), ag ? t("calls / minute · at most {cps} a second", { cps: number(ag.calls_per_second) }) : t("calls / minute")),
      (() => { const k = kpi(t("Abandon 24 h"), pct(a30.day_rate), t("{abandoned} of {live} live · cap {cap}", { abandoned: number(a30.day_abandoned), live: number(a30.day_live_answers), cap: pct(aw.cap, 0) }), a30.day_rate > aw.cap); k.append(gauge(a30.day_rate, aw.cap)); return k; })(),
      (() => { const k = kpi(aw.hours >= 48 ? t("Pacer window {n} d", { n: aw.hours / 24 }) : t("Pacer window {n} h", { n: aw.hours }), pct(aw.rate), t("{abandoned} of {live} live (compliance window)", { abandoned: number(aw.abandoned), live: number(aw.live_answers) }), aw.rate > aw.cap); k.append(gauge(aw.rate, aw.cap)); return k; })(),
      (() => { const k = kpi(t("Abandon 30 d"), pct(a30.rate), t("{abandoned} of {live} live", { abandoned: number(a30.abandoned), live: number(a30.live_answers) }), a30.rate > aw.cap); k.append(gauge(a30.rate, aw.cap)); return k; })(),
      kpi(t("Contact rate"), pct(c.contact_rate), t("{connected} connected / {attempts} dials", { connected: number(c.counters.connected), attempts: number(c.counters.attempts) })),
      ag ? agentlessFinish(ag, decision)
        : kpi(t("Pacing level"), p.applied_level !== undefined && p.applied_level !== null ? number(p.applied_level, 2) : "—", word(p.effective_mode || c.dial_mode)),
      kpi(t("Leads left"), number(left), t("{due} due now of {total}", { due: number(leads.due_now || 0), total: number(leads.total || 0) })),
      kpi(ag ? t("Agents for transfers") : t("Agents"), number(Object.values(c.agents_by_state || {}).reduce((a, b) => a + b, 0)), Object.entries(c.agents_by_state || {}).map(([k, v]) => `${number(v)} ${word(k)}`).join(" · "))),
    ag ? el("p", { class: "pacing" }, el("strong", {}, t("Pacing:") + " "), decision ? tn("{n} call up wanted, bound by {bound}", "{n} calls up wanted, bound by {bound}", decision.concurrency, { bound: BOUNDS[decision.reason] || decision.reason }) : t("no decision yet"))
      : el("p", { class: "pacing" }, el("strong", {}, t("Pacing:") + " "), p.reason || t("no decision yet"), p.guard ? " " + t("(guard: {guard})", { guard: word(p.guard) }) : ""),
    el("div", { class: "charts" },
      el("div", { class: "chart" }, el("h3", {}, ag ? t("Dial rate, calls in flight, transfer agents talking") : t("Dial rate, calls in flight, agents talking")),
        el("div", { class: "legend" }, el("span", {}, el("i", { class: "swatch", style: "background:#3557d4" }), t("dials/min")), el("span", {}, el("i", { class: "swatch", style: "background:#12a5b8" }), t("in flight")), el("span", {}, el("i", { class: "swatch", style: "background:#a35ee8" }), t("talking"))), rateSvg),
      el("div", { class: "chart" }, el("h3", {}, t("Abandon rate (pacer window) vs cap")), abSvg),
      el("div", { class: "chart" }, el("h3", {}, t("Leads by status")), ...hbars(leads.by_status || {}, LEAD_COLORS))));
  lineChart(rateSvg, [
    { color: "#3557d4", fill: true, points: h.map((x) => [x.t, x.rate]) },
    { color: "#12a5b8", points: h.map((x) => [x.t, x.inflight]) },
    { color: "#a35ee8", points: h.map((x) => [x.t, x.talking]) }]);
  lineChart(abSvg, [{ color: "#d64545", fill: true, points: h.map((x) => [x.t, x.abandon * 100]) }], { cap: aw.cap * 100, yMax: Math.max(aw.cap * 100 * 1.3, ...h.map((x) => x.abandon * 100)), yFormat: (v) => v.toFixed(1) + "%" });
}

// An agentless campaign's target finish (today, in the campaign's zone) and whether its last decision was on track.
function agentlessFinish(ag, decision) {
  if (!ag.target_finish) return kpi(t("Target finish"), "—", t("as fast as the channels allow"));
  const late = decision && !decision.on_track;
  const state = !decision ? t("no decision yet") : late ? t("behind: the list will not finish by then") : t("on track");
  const k = kpi(t("Target finish"), ag.target_finish, [ag.timezone, state].filter(Boolean).join(" · "), late);
  k.dataset.field = "finish";
  return k;
}

function agentsTable(agents, campaigns, counts, hands, silent) {
  // The dispositions by code, shown by their campaigns' labels (the defaults' in the UI's language).
  const labels = Object.assign({}, ...campaigns.map((c) => c.disposition_labels || {}));
  // Several daemons share the floor: each row says which one serves the agent's console (their actions are there).
  const daemons = new Set(agents.map((a) => a.daemon));
  $("agent-summary").replaceChildren(...Object.entries(counts).map(([k, v]) => el("span", { class: "pill pill-" + k }, `${number(v)} ${word(k)}`)),
    ...(hands ? [el("span", { class: "pill pill-hand", id: "hands-raised" }, tn("{n} hand raised", "{n} hands raised", hands))] : []),
    ...silent.map((d) => el("span", { class: "pill pill-paused pill-sentence", "data-silent-daemon": d.daemon, title: d.agents.join(", ") },
      tn("daemon {daemon} not reporting: {n} agent not shown", "daemon {daemon} not reporting: {n} agents not shown", d.agents.length, { daemon: d.daemon }))));
  $("agents-table").tBodies[0].replaceChildren(...agents.map((a) => el("tr", {},
    el("td", {}, a.agent_id, daemons.size > 1 ? el("span", { class: "muted", "data-daemon": a.daemon, title: t("served by daemon {daemon}", { daemon: a.daemon }) }, ` · ${a.daemon}`) : ""), el("td", {}, el("span", { class: "pill pill-" + a.status }, a.status === "paused" && a.pause_reason ? `${word("paused")} · ${word(a.pause_reason)}` : word(a.status)),
      a.wrapup_overdue_seconds ? el("span", { class: "overdue", title: t("A disposition ends this wrap-up") }, " " + t("overdue {time}", { time: clock(a.wrapup_overdue_seconds) })) : "",
      a.pause_overdue_seconds ? el("span", { class: "overdue", title: t("Longer than this pause code allows") }, " " + t("overdue {time}", { time: clock(a.pause_overdue_seconds) })) : ""),
    el("td", { class: "hand-cell" }, a.hand ? el("span", { class: "hand", "data-hand": a.agent_id, title: a.hand.note || "" },
      t("raised {time}", { time: clock(a.hand.raised_seconds) }) + (a.hand.note ? ` · ${a.hand.note}` : "")) : ""),
    el("td", { class: "num" }, clock(a.seconds_in_state)), el("td", { class: "num" }, clock(a.talk_seconds)), el("td", { class: "num" }, clock(a.wrap_seconds)),
    el("td", { class: "num" }, clock(a.pause_seconds)), el("td", { class: "num" }, a.calls),
    el("td", {}, Object.entries(a.dispositions || {}).map(([k, v]) => `${labels[k] ? word(labels[k]) : k} ${number(v)}`).join(", ")))));
}

// Inbound queues: callers waiting now and the last hour's service level (dialer.inbound.figures defines them).
function inboundCard(queues, rule) {
  $("inbound-card").hidden = !queues.length;
  if (!queues.length) return;
  $("in-rule").textContent = t("service level: {target} answered within {seconds} s, last hour", { target: pct(rule.target, 0), seconds: number(rule.answer_within_seconds) });
  const midnight = new Date(); midnight.setHours(0, 0, 0, 0);
  $("in-report").href = `/api/reports/inbound?format=html&from=${encodeURIComponent(midnight.toISOString())}`;
  $("inbound-queues").replaceChildren(...queues.map((q) => {
    const h = q.last_hour;
    const late = q.longest_waiting_seconds !== null && q.longest_waiting_seconds > rule.answer_within_seconds;
    const below = h.service_level !== null && h.service_level < rule.target;
    const lost = [t("{n} short", { n: number(h.short_abandoned) }), t("{n} timed out", { n: number(h.timed_out) }), t("{n} refused", { n: number(h.refused) })].join(" · ");
    return el("div", { class: "inbound-queue", "data-queue": q.queue }, el("h3", {}, q.queue), el("div", { class: "kpis" },
      kpi(t("Waiting now"), number(q.waiting), t("longest {time}", { time: clock(q.longest_waiting_seconds) }), late),
      kpi(t("Service level"), h.service_level === null ? "—" : pct(h.service_level), t("{n} of {m} answered in time", { n: number(h.answered_within), m: number(h.offered - h.short_abandoned) }), below),
      kpi(t("Offered"), number(h.offered), t("{n} answered", { n: number(h.answered) })),
      kpi(t("Abandoned"), number(h.abandoned), lost),
      kpi(t("ASA"), clock(h.average_speed_of_answer), t("longest wait {time}", { time: clock(h.longest_wait_seconds) }))));
  }));
}

function render(doc) {
  for (const c of doc.campaigns) campaignCard(c);
  inboundCard(doc.inbound || [], doc.service_level_rule || {});
  agentsTable(doc.agents, doc.campaigns, doc.agents_by_state || {}, doc.hands_raised || 0, doc.daemons_not_reporting || []);  // counted once, server-side
  $("updated").textContent = t("updated {time}", { time: new Date().toLocaleTimeString(document.documentElement.lang) });
  const select = $("upload-campaign");
  if (select.options.length !== doc.campaigns.length) select.replaceChildren(...doc.campaigns.map((c) => el("option", { value: c.campaign }, c.campaign)));
}

async function control(name, verb) {
  try { await api("POST", `/api/campaigns/${encodeURIComponent(name)}/${verb}`); }
  catch (err) { alert(err.message); }
}

// ---- lead upload: preview the mapping, adjust it, import, show the report
const FIELDS = ["phone", "alt_phone", "first_name", "last_name", "name", "email", "postal_code", "priority", "external_id", "skip"];
let mapping = {};
let encoding = "";  // "": detected by the server; else the manager's choice

// The detected encoding, and a choice of another one (the preview is read again with it).
function encodingChoice(data) {
  const select = el("select", { id: "encoding-choice", "aria-label": t("Encoding"), onchange: (ev) => { encoding = ev.target.value; preview(); } },
    el("option", { value: "", selected: !encoding }, data.encoding_detected === false || !data.encoding ? t("detect") : t("detected: {encoding}", { encoding: data.encoding })),
    ...(data.encodings || []).map((e) => el("option", { value: e, selected: e === encoding }, e)));
  return el("label", {}, t("Encoding") + " ", select);
}

function form(withMapping) {
  const fd = new FormData();
  fd.append("file", $("upload-file").files[0]);
  if (withMapping) fd.append("mapping", JSON.stringify(mapping));
  if (encoding) fd.append("encoding", encoding);
  return fd;
}

async function preview() {
  if (!$("upload-file").files.length) { $("import-report").textContent = t("Choose a CSV file first"); return; }
  try {
    const data = await api("POST", `/api/campaigns/${encodeURIComponent($("upload-campaign").value)}/lead-lists/preview`, form(Object.keys(mapping).length > 0));
    const rows = data.columns.map((col) => {
      const known = FIELDS.includes(col.field) ? col.field : "custom";
      const select = el("select", { "aria-label": t("field for {column}", { column: col.column }), onchange: (ev) => { mapping[col.column] = ev.target.value === "custom" ? col.column : ev.target.value; } },
        [...FIELDS, "custom"].map((f) => el("option", { value: f, selected: f === known }, f === "custom" ? t("custom field “{column}”", { column: col.column }) : f)));
      return el("tr", {}, el("td", {}, col.column), el("td", {}, select), el("td", { class: "muted" }, (data.sample[0] && (col.field === "phone" ? data.sample[0].phone : (data.sample[0].fields || {})[col.field])) || ""));
    });
    $("mapping").replaceChildren(el("p", { class: "muted", id: "detected-encoding" }, t("{file}: {encoding}, delimiter “{delimiter}”, {rows} sample rows, {bad} bad in the sample", { file: data.file, encoding: data.encoding, delimiter: data.delimiter, rows: data.sample.length, bad: data.sample_errors.length })),
      encodingChoice(data),
      el("table", { class: "table", id: "mapping-table" }, el("thead", {}, el("tr", {}, el("th", {}, t("Column")), el("th", {}, t("Maps to")), el("th", {}, t("First row")))), el("tbody", {}, rows)));
    $("btn-import").disabled = false;
  } catch (err) {
    $("import-report").textContent = err.message;
    // Encoding not recognised: offer the choices so the manager can name it.
    if (err.problem && err.problem.encodings) $("mapping").replaceChildren(encodingChoice({ encodings: err.problem.encodings }));
  }
}

async function upload(ev) {
  ev.preventDefault();
  $("btn-import").disabled = true;
  try {
    const r = await api("POST", `/api/campaigns/${encodeURIComponent($("upload-campaign").value)}/lead-lists`, form(true));
    $("import-report").replaceChildren(el("div", { class: "report", id: "report-figures" },
      kpi(t("Rows"), number(r.rows)), kpi(t("Imported"), number(r.imported)), kpi(t("Duplicates"), number(r.duplicates)), kpi(t("Invalid"), number(r.invalid), "", r.invalid > 0), kpi(t("On DNC"), number(r.dnc))),
      el("p", {}, el("a", { href: r.errors_url, download: "", id: "errors-link" }, t("Download the error report (CSV)"))));
  } catch (err) { $("import-report").textContent = err.message; }
  $("btn-import").disabled = false;
}

$("in-report").addEventListener("click", reportClick($("in-report-msg")));
$("btn-preview").onclick = preview;
$("upload-form").onsubmit = upload;
$("upload-file").onchange = () => { mapping = {}; encoding = ""; $("btn-import").disabled = true; preview(); };
languagePicker(api);

// The dashboard document renders here; the rest (a message read, my own notifications) goes to the other scripts.
live((msg) => { if (msg.kind === "dashboard") render(msg.data); publishLive(msg); }, (up) => setLive($("ws-status"), up));
render(await api("GET", "/api/dashboard"));
