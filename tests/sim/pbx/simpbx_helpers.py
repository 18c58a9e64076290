"""Helpers for the simulated PBX tests: a PBX on a manual clock with a logged-in AMI probe; the dialer's Originate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dialer.clock import ManualClock
from dialer.sim.model import Scenario, parse_scenario
from dialer.sim.pbx import PbxConfig, SimulatedPbx
from dialer.sim.pbx.probe import AmiProbe


def scenario(**tables: dict[str, Any]) -> Scenario:
    """A world-model scenario from TOML-like tables: ``scenario(outbound={"answer_probability": 1.0})``."""
    return parse_scenario(tables)


@asynccontextmanager
async def pbx_session(
    config: PbxConfig | None = None, clock: ManualClock | None = None
) -> AsyncIterator[tuple[SimulatedPbx, AmiProbe]]:
    """``async with pbx_session(config) as (pbx, ami)``: a started PBX on a ManualClock (``clock`` if given), a
    logged-in probe."""
    async with SimulatedPbx(config or PbxConfig(), clock=clock or ManualClock()) as pbx:
        probe = await AmiProbe.open(pbx.port)
        try:
            await probe.login()
            yield pbx, probe
        finally:
            await probe.close()


def originate(
    number: str,
    attempt: str,
    *,
    queue: str = "outbound-agents",
    amd: bool = False,
    timeout_ms: int = 22000,
    campaign: str = "spring",
) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
    """The Originate the dialer sends (shipped contract), as (repeated headers, named headers) for AmiProbe.send."""
    repeated = (
        ("Variable", f"DIALER_ATTEMPT={attempt}"),
        ("Variable", f"DIALER_CAMPAIGN={campaign}"),
        ("Variable", f"DIALER_QUEUE={queue}"),
        ("Variable", f"DIALER_AMD={1 if amd else 0}"),
    )
    named = {
        "ActionID": f"orig-{attempt}",
        "ChannelId": f"att-{attempt}",
        "Channel": f"Local/{number}@sim-pstn",
        "Context": "dialer-outbound",
        "Exten": "s",
        "Priority": "1",
        "Timeout": str(timeout_ms),
        "CallerID": '"Spring Co" <8005551000>',
        "Async": "true",
    }
    return repeated, named
