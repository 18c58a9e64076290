// Manager dashboard: every campaign live (pushed over the WebSocket once a second), agents, lead upload.
import { api, clock, el, live, pct, setLive } from "./common.js";
import { lineChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const STATE_COLORS = { ready: "#18a058", talking: "#2f6fe4", wrapup: "#a35ee8", paused: "#e59a12", ringing: "#12a5b8", logged_out: "#9aa3b5" };
const LEAD_COLORS = { new: "#3557d4", retry: "#12a5b8", callback: "#e59a12", in_call: "#2f6fe4", done: "#18a058", archived: "#9aa3b5", dnc: "#d64545", exhausted: "#6b7385" };
const history = new Map();  // campaign -> [{t, rate, inflight, talking, abandon}]
const cards = new Map();

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
    el("div", { class: "hbar" }, el("span", {}, k.replace("_", " ")),
      el("div", { class: "track" }, el("div", { class: "fill", style: `width:max(3px, ${(100 * v) / total}%);background:${colors[k] || "#3557d4"}` })),
      el("span", { class: "num" }, v.toLocaleString())));
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
  const action = (verb) => el("button", { class: "btn" + (verb === "stop" ? " btn-danger" : ""), type: "button", onclick: () => control(c.campaign, verb) }, verb[0].toUpperCase() + verb.slice(1));
  const rateSvg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  const abSvg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  card.replaceChildren(
    el("div", { class: "camp-head" }, el("h2", {}, c.campaign), el("span", { class: "pill pill-" + c.state, "data-field": "state" }, c.state),
      el("span", { class: "muted" }, `${c.dial_mode} · queue ${c.queue}`), el("div", { class: "camp-actions" },
        el("a", { class: "btn btn-link", href: `/api/reports/compliance/${encodeURIComponent(c.campaign)}?format=html`, target: "_blank", rel: "noopener" }, "Compliance report"),
        el("a", { class: "btn btn-link", href: `/api/reports/performance/${encodeURIComponent(c.campaign)}?format=html`, target: "_blank", rel: "noopener" }, "Performance report"),
        el("a", { class: "btn btn-link", href: `/api/reports/calls/${encodeURIComponent(c.campaign)}?format=csv` }, "Calls CSV"),
        action("start"), action("pause"), action("stop"))),
    el("div", { class: "why" + (why ? "" : " ok"), "data-field": "why" }, why ? [el("strong", {}, (c.calls_in_flight > 0 || c.dial_rate_per_minute > 0 ? "Holding new calls: " : "Not dialling: ") + why.code.replace(/_/g, " ")), " — " + why.detail,
      Object.keys(why.breakdown || {}).length ? el("span", { class: "muted" }, " (" + Object.entries(why.breakdown).map(([k, v]) => `${k} ${v}`).join(", ") + ")") : null]
      : [el("strong", {}, "Dialling"), " — " + (p.reason || "pacing normally")]),
    el("div", { class: "kpis" },
      kpi("Calls in flight", String(c.calls_in_flight), `${c.last_decision_calls} asked last tick`),
      kpi("Dial rate", c.dial_rate_per_minute.toFixed(1), "calls / minute"),
      (() => { const k = kpi("Abandon 24 h", pct(a30.day_rate), `${a30.day_abandoned} of ${a30.day_live_answers} live · cap ${pct(aw.cap, 0)}`, a30.day_rate > aw.cap); k.append(gauge(a30.day_rate, aw.cap)); return k; })(),
      (() => { const k = kpi(`Pacer window ${aw.hours >= 48 ? aw.hours / 24 + " d" : aw.hours + " h"}`, pct(aw.rate), `${aw.abandoned} of ${aw.live_answers} live (compliance window)`, aw.rate > aw.cap); k.append(gauge(aw.rate, aw.cap)); return k; })(),
      (() => { const k = kpi("Abandon 30 d", pct(a30.rate), `${a30.abandoned} of ${a30.live_answers} live`, a30.rate > aw.cap); k.append(gauge(a30.rate, aw.cap)); return k; })(),
      kpi("Contact rate", pct(c.contact_rate), `${c.counters.connected} connected / ${c.counters.attempts} dials`),
      kpi("Pacing level", p.applied_level !== undefined && p.applied_level !== null ? Number(p.applied_level).toFixed(2) : "—", p.effective_mode || c.dial_mode),
      kpi("Leads left", left.toLocaleString(), `${(leads.due_now || 0).toLocaleString()} due now of ${(leads.total || 0).toLocaleString()}`),
      kpi("Agents", String(Object.values(c.agents_by_state || {}).reduce((a, b) => a + b, 0)), Object.entries(c.agents_by_state || {}).map(([k, v]) => `${v} ${k}`).join(" · "))),
    el("p", { class: "pacing" }, el("strong", {}, "Pacing: "), p.reason || "no decision yet", p.guard ? ` (guard: ${p.guard})` : ""),
    el("div", { class: "charts" },
      el("div", { class: "chart" }, el("h3", {}, "Dial rate, calls in flight, agents talking"),
        el("div", { class: "legend" }, el("span", {}, el("i", { class: "swatch", style: "background:#3557d4" }), "dials/min"), el("span", {}, el("i", { class: "swatch", style: "background:#12a5b8" }), "in flight"), el("span", {}, el("i", { class: "swatch", style: "background:#a35ee8" }), "talking")), rateSvg),
      el("div", { class: "chart" }, el("h3", {}, "Abandon rate (pacer window) vs cap"), abSvg),
      el("div", { class: "chart" }, el("h3", {}, "Leads by status"), ...hbars(leads.by_status || {}, LEAD_COLORS))));
  lineChart(rateSvg, [
    { color: "#3557d4", fill: true, points: h.map((x) => [x.t, x.rate]) },
    { color: "#12a5b8", points: h.map((x) => [x.t, x.inflight]) },
    { color: "#a35ee8", points: h.map((x) => [x.t, x.talking]) }]);
  lineChart(abSvg, [{ color: "#d64545", fill: true, points: h.map((x) => [x.t, x.abandon * 100]) }], { cap: aw.cap * 100, yMax: Math.max(aw.cap * 100 * 1.3, ...h.map((x) => x.abandon * 100)), yFormat: (v) => v.toFixed(1) + "%" });
}

