"""Late dispositions in the store (SQLite and PostgreSQL): the rule applied in the disposition's own transaction,
the timeout disposition replaced, once per call, the lead moved only while the call is its latest (a DNC request
honoured whatever), the call record and the audit log keeping both facts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from harness.lifecycle import NOW, NY, lead, setup
from sqlalchemy import select

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.late_disposition import LateDispositionRefused, LateRefusal
from dialer.campaign.rules import TransitionKind
from dialer.runner.agent_calls import TIMEOUT_NOTE
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, get_attempt, start_attempt
from dialer.store.audit import audit_entries
from dialer.store.dnc import check_dnc
from dialer.store.leads import get_lead
from dialer.store.lifecycle import AlreadyDispositioned, claim_dialable, record_disposition, record_outcome
from dialer.store.tables import callbacks_t

PHONE = "+12125550101"
ENDED = NOW + timedelta(minutes=2)


async def connected_call(db: Database, cfg: CampaignConfig, cid: int, *, at: timedelta = timedelta(0)) -> int:
    """A call of the campaign's one lead that alice took and that ended (``at`` later than NOW)."""
    (claimed,) = (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=NOW + at)).leads
    attempt = await start_attempt(
        db, AttemptStart(lead_id=claimed.id, campaign_id=cid, phone=claimed.phone, started_at=NOW + at)
    )
    end = AttemptEnd(ended_at=ENDED + at, connected_at=NOW + at + timedelta(seconds=10), agent="alice")
    await record_outcome(db, cfg, attempt, Outcome.CONNECTED, end)
    return attempt


async def timed_out(db: Database, cfg: CampaignConfig, attempt: int) -> None:
    """The campaign's timeout disposition, as the runner writes it when alice's wrap-up runs out."""
    later = ENDED + timedelta(seconds=30)
    await record_disposition(db, cfg, attempt, "no_decision", later, agent="alice", notes=TIMEOUT_NOTE, timed_out=True)


async def test_the_late_disposition_replaces_the_timeouts_and_both_are_kept(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])], timeout_disposition="no_decision")
    attempt = await connected_call(db, cfg, cid)
    await timed_out(db, cfg, attempt)
    requeued = await get_lead(db, 1)
    assert requeued is not None
    assert requeued.status == "retry"

    at = ENDED + timedelta(hours=3)
    back = NOW + timedelta(days=1)
    written = await record_disposition(
        db, cfg, attempt, "callback", at, agent="alice", notes="call after lunch", callback_at=back, late_by="alice"
    )

    assert (written.transition.kind, written.replaced) == (TransitionKind.CALLBACK_SCHEDULED, "no_decision")
    stored = await get_attempt(db, attempt)
    assert stored is not None
    assert (stored.disposition, stored.timed_out_disposition, stored.notes) == (
        "callback",
        "no_decision",
        "call after lunch",
    )
    assert (stored.late_disposition_at, stored.late_disposition_by) == (at, "alice")
    booked = await get_lead(db, 1)
    assert booked is not None
    assert (booked.status, booked.callback_at, booked.callback_agent) == ("callback", back, "alice")
    async with db.read() as conn:
        assert (await conn.execute(select(callbacks_t.c.due_at))).scalars().all() == [back]
    _, entries = await audit_entries(db, target=f"call:{attempt}")
    assert [(e.actor, e.action, e.detail["code"], e.detail["replaced"]) for e in entries] == [
        ("alice", "call.late_disposition", "callback", "no_decision")
    ]


async def test_once_per_call_and_never_over_the_agents_own(db: Database) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])], timeout_disposition="no_decision")
    attempt = await connected_call(db, cfg, cid)
    await record_disposition(db, cfg, attempt, "dnc", ENDED + timedelta(minutes=5), agent="alice", late_by="alice")
    # A second one (a double click) and the timeout's arriving after it change nothing.
    with pytest.raises(LateDispositionRefused) as again:
        await record_disposition(db, cfg, attempt, "sale", ENDED + timedelta(minutes=6), agent="alice", late_by="alice")
    assert again.value.refusal is LateRefusal.DISPOSITIONED
    with pytest.raises(AlreadyDispositioned):
        await timed_out(db, cfg, attempt)
    stored = await get_attempt(db, attempt)
    assert stored is not None
    assert (stored.disposition, stored.timed_out_disposition) == ("dnc", None)
    closed = await get_lead(db, 1)
    assert closed is not None
    assert closed.status == "dnc"


