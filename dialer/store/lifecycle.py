"""The lead lifecycle against the database, driven by the campaign's pure rules (dialer.campaign.rules).

The store never decides anything itself: it loads rows into ``LeadSnapshot``s, asks ``dialability`` /
``apply_outcome`` / ``apply_disposition``, and writes the answer back, the lead row and the attempt row in one
transaction.

Why one module (over 500 lines): the claim (leads out to dial) and the outcome / disposition writes (leads back)
are the two ends of one lead lifecycle: both turn rows into ``LeadSnapshot``s with :func:`snapshot`, write the
rules' answer with the same row mapping, and announce the same archive transitions to the webhook outbox in the
same transaction; apart, each half would import the other's private helpers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig
from dialer.campaign.late_disposition import CallDispositionState, late_disposition_refusal, refusal_error
from dialer.campaign.rules import (
    TERMINAL_STATUSES,
    LeadSnapshot,
    LeadStatus,
    LeadTransition,
    NotDialableReason,
    TransitionKind,
    apply_disposition,
    apply_outcome,
    carries_callbacks_over,
    dialability,
    with_pending_callback,
)
from dialer.logging import get_logger
from dialer.store.attempts import AttemptEnd, AttemptStart, attempt_record, start_attempts_in
from dialer.store.audit import audit_in
from dialer.store.callbacks import (
    callbacks_dropped_in,
    carry_over_in,
    pending_callback_in,
    schedule_callback_in,
)
from dialer.store.changes import not_none
from dialer.store.claim import ClaimOrder, Owned, Release, claim_in, release_in
from dialer.store.dnc import add_dnc_in
from dialer.store.engine import Database, in_write_transaction
from dialer.store.leads import LeadRecord, lead_record, snapshot
from dialer.store.tables import CLAIMABLE_STATUSES, IN_CALL_STATUS, attempts_t, leads_t
from dialer.store.webhooks import enqueue_in
from dialer.webhooks import events
from dialer.webhooks.core import WebhookEvent, lead_values, render_url

# A lead moving into one of these is announced as archived (lead.archived); "done" is a closed sale or refusal.
ARCHIVED_STATUSES = frozenset({LeadStatus.ARCHIVED.value, LeadStatus.DNC.value, LeadStatus.EXHAUSTED.value})

# A lead whose time rules can never be met as configured (no time zone with fallback "skip", zones without a
# common window) is looked at again this much later: a corrected campaign file then brings it back.
RECHECK_IMPOSSIBLE_AFTER = timedelta(days=1)
log = get_logger(__name__)


class UnknownAttemptError(LookupError):
    pass


def _row_values(lead: LeadSnapshot, now: datetime) -> dict[str, object]:
    values: dict[str, object] = {
        "phone": lead.phone,
        "alt_phones": list(lead.alt_phones),
        "tz_candidates": list(lead.tz_candidates),
        "postal_zones": list(lead.postal_zones),
        "status": lead.status.value,
        "attempts": lead.attempts,
        "dials": lead.dials,
        "priority": lead.priority,
        "last_outcome": lead.last_outcome.value if lead.last_outcome else None,
        "last_disposition": lead.last_disposition,
        "last_attempt_at": lead.last_attempt_at,
        "last_abandon_at": lead.last_abandon_at,
        "archive_reason": lead.archive_reason,
        "callback_at": lead.callback_at,
        "callback_agent": lead.callback_agent,
        "claim_owner": lead.claimed_by,
        "lease_expires_at": lead.claim_expires_at,
        "updated_at": now,
    }
    if lead.claimed_by is None:
        values["claimed_from"] = None
    if lead.next_dialable_at is not None:  # None: closed for good; the column keeps its last value
        values["next_dialable_at"] = lead.next_dialable_at
    return values


def claim_order(campaign: CampaignConfig) -> ClaimOrder:
    return ClaimOrder(callbacks_first=campaign.ordering.callbacks_first, new_share=campaign.ordering.new_share)


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    """Leads to dial now (held by the claimer), and the candidates put back, counted by reason."""

    leads: list[LeadRecord]
    set_aside: dict[str, int] = field(default_factory=dict)


def _set_aside(lead: LeadRecord, reason: NotDialableReason, next_at: datetime | None, now: datetime) -> Release:
    if reason is NotDialableReason.DNC:
        return Release(lead.id, status=LeadStatus.DNC.value, archive_reason="dnc")
    if reason in (NotDialableReason.MAX_ATTEMPTS, NotDialableReason.MAX_DIALS):
        return Release(lead.id, status=LeadStatus.EXHAUSTED.value, archive_reason=reason.value)
    return Release(lead.id, next_dialable_at=next_at or now + RECHECK_IMPOSSIBLE_AFTER)


async def claim_and_start_attempts(
    db: Database,
    campaign: CampaignConfig,
    *,
    campaign_id: int,
    owner: str,
    limit: int,
    now: datetime,
    start: Callable[[LeadRecord], AttemptStart],
    agents: Collection[str] = (),
    owned: Owned = Owned.NO,
) -> tuple[ClaimBatch, list[tuple[int, AttemptStart]]]:
    """:func:`claim_dialable` and the write-ahead attempt rows of the leads kept (``start(lead)`` each), in one
    transaction: a pacing step costs one write transaction, and a claim is never committed without its attempts.
    Returns the batch and ``(attempt id, start)`` in the batch's order. Urgent: an agent may be waiting for it."""
    async with db.write(urgent=True) as conn:
        batch = await claim_dialable_in(
            conn, campaign, campaign_id=campaign_id, owner=owner, limit=limit, now=now, agents=agents, owned=owned
        )
        starts = [start(lead) for lead in batch.leads]
        ids = await start_attempts_in(conn, starts)
    return batch, list(zip(ids, starts, strict=True))


