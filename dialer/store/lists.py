"""List management in the store: the settings of each lead list (enabled, priority, share, expiry), its lead
counts, and recycling leads by rules (:mod:`dialer.lists.recycle` decides; this module only selects and writes).

A recycle selects the candidates with SQL that only narrows (status, outcome, age, budget, not on a DNC list, list
not expired), then asks the pure rules about every candidate, and writes only those the rules recycle: the pure
core is the one definition, the SQL only keeps the scan small. A dry run does the same and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.campaign.config import CampaignConfig
from dialer.lists.recycle import RECYCLABLE_STATUSES, RecycleRule, matching_rule, recycled
from dialer.store.audit import audit_in
from dialer.store.claim import forget_list_settings
from dialer.store.engine import Database
from dialer.store.leads import lead_record
from dialer.store.lifecycle import snapshot
from dialer.store.tables import dnc_t, lead_lists_t, leads_t
from dialer.store.types import UTCDateTime

RECYCLE_CHUNK = 2000
_UNSET: Any = object()


class UnknownListError(LookupError):
    def __init__(self, list_id: int) -> None:
        super().__init__(f"no lead list {list_id}")


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

    def public(self, now: datetime) -> dict[str, object]:
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "name": self.name,
            "imported": self.imported,
            "imported_at": self.imported_at.isoformat(),
            "state": self.state,
            "enabled": self.enabled,
            "priority": self.priority,
            "share": self.share,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "expired": self.valid_until is not None and self.valid_until <= now,
            "leads": self.statuses,
        }


async def list_views(db: Database, campaign_id: int) -> list[ListView]:
    ll = lead_lists_t.c
    async with db.read() as conn:
        lists = (await conn.execute(select(lead_lists_t).where(ll.campaign_id == campaign_id).order_by(ll.id))).all()
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
        )
        for r in lists
    ]


async def update_list(
    db: Database,
    list_id: int,
    now: datetime,
    *,
    actor: str,
    enabled: bool | None = None,
    priority: int | None = None,
    share: float | None = _UNSET,
    valid_until: datetime | None = _UNSET,
) -> int:
    """Change a list's settings (audited); its campaign's id. ``share``/``valid_until`` None clear them."""
    values: dict[str, object] = {}
    if enabled is not None:
        values["enabled"] = enabled
    if priority is not None:
        values["priority"] = priority
    if share is not _UNSET:
        values["share"] = share
    if valid_until is not _UNSET:
        values["valid_until"] = valid_until
    async with db.write() as conn:
        row = (
            await conn.execute(select(lead_lists_t.c.campaign_id).where(lead_lists_t.c.id == list_id))
        ).scalar_one_or_none()
        if row is None:
            raise UnknownListError(list_id)
        if values:
            await conn.execute(update(lead_lists_t).where(lead_lists_t.c.id == list_id).values(**values))
            detail = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
            await audit_in(conn, actor, "list.update", f"list:{list_id}", now, **detail)
    forget_list_settings(db.engine.sync_engine)
    return int(row)


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
