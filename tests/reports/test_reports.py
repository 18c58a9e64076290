"""Every report computed on the synthetic history of conftest.py, whose answers are known."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from reports_history import DAY1, DAY2, EVIL_AGENT, FORMULA_NOTE, NOW, History, phone
from typer.testing import CliRunner

from dialer.agents.ready import WRAPUP_ENDED_ANNOUNCED
from dialer.cli import app
from dialer.reports import ReportRange
from dialer.reports.calls import call_records_report, purge_call_records, write_calls_csv
from dialer.reports.common import ReportError, parse_report_range
from dialer.reports.compliance import AnswerEvent, worst_window
from dialer.reports.compliance_scan import compliance_report
from dialer.reports.output import render
from dialer.reports.performance import agent_time, contact_rate_by_hour, disposition_counts
from dialer.reports.performance_scan import performance_report
from dialer.reports.render.csv import performance_csv, safe_cell
from dialer.reports.render.html import render_compliance_html, render_performance_html
from dialer.reports.render.svg import bar_chart
from dialer.reports.render.text import render_compliance_text
from dialer.store.admin import UserChange, change_user, create_team
from dialer.store.agent_history import AgentEventRecord, record_agent_events
from dialer.store.auth import Role, create_user
from dialer.store.campaigns import UnknownCampaignError
from dialer.store.reports import AgentEventFact, agent_events


async def test_compliance_abandon_rate_counts_the_uk_amd_estimate(history: History) -> None:
    report = await compliance_report(history.db, "ukspring", ReportRange(), now=NOW)
    a = report.abandon
    assert report.regime == "UK"
    assert report.attempts == 43
    assert report.outcomes == {"abandoned": 1, "connected": 22, "machine": 10, "no_answer": 10}
    assert a.cap == pytest.approx(0.03)
    assert a.regime_window == timedelta(hours=24)
    assert a.amd_false_positive_rate == pytest.approx(0.10)
    # Whole range: 23 live answers, 1 abandoned, 10 machines x 10 % = 1 estimated live call wrongly classed.
    assert a.overall is not None
    assert (a.overall.live_answers, a.overall.abandoned, a.overall.machines) == (23, 1, 10)
    assert a.overall.rate == pytest.approx(2 / 24)
    # Worst 24 h: from the abandoned call's answer (10:30:08) -- the abandon, the 10 machines, the 14:00 re-call
    # and day 2's 10:05 call: (1 + 1) / (3 + 1).
    worst = a.worst_regime_window
    assert worst is not None
    assert worst.start == DAY1 + timedelta(hours=10, minutes=30, seconds=8)
    assert (worst.live_answers, worst.abandoned, worst.machines) == (3, 1, 10)
    assert worst.rate == pytest.approx(0.5)
    assert not worst.within_cap
    assert a.worst_24h == worst
    # Nothing answered in the 24 h before "now" (day 3, 12:00).
    assert a.current_24h.live_answers == 0
    assert a.current_24h.rate is None
    assert len(a.periods_30d) == 1
    assert a.periods_30d[0].live_answers == 23
    assert not a.within_cap
    assert not report.passed


async def test_compliance_checks_find_each_planted_violation(history: History) -> None:
    report = await compliance_report(history.db, "ukspring", ReportRange(), now=NOW)
    window = report.check("calling_window")
    assert (window.checked, window.violations) == (43, 1)
    assert window.examples[0].phone == phone(38)
    assert "22:30 Europe/London" in window.examples[0].detail
    recall = report.check("recall_after_abandon")
    assert recall.required
    assert recall.violations == 1
    assert recall.examples[0].lead_id == history.lead_ids[21]
    assert recall.examples[0].detail.startswith("re-called 3.5 h")
    dnc = report.check("dnc")
    assert dnc.violations == 1
    assert dnc.examples[0].phone == phone(40)
    assert dnc.figures["campaign_dnc_entries"] == 1
    ring = report.check("minimum_ring")
    assert (ring.checked, ring.violations) == (10, 1)
    assert ring.examples[0].phone == phone(37)
    assert ring.figures["shortest_seconds"] == pytest.approx(10.0)
    caller = report.check("caller_id")
    assert caller.violations == 1
    assert caller.examples[0].phone == phone(39)
    connect = report.check("connect_time")
    assert (connect.checked, connect.violations, connect.required) == (22, 0, False)
    body = report.as_json()
    assert body["calls_outside_window"] == 1
    assert json.loads(json.dumps(body))["abandon_rate"]["worst_regime_window"]["rate"] == pytest.approx(0.5)


async def test_compliance_range_keeps_the_72h_lookback(history: History) -> None:
    # Only calls from 13:00 on day 1: the re-call at 14:00 still sees the 10:30 abandon before the range.
    span = ReportRange(DAY1 + timedelta(hours=13), DAY2 + timedelta(days=1))
    report = await compliance_report(history.db, "ukspring", span, now=NOW)
    assert report.attempts == 4  # re-call 21, lead 16 callback call, lead 38 at 22:30, day 2 lead 11
    assert report.check("recall_after_abandon").violations == 1
    assert report.check("calling_window").violations == 1
    assert report.abandon.overall is not None
    assert report.abandon.overall.abandoned == 0
    assert report.abandon.within_cap


async def test_compliance_renders_text_html_and_safe_csv(history: History) -> None:
    report = await compliance_report(history.db, "ukspring", ReportRange(), now=NOW)
    text = render_compliance_text(report)
    assert "calling_window: FAIL — 1 of 43 calls" in text
    page = render_compliance_html(report)
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert "@media print" in page


def test_worst_window_prefers_the_highest_rate_and_more_evidence() -> None:
    t = DAY1
    events = [
        AnswerEvent(t, True, False, False),
        AnswerEvent(t + timedelta(hours=1), True, True, False),
        AnswerEvent(t + timedelta(hours=2), True, False, False),
    ]
    w = worst_window(events, timedelta(hours=24), 0.03)
    assert w is not None
    assert (w.start, w.live_answers, w.abandoned) == (t + timedelta(hours=1), 2, 1)
    assert worst_window([], timedelta(hours=24), 0.03) is None


async def test_performance_figures(history: History) -> None:
    r = await performance_report(history.db, "ukspring", ReportRange(), now=NOW)
    assert (r.attempts, r.connected, r.abandoned, r.machines, r.live_answers) == (43, 22, 1, 10, 23)
    assert r.contact_rate == pytest.approx(23 / 43)
    assert r.sales == 7
    assert r.conversion == pytest.approx(7 / 22)
    assert r.mean_talk_seconds == pytest.approx(120.0)
    assert r.talk_seconds_total == pytest.approx(22 * 120.0)
    assert r.mean_answer_to_agent_seconds == pytest.approx(1.0)
    # FCR: leads 1-10 (sale / not interested) and lead 21 (its first connected call is the re-call: sale) of the
    # 21 leads connected; lead 11's first connected call was "no decision".
    assert (r.leads_connected, r.leads_resolved_first_contact) == (21, 11)
    assert r.fcr == pytest.approx(11 / 21)
    cb = r.callbacks
    assert (cb.due, cb.kept_on_time, cb.kept_late, cb.missed, cb.pending) == (3, 1, 0, 1, 1)
    hours = {h.hour: (h.attempts, h.live_answers) for h in r.hours if h.attempts}
    assert hours == {10: (22, 22), 11: (10, 0), 12: (8, 0), 14: (1, 1), 15: (1, 0), 22: (1, 0)}
    assert r.attempts_per_lead == {1: 37, 2: 3}
    assert (r.leads_total.total, r.leads_total.dialled) == (40, 40)
    disp = {d.code: d.count for d in r.dispositions}
    assert disp == {
        "sale": 7,
        "not_interested": 5,
        "callback": 3,
        "no_decision": 5,
        "wrong_party": 0,
        "dnc": 0,
        "answering_machine": 0,
    }
    assert r.undispositioned == 2
    agents = {a.agent: (a.calls, a.sales) for a in r.agents}
    assert agents == {"a1": (11, 4), "a2": (10, 3), EVIL_AGENT: (1, 0)}

    # The daemon records every agent state change (agent_events): ACW and occupancy come from it.
    assert r.agent_history
    t0 = DAY1 + timedelta(hours=9)
    changes = [
        (0, "ready", None),
        (10, "talking", None),
        (20, "wrapup", None),
        (22, "ready", WRAPUP_ENDED_ANNOUNCED),
        (30, "paused", "lunch"),
        (60, "logged_out", None),
    ]
    await record_agent_events(
        history.db,
        [AgentEventRecord("a1", t0 + timedelta(minutes=m), status, None, why, None) for m, status, why in changes],
    )
    assert len(await agent_events(history.db, None, None) or []) == len(changes)
    r = await performance_report(history.db, "ukspring", ReportRange(DAY1, DAY2), now=NOW)
    a1 = next(a for a in r.agents if a.agent == "a1")
    # 60 min logged in: 10 talking + 2 wrap-up + 18 ready + 30 paused; 2 min of after-call work over 11 calls.
    assert a1.occupancy == pytest.approx(12 / 60)
    assert a1.acw_seconds == pytest.approx(120 / 11)
    assert (a1.ready_announced_share, r.ready_announced_share) == (1.0, 1.0)  # its one wrap-up, announced


async def test_performance_filters_by_agent_and_dates(history: History) -> None:
    r = await performance_report(history.db, "ukspring", ReportRange(), agent="a1", now=NOW)
    assert (r.attempts, r.connected, r.sales) == (11, 11, 4)
    assert [a.agent for a in r.agents] == ["a1"]
    # Callbacks are kept by anyone's call: the filtered report still sees lead 16's 15:05 call.
    assert r.callbacks.kept_on_time == 1
    day2 = await performance_report(history.db, "ukspring", ReportRange(DAY2, DAY2 + timedelta(days=1)), now=NOW)
    assert (day2.attempts, day2.connected, day2.sales) == (1, 1, 1)
    assert day2.leads_resolved_first_contact == 1


async def test_performance_gives_each_teams_agents_together(history: History) -> None:
    r = await performance_report(history.db, "ukspring", ReportRange(), now=NOW)
    assert r.teams is None  # no user in a team: per agent only, and the report says so
    assert any("no agent was in a team" in n for n in r.notes)
    await create_team(history.db, "north", NOW, actor="admin")
    for name in ("a1", "a2"):
        await create_user(history.db, name, Role.AGENT, "x", NOW)
    await change_user(history.db, "a1", UserChange(team="north"), DAY1, actor="admin")
    r = await performance_report(history.db, "ukspring", ReportRange(), now=NOW)
    assert r.teams is not None
    # a2 and the agent with the formula-like name are in no team: together, last.
    assert [(t.team, t.agents, t.calls, t.sales) for t in r.teams] == [("north", 1, 11, 4), (None, 2, 11, 3)]
    north = r.teams[0]
    a1 = next(a for a in r.agents if a.agent == "a1")
    assert (north.conversion, north.mean_talk_seconds) == (a1.conversion, a1.mean_talk_seconds)
    assert not any("no agent was in a team" in n for n in r.notes)
    assert r.as_json()["teams"][0] == north.as_json()
    out = io.StringIO()
    performance_csv(r, out)
    assert ["team", "north", "calls", "11"] in list(csv.reader(io.StringIO(out.getvalue())))
    assert "north" in render(r, "text")
    page = render_performance_html(r)
    assert "<h2>Teams</h2>" in page
    assert "(no team)" in page
    one = await performance_report(history.db, "ukspring", ReportRange(), agent="a1", now=NOW)
    assert one.teams is None  # one agent's report: their figures are the team row


async def test_a_team_gets_what_its_agents_did_while_they_were_its_members(history: History) -> None:
    """a1 is in north from day 1 and moves to south at 12:00 (before their 14:00 call); a2 joins north on day 2
    (their day-1 calls are no team's, their day-2 call north's). A call counts for the team its agent was in when it
    started; an agent's time for the team they were in at that moment."""
    for team in ("north", "south"):
        await create_team(history.db, team, DAY1, actor="admin")
    for name in ("a1", "a2"):
        await create_user(history.db, name, Role.AGENT, "x", DAY1)
    moves = [("a1", "north", DAY1), ("a1", "south", DAY1 + timedelta(hours=12)), ("a2", "north", DAY2)]
    for name, team, at in moves:
        await change_user(history.db, name, UserChange(team=team), at, actor="admin")
    t0 = DAY1 + timedelta(hours=9)
    changes = [
        (0, "ready"),
        (10, "talking"),
        (20, "wrapup"),
        (22, "ready"),
        (30, "paused"),
        (60, "logged_out"),  # north: 60 min logged in, 12 occupied
        (240, "ready"),
        (270, "talking"),
        (285, "logged_out"),  # south: 45 min logged in, 15 occupied
    ]
    await record_agent_events(
        history.db, [AgentEventRecord("a1", t0 + timedelta(minutes=m), state, None, None, None) for m, state in changes]
    )
    r = await performance_report(history.db, "ukspring", ReportRange(DAY1, DAY2 + timedelta(days=1)), now=NOW)
    assert r.teams is not None
    figures = {t.team: t for t in r.teams}
    assert [(t.team, t.agents, t.calls, t.sales) for t in r.teams] == [
        ("north", 2, 11, 4),  # a1's ten morning calls (3 sales), a2's day-2 sale
        ("south", 1, 1, 1),  # a1's 14:00 sale
        (None, 2, 10, 2),  # a2's day-1 calls, the formula-named agent's
    ]
    assert figures["north"].occupancy == pytest.approx(12 / 60)
    assert figures["south"].occupancy == pytest.approx(15 / 45)
    assert figures["south"].acw_seconds == 0.0
    # The agents' own rows are theirs whatever the team.
    assert {a.agent: (a.calls, a.sales) for a in r.agents}["a1"] == (11, 4)
    assert next(a for a in r.agents if a.agent == "a1").occupancy == pytest.approx(27 / 105)
    # A period before any spell: nobody was in a team then.
    before = await performance_report(history.db, "ukspring", ReportRange(DAY1 - timedelta(days=1), DAY1), now=NOW)
    assert before.teams is None


