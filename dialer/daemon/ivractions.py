"""The daemon's IVR actions: the lookups that need the daemon's live state or its store (virtual hold), in front
of the manager's table (:class:`dialer.ivr.actions.TableActions`), which answers every other action.

- ``queue_wait`` (``queue``, ``longer_than`` seconds): the estimated wait of the queue now
  (:func:`dialer.ivr.virtualhold.estimate_wait` over the callers waiting, the agents logged in to the queue -- what
  each is doing and since when -- and the last hour's talk times), on the caller's own Asterisk server: its callers
  wait in that server's app_queue, for the agents logged in to the queue there. The server is the one whose AMI
  announced the caller's channel (:class:`dialer.calls.channel_servers.ChannelServers`, by the request's
  ``agi_uniqueid``); with one server, or when it is not known (logged at DEBUG), every server's, as if one queue.
  Statuses ``short``, ``long``, ``closed``; data ``seconds``, ``waiting``.
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
    BusyAgent,
    OnCall,
    QueueNow,
    WrappingUp,
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


def queue_now(dialer: Dialer, queue: str, server: str | None = None) -> QueueNow:
    """The queue as the daemon sees it now, on ``server`` (None: every server): callers waiting, its agents and what
    each is doing since when, the last hour's talk times (every server's: one workforce, more calls measured)."""
    now = dialer.clock.now()
    agents = dialer.agents.registry.in_queue(queue, server)
    busy: list[BusyAgent] = []
    ready = offered = 0
    for agent in agents:
        if agent.status is AgentStatus.PAUSED or agent.pending_pause:
            continue  # (a pause asked during a call or a wrap-up: paused once it ends)
        if agent.status is AgentStatus.READY:
            ready += 1
        elif agent.status is AgentStatus.WRAPUP:
            # (a wrap-up only the disposition ends: its time is when it is due, not sure; past it, taken as now)
            busy.append(WrappingUp(agent.wrapup_until if agent.wrapup_until is not None else now))
        elif agent.status is AgentStatus.RINGING:
            busy.append(OnCall(now))  # its call starts now
            offered += agent.call_queue == queue  # (rung for one of the callers waiting here)
        else:
            busy.append(OnCall(agent.since))
    measured = next((q.last_hour.mean_talk_seconds for q in dialer.inbound_live() if q.queue == queue), None)
    return QueueNow(
        waiting=dialer.inbound_waiting(queue, server),
        logged_in=len(agents),
        ready=ready,
        busy=tuple(busy),
        mean_handle_seconds=measured,
        talk_seconds=dialer.inbound_calls.talk_times(queue),
        being_offered=offered,
    )


def caller_server(dialer: Dialer, info: IvrCallInfo) -> str | None:
    """The Asterisk server the IVR call came from (None: one server, or not known: then every server counts)."""
    servers = [conn.server.name for conn in dialer.connections]
    if len(servers) <= 1:
        log.debug("queue_wait_every_server", call=info.call_ref, why="one server")
        return None
    server = dialer.inbound.channels.server_of(info.uniqueid) if info.uniqueid else None
    if server is None:
        log.debug("queue_wait_every_server", call=info.call_ref, uniqueid=info.uniqueid, why="server not known")
    return server


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
                return self.queue_wait(args, info)
            if action == BOOK_CALLBACK:
                return await self.book_callback(args, info)
        except BadArgument as exc:
            log.warning("ivr_action_bad_argument", action=action, call=info.call_ref, problem=str(exc))
            return LookupDone("error")
        return await self.fallback(action, args, info)

    def queue_wait(self, args: Mapping[str, str], info: IvrCallInfo) -> LookupDone:
        queue = args.get("queue", "").strip()
        if not queue:
            raise BadArgument("queue: missing")
        longer_than = whole_number(args.get("longer_than", ""), "longer_than")
        server = caller_server(self.dialer, info)
        estimate = estimate_wait(queue_now(self.dialer, queue, server), longer_than, self.dialer.clock.now())
        log.debug(
            "queue_wait_estimate",
            call=info.call_ref,
            queue=queue,
            server=server,
            status=estimate.status.value,
            seconds=estimate.seconds,
            waiting=estimate.waiting,
        )
        return LookupDone(estimate.status.value, estimate.data())

    async def book_callback(self, args: Mapping[str, str], info: IvrCallInfo) -> LookupDone:
        delay = whole_number(args.get("delay_minutes", ""), "delay_minutes", default=0, most=MAX_CALLBACK_DELAY_MINUTES)
        now = self._now()
        note = args.get("note", "").strip()[:MAX_NOTE] or None
        campaign = args.get("campaign", "").strip() or self.callback_campaign
        if not campaign:
            raise BadArgument("campaign: missing, and no [fastagi] callback_campaign")
        due = callback_due(now, delay)
        booked = await book_caller_callback(
            self.dialer.db, campaign, info.caller, due, note, now, source=f"ivr flow {info.flow}"
        )
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
