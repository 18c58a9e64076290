"""The inbound staffing forecast: for each half-hour of a week, the calls a queue will be offered and the agents it
needs to meet its service-level target (model and scan; docs/reports.md "Inbound staffing forecast").

* **intervals** are the half-hours of the wall clock in the queue's zone (00:00, 00:30, ... 23:30). A day a DST change
  shortens has an interval that does not happen (it lasts 0 s: nothing is forecast), a day it lengthens has one that
  happens twice (3 600 s: twice the calls, the same agents). Volumes are therefore kept as a **rate per 30 minutes**
  and a day's interval gets ``rate × its length``.
* the **history** is the ``weeks`` whole weeks (Monday to Sunday, in the zone) before the planned week -- or before
  the current week when the planned week lies ahead (the weeks in between have not happened yet). A week with no
  visit at all (no data: before the queue opened, a closure) is left out.
* the **forecast** of an interval is the weighted average of the same weekday's same interval over the history,
  the most recent week weighing ``weeks``, the one before ``weeks − 1``, ... the oldest 1 (recent weeks say more
  about next week's level, older ones smooth out one week's accident).
* the figures of each interval are the inbound report's (:func:`dialer.inbound.figures.queue_figures`): **offered**
  is its offered (refused callers included: they wanted an agent), the **talk** its answered calls' talk time.
* the **handle time** = the interval's mean talk (weighted like the volume; the history's mean talk when the
  interval has none) + the mean **wrap-up** after the queue's calls over the same weeks, read off the agents' state
  history the way a runner reads its campaign's (:func:`dialer.runner.learning.handle_times`; its latest
  ``SEED_AGENT_EVENTS`` changes).
* the **patience** of the queue's callers is estimated from the history's visits (:mod:`dialer.inbound.patience`);
* the **agents required** are Erlang A's (callers give up: :func:`dialer.inbound.erlang.agents_required_a`) when
  the patience estimate is sound, else Erlang C's (:func:`dialer.inbound.erlang.agents_required`), for the target
  and the occupancy cap -- both are kept, the **model** used and why is said -- and the **agents to schedule** that
  number grossed up by the shrinkage;
* a **holiday** (a public holiday of the zone's country, :func:`holiday_of`): a history day that was one is left out
  of its weekday's average (its weight goes to the other weeks), a planned day that is one is marked;
* for the planned week's intervals that are over (the clock passed in), the **actual** offered calls and the mean
  number of agents **logged in** to the queue (the state history records each agent's queues since migration
  0035, and a change of queues alone at the moment it happens: reason ``queues_changed``; a change written before
  0035 counts for any queue), so a planner sees how good last week's forecast was.

Pure but for :func:`staffing_forecast`, which reads the store.

Why one module (over 500 lines): the forecast's rules above (intervals, history weights, handle time, holidays,
the actuals) are one model, each step feeding the next; the store read is the last 30 lines."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

from dialer.campaign.config import REGIMES
from dialer.campaign.holiday_calendar import ClosedDays, country_of_zone
from dialer.i18n import M_, _, ngettext
from dialer.inbound.erlang import agents_required, agents_required_a, erlang_a, service_level, with_shrinkage
from dialer.inbound.figures import QueueFigures, ServiceLevelRule, queue_figures
from dialer.inbound.patience import MIN_ABANDONS, NO_PATIENCE, Patience, estimate_patience
from dialer.reports.activity import LOGGED_OUT
from dialer.reports.common import ReportError, ratio
from dialer.runner.learning import SEED_AGENT_EVENTS, HandleKind, handle_times
from dialer.store.agent_history import recent_agent_events
from dialer.store.engine import Database
from dialer.store.inbound_calls import InboundCallRecord, inbound_calls
from dialer.store.reports import AgentEventFact, agent_events

SLOT = timedelta(minutes=30)
SLOT_SECONDS = SLOT.total_seconds()
SLOTS_PER_DAY = 48
DEFAULT_WEEKS = 4
DEFAULT_SHRINKAGE = 0.30
DEFAULT_MAX_OCCUPANCY = 0.85
MAX_WEEKS = 26
ERLANG_A = "erlang-a"
ERLANG_C = "erlang-c"
MODELS = (ERLANG_A, ERLANG_C)

Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """What the agents are sized for: ``target`` of the callers answered within ``within_seconds``, occupancy at
    most ``max_occupancy``, ``shrinkage`` of the scheduled time lost to breaks and absence."""

    target: float = 0.80
    within_seconds: float = 20.0
    max_occupancy: float = DEFAULT_MAX_OCCUPANCY
    shrinkage: float = DEFAULT_SHRINKAGE

    @classmethod
    def of(
        cls,
        rule: ServiceLevelRule,
        target: str | None = None,
        *,
        shrinkage: float = DEFAULT_SHRINKAGE,
        max_occupancy: float = DEFAULT_MAX_OCCUPANCY,
    ) -> StaffingTarget:
        """The queue's configured service level (``rule``), or ``target`` as ``80/20`` (percent / seconds)."""
        share, within = rule.target, rule.answer_within_seconds
        if target is not None:
            share, within = parse_target(target)
        if not 0 < share < 1:
            raise ReportError(M_("target: the share must be above 0 % and below 100 %"))
        if not 0 <= shrinkage < 1:
            raise ReportError(M_("shrinkage: give a share from 0 up to (not including) 1, e.g. 0.3"))
        if not 0 < max_occupancy <= 1:
            raise ReportError(M_("max occupancy: give a share above 0 and at most 1, e.g. 0.85"))
        return cls(share, within, max_occupancy, shrinkage)

    def as_json(self) -> dict[str, float]:
        return {
            "target": self.target,
            "within_seconds": self.within_seconds,
            "max_occupancy": self.max_occupancy,
            "shrinkage": self.shrinkage,
        }


