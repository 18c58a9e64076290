"""Agentless pacing (pure): target finish time, channel cap, CPS, the agents' capacity for transfers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dialer.agentless.pacing import AgentlessLoad, LaunchWindow, agentless_launches, required_concurrency

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
    # 1000 calls x 30 s in 3600 s - 60 s tail = ~8.5 calls up; x1.25 safety
    assert d.concurrency == required_concurrency(1000, 30.0, 3600 - 60)
    assert 9 <= d.concurrency <= 12
    assert d.launch == d.concurrency
    assert d.reason == "target"
    assert d.on_track


def test_never_above_the_channel_cap_and_says_when_behind() -> None:
    d = agentless_launches(load(target_finish=NOW + timedelta(minutes=5)))
    assert d.concurrency == 30
    assert d.reason == "channels"
    assert not d.on_track
    assert agentless_launches(load(target_finish=None)).concurrency == 30


def test_only_the_difference_is_launched_and_cps_bounds_it() -> None:
    assert agentless_launches(load(in_flight=9)).launch == max(0, required_concurrency(1000, 30, 3540) - 9)
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
