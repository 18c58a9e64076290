"""kill -9 between an event and its delivery (issue 18 §1): the daemon (a real `dialer run` process) is killed
while its deliveries hang at the receiver; restarted, it delivers every event, and the receiver acknowledges
each event id exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.campaign import minimal_campaign, stored_campaign
from harness.ports import free_port
from sqlalchemy import select
from webhook_receiver import Receiver

from dialer.store import open_database, upgrade
from dialer.store.attempts import AttemptStart, start_attempts
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.tables import leads_t
from dialer.store.webhooks import DELIVERED, create_subscription, outbox_rows
from dialer.webhooks.core import SUBSCRIBABLE

LEADS = 12


def start_daemon(tmp_path: Path, db_url: str) -> subprocess.Popen[bytes]:
    config = tmp_path / "dialer.toml"
    config.write_text(
        f"""
database_url = "{db_url}"
var_dir = "{tmp_path / "var"}"
campaigns_dir = "{tmp_path / "campaigns"}"
[http]
port = {free_port()}
[[ami]]
name = "none"
port = {free_port()}
reconnect_max_backoff_seconds = 1.0
[webhooks]
allowed_destinations = ["127.0.0.1/32"]
poll_interval_seconds = 0.1
timeout_seconds = 60.0
retry_base_seconds = 0.1
retry_cap_seconds = 0.5
""",
        encoding="utf-8",
    )
    env = {**os.environ, "DIALER_CONFIG": str(config)}
    log = (tmp_path / "daemon.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "dialer", "run"], env=env, stdout=log, stderr=log)


async def wait_for(condition: object, seconds: float) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_kill_9_between_event_and_delivery_delivers_each_event_once_after_restart(tmp_path: Path) -> None:
    receiver = Receiver(mode="hang")
    await receiver.start()
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"
    now = datetime.now(UTC)
    cfg = minimal_campaign("crash", queue="q", trunk="PJSIP/{number}@c")
    async with open_database(db_url) as db:
        await upgrade(db)
        cid = await stored_campaign(db, cfg, now)
        await create_subscription(db, campaign_id=cid, url=receiver.url, events=SUBSCRIBABLE, secret="s3cret", now=now)
        leads = [
            NewLead(phone=f"+1212555{n:04d}", status="new", next_dialable_at=now - timedelta(hours=1), tz_candidates=[])
            for n in range(LEADS)
        ]
        async with db.write() as conn:
            await insert_new_leads(conn, cid, None, leads, now)
        async with db.read() as conn:
            rows = (await conn.execute(select(leads_t.c.id, leads_t.c.phone).where(leads_t.c.campaign_id == cid))).all()
        # the dials: attempt rows, each written with its call.started outbox row in one transaction
        attempts = await start_attempts(
            db, [AttemptStart(lead_id=i, campaign_id=cid, phone=p, started_at=now) for i, p in rows]
        )
        events = len(await outbox_rows(db))
    assert events == len(attempts) > 0  # one call.started per dial, written with the attempt

    first = start_daemon(tmp_path, db_url)
    second: subprocess.Popen[bytes] | None = None
    try:
        # The daemon claims the rows and sends them; the receiver holds every request open.
        await wait_for(lambda: len(receiver.deliveries) >= events, 60.0)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        receiver.released.set()  # the hanging requests end (their client is gone: nothing was acknowledged)
        assert receiver.acknowledged() == []
        receiver.mode = "ok"
        second = start_daemon(tmp_path, db_url)
        await wait_for(lambda: len(receiver.acknowledged()) >= events, 60.0)

        async def settled() -> bool:
            async with open_database(db_url) as db:
                return all(r.state == DELIVERED for r in await outbox_rows(db))

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30.0
        while not await settled():
            assert loop.time() < deadline
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # (time for a duplicate to show up, were there one)
        acked = [d.event_id for d in receiver.acknowledged()]
        assert sorted(acked) == sorted(set(acked))
        assert len(acked) == events
        assert all(d.signature_ok for d in receiver.deliveries)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        await receiver.stop()