_TARGET = re.compile(r"^\s*(\d{1,3}(?:\.\d+)?)\s*%?\s*/\s*(\d{1,4}(?:\.\d+)?)\s*s?\s*$")


def parse_target(text: str) -> tuple[float, float]:
    """``80/20`` (percent answered / within seconds) as (0.80, 20.0)."""
    m = _TARGET.match(text)
    if m is None:
        raise ReportError(M_("target: write it as percent/seconds, e.g. 80/20 (not {text!r})", text=text))
    share, within = float(m.group(1)) / 100.0, float(m.group(2))
    if not 0 < share < 1:
        raise ReportError(M_("target: the share must be above 0 % and below 100 %"))
    if within > 3600:
        raise ReportError(M_("target: the time must be at most 3600 s"))
    return share, within


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def planned_week(week_of: str | None, now: datetime, zone: str) -> date:
    """The Monday of the week to plan: the one holding ``week_of`` (YYYY-MM-DD), by default next week in ``zone``."""
    if week_of is None:
        return week_start(now.astimezone(ZoneInfo(zone)).date() + timedelta(weeks=1))
    try:
        return week_start(date.fromisoformat(week_of.strip()))
    except ValueError:
        raise ReportError(M_("week of: give a day as YYYY-MM-DD (not {text!r})", text=week_of)) from None


