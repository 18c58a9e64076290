"""Lead rows: the plain record the rest of the app sees, bulk insert with per-campaign dedupe, lookups, the
called party's consent recorded on a call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from typing import Any

from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig, ComplianceRegime
from dialer.campaign.leadimport.prepared import PreparedLeads
from dialer.campaign.rules import LeadSnapshot, LeadStatus, check_consent_recordable, consent_record, consented
from dialer.store.audit import audit_in
from dialer.store.campaigns import STORED_REGIME, regime_named
from dialer.store.dialect import upsert_insert
from dialer.store.dnc import blocked_numbers
from dialer.store.engine import Database
from dialer.store.records import RecordReader, by_id
from dialer.store.tables import CLAIMABLE_STATUSES, campaigns_t, leads_t
from dialer.store.types import UTCDateTime

# Rows per multi-row INSERT: SQLite allows 32 766 bound parameters per statement; a lead row binds ~16.
INSERT_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class LeadRecord:
    """One lead row, as stored."""

    id: int
    campaign_id: int
    list_id: int | None
    phone: str
    alt_phones: list[str]
    tz_candidates: list[str]
    postal_code: str | None
    postal_zones: list[str]
    first_name: str | None
    last_name: str | None
    fields: dict[str, Any]
    status: str
    claimed_from: str | None
    attempts: int
    dials: int
    next_dialable_at: datetime
    last_outcome: str | None
    last_disposition: str | None
    last_attempt_at: datetime | None
    last_abandon_at: datetime | None
    archive_reason: str | None
    priority: int
    callback_at: datetime | None
    callback_agent: str | None
    claim_owner: str | None
    lease_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    display_name: str | None = None
    name_reading: str | None = None
    consent_source: str | None = None
    consent_at: datetime | None = None
    requested_callback_source: str | None = None
    requested_callback_at: datetime | None = None
    requested_callback_due: datetime | None = None


lead_record = RecordReader(LeadRecord)


def lacks_consent_or_request() -> ColumnElement[bool]:
    """The leads a regime that requires consent may not dial: neither recorded consent nor a pending callback the
    called party asked for -- :attr:`dialer.campaign.rules.LeadSnapshot.has_consent_or_request`, read in SQL."""
    c = leads_t.c
    consent = and_(func.trim(func.coalesce(c.consent_source, "")) != "", c.consent_at.is_not(None))
    requested = and_(
        c.status == "callback",
        func.trim(func.coalesce(c.requested_callback_source, "")) != "",
        c.requested_callback_at.is_not(None),
        c.requested_callback_due.is_not(None),
        c.callback_at == c.requested_callback_due,
    )
    return not_(or_(consent, requested))


@dataclass(frozen=True, slots=True)
class NewLead:
    """A lead to insert (already parsed, validated and scrubbed)."""

    phone: str
    status: str
    next_dialable_at: datetime
    alt_phones: Sequence[str] = ()
    tz_candidates: Sequence[str] = ()
    postal_code: str | None = None
    postal_zones: Sequence[str] = ()
    first_name: str | None = None
    last_name: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    archive_reason: str | None = None  # with status archived: why (an import stages its leads as "importing")
    display_name: str | None = None
    name_reading: str | None = None
    consent_source: str | None = None
    consent_at: datetime | None = None


_INSERT_COLUMNS = (
    "campaign_id", "list_id", "phone", "alt_phones", "tz_candidates", "postal_code", "postal_zones", "first_name",
    "last_name", "fields", "status", "attempts", "dials", "next_dialable_at", "priority", "created_at", "updated_at",
    "archive_reason", "display_name", "name_reading", "consent_source", "consent_at",
)  # fmt: skip
_SQLITE_INSERT = (  # built from the constant column names above
    f"INSERT INTO leads ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join('?' * len(_INSERT_COLUMNS))}) "  # noqa: S608
    "ON CONFLICT (campaign_id, phone) DO NOTHING"
)


def _json(value: object) -> str:
    # json.dumps with default arguments reuses one C encoder; any other argument builds a new encoder per call.
    return "[]" if not value else json.dumps(value)


async def insert_new_leads(
    conn: AsyncConnection, campaign_id: int, list_id: int | None, leads: Sequence[NewLead], now: datetime
) -> int:
    """Insert inside the caller's transaction; returns how many were inserted. A phone the campaign already has
    (or that appears twice in ``leads``) is skipped by the unique (campaign_id, phone) index."""
    if not leads:
        return 0
    if conn.dialect.name == "sqlite":
        # Imports write millions of rows: values are serialised here once and handed to sqlite3's executemany
        # (a C loop), whose rowcount is the number of rows actually inserted.
        stamp = UTCDateTime().bind_processor(conn.dialect)
        assert stamp is not None
        now_text = stamp(now)
        rows = [
            (
                campaign_id, list_id, lead.phone, _json(lead.alt_phones), _json(lead.tz_candidates), lead.postal_code,
                _json(lead.postal_zones), lead.first_name, lead.last_name,
                json.dumps(lead.fields) if lead.fields else "{}", lead.status, 0, 0,
                now_text if lead.next_dialable_at == now else stamp(lead.next_dialable_at), lead.priority,
                now_text, now_text, lead.archive_reason, lead.display_name, lead.name_reading, lead.consent_source,
                None if lead.consent_at is None else stamp(lead.consent_at),
            )
            for lead in leads
        ]  # fmt: skip
        result = await conn.exec_driver_sql(_SQLITE_INSERT, rows)
        return int(result.rowcount)
    stmt = upsert_insert(conn, leads_t).on_conflict_do_nothing(index_elements=["campaign_id", "phone"])
    stmt = stmt.returning(leads_t.c.id)
    inserted = 0
    for start in range(0, len(leads), INSERT_CHUNK):
        rows_pg = [
            {
                "campaign_id": campaign_id,
                "list_id": list_id,
                "phone": lead.phone,
                "alt_phones": list(lead.alt_phones),
                "tz_candidates": list(lead.tz_candidates),
                "postal_code": lead.postal_code,
                "postal_zones": list(lead.postal_zones),
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "fields": lead.fields,
                "status": lead.status,
                "attempts": 0,
                "dials": 0,
                "next_dialable_at": lead.next_dialable_at,
                "priority": lead.priority,
                "created_at": now,
                "updated_at": now,
                "archive_reason": lead.archive_reason,
                "display_name": lead.display_name,
                "name_reading": lead.name_reading,
                "consent_source": lead.consent_source,
                "consent_at": lead.consent_at,
            }
            for lead in leads[start : start + INSERT_CHUNK]
        ]
        result = await conn.execute(stmt, rows_pg)
        inserted += len(result.all())
    return inserted


async def pg_fetch(conn: AsyncConnection, sql: str, *args: object) -> list[Any]:
    """Run ``sql`` (``$n`` parameters) on the asyncpg connection under ``conn``, inside its transaction, and
    return the rows as asyncpg gives them: for statements over thousands of array elements, whose rows SQLAlchemy
    would otherwise process one by one on the event loop."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    rows: list[Any] = await driver.fetch(sql, *args)
    return rows


