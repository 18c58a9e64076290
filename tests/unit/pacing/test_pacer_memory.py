"""The pacer's memory (dialer.pacing.memory): what no record holds, remembered, encoded, decoded and resumed where it
still applies -- nothing older than the records the loader learns from, the controller's level only under the
settings it was learnt under."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from dialer.pacing import PacingSettings, PacingStats
from dialer.pacing.memory import MEMORY_VERSION, PacerMemory, Resumed, decode, encode, remember, resume

SETTINGS = PacingSettings()
WEEK = 7 * 86_400.0


def learnt(seed: int = 3) -> PacingStats:
    """A pacer that has paced a while: its controller moved, AMD verdicts with their durations, agents 6 s late."""
    rng = random.Random(seed)
    stats = PacingStats(SETTINGS)
    for i in range(900):
        stats.record_live_answer(float(i), rng.random() < 0.02)
        stats.record_amd(rng.random() < 0.4, seconds=rng.uniform(2.0, 4.0))
        stats.record_ready_announcement(rng.gauss(6.0, 3.0))
    return stats


def test_a_memory_survives_its_json_document_exactly() -> None:
    memory = remember(learnt(), SETTINGS)
    document = json.loads(json.dumps(encode(memory)))
    assert document["version"] == MEMORY_VERSION
    assert decode(document) == memory


def test_a_fresh_pacer_resumes_the_level_the_amd_time_and_the_lateness_and_learns_on_as_the_old_one() -> None:
    old = learnt()
    memory = decode(json.loads(json.dumps(encode(remember(old, SETTINGS)))))
    new = PacingStats(SETTINGS)
    assert resume(new, memory, SETTINGS, age_seconds=60.0, max_age_seconds=WEEK) == Resumed(True, True, True)
    assert new.controller.level == old.controller.level
    assert new.controller.current_gain == old.controller.current_gain  # its boost as far decayed
    assert new.amd_seconds == old.amd_seconds
    assert new.ready_lateness.mean() == pytest.approx(old.ready_lateness.mean(), abs=1e-9)
    assert new.ready_lateness.quantile(0.9) == pytest.approx(old.ready_lateness.quantile(0.9), abs=1e-9)
    for pacer in (old, new):  # the same again: both move alike (the controller at one target: the legal window,
        for i in range(200):  # which moves it, is the records' to seed, not the memory's)
            pacer.controller.update(i % 40 == 0, SETTINGS.abandon_setpoint)
            pacer.record_amd(True, seconds=1.0)
            pacer.record_ready_announcement(-20.0)
    assert new.controller.level == pytest.approx(old.controller.level, rel=1e-12)
    assert new.amd_seconds == pytest.approx(old.amd_seconds, rel=1e-12)
    assert new.ready_lateness.mean() == pytest.approx(old.ready_lateness.mean(), abs=1e-9)


def test_nothing_is_resumed_from_a_memory_older_than_the_records_the_loader_learns_from() -> None:
    memory = remember(learnt(), SETTINGS)
    fresh = PacingStats(SETTINGS)
    assert resume(fresh, memory, SETTINGS, age_seconds=WEEK + 1.0, max_age_seconds=WEEK) == Resumed()
    assert fresh.controller.level == PacingStats(SETTINGS).controller.level
    assert fresh.amd_seconds is None
    assert fresh.ready_lateness.samples == 0
    assert resume(PacingStats(SETTINGS), memory, SETTINGS, age_seconds=WEEK, max_age_seconds=WEEK).anything


@pytest.mark.parametrize(
    "changed",
    [
        replace(SETTINGS, abandon_cap=0.05, abandon_setpoint=0.047),
        replace(SETTINGS, aggressiveness=1.2),
        replace(SETTINGS, window_hours=720.0),
        replace(SETTINGS, max_wait_seconds=3.0),
        replace(SETTINGS, amd_false_positive_rate=0.05),
    ],
    ids=["cap", "aggressiveness", "window", "connect-time", "amd-false-positives"],
)
def test_under_other_abandon_terms_the_level_starts_afresh_the_rest_is_resumed(changed: PacingSettings) -> None:
    old = learnt()
    new = PacingStats(changed)
    resumed = resume(new, remember(old, SETTINGS), changed, age_seconds=0.0, max_age_seconds=WEEK)
    assert resumed == Resumed(level=False, amd_seconds=True, ready_lateness=True)
    assert new.controller.level == PacingStats(changed).controller.level
    assert new.amd_seconds == old.amd_seconds
    assert new.ready_lateness.samples == old.ready_lateness.samples


def test_settings_the_level_does_not_depend_on_keep_it() -> None:
    changed = replace(SETTINGS, power_ratio=3.0, min_agents_predictive=5, guard_quantile_z=3.0)
    new = PacingStats(changed)
    assert resume(new, remember(learnt(), SETTINGS), changed, age_seconds=0.0, max_age_seconds=WEEK).level


def test_a_pacer_that_learnt_nothing_resumes_nothing_but_its_level() -> None:
    memory = remember(PacingStats(SETTINGS), SETTINGS)
    assert memory.amd_seconds is None
    assert memory.lateness_samples == 0
    assert not memory.lateness
    assert resume(PacingStats(SETTINGS), memory, SETTINGS, age_seconds=0.0, max_age_seconds=WEEK) == Resumed(level=True)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda d: {**d, "version": MEMORY_VERSION + 1},
        lambda d: {k: v for k, v in d.items() if k != "level_logit"},
        lambda d: {**d, "level_logit": math.inf},
        lambda d: {**d, "amd_seconds": -1.0},
        lambda d: {**d, "lateness_samples": -3},
        lambda d: {**d, "lateness": [[1, 2, 3]]},
        lambda d: {**d, "lateness": 7},
    ],
    ids=["version", "missing", "infinite", "negative-duration", "negative-count", "bad-bin", "not-bins"],
)
def test_a_document_that_is_not_this_versions_memory_is_refused(spoil: Callable[[dict[str, Any]], Any]) -> None:
    document = encode(remember(learnt(), SETTINGS))
    with pytest.raises(ValueError, match="pacer memory"):
        decode(spoil(document))


def test_a_lateness_histogram_of_another_shape_is_refused_and_changes_nothing() -> None:
    memory = remember(learnt(), SETTINGS)
    other: PacerMemory = replace(memory, lateness={10_000: 1.0})
    fresh = PacingStats(SETTINGS)
    with pytest.raises(ValueError, match="bin 10000"):
        resume(fresh, other, SETTINGS, age_seconds=0.0, max_age_seconds=WEEK)
    assert fresh.controller.level == PacingStats(SETTINGS).controller.level
    assert fresh.amd_seconds is None
    assert fresh.ready_lateness.samples == 0
