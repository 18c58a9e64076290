"""The atomic claim: hand the next N dialable leads of a campaign to one claimer, never the same lead to two.

One ``UPDATE ... WHERE id IN (<candidates>) RETURNING ...`` statement marks the leads ``in_call`` with the claimer's
name and a lease expiry. On PostgreSQL the candidate scan locks with ``FOR UPDATE SKIP LOCKED``, so concurrent
claimers skip each other's rows instead of queueing on them; a row another claimer has just taken is re-checked
against the WHERE clause and dropped. On SQLite the statement runs in a ``BEGIN IMMEDIATE`` transaction: writers
are serialised, so the scan and the update see the same rows.

Candidates come per status (callback, new, retry) from the partial index ``ix_leads_claim`` in index order
(priority desc, then longest due), at most N per status, so the scan reads O(N) index entries however big the
table is; the final pick of N is made over those few rows.

A claimer that dies leaves its leads ``in_call``; when the lease expires, ``release_expired_leases`` puts them
back where they came from. Leads the claimer decides not to dial (calling window closed, DNC) go back with
``release_leads``.

Why one module (over 500 lines): the claim and its look-ahead (:func:`upcoming_leads`) share the candidate
statements: the look-ahead runs the claim's steps without taking the leads, so the two cannot drift apart.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select, Subquery
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import BindParameter

from dialer.lists.mix import ListSetting, plan_claim
from dialer.logging import get_logger
from dialer.store.engine import Database
from dialer.store.leads import LeadRecord, lead_record
from dialer.store.tables import CLAIMABLE_SQL, IN_CALL_STATUS, attempts_t, dnc_t, lead_lists_t, leads_t
from dialer.store.types import UTCDateTime

CALLBACK, NEW, RETRY = "callback", "new", "retry"
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ClaimOrder:
    """How to order candidates (from the campaign's ``ordering`` options)."""

    callbacks_first: bool = True
    # Target share of never-dialled leads in each batch; None: strictly by priority then due time.
    new_share: float | None = None


_NOW = bindparam("now", type_=UTCDateTime())
_AGENTS: BindParameter[str] = bindparam("agents", expanding=True)


class Owned(Enum):
    """Which callbacks a claim or a read takes: every due lead as the queue may (NO: a callback still waiting for
    the agent who promised it only if that agent is listed in ``agents``), or only the callbacks that still wait for
    their agent (within ``personal_callback_grace``): of the agents listed (LISTED), or of any agent (ANY)."""

    NO = "no"
    LISTED = "listed"
    ANY = "any"


def _due(*, pg: bool) -> ColumnElement[bool]:
    if pg:
        return leads_t.c.next_dialable_at <= _NOW
    # With statistics, SQLite prefers ranging over (campaign, status, due) in ix_leads_campaign_status_due and
    # sorting every due lead: tens of milliseconds at millions of leads. The unary + (a no-op on any value) hides
    # the due term from the planner, so it walks ix_leads_claim in ORDER BY order and stops after `limit` rows.
    return type_coerce(literal_column("+leads.next_dialable_at"), UTCDateTime()) <= _NOW


def _in_lists() -> ColumnElement[bool]:
    """The lists a list-filtered claim may take from (``p_lists``), and leads without a list when ``p_unlisted``."""
    c = leads_t.c
    return or_(
        c.list_id.in_(bindparam("p_lists", expanding=True)),
        and_(c.list_id.is_(None), bindparam("p_unlisted", type_=Boolean())),
    )


def _branch(
    status: str,
    rank: int,
    weight: float,
    *,
    pg: bool,
    by_list: bool = False,
    lock: bool = True,
    exclude: bool = False,
    owned: Owned = Owned.NO,
) -> Select[tuple[int, int, float]]:
    c = leads_t.c
    scan = (
        select(c.id, c.priority, c.next_dialable_at)
        # The status is written into the SQL, not bound, and the index condition is repeated word for word: only
        # then do the planners prove that the partial index ix_leads_claim covers the query.
        .where(
            c.campaign_id == bindparam("p_campaign"),
            c.status == literal_column(f"'{status}'"),
            text(CLAIMABLE_SQL),
            _due(pg=pg),
        )
        .order_by(c.priority.desc(), c.next_dialable_at)
        .limit(bindparam("limit", type_=Integer()))
    )
    if by_list:
        scan = scan.where(_in_lists())
    if exclude:  # the leads earlier steps of the same read took (a claim's steps see them in_call)
        scan = scan.where(c.id.not_in(bindparam("p_exclude", expanding=True)))
    if status == CALLBACK and owned is not Owned.NO:
        scan = scan.where(_waiting_for_owner(owned))
    elif status == CALLBACK:
        # A callback promised by one agent waits for that agent, until it is overdue by the campaign's
        # personal_callback_grace (p_owned_until: due before it, anyone may take it); "anyone" callbacks go to
        # whoever is free.
        scan = scan.where(
            c.callback_agent.is_(None) | c.callback_agent.in_(_AGENTS) | (c.callback_at <= bindparam("p_owned_until"))
        )
    if pg and lock:
        scan = scan.with_for_update(skip_locked=True)
    sub = scan.subquery()
    # Position of the row inside its status, scaled by the status' share: merging on this key interleaves
    # new and retry leads in the requested proportion, and a short status leaves room for the other.
    position = func.row_number().over(order_by=(sub.c.priority.desc(), sub.c.next_dialable_at))
    return select(
        sub.c.id,
        literal_column(str(rank)).label("rank"),
        (cast(position, Float) / literal_column(repr(weight))).label("slot"),
        sub.c.priority,
        sub.c.next_dialable_at,
    )


def _waiting_for_owner(owned: Owned) -> ColumnElement[bool]:
    """A callback that still waits for the agent who promised it (within personal_callback_grace: ``p_owned_until``):
    of the agents listed (Owned.LISTED), or of any agent (Owned.ANY)."""
    c = leads_t.c
    owners = c.callback_agent.is_not(None) if owned is Owned.ANY else c.callback_agent.in_(_AGENTS)
    return and_(owners, or_(c.callback_at.is_(None), c.callback_at > bindparam("p_owned_until")))


_on_dnc = exists(
    select(literal_column("1")).where(
        dnc_t.c.number == leads_t.c.phone,
        or_(dnc_t.c.campaign_id.is_(None), dnc_t.c.campaign_id == bindparam("p_campaign")),
    )
)


def _candidates(
    order: ClaimOrder,
    *,
    pg: bool,
    by_list: bool = False,
    callbacks_only: bool = False,
    lock: bool = True,
    exclude: bool = False,
    owned: Owned = Owned.NO,
) -> tuple[Subquery, tuple[ColumnElement[Any], ...]]:
    """The due candidates of every status (only callbacks with ``callbacks_only``, or ``owned``) and the claim's
    order over them."""
    cb_rank = 0 if order.callbacks_first else 1
    if order.new_share is None:
        weights = {CALLBACK: 1.0, NEW: 1.0, RETRY: 1.0}
    else:
        share = min(max(order.new_share, 1e-6), 1 - 1e-6)
        weights = {CALLBACK: 1.0, NEW: share, RETRY: 1 - share}
    branches = [
        _branch(
            status,
            cb_rank if status == CALLBACK else 1,
            weights[status],
            pg=pg,
            by_list=by_list,
            lock=lock,
            exclude=exclude,
            owned=owned,
        )
        for status in ((CALLBACK,) if callbacks_only or owned is not Owned.NO else (CALLBACK, NEW, RETRY))
    ]
    candidates = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery()
    ordering: tuple[ColumnElement[Any], ...]
    if order.new_share is None:
        ordering = (candidates.c.rank, candidates.c.priority.desc(), candidates.c.next_dialable_at)
    else:
        ordering = (candidates.c.rank, candidates.c.slot, candidates.c.priority.desc())
    return candidates, ordering


NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # p_owned_until when an agent's callbacks wait for them whatever happens


def owned_until(now: datetime, owner_grace: timedelta | None) -> datetime:
    """Callbacks due at or before this may be taken by any agent, whoever promised them
    (:func:`dialer.campaign.rules.owner_waited_for`: the same rule, read in SQL)."""
    return NEVER if owner_grace is None else now - owner_grace


@lru_cache(maxsize=16)
def upcoming_statement(
    order: ClaimOrder, *, pg: bool, by_list: bool = False, callbacks_only: bool = False, owned: Owned = Owned.NO
) -> Select[Any]:
    """The leads the next claims would take, in the claim's order, read without claiming or locking them;
    parameters: p_campaign, limit, now, agents, p_owned_until (and p_lists, p_unlisted, p_exclude when ``by_list``:
    only leads of those lists, none of p_exclude, as one step of the claim's list mix; ``callbacks_only``: only
    callbacks; ``owned``: only callbacks waiting for their agents, :class:`Owned`)."""
    candidates, ordering = _candidates(
        order, pg=pg, by_list=by_list, callbacks_only=callbacks_only, lock=False, exclude=by_list, owned=owned
    )
    return (
        select(*leads_t.c)
        .join_from(candidates, leads_t, leads_t.c.id == candidates.c.id)
        .order_by(*ordering)
        .limit(bindparam("limit", type_=Integer()))
    )


def _due_params(
    campaign_id: int, limit: int, now: datetime, agents: Collection[str], owner_grace: timedelta | None
) -> dict[str, Any]:
    """The parameters of the candidate scan the claim and its look-ahead share (which leads are due, and whose)."""
    return {
        "p_campaign": campaign_id,
        "limit": limit,
        "now": now,
        "agents": list(agents),
        "p_owned_until": owned_until(now, owner_grace),
    }


async def upcoming_leads(
    db: Database,
    *,
    campaign_id: int,
    limit: int,
    now: datetime,
    order: ClaimOrder,
    agents: Collection[str] = (),
    owner_grace: timedelta | None = None,
    owned: Owned = Owned.NO,
) -> list[LeadRecord]:
    """Up to ``limit`` due leads in the order the next claims would take them, neither claimed nor locked (the
    pacer's look-ahead: their histories and zones; ``owned``: the due callbacks still waiting for their agents,
    :class:`Owned`, from every active list).

    The campaign's list mix applies as to a claim of ``limit`` leads (:func:`claim_in`): the same steps, each
    reading without the leads earlier steps took. In dialling order: due callbacks first (when the ordering puts
    them first), then a priority mix's lists from the highest priority down, a share mix's lists interleaved by
    their shares (each list's leads spread evenly over its part, as successive claims would take them), then what
    they could not fill."""
    if limit <= 0:
        return []
    params = _due_params(campaign_id, limit, now, agents, owner_grace)
    async with db.read() as conn:
        pg = conn.dialect.name == "postgresql"
        settings = await list_settings_in(conn, campaign_id, only_managed=True)
        if not settings:
            rows = (await conn.execute(upcoming_statement(order, pg=pg, owned=owned), params)).mappings().all()
            return [lead_record(r) for r in rows]
        if owned is not Owned.NO:
            lists = {"p_lists": [x.list_id for x in settings if x.active(now)], "p_unlisted": True, "p_exclude": []}
            statement = upcoming_statement(order, pg=pg, by_list=True, owned=owned)
            rows = (await conn.execute(statement, {**params, **lists})).mappings().all()
            return [lead_record(r) for r in rows]
        taken: list[int] = []

        async def step(want: int, lists: Sequence[int], unlisted: bool, *, callbacks_only: bool = False) -> list[Any]:
            statement = upcoming_statement(order, pg=pg, by_list=True, callbacks_only=callbacks_only)
            got = (
                (
                    await conn.execute(
                        statement,
                        {**params, "limit": want, "p_lists": list(lists), "p_unlisted": unlisted, "p_exclude": taken},
                    )
                )
                .mappings()
                .all()
            )
            taken.extend(r["id"] for r in got)
            return list(got)

        callbacks: list[Any] = []
        if order.callbacks_first:
            callbacks = await step(limit, [x.list_id for x in settings if x.active(now)], True, callbacks_only=True)
        share_mix = any(x.share for x in settings if x.active(now))
        steps: list[tuple[bool, list[Any]]] = []  # (a share mix's step of one list, its leads)
        for planned in plan_claim(settings, limit, now):
            want = min(planned.limit, limit - len(taken))
            if want <= 0:
                break
            steps.append((share_mix and not planned.unlisted, await step(want, planned.list_ids, planned.unlisted)))
    shared = [(position + 0.5) / len(got) for own, got in steps if own for position in range(len(got))]
    ordered = [
        r
        for _, r in sorted(
            zip(shared, (r for own, got in steps if own for r in got), strict=True), key=lambda pair: pair[0]
        )
    ]
    ordered += [r for own, got in steps if not own for r in got]
    return [lead_record(r) for r in callbacks + ordered]


@lru_cache(maxsize=4)
def waiting_count_statement(*, pg: bool, by_list: bool = False) -> Select[int]:
    """How many due callbacks, not claimed, wait for the agents who promised them, not of the agents given (free:
    theirs are dialled, not waiting); parameters: p_campaign, now, agents, p_owned_until (p_lists, p_unlisted when
    ``by_list``). The same leads as :func:`upcoming_statement` with Owned.ANY reads, counted, not listed."""
    c = leads_t.c
    statement = (
        select(func.count())
        .select_from(leads_t)
        .where(
            c.campaign_id == bindparam("p_campaign"),
            c.status == literal_column(f"'{CALLBACK}'"),
            text(CLAIMABLE_SQL),
            _due(pg=pg),
            _waiting_for_owner(Owned.ANY),
            c.callback_agent.not_in(_AGENTS),
        )
    )
    return statement.where(_in_lists()) if by_list else statement


async def waiting_callbacks(
    db: Database, *, campaign_id: int, now: datetime, owner_grace: timedelta | None, free_agents: Collection[str]
) -> int:
    """How many due personal callbacks wait for their agents at ``now`` -- busy or away, not among ``free_agents``,
    within the campaign's ``owner_grace`` -- from every active list (the "why not dialling" count; one COUNT, never
    the rows: a look reads at most a few of them, :func:`upcoming_leads`)."""
    params = _due_params(campaign_id, 0, now, free_agents, owner_grace)
    del params["limit"]
    async with db.read() as conn:
        pg = conn.dialect.name == "postgresql"
        settings = await list_settings_in(conn, campaign_id, only_managed=True)
        if not settings:
            return (await conn.execute(waiting_count_statement(pg=pg), params)).scalar_one()
        lists = {"p_lists": [x.list_id for x in settings if x.active(now)], "p_unlisted": True}
        statement = waiting_count_statement(pg=pg, by_list=True)
        return (await conn.execute(statement, {**params, **lists})).scalar_one()


@lru_cache(maxsize=64)
def claim_statement(
    order: ClaimOrder, *, pg: bool, by_list: bool = False, callbacks_only: bool = False, owned: Owned = Owned.NO
) -> Update:
    """The claim UPDATE for one ordering; parameters: p_campaign, limit, now, agents, p_owned_until, p_owner,
    lease_until (and
    p_lists, p_unlisted when ``by_list``: only leads of those lists, see :mod:`dialer.lists.mix`).
    ``callbacks_only``: only due callbacks; ``owned``: only due callbacks waiting for their agents (:class:`Owned`).

    Built once per ordering and dialect (SQLAlchemy then reuses its compiled form)."""
    candidates, ordering = _candidates(order, pg=pg, by_list=by_list, callbacks_only=callbacks_only, owned=owned)
    chosen = select(candidates.c.id).order_by(*ordering).limit(bindparam("limit", type_=Integer()))
    c = leads_t.c
    return (
        update(leads_t)
        .where(c.id.in_(chosen))
        .values(
            status=IN_CALL_STATUS,
            claimed_from=c.status,
            claim_owner=bindparam("p_owner"),
            lease_expires_at=bindparam("lease_until", type_=UTCDateTime()),
            updated_at=_NOW,
        )
        # Whether the number is on a DNC list now (global or this campaign's): one index probe per claimed lead,
        # so the caller needs no second query before its last check.
        .returning(*leads_t.c, _on_dnc.label("on_dnc"))
    )


async def claim_leads(
    db: Database,
    *,
    campaign_id: int,
    owner: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    order: ClaimOrder = ClaimOrder(),
    agents: Collection[str] = (),
    owner_grace: timedelta | None = None,
    owned: Owned = Owned.NO,
) -> list[LeadRecord]:
    """Atomically take up to ``limit`` due leads (status ``in_call``, owned by ``owner`` until ``now + lease``).

    The returned leads are in dialling order. ``agents``: free agents whose own callbacks may be claimed too;
    ``owner_grace``: how overdue another agent's callback must be for anyone to take it (None: never); ``owned``:
    only the callbacks still waiting for their agents (:class:`Owned`).
    """
    if limit <= 0:
        return []
    async with db.write() as conn:
        leads, _ = await claim_in(
            conn,
            campaign_id=campaign_id,
            owner=owner,
            limit=limit,
            now=now,
            lease=lease,
            order=order,
            agents=agents,
            owner_grace=owner_grace,
            owned=owned,
        )
    return leads


async def claim_in(
    conn: AsyncConnection,
    *,
    campaign_id: int,
    owner: str,
    limit: int,
    now: datetime,
    lease: timedelta,
    order: ClaimOrder,
    agents: Collection[str] = (),
    owner_grace: timedelta | None = None,
    owned: Owned = Owned.NO,
) -> tuple[list[LeadRecord], set[int]]:
    """``claim_leads`` inside the caller's write transaction; also the ids of those whose number is on a DNC list.

    The campaign's lead lists decide where leads come from (:func:`dialer.lists.mix.plan_claim`): when every list
    is enabled, unexpired and without priority or share, one statement over the whole campaign; otherwise one
    statement per step of the plan, each for what is left of the batch (due callbacks first, from every active
    list, when the ordering puts callbacks first). ``owned``: only the due callbacks still waiting for their agents
    (:class:`Owned`), from every active list."""
    params = {**_due_params(campaign_id, limit, now, agents, owner_grace), "p_owner": owner, "lease_until": now + lease}
    pg = conn.dialect.name == "postgresql"
    settings = await list_settings_in(conn, campaign_id, only_managed=True)
    if not settings:
        rows = list((await conn.execute(claim_statement(order, pg=pg, owned=owned), params)).mappings().all())
    elif owned is not Owned.NO:
        active = [x.list_id for x in settings if x.active(now)]
        got = await conn.execute(
            claim_statement(order, pg=pg, by_list=True, owned=owned), {**params, "p_lists": active, "p_unlisted": True}
        )
        rows = list(got.mappings().all())
    else:
        rows = []
        if order.callbacks_first:
            # Due callbacks are promises: they come first from every active list, whatever the mix.
            active = [x.list_id for x in settings if x.active(now)]
            got = await conn.execute(
                claim_statement(order, pg=pg, by_list=True, callbacks_only=True),
                {**params, "p_lists": active, "p_unlisted": True},
            )
            rows.extend(got.mappings().all())
        for step in plan_claim(settings, limit, now):
            want = min(step.limit, limit - len(rows))
            if want <= 0:
                break
            got = await conn.execute(
                claim_statement(order, pg=pg, by_list=True),
                {**params, "limit": want, "p_lists": list(step.list_ids), "p_unlisted": step.unlisted},
            )
            rows.extend(got.mappings().all())
    return sort_claimed([lead_record(r) for r in rows], order), {r["id"] for r in rows if r["on_dnc"]}


# The lists' settings per engine and campaign, re-read at most once a second (a claim would otherwise pay one more
# round trip each time). A change made through this process (``forget_list_settings``) applies at the next claim;
# one made by another process within LIST_SETTINGS_TTL_SECONDS. Expiry is exact: it is evaluated at claim time.
LIST_SETTINGS_TTL_SECONDS = 1.0
_list_settings: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, list[ListSetting]]]] = (
    weakref.WeakKeyDictionary()
)


