"""Shared helpers: statistics matured on the benchmark world (with an abandon window of chosen answers), snapshot
builders."""

from __future__ import annotations

import pickle
import random
from functools import cache

from dialer.pacing import AgentState, AgentView, PacingSettings, PacingStats
from dialer.pacing.stats import AbandonWindow
from dialer.sim.model import CalleeKind, WorldModel, parse_scenario


def mature_stats(settings: PacingSettings | None = None, *, answer_rate: float = 0.2, seed: int = 3) -> PacingStats:
    """Statistics that have seen a few hundred calls of the benchmark world (no abandons): a fresh copy of them
    each call (the properties ask for them in every example; drawing the calls again each time was most of the
    pacing properties' time)."""
    return pickle.loads(_matured(settings, answer_rate, seed))


@cache
def _matured(settings: PacingSettings | None, answer_rate: float, seed: int) -> bytes:
    stats = PacingStats(settings)
    world = WorldModel(parse_scenario({"outbound": {"answer_probability": answer_rate}}))
    rng = random.Random(seed)
    now = 0.0
    for _ in range(1500):
        outcome = world.draw_dial_outcome(rng, now)
        stats.record_attempt(outcome.ring_seconds, outcome.kind is CalleeKind.HUMAN)
    for _ in range(400):
        now += 10.0
        stats.record_talk(world.draw_talk(rng, now))
        stats.record_wrap(world.draw_wrap(rng))
        stats.record_live_answer(now, False, placed_predictively=False)
    return pickle.dumps(stats)


def add_answers(stats: PacingStats, live: int, abandons: int, now: float = 1000.0) -> None:
    """``live`` live answers at ``now`` into the abandon window, the first ``abandons`` of them abandoned."""
    for i in range(live):
        stats.window.add(now, i < abandons)


def window_stats(settings: PacingSettings, live: int, abandons: int, now: float = 1000.0) -> PacingStats:
    """Matured statistics (:func:`mature_stats`) whose abandon window holds only ``live`` answers at ``now``,
    ``abandons`` of them abandoned."""
    stats = mature_stats(settings)
    stats.window = AbandonWindow(settings.window_seconds)
    add_answers(stats, live, abandons, now)
    return stats


def agents(**counts: int | tuple[int, float]) -> list[AgentView]:
    """agents(ready=3, talking=(4, 30.0)) → 3 ready agents and 4 talking for 30 s."""
    out: list[AgentView] = []
    for name, spec in counts.items():
        n, seconds = spec if isinstance(spec, tuple) else (spec, 0.0)
        out += [AgentView(AgentState(name), seconds)] * n
    return out
