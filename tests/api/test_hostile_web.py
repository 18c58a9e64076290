"""Hostile requests: every one is a 4xx problem document (a page for a browser), never a 500 or a traceback; the
CLI says one line and exits non-zero. Request work (argon2, campaign validation) runs off the event loop."""

from __future__ import annotations

import asyncio
import importlib
import io
import os
import subprocess
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from harness.cli import dialer_process
from harness.paths import REPO
from harness.web import PASSWORD, WebWorld

from dialer.web.security import LoginRateLimiter

campaigns_module = importlib.import_module("dialer.web.api.campaigns")
leadlists_module = importlib.import_module("dialer.web.api.leadlists")
pages_module = importlib.import_module("dialer.web.pages")

PROBLEM = "application/problem+json"


async def problem(resp: Any, *statuses: int) -> dict[str, Any]:
    text = await resp.text()
    assert resp.status in statuses, text
    assert resp.content_type == PROBLEM, text
    assert "Traceback" not in text
    body: dict[str, Any] = await resp.json()
    assert body["status"] == resp.status
    assert body["detail"]
    return body


def nested_json(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def nested_toml(depth: int) -> str:
    return 'name = "demo"\nz = ' + "[" * depth + "1" + "]" * depth + "\n"


def upload(data: bytes, *, mapping: str | None = None) -> FormData:
    form = FormData()
    form.add_field("file", io.BytesIO(data), filename="leads.csv", content_type="text/csv")
    if mapping is not None:
        form.add_field("mapping", mapping)
    return form


async def test_deeply_nested_json_and_toml_campaigns_are_400_problems(world: WebWorld, client: Any) -> None:
    auth = world.auth("boss")

    async def put_demo(data: str, content_type: str) -> Any:
        return await client.put("/api/campaigns/demo", data=data, headers={**auth, "Content-Type": content_type})

    body = await problem(await put_demo(nested_json(10_000), "application/json"), 400)
    assert "nested deeper" in body["detail"]
    body = await problem(await put_demo(nested_toml(5_000), "application/toml"), 400)
    assert "nested deeper" in body["detail"]
    # Deep but parseable (under the interpreter's recursion limit) is refused just the same.
    await problem(await put_demo(nested_json(500), "application/json"), 400)


async def test_upload_mapping_nested_and_bad_multipart_are_4xx(world: WebWorld, client: Any) -> None:
    auth = world.auth("boss")
    csv_text = b"phone\n+12125550101\n"
    for path in ("/api/campaigns/demo/lead-lists/preview", "/api/campaigns/demo/lead-lists"):
        # 10 000 levels is also over the form field's size limit; 5 000 levels fits and is refused for its depth.
        await problem(await client.post(path, data=upload(csv_text, mapping=nested_json(10_000)), headers=auth), 413)
        body = await problem(
            await client.post(path, data=upload(csv_text, mapping=nested_json(5_000)), headers=auth), 400
        )
        assert "mapping" in body["detail"]
    bad_bodies = [
        b"garbage without any boundary",
        b"--XYZ\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\nphone\r\n",  # never closed
        b"--XYZ\r\n\r\n\r\n--XYZ--\r\n",  # a part without a name
        b"--XYZ\r\nContent-Type: multipart/mixed; boundary=INNER\r\n\r\n--INNER\r\n\r\nx\r\n--INNER--\r\n--XYZ--\r\n",
    ]
    for raw in bad_bodies:
        for ctype in ("multipart/form-data; boundary=XYZ", "multipart/form-data"):
            await problem(
                await client.post("/api/campaigns/demo/lead-lists", data=raw, headers={**auth, "Content-Type": ctype}),
                400,
                422,
            )


async def test_binary_png_and_cr_only_uploads_are_never_a_500(world: WebWorld, client: Any) -> None:
    auth = world.auth("boss")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    binary = bytes((i * 7919) % 256 for i in range(4096)) + b"\x00" * 64
    cr_only = b"phone,first_name\r+12125550101,Ann\r+12125550102,Ben\r"
    cr_only = cr_only.replace(b"\r\n", b"\r")
    for path in ("/api/campaigns/demo/lead-lists/preview", "/api/campaigns/demo/lead-lists"):
        for data in (png, binary):
            await problem(await client.post(path, data=upload(data), headers=auth), 422)
        resp = await client.post(path, data=upload(cr_only), headers=auth)
        text = await resp.text()
        assert resp.status < 500, text
        assert "Traceback" not in text
        if resp.status >= 400:
            assert resp.content_type == PROBLEM


async def test_far_report_dates_are_422(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    for query in ("from=9999-12-31", "to=9999-12-31", "from=9999-12-31&to=9999-12-31", "to=9999-12-31T23:59:59"):
        for report in ("compliance", "performance", "calls"):
            body = await problem(await client.get(f"/api/reports/{report}/demo?{query}", headers=boss), 422)
            assert "9999-12-31" in body["detail"]


async def test_a_browser_gets_an_error_page_not_json(world: WebWorld, client: Any) -> None:
    await client.post("/api/login", json={"name": "boss", "password": PASSWORD})
    resp = await client.get("/no-such-page", headers={"Accept": "text/html"})
    assert resp.status == 404
    assert resp.content_type == "text/html"
    assert "404" in await resp.text()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    return dialer_process(args, cwd=tmp_path, env=env, timeout=120)


@pytest.mark.parametrize(
    "args",
    [
        ("--from", "9999-12-31"),
        ("--to", "9999-12-31"),
        ("--from", "9999-12-31", "--to", "9999-12-31"),
    ],
)
def test_cli_report_with_far_dates_says_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = _cli(tmp_path, "report", "compliance", "--campaign", "demo", *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    assert "9999-12-31" in lines[0]


def test_cli_campaign_apply_deep_toml_says_one_line(tmp_path: Path) -> None:
    (tmp_path / "deep.toml").write_text(nested_toml(5_000), encoding="utf-8")
    result = _cli(tmp_path, "campaign", "apply", "deep.toml")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert "nested deeper" in lines[0]


# ------------------------------------------------------------------------------------- work off the event loop
async def answered_while_held(
    client: Any, monkeypatch: pytest.MonkeyPatch, module: object, name: str, request: Callable[[], Awaitable[Any]]
) -> Any:
    """``module.name`` held (in the worker thread that runs it) while ``request`` is in flight: the loop still
    answers /healthz meanwhile (had it run on the loop, nothing could release it). The request's response."""
    entered = threading.Event()
    release = threading.Event()
    released: list[bool] = []
    real = getattr(module, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        released.append(release.wait(10))  # False: the loop was blocked, nobody could release it
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    pending = asyncio.ensure_future(request())
    try:
        assert await asyncio.to_thread(entered.wait, 30)
        async with asyncio.timeout(10):
            health = await client.get("/healthz")
        assert health.status == 200
    finally:
        release.set()
    response = await pending
    assert released == [True]
    return response


async def test_the_loop_answers_healthz_while_a_login_is_hashing(
    world: WebWorld, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 runs in a worker thread: while one login's hash is held, the loop still serves other requests."""
    login = await answered_while_held(
        client,
        monkeypatch,
        pages_module,
        "verify_password",
        lambda: client.post("/api/login", json={"name": "boss", "password": PASSWORD}),
    )
    assert login.status == 200


async def test_the_loop_answers_healthz_while_a_campaign_is_validated(
    world: WebWorld, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = (REPO / "campaigns/demo.toml").read_bytes()
    headers = {**world.auth("boss"), "Content-Type": "application/toml"}
    put = await answered_while_held(
        client,
        monkeypatch,
        campaigns_module,
        "load_campaign",
        lambda: client.put("/api/campaigns/demo", data=toml, headers=headers),
    )
    assert put.status == 200


def test_campaign_dispositions_are_bounded_and_duplicates_are_named() -> None:
    """Up to MAX_DISPOSITIONS validate (the duplicate check is linear, a Counter) and duplicates are reported; a
    list over the bound is refused with the bound named, before its items are validated."""
    from dialer.campaign.config import MAX_DISPOSITIONS, CampaignConfigError, load_campaign
    from dialer.parsing import load_toml

    base = (REPO / "campaigns/example.toml").read_text(encoding="utf-8")
    given = len(load_campaign(load_toml(base)).dispositions)

    def extra(n: int) -> str:
        return "".join(f'\n[[dispositions]]\ncode = "d{i}"\nlabel = "Disposition {i}"\n' for i in range(n))

    config = load_campaign(load_toml(base + extra(MAX_DISPOSITIONS - given)))
    assert config.disposition(f"d{MAX_DISPOSITIONS - given - 1}") is not None
    with pytest.raises(CampaignConfigError, match="duplicate disposition code"):
        load_campaign(load_toml(base + extra(10) + '\n[[dispositions]]\ncode = "d7"\nlabel = "again"\n'))
    with pytest.raises(
        CampaignConfigError, match=f"21000 dispositions: a campaign may have at most {MAX_DISPOSITIONS}"
    ):
        load_campaign(load_toml(base + extra(21_000 - given)))


async def test_a_large_campaign_is_validated_in_the_worker_process(world: WebWorld, client: Any) -> None:
    """A body from PROCESS_THRESHOLD_BYTES on is parsed and validated in the CPU worker process (its own GIL: the
    loop pacing calls does not stall); the answer is the same as in-process: applied, or refused with the reason."""
    from dialer.campaign.config import MAX_DISPOSITIONS
    from dialer.web.cpu import PROCESS_THRESHOLD_BYTES

    boss = {**world.auth("boss"), "Content-Type": "application/toml"}
    base = (REPO / "campaigns/example.toml").read_text(encoding="utf-8")
    rows = "".join(f'\n[[dispositions]]\ncode = "d{i}"\nlabel = "Disposition {i}"\n' for i in range(900))
    padding = "".join(f"# notes line {i:06d} {'.' * 60}\n" for i in range(2000))
    body = (base + rows + padding).encode()
    assert len(body) >= PROCESS_THRESHOLD_BYTES
    resp = await client.put("/api/campaigns/example", data=body, headers=boss)
    assert resp.status == 201, await resp.text()
    stored = await (await client.get("/api/campaigns/example", headers=boss)).json()
    assert len(stored["config"]["dispositions"]) > 900
    too_many = "".join(f'\n[[dispositions]]\ncode = "x{i}"\nlabel = "X {i}"\n' for i in range(MAX_DISPOSITIONS))
    body = (base + too_many + padding).encode()
    refused = await problem(await client.put("/api/campaigns/example", data=body, headers=boss), 422)
    assert f"a campaign may have at most {MAX_DISPOSITIONS}" in refused["detail"]
    broken = await problem(
        await client.put("/api/campaigns/example", data=b"[[[" + padding.encode(), headers=boss), 400
    )
    assert "cannot parse the campaign" in broken["detail"]


async def test_campaign_body_over_the_route_limit_is_413(world: WebWorld, client: Any) -> None:
    big = b"# " + b"x" * (campaigns_module.CAMPAIGN_MAX_BYTES + 10) + b"\n"
    await problem(
        await client.put(
            "/api/campaigns/demo", data=big, headers={**world.auth("boss"), "Content-Type": "application/toml"}
        ),
        413,
    )
    await problem(
        await client.post(
            "/api/login", data=b'{"name": "' + b"a" * 100_000 + b'"}', headers={"Content-Type": "application/json"}
        ),
        413,
    )


# ------------------------------------------------------------------------------------------- logins, sessions
def test_limiter_entries_expire_and_stay_bounded() -> None:
    limiter = LoginRateLimiter(max_failures=5, max_failures_per_address=10**9, window_seconds=300, max_keys=1_000)
    for i in range(5_000):
        limiter.failed(f"user{i}", f"10.0.{i // 250}.{i % 250}", now=float(i) * 0.01)
    assert len(limiter) <= 2_000  # bounded (pairs + addresses)
    limiter.failed("late", "192.0.2.1", now=10_000.0)
    assert len(limiter) == 2  # everything older than the window expired
    for _ in range(5):
        limiter.failed("bob", "192.0.2.1", now=20_000.0)
    assert limiter.retry_after("bob", "192.0.2.1", 20_000.0) > 0
    assert limiter.retry_after("bob", "192.0.2.1", 20_301.0) == 0


def test_limiter_limits_one_address_spraying_many_names() -> None:
    limiter = LoginRateLimiter(max_failures=5, max_failures_per_address=30, window_seconds=300)
    for i in range(30):
        assert limiter.retry_after(f"name{i}", "198.51.100.7", 1.0) == 0
        limiter.failed(f"name{i}", "198.51.100.7", 1.0)
    assert limiter.retry_after("someone-new", "198.51.100.7", 2.0) > 0
    assert limiter.retry_after("someone-new", "198.51.100.8", 2.0) == 0  # another address is not affected


async def test_spraying_names_from_one_address_gets_429(world: WebWorld, client: Any) -> None:
    limit = LoginRateLimiter().max_failures_per_address
    for i in range(limit):
        await problem(await client.post("/api/login", json={"name": f"nobody{i}", "password": "guess-123"}), 401)
    body = await problem(await client.post("/api/login", json={"name": "boss", "password": PASSWORD}), 429)
    assert "try again" in body["detail"]


async def test_a_second_login_ends_the_first_session(world: WebWorld, aiohttp_client: Any) -> None:
    first = await aiohttp_client(world.app)
    # (a second browser: its own cookie jar against the same running server -- the app is started once)
    async with TestClient(first.server) as second:
        for client in (first, second):
            assert (await client.post("/api/login", json={"name": "alice", "password": PASSWORD})).status == 200
        assert (await second.get("/api/me")).status == 200
        await problem(await first.get("/api/me"), 401)


# --------------------------------------------------------------------------------------------------- uploads
def _csv_of_size(size: int) -> bytes:
    lines = [b"phone,first_name,notes"]
    i = 0
    total = len(lines[0])
    while total < size:
        line = b"+1212555%04d,Person%d,%s" % (i % 10_000, i, b"n" * 200)
        lines.append(line)
        total += len(line) + 1
        i += 1
    return b"\n".join(lines) + b"\n"


async def test_an_upload_over_1_mib_is_streamed_and_imported(world: WebWorld, client: Any) -> None:
    data = _csv_of_size(3 * 1024 * 1024)
    resp = await client.post("/api/campaigns/demo/lead-lists", data=upload(data), headers=world.auth("boss"))
    report = await resp.json()
    assert resp.status == 201, report
    assert report["rows"] > 10_000
    assert not list((world.settings.var_dir / "imports").glob("upload-*"))  # the temporary file is gone


async def test_an_upload_over_the_cap_is_413(
    world: WebWorld, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leadlists_module, "MAX_UPLOAD_BYTES", 2 * 1024 * 1024)
    client = await aiohttp_client(world.app)
    data = _csv_of_size(3 * 1024 * 1024)
    body = await problem(
        await client.post("/api/campaigns/demo/lead-lists", data=upload(data), headers=world.auth("boss")), 413
    )
    assert "dialer leads import" in body["detail"]
    assert not list((world.settings.var_dir / "imports").glob("upload-*"))


# --------------------------------------------------------------------------------------------------- headers
async def test_json_responses_are_not_cached_or_sniffed(world: WebWorld, client: Any) -> None:
    login = await client.post("/api/login", json={"name": "boss", "password": PASSWORD})
    responses = [
        login,
        await client.get("/api/leads", headers=world.auth("boss")),
        await client.get("/api/nothing", headers=world.auth("boss")),
        await client.get("/healthz"),
    ]
    for resp in responses:
        assert resp.headers.get("Cache-Control") == "no-store", resp.url
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", resp.url
