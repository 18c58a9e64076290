"""`dialer demo`: the dialer against the simulated PBX, with simulated agents, on a fresh local database."""

from __future__ import annotations

import asyncio
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from dialer.appkeys import AFTER_CONTEXTS, DIALER
from dialer.campaign.config import CampaignConfig, CampaignConfigError, load_campaign_file
from dialer.campaign.prompts import render_safe_harbour
from dialer.clock import RealTimeClock
from dialer.commands.common import cli_context, fail, failing, print_json
from dialer.demo import (
    DemoDatabaseInUse,
    DemoPlan,
    build_demo_app,
    check_disposable,
    demo_database_held,
    demo_settings,
    parse_ami_target,
    prepare_database,
    reset_database,
    run_demo,
)
from dialer.i18n import LOCALES, _, format_percent, set_locale
from dialer.logging import configure_logging
from dialer.tasks import cancel_and_wait
from dialer.web.demo import demo_users_ctx

REPO_CAMPAIGNS = Path("campaigns")
DEFAULT_CAMPAIGN = REPO_CAMPAIGNS / "demo.toml"
DEFAULT_LEADS = REPO_CAMPAIGNS / "leads" / "demo.csv"
# The agentless reminder shown next to the predictive campaign (its flow: campaigns/ivr/reminder.toml).
AGENTLESS_DEMO = (REPO_CAMPAIGNS / "reminder.toml", REPO_CAMPAIGNS / "leads" / "reminder.csv")
# `--locale`: the localised sample campaign and leads (regime JP / CN), and the UI language of the demo users.
LOCALE_DEMOS = {
    "ja": (REPO_CAMPAIGNS / "demo-ja.toml", REPO_CAMPAIGNS / "leads" / "demo-ja.csv"),
    "zh-CN": (REPO_CAMPAIGNS / "demo-zh-CN.toml", REPO_CAMPAIGNS / "leads" / "demo-zh-CN.csv"),
}


def demo_start(config: CampaignConfig, now: datetime) -> datetime:
    """When the demo's simulated clock starts: now, unless the campaign's calling window is closed now in its own
    zone (a JP or CN demo run at night in Europe): then an hour after it next opens, so calls flow at once."""
    zones = (config.timezone,)
    if not config.window.closed_zones(now, zones):
        return now
    opens = config.window.next_open(now, zones)
    return now if opens is None else opens + timedelta(hours=1)


