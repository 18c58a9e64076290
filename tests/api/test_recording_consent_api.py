"""The consent announcement a recorded call's called party heard (the dialplan's DialerRecordingConsent, played
before MixMonitor starts: recording-consent.txt) is on the recording's row and in the recordings' listing (the
whole dialer, the simulated PBX)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from harness.web import recorded_call, web_world


async def test_the_consent_announcement_is_on_the_recording_and_in_the_listing(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    async with web_world(tmp_path, write_recordings=True) as world:
        client = await aiohttp_client(world.app)
        rec = await recorded_call(world, client, consent=True)
        assert rec["consent_status"] == "SUCCESS"
        assert datetime.fromisoformat(rec["consent_at"]) <= datetime.fromisoformat(rec["started_at"])
        listing = await (await client.get("/api/recordings?campaign=demo", headers=world.auth("boss"))).json()
        (item,) = [i for i in listing["items"] if i["attempt_id"] == rec["attempt_id"]]
        assert (item["consent_at"], item["consent_status"]) == (rec["consent_at"], "SUCCESS")


async def test_a_call_without_the_announcement_has_no_consent(tmp_path: Path, aiohttp_client: Any) -> None:
    async with web_world(tmp_path, write_recordings=True) as world:
        client = await aiohttp_client(world.app)
        rec = await recorded_call(world, client, consent=False)
        assert (rec["consent_at"], rec["consent_status"]) == (None, None)
