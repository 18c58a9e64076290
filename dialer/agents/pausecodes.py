"""Pause codes (pure): the reasons an agent may give for a pause, each with the longest it should last, and how long
a pause has run past that (what the console and the supervisors' dashboard flag).

The daemon's settings list them (``[[pause_codes]]``, :class:`dialer.settings.Settings`); by default the six the
console has always offered. The dialer's own pause reasons (:data:`RESERVED_PAUSE_REASONS`: wrap-up, signing in, a
preview dial, a phone that did not answer, a closed console, a supervisor's forced pause) are never a code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from dialer.i18n import M_, N_

# The pause reasons the dialer gives itself (dialer.agents.registry, dialer.web.live, the supervisors' console).
SUPERVISOR_PAUSE_REASON = "supervisor"
SIGNED_OUT_PAUSE_REASON = "signed-out"  # the agent's console closed (dialer.web.live)
RESERVED_PAUSE_REASONS = frozenset(
    {"wrapup", "login", "preview", "no_answer", SIGNED_OUT_PAUSE_REASON, SUPERVISOR_PAUSE_REASON}
)


class PauseCode(BaseModel):
    """One reason an agent may pause for: its code (stored in the agent's state history), the console's label, and
    the longest it should last (None: no limit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$", description="stored code, e.g. 'break'")
    label: str = Field(min_length=1, max_length=60, description="the console's label (translated when it is known)")
    max_minutes: int | None = Field(default=None, ge=1, le=24 * 60, description="longer than this: overdue")


# The console shows a label translated when the catalogue has it (these do; a site's own labels show as written).
DEFAULT_PAUSE_CODES: tuple[PauseCode, ...] = (
    PauseCode(code="break", label=N_("Break"), max_minutes=15),
    PauseCode(code="lunch", label=N_("Lunch"), max_minutes=60),
    PauseCode(code="training", label=N_("Training")),
    PauseCode(code="meeting", label=N_("Meeting")),
    PauseCode(code="technical", label=N_("Technical problem"), max_minutes=30),
    PauseCode(code="admin", label=N_("Admin work")),
)


def check_pause_codes(codes: Sequence[PauseCode]) -> None:
    """Raises ValueError (a translatable message) for no codes, a repeated code, or one of the dialer's own."""
    if not codes:
        raise ValueError(M_("pause_codes: at least one (agents pause for a reason)"))
    seen: set[str] = set()
    for pause in codes:
        if pause.code in RESERVED_PAUSE_REASONS:
            raise ValueError(M_("pause_codes: {code} is one of the dialer's own pause reasons", code=repr(pause.code)))
        if pause.code in seen:
            raise ValueError(M_("pause_codes: {code} is listed twice", code=repr(pause.code)))
        seen.add(pause.code)


def pause_limits(codes: Sequence[PauseCode]) -> dict[str, float]:
    """Pause code → the longest it should last, in seconds (codes without a limit are left out)."""
    return {p.code: 60.0 * p.max_minutes for p in codes if p.max_minutes is not None}


def pause_overdue_seconds(reason: str | None, since: float, now: float, limits: Mapping[str, float]) -> float | None:
    """How long a pause for ``reason`` begun at ``since`` has run past its code's limit at ``now``; None when it has
    no limit or is within it."""
    limit = limits.get(reason or "")
    if limit is None:
        return None
    over = now - since - limit
    return over if over > 0 else None
