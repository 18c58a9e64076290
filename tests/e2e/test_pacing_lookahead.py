"""The runner feeds the pacer the answer rates of the leads it will dial next: each by its history and the called
party's local hour (dialer.runner.lookahead); the leads claimed are struck off the look-ahead."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from harness.e2e import make_world
from sqlalchemy import select

from dialer.runner.lookahead import local_hour
from dialer.store.claim import upcoming_leads
from dialer.store.lifecycle import claim_order
from dialer.store.tables import attempts_t


async def test_the_pacer_is_told_the_next_leads_rates(tmp_path: Path) -> None:
    async with make_world(
        tmp_path, campaign={"dial_mode": "predictive"}, us_leads=12, japan_leads=0, agents=3, crew=False,
        state="paused",
    ) as world:  # fmt: skip
        runner = world.dialer.runner("e2e")
        ctx, loop = runner.ctx, runner.pacing
        now = ctx.clock.now()
        await loop.look_ahead(now)
        ahead = loop.lookahead.leads
        assert ahead, "the campaign's due leads are read ahead of the claim"
        assert all(lead.zone is not None and lead.zone.startswith("America/") for lead in ahead)
        snapshot = loop.snapshot(now)
        assert list(snapshot.next_answer_rates) == [
            ctx.stats.answer_rate(local_hour(now, lead.zone), lead.history) for lead in ahead
        ]
        assert snapshot.hour_of_day == local_hour(now, ahead[-1].zone)
        upcoming = await upcoming_leads(
            ctx.db, campaign_id=ctx.campaign_id, limit=50, now=datetime.fromtimestamp(now, UTC),
            order=claim_order(ctx.config),
        )  # fmt: skip
        assert [lead.lead_id for lead in ahead] == [r.id for r in upcoming]

        await world.dialer.set_campaign("e2e", "start")
        await world.quiesce()
        async with ctx.db.read() as conn:
            dialled = set((await conn.execute(select(attempts_t.c.lead_id))).scalars())
        assert dialled
        assert not dialled & {lead.lead_id for lead in loop.lookahead.leads}
