"""The claims of personal callbacks (dialer.store.claim.Owned): a callback still waiting for the agent who promised it
(within personal_callback_grace) is claimed only for that agent, and never by the queue's claim; past the grace it
is anyone's. On SQLite and PostgreSQL (the candidate scan locks with FOR UPDATE SKIP LOCKED there)."""

from __future__ import annotations

from datetime import datetime, timedelta

from harness import lists
from harness.claims import LEASE, NOW, add_leads, lead, make_campaign
from sqlalchemy import update

from dialer.store import Database
from dialer.store.claim import ClaimOrder, Owned, claim_leads, upcoming_leads
from dialer.store.lists import update_list
from dialer.store.tables import leads_t

GRACE = timedelta(minutes=30)


async def book(db: Database, n: int, agent: str | None, due: datetime) -> None:
    async with db.write() as conn:
        await conn.execute(
            update(leads_t).where(leads_t.c.phone == lead(n).phone).values(callback_agent=agent, callback_at=due)
        )


async def callbacks(db: Database) -> int:
    """A campaign with a new lead (1), nobody's callback (2), alice's due now (3), alice's overdue by more than the
    grace (4), bob's due now (5)."""
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(1), *(lead(n, status="callback", due=-timedelta(minutes=n)) for n in (2, 3, 4, 5))])
    await book(db, 2, None, NOW)
    await book(db, 3, "alice", NOW - timedelta(minutes=3))
    await book(db, 4, "alice", NOW - GRACE - timedelta(minutes=1))
    await book(db, 5, "bob", NOW)
    return cid


def phones(*numbers: int) -> list[str]:
    return [lead(n).phone for n in numbers]


async def claimed(
    db: Database, cid: int, *, limit: int, agents: tuple[str, ...] = (), owned: Owned = Owned.NO
) -> list[str]:
    """The phones a claim at NOW takes (``agents``: free, their own callbacks claimable; ``owned``: :class:`Owned`)."""
    got = await claim_leads(
        db, campaign_id=cid, owner="d", limit=limit, now=NOW, lease=LEASE, agents=agents, owner_grace=GRACE,
        owned=owned,
    )  # fmt: skip
    return [g.phone for g in got]


async def test_the_callbacks_waiting_for_their_agents_are_read_soonest_first(db: Database) -> None:
    cid = await callbacks(db)
    waiting = await upcoming_leads(
        db, campaign_id=cid, limit=10, now=NOW, order=ClaimOrder(), owner_grace=GRACE, owned=Owned.ANY
    )
    assert [w.phone for w in waiting] == phones(5, 3)  # by due (next_dialable_at): bob's longer due here
    assert [w.callback_agent for w in waiting] == ["bob", "alice"]


async def test_an_owners_callback_is_claimed_for_them_alone(db: Database) -> None:
    cid = await callbacks(db)

    async def claim_for(agent: str) -> list[str]:
        got = await claim_leads(
            db, campaign_id=cid, owner="d", limit=5, now=NOW, lease=LEASE, agents=[agent], owner_grace=GRACE,
            owned=Owned.LISTED,
        )  # fmt: skip
        return [g.phone for g in got]

    assert await claim_for("carol") == []
    assert await claim_for("alice") == phones(3)  # not her overdue one: anyone's now
    assert await claim_for("alice") == []


async def test_the_queues_claim_never_takes_a_callback_waiting_for_its_agent(db: Database) -> None:
    cid = await callbacks(db)
    got = await claim_leads(db, campaign_id=cid, owner="d", limit=10, now=NOW, lease=LEASE, owner_grace=GRACE)
    assert sorted(g.phone for g in got) == sorted(phones(1, 2, 4))
    # Past the grace alice's and bob's are anyone's too.
    later = NOW + GRACE + timedelta(seconds=1)
    got = await claim_leads(db, campaign_id=cid, owner="d", limit=10, now=later, lease=LEASE, owner_grace=GRACE)
    assert sorted(g.phone for g in got) == sorted(phones(3, 5))


