"""The HTML renderer: every report as a printable page (inline CSS, no scripts, no external assets)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dialer.i18n import N_, _, current_locale, current_zone
from dialer.reports.activity import AgentActivityReport
from dialer.reports.common import duration_label, pct, ratio, seconds_label, shown_time, wait_label
from dialer.reports.compliance import AbandonWindow, ComplianceReport
from dialer.reports.inbound import InboundReport, service_level_by_hour
from dialer.reports.ivr import IvrReport, node_funnel
from dialer.reports.performance import PerformanceReport, contact_rate_by_hour, disposition_counts
from dialer.reports.render import svg, tables
from dialer.reports.render.markup import esc, text
from dialer.reports.staffing import ERLANG_A, StaffingForecast

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
        f'<!doctype html>\n<html lang="{current_locale()}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{PRINT_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


class Ident(str):
    """A stable code or key (a disposition code, a figure's key): shown as ``<code>``, never translated."""

    __slots__ = ()


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{esc(_(h) if h else h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for v in row:
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            if isinstance(v, Ident):
                cells.append(f"<td><code>{esc(v)}</code></td>")
            else:
                cells.append(f'<td class="n">{esc(v)}</td>' if numeric else f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return f'<span class="note">{esc(_("not measurable"))}</span>'
    return f'<span class="ok">{esc(_("PASS"))}</span>' if ok else f'<span class="bad">{esc(_("FAIL"))}</span>'


def _window_cells(label: str, w: AbandonWindow | None) -> list[object]:
    if w is None:
        return [label, "", "", 0, 0, 0, _("n/a"), _("no answered calls")]
    return [
        label,
        shown_time(w.start),
        shown_time(w.end),
        w.live_answers,
        w.abandoned,
        round(w.amd_false_positives, 2),
        pct(w.rate),
        _("within cap") if w.within_cap else _("OVER CAP"),
    ]


def render_compliance_html(report: ComplianceReport) -> str:
    """A printable page (inline CSS, no scripts, no external assets)."""
    a = report.abandon
    period = duration_label(a.regime_window)
    windows = [
        _window_cells(_("whole range"), a.overall),
        _window_cells(_("worst {period} (regime window)").format(period=period), a.worst_regime_window),
        _window_cells(_("current {period}").format(period=period), a.current_regime_window),
        _window_cells(_("worst rolling 24 h"), a.worst_24h),
        _window_cells(_("current 24 h"), a.current_24h),
        *(_window_cells(_("30-day period {n}").format(n=i), p) for i, p in enumerate(a.periods_30d, 1)),
    ]
    parts = [
        "<h1>" + esc(_("Compliance report — {campaign}").format(campaign=report.campaign)) + "</h1>",
        "<p>"
        + _(
            "Regime {regime}; calls started {start} to {end}; {attempts} attempts; generated {generated}. Overall: "
            "{verdict}"
        ).format(
            regime=f"<b>{esc(report.regime)}</b>",
            start=esc(shown_time(report.span.start) or _("from the beginning")),
            end=esc(shown_time(report.span.end) or _("now")),
            attempts=report.attempts,
            generated=esc(shown_time(report.generated_at)),
            verdict=verdict(report.passed),
        )
        + "</p>",
        "<h2>"
        + esc(_("Abandon rate (cap {cap} of live answers per {period})").format(cap=f"{a.cap:.0%}", period=period))
        + f" {verdict(a.within_cap)}</h2>",
        '<p class="note">'
        + esc(_("Abandoned ÷ live answers (connected + abandoned; machines excluded)"))
        + (
            esc(
                _("; AMD: machine verdicts × {rate} counted as abandoned live calls (Ofcom)").format(
                    rate=f"{a.amd_false_positive_rate:.1%}"
                )
            )
            if a.amd_false_positive_rate
            else ""
        )
        + esc(
            _(". Early hang-ups: {rule}; {n} not counted. Times in {zone}.").format(
                rule=a.early_hangup_rule, n=a.excused_early_hangups, zone=current_zone()
            )
        )
        + "</p>",
        html_table(
            [
                N_("window"),
                N_("from"),
                N_("to"),
                N_("live answers"),
                N_("abandoned"),
                N_("AMD estimate"),
                N_("rate"),
                "",
            ],
            windows,
        ),
        "<h2>" + text(_("Checks")) + "</h2>",
        html_table(
            [N_("check"), N_("rule"), N_("calls checked"), N_("violations"), N_("result")],
            [
                [
                    Ident(c.name),
                    c.rule,
                    c.checked,
                    c.violations,
                    _("PASS") if c.passed else (_("FAIL") if c.required else _("note")),
                ]
                for c in report.checks
            ],
        ),
    ]
    for c in report.checks:
        parts.append(
            f"<h2><code>{esc(c.name)}</code> {verdict(c.passed) if c.required else ''}</h2><p>{esc(c.rule)}</p>"
        )
        figures = [[Ident(k), v if isinstance(v, int | float) else str(v)] for k, v in c.figures.items()]
        if figures:
            parts.append(html_table([N_("figure"), N_("value")], figures))
        if c.examples:
            parts.append(
                html_table(
                    [N_("attempt"), N_("lead"), N_("number"), N_("start time"), N_("detail")],
                    [[o.attempt_id, o.lead_id, o.phone, shown_time(o.started_at), o.detail] for o in c.examples],
                )
            )
        if c.note:
            parts.append(f'<p class="note">{esc(c.note)}</p>')
    return html_page(_("Compliance — {campaign}").format(campaign=report.campaign), "\n".join(parts))


def render_performance_html(r: PerformanceReport) -> str:
    summary: list[list[object]] = [
        [_("attempts"), r.attempts],
        [_("live answers"), r.live_answers],
        [_("connected"), r.connected],
        [_("abandoned"), r.abandoned],
        [_("contact rate"), pct(r.contact_rate)],
        [_("sales"), r.sales],
        [_("conversion (of connected)"), pct(r.conversion)],
        [_("first-contact resolution"), pct(r.fcr)],
        [_("mean talk"), seconds_label(r.mean_talk_seconds)],
        [_("called party's wait for an agent (mean)"), wait_label(r.mean_answer_to_agent_seconds)],
        [_("ACW"), seconds_label(r.acw_seconds)],
        [_("AHT"), seconds_label(r.aht_seconds)],
        [_("occupancy"), pct(r.occupancy)],
        [_('wrap-ups with "ready in N s" announced'), pct(r.ready_announced_share)],
        [_("list penetration"), pct(ratio(r.leads_total.dialled, r.leads_total.total))],
        [_("list exhaustion"), pct(ratio(r.leads_total.final, r.leads_total.total))],
    ]
    parts = [
        "<h1>"
        + esc(_("Performance — {campaign}").format(campaign=r.campaign))
        + f"{' — ' + esc(r.agent_filter) if r.agent_filter else ''}</h1>",
        "<p>"
        + esc(
            _("Calls started {start} to {end}; generated {generated}.").format(
                start=shown_time(r.span.start) or _("from the beginning"),
                end=shown_time(r.span.end) or _("now"),
                generated=shown_time(r.generated_at),
            )
        )
        + "</p>",
        "<h2>" + text(_("Summary")) + "</h2>",
        html_table([N_("figure"), N_("value")], summary),
        "<h2>" + text(_("Agents")) + "</h2>",
        html_table(
            [
                N_("agent"),
                N_("calls"),
                N_("sales"),
                N_("conversion"),
                N_("mean talk"),
                N_("ACW"),
                N_("AHT"),
                N_("ready"),
                N_("paused"),
                N_("occupancy"),
                N_("ready in N s"),
            ],
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
                    pct(a.ready_announced_share),
                ]
                for a in r.agents
            ],
        ),
        *_teams_html(r),
        *_transfers_html(r),
        "<h2>" + text(_("Contact rate by hour (called party's local time)")) + "</h2>",
        svg.bar_chart(contact_rate_by_hour(r)),
        "<h2>" + text(_("Dispositions")) + "</h2>",
        svg.bar_chart(disposition_counts(r)),
        html_table(
            [N_("code"), N_("label"), N_("count"), N_("share"), N_("sale"), N_("final")],
            [
                [
                    Ident(d.code),
                    _(d.label),
                    d.count,
                    pct(d.share),
                    _("yes") if d.is_sale else "",
                    _("yes") if d.final else "",
                ]
                for d in r.dispositions
            ],
        ),
        "<h2>" + text(_("Callbacks")) + "</h2>",
        html_table(
            [N_("figure"), N_("value")],
            [[Ident(k), v if v is not None else _("n/a")] for k, v in r.callbacks.as_json().items()],
        ),
        "<h2>" + text(_("Lead lists")) + "</h2>",
        html_table(
            [N_("list"), N_("leads"), N_("dialled"), N_("penetration"), N_("final"), N_("exhaustion")],
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
        "<h2>" + text(_("Attempts per lead")) + "</h2>",
        html_table([N_("attempts"), N_("leads")], [[k, v] for k, v in r.attempts_per_lead.items()]),
        *(f'<p class="note">{esc(n)}</p>' for n in r.notes),
    ]
    return html_page(_("Performance — {campaign}").format(campaign=r.campaign), "\n".join(parts))


def render_ivr_html(r: IvrReport) -> str:
    title = _("IVR — {title}").format(title=r.title)
    sep = _(", ")  # the language's list separator (dialer.reports.render.text)
    parts = [
        f"<h1>{esc(title)}</h1>",
        "<p>"
        + text(
            _("Calls started {start} to {end}.").format(
                start=shown_time(r.range.start) or _("from the beginning"), end=shown_time(r.range.end) or _("now")
            )
        )
        + "</p>",
    ]
    if not r.flows:
        parts.append("<p>" + text(_("no IVR calls in the range")) + "</p>")
    for f in r.flows:
        parts.append("<h2>" + text(_("Flow {flow}").format(flow=f.flow)) + "</h2>")
        parts.append(
            html_table(
                [N_("figure"), N_("value")],
                [
                    [_("calls"), f.calls],
                    [_("people (not machines)"), f.people],
                    [_("contained"), f.contained],
                    [_("containment rate"), pct(f.containment_rate)],
                    [_("transferred to an agent"), f.transferred],
                    [_("abandoned in queue"), f.abandoned_in_queue],
                    [_("listened to the end"), f.listened_to_end],
                    [_("opted out"), f.opted_out],
                    [_("machine messages"), f.machine_messages],
                    [_("first-contact resolution"), pct(f.first_contact_resolution)],
                    *[[_("result {code}").format(code=k), v] for k, v in f.results.items()],
                ],
            )
        )
        parts.append(svg.bar_chart(node_funnel(f)))
        parts.append(
            html_table(
                [N_("node"), N_("type"), N_("entries"), N_("drop-offs"), N_("mean time"), N_("exits")],
                [
                    [
                        n.node,
                        n.type,
                        n.entries,
                        n.drop_offs,
                        seconds_label(n.mean_seconds),
                        sep.join(f"{k} {v}" for k, v in n.exits.items()),
                    ]
                    for n in f.nodes
                ],
            )
        )
    return html_page(title, "\n".join(parts))


def _teams_html(r: PerformanceReport) -> list[str]:
    """The agents per team (only when some user is in a team)."""
    if not r.teams:
        return []
    return ["<h2>" + text(_("Teams")) + "</h2>", html_table(tables.TEAM_COLUMNS, tables.team_rows(r.teams, pct))]


def _transfers_html(r: PerformanceReport) -> list[str]:
    """Transfers per agent and closer conversions (only when the range has transfers)."""
    t = r.transfers
    if not t.agents:
        return []
    return [
        "<h2>" + text(_("Transfers and closer conversions")) + "</h2>",
        html_table(tables.TRANSFER_AGENT_COLUMNS, tables.transfer_agent_rows(t, pct)),
        html_table(tables.CLOSER_COLUMNS, tables.closer_rows(t, pct)),
    ]


def render_inbound_html(r: InboundReport) -> str:
    title = _("Inbound queues — {queues}").format(queues=r.title or _("none"))
    parts = [
        f"<h1>{esc(title)}</h1>",
        "<p>"
        + text(
            _("Callers who called from {start} to {end}.").format(
                start=shown_time(r.range.start) or _("the beginning"), end=shown_time(r.range.end) or _("now")
            )
        )
        + "</p>",
        f'<p class="note">{esc(tables.inbound_rule_line(r, pct))}</p>',
    ]
    if not r.queues:
        parts.append("<p>" + text(_("no inbound calls in the range")) + "</p>")
    for q in r.queues:
        level = q.total.service_level
        met = None if level is None else level >= r.rule.target
        parts.append("<h2>" + text(_("Queue {queue}").format(queue=q.total.queue)) + "</h2>")
        parts.append(
            "<p>"
            + text(_("Service level {level} (target {target})").format(level=pct(level), target=pct(r.rule.target)))
            + " "
            + verdict(met)
            + "</p>"
        )
        if q.hours:
            parts.append(svg.bar_chart(service_level_by_hour(r, q)))
        parts.append(html_table([N_("hour"), *tables.INBOUND_COLUMNS], tables.inbound_hour_rows(r, q, pct)))
        if q.agents:
            parts.append("<h3>" + text(_("Answered by agent")) + "</h3>")
            parts.append(html_table(tables.INBOUND_AGENT_COLUMNS, tables.inbound_agent_rows(q)))
    return html_page(title, "\n".join(parts))


def render_agents_html(r: AgentActivityReport) -> str:
    title = _("Agent activity")
    parts = [f"<h1>{esc(title)}</h1>", "<p>" + text(tables.activity_range_line(r)) + "</p>"]
    parts += [f'<p class="note">{esc(n)}</p>' for n in r.notes]
    if not r.agents:
        parts.append("<p>" + text(_("no agent was signed in in the range")) + "</p>")
        return html_page(title, "\n".join(parts))
    parts.append("<h2>" + text(_("Agents, day by day")) + "</h2>")
    parts.append(html_table(tables.ACTIVITY_COLUMNS, tables.activity_rows(r, pct)))
    parts.append("<h2>" + text(_("Totals")) + "</h2>")
    parts.append(html_table(tables.ACTIVITY_TEAM_COLUMNS, tables.activity_team_rows(r, pct)))
    pauses = tables.activity_pause_rows(r)
    if pauses:
        parts.append("<h2>" + text(_("Pauses")) + "</h2>")
        parts.append(html_table(tables.PAUSE_COLUMNS, pauses))
    return html_page(title, "\n".join(parts))


def render_staffing_html(r: StaffingForecast) -> str:
    title = _("Inbound staffing forecast — queue {queue}, week of {week}").format(
        queue=r.queue, week=r.week.isoformat()
    )
    parts = [
        f"<h1>{esc(title)}</h1>",
        f"<p>{esc(tables.staffing_rule_line(r, pct))}</p>",
        f'<p class="note">{esc(tables.staffing_handle_line(r))}</p>',
        f'<p class="note">{esc(tables.staffing_model_line(r))}</p>',
        *([f'<p class="note">{esc(h)}</p>'] if (h := tables.staffing_holiday_line(r)) else []),
    ]
    parts += [f'<p class="note">{esc(n)}</p>' for n in r.notes]
    if not r.busy_slots():
        parts.append("<p>" + text(_("no calls forecast in the week")) + "</p>")
        return html_page(title, "\n".join(parts))
    names = [N_("interval"), *tables.staffing_days(r)]
    parts += ["<h2>" + text(_("Agents to schedule")) + "</h2>", html_table(names, tables.staffing_agent_grid(r))]
    parts += [
        "<h2>" + text(_("Agents required: Erlang A/Erlang C")) + "</h2>",
        html_table(names, tables.staffing_models_grid(r)),
    ]
    if r.model == ERLANG_A:
        parts += [
            "<h2>" + text(_("Expected abandon rate")) + "</h2>",
            html_table(names, tables.staffing_abandon_grid(r)),
        ]
    if r.has_actuals:
        parts += [
            "<h2>" + text(_("Offered calls: forecast/actual")) + "</h2>",
            html_table(names, tables.staffing_offered_grid(r)),
            "<h2>" + text(_("Agents: scheduled/mean logged in")) + "</h2>",
            html_table(names, tables.staffing_logged_in_grid(r)),
        ]
    else:
        parts += [
            "<h2>" + text(_("Offered calls: forecast")) + "</h2>",
            html_table(names, tables.staffing_offered_grid(r)),
        ]
    return html_page(title, "\n".join(parts))