async def claim_dialable_in(
    conn: AsyncConnection,
    campaign: CampaignConfig,
    *,
    campaign_id: int,
    owner: str,
    limit: int,
    now: datetime,
    agents: Collection[str] = (),
    max_rounds: int = 4,
    owned: Owned = Owned.NO,
) -> ClaimBatch:
    """Claim up to ``limit`` leads that the campaign's rules allow dialling at ``now``, in the caller's write
    transaction (``claim_dialable``: in one of its own).

    Each round is one atomic claim; candidates the rules refuse (calling window closed in one of their zones,
    number on a DNC list since import, budget spent) go straight back with their next possible time, so they
    stop coming up. At most ``max_rounds`` claims, so a campaign whose due leads are all outside their window
    costs a bounded amount of work per call. ``owned``: only due callbacks still waiting for their agents (those of
    ``agents``: :class:`dialer.store.claim.Owned`).
    """
    lease = timedelta(seconds=campaign.lease_seconds)
    order = claim_order(campaign)
    kept: list[LeadRecord] = []
    reasons: Counter[str] = Counter()
    wanted = limit
    for _ in range(max_rounds):
        if wanted <= 0:
            break
        # Each round: claim, DNC re-check, the rules, and the give-back of refused candidates.
        batch, on_dnc = await claim_in(
            conn,
            campaign_id=campaign_id,
            owner=owner,
            limit=wanted,
            now=now,
            lease=lease,
            order=order,
            agents=agents,
            owner_grace=campaign.personal_callback_grace,
            owned=owned,
        )
        if not batch:
            break
        releases: list[Release] = []
        for lead in batch:
            agent = lead.callback_agent if lead.callback_agent in agents else None
            before = snapshot(lead, campaign.name, before_claim=True)
            verdict = dialability(before, campaign, now, on_dnc=lead.id in on_dnc, agent=agent)
            if verdict.dialable:
                kept.append(lead)
            else:
                assert verdict.reason is not None
                reasons[verdict.reason.value] += 1
                releases.append(_set_aside(lead, verdict.reason, verdict.next_dialable_at, now))
        if releases:
            await release_in(conn, owner, releases, now)
            dropped = await callbacks_dropped_in(conn, [r.lead_id for r in releases if r.status is not None], now)
            archived = [
                events.lead_archived(
                    lead_id=r.lead_id, campaign_id=campaign_id, status=r.status, reason=r.archive_reason, at=now
                )
                for r in releases
                if r.status is not None and r.status in ARCHIVED_STATUSES
            ]
            await enqueue_in(conn, [*archived, *dropped], now)
        if len(batch) < wanted:
            break  # nothing more is due
        wanted = limit - len(kept)
    if reasons:
        log.debug("claim set leads aside", campaign=campaign.name, kept=len(kept), reasons=dict(reasons))
    return ClaimBatch(kept, dict(reasons))


claim_dialable = in_write_transaction(claim_dialable_in)


# -- outcomes and dispositions ---------------------------------------------------------------------------------


class AttemptAlreadyClosed(LookupError):
    """The attempt has its outcome already (another daemon that followed the same call wrote it first)."""


