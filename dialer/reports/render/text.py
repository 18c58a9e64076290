"""The text renderer: every report as plain text for a terminal (the CLI's default output), in the reader's
language (``DIALER_LANG`` / ``LANG``: :func:`dialer.i18n.cli_locale`). Codes (dispositions, outcomes, check names,
flow and node names) stay as they are: they are what the campaign file and the JSON output call them."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from dialer.i18n import N_, _, format_number
from dialer.reports.activity import AgentActivityReport
from dialer.reports.calls import CallRecordsReport
from dialer.reports.common import duration_label, pct, ratio, seconds_label, shown_time, wait_label
from dialer.reports.compliance import AbandonWindow, ComplianceReport
from dialer.reports.inbound import InboundReport
from dialer.reports.ivr import IvrReport
from dialer.reports.performance import PerformanceReport
from dialer.reports.plan import StaffingPlan
from dialer.reports.render import tables
from dialer.reports.staffing import ERLANG_A, StaffingForecast


def width(text: str) -> int:
    """The columns ``text`` takes on a terminal: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(value: object, size: int, *, right: bool = False) -> str:
    """``value`` padded to ``size`` terminal columns (left-aligned, or right-aligned for figures)."""
    text = str(value)
    fill = " " * max(size - width(text), 0)
    return fill + text if right else text + fill


def row(cells: Sequence[tuple[object, int, bool]]) -> str:
    """One table line: (value, columns, right-aligned) per cell, two spaces apart."""
    return "  ".join(pad(v, w, right=r) for v, w, r in cells).rstrip()