def slot_spans(day: date, slot: int, zone: ZoneInfo) -> tuple[Span, ...]:
    """The instants the wall-clock half-hour ``slot`` of ``day`` covers in ``zone``: none when a DST change skips it,
    two when one repeats it, else one."""
    wall = datetime.combine(day, time(slot // 2, 30 * (slot % 2)), tzinfo=zone)
    back = wall.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != wall.replace(tzinfo=None):
        return ()
    starts = sorted({wall.astimezone(UTC), wall.replace(fold=1).astimezone(UTC)})
    return tuple((s, s + SLOT) for s in starts)


def slot_of(when: datetime, zone: ZoneInfo) -> tuple[date, int]:
    """The local day and wall-clock half-hour an instant falls in."""
    local = when.astimezone(zone)
    return local.date(), local.hour * 2 + local.minute // 30


def slot_label(slot: int) -> str:
    return f"{slot // 2:02d}:{30 * (slot % 2):02d}"


@dataclass(frozen=True, slots=True)
class HistoryWeek:
    """One week of the history: its Monday, its weight, and whether it counted (it had visits)."""

    start: date
    weight: int
    used: bool


@dataclass(frozen=True, slots=True)
class Interval:
    """One half-hour of one day of the planned week (``seconds``: how long it lasts that day)."""

    day: date
    slot: int
    seconds: float
    forecast_offered: float
    handle_seconds: float | None
    erlangs: float
    agents: int | None  # required on the phones (the model used); None: no handle time known
    scheduled: int | None  # with shrinkage
    service_level: float | None  # expected with ``agents`` (the model used)
    occupancy: float | None
    agents_erlang_c: int | None = None
    agents_erlang_a: int | None = None  # None: no patience estimate
    abandon_rate: float | None = None  # expected with ``agents`` under Erlang A; None: Erlang C used (nobody gives up)
    actual_offered: int | None = None  # None: not over yet
    actual_logged_in: float | None = None  # mean agents logged in over it; None: not over, or no agent history

    @property
    def label(self) -> str:
        return slot_label(self.slot)

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "interval": self.label,
            "seconds": self.seconds,
            "forecast_offered": round(self.forecast_offered, 2),
            "handle_seconds": None if self.handle_seconds is None else round(self.handle_seconds, 1),
            "erlangs": round(self.erlangs, 3),
            "agents_required": self.agents,
            "agents_to_schedule": self.scheduled,
            "expected_service_level": None if self.service_level is None else round(self.service_level, 4),
            "expected_occupancy": None if self.occupancy is None else round(self.occupancy, 4),
            "expected_abandon_rate": None if self.abandon_rate is None else round(self.abandon_rate, 4),
            "agents_required_erlang_c": self.agents_erlang_c,
            "agents_required_erlang_a": self.agents_erlang_a,
            "actual_offered": self.actual_offered,
            "actual_logged_in": None if self.actual_logged_in is None else round(self.actual_logged_in, 2),
        }


@dataclass(frozen=True, slots=True)
class StaffingForecast:
    queue: str
    zone: str
    week: date  # the planned week's Monday
    target: StaffingTarget
    history: tuple[HistoryWeek, ...]
    mean_talk_seconds: float | None
    mean_wrap_seconds: float | None
    intervals: tuple[Interval, ...]
    notes: tuple[str, ...] = ()
    model: str = ERLANG_C  # the model the agents required come from
    model_reason: str = ""  # why that one (translated)
    patience: Patience = NO_PATIENCE
    holidays: tuple[tuple[date, str], ...] = ()  # the planned week's holidays, with their names
    history_holidays: tuple[tuple[date, str], ...] = ()  # the history's days left out as holidays

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.week + timedelta(days=i) for i in range(7))

    def holiday(self, day: date) -> str | None:
        """The name of the public holiday ``day`` is (None: not one)."""
        return dict(self.holidays).get(day)

    @property
    def has_actuals(self) -> bool:
        return any(i.actual_offered is not None for i in self.intervals)

    def busy_slots(self) -> list[int]:
        """The half-hours with a forecast or actual call on some day (the rows worth showing), in order."""
        return sorted(
            {i.slot for i in self.intervals if i.forecast_offered > 0 or (i.actual_offered or 0) > 0 or i.scheduled}
        )

    def cell(self, day: date, slot: int) -> Interval:
        return self.intervals[(day - self.week).days * SLOTS_PER_DAY + slot]

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "staffing",
            "queue": self.queue,
            "zone": self.zone,
            "week_of": self.week.isoformat(),
            "target": self.target.as_json(),
            "history": [{"week_of": w.start.isoformat(), "weight": w.weight, "used": w.used} for w in self.history],
            "mean_talk_seconds": self.mean_talk_seconds,
            "mean_wrap_seconds": self.mean_wrap_seconds,
            "model": self.model,
            "model_reason": self.model_reason,
            "patience": {
                "mean_seconds": None if self.patience.mean_seconds is None else round(self.patience.mean_seconds, 1),
                "abandons": self.patience.abandons,
                "sound": self.patience.sound,
            },
            "holidays": [{"day": d.isoformat(), "name": name} for d, name in self.holidays],
            "history_holidays": [{"day": d.isoformat(), "name": name} for d, name in self.history_holidays],
            "intervals": [{**i.as_json(), "holiday": self.holiday(i.day)} for i in self.intervals],
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class StaffingQuestion:
    """What a forecast is asked: the queue, the week to plan (any day of it: kept as its Monday), when it is asked
    (the clock), the target, the service level's rule (what is offered and answered), the weeks of history, the
    zone of the intervals."""

    queue: str
    week: date
    now: datetime
    target: StaffingTarget
    rule: ServiceLevelRule
    weeks: int = DEFAULT_WEEKS
    zone: str = "UTC"
    model: str | None = None  # erlang-a or erlang-c; None: Erlang A when the patience estimate is sound, else C

    def __post_init__(self) -> None:
        if not 1 <= self.weeks <= MAX_WEEKS:
            raise ReportError(M_("weeks: give 1 to {most}", most=MAX_WEEKS))
        if self.model is not None and self.model not in MODELS:
            raise ReportError(M_("model: give erlang-a or erlang-c (not {text!r})", text=self.model))
        object.__setattr__(self, "week", week_start(self.week))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def history(self) -> list[tuple[date, int]]:
        """The history's Mondays (most recent first) with their weights: ``weeks`` weeks before the planned week,
        or before the current week when the planned one lies ahead."""
        last = min(self.week, week_start(self.now.astimezone(self.tz).date()))
        return [(last - timedelta(weeks=k), self.weeks + 1 - k) for k in range(1, self.weeks + 1)]

    def days(self) -> list[date]:
        """The planned week's days, Monday to Sunday."""
        return [self.week + timedelta(days=d) for d in range(7)]

    def midnight(self, day: date) -> datetime:
        """The instant ``day`` starts in the zone."""
        return datetime.combine(day, time(), tzinfo=self.tz).astimezone(UTC)