_ATTEMPT_CAMPAIGN = "attempt_campaign_id"
_ATTEMPT_ENDED = "attempt_ended_at"


async def _lock_lead_of_attempt(
    conn: AsyncConnection, attempt_id: int, *, open_only: bool = False
) -> tuple[int, LeadRecord]:
    """The attempt's campaign and its lead row (locked on PostgreSQL), in one statement; ``open_only`` raises
    :class:`AttemptAlreadyClosed` if the attempt has its outcome already."""
    stmt = (
        select(
            leads_t,
            attempts_t.c.campaign_id.label(_ATTEMPT_CAMPAIGN),
            attempts_t.c.ended_at.label(_ATTEMPT_ENDED),
        )
        .join(attempts_t, attempts_t.c.lead_id == leads_t.c.id)
        .where(attempts_t.c.id == attempt_id)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=leads_t)
    row = (await conn.execute(stmt)).mappings().first()
    if row is None:
        raise UnknownAttemptError(f"no attempt {attempt_id}")
    if open_only and row[_ATTEMPT_ENDED] is not None:
        raise AttemptAlreadyClosed(f"attempt {attempt_id} already has its outcome")
    return row[_ATTEMPT_CAMPAIGN], lead_record(row)


async def _write_transition(
    conn: AsyncConnection,
    campaign_id: int,
    lead_id: int,
    transition: LeadTransition,
    now: datetime,
    *,
    was: str,
    attempt_id: int | None = None,
) -> None:
    """The lead's new state (and DNC entries), with their webhook events (lead.archived, callback.cancelled,
    optout.added) in the same transaction. ``was``: the lead's status before."""
    await conn.execute(update(leads_t).where(leads_t.c.id == lead_id).values(**_row_values(transition.lead, now)))
    dropped: list[WebhookEvent] = []
    if transition.lead.status in TERMINAL_STATUSES:
        dropped = await callbacks_dropped_in(conn, [lead_id], now)
    announced: list[WebhookEvent] = []
    status = transition.lead.status.value
    if status in ARCHIVED_STATUSES and was != status:
        announced.append(
            events.lead_archived(
                lead_id=lead_id,
                campaign_id=campaign_id,
                status=status,
                reason=transition.lead.archive_reason,
                at=now,
                attempt_id=attempt_id,
            )
        )
    await enqueue_in(conn, [*announced, *dropped], now)
    # The lead's own lead.archived is the transition's to announce (above), not the DNC entries'.
    await _list_asked_numbers(conn, transition, campaign_id, lead_id, now, skip_archived_event=(lead_id,))


async def _list_asked_numbers(
    conn: AsyncConnection,
    transition: LeadTransition,
    campaign_id: int,
    lead_id: int,
    now: datetime,
    *,
    skip_archived_event: Collection[int] = (),
) -> None:
    """The numbers the called party asked not to be called again (``transition.add_to_dnc``, none: nothing to do)
    put on the campaign's DNC list as the agent's entries."""
    if transition.add_to_dnc:
        await add_dnc_in(
            conn,
            list(transition.add_to_dnc),
            campaign_id,
            source="agent",
            reason="called party asked",
            now=now,
            lead_id=lead_id,
            skip_archived_event=skip_archived_event,
        )


async def _phone_taken(conn: AsyncConnection, campaign_id: int, phone: str, lead_id: int) -> bool:
    found = await conn.execute(
        select(leads_t.c.id).where(
            leads_t.c.campaign_id == campaign_id, leads_t.c.phone == phone, leads_t.c.id != lead_id
        )
    )
    return found.first() is not None


async def record_outcome(
    db: Database,
    campaign: CampaignConfig,
    attempt_id: int,
    outcome: Outcome,
    end: AttemptEnd,
    *,
    inferred: bool = False,
) -> LeadTransition:
    """Close the attempt with ``outcome`` and move its lead on (requeue, archive, exhaust, ...) atomically.
    ``inferred``: the outcome is the conservative count of a call whose end was not seen (``outcome_inferred``).

    Raises :class:`AttemptAlreadyClosed` (changing nothing) if the attempt has its outcome already."""
    async with db.write() as conn:
        campaign_id, lead = await _lock_lead_of_attempt(conn, attempt_id, open_only=True)
        if outcome is Outcome.CONNECTED and await _marked_machine(conn, campaign, attempt_id):
            outcome = Outcome.MACHINE  # the agent said so before the hangup (``Disposition.is_machine``)
        transition = await _move_lead(conn, campaign, campaign_id, lead, outcome, end.ended_at, attempt_id)
        await _close_attempt(
            conn, attempt_id, outcome, end, campaign_id=campaign_id, lead_id=lead.id, inferred=inferred
        )
    return transition


