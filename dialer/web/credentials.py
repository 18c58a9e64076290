"""Who the web tier's credentials were found to be, kept a few seconds (pure: the clock is passed in).

Every authenticated request names a browser session (cookie), an API token (``Authorization: Bearer``) or a
wallboard kiosk session (cookie), and each used to be one or two database reads (:mod:`dialer.store.auth`,
:mod:`dialer.store.wallboard`). :class:`Credentials` keeps what a lookup found for ``[http] auth_cache_seconds``
(default 2, at most 5; 0: off), at most ``size`` entries of each kind (the oldest go first), keyed by the secret's
SHA-256 (never the secret). Only credentials found good are kept; a browser session is never served past its
``expires_at``.

On this daemon an entry goes **at once** when what it says changes: sign-out (:meth:`Credentials.forget`), signing in
again (the user's other sessions end), an administrator's change of the user -- disabled, role, password, team --
or the user's own settings (:meth:`Credentials.forget_user`), a wallboard token revoked or a team's members changed
(:meth:`Credentials.forget_kiosk`). A change made elsewhere (another daemon, ``dialer user disable`` on the command
line) takes effect here within the TTL, the next read of the database.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from dialer.store.auth import SessionRecord, UserRecord, secret_hash
from dialer.store.wallboard import Kiosk

DEFAULT_TTL_SECONDS = 2.0
MAX_TTL_SECONDS = 5.0  # a change on another daemon takes effect within this
DEFAULT_SIZE = 4096  # entries of each kind

V = TypeVar("V")


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    until: float
    user: str | None  # the user it names (None: a kiosk)
    kiosk: int | None  # the wallboard token it is a session of


@dataclass(slots=True)
class _Kept(Generic[V]):
    """One kind of credential: by the secret's hash, oldest first, bounded."""

    size: int
    entries: OrderedDict[str, _Entry[V]] = field(default_factory=OrderedDict)

    def get(self, key: str, now: float) -> V | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.until <= now:
            del self.entries[key]
            return None
        return entry.value

    def put(self, key: str, entry: _Entry[V]) -> None:
        self.entries[key] = entry
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def drop(self, keep: Callable[[_Entry[V]], bool]) -> int:
        gone = [k for k, e in self.entries.items() if not keep(e)]
        for key in gone:
            del self.entries[key]
        return len(gone)


class Credentials:
    """The web tier's short-lived memory of good credentials (see the module docstring). ``ttl`` 0: nothing kept."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL_SECONDS,
        size: int = DEFAULT_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 <= ttl <= MAX_TTL_SECONDS:
            raise ValueError(f"the credential cache keeps entries 0 to {MAX_TTL_SECONDS} s, not {ttl}")
        self.ttl = ttl
        self._clock = clock
        self._sessions: _Kept[SessionRecord] = _Kept(size)
        self._tokens: _Kept[UserRecord] = _Kept(size)
        self._kiosks: _Kept[Kiosk] = _Kept(size)
        self.hits = 0
        self.misses = 0

    def _got(self, value: V | None) -> V | None:
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def session(self, cookie: str) -> SessionRecord | None:
        return self._got(self._sessions.get(secret_hash(cookie), self._clock()))

    def token(self, token: str) -> UserRecord | None:
        return self._got(self._tokens.get(secret_hash(token), self._clock()))

    def kiosk(self, cookie: str) -> Kiosk | None:
        return self._got(self._kiosks.get(secret_hash(cookie), self._clock()))

    def keep_session(self, cookie: str, session: SessionRecord) -> None:
        if self.ttl > 0:
            self._sessions.put(secret_hash(cookie), _Entry(session, self._clock() + self.ttl, session.user.name, None))

    def keep_token(self, token: str, user: UserRecord) -> None:
        if self.ttl > 0:
            self._tokens.put(secret_hash(token), _Entry(user, self._clock() + self.ttl, user.name, None))

    def keep_kiosk(self, cookie: str, kiosk: Kiosk) -> None:
        if self.ttl > 0:
            self._kiosks.put(secret_hash(cookie), _Entry(kiosk, self._clock() + self.ttl, None, kiosk.token_id))

    def forget(self, cookie: str) -> None:
        """A browser or kiosk session ended (signed out)."""
        key = secret_hash(cookie)
        self._sessions.entries.pop(key, None)
        self._kiosks.entries.pop(key, None)

    def forget_user(self, name: str) -> int:
        """Everything that names the user ``name`` (their sessions, their API tokens): they changed. How many."""
        return self._sessions.drop(lambda e: e.user != name) + self._tokens.drop(lambda e: e.user != name)

    def forget_kiosk(self, token_id: int | None = None) -> int:
        """Every kiosk session of the wallboard token ``token_id`` (revoked), or of every token (None: teams
        changed, and a kiosk limited to teams shows their members). How many."""
        return self._kiosks.drop(lambda e: token_id is not None and e.kiosk != token_id)

    def __len__(self) -> int:
        return len(self._sessions.entries) + len(self._tokens.entries) + len(self._kiosks.entries)
