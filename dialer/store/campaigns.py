"""Campaign rows: create-or-update from a validated campaign config (idempotent), list, state changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from dialer.campaign.config import (
    REGIMES,
    CampaignConfig,
    CampaignConfigError,
    ComplianceRegime,
    RegimeName,
    load_campaign,
)
from dialer.campaign.state import CampaignState
from dialer.i18n import M_
from dialer.store.audit import audit_in
from dialer.store.engine import Database
from dialer.store.records import RecordReader
from dialer.store.tables import CAMPAIGN_STATES, campaigns_t

# A stored campaign's regime, as its configuration names it (None: not named), in a query's columns.
STORED_REGIME = campaigns_t.c.config["regime"].as_string()


def regime_named(name: str | None) -> ComplianceRegime:
    """The compliance regime a stored campaign's configuration names (:data:`STORED_REGIME`; US by default, as
    :class:`dialer.campaign.config.CampaignConfig`'s)."""
    return REGIMES[RegimeName(name or RegimeName.US.value)]


class UnknownCampaignError(LookupError):
    """No campaign has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(M_("no campaign named {name} (create it with `dialer campaign apply FILE`)", name=repr(name)))
        self.name = name


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    """A campaign as stored: its configuration document and its state (running, paused, stopped)."""

    id: int
    name: str
    config: dict[str, Any]
    state: CampaignState
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignApplied:
    """What ``apply_campaign`` did: created, updated (with the dotted paths that changed) or nothing."""

    campaign: CampaignRecord
    created: bool
    changed: tuple[str, ...]

    @property
    def unchanged(self) -> bool:
        return not self.created and not self.changed


_record = RecordReader(CampaignRecord, state=CampaignState)


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths whose value differs between two JSON documents (tables are walked, lists compared whole)."""
    if isinstance(old, dict) and isinstance(new, dict):
        paths: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                paths.append(path)
            else:
                paths.extend(changed_paths(old[key], new[key], path))
        return paths
    return [] if old == new else [prefix or "(root)"]


AUDITED_PATHS = 50  # the changed settings an audit entry names (a wholesale rewrite: the first 50 and the count)


async def apply_campaign(
    db: Database, name: str, config: dict[str, Any], now: datetime, *, actor: str | None = None
) -> CampaignApplied:
    """Create the campaign or replace its config; a config equal to the stored one changes nothing. ``actor``: who
    did it (a user, ``cli``, ``reload``), written to the audit log with what changed in the same transaction."""
    async with db.write() as conn:
        row = (await conn.execute(select(campaigns_t).where(campaigns_t.c.name == name))).mappings().first()
        if row is None:
            result = await conn.execute(
                campaigns_t.insert()
                .values(name=name, config=config, state=CampaignState.STOPPED, created_at=now, updated_at=now)
                .returning(*campaigns_t.c)
            )
            if actor is not None:
                await audit_in(conn, actor, "campaign.create", f"campaign:{name}", now)
            return CampaignApplied(_record(result.mappings().one()), created=True, changed=())
        changed = tuple(changed_paths(row["config"], config))
        if not changed:
            return CampaignApplied(_record(row), created=False, changed=())
        if actor is not None:
            listed = list(changed[:AUDITED_PATHS])
            await audit_in(conn, actor, "campaign.update", f"campaign:{name}", now, changed=listed, count=len(changed))
        result = await conn.execute(
            campaigns_t.update()
            .where(campaigns_t.c.id == row["id"])
            .values(config=config, updated_at=now)
            .returning(*campaigns_t.c)
        )
        return CampaignApplied(_record(result.mappings().one()), created=False, changed=changed)


async def list_campaigns(db: Database) -> list[CampaignRecord]:
    return await _record.all(db, select(campaigns_t).order_by(campaigns_t.c.name))


async def get_campaign(db: Database, name: str) -> CampaignRecord:
    """The campaign called ``name``; raises UnknownCampaignError."""
    record = await _record.first(db, select(campaigns_t).where(campaigns_t.c.name == name))
    if record is None:
        raise UnknownCampaignError(name)
    return record


async def set_campaign_state(
    db: Database, name: str, state: CampaignState, now: datetime, *, actor: str | None = None
) -> CampaignRecord:
    """Store the campaign's state; ``actor``: who asked (audited in the same transaction)."""
    if state not in CAMPAIGN_STATES:
        raise ValueError(f"campaign state must be one of {CAMPAIGN_STATES}, not {state!r}")
    async with db.write() as conn:
        result = await conn.execute(
            campaigns_t.update()
            .where(campaigns_t.c.name == name)
            .values(state=state, updated_at=now)
            .returning(*campaigns_t.c)
        )
        row = result.mappings().first()
        if row is not None and actor is not None:
            await audit_in(conn, actor, "campaign.state", f"campaign:{name}", now, state=str(state))
    if row is None:
        raise UnknownCampaignError(name)
    return _record(row)


async def load_stored_campaign(db: Database, name: str) -> tuple[CampaignRecord, CampaignConfig]:
    """The stored campaign and its validated config (raises UnknownCampaignError / CampaignConfigError)."""
    record = await get_campaign(db, name)
    return record, load_campaign(record.config, source=f"campaign {name!r} as stored")


async def campaign_zone(db: Database, name: str) -> str | None:
    """The campaign's time zone (``timezone`` of its file: the zone its reports show to a reader who chose none),
    or None for an unknown campaign or one whose stored file no longer loads."""
    try:
        _record, config = await load_stored_campaign(db, name)
    except (UnknownCampaignError, CampaignConfigError):
        return None
    return config.timezone
