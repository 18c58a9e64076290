"""List management in the store: the settings of each lead list (enabled, priority, share, expiry), its lead
counts, and recycling leads by rules (:mod:`dialer.lists.recycle` decides; this module only selects and writes).

Scheduled recycling (:mod:`dialer.lists.schedule`): a list's rules and interval are kept in ``recycle_schedules``;
:func:`run_due_recycles` (the daemon's scheduler job, with its clock's ``now``) applies every due schedule to its
list through the same recycle, takes the run with a compare-and-set of ``next_run_at`` in the run's own
transaction (two daemons on one database run it once), and audits it as ``scheduler``.

A recycle selects the candidates with SQL that only narrows (status, outcome, age, budget, not on a DNC list, list
not expired), then asks the pure rules about every candidate, and writes only those the rules recycle: the pure
core is the one definition, the SQL only keeps the scan small. A dry run does the same and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import Field as SqlField
from sqlmodel import SQLModel

from dialer.campaign.config import CampaignConfig
from dialer.i18n import M_
from dialer.lists.recycle import RECYCLABLE_STATUSES, RecycleRule, matching_rule, recycled
from dialer.lists.schedule import RecycleSchedule
from dialer.store.audit import audit_in
from dialer.store.changes import UNSET, not_none, not_unset
from dialer.store.claim import forget_list_settings
from dialer.store.engine import Database
from dialer.store.leads import lead_record, snapshot
from dialer.store.records import public_fields
from dialer.store.tables import campaigns_t, dnc_t, lead_lists_t, leads_t, metadata
from dialer.store.types import UTCDateTime, json_document

assert metadata is SQLModel.metadata
SCHEDULER_ACTOR = "scheduler"


class RecycleScheduleRow(SQLModel, table=True):
    """A list's scheduled recycling: its rules, every how many minutes, and when it runs next."""

    __tablename__ = "recycle_schedules"

    list_id: int = SqlField(foreign_key="lead_lists.id", primary_key=True)
    rules: list[dict[str, Any]] = SqlField(sa_type=json_document())
    every_minutes: int | None = None
    at: str | None = SqlField(default=None, max_length=100)  # a crontab line, read in ``zone``
    zone: str = SqlField(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    next_run_at: datetime = SqlField(sa_type=UTCDateTime, index=True)
    last_run_at: datetime | None = SqlField(default=None, sa_type=UTCDateTime)
    last_recycled: int | None = None
    updated_by: str = SqlField(max_length=100)
    updated_at: datetime = SqlField(sa_type=UTCDateTime)


recycle_schedules_t = metadata.tables["recycle_schedules"]

RECYCLE_CHUNK = 2000


class UnknownListError(LookupError):
    def __init__(self, list_id: int) -> None:
        super().__init__(M_("no lead list {id}", id=list_id))


@dataclass(frozen=True, slots=True)
class ListView:
    """A lead list with its management settings and its leads per status."""

    id: int
    campaign_id: int
    name: str
    imported: int
    imported_at: datetime
    state: str
    enabled: bool
    priority: int
    share: float | None
    valid_until: datetime | None
    statuses: dict[str, int] = field(default_factory=dict)
    schedule: ScheduleView | None = None

    def public(self, now: datetime) -> dict[str, object]:
        return {
            **public_fields(self, "id campaign_id name imported imported_at state enabled priority share valid_until"),
            "expired": self.valid_until is not None and self.valid_until <= now,
            "leads": self.statuses,
            "recycle_schedule": self.schedule.public() if self.schedule else None,
        }


@dataclass(frozen=True, slots=True)
class ScheduleView:
    list_id: int
    schedule: RecycleSchedule
    next_run_at: datetime
    last_run_at: datetime | None
    last_recycled: int | None
    updated_by: str

    def public(self) -> dict[str, object]:
        return {
            "rules": [
                {"outcome": r.outcome.value, "older_than_minutes": int(r.older_than.total_seconds() // 60)}
                for r in self.schedule.rules
            ],
            "every_minutes": self.schedule.every_minutes,
            "at": self.schedule.at,
            "zone": self.schedule.zone,
            **public_fields(self, "next_run_at last_run_at last_recycled updated_by"),
        }


def _schedule_view(row: Any) -> ScheduleView:
    return ScheduleView(
        row.list_id,
        RecycleSchedule.from_document(row.rules, row.every_minutes, row.at, row.zone),
        row.next_run_at,
        row.last_run_at,
        row.last_recycled,
        row.updated_by,
    )


async def list_views(db: Database, campaign_id: int) -> list[ListView]:
    ll = lead_lists_t.c
    async with db.read() as conn:
        lists = (await conn.execute(select(lead_lists_t).where(ll.campaign_id == campaign_id).order_by(ll.id))).all()
        schedules = {
            r.list_id: _schedule_view(r)
            for r in (
                await conn.execute(
                    select(recycle_schedules_t).where(
                        recycle_schedules_t.c.list_id.in_(select(ll.id).where(ll.campaign_id == campaign_id))
                    )
                )
            ).all()
        }
        counts = (
            await conn.execute(
                select(leads_t.c.list_id, leads_t.c.status, func.count())
                .where(leads_t.c.campaign_id == campaign_id)
                .group_by(leads_t.c.list_id, leads_t.c.status)
            )
        ).all()
    per_list: dict[int | None, dict[str, int]] = {}
    for list_id, status, n in counts:
        per_list.setdefault(list_id, {})[status] = int(n)
    return [
        ListView(
            r.id,
            r.campaign_id,
            r.name,
            r.imported,
            r.imported_at,
            r.state,
            bool(r.enabled),
            int(r.priority),
            r.share,
            r.valid_until,
            per_list.get(r.id, {}),
            schedules.get(r.id),
        )
        for r in lists
    ]


async def _list_campaign(conn: AsyncConnection, list_id: int) -> int:
    """The id of the list's campaign; raises UnknownListError when there is no such list."""
    found = (
        await conn.execute(select(lead_lists_t.c.campaign_id).where(lead_lists_t.c.id == list_id))
    ).scalar_one_or_none()
    if found is None:
        raise UnknownListError(list_id)
    return int(found)


async def update_list(
    db: Database,
    list_id: int,
    now: datetime,
    *,
    actor: str,
    enabled: bool | None = None,
    priority: int | None = None,
    share: float | None = UNSET,
    valid_until: datetime | None = UNSET,
) -> int:
    """Change a list's settings (audited); its campaign's id. ``share``/``valid_until`` None clear them."""
    values = {**not_none(enabled=enabled, priority=priority), **not_unset(share=share, valid_until=valid_until)}
    async with db.write() as conn:
        campaign_id = await _list_campaign(conn, list_id)
        if values:
            await conn.execute(update(lead_lists_t).where(lead_lists_t.c.id == list_id).values(**values))
            detail = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
            await audit_in(conn, actor, "list.update", f"list:{list_id}", now, **detail)
    forget_list_settings(db.engine.sync_engine)
    return campaign_id


@dataclass
class RecycleResult:
    """How many leads the rules recycle (or would, in a dry run), in total and per rule and per list."""

    dry_run: bool
    recycled: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_list: dict[str, int] = field(default_factory=dict)

    def public(self) -> dict[str, object]:
        return {"dry_run": self.dry_run, "recycled": self.recycled, "by_rule": self.by_rule, "by_list": self.by_list}


def _on_dnc(campaign_id: int) -> Any:
    return exists(
        select(literal_column("1")).where(
            dnc_t.c.number == leads_t.c.phone,
            or_(dnc_t.c.campaign_id.is_(None), dnc_t.c.campaign_id == campaign_id),
        )
    )


async def recycle_leads(
    db: Database,
    *,
    campaign_id: int,
    campaign_name: str,
    config: CampaignConfig,
    rules: Sequence[RecycleRule],
    now: datetime,
    list_ids: Collection[int] | None = None,
    dry_run: bool = True,
    actor: str = "system",
) -> RecycleResult:
    """Recycle (or count, ``dry_run``) the campaign's leads the rules allow; only of ``list_ids`` when given.
    Applying is one transaction, audited."""
    result = RecycleResult(dry_run=dry_run)
    if not rules:
        return result
    async with db.write() as conn:
        await _recycle_in(conn, result, campaign_id, campaign_name, config, rules, now, list_ids, dry_run)
        if not dry_run:
            await audit_in(
                conn,
                actor,
                "lists.recycle",
                f"campaign:{campaign_name}",
                now,
                rules=[r.label for r in rules],
                lists=sorted(list_ids) if list_ids is not None else None,
                recycled=result.recycled,
            )
    return result


async def _recycle_in(
    conn: AsyncConnection,
    result: RecycleResult,
    campaign_id: int,
    campaign_name: str,
    config: CampaignConfig,
    rules: Sequence[RecycleRule],
    now: datetime,
    list_ids: Collection[int] | None,
    dry_run: bool,
) -> None:
    c = leads_t.c
    ll = lead_lists_t.c
    oldest_cutoff = now - min(r.older_than for r in rules)
    expired_lists = select(ll.id).where(ll.campaign_id == campaign_id, ll.valid_until <= now)
    query = (
        select(leads_t, _on_dnc(campaign_id).label("on_dnc"))
        .where(
            c.campaign_id == campaign_id,
            c.status.in_(sorted(s.value for s in RECYCLABLE_STATUSES)),
            c.last_outcome.in_(sorted({r.outcome.value for r in rules})),
            c.last_attempt_at <= oldest_cutoff,
            c.attempts < config.max_attempts,
            c.dials < config.dial_limit,
            or_(c.list_id.is_(None), c.list_id.not_in(expired_lists)),
            ~_on_dnc(campaign_id),
        )
        .order_by(c.id)
    )
    if list_ids is not None:
        query = query.where(c.list_id.in_(sorted(list_ids)))
    write = (
        update(leads_t)
        .where(c.id == bindparam("r_id"), c.status == bindparam("r_from"))
        .values(
            status=bindparam("r_status"),
            next_dialable_at=bindparam("r_due", type_=UTCDateTime()),
            updated_at=bindparam("r_now", type_=UTCDateTime()),
        )
    )
    last_id = 0
    while True:
        rows = (await conn.execute(query.where(c.id > last_id).limit(RECYCLE_CHUNK))).mappings().all()
        if not rows:
            return
        last_id = rows[-1]["id"]
        changes = []
        for row in rows:
            lead = snapshot(lead_record(row), campaign_name)
            rule = matching_rule(lead, rules, config, now, on_dnc=bool(row["on_dnc"]))
            if rule is None:
                continue
            new = recycled(lead, now)
            result.recycled += 1
            result.by_rule[rule.label] = result.by_rule.get(rule.label, 0) + 1
            key = str(row["list_id"]) if row["list_id"] is not None else "none"
            result.by_list[key] = result.by_list.get(key, 0) + 1
            changes.append(
                {
                    "r_id": lead.id,
                    "r_from": lead.status.value,
                    "r_status": new.status.value,
                    "r_due": new.next_dialable_at,
                    "r_now": now,
                }
            )
        if changes and not dry_run:
            await conn.execute(write, changes)


# ------------------------------------------------------------------------------------------------ schedules


async def set_recycle_schedule(
    db: Database, list_id: int, schedule: RecycleSchedule | None, now: datetime, *, actor: str
) -> ScheduleView | None:
    """Set (or, None, remove) the list's scheduled recycling, audited; the first run is one interval from now."""
    s = recycle_schedules_t.c
    async with db.write() as conn:
        await _list_campaign(conn, list_id)
        await conn.execute(delete(recycle_schedules_t).where(s.list_id == list_id))
        if schedule is None:
            await audit_in(conn, actor, "list.recycle_schedule", f"list:{list_id}", now, schedule=None)
            return None
        values = {
            "list_id": list_id,
            "rules": schedule.rules_document(),
            "every_minutes": schedule.every_minutes,
            "at": schedule.at,
            "zone": schedule.zone,
            "next_run_at": schedule.next_run(now),
            "updated_by": actor[:100],
            "updated_at": now,
        }
        await conn.execute(recycle_schedules_t.insert().values(**values))
        await audit_in(
            conn,
            actor,
            "list.recycle_schedule",
            f"list:{list_id}",
            now,
            rules=[r.label for r in schedule.rules],
            every_minutes=schedule.every_minutes,
            at=schedule.at,
            zone=schedule.zone,
        )
        row = (await conn.execute(select(recycle_schedules_t).where(s.list_id == list_id))).one()
    return _schedule_view(row)


async def recycle_schedule(db: Database, list_id: int) -> ScheduleView | None:
    async with db.read() as conn:
        await _list_campaign(conn, list_id)
        row = (await conn.execute(select(recycle_schedules_t).where(recycle_schedules_t.c.list_id == list_id))).first()
    return _schedule_view(row) if row is not None else None


async def list_campaign_zone(db: Database, list_id: int) -> str:
    """The time zone of the list's campaign (its ``timezone``): where a schedule's ``at`` is read unless a zone is
    given. Raises UnknownListError."""
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(campaigns_t.c.config)
                .join(lead_lists_t, lead_lists_t.c.campaign_id == campaigns_t.c.id)
                .where(lead_lists_t.c.id == list_id)
            )
        ).first()
    if row is None:
        raise UnknownListError(list_id)
    return CampaignConfig.model_validate(row.config).timezone


async def schedule_preview(db: Database, list_id: int, now: datetime) -> tuple[ScheduleView | None, int | None]:
    """The list's schedule and how many leads a run at ``now`` would recycle (a dry run of the same recycle)."""
    view = await recycle_schedule(db, list_id)
    if view is None:
        return None, None
    async with db.read() as conn:
        row = (
            await conn.execute(
                select(campaigns_t.c.id, campaigns_t.c.name, campaigns_t.c.config)
                .join(lead_lists_t, lead_lists_t.c.campaign_id == campaigns_t.c.id)
                .where(lead_lists_t.c.id == list_id)
            )
        ).one()
    result = await recycle_leads(
        db,
        campaign_id=row.id,
        campaign_name=row.name,
        config=CampaignConfig.model_validate(row.config),
        rules=list(view.schedule.rules),
        now=now,
        list_ids=[list_id],
        dry_run=True,
    )
    return view, result.recycled


@dataclass(frozen=True, slots=True)
class ScheduledRecycle:
    """One scheduled run that this process applied."""

    list_id: int
    campaign: str
    result: RecycleResult
    next_run_at: datetime


async def run_due_recycles(db: Database, now: datetime) -> list[ScheduledRecycle]:
    """Apply every schedule due at ``now`` (one transaction per list, audited as ``scheduler``); the runs this
    process took (a run another process took first is skipped)."""
    s = recycle_schedules_t.c
    async with db.read() as conn:
        due = (
            await conn.execute(
                select(recycle_schedules_t, lead_lists_t.c.campaign_id, campaigns_t.c.name, campaigns_t.c.config)
                .join(lead_lists_t, lead_lists_t.c.id == s.list_id)
                .join(campaigns_t, campaigns_t.c.id == lead_lists_t.c.campaign_id)
                .where(s.next_run_at <= now)
                .order_by(s.next_run_at, s.list_id)
            )
        ).all()
    done: list[ScheduledRecycle] = []
    for row in due:
        view = _schedule_view(row)
        config = CampaignConfig.model_validate(row.config)
        next_run = view.schedule.next_run(now)
        result = RecycleResult(dry_run=False)
        async with db.write() as conn:
            taken = await conn.execute(
                update(recycle_schedules_t)
                .where(s.list_id == view.list_id, s.next_run_at == view.next_run_at)
                .values(next_run_at=next_run, last_run_at=now)
            )
            if taken.rowcount != 1:
                continue  # another daemon ran it (or it was changed meanwhile)
            rules = list(view.schedule.rules)
            await _recycle_in(conn, result, row.campaign_id, row.name, config, rules, now, [view.list_id], False)
            await conn.execute(
                update(recycle_schedules_t).where(s.list_id == view.list_id).values(last_recycled=result.recycled)
            )
            await audit_in(
                conn,
                SCHEDULER_ACTOR,
                "lists.recycle",
                f"campaign:{row.name}",
                now,
                rules=[r.label for r in rules],
                lists=[view.list_id],
                recycled=result.recycled,
                scheduled=True,
            )
        done.append(ScheduledRecycle(view.list_id, row.name, result, next_run))
    return done