def _free_port(host: str, wanted: int) -> int:
    """``wanted`` unless another process listens on it. SO_REUSEADDR (as the servers themselves bind): sockets of
    a demo that just stopped, still in TIME_WAIT, do not push the restarted demo to another port."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, wanted))
        except OSError:
            probe.bind((host, 0))
        return int(probe.getsockname()[1])


def demo(
    ctx: typer.Context,
    seconds: Annotated[
        float | None, typer.Option("--for", help="Run this many seconds, drain, print a summary and exit.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final summary as JSON.")] = False,
    agents: Annotated[int, typer.Option(min=1, max=200, help="Simulated agents.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 1,
    speed: Annotated[float, typer.Option(min=0.1, max=50, help="Simulated seconds per real second.")] = 1.0,
    campaign_file: Annotated[Path, typer.Option("--campaign", help="Campaign file.")] = DEFAULT_CAMPAIGN,
    leads_file: Annotated[Path, typer.Option("--leads", help="Lead list.")] = DEFAULT_LEADS,
    locale: Annotated[
        str,
        typer.Option(
            "--locale",
            help="en, ja or zh-CN: the UI language, and (ja, zh-CN) the localised sample campaign (regime JP / CN) "
            "and leads, with the safe-harbour prompt rendered by espeak-ng when installed.",
        ),
    ] = "en",
    ami: Annotated[
        str | None,
        typer.Option(
            "--ami",
            help="host:port:user:secret of a real Asterisk running asterisk/lab/ to dial through instead of the "
            "simulated PBX (the simulated agents are its Local/agentNN@sim-agents phones).",
        ),
    ] = None,
    with_agentless: Annotated[
        bool,
        typer.Option(
            "--agentless/--no-agentless",
            help="also run the agentless reminder campaign (campaigns/reminder.toml: IVR flow over FastAGI, "
            "simulated callers pressing keys)",
        ),
    ] = True,
) -> None:
    """Run the whole dialer on a fresh SQLite database with the simulated PBX and simulated agents.

    Agents log in, go ready, talk, wrap up and disposition through the same paths real agents use; calls are paced
    by the production pacer; outcomes requeue and archive leads. Ctrl-C drains (a second Ctrl-C stops at once)."""
    base = cli_context(ctx).settings()
    if locale not in LOCALES:
        fail(_("--locale: {locale} is not one of {locales}").format(locale=repr(locale), locales=", ".join(LOCALES)))
    if locale != "en":
        set_locale(locale)  # the demo's printed lines in the demo's language too
    if locale in LOCALE_DEMOS:
        if campaign_file == DEFAULT_CAMPAIGN:
            campaign_file = LOCALE_DEMOS[locale][0]
        if leads_file == DEFAULT_LEADS:
            leads_file = LOCALE_DEMOS[locale][1]
    for path in (campaign_file, leads_file):
        if not path.is_file():
            fail(_("{path} not found (run the demo from the repository root)").format(path=path))
    real = None
    if ami is not None:
        try:
            real = parse_ami_target(ami)
        except ValueError as exc:
            fail(f"--ami: {exc}")
    with failing(CampaignConfigError):
        config = load_campaign_file(campaign_file)
    port = _free_port(base.simulation.listen_host, base.simulation.listen_port)
    # A timed run drains briefly: calls still talking after 15 s are recorded as connected and left to finish. The
    # inbound IVR books its callbacks in this run's campaign (demo, demo-ja, demo-zh-cn or the --campaign file's).
    settings = demo_settings(
        base, port, drain_seconds=15.0 if seconds is not None else None, ami=real, campaign=config.name
    )
    with failing(DemoDatabaseInUse):
        check_disposable(settings.database_url)
    # The commands printed below work as shown: the demo's database is the CLI's unless said otherwise here.
    cli = (
        "dialer"
        if settings.database_url == base.database_url
        else f"DIALER_DATABASE_URL={settings.database_url} dialer"
    )
    log_path = settings.var_dir / "demo.log"
    agentless = (AGENTLESS_DEMO,) if with_agentless and all(p.is_file() for p in AGENTLESS_DEMO) else ()
    plan = DemoPlan(campaign_file, leads_file, agents=agents, seed=seed, speed=speed, agentless=agentless)
    wall = datetime.now(UTC)
    # The localised demos call one country: start the simulated clock inside its calling window (the default demo's
    # leads span the world's zones, so some are always callable: its clock is the wall clock).
    start = demo_start(config, wall) if real is None and locale in LOCALE_DEMOS else wall
    # Held until the demo ends: a second demo on this database is refused instead of resetting it under this one.
    with (
        failing(DemoDatabaseInUse),
        demo_database_held(settings.database_url),
        log_path.open("a", encoding="utf-8") as log_stream,
    ):
        configure_logging(settings.log_level, "json", stream=log_stream)
        reset_database(settings)
        imported = asyncio.run(prepare_database(settings, plan, start))
        http_port = _free_port(settings.http.host, settings.http.port)
        # Only when another program holds the configured port: say which one `dialer status` must ask.
        status_cli = cli if http_port == settings.http.port else f"DIALER_HTTP__PORT={http_port} {cli}"
        clock = RealTimeClock(speed=speed, start_epoch=start.timestamp())
        if real is not None and speed != 1.0:
            fail(_("--speed only applies to the simulated PBX"))
        app = build_demo_app(settings, plan, clock, real_pbx=real is not None)
        base_url = f"http://{settings.http.host}:{http_port}"
        # Web logins for the manager, every simulated agent and a spare agent for you (printed to stderr).
        app[AFTER_CONTEXTS].append(
            demo_users_ctx(
                [f"agent{n:02d}" for n in range(1, agents + 1)],
                base_url=base_url,
                language=locale if locale != "en" else None,
            )
        )
        if not as_json:
            if start != wall:
                local = start.astimezone(ZoneInfo(config.timezone))
                typer.echo(
                    "  "
                    + _("the calling window is closed in {zone} now: simulated time starts at {time}").format(
                        zone=config.timezone, time=f"{local:%Y-%m-%d %H:%M} {config.timezone}"
                    )
                )
            if locale in LOCALE_DEMOS:
                prompt = render_safe_harbour(config, settings.var_dir / "sounds")
                typer.echo(
                    "  "
                    + _("safe-harbour message ({regime}): {text}").format(
                        regime=config.regime.value, text=config.safe_harbour_text
                    )
                )
                typer.echo(
                    "  "
                    + (
                        _("prompt: {path} (espeak-ng; install it as <astdatadir>/sounds/.../dialer/safe-harbour)")
                        if prompt.path is not None
                        else _("prompt: not rendered: {why}")
                    ).format(path=prompt.path, why=prompt.why)
                )
            typer.echo(
                banner(
                    config.name,
                    leads=int(imported["imported"]),
                    agents=agents,
                    pbx=(
                        _("Asterisk at {host}:{port}").format(host=real.host, port=real.port)
                        if real is not None
                        else _("simulated PBX (Asterisk 22 AMI) on 127.0.0.1:{port}, time x{speed}").format(
                            port=port, speed=f"{speed:g}"
                        )
                    ),
                    base_url=base_url,
                    status_cli=status_cli,
                    cli=cli,
                    agentless=plan.agentless[0][1] if plan.agentless else None,
                    log_path=log_path,
                )
            )
        progress: asyncio.Task[None] | None = None

        async def main() -> dict[str, Any]:
            nonlocal progress

            async def report(app: Any) -> None:
                nonlocal progress
                if not as_json:
                    progress = asyncio.create_task(_progress(app))

            app.on_startup.append(report)
            try:
                return await run_demo(app, settings.http.host, http_port, seconds)
            finally:
                await cancel_and_wait(progress)

        result = asyncio.run(main())
    if as_json:
        print_json(result)
    else:
        typer.echo(finished_line(result))


async def _progress(app: Any) -> None:
    dialer = app[DIALER]
    while True:
        await asyncio.sleep(5)
        for runner in dialer.runners.values():
            c = runner.counters
            why = runner.why_not
            agents = dialer.agents.registry.agents()
            talking = sum(1 for a in agents if a.status.value == "talking")
            ready = sum(1 for a in agents if a.status.value == "ready")
            dialling = sum(1 for call in runner.in_flight.calls.values() if not call.connected)
            line = progress_line(
                runner.name,
                dialling=dialling,
                talking=talking,
                ready=ready,
                counters=c,
                not_dialling=(why.code, why.message.render()) if why is not None else None,
            )
            print(line, file=sys.stdout, flush=True)


def banner(
    campaign: str,
    *,
    leads: int,
    agents: int,
    pbx: str,
    base_url: str,
    status_cli: str,
    cli: str,
    agentless: object | None,
    log_path: Path,
) -> str:
    """The lines the demo prints when it starts, in the current language (commands and URLs as they are)."""
    lines = [
        _("dialer demo: campaign '{campaign}' with {leads} leads, {agents} simulated agents, {pbx}").format(
            campaign=campaign, leads=leads, agents=agents, pbx=pbx
        ),
        "  " + _("status: {url} (or: {command})").format(url=f"{base_url}/status", command=f"{status_cli} status"),
    ]
    if agentless is not None:
        lines.append(
            "  "
            + _("agentless: campaign 'reminder' (IVR flow 'reminder' over FastAGI, {leads})").format(leads=agentless)
        )
    lines += [
        "  " + _("report: {command}").format(command=f"{cli} report compliance --campaign {campaign}"),
        "  " + _("metrics: {url}").format(url=f"{base_url}/metrics"),
        "  " + _("log: {path} (JSON lines)").format(path=log_path),
        "  " + _("stop: Ctrl-C (drains live calls first)"),
    ]
    return "\n".join(lines)


def finished_line(result: dict[str, Any]) -> str:
    line = _(
        "demo finished: {attempts} attempts, {connected} connected, {abandoned} abandoned ({rate} of live answers), "
        "{requeued} requeued, {archived} archived"
    ).format(
        attempts=result.get("attempts", 0),
        connected=result.get("connected", 0),
        abandoned=result.get("abandoned", 0),
        rate=format_percent(float(result.get("abandon_rate", 0.0))),
        requeued=result.get("requeued", 0),
        archived=result.get("archived", 0),
    )
    cut = int(result.get("abandoned_at_the_deadline", 0))
    if cut:
        # A timed run's short drain: answered calls still waiting for an agent or in their IVR flow are hung up and,
        # like any answered call the dialer drops, recorded as abandoned.
        line += "\n  " + _(
            "{cut} of the abandoned calls were answered calls still up when the run's drain ended and hung up by "
            "the dialer (a longer --for, or Ctrl-C with the daemon's full drain, lets them finish)"
        ).format(cut=cut)
    return line


def progress_line(
    campaign: str,
    *,
    dialling: int,
    talking: int,
    ready: int,
    counters: Any,
    not_dialling: tuple[str, str] | None,
) -> str:
    """One progress line of a running campaign (every 5 s); ``not_dialling`` is why it placed no call, as
    ``dialer status`` says it: the code (which stays a code) and the sentence in the reader's language."""
    c = counters
    line = _(
        "[{campaign}] dialling {dialling} | agents talking {talking} ready {ready} | attempts {attempts} connected "
        "{connected} abandoned {abandoned} requeued {requeued} archived {archived}"
    ).format(
        campaign=campaign,
        dialling=f"{dialling:3d}",
        talking=f"{talking:2d}",
        ready=f"{ready:2d}",
        attempts=c.attempts,
        connected=c.connected,
        abandoned=c.abandoned,
        requeued=c.requeued,
        archived=c.archived,
    )
    if not_dialling is not None:
        code, detail = not_dialling
        line += " | " + _("not dialling: {code} — {detail}").format(code=code, detail=detail)
    return line
