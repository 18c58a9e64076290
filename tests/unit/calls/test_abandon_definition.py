"""One definition of live answer and abandon (``count_answer`` + the regime's ``AbandonRules``), the same in the
pacer's window and in the compliance report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.calls.outcome import AMD_HANGUP, AMD_MACHINE, AbandonRules, Outcome, count_answer
from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.campaign.pacing import pacing_settings
from dialer.pacing import PacingStats
from dialer.reports.common import ReportRange
from dialer.reports.compliance import AnswerEvent, abandon_section
from dialer.runner.state import record_answer

BASE: dict[str, Any] = {
    "name": "legal",
    "dial_mode": "predictive",
    "queue": "outbound-agents",
    "trunk": "Local/{number}@sim-pstn",
    "caller_id": {"number": "+12025550100", "name": "Legal Test"},
}


def campaign(regime: str, fp: float | None = None, amd: bool = True) -> CampaignConfig:
    options: dict[str, Any] = {"enabled": amd}
    if fp is not None:
        options["false_positive_rate"] = fp
    return load_campaign({**BASE, "regime": regime, "amd": options})


# -- the regime decision: a callee gone within the 2 s allowance during AMD ---------------------------------------


@pytest.mark.parametrize(("regime", "counted"), [("US", 0.0), ("UK", 1.0), ("CA", 1.0)])
def test_a_callee_gone_within_the_allowance_during_amd_per_regime(regime: str, counted: float) -> None:
    rules = campaign(regime).abandon_rules
    count = count_answer(Outcome.ABANDONED, amd_status=AMD_HANGUP, seconds_after_answer=1.4, rules=rules)
    assert count.live == 1.0  # a live person answered: in the denominator everywhere
    assert count.abandoned == counted


@pytest.mark.parametrize("regime", ["US", "UK", "CA"])
def test_abandons_the_dialer_made_count_in_every_regime(regime: str) -> None:
    rules = campaign(regime).abandon_rules
    # Gone after the allowance, or no agent reached the person (queue timeout, no AMD hang-up): abandoned.
    late = count_answer(Outcome.ABANDONED, amd_status=AMD_HANGUP, seconds_after_answer=2.5, rules=rules)
    queued = count_answer(Outcome.ABANDONED, amd_status="HUMAN", seconds_after_answer=1.0, rules=rules)
    unknown = count_answer(Outcome.ABANDONED, amd_status=AMD_HANGUP, seconds_after_answer=None, rules=rules)
    assert (late.abandoned, queued.abandoned, unknown.abandoned) == (1.0, 1.0, 1.0)
    assert count_answer(Outcome.CONNECTED, amd_status=None, seconds_after_answer=9.0, rules=rules).abandoned == 0.0
    for outcome in (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.FAILED, Outcome.CANCELLED, None):
        assert not count_answer(outcome, amd_status=None, seconds_after_answer=None, rules=rules).counts


def test_regime_presets_carry_the_decision_and_the_amd_estimate() -> None:
    us, uk, ca = campaign("US").abandon_rules, campaign("UK").abandon_rules, campaign("CA").abandon_rules
    assert (us.early_hangup_is_abandon, uk.early_hangup_is_abandon, ca.early_hangup_is_abandon) == (False, True, True)
    assert uk.amd_false_positive_rate == pytest.approx(0.10)  # Ofcom: AMD false positives are abandons
    assert campaign("UK", amd=False).abandon_rules.amd_false_positive_rate == 0.0
    assert campaign("US", fp=0.02).abandon_rules.amd_false_positive_rate == pytest.approx(0.02)
    machine = count_answer(Outcome.MACHINE, amd_status="MACHINE", seconds_after_answer=3.0, rules=uk)
    assert (machine.live, machine.abandoned, machine.estimated) == pytest.approx((0.1, 0.1, 0.1))


# -- the pacer's window and the report count the same ------------------------------------------------------------

T0 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
CALL = st.tuples(
    st.sampled_from([Outcome.CONNECTED, Outcome.ABANDONED, Outcome.MACHINE, Outcome.NO_ANSWER, Outcome.BUSY]),
    # A machine outcome with AMDSTATUS MACHINE is AMD's verdict; with any other, an agent marked it.
    st.sampled_from([None, "HUMAN", "NOTSURE", AMD_HANGUP, AMD_MACHINE]),
    st.floats(min_value=0.0, max_value=6.0),
)


def both_counts(config: CampaignConfig, calls: list[tuple[Outcome, str | None, float]]) -> tuple[Any, Any, Any]:
    """Feed the same calls to the runner's recording (the pacer's window, estimate included) and to the compliance
    report."""
    rules: AbandonRules = config.abandon_rules
    stats = PacingStats(pacing_settings(config))
    events = []
    for i, (outcome, amd, after) in enumerate(calls):
        at = T0 + timedelta(minutes=i)
        count = count_answer(outcome, amd_status=amd, seconds_after_answer=after, rules=rules)
        record_answer(stats, at.timestamp(), count, predictive=True)
        if outcome.is_answered:
            events.append(AnswerEvent.of(at, outcome.value, count))
    now = T0 + timedelta(minutes=len(calls))
    report = abandon_section(events, config, ReportRange(None, None), now).current_24h
    return stats.window, stats.amd_false_positive_estimate, report


@settings(max_examples=60, deadline=None)
@given(
    calls=st.lists(CALL, max_size=60),
    regime=st.sampled_from(["US", "UK", "CA"]),
    fp=st.floats(min_value=0.0, max_value=0.3),
    more=st.floats(min_value=0.0, max_value=0.3),
)
def test_the_amd_estimate_moves_the_pacer_and_the_report_by_the_same_amount(
    calls: list[tuple[Outcome, str | None, float]], regime: str, fp: float, more: float
) -> None:
    low_window, low_est, low_report = both_counts(campaign(regime, fp), calls)
    high_window, high_est, high_report = both_counts(campaign(regime, fp + more), calls)
    for window, est, report in ((low_window, low_est, low_report), (high_window, high_est, high_report)):
        # The window holds the estimate in both live answers and abandons, as the report's rate does.
        assert window.live_answers == pytest.approx(report.live_answers + report.amd_false_positives)
        assert window.abandons == pytest.approx(report.abandoned + report.amd_false_positives)
        assert est == pytest.approx(report.amd_false_positives)
    assert high_est - low_est == pytest.approx(high_report.amd_false_positives - low_report.amd_false_positives)
    machines = sum(1 for outcome, amd, _ in calls if outcome is Outcome.MACHINE and amd == AMD_MACHINE)
    assert high_est - low_est == pytest.approx(machines * more)


def test_the_live_pacer_guards_against_the_regimes_amd_false_positives() -> None:
    """The runner's pacing settings carry the regime's AMD estimate (in-flight and new calls at the guard's quantile);
    without AMD there is none."""
    with_amd = campaign("UK", 0.1)
    assert pacing_settings(with_amd).amd_false_positive_rate == with_amd.abandon_rules.amd_false_positive_rate
    assert pacing_settings(with_amd).amd_false_positive_rate > 0.0
    assert pacing_settings(campaign("UK", 0.1, amd=False)).amd_false_positive_rate == 0.0


def test_a_machine_an_agent_marked_is_no_live_answer_and_no_estimate() -> None:
    """AMD's machine verdict carries the regime's false-positive estimate; a machine an agent heard and marked
    (AMD off, paused or wrong) is certain: it counts nowhere."""
    uk = campaign("UK").abandon_rules
    for amd in (None, "HUMAN", "NOTSURE"):
        marked = count_answer(Outcome.MACHINE, amd_status=amd, seconds_after_answer=8.0, rules=uk)
        assert not marked.counts
        assert (marked.live, marked.abandoned, marked.estimated) == (0.0, 0.0, 0.0)


@settings(max_examples=60, deadline=None)
@given(calls=st.lists(st.tuples(CALL, st.booleans()), max_size=60), regime=st.sampled_from(["US", "UK", "CA"]))
def test_machines_the_agents_mark_leave_the_pacer_and_the_report_alike(
    calls: list[tuple[tuple[Outcome, str | None, float], bool]], regime: str
) -> None:
    """A connected call the agent then marks as a machine (``marked``): the runner counted it at the hangup and takes
    it back (``PacingStats.retract_live_answer``); the report reads the stored outcome, ``machine``. Both count the
    same."""
    config = campaign(regime, 0.05)
    rules = config.abandon_rules
    stats = PacingStats(pacing_settings(config))
    events = []
    for i, ((outcome, amd, after), marked) in enumerate(calls):
        at = T0 + timedelta(minutes=i)
        seen = count_answer(outcome, amd_status=amd, seconds_after_answer=after, rules=rules)
        record_answer(stats, at.timestamp(), seen, predictive=True)
        stored = outcome
        if marked and outcome is Outcome.CONNECTED and amd != AMD_MACHINE:  # (AMD's machines never reach agents)
            stored = Outcome.MACHINE
            stats.retract_live_answer(at.timestamp())
        if stored.is_answered:
            count = count_answer(stored, amd_status=amd, seconds_after_answer=after, rules=rules)
            events.append(AnswerEvent.of(at, stored.value, count))
    now = T0 + timedelta(minutes=len(calls))
    report = abandon_section(events, config, ReportRange(None, None), now).current_24h
    window = stats.window
    if report is None:
        assert window.live_answers == pytest.approx(0.0)
        return
    assert window.live_answers == pytest.approx(report.live_answers + report.amd_false_positives)
    assert window.abandons == pytest.approx(report.abandoned + report.amd_false_positives)
