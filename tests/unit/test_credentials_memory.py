"""dialer.web.credentials, pure: entries live ``ttl`` seconds by the clock given, at most ``size`` of each kind (the
oldest go), keyed by the secret's hash; forgetting a session, a user or a kiosk token drops exactly theirs; 0 keeps
nothing; more than 5 s is refused (a change on another daemon must take effect within it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.clock import ManualClock
from dialer.store.auth import Role, SessionRecord, UserRecord, secret_hash
from dialer.store.wallboard import Kiosk
from dialer.web.credentials import Credentials

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def user(name: str) -> UserRecord:
    return UserRecord(1, name, Role.AGENT, "hash", None, None, False, NOW)


def session(name: str) -> SessionRecord:
    return SessionRecord(user(name), "csrf", NOW + timedelta(hours=12))


async def test_an_entry_lives_its_seconds_and_no_more() -> None:
    clock = ManualClock()
    kept = Credentials(2.0, clock=clock.now)
    assert kept.session("c1") is None
    kept.keep_session("c1", session("ann"))
    kept.keep_token("t1", user("ann"))
    await clock.advance(1.9)
    assert kept.session("c1") == session("ann")
    assert kept.token("t1") == user("ann")
    await clock.advance(0.1)
    assert kept.session("c1") is None
    assert kept.token("t1") is None
    assert (kept.hits, kept.misses) == (2, 3)
    assert len(kept) == 0


def test_forgetting_drops_exactly_what_it_names() -> None:
    kept = Credentials(5.0, clock=ManualClock().now)
    kept.keep_session("ann-browser", session("ann"))
    kept.keep_token("ann-token", user("ann"))
    kept.keep_session("bob-browser", session("bob"))
    kept.keep_kiosk("tv-1", Kiosk(1, "floor", (), None, None, None))
    kept.keep_kiosk("tv-2", Kiosk(2, "lobby", (), None, None, None))
    assert kept.forget_user("ann") == 2
    assert kept.session("ann-browser") is None
    assert kept.token("ann-token") is None
    assert kept.session("bob-browser") is not None
    kept.forget("bob-browser")
    assert kept.session("bob-browser") is None
    assert kept.forget_kiosk(1) == 1
    assert kept.kiosk("tv-1") is None
    assert kept.kiosk("tv-2") is not None
    assert kept.forget_kiosk() == 1
    assert len(kept) == 0


def test_it_is_bounded_and_keeps_no_secret() -> None:
    kept = Credentials(5.0, size=3, clock=ManualClock().now)
    for n in range(5):
        kept.keep_token(f"token-{n}", user(f"u{n}"))
    assert len(kept) == 3
    assert kept.token("token-0") is None
    assert kept.token("token-4") == user("u4")
    assert "token-4" not in repr(vars(kept))
    assert secret_hash("token-4") in repr(vars(kept))


def test_zero_keeps_nothing_and_more_than_five_seconds_is_refused() -> None:
    off = Credentials(0)
    off.keep_session("c", session("ann"))
    assert off.session("c") is None
    with pytest.raises(ValueError, match="0 to 5"):
        Credentials(6)
