"""Queries of the web console and dashboard: lead search, lead edits, lead lists, callbacks, per-agent figures.

Owned by the web tier (see /tmp/coord/published-web.md); it uses the store's tables and record types only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.campaign.rules import TERMINAL_STATUSES, check_callback_dialable
from dialer.i18n import M_
from dialer.store.attempts import AgentFigures, AttemptRecord, attempt_record, figures_by_agent
from dialer.store.callbacks import BY_USER, PENDING, cancel_in, pending_callback_in, schedule_callback_in
from dialer.store.changes import not_none
from dialer.store.engine import Database
from dialer.store.leads import LeadRecord, campaign_regime_in, lead_record, snapshot
from dialer.store.leadscope import LeadScope
from dialer.store.records import RecordReader, by_id, first_row, in_period, paged, where_given
from dialer.store.tables import IN_CALL_STATUS, attempts_t, callbacks_t, campaigns_t, lead_lists_t, leads_t
from dialer.store.webhooks import enqueue_in


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """A lead search of the web console (the leads API): its filters, and the page wanted."""

    campaign_id: int | None = None
    text: str | None = None  # name, phone digits or external id (substring)
    status: str | None = None
    agent: str | None = None  # only leads this agent has talked to (or owns a callback of)
    limit: int = 50
    scope: LeadScope | None = None  # only the leads the user may see (dialer.store.leadscope; None: all)
    offset: int = 0


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _agent_leads(agent: str) -> Any:
    """The leads ``agent`` talked to or owns a callback of: one set of ids, each half looked up through its index
    (ix_attempts_agent_started, ix_leads_callback_agent) -- an OR of the two conditions read every lead."""
    owned = leads_t.alias("owned")
    talked = select(attempts_t.c.lead_id).where(attempts_t.c.agent == agent)
    return leads_t.c.id.in_(union(talked, select(owned.c.id).where(owned.c.callback_agent == agent)))


async def search_leads(db: Database, query: LeadQuery) -> tuple[int, list[LeadRecord]]:
    c = leads_t.c
    conditions: list[Any] = []
    if query.campaign_id is not None:
        conditions.append(c.campaign_id == query.campaign_id)
    if query.status:
        conditions.append(c.status == query.status)
    if query.agent is not None:
        conditions.append(_agent_leads(query.agent))
    if query.scope is not None and (scoped := query.scope.condition()) is not None:
        conditions.append(scoped)
    if query.text:
        needle = f"%{_escape_like(query.text.strip())}%"
        digits = "".join(ch for ch in query.text if ch.isdigit())
        options = [
            c.first_name.ilike(needle, escape="\\"),
            c.last_name.ilike(needle, escape="\\"),
            c.display_name.ilike(needle, escape="\\"),
            c.name_reading.ilike(needle, escape="\\"),
        ]
        options.append(c.fields["external_id"].as_string() == query.text.strip())
        if digits:
            options.append(c.phone.like(f"%{digits}%"))
        conditions.append(or_(*options))
    rows = select(leads_t).order_by(c.id)
    return await paged(db, leads_t, rows, conditions, lead_record, limit=query.limit, offset=query.offset)


async def agent_may_see_lead(db: Database, lead_id: int, agent: str) -> bool:
    return await first_row(db, select(leads_t.c.id).where(leads_t.c.id == lead_id, _agent_leads(agent))) is not None


async def lead_history(db: Database, lead_id: int, limit: int = 50) -> list[AttemptRecord]:
    a = attempts_t.c
    return await attempt_record.all(
        db, select(attempts_t).where(a.lead_id == lead_id).order_by(a.id.desc()).limit(limit)
    )


async def update_lead_fields(
    db: Database,
    lead_id: int,
    now: datetime,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    fields: dict[str, str | None] | None = None,
    priority: int | None = None,
) -> LeadRecord | None:
    """Edit what an agent or manager may correct; custom fields are merged (a None value removes the key)."""
    async with db.write() as conn:
        row = (await conn.execute(by_id(leads_t, lead_id))).mappings().first()
        if row is None:
            return None
        values = not_none(first_name=first_name, last_name=last_name, priority=priority, updated_at=now)
        if fields is not None:
            merged = dict(row["fields"])
            for key, value in fields.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            values["fields"] = merged
        await conn.execute(update(leads_t).where(leads_t.c.id == lead_id).values(**values))
        return await lead_record.one_in(conn, by_id(leads_t, lead_id))


# --------------------------------------------------------------------------------------------------- lead lists
@dataclass(frozen=True, slots=True)
class LeadListRecord:
    """A lead list (one imported file): what its import read, imported and rejected, and the error report."""

    id: int
    campaign_id: int
    name: str
    source_file: str
    rows_read: int
    imported: int
    duplicates: int
    invalid: int
    dnc: int
    errors_file: str | None
    imported_at: datetime


_lead_list = RecordReader(LeadListRecord)


async def list_lead_lists(
    db: Database, campaign_id: int | None, limit: int, offset: int
) -> tuple[int, list[LeadListRecord]]:
    c = lead_lists_t.c
    where = [c.campaign_id == campaign_id] if campaign_id is not None else []
    rows = select(lead_lists_t).order_by(c.id.desc())
    return await paged(db, lead_lists_t, rows, where, _lead_list, limit=limit, offset=offset)


async def get_lead_list(db: Database, list_id: int) -> LeadListRecord | None:
    return await _lead_list.first(db, by_id(lead_lists_t, list_id))


# ---------------------------------------------------------------------------------------------------- callbacks
@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """A callback scheduled on a lead: when it is due, the agent it is for (None: any), and its state."""

    id: int
    lead_id: int
    campaign_id: int
    due_at: datetime
    agent: str | None
    state: str
    notes: str | None
    created_at: datetime
    updated_at: datetime


_callback = RecordReader(CallbackRecord)


@dataclass(frozen=True, slots=True)
class CallbackListing:
    """A callback as a list shows it: the callback, and whom and for which campaign (its lead's number and names,
    the campaign's name)."""

    callback: CallbackRecord
    campaign: str
    phone: str
    first_name: str | None
    last_name: str | None
    display_name: str | None


def _callback_listing(row: Any) -> CallbackListing:
    return CallbackListing(
        _callback(row), row["campaign"], row["phone"], row["first_name"], row["last_name"], row["display_name"]
    )


async def list_callbacks(
    db: Database,
    *,
    campaign_id: int | None = None,
    agent: str | None = None,
    state: str | None = None,
    due_before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
    scope: LeadScope | None = None,
) -> tuple[int, list[CallbackListing]]:
    """The callbacks matching the filters, among those ``scope`` sees (None: all), soonest due first, each with
    its lead's number and names and its campaign's name."""
    c = callbacks_t.c
    conditions: list[Any] = []
    visible = scope.calls_condition(callbacks_t) if scope is not None else None
    if visible is not None:
        conditions.append(visible)
    conditions += where_given((c.campaign_id, campaign_id), (c.agent, agent), (c.state, state))
    conditions += in_period(c.due_at, None, due_before)
    lead = leads_t.c
    rows = (
        select(
            callbacks_t,
            campaigns_t.c.name.label("campaign"),
            lead.phone,
            lead.first_name,
            lead.last_name,
            lead.display_name,
        )
        .join(leads_t, lead.id == c.lead_id)
        .join(campaigns_t, campaigns_t.c.id == c.campaign_id)
        .order_by(c.due_at, c.id)
    )
    return await paged(db, callbacks_t, rows, conditions, _callback_listing, limit=limit, offset=offset)


async def get_callback(db: Database, callback_id: int) -> CallbackRecord | None:
    return await _callback.first(db, by_id(callbacks_t, callback_id))


async def own_callback_kept(db: Database, lead_id: int, attempt_id: int, agent: str) -> CallbackRecord | None:
    """The callback ``agent`` promised on the lead that the call ``attempt_id`` keeps (None: the call keeps none of
    theirs): what the screen pop tells them."""
    c = callbacks_t.c
    stmt = select(callbacks_t).where(c.lead_id == lead_id, c.kept_by == attempt_id, c.agent == agent)
    return await _callback.first(db, stmt.order_by(c.due_at, c.id).limit(1))


class LeadClosedForCallbacks(ValueError):
    """The lead is closed for good (done, DNC, archived, exhausted): a callback on it would never be dialled."""

    def __init__(self, lead_id: int, status: str) -> None:
        super().__init__(
            M_("lead {id} is {status}: a callback on it would never be dialled", id=lead_id, status=status)
        )
        self.status = status


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """The called party asked for the callback themselves (the IVR's "call me back"): from where, when."""

    source: str
    at: datetime


async def create_callback(
    db: Database,
    lead_id: int,
    due_at: datetime,
    agent: str | None,
    notes: str | None,
    now: datetime,
    *,
    requested: CallbackRequest | None = None,
) -> CallbackRecord | None:
    """Schedule a call back on a lead (None: no such lead; :class:`LeadClosedForCallbacks` when it is closed for
    good; :class:`dialer.campaign.rules.ConsentRequired` when its regime requires consent and it has neither consent
    nor a pending request of its called party -- unless this is that request).

    The lead becomes a callback due at the soonest of its pending callbacks, this one or one booked before
    (:func:`dialer.store.callbacks.pending_callback_in`: each is dialled in turn); a lead on a call now becomes one
    when the call ends (:func:`dialer.campaign.rules.with_pending_callback`). ``requested``: the called party asked
    for it, recorded on the lead with its due time (:attr:`dialer.campaign.rules.LeadSnapshot.has_requested_callback`;
    where the regime requires consent and the lead has none, the lead waits for it before any other callback)."""
    async with db.write() as conn:
        lead = (await conn.execute(by_id(leads_t, lead_id))).mappings().first()
        if lead is None:
            return None
        if lead["status"] in {s.value for s in TERMINAL_STATUSES}:
            raise LeadClosedForCallbacks(lead_id, lead["status"])
        if requested is None:
            regime = await campaign_regime_in(conn, lead["campaign_id"])
            check_callback_dialable(snapshot(lead_record(lead), ""), regime.requires_consent)
        callback_id, due = await schedule_callback_in(
            conn, lead_id=lead_id, campaign_id=lead["campaign_id"], due_at=due_at, agent=agent, notes=notes, now=now
        )
        await enqueue_in(conn, [due], now)
        if requested is not None:
            await conn.execute(
                update(leads_t)
                .where(leads_t.c.id == lead_id)
                .values(
                    requested_callback_source=requested.source,
                    requested_callback_at=requested.at,
                    requested_callback_due=due_at,
                )
            )
        if lead["status"] != IN_CALL_STATUS:
            await _wait_for_pending_in(conn, lead_id, now)
        return await _callback.one_in(conn, by_id(callbacks_t, callback_id))


async def _wait_for_pending_in(conn: AsyncConnection, lead_id: int, now: datetime, *only_if: Any) -> None:
    """The lead (where ``only_if`` holds) waits for the pending callback it holds for
    (:func:`dialer.store.callbacks.pending_callback_in`): a callback due then, for its agent; with none pending any
    more it goes back to retry (dialable when the campaign's rules allow)."""
    held = await pending_callback_in(conn, lead_id)
    back: dict[str, object] = {"status": "retry", "callback_at": None, "callback_agent": None}
    if held is not None:
        back = {"status": "callback", "callback_at": held.due_at, "callback_agent": held.agent}
        back["next_dialable_at"] = held.due_at
    await conn.execute(update(leads_t).where(leads_t.c.id == lead_id, *only_if).values(**back, updated_at=now))


class CallbackNotPending(ValueError):
    """Only a pending callback can be cancelled."""

    def __init__(self, callback_id: int, state: str) -> None:
        super().__init__(M_("callback {id} is {state}, not pending", id=callback_id, state=state))
        self.state = state


async def cancel_callback(db: Database, callback_id: int, now: datetime) -> CallbackRecord | None:
    """Cancel a pending callback (None: no such callback; :class:`CallbackNotPending` when done, cancelled or
    missed already), announced as ``callback.cancelled`` (reason ``user``); the lead goes back to retry (dialable
    when the campaign's rules allow), or, while another callback on it is pending, waits for the one it holds for
    (as after a call: :func:`dialer.campaign.rules.with_pending_callback`, fed by the same
    :func:`dialer.store.callbacks.pending_callback_in`)."""
    async with db.write() as conn:
        row = (await conn.execute(by_id(callbacks_t, callback_id))).mappings().first()
        if row is None:
            return None
        if row["state"] != PENDING:
            raise CallbackNotPending(callback_id, row["state"])
        cancelled = await cancel_in(conn, {callback_id: BY_USER}, now)
        if not cancelled:  # (kept or cancelled by another transaction since the read above)
            state = (await conn.execute(select(callbacks_t.c.state).where(callbacks_t.c.id == callback_id))).scalar()
            raise CallbackNotPending(callback_id, str(state))
        await enqueue_in(conn, cancelled, now)
        await _wait_for_pending_in(conn, row["lead_id"], now, leads_t.c.status == "callback")
        return await _callback.one_in(conn, by_id(callbacks_t, callback_id))


# ---------------------------------------------------------------------------------------------- agent figures
async def agent_figures(db: Database, since: datetime) -> dict[str, AgentFigures]:
    """Calls, talk time and dispositions per agent since an instant (from the call records)."""
    a = attempts_t.c
    return await figures_by_agent(db, a.started_at >= since)


async def attempts_of_agent(db: Database, agent: str, limit: int, offset: int) -> tuple[int, list[AttemptRecord]]:
    c = attempts_t.c
    rows = select(attempts_t).order_by(c.id.desc())
    return await paged(db, attempts_t, rows, [c.agent == agent], attempt_record, limit=limit, offset=offset, key=c.id)