def test_agent_time_and_occupancy_from_state_history() -> None:
    t = DAY1
    events = [
        AgentEventFact("x", t - timedelta(seconds=50), "ready", None),  # state at the range start
        AgentEventFact("x", t + timedelta(seconds=100), "talking", None),
        AgentEventFact("x", t + timedelta(seconds=200), "wrapup", None),
        AgentEventFact("x", t + timedelta(seconds=230), "ready", None),
        AgentEventFact("x", t + timedelta(seconds=300), "paused", "break"),
        AgentEventFact("x", t + timedelta(seconds=360), "logged_out", None),
    ]
    spent = agent_time(events, t, t + timedelta(seconds=400))["x"]
    assert (spent.logged_in, spent.ready, spent.talking, spent.wrapup, spent.paused) == (360, 170, 100, 30, 60)
    assert spent.occupancy == pytest.approx(130 / 360)


def test_the_share_of_wrapups_announced_counts_each_wrapup_where_it_ends() -> None:
    t = DAY1
    events = [
        AgentEventFact("x", t - timedelta(seconds=20), "wrapup", None),  # ends in the range: counted
        AgentEventFact("x", t + timedelta(seconds=10), "ready", WRAPUP_ENDED_ANNOUNCED),
        AgentEventFact("x", t + timedelta(seconds=100), "talking", "agent_connect"),
        AgentEventFact("x", t + timedelta(seconds=200), "wrapup", "call_ended_by_caller"),
        AgentEventFact("x", t + timedelta(seconds=230), "ready", "disposition"),
        AgentEventFact("x", t + timedelta(seconds=300), "talking", "agent_connect"),
        AgentEventFact("x", t + timedelta(seconds=350), "wrapup", "call_ended_by_agent"),
        AgentEventFact("x", t + timedelta(seconds=360), "paused", "lunch"),  # announced, then a pause: not kept
        AgentEventFact("x", t + timedelta(seconds=370), "talking", "agent_connect"),
        AgentEventFact("x", t + timedelta(seconds=390), "wrapup", "call_ended_by_caller"),
        AgentEventFact("x", t + timedelta(seconds=420), "ready", WRAPUP_ENDED_ANNOUNCED),  # ends after the range
    ]
    spent = agent_time(events, t, t + timedelta(seconds=400))["x"]
    assert (spent.wrapups, spent.wrapups_announced) == (3, 1)
    assert spent.ready_announced_share == pytest.approx(1 / 3)
    assert agent_time(events[2:5], t, t + timedelta(seconds=400))["x"].ready_announced_share == 0.0
    assert agent_time(events[2:4], t, t + timedelta(seconds=400))["x"].ready_announced_share is None  # none ended


