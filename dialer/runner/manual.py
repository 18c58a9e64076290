"""Manual dial: an agent dials a number (or a lead found by search) by hand, straight to their own phone, under the
dialer's own rules (:mod:`dialer.callcontrol.compliance`: DNC, the called party's calling window, caller ID, the
trunk gate); the attempt, its outcome and its disposition are handled like any call of the campaign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.callcontrol.compliance import NumberRefused, check_rules, read_number
from dialer.campaign.phones import time_zones_for_e164
from dialer.i18n import M_
from dialer.logging import get_logger
from dialer.runner.originate import Originator
from dialer.runner.preview import Preview
from dialer.runner.state import CampaignContext
from dialer.store.attempts import start_attempts
from dialer.store.claim import Release, release_leads
from dialer.store.dnc import blocked_numbers
from dialer.store.leads import get_lead, snapshot
from dialer.store.manual import claim_lead, lead_for_number

log = get_logger(__name__)


class ManualDial:
    def __init__(self, ctx: CampaignContext, originator: Originator, preview: Preview) -> None:
        self.ctx = ctx
        self.originator = originator
        self.preview = preview  # (its readiness check: a manual dial is a preview dial the agent typed)

    async def dial(self, agent_id: str, *, number: str | None = None, lead_id: int | None = None) -> int:
        """Returns the attempt id; raises ``NumberRefused`` with the reason."""
        ctx = self.ctx
        config = ctx.config
        if not config.call_control.manual_dial:
            raise NumberRefused("not_allowed", M_("campaign {name} does not allow manual dial", name=ctx.name))
        self.preview.require_ready(agent_id)
        if not ctx.pool.any_up():
            raise RuntimeError(M_("no Asterisk server connected"))
        wall = datetime.fromtimestamp(ctx.clock.now(), UTC)
        if lead_id is None:
            if not number:
                raise NumberRefused("invalid", M_("give a number or a lead"))
            e164 = read_number(number, config)
            lead_id = await lead_for_number(ctx.db, ctx.campaign_id, e164, time_zones_for_e164(e164), wall)
        lead = await get_lead(ctx.db, lead_id)
        if lead is None or lead.campaign_id != ctx.campaign_id:
            raise LookupError(M_("lead {lead_id} is not in campaign {campaign}", lead_id=lead_id, campaign=ctx.name))
        async with ctx.db.read() as conn:
            on_dnc = bool(await blocked_numbers(conn, [lead.phone], ctx.campaign_id))
        check_rules(snapshot(lead, ctx.name), config, wall, on_dnc=on_dnc)
        claimed = await claim_lead(ctx.db, lead.id, ctx.owner, wall, timedelta(seconds=config.lease_seconds))
        if claimed is None:
            raise NumberRefused(
                lead.status, M_("lead {id} cannot be dialled now (it is {status})", id=lead.id, status=lead.status)
            )
        if ctx.pool.choose(ctx.clock.now(), only=None) is None:
            await release_leads(ctx.db, ctx.owner, [Release(claimed.id)], wall)
            raise NumberRefused("no_trunk_room", M_("no trunk room now"))
        agent = await ctx.agents.reserve_for_preview(agent_id, ctx.config.queue)
        start = self.originator.attempt_start(claimed, wall)
        (attempt_id,) = await start_attempts(ctx.db, [start])
        log.info("manual_dial", campaign=ctx.name, agent=agent_id, attempt_id=attempt_id, lead_id=claimed.id)
        if not await self.originator.originate(attempt_id, start, predictive=False, agent=agent):
            await ctx.agents.end_preview(agent_id)
            raise RuntimeError(M_("the call could not be placed"))
        return attempt_id
