"""`dialer status`: what each campaign is doing and, when it is not dialling, why."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import aiohttp
import typer

from dialer.commands.common import cli_context, fail, print_json
from dialer.i18n import _, current_locale
from dialer.settings import Settings


async def fetch_status(settings: Settings) -> dict[str, Any] | None:
    """The running daemon's /status, or None when no daemon answers on the configured HTTP address."""
    url = f"{settings.http.url}/status"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session,
            session.get(url, headers={"Accept-Language": current_locale()}) as resp,
        ):
            body: dict[str, Any] = await resp.json()
            return body
    except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError):
        return None


def _mode(campaign: dict[str, Any]) -> str:
    """How the campaign dials: its dial mode, or for an agentless one its IVR flow."""
    agentless = campaign.get("agentless")
    if agentless:
        return _("agentless, IVR flow {flow}").format(flow=agentless.get("flow") or "—")
    return str(campaign["dial_mode"])


def render(status: dict[str, Any]) -> str:
    lines = []
    servers = status.get("servers", {})
    for name, ami in status.get("ami", {}).items():
        line = _("AMI {name}: {state} ({reason}), {channels} channels").format(
            name=name, state=_("up") if ami["up"] else _("DOWN"), reason=ami["reason"], channels=ami["channels_in_use"]
        )
        if name in servers:  # its agents and the calls placed there (README "Several Asterisk servers")
            by_status = servers[name]["agents_by_status"]
            agents = ", ".join(f"{n} {s}" for s, n in by_status.items()) or _("no agents")
            line += "; " + agents + "; " + _("{n} calls up").format(n=servers[name]["calls_in_flight"])
        lines.append(line)
    agents = status.get("agents", [])
    by_state: dict[str, int] = {}
    for agent in agents:
        by_state[agent["status"]] = by_state.get(agent["status"], 0) + 1
    lines.append(
        _("agents: {agents}").format(
            agents=", ".join(f"{n} {s}" for s, n in sorted(by_state.items())) or _("none logged in")
        )
    )
    rule = status.get("service_level_rule") or {}
    for queue in status.get("inbound", []):
        hour = queue["last_hour"]
        longest = queue["longest_waiting_seconds"]
        lines.append(
            _(
                "inbound {queue}: {waiting} waiting (longest {longest}); last hour {offered} offered, {answered} "
                "answered, service level {level} (target {target} within {seconds} s), {abandoned} abandoned"
            ).format(
                queue=queue["queue"],
                waiting=queue["waiting"],
                longest=_("n/a") if longest is None else f"{longest:.0f} s",
                offered=hour["offered"],
                answered=hour["answered"],
                level=_("n/a") if hour["service_level"] is None else f"{hour['service_level']:.0%}",
                target=f"{rule.get('target', 0.8):.0%}",
                seconds=f"{rule.get('answer_within_seconds', 20):g}",
                abandoned=hour["abandoned"],
            )
        )
    for campaign in status.get("campaigns", []):
        c = campaign["counters"]
        window = campaign["abandon_window"]
        lines.append(
            _(
                "campaign {campaign} [{state}, {mode}]: {attempts} attempts, {connected} connected, {abandoned} "
                "abandoned, {requeued} requeued, {archived} archived; {up} calls up; abandon {rate} of {live} live "
                "answers (cap {cap} per {hours} h)"
            ).format(
                campaign=campaign["campaign"],
                state=campaign["state"],
                mode=_mode(campaign),
                attempts=c["attempts"],
                connected=c["connected"],
                abandoned=c["abandoned"],
                requeued=c["requeued"],
                archived=c["archived"],
                up=campaign["calls_in_flight"],
                rate=f"{window['rate']:.2%}",
                live=f"{window['live_answers']:g}",  # whole unless an AMD false-positive estimate is in
                cap=f"{window['cap']:.0%}",
                hours=f"{window['hours']:g}",
            )
        )
        why = campaign.get("why_not_dialing")
        if why:
            extra = ", ".join(f"{k}: {v}" for k, v in sorted(why.get("breakdown", {}).items()))
            lines.append(
                "  "
                + _("not dialling: {code} — {detail}").format(code=why["code"], detail=why["detail"])
                + (f" ({extra})" if extra else "")
            )
    return "\n".join(lines)


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document (the daemon's /status).")] = False,
) -> None:
    """Each campaign's state, counters and why it is not dialling (asks the running daemon). Exit status 3 when no
    daemon answers (as an init script's status: not running)."""
    settings = cli_context(ctx).settings()
    body = asyncio.run(fetch_status(settings))
    if body is None:
        message = _("no dialer daemon answers on {url} (is `dialer run` up?)").format(url=settings.http.url)
        if as_json:
            print_json({"daemon": "not running", "error": message})
            raise typer.Exit(3)
        fail(message, 3)
    if as_json:
        print_json(body)
    else:
        typer.echo(render(body))