async def test_performance_exports_charts_and_page(history: History) -> None:
    r = await performance_report(history.db, "ukspring", ReportRange(), now=NOW)
    svg = bar_chart(contact_rate_by_hour(r))
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "<title>10: 100%</title>" in svg
    assert "<script" not in svg
    assert "Sale" in bar_chart(disposition_counts(r))  # the dispositions by their (translated) labels
    out = io.StringIO()
    performance_csv(r, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["section", "item", "metric", "value"]
    assert ["summary", "ukspring", "attempts", "43"] in rows
    agent_cells = {row[1] for row in rows if row[0] == "agent"}
    assert "'" + EVIL_AGENT in agent_cells
    assert EVIL_AGENT not in agent_cells
    page = render_performance_html(r)
    assert "<svg" in page
    assert EVIL_AGENT.replace("'", "&#x27;") in page  # escaped, not markup


async def test_call_records_and_formula_safe_export(history: History) -> None:
    report = await call_records_report(history.db, "ukspring", ReportRange(), limit=5)
    assert (report.total, len(report.records)) == (43, 5)
    first = report.records[0]
    assert (first.number, first.outcome, first.agent, first.disposition) == (phone(1), "connected", "a1", "sale")
    assert (first.ring_seconds, first.wait_seconds, first.talk_seconds) == (10.0, 1.0, 120.0)
    assert first.duration_seconds == pytest.approx(131.0)
    out = io.StringIO()
    n = await write_calls_csv(history.db, history.campaign_id, ReportRange(), out)
    assert n == 43
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 43
    assert rows[0]["notes"] == "'" + FORMULA_NOTE
    assert rows[0]["number"] == "'" + phone(1)  # + starts a formula in some spreadsheets
    assert any(row["agent"] == "'" + EVIL_AGENT for row in rows)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row.values())


