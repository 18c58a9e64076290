"""Call legs and manual dial in the store (SQLite and PostgreSQL): legs written and read back in order, the
transfers-per-agent report, retention deleting legs with their attempts, a hand-dialled number's lead found or
created and claimed like any lead; the dialer's rules on a typed number (DNC, calling window)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from harness.lifecycle import NOW, NY, lead, setup

from dialer.callcontrol.compliance import NumberRefused, check_number
from dialer.reports.common import ReportRange
from dialer.reports.output import render
from dialer.reports.performance_scan import performance_report
from dialer.store import Database
from dialer.store.attempts import AttemptStart, start_attempt
from dialer.store.call_legs import CallLegRecord, call_legs_of, save_call_legs, transfers_per_agent
from dialer.store.dnc import add_dnc
from dialer.store.leads import get_lead
from dialer.store.lifecycle import record_disposition
from dialer.store.manual import claim_lead, lead_for_number
from dialer.store.reports import delete_attempts_before


def leg(attempt_id: int, seq: int, party: str, how: str, by: str | None, kind: str = "agent") -> CallLegRecord:
    return CallLegRecord(
        attempt_id, seq, kind, party, how, by, NOW + timedelta(seconds=seq), NOW + timedelta(seconds=seq), None, 12.5
    )


async def test_legs_are_kept_per_attempt_and_counted_per_agent(db: Database) -> None:
    _, cid = await setup(db, [lead("+12125550101", [NY]), lead("+12125550102", [NY])])
    first = await start_attempt(db, AttemptStart(lead_id=1, campaign_id=cid, phone="+12125550101", started_at=NOW))
    second = await start_attempt(db, AttemptStart(lead_id=2, campaign_id=cid, phone="+12125550102", started_at=NOW))
    await save_call_legs(db, first, [leg(first, 1, "alice", "answered", None), leg(first, 2, "bob", "warm", "alice")])
    await save_call_legs(
        db,
        second,
        [leg(second, 1, "alice", "answered", None), leg(second, 2, "closers", "blind", "alice", "queue")],
    )
    legs = await call_legs_of(db, first)
    assert [(x.seq, x.party, x.how, x.transferred_by, x.talk_seconds) for x in legs] == [
        (1, "alice", "answered", None, 12.5),
        (2, "bob", "warm", "alice", 12.5),
    ]
    report = await transfers_per_agent(db, cid)
    assert [(r.agent, r.how, r.party_kind, r.transfers) for r in report] == [
        ("alice", "blind", "queue", 1),
        ("alice", "warm", "agent", 1),
    ]
    assert await transfers_per_agent(db, cid, start=NOW + timedelta(hours=1)) == []
    # Written again (the call's last word): replaced, not doubled.
    await save_call_legs(db, first, [leg(first, 1, "alice", "answered", None)])
    assert len(await call_legs_of(db, first)) == 1
    # Retention deletes the legs with their attempts.
    assert await delete_attempts_before(db, NOW + timedelta(days=1)) == 2
    assert await call_legs_of(db, second) == []


async def test_a_hand_dialled_number_gets_a_lead_claimed_like_any(db: Database) -> None:
    _, cid = await setup(db, [lead("+12125550101", [NY])])
    assert await lead_for_number(db, cid, "+12125550101", (NY,), NOW) == 1
    created = await lead_for_number(db, cid, "+12125550199", (NY,), NOW)
    assert created != 1
    claimed = await claim_lead(db, created, "runner-1", NOW, timedelta(minutes=2))
    assert claimed is not None
    assert (claimed.status, claimed.claim_owner) == ("in_call", "runner-1")
    assert await claim_lead(db, created, "runner-2", NOW, timedelta(minutes=2)) is None  # already in a call
    stored = await get_lead(db, created)
    assert stored is not None
    assert stored.phone == "+12125550199"


async def test_a_typed_number_obeys_dnc_and_the_called_partys_window(db: Database) -> None:
    cfg, cid = await setup(db, [])
    await add_dnc(db, "+12125550177", now=NOW)
    with pytest.raises(NumberRefused) as refused:
        await check_number(db, cfg, cid, "+1 212 555 0177", NOW)
    assert refused.value.code == "dnc"
    # 14:00 UTC: 09:00 in New York (open), 06:00 in Los Angeles (closed until 08:00).
    assert (await check_number(db, cfg, cid, "(212) 555-0101", NOW)).e164 == "+12125550101"
    with pytest.raises(NumberRefused) as closed:
        await check_number(db, cfg, cid, "+1 310 555 0102", NOW)
    assert closed.value.code == "window_closed"
    with pytest.raises(NumberRefused) as invalid:
        await check_number(db, cfg, cid, "12", NOW)
    assert invalid.value.code == "invalid"


async def test_closer_conversions_in_the_performance_report(db: Database) -> None:
    """alice hands three calls to closers (bob warm, the closers queue blind twice) and makes one 3-way; bob sells
    his, carol takes one from the queue and sells it, the other queue call is not a sale."""
    cfg, cid = await setup(db, [lead(f"+1212555010{i}", [NY]) for i in range(1, 6)])
    ids = [
        await start_attempt(db, AttemptStart(lead_id=i, campaign_id=cid, phone=f"+1212555010{i}", started_at=NOW))
        for i in range(1, 6)
    ]
    warm, queued_sold, queued_lost, conference, untouched = ids
    await save_call_legs(db, warm, [leg(warm, 1, "alice", "answered", None), leg(warm, 2, "bob", "warm", "alice")])
    for attempt in (queued_sold, queued_lost):
        await save_call_legs(
            db,
            attempt,
            [leg(attempt, 1, "alice", "answered", None), leg(attempt, 2, "closers", "blind", "alice", "queue")],
        )
    await save_call_legs(
        db,
        conference,
        [
            leg(conference, 1, "alice", "answered", None),
            leg(conference, 2, "+12125550199", "conference", "alice", "external"),
        ],
    )
    await record_disposition(db, cfg, warm, "sale", NOW, agent="bob")
    await record_disposition(db, cfg, queued_sold, "sale", NOW, agent="carol")
    await record_disposition(db, cfg, queued_lost, "not_interested", NOW, agent="dave")
    await record_disposition(db, cfg, conference, "sale", NOW, agent="alice")  # a 3-way is not a closer transfer
    await record_disposition(db, cfg, untouched, "sale", NOW, agent="alice")

    report = await performance_report(db, cfg.name, ReportRange(), now=NOW)
    t = report.transfers
    [alice] = t.agents
    assert (alice.agent, alice.transfers, alice.blind, alice.warm, alice.conference) == ("alice", 4, 2, 1, 1)
    assert (alice.to_agent, alice.to_queue, alice.to_external) == (1, 2, 1)
    assert (alice.to_closers, alice.closer_sales) == (3, 2)
    assert [(c.closer, c.received, c.sales) for c in t.closers] == [("bob", 1, 1), ("carol", 1, 1), ("dave", 1, 0)]
    assert (t.closer_calls, t.closer_sales) == (3, 2)
    assert report.as_json()["transfers"]["closer_conversion"] == pytest.approx(2 / 3)

    text = render(report, "text")
    assert "closer conversion 66.67%" in text  # (Babel's percent format of the report's language)
    csv_text = render(report, "csv")
    assert "transfer_agent,alice,closer_sales,2" in csv_text
    assert "closer,carol,sales,1" in csv_text
    html = render(report, "html")
    assert "Transfers and closer conversions" in html
    assert "<td>carol</td>" in html

    # One agent's report: the transfers they made or closed.
    bob = (await performance_report(db, cfg.name, ReportRange(), agent="bob", now=NOW)).transfers
    assert [(c.closer, c.received, c.sales) for c in bob.closers] == [("bob", 1, 1)]
