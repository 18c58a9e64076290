"""The performance report's callback figures (pure): one promise is counted once when a callback's dial found the
number dead and the promise carried over to the lead's next phone, and a call keeps only a callback booked before it
started."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from dialer.reports.performance_scan import callback_figures_from_calls
from dialer.store.reports import CallbackFact

DUE = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BOOKED = DUE - timedelta(hours=1)


def figures(callbacks: list[CallbackFact], calls: list[datetime], now: datetime) -> tuple[int, ...]:
    f = callback_figures_from_calls(callbacks, {1: calls}, now)
    return (f.due, f.kept_on_time, f.kept_late, f.missed, f.pending, f.cancelled)


def test_a_promise_carried_over_to_the_next_phone_is_one_callback_kept_by_the_next_phones_call() -> None:
    dead_dial = DUE  # kept the first callback; the number was dead
    carried_at = DUE + timedelta(seconds=20)
    first = CallbackFact(1, 1, DUE, "alice", "done", BOOKED, carried_to=2)
    carried = CallbackFact(2, 1, DUE, "alice", "pending", carried_at)
    # before the next phone is dialled: one promise, pending (the dead number's call does not keep it)
    assert figures([first, carried], [dead_dial], DUE + timedelta(minutes=1)) == (1, 0, 0, 0, 1, 0)
    # the next phone never dialled within the grace: missed
    assert figures([first, carried], [dead_dial], DUE + timedelta(hours=1)) == (1, 0, 0, 1, 0, 0)
    # dialled 5 min after the time promised: kept on time; 30 min after: late
    kept = replace(carried, state="done")
    assert figures([first, kept], [dead_dial, DUE + timedelta(minutes=5)], DUE + timedelta(hours=1)) == (
        1,
        1,
        0,
        0,
        0,
        0,
    )
    assert figures([first, kept], [dead_dial, DUE + timedelta(minutes=30)], DUE + timedelta(hours=1)) == (
        1,
        0,
        1,
        0,
        0,
        0,
    )


def test_a_call_started_before_a_callback_was_booked_does_not_keep_it() -> None:
    """A callback booked during a call due a minute later: that call does not keep it (the store dials the lead again
    for it); a call made early, once it was booked, does."""
    booked_during = CallbackFact(1, 1, DUE, None, "pending", DUE - timedelta(minutes=1))
    assert figures([booked_during], [DUE - timedelta(minutes=2)], DUE + timedelta(minutes=1)) == (1, 0, 0, 0, 1, 0)
    assert figures([booked_during], [DUE - timedelta(seconds=30)], DUE + timedelta(minutes=1)) == (1, 1, 0, 0, 0, 0)