_PG_BLOCKED = "SELECT number FROM dnc WHERE number = ANY($1::text[]) AND (campaign_id IS NULL OR campaign_id = $2)"


async def blocked_among(conn: AsyncConnection, numbers: list[str], campaign_id: int) -> set[str]:
    """Which of ``numbers`` are on the global or the campaign's DNC list: one query whatever their count
    (PostgreSQL: one array parameter; SQLite: dialer.store.dnc's chunked look-up)."""
    if not numbers:
        return set()
    if conn.dialect.name == "postgresql":
        return {str(row[0]) for row in await pg_fetch(conn, _PG_BLOCKED, numbers, campaign_id)}
    return await blocked_numbers(conn, numbers, campaign_id)


_PG_INSERT_PREPARED = (
    "INSERT INTO leads (campaign_id, list_id, phone, alt_phones, tz_candidates, postal_code, postal_zones, "
    "first_name, last_name, fields, status, attempts, dials, next_dialable_at, priority, created_at, updated_at, "
    "archive_reason, display_name, name_reading, consent_source, consent_at) "
    "SELECT $1, $2, t.p, {alt}, t.t, t.z, t.zz, t.f, t.l, t.x, $3, 0, 0, $4, t.pr, $4, $4, $5, t.d, t.r, t.cs, t.ca "
    "FROM json_to_recordset($6::json) AS t(p text, a jsonb, t jsonb, z text, zz jsonb, f text, l text, x jsonb, "
    "pr int, d text, r text, cs text, ca timestamptz) "
    "WHERE t.p <> ALL($7::text[]) "
    "ON CONFLICT (campaign_id, phone) DO NOTHING RETURNING id, phone"
)
# An alternative number on a DNC list is dropped (in order); the lead keeps its other numbers.
_ALT_KEPT = (
    "(SELECT coalesce(jsonb_agg(n ORDER BY i), '[]'::jsonb) FROM jsonb_array_elements_text(t.a) "
    "WITH ORDINALITY AS e(n, i) WHERE n <> ALL($7::text[]))"
)


