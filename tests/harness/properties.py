"""How the hypothesis properties draw their examples: the same ones on every run, unless asked to explore.

``make test`` and ``make fast`` (and so CI) run the ``gate`` profile: derandomized, each test's examples drawn from
a seed hashed from the test itself, so a run passes or fails on the code alone and a failure is reproduced by
running it again. ``make explore`` (``DIALER_PROPERTIES=explore``) runs the unit tier's properties several times,
each with fresh examples, and keeps the failures found in hypothesis's example database (``.hypothesis/``,
replayed first by the next explore run): the way new counterexamples are found. A counterexample found so
becomes an example test of its own (as ``test_pacing_guard``'s mixed-chances case did), so the gate keeps it."""

from __future__ import annotations

import os

from hypothesis import settings

GATE = "gate"
EXPLORE = "explore"

settings.register_profile(GATE, derandomize=True, database=None, print_blob=True)
settings.register_profile(EXPLORE, derandomize=False, print_blob=True)


def load() -> str:
    """Load the profile ``DIALER_PROPERTIES`` names (default: the gate); the profile's name."""
    name = os.environ.get("DIALER_PROPERTIES", GATE)
    if name not in (GATE, EXPLORE):
        raise SystemExit(f"DIALER_PROPERTIES: {name!r} is not a profile ({GATE}, {EXPLORE})")
    settings.load_profile(name)
    return name
