"""Schemathesis fuzzes every operation of /api/openapi.json against the running dialer.

Each operation gets a bounded number of generated requests (as the manager, who may call nearly everything);
the responses must never be a server error, and must match the documented status codes, content types and
schemas. The daemon runs in its own thread and event loop; schemathesis drives it over real HTTP.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from harness.web import web_world
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = 12
# Operations that would end the session under test (its token revoked) or empty the campaign.
SKIP = {("POST", "/api/logout"), ("DELETE", "/api/tokens/{token_id}"), ("POST", "/api/campaigns/{name}/stop")}


class ServerThread:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.base_url = ""
        self.token = ""
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="web-under-test", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
            self.ready.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop = asyncio.Event()
        async with web_world(self.tmp_path, speed=5.0) as world:
            runner = web.AppRunner(world.app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.base_url = f"http://127.0.0.1:{port}"
            self.token = world.tokens["boss"]
            self.ready.set()
            await self.stop.wait()
            await runner.cleanup()

    def __enter__(self) -> ServerThread:
        self.thread.start()
        self.ready.wait(60)
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.loop is not None
        assert self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with ServerThread(tmp_path_factory.mktemp("fuzz")) as srv:
        yield srv


def test_openapi_document_survives_fuzzing(server: ServerThread) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/api/openapi.json")
    headers = {"Authorization": f"Bearer {server.token}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            response = case.call(base_url=server.base_url, headers=headers, timeout=10)
            case.validate_response(response, checks=checks)

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations > 25
    assert not failures, "\n\n".join(failures)