async def _marked_machine(conn: AsyncConnection, campaign: CampaignConfig, attempt_id: int) -> bool:
    """The attempt's disposition (already given) marks an answering machine."""
    code = (await conn.execute(select(attempts_t.c.disposition).where(attempts_t.c.id == attempt_id))).scalar()
    disposition = campaign.disposition(code) if code else None
    return disposition is not None and disposition.is_machine


async def _move_lead(
    conn: AsyncConnection,
    campaign: CampaignConfig,
    campaign_id: int,
    lead: LeadRecord,
    outcome: Outcome,
    now: datetime,
    attempt_id: int | None = None,
) -> LeadTransition:
    current = snapshot(lead, campaign.name)
    transition = apply_outcome(current, outcome, campaign, now)
    # A bad number moves the lead to its next alternative phone; if another lead of the campaign already has
    # that number (one lead per number per campaign), skip it and let the rules pick again.
    while transition.kind is TransitionKind.SWITCHED_PHONE and await _phone_taken(
        conn, campaign_id, transition.lead.phone, lead.id
    ):
        current = replace(current, alt_phones=tuple(p for p in current.alt_phones if p != transition.lead.phone))
        transition = apply_outcome(current, outcome, campaign, now)
    # The callbacks this call kept, if it found the number dead and the lead moved to its next phone, carry over to
    # it (pending again); then the soonest pending callback holds the lead.
    carried: list[WebhookEvent] = []
    if attempt_id is not None and carries_callbacks_over(transition):
        carried = await carry_over_in(conn, lead.id, attempt_id, now)
    transition = with_pending_callback(transition, await pending_callback_in(conn, lead.id))
    await _write_transition(conn, campaign_id, lead.id, transition, now, was=lead.status, attempt_id=attempt_id)
    await enqueue_in(conn, carried, now)
    return transition


async def _close_attempt(
    conn: AsyncConnection,
    attempt_id: int,
    outcome: Outcome,
    end: AttemptEnd,
    *,
    campaign_id: int,
    lead_id: int,
    inferred: bool = False,
) -> None:
    """Write the attempt's end, and announce it (call.ended) in the same transaction."""
    values: dict[str, object] = {
        "ended_at": end.ended_at,
        "outcome": outcome.value,
        "abandoned": outcome is Outcome.ABANDONED,
        "outcome_inferred": inferred,
    }
    learnt = ("hangup_cause", "ring_seconds", "answered_at", "connected_at", "amd_status", "amd_cause", "agent")
    values.update(not_none(**{name: getattr(end, name) for name in learnt}))
    await conn.execute(update(attempts_t).where(attempts_t.c.id == attempt_id).values(**values))
    ended = events.call_ended(
        attempt_id=attempt_id,
        lead_id=lead_id,
        campaign_id=campaign_id,
        outcome=outcome.value,
        ended_at=end.ended_at,
        abandoned=outcome is Outcome.ABANDONED,
        inferred=inferred,
        details=values,
    )
    await enqueue_in(conn, [ended], end.ended_at)


async def _latest_attempt_of_lead(conn: AsyncConnection, lead_id: int) -> int | None:
    found = await conn.execute(select(func.max(attempts_t.c.id)).where(attempts_t.c.lead_id == lead_id))
    latest = found.scalar_one_or_none()
    return None if latest is None else int(latest)


def _held_by_another(lead: LeadRecord, owner: str, now: datetime) -> bool:
    """A live claim (lease not run out) of some other claimer: that daemon is alive and may be dialling it."""
    return (
        lead.status == IN_CALL_STATUS
        and lead.claim_owner not in (None, owner)
        and lead.lease_expires_at is not None
        and lead.lease_expires_at >= now
    )


