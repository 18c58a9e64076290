"""Contact-centre performance of one campaign: the figures managers already know, from the call records.

Definitions (docs/domain.md):
* contact rate = live answers (connected + abandoned) ÷ attempts;
* conversion = sales ÷ connected calls (a disposition with ``is_sale``), and the share of each disposition;
* talk time of a call = ``ended_at − connected_at`` (agent connected until hang-up); AHT = talk + ACW (after-call
  work); ACW, ready (waiting) and pause time and occupancy = (talk + wrap-up) ÷ logged-in time need the agents'
  state history (table ``agent_events``): without it they are reported as unavailable, never guessed;
* "ready in N s" announced = the wrap-ups that ended in the range in which the agent announced when they would be
  ready (history reason ``WRAPUP_ENDED_ANNOUNCED``) ÷ the wrap-ups that ended in the range: each announced wrap-up
  lets the pacer dial for the agent ahead of their return (docs/benchmarks.md §1.9), so it is the share to coach;
* FCR = leads whose first connected call in the range got a final disposition ÷ leads connected in the range;
* callbacks: kept on time (a call to the lead within 15 min of the due time), kept late, missed, pending;
* list penetration = leads dialled at least once ÷ leads; exhaustion = leads in a final status ÷ leads;
* contact rate by hour of day, in the called party's local time (the first zone of the number);
* attempts per lead (histogram of the range's attempts).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dialer.agents.ready import WRAPUP_ENDED_ANNOUNCED
from dialer.campaign.rules import CALLBACK_GRACE, TERMINAL_STATUSES
from dialer.i18n import _
from dialer.reports.common import (
    ReportRange,
    ratio,
)
from dialer.reports.document import Series
from dialer.reports.transfers import TransferFigures
from dialer.store.reports import (
    AgentEventFact,
)

FINAL_LEAD_STATUSES = tuple(sorted(s.value for s in TERMINAL_STATUSES))


# -- agent time from the state history --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentTime:
    """One agent's (or, :meth:`pooled`, several agents') seconds per state and wrap-ups in a range."""

    logged_in: float
    ready: float  # waiting for a call (ringing included)
    talking: float
    wrapup: float
    paused: float
    wrapups: int = 0  # wrap-ups that ended in the range
    wrapups_announced: int = 0  # ... of which the agent announced "ready in N s"

    @property
    def occupancy(self) -> float | None:
        return ratio(self.talking + self.wrapup, self.logged_in)

    @property
    def ready_announced_share(self) -> float | None:
        return ratio(self.wrapups_announced, self.wrapups)

    @classmethod
    def pooled(cls, times: Iterable[AgentTime]) -> AgentTime:
        """Several agents together (a team, the campaign): their seconds and wrap-ups summed, so the occupancy and
        the share announced are the pooled ones, not a mean of the agents'."""
        total = cls(0.0, 0.0, 0.0, 0.0, 0.0)
        for t in times:
            total = cls(
                total.logged_in + t.logged_in,
                total.ready + t.ready,
                total.talking + t.talking,
                total.wrapup + t.wrapup,
                total.paused + t.paused,
                total.wrapups + t.wrapups,
                total.wrapups_announced + t.wrapups_announced,
            )
        return total


def agent_time(events: Sequence[AgentEventFact], start: datetime, end: datetime) -> dict[str, AgentTime]:
    """Seconds per state per agent within ``[start, end)``; each event's state lasts until the agent's next one.
    A wrap-up counts where it ends: the agent's next change (out of wrap-up) within the range."""
    per_agent: dict[str, list[AgentEventFact]] = defaultdict(list)
    for e in sorted(events, key=lambda e: e.at):
        per_agent[e.agent].append(e)
    out = {}
    for agent, changes in per_agent.items():
        spent: dict[str, float] = defaultdict(float)
        wrapups = announced = 0
        for i, e in enumerate(changes):
            after = changes[i + 1] if i + 1 < len(changes) else None
            until = after.at if after is not None else end
            lo, hi = max(e.at, start), min(until, end)
            if hi > lo:
                spent[e.status] += (hi - lo).total_seconds()
            if e.status == "wrapup" and after is not None and after.status != "wrapup" and start <= after.at < end:
                wrapups += 1
                if after.reason == WRAPUP_ENDED_ANNOUNCED:
                    announced += 1
        ready = spent["ready"] + spent["ringing"]
        out[agent] = AgentTime(
            logged_in=sum(v for k, v in spent.items() if k != "logged_out"),
            ready=ready,
            talking=spent["talking"],
            wrapup=spent["wrapup"],
            paused=spent["paused"],
            wrapups=wrapups,
            wrapups_announced=announced,
        )
    return out


