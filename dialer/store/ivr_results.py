"""IVR results: one row per call that went through a flow (an agentless attempt, an inbound caller).

What the caller did (path, keys, the steps with their time and exit), how it ended (the result, listened to the
end, transferred, contained, opted out, a machine message, the node it hung up in) -- stored once when the flow
ends, read by the IVR report and the export. An opt-out adds the number to the campaign's DNC list (and the global
one when the campaign says so) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, insert, select
from sqlmodel import Field, SQLModel

from dialer.ivr.agi import IvrCallInfo
from dialer.ivr.executor import FlowResult
from dialer.store.attempts import get_attempt
from dialer.store.dnc import add_dnc_in
from dialer.store.engine import Database
from dialer.store.records import RecordReader, in_period, where_given
from dialer.store.types import UTCDateTime, json_document

OPT_OUT_SOURCE = "ivr-opt-out"


class IvrResultRow(SQLModel, table=True):
    __tablename__ = "ivr_results"
    __table_args__ = (
        Index("ix_ivr_results_campaign_started", "campaign_id", "started_at"),
        Index("ix_ivr_results_flow_started", "flow", "started_at"),
        Index("ix_ivr_results_attempt", "attempt_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int | None = Field(default=None, sa_type=BigInteger)  # outbound: the attempt; inbound: NULL
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id")
    call_ref: str = Field(max_length=100)  # our id of the call (the attempt id, or the inbound call's id)
    flow: str = Field(max_length=63)
    phone: str | None = Field(default=None, max_length=20)
    result: str = Field(max_length=40)
    path: list[str] = Field(sa_type=json_document())
    steps: list[dict[str, Any]] = Field(sa_type=json_document())  # node, type, seconds, exit
    keys: list[list[str]] = Field(sa_type=json_document())  # [node, digits]
    variables: dict[str, str] = Field(sa_type=json_document())
    listened_to_end: bool = False
    transferred: bool = False
    contained: bool = False
    opted_out: bool = False
    machine: bool = False
    hung_up_at: str | None = Field(default=None, max_length=63)
    hung_up_step: int | None = None
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


ivr_results_t = SQLModel.metadata.tables["ivr_results"]

# Variables that are never stored (they may hold what the caller typed to prove who they are).
SECRET_VARIABLE_MARKERS = ("pin", "dob", "password", "secret", "card")


@dataclass(frozen=True, slots=True)
class IvrCall:
    """Who the flow result belongs to."""

    call_ref: str
    campaign_id: int | None
    attempt_id: int | None
    phone: str | None


def _row(call: IvrCall, result: FlowResult) -> dict[str, Any]:
    return {
        "attempt_id": call.attempt_id,
        "campaign_id": call.campaign_id,
        "call_ref": call.call_ref,
        "flow": result.flow,
        "phone": call.phone,
        "result": str(result.result)[:40],
        "path": list(result.path),
        "steps": [
            {"node": s.node, "type": s.type, "seconds": round(s.seconds, 3), "exit": s.exit} for s in result.steps
        ],
        "keys": [[node, digits] for node, digits in result.keys],
        "variables": {k: v for k, v in result.variables.items() if not any(m in k for m in SECRET_VARIABLE_MARKERS)},
        "listened_to_end": result.listened_to_end,
        "transferred": result.transferred,
        "contained": result.contained,
        "opted_out": result.opted_out,
        "machine": result.machine,
        "hung_up_at": result.hung_up_at,
        "hung_up_step": result.hung_up_step,
        "started_at": result.started_at,
        "ended_at": result.ended_at,
    }


async def record_ivr_results(
    db: Database, results: Sequence[tuple[IvrCall, FlowResult]], *, now: datetime, global_opt_out: bool = False
) -> int:
    """Store flow results; every opted-out number joins the DNC list (the campaign's, or the global one)."""
    if not results:
        return 0
    async with db.write() as conn:
        await conn.execute(insert(ivr_results_t), [_row(call, result) for call, result in results])
        by_scope: dict[int | None, list[str]] = {}
        for call, result in results:
            if result.opted_out and call.phone:
                scope = None if global_opt_out or call.campaign_id is None else call.campaign_id
                by_scope.setdefault(scope, []).append(call.phone)
        for scope, numbers in by_scope.items():
            unique = sorted(set(numbers))
            await add_dnc_in(conn, unique, scope, source=OPT_OUT_SOURCE, reason="pressed the opt-out key", now=now)
    return len(results)


@dataclass(frozen=True, slots=True)
class IvrResultRecord:
    """What one call did in its IVR flow: the path, steps and keys, the variables set and how it ended."""

    call_ref: str
    attempt_id: int | None
    campaign_id: int | None
    flow: str
    phone: str | None
    result: str
    path: list[str]
    steps: list[dict[str, Any]]
    keys: list[list[str]]
    variables: dict[str, str]
    listened_to_end: bool
    transferred: bool
    contained: bool
    opted_out: bool
    machine: bool
    hung_up_at: str | None
    hung_up_step: int | None
    started_at: datetime
    ended_at: datetime | None


_ivr_result = RecordReader(IvrResultRecord)


async def ivr_results(
    db: Database,
    *,
    campaign_id: int | None = None,
    flow: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[IvrResultRecord]:
    """The stored results, oldest first, filtered by campaign, flow and start time."""
    t = ivr_results_t
    query = select(t).order_by(t.c.started_at, t.c.id)
    query = query.where(*where_given((t.c.campaign_id, campaign_id), (t.c.flow, flow)))
    query = query.where(*in_period(t.c.started_at, since, until))
    return await _ivr_result.all(db, query)


class StoreResultSink:
    """The FastAGI service's result sink: each finished flow is stored (opt-outs into the DNC list).

    ``campaign_ids``: campaign name -> id (the campaigns this daemon runs); the attempt id is the call's
    ``DIALER_ATTEMPT`` when it is a number (the dialer's own attempts), else none (inbound callers).
    """

    def __init__(self, db: Database, campaign_ids: dict[str, int], *, global_opt_out: frozenset[str] = frozenset()):
        self.db = db
        self.campaign_ids = campaign_ids
        self.global_opt_out = global_opt_out

    async def __call__(self, info: IvrCallInfo, result: FlowResult) -> None:
        campaign_id = self.campaign_ids.get(info.campaign or "")
        attempt = int(info.attempt) if info.attempt and info.attempt.isdigit() else None
        phone = info.caller if attempt is None and info.caller.startswith("+") else None
        if attempt is not None:  # outbound: the number dialled (the channel's caller ID is ours)
            record = await get_attempt(self.db, attempt)
            phone = record.phone if record is not None else None
        call = IvrCall(info.call_ref, campaign_id, attempt, phone)
        now = result.ended_at or result.started_at
        await record_ivr_results(
            db=self.db, results=[(call, result)], now=now, global_opt_out=(info.campaign or "") in self.global_opt_out
        )
