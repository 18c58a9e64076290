// The dashboard's IVR card: per campaign and flow, the calls entering each node (the funnel), the containment
// rate, transfers, opt-outs and machine messages, from /api/reports/ivr/{campaign}. Refreshed every 30 s; managers only.
import { managing } from "./common.js";
import { t, tn } from "./i18n.js";

const REFRESH_MS = 30000;

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function pct(v) {
  return v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`;
}

export function funnelSvg(nodes, width = 560) {
  const bar = 18, gap = 6, label = 130, top = Math.max(1, ...nodes.map((n) => n.entries));
  const height = nodes.length * (bar + gap) + 4;
  const rows = nodes.map((n, i) => {
    const y = i * (bar + gap) + 2, w = Math.max(1, ((width - label - 60) * n.entries) / top);
    return `<text x="0" y="${y + 13}" font-size="11" fill="#3b4256">${esc(n.node)}</text>` +
      `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${bar}" rx="3" fill="#3d7be0"><title>${esc(n.node)}: ${esc(t("{entries} entries, {dropped} dropped", { entries: n.entries, dropped: n.drop_offs }))}</title></rect>` +
      `<text x="${label + w + 6}" y="${y + 13}" font-size="11" fill="#3b4256">${n.entries}</text>`;
  });
  const title = t("calls entering each node"); // outside the template literal: the extractor does not look inside
  return `<svg class="ivr-funnel" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}">${rows.join("")}</svg>`;
}

async function refresh(card) {
  const index = await fetch("/api/reports", { headers: { Accept: "application/json" } });
  if (!index.ok) return;
  const campaigns = Object.keys((await index.json()).campaigns || {});
  const parts = [];
  for (const name of campaigns) {
    const res = await fetch(`/api/reports/ivr/${encodeURIComponent(name)}`, { headers: { Accept: "application/json" } });
    if (!res.ok) continue;
    for (const flow of (await res.json()).flows || []) {
      parts.push(`<div class="ivr-flow" data-campaign="${esc(name)}" data-flow="${esc(flow.flow)}"><h3>${esc(t("{campaign} · flow {flow}", { campaign: name, flow: flow.flow }))}</h3>` +
        `<p class="muted">${esc([tn("{n} call", "{n} calls", flow.calls), t("contained {rate}", { rate: pct(flow.containment_rate) }),
          t("transferred {n}", { n: flow.transferred }), t("abandoned in queue {n}", { n: flow.abandoned_in_queue }),
          t("opted out {n}", { n: flow.opted_out }), t("machine messages {n}", { n: flow.machine_messages })].join(" · "))}</p>` +
        funnelSvg(flow.nodes) + `</div>`);
    }
  }
  card.hidden = parts.length === 0;
  card.querySelector(".ivr-body").innerHTML = parts.join("");
}

function start() {
  const main = document.querySelector("main.dash");
  if (!main || !managing) return;  // the IVR report is for managers
  const card = document.createElement("section");
  card.className = "card";
  card.id = "ivr-card";
  card.hidden = true;
  card.innerHTML = `<div class="card-head"><h2>${esc(t("IVR flows"))}</h2></div><div class="ivr-body"></div>`;
  main.append(card);
  const tick = () => refresh(card).catch(() => {});
  tick();
  setInterval(tick, REFRESH_MS);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
