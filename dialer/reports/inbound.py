"""The inbound report: each inbound queue's service level over a range, hour by hour, and the agents who answered
(model and scan; the figures' one definition is :mod:`dialer.inbound.figures`, docs/domain.md "Inbound service
level").

Visits are counted by when the caller called (joined the queue, or was refused). The hours are whole hours of the
reader's time zone (the zone's own hours, so a half-hour zone's rows start at :30 UTC)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from dialer.i18n import _
from dialer.inbound.calls import InboundOutcome
from dialer.inbound.figures import QueueFigures, ServiceLevelRule, queue_figures
from dialer.reports.common import ReportRange, iso, ratio
from dialer.reports.document import Series
from dialer.store.engine import Database
from dialer.store.inbound_calls import InboundCallRecord, inbound_calls


@dataclass(frozen=True, slots=True)
class HourFigures:
    """One hour of one queue (the hour's start, an instant)."""

    start: datetime
    figures: QueueFigures


@dataclass(frozen=True, slots=True)
class InboundAgentFigures:
    """The inbound calls one agent answered in the range."""

    agent: str
    answered: int
    talk_seconds: float
    talked: int

    @property
    def mean_talk_seconds(self) -> float | None:
        return ratio(self.talk_seconds, self.talked)


@dataclass(frozen=True, slots=True)
class QueueReport:
    total: QueueFigures
    hours: tuple[HourFigures, ...]
    agents: tuple[InboundAgentFigures, ...]


@dataclass(frozen=True, slots=True)
class InboundReport:
    range: ReportRange
    rule: ServiceLevelRule
    zone: str
    queues: tuple[QueueReport, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        return ", ".join(q.total.queue for q in self.queues)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "inbound",
            "from": iso(self.range.start),
            "to": iso(self.range.end),
            "zone": self.zone,
            "service_level_rule": self.rule.as_json(),
            "queues": [
                {
                    **q.total.as_json(),
                    "hours": [{"start": h.start.isoformat(), **h.figures.as_json()} for h in q.hours],
                    "agents": [
                        {
                            "agent": a.agent,
                            "answered": a.answered,
                            "mean_talk_seconds": a.mean_talk_seconds,
                        }
                        for a in q.agents
                    ],
                }
                for q in self.queues
            ],
        }


def _hour_of(when: datetime, zone: tzinfo) -> datetime:
    return when.astimezone(zone).replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def inbound_agents(visits: Sequence[InboundCallRecord]) -> tuple[InboundAgentFigures, ...]:
    """The agents who answered among ``visits``: each one's answered calls and talk time, most calls first."""
    answered: dict[str, list[float | None]] = defaultdict(list)
    for v in visits:
        if v.outcome is InboundOutcome.ANSWERED:
            answered[v.agent or "?"].append(v.talk_seconds)
    return tuple(
        InboundAgentFigures(
            agent=agent,
            answered=len(talks),
            talk_seconds=sum(t for t in talks if t is not None),
            talked=sum(1 for t in talks if t is not None),
        )
        for agent, talks in sorted(answered.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )


def build_inbound_report(
    visits: Sequence[InboundCallRecord],
    span: ReportRange,
    rule: ServiceLevelRule,
    *,
    queues: Sequence[str] = (),
    zone: str = "UTC",
) -> InboundReport:
    """The report of ``visits`` (any order): every queue that had one, and each of ``queues`` even without."""
    tz = ZoneInfo(zone)
    by_queue: dict[str, list[InboundCallRecord]] = {q: [] for q in queues}
    for v in visits:
        by_queue.setdefault(v.queue, []).append(v)
    reports = []
    for queue, calls in sorted(by_queue.items()):
        by_hour: dict[datetime, list[InboundCallRecord]] = defaultdict(list)
        for v in calls:
            by_hour[_hour_of(v.joined_at, tz)].append(v)
        hours = tuple(HourFigures(start, queue_figures(queue, by_hour[start], rule)) for start in sorted(by_hour))
        reports.append(QueueReport(queue_figures(queue, calls, rule), hours, inbound_agents(calls)))
    return InboundReport(range=span, rule=rule, zone=zone, queues=tuple(reports))


async def inbound_report(
    db: Database,
    span: ReportRange,
    rule: ServiceLevelRule,
    *,
    queue: str | None = None,
    queues: Sequence[str] = (),
    zone: str = "UTC",
) -> InboundReport:
    """The stored visits of the range (one queue, or all), as the report. ``queues``: shown even with no visit."""
    visits = await inbound_calls(db, queue=queue, since=span.start, until=span.end)
    shown = [queue] if queue is not None else list(queues)
    return build_inbound_report(visits, span, rule, queues=shown, zone=zone)


def service_level_by_hour(r: InboundReport, q: QueueReport) -> Series:
    """The queue's service level hour by hour (the chart), against the target; hours in the report's zone (with
    the day when the range spans several)."""
    tz = ZoneInfo(r.zone)
    days = {h.start.astimezone(tz).date() for h in q.hours}
    shape = "%m-%d %H:00" if len(days) > 1 else "%H:00"
    return Series(
        title=_("Service level by hour ({zone}) — {queue}").format(zone=r.zone, queue=q.total.queue),
        labels=tuple(h.start.astimezone(tz).strftime(shape) for h in q.hours),
        values=tuple(h.figures.service_level for h in q.hours),
        y_max=1.0,
        reference=(r.rule.target, _("target")),
    )
