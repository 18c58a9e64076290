"""Raised hands (pure): an agent on a call, or in its wrap-up, asks the supervisors for help.

A hand is raised with an optional short note; a supervisor of the agent's teams (or a manager) lowers it once they
have answered, or the agent does. It lowers itself when the agent leaves the call and its wrap-up (ready, paused,
signed out): the help was about that call. The clock is the daemon's (seconds), passed in.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

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


@dataclass
class RaisedHands:
    """The hands raised now, by agent."""

    hands: dict[str, Hand] = field(default_factory=dict)

    def get(self, agent_id: str) -> Hand | None:
        return self.hands.get(agent_id)

    def raise_hand(self, agent_id: str, note: str | None, now: float) -> Hand:
        """Raise (or raise again, with a new note: the time it was first raised is kept) ``agent_id``'s hand."""
        before = self.hands.get(agent_id)
        hand = Hand(agent_id, before.raised_at if before is not None else now, clean_note(note))
        self.hands[agent_id] = hand
        return hand

    def lower(self, agent_id: str) -> Hand | None:
        """Lower the hand; the hand that was raised (None: none was)."""
        return self.hands.pop(agent_id, None)

    def on_change(self, change: AgentChange, agent: Agent | None) -> Hand | None:
        """An agent's state changed: their hand lowers itself once they are off the call and out of its wrap-up.
        The hand lowered, if any."""
        if change.agent_id not in self.hands:
            return None
        if agent is not None and agent.status in ON_A_CALL:
            return None
        return self.hands.pop(change.agent_id)
