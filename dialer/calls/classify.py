"""How one originated call ended, from the facts AMI gave about it (pure; see the trace README's table).

Asterisk's ``OriginateResponse`` ``Reason`` is derived from the dial result and the hangup cause of the dialled
channel: 4 answered; 5 busy (cause 17); 8 congestion (causes 21, 27, 34, 38, 41, 42); 3 rang without an
answer (causes 19, 26, and the Originate ``Timeout``); 0 for everything else -- including an unallocated
number (cause 1), an invalid number format (cause 28), a channel that could not be created, and a call the
dialer hung up itself. So ``Reason`` is read first and, for ``Reason`` 0, the ``Cause`` of the dialled (``;1``)
channel's ``Hangup`` decides. For busy/congestion on Local channels that cause is 0, which is why ``Reason``
(or ``DialStatus``) must be trusted first.

On a real trunk the picture differs: a carrier that releases the call with a cause gives ``Reason`` 0 and that
cause (recorded over the lab's IAX2 trunk: ``tests/fixtures/ami-traces/lab/trunk-cause-*.txt``; on PJSIP a 486 Busy
Here maps to cause 17 and a 503 to 34, asterisk/README.md). So for ``Reason`` 0 the busy and congestion causes are
read too.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.calls.outcome import AMD_MACHINE, Outcome

REASON_ANSWERED = 4
REASON_BUSY = 5
REASON_CONGESTION = 8
REASON_NO_ANSWER = 3

CAUSE_UNALLOCATED = 1
CAUSE_NORMAL_CLEARING = 16
CAUSE_INVALID_NUMBER_FORMAT = 28
CAUSE_USER_BUSY = 17
# Network-side failures Asterisk maps to congestion (AST_CAUSE_* in causes.h): no circuit (34), network out of
# order (38), temporary failure (41), switching equipment congestion (42), destination out of order (27), call
# rejected (21).
CAUSES_CONGESTION = frozenset({21, 27, 34, 38, 41, 42})
CAUSES_NO_ANSWER = frozenset({18, 19})  # no user responding, no answer (alerting)


# DialEnd DialStatus of the dialled channel, for when no OriginateResponse reason is known.
_DIAL_STATUS_OUTCOME = {
    "BUSY": Outcome.BUSY,
    "CONGESTION": Outcome.CONGESTION,
    "CHANUNAVAIL": Outcome.FAILED,
}


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What AMI said about one originated call, gathered by the tracker."""

    answered: bool
    reason: int | None  # OriginateResponse Reason; None if it never came
    hangup_cause: int | None  # Cause of the dialled channel's Hangup; None if not seen
    dial_status: str | None  # DialEnd DialStatus of the dialled channel
    amd_status: str | None  # AMDSTATUS (MACHINE, HUMAN, NOTSURE, HANGUP)
    agent_connected: bool  # AgentConnect seen for the call
    hangup_requested: bool  # the dialer sent Action: Hangup for it
    rejected: bool = False  # the Originate action itself got Response: Error (nothing was dialled)
    flow_served: bool = False  # an IVR flow ended the call (DialerCallEnd Stage IVR) and no queue dropped it


def classify(facts: CallFacts) -> Outcome:
    """The outcome of a finished call.

    Answered calls: AMD ``MACHINE`` → machine; otherwise (``HUMAN``, ``NOTSURE``, no AMD) the call is a live
    answer: connected if an agent took it (``AgentConnect``), else abandoned -- whether the queue timed out,
    the callee hung up while queued, the dialplan or the dialer dropped it. A ``NOTSURE`` call that never
    reached an agent therefore counts as abandoned: the conservative side for the abandon-rate limit. An
    agentless call whose IVR flow served the person to the end (no agent asked for, or none dropped) is
    self-service.
    """
    if facts.rejected:
        return Outcome.FAILED
    if facts.answered or facts.reason == REASON_ANSWERED:
        if facts.amd_status == AMD_MACHINE:
            return Outcome.MACHINE
        if facts.agent_connected:
            return Outcome.CONNECTED
        return Outcome.SELF_SERVICE if facts.flow_served else Outcome.ABANDONED
    if facts.reason == REASON_BUSY:
        return Outcome.BUSY
    if facts.reason == REASON_CONGESTION:
        return Outcome.CONGESTION
    if facts.reason == REASON_NO_ANSWER:
        return Outcome.NO_ANSWER
    cause = facts.hangup_cause
    if cause == CAUSE_UNALLOCATED:
        return Outcome.UNALLOCATED
    if cause == CAUSE_INVALID_NUMBER_FORMAT:
        return Outcome.INVALID_NUMBER
    if cause == CAUSE_USER_BUSY:
        return Outcome.BUSY
    if cause in CAUSES_CONGESTION:
        return Outcome.CONGESTION
    if cause in CAUSES_NO_ANSWER:
        return Outcome.NO_ANSWER
    if facts.hangup_requested or cause == CAUSE_NORMAL_CLEARING:
        return Outcome.CANCELLED
    if facts.reason is None and facts.dial_status in _DIAL_STATUS_OUTCOME:
        return _DIAL_STATUS_OUTCOME[facts.dial_status]
    return Outcome.FAILED
