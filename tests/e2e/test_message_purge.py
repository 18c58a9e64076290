"""The daemon's daily maintenance purges the messages to agents past ``message_retention_days`` (default 90) on the
dialer clock, with their read receipts; younger ones stay."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from harness.clock import clock_dt
from harness.e2e import make_world

from dialer.agents.messages import Audience
from dialer.store.messages import MessageFilter, list_messages, send_message


async def test_the_daemon_purges_messages_past_their_retention(tmp_path: Path) -> None:
    async with make_world(tmp_path, us_leads=5, japan_leads=0, agents=1, state="paused") as world:
        scheduler = world.scheduler_with("purge-messages")  # the job is registered with the real APScheduler ...
        assert world.dialer.settings.message_retention_days == 90
        now = clock_dt(world.clock)
        for age, text in ((timedelta(days=91), "old"), (timedelta(days=89), "recent")):
            await send_message(
                world.db,
                sender="sue",
                audience=Audience.AGENT,
                audience_name="ann",
                recipients=["ann"],
                text=text,
                now=now - age,
            )
        assert await scheduler.purge_messages() == 1  # ... and run here, on the dialer clock
        _, left = await list_messages(world.db, MessageFilter())
        assert [m.text for m in left] == ["recent"]
