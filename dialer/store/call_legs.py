"""Call legs (table ``call_legs``): who talked with the customer of an attempt, who transferred to whom, when,
and each party's talk time; the transfers-per-agent report reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from dialer.store.engine import Database
from dialer.store.records import in_period
from dialer.store.tables import attempts_t, call_legs_t


@dataclass(frozen=True, slots=True)
class CallLegRecord:
    attempt_id: int
    seq: int
    party_kind: str
    party: str
    how: str
    transferred_by: str | None
    started_at: datetime
    connected_at: datetime | None
    ended_at: datetime | None
    talk_seconds: float | None


async def save_call_legs(db: Database, attempt_id: int, legs: Sequence[CallLegRecord]) -> None:
    """Write the legs of an attempt (replacing any written before: the last word of the call is kept)."""
    async with db.write() as conn:
        await conn.execute(delete(call_legs_t).where(call_legs_t.c.attempt_id == attempt_id))
        if legs:
            await conn.execute(
                insert(call_legs_t),
                [
                    {
                        "attempt_id": attempt_id,
                        "seq": leg.seq,
                        "party_kind": leg.party_kind,
                        "party": leg.party,
                        "how": leg.how,
                        "transferred_by": leg.transferred_by,
                        "started_at": leg.started_at,
                        "connected_at": leg.connected_at,
                        "ended_at": leg.ended_at,
                        "talk_seconds": leg.talk_seconds,
                    }
                    for leg in legs
                ],
            )


async def call_legs_of(db: Database, attempt_id: int) -> list[CallLegRecord]:
    c = call_legs_t.c
    async with db.read() as conn:
        rows = (await conn.execute(select(call_legs_t).where(c.attempt_id == attempt_id).order_by(c.seq))).mappings()
        return [
            CallLegRecord(
                r["attempt_id"],
                r["seq"],
                r["party_kind"],
                r["party"],
                r["how"],
                r["transferred_by"],
                r["started_at"],
                r["connected_at"],
                r["ended_at"],
                r["talk_seconds"],
            )
            for r in rows.all()
        ]


@dataclass(frozen=True, slots=True)
class TransferCount:
    agent: str
    how: str  # blind | warm | conference
    party_kind: str  # agent | queue | external
    transfers: int


async def transfers_per_agent(
    db: Database, campaign_id: int, start: datetime | None = None, end: datetime | None = None
) -> list[TransferCount]:
    """Transfers and 3-way calls each agent made in a campaign's calls started in [start, end)."""
    c, a = call_legs_t.c, attempts_t.c
    query = (
        select(c.transferred_by, c.how, c.party_kind, func.count().label("n"))
        .select_from(call_legs_t.join(attempts_t, a.id == c.attempt_id))
        .where(a.campaign_id == campaign_id, c.transferred_by.is_not(None))
        .group_by(c.transferred_by, c.how, c.party_kind)
        .order_by(c.transferred_by, c.how, c.party_kind)
    )
    query = query.where(*in_period(a.started_at, start, end))
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [TransferCount(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


@dataclass(frozen=True, slots=True)
class TransferFact:
    """One transfer or 3-way leg of a campaign's call, with the call's final word (its disposition and the agent
    who gave it): what the closer-conversion figures are computed from."""

    attempt_id: int
    transferred_by: str
    how: str  # blind | warm | conference
    party_kind: str  # agent | queue | external
    party: str
    disposition: str | None
    dispositioned_by: str | None


async def transfer_facts(
    db: Database,
    campaign_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    agent: str | None = None,
) -> list[TransferFact]:
    """Every transfer / 3-way leg of a campaign's calls started in [start, end) (made by ``agent`` if given)."""
    c, a = call_legs_t.c, attempts_t.c
    query = (
        select(c.attempt_id, c.transferred_by, c.how, c.party_kind, c.party, a.disposition, a.agent)
        .select_from(call_legs_t.join(attempts_t, a.id == c.attempt_id))
        .where(a.campaign_id == campaign_id, c.transferred_by.is_not(None))
        .order_by(c.attempt_id, c.seq)
    )
    query = query.where(*in_period(a.started_at, start, end))
    if agent is not None:
        query = query.where((c.transferred_by == agent) | (a.agent == agent))
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [TransferFact(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5], r[6]) for r in rows]
