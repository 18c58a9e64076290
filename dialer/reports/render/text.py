"""The text renderer: every report as plain text for a terminal (the CLI's default output)."""

from __future__ import annotations

from datetime import datetime

from dialer.reports.calls import CallRecordsReport
from dialer.reports.common import duration_label, pct, ratio, seconds_label, shown_time, wait_label
from dialer.reports.compliance import AbandonWindow, ComplianceReport
from dialer.reports.ivr import IvrReport
from dialer.reports.performance import PerformanceReport
from dialer.reports.plan import StaffingPlan


def _window_line(label: str, w: AbandonWindow | None) -> str:
    if w is None:
        return f"  {label}: no answered calls"
    fp = f" + {w.amd_false_positives:.1f} AMD estimate" if w.machines and w.amd_false_positives else ""
    return (
        f"  {label}: {pct(w.rate)} ({w.abandoned}{fp} abandoned of {w.live_answers} live answers) "
        f"{shown_time(w.start)} → {shown_time(w.end)}  [{'ok' if w.within_cap else 'OVER CAP'}]"
    )


def render_compliance_text(report: ComplianceReport) -> str:
    a = report.abandon
    period = duration_label(a.regime_window)
    lines = [
        f"Compliance report — campaign {report.campaign} (regime {report.regime})",
        f"range: {shown_time(report.span.start) or 'beginning'} → {shown_time(report.span.end) or 'now'}; "
        f"{report.attempts} attempts; overall: {'PASS' if report.passed else 'FAIL'}",
        f"abandon rate (cap {a.cap:.0%} of live answers per {period}"
        + (f", AMD false-positive rate {a.amd_false_positive_rate:.1%}" if a.amd_false_positive_rate else "")
        + "):",
        _window_line("whole range", a.overall),
        _window_line(f"worst {period} window", a.worst_regime_window),
        _window_line(f"current {period} window", a.current_regime_window),
        _window_line("worst rolling 24 h", a.worst_24h),
        _window_line("current 24 h", a.current_24h),
    ]
    for i, p in enumerate(a.periods_30d, 1):
        lines.append(_window_line(f"30-day period {i}", p))
    lines.append(f"  early hang-ups: {a.early_hangup_rule}; {a.excused_early_hangups} not counted")
    for c in report.checks:
        status = "PASS" if c.passed else ("FAIL" if c.required else "note")
        lines.append(f"{c.name}: {status} — {c.violations} of {c.checked} calls; {c.rule}")
        for k, v in c.figures.items():
            if k != "window":
                lines.append(f"    {k}: {v}")
        for o in c.examples:
            lines.append(
                f"    attempt {o.attempt_id} lead {o.lead_id} {o.phone} {shown_time(o.started_at)}: {o.detail}"
            )
        if c.note:
            lines.append(f"    ({c.note})")
    return "\n".join(lines)


def render_performance_text(r: PerformanceReport) -> str:
    fcr = r.fcr
    lines = [
        f"Performance report — campaign {r.campaign}" + (f", agent {r.agent_filter}" if r.agent_filter else ""),
        f"range: {shown_time(r.span.start) or 'beginning'} → {shown_time(r.span.end) or 'now'}",
        f"attempts {r.attempts}, live answers {r.live_answers} (connected {r.connected}, abandoned {r.abandoned}), "
        f"machines {r.machines}; contact rate {pct(r.contact_rate)}; abandon rate {pct(r.abandon_rate)}",
        f"sales {r.sales}, conversion {pct(r.conversion)} of connected calls; FCR {pct(fcr)} "
        f"({r.leads_resolved_first_contact} of {r.leads_connected} leads connected)",
        f"talk: mean {seconds_label(r.mean_talk_seconds)}, total {r.talk_seconds_total / 3600:.2f} h; "
        f"ACW {seconds_label(r.acw_seconds)}; AHT {seconds_label(r.aht_seconds)}; occupancy {pct(r.occupancy)}; "
        f"called party waited {wait_label(r.mean_answer_to_agent_seconds)} for an agent",
        f"leads {r.leads_total.total}: penetration {pct(ratio(r.leads_total.dialled, r.leads_total.total))}, "
        f"exhaustion {pct(ratio(r.leads_total.final, r.leads_total.total))}; attempts per lead "
        + ", ".join(f"{k}×{v}" for k, v in r.attempts_per_lead.items()),
        "callbacks: " + ", ".join(f"{k} {v}" for k, v in r.callbacks.as_json().items() if k != "grace_minutes"),
        "outcomes: " + ", ".join(f"{k} {v}" for k, v in r.outcomes.items()),
        "dispositions: "
        + ", ".join(f"{d.code} {d.count}" for d in r.dispositions if d.count)
        + f" (none yet: {r.undispositioned})",
        "agent      calls  sales  mean talk  ACW     AHT     occupancy",
    ]
    for a in r.agents:
        lines.append(
            f"{a.agent:<10} {a.calls:5d}  {a.sales:5d}  {seconds_label(a.mean_talk_seconds):>9}  "
            f"{seconds_label(a.acw_seconds):>6}  "
            f"{seconds_label(a.aht_seconds):>6}  {pct(a.occupancy, 1):>9}"
        )
    t = r.transfers
    if t.agents:
        lines.append(
            f"transfers {t.transfers}; to closers {t.closer_calls}, closer sales {t.closer_sales}, "
            f"closer conversion {pct(t.closer_conversion)}"
        )
        lines.append("agent      transfers  blind  warm  3-way  to closers  closer sales  closer conv.")
        lines.extend(
            f"{a.agent:<10} {a.transfers:9d}  {a.blind:5d}  {a.warm:4d}  {a.conference:5d}  {a.to_closers:10d}  "
            f"{a.closer_sales:12d}  {pct(a.closer_conversion, 1):>12}"
            for a in t.agents
        )
        lines.append("closer     received  sales  conversion")
        lines.extend(f"{c.closer:<10} {c.received:8d}  {c.sales:5d}  {pct(c.conversion, 1):>10}" for c in t.closers)
    busy = [h for h in r.hours if h.attempts]
    if busy:
        lines.append(
            "contact rate by local hour: "
            + ", ".join(f"{h.hour:02d}h {pct(h.contact_rate, 0)} ({h.attempts})" for h in busy)
        )
    lines.extend(f"note: {n}" for n in r.notes)
    return "\n".join(lines)