function agentsTable(agents) {
  const counts = {};
  for (const a of agents) counts[a.status] = (counts[a.status] || 0) + 1;
  $("agent-summary").replaceChildren(...Object.entries(counts).map(([k, v]) => el("span", { class: "pill pill-" + k }, `${v} ${k.replace("_", " ")}`)));
  $("agents-table").tBodies[0].replaceChildren(...agents.map((a) => el("tr", {},
    el("td", {}, a.agent_id), el("td", {}, el("span", { class: "pill pill-" + a.status }, a.status === "paused" && a.pause_reason ? `paused · ${a.pause_reason}` : a.status.replace("_", " "))),
    el("td", { class: "num" }, clock(a.seconds_in_state)), el("td", { class: "num" }, clock(a.talk_seconds)), el("td", { class: "num" }, clock(a.wrap_seconds)),
    el("td", { class: "num" }, clock(a.pause_seconds)), el("td", { class: "num" }, a.calls),
    el("td", {}, Object.entries(a.dispositions || {}).map(([k, v]) => `${k} ${v}`).join(", ")))));
}

function render(doc) {
  for (const c of doc.campaigns) campaignCard(c);
  agentsTable(doc.agents);
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
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

function form(withMapping) {
  const fd = new FormData();
  fd.append("file", $("upload-file").files[0]);
  if (withMapping) fd.append("mapping", JSON.stringify(mapping));
  return fd;
}

async function preview() {
  if (!$("upload-file").files.length) { $("import-report").textContent = "Choose a CSV file first"; return; }
  try {
    const data = await api("POST", `/api/campaigns/${encodeURIComponent($("upload-campaign").value)}/lead-lists/preview`, form(Object.keys(mapping).length > 0));
    const rows = data.columns.map((col) => {
      const known = FIELDS.includes(col.field) ? col.field : "custom";
      const select = el("select", { "aria-label": "field for " + col.column, onchange: (ev) => { mapping[col.column] = ev.target.value === "custom" ? col.column : ev.target.value; } },
        [...FIELDS, "custom"].map((f) => el("option", { value: f, selected: f === known }, f === "custom" ? `custom field “${col.column}”` : f)));
      return el("tr", {}, el("td", {}, col.column), el("td", {}, select), el("td", { class: "muted" }, (data.sample[0] && (col.field === "phone" ? data.sample[0].phone : (data.sample[0].fields || {})[col.field])) || ""));
    });
    $("mapping").replaceChildren(el("p", { class: "muted" }, `${data.file}: ${data.encoding}, delimiter “${data.delimiter}”, ${data.sample.length} sample rows, ${data.sample_errors.length} bad in the sample`),
      el("table", { class: "table", id: "mapping-table" }, el("thead", {}, el("tr", {}, el("th", {}, "Column"), el("th", {}, "Maps to"), el("th", {}, "First row"))), el("tbody", {}, rows)));
    $("btn-import").disabled = false;
  } catch (err) { $("import-report").textContent = err.message; }
}

async function upload(ev) {
  ev.preventDefault();
  $("btn-import").disabled = true;
  try {
    const r = await api("POST", `/api/campaigns/${encodeURIComponent($("upload-campaign").value)}/lead-lists`, form(true));
    $("import-report").replaceChildren(el("div", { class: "report", id: "report-figures" },
      kpi("Rows", String(r.rows)), kpi("Imported", String(r.imported)), kpi("Duplicates", String(r.duplicates)), kpi("Invalid", String(r.invalid), "", r.invalid > 0), kpi("On DNC", String(r.dnc))),
      el("p", {}, el("a", { href: r.errors_url, download: "", id: "errors-link" }, "Download the error report (CSV)")));
  } catch (err) { $("import-report").textContent = err.message; }
  $("btn-import").disabled = false;
}

$("btn-preview").onclick = preview;
$("upload-form").onsubmit = upload;
$("upload-file").onchange = () => { mapping = {}; $("btn-import").disabled = true; preview(); };

live((msg) => { if (msg.kind === "dashboard") render(msg.data); }, (up) => setLive($("ws-status"), up));
render(await api("GET", "/api/dashboard"));
