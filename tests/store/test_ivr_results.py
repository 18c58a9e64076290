"""IVR results are stored per call, read back filtered, and every opt-out lands in the DNC list."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dialer.ivr.flow import load_flow
from dialer.sim.agentless import AgentlessSimConfig, run_agentless
from dialer.sim.ivr import CallerBehaviour
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.dnc import check_dnc
from dialer.store.ivr_results import IvrCall, ivr_results, record_ivr_results

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


async def test_agentless_results_and_opt_outs(db: Database) -> None:
    cid = (await apply_campaign(db, "remind", {}, NOW)).campaign.id
    report = run_agentless(
        AgentlessSimConfig(
            flow=load_flow(REPO / "campaigns" / "ivr" / "reminder.toml"),
            numbers=tuple(f"+1415555{i:04d}" for i in range(300)),
            start=NOW,
            max_channels=30,
            calls_per_second=3,
            target_finish=NOW + timedelta(minutes=20),
            behaviour=CallerBehaviour(keys={"1": 0.6, "2": 0.2, "3": 0.1, "": 0.1}, opt_out_during_prompt=0.05),
            agents=4,
            seed=2,
        )
    )
    flows = [(IvrCall(f"a{i}", cid, i, a.number), a.flow) for i, a in enumerate(report.attempts) if a.flow is not None]
    assert report.dnc
    assert await record_ivr_results(db, flows, now=NOW) == len(flows)
    stored = await ivr_results(db, campaign_id=cid)
    assert len(stored) == len(flows)
    assert Counter(r.result for r in stored) == Counter(f.result for _, f in flows)
    first = next(r for r in stored if r.result == "confirmed")
    assert first.path == ["greet", "menu", "confirm", "confirmed"]
    assert first.keys == [["menu", "1"]]
    assert first.steps[1]["exit"] == "1"
    assert first.listened_to_end
    for number in report.dnc:
        entries = await check_dnc(db, number)
        assert [e.campaign for e in entries] == ["remind"]
    assert await ivr_results(db, flow="other") == []
    assert await ivr_results(db, since=NOW + timedelta(days=1)) == []
