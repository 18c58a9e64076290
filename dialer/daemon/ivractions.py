"""The daemon's IVR actions: the lookups that need the daemon's live state or its store (virtual hold), in front
of the manager's table (:class:`dialer.ivr.actions.TableActions`), which answers every other action.

- ``queue_wait`` (``queue``, ``longer_than`` seconds): the estimated wait of the queue now
  (:func:`dialer.ivr.virtualhold.estimate_wait` over the callers waiting, the agents logged in to the queue and
  the last hour's mean talk time); statuses ``short``, ``long``, ``closed``; data ``seconds``, ``waiting``.
- ``book_callback`` (``campaign``, ``delay_minutes`` (default 0), ``note``): a campaign callback for the caller's
  number (:func:`dialer.store.ivrcallback.book_caller_callback`); statuses ``booked`` (data ``when``, ISO 8601
  UTC, and ``moved``: ``yes`` when the campaign's rules -- its calling window, a re-call gap -- put the callback
  later than asked, else ``no``) or ``refused`` (data ``reason``). A flow that names no ``campaign`` books into
  ``[fastagi] callback_campaign`` (the demo sets its own campaign there, whatever its language); neither: ``error``.

An argument that is not what the action takes answers ``error`` (the flow's ``next``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dialer.agents.registry import AgentStatus
from dialer.ivr.executor import LookupDone
from dialer.ivr.virtualhold import (
    MAX_CALLBACK_DELAY_MINUTES,
    BadArgument,
    QueueNow,
    callback_due,
    estimate_wait,
    whole_number,
)
from dialer.logging import get_logger
from dialer.store.ivrcallback import Booked, book_caller_callback

if TYPE_CHECKING:
    from dialer.daemon.core import Dialer
    from dialer.ivr.agi import Actions, IvrCallInfo

log = get_logger(__name__)

QUEUE_WAIT = "queue_wait"
BOOK_CALLBACK = "book_callback"
# The longest note a booked callback keeps (the flow's text, shown to the agent who calls back).
MAX_NOTE = 500


def queue_now(dialer: Dialer, queue: str) -> QueueNow:
    """The queue as the daemon sees it now: callers waiting, its agents by status, the last hour's mean talk."""
    agents = dialer.agents.registry.in_queue(queue)
    serving = [a for a in agents if a.status is not AgentStatus.PAUSED]
    measured = next((q.last_hour.mean_talk_seconds for q in dialer.inbound_live() if q.queue == queue), None)
    return QueueNow(
        waiting=dialer.inbound_waiting(queue),
        logged_in=len(agents),
        serving=len(serving),
        ready=sum(1 for a in serving if a.status is AgentStatus.READY),
        mean_handle_seconds=measured,
    )


class DaemonActions:
    """``queue_wait`` and ``book_callback`` answered here; any other action by ``fallback`` (the table's)."""

    def __init__(self, dialer: Dialer, fallback: Actions, *, callback_campaign: str = "") -> None:
        self.dialer = dialer
        self.fallback = fallback
        self.callback_campaign = callback_campaign.strip()  # book_callback's campaign when the flow names none

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.dialer.clock.now(), UTC)

    async def __call__(self, action: str, args: Mapping[str, str], info: IvrCallInfo) -> LookupDone:
        try:
            if action == QUEUE_WAIT:
                return self.queue_wait(args)
            if action == BOOK_CALLBACK:
                return await self.book_callback(args, info)
        except BadArgument as exc:
            log.warning("ivr_action_bad_argument", action=action, call=info.call_ref, problem=str(exc))
            return LookupDone("error")
        return await self.fallback(action, args, info)

    def queue_wait(self, args: Mapping[str, str]) -> LookupDone:
        queue = args.get("queue", "").strip()
        if not queue:
            raise BadArgument("queue: missing")
        longer_than = whole_number(args.get("longer_than", ""), "longer_than")
        estimate = estimate_wait(queue_now(self.dialer, queue), longer_than)
        return LookupDone(estimate.status.value, estimate.data())

    async def book_callback(self, args: Mapping[str, str], info: IvrCallInfo) -> LookupDone:
        delay = whole_number(args.get("delay_minutes", ""), "delay_minutes", default=0, most=MAX_CALLBACK_DELAY_MINUTES)
        now = self._now()
        note = args.get("note", "").strip()[:MAX_NOTE] or None
        campaign = args.get("campaign", "").strip() or self.callback_campaign
        if not campaign:
            raise BadArgument("campaign: missing, and no [fastagi] callback_campaign")
        booked = await book_caller_callback(self.dialer.db, campaign, info.caller, callback_due(now, delay), note, now)
        if isinstance(booked, Booked):
            log.info(
                "ivr_callback_booked",
                call=info.call_ref,
                campaign=campaign,
                lead_id=booked.lead_id,
                callback_id=booked.callback_id,
                new_lead=booked.new_lead,
                moved=booked.moved,
            )
            runner = self.dialer.runners.get(campaign)
            if runner is not None:
                runner.wake()  # a callback due now: the runner looks for it now, not at its next tick
            when = booked.due_at.astimezone(UTC).isoformat()
            return LookupDone("booked", {"when": when, "moved": "yes" if booked.moved else "no"})
        log.info("ivr_callback_refused", call=info.call_ref, campaign=campaign, reason=booked.value)
        return LookupDone("refused", {"reason": booked.value})
