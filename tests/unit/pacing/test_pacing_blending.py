"""Blending: the inbound reserve and its effect on the pacer."""

from __future__ import annotations

import pytest
from pacing_helpers import agents, mature_stats

from dialer.pacing import InboundLoad, PacingMode, PacingSettings, PacingSnapshot, decide
from dialer.pacing.blending import inbound_reserve


def load(erlangs: float) -> InboundLoad:
    return InboundLoad(arrivals_per_second=erlangs / 165.0, mean_handle_seconds=165.0)


@pytest.mark.parametrize(
    ("erlangs", "available", "override", "expected"),
    [
        (0.0, 20, None, 0),
        (1.0, 20, None, 1),
        (8.0, 20, None, 1),
        (30.0, 60, None, 2),
        (200.0, 300, None, 3),
        (30.0, 1, None, 1),  # never more than the agents there are
        (8.0, 20, 4, 4),  # the campaign's explicit reserve wins
        (0.0, 20, 0, 0),
    ],
)
def test_reserve(erlangs: float, available: int, override: int | None, expected: int) -> None:
    assert inbound_reserve(load(erlangs), available, override) == expected


def test_reserve_grows_like_a_logarithm() -> None:
    reserves = [inbound_reserve(load(e), 1000) for e in (2, 8, 32, 128)]
    assert reserves == sorted(reserves)
    assert reserves[-1] - reserves[0] <= 3  # 64× the load, a couple of agents more


@pytest.mark.parametrize("mode", [PacingMode.PROGRESSIVE, PacingMode.PREDICTIVE])
def test_inbound_load_lowers_outbound_dialing(mode: PacingMode) -> None:
    stats = mature_stats()
    settings = PacingSettings(mode=mode)
    team = agents(ready=5, talking=(12, 90.0), wrapup=(3, 8.0))
    quiet = decide(PacingSnapshot(1000.0, settings, team), stats)
    busy = decide(PacingSnapshot(1000.0, settings, team, inbound=load(8.0)), stats)
    assert busy.calls < quiet.calls
    assert busy.explanation.inbound_reserve == 1
