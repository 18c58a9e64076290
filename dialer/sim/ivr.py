"""Simulated callers in an IVR flow: what a person (or a machine) does at each prompt, with configurable odds.

A :class:`CallerBehaviour` answers the executor's commands the way a switch would report them: a prompt played
out (or cut by a key), digits entered after some thinking time (or nothing: a timeout), a hang-up at some step.
The draws come from a generator the caller of :func:`respond` owns, so the same seed gives the same callers.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from dialer.ivr.executor import (
    CallerHangup,
    Collect,
    DigitsEntered,
    Event,
    Lookup,
    LookupDone,
    Play,
    PromptDone,
)

INVALID = "invalid"  # a key choice meaning "something the menu does not offer"
SILENCE = ""  # a key choice meaning "presses nothing"


@dataclass(frozen=True, slots=True)
class CallerBehaviour:
    """The odds of one population of callers.

    ``keys``: at each collect, the entry pressed (weights; ``""``: silence until the timeout, ``"invalid"``: a key
    the menu does not offer). ``hangup_per_step``: chance to hang up during any prompt. ``opt_out_during_prompt``:
    chance to press the flow's opt-out key while a prompt plays. ``think_seconds``: time from the prompt's end to
    the key press (uniform range). Lookups answer ``lookup_status`` (or the per-action table) after
    ``lookup_seconds``.
    """

    keys: Mapping[str, float] = field(default_factory=lambda: {"1": 1.0})
    hangup_per_step: float = 0.0
    opt_out_during_prompt: float = 0.0
    think_seconds: tuple[float, float] = (0.5, 3.0)
    lookup_status: Mapping[str, str] = field(default_factory=dict)
    lookup_seconds: float = 0.05

    def __post_init__(self) -> None:
        if not self.keys or any(w < 0 for w in self.keys.values()) or sum(self.keys.values()) <= 0:
            raise ValueError("keys needs at least one entry with a positive weight")
        for p in (self.hangup_per_step, self.opt_out_during_prompt):
            if not 0 <= p <= 1:
                raise ValueError("probabilities are between 0 and 1")


@dataclass(frozen=True, slots=True)
class Reaction:
    """What the switch reports, ``after`` seconds from the command."""

    after: float
    event: Event


def respond(
    command: Play | Collect | Lookup,
    behaviour: CallerBehaviour,
    rng: random.Random,
    *,
    opt_out_key: str | None,
    invalid_key: str = "7",
) -> Reaction:
    """The caller's (or the daemon's, for a Lookup) answer to one command."""
    if isinstance(command, Lookup):
        status = behaviour.lookup_status.get(command.action, "ok")
        return Reaction(behaviour.lookup_seconds, LookupDone(status))
    duration = command.prompt.duration
    if rng.random() < behaviour.hangup_per_step:
        return Reaction(rng.uniform(0.2, duration), CallerHangup())
    offered = opt_out_key is not None and (isinstance(command, Collect) or opt_out_key in command.barge_in)
    if offered and opt_out_key is not None and rng.random() < behaviour.opt_out_during_prompt:
        at = rng.uniform(0.2, duration)
        return Reaction(at, PromptDone(opt_out_key) if isinstance(command, Play) else DigitsEntered(opt_out_key))
    if isinstance(command, Play):
        return Reaction(duration, PromptDone())
    choices = list(behaviour.keys)
    key = rng.choices(choices, weights=[behaviour.keys[k] for k in choices])[0]
    if key == SILENCE:
        return Reaction(duration + command.timeout_seconds, DigitsEntered(""))
    if key == INVALID:
        key = invalid_key
    return Reaction(duration + rng.uniform(*behaviour.think_seconds), DigitsEntered(key[: command.max_digits]))