async def test_two_at_once_one_wins(db: Database) -> None:
    """A double click's two requests (and the timeout's) race: the lead's lock lets one through."""
    cfg, cid = await setup(db, [lead(PHONE, [NY])], timeout_disposition="no_decision")
    attempt = await connected_call(db, cfg, cid)
    at = ENDED + timedelta(minutes=5)
    results = await asyncio.gather(
        record_disposition(db, cfg, attempt, "dnc", at, agent="alice", late_by="alice"),
        record_disposition(db, cfg, attempt, "sale", at, agent="alice", late_by="alice"),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, LateDispositionRefused)]
    assert len(refused) == 1
    _, entries = await audit_entries(db, target=f"call:{attempt}")
    assert len(entries) == 1


@pytest.mark.parametrize(
    ("agent", "at", "refusal"),
    [
        ("bob", ENDED + timedelta(minutes=5), LateRefusal.NOT_YOURS),
        ("alice", ENDED + timedelta(hours=24, seconds=1), LateRefusal.TOO_LATE),
    ],
)
async def test_refused_changes_nothing(db: Database, agent: str, at: object, refusal: LateRefusal) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])], timeout_disposition="no_decision")
    attempt = await connected_call(db, cfg, cid)
    await timed_out(db, cfg, attempt)
    with pytest.raises(LateDispositionRefused) as refused:
        await record_disposition(db, cfg, attempt, "dnc", at, agent=agent, late_by=agent)  # type: ignore[arg-type]
    assert refused.value.refusal is refusal
    stored = await get_attempt(db, attempt)
    assert stored is not None
    assert (stored.disposition, stored.late_disposition_at) == ("no_decision", None)
    assert await check_dnc(db, PHONE) == []
    _, entries = await audit_entries(db, target=f"call:{attempt}")
    assert entries == []


async def dialled_again(db: Database, cfg: CampaignConfig, cid: int, *, ended: bool) -> tuple[int, int]:
    """alice's call left without a disposition, and the lead dialled again three days later: (first, second)
    attempt; ``ended``: the second call ended unanswered (the lead requeued), else it is up now."""
    first = await connected_call(db, cfg, cid)
    redial = NOW + timedelta(days=3)
    (again,) = (await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=redial)).leads
    second = await start_attempt(db, AttemptStart(lead_id=again.id, campaign_id=cid, phone=PHONE, started_at=redial))
    if ended:
        await record_outcome(db, cfg, second, Outcome.NO_ANSWER, AttemptEnd(ended_at=redial + timedelta(seconds=30)))
    return first, second


LATER = NOW + timedelta(days=3, minutes=1)


@pytest.mark.parametrize("ended", [False, True], ids=["newer call up", "newer call ended"])
async def test_a_lead_dialled_again_since_follows_its_newer_call(db: Database, ended: bool) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])], late_disposition_hours=720)
    first, _ = await dialled_again(db, cfg, cid, ended=ended)
    before = await get_lead(db, 1)

    written = await record_disposition(db, cfg, first, "sale", LATER, agent="alice", late_by="alice")

    assert written.transition.kind is TransitionKind.RECORDED
    assert await get_lead(db, 1) == before, "the late disposition moved a lead its newer call decides"
    stored = await get_attempt(db, first)
    assert stored is not None
    assert (stored.disposition, stored.late_disposition_by) == ("sale", "alice")


@pytest.mark.parametrize("ended", [False, True], ids=["newer call up", "newer call ended"])
async def test_a_late_do_not_call_is_honoured_on_a_lead_dialled_again_since(db: Database, ended: bool) -> None:
    cfg, cid = await setup(db, [lead(PHONE, [NY])], late_disposition_hours=720)
    first, second = await dialled_again(db, cfg, cid, ended=ended)

    written = await record_disposition(db, cfg, first, "dnc", LATER, agent="alice", late_by="alice")

    assert written.transition.add_to_dnc == (PHONE,)
    assert [e.campaign for e in await check_dnc(db, PHONE)] == ["spring"]
    if not ended:  # the call up keeps its lead; its end and the claim's DNC check close it
        held = await get_lead(db, 1)
        assert held is not None
        assert held.status == "in_call"
        await record_outcome(db, cfg, second, Outcome.NO_ANSWER, AttemptEnd(ended_at=LATER + timedelta(seconds=30)))
        batch = await claim_dialable(db, cfg, campaign_id=cid, owner="r", limit=1, now=LATER + timedelta(days=3))
        assert batch.leads == []
    closed = await get_lead(db, 1)
    assert closed is not None
    assert closed.status == "dnc"
