"""Trunk capacity (pure): simultaneous channels and calls per second per Asterisk server.

Carriers reject (or bill) bursts above their CPS limit, and a trunk has a fixed number of channels; the runner
asks the gate how many Originates it may write now and picks the server with the most room.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrunkGate:
    """Channel cap plus a token bucket for calls per second (capacity: one second's worth, at least 1)."""

    name: str
    max_channels: int
    max_calls_per_second: float
    channels_in_use: int = 0
    _tokens: float = field(default=-1.0, repr=False)
    _refilled_at: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.max_channels < 1 or self.max_calls_per_second <= 0:
            raise ValueError("a trunk needs at least one channel and a positive calls-per-second limit")
        self._tokens = self._capacity

    @property
    def _capacity(self) -> float:
        return max(1.0, self.max_calls_per_second)

    def _refill(self, now: float) -> None:
        if self._refilled_at is not None and now > self._refilled_at:
            self._tokens = min(self._capacity, self._tokens + (now - self._refilled_at) * self.max_calls_per_second)
        self._refilled_at = now if self._refilled_at is None else max(now, self._refilled_at)

    def room(self, now: float) -> int:
        """How many calls may start right now."""
        self._refill(now)
        return max(0, min(self.max_channels - self.channels_in_use, int(self._tokens)))

    def acquire(self, now: float) -> bool:
        if self.room(now) < 1:
            return False
        self._tokens -= 1.0
        self.channels_in_use += 1
        return True

    def occupy(self) -> None:
        """Count a call already up (adopted from a daemon that died): it holds a channel, it spends no token."""
        self.channels_in_use += 1

    def release(self) -> None:
        self.channels_in_use = max(0, self.channels_in_use - 1)

    def seconds_until_room(self, now: float) -> float:
        """0 when a call may start now; otherwise how long until a token (channels free only when calls end)."""
        if self.room(now) >= 1 or self.channels_in_use >= self.max_channels:
            return 0.0
        return (1.0 - self._tokens) / self.max_calls_per_second


def pick_trunk(gates: list[TrunkGate], now: float) -> TrunkGate | None:
    """The server with the most room (ties: fewest channels in use, then configuration order)."""
    best: TrunkGate | None = None
    best_key: tuple[int, int] | None = None
    for gate in gates:
        room = gate.room(now)
        if room < 1:
            continue
        key = (room, -gate.channels_in_use)
        if best_key is None or key > best_key:
            best, best_key = gate, key
    return best