async def close_orphaned_attempt(
    db: Database,
    campaign: CampaignConfig,
    attempt_id: int,
    outcome: Outcome,
    end: AttemptEnd,
    *,
    owner: str,
    now: datetime,
    inferred: bool = True,
) -> LeadTransition | None:
    """Close an attempt whose call ended while no daemon followed it (its daemon died; dialer.calls.adoption).
    ``inferred``: the outcome is a conservative guess (the call ended unseen), not what the PBX reported (a call
    seen ending on the wire, dialer.calls.witness).

    The lead moves on as for any outcome only if this attempt is its latest and no live claim of another
    claimer holds it; otherwise only the call record is closed (the lead was dialled again since, or is someone
    else's now). Returns the lead's transition, or None if the lead was left alone. Raises
    :class:`AttemptAlreadyClosed` if the attempt has its outcome already."""
    async with db.write() as conn:
        campaign_id, lead = await _lock_lead_of_attempt(conn, attempt_id, open_only=True)
        transition: LeadTransition | None = None
        if await _latest_attempt_of_lead(conn, lead.id) == attempt_id and not _held_by_another(lead, owner, now):
            transition = await _move_lead(conn, campaign, campaign_id, lead, outcome, end.ended_at, attempt_id)
        await _close_attempt(
            conn, attempt_id, outcome, end, campaign_id=campaign_id, lead_id=lead.id, inferred=inferred
        )
    return transition


async def adopt_lead_claim(db: Database, attempt_id: int, *, owner: str, now: datetime, until: datetime) -> bool:
    """Hold the lead of an adopted call (its call is still up): the dead claimer's claim becomes ours, or, if the
    expired-lease sweep already gave the lead back, it is claimed again so nobody dials it while the call is up.

    Only the lead's latest attempt takes it (a lead dialled again since belongs to that newer call), and a lead
    closed for good is left closed. Returns whether this daemon now holds the lead."""
    async with db.write() as conn:
        _, lead = await _lock_lead_of_attempt(conn, attempt_id, open_only=True)
        if await _latest_attempt_of_lead(conn, lead.id) != attempt_id:
            return False
        values: dict[str, object] = {"claim_owner": owner, "lease_expires_at": until, "updated_at": now}
        if lead.status != IN_CALL_STATUS:
            if lead.status not in CLAIMABLE_STATUSES:
                return False
            values |= {"status": IN_CALL_STATUS, "claimed_from": lead.status}
        await conn.execute(update(leads_t).where(leads_t.c.id == lead.id).values(**values))
    return True


@dataclass(frozen=True, slots=True)
class DispositionWritten:
    """A disposition as written: the lead's transition and, when it marked a machine on a call already recorded
    connected, when that call ended (its live answer is to be taken back out of the abandon rate); ``replaced``:
    the timeout disposition a late one replaced."""

    transition: LeadTransition
    machine_ended_at: datetime | None = None
    replaced: str | None = None


class AlreadyDispositioned(LookupError):
    """The campaign's timeout disposition of a call that has one already (its agent's late one came first)."""


async def _disposition_state(conn: AsyncConnection, attempt_id: int) -> CallDispositionState:
    record = await attempt_record.one_in(conn, select(attempts_t).where(attempts_t.c.id == attempt_id))
    return record.disposition_state()


async def _late_moves_lead(conn: AsyncConnection, lead: LeadRecord, attempt_id: int) -> bool:
    """A late disposition moves the lead only if its call is the lead's latest and no call holds the lead now: a
    lead dialled again since follows its newer call (docs/domain.md "Late dispositions")."""
    return lead.status != IN_CALL_STATUS and await _latest_attempt_of_lead(conn, lead.id) == attempt_id


async def _late_on_a_lead_dialled_since(
    conn: AsyncConnection,
    campaign: CampaignConfig,
    campaign_id: int,
    lead: LeadRecord,
    transition: LeadTransition,
    now: datetime,
) -> tuple[LeadRecord, LeadTransition]:
    """A late disposition of a lead dialled again since: the lead follows its newer call, but a do-not-call request
    is honoured whatever (its numbers listed, which closes the lead if it waits in the list). The lead as it is
    now, and the transition recorded."""
    if transition.add_to_dnc:
        await _list_asked_numbers(conn, transition, campaign_id, lead.id, now)
        lead = await lead_record.one_in(conn, select(leads_t).where(leads_t.c.id == lead.id))
    recorded = LeadTransition(
        snapshot(lead, campaign.name),
        TransitionKind.RECORDED,
        "late disposition: the lead was dialled again since and follows its newer call",
        add_to_dnc=transition.add_to_dnc,
        machine=transition.machine,
    )
    return lead, recorded


