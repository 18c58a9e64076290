// A tiny SVG line chart (no dependency): series of [t, value], drawn into a fixed viewBox that scales.
import { t } from "./i18n.js";

const H = 150, PAD = 34;
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function lineChart(svg, series, { yMax = null, cap = null, yFormat = null } = {}) {
  // Draw in the element's own pixel width so text and strokes are never stretched.
  const W = Math.max(200, Math.round(svg.getBoundingClientRect().width) || 600);
  const all = series.flatMap((s) => s.points);
  if (!all.length) { svg.innerHTML = ""; return; }
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]), t0 + 1);
  let top = yMax ?? Math.max(1, ...all.map((p) => p[1]), cap ?? 0);
  top = top * 1.1;
  const fmt = yFormat ?? ((v) => (top < 6 ? v.toFixed(1) : String(Math.round(v))));
  const x = (t) => PAD + ((t - t0) / (t1 - t0)) * (W - PAD - 6);
  const y = (v) => H - 18 - (v / top) * (H - 28);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg">`];
  for (let i = 0; i <= 3; i++) {
    const v = (top / 1.1) * (i / 3), yy = y(v);
    parts.push(`<line x1="${PAD}" x2="${W}" y1="${yy}" y2="${yy}" stroke="#e9edf4"/>`);
    parts.push(`<text x="2" y="${yy + 4}" font-size="10" fill="#8a93a6">${fmt(v)}</text>`);
  }
  if (cap !== null) parts.push(`<line x1="${PAD}" x2="${W}" y1="${y(cap)}" y2="${y(cap)}" stroke="#d64545" stroke-dasharray="5 4"/><text x="${W - 40}" y="${y(cap) - 4}" font-size="10" fill="#d64545">${esc(t("cap"))}</text>`);
  for (const s of series) {
    if (!s.points.length) continue;
    const d = s.points.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    if (s.fill) parts.push(`<path d="${d} L${x(s.points.at(-1)[0])},${y(0)} L${x(s.points[0][0])},${y(0)} Z" fill="${s.color}" opacity=".12"/>`);
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`);
  }
  const span = Math.round(t1 - t0);
  parts.push(`<text x="${PAD}" y="${H - 3}" font-size="10" fill="#8a93a6">${esc(t("-{n} s", { n: span }))}</text><text x="${W - 24}" y="${H - 3}" font-size="10" fill="#8a93a6">${esc(t("now"))}</text>`);
  parts.push(`</svg>`);
  const doc = new DOMParser().parseFromString(parts.join(""), "image/svg+xml").documentElement;
  svg.replaceChildren(...Array.from(doc.childNodes).map((n) => document.importNode(n, true)));
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
}
