"""What each dialled callee does: drawn from the shared world model, plus the PBX-only choices.

Every originate gets its own generator seeded from (seed, originate sequence number), so what one call does
does not depend on how the dialer interleaves the others: the same seed and the same dialling order give the
same world. Whether a number exists at all is a fixed function of (seed, number): redialling a bad number
fails the same way every time, as on a real network.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from enum import StrEnum

from dialer.sim.model import AmdVerdict, CalleeKind, WorldModel
from dialer.sim.pbx.config import PbxConfig, WorldKind

NEVER = math.inf


class Fate(StrEnum):
    """What the far end of a dial does (what the network and the callee do, not what the dialer concludes)."""

    HUMAN = "human"
    MACHINE = "machine"
    DEAD_AIR = "dead_air"  # answers and sends no audio (AMD: NOTSURE)
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CONGESTION = "congestion"
    UNALLOCATED = "unallocated"
    INVALID_NUMBER = "invalid_number"

    @property
    def answers(self) -> bool:
        return self in (Fate.HUMAN, Fate.MACHINE, Fate.DEAD_AIR)


@dataclass(frozen=True, slots=True)
class CalleePlan:
    """The decided behaviour of one callee. Times in seconds.

    ``ring_seconds``: from the dial until the answer (answering fates) or until the network gives its
    verdict (busy, congestion, unallocated, invalid); ``inf`` rings until the Originate ``Timeout``.
    ``stay_seconds``: after answering, how long the callee stays before hanging up by itself (``inf``: until
    the other side ends the call). ``amd_*``: what AMD() would conclude, if the dialplan runs it.
    ``opt_out_after``: seconds into the safe-harbour message when the opt-out key is pressed (None: never).
    """

    fate: Fate
    ring_seconds: float
    stay_seconds: float = NEVER
    amd_seconds: float = 0.0
    amd_status: str = "HUMAN"
    amd_cause: str = "HUMAN-800-800"
    opt_out_after: float | None = None


# The recorded world: last digit -> (fate, ring, stay, amd seconds, AMDSTATUS, AMDCAUSE) as in extensions.conf.
_RECORDED: dict[str, tuple[Fate, float, float, float, str, str]] = {
    "1": (Fate.HUMAN, 3.0, 20.0, 1.4, "HUMAN", "HUMAN-800-800"),
    "2": (Fate.BUSY, 0.002, NEVER, 0.0, "HUMAN", ""),
    "3": (Fate.NO_ANSWER, NEVER, NEVER, 0.0, "HUMAN", ""),
    "4": (Fate.CONGESTION, 0.002, NEVER, 0.0, "HUMAN", ""),
    "5": (Fate.UNALLOCATED, 0.002, NEVER, 0.0, "HUMAN", ""),
    "6": (Fate.INVALID_NUMBER, 0.002, NEVER, 0.0, "HUMAN", ""),
    "7": (Fate.MACHINE, 2.0, 35.9, 1.5, "MACHINE", "LONGGREETING-1500-1500"),
    "8": (Fate.HUMAN, 2.0, 2.0, 1.4, "HUMAN", "HUMAN-800-800"),
    "9": (Fate.HUMAN, 2.0, 20.0, 1.4, "HUMAN", "HUMAN-800-800"),
    "0": (Fate.DEAD_AIR, 2.0, 15.0, 5.0, "NOTSURE", "TOOLONG-4900"),
}

LAB_CC_PSTN = "lab-cc-pstn"  # the call-control lab's callees (tests/fixtures/ami-traces/lab/callcontrol-*.txt)
RECORDED_AGENT_RING_SECONDS = 3.0
RECORDED_AGENT_TALK_SECONDS = 12.0


def _unit_hash(*parts: object) -> float:
    """A uniform number in [0, 1) that is a fixed function of ``parts``."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class PbxWorld:
    """Decides callee plans, agent answer and talk times, inbound arrivals (all seeded)."""

    def __init__(self, config: PbxConfig, started_at: float) -> None:
        self.config = config
        self.model = WorldModel(config.scenario)
        self.started_at = started_at
        self.inbound_rng = random.Random(f"{config.seed}:inbound")

    def call_rng(self, sequence: int) -> random.Random:
        return random.Random(f"{self.config.seed}:call:{sequence}")

    def elapsed(self, now: float) -> float:
        """Seconds since the PBX started: the model's notion of time (profiles drift with it)."""
        return max(now - self.started_at, 0.0)

    def plan_callee(self, number: str, rng: random.Random, now: float) -> CalleePlan:
        if self.config.world is WorldKind.RECORDED:
            return self._recorded_plan(number)
        return self._model_plan(number, rng, now)

    def _recorded_plan(self, number: str) -> CalleePlan:
        if self.config.pstn_context == LAB_CC_PSTN:
            # asterisk/lab [lab-cc-pstn]: every number rings 1 s, answers and stays LAB_CC_TALK (60) s.
            return CalleePlan(Fate.HUMAN, 1.0, 60.0, 1.4, "HUMAN", "HUMAN-800-800")
        fate, ring, stay, amd_seconds, status, cause = _RECORDED.get(number[-1:], _RECORDED["3"])
        return CalleePlan(fate, ring, stay, amd_seconds, status, cause)

    def _model_plan(self, number: str, rng: random.Random, now: float) -> CalleePlan:
        cfg = self.config
        # Whether the number exists is a property of the number, not of this attempt.
        u = _unit_hash(cfg.seed, "number", number)
        if u < cfg.unallocated_share:
            return CalleePlan(Fate.UNALLOCATED, 0.3 + 1.2 * rng.random())
        if u < cfg.unallocated_share + cfg.invalid_share:
            return CalleePlan(Fate.INVALID_NUMBER, 0.2 + 0.5 * rng.random())
        dial = self.model.draw_dial_outcome(rng, self.elapsed(now))
        amd_model = cfg.scenario.amd
        if dial.kind is CalleeKind.NO_ANSWER:
            return CalleePlan(Fate.NO_ANSWER, NEVER)
        if dial.kind is CalleeKind.BUSY:
            return CalleePlan(Fate.BUSY, dial.ring_seconds)
        if dial.kind is CalleeKind.CONGESTION:
            return CalleePlan(Fate.CONGESTION, dial.ring_seconds)
        # Answered. The verdict AMD would give (drawn by the model when [amd] is enabled; otherwise AMD is
        # taken as right, after the model's mean detection time) -- used only if the dialplan runs AMD().
        verdict = dial.amd_verdict
        amd_seconds = dial.amd_seconds
        if verdict is None:
            verdict = AmdVerdict.HUMAN if dial.kind is CalleeKind.HUMAN else AmdVerdict.MACHINE
            amd_seconds = amd_model.detection_mean_seconds
        status, cause = _amd_result(verdict, amd_seconds)
        opt_out_after = None
        if rng.random() < cfg.opt_out_share:
            opt_out_after = cfg.safe_harbour_seconds * (0.5 + 0.4 * rng.random())
        if dial.kind is CalleeKind.MACHINE:
            return CalleePlan(
                Fate.MACHINE, dial.ring_seconds, cfg.machine_message_seconds, amd_seconds, status, cause, None
            )
        stay = NEVER
        if rng.random() < cfg.early_hangup_share:
            stay = 0.5 + 1.5 * rng.random()
        return CalleePlan(Fate.HUMAN, dial.ring_seconds, stay, amd_seconds, status, cause, opt_out_after)

    def agent_connect_seconds(self, rng: random.Random) -> float:
        """Ring-to-answer of an agent leg (auto-answer phones; the lab's answer in 0.2 s)."""
        if self.config.agent_connect_seconds is not None:
            return self.config.agent_connect_seconds
        if self.config.world is WorldKind.RECORDED:
            return RECORDED_AGENT_RING_SECONDS
        return self.config.scenario.agents.connect_delay_seconds

    def talk_seconds(self, rng: random.Random, now: float, fate: Fate) -> float:
        """How long the agent talks before hanging up."""
        if self.config.agent_talk_seconds is not None:
            return self.config.agent_talk_seconds
        if self.config.world is WorldKind.RECORDED:
            return RECORDED_AGENT_TALK_SECONDS
        if fate is not Fate.HUMAN:
            return self.model.machine_agent_seconds()
        return self.model.draw_talk(rng, self.elapsed(now))

    def next_inbound_arrival(self, now: float) -> float | None:
        """Absolute (epoch) time of the next spontaneous inbound caller, or None without inbound traffic."""
        if self.config.world is WorldKind.RECORDED or not self.config.inbound_queues:
            return None
        at = self.model.next_inbound_arrival(self.inbound_rng, self.elapsed(now))
        return None if at is None else self.started_at + at

    def inbound_patience(self) -> float:
        return self.model.draw_patience(self.inbound_rng)

    def inbound_caller_number(self) -> str:
        return f"+1202555{self.inbound_rng.randrange(10_000):04d}"


def _amd_result(verdict: AmdVerdict, amd_seconds: float) -> tuple[str, str]:
    """AMDSTATUS / AMDCAUSE as app_amd writes them (amd.conf defaults)."""
    if verdict is AmdVerdict.MACHINE:
        return "MACHINE", "LONGGREETING-1500-1500"
    if verdict is AmdVerdict.NOTSURE:
        return "NOTSURE", f"TOOLONG-{round(amd_seconds * 1000)}"
    return "HUMAN", "HUMAN-800-800"