# -- figures ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentFigures:
    agent: str
    calls: int  # connected calls handled
    sales: int
    talk_seconds: float
    mean_talk_seconds: float | None
    acw_seconds: float | None  # mean after-call work per call (state history)
    aht_seconds: float | None  # mean talk + ACW (None without the state history)
    logged_in_seconds: float | None
    ready_seconds: float | None
    pause_seconds: float | None
    occupancy: float | None
    dispositions: dict[str, int]
    ready_announced_share: float | None = None  # of the wrap-ups that ended (state history)

    @property
    def conversion(self) -> float | None:
        return ratio(self.sales, self.calls)

    def as_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "calls": self.calls,
            "sales": self.sales,
            "conversion": self.conversion,
            "talk_seconds": round(self.talk_seconds, 1),
            "mean_talk_seconds": one_decimal(self.mean_talk_seconds),
            "acw_seconds": one_decimal(self.acw_seconds),
            "aht_seconds": one_decimal(self.aht_seconds),
            "logged_in_seconds": one_decimal(self.logged_in_seconds),
            "ready_seconds": one_decimal(self.ready_seconds),
            "pause_seconds": one_decimal(self.pause_seconds),
            "occupancy": self.occupancy,
            "ready_announced_share": self.ready_announced_share,
            "dispositions": self.dispositions,
        }


def handle_time(mean_talk: float | None, acw: float | None) -> float | None:
    """AHT = mean talk + ACW per call; None without the state history's ACW (never talk alone passed off as AHT)."""
    return None if acw is None else (mean_talk or 0.0) + acw


def one_decimal(value: float | None) -> float | None:
    """A figure of seconds as the JSON documents give it: to a tenth (None stays None)."""
    return None if value is None else round(value, 1)


@dataclass(frozen=True, slots=True)
class TeamFigures:
    """The agents of one team together, each for the calls and time they spent in it (their spells,
    :mod:`dialer.reports.teams`), or ``team`` None: the agents while in no team. Time figures from the state
    history, None without it."""

    team: str | None
    agents: int
    calls: int
    sales: int
    mean_talk_seconds: float | None
    acw_seconds: float | None  # after-call work per connected call
    aht_seconds: float | None
    occupancy: float | None
    ready_announced_share: float | None

    @property
    def conversion(self) -> float | None:
        return ratio(self.sales, self.calls)

    def as_json(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "agents": self.agents,
            "calls": self.calls,
            "sales": self.sales,
            "conversion": self.conversion,
            "mean_talk_seconds": one_decimal(self.mean_talk_seconds),
            "acw_seconds": one_decimal(self.acw_seconds),
            "aht_seconds": one_decimal(self.aht_seconds),
            "occupancy": self.occupancy,
            "ready_announced_share": self.ready_announced_share,
        }


@dataclass(frozen=True, slots=True)
class HourFigures:
    hour: int  # 0..23, the called party's local time
    attempts: int
    live_answers: int

    @property
    def contact_rate(self) -> float | None:
        return ratio(self.live_answers, self.attempts)

    def as_json(self) -> dict[str, Any]:
        return {
            "hour": self.hour,
            "attempts": self.attempts,
            "live_answers": self.live_answers,
            "contact_rate": self.contact_rate,
        }


@dataclass(frozen=True, slots=True)
class DispositionFigures:
    code: str
    label: str
    count: int
    is_sale: bool
    final: bool
    share: float | None  # of dispositioned calls

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "count": self.count,
            "is_sale": self.is_sale,
            "final": self.final,
            "share": self.share,
        }


@dataclass(frozen=True, slots=True)
class CallbackFigures:
    due: int
    kept_on_time: int
    kept_late: int
    missed: int
    pending: int
    cancelled: int

    @property
    def kept_rate(self) -> float | None:
        return ratio(self.kept_on_time, self.kept_on_time + self.kept_late + self.missed)

    def as_json(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "kept_on_time": self.kept_on_time,
            "kept_late": self.kept_late,
            "missed": self.missed,
            "pending": self.pending,
            "cancelled": self.cancelled,
            "kept_on_time_rate": self.kept_rate,
            "grace_minutes": CALLBACK_GRACE.total_seconds() / 60,
        }


