"""Raised hands (pure): an agent on a call, or in its wrap-up, asks the supervisors for help.

A hand is raised with an optional short note; a supervisor of the agent's teams (or a manager) lowers it once they
have answered, or the agent does. It lowers itself when the agent leaves the call and its wrap-up (ready, paused,
signed out): the help was about that call (:func:`lowers_itself`). The clock is the daemon's (seconds), passed in.
The hands raised are kept in the database (``dialer.store.hands``): every daemon's dashboard shows them, and they
outlive a restart.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from dialer.agents.registry import Agent, AgentChange, AgentStatus

MAX_HAND_NOTE_CHARS = 200
# The states in which an agent may raise a hand, and keeps it raised.
ON_A_CALL = frozenset({AgentStatus.RINGING, AgentStatus.TALKING, AgentStatus.WRAPUP})
RAISABLE = frozenset({AgentStatus.TALKING, AgentStatus.WRAPUP})


@dataclass(frozen=True, slots=True)
class Hand:
    """An agent's raised hand: since when (daemon clock) and their note (None: none given)."""

    agent_id: str
    raised_at: float
    note: str | None = None

    def as_json(self, now: float) -> dict[str, object]:
        return {
            "agent_id": self.agent_id,
            "raised_at": self.raised_at,
            "note": self.note,
            "raised_seconds": round(max(0.0, now - self.raised_at), 1),
        }


def clean_note(note: str | None) -> str | None:
    """The note without control characters, trimmed and cut to :data:`MAX_HAND_NOTE_CHARS`; None when empty."""
    if note is None:
        return None
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in note).strip()
    return kept[:MAX_HAND_NOTE_CHARS] or None


def lowers_itself(change: AgentChange, agent: Agent | None) -> bool:
    """The agent's state changed: a hand they raised (on a call, :data:`RAISABLE`) lowers itself when this change
    takes them off the call and out of its wrap-up (signed out: ``agent`` None)."""
    return change.previous in ON_A_CALL and (agent is None or agent.status not in ON_A_CALL)