def test_safe_cell_neutralises_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell(-3) == -3  # numbers stay numbers
    assert safe_cell("plain") == "plain"
    assert safe_cell(None) == ""


async def test_purge_keeps_recent_records(history: History) -> None:
    from dialer.inbound.calls import InboundOutcome
    from dialer.store.inbound_calls import InboundCallRecord, inbound_calls, record_inbound_calls

    # Inbound callers' visits hold their numbers too: purged with the attempts, by when they called.
    old, recent = DAY2 - timedelta(hours=1), DAY2 + timedelta(hours=1)
    await record_inbound_calls(
        history.db,
        [InboundCallRecord(None, "care", phone(90), when, when, InboundOutcome.REFUSED, 0.0) for when in (old, recent)],
    )
    assert await purge_call_records(history.db, older_than=DAY2, dry_run=True) == 43
    assert await purge_call_records(history.db, older_than=DAY2) == 43
    report = await call_records_report(history.db, "ukspring", ReportRange())
    assert report.total == 1
    assert report.records[0].number == phone(11)
    assert [v.joined_at for v in await inbound_calls(history.db)] == [recent]


async def test_unknown_campaign_and_bad_range(history: History) -> None:
    with pytest.raises(UnknownCampaignError):
        await compliance_report(history.db, "nope", ReportRange(), now=NOW)
    with pytest.raises(ReportError):
        ReportRange(DAY2, DAY1)


