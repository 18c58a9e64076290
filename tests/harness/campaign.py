"""The test campaigns (a predictive one on the simulated PBX, a minimal one to store), the simulated world they dial
into, and their lead files and parsed lead rows."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dialer.campaign.config import CampaignConfig, CampaignConfigError, load_campaign
from dialer.campaign.leadimport import ImportedLead, LeadCsvReader, RowError
from dialer.sim.model import Scenario, parse_scenario
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.leads import NewLead, find_leads_by_phone, insert_new_leads


def campaign(name: str, caller_name: str, **overrides: Any) -> dict[str, Any]:
    """A predictive US campaign on the simulated PBX's dialplan (``overrides`` replace top-level keys)."""
    return {
        "name": name,
        "dial_mode": "predictive",
        "queue": "outbound-agents",
        "trunk": "Local/{number}@sim-pstn",
        "caller_id": {"number": "+12025550100", "name": caller_name},
        "regime": "US",
        "ring_timeout_seconds": 20,
        "max_attempts": 3,
        "wrap_up_seconds": 30,
        "retry": {
            "busy": {"delay": "60s"},
            "no_answer": {"delay": "120s"},
            "congestion": {"delay": "60s"},
            "failed": {"delay": "60s"},
            "abandoned": {"delay": "90s"},
        },
        **overrides,
    }


def minimal_campaign_data(name: str = "spring", **extra: object) -> dict[str, object]:
    """A campaign table of only what a campaign file needs: queue ``sales``, a PJSIP carrier trunk, a San Francisco
    caller ID, every other key its default (``extra``: TOML keys over these)."""
    return {
        "name": name,
        "queue": "sales",
        "trunk": "PJSIP/{number}@carrier",
        "caller_id": {"number": "+14155550100"},
        **extra,
    }


def minimal_campaign(name: str = "spring", **extra: object) -> CampaignConfig:
    """The campaign of :func:`minimal_campaign_data`."""
    return load_campaign(minimal_campaign_data(name, **extra))


# A Japanese campaign's caller identification, and the script that states it (the JP regime requires both).
JP_IDENTIFICATION = {"business_name": "山田商事", "product": "住宅保険", "solicitation": "営業のお電話です"}
JP_SCRIPT = "山田商事の{{ agent }}と申します。住宅保険について、営業のお電話です。"


def jp_campaign_data(**extra: Any) -> dict[str, Any]:
    """A campaign table of the JP regime: a Tokyo caller ID, the identification and script it requires (``extra``:
    TOML keys over these)."""
    return {
        "name": "jp",
        "queue": "q",
        "trunk": "PJSIP/{number}@carrier",
        "caller_id": {"number": "03-1234-5678", "name": "Yamada"},
        "regime": "JP",
        "identification": JP_IDENTIFICATION,
        "script": JP_SCRIPT,
        **extra,
    }


def cn_campaign_data(**extra: Any) -> dict[str, Any]:
    """A campaign table of the CN regime with a Beijing caller ID (``extra``: TOML keys over these)."""
    return {
        "name": "cn",
        "queue": "q",
        "trunk": "PJSIP/{number}@carrier",
        "caller_id": {"number": "010 6552 9988"},
        "regime": "CN",
        **extra,
    }


def refused_campaign(data: dict[str, Any]) -> str:
    """Why the campaign table ``data`` is refused (the :class:`CampaignConfigError` message)."""
    with pytest.raises(CampaignConfigError) as err:
        load_campaign(data)
    return str(err.value)


async def stored_campaign(db: Database, config: CampaignConfig, now: datetime) -> int:
    """``config`` stored (created or updated at ``now``) as the campaign of its name: the campaign's id."""
    return (await apply_campaign(db, config.name, config.model_dump(mode="json"), now)).campaign.id


async def stored_cn_leads(
    db: Database, config: CampaignConfig, now: datetime, numbers: tuple[str, ...]
) -> tuple[int, list[int]]:
    """The CN campaign ``config`` stored, with a lead without consent (in Shanghai, due a minute before ``now``, a
    retry) for each of ``numbers``: the campaign's id and the leads', in the order of ``numbers``."""
    cid = await stored_campaign(db, config, now)
    due = now - timedelta(minutes=1)
    new = [NewLead(phone=n, status="retry", next_dialable_at=due, tz_candidates=["Asia/Shanghai"]) for n in numbers]
    async with db.write() as conn:
        await insert_new_leads(conn, cid, None, new, now)
    return cid, [(await find_leads_by_phone(db, cid, n))[0].id for n in numbers]


def scenario(agents: int, overrides: dict[str, dict[str, Any]] | None = None, *, name: str = "e2e") -> Scenario:
    """The simulated world; ``overrides`` replace keys section by section (e.g. ``{"outbound": {"machine_share":
    0.2}}``)."""
    sections: dict[str, dict[str, Any]] = {
        "scenario": {"name": name},
        "agents": {"count": agents, "connect_delay_seconds": 0.3},
        "outbound": {"answer_probability": 0.35, "ring_mean_seconds": 6.0, "ring_sd_seconds": 3.0},
        "handle": {"talk_mean_seconds": 30.0, "talk_sd_seconds": 15.0, "wrap_mean_seconds": 3.0},
    }
    for section, values in (overrides or {}).items():
        sections[section] = {**sections.get(section, {}), **values}
    return parse_scenario(sections)


def write_leads(path: Path, us: int, japan: int = 0) -> None:
    """``us`` New York leads, then ``japan`` Tokyo ones (outside their calling window at the start epoch)."""
    lines = ["first_name,last_name,phone,company"]
    lines += [f"Lead{i},Test,+1212555{1000 + i:04d},Acme {i}" for i in range(us)]
    lines += [f"Tanaka{i},Test,+8131234{5000 + i:04d},Nihon {i}" for i in range(japan)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def imported_lead(
    row: int, phone: str, *alt_phones: str, external_id: str | None = None, fields: dict[str, str] | None = None
) -> ImportedLead:
    """A parsed CSV row as the importer gets it: Ann Lee in New York, on line ``row + 1``."""
    return ImportedLead(
        row=row,
        line=row + 1,
        phone=phone,
        alt_phones=alt_phones,
        tz_candidates=("America/New_York",),
        postal_code=None,
        postal_zones=(),
        first_name="Ann",
        last_name="Lee",
        email="",
        priority=0,
        external_id=external_id,
        fields=fields if fields is not None else {},
    )


def read_leads(data: bytes, **options: object) -> tuple[LeadCsvReader, list[ImportedLead], list[RowError]]:
    """A lead CSV (``data``) read through: the reader, its leads and its row errors (``options``: the reader's; the
    region US unless given)."""
    reader = LeadCsvReader(io.BytesIO(data), default_region=options.pop("region", "US"), **options)  # type: ignore[arg-type]
    leads: list[ImportedLead] = []
    errors: list[RowError] = []
    for item in reader:
        (leads if isinstance(item, ImportedLead) else errors).append(item)  # type: ignore[arg-type]
    return reader, leads, errors
