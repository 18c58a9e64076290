"""The bench's abandon-rate check is over full 24 h windows: a run shorter than 24 h has none (its whole run's
rate is reported as partial), and `--full` runs measure at least one full window."""

from __future__ import annotations

from dataclasses import replace

from dialer.bench.pacing import FULL_MIN_HOURS, _cell_job, worst_24h
from dialer.sim.des import policies as P
from dialer.sim.des import simulate
from dialer.sim.des.metrics import worst_from_start, worst_window
from dialer.sim.model import load_scenario


def test_a_run_shorter_than_a_day_reports_its_window_as_partial() -> None:
    scenario = load_scenario("n10-p020")
    short = simulate(scenario, P.progressive(), seed=3, hours=0.5, warmup_minutes=5.0)
    assert short.window_partial
    assert worst_24h([short]).endswith("partial")
    day = replace(short, window_partial=False, worst_24h_abandon=0.0312)
    # A full window counts; partial ones beside it are not 24 h figures and do not enter the worst.
    assert worst_24h([day, replace(short, worst_24h_abandon=0.05)]) == "3.12"


def test_worst_window_slides_over_full_days_only() -> None:
    minutes = 2 * 24 * 60
    answers = [10] * minutes
    abandons = [0] * minutes
    abandons[0] = 100  # a burst in the first minute: in one full day (the first), 100 / 14 400
    assert abs(worst_window(answers, abandons, 24 * 60) - 100 / 14_400) < 1e-12


def test_windows_holding_the_campaigns_start_count_from_its_first_hour() -> None:
    """A 24 h window ending in the campaign's first day holds only its calls so far: a burst of abandons in its
    second hour breaks those windows even when every full day of the run stays under the cap."""
    minutes = 3 * 24 * 60
    answers = [10] * minutes
    abandons = [0] * minutes
    abandons[70] = 30  # 30 of the first 710 answers
    assert worst_window(answers, abandons, 24 * 60) < 0.03
    assert worst_from_start(answers[: 24 * 60], abandons[: 24 * 60], 60) == 30 / 710
    assert worst_from_start(answers[:50], abandons[:50], 60) is None  # the campaign's first hour not over


def test_a_run_reports_its_worst_window_from_the_campaigns_start_warm_up_included() -> None:
    scenario = load_scenario("n10-p020")
    result = simulate(scenario, P.clairvoyant(), seed=3, hours=1.5, warmup_minutes=30.0)
    assert result.worst_start_abandon is not None
    assert result.worst_start_abandon > 0.0  # the warm-up's and first hour's abandons are in it
    short = simulate(scenario, P.progressive(), seed=3, hours=0.25, warmup_minutes=5.0)
    assert short.worst_start_abandon is None


def test_full_runs_measure_at_least_a_day() -> None:
    scenario = load_scenario("n20-p020")
    sized = _cell_job(
        scenario, hours=None, seed=None, live_answers=3_000, policies=("ours",), progress=False, seeds=5,
        min_hours=FULL_MIN_HOURS,
    )  # fmt: skip
    assert sized.plan.hours >= 24.0
    asked = _cell_job(
        scenario, hours=2.0, seed=None, live_answers=3_000, policies=("ours",), progress=False, seeds=5,
        min_hours=FULL_MIN_HOURS,
    )  # fmt: skip
    assert asked.plan.hours == 2.0  # an explicit --hours wins (its windows then report as partial)
