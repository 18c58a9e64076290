"""How many due personal callbacks wait for the agents who promised them (dialer.store.claim.waiting_callbacks): the
"why not dialling" line's count, true however many wait (not capped at what one read of them holds) -- the free
agents' own are not waiting (they are dialled), nor a callback past the grace, not due yet, of nobody in particular,
in a disabled list or of another campaign. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from harness import lists
from harness.claims import NOW, add_leads, lead, make_campaign
from sqlalchemy import update

from dialer.runner.own_callbacks import READ_LIMIT
from dialer.store import Database
from dialer.store.claim import ClaimOrder, Owned, upcoming_leads, waiting_callbacks
from dialer.store.lists import update_list
from dialer.store.tables import leads_t

GRACE = timedelta(minutes=30)
MANY = READ_LIMIT + 7


async def book(db: Database, numbers: range, agent: str | None, due_ago: timedelta) -> None:
    async with db.write() as conn:
        await conn.execute(
            update(leads_t)
            .where(leads_t.c.phone.in_([lead(n).phone for n in numbers]))
            .values(callback_agent=agent, callback_at=NOW - due_ago)
        )


async def test_the_count_of_callbacks_waiting_for_their_agents_is_true_past_one_read(db: Database) -> None:
    cid = await make_campaign(db)
    other = await make_campaign(db, name="other")
    callback = "callback"
    await add_leads(db, cid, [lead(n, status=callback, due=-timedelta(minutes=1)) for n in range(1, MANY + 1)])
    await add_leads(
        db,
        cid,
        [
            *(lead(n, status=callback, due=-timedelta(minutes=1)) for n in range(1001, 1004)),
            lead(2001, status=callback, due=-timedelta(minutes=40)),  # alice's, past the grace: anyone's
            lead(2002, status=callback, due=timedelta(minutes=5)),  # alice's, not due yet
            lead(2003, status=callback, due=-timedelta(minutes=1)),  # nobody's
            lead(2004),  # a new lead
        ],
    )
    await add_leads(db, other, [lead(3001, status=callback, due=-timedelta(minutes=1))])
    await book(db, range(1, MANY + 1), "alice", timedelta(minutes=1))
    await book(db, range(1001, 1004), "bob", timedelta(minutes=1))
    await book(db, range(2001, 2002), "alice", timedelta(minutes=40))
    await book(db, range(2002, 2003), "alice", -timedelta(minutes=5))
    await book(db, range(2003, 2004), None, timedelta(minutes=1))
    await book(db, range(3001, 3002), "alice", timedelta(minutes=1))

    async def count(free: tuple[str, ...] = (), grace: timedelta | None = GRACE) -> int:
        return await waiting_callbacks(db, campaign_id=cid, now=NOW, owner_grace=grace, free_agents=free)

    read = await upcoming_leads(
        db, campaign_id=cid, limit=READ_LIMIT, now=NOW, order=ClaimOrder(), owner_grace=GRACE, owned=Owned.ANY
    )
    assert len(read) == READ_LIMIT  # one read holds no more ...
    assert await count() == MANY + 3  # ... the count is every one: alice's and bob's
    assert await count(("bob",)) == MANY  # bob is free: his are dialled, not waiting
    assert await count(("alice", "bob")) == 0
    assert await count(grace=None) == MANY + 4  # no grace: alice's overdue one waits for her too


async def test_a_disabled_lists_callbacks_are_not_counted(db: Database) -> None:
    cid, _ = await lists.make_campaign(db)
    await lists.make_list(db, cid, "on", range(0, 3))
    off = await lists.make_list(db, cid, "off", range(200, 203))
    await update_list(db, off, lists.NOW, actor="boss", enabled=False)
    async with db.write() as conn:
        await conn.execute(
            update(leads_t)
            .where(leads_t.c.campaign_id == cid)
            .values(status="callback", callback_agent="alice", callback_at=lists.NOW)
        )
    waiting = await waiting_callbacks(db, campaign_id=cid, now=lists.NOW, owner_grace=GRACE, free_agents=())
    assert waiting == 3