def forget_list_settings(engine: Engine) -> None:
    _list_settings.pop(engine, None)


async def list_settings_in(conn: AsyncConnection, campaign_id: int, *, only_managed: bool = False) -> list[ListSetting]:
    """The campaign's lead lists as the mix sees them. ``only_managed``: none at all unless one list is not the
    default (then all of them, the mix needs every list); these answers are cached (see above)."""
    cache = _list_settings.setdefault(conn.sync_engine, {}) if only_managed else None
    if cache is not None:
        cached = cache.get(campaign_id)
        if cached is not None and time.monotonic() - cached[0] < LIST_SETTINGS_TTL_SECONDS:
            return cached[1]
    ll = lead_lists_t.c
    query = select(ll.id, ll.enabled, ll.priority, ll.share, ll.valid_until).where(ll.campaign_id == campaign_id)
    rows = (await conn.execute(query.order_by(ll.id))).all()
    settings = [ListSetting(r.id, bool(r.enabled), int(r.priority), r.share, r.valid_until) for r in rows]
    if only_managed and all(x.is_default for x in settings):
        settings = []
    if cache is not None:
        cache[campaign_id] = (time.monotonic(), settings)
    return settings


def sort_claimed(leads: Sequence[LeadRecord], order: ClaimOrder) -> list[LeadRecord]:
    """RETURNING gives rows in no defined order: put them back in dialling order."""

    def key(lead: LeadRecord) -> tuple[int, int, datetime]:
        is_cb = lead.claimed_from == CALLBACK and order.callbacks_first
        return (0 if is_cb else 1, -lead.priority, lead.next_dialable_at)

    return sorted(leads, key=key)


