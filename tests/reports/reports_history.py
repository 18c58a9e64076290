"""A synthetic campaign history whose every report figure is known, built through the store's own repositories
(start_attempts / record_outcome / record_disposition) with controlled times, on a temporary SQLite database.

UK regime (24 h window, 3 % cap, 72 h no-recall), AMD on with the regime's 10 % false-positive estimate.
Leads are in London (UTC in March, so local hour = UTC hour). Monday 2 March 2026 ("day 1") unless said:

* leads 1-20: connected at 10:00 + i min (answer +10 s, agent +11 s, talk 120 s), agents a1 (odd) / a2 (even);
  dispositions: 1-5 sale, 6-10 not_interested, 11-15 no_decision, 16 callback (due 15:00), 17 callback (due
  16:00), 18 callback (due day 3 18:00), 19-20 none.
* lead 21: abandoned at 10:30 (answered 10:30:08); re-called 14:00 (3.5 h later: a 72 h violation), connected
  (agent a1), sale.
* leads 22-31: machines at 11:00 + i min.
* leads 32-36: no answer at 12:00 + i min, 25 s of ringing; lead 37: no answer after 10 s (short ring).
* lead 38: no answer at 22:30 (calling window 08:00-21:00: outside).
* lead 39: no answer at 12:30 without caller ID.
* lead 40: on the campaign DNC list since 09:00, called 12:40 (no answer): a DNC violation.
* lead 16: called 15:05 (no answer): its 15:00 callback kept on time.
* day 2 (3 March) 10:05: lead 11 again, connected (agent a2), sale.
* lead 1's call notes hold a spreadsheet formula; lead 20's call was handled by agent "=cmd|' /C calc'!A0".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig, load_campaign
from dialer.store import Database
from dialer.store.attempts import AttemptEnd, AttemptStart, start_attempts
from dialer.store.campaigns import apply_campaign
from dialer.store.dnc import add_dnc
from dialer.store.leads import NewLead, insert_new_leads
from dialer.store.lifecycle import record_disposition, record_outcome
from dialer.store.tables import leads_t

DAY1 = datetime(2026, 3, 2, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
NOW = DAY1 + timedelta(days=2, hours=12)  # day 3, 12:00
LONDON = "Europe/London"
CALLER_ID = "+442079460000"
EVIL_AGENT = "=cmd|' /C calc'!A0"
FORMULA_NOTE = '=HYPERLINK("http://evil.example","x")'


def phone(n: int) -> str:
    return f"+447700900{n:03d}"


def campaign_config() -> CampaignConfig:
    return load_campaign(
        {
            "name": "ukspring",
            "queue": "sales",
            "trunk": "PJSIP/{number}@carrier",
            "regime": "UK",
            "caller_id": {"number": CALLER_ID},
            "amd": {"enabled": True},
        }
    )


@dataclass
class History:
    db: Database
    config: CampaignConfig
    campaign_id: int
    lead_ids: dict[int, int]  # lead number (1..40) -> id
    url: str


async def _call(
    h: History,
    n: int,
    at: datetime,
    outcome: Outcome,
    *,
    ring: float = 10.0,
    talk: float = 120.0,
    agent: str | None = None,
    caller_id: str | None = CALLER_ID,
    disposition: str | None = None,
    callback_at: datetime | None = None,
    notes: str | None = None,
) -> int:
    (attempt_id,) = await start_attempts(
        h.db,
        [
            AttemptStart(
                lead_id=h.lead_ids[n], campaign_id=h.campaign_id, phone=phone(n), started_at=at, caller_id=caller_id
            )
        ],
    )
    answered = at + timedelta(seconds=ring) if outcome.is_live_answer or outcome is Outcome.MACHINE else None
    connected = answered + timedelta(seconds=1) if outcome is Outcome.CONNECTED and answered else None
    if connected is not None:
        ended = connected + timedelta(seconds=talk)
    elif answered is not None:
        ended = answered + timedelta(seconds=3)
    else:
        ended = at + timedelta(seconds=ring)
    await record_outcome(
        h.db,
        h.config,
        attempt_id,
        outcome,
        AttemptEnd(
            ended_at=ended,
            ring_seconds=ring,
            answered_at=answered,
            connected_at=connected,
            agent=agent,
            amd_status="MACHINE" if outcome is Outcome.MACHINE else ("HUMAN" if answered else None),
        ),
    )
    if disposition is not None:
        await record_disposition(
            h.db,
            h.config,
            attempt_id,
            disposition,
            ended + timedelta(seconds=20),
            agent=agent,
            notes=notes,
            callback_at=callback_at,
            callback_personal=False,
        )
    return attempt_id


async def build_history(db: Database, url: str) -> History:
    config = campaign_config()
    cid = (await apply_campaign(db, config.name, config.model_dump(mode="json"), DAY1)).campaign.id
    leads = [NewLead(phone=phone(n), status="new", next_dialable_at=DAY1, tz_candidates=[LONDON]) for n in range(1, 41)]
    async with db.write() as conn:
        await insert_new_leads(conn, cid, None, leads, DAY1)
        rows = (await conn.execute(leads_t.select().where(leads_t.c.campaign_id == cid))).mappings().all()
    by_phone = {r["phone"]: r["id"] for r in rows}
    h = History(db, config, cid, {n: by_phone[phone(n)] for n in range(1, 41)}, url)
    await add_dnc(
        db, phone(40), campaign_id=cid, source="manual", reason="asked by letter", now=DAY1 + timedelta(hours=9)
    )

    dispositions = {n: "sale" for n in range(1, 6)} | {n: "not_interested" for n in range(6, 11)}
    dispositions |= {n: "no_decision" for n in range(11, 16)} | {16: "callback", 17: "callback", 18: "callback"}
    callbacks = {
        16: DAY1 + timedelta(hours=15),
        17: DAY1 + timedelta(hours=16),
        18: DAY1 + timedelta(days=2, hours=18),
    }
    for n in range(1, 21):
        await _call(
            h,
            n,
            DAY1 + timedelta(hours=10, minutes=n - 1),
            Outcome.CONNECTED,
            agent=EVIL_AGENT if n == 20 else ("a1" if n % 2 else "a2"),
            disposition=dispositions.get(n),
            callback_at=callbacks.get(n),
            notes=FORMULA_NOTE if n == 1 else None,
        )
    await _call(h, 21, DAY1 + timedelta(hours=10, minutes=30), Outcome.ABANDONED, ring=8.0)
    for i, n in enumerate(range(22, 32)):
        await _call(h, n, DAY1 + timedelta(hours=11, minutes=i), Outcome.MACHINE)
    for i, n in enumerate(range(32, 37)):
        await _call(h, n, DAY1 + timedelta(hours=12, minutes=i), Outcome.NO_ANSWER, ring=25.0)
    await _call(h, 37, DAY1 + timedelta(hours=12, minutes=10), Outcome.NO_ANSWER, ring=10.0)
    await _call(h, 39, DAY1 + timedelta(hours=12, minutes=30), Outcome.NO_ANSWER, ring=25.0, caller_id=None)
    await _call(h, 40, DAY1 + timedelta(hours=12, minutes=40), Outcome.NO_ANSWER, ring=25.0)
    await _call(h, 21, DAY1 + timedelta(hours=14), Outcome.CONNECTED, agent="a1", disposition="sale")
    await _call(h, 16, DAY1 + timedelta(hours=15, minutes=5), Outcome.NO_ANSWER, ring=25.0)
    await _call(h, 38, DAY1 + timedelta(hours=22, minutes=30), Outcome.NO_ANSWER, ring=25.0)
    await _call(h, 11, DAY2 + timedelta(hours=10, minutes=5), Outcome.CONNECTED, agent="a2", disposition="sale")
    return h
