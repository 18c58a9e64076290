"""docs/integration.md's curl examples run as they are printed (in order, in one bash shell) against a running
daemon, as a CRM developer would run them: every command succeeds and prints what the page says it does."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from harness.paths import REPO
from harness.web import web_world

from dialer.settings import WebhookSettings

DOC = REPO / "docs/integration.md"


def examples() -> str:
    """The page's shell blocks but the first (the one that sets DIALER and TOKEN to the demo's), as one script."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert "export DIALER=" in blocks[0]
    return "\n".join(blocks[1:])


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("jq") is None, reason="needs curl and jq")
async def test_the_integration_page_examples_run_as_printed(tmp_path: Path, aiohttp_client: Any) -> None:
    webhooks = WebhookSettings(allowed_destinations=["crm.example.com"])
    async with web_world(tmp_path, settings={"webhooks": webhooks}) as world:
        client = await aiohttp_client(world.app)
        env = {**os.environ, "DIALER": str(client.make_url("")).rstrip("/"), "TOKEN": world.tokens["boss"]}
        shell = await asyncio.create_subprocess_exec(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            examples(),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await shell.communicate()
    lines = out.decode().splitlines()
    assert shell.returncode == 0, f"{out.decode()}\n{err.decode()}"
    assert lines[:8] == [
        "Dialer API",
        "manager",
        "401 application/problem+json; charset=utf-8",
        "https://dialer.invalid/problems/validation-error",
        "colour",
        '[422,"campain",true]',
        "crm-sync",
        "[2,1]",
    ]
    assert lines[9:] == ["[2,1,1]", "pending", "true", "true", '["dead","delivered","pending"]']
