"""Agentless pacing (pure): target finish time, channel cap, CPS, the agents' capacity for transfers."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.agentless.pacing import (
    FINISH_MARGIN_SECONDS,
    AgentlessLoad,
    LaunchWindow,
    agentless_launches,
    required_concurrency,
)

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def load(**kw: object) -> AgentlessLoad:
    base: dict[str, object] = {
        "now": NOW,
        "remaining": 1000,
        "in_flight": 0,
        "max_channels": 30,
        "cps_room": 100,
        "mean_call_seconds": 30.0,
        "target_finish": NOW + timedelta(hours=1),
    }
    base.update(kw)
    return AgentlessLoad(**base)  # type: ignore[arg-type]


def test_paces_to_the_target_with_the_fewest_channels() -> None:
    d = agentless_launches(load())
    # 1000 calls x 30 s in 3600 s - 60 s tail - 300 s margin = ~9.3 calls up; x1.25 safety
    assert d.concurrency == required_concurrency(1000, 30.0, 3600 - 60 - FINISH_MARGIN_SECONDS)
    assert 10 <= d.concurrency <= 13
    assert d.launch == d.concurrency
    assert d.reason == "target"
    assert d.on_track


@settings(deadline=None, max_examples=40)
@given(
    leads=st.integers(min_value=50, max_value=3000),
    call_seconds=st.integers(min_value=10, max_value=90),
    minutes=st.integers(min_value=60, max_value=240),
)
def test_replanned_every_second_the_list_ends_before_the_target_by_the_margin(
    leads: int, call_seconds: int, minutes: int
) -> None:
    """The runner re-plans every second; calls last ``call_seconds``. Where the target is reachable at all, the list
    ends at least half the margin before it (re-planning alone would run it down to the deadline itself)."""
    target = NOW + timedelta(minutes=minutes)
    if leads * call_seconds / 30 > (minutes * 60 - FINISH_MARGIN_SECONDS - 2 * call_seconds) * 0.8:
        return  # not reachable at 30 channels with room to spare: the channel cap case above
    ends: deque[float] = deque()  # of the calls up, in order (every call lasts the same)
    remaining, t, last_end = leads, 0.0, 0.0
    while remaining > 0:
        while ends and ends[0] <= t:
            ends.popleft()
        in_flight = len(ends)
        d = agentless_launches(
            load(
                now=NOW + timedelta(seconds=t),
                remaining=remaining,
                in_flight=in_flight,
                mean_call_seconds=float(call_seconds),
                longest_call_seconds=float(call_seconds),
                target_finish=target,
            )
        )
        ends.extend([t + call_seconds] * d.launch)
        last_end = max(last_end, t + call_seconds) if d.launch else last_end
        remaining -= d.launch
        t += 1.0
    assert last_end <= (target - NOW).total_seconds() - 150  # (half the 5-minute margin)


def test_never_above_the_channel_cap_and_says_when_behind() -> None:
    d = agentless_launches(load(target_finish=NOW + timedelta(minutes=5)))
    assert d.concurrency == 30
    assert d.reason == "channels"
    assert not d.on_track
    assert agentless_launches(load(target_finish=None)).concurrency == 30


def test_only_the_difference_is_launched_and_cps_bounds_it() -> None:
    assert agentless_launches(load(in_flight=9)).launch == max(
        0, required_concurrency(1000, 30, 3540 - FINISH_MARGIN_SECONDS) - 9
    )
    d = agentless_launches(load(target_finish=None, cps_room=3))
    assert d.launch == 3
    assert d.reason == "cps"
    assert agentless_launches(load(remaining=2, target_finish=None)).launch == 2
    assert agentless_launches(load(remaining=0)).reason == "done"


def test_transfers_count_against_the_agents() -> None:
    # 10 % ask for an agent, 2 agents: at most 20 calls up
    d = agentless_launches(load(target_finish=None, transfer_share=0.1, agents=2, agents_free=2))
    assert d.concurrency == 20
    assert d.reason == "agents"
    # a caller already waits with no agent free: nobody new is dialled
    d = agentless_launches(
        load(target_finish=None, transfer_share=0.1, agents=2, agents_free=0, queue_waiting=1, in_flight=12)
    )
    assert d.launch == 0
    assert d.reason == "agents"


@given(
    remaining=st.integers(0, 5000),
    in_flight=st.integers(0, 60),
    cap=st.integers(1, 60),
    cps=st.integers(0, 20),
    mean=st.floats(0, 600),
    minutes=st.integers(-10, 600),
    share=st.floats(0, 1),
    agents=st.integers(0, 20),
)
def test_never_over_the_cap_the_cps_or_the_list(
    remaining: int, in_flight: int, cap: int, cps: int, mean: float, minutes: int, share: float, agents: int
) -> None:
    d = agentless_launches(
        load(
            remaining=remaining,
            in_flight=in_flight,
            max_channels=cap,
            cps_room=cps,
            mean_call_seconds=mean,
            target_finish=NOW + timedelta(minutes=minutes),
            transfer_share=share,
            agents=agents,
            agents_free=agents,
        )
    )
    assert d.launch <= max(0, cap - in_flight)
    assert d.launch <= cps
    assert d.launch <= remaining


def test_launch_window_is_a_hard_sliding_second() -> None:
    w = LaunchWindow(3)
    assert w.room(0.0) == 3
    for _ in range(3):
        w.record(0.0)
    assert w.room(0.99) == 0
    assert w.room(1.0) == 3
    slow = LaunchWindow(0.5)
    slow.record(0.0)
    assert slow.room(1.9) == 0
    assert slow.room(2.0) == 1


def test_agentless_campaign_config() -> None:
    from pathlib import Path

    import pytest

    from dialer.campaign.config import CampaignConfigError, load_campaign, load_campaign_file

    repo = Path(__file__).resolve().parents[3]
    c = load_campaign_file(repo / "campaigns" / "reminder.toml")
    assert c.kind == "agentless"
    assert c.dial_context == "dialer-ivr"
    assert c.agentless.max_channels == 30
    base = {
        "name": "x",
        "kind": "agentless",
        "queue": "q",
        "trunk": "Local/{number}@sim-pstn",
        "caller_id": {"number": "+12025550100"},
    }
    with pytest.raises(CampaignConfigError, match=r"needs agentless\.flow"):
        load_campaign(dict(base))
    with pytest.raises(CampaignConfigError, match="nodes"):
        load_campaign(base | {"ivr": {"name": "f", "start": "a"}})
    inline = load_campaign(base | {"ivr": {"name": "f", "start": "a", "nodes": {"a": {"type": "hangup"}}}})
    assert inline.ivr is not None
