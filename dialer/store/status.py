"""Lead counts and "why is nothing dialling": SQL aggregates for the whole campaign, the pure rules on a sample.

At 10 M leads a full pass through the rules would take minutes, so the report is in two parts:
- exact counts per status, and for claimable statuses how many are due now vs waiting (one GROUP BY over the
  (campaign, status, due) index);
- the rules' verdict on a bounded sample of the due leads, in claim order (the leads the dialer would take
  next): dialable now, or the reason it is not (calling window closed in one of the zones, DNC since import,
  UK recall gap ...).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, literal_column, select, text
from sqlalchemy.sql import ColumnElement

from dialer.campaign.config import CampaignConfig
from dialer.campaign.rules import LeadStatus, NotDialableReason, dialability
from dialer.store.dnc import blocked_numbers
from dialer.store.engine import Database
from dialer.store.imports import IMPORTING, staged_counts
from dialer.store.leads import LeadRecord, lacks_consent_or_request, lead_record, snapshot
from dialer.store.records import public_fields
from dialer.store.tables import CLAIMABLE_SQL, CLAIMABLE_STATUSES, leads_t

# Status of a lead that is not claimable -> the reason code the rules would give.
_STATUS_REASON = {
    LeadStatus.DONE.value: NotDialableReason.DONE.value,
    LeadStatus.ARCHIVED.value: NotDialableReason.ARCHIVED.value,
    LeadStatus.DNC.value: NotDialableReason.DNC.value,
    LeadStatus.EXHAUSTED.value: NotDialableReason.MAX_ATTEMPTS.value,
    LeadStatus.IN_CALL.value: NotDialableReason.IN_CALL.value,
}
_WAIT_REASON = {
    LeadStatus.NEW.value: NotDialableReason.RETRY_WAIT.value,
    LeadStatus.RETRY.value: NotDialableReason.RETRY_WAIT.value,
    LeadStatus.CALLBACK.value: NotDialableReason.CALLBACK_WAIT.value,
}


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Where a campaign's leads stand: counts per status, how many are due, and why the others cannot be dialled."""

    campaign: str
    now: datetime
    total: int
    by_status: dict[str, int]
    due_now: int  # claimable and due by the SQL pre-filter
    waiting: int  # claimable, due later
    next_due_at: datetime | None
    not_dialable: dict[str, int]  # reason -> exact count (status-based and waiting)
    sample_size: int
    sample_dialable: int
    sample_reasons: dict[str, int]  # reason -> count among the sampled due leads

    def as_json(self) -> dict[str, object]:
        fields = "campaign now total by_status due_now waiting next_due_at not_dialable"
        return {
            **public_fields(self, fields, rename={"now": "at"}),
            "due_sample": {
                "size": self.sample_size,
                "dialable": self.sample_dialable,
                "reasons": self.sample_reasons,
            },
        }


async def lead_status(
    db: Database, campaign: CampaignConfig, campaign_id: int, now: datetime, *, sample: int = 500
) -> StatusReport:
    c = leads_t.c
    due = case((c.next_dialable_at <= now, 1), else_=0)
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(c.status, func.count(), func.sum(due)).where(c.campaign_id == campaign_id).group_by(c.status)
            )
        ).all()
        # Per status, so each query is one seek or one short walk in an index (never a sort of millions).
        next_due: datetime | None = None
        sampled: list[LeadRecord] = []
        for status in CLAIMABLE_STATUSES:
            literal_status: ColumnElement[str] = literal_column(f"'{status}'")
            first_later = (
                await conn.execute(
                    select(func.min(c.next_dialable_at)).where(
                        c.campaign_id == campaign_id, c.status == literal_status, c.next_dialable_at > now
                    )
                )
            ).scalar_one_or_none()
            if first_later is not None and (next_due is None or first_later < next_due):
                next_due = first_later
            # The sample: the due leads the claimer would take next, in the claim index's order.
            found = await conn.execute(
                select(leads_t)
                .where(
                    c.campaign_id == campaign_id,
                    c.status == literal_status,
                    text(CLAIMABLE_SQL),
                    c.next_dialable_at <= now,
                )
                .order_by(c.priority.desc(), c.next_dialable_at)
                .limit(sample)
            )
            sampled.extend(lead_record(r) for r in found.mappings().all())
        sampled.sort(key=lambda lead: (-lead.priority, lead.next_dialable_at))
        del sampled[sample:]
        blocked = await blocked_numbers(conn, [lead.phone for lead in sampled], campaign_id)
        staged = sum((await staged_counts(conn, campaign_id)).values())
        without_consent = 0
        if campaign.regime_preset.requires_consent:
            # CN: claimable leads without recorded consent, nor a callback they asked for, are never dialled (a scan,
            # bounded by the campaign).
            without_consent = (
                await conn.execute(
                    select(func.count()).where(
                        c.campaign_id == campaign_id, text(CLAIMABLE_SQL), lacks_consent_or_request()
                    )
                )
            ).scalar_one()

    # Leads of an import still running are archived in the table but "importing" to the reader.
    counted: list[tuple[str, int, int]] = [
        (s, int(n) - (staged if s == LeadStatus.ARCHIVED.value else 0), int(d or 0)) for s, n, d in rows
    ]
    counted = [r for r in counted if r[1] > 0] + ([(IMPORTING, staged, 0)] if staged else [])

    by_status = {status: int(count) for status, count, _ in counted}
    due_now = sum(int(d or 0) for status, _, d in counted if status in CLAIMABLE_STATUSES)
    waiting = sum(int(n) - int(d or 0) for status, n, d in counted if status in CLAIMABLE_STATUSES)
    not_dialable: Counter[str] = Counter()
    for status, count, d in counted:
        if status == IMPORTING:
            not_dialable[IMPORTING] += int(count)
        elif status in _STATUS_REASON:
            not_dialable[_STATUS_REASON[status]] += int(count)
        elif status in _WAIT_REASON and int(count) - int(d or 0) > 0:
            not_dialable[_WAIT_REASON[status]] += int(count) - int(d or 0)
    if without_consent:
        not_dialable[NotDialableReason.NO_CONSENT.value] += int(without_consent)

    reasons: Counter[str] = Counter()
    dialable_count = 0
    for lead in sampled:
        verdict = dialability(snapshot(lead, campaign.name), campaign, now, on_dnc=lead.phone in blocked)
        if verdict.dialable:
            dialable_count += 1
        elif verdict.reason is not None:
            reasons[verdict.reason.value] += 1
    return StatusReport(
        campaign=campaign.name,
        now=now,
        total=sum(by_status.values()),
        by_status=dict(sorted(by_status.items())),
        due_now=due_now,
        waiting=waiting,
        next_due_at=next_due,
        not_dialable=dict(not_dialable.most_common()),
        sample_size=len(sampled),
        sample_dialable=dialable_count,
        sample_reasons=dict(reasons.most_common()),
    )
