"""Messages to agents in the store (dialer.store.messages), on SQLite and PostgreSQL: the recipients of an agent,
a team and everyone; a message stored with a receipt per recipient and audited; reading it (once: the first time
is kept); the listings of a recipient (all, unread), of a supervisor (sent, or received by their agents); and the
retention purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer.agents.messages import Audience
from dialer.store import Database
from dialer.store.admin import UnknownTeamError, UserChange, change_user, create_team
from dialer.store.audit import audit_entries
from dialer.store.auth import Role, UnknownUserError, create_user
from dialer.store.messages import (
    MessageFilter,
    MessageRecord,
    Receipt,
    delete_messages_before,
    list_messages,
    mark_read,
    recipients_of,
    send_message,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def _people(db: Database) -> None:
    for name, role in (("ann", Role.AGENT), ("bob", Role.AGENT), ("cat", Role.AGENT), ("sue", Role.SUPERVISOR)):
        await create_user(db, name, role, "x", NOW)
    await create_team(db, "blue", NOW, actor="admin")
    for name in ("ann", "bob"):
        await change_user(db, name, UserChange(team="blue"), NOW, actor="admin")
    await change_user(db, "cat", UserChange(disabled=True), NOW, actor="admin")


async def _send(
    db: Database, sender: str, audience: Audience, name: str | None, text: str, now: datetime = NOW
) -> MessageRecord:
    """``sender``'s message ``text`` to ``audience`` ``name``, sent as the API sends it: to the recipients
    :func:`recipients_of` resolves."""
    recipients = await recipients_of(db, audience, name)
    return await send_message(
        db, sender=sender, audience=audience, audience_name=name, recipients=recipients, text=text, now=now
    )


async def test_recipients_of_an_agent_a_team_and_everyone(db: Database) -> None:
    await _people(db)
    assert await recipients_of(db, Audience.AGENT, "ann") == ["ann"]
    assert await recipients_of(db, Audience.TEAM, "blue") == ["ann", "bob"]
    assert await recipients_of(db, Audience.EVERYONE, None) == ["ann", "bob"]  # cat is disabled, sue no agent
    with pytest.raises(UnknownUserError):
        await recipients_of(db, Audience.AGENT, "nobody")
    with pytest.raises(UnknownUserError):
        await recipients_of(db, Audience.AGENT, "cat")
    with pytest.raises(UnknownTeamError):
        await recipients_of(db, Audience.TEAM, "red")


async def test_a_message_is_stored_read_once_and_audited(db: Database) -> None:
    await _people(db)
    sent = await send_message(
        db,
        sender="sue",
        audience=Audience.TEAM,
        audience_name="blue",
        recipients=["bob", "ann"],
        text="huddle at 3",
        now=NOW,
    )
    assert (sent.sender, sent.text, sent.audience, sent.audience_name) == ("sue", "huddle at 3", Audience.TEAM, "blue")
    assert [(r.agent, r.read_at) for r in sent.recipients] == [("ann", None), ("bob", None)]
    entries = [e for e in (await audit_entries(db))[1] if e.action == "message.send"]
    assert [(e.actor, e.target, e.detail["recipients"]) for e in entries] == [("sue", "team:blue", 2)]

    read = await mark_read(db, sent.id, "ann", NOW + timedelta(minutes=1))
    assert read is not None
    assert read.receipt_of("ann") == Receipt("ann", NOW + timedelta(minutes=1))
    again = await mark_read(db, sent.id, "ann", NOW + timedelta(minutes=5))
    assert again is not None
    assert again.receipt_of("ann") == Receipt("ann", NOW + timedelta(minutes=1))  # the first reading is kept
    assert await mark_read(db, sent.id, "sue", NOW) is None  # not a recipient
    assert await mark_read(db, sent.id + 1000, "ann", NOW) is None


async def test_listings_of_a_recipient_and_of_a_supervisor(db: Database) -> None:
    await _people(db)
    first = await _send(db, "sue", Audience.AGENT, "ann", "one")
    second = await _send(db, "boss", Audience.EVERYONE, None, "two", NOW + timedelta(minutes=1))
    third = await _send(db, "boss", Audience.AGENT, "bob", "three")
    await mark_read(db, first.id, "ann", NOW)

    async def ids(where: MessageFilter) -> list[int]:
        total, found = await list_messages(db, where)
        assert total == len(found)
        return [m.id for m in found]

    assert await ids(MessageFilter(recipient="ann")) == [second.id, first.id]  # latest first
    assert await ids(MessageFilter(recipient="ann", unread=True)) == [second.id]
    assert await ids(MessageFilter(sender="sue", agents={"ann"})) == [second.id, first.id]
    assert await ids(MessageFilter(sender="sue", agents={"cat"})) == [first.id]  # sent by sue
    assert await ids(MessageFilter()) == [second.id, third.id, first.id]
    _, page = await list_messages(db, MessageFilter(recipient="bob"))
    assert {m.id: len(m.recipients) for m in page} == {second.id: 2, third.id: 1}


async def test_the_purge_deletes_the_messages_past_retention_with_their_receipts(db: Database) -> None:
    await _people(db)
    old = await _send(db, "sue", Audience.AGENT, "ann", "old")
    new = await _send(db, "sue", Audience.TEAM, "blue", "new", NOW + timedelta(days=2))
    await mark_read(db, old.id, "ann", NOW)
    assert await delete_messages_before(db, NOW + timedelta(days=1), batch=1) == 1
    _, left = await list_messages(db, MessageFilter())
    assert [(m.id, len(m.recipients)) for m in left] == [(new.id, 2)]
    assert await mark_read(db, old.id, "ann", NOW) is None
