"""Wallboard tokens and kiosk sessions in the store (dialer.store.wallboard), on SQLite and PostgreSQL: only hashes
are kept; a token opens a kiosk of its teams' members and its campaigns; a session is good while its token is not
revoked; revoking ends the sessions at once; creating, opening and revoking are audited; names are unique."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dialer.store import Database
from dialer.store.admin import UserChange, change_user, create_team
from dialer.store.audit import audit_entries
from dialer.store.auth import Role, create_user, secret_hash
from dialer.store.wallboard import (
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
    seen = await kiosk_for_session(db, "session-1")
    assert seen is not None
    assert seen.token_id == made.id
    assert await kiosk_for_session(db, "session-2") is None

    later = NOW + timedelta(hours=1)
    revoked = await revoke_wallboard_token(db, made.id, later, actor="boss")
    assert revoked.revoked_at == later
    assert await kiosk_for_session(db, "session-1") is None
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
