"""The HTML renderer: every report as a printable page (inline CSS, no scripts, no external assets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dialer.reports.common import duration_label, iso, pct, ratio, seconds_label, wait_label
from dialer.reports.compliance import AbandonWindow, ComplianceReport
from dialer.reports.ivr import IvrReport, node_funnel
from dialer.reports.performance import PerformanceReport, contact_rate_by_hour, disposition_counts
from dialer.reports.render import svg
from dialer.reports.render.markup import esc

PRINT_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}
th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#075;font-weight:600}.bad{color:#b00;font-weight:700}.note{color:#555;font-size:.9em}
@media print{body{margin:1cm}h2{break-after:avoid}table{break-inside:avoid}}
"""


def html_page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{PRINT_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for v in row:
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            cells.append(f'<td class="n">{esc(v)}</td>' if numeric else f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return '<span class="note">not measurable</span>'
    return '<span class="ok">PASS</span>' if ok else '<span class="bad">FAIL</span>'


def _window_cells(label: str, w: AbandonWindow | None) -> list[object]:
    if w is None:
        return [label, "", "", 0, 0, 0, "n/a", "no answered calls"]
    return [
        label,
        f"{w.start:%Y-%m-%d %H:%M}",
        f"{w.end:%Y-%m-%d %H:%M}",
        w.live_answers,
        w.abandoned,
        round(w.amd_false_positives, 2),
        pct(w.rate),
        "within cap" if w.within_cap else "OVER CAP",
    ]


def render_compliance_html(report: ComplianceReport) -> str:
    """A printable page (inline CSS, no scripts, no external assets)."""
    a = report.abandon
    period = duration_label(a.regime_window)
    windows = [
        _window_cells("whole range", a.overall),
        _window_cells(f"worst {period} (regime window)", a.worst_regime_window),
        _window_cells(f"current {period}", a.current_regime_window),
        _window_cells("worst rolling 24 h", a.worst_24h),
        _window_cells("current 24 h", a.current_24h),
        *(_window_cells(f"30-day period {i}", p) for i, p in enumerate(a.periods_30d, 1)),
    ]
    parts = [
        f"<h1>Compliance report — {esc(report.campaign)}</h1>",
        f"<p>Regime <b>{esc(report.regime)}</b>; calls started {esc(iso(report.span.start) or 'from the beginning')}"
        f" to {esc(iso(report.span.end) or 'now')}; {report.attempts} attempts; generated "
        f"{esc(report.generated_at.isoformat(timespec='seconds'))}. Overall: {verdict(report.passed)}</p>",
        f"<h2>Abandon rate (cap {a.cap:.0%} of live answers per {period}) {verdict(a.within_cap)}</h2>",
        '<p class="note">Abandoned ÷ live answers (connected + abandoned; machines excluded)'
        + (
            f"; AMD: machines × {a.amd_false_positive_rate:.1%} counted as abandoned live calls (Ofcom)"
            if a.amd_false_positive_rate
            else ""
        )
        + f". Early hang-ups: {esc(a.early_hangup_rule)}; {a.excused_early_hangups} not counted. Times in UTC.</p>",
        html_table(["window", "from", "to", "live answers", "abandoned", "AMD estimate", "rate", ""], windows),
        "<h2>Checks</h2>",
        html_table(
            ["check", "rule", "calls checked", "violations", "result"],
            [
                [c.name, c.rule, c.checked, c.violations, "PASS" if c.passed else ("FAIL" if c.required else "note")]
                for c in report.checks
            ],
        ),
    ]
    for c in report.checks:
        parts.append(f"<h2>{esc(c.name)} {verdict(c.passed) if c.required else ''}</h2><p>{esc(c.rule)}</p>")
        figures = [[k, v if isinstance(v, int | float) else str(v)] for k, v in c.figures.items()]
        if figures:
            parts.append(html_table(["figure", "value"], figures))
        if c.examples:
            parts.append(
                html_table(
                    ["attempt", "lead", "number", "started (UTC)", "detail"],
                    [[o.attempt_id, o.lead_id, o.phone, o.started_at.isoformat(), o.detail] for o in c.examples],
                )
            )
        if c.note:
            parts.append(f'<p class="note">{esc(c.note)}</p>')
    return html_page(f"Compliance — {report.campaign}", "\n".join(parts))


def render_performance_html(r: PerformanceReport) -> str:
    summary: list[list[object]] = [
        ["attempts", r.attempts],
        ["live answers", r.live_answers],
        ["connected", r.connected],
        ["abandoned", r.abandoned],
        ["contact rate", pct(r.contact_rate)],
        ["sales", r.sales],
        ["conversion (of connected)", pct(r.conversion)],
        ["first-contact resolution", pct(r.fcr)],
        ["mean talk", seconds_label(r.mean_talk_seconds)],
        ["called party's wait for an agent (mean)", wait_label(r.mean_answer_to_agent_seconds)],
        ["ACW", seconds_label(r.acw_seconds)],
        ["AHT", seconds_label(r.aht_seconds)],
        ["occupancy", pct(r.occupancy)],
        ["list penetration", pct(ratio(r.leads_total.dialled, r.leads_total.total))],
        ["list exhaustion", pct(ratio(r.leads_total.final, r.leads_total.total))],
    ]
    parts = [
        f"<h1>Performance — {esc(r.campaign)}{' — ' + esc(r.agent_filter) if r.agent_filter else ''}</h1>",
        f"<p>Calls started {esc(iso(r.span.start) or 'from the beginning')} to {esc(iso(r.span.end) or 'now')}; "
        f"generated {esc(r.generated_at.isoformat(timespec='seconds'))}.</p>",
        "<h2>Summary</h2>",
        html_table(["figure", "value"], summary),
        "<h2>Agents</h2>",
        html_table(
            ["agent", "calls", "sales", "conversion", "mean talk", "ACW", "AHT", "ready", "paused", "occupancy"],
            [
                [
                    a.agent,
                    a.calls,
                    a.sales,
                    pct(a.conversion),
                    seconds_label(a.mean_talk_seconds),
                    seconds_label(a.acw_seconds),
                    seconds_label(a.aht_seconds),
                    seconds_label(a.ready_seconds),
                    seconds_label(a.pause_seconds),
                    pct(a.occupancy),
                ]
                for a in r.agents
            ],
        ),
        "<h2>Contact rate by hour (called party's local time)</h2>",
        svg.bar_chart(contact_rate_by_hour(r)),
        "<h2>Dispositions</h2>",
        svg.bar_chart(disposition_counts(r)),
        html_table(
            ["code", "label", "count", "share", "sale", "final"],
            [
                [d.code, d.label, d.count, pct(d.share), "yes" if d.is_sale else "", "yes" if d.final else ""]
                for d in r.dispositions
            ],
        ),
        "<h2>Callbacks</h2>",
        html_table(["figure", "value"], [[k, v if v is not None else "n/a"] for k, v in r.callbacks.as_json().items()]),
        "<h2>Lead lists</h2>",
        html_table(
            ["list", "leads", "dialled", "penetration", "final", "exhaustion"],
            [
                [
                    lst.name,
                    lst.total,
                    lst.dialled,
                    pct(ratio(lst.dialled, lst.total)),
                    lst.final,
                    pct(ratio(lst.final, lst.total)),
                ]
                for lst in (*r.lists, r.leads_total)
            ],
        ),
        "<h2>Attempts per lead</h2>",
        html_table(["attempts", "leads"], [[k, v] for k, v in r.attempts_per_lead.items()]),
        *(f'<p class="note">{esc(n)}</p>' for n in r.notes),
    ]
    return html_page(f"Performance — {r.campaign}", "\n".join(parts))


def render_ivr_html(r: IvrReport) -> str:
    parts = [
        f"<h1>IVR — {esc(r.title)}</h1>",
        f"<p>Calls started {esc(iso(r.range.start) or 'from the beginning')} to {esc(iso(r.range.end) or 'now')}.</p>",
    ]
    for f in r.flows:
        parts.append(f"<h2>Flow {esc(f.flow)}</h2>")
        parts.append(
            html_table(
                ["figure", "value"],
                [
                    ["calls", f.calls],
                    ["people (not machines)", f.people],
                    ["contained", f.contained],
                    ["containment rate", pct(f.containment_rate)],
                    ["transferred to an agent", f.transferred],
                    ["abandoned in queue", f.abandoned_in_queue],
                    ["listened to the end", f.listened_to_end],
                    ["opted out", f.opted_out],
                    ["machine messages", f.machine_messages],
                    ["first-contact resolution", pct(f.first_contact_resolution)],
                    *[[f"result {k}", v] for k, v in f.results.items()],
                ],
            )
        )
        parts.append(svg.bar_chart(node_funnel(f)))
        parts.append(
            html_table(
                ["node", "type", "entries", "drop-offs", "mean time", "exits"],
                [
                    [
                        n.node,
                        n.type,
                        n.entries,
                        n.drop_offs,
                        seconds_label(n.mean_seconds),
                        ", ".join(f"{k} {v}" for k, v in n.exits.items()),
                    ]
                    for n in f.nodes
                ],
            )
        )
    return html_page(f"IVR — {r.title}", "\n".join(parts))
