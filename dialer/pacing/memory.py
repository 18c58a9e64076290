"""What a campaign's pacer keeps across its daemon that the campaign's records cannot give back (pure: no clock, no
I/O; the daemon stores it, dialer.daemon.memory, and the runner's loader resumes it, dialer.daemon.loading).

A runner loaded mid-day relearns its answer rates, ring, talk and wrap-up times from the stored dials and agent
state changes (dialer.runner.learning). Three things it learns are in no record:

* **the abandon controller's level** (:class:`dialer.pacing.stats.AbandonController`): the integral of its own
  history, the knob it settled at. Started afresh (2 %, its gain boosted) it takes hundreds of live answers to
  settle again;
* **how long AMD listens** before its verdict (:attr:`PacingStats.amd_seconds`): an attempt row keeps the verdict,
  not when it came;
* **how late agents are against their "ready in N s"** (:attr:`PacingStats.ready_lateness`): an announcement is no
  agent state change, so the agent history does not hold it.

:class:`PacerMemory` is those three, as the owning daemon last saw them; :func:`resume` puts them into a freshly
learnt :class:`PacingStats`, each only where it still applies:

* nothing from a memory older than ``max_age_seconds`` (the loader passes the horizon it reads records over,
  ``dialer.runner.learning.SEED_SINCE``: a runner that kept running keeps all three over a night or a weekend, so
  a restarted one resumes them as long as the records it relearns from are the same campaign's);
* the level only under the same :func:`controller_terms` (what an abandon is and the share it is held at: a level
  settled against another cap, setpoint, window, connect time or false-positive rate is a level of something else);
  AMD's listening time and the agents' lateness are the PBX's and the agents', whatever the campaign's settings.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialer.pacing.snapshot import PacingSettings
from dialer.pacing.stats import PacingStats, effective_setpoint

MEMORY_VERSION = 1


@dataclass(frozen=True, slots=True)
class PacerMemory:
    terms: str  # controller_terms() of the settings the level was learnt under
    level_logit: float  # AbandonController.x
    level_updates: int  # AbandonController.updates: how far its gain's boost has decayed
    amd_seconds: float | None  # PacingStats.amd_seconds (None: no verdict with its duration seen)
    amd_seconds_weight: float
    lateness_samples: int  # PacingStats.ready_lateness: its samples and non-empty bins (newest-sample units)
    lateness: Mapping[int, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Resumed:
    """What :func:`resume` took from a memory."""

    level: bool = False
    amd_seconds: bool = False
    ready_lateness: bool = False

    @property
    def anything(self) -> bool:
        return self.level or self.amd_seconds or self.ready_lateness


def controller_terms(settings: PacingSettings) -> str:
    """The settings the controller's level is a level under: the cap and the share the controller aims at (after the
    aggressiveness override), the legal window, the seconds a live answer may wait (what makes it an abandon), and
    the AMD false-positive rate counted as abandons (its target's share of estimates)."""
    wait = settings.max_wait_seconds - settings.agent_connect_seconds
    return (
        f"cap={settings.abandon_cap!r} setpoint={effective_setpoint(settings)!r} window_h={settings.window_hours!r}"
        f" wait={wait!r} amd_fp={settings.amd_false_positive_rate!r}"
    )


def remember(stats: PacingStats, settings: PacingSettings) -> PacerMemory:
    """What of ``stats`` (paced under ``settings``) a runner loaded later cannot learn from the records."""
    amd_seconds, amd_weight = stats.amd_seconds_learnt()
    lateness, samples = stats.ready_lateness.learnt()
    controller = stats.controller
    return PacerMemory(
        terms=controller_terms(settings),
        level_logit=controller.x,
        level_updates=controller.updates,
        amd_seconds=amd_seconds,
        amd_seconds_weight=amd_weight,
        lateness_samples=samples,
        lateness=lateness,
    )


def resume(
    stats: PacingStats, memory: PacerMemory, settings: PacingSettings, *, age_seconds: float, max_age_seconds: float
) -> Resumed:
    """Put what ``memory`` (saved ``age_seconds`` ago) still applies to into ``stats`` (paced under ``settings``).
    ValueError (``stats`` unchanged): a memory whose lateness histogram has another shape."""
    if age_seconds > max_age_seconds:
        return Resumed()
    # (first: the one part that can still be refused, a histogram of another shape, before anything is changed)
    lateness = memory.lateness_samples > 0
    if lateness:
        stats.ready_lateness.relearn(memory.lateness, memory.lateness_samples)
    amd = False
    if memory.amd_seconds is not None and memory.amd_seconds_weight > 0.0:
        stats.resume_amd_seconds(memory.amd_seconds, memory.amd_seconds_weight)
        amd = True
    level = memory.terms == controller_terms(settings)
    if level:
        controller = stats.controller
        controller.x = min(max(memory.level_logit, controller.x_min), controller.x_max)
        controller.updates = memory.level_updates
    return Resumed(level, amd, lateness)


def encode(memory: PacerMemory) -> dict[str, Any]:
    """The memory as a JSON document (bins as [index, count] pairs: JSON keys are strings)."""
    return {
        "version": MEMORY_VERSION,
        "terms": memory.terms,
        "level_logit": memory.level_logit,
        "level_updates": memory.level_updates,
        "amd_seconds": memory.amd_seconds,
        "amd_seconds_weight": memory.amd_seconds_weight,
        "lateness_samples": memory.lateness_samples,
        "lateness": [[i, c] for i, c in sorted(memory.lateness.items())],
    }


def decode(document: Mapping[str, Any]) -> PacerMemory:
    """The memory :func:`encode` wrote; ValueError for another version or a document that is not one."""
    if document.get("version") != MEMORY_VERSION:
        raise ValueError(f"pacer memory of version {document.get('version')!r}, not {MEMORY_VERSION}")
    try:
        amd_seconds = document["amd_seconds"]
        memory = PacerMemory(
            terms=str(document["terms"]),
            level_logit=_finite(document["level_logit"]),
            level_updates=int(document["level_updates"]),
            amd_seconds=None if amd_seconds is None else _finite(amd_seconds),
            amd_seconds_weight=_finite(document["amd_seconds_weight"]),
            lateness_samples=int(document["lateness_samples"]),
            lateness={int(i): _finite(c) for i, c in document["lateness"]},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"pacer memory unreadable: {exc!r}") from exc
    if min(memory.level_updates, memory.lateness_samples, memory.amd_seconds_weight, memory.amd_seconds or 0.0) < 0:
        raise ValueError("pacer memory: a negative count or duration")
    return memory


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number
