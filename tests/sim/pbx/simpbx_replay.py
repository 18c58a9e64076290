"""Recorded AMI traces replayed into the simulated PBX (the recording's actions at their recorded offsets): the lab's
recordings and the PBX configurations that play the lab."""

from __future__ import annotations

from pathlib import Path

from dialer.ami.protocol import AmiMessage
from dialer.clock import ManualClock
from dialer.contract import CHANNEL_EVENT_VARIABLES
from dialer.sim.pbx import PbxConfig, QueueConfig, SimulatedPbx
from dialer.sim.pbx.tracetools import load_trace, replay

LAB = Path(__file__).resolve().parents[2] / "fixtures" / "ami-traces" / "lab"


def lab_config(**overrides: object) -> PbxConfig:
    """The lab: its systemname, channelvars and debug login; the queue holds only the recording's agents, whose
    phones answer in 0.2 s and talk 10 s (asterisk/lab [lab-agents]); ``overrides``, other PbxConfig fields."""
    values: dict[str, object] = {
        "system_name": "lab",
        "chan_variables": CHANNEL_EVENT_VARIABLES,
        "users": (("lab-debug", "lab-debug"),),
        "queues": (QueueConfig("outbound-agents", wrapuptime=2.0),),
        "agent_connect_seconds": 0.2,
        "agent_talk_seconds": 10.0,
    }
    values.update(overrides)
    return PbxConfig.recorded(**values)


def lab_like() -> PbxConfig:
    """The lab as its call-control recordings met it: [lab-cc-pstn] callees, the campaign queue and the closer queue."""
    return PbxConfig.recorded(
        users=(("lab-debug", "lab-debug"),),
        system_name="lab",
        pstn_context="lab-cc-pstn",
        agent_connect_seconds=0.2,
        queues=(
            QueueConfig("outbound-agents", wrapuptime=2.0),
            QueueConfig("inbound-sales", weight=10, wrapuptime=2.0),
        ),
    )


async def simulated_replay(trace: Path, config: PbxConfig, *, tail: float) -> list[AmiMessage]:
    """The simulated PBX's messages (``config``, a manual clock) to the recording's actions replayed at their
    recorded offsets, ``tail`` seconds on after the last."""
    clock = ManualClock()
    async with SimulatedPbx(config, clock=clock) as pbx:
        return await replay(trace, pbx.port, clock, tail=tail)


async def replayed(trace: Path, config: PbxConfig, *, tail: float) -> tuple[list[AmiMessage], list[AmiMessage]]:
    """The recording's messages, and the simulated PBX's to its actions (:func:`simulated_replay`)."""
    simulated = await simulated_replay(trace, config, tail=tail)
    return load_trace(trace), simulated


async def lab_replayed(name: str, **overrides: object) -> tuple[list[AmiMessage], list[AmiMessage]]:
    """A recording of the lab (``LAB/<name>.txt``) and the lab's PBX's (:func:`lab_config` with ``overrides``)
    replay of it, 30 s on after its last action."""
    return await replayed(LAB / f"{name}.txt", lab_config(**overrides), tail=30.0)


def responses(messages: list[AmiMessage]) -> list[tuple[str | None, ...]]:
    """Every response's ActionID, Response and Message, in order."""
    return [(m.action_id, m.get("Response"), m.get("Message")) for m in messages if m.is_response]


async def call_control_replayed(name: str) -> tuple[list[AmiMessage], list[AmiMessage]]:
    """A call-control recording of the lab (``LAB/<name>.txt``) and the lab-like PBX's replay of it."""
    return await replayed(LAB / f"{name}.txt", lab_like(), tail=5.0)
