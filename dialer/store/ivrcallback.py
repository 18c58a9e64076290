"""A callback an inbound caller books in the IVR (``book_callback``, :mod:`dialer.daemon.ivractions`): the caller's
number read in the campaign's region, refused when it is on a DNC list, the campaign's lead with that number
(created as manual dial creates one when there is none), and a campaign callback on it (no agent: whoever is free).

Compliance is not bypassed: the callback makes the lead a ``callback`` due at ``due_at``, which the campaign's
ordinary claim dials (:func:`dialer.store.lifecycle.claim_dialable_in`: the DNC list again, the calling window in
the lead's zones, the campaign's other rules, at dial time). A callback asked for a time the rules do not allow a
call at (the calling window is closed in one of the lead's zones, or the re-call gap after an abandon runs) is due
when they first do (:func:`dialer.campaign.rules.next_dialable_at`), and says it was moved (``Booked.moved``), so
the flow can tell the caller, and the promise's own time is the one the campaign keeps: never "overdue" overnight,
never counted late when it is dialled as the window opens. A number the window never opens for is refused
(``no_window``).

A regime that requires consent (CN: MIIT's 同意或者请求, "consent or request") dials a lead without recorded consent
for the callback its caller asked for here, and for nothing else: the booking records the request on the lead
(``requested_callback_source`` -- the IVR flow --, ``requested_callback_at``, ``requested_callback_due``: the promise
it is), which :attr:`dialer.campaign.rules.LeadSnapshot.has_requested_callback` reads. It is no consent: the lead's
``consent_source``/``consent_at`` stay as they were, and once the callback has been dialled the lead needs consent
again for any other call. While it is pending, the request holds such a lead before any other callback on it, an
agent's sooner one included (:func:`dialer.campaign.rules.held_callback`): it is dialled at its time, and the agent's
is never dialled for itself. With consent recorded (or no regime requiring it) the lead waits for the soonest of its
callbacks, the request among them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from dialer.campaign.phones import PhoneError, normalize
from dialer.campaign.rules import LeadStatus, next_dialable_at, over_budget
from dialer.store.campaigns import UnknownCampaignError, load_stored_campaign
from dialer.store.console import CallbackRequest, LeadClosedForCallbacks, create_callback
from dialer.store.dnc import blocked_numbers
from dialer.store.engine import Database
from dialer.store.leads import find_leads_by_phone, get_lead, snapshot
from dialer.store.manual import lead_for_number

# What Asterisk puts in CALLERID(num) for a withheld or absent number.
NO_CALLER_ID = frozenset({"", "unknown", "anonymous", "restricted", "private", "unavailable"})
CLOSED = frozenset({LeadStatus.DONE, LeadStatus.ARCHIVED, LeadStatus.EXHAUSTED})


class Refusal(StrEnum):
    """Why a callback was not booked (the ``reason`` the lookup answers)."""

    NO_NUMBER = "no_number"  # the caller's number is withheld
    INVALID_NUMBER = "invalid_number"  # not a diallable number in the campaign's region
    DNC = "dnc"  # on the global or the campaign's DNC list (or the lead is closed as DNC)
    UNKNOWN_CAMPAIGN = "unknown_campaign"
    LEAD_CLOSED = "lead_closed"  # the lead is closed (done, archived, its budget spent and no callback waiting)
    NO_WINDOW = "no_window"  # the calling window never opens for the number (no time zone, or zones without one)


@dataclass(frozen=True, slots=True)
class Booked:
    callback_id: int
    lead_id: int
    new_lead: bool  # the campaign had no lead with this number: one was created
    due_at: datetime
    moved: bool = False  # due later than asked: the first time the campaign's rules allow the call


async def book_caller_callback(
    db: Database,
    campaign: str,
    caller: str,
    due_at: datetime,
    note: str | None,
    now: datetime,
    *,
    source: str = "ivr",
) -> Booked | Refusal:
    """Book a callback for ``caller`` in ``campaign``, due at ``due_at``, or say why not; recorded on the lead as the
    caller's request, made at ``now`` from ``source`` (the IVR flow: ``"ivr flow <name>"``)."""
    if caller.strip().lower() in NO_CALLER_ID:
        return Refusal.NO_NUMBER
    try:
        record, config = await load_stored_campaign(db, campaign)
    except UnknownCampaignError:
        return Refusal.UNKNOWN_CAMPAIGN
    phone = normalize(caller, config.imports.default_region)
    if isinstance(phone, PhoneError):
        return Refusal.INVALID_NUMBER
    async with db.read() as conn:
        if await blocked_numbers(conn, [phone.e164], record.id):
            return Refusal.DNC
    existing = await find_leads_by_phone(db, record.id, phone.e164)
    if any(lead.status == LeadStatus.DNC for lead in existing):
        return Refusal.DNC
    # What the claim would refuse for good: say so now rather than promise a call that never comes.
    # (A callback is dialled past the budget for its promise: a lead waiting for one is not closed.)
    for lead in existing:
        promised = lead.status == LeadStatus.CALLBACK
        if lead.status in CLOSED or (not promised and over_budget(snapshot(lead, campaign), config)):
            return Refusal.LEAD_CLOSED
    lead_id = await lead_for_number(db, record.id, phone.e164, phone.zones, now)
    stored = await get_lead(db, lead_id)
    assert stored is not None  # (just found or created; leads are not deleted under a call)
    as_callback = replace(
        snapshot(stored, campaign),
        status=LeadStatus.CALLBACK,
        callback_at=due_at,
        next_dialable_at=due_at,
        requested_callback_source=source,
        requested_callback_at=now,
        requested_callback_due=due_at,
    )
    allowed = next_dialable_at(as_callback, config, max(now, due_at))
    if allowed is None:
        return Refusal.NO_WINDOW
    moved = allowed > due_at
    due_at = max(due_at, allowed)
    request = CallbackRequest(source=source[:200], at=now)
    try:
        callback = await create_callback(db, lead_id, due_at, None, note or None, now, requested=request)
    except LeadClosedForCallbacks:  # closed since the checks above (another call's outcome, an opt-out)
        return Refusal.LEAD_CLOSED
    assert callback is not None  # (the lead was just found or created; leads are not deleted under a call)
    return Booked(callback.id, lead_id, not existing, callback.due_at, moved)
