"""Password hashing (argon2id), random secrets, and the login rate limiter."""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4) would cost ~100 ms per login on this
# class of machine; t=2, m=19 MiB, p=1 is OWASP's minimum recommendation for argon2id and keeps logins snappy.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so a login takes as long for unknown names as for known ones.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """256 random bits, URL-safe: API tokens, session ids, CSRF tokens."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    # A recognisable prefix lets secret scanners find leaked tokens.
    return "dlr_" + secrets.token_urlsafe(32)


@dataclass
class LoginRateLimiter:
    """At most ``max_failures`` failed logins per (user, client address) in a sliding ``window_seconds``.

    Keyed by both so one attacker cannot lock a user out from everywhere, and one address cannot try many
    passwords on one account. Successful logins clear the key.
    """

    max_failures: int = 5
    window_seconds: float = 300.0
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, user: str, address: str, now: float) -> float:
        """Seconds until another attempt is allowed (0: allowed now)."""
        times = self._recent((user.lower(), address), now)
        if len(times) < self.max_failures:
            return 0.0
        return max(1.0, times[0] + self.window_seconds - now)

    def failed(self, user: str, address: str, now: float) -> None:
        key = (user.lower(), address)
        self._recent(key, now)
        self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > 100_000:  # bounded memory under a spray of random names
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]

    def succeeded(self, user: str, address: str) -> None:
        self._failures.pop((user.lower(), address), None)
