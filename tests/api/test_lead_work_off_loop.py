"""A large lead-API batch and a large CSV upload are parsed in the CPU worker process (dialer.web.cpu), not on
the event loop that paces calls: the loop keeps running meanwhile and the results are those of the import.
(How long the loop waits is a benchmark figure, `dialer bench hooks`, never a test threshold.)"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import FormData
from harness.web import web_world

from dialer.web.cpu import CPU_WORKER, PROCESS_THRESHOLD_BYTES

ROWS = 3000  # well past the worker process's threshold in bytes


def phone(n: int) -> str:
    return f"+1646{300 + n // 10_000:03d}{n % 10_000:04d}"


class Heartbeat:
    def __init__(self) -> None:
        self.beats = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async def beat() -> None:
            while True:
                self.beats += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()


async def test_a_large_batch_is_parsed_in_the_worker_process(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        leads = [{"phone": phone(n), "first_name": f"Name{n}", "notes": "x" * 40, "external_id": f"E{n}"}
                 for n in range(ROWS)]  # fmt: skip
        leads[7]["phone"] = "not a number"
        worker = world.app[CPU_WORKER]
        before = worker.process_jobs
        heart = Heartbeat()
        async with heart.running():
            resp = await client.post("/api/campaigns/demo/leads", json={"leads": leads}, headers=world.auth("boss"))
        body = await resp.json()
        assert resp.status == 200, body
        assert worker.process_jobs == before + 1
        assert heart.beats > 0
        assert (body["rows"], body["imported"], body["invalid"]) == (ROWS, ROWS - 1, 1)
        assert body["results"][7] == {"row": 8, "status": "invalid", "lead_id": None, "phone": None,
                                      "reason": "invalid_phone", "detail": body["results"][7]["detail"]}  # fmt: skip
        assert body["results"][0]["phone"] == phone(0)
        assert body["results"][0]["lead_id"] is not None


async def test_a_large_upload_is_parsed_in_the_worker_process(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        lines = ["phone,first_name,notes"] + [f"{phone(n)},Name{n},{'y' * 40}" for n in range(ROWS)]
        lines[10] = '"unclosed,Bad,row'
        data = ("\n".join(lines) + "\n").encode()
        assert len(data) > PROCESS_THRESHOLD_BYTES
        worker = world.app[CPU_WORKER]
        before = worker.process_jobs
        form = FormData()
        form.add_field("file", io.BytesIO(data), filename="big.csv", content_type="text/csv")
        heart = Heartbeat()
        async with heart.running():
            resp = await client.post("/api/campaigns/demo/lead-lists", data=form, headers=world.auth("boss"))
        report = await resp.json()
        assert resp.status == 201, report
        assert worker.process_jobs == before + 1
        assert heart.beats > 0
        assert (report["rows"], report["imported"], report["invalid"]) == (ROWS, ROWS - 1, 1)
        assert report["errors"][0]["reason"] == "malformed"
        assert not await asyncio.to_thread(lambda: list(tmp_path.glob("imports/*.spool")))  # spool gone


async def test_idempotency_key_is_a_declared_header_of_the_lead_api(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, campaign_running=False) as world:
        client = await aiohttp_client(world.app)
        spec = await (await client.get("/api/openapi.json")).json()
        params = spec["paths"]["/api/campaigns/{name}/leads"]["post"]["parameters"]
        headers = [p for p in params if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"]
        assert headers[0]["required"] is False
        body = spec["paths"]["/api/campaigns/{name}/leads"]["post"]["requestBody"]["content"]["application/json"]
        assert "leads" in body["schema"]["properties"]