@dataclass(frozen=True, slots=True)
class Release:
    """Give a claimed lead back without dialling it: to the status it came from (or ``status``), due again at
    ``next_dialable_at`` (unchanged when None), optionally archived with a reason."""

    lead_id: int
    next_dialable_at: datetime | None = None
    status: str | None = None
    archive_reason: str | None = None


async def release_in(conn: AsyncConnection, owner: str, releases: Sequence[Release], now: datetime) -> int:
    """``release_leads`` inside the caller's transaction (one executemany for the whole list)."""
    if not releases:
        return 0
    c = leads_t.c
    stmt = (
        update(leads_t)
        .where(
            c.id == bindparam("r_id"),
            c.status == literal_column(f"'{IN_CALL_STATUS}'"),
            c.claim_owner == bindparam("r_owner"),
        )
        .values(
            status=func.coalesce(bindparam("r_status", type_=String()), c.claimed_from, RETRY),
            next_dialable_at=func.coalesce(bindparam("r_due", type_=UTCDateTime()), c.next_dialable_at),
            archive_reason=func.coalesce(bindparam("r_reason", type_=String()), c.archive_reason),
            claimed_from=None,
            claim_owner=None,
            lease_expires_at=None,
            updated_at=bindparam("r_now", type_=UTCDateTime()),
        )
    )
    rows = [
        {
            "r_id": r.lead_id,
            "r_owner": owner,
            "r_status": r.status,
            "r_due": r.next_dialable_at,
            "r_reason": r.archive_reason,
            "r_now": now,
        }
        for r in releases
    ]
    result = await conn.execute(stmt, rows)
    return result.rowcount


