"""Call records: every attempt with number, times, duration, outcome, disposition and agent; export and retention.

Records are kept ``record_retention_days`` (default 5 years: US telemarketing records rule). The purge deletes
attempts started before the cutoff in batches; leads, callbacks and DNC entries stay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from dialer.i18n import N_
from dialer.logging import get_logger
from dialer.reports.common import ReportRange, seconds_between
from dialer.reports.render.csv import write_csv, write_rows
from dialer.store.campaigns import load_stored_campaign
from dialer.store.engine import Database
from dialer.store.inbound_calls import count_inbound_calls_before, delete_inbound_calls_before
from dialer.store.reports import (
    ReportAttempt,
    count_attempts_before,
    delete_attempts_before,
    iter_report_attempts,
)

DEFAULT_RETENTION_DAYS = 1826  # 5 years
log = get_logger(__name__)

CALL_COLUMNS = (
    N_("attempt_id"),
    N_("lead_id"),
    N_("number"),
    N_("caller_id"),
    N_("started_at"),
    N_("answered_at"),
    N_("connected_at"),
    N_("ended_at"),
    N_("ring_seconds"),
    N_("wait_seconds"),
    N_("talk_seconds"),
    N_("duration_seconds"),
    N_("outcome"),
    N_("outcome_inferred"),
    N_("hangup_cause"),
    N_("amd_status"),
    N_("disposition"),
    N_("agent"),
    N_("trunk"),
    N_("notes"),
)


@dataclass(frozen=True, slots=True)
class CallRecord:
    attempt_id: int
    lead_id: int
    number: str
    caller_id: str | None
    started_at: datetime
    answered_at: datetime | None
    connected_at: datetime | None
    ended_at: datetime | None
    ring_seconds: float | None
    wait_seconds: float | None  # answer -> agent connected (the 2 s rule)
    talk_seconds: float | None  # agent connected -> end
    duration_seconds: float | None  # start (Originate) -> end
    outcome: str | None  # None while the call is still up
    outcome_inferred: bool  # closed from later evidence: the call ended while no daemon listened
    hangup_cause: int | None
    amd_status: str | None
    disposition: str | None
    agent: str | None
    trunk: str | None
    notes: str | None

    def row(self) -> list[Any]:
        return [getattr(self, name) for name in CALL_COLUMNS]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in CALL_COLUMNS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


def call_record(a: ReportAttempt) -> CallRecord:
    return CallRecord(
        attempt_id=a.id,
        lead_id=a.lead_id,
        number=a.phone,
        caller_id=a.caller_id,
        started_at=a.started_at,
        answered_at=a.answered_at,
        connected_at=a.connected_at,
        ended_at=a.ended_at,
        ring_seconds=a.ring_seconds,
        wait_seconds=seconds_between(a.answered_at, a.connected_at),
        talk_seconds=seconds_between(a.connected_at, a.ended_at) if a.connected_at else None,
        duration_seconds=seconds_between(a.started_at, a.ended_at),
        outcome=a.outcome,
        outcome_inferred=a.outcome_inferred,
        hangup_cause=a.hangup_cause,
        amd_status=a.amd_status,
        disposition=a.disposition,
        agent=a.agent,
        trunk=a.trunk,
        notes=a.notes,
    )


async def iter_call_records(
    db: Database, campaign_id: int, span: ReportRange, *, agent: str | None = None
) -> AsyncIterator[list[CallRecord]]:
    """The campaign's call records in ``span``, oldest first, in pages (bounded memory for any size)."""
    async for page in iter_report_attempts(db, campaign_id, span.start, span.end, agent=agent):
        yield [call_record(a) for a in page]


async def write_calls_csv(
    db: Database, campaign_id: int, span: ReportRange, stream: TextIO, *, agent: str | None = None
) -> int:
    """Every call record of the range as formula-safe CSV (header first). Returns the number of records."""
    write_csv(stream, CALL_COLUMNS, [])
    n = 0
    async for page in iter_call_records(db, campaign_id, span, agent=agent):
        n += write_rows(stream, (record.row() for record in page))
    return n


@dataclass(frozen=True, slots=True)
class CallRecordsReport:
    campaign: str
    span: ReportRange
    total: int
    records: tuple[CallRecord, ...]  # the first ``limit`` records

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "calls",
            "campaign": self.campaign,
            "range": self.span.as_json(),
            "total": self.total,
            "shown": len(self.records),
            "records": [r.as_json() for r in self.records],
        }


async def call_records_report(
    db: Database, campaign: str, span: ReportRange, *, agent: str | None = None, limit: int = 200
) -> CallRecordsReport:
    record, _config = await load_stored_campaign(db, campaign)
    shown: list[CallRecord] = []
    total = 0
    async for page in iter_call_records(db, record.id, span, agent=agent):
        total += len(page)
        shown.extend(page[: max(limit - len(shown), 0)])
    return CallRecordsReport(campaign, span, total, tuple(shown))


async def purge_call_records(db: Database, *, older_than: datetime, dry_run: bool = False) -> int:
    """Delete call records started before ``older_than`` (retention): the attempts, and the inbound callers' visits
    (they hold the callers' numbers too); the scheduler can run it daily. With ``dry_run`` only count them. Returns
    the number deleted (or that would be)."""
    if dry_run:
        return await count_attempts_before(db, older_than) + await count_inbound_calls_before(db, older_than)
    deleted = await delete_attempts_before(db, older_than) + await delete_inbound_calls_before(db, older_than)
    log.info("call_records_purged", deleted=deleted, older_than=older_than.isoformat())
    return deleted
