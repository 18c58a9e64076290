"""Who gets a due callback (dialer.campaign.rules.callback_route): its owner alone while within the campaign's
personal_callback_grace (now if free, else it waits for them), anyone through the queue past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.rules import rules_campaign
from hypothesis import given
from hypothesis import strategies as st

from dialer.campaign.rules import CallbackRoute, LeadSnapshot, LeadStatus, callback_route, owner_waited_for

US = rules_campaign("cb")  # personal_callback_grace: 30 min (the default)
DUE = datetime(2026, 7, 1, 16, 0, tzinfo=UTC)


def callback(agent: str | None = "1001", due: datetime | None = DUE) -> LeadSnapshot:
    return LeadSnapshot(
        id=1,
        campaign="cb",
        phone="+12125551234",
        tz_candidates=("America/New_York",),
        status=LeadStatus.CALLBACK,
        callback_at=due,
        callback_agent=agent,
    )


def test_a_free_owner_gets_their_callback_even_with_others_free() -> None:
    assert callback_route(callback(), US, DUE, {"1002", "1001", "1003"}) is CallbackRoute.OWNER


def test_an_owner_not_free_is_waited_for_until_the_grace_is_over() -> None:
    # Signed out, paused, on a call, in wrap-up: not among the free agents. Others free do not take it.
    assert callback_route(callback(), US, DUE, {"1002"}) is CallbackRoute.WAIT
    assert callback_route(callback(), US, DUE + timedelta(minutes=29, seconds=59), {"1002"}) is CallbackRoute.WAIT
    assert callback_route(callback(), US, DUE + timedelta(minutes=30), {"1002"}) is CallbackRoute.ANYONE
    # Past the grace the owner is one of anyone: the queue gives it to whoever is free.
    assert callback_route(callback(), US, DUE + timedelta(minutes=31), {"1001"}) is CallbackRoute.ANYONE


def test_nobodys_callback_is_anyones() -> None:
    assert callback_route(callback(agent=None), US, DUE, {"1001"}) is CallbackRoute.ANYONE
    assert callback_route(callback(agent=None), US, DUE, set()) is CallbackRoute.ANYONE


def test_never_the_grace_runs_out_with_never() -> None:
    loyal = rules_campaign("cb", personal_callback_grace="never")
    assert callback_route(callback(), loyal, DUE + timedelta(days=3), set()) is CallbackRoute.WAIT
    assert callback_route(callback(), loyal, DUE + timedelta(days=3), {"1001"}) is CallbackRoute.OWNER


def test_a_callback_without_a_due_time_waits_for_its_owner() -> None:
    assert callback_route(callback(due=None), US, DUE, {"1002"}) is CallbackRoute.WAIT


@given(
    late=st.integers(min_value=-3600, max_value=7200),
    free=st.sets(st.sampled_from(["1001", "1002", "1003"])),
)
def test_the_route_follows_the_one_grace_rule(late: int, free: set[str]) -> None:
    """The owner's callback is theirs exactly while owner_waited_for (the claim's p_owned_until) says so."""
    now = DUE + timedelta(seconds=late)
    route = callback_route(callback(), US, now, free)
    if not owner_waited_for(callback(), US, now):
        assert route is CallbackRoute.ANYONE
    else:
        assert route is (CallbackRoute.OWNER if "1001" in free else CallbackRoute.WAIT)
