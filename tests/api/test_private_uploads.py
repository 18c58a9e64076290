"""A lead list uploaded on the web leaves its files owner-only: the folder under the var dir 0700, the rejected
rows' report 0600 (dialer.private_files), whatever the umask lets others read by default."""

from __future__ import annotations

import io
import os
import stat
from typing import Any

from aiohttp import FormData
from harness.web import WebWorld

CSV = "phone,first_name\n+1 212 555 0102,Ben\nnot a number,Bad\n"


async def test_the_uploads_error_report_is_owner_only(world: WebWorld, client: Any) -> None:
    before = os.umask(0o022)
    try:
        form = FormData()
        form.add_field("file", io.BytesIO(CSV.encode()), filename="spring.csv", content_type="text/csv")
        resp = await client.post("/api/campaigns/demo/lead-lists", data=form, headers=world.auth("boss"))
        report = await resp.json()
    finally:
        os.umask(before)
    assert resp.status == 201, report
    assert report["invalid"] == 1
    imports = world.settings.var_dir / "imports"
    assert stat.S_IMODE(imports.stat().st_mode) == 0o700
    written = list(imports.glob("*-errors.csv"))
    assert written
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}
