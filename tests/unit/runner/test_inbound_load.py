"""The inbound load a campaign's pacer sees: only the inbound queues its own agents also serve (blending)."""

from __future__ import annotations

from pathlib import Path

from harness.servers import east_west_settings

from dialer.ami.events import QueueCallerJoin
from dialer.clock import ManualClock
from dialer.daemon import Dialer
from dialer.settings import AmiServerSettings, Settings
from dialer.store.engine import create_database


async def test_inbound_callers_hold_back_only_campaigns_whose_agents_can_take_them(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
        var_dir=tmp_path,
        ami=[AmiServerSettings(name="sim", port=1)],
        inbound_queues=["inbound-sales"],
    )
    db = create_database(settings.database_url)
    clock = ManualClock(1_000.0)
    dialer = Dialer(settings, db, clock=clock)
    registry = dialer.agents.registry
    registry.register("outbound-only", "PJSIP/1001")
    registry.login("outbound-only", ["outbound-agents"], clock.now())
    registry.register("blended", "PJSIP/1002")
    registry.login("blended", ["blended-agents", "inbound-sales"], clock.now())
    for n in range(2):
        dialer.queue_load.feed(
            QueueCallerJoin(f"PJSIP/in-{n}", f"in-{n}", f"in-{n}", 6, "", "", "", "inbound-sales", n + 1, n + 1),
            clock.now(),
        )
    # Outbound-only agents never take inbound calls: two callers waiting there must not stop their campaign.
    assert dialer.inbound_load("outbound-agents").callers_waiting == 0
    assert dialer.inbound_load("blended-agents").callers_waiting == 2
    await db.dispose()


async def test_blending_is_per_server_callers_of_one_server_hold_back_only_its_agents(tmp_path: Path) -> None:
    settings = east_west_settings(tmp_path, ["inbound-sales"])
    db = create_database(settings.database_url)
    clock = ManualClock(1_000.0)
    dialer = Dialer(settings, db, clock=clock)
    registry = dialer.agents.registry
    for agent, phone in (("east-agent", "PJSIP/1001"), ("west-agent", "PJSIP/2001")):
        registry.register(agent, phone)
        registry.login(agent, ["blended-agents", "inbound-sales"], clock.now())
    east = next(c for c in dialer.connections if c.server.name == "east")
    for n in range(3):
        event = QueueCallerJoin(f"PJSIP/in-{n}", f"in-{n}", f"in-{n}", 6, "", "", "", "inbound-sales", n + 1, n + 1)
        east.pump.handle(event)  # (east's ordered event pump: its queue load and the inbound watcher)
    # Callers waiting on east can reach east's agents only: west's campaign calls are not held back for them.
    assert dialer.inbound_load("blended-agents", "east").callers_waiting == 3
    assert dialer.inbound_load("blended-agents", "east").arrivals_per_second > 0
    assert dialer.inbound_load("blended-agents", "west").callers_waiting == 0
    assert dialer.inbound_load("blended-agents", "west").arrivals_per_second == 0
    assert dialer.inbound_load("blended-agents").callers_waiting == 3
    assert dialer.server_view()["east"]["inbound_waiting"] == {"inbound-sales": 3}
    await db.dispose()
