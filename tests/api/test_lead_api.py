"""The lead API (issue 18 §2) against the whole dialer: the CSV corpus sent as JSON gives the CSV import's
per-row results and stores the same leads; Idempotency-Key; look-up, update and erasure by external id."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.paths import REPO
from harness.web import WebWorld, problem, web_world
from sqlalchemy import select

from dialer.campaign.config import load_campaign_file
from dialer.campaign.leadimport import LeadCsvReader, RowError
from dialer.store.attempts import AttemptStart, start_attempts
from dialer.store.auth import get_user
from dialer.store.campaigns import apply_campaign
from dialer.store.dnc import import_dnc
from dialer.store.idempotency import claim_key
from dialer.store.imports import import_lead_csv, import_leads
from dialer.store.tables import attempts_t, dnc_t, leads_t
from dialer.web.api.leadbatch import LeadBatch, batch_digest

MESSY = """phone,First Name,Last Name,Mobile,ZIP,priority,Company,external_id
212-555-0101,Ann,Lee,646 555 0199,10001,1,Acme,X-1
(212) 555-0101,Ann,Again,,,0,Acme,X-2
not a number,Bob,Bad,,,0,,X-3
,Cy,NoPhone,,,0,,X-4
+1 212 555 0102,Di,Dnc,,,0,,X-5
212 555 0103,Ed,Prio,,,high,,X-6
2125550104 ext. 12,Flo,Ext,,90210,0,"=HYPERLINK(""x"")",X-7
+12125550105,Gus,Exists,,,0,,X-8
+44 20 7946 0958,Hal,London,,,0,,X-9
212 555 0106,Ivy,Alt,212 555 0102,,2,,X-10
"""
DNC_NUMBER = "+12125550102"
EXISTING = "+12125550105"


def corpus(tmp_path: Path) -> list[Path]:
    messy = tmp_path / "messy.csv"
    messy.write_text(MESSY, encoding="utf-8")
    return [messy, REPO / "campaigns/leads/demo.csv"]


async def make_campaign(world: WebWorld, name: str) -> int:
    cfg = load_campaign_file(REPO / "campaigns/demo.toml").model_dump(mode="json") | {"name": name}
    now = datetime.now(UTC)
    db = world.dialer.db
    cid = (await apply_campaign(db, name, cfg, now)).campaign.id
    await import_leads(
        db,
        campaign_id=cid,
        rows=LeadCsvReader(io.BytesIO(f"phone\n{EXISTING}\n".encode()), default_region="US"),
        list_name="seed",
        source_file="seed",
        now=now,
    )
    return int(cid)


async def stored(world: WebWorld, cid: int) -> list[tuple[Any, ...]]:
    c = leads_t.c
    async with world.dialer.db.read() as conn:
        rows = await conn.execute(
            select(c.phone, c.alt_phones, c.first_name, c.last_name, c.postal_code, c.priority, c.fields, c.status)
            .where(c.campaign_id == cid)
            .order_by(c.phone)
        )
        return [tuple(r) for r in rows.all()]


async def test_csv_corpus_as_json_gives_the_csv_imports_per_row_results(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        db = world.dialer.db
        await import_dnc(db, [DNC_NUMBER], campaign_id=None, source="test", reason=None, now=datetime.now(UTC))
        for n, path in enumerate(corpus(tmp_path)):
            by_csv, by_json = await make_campaign(world, f"csv{n}"), await make_campaign(world, f"json{n}")
            errors: list[RowError] = []
            summary = await import_lead_csv(
                db, path, campaign_id=by_csv, region="US", now=datetime.now(UTC), on_error=errors.append
            )
            with path.open(encoding="utf-8", newline="") as f:
                leads = list(csv.DictReader(f))
            resp = await client.post(f"/api/campaigns/json{n}/leads", json={"leads": leads}, headers=world.auth("boss"))
            assert resp.status == 200, await resp.text()
            body = await resp.json()
            assert (body["rows"], body["imported"], body["duplicates"], body["invalid"], body["dnc"]) == (
                summary.rows,
                summary.imported,
                summary.duplicates,
                summary.invalid,
                summary.dnc,
            )
            results = body["results"]
            assert [r["row"] for r in results] == list(range(1, len(leads) + 1))  # one result per lead
            csv_errors = {(e.row, e.reason.value) for e in errors}
            json_errors = {(r["row"], r["reason"]) for r in results if r["status"] in ("invalid", "duplicate")}
            json_errors -= {(r["row"], "already_in_campaign") for r in results}
            assert json_errors == csv_errors
            assert await stored(world, by_json) == await stored(world, by_csv)
            if path.name == "messy.csv":
                status = {r["row"]: (r["status"], r["reason"]) for r in results}
                assert status[1] == ("imported", None)
                assert status[2] == ("duplicate", "duplicate")
                assert status[3] == ("invalid", "invalid_phone")
                assert status[4] == ("invalid", "missing_phone")
                assert status[5] == ("dnc", "dnc")
                assert status[6] == ("invalid", "bad_priority")
                assert status[8] == ("duplicate", "already_in_campaign")
                assert results[0]["lead_id"] is not None
                assert results[0]["phone"] == "+12125550101"


async def test_one_idempotency_key_adds_once(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        cid = await make_campaign(world, "idem")
        batch = {"leads": [{"phone": f"+1212555{n:04d}", "first_name": f"N{n}"} for n in range(300, 350)]}
        headers = {**world.auth("boss"), "Idempotency-Key": "order-42"}
        first = await client.post("/api/campaigns/idem/leads", json=batch, headers=headers)
        assert first.status == 200
        body = await first.json()
        assert body["imported"] == 50
        count = len(await stored(world, cid))
        again = await client.post("/api/campaigns/idem/leads", json=batch, headers=headers)
        assert again.status == 200
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert await again.json() == body  # the first answer, not "50 duplicates"
        assert len(await stored(world, cid)) == count
        other = await client.post(
            "/api/campaigns/idem/leads", json={"leads": [{"phone": "+12125559999"}]}, headers=headers
        )
        assert other.status == 422
        assert (await other.json())["type"].endswith("idempotency-key")
        assert len(await stored(world, cid)) == count
        # without a key the retry is still deduped by number, reported per lead
        plain = await client.post("/api/campaigns/idem/leads", json=batch, headers=world.auth("boss"))
        assert {r["status"] for r in (await plain.json())["results"]} == {"duplicate"}
        # agents may not add leads; a bad batch is a problem document
        assert (await client.post("/api/campaigns/idem/leads", json=batch, headers=world.auth("alice"))).status == 403
        bad = await client.post(
            "/api/campaigns/idem/leads", json={"leads": [{"name": "no phone key"}]}, headers=world.auth("boss")
        )
        assert bad.status == 422
        assert "no phone column" in (await bad.json())["detail"]


async def test_a_retry_while_the_first_request_runs_is_told_when_to_come_back(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    """A script's retry that arrives while the first request with its Idempotency-Key still runs: 409 with
    Retry-After (retrying helps), a problem document, and nothing added."""
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        cid = await make_campaign(world, "busy")
        batch = {"leads": [{"phone": "+12125550300"}]}
        before = await stored(world, cid)
        boss = await get_user(world.dialer.db, "boss")
        assert boss is not None
        digest = batch_digest(LeadBatch.model_validate(batch))
        # the first request holds its key (it is importing)
        scope = f"{boss.id}:POST /api/campaigns/busy/leads"
        await claim_key(world.dialer.db, scope, "order-7", digest, datetime.now(UTC))
        headers = {**world.auth("boss"), "Idempotency-Key": "order-7"}
        resp = await client.post("/api/campaigns/busy/leads", json=batch, headers=headers)
        body = await problem(resp, 409)
        assert "still running" in body["detail"]
        assert int(resp.headers["Retry-After"]) > 0
        assert await stored(world, cid) == before


async def test_by_external_id_look_up_update_and_erase(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        cid = await make_campaign(world, "ext")
        auth = world.auth("boss")
        lead = {"phone": "+12125550777", "first_name": "Zoe", "last_name": "Q", "external_id": "CRM-7", "tier": "gold"}
        assert (await client.post("/api/campaigns/ext/leads", json={"leads": [lead]}, headers=auth)).status == 200
        url = "/api/campaigns/ext/leads/by-external-id/CRM-7"
        got = await (await client.get(url, headers=auth)).json()
        assert (got["first_name"], got["fields"]["tier"]) == ("Zoe", "gold")
        patched = await client.patch(url, json={"last_name": "Quinn", "fields": {"tier": None}}, headers=auth)
        assert patched.status == 200
        body = await patched.json()
        assert body["last_name"] == "Quinn"
        assert "tier" not in body["fields"]
        # a call record to keep (anonymised)
        await start_attempts(
            world.dialer.db,
            [AttemptStart(lead_id=got["id"], campaign_id=cid, phone=got["phone"], started_at=datetime.now(UTC))],
        )
        erased = await client.delete(url, headers=auth)
        assert erased.status == 200
        assert (await erased.json())["erased"] == [
            {"lead_id": got["id"], "numbers_on_dnc": 1, "attempts_anonymised": 1}
        ]
        assert (await client.get(url, headers=auth)).status == 404
        async with world.dialer.db.read() as conn:
            row = (await conn.execute(select(leads_t).where(leads_t.c.id == got["id"]))).mappings().one()
            assert (row["first_name"], row["last_name"], row["fields"], row["status"]) == (None, None, {}, "archived")
            assert "0777" not in row["phone"]
            attempt = (await conn.execute(select(attempts_t).where(attempts_t.c.lead_id == got["id"]))).mappings().one()
            assert "0777" not in attempt["phone"]
            dnc = (await conn.execute(select(dnc_t.c.number).where(dnc_t.c.campaign_id == cid))).scalars().all()
            assert "+12125550777" in dnc  # kept: they must not be called again
