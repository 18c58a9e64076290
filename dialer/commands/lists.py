"""`dialer lists ...`: a campaign's lead lists (enable, priority, share, expiry) and recycling leads by rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from dialer.calls.outcome import Outcome
from dialer.commands.common import CampaignOption, JsonFlag, cli_actor, fail, failing, print_json, stored_campaign
from dialer.commands.db import run_with_database
from dialer.i18n import M_, _, format_datetime
from dialer.lists.recycle import RecycleRule
from dialer.lists.schedule import RecycleSchedule, ScheduleError
from dialer.store import Database
from dialer.store.lists import (
    ListView,
    RecycleResult,
    ScheduleView,
    UnknownListError,
    list_campaign_zone,
    list_views,
    recycle_leads,
    set_recycle_schedule,
    update_list,
)

app = typer.Typer(help="Lead lists: enable or disable, priority or share mix, expiry, recycle.", no_args_is_help=True)
_AGE = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_age(text: str) -> timedelta:
    match = _AGE.match(text.strip())
    if match is None:
        raise typer.BadParameter(str(M_("{text}: write an age like 90m, 1h or 3d", text=repr(text))))
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_rule(text: str) -> RecycleRule:
    """``OUTCOME:AGE``, e.g. ``no_answer:3d``, ``busy:1h``, ``machine:90m``."""
    outcome, _, age = text.partition(":")
    match = _AGE.match(age.strip())
    try:
        parsed = Outcome(outcome.strip())
    except ValueError:
        outcomes = ", ".join(o.value for o in Outcome)
        raise typer.BadParameter(
            str(M_("{outcome} is not an outcome ({outcomes})", outcome=repr(outcome), outcomes=outcomes))
        ) from None
    if match is None:
        raise typer.BadParameter(str(M_("{text}: write OUTCOME:AGE with AGE like 90m, 1h or 3d", text=repr(text))))
    try:
        return RecycleRule(parsed, timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    except (ValueError, OverflowError) as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("show")
def lists_show(
    ctx: typer.Context,
    campaign: CampaignOption,
    as_json: JsonFlag = False,
) -> None:
    """The campaign's lists: enabled, priority, share, expiry and leads per status."""

    async def work(db: Database) -> list[ListView]:
        record, _ = await stored_campaign(db, campaign)
        return await list_views(db, record.id)

    views = run_with_database(ctx, work, create=False)
    now = datetime.now(UTC)
    if as_json:
        print_json({"lists": [v.public(now) for v in views]})
        return
    if not views:
        typer.echo(_("no lists"))
    for v in views:
        state = _("enabled") if v.enabled else _("disabled")
        if v.valid_until is not None:
            until = _("expired {at}") if v.valid_until <= now else _("expires {at}")
            state += ", " + until.format(at=format_datetime(v.valid_until))
        mix = _("priority {n}").format(n=v.priority) + (
            ", " + _("share {n}").format(n=f"{v.share:g}") if v.share else ""
        )
        counts = ", ".join(f"{s} {n}" for s, n in sorted(v.statuses.items())) or _("no leads")
        typer.echo(f"{v.id:>6}  {v.name}  ({state}; {mix})  {counts}")


@app.command("set")
def lists_set(
    ctx: typer.Context,
    list_id: Annotated[int, typer.Argument(help="the list's id (see `dialer lists show`)")],
    enable: Annotated[bool | None, typer.Option("--enable/--disable", help="give the claim its leads or not")] = None,
    priority: Annotated[int | None, typer.Option("--priority", min=-1000, max=1000, help="higher first")] = None,
    share: Annotated[float | None, typer.Option("--share", min=0, help="weight in the share mix; 0 clears")] = None,
    expires: Annotated[
        datetime | None, typer.Option("--expires", help="ISO time (UTC unless it says otherwise)")
    ] = None,
    never_expires: Annotated[bool, typer.Option("--never-expires", help="clear the expiry")] = False,
) -> None:
    """Change a list's settings (audited)."""
    changes: dict[str, object] = {}
    if share is not None:
        changes["share"] = share or None
    if expires is not None and never_expires:
        fail(_("give --expires or --never-expires, not both"))
    if expires is not None:
        changes["valid_until"] = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    elif never_expires:
        changes["valid_until"] = None

    async def work(db: Database) -> None:
        with failing(UnknownListError):
            await update_list(
                db,
                list_id,
                datetime.now(UTC),
                actor=cli_actor(),
                enabled=enable,
                priority=priority,
                **changes,  # type: ignore[arg-type]
            )

    run_with_database(ctx, work)
    typer.echo(_("list {id} updated").format(id=list_id))