def render_calls_text(report: CallRecordsReport) -> str:
    lines = [
        f"Call records — campaign {report.campaign}, {shown_time(report.span.start) or 'beginning'} → "
        f"{shown_time(report.span.end) or 'now'}: {report.total} calls"
        + (f" (first {len(report.records)} shown; --csv exports all)" if len(report.records) < report.total else ""),
        f"{'id':>8}  {'started (UTC)':<19}  {'number':<16}  {'outcome':<14}  {'ring':>5}  {'talk':>6}  "
        f"{'disposition':<16}  agent",
    ]
    for r in report.records:
        talk = f"{r.talk_seconds:.0f}s" if r.talk_seconds is not None else ""
        ring = f"{r.ring_seconds:.0f}s" if r.ring_seconds is not None else ""
        lines.append(
            f"{r.attempt_id:>8}  {r.started_at:%Y-%m-%d %H:%M:%S}  {r.number:<16}  {r.outcome or 'in progress':<14}  "
            f"{ring:>5}  {talk:>6}  {r.disposition or '':<16}  {r.agent or ''}"
        )
    return "\n".join(lines)


def render_plan_text(plan: StaffingPlan, now: datetime | None = None) -> str:
    w = plan.world
    lines = [
        f"Staffing what-if — campaign {plan.campaign} ({plan.dial_mode}, abandon cap {plan.abandon_cap:.0%})",
        f"measured from {w.attempts} finished attempts:",
        f"  answered by a person {pct(w.answer_probability.value, 1)} [{w.answer_probability.source}]",
        f"  busy/failed {pct(w.fast_failure_share.value, 1)} [{w.fast_failure_share.source}]; "
        f"machines {pct(w.machine_share.value, 1)} [{w.machine_share.source}]",
        f"  time to answer {w.ring_mean_seconds.value:.1f} s ± {w.ring_sd_seconds.value:.1f} "
        f"[{w.ring_mean_seconds.source}]",
        f"  talk {w.talk_mean_seconds.value:.0f} s ± {w.talk_sd_seconds.value:.0f} [{w.talk_mean_seconds.source}]; "
        f"wrap-up {w.wrap_mean_seconds.value:.0f} s [{w.wrap_mean_seconds.source}]",
        "agents  occupancy  abandon  worst hour  contacts/h  per agent-h  dials/h",
    ]
    for lvl in plan.levels:
        flag = "  OVER CAP" if lvl.abandon_rate > plan.abandon_cap else ""
        lines.append(
            f"{lvl.agents:6d}  {pct(lvl.occupancy, 1):>9}  {pct(lvl.abandon_rate, 2):>7}  "
            f"{pct(lvl.worst_hour_abandon, 1):>10}  {lvl.contacts_per_hour:10.1f}  "
            f"{lvl.contacts_per_agent_hour:11.2f}  "
            f"{lvl.dials_per_hour:7.0f}{flag}"
        )
    lines.extend(f"note: {n}" for n in (*w.notes, *plan.notes))
    return "\n".join(lines)


def render_ivr_text(r: IvrReport) -> str:
    lines = [
        f"IVR — {r.title}",
        f"calls started {shown_time(r.range.start) or 'from the beginning'} to {shown_time(r.range.end) or 'now'}",
    ]
    if not r.flows:
        lines.append("no IVR calls in the range")
    for f in r.flows:
        lines += [
            "",
            f"flow {f.flow}: {f.calls} calls, {f.people} people, mean {seconds_label(f.mean_seconds)}",
            f"  contained {f.contained} (containment {pct(f.containment_rate)}), transferred {f.transferred}, "
            f"abandoned in queue {f.abandoned_in_queue}",
            f"  listened to the end {f.listened_to_end}, opted out {f.opted_out}, "
            f"machine messages {f.machine_messages}",
            f"  first-contact resolution {pct(f.first_contact_resolution)} "
            f"({f.repeat_callers} of {f.callers} numbers called again within {r.repeat_days} d)",
            "  results: " + ", ".join(f"{k} {v}" for k, v in f.results.items()),
            "  node               type     entries  drop-offs  mean     exits",
        ]
        for n in f.nodes:
            exits = ", ".join(f"{k} {v}" for k, v in n.exits.items())
            mean = seconds_label(n.mean_seconds)
            lines.append(f"  {n.node:<18} {n.type:<8} {n.entries:>7}  {n.drop_offs:>9}  {mean:<7}  {exits}")
    return "\n".join(lines)
