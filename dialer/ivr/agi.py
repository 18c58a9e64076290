"""The IVR edge: a FastAGI session runs one call's flow executor against the real channel.

The dialplan (asterisk/extensions.conf, ``[dialer-ivr]``) calls ``AGI(agi://${DIALER_FASTAGI}/ivr)`` once the call
is answered (after AMD). This service reads the call's ids from its channel variables, starts the executor and
turns its commands into AGI commands:

=============  ==============================================================================================
Play           ``STREAM FILE <sound> "<barge-in keys>"``: 0 played out, a key's code: interrupted by it
Collect        ``GET DATA <sound> <timeout ms> <max digits>`` (``#`` ends an entry; nothing: a timeout)
Lookup         the daemon action (:data:`Actions`), bounded by the node's timeout
EnterQueue     ``SET VARIABLE DIALER_IVR_QUEUE`` / ``DIALER_IVR_MAX_WAIT`` / ``DIALER_IVR_CONTEXT``, then the
               session ends and the dialplan runs ``Queue()`` -- music on hold, bounded -- and comes back to
               ``/ivr`` when nobody answered (the flow's ``on_timeout``: a message, never silence)
OptOut         ``EXEC UserEvent DialerOptOut`` (the runner's DNC path, as in the safe-harbour message) and the
               result's ``opted_out`` (stored with it)
Hangup         ``HANGUP``
=============  ==============================================================================================

The executor of a call handed to a queue waits ("parked") for the call's ``h`` extension, which calls
``/ivr-end``: an agent took it (``MEMBERINTERFACE`` set) or the caller hung up waiting. Then the result is
handed to the :data:`ResultSink` (the store, the screen pop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog

from dialer.ami.fastagi import AgiHandler, AgiHangup, AgiSession, quote
from dialer.contract import (
    ATTEMPT_VARIABLE,
    CAMPAIGN_VARIABLE,
    IVR_CALL_VARIABLE,
    IVR_CONTEXT_VARIABLE,
    IVR_FLOW_VARIABLE,
    IVR_MAX_WAIT_VARIABLE,
    IVR_QUEUE_VARIABLE,
    OPT_OUT_USER_EVENT,
)
from dialer.ivr.executor import (
    CallerHangup,
    Collect,
    Command,
    DigitsEntered,
    EnterQueue,
    Event,
    FlowExecutor,
    FlowResult,
    Hangup,
    Lookup,
    LookupDone,
    OptOut,
    Play,
    PromptDone,
    QueueLeft,
)
from dialer.ivr.flow import KEYS, Flow
from dialer.ivr.prompts import sound_name

log = structlog.get_logger(__name__)

IVR_SCRIPT = "ivr"
IVR_END_SCRIPT = "ivr-end"
# QUEUESTATUS values after which the caller is back in the flow (nobody answered in time).
QUEUE_NOT_ANSWERED = frozenset({"TIMEOUT", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL", "FULL"})


@dataclass(frozen=True, slots=True)
class IvrCallInfo:
    """Who the flow runs for: our ids, read from the channel."""

    call_ref: str  # DIALER_IVR_CALL: "a<attempt>" outbound, "i<uniqueid>" inbound
    flow: str
    attempt: str | None
    campaign: str | None
    caller: str
    uniqueid: str = ""  # the channel's Uniqueid (agi_uniqueid): its server is the one whose AMI announced it


Actions = Callable[[str, Mapping[str, str], IvrCallInfo], Awaitable[LookupDone]]
ResultSink = Callable[[IvrCallInfo, FlowResult], Awaitable[None]]


def encode_context(context: Mapping[str, str]) -> str:
    """The context as one channel variable: ``key=value;key=value`` (``;``, ``=`` and quotes removed)."""
    clean = {
        k: str(v).replace(";", " ").replace("=", ":").replace(",", " ").replace('"', "") for k, v in context.items()
    }
    return ";".join(f"{k}={v}" for k, v in clean.items())[:1000]


def decode_context(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep and key:
            out[key] = value
    return out


class IvrAgiService:
    """Runs flows over FastAGI. ``clock`` gives the time (UTC); everything else comes in through the session."""

    def __init__(
        self,
        flows: Mapping[str, Flow],
        actions: Actions,
        sink: ResultSink,
        clock: Callable[[], datetime],
        flows_by_campaign: Mapping[str, str] | None = None,
    ) -> None:
        self.flows = dict(flows)
        # an agentless campaign's Originate names its campaign; the flow is the campaign's own
        self.flows_by_campaign = dict(flows_by_campaign or {})
        self.actions = actions
        self.sink = sink
        self.clock = clock
        self.parked: dict[str, tuple[IvrCallInfo, FlowExecutor]] = {}

    @property
    def routes(self) -> dict[str, AgiHandler]:
        return {IVR_SCRIPT: self.run, IVR_END_SCRIPT: self.end}

    async def _call_info(self, session: AgiSession) -> IvrCallInfo:
        attempt = await session.get_variable(ATTEMPT_VARIABLE) or None
        call_ref = await session.get_variable(IVR_CALL_VARIABLE)
        if not call_ref:
            call_ref = f"a{attempt}" if attempt else f"i{session.headers.get('agi_uniqueid', '')}"
            await session.set_variable(IVR_CALL_VARIABLE, call_ref)
        named = await session.get_variable(IVR_FLOW_VARIABLE)
        campaign = await session.get_variable(CAMPAIGN_VARIABLE) or None
        flow = named or self.flows_by_campaign.get(campaign or "", "")
        return IvrCallInfo(
            call_ref=call_ref,
            flow=flow,
            attempt=attempt,
            campaign=campaign,
            caller=session.headers.get("agi_callerid", ""),
            uniqueid=session.headers.get("agi_uniqueid", ""),
        )

    async def run(self, session: AgiSession) -> None:
        info = await self._call_info(session)
        bound = log.bind(call=info.call_ref, flow=info.flow, attempt=info.attempt)
        parked = self.parked.pop(info.call_ref, None)
        if parked is not None:  # back from a queue nobody answered
            info, executor = parked
            status = await session.get_variable("QUEUESTATUS")
            bound.info("ivr back from queue", queue_status=status)
            await session.set_variable(IVR_QUEUE_VARIABLE, "")
            commands = executor.handle(QueueLeft(answered=False), self.clock())
        else:
            flow = self.flows.get(info.flow)
            if flow is None:
                bound.error("ivr flow unknown", known=sorted(self.flows))
                await session.command("HANGUP")
                return
            variables = {"caller": info.caller, "campaign": info.campaign or "", "attempt": info.attempt or ""}
            executor = FlowExecutor(flow, variables)
            machine = (await session.get_variable("AMDSTATUS")) == "MACHINE"
            bound.info("ivr start", machine=machine)
            commands = executor.start(self.clock(), machine=machine)
        try:
            await self._drive(session, info, executor, commands)
        except AgiHangup:
            executor.handle(CallerHangup(), self.clock())
        if executor.finished:
            await self._finish(info, executor)

    async def _drive(
        self, session: AgiSession, info: IvrCallInfo, executor: FlowExecutor, commands: list[Command]
    ) -> None:
        while commands:
            command, rest = commands[0], commands[1:]
            event = await self._perform(session, info, executor, command)
            if isinstance(command, EnterQueue):
                self.parked[info.call_ref] = (info, executor)
                return  # the dialplan runs Queue() now
            commands = rest if event is None else rest + executor.handle(event, self.clock())

    async def _perform(
        self, session: AgiSession, info: IvrCallInfo, executor: FlowExecutor, command: Command
    ) -> Event | None:
        flow = executor.flow
        if isinstance(command, Play):
            reply = await session.command(f"STREAM FILE {sound_name(flow, command.name)} {quote(command.barge_in)}")
            code = int(reply.result or "0")
            return PromptDone(chr(code) if code > 0 else None)
        if isinstance(command, Collect):
            timeout_ms = int(command.timeout_seconds * 1000)
            reply = await session.command(
                f"GET DATA {sound_name(flow, command.name)} {timeout_ms} {command.max_digits}"
            )
            return DigitsEntered("".join(c for c in reply.result if c in KEYS))
        if isinstance(command, Lookup):
            try:
                async with asyncio.timeout(command.timeout_seconds):
                    return await self.actions(command.action, command.args, info)
            except TimeoutError:
                return LookupDone("timeout")
            except Exception:
                log.exception("ivr action failed", action=command.action, call=info.call_ref)
                return LookupDone("error")
        if isinstance(command, EnterQueue):
            await session.set_variable(IVR_QUEUE_VARIABLE, command.queue)
            await session.set_variable(IVR_MAX_WAIT_VARIABLE, str(command.max_wait_seconds))
            await session.set_variable(IVR_CONTEXT_VARIABLE, encode_context(command.context))
            return None
        if isinstance(command, OptOut):
            event = f"{OPT_OUT_USER_EVENT},Attempt: {info.attempt or ''},Campaign: {info.campaign or ''}"
            await session.command(f"EXEC UserEvent {quote(event)}")
            return None
        assert isinstance(command, Hangup)
        await session.command("HANGUP")
        return None

    async def end(self, session: AgiSession) -> None:
        """The ``h`` extension of a call that went to a queue: close its flow."""
        call_ref = await session.get_variable(IVR_CALL_VARIABLE)
        parked = self.parked.pop(call_ref, None)
        if parked is None:
            return
        info, executor = parked
        agent = await session.get_variable("MEMBERINTERFACE")
        now = self.clock()
        if agent:
            executor.handle(QueueLeft(answered=True, agent=agent), now)
        else:
            executor.handle(CallerHangup(), now)
        await self._finish(info, executor)

    async def _finish(self, info: IvrCallInfo, executor: FlowExecutor) -> None:
        result = executor.result()
        log.info("ivr end", call=info.call_ref, flow=info.flow, result=str(result.result), steps=len(result.path))
        try:
            await self.sink(info, result)
        except Exception:
            log.exception("ivr result not stored", call=info.call_ref)
