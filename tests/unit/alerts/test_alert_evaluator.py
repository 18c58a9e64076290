"""The alert evaluator (dialer.alerts.evaluator) and the readings of each rule kind (dialer.alerts.readings): pure,
the clock passed in. A table of cases for the hold times, the hysteresis and each kind's condition; properties that a
figure oscillating around its threshold does not flap and that every raised alert clears once its condition goes
away."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.alerts.evaluator import AlertEvaluator, Reading
from dialer.alerts.readings import AgentNow, CampaignNow, ServerNow, Snapshot, readings
from dialer.alerts.rules import DEFAULT_ALERT_RULES, AlertKind, AlertRule, Severity, check_alert_rules
from dialer.inbound.figures import InboundQueueNow, QueueFigures

WAIT = AlertRule(
    name="wait", kind=AlertKind.CALLER_WAITING, threshold=60, for_seconds=10, clear_seconds=5, hysteresis=20
)
LEVEL = AlertRule(name="level", kind=AlertKind.SERVICE_LEVEL_LOW, threshold=0.8, for_seconds=0, hysteresis=0.05)


def run(rule: AlertRule, figures: list[tuple[float, float | None]]) -> list[tuple[float, str]]:
    """Feed ``(time, figure)`` readings of one subject; the raisings and clearings, in order."""
    ev = AlertEvaluator([rule])
    limit = rule.threshold
    changes: list[tuple[float, str]] = []
    for now, value in figures:
        step = ev.evaluate([Reading(rule, "queue:q", value, limit)], now)
        changes += [(now, "raised") for _ in step.raised] + [(now, "cleared") for _ in step.cleared]
    return changes


@pytest.mark.parametrize(
    ("rule", "figures", "expected"),
    [
        # held 10 s past 60 s: raised at the tenth second, not before
        (WAIT, [(0, 61), (5, 70), (10, 80)], [(10, "raised")]),
        # a dip below the threshold restarts the hold
        (WAIT, [(0, 61), (5, 50), (6, 61), (15, 61), (16, 61)], [(16, "raised")]),
        # raised, then back under the threshold but within the hysteresis (41 > 60 - 20): still active
        (WAIT, [(0, 61), (10, 61), (11, 45), (30, 45)], [(10, "raised")]),
        # back past the hysteresis for the clear time: cleared
        (WAIT, [(0, 61), (10, 61), (11, 40), (15, 40), (16, 40)], [(10, "raised"), (16, "cleared")]),
        # back past the hysteresis, but not for long enough: stays
        (WAIT, [(0, 61), (10, 61), (11, 40), (14, 70), (20, 40), (24, 40)], [(10, "raised")]),
        # no figure any more (no caller waiting): gone
        (WAIT, [(0, 61), (10, 61), (11, None), (16, None)], [(10, "raised"), (16, "cleared")]),
        # a level below its target: at once (for 0), cleared once back above target + 5 points
        (LEVEL, [(0, 0.85), (1, 0.79), (2, 0.83), (3, 0.86)], [(1, "raised"), (3, "cleared")]),
        # exactly at the threshold is not past it
        (LEVEL, [(0, 0.8), (1, 0.8)], []),
    ],
)
def test_hold_times_and_hysteresis(
    rule: AlertRule, figures: list[tuple[float, float | None]], expected: list[tuple[float, str]]
) -> None:
    assert run(rule, figures) == expected


def test_an_alert_tells_when_its_condition_began_and_follows_its_figure() -> None:
    ev = AlertEvaluator([WAIT])
    ev.evaluate([Reading(WAIT, "queue:q", 61, 60)], 100)
    step = ev.evaluate([Reading(WAIT, "queue:q", 75, 60)], 110)
    (alert,) = step.raised
    assert (alert.started_at, alert.raised_at, alert.value, alert.severity) == (100, 110, 75, Severity.WARNING)
    step = ev.evaluate([Reading(WAIT, "queue:q", 90, 60)], 111)
    assert not step.raised
    assert [a.value for a in step.active] == [90]


def test_a_subject_gone_clears_and_resumed_alerts_are_not_raised_twice() -> None:
    rule = AlertRule(name="paused", kind=AlertKind.PAUSE_OVERDUE)
    ev = AlertEvaluator([rule])
    (raised,) = ev.evaluate([Reading(rule, "agent:ann", 5, 0, agent="ann")], 10).raised
    assert ev.set_id(raised.key, 7) is not None
    again = AlertEvaluator([rule])
    again.resume(ev.active)
    step = again.evaluate([Reading(rule, "agent:ann", 9, 0, agent="ann")], 11)
    assert not step.raised
    assert [a.id for a in step.active] == [7]
    step = again.evaluate([], 12)  # ann logged out
    assert [(a.id, a.cleared_at) for a in step.cleared] == [(7, 12)]
    assert not step.active


def test_active_alerts_newest_first_and_disabled_rules_ignored() -> None:
    off = AlertRule(name="off", kind=AlertKind.SERVER_DOWN, enabled=False)
    now = WAIT.model_copy(update={"for_seconds": 0})
    ev = AlertEvaluator([now, off])
    ev.evaluate([Reading(now, "queue:a", 61, 60)], 1)
    step = ev.evaluate(
        [Reading(now, "queue:a", 61, 60), Reading(now, "queue:b", 61, 60), Reading(off, "server:x", 1, 0)], 2
    )
    assert [a.subject for a in step.active] == ["queue:b", "queue:a"]


def test_the_default_rules_work_without_configuration_and_names_are_unique() -> None:
    check_alert_rules(DEFAULT_ALERT_RULES)
    assert {r.kind for r in DEFAULT_ALERT_RULES} == set(AlertKind)
    with pytest.raises(ValueError, match="listed twice"):
        check_alert_rules([WAIT, WAIT])
    with pytest.raises(ValueError, match="shares"):
        AlertRule(name="x", kind=AlertKind.ABANDON_NEAR_CAP, threshold=2)


def _queue(name: str, waiting: int, longest: float | None, answered_within: int, offered: int) -> InboundQueueNow:
    return InboundQueueNow(name, waiting, longest, QueueFigures(name, offered=offered, answered_within=answered_within))


def test_readings_of_each_kind() -> None:
    rules = {r.name: r for r in DEFAULT_ALERT_RULES}
    snapshot = Snapshot(
        now=1000.0,
        campaigns=[
            CampaignNow("near", 1, True, 0.026, 100, 0.03),  # within 0.5 points of its 3 % cap
            CampaignNow("few", 2, True, 0.5, 2, 0.03),  # too few live answers to judge
            CampaignNow("stuck", 3, True, 0.0, 0, 0.03, why_not="no_leads", ready_agents=2, idle_seconds=400),
            CampaignNow("nobody", 4, True, 0.0, 0, 0.03, why_not="no_agents", ready_agents=0, idle_seconds=900),
        ],
        queues=[_queue("sales", 2, 130.0, 6, 10), _queue("care", 0, None, 10, 10)],
        agents=[
            AgentNow("ann", since=0.0, pause_reason="break", pause_limit_seconds=900),  # 100 s over
            AgentNow("bob", since=0.0, pause_reason="training", pause_limit_seconds=None),  # no limit
            AgentNow("cat", since=800.0, wrapup_until=850.0),  # 150 s overdue
        ],
        servers=[ServerNow("pbx1", True), ServerNow("pbx2", False, "connection refused")],
    )
    got = {(r.rule.name, r.subject): r for r in readings(DEFAULT_ALERT_RULES, snapshot)}
    breaching = sorted(k for k, r in got.items() if r.breaching)
    assert breaching == [
        ("abandon_near_cap", "campaign:near"),
        ("caller_waiting", "queue:sales"),
        ("not_dialling", "campaign:stuck"),
        ("pause_overdue", "agent:ann"),
        ("server_down", "server:pbx2"),
        ("service_level_low", "queue:sales"),
        ("wrapup_overdue", "agent:cat"),
    ]
    assert got[("abandon_near_cap", "campaign:near")].limit == pytest.approx(0.025)
    assert got[("abandon_near_cap", "campaign:few")].value is None
    assert got[("not_dialling", "campaign:stuck")].detail == "no_leads"
    assert got[("pause_overdue", "agent:ann")].value == 100
    assert got[("pause_overdue", "agent:ann")].agent == "ann"
    assert ("pause_overdue", "agent:bob") not in got
    assert got[("service_level_low", "queue:sales")].limit == 0.8  # the [inbound_service_level] target
    assert rules["server_down"].severity is Severity.CRITICAL


# ------------------------------------------------------------------------------------------------- properties
@given(
    threshold=st.floats(10, 1000),
    margin=st.floats(1, 100),
    swings=st.lists(st.floats(0, 0.99), min_size=1, max_size=60),
    start_high=st.booleans(),
)
def test_a_figure_oscillating_around_its_threshold_does_not_flap(
    threshold: float, margin: float, swings: list[float], start_high: bool
) -> None:
    """A figure swinging around its threshold by less than the hysteresis is raised at most once and never cleared
    while it swings (for 0: the first time it is past the threshold)."""
    rule = AlertRule(name="wait", kind=AlertKind.CALLER_WAITING, threshold=threshold, hysteresis=margin)
    ev = AlertEvaluator([rule])
    raised = cleared = 0
    for i, swing in enumerate(swings):
        above = (i % 2 == 0) == start_high
        value = threshold + swing * margin if above else threshold - swing * margin
        step = ev.evaluate([Reading(rule, "queue:q", value, threshold)], float(i))
        raised += len(step.raised)
        cleared += len(step.cleared)
    assert raised <= 1
    assert cleared == 0


@given(
    hold=st.integers(0, 20),
    clear=st.integers(0, 20),
    figures=st.lists(st.one_of(st.none(), st.floats(0, 200)), min_size=1, max_size=80),
    subjects=st.integers(1, 3),
)
def test_every_raised_alert_is_cleared_once_its_condition_goes_away(
    hold: int, clear: int, figures: list[float | None], subjects: int
) -> None:
    """Whatever came before, once the figures are gone (or back past the hysteresis) for the clear time, no alert
    is active, and every alert raised was cleared exactly once; raised and cleared alternate per subject."""
    rule = AlertRule(
        name="wait", kind=AlertKind.CALLER_WAITING, threshold=100, for_seconds=hold, clear_seconds=clear, hysteresis=10
    )
    ev = AlertEvaluator([rule])
    events: dict[str, list[str]] = {}
    now = 0.0
    for i, value in enumerate(figures):
        subject = f"queue:{i % subjects}"
        step = ev.evaluate([Reading(rule, subject, value, 100)], now)
        for a in step.raised:
            events.setdefault(a.subject, []).append("raised")
        for a in step.cleared:
            events.setdefault(a.subject, []).append("cleared")
        now += 1.0
    for _ in range(clear + 2):
        step = ev.evaluate([Reading(rule, f"queue:{s}", 50, 100) for s in range(subjects)], now)
        for a in step.cleared:
            events.setdefault(a.subject, []).append("cleared")
        assert not step.raised
        now += 1.0
    assert not ev.active
    for seen in events.values():
        assert seen == ["raised", "cleared"] * (len(seen) // 2)
