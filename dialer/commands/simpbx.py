"""`dialer sim-pbx`: run the simulated Asterisk (AMI over TCP) on its own."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated

import typer

from dialer.clock import RealTimeClock
from dialer.commands.common import cli_context, fail, failing, print_json
from dialer.i18n import _
from dialer.sim.model import Scenario, ScenarioError, load_scenario
from dialer.sim.pbx import PbxConfig, SimulatedPbx, WorldKind
from dialer.sim.pbx.config import build_config


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        fail(_("--listen must look like HOST:PORT (e.g. 127.0.0.1:5039), got {value}").format(value=repr(value)))
    return host or "127.0.0.1", int(port)


def sim_pbx(
    ctx: typer.Context,
    listen: Annotated[
        str | None, typer.Option(help="HOST:PORT to listen on (default: settings simulation.listen_host/port).")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option(help="World-model scenario: a TOML file or a shipped name such as n20-p020.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the simulated world (same seed, same world).")] = None,
    speed: Annotated[float | None, typer.Option(help="Simulated seconds per real second (1 = real time).")] = None,
    world: Annotated[
        WorldKind, typer.Option(help="model: callees drawn from the scenario; recorded: outcome by last digit.")
    ] = WorldKind.MODEL,
    agents: Annotated[
        int, typer.Option(help="Static auto-answer agents Local/agentN@sim-agents in --agents-queue (0: none).")
    ] = 0,
    agents_queue: Annotated[str, typer.Option(help="Queue the static agents belong to.")] = "outbound-agents",
    queue: Annotated[list[str] | None, typer.Option(help="An extra queue the PBX knows (repeatable).")] = None,
    inbound_queue: Annotated[
        list[str] | None, typer.Option(help="Queue spontaneous inbound callers join (repeatable).")
    ] = None,
    username: Annotated[str, typer.Option(help="AMI user.")] = "dialer",
    secret: Annotated[str, typer.Option(help="AMI secret.")] = "dialer",  # noqa: S107 (the simulator's own user)
    newexten: Annotated[bool, typer.Option(help="Emit Newexten for every dialplan step (the AMI flood).")] = True,
    read: Annotated[
        str | None, typer.Option(help="manager.conf read= classes, e.g. system,call,agent,user (default: all).")
    ] = None,
    vary_order: Annotated[
        bool, typer.Option(help="Vary where OriginateResponse falls among a call's events, as under load.")
    ] = False,
) -> None:
    """Run the simulated PBX: an AMI server that behaves like the recorded Asterisk 22."""
    settings = cli_context(ctx).settings().simulation
    host, port = _listen(listen) if listen else (settings.listen_host, settings.listen_port)
    scenario_source: str | Path | None = scenario or settings.scenario
    loaded: Scenario | None = None
    if scenario_source is not None:
        with failing(ScenarioError):
            loaded = load_scenario(scenario_source)
    run_speed = speed if speed is not None else settings.speed
    if run_speed <= 0:
        fail(_("--speed must be positive"))
    config = build_config(
        world=world,
        scenario=loaded,
        seed=seed if seed is not None else settings.seed,
        agents=agents,
        agents_queue=agents_queue,
        queues=queue or [],
        inbound_queues=inbound_queue or [],
        username=username,
        secret=secret,
        newexten=newexten,
        read=read,
        vary_order=vary_order,
    )
    try:
        asyncio.run(_serve(config, host, port, run_speed))
    except OSError as exc:
        fail(_("cannot listen on {host}:{port}: {error}").format(host=host, port=port, error=exc))


async def _serve(config: PbxConfig, host: str, port: int, speed: float) -> None:
    pbx = SimulatedPbx(config, clock=RealTimeClock(speed), host=host, port=port)
    await pbx.start()
    print_json(
        {
            "listening": f"{host}:{pbx.port}",
            "world": config.world.value,
            "scenario": config.scenario.name,
            "seed": config.seed,
            "speed": speed,
            "queues": {q.name: [m.interface for m in q.members] for q in config.queues},
        }
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await pbx.stop()
        truth = pbx.truth
        print_json(
            {
                "originates": len(truth.originates),
                "outcomes": {str(k): v for k, v in truth.outcomes().items()},
                "inbound": len(truth.inbound),
                "duplicates": truth.duplicates(),
            }
        )