def header(names: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    return row([(_(n), max(w, width(_(n))), r) for n, w, r in zip(names, widths, right, strict=True)])


def _sep() -> str:
    """The list separator of the language (``, `` / ``、`` / ``，``)."""
    # i18n: the separator of a list of items on one line ("a 1, b 2"): "、" in Japanese, "，" in Chinese.
    return _(", ")


def _range(start: datetime | None, end: datetime | None) -> str:
    return _("{start} → {end}").format(
        start=shown_time(start) or _("from the beginning"), end=shown_time(end) or _("now")
    )


def _window_line(label: str, w: AbandonWindow | None) -> str:
    if w is None:
        return f"  {label}: " + _("no answered calls")
    if w.machines and w.amd_false_positives:
        counted = _("{abandoned} + {estimate} AMD estimate abandoned of {live} live answers").format(
            abandoned=w.abandoned, estimate=f"{w.amd_false_positives:.1f}", live=w.live_answers
        )
    else:
        counted = _("{abandoned} abandoned of {live} live answers").format(abandoned=w.abandoned, live=w.live_answers)
    status = _("within cap") if w.within_cap else _("OVER CAP")
    return f"  {label}: {pct(w.rate)} ({counted}) {_range(w.start, w.end)}  [{status}]"


def _verdict(ok: bool) -> str:
    return _("PASS") if ok else _("FAIL")


def render_compliance_text(report: ComplianceReport) -> str:
    a = report.abandon
    period = duration_label(a.regime_window)
    cap = _("abandon rate (cap {cap} of live answers per {period})").format(cap=f"{a.cap:.0%}", period=period)
    if a.amd_false_positive_rate:
        cap += _("; AMD false-positive rate {rate}").format(rate=f"{a.amd_false_positive_rate:.1%}")
    lines = [
        _("Compliance report — campaign {campaign} (regime {regime})").format(
            campaign=report.campaign, regime=report.regime
        ),
        _("range: {range}; {attempts} attempts; overall: {verdict}").format(
            range=_range(report.span.start, report.span.end), attempts=report.attempts, verdict=_verdict(report.passed)
        ),
        cap + ":",
        _window_line(_("whole range"), a.overall),
        _window_line(_("worst {period} window").format(period=period), a.worst_regime_window),
        _window_line(_("current {period} window").format(period=period), a.current_regime_window),
        _window_line(_("worst rolling 24 h"), a.worst_24h),
        _window_line(_("current 24 h"), a.current_24h),
    ]
    for i, p in enumerate(a.periods_30d, 1):
        lines.append(_window_line(_("30-day period {n}").format(n=i), p))
    lines.append(
        "  " + _("early hang-ups: {rule}; {n} not counted").format(rule=a.early_hangup_rule, n=a.excused_early_hangups)
    )
    for c in report.checks:
        status = _verdict(c.passed) if c.passed or c.required else _("note")
        lines.append(
            f"{c.name}: {status} — "
            + _("{violations} of {checked} calls; {rule}").format(
                violations=c.violations, checked=c.checked, rule=c.rule
            )
        )
        for k, v in c.figures.items():
            if k != "window":
                lines.append(f"    {k}: {v}")
        for o in c.examples:
            lines.append(
                "    "
                + _("attempt {attempt} lead {lead} {phone} {time}: {detail}").format(
                    attempt=o.attempt_id, lead=o.lead_id, phone=o.phone, time=shown_time(o.started_at), detail=o.detail
                )
            )
        if c.note:
            lines.append(f"    ({c.note})")
    return "\n".join(lines)


def render_performance_text(r: PerformanceReport) -> str:
    fcr = r.fcr
    sep = _sep()
    title = _("Performance report — campaign {campaign}").format(campaign=r.campaign)
    if r.agent_filter:
        title += sep + _("agent {agent}").format(agent=r.agent_filter)
    lines = [
        title,
        _("range: {range}").format(range=_range(r.span.start, r.span.end)),
        _(
            "attempts {attempts}, live answers {live} (connected {connected}, abandoned {abandoned}), machines "
            "{machines}; contact rate {contact_rate}; abandon rate {abandon_rate}"
        ).format(
            attempts=r.attempts,
            live=r.live_answers,
            connected=r.connected,
            abandoned=r.abandoned,
            machines=r.machines,
            contact_rate=pct(r.contact_rate),
            abandon_rate=pct(r.abandon_rate),
        ),
        _(
            "sales {sales}, conversion {conversion} of connected calls; FCR {fcr} ({resolved} of {connected} leads "
            "connected)"
        ).format(
            sales=r.sales,
            conversion=pct(r.conversion),
            fcr=pct(fcr),
            resolved=r.leads_resolved_first_contact,
            connected=r.leads_connected,
        ),
        _(
            "talk: mean {mean}, total {hours} h; ACW {acw}; AHT {aht}; occupancy {occupancy}; called party waited "
            "{wait} for an agent"
        ).format(
            mean=seconds_label(r.mean_talk_seconds),
            hours=format_number(round(r.talk_seconds_total / 3600, 2)),
            acw=seconds_label(r.acw_seconds),
            aht=seconds_label(r.aht_seconds),
            occupancy=pct(r.occupancy),
            wait=wait_label(r.mean_answer_to_agent_seconds),
        ),
        _('wrap-ups with "ready in N s" announced: {share}').format(share=pct(r.ready_announced_share)),
        _("leads {total}: penetration {penetration}, exhaustion {exhaustion}; attempts per lead {per_lead}").format(
            total=r.leads_total.total,
            penetration=pct(ratio(r.leads_total.dialled, r.leads_total.total)),
            exhaustion=pct(ratio(r.leads_total.final, r.leads_total.total)),
            per_lead=sep.join(f"{k}×{v}" for k, v in r.attempts_per_lead.items()),
        ),
        _("callbacks: {list}").format(
            list=sep.join(f"{k} {v}" for k, v in r.callbacks.as_json().items() if k != "grace_minutes")
        ),
        _("outcomes: {list}").format(list=sep.join(f"{k} {v}" for k, v in r.outcomes.items())),
        _("dispositions: {list} (none yet: {n})").format(
            list=sep.join(f"{d.code} {d.count}" for d in r.dispositions if d.count), n=r.undispositioned
        ),
    ]
    names = [
        N_("agent"),
        N_("calls"),
        N_("sales"),
        N_("mean talk"),
        N_("ACW"),
        N_("AHT"),
        N_("occupancy"),
        N_("ready in N s"),
    ]
    right = [False, True, True, True, True, True, True, True]
    cells = [
        [
            a.agent,
            a.calls,
            a.sales,
            seconds_label(a.mean_talk_seconds),
            seconds_label(a.acw_seconds),
            seconds_label(a.aht_seconds),
            pct(a.occupancy, 1),
            pct(a.ready_announced_share, 1),
        ]
        for a in r.agents
    ]
    lines.extend(table(names, right, cells))
    one_digit = partial(pct, digits=1)
    if r.teams:
        lines.extend(table(tables.TEAM_COLUMNS, [False] + [True] * 7, tables.team_rows(r.teams, one_digit)))
    t = r.transfers
    if t.agents:
        lines.append(
            _(
                "transfers {transfers}; to closers {closer_calls}, closer sales {closer_sales}, closer conversion "
                "{conversion}"
            ).format(
                transfers=t.transfers,
                closer_calls=t.closer_calls,
                closer_sales=t.closer_sales,
                conversion=pct(t.closer_conversion),
            )
        )
        transfers = tables.transfer_agent_rows(t, one_digit)
        lines.extend(table(tables.TRANSFER_AGENT_COLUMNS, [False] + [True] * 7, transfers))
        lines.extend(table(tables.CLOSER_COLUMNS, [False, True, True, True], tables.closer_rows(t, one_digit)))
    busy = [h for h in r.hours if h.attempts]
    if busy:
        lines.append(
            _("contact rate by local hour: {list}").format(
                list=sep.join(
                    _("{hour}h {rate} ({attempts})").format(
                        hour=f"{h.hour:02d}", rate=pct(h.contact_rate, 0), attempts=h.attempts
                    )
                    for h in busy
                )
            )
        )
    lines.extend(_("note: {note}").format(note=n) for n in r.notes)
    return "\n".join(lines)


def table(names: Sequence[str], right: Sequence[bool], rows: Sequence[Sequence[object]]) -> list[str]:
    """A header line (translated column names) and one line per row, each column as wide as its widest cell."""
    widths = [max([width(_(n)), *(width(str(r[i])) for r in rows)]) for i, n in enumerate(names)]
    return [header(names, widths, right), *(row(list(zip(r, widths, right, strict=True))) for r in rows)]


def render_calls_text(report: CallRecordsReport) -> str:
    title = _("Call records — campaign {campaign}, {range}: {total} calls").format(
        campaign=report.campaign, range=_range(report.span.start, report.span.end), total=report.total
    )
    if len(report.records) < report.total:
        title += " " + _("(first {n} shown; --csv exports all)").format(n=len(report.records))
    rows = [
        [
            r.attempt_id,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            r.number,
            r.outcome or _("in progress"),
            f"{r.ring_seconds:.0f}s" if r.ring_seconds is not None else "",
            f"{r.talk_seconds:.0f}s" if r.talk_seconds is not None else "",
            r.disposition or "",
            r.agent or "",
        ]
        for r in report.records
    ]
    names = [
        N_("id"),
        N_("started (UTC)"),
        N_("number"),
        N_("outcome"),
        N_("ring"),
        N_("talk"),
        N_("disposition"),
        N_("agent"),
    ]
    return "\n".join([title, *table(names, [True, False, False, False, True, True, False, False], rows)])


def render_plan_text(plan: StaffingPlan, now: datetime | None = None) -> str:
    w = plan.world
    lines = [
        _("Staffing what-if — campaign {campaign} ({mode}, abandon cap {cap})").format(
            campaign=plan.campaign, mode=plan.dial_mode, cap=f"{plan.abandon_cap:.0%}"
        ),
        _("measured from {n} finished attempts:").format(n=w.attempts),
        "  "
        + _("answered by a person {share} [{source}]").format(
            share=pct(w.answer_probability.value, 1), source=w.answer_probability.source
        ),
        "  "
        + _("busy/failed {busy} [{busy_source}]; machines {machines} [{machine_source}]").format(
            busy=pct(w.fast_failure_share.value, 1),
            busy_source=w.fast_failure_share.source,
            machines=pct(w.machine_share.value, 1),
            machine_source=w.machine_share.source,
        ),
        "  "
        + _("time to answer {mean} s ± {sd} [{source}]").format(
            mean=f"{w.ring_mean_seconds.value:.1f}",
            sd=f"{w.ring_sd_seconds.value:.1f}",
            source=w.ring_mean_seconds.source,
        ),
        "  "
        + _("talk {mean} s ± {sd} [{source}]; wrap-up {wrap} s [{wrap_source}]").format(
            mean=f"{w.talk_mean_seconds.value:.0f}",
            sd=f"{w.talk_sd_seconds.value:.0f}",
            source=w.talk_mean_seconds.source,
            wrap=f"{w.wrap_mean_seconds.value:.0f}",
            wrap_source=w.wrap_mean_seconds.source,
        ),
    ]
    names = [
        N_("agents"),
        N_("occupancy"),
        N_("abandon"),
        N_("worst hour"),
        N_("contacts/h"),
        N_("per agent-h"),
        N_("dials/h"),
        "",
    ]
    rows = [
        [
            lvl.agents,
            pct(lvl.occupancy, 1),
            pct(lvl.abandon_rate, 2),
            pct(lvl.worst_hour_abandon, 1),
            f"{lvl.contacts_per_hour:.1f}",
            f"{lvl.contacts_per_agent_hour:.2f}",
            f"{lvl.dials_per_hour:.0f}",
            _("OVER CAP") if lvl.abandon_rate > plan.abandon_cap else "",
        ]
        for lvl in plan.levels
    ]
    lines.extend(table(names, [True] * 7 + [False], rows))
    lines.extend(_("note: {note}").format(note=n) for n in (*w.notes, *plan.notes))
    return "\n".join(lines)


def render_ivr_text(r: IvrReport) -> str:
    sep = _sep()
    lines = [
        _("IVR — {title}").format(title=r.title),
        _("calls started {start} to {end}").format(
            start=shown_time(r.range.start) or _("from the beginning"), end=shown_time(r.range.end) or _("now")
        ),
    ]
    if not r.flows:
        lines.append(_("no IVR calls in the range"))
    for f in r.flows:
        lines += [
            "",
            _("flow {flow}: {calls} calls, {people} people, mean {mean}").format(
                flow=f.flow, calls=f.calls, people=f.people, mean=seconds_label(f.mean_seconds)
            ),
            "  "
            + _(
                "contained {contained} (containment {rate}), transferred {transferred}, abandoned in queue {abandoned}"
            ).format(
                contained=f.contained,
                rate=pct(f.containment_rate),
                transferred=f.transferred,
                abandoned=f.abandoned_in_queue,
            ),
            "  "
            + _("listened to the end {listened}, opted out {opted_out}, machine messages {machines}").format(
                listened=f.listened_to_end, opted_out=f.opted_out, machines=f.machine_messages
            ),
            "  "
            + _("first-contact resolution {fcr} ({repeat} of {callers} numbers called again within {days} d)").format(
                fcr=pct(f.first_contact_resolution), repeat=f.repeat_callers, callers=f.callers, days=r.repeat_days
            ),
            "  " + _("results: {list}").format(list=sep.join(f"{k} {v}" for k, v in f.results.items())),
        ]
        rows = [
            [
                n.node,
                n.type,
                n.entries,
                n.drop_offs,
                seconds_label(n.mean_seconds),
                sep.join(f"{k} {v}" for k, v in n.exits.items()),
            ]
            for n in f.nodes
        ]
        lines.extend(
            "  " + line
            for line in table(
                [N_("node"), N_("type"), N_("entries"), N_("drop-offs"), N_("mean"), N_("exits")],
                [False, False, True, True, False, False],
                rows,
            )
        )
    return "\n".join(lines)


def render_inbound_text(r: InboundReport) -> str:
    lines = [
        _("Inbound queues — {queues}").format(queues=r.title or _("none")),
        _("callers who called from {start} to {end}").format(
            start=shown_time(r.range.start) or _("the beginning"), end=shown_time(r.range.end) or _("now")
        ),
        tables.inbound_rule_line(r, pct),
    ]
    if not r.queues:
        lines.append(_("no inbound calls in the range"))
    for q in r.queues:
        lines += ["", _("queue {queue}").format(queue=q.total.queue)]
        names = [N_("hour"), *tables.INBOUND_COLUMNS]
        lines.extend("  " + line for line in table(names, [False] + [True] * 12, tables.inbound_hour_rows(r, q, pct)))
        if q.agents:
            lines.extend(
                "  " + line
                for line in table(tables.INBOUND_AGENT_COLUMNS, [False, True, True], tables.inbound_agent_rows(q))
            )
    return "\n".join(lines)


def render_agents_text(r: AgentActivityReport) -> str:
    lines = [_("Agent activity"), tables.activity_range_line(r), *r.notes]
    if not r.agents:
        lines.append(_("no agent was signed in in the range"))
        return "\n".join(lines)
    lines += ["", *table(tables.ACTIVITY_COLUMNS, tables.ACTIVITY_RIGHT, tables.activity_rows(r, pct))]
    lines += ["", *table(tables.ACTIVITY_TEAM_COLUMNS, tables.ACTIVITY_TEAM_RIGHT, tables.activity_team_rows(r, pct))]
    pauses = tables.activity_pause_rows(r)
    if pauses:
        lines += ["", _("Pauses"), *table(tables.PAUSE_COLUMNS, tables.PAUSE_RIGHT, pauses)]
    return "\n".join(lines)


def render_staffing_text(r: StaffingForecast) -> str:
    lines = [
        _("Inbound staffing forecast — queue {queue}, week of {week}").format(queue=r.queue, week=r.week.isoformat()),
        tables.staffing_rule_line(r, pct),
        tables.staffing_handle_line(r),
        tables.staffing_model_line(r),
        *([h] if (h := tables.staffing_holiday_line(r)) else []),
        *r.notes,
    ]
    if not r.busy_slots():
        lines.append(_("no calls forecast in the week"))
        return "\n".join(lines)
    names = [N_("interval"), *tables.staffing_days(r)]
    right = [False] + [True] * 7
    lines += ["", _("Agents to schedule"), *table(names, right, tables.staffing_agent_grid(r))]
    lines += ["", _("Agents required: Erlang A/Erlang C"), *table(names, right, tables.staffing_models_grid(r))]
    if r.model == ERLANG_A:
        lines += ["", _("Expected abandon rate"), *table(names, right, tables.staffing_abandon_grid(r))]
    if r.has_actuals:
        lines += ["", _("Offered calls: forecast/actual"), *table(names, right, tables.staffing_offered_grid(r))]
        lines += [
            "",
            _("Agents: scheduled/mean logged in"),
            *table(names, right, tables.staffing_logged_in_grid(r)),
        ]
    else:
        lines += ["", _("Offered calls: forecast"), *table(names, right, tables.staffing_offered_grid(r))]
    return "\n".join(lines)