@app.command("recycle")
def lists_recycle(
    ctx: typer.Context,
    campaign: CampaignOption,
    rule: Annotated[list[str], typer.Option("--rule", help="OUTCOME:AGE, e.g. no_answer:3d busy:1h (repeatable)")],
    list_id: Annotated[list[int] | None, typer.Option("--list", help="only this list (repeatable)")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="recycle; without it, only count (dry run)")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Make leads whose last attempt matches a rule due again (never archived, DNC, closed or over-budget ones;
    calling windows and the attempt budget still apply). Counts only unless --apply."""
    rules = [parse_rule(r) for r in rule]
    if len({r.outcome for r in rules}) != len(rules):
        fail(_("one rule per outcome"))

    async def work(db: Database) -> RecycleResult:
        record, config = await stored_campaign(db, campaign)
        return await recycle_leads(
            db,
            campaign_id=record.id,
            campaign_name=record.name,
            config=config,
            rules=rules,
            now=datetime.now(UTC),
            list_ids=list_id or None,
            dry_run=not apply,
            actor=cli_actor(),
        )

    result = run_with_database(ctx, work)
    if as_json:
        print_json(result.public())
        return
    verb = _("{n} leads recycled") if apply else _("{n} leads would be recycled (dry run: add --apply)")
    typer.echo(verb.format(n=result.recycled))
    for label, n in sorted(result.by_rule.items()):
        typer.echo(f"  {label}: {n}")


@app.command("schedule")
def lists_schedule(
    ctx: typer.Context,
    list_id: Annotated[int, typer.Argument(help="the list's id (see `dialer lists show`)")],
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="OUTCOME:AGE, e.g. no_answer:3d busy:1h (repeatable)")
    ] = None,
    every: Annotated[str | None, typer.Option("--every", help="how often the daemon applies them: 30m, 6h, 1d")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="or when: a crontab line, e.g. '0 9 * * mon-fri' (read in --zone)")
    ] = None,
    zone: Annotated[
        str | None, typer.Option("--zone", help="the IANA zone --at is read in (default: the campaign's timezone)")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="stop recycling this list on a schedule")] = False,
) -> None:
    """Recycle LIST_ID by rules on a schedule (run by `dialer run`, audited as scheduler); --off removes it."""
    if off:
        if rule or every or at:
            fail(_("give --off alone, or --rule and --every (or --at)"))
    elif not rule or (every is None) == (at is None):
        fail(_("give --rule (at least one) and either --every or --at, or --off"))
    rules = tuple(parse_rule(r) for r in rule or ())
    interval = None if every is None else parse_age(every)

    async def work(db: Database) -> ScheduleView | None:
        nonlocal zone
        with failing(ScheduleError, UnknownListError):
            schedule: RecycleSchedule | None = None
            if not off:
                if zone is None:
                    zone = await list_campaign_zone(db, list_id)
                schedule = RecycleSchedule(rules, interval, at, zone)
            return await set_recycle_schedule(db, list_id, schedule, datetime.now(UTC), actor=cli_actor())

    view = run_with_database(ctx, work)
    if view is None:
        typer.echo(_("list {list}: no scheduled recycling").format(list=list_id))
    else:
        next_run = f"{view.next_run_at:%Y-%m-%d %H:%M}"
        if every is not None:
            line = _("list {list}: recycled every {every}, next run {time} UTC")
            typer.echo(line.format(list=list_id, every=every, time=next_run))
        else:
            line = _("list {list}: recycled at '{at}' ({zone}), next run {time} UTC")
            typer.echo(line.format(list=list_id, at=at, zone=zone, time=next_run))