@dataclass(frozen=True, slots=True)
class ListFigures:
    name: str
    total: int
    dialled: int
    final: int
    by_status: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "leads": self.total,
            "dialled": self.dialled,
            "penetration": ratio(self.dialled, self.total),
            "final": self.final,
            "exhaustion": ratio(self.final, self.total),
            "by_status": self.by_status,
        }


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    campaign: str
    span: ReportRange
    agent_filter: str | None
    generated_at: datetime
    attempts: int
    outcomes: dict[str, int]
    connected: int
    abandoned: int
    machines: int
    sales: int
    talk_seconds_total: float
    mean_talk_seconds: float | None
    mean_answer_to_agent_seconds: float | None  # the called party's wait: answer -> agent connected
    acw_seconds: float | None
    aht_seconds: float | None
    occupancy: float | None
    agents: tuple[AgentFigures, ...]
    hours: tuple[HourFigures, ...]
    dispositions: tuple[DispositionFigures, ...]
    undispositioned: int  # connected calls without a disposition (yet)
    leads_connected: int
    leads_resolved_first_contact: int
    callbacks: CallbackFigures
    lists: tuple[ListFigures, ...]
    leads_total: ListFigures
    attempts_per_lead: dict[int, int]  # attempts in the range -> leads
    attempts_to_first_contact: float | None  # mean attempts up to and including the first live answer
    agent_history: bool  # agent state history available (ACW, ready/pause, occupancy)
    notes: tuple[str, ...]
    counted_live: float = 0.0  # live answers as the regime counts them (+ the AMD false-positive estimate)
    counted_abandoned: float = 0.0  # abandons as the regime counts them (+ the AMD false-positive estimate)
    # Transfers per agent and closer conversions (from the call legs).
    transfers: TransferFigures = field(default_factory=TransferFigures)
    ready_announced_share: float | None = None  # every agent's wrap-ups that ended (state history)
    # Per team, by the team each agent was in at the time (the agents in no team last); None when no spell is stored.
    teams: tuple[TeamFigures, ...] | None = None

    @property
    def live_answers(self) -> int:
        return self.connected + self.abandoned

    @property
    def contact_rate(self) -> float | None:
        return ratio(self.live_answers, self.attempts)

    @property
    def conversion(self) -> float | None:
        return ratio(self.sales, self.connected)

    @property
    def fcr(self) -> float | None:
        return ratio(self.leads_resolved_first_contact, self.leads_connected)

    @property
    def abandon_rate(self) -> float | None:
        """As the regime counts it (``count_answer``: AMD estimate, early hang-ups), like the compliance report."""
        return ratio(self.counted_abandoned, self.counted_live)

    def as_json(self) -> dict[str, Any]:
        dialled_leads = sum(self.attempts_per_lead.values())
        return {
            "report": "performance",
            "campaign": self.campaign,
            "range": self.span.as_json(),
            "agent": self.agent_filter,
            "generated_at": self.generated_at.isoformat(),
            "attempts": self.attempts,
            "connected": self.connected,
            "abandoned": self.abandoned,
            "machines": self.machines,
            "live_answers": self.live_answers,
            "outcomes": self.outcomes,
            "contact_rate": self.contact_rate,
            "abandon_rate": self.abandon_rate,
            "sales": self.sales,
            "conversion": self.conversion,
            "talk_seconds_total": round(self.talk_seconds_total, 1),
            "mean_talk_seconds": one_decimal(self.mean_talk_seconds),
            "mean_answer_to_agent_seconds": None
            if self.mean_answer_to_agent_seconds is None
            else round(self.mean_answer_to_agent_seconds, 2),
            "acw_seconds": one_decimal(self.acw_seconds),
            "aht_seconds": one_decimal(self.aht_seconds),
            "occupancy": self.occupancy,
            "ready_announced_share": self.ready_announced_share,
            "agents": [a.as_json() for a in self.agents],
            "transfers": self.transfers.as_json(),
            "teams": None if self.teams is None else [t.as_json() for t in self.teams],
            "hours": [h.as_json() for h in self.hours],
            "dispositions": [d.as_json() for d in self.dispositions],
            "undispositioned": self.undispositioned,
            "first_contact_resolution": {
                "leads_connected": self.leads_connected,
                "resolved_on_first_connected_call": self.leads_resolved_first_contact,
                "rate": self.fcr,
            },
            "callbacks": self.callbacks.as_json(),
            "lists": [lst.as_json() for lst in self.lists],
            "leads": self.leads_total.as_json(),
            "attempts_per_lead": {
                "histogram": {str(k): v for k, v in sorted(self.attempts_per_lead.items())},
                "leads_dialled": dialled_leads,
                "mean": ratio(self.attempts, dialled_leads),
                "mean_to_first_contact": self.attempts_to_first_contact,
            },
            "agent_history": self.agent_history,
            "notes": list(self.notes),
        }


# -- charts -----------------------------------------------------------------------------------------------------


def contact_rate_by_hour(r: PerformanceReport) -> Series:
    """Contact rate per local hour, from the first to the last hour with calls."""
    shown = [h for h in r.hours if h.attempts] or list(r.hours)
    first, last = shown[0].hour, shown[-1].hour
    hours = [h for h in r.hours if first <= h.hour <= last]
    return Series(
        _("Contact rate by hour of day (called party's local time) — {campaign}").format(campaign=r.campaign),
        tuple(f"{h.hour:02d}" for h in hours),
        tuple(h.contact_rate for h in hours),
    )


def disposition_counts(r: PerformanceReport) -> Series:
    """Calls per disposition code (the codes used; every code when none is)."""
    shown = [d for d in r.dispositions if d.count] or list(r.dispositions)
    most = max((d.count for d in shown), default=0)
    return Series(
        _("Dispositions — {campaign}").format(campaign=r.campaign),
        tuple(_(d.label) for d in shown),
        tuple(float(d.count) for d in shown),
        value_format="{:.0f}",
        y_max=float(max(4, math.ceil(most / 4) * 4)),  # four whole-number ticks
    )