async def release_leads(db: Database, owner: str, releases: Sequence[Release], now: datetime) -> int:
    """Return claimed leads (only those ``owner`` still holds); the number released."""
    if not releases:
        return 0
    async with db.write() as conn:
        return await release_in(conn, owner, releases, now)


async def release_expired_leases(db: Database, now: datetime, *, campaign_ids: Collection[int] | None = None) -> int:
    """Put back every lead whose claimer let its lease run out (crashed, hung, or lost its connection); only of
    ``campaign_ids`` when given.

    A lead with an attempt still open (no ``ended_at``) is never put back, whatever its lease says: its call may be
    up on the PBX, and only closing the attempt (by the adoption pass, from what the PBX reported) frees it. This is
    a condition of the statement itself, so no ordering between the sweep and adoption can dial a lead twice."""
    c = leads_t.c
    a = attempts_t.c
    open_attempt = exists().where(a.lead_id == c.id, a.ended_at.is_(None))
    stmt = (
        update(leads_t)
        # A literal status lets the planners use the partial index ix_leads_lease (WHERE status = 'in_call').
        .where(c.status == literal_column(f"'{IN_CALL_STATUS}'"), c.lease_expires_at < now, ~open_attempt)
        .values(
            status=func.coalesce(c.claimed_from, RETRY),
            claimed_from=None,
            claim_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )
    if campaign_ids is not None:
        if not campaign_ids:
            return 0
        stmt = stmt.where(c.campaign_id.in_(sorted(campaign_ids)))
    async with db.write() as conn:
        result = await conn.execute(stmt)
    if result.rowcount:
        log.warning("expired_leases_released", leads=result.rowcount)
    return result.rowcount


async def extend_lease(db: Database, owner: str, lead_ids: Collection[int], until: datetime) -> int:
    """Keep holding leads whose calls outlive the lease (long rings, queued answers)."""
    if not lead_ids:
        return 0
    c = leads_t.c
    async with db.write() as conn:
        result = await conn.execute(
            update(leads_t)
            .where(c.id.in_(list(lead_ids)), c.status == IN_CALL_STATUS, c.claim_owner == owner)
            .values(lease_expires_at=until)
        )
    return result.rowcount