@dataclass(frozen=True, slots=True)
class PreparedInto:
    """Where prepared leads are inserted and as what: their campaign and list, the time stamped on them (created,
    updated, first dialable), and the status and archive reason they get (an import stages them, or publishes)."""

    campaign_id: int
    list_id: int
    now: datetime
    status: str
    archive_reason: str | None


async def insert_prepared_pg(
    conn: AsyncConnection, into: PreparedInto, leads: PreparedLeads, *, blocked: set[str]
) -> dict[str, int]:
    """PostgreSQL: insert prepared leads inside the caller's transaction in one statement over their `records`
    (one JSON value: no per-lead work in the driver on the event loop), leaving out the ``blocked`` (DNC) numbers
    and the numbers the campaign has (unique (campaign_id, phone) index). The numbers inserted, with their ids."""
    if not leads:
        return {}
    if leads.records is None:
        leads.seal()
    alt = _ALT_KEPT if not blocked.isdisjoint(leads.alt_numbers) else "t.a"
    returned = await pg_fetch(
        conn, _PG_INSERT_PREPARED.format(alt=alt), into.campaign_id, into.list_id, into.status, into.now,
        into.archive_reason, leads.records, sorted(blocked),
    )  # fmt: skip
    return {row[1]: row[0] for row in returned}  # (asyncpg gives str and int already)


async def insert_prepared_sqlite(conn: AsyncConnection, into: PreparedInto, leads: PreparedLeads) -> int:
    """SQLite: insert prepared (already DNC-scrubbed) leads inside the caller's transaction with one
    ``executemany``, skipping the numbers the campaign has; how many were inserted."""
    if not leads:
        return 0
    stamp = UTCDateTime().bind_processor(conn.dialect)
    assert stamp is not None
    now_text = stamp(into.now)
    rows = list(
        zip(
            repeat(into.campaign_id), repeat(into.list_id), leads.phones, leads.alt_phones, leads.tz_candidates,
            leads.postal_codes, leads.postal_zones, leads.first_names, leads.last_names, leads.fields,
            repeat(into.status), repeat(0), repeat(0), repeat(now_text), leads.priorities, repeat(now_text),
            repeat(now_text), repeat(into.archive_reason), leads.display_names, leads.name_readings,
            leads.consent_sources, [None if t is None else stamp(t) for t in leads.consent_at],
            strict=False,
        )
    )  # fmt: skip
    result = await conn.exec_driver_sql(_SQLITE_INSERT, rows)
    return int(result.rowcount)


async def get_lead(db: Database, lead_id: int) -> LeadRecord | None:
    return await lead_record.first(db, by_id(leads_t, lead_id))


async def find_leads_by_phone(db: Database, campaign_id: int, phone: str) -> list[LeadRecord]:
    return await lead_record.all(
        db, select(leads_t).where(leads_t.c.campaign_id == campaign_id, leads_t.c.phone == phone)
    )


async def count_claimable_leads(db: Database, campaign_id: int) -> int:
    """Leads of the campaign still to be dialled (new, retry, callback): an agentless campaign's remaining list."""
    query = select(func.count()).where(leads_t.c.campaign_id == campaign_id, leads_t.c.status.in_(CLAIMABLE_STATUSES))
    async with db.read() as conn:
        return int((await conn.execute(query)).scalar_one())


async def campaign_regime_in(conn: AsyncConnection, campaign_id: int) -> ComplianceRegime:
    """The compliance regime of the campaign ``campaign_id``."""
    return regime_named((await conn.execute(select(STORED_REGIME).where(campaigns_t.c.id == campaign_id))).scalar())


async def campaign_config_in(conn: AsyncConnection, campaign_id: int) -> CampaignConfig:
    """The stored configuration of the campaign ``campaign_id`` (its rules)."""
    config = (await conn.execute(select(campaigns_t.c.config).where(campaigns_t.c.id == campaign_id))).scalar_one()
    return CampaignConfig.model_validate(config)


