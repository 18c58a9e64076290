"""Supervisor monitoring of live calls, through Asterisk's ChanSpy (asterisk/extensions.conf [dialer-supervise]).

A supervisor asks to listen to / whisper to / barge into an agent's call: the dialer originates a call to the
supervisor's own phone (their user's ``phone``) which, once answered, spies on the agent's channel. One session
per supervisor at a time: asking for another mode (whisper, then barge) hangs up the first. Every session is in
the audit table (who, whom, which call, mode, from when to when); its end is the PBX's word (the supervisor
leg's ``Hangup``), or the Originate's failure. Stopping a session hangs the leg up and waits (a bounded time) for
that Hangup, so that the answer says what happened: "ended", or "ending" while the PBX has not confirmed it.
Any daemon on the database stops a session, whichever started it (the supervisor's browser reached another
daemon): the audit row names the leg (``channel_id``, its Uniqueid) and its Asterisk server, and the daemon hangs
that leg up through its own AMI connection to that server; the Hangup, seen by both daemons' pumps, ends the row
once (its end is written only while the row says started) and the starting daemon forgets the leg.
A row on a server no daemon reporting is connected to (removed from the settings, or its daemon dead and no other
connected to it) cannot be hung up by anyone: stopping it -- or starting the supervisor's next session, which stops
theirs first -- ends it without the PBX's word, audited as such (:attr:`EndReason.NO_DAEMON_CONNECTED`), so that a
stale row does not refuse every new listen. A row whose leg may still be listening is never dropped so: one on a
server another daemon reporting is connected to, or on one of this daemon's servers it cannot reach now, stays
started and the stop answers why (409).
Every end says why (``end_reason``, :class:`EndReason`). A leg whose Hangup this daemon missed (its AMI connection
dropped as it ended) is ended by the next channel listing of its server that no longer has it (after every
reconnect, and periodically: :meth:`SupervisionService.reconcile`), the way its Hangup would have.
The phone's leg never runs ChanSpy itself (it Dials a Local leg that does, asterisk/extensions.conf
[dialer-supervise-spy]): ChanSpy cannot return before the agent's channel handles one more audio frame, so a leg
running it would outlive the Hangup for as long as the call is silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from enum import StrEnum

from dialer.agents.registry import Agent, AgentStatus
from dialer.ami.client import AmiClient, MonitoringActions
from dialer.ami.events import AmiEvent, Hangup, OriginateResponse
from dialer.ami.monitoring import SpyRequest
from dialer.clock import Clock
from dialer.i18n import M_, Message, message_of
from dialer.i18n.library import ami_answer_text
from dialer.logging import get_logger
from dialer.store.engine import Database
from dialer.store.floor import may_be_connected
from dialer.store.monitoring import (
    SupervisionRecord,
    get_supervision,
    open_supervisions,
    supervision_ended,
    supervision_started,
)

log = get_logger(__name__)
CHANNEL_PREFIX = "spy-"
# How long stopping a session waits for the PBX's Hangup of the supervisor's leg (it comes in milliseconds; a
# loaded PBX may take longer: the session is then "ending" and its audit row ends when the Hangup comes).
STOP_WAIT_SECONDS = 10.0
# A leg younger than this is not judged by a channel listing (the listing may predate its channel), as the call
# tracker's reconcile does.
LISTING_GRACE_SECONDS = 5.0
ENDING = "ending"


class EndReason(StrEnum):
    """Why a session ended (its audit row's ``end_reason``)."""

    HANGUP = "hangup"  # the PBX hung the supervisor's leg up (stopped, or the phone hung up)
    ORIGINATE_FAILED = "originate_failed"  # the PBX did not call the supervisor's phone
    LEG_GONE = "leg_gone"  # stopped: the PBX no longer had the leg
    CONNECTION_LOST = "connection_lost"  # stopped by the daemon that started it, its connection down
    LOST = "lost"  # its Hangup was not seen (the connection down): the PBX's channel listing no longer had it
    NO_DAEMON_CONNECTED = "server_not_connected"  # stopped: no daemon reporting is connected to its server


class SupervisionRefused(Exception):
    """The session cannot start (agent not on a call, no phone, PBX refused); the message says why."""


class SupervisionService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        client_for: Callable[[Agent], AmiClient],
        attempt_of: Callable[[str], int | None],
        servers: Mapping[str, AmiClient],
    ) -> None:
        self.db = db
        self.clock = clock
        self._client_for = client_for
        self._attempt_of = attempt_of
        self._servers = servers  # this daemon's AMI connection to each of its servers, by name
        self._open: dict[str, str] = {}  # supervisor leg ChannelId -> action id (its OriginateResponse)
        self._writes: set[asyncio.Task[bool]] = set()
        self._clients: dict[str, AmiClient] = {}  # channel id -> the client the session runs on
        self._since: dict[str, float] = {}  # channel id -> when this daemon began to follow it (its clock)
        self._stopping: dict[str, asyncio.Future[None]] = {}  # channel id -> its audit row ended (stop() waits)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    async def start(self, *, supervisor: str, phone: str | None, agent: Agent, mode: str) -> SupervisionRecord:
        if not phone:
            raise SupervisionRefused(
                M_(
                    "{supervisor} has no phone to listen on: an administrator sets one on /admin (or `dialer user set"
                    " {supervisor} --phone PJSIP/1001`)",
                    supervisor=supervisor,
                )
            )
        if agent.status is not AgentStatus.TALKING:
            raise SupervisionRefused(
                M_("{agent} is not on a call ({status})", agent=agent.agent_id, status=Message(agent.status.value))
            )
        await self.stop_all(supervisor)
        client = self._client_for(agent)
        channel_id = f"{CHANNEL_PREFIX}{secrets.token_hex(8)}"
        try:
            request = SpyRequest(phone=phone, agent_interface=agent.interface, mode=mode, supervisor=supervisor)
        except ValueError as exc:
            raise SupervisionRefused(message_of(exc)) from None
        self._follow(channel_id, client)
        result = await MonitoringActions(client).spy(request, channel_id)
        attempt = self._attempt_of(agent.agent_id)
        session_id = await supervision_started(
            self.db,
            supervisor=supervisor,
            agent=agent.agent_id,
            mode=mode,
            attempt_id=attempt,
            phone=phone,
            server=client.name,
            channel_id=channel_id,
            at=self._now(),
        )
        if not result.may_be_dialling:
            self._forget(channel_id)
            await supervision_ended(
                self.db, channel_id, at=self._now(), state="failed", reason=EndReason.ORIGINATE_FAILED
            )
            raise SupervisionRefused(
                M_("the PBX did not call {phone}: {reason}", phone=phone, reason=ami_answer_text(result.message or ""))
            )
        self._open[channel_id] = result.action_id
        log.info("supervision_started", supervisor=supervisor, agent=agent.agent_id, mode=mode, attempt_id=attempt)
        record = await get_supervision(self.db, session_id)
        assert record is not None
        return record

    async def stop(self, record: SupervisionRecord) -> str:
        """Hang up the supervisor's leg and wait (at most :data:`STOP_WAIT_SECONDS`) for its Hangup to end the audit
        row (at once if the leg is gone). Returns the session's state now: the row's ("ended", "failed"), or
        :data:`ENDING` if the PBX has not confirmed the hangup yet (the row ends when it does).

        A session another daemon started (or this one before a restart) is hung up through this daemon's own
        connection to its server, and followed here until its Hangup; :class:`SupervisionRefused` when this daemon
        has no connection to that server but another daemon reporting may have, or cannot reach it now (the row
        stays started: the leg may be up). On a server no daemon reporting is connected to, the row ends
        (:attr:`EndReason.NO_DAEMON_CONNECTED`: nobody can hang its leg up, or see it end)."""
        channel_id = record.channel_id
        client = self._clients.get(channel_id)
        elsewhere = client is None
        if client is None:
            client = self._servers.get(record.server)
            if client is None and not await may_be_connected(self.db, record.server, self._now()):
                await supervision_ended(self.db, channel_id, at=self._now(), reason=EndReason.NO_DAEMON_CONNECTED)
                log.warning(
                    "supervision_ended_unreachable",
                    session_id=record.id,
                    supervisor=record.supervisor,
                    agent=record.agent,
                    server=record.server,
                )
                current = await get_supervision(self.db, record.id)
                return current.state if current is not None else "ended"
            if client is None:
                raise SupervisionRefused(
                    M_(
                        "this daemon has no connection to {server}, where the session's call is: stop it on a daemon"
                        " connected to {server}",
                        server=record.server,
                    )
                )
            self._follow(channel_id, client)  # its Hangup ends the row here too
        ended = asyncio.get_running_loop().create_future()
        self._stopping[channel_id] = ended
        try:
            try:
                gone = not await client.hangup(channel_id, 16)
            except Exception as exc:  # (AMI refused it, timed out, not connected)
                if elsewhere:  # the leg was not started here: it is up as far as this daemon knows
                    self._forget(channel_id)
                    raise SupervisionRefused(
                        M_(
                            "{server} cannot be reached from this daemon now: {reason}",
                            server=record.server,
                            reason=str(exc),
                        )
                    ) from None
                gone = True  # not connected: the leg cannot outlive the connection's calls for long
                reason = EndReason.CONNECTION_LOST
            else:
                reason = EndReason.LEG_GONE
            if gone:
                self._forget(channel_id)
                await supervision_ended(self.db, channel_id, at=self._now(), reason=reason)
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(STOP_WAIT_SECONDS):
                        await asyncio.shield(ended)
        finally:
            self._stopping.pop(channel_id, None)
        current = await get_supervision(self.db, record.id)
        state = current.state if current is not None else record.state
        return ENDING if state == "started" else state

    async def stop_all(self, supervisor: str) -> None:
        for record in await open_supervisions(self.db, supervisor):
            await self.stop(record)

    def observe(self, event: AmiEvent, now: float) -> None:
        """EventPump observer: the supervisor leg's Hangup (or a failed Originate) ends its session."""
        match event:
            case Hangup() if event.uniqueid in self._open:
                self._end(event.uniqueid, "ended", EndReason.HANGUP, now)
            case OriginateResponse(success=False) if event.action_id:
                for channel_id, action_id in list(self._open.items()):
                    if action_id == event.action_id:
                        self._end(channel_id, "failed", EndReason.ORIGINATE_FAILED, now)
            case _:
                return

    def _end(self, channel_id: str, state: str, reason: EndReason, now: float) -> None:
        self._forget(channel_id)
        at = datetime.fromtimestamp(now, UTC)
        ended = supervision_ended(self.db, channel_id, at=at, state=state, reason=reason)
        task = asyncio.get_running_loop().create_task(ended)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)
        stopping = self._stopping.get(channel_id)
        if stopping is not None:  # stop() is waiting for this row
            task.add_done_callback(lambda _: _settle(stopping))

    def reconcile(self, server: str, live: Collection[str], now: float) -> int:
        """A channel listing of ``server`` (its Uniqueids, ``live``: after every reconnect, and periodically): the
        legs followed here on that server that the PBX no longer has -- their Hangup missed while the connection was
        down -- end as their Hangup would have ended them, audited :attr:`EndReason.LOST`. A leg younger than
        :data:`LISTING_GRACE_SECONDS` is kept (its channel may postdate the listing). Returns how many ended."""
        gone = [
            channel_id
            for channel_id, client in self._clients.items()
            if client.name == server
            and channel_id in self._open
            and channel_id not in live
            and now - self._since.get(channel_id, now) >= LISTING_GRACE_SECONDS
        ]
        for channel_id in gone:
            log.info("supervision_leg_lost", server=server, channel_id=channel_id)
            self._end(channel_id, "ended", EndReason.LOST, now)
        return len(gone)

    @property
    def following(self) -> frozenset[str]:
        """The supervisor legs (their channel ids) whose Hangup or failed Originate this daemon waits for."""
        return frozenset(self._open)

    async def flush(self) -> None:
        """Wait for the audit rows of the ends seen so far."""
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def _follow(self, channel_id: str, client: AmiClient) -> None:
        self._open[channel_id] = ""  # (its Originate's action id once sent)
        self._clients[channel_id] = client
        self._since[channel_id] = self.clock.now()

    def _forget(self, channel_id: str) -> None:
        self._open.pop(channel_id, None)
        self._clients.pop(channel_id, None)
        self._since.pop(channel_id, None)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
