"""Lead rules (pure): may this lead be dialled now, and what does an outcome or a disposition do to it.

Every function takes the time as ``now`` (timezone-aware) and returns values; nothing here reads a clock, a
database or the network. The store keeps the fields of :class:`LeadSnapshot`, builds one from a row, and writes
``LeadTransition.lead`` back in the same transaction as the attempt.

Lifecycle::

    new ──claim──► in_call ──outcome──► retry ──claim──► in_call ...
                      │                   ▲
                      ├─ bad number ──► archived (or the next alternative phone)
                      ├─ budget spent ─► exhausted
                      ├─ rule "close" ─► done
                      └─ disposition ─► done | dnc | callback (──claim──► in_call) | retry

Why one module (over 500 lines): every rule here reads and returns the one :class:`LeadSnapshot`, and they call one
another (dialability asks the window, budget, consent and callback rules; an outcome's transition asks dialability
for the next time): split by rule, each module would import the rest.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.calls.outcome import Outcome
from dialer.campaign.config import CampaignConfig, Disposition
from dialer.campaign.holiday_calendar import ClosureKind
from dialer.campaign.phones import time_zones_for_e164
from dialer.i18n import M_


class LeadStatus(StrEnum):
    """Stored as short lowercase strings; values are stable (the store indexes them)."""

    NEW = "new"  # never dialled
    RETRY = "retry"  # dialled, waiting for next_dialable_at
    IN_CALL = "in_call"  # claimed by a runner (lease until claim_expires_at) or on a call
    CALLBACK = "callback"  # scheduled for callback_at, maybe owned by one agent
    DONE = "done"  # closed by a final disposition or a "close" rule
    ARCHIVED = "archived"  # the number is bad (unallocated / invalid) or removed by an operator
    DNC = "dnc"  # the called party asked not to be called
    EXHAUSTED = "exhausted"  # attempt (or dial) budget spent


CLAIMABLE_STATUSES: frozenset[LeadStatus] = frozenset({LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK})
TERMINAL_STATUSES: frozenset[LeadStatus] = frozenset(
    {LeadStatus.DONE, LeadStatus.ARCHIVED, LeadStatus.DNC, LeadStatus.EXHAUSTED}
)


class NotDialableReason(StrEnum):
    """Why a lead may not be dialled now: short stable codes for the "why is nothing dialling" breakdown."""

    DNC = "dnc"  # on a do-not-call list, or the lead's own status is dnc
    DONE = "done"  # closed by a final disposition or rule
    ARCHIVED = "archived"  # bad number or archived by an operator
    MAX_ATTEMPTS = "max_attempts"  # counted attempts reached max_attempts
    MAX_DIALS = "max_dials"  # all dials reached max_dials
    IN_CALL = "in_call"  # claimed / on a call now
    CALLBACK_WAIT = "callback_wait"  # callback scheduled later
    CALLBACK_OWNED = "callback_owned"  # callback due, but reserved for another agent
    RETRY_WAIT = "retry_wait"  # requeued; not due yet
    RECALL_AFTER_ABANDON = "recall_after_abandon"  # UK: no re-call within 72 h of an abandoned call
    NO_TIMEZONE = "no_timezone"  # the number's zone is unknown and the campaign's fallback is "skip"
    WINDOW_CLOSED = "window_closed"  # outside the calling window in at least one candidate zone
    HOLIDAY = "holiday"  # a public holiday in a candidate zone's local date (its country's, or a named subdivision's)
    CLOSED_DATE = "closed_date"  # one of the campaign's closed dates, in a candidate zone's local date
    NO_COMMON_WINDOW = "no_common_window"  # candidate zones never open at the same time
    NO_CONSENT = "no_consent"  # CN: no recorded consent (source and time), nor a callback the party asked for


@dataclass(frozen=True, slots=True)
class LeadSnapshot:
    """What the store keeps about one lead (the rule-relevant part; custom fields live beside it)."""

    id: int
    campaign: str
    phone: str  # E.164, the number dialled next
    alt_phones: tuple[str, ...] = ()  # E.164 alternatives, tried in order when the current one is bad
    tz_candidates: tuple[str, ...] = ()  # IANA zones of `phone` (phonenumbers); empty when unknown
    postal_zones: tuple[str, ...] = ()  # zone(s) of the lead's postal code, when the list gave a known one
    status: LeadStatus = LeadStatus.NEW
    attempts: int = 0  # attempts counted against max_attempts
    dials: int = 0  # every dial, counted or not (bounded by max_dials)
    priority: int = 0  # higher first
    next_dialable_at: datetime | None = None  # not before this instant (None: now)
    last_outcome: Outcome | None = None
    last_disposition: str | None = None
    last_attempt_at: datetime | None = None
    last_abandon_at: datetime | None = None  # UK no-recall rule
    archive_reason: str | None = None
    callback_at: datetime | None = None
    callback_agent: str | None = None  # None: any agent may take the callback
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    consent_source: str | None = None  # where the called party consented (CN: required), e.g. "web form 2026-01"
    consent_at: datetime | None = None  # when they consented
    # The callback the called party asked for themselves (an inbound caller's "call me back" in the IVR / virtual
    # hold): from where, when they asked, and the promise it is (the callback's due time). Evidence for that one
    # call, not consent (:attr:`has_requested_callback`).
    requested_callback_source: str | None = None  # e.g. "ivr flow support"
    requested_callback_at: datetime | None = None
    requested_callback_due: datetime | None = None

    @property
    def has_consent(self) -> bool:
        return bool(self.consent_source and self.consent_source.strip()) and self.consent_at is not None

    @property
    def has_requested_callback(self) -> bool:
        """The lead waits for the callback its called party asked for: it is a callback due at the time booked for
        the request (the caller's "call me back" -- MIIT's 请求, the TCPA's callback request). That call only: once it
        has been dialled (kept, whatever its outcome: the dial keeps a promise), cancelled, or replaced by another
        callback (an agent's, due at another time: the lead waits for the soonest, :func:`held_callback`), the lead is
        no callback of the request's any more. Read in SQL by :func:`dialer.store.leads.lacks_consent_or_request`."""
        return self.status is LeadStatus.CALLBACK and self.callback_at is not None and self.requested(self.callback_at)

    def requested(self, due_at: datetime) -> bool:
        """Is a callback due at ``due_at`` the one the called party asked for (the request recorded on the lead:
        from where, when, and the time booked for it)?"""
        return (
            bool(self.requested_callback_source and self.requested_callback_source.strip())
            and self.requested_callback_at is not None
            and self.requested_callback_due is not None
            and due_at == self.requested_callback_due
        )

    def dialled_only_as_requested(self, requires_consent: bool) -> bool:
        """Under a regime that requires consent (``requires_consent``), without recorded consent the lead may be
        dialled for the callback its called party asked for, and for nothing else (:attr:`has_consent_or_request`)."""
        return requires_consent and not self.has_consent

    @property
    def has_consent_or_request(self) -> bool:
        """May a regime that requires consent (``requires_consent``) dial the lead: recorded consent, or the
        callback the called party asked for (:attr:`has_requested_callback`)."""
        return self.has_consent or self.has_requested_callback


@dataclass(frozen=True, slots=True)
class Dialability:
    dialable: bool
    reason: NotDialableReason | None  # None when dialable
    detail: str  # human sentence for the UI / CLI
    next_dialable_at: datetime | None  # earliest instant it could become dialable (None: never / unknown)
    zones: tuple[str, ...] = ()  # the zones whose calling window applies

    def __bool__(self) -> bool:
        return self.dialable


class TransitionKind(StrEnum):
    REQUEUED = "requeued"
    ARCHIVED = "archived"
    SWITCHED_PHONE = "switched_phone"  # bad number; the next alternative phone becomes current
    EXHAUSTED = "exhausted"
    CLOSED = "closed"  # done
    DNC = "dnc"
    CALLBACK_SCHEDULED = "callback_scheduled"
    RECORDED = "recorded"  # lead already closed by a disposition: only the counters changed


@dataclass(frozen=True, slots=True)
class LeadTransition:
    """The new state of the lead and what else the store must do."""

    lead: LeadSnapshot
    kind: TransitionKind
    detail: str
    counted: bool = False  # the attempt used one of max_attempts
    add_to_dnc: tuple[str, ...] = field(default=())  # numbers to add to the campaign's DNC list
    is_sale: bool = False
    # The agent marked an answering machine (``Disposition.is_machine``): the attempt's outcome is a machine, not
    # the live answer its connection looked like.
    machine: bool = False


class DispositionError(ValueError):
    """A disposition the agent cannot apply (unknown code, missing or illegal callback time)."""


# -- zones ------------------------------------------------------------------------------------------------------


def effective_zones(lead: LeadSnapshot, campaign: CampaignConfig) -> tuple[str, ...]:
    """The zones whose calling window must be open: postal code's zone, else the number's candidates, else the
    campaign's fallback zone; empty when unknown and the fallback is "skip" (never dialled)."""
    if lead.postal_zones and campaign.timezones.prefer_postal_code:
        return lead.postal_zones
    if lead.tz_candidates:
        return lead.tz_candidates
    if campaign.timezones.fallback != "skip":
        return (campaign.timezones.fallback,)
    return ()


# -- dialability ------------------------------------------------------------------------------------------------


def _fmt(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S %Z")


def _closed(reason: NotDialableReason, detail: str, zones: tuple[str, ...] = ()) -> Dialability:
    return Dialability(False, reason, detail, None, zones)


def owner_waited_for(lead: LeadSnapshot, campaign: CampaignConfig, now: datetime) -> bool:
    """Does a callback an agent promised as theirs still wait for that agent at ``now``? Until it is overdue by the
    campaign's ``personal_callback_grace`` (None: for ever); past it any agent may take it (the agent away, the
    promise is kept by the team). Read in SQL by the claim as ``p_owned_until``
    (:func:`dialer.store.claim.owned_until`)."""
    grace = campaign.personal_callback_grace
    due = lead.callback_at or now
    return grace is None or due > now - grace


class CallbackRoute(StrEnum):
    """Who takes a due callback now (:func:`callback_route`)."""

    OWNER = "owner"  # its owner is free: dialled now, straight to them (the dialplan's direct-agent path)
    WAIT = "wait"  # its owner is signed out, paused, on a call or in wrap-up: it waits for them
    ANYONE = "anyone"  # nobody's, or past the grace: through the queue, to whoever is free


def callback_route(
    lead: LeadSnapshot, campaign: CampaignConfig, now: datetime, free_agents: Collection[str]
) -> CallbackRoute:
    """Who gets a due callback at ``now``: a callback an agent promised as theirs goes to that agent only while
    :func:`owner_waited_for` (within the campaign's ``personal_callback_grace``): dialled when they are among
    ``free_agents`` (signed in to the campaign, ready: not paused, on a call or in wrap-up) and connected to them
    alone, otherwise it waits for them; past the grace, and for a callback of nobody in particular, anyone's."""
    if lead.callback_agent is None or not owner_waited_for(lead, campaign, now):
        return CallbackRoute.ANYONE
    return CallbackRoute.OWNER if lead.callback_agent in free_agents else CallbackRoute.WAIT


def dialability(
    lead: LeadSnapshot,
    campaign: CampaignConfig,
    now: datetime,
    *,
    on_dnc: bool,
    agent: str | None = None,
) -> Dialability:
    """May ``lead`` be dialled at ``now``? ``on_dnc``: the store found one of its numbers on a DNC list.

    ``agent``: who would take the call (preview mode, or a runner serving one agent's callbacks). A callback
    owned by an agent is dialable only for that agent, until it is overdue by the campaign's
    ``personal_callback_grace`` (:func:`owner_waited_for`). A callback is dialled whatever is left of the lead's attempt
    and dial budget (:func:`with_pending_callback`): the budget bounds the campaign's own dialling, not a call
    promised to the person; the dial keeps the promise, and the lead is exhausted after it if its budget is spent
    (a dead number passes the promise on to the lead's next phone: :func:`carries_callbacks_over`).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zones = effective_zones(lead, campaign)
    status = lead.status
    if status is LeadStatus.DNC or on_dnc:
        return _closed(NotDialableReason.DNC, "on a do-not-call list", zones)
    if campaign.regime_preset.requires_consent and not lead.has_consent_or_request:
        return _closed(
            NotDialableReason.NO_CONSENT,
            f"no recorded consent (consent source and time), nor a callback the called party asked for, as the "
            f"{campaign.regime.value} regime requires",
            zones,
        )
    if status is LeadStatus.DONE:
        return _closed(NotDialableReason.DONE, f"closed ({lead.last_disposition or lead.last_outcome or 'done'})")
    if status is LeadStatus.ARCHIVED:
        return _closed(NotDialableReason.ARCHIVED, f"archived: {lead.archive_reason or 'no reason given'}")
    promised = status is LeadStatus.CALLBACK  # (the budget bounds unsolicited dialling, not a promised call)
    if status is LeadStatus.EXHAUSTED or (lead.attempts >= campaign.max_attempts and not promised):
        if lead.dials >= campaign.dial_limit and lead.attempts < campaign.max_attempts:
            return _closed(NotDialableReason.MAX_DIALS, f"{lead.dials} dials of at most {campaign.dial_limit}")
        return _closed(NotDialableReason.MAX_ATTEMPTS, f"{lead.attempts} attempts of at most {campaign.max_attempts}")
    if lead.dials >= campaign.dial_limit and not promised:
        return _closed(NotDialableReason.MAX_DIALS, f"{lead.dials} dials of at most {campaign.dial_limit}")
    if status is LeadStatus.IN_CALL:
        until = lead.claim_expires_at
        lease = f" (lease until {_fmt(until)})" if until else ""
        expired = " — lease expired, awaiting recovery" if until is not None and until <= now else ""
        return Dialability(
            False, NotDialableReason.IN_CALL, f"in a call, claimed by {lead.claimed_by or '?'}{lease}{expired}", None
        )
    if not zones:
        return _closed(NotDialableReason.NO_TIMEZONE, "time zone unknown and the campaign's fallback is 'skip'")

    if (
        status is LeadStatus.CALLBACK
        and lead.callback_agent is not None
        and agent != lead.callback_agent
        and owner_waited_for(lead, campaign, now)
    ):
        due = lead.callback_at or now
        grace = campaign.personal_callback_grace
        anyone = f", anyone's from {_fmt(due + grace)}" if grace is not None else ""
        later = next_dialable_at(lead, campaign, now)
        if later is not None and grace is not None and due + grace > later:
            later = campaign.window.next_open(due + grace, zones)
        return Dialability(
            False,
            NotDialableReason.CALLBACK_OWNED,
            f"callback owned by agent {lead.callback_agent}, due {_fmt(due)}{anyone}",
            later,
            zones,
        )
    if status is LeadStatus.CALLBACK and lead.callback_at is not None and lead.callback_at > now:
        return Dialability(
            False,
            NotDialableReason.CALLBACK_WAIT,
            f"callback scheduled for {_fmt(lead.callback_at)}",
            next_dialable_at(lead, campaign, now),
            zones,
        )
    if lead.next_dialable_at is not None and lead.next_dialable_at > now:
        return Dialability(
            False,
            NotDialableReason.RETRY_WAIT,
            f"retry not due until {_fmt(lead.next_dialable_at)} (last outcome {lead.last_outcome or '-'})",
            next_dialable_at(lead, campaign, now),
            zones,
        )
    recall_after = _recall_allowed_at(lead, campaign)
    if recall_after is not None and recall_after > now:
        return Dialability(
            False,
            NotDialableReason.RECALL_AFTER_ABANDON,
            f"abandoned call at {_fmt(lead.last_abandon_at or now)}: no re-call before {_fmt(recall_after)}",
            next_dialable_at(lead, campaign, now),
            zones,
        )
    window = campaign.window
    closed = window.closed_zones(now, zones)
    if closed:
        earliest = next_dialable_at(lead, campaign, now)
        if earliest is None:
            return Dialability(
                False,
                NotDialableReason.NO_COMMON_WINDOW,
                f"the calling window is never open in {', '.join(zones)} at the same time",
                None,
                zones,
            )
        closures = [c for c in (window.closure_at(now, z) for z in closed) if c is not None]
        if closures:
            reason = (
                NotDialableReason.HOLIDAY
                if any(c.kind is ClosureKind.HOLIDAY for c in closures)
                else NotDialableReason.CLOSED_DATE
            )
            return Dialability(
                False, reason, f"{'; '.join(str(c) for c in closures)}; opens {_fmt(earliest)}", earliest, zones
            )
        return Dialability(
            False,
            NotDialableReason.WINDOW_CLOSED,
            f"outside the calling window in {', '.join(closed)}; opens {_fmt(earliest)}",
            earliest,
            zones,
        )
    return Dialability(True, None, "dialable", now, zones)


def _recall_allowed_at(lead: LeadSnapshot, campaign: CampaignConfig) -> datetime | None:
    gap = campaign.no_recall_after_abandon
    if gap is None or lead.last_abandon_at is None:
        return None
    return lead.last_abandon_at + gap


def next_dialable_at(lead: LeadSnapshot, campaign: CampaignConfig, now: datetime) -> datetime | None:
    """Earliest instant >= ``now`` at which the time rules allow dialling (retry delay, callback time, UK recall
    gap, calling window in every zone, on a day that is no holiday or closed date in that zone). None when the lead
    can never be dialled again (closed, no zone, zones without a common window). DNC and claims are not time rules
    and are not considered."""
    if lead.status in TERMINAL_STATUSES:
        return None
    if over_budget(lead, campaign) and lead.status is not LeadStatus.CALLBACK:
        return None
    if campaign.regime_preset.requires_consent and not lead.has_consent_or_request:
        return None
    zones = effective_zones(lead, campaign)
    if not zones:
        return None
    t = now
    for bound in (lead.next_dialable_at, lead.callback_at if lead.status is LeadStatus.CALLBACK else None):
        if bound is not None and bound > t:
            t = bound
    recall = _recall_allowed_at(lead, campaign)
    if recall is not None and recall > t:
        t = recall
    return campaign.window.next_open(t, zones)


# -- outcomes ---------------------------------------------------------------------------------------------------


def _released(lead: LeadSnapshot, **changes: object) -> LeadSnapshot:
    return replace(lead, claimed_by=None, claim_expires_at=None, **changes)  # type: ignore[arg-type]


def apply_outcome(lead: LeadSnapshot, outcome: Outcome, campaign: CampaignConfig, now: datetime) -> LeadTransition:
    """The lead after one dial ended with ``outcome`` (from the call tracker).

    Bad numbers archive the lead (or switch to its next alternative phone, uncounted); other outcomes follow the
    campaign's retry rule: requeue after the rule's delay or close; a counted attempt or dial beyond the budget
    exhausts the lead. An abandoned call records ``last_abandon_at`` for the UK 72 h rule. A lead already closed by
    a disposition (which may arrive before the hangup) keeps its status; only the counters change.
    """
    dials = lead.dials + 1
    abandon_at = now if outcome is Outcome.ABANDONED else lead.last_abandon_at
    base = {"dials": dials, "last_outcome": outcome, "last_attempt_at": now, "last_abandon_at": abandon_at}

    if lead.status in TERMINAL_STATUSES or lead.status is LeadStatus.CALLBACK:
        counted = outcome is Outcome.CONNECTED and campaign.retry_rule(outcome).counts
        attempts = lead.attempts + (1 if counted else 0)
        new = _released(lead, attempts=attempts, **base)
        return LeadTransition(new, TransitionKind.RECORDED, f"{outcome} recorded; lead stays {lead.status}", counted)

    if outcome.is_bad_number:
        if lead.alt_phones:
            nxt, rest = lead.alt_phones[0], lead.alt_phones[1:]
            new = _released(
                lead,
                phone=nxt,
                alt_phones=rest,
                tz_candidates=time_zones_for_e164(nxt),
                status=LeadStatus.RETRY,
                next_dialable_at=now,
                **base,
            )
            return LeadTransition(new, TransitionKind.SWITCHED_PHONE, f"number {outcome}; trying the next phone")
        new = _released(lead, status=LeadStatus.ARCHIVED, archive_reason=outcome.value, next_dialable_at=None, **base)
        return LeadTransition(new, TransitionKind.ARCHIVED, f"archived: {outcome}")

    rule = campaign.retry_rule(outcome)
    counted = rule.counts
    attempts = lead.attempts + (1 if counted else 0)
    if rule.action == "close":
        new = _released(lead, status=LeadStatus.DONE, attempts=attempts, next_dialable_at=None, **base)
        return LeadTransition(new, TransitionKind.CLOSED, f"closed by the rule for {outcome}", counted)
    if attempts >= campaign.max_attempts or dials >= campaign.dial_limit:
        new = _released(lead, status=LeadStatus.EXHAUSTED, attempts=attempts, next_dialable_at=None, **base)
        spent = f"{attempts}/{campaign.max_attempts} attempts, {dials}/{campaign.dial_limit} dials"
        return LeadTransition(new, TransitionKind.EXHAUSTED, f"{outcome}: budget spent ({spent})", counted)
    delay = rule.delay
    if outcome is Outcome.ABANDONED and campaign.no_recall_after_abandon is not None:
        delay = max(delay, campaign.no_recall_after_abandon)
    due = now + delay
    new = _released(lead, status=LeadStatus.RETRY, attempts=attempts, next_dialable_at=due, **base)
    return LeadTransition(new, TransitionKind.REQUEUED, f"{outcome}: retry after {_fmt(due)}", counted)


# -- dispositions -----------------------------------------------------------------------------------------------


def apply_disposition(
    lead: LeadSnapshot,
    disposition: Disposition | str,
    campaign: CampaignConfig,
    now: datetime,
    *,
    agent: str | None = None,
    callback_at: datetime | None = None,
    callback_personal: bool = True,
) -> LeadTransition:
    """The lead after the agent's disposition. Final → done; DNC request → dnc (and its numbers to the campaign's
    DNC list); callback → scheduled at ``callback_at`` (owned by ``agent`` when ``callback_personal``), which must
    be in the future and inside the calling window of the lead's zones, and one the regime would dial
    (:func:`check_callback_dialable`: where consent is required, refused without it); otherwise requeued.

    Does not count an attempt: the call's outcome (``apply_outcome``) does, whichever arrives first.
    """
    disp = campaign.disposition(disposition) if isinstance(disposition, str) else disposition
    if disp is None:
        known = ", ".join(d.code for d in campaign.dispositions)
        raise DispositionError(
            M_(
                "unknown disposition {disposition} for campaign {name} (known: {known})",
                disposition=repr(disposition),
                name=campaign.name,
                known=known,
            )
        )
    if lead.status is LeadStatus.DNC and not disp.is_dnc:
        new = _released(lead, last_disposition=disp.code)
        return LeadTransition(new, TransitionKind.RECORDED, "lead is on DNC; it stays there", is_sale=disp.is_sale)

    if disp.is_machine:
        return _machine_marked(lead, disp, campaign, now)
    if disp.is_dnc:
        new = _released(
            lead, status=LeadStatus.DNC, last_disposition=disp.code, next_dialable_at=None, callback_at=None
        )
        return LeadTransition(
            new, TransitionKind.DNC, "do-not-call requested", add_to_dnc=(lead.phone, *lead.alt_phones)
        )
    if disp.final:
        new = _released(
            lead, status=LeadStatus.DONE, last_disposition=disp.code, next_dialable_at=None, callback_at=None
        )
        return LeadTransition(new, TransitionKind.CLOSED, f"closed: {disp.label}", is_sale=disp.is_sale)
    if disp.schedules_callback:
        _check_callback_time(lead, campaign, now, callback_at)
        check_callback_dialable(lead, campaign.regime_preset.requires_consent)
        assert callback_at is not None
        owner = agent if callback_personal else None
        new = _released(
            lead,
            status=LeadStatus.CALLBACK,
            last_disposition=disp.code,
            callback_at=callback_at,
            callback_agent=owner,
            next_dialable_at=callback_at,
        )
        who = f"agent {owner}" if owner else "any agent"
        return LeadTransition(
            new, TransitionKind.CALLBACK_SCHEDULED, f"callback at {_fmt(callback_at)} for {who}", is_sale=disp.is_sale
        )

    if lead.attempts >= campaign.max_attempts or lead.dials >= campaign.dial_limit:
        new = _released(lead, status=LeadStatus.EXHAUSTED, last_disposition=disp.code, next_dialable_at=None)
        return LeadTransition(new, TransitionKind.EXHAUSTED, f"{disp.label}: attempt budget spent")
    delay = disp.retry_after if disp.retry_after is not None else campaign.retry_rule(Outcome.CONNECTED).delay
    due = now + delay
    new = _released(lead, status=LeadStatus.RETRY, last_disposition=disp.code, next_dialable_at=due, callback_at=None)
    return LeadTransition(new, TransitionKind.REQUEUED, f"{disp.label}: retry after {_fmt(due)}", is_sale=disp.is_sale)


def _machine_marked(lead: LeadSnapshot, disp: Disposition, campaign: CampaignConfig, now: datetime) -> LeadTransition:
    """An agent reached an answering machine: the lead follows the campaign's rule for machines (``retry.machine``,
    closed by ``amd.machine_action = "close"``), as if AMD had said so."""
    rule = campaign.retry_rule(Outcome.MACHINE)
    base = {"last_disposition": disp.code, "last_outcome": Outcome.MACHINE, "callback_at": None}
    if rule.action == "close":
        new = _released(lead, status=LeadStatus.DONE, next_dialable_at=None, **base)
        return LeadTransition(new, TransitionKind.CLOSED, f"{disp.label}: closed by the rule for machine", machine=True)
    if lead.attempts >= campaign.max_attempts or lead.dials >= campaign.dial_limit:
        new = _released(lead, status=LeadStatus.EXHAUSTED, next_dialable_at=None, **base)
        return LeadTransition(new, TransitionKind.EXHAUSTED, f"{disp.label}: attempt budget spent", machine=True)
    due = now + rule.delay
    new = _released(lead, status=LeadStatus.RETRY, next_dialable_at=due, **base)
    return LeadTransition(new, TransitionKind.REQUEUED, f"{disp.label}: retry after {_fmt(due)}", machine=True)


def _check_callback_time(
    lead: LeadSnapshot, campaign: CampaignConfig, now: datetime, callback_at: datetime | None
) -> None:
    if callback_at is None:
        raise DispositionError(M_("this disposition schedules a callback: give the callback time"))
    if callback_at.tzinfo is None:
        raise DispositionError(M_("the callback time must carry a time zone"))
    if callback_at <= now:
        raise DispositionError(M_("the callback time {value} is in the past", value=_fmt(callback_at)))
    zones = effective_zones(lead, campaign)
    if zones and not campaign.window.is_open_everywhere(callback_at, zones):
        opens = campaign.window.next_open(callback_at, zones)
        if opens:
            raise DispositionError(
                M_(
                    "{value} is outside the calling window in the lead's time zone(s) {zones}; the window next opens "
                    "{opens}",
                    value=_fmt(callback_at),
                    zones=", ".join(zones),
                    opens=_fmt(opens),
                )
            )
        raise DispositionError(
            M_(
                "{value} is outside the calling window in the lead's time zone(s) {zones}",
                value=_fmt(callback_at),
                zones=", ".join(zones),
            )
        )


# A callback scheduled by hand is due at most this far ahead (a year and a day: "this date next year" is allowed).
CALLBACK_HORIZON = timedelta(days=366)
# A call to the lead this much before a callback's due time already keeps it ...
CALLBACK_EARLY = timedelta(minutes=2)
# ... and one up to this much after it keeps it on time (later: kept late).
CALLBACK_GRACE = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class PendingCallback:
    """A callback promised on a lead and not yet kept (no call to the lead since it fell due)."""

    due_at: datetime
    agent: str | None  # None: any agent
    # The called party's own request (:meth:`LeadSnapshot.requested`) on a lead its regime may dial for that call
    # only (:meth:`LeadSnapshot.dialled_only_as_requested`): it holds the lead before any other callback
    # (:func:`held_callback`).
    sole_dialable: bool = False


def held_callback(pending: Iterable[PendingCallback]) -> PendingCallback | None:
    """Which of the callbacks pending on a lead (in the order they were booked) the lead waits for -- its
    ``callback_at``, ``callback_agent`` and ``next_dialable_at``, what the claim dials (None: none is pending).

    The soonest due (of two due at once, the first booked): every promise is dialled in turn, whatever the order
    they were booked in, and each is kept by the call that dials it at its time (a call keeps the callbacks due by
    its start, :data:`CALLBACK_EARLY` before included, not those due later). One exception, where the regime
    requires consent and the lead has none: the callback its called party asked for (``sole_dialable``) is the only
    one the lead may be dialled for, so it holds the lead before any other, sooner or not -- the caller's request is
    dialled at its time; a callback an agent booked on that lead is never dialled for itself (its due time passed,
    the request's call keeps it, as any call to the lead after it fell due does)."""
    return min(pending, key=lambda callback: (not callback.sole_dialable, callback.due_at), default=None)


# What a callback promised and not yet kept outlives: the lead going back to the queue (a retry, its next phone),
# and the lead closing only because its attempt or dial budget ran out (exhausted) -- a limit on the campaign's own
# dialling, which a promise to the person is not. The other closings are someone's decision and stand: the person's
# (an opt-out: dnc; a final disposition: done, sale or refusal), an agent's or a rule's ("close": done), or the
# number's (bad number: archived).
OUTLIVED_BY_A_CALLBACK: frozenset[TransitionKind] = frozenset(
    {TransitionKind.REQUEUED, TransitionKind.SWITCHED_PHONE, TransitionKind.EXHAUSTED}
)


def over_budget(lead: LeadSnapshot, campaign: CampaignConfig) -> bool:
    """The lead's attempts or dials have reached the campaign's limits."""
    return lead.attempts >= campaign.max_attempts or lead.dials >= campaign.dial_limit


def counted_outcomes(campaign: CampaignConfig) -> frozenset[str]:
    """The outcomes whose dials the campaign's retry rules count against ``max_attempts`` (``RetryRule.counts``)."""
    return frozenset(outcome.value for outcome, rule in campaign.retry.items() if rule.counts)


def carries_callbacks_over(transition: LeadTransition) -> bool:
    """Whether the callbacks the call that just ended was dialled for (kept at its start) carry over to the lead's
    next phone: when the call found the number dead and the lead moved to its next phone
    (:attr:`TransitionKind.SWITCHED_PHONE`).

    The promise is to the person, not to the number: a dial that reached a dead number did not reach them. Each one
    carried over is pending again, due at the time promised (at once when that has passed -- the claim takes due
    callbacks oldest first; never earlier than promised after a dial made early), for the agent promised, and holds
    the lead (:func:`with_pending_callback`): past the budget it is dialled once more, on the next phone, under every
    other rule at dial time. With no other phone the lead is archived at that outcome (bad number), its reason the
    number's fault. Every other outcome of the dial keeps the promise: nothing carries over."""
    return transition.kind is TransitionKind.SWITCHED_PHONE


def with_pending_callback(transition: LeadTransition, pending: PendingCallback | None) -> LeadTransition:
    """A callback promised and not yet kept outlives the call that just ended: where the call would requeue the lead
    (a retry after the rule's delay, or its next phone) or close it only because its budget is spent (exhausted),
    the lead is a callback due at the promised time instead -- a callback booked while the lead was on a call (an
    inbound caller in the IVR, an agent from the console), or one due later than a call made early. An exhausted
    lead kept for its callback is requeued (kind ``requeued``), counters unchanged: :func:`dialability` dials a
    callback past the budget, once per promise (the dial keeps it; the next outcome exhausts the lead -- unless it
    found the number dead and the lead has another phone: the promise then carries over to it,
    :func:`carries_callbacks_over`).

    A transition that closes the lead by someone's decision (done, DNC, archived: see
    :data:`OUTLIVED_BY_A_CALLBACK`) stands (the store then cancels the promise). One that schedules a callback of its
    own keeps both: the lead waits for the one :func:`held_callback` picks of the two (the sooner; the caller's
    request where it is the only one the lead may be dialled for). A callback lead the call did not move (dialled by
    hand, or given its callback by a disposition before the hangup: ``recorded``) waits for the pending one, not for
    one the call kept. Dialling it stays under every other rule: the claim asks :func:`dialability` (window, DNC, the
    re-call gap after an abandon) at dial time. Needs no clock: the promise's own time is the lead's next one."""
    if pending is None:
        return transition
    if transition.kind is TransitionKind.CALLBACK_SCHEDULED:
        scheduled = transition.lead.callback_at
        if scheduled is None or held_callback([pending, PendingCallback(scheduled, None)]) is not pending:
            return transition
    elif transition.kind is TransitionKind.RECORDED:
        if transition.lead.status is not LeadStatus.CALLBACK:
            return transition
    elif transition.kind not in OUTLIVED_BY_A_CALLBACK:
        return transition
    lead = replace(
        transition.lead,
        status=LeadStatus.CALLBACK,
        callback_at=pending.due_at,
        callback_agent=pending.agent,
        next_dialable_at=pending.due_at,
    )
    who = f"agent {pending.agent}" if pending.agent else "any agent"
    kind = TransitionKind.REQUEUED if transition.kind is TransitionKind.EXHAUSTED else transition.kind
    return replace(
        transition,
        lead=lead,
        kind=kind,
        detail=f"{transition.detail}; the callback due {_fmt(pending.due_at)} for {who} stands",
    )


# -- consent recorded on a call ------------------------------------------------------------------------------

# How the called party gave consent, in the recording user's words (e.g. "verbal on the call"): at most this long,
# so that the record -- these words after who recorded them and on which call (:func:`consent_record`) -- fits the
# lead's ``consent_source`` (200 characters).
CONSENT_SOURCE_MAX = 120


def consent_record(source: str, by: str, attempt_id: int | None, inbound_call: str | None = None) -> str:
    """The ``consent_source`` written for consent a user records on a lead: ``call <attempt> by <user>: <how>``
    (an agent, on the outbound call it was given on), ``inbound <call> by <user>: <how>`` (an agent, on the inbound
    call of the lead's called party, ``inbound_call``: the caller's Uniqueid), ``by <user>: <how>`` (a supervisor or
    manager, on no call of theirs) -- one exportable text naming who recorded it, on which call, and how it was
    given."""
    if attempt_id is not None:
        where = f"call {attempt_id} "
    elif inbound_call is not None:
        where = f"inbound {inbound_call} "
    else:
        where = ""
    return f"{where}by {by}: {source.strip()}"


def consented(
    lead: LeadSnapshot, campaign: CampaignConfig, source: str, at: datetime, *, in_conversation: bool = False
) -> LeadSnapshot:
    """The lead once its called party's consent is recorded (``source``, at the dialer's time ``at``).

    A lead its regime would not dial for want of consent (``requires_consent``, neither consent nor the callback
    its called party asked for: :attr:`LeadSnapshot.has_consent_or_request`) and still waiting to be dialled (new,
    retry, callback) is due again at the earliest time its other rules allow (:func:`next_dialable_at` from ``at``:
    a pending callback's time, the re-call gap after an abandon, the calling window, holidays). Its stored next
    time is not one of them: the claim sets such a lead aside for a day at a time (``RECHECK_IMPOSSIBLE_AFTER``),
    and a retry delay cannot be told from that -- it held a lead no rule let be dialled anyway. A lead over its
    attempt or dial budget (no callback pending), on a call (its outcome or disposition decides), that has a time
    rule never met (no zone, no common window), or that is due already keeps its time: the claim deals with it.

    ``in_conversation``: the consent was given on a call that is not the lead's own attempt (an inbound call: the
    person is on the phone with an agent now, and the lead is not "on a call" to the claim). Then the lead is due no
    sooner than the campaign's delay after a conversation that ended without a disposition (its retry rule for
    ``connected``, a day by default): consent to be called is not a request to be called back at once, and the
    dialer must not ring the person's phone while they are still talking to the centre (an agent books a callback
    for an earlier time they ask for; a callback already booked keeps its time)."""
    new = replace(lead, consent_source=source, consent_at=at)
    if not campaign.regime_preset.requires_consent or lead.has_consent_or_request:
        return new
    if lead.status not in CLAIMABLE_STATUSES:
        return new
    earliest = at
    if in_conversation and lead.status is not LeadStatus.CALLBACK:  # (a callback keeps its own time)
        after_talk = campaign.retry_rule(Outcome.CONNECTED)
        earliest = at + (after_talk.delay if after_talk.action == "retry" else timedelta(days=1))
    due = next_dialable_at(replace(new, next_dialable_at=None), campaign, earliest)
    if due is None or (due == at and lead.next_dialable_at is not None and lead.next_dialable_at <= at):
        return new  # (never, or due already: it keeps its place in the claim's order)
    return replace(new, next_dialable_at=due)


class ConsentNotRecordable(ValueError):
    """Consent cannot be recorded on a lead the called party opted out of (DNC) or closed for good."""


def check_consent_recordable(lead: LeadSnapshot, *, on_dnc: bool) -> None:
    """Consent may be recorded on a lead that can still be called: not on a do-not-call list (an opt-out is the
    withdrawal of consent, and it stands), nor closed for good (done, archived, exhausted: consent would dial
    nothing). Raises :class:`ConsentNotRecordable` saying why."""
    if on_dnc or lead.status is LeadStatus.DNC:
        raise ConsentNotRecordable(
            M_("lead {id} is on a do-not-call list: the called party's opt-out stands", id=lead.id)
        )
    if lead.status in TERMINAL_STATUSES:
        raise ConsentNotRecordable(
            M_("lead {id} is {status}: closed for good, consent would dial nothing", id=lead.id, status=lead.status)
        )


class ConsentRequired(DispositionError):
    """A callback the rules would never dial: the regime requires consent, and the lead has neither consent nor an
    open request of its called party (:attr:`LeadSnapshot.has_consent_or_request`)."""


def check_callback_dialable(lead: LeadSnapshot, requires_consent: bool) -> None:
    """May a callback be booked on ``lead`` (as it is now: a lead on a call is on it, the request it keeps, if any,
    is kept)? Where the regime requires consent (``requires_consent``) and the lead has neither recorded consent nor
    the callback its called party asked for still pending, the booking would leave a callback :func:`dialability`
    never dials: refused (:class:`ConsentRequired`) -- record the called party's consent first. The called party's
    own request is booked by the store with the request (never refused here)."""
    if requires_consent and not lead.has_consent_or_request:
        raise ConsentRequired(
            M_(
                "record the called party's consent first: without it, the campaign's regime never dials a callback "
                "on lead {id}",
                id=lead.id,
            )
        )


class CallbackTimeError(ValueError):
    """A callback scheduled for a time it cannot be due at (the message reads after the field: "must be ...")."""


def check_callback_due(due_at: datetime, now: datetime) -> None:
    """A callback scheduled by hand is due in the future and within :data:`CALLBACK_HORIZON`."""
    if due_at <= now:
        raise CallbackTimeError(M_("must be in the future"))
    if due_at > now + CALLBACK_HORIZON:
        raise CallbackTimeError(M_("must be within a year"))


def claimed(lead: LeadSnapshot, by: str, now: datetime, lease: timedelta) -> LeadSnapshot:
    """The lead as the claimer leaves it (the store does this atomically in SQL; this is the reference)."""
    return replace(lead, status=LeadStatus.IN_CALL, claimed_by=by, claim_expires_at=now + lease)