async def record_disposition(
    db: Database,
    campaign: CampaignConfig,
    attempt_id: int,
    code: str,
    now: datetime,
    *,
    agent: str | None = None,
    notes: str | None = None,
    callback_at: datetime | None = None,
    callback_personal: bool = True,
    timed_out: bool = False,
    late_by: str | None = None,
) -> DispositionWritten:
    """The agent's disposition: written to the attempt, applied to the lead (done, DNC, callback, requeue), a
    callback row scheduled when asked; a machine (``Disposition.is_machine``) makes a connected attempt's outcome a
    machine (before the hangup: :func:`record_outcome` does). Raises the rules' DispositionError before any
    change.

    ``timed_out``: the campaign's timeout disposition (raises :class:`AlreadyDispositioned` if the call has one).
    ``late_by``: ``agent``'s late disposition, asked by that user (dialer.campaign.late_disposition: raises
    LateDispositionRefused, changing nothing, where the rule refuses it); it replaces the timeout disposition, moves
    the lead only if its call is the lead's latest and no call holds the lead (a DNC request lists the numbers
    whatever), and is written to the audit log."""
    machine_ended_at: datetime | None = None
    async with db.write() as conn:
        campaign_id, lead = await _lock_lead_of_attempt(conn, attempt_id)
        # Read under the lead's lock (every disposition of the call takes it first): one disposition at a time.
        state = await _disposition_state(conn, attempt_id)
        if timed_out and state.disposition is not None:
            raise AlreadyDispositioned(f"attempt {attempt_id} has a disposition already")
        if late_by is not None:
            window = campaign.late_disposition_window
            refusal = late_disposition_refusal(state, agent or "", now, window)
            if refusal is not None:
                raise refusal_error(refusal, state, attempt_id, window)
        transition = apply_disposition(
            snapshot(lead, campaign.name),
            code,
            campaign,
            now,
            agent=agent,
            callback_at=callback_at,
            callback_personal=callback_personal,
        )
        asked = transition.lead  # (the callback it schedules, if any; the lead may wait for a sooner one)
        moves_lead = late_by is None or await _late_moves_lead(conn, lead, attempt_id)
        if moves_lead:
            transition = with_pending_callback(transition, await pending_callback_in(conn, lead.id))
            await _write_transition(conn, campaign_id, lead.id, transition, now, was=lead.status, attempt_id=attempt_id)
        else:
            lead, transition = await _late_on_a_lead_dialled_since(conn, campaign, campaign_id, lead, transition, now)
        values: dict[str, object] = {"disposition": code, **not_none(agent=agent, notes=notes)}
        if timed_out:
            values["timed_out_disposition"] = code
        if late_by is not None:
            values |= {"late_disposition_at": now, "late_disposition_by": late_by}
        await conn.execute(update(attempts_t).where(attempts_t.c.id == attempt_id).values(**values))
        replaced = state.disposition if late_by is not None else None
        if late_by is not None:
            await audit_in(
                conn,
                late_by,
                "call.late_disposition",
                f"call:{attempt_id}",
                now,
                agent=agent,
                code=code,
                replaced=replaced,
                lead=transition.kind.value,
            )
        if transition.machine:
            relabelled = await conn.execute(
                update(attempts_t)
                .where(attempts_t.c.id == attempt_id, attempts_t.c.outcome == Outcome.CONNECTED.value)
                .values(outcome=Outcome.MACHINE.value)
                .returning(attempts_t.c.ended_at)
            )
            machine_ended_at = relabelled.scalar()
        outcome = (await conn.execute(select(attempts_t.c.outcome).where(attempts_t.c.id == attempt_id))).scalar()
        given = events.Disposition(
            attempt_id=attempt_id, lead_id=lead.id, campaign_id=campaign_id, disposition=code, agent=agent, at=now
        )
        announced = [
            events.call_dispositioned(
                given,
                lead_status=transition.lead.status.value,
                callback_at=transition.lead.callback_at,
                outcome=outcome,
            )
        ]
        if campaign.crm.disposition_url:
            url = render_url(
                campaign.crm.disposition_url,
                lead_values(lead, {"attempt_id": attempt_id, "agent": agent or "", "disposition": code}),
            )
            announced.append(events.crm_disposition(given, url=url))
        if moves_lead and transition.kind is TransitionKind.CALLBACK_SCHEDULED and asked.callback_at is not None:
            _, due = await schedule_callback_in(
                conn,
                lead_id=lead.id,
                campaign_id=campaign_id,
                due_at=asked.callback_at,
                agent=asked.callback_agent,
                notes=notes,
                now=now,
            )
            announced.append(due)
        await enqueue_in(conn, announced, now)
    return DispositionWritten(transition, machine_ended_at, replaced)
