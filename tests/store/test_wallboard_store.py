"""Wallboard tokens and kiosk sessions in the store (dialer.store.wallboard), on SQLite and PostgreSQL: only hashes
are kept; a token opens a kiosk of its teams' members and its campaigns; a session is good while its token is not
revoked and it is in use (renewed by each look, ended after the idle time or the longest lifetime, the expiry audited
once); revoking ends the sessions at once; creating, opening and revoking are audited; names are unique."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dialer.store import Database
from dialer.store.admin import UserChange, change_user, create_team
from dialer.store.audit import audit_entries
from dialer.store.auth import Role, create_user, secret_hash
from dialer.store.wallboard import (
    KioskLifetime,
    KioskSessionExpiredError,
    UnknownWallboardTokenError,
    WallboardTokenExistsError,
    create_wallboard_token,
    kiosk_for_session,
    kiosk_for_token,
    list_wallboard_tokens,
    revoke_wallboard_token,
    start_kiosk_session,
    team_agents,
    wallboard_sessions_t,
    wallboard_tokens_t,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LIFETIME = KioskLifetime(idle=timedelta(hours=12), longest=timedelta(days=30))


async def test_a_token_opens_a_kiosk_until_it_is_revoked(db: Database) -> None:
    for name in ("ann", "bob"):
        await create_user(db, name, Role.AGENT, "x", NOW)
    team = await create_team(db, "blue", NOW, actor="admin")
    await change_user(db, "ann", UserChange(team="blue"), NOW, actor="admin")
    made = await create_wallboard_token(
        db, "floor", "wbt_secret", NOW, actor="boss", teams=(team.id,), campaigns=("demo",), language="ja"
    )
    assert made.public()["teams"] == ["blue"]
    with pytest.raises(WallboardTokenExistsError):
        await create_wallboard_token(db, "floor", "wbt_other", NOW, actor="boss")
    everyone = await create_wallboard_token(db, "lobby", "wbt_lobby", NOW, actor="boss")
    async with db.read() as conn:
        hashes = set((await conn.execute(select(wallboard_tokens_t.c.token_hash))).scalars())
    assert hashes == {secret_hash("wbt_secret"), secret_hash("wbt_lobby")}  # never the secret itself

    kiosk = await kiosk_for_token(db, "wbt_secret")
    assert kiosk is not None
    assert (kiosk.name, kiosk.teams, kiosk.agents, kiosk.campaigns, kiosk.language) == (
        "floor",
        (team.id,),
        frozenset({"ann"}),
        frozenset({"demo"}),
        "ja",
    )
    lobby = await kiosk_for_token(db, "wbt_lobby")
    assert lobby is not None
    assert (lobby.agents, lobby.campaigns) == (None, None)
    assert await kiosk_for_token(db, "wbt_wrong") is None
    assert await team_agents(db, ()) is None

    await start_kiosk_session(db, kiosk, "session-1", NOW, address="192.0.2.7")
    async with db.read() as conn:
        stored = set((await conn.execute(select(wallboard_sessions_t.c.id_hash))).scalars())
    assert stored == {secret_hash("session-1")}
    seen = await kiosk_for_session(db, "session-1", NOW, LIFETIME)
    assert seen is not None
    assert seen.token_id == made.id
    assert await kiosk_for_session(db, "session-2", NOW, LIFETIME) is None

    later = NOW + timedelta(hours=1)
    revoked = await revoke_wallboard_token(db, made.id, later, actor="boss")
    assert revoked.revoked_at == later
    assert await kiosk_for_session(db, "session-1", later, LIFETIME) is None
    assert await kiosk_for_token(db, "wbt_secret") is None
    again = await revoke_wallboard_token(db, made.id, later + timedelta(hours=1), actor="boss")
    assert again.revoked_at == later  # the first revocation stands
    with pytest.raises(UnknownWallboardTokenError):
        await revoke_wallboard_token(db, 999, later, actor="boss")
    listed = await list_wallboard_tokens(db)
    assert [(t.name, t.revoked) for t in listed] == [("floor", True), ("lobby", False)]
    assert listed[1].id == everyone.id

    entries = (await audit_entries(db))[1]
    assert sorted((e.actor, e.action, e.target) for e in entries if e.action.startswith("wallboard.")) == [
        ("boss", "wallboard.token.create", "wallboard:floor"),
        ("boss", "wallboard.token.create", "wallboard:lobby"),
        ("boss", "wallboard.token.revoke", "wallboard:floor"),
        ("wallboard:floor", "wallboard.kiosk.open", "wallboard:floor"),
    ]


async def _seen_at(db: Database, session_id: str) -> tuple[datetime | None, datetime | None]:
    s = wallboard_sessions_t.c
    async with db.read() as conn:
        row = (await conn.execute(select(s.seen_at, s.expired_at).where(s.id_hash == secret_hash(session_id)))).one()
    return row.seen_at, row.expired_at


async def _expiries(db: Database) -> list[dict[str, object]]:
    entries = (await audit_entries(db))[1]
    return [{"actor": e.actor, **e.detail} for e in entries if e.action == "wallboard.kiosk.expire"]


async def test_a_kiosk_session_lives_while_in_use_and_expires_idle(db: Database) -> None:
    await create_wallboard_token(db, "floor", "wbt_floor", NOW, actor="boss")
    kiosk = await kiosk_for_token(db, "wbt_floor")
    assert kiosk is not None
    await start_kiosk_session(db, kiosk, "tv", NOW, address="192.0.2.7")
    # Renewed by each look (written at most once a minute): a TV in use for days stays open.
    at = NOW
    for _ in range(6):  # looks 11 h apart: each within the idle time of the one before
        at += timedelta(hours=11)
        assert await kiosk_for_session(db, "tv", at, LIFETIME) is not None
        assert await _seen_at(db, "tv") == (at, None)
    assert await kiosk_for_session(db, "tv", at + timedelta(seconds=30), LIFETIME) is not None
    assert await _seen_at(db, "tv") == (at, None)  # not written again within the minute

    # 12 h without a look: expired, audited once, and it stays refused (the TV is told to open the token again).
    idle_end = at + timedelta(hours=12)
    assert await kiosk_for_session(db, "tv", idle_end - timedelta(seconds=1), LIFETIME) is not None
    last_seen = idle_end - timedelta(seconds=1)
    too_late = last_seen + timedelta(hours=12)
    with pytest.raises(KioskSessionExpiredError):
        await kiosk_for_session(db, "tv", too_late, LIFETIME)
    with pytest.raises(KioskSessionExpiredError):
        await kiosk_for_session(db, "tv", too_late + timedelta(minutes=5), LIFETIME)
    assert await _seen_at(db, "tv") == (last_seen, too_late)
    assert await _expiries(db) == [
        {
            "actor": "wallboard:floor",
            "token_id": kiosk.token_id,
            "reason": "idle",
            "opened_at": NOW.isoformat(),
            "last_seen_at": last_seen.isoformat(),
        }
    ]
    # Opening the token's address again gives a new session (the expired one is cleared away).
    await start_kiosk_session(db, kiosk, "tv-again", too_late, address="192.0.2.7")
    assert await kiosk_for_session(db, "tv-again", too_late, LIFETIME) is not None
    assert await kiosk_for_session(db, "tv", too_late, LIFETIME) is None


async def test_a_kiosk_session_in_constant_use_ends_at_its_longest_lifetime(db: Database) -> None:
    await create_wallboard_token(db, "lobby", "wbt_lobby", NOW, actor="boss")
    kiosk = await kiosk_for_token(db, "wbt_lobby")
    assert kiosk is not None
    await start_kiosk_session(db, kiosk, "tv", NOW, address="192.0.2.8")
    end = NOW + LIFETIME.longest
    at = NOW
    while at + timedelta(hours=6) < end:
        at += timedelta(hours=6)
        assert await kiosk_for_session(db, "tv", at, LIFETIME) is not None
    with pytest.raises(KioskSessionExpiredError):
        await kiosk_for_session(db, "tv", end, LIFETIME)
    assert [e["reason"] for e in await _expiries(db)] == ["lifetime"]
