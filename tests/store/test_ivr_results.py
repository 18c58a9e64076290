"""IVR results are stored per call, read back filtered, and every opt-out lands in the DNC list."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from harness.ivr import NOW, REMINDER_FLOW, ivr_calls, reminder_run

from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import load_flow
from dialer.reports.common import ReportRange
from dialer.reports.ivr import build_ivr_report, node_funnel
from dialer.reports.output import render
from dialer.sim.agentless import AgentlessSimReport
from dialer.sim.ivr import CallerBehaviour
from dialer.store import Database
from dialer.store.campaigns import apply_campaign
from dialer.store.dnc import check_dnc
from dialer.store.ivr_results import IvrCall, ivr_results, record_ivr_results


async def stored_run(
    db: Database, numbers: int, seed: int, max_channels: int, agents: int, **options: Any
) -> tuple[int, AgentlessSimReport, list[tuple[IvrCall, FlowResult]]]:
    """The "remind" campaign applied, its reminder run (3 calls a second; ``options``: AgentlessSimConfig's) and
    every call's IVR result recorded: the campaign's id, the run's report and the calls' results."""
    cid = (await apply_campaign(db, "remind", {}, NOW)).campaign.id
    report = reminder_run(numbers, seed=seed, max_channels=max_channels, calls_per_second=3, agents=agents, **options)
    flows = ivr_calls(report, cid)
    assert await record_ivr_results(db, flows, now=NOW) == len(flows)
    return cid, report, flows


async def test_agentless_results_and_opt_outs(db: Database) -> None:
    behaviour = CallerBehaviour(keys={"1": 0.6, "2": 0.2, "3": 0.1, "": 0.1}, opt_out_during_prompt=0.05)
    target_finish = NOW + timedelta(minutes=20)
    cid, report, flows = await stored_run(db, 300, 2, 30, 4, behaviour=behaviour, target_finish=target_finish)
    assert report.dnc
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


async def test_ivr_report_figures_and_renderings(db: Database) -> None:
    behaviour = CallerBehaviour(
        keys={"1": 0.5, "2": 0.2, "3": 0.2, "": 0.1}, hangup_per_step=0.05, opt_out_during_prompt=0.05
    )
    cid, report_in, flows = await stored_run(db, 200, 4, 20, 3, behaviour=behaviour)
    span = ReportRange(None, None)
    report = build_ivr_report(await ivr_results(db, campaign_id=cid), span, title="remind")
    (flow,) = report.flows
    results = [f for _, f in flows]
    assert flow.calls == len(results)
    assert flow.machine_messages == sum(1 for f in results if f.machine and f.listened_to_end)
    assert flow.opted_out == len(report_in.dnc)
    assert flow.transferred == sum(1 for f in results if f.transferred)
    assert flow.contained == sum(1 for f in results if f.contained and not f.machine)
    assert flow.containment_rate == flow.contained / flow.people
    nodes = {n.node: n for n in flow.nodes}
    assert nodes["greet"].entries == flow.people
    assert nodes["menu"].exits.get("1", 0) == sum(1 for f in results for k in f.keys if k == ("menu", "1"))
    assert nodes["greet"].drop_offs == sum(1 for f in results if f.hung_up_at == "greet")
    assert [n.node for n in flow.nodes][:2] == ["greet", "menu"]
    chart = node_funnel(flow)
    assert chart.labels[0] == "greet"
    assert '"containment_rate"' in render(report, "json")
    assert "containment" in render(report, "text")
    assert "reminder/menu,exit:1" in render(report, "csv")
    assert "<svg" in render(report, "html")


async def test_the_fastagi_result_sink_stores_and_opts_out_the_dialled_number(db: Database) -> None:
    from harness.campaign import imported_lead

    from dialer.ivr.agi import IvrCallInfo
    from dialer.ivr.executor import DigitsEntered, FlowExecutor, PromptDone
    from dialer.store.attempts import AttemptStart, start_attempt
    from dialer.store.imports import import_leads
    from dialer.store.ivr_results import StoreResultSink
    from dialer.store.leads import find_leads_by_phone

    cid = (await apply_campaign(db, "remind", {}, NOW)).campaign.id
    lead = imported_lead(1, "+14155550142", external_id="x1")
    await import_leads(db, campaign_id=cid, rows=[lead], list_name="l", source_file="l.csv", now=NOW)
    (stored,) = await find_leads_by_phone(db, cid, "+14155550142")
    attempt = await start_attempt(db, AttemptStart(stored.id, cid, "+14155550142", NOW, caller_id="+12025550100"))
    ex = FlowExecutor(load_flow(REMINDER_FLOW))
    ex.start(NOW)
    ex.handle(PromptDone(), NOW)
    ex.handle(DigitsEntered("9"), NOW)
    ex.handle(PromptDone(), NOW)
    sink = StoreResultSink(db, {"remind": cid})
    # the channel's caller ID of an outbound call is ours: the number opted out is the attempt's
    await sink(IvrCallInfo(f"a{attempt}", "reminder", str(attempt), "remind", "+12025550100"), ex.result())
    (row,) = await ivr_results(db, campaign_id=cid)
    assert row.attempt_id == attempt
    assert row.phone == "+14155550142"
    assert row.opted_out
    assert [e.campaign for e in await check_dnc(db, "+14155550142")] == ["remind"]
    assert await check_dnc(db, "+12025550100") == []