def holiday_of(day: date, zone: str) -> str | None:
    """The public holiday ``day`` is in ``zone``'s country (the campaigns' holiday rules: the country from the zone,
    with the subdivisions of the compliance regime of that country, e.g. every UK nation's bank holidays); None on
    other days and in a zone of no country (UTC)."""
    country = country_of_zone(zone)
    if country is None:
        return None
    subdivisions = next((r.holiday_subdivisions for r in REGIMES.values() if r.default_region == country), ())
    closure = ClosedDays(holidays=True, subdivisions=subdivisions).closure(day, zone)
    return None if closure is None else closure.name


def choose_model(asked: str | None, patience: Patience) -> tuple[str, str]:
    """The model to size agents with, and why (translated): Erlang A when the patience estimate is sound (or when
    asked for and there is an estimate at all), else Erlang C."""
    mean, abandons = patience.mean_seconds, patience.abandons
    if asked == ERLANG_C:
        return ERLANG_C, _("Erlang C asked for")
    if mean is None:
        return ERLANG_C, _("no caller gave up waiting in the history: the patience cannot be estimated")
    estimate = ngettext(
        "mean patience {seconds} s, estimated from {n} abandon",
        "mean patience {seconds} s, estimated from {n} abandons",
        abandons,
    ).format(seconds=f"{mean:.0f}", n=abandons)
    if patience.sound:
        return ERLANG_A, estimate
    if asked == ERLANG_A:
        return ERLANG_A, _("{estimate} (asked for; fewer than {least}: uncertain)").format(
            estimate=estimate, least=MIN_ABANDONS
        )
    return ERLANG_C, _("{estimate}: fewer than {least}, too few to rely on").format(
        estimate=estimate, least=MIN_ABANDONS
    )


def serving_periods(
    changes: Sequence[AgentEventFact], queue: str
) -> tuple[list[tuple[datetime, datetime | None]], bool]:
    """One agent's periods signed in to ``queue`` (None: still signed in), from their state changes (any order), and
    whether some change did not say the queues (rows written before they were recorded: such a change counts as
    serving ``queue``)."""
    periods: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    unknown = False
    for e in sorted(changes, key=lambda e: e.at):
        signed = e.status != LOGGED_OUT
        unknown = unknown or (signed and e.queues is None)
        serves = signed and (e.queues is None or queue in e.queues)
        if serves and start is None:
            start = e.at
        elif not serves and start is not None:
            periods.append((start, e.at))
            start = None
    if start is not None:
        periods.append((start, None))
    return periods, unknown