async def test_with_a_list_mix_the_owned_callbacks_come_from_every_active_list(db: Database) -> None:
    cid, _ = await lists.make_campaign(db)
    low = await lists.make_list(db, cid, "low", range(0, 3))
    high = await lists.make_list(db, cid, "high", range(100, 103))
    await update_list(db, high, lists.NOW, actor="boss", priority=10)
    off = await lists.make_list(db, cid, "off", range(200, 203))
    await update_list(db, off, lists.NOW, actor="boss", enabled=False)
    async with db.write() as conn:
        for phone in ("+14155550001", "+14155550101", "+14155550201"):
            await conn.execute(
                update(leads_t)
                .where(leads_t.c.phone == phone)
                .values(status="callback", callback_agent="alice", callback_at=lists.NOW)
            )
    waiting = await upcoming_leads(
        db, campaign_id=cid, limit=10, now=lists.NOW, order=ClaimOrder(), owner_grace=GRACE, owned=Owned.ANY
    )
    assert sorted(w.phone for w in waiting) == ["+14155550001", "+14155550101"]  # not the disabled list's
    got = await claim_leads(
        db, campaign_id=cid, owner="d", limit=5, now=lists.NOW, lease=LEASE, agents=["alice"], owner_grace=GRACE,
        owned=Owned.LISTED,
    )  # fmt: skip
    assert sorted(g.list_id for g in got) == sorted([low, high])


async def test_a_callback_waiting_for_its_agent_at_the_head_of_the_order_holds_up_no_other_claim(db: Database) -> None:
    # alice's callback (busy or away) comes first in every order: the best priority, due longest. Each claim of
    # one lead still takes the next lead anyone (or bob, free) may take, in due order.
    cid = await make_campaign(db)
    await add_leads(
        db,
        cid,
        [
            lead(1, status="callback", due=-timedelta(minutes=9), priority=9),
            lead(2, status="callback", due=-timedelta(minutes=2)),
            lead(3, status="callback", due=-timedelta(minutes=1)),
            lead(4),
        ],
    )
    await book(db, 1, "alice", NOW - timedelta(minutes=9))
    await book(db, 2, "bob", NOW - timedelta(minutes=2))
    await book(db, 3, None, NOW - timedelta(minutes=1))

    async def read_one(agents: list[str], owned: Owned) -> list[str]:
        got = await upcoming_leads(
            db, campaign_id=cid, limit=1, now=NOW, order=ClaimOrder(), agents=agents, owner_grace=GRACE, owned=owned
        )
        return [g.phone for g in got]

    assert await read_one([], Owned.ANY) == phones(1)  # the head of those waiting for their agents
    assert await read_one(["bob"], Owned.LISTED) == phones(2)  # bob's own, behind it
    assert await read_one([], Owned.NO) == phones(3)  # the queue's look-ahead
    assert await claimed(db, cid, limit=1, agents=("bob",), owned=Owned.LISTED) == phones(2)
    assert await claimed(db, cid, limit=1) == phones(3)
    assert await claimed(db, cid, limit=1) == phones(4)
    assert await claimed(db, cid, limit=1) == []  # only alice's is left: it waits for her
    assert await claimed(db, cid, limit=1, agents=("alice",), owned=Owned.LISTED) == phones(1)


async def test_two_callbacks_of_one_agent_due_at_once_go_to_them_the_earlier_first(db: Database) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(n, status="callback", due=-timedelta(minutes=n)) for n in (1, 2)])
    await book(db, 1, "alice", NOW - timedelta(minutes=1))
    await book(db, 2, "alice", NOW - timedelta(minutes=2))

    # One claim per call to her: the earlier promise first (the runner claims one for each free owner).
    assert await claimed(db, cid, limit=1, agents=("alice",), owned=Owned.LISTED) == phones(2)
    # While she is on that call, the other waits for her: nobody else's claim takes it, and it is still pending.
    assert await claimed(db, cid, limit=5) == []
    waiting = await upcoming_leads(
        db, campaign_id=cid, limit=5, now=NOW, order=ClaimOrder(), owner_grace=GRACE, owned=Owned.ANY
    )
    assert [w.phone for w in waiting] == phones(1)
    assert await claimed(db, cid, limit=5, agents=("alice",), owned=Owned.LISTED) == phones(1)  # free again: hers


async def test_an_agent_gone_for_the_day_the_team_keeps_the_promise_past_the_grace_unless_it_never_passes(
    db: Database,
) -> None:
    cid = await make_campaign(db)
    await add_leads(db, cid, [lead(1, status="callback")])
    await book(db, 1, "alice", NOW)

    async def queue_claim(at: datetime, grace: timedelta | None) -> list[str]:
        got = await claim_leads(db, campaign_id=cid, owner="d", limit=5, now=at, lease=LEASE, owner_grace=grace)
        return [g.phone for g in got]

    # "never": it waits for alice however long she is away (a day later, still nobody else's) ...
    assert await queue_claim(NOW + timedelta(days=1), None) == []
    # ... with a grace, it is hers until the grace has passed, then anyone's.
    assert await queue_claim(NOW + GRACE - timedelta(seconds=1), GRACE) == []
    assert await queue_claim(NOW + GRACE, GRACE) == phones(1)