def snapshot(record: LeadRecord, campaign: str, *, before_claim: bool = False) -> LeadSnapshot:
    """The rules' view of a lead row. ``before_claim``: as it was before this claimer took it."""
    status = record.status
    claimed_by, claim_expires = record.claim_owner, record.lease_expires_at
    if before_claim and record.claimed_from is not None:
        status, claimed_by, claim_expires = record.claimed_from, None, None
    return LeadSnapshot(
        id=record.id,
        campaign=campaign,
        phone=record.phone,
        alt_phones=tuple(record.alt_phones),
        tz_candidates=tuple(record.tz_candidates),
        postal_zones=tuple(record.postal_zones),
        status=LeadStatus(status),
        attempts=record.attempts,
        dials=record.dials,
        priority=record.priority,
        next_dialable_at=record.next_dialable_at,
        last_outcome=Outcome(record.last_outcome) if record.last_outcome else None,
        last_disposition=record.last_disposition,
        last_attempt_at=record.last_attempt_at,
        last_abandon_at=record.last_abandon_at,
        archive_reason=record.archive_reason,
        callback_at=record.callback_at,
        callback_agent=record.callback_agent,
        claimed_by=claimed_by,
        claim_expires_at=claim_expires,
        consent_source=record.consent_source,
        consent_at=record.consent_at,
        requested_callback_source=record.requested_callback_source,
        requested_callback_at=record.requested_callback_at,
        requested_callback_due=record.requested_callback_due,
    )


@dataclass(frozen=True, slots=True)
class ConsentWritten:
    """The lead after a user recorded its called party's consent; ``recorded``: False when it had consent already
    (the first record stands, unchanged)."""

    lead: LeadRecord
    recorded: bool


async def record_consent(
    db: Database,
    lead_id: int,
    source: str,
    *,
    by: str,
    attempt_id: int | None,
    now: datetime,
    inbound_call: str | None = None,
) -> ConsentWritten | None:
    """Record that the lead's called party consented to be called, as ``by`` says it was given (``source``), on
    the call ``attempt_id`` (an outbound call), or on the inbound call ``inbound_call`` (its caller's Uniqueid), or
    on no call of theirs (both None): ``consent_source`` is :func:`consent_record`, ``consent_at`` is ``now``. None:
    no such lead. Raises :class:`dialer.campaign.rules.ConsentNotRecordable` for a lead on a DNC list or closed for
    good. A lead that has consent already keeps its first record (the evidence an auditor follows: when and how the
    person first agreed); the attempt is audited all the same. A lead its campaign's regime set aside for want of
    consent is due again at the earliest time its other rules allow (:func:`dialer.campaign.rules.consented`).
    Audited as ``lead.consent`` (with ``dialable_from``: the lead's new next time, None when it kept its own) in
    the same transaction."""
    async with db.write() as conn:
        lead = await lead_record.first_in(conn, by_id(leads_t, lead_id).with_for_update())
        if lead is None:
            return None
        on_dnc = bool(await blocked_numbers(conn, [lead.phone, *lead.alt_phones], lead.campaign_id))
        campaign = await campaign_config_in(conn, lead.campaign_id)
        before = snapshot(lead, campaign.name)
        check_consent_recordable(before, on_dnc=on_dnc)
        recorded = not before.has_consent
        dialable_from: datetime | None = None
        if recorded:
            after = consented(
                before,
                campaign,
                consent_record(source, by, attempt_id, inbound_call),
                now,
                in_conversation=inbound_call is not None,
            )
            values: dict[str, object] = {
                "consent_source": after.consent_source,
                "consent_at": after.consent_at,
                "updated_at": now,
            }
            if after.next_dialable_at != before.next_dialable_at:
                dialable_from = after.next_dialable_at
                values["next_dialable_at"] = dialable_from
            await conn.execute(update(leads_t).where(leads_t.c.id == lead_id).values(**values))
            lead = await lead_record.one_in(conn, by_id(leads_t, lead_id))
        await audit_in(
            conn,
            by,
            "lead.consent",
            f"lead:{lead_id}",
            now,
            call=attempt_id,
            inbound_call=inbound_call,
            source=source.strip(),
            recorded=recorded,
            consent_source=lead.consent_source,
            dialable_from=None if dialable_from is None else dialable_from.isoformat(),
        )
        return ConsentWritten(lead, recorded)