def _logged_in_seconds(
    periods: Sequence[tuple[datetime, datetime | None]], spans: Sequence[Span], now: datetime
) -> float:
    total = 0.0
    for start, end in periods:
        top = now if end is None else min(end, now)
        for lo, hi in spans:
            total += max((min(top, hi) - max(start, lo)).total_seconds(), 0.0)
    return total


def build_staffing_forecast(
    q: StaffingQuestion,
    visits: Sequence[InboundCallRecord],
    wraps: Sequence[float],
    events: Sequence[AgentEventFact] | None,
) -> StaffingForecast:
    """The answer to ``q`` from ``visits`` (the queue's, any order, the history's and the planned week's), the
    history's wrap-up durations and the planned week's agent state changes (None: no agent history)."""
    queue, rule, target, now, tz, monday = q.queue, q.rule, q.target, q.now, q.tz, q.week
    plan = q.history()
    first = plan[-1][0]
    # the visits by (week's Monday, weekday, slot)
    buckets: dict[tuple[date, int, int], list[InboundCallRecord]] = defaultdict(list)
    actual: dict[tuple[int, int], list[InboundCallRecord]] = defaultdict(list)
    history_visits: list[InboundCallRecord] = []
    for v in visits:
        if v.queue != queue:
            continue
        day, slot = slot_of(v.joined_at, tz)
        if first <= day < plan[0][0] + timedelta(weeks=1):
            buckets[(week_start(day), day.weekday(), slot)].append(v)
            history_visits.append(v)
        if monday <= day < monday + timedelta(weeks=1):
            actual[(day.weekday(), slot)].append(v)
    used = {m for m, _d, _s in buckets}
    history = tuple(HistoryWeek(m, w, m in used) for m, w in plan)
    overall = queue_figures(queue, history_visits, rule)
    mean_talk = overall.mean_talk_seconds
    mean_wrap = fmean(wraps) if wraps else None
    patience = estimate_patience(history_visits, rule)
    model, model_reason = choose_model(q.model, patience)
    patience_seconds = patience.mean_seconds
    holidays = tuple((day, name) for day in q.days() if (name := holiday_of(day, q.zone)) is not None)
    left_out = {
        m + timedelta(days=d): name
        for m, _w in plan
        if m in used
        for d in range(7)
        if (name := holiday_of(m + timedelta(days=d), q.zone)) is not None
    }
    # A weekday that was a holiday in every history week keeps its holidays: a holiday's calls are a better forecast
    # than none (a forecast of no call would staff nobody).
    kept: dict[date, str] = {}
    for d in range(7):
        weekdays = [m + timedelta(days=d) for m, _w in plan if m in used]
        if weekdays and all(day in left_out for day in weekdays):
            kept.update((day, left_out.pop(day)) for day in weekdays)
    notes: list[str] = []
    if not used:
        notes.append(_("no call in the history's weeks: nothing to forecast"))
    elif mean_talk is None:
        notes.append(_("no answered call with a known talk time in the history: the agents cannot be sized"))
    if used and mean_wrap is None:
        notes.append(_("no wrap-up in the agents' history: the handle time is the talk time alone"))
    missing = [w.start for w in history if not w.used]
    if used and missing:
        notes.append(
            _("weeks left out (no call): {weeks}").format(weeks=", ".join(d.isoformat() for d in sorted(missing)))
        )
    if left_out:
        days = ", ".join(f"{d.isoformat()} ({name})" for d, name in sorted(left_out.items()))
        notes.append(_("history days left out (public holiday): {days}").format(days=days))
    if kept:
        days = ", ".join(f"{d.isoformat()} ({name})" for d, name in sorted(kept.items()))
        notes.append(
            _("history days kept although public holidays (their weekday was one in every week): {days}").format(
                days=days
            )
        )
    by_agent: dict[str, list[AgentEventFact]] = defaultdict(list)
    for e in events or ():
        by_agent[e.agent].append(e)
    serving = [serving_periods(changes, queue) for changes in by_agent.values()]
    periods = [p for p, _unknown in serving]
    if any(unknown for _p, unknown in serving):
        notes.append(
            _(
                "agents logged in: some state changes do not say which queues the agent served (recorded before the "
                "queues were): those agents count whatever their queues"
            )
        )

    intervals: list[Interval] = []
    for d in range(7):
        day = monday + timedelta(days=d)
        for slot in range(SLOTS_PER_DAY):
            spans = slot_spans(day, slot, tz)
            seconds = SLOT_SECONDS * len(spans)
            rate_sum = weight_sum = talk_sum = talked = 0.0
            for m, w in plan:
                if m not in used or m + timedelta(days=d) in left_out:
                    continue
                past_spans = slot_spans(m + timedelta(days=d), slot, tz)
                if not past_spans:
                    continue
                f: QueueFigures = queue_figures(queue, buckets.get((m, d, slot), ()), rule)
                rate_sum += w * f.offered * SLOT_SECONDS / (SLOT_SECONDS * len(past_spans))
                weight_sum += w
                talk_sum += w * f.talk_seconds
                talked += w * f.talked
            rate = rate_sum / weight_sum if weight_sum else 0.0
            offered = rate * seconds / SLOT_SECONDS
            talk = ratio(talk_sum, talked) if talked else mean_talk
            handle = None if talk is None else talk + (mean_wrap or 0.0)
            erlangs = rate * handle / SLOT_SECONDS if handle else 0.0
            agents = scheduled = by_c = by_a = None
            level = occupancy = abandon = None
            if handle:
                within, share, cap = target.within_seconds, target.target, target.max_occupancy
                by_c = agents_required(erlangs, handle, within, share, cap)
                if patience_seconds is not None:
                    by_a = agents_required_a(erlangs, handle, patience_seconds, within, share, cap)
                agents = by_a if model == ERLANG_A else by_c
                assert agents is not None  # Erlang A is chosen only with a patience
                scheduled = with_shrinkage(agents, target.shrinkage)
                if agents and model == ERLANG_A and patience_seconds is not None:
                    expected = erlang_a(erlangs, agents, handle, patience_seconds, within)
                    level, occupancy, abandon = expected.service_level, expected.occupancy, expected.abandoned
                elif agents:
                    level = service_level(erlangs, agents, handle, within)
                    occupancy = erlangs / agents
            elif offered == 0:
                agents = scheduled = 0
            over = bool(spans) and spans[-1][1] <= now
            actual_offered = queue_figures(queue, actual.get((d, slot), ()), rule).offered if over else None
            logged_in = None
            if over and events is not None and seconds:
                logged_in = sum(_logged_in_seconds(p, spans, now) for p in periods) / seconds
            intervals.append(
                Interval(
                    day,
                    slot,
                    seconds,
                    offered,
                    handle,
                    erlangs,
                    agents,
                    scheduled,
                    level,
                    occupancy,
                    agents_erlang_c=by_c,
                    agents_erlang_a=by_a,
                    abandon_rate=abandon,
                    actual_offered=actual_offered,
                    actual_logged_in=logged_in,
                )
            )
    return StaffingForecast(
        queue,
        q.zone,
        monday,
        target,
        history,
        mean_talk,
        mean_wrap,
        tuple(intervals),
        tuple(notes),
        model=model,
        model_reason=model_reason,
        patience=patience,
        holidays=holidays,
        history_holidays=tuple(sorted(left_out.items())),
    )


async def staffing_forecast(db: Database, q: StaffingQuestion) -> StaffingForecast:
    """The answer to ``q`` from the stored visits and agent state history."""
    plan = q.history()
    since, until = q.midnight(plan[-1][0]), q.midnight(plan[0][0] + timedelta(weeks=1))
    week_from, week_to = q.midnight(q.week), q.midnight(q.week + timedelta(weeks=1))
    visits = await inbound_calls(db, queue=q.queue, since=min(since, week_from), until=max(until, week_to))
    changes = await recent_agent_events(db, q.queue, since, SEED_AGENT_EVENTS, until=until)
    ended = handle_times(q.queue, changes)
    wraps = [seconds for _agent, kind, seconds in ended if kind is HandleKind.WRAP]
    week_events = await agent_events(db, week_from, min(week_to, q.now)) if week_from < q.now else None
    # Erlang A is pure-Python numerics (a second or more for a busy week): in a thread, not on the loop that paces
    # calls (the thread keeps the reader's language: to_thread copies the context).
    return await asyncio.to_thread(build_staffing_forecast, q, visits, wraps, week_events)
