"""A known inbound history for the staffing forecast (queue ``care``, times in UTC unless said).

The planned week is that of Monday 2 March 2026 (``WEEK``), seen on Wednesday 4 March at 12:00 (``NOW``): its
Monday, Tuesday and Wednesday morning are over (forecast against actual), the rest is ahead. The history is the four
weeks before it (9, 16, 23 February weigh 2, 3, 4; 2 February, weighing 1, has no call: left out).

* each weekday of a history week, from 09:00 to 11:59, ``4 + week number`` callers per half-hour (6, 7, 8 in the
  weeks of 9, 16, 23 February): every one answered after 10 s and talking 150 s, but every fifth caller who hangs
  up after 40 s (an abandon) and every seventh after 2 s (a short abandon: still offered);
* the planned week: 10 callers per half-hour from 09:00 to 11:59, Monday to Wednesday;
* agent a1 takes a ``care`` call at 09:00 every history Monday and wraps it up for 30 s (a2's 90 s wrap-up after an
  outbound call -- another queue -- is not the queue's); in the planned week a1 is logged in 09:00-12:00 (a care
  call at 09:40 with a 5-minute wrap-up: after the history, not in its mean) and a2 09:15-10:00 each of Monday to
  Wednesday, both signed in to ``care`` (a2 to ``sales`` too); a3 is logged in 09:00-12:00 to ``sales`` only: not
  one of the queue's agents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dialer.inbound.calls import InboundOutcome
from dialer.store import Database
from dialer.store.agent_history import AgentEventRecord, record_agent_events
from dialer.store.inbound_calls import InboundCallRecord, record_inbound_calls

QUEUE = "care"
WEEK = date(2026, 3, 2)
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
HISTORY = {date(2026, 2, 9): 6, date(2026, 2, 16): 7, date(2026, 2, 23): 8}  # callers per half-hour
ACTUAL = 10


def _at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def _visit(joined: datetime, n: int) -> InboundCallRecord:
    if n % 7 == 6:
        return InboundCallRecord(None, QUEUE, "", joined, joined + timedelta(seconds=2), InboundOutcome.ABANDONED, 2.0)
    if n % 5 == 4:
        end = joined + timedelta(seconds=40)
        return InboundCallRecord(None, QUEUE, "", joined, end, InboundOutcome.ABANDONED, 40.0)
    end = joined + timedelta(seconds=160)
    return InboundCallRecord(None, QUEUE, "", joined, end, InboundOutcome.ANSWERED, 10.0, 150.0, "PJSIP/1001")


def _half_hours(day: date, count: int) -> list[InboundCallRecord]:
    visits = []
    for slot in range(6):  # 09:00 .. 11:30
        start = _at(day, 9 + slot // 2, 30 * (slot % 2))
        visits += [_visit(start + timedelta(minutes=2 * i), i) for i in range(count)]
    return visits


def visits() -> list[InboundCallRecord]:
    out: list[InboundCallRecord] = []
    for monday, count in HISTORY.items():
        for d in range(5):
            out += _half_hours(monday + timedelta(days=d), count)
    for d in range(3):
        out += _half_hours(WEEK + timedelta(days=d), ACTUAL)
    return out


def events() -> list[AgentEventRecord]:
    out: list[AgentEventRecord] = []
    for monday in HISTORY:
        out += [
            AgentEventRecord("a1", _at(monday, 8, 59), "ready", "logged_out"),
            AgentEventRecord("a1", _at(monday, 9, 0), "talking", "ready", queue=QUEUE),
            AgentEventRecord("a1", _at(monday, 9, 2, 30), "wrapup", "talking", queue=QUEUE),
            AgentEventRecord("a1", _at(monday, 9, 3), "ready", "wrapup"),
            AgentEventRecord("a1", _at(monday, 9, 30), "logged_out", "ready"),
            AgentEventRecord("a2", _at(monday, 9, 0), "talking", "ready", queue="outbound-sales"),
            AgentEventRecord("a2", _at(monday, 9, 5), "wrapup", "talking", queue="outbound-sales"),
            AgentEventRecord("a2", _at(monday, 9, 6, 30), "logged_out", "wrapup"),
        ]
    for d in range(3):
        day = WEEK + timedelta(days=d)
        care, both, sales = (QUEUE,), (QUEUE, "sales"), ("sales",)
        out += [
            AgentEventRecord("a1", _at(day, 9, 0), "ready", "logged_out", queues=care),
            AgentEventRecord("a1", _at(day, 9, 40), "talking", "ready", queue=QUEUE, queues=care),
            AgentEventRecord("a1", _at(day, 9, 42), "wrapup", "talking", queue=QUEUE, queues=care),
            AgentEventRecord("a1", _at(day, 9, 47), "ready", "wrapup", queues=care),  # 5 min: not the history's
            AgentEventRecord("a1", _at(day, 12, 0), "logged_out", "ready", queues=()),
            AgentEventRecord("a2", _at(day, 9, 15), "ready", "logged_out", queues=both),
            AgentEventRecord("a2", _at(day, 10, 0), "logged_out", "ready", queues=()),
            AgentEventRecord("a3", _at(day, 9, 0), "ready", "logged_out", queues=sales),
            AgentEventRecord("a3", _at(day, 12, 0), "logged_out", "ready", queues=()),
        ]
    return out


async def add_staffing_history(db: Database) -> None:
    await record_inbound_calls(db, visits())
    await record_agent_events(db, events())
