"""Late dispositions: an agent's disposition, given later from "My recent calls", of a call of theirs whose wrap-up
ended without one (``wrap_up_ends = "timer"``: left without a disposition, or with the campaign's
``timeout_disposition`` only).

The one rule of which call may take one (:func:`late_disposition_refusal`, pure, the clock passed in); the store
applies it inside the disposition's own transaction (``dialer.store.lifecycle.record_disposition``), the API and
the console's list read it to show the calls awaiting one. See docs/domain.md "Late dispositions".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dialer.i18n import M_, Message


class LateRefusal(StrEnum):
    """Why a call may not take a late disposition."""

    NOT_YOURS = "not_yours"  # another agent took it (403)
    DISPOSITIONED = "dispositioned"  # it has an agent's disposition already (409)
    STILL_UP = "still_up"  # the call has not ended: it is dispositioned on the console as usual (409)
    TOO_LATE = "too_late"  # its window (the campaign's late_disposition_hours) is over (409)


@dataclass(frozen=True, slots=True)
class CallDispositionState:
    """What the rule reads of a call record: who took it, when it ended, its disposition and where it came from."""

    agent: str | None
    ended_at: datetime | None
    disposition: str | None
    timed_out_disposition: str | None  # the code the campaign's timeout_disposition gave it (None: none did)
    late_disposition_at: datetime | None  # when an agent gave it a late disposition (None: none yet)


def late_disposition_deadline(call: CallDispositionState, window: timedelta) -> datetime | None:
    """Until when the call may take a late disposition: ``window`` after it ended (None: it has not ended)."""
    return None if call.ended_at is None else call.ended_at + window


def late_disposition_refusal(
    call: CallDispositionState, agent: str, now: datetime, window: timedelta
) -> LateRefusal | None:
    """Why ``agent`` may not give ``call`` a late disposition at ``now`` (None: they may). Only the agent who took
    the call, once, on a call that has no disposition or only the campaign's timeout disposition, after it ended
    and within ``window`` of its end."""
    if call.agent != agent:
        return LateRefusal.NOT_YOURS
    if call.late_disposition_at is not None:
        return LateRefusal.DISPOSITIONED
    if call.disposition is not None and call.disposition != call.timed_out_disposition:
        return LateRefusal.DISPOSITIONED
    deadline = late_disposition_deadline(call, window)
    if deadline is None:
        return LateRefusal.STILL_UP
    if now > deadline:
        return LateRefusal.TOO_LATE
    return None


class LateDispositionRefused(LookupError):
    """A late disposition the rule refuses, saying why (``refusal``)."""

    def __init__(self, refusal: LateRefusal, message: Message) -> None:
        super().__init__(message)
        self.refusal = refusal


def refusal_error(
    refusal: LateRefusal, call: CallDispositionState, attempt_id: int, window: timedelta
) -> LateDispositionRefused:
    """The error saying why, in the user's words."""
    if refusal is LateRefusal.NOT_YOURS:
        message = M_("call {attempt} is not one of your calls", attempt=attempt_id)
    elif refusal is LateRefusal.DISPOSITIONED:
        message = M_(
            "call {attempt} has a disposition already ({code}): it cannot be dispositioned again",
            attempt=attempt_id,
            code=call.disposition or "",
        )
    elif refusal is LateRefusal.STILL_UP:
        message = M_("call {attempt} has not ended: disposition it on the current call", attempt=attempt_id)
    else:
        message = M_(
            "call {attempt} ended more than {hours} h ago: too late to disposition it",
            attempt=attempt_id,
            hours=int(window.total_seconds() // 3600),
        )
    return LateDispositionRefused(refusal, message)
