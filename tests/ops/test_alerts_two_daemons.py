"""Two daemons on one database, each with its own line to one simulated PBX: both lose their AMI connection (the
line cut) and raise ``server_down`` -- one alert, held by both, one ``alert.raised``; the first to get its line back
does not clear it (the other still sees the server down); the second does -- one ``alert.cleared``. Each daemon's
dashboard history shows the same alert, and each daemon's ``dialer_alerts_active`` gauge counts it once, whether
that daemon sees the condition or not (the floor's figure: a dashboard takes the max over daemons)."""

from __future__ import annotations

from pathlib import Path

from harness.clock import clock_dt
from harness.crew import Crew
from harness.daemon import connect
from harness.databases import DbSpec
from harness.faults import TcpCut
from harness.ops import Daemon, OpsWorld, ops_world
from harness.stepping import wait_real

from dialer.daemon import Dialer
from dialer.daemon.alerts import FLOOR_READ_SECONDS
from dialer.settings import AmiServerSettings
from dialer.store.alerts import AlertFilter, AlertRecord, active_alerts, list_alerts
from dialer.store.webhooks import create_subscription, outbox_rows
from dialer.webhooks.core import WILDCARD


async def daemon_through(world: OpsWorld, owner: str, line: TcpCut) -> Daemon:
    """A daemon whose AMI connection to the PBX goes through ``line`` (cut, it sees the server down)."""
    ami = AmiServerSettings(name="sim", port=line.port, action_timeout_seconds=5.0, reconnect_max_backoff_seconds=0.5)
    settings = world.settings.model_copy(update={"ami": [ami]})
    db = world.spec.open()
    dialer = Dialer(settings, db, clock=world.clock, owner=owner)
    await connect(dialer)
    crew = Crew(dialer, world.config.name, world.clock)
    crew.start()
    daemon = Daemon(dialer, db, crew)
    world.daemons.append(daemon)
    return daemon


async def server_alerts(daemon: Daemon) -> list[AlertRecord]:
    return [a for a in (await list_alerts(daemon.db, AlertFilter()))[1] if a.rule == "server_down"]


def gauges(*daemons: Daemon) -> list[bytes]:
    """Each daemon's ``dialer_alerts_active`` sample of the rule ``server_down``, as Prometheus scrapes it."""
    found = []
    for daemon in daemons:
        lines = daemon.dialer.metrics.render().splitlines()
        found += [line for line in lines if line.startswith(b'dialer_alerts_active{rule="server_down"}')]
    return found


async def events(daemon: Daemon) -> list[str]:
    rows = sorted(await outbox_rows(daemon.db), key=lambda r: r.id)
    return [r.event_type for r in rows if r.event_type.startswith("alert.")]


async def test_two_daemons_raise_and_clear_one_alert(tmp_path: Path, any_spec: DbSpec) -> None:
    async with ops_world(tmp_path, any_spec, leads=10, agents=2) as world:
        lines = [TcpCut("127.0.0.1", world.pbx.port), TcpCut("127.0.0.1", world.pbx.port)]
        for line in lines:
            await line.start()
        try:
            a = await daemon_through(world, "daemon-a", lines[0])
            b = await daemon_through(world, "daemon-b", lines[1])
            await create_subscription(
                a.db,
                campaign_id=None,
                url="http://127.0.0.1:9/h",
                events=[WILDCARD],
                secret="s",
                now=clock_dt(world.clock),
            )
            for line in lines:
                line.cut()
            assert await wait_real(lambda: not a.dialer.pool.any_up() and not b.dialer.pool.any_up())

            def held_by_both() -> bool:
                return all(
                    any(x.rule == "server_down" and x.id is not None for x in d.dialer.alerts.active) for d in (a, b)
                )

            # The default rule: down for 30 s, raised.
            assert await world.run_until(held_by_both, rounds=90)
            (alert,) = await server_alerts(a)
            assert (alert.active, alert.subject) == (True, "server:sim")
            assert [r.id for r in await active_alerts(a.db, "daemon-a")] == [alert.id]
            assert [r.id for r in await active_alerts(b.db, "daemon-b")] == [alert.id]
            assert {x.id for d in (a, b) for x in d.dialer.alerts.active} == {alert.id}
            assert await events(a) == ["alert.raised"]
            one = b'dialer_alerts_active{rule="server_down"} 1.0'
            assert gauges(a, b) == [one, one]  # one alert, the same figure on both daemons (not one each)

            # A's line is back: A lets go, B still sees the server down -- still active.
            lines[0].restore()
            assert await wait_real(a.dialer.pool.any_up, 10.0)
            assert await world.run_until(lambda: not a.dialer.alerts.active, rounds=30)
            await world.run(3, step=1.0)
            (still,) = await server_alerts(b)
            assert still.active
            assert await active_alerts(a.db, "daemon-a") == []
            assert await events(b) == ["alert.raised"]
            assert gauges(a, b) == [one, one]  # A no longer sees it, the floor still has it

            # B's line is back: the last holder lets go -- cleared, once.
            lines[1].restore()
            assert await wait_real(b.dialer.pool.any_up, 10.0)
            assert await world.run_until(lambda: not b.dialer.alerts.active, rounds=30)

            async def cleared() -> bool:
                return not (await server_alerts(a))[0].active

            for _ in range(50):
                if await cleared():
                    break
                await world.run(1, step=1.0)
            (over,) = await server_alerts(a)
            assert (over.id, over.active) == (alert.id, False)
            assert await events(a) == ["alert.raised", "alert.cleared"]
            await world.run(FLOOR_READ_SECONDS + 1, step=1.0)  # (A, which wrote nothing, reads the floor again)
            assert gauges(a, b) == [b'dialer_alerts_active{rule="server_down"} 0.0'] * 2
        finally:
            for line in lines:
                await line.close()