def test_cli_reports_on_a_given_database(sqlite_history: History, tmp_path: Path, cli: CliRunner) -> None:
    db = ["--database", sqlite_history.url]
    page = tmp_path / "compliance.html"
    result = cli.invoke(app, ["report", "compliance", "--campaign", "ukspring", "--json", "--html", str(page), *db])
    assert result.exit_code == 2, result.output  # the planted violations fail the report
    assert "Compliance report — ukspring" in page.read_text()
    body = json.loads(result.stdout)
    assert body["calls_outside_window"] == 1
    assert body["abandon_rate"]["overall"]["live_answers"] == 23
    chart = tmp_path / "hours.svg"
    result = cli.invoke(
        app, ["report", "performance", "--campaign", "ukspring", "--to", "2026-03-02", "--chart", str(chart), *db]
    )
    assert result.exit_code == 0, result.output
    assert "attempts 42, live answers 22" in result.stdout
    assert chart.read_text().startswith("<svg")
    assert (tmp_path / "hours-dispositions.svg").is_file()
    result = cli.invoke(app, ["report", "compliance", "--campaign", "ukspring", "--csv", *db])
    assert result.exit_code == 2
    assert result.stdout.startswith("section,item,metric,value")
    result = cli.invoke(app, ["report", "purge-calls", "--retention-days", "10000", *db])
    assert result.exit_code == 0, result.output
    assert "would delete (add --yes) 0 call records" in result.stdout
    result = cli.invoke(app, ["report", "calls", "--campaign", "ukspring", "--csv", "--agent", "a2", *db])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1 + 10
    result = cli.invoke(app, ["report", "compliance", "--campaign", "nope", *db])
    assert result.exit_code == 1
    assert "nope" in result.stderr
    result = cli.invoke(app, ["report", "compliance", "--campaign", "ukspring", "--from", "yesterday", *db])
    assert result.exit_code != 0


def test_parse_report_range() -> None:
    span = parse_report_range("2026-03-02", "2026-03-02")
    assert (span.start, span.end) == (DAY1, DAY2)  # an end date includes its whole day
    span = parse_report_range("2026-03-02T10:00:00+01:00", None)
    assert span.start == DAY1 + timedelta(hours=9)
    assert span.end is None
    assert parse_report_range("2026-03-02T10:00", "").start == DAY1 + timedelta(hours=10)  # UTC when no zone
    for bad in (("yesterday", None), ("2026-03-03", "2026-03-01")):
        with pytest.raises(ReportError):
            parse_report_range(*bad)
