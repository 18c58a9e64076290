"""Password hashing (argon2id), random secrets, and the login rate limiter."""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dialer.i18n import M_

# argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4) would cost ~100 ms per login on this
# class of machine; t=2, m=19 MiB, p=1 is OWASP's minimum recommendation for argon2id and keeps logins snappy.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so a login takes as long for unknown names as for known ones.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(M_("a password needs at least {n} characters", n=MIN_PASSWORD_LENGTH))
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


class SlidingFailures:
    """Failure times per key in a sliding window: entries expire, and at most ``max_keys`` keys are kept.

    Keys are kept in the order of their latest failure, so expiry and eviction take the oldest first in O(1) per
    key removed: the cost of a failed login does not grow with the number of names ever tried.
    """

    def __init__(self, limit: int, window_seconds: float, max_keys: int) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._times: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._times)

    def expire(self, now: float) -> None:
        horizon = now - self.window_seconds
        while self._times:
            key, times = next(iter(self._times.items()))
            if times[-1] > horizon:
                return
            del self._times[key]

    def retry_after(self, key: Hashable, now: float) -> float:
        self.expire(now)
        times = self._times.get(key)
        if times is None:
            return 0.0
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return max(1.0, times[-self.limit] + self.window_seconds - now)

    def add(self, key: Hashable, now: float) -> None:
        self.expire(now)
        times = self._times.pop(key, None) or deque(maxlen=self.limit)
        times.append(now)
        self._times[key] = times  # now the newest
        while len(self._times) > self.max_keys:
            self._times.popitem(last=False)

    def clear(self, key: Hashable) -> None:
        self._times.pop(key, None)


@dataclass
class LoginRateLimiter:
    """Failed logins in a sliding ``window_seconds``: at most ``max_failures`` per (user, client address) and at
    most ``max_failures_per_address`` per address over all user names.

    The first keeps one address from trying many passwords on one account without locking that user out from
    everywhere; the second stops one address spraying a password over many names. Entries expire with the
    window and their number is bounded. A successful login clears the (user, address) key only.
    """

    max_failures: int = 5
    max_failures_per_address: int = 30
    window_seconds: float = 300.0
    max_keys: int = 100_000
    _pairs: SlidingFailures = field(init=False)
    _addresses: SlidingFailures = field(init=False)

    def __post_init__(self) -> None:
        self._pairs = SlidingFailures(self.max_failures, self.window_seconds, self.max_keys)
        self._addresses = SlidingFailures(self.max_failures_per_address, self.window_seconds, self.max_keys)

    def __len__(self) -> int:
        """Keys held (for tests and metrics)."""
        return len(self._pairs) + len(self._addresses)

    def retry_after(self, user: str, address: str, now: float) -> float:
        """Seconds until another attempt is allowed (0: allowed now)."""
        return max(self._pairs.retry_after((user.lower(), address), now), self._addresses.retry_after(address, now))

    def failed(self, user: str, address: str, now: float) -> None:
        self._pairs.add((user.lower(), address), now)
        self._addresses.add(address, now)

    def succeeded(self, user: str, address: str) -> None:
        self._pairs.clear((user.lower(), address))
