"""[dialer-ivr] on the simulated PBX: an answered agentless call runs its flow over FastAGI, as Asterisk 22 does.

The shipped dialplan (asterisk/extensions.conf ``[dialer-ivr]``; recorded in
tests/fixtures/ami-traces/lab/ivr-reminder.txt) answers, runs AMD when ``DIALER_AMD`` is 1 (a machine: the flow's
message after the beep), clears ``DIALER_IVR_QUEUE``/``MAX_WAIT``/``CONTEXT`` and runs
``AGI(agi://${DIALER_FASTAGI}/ivr)``. This module does the same on the simulated channels: it opens a TCP
connection to the daemon's FastAGI server, sends the AGI environment (``agi_network: yes``,
``agi_network_script: ivr``, ``agi_request``, ``agi_channel`` ...), and answers each AGI command as Asterisk
would, with an ``AGIExecStart``/``AGIExecEnd`` pair per command (class ``agi``) and the events the command causes
(``VarSet``, ``DTMFBegin``/``DTMFEnd``, ``UserEvent``):

=================================  ===========================================================================
``GET VARIABLE name``              ``200 result=1 (value)``, ``200 result=0`` when unset
``SET VARIABLE name "value"``      ``200 result=1``
``STREAM FILE sound "keys"``       after the prompt: ``200 result=0 endpos=N``; a key pressed (one of ``keys``):
                                   ``200 result=<its code> endpos=N``; hung up: ``200 result=-1 endpos=N``
``GET DATA sound ms max``          ``200 result=<digits>``; nothing: ``200 result= (timeout)``; hung up: ``-1``
``EXEC UserEvent "..."``           the UserEvent, ``200 result=0``
``HANGUP``                         ``200 result=1``, then the channel hangs up
=================================  ===========================================================================

A channel that hangs up while the session is open sends ``HANGUP``; then the commands res_agi refuses on a dead
channel get ``511`` (``GET VARIABLE``, ``SET VARIABLE``, ``EXEC`` still run: tests/fixtures/agi/ivr-session.txt).
When the flow set ``DIALER_IVR_QUEUE`` the dialplan raises ``DialerIvrTransfer`` and runs ``Queue()``; nobody in
time: ``DialerAbandon`` and back to ``/ivr``. The h extension runs before the channel's ``Hangup``, once AGI()
returned: ``/ivr-end`` for a queued call, then [dialer-hangup]'s ``DialerCallEnd`` (inbound IVR callers too).

The simulated callers press keys as :class:`IvrCallers` says (:class:`dialer.sim.ivr.CallerBehaviour`: keys by
weight, silence, invalid keys, hang-ups, the opt-out key), drawn from the call's own seeded generator; machines
listen to everything. Prompts last ``prompt_seconds`` (Asterisk knows a sound file's length; the simulation uses
one length for every prompt).

Why one module (over 500 lines): ``IvrCall`` is one AGI session as res_agi runs it -- the table above, command by
command, with the dead-channel rules and the dialplan around AGI() (AMD before, the queue transfer and the h
extension after) -- whose steps share the session's socket and the channel's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shlex
import weakref
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dialer.calls.outcome import Outcome
from dialer.contract import (
    ABANDON_USER_EVENT,
    AMD_USER_EVENT,
    AMD_VARIABLE,
    ATTEMPT_VARIABLE,
    CALL_END_USER_EVENT,
    FASTAGI_VARIABLE,
    HANGUP_CONTEXT,
    IVR_CALL_VARIABLE,
    IVR_CONTEXT,
    IVR_CONTEXT_VARIABLE,
    IVR_FLOW_VARIABLE,
    IVR_MAX_WAIT_VARIABLE,
    IVR_QUEUE_VARIABLE,
    IVR_TRANSFER_USER_EVENT,
    OPT_OUT_USER_EVENT,
    STAGE_VARIABLE,
)
from dialer.logging import get_logger
from dialer.sim.ivr import INVALID, SILENCE, CallerBehaviour
from dialer.sim.pbx.calls import OriginateRequest, PairCall, Stage
from dialer.sim.pbx.channels import Channel, Headers
from dialer.sim.pbx.config import DialerContext
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.inbound import INBOUND_ENTRIES, InboundCall
from dialer.sim.pbx.outbound import CONTEXT_ENTRIES, OutboundCall
from dialer.sim.pbx.world import Fate

if TYPE_CHECKING:
    from dialer.sim.pbx.core import PbxCore

log = get_logger(__name__)

# agi_version: what the recorded Asterisk 22 reports (tests/fixtures/agi/ivr-session.txt; its `asterisk -V`: built
# from a git archive of the 22 branch, it has no release number)
AGI_VERSION = "UNKNOWN__and_probably_unsupported"
INBOUND_CONTEXT = "dialer-inbound"  # the shipped dialplan's inbound context (asterisk/extensions.conf)
INBOUND_IVR_EXTEN = "ivr"  # dialer-inbound's IVR extension
# [dialer-ivr]'s labels: s,n(flow) after the AMD steps (priorities 5-10), s,n(agi), s,n(done)
FLOW_PRIORITY, AGI_PRIORITY, DONE_PRIORITY = 11, 12, 24
DEFAULT_MAX_WAIT = "30"
CLOSED_POLL_SECONDS = 0.5  # real seconds between looks at a stopped PBX while a command waits


@dataclass(frozen=True, slots=True)
class IvrCallers:
    """How the simulated callers of one PBX behave in flows."""

    behaviour: CallerBehaviour = field(default_factory=CallerBehaviour)
    prompt_seconds: float = 3.0
    opt_out_key: str = "9"
    invalid_key: str = "7"
    beep_seconds: float = 8.0  # a machine's greeting until the beep (WaitForSilence returns then)
    inbound_flow: str = "inbound"  # the flow dialer-inbound,ivr names (Set(DIALER_IVR_FLOW=inbound))
    # What callers enter at one collect prompt, by its flow and name ("inbound/welcome": an account number), instead
    # of ``behaviour``'s keys (a menu elsewhere in the same call still gets those)
    by_prompt: Mapping[str, CallerBehaviour] = field(default_factory=dict)

    def at(self, sound: str) -> CallerBehaviour:
        """The behaviour at the collect that plays ``sound`` (``dialer/ivr/<flow>/<prompt>``)."""
        flow_prompt = "/".join(sound.rsplit("/", 2)[-2:])
        return self.by_prompt.get(flow_prompt, self.behaviour)


_CALLERS: weakref.WeakKeyDictionary[Engine, IvrCallers] = weakref.WeakKeyDictionary()


def configure_ivr_callers(engine: Engine, callers: IvrCallers) -> None:
    """The callers' behaviour on this PBX (``SimulatedPbx(...).core.engine``); default: everyone presses 1."""
    _CALLERS[engine] = callers


def callers_of(engine: Engine) -> IvrCallers:
    return _CALLERS.get(engine) or IvrCallers()


# FastAGI sessions of each PBX waiting on the daemon (connecting, or for its next command) rather than on the
# PBX's own clock: a test that steps simulated time lets these drain first, as a real PBX's callers would not
# have moved on while the daemon answered.
_AWAITING_DAEMON: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def agi_sessions_awaiting_daemon(engine: Engine) -> int:
    """How many of this PBX's FastAGI sessions wait on the daemon now (0: every caller waits on simulated time)."""
    return _AWAITING_DAEMON.get(engine, 0)


@contextlib.contextmanager
def _awaiting_daemon(engine: Engine) -> Iterator[None]:
    _AWAITING_DAEMON[engine] = _AWAITING_DAEMON.get(engine, 0) + 1
    try:
        yield
    finally:
        _AWAITING_DAEMON[engine] -= 1


def agi_environment(channel: Channel, script: str, address: str, *, thread: int) -> list[tuple[str, str]]:
    """What Asterisk sends first on a FastAGI connection (res_agi.c launch_netscript + setup_env), in its order."""
    return [
        ("agi_network", "yes"),
        ("agi_network_script", script),
        ("agi_request", f"agi://{address}/{script}"),
        ("agi_channel", channel.name),
        ("agi_language", "en"),
        ("agi_type", channel.name.split("/", 1)[0]),
        ("agi_uniqueid", channel.uniqueid),
        ("agi_version", AGI_VERSION),
        ("agi_callerid", channel.caller_num or "unknown"),
        ("agi_calleridname", channel.caller_name or "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", "unknown"),
        ("agi_rdnis", "unknown"),
        ("agi_context", channel.context),
        ("agi_extension", channel.exten),
        ("agi_priority", str(channel.priority)),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", str(thread)),
    ]


# What res_agi answers a command it does not run on a hung-up channel (tests/fixtures/agi/ivr-session.txt), and the
# commands it still runs there (its command table's "dead" column).
DEAD_CHANNEL_REPLY = "511 Command Not Permitted on a dead channel or intercept routine"
_DEAD_SAFE = (
    ("asyncagi", "break"),
    ("database",),
    ("exec",),
    ("get", "full", "variable"),
    ("get", "variable"),
    ("noop",),
    ("set", "variable"),
    ("speech", "destroy"),
    ("speech", "unload", "grammar"),
    ("verbose",),
)


def _allowed_when_dead(command: str) -> bool:
    words = tuple(w.lower() for w in command.split()[:3])
    return any(words[: len(prefix)] == prefix for prefix in _DEAD_SAFE)


class IvrCall:
    """One answered call in [dialer-ivr]: its dialplan steps and its FastAGI sessions."""

    def __init__(self, call: PairCall, address: str, outbound: OutboundCall | None = None) -> None:
        self.call = call
        self.outbound = outbound  # an agentless Originate (None: an inbound caller)
        self.engine = call.engine
        self.o = call.queue_side
        self.address = address
        self.callers = callers_of(call.engine)
        self.rng: random.Random = call.rng
        self.machine = outbound is not None and outbound.plan.fate is Fate.MACHINE
        self.ended = asyncio.Event()
        self.command_ids = random.Random(f"{call.engine.config.seed}:agi:{self.o.uniqueid}")
        self.session: asyncio.Task[None] | None = None  # the /ivr session running now (AGI() has not returned)
        self.agi_hung_up = False  # the flow's HANGUP: the channel hangs up once AGI() returns
        self.h_ran = False
        self.engine.emit_hooks.append(self._watch)
        call.after_queue = self._queue_returned
        call.h_extension = self._h_extension

    # -- the dialplan

    def _step(self, app: str, data: str = "") -> None:
        self.engine.step(self.o, app, data, priority=self.o.priority + 1)

    def _set(self, name: str, value: str) -> None:
        self._step("Set", f"{name}={value}")
        self.engine.set_var(self.o, name, value)

    def _stage(self, stage: str) -> None:
        if self.outbound is not None:
            self.outbound.dialer_stage = stage
        self._set(STAGE_VARIABLE, stage)

    def _outcome(self, outcome: Outcome, *, abandoned: bool = False) -> None:
        """The ground truth of an agentless call (inbound callers have their own record)."""
        if self.outbound is not None:
            self.outbound.record.outcome = outcome
            self.outbound.record.abandoned = self.outbound.record.abandoned or abandoned

    def _user_event(self, name: str, fields: Headers) -> None:
        self._step("UserEvent", ",".join([name, *(f"{k}: {v}" for k, v in fields)]))
        self.engine.channel_event("UserEvent", self.o, [("UserEvent", name), *fields], "user,all")

    def start(self) -> None:
        o = self.o
        self.engine.step(
            o,
            "NoOp",
            f"DIALER ivr attempt={o.variables.get(ATTEMPT_VARIABLE, '')} flow={o.variables.get(IVR_FLOW_VARIABLE, '')}",
            priority=1,
        )
        self._step("Answer")
        if isinstance(self.call, InboundCall):
            self.call.answer()  # an inbound caller rang until now (an Originate's channel was answered before)
        self._stage("ANSWERED")
        amd = o.variables.get(AMD_VARIABLE, "0") == "1"
        self._step("GotoIf", f"{int(amd)}?amd:flow")
        if amd and self.outbound is not None:
            self._stage("AMD")
            self._step("AMD")
            self.call.later(self.outbound.plan.amd_seconds, self._amd_done)
        else:
            self._flow()

    def _amd_done(self) -> None:
        assert self.outbound is not None
        plan, o = self.outbound.plan, self.o
        self.engine.set_var(o, "AMDSTATUS", plan.amd_status)
        self.engine.set_var(o, "AMDCAUSE", plan.amd_cause)
        self.outbound.record.amd_status = plan.amd_status
        self._user_event(
            AMD_USER_EVENT,
            [
                ("Status", plan.amd_status),
                ("Cause", plan.amd_cause),
                ("Attempt", o.variables.get(ATTEMPT_VARIABLE, "")),
            ],
        )
        machine = plan.amd_status == "MACHINE"
        self._step("GotoIf", f"{int(not machine)}?flow")
        if machine:
            self._outcome(Outcome.MACHINE)
            self._stage("MACHINE_MESSAGE")
            self._step("WaitForSilence", "1000,1,20")
            self.call.later(self.callers.beep_seconds, self._flow)
        else:
            self._flow()

    def _flow(self) -> None:
        if self.call.stage is Stage.ENDED:
            return
        machine = self.o.variables.get(STAGE_VARIABLE) == "MACHINE_MESSAGE"
        self.engine.step(self.o, "ExecIf", f"{int(not machine)}?Set({STAGE_VARIABLE}=IVR)", priority=FLOW_PRIORITY)
        if not machine:
            if self.outbound is not None:
                self.outbound.dialer_stage = "IVR"
                self._outcome(Outcome.ABANDONED if self.outbound.record.abandoned else Outcome.SELF_SERVICE)
            self.engine.set_var(self.o, STAGE_VARIABLE, "IVR")
        self._agi()

    def _agi(self) -> None:
        self.o.priority = AGI_PRIORITY - 1  # s,n(agi): after the flow label, or Goto(agi) from a queue timeout
        self._set(IVR_QUEUE_VARIABLE, "")
        self._set(IVR_MAX_WAIT_VARIABLE, DEFAULT_MAX_WAIT)
        self._set(IVR_CONTEXT_VARIABLE, "")
        self._step("AGI", f"agi://{self.address}/ivr")
        self.session = self._spawn(self._session("ivr", self._after_agi))

    def _after_agi(self) -> None:
        """The AGI returned: to the queue the flow chose, or the end."""
        if self.call.stage is Stage.ENDED:
            return
        if self.agi_hung_up:  # the flow's HANGUP: no further priority runs, the h extension does
            self.call.dialplan_hangup(0)
            return
        o = self.o
        queue = o.variables.get(IVR_QUEUE_VARIABLE, "")
        self._step("GotoIf", f"{int(queue == '')}?done")
        if not queue:
            self.engine.step(o, "Hangup", "16", priority=DONE_PRIORITY)
            self.call.dialplan_hangup(16)
            return
        self._stage("QUEUED")
        self._user_event(
            IVR_TRANSFER_USER_EVENT,
            [
                ("Attempt", o.variables.get(ATTEMPT_VARIABLE, "")),
                ("Call", o.variables.get(IVR_CALL_VARIABLE, "")),
                ("Queue", queue),
                ("Context", o.variables.get(IVR_CONTEXT_VARIABLE, "")),
            ],
        )
        wait = float(o.variables.get(IVR_MAX_WAIT_VARIABLE, DEFAULT_MAX_WAIT) or DEFAULT_MAX_WAIT)
        if self.outbound is not None:
            self.outbound.record.queued_at = self.engine.now()
            self.outbound.record.queue = queue
        self.call.enter_queue(queue, wait, f"{queue},b(dialer-agent-autoanswer^s^1),,,{wait:g}")

    def _queue_returned(self) -> None:
        """Queue() returned without an agent: the abandon, and back to the flow (its message, never silence)."""
        o = self.o
        self._step("GotoIf", "0?done")
        self._outcome(Outcome.ABANDONED, abandoned=True)
        self._user_event(
            ABANDON_USER_EVENT,
            [
                ("Attempt", o.variables.get(ATTEMPT_VARIABLE, "")),
                ("Queue", o.variables.get(IVR_QUEUE_VARIABLE, "")),
                ("QueueStatus", self.call.queue_status),
            ],
        )
        self._stage("IVR")
        self._step("Goto", "agi")
        self._agi()

    def _watch(self, event: str, headers: Headers) -> None:
        # (MEMBERINTERFACE, which /ivr-end reads, is the queue's: setinterfacevar, dialer.sim.pbx.queues)
        if event != "Hangup" or ("Uniqueid", self.o.uniqueid) not in headers:
            return
        self.engine.emit_hooks.remove(self._watch)
        if self.h_ran:
            return
        # A hang-up that did not run the call's h extension (call control ended it: dialer.sim.pbx.callcontrol):
        # the flow still hears how its queued call ended, late.
        self.ended.set()
        if self.o.variables.get(STAGE_VARIABLE) == "QUEUED":
            self._spawn(self._session("ivr-end", None))

    # -- the h extension

    def _h_extension(self, cause: int, stage: Stage, then: Callable[[], None]) -> None:
        """[dialer-ivr]'s h extension, before the channel's ``Hangup``: once AGI() returned (the /ivr session sees
        the hang-up and ends), ``ExecIf(QUEUED?AGI(/ivr-end))`` -- the daemon closes the queued caller's flow --
        then ``Goto(dialer-hangup,h,1)``: the report (``DialerCallEnd``)."""
        self.h_ran = True
        self.ended.set()
        running = self.session if self.session is not None and not self.session.done() else None
        queued = self.o.variables.get(STAGE_VARIABLE) == "QUEUED"
        if (running is None and not queued) or self.engine.closed:
            self._h_steps(queued=False)
            self._dialer_hangup(cause)
            then()
            return

        async def h() -> None:
            if running is not None:
                await asyncio.wait({running})  # AGI() returns when its script closes the connection
            if self.engine.closed:
                return
            again = self.o.variables.get(STAGE_VARIABLE) == "QUEUED"
            self._h_steps(queued=again, before_agi=True)
            if again:
                await self._session("ivr-end", None)
                if self._pbx_closed():  # (stopped meanwhile)
                    return
            self._h_steps(queued=again, before_agi=False)
            self._dialer_hangup(cause)
            then()

        self._spawn(h())

    def _pbx_closed(self) -> bool:
        return self.engine.closed

    def _h_steps(self, *, queued: bool, before_agi: bool | None = None) -> None:
        o, e = self.o, self.engine
        if before_agi is None or before_agi:
            o.context, o.exten = IVR_CONTEXT, "h"
            e.step(o, "ExecIf", f"{int(queued)}?AGI(agi://{self.address}/ivr-end)", priority=1)
        if before_agi is None or not before_agi:
            e.step(o, "Goto", f"{HANGUP_CONTEXT},h,1", priority=2)

    def _dialer_hangup(self, cause: int) -> None:
        """[dialer-hangup]'s h extension as the shipped dialplan runs it, from the channel's variables."""
        o, e = self.o, self.engine
        v = o.variables
        o.context, o.exten = HANGUP_CONTEXT, "h"
        attempt = v.get(ATTEMPT_VARIABLE, "")
        stage = v.get(STAGE_VARIABLE, "")
        e.step(o, "NoOp", f"DIALER end attempt={attempt} stage={stage} cause={cause}", priority=1)
        amd = v.get("AMDSTATUS", "") or "HANGUP"
        amd_fields: Headers = [("Status", amd), ("Cause", v.get("AMDCAUSE", "")), ("Attempt", attempt)]
        in_amd = stage == "AMD"
        e.step(
            o,
            "ExecIf",
            f"{int(in_amd)}?UserEvent({','.join([AMD_USER_EVENT, *(f'{k}: {x}' for k, x in amd_fields)])})",
            priority=2,
        )
        if in_amd:
            e.channel_event("UserEvent", o, [("UserEvent", AMD_USER_EVENT), *amd_fields], "user,all")
        member = v.get("MEMBERINTERFACE", "")
        e.step(o, "GotoIf", f"{int(member != '')}?queued", priority=3)
        if member:
            e.step(o, "Set", f"DIALER_CONNECTED_AGENT={member}", priority=12)
            e.set_var(o, "DIALER_CONNECTED_AGENT", member)
            e.step(o, "Set", f"{STAGE_VARIABLE}=CONNECTED", priority=13)
            e.set_var(o, STAGE_VARIABLE, "CONNECTED")
        else:
            e.step(o, "GotoIf", "0?direct", priority=4)  # (a direct agent call never runs in [dialer-ivr])
            waiting = stage == "QUEUED"
            e.step(o, "GotoIf", f"{int(not waiting)}?report", priority=5)
            if waiting:
                e.step(o, "Set", f"{STAGE_VARIABLE}=ABANDONED", priority=6)
                e.set_var(o, STAGE_VARIABLE, "ABANDONED")
                fields: Headers = [("Attempt", attempt), ("QueueStatus", "CALLERHANGUP")]
                e.step(o, "UserEvent", ",".join([ABANDON_USER_EVENT, *(f"{k}: {x}" for k, x in fields)]), priority=7)
                e.channel_event("UserEvent", o, [("UserEvent", ABANDON_USER_EVENT), *fields], "user,all")
                e.step(o, "Goto", "report", priority=8)
        end: Headers = [
            ("Attempt", attempt),
            ("Stage", v.get(STAGE_VARIABLE, "")),
            ("Agent", v.get("DIALER_CONNECTED_AGENT", "")),
            ("QueueStatus", v.get("QUEUESTATUS", "")),
            ("Cause", str(cause)),
        ]
        e.step(o, "UserEvent", ",".join([CALL_END_USER_EVENT, *(f"{k}: {x}" for k, x in end)]), priority=14)
        e.channel_event("UserEvent", o, [("UserEvent", CALL_END_USER_EVENT), *end], "user,all")
        o.priority = 15

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return self.engine.spawn(work)  # (ended with the PBX)

    # -- FastAGI

    async def _session(self, script: str, then: Callable[[], None] | None) -> None:
        host, _, port = self.address.rpartition(":")
        writer: asyncio.StreamWriter | None = None
        try:
            with _awaiting_daemon(self.engine):
                reader, writer = await asyncio.open_connection(host, int(port))
            env = agi_environment(self.o, script, self.address, thread=id(self) & 0x7FFFFFFF)
            writer.write("".join(f"{k}: {v}\n" for k, v in env).encode() + b"\n")
            await writer.drain()
            hangup_sent = False
            while True:
                with _awaiting_daemon(self.engine):
                    line = await reader.readline()
                if not line:
                    break
                command = line.decode().strip()
                if not command:
                    continue
                if self.ended.is_set() and script == "ivr" and not _allowed_when_dead(command):
                    if not hangup_sent:
                        writer.write(b"HANGUP\n")
                        hangup_sent = True
                    writer.write(DEAD_CHANNEL_REPLY.encode() + b"\n")
                else:
                    reply = await self._execute(command)
                    writer.write(reply.encode() + b"\n")
                    if self.ended.is_set() and script == "ivr" and not hangup_sent:
                        writer.write(b"HANGUP\n")
                        hangup_sent = True
                await writer.drain()
            if not self.engine.closed:
                hung_up = script == "ivr" and self.ended.is_set()
                self.engine.set_var(self.o, "AGISTATUS", "HANGUP" if hung_up else "SUCCESS")
        except (OSError, ValueError) as exc:
            log.warning("sim_fastagi_failed", script=script, address=self.address, error=str(exc))
            self.engine.set_var(self.o, "AGISTATUS", "FAILURE")
        finally:
            if writer is not None:
                writer.close()
        if then is not None and not self.engine.closed:
            then()

    async def _wait(self, seconds: float) -> bool:
        """Simulated seconds on the PBX's clock; False when the channel hung up meanwhile."""
        if self.ended.is_set():
            return False
        done = asyncio.get_running_loop().create_future()

        def fire() -> None:
            if not done.done():
                done.set_result(True)

        timer = self.engine.later(seconds, fire)
        ended = asyncio.ensure_future(self.ended.wait())
        try:
            # (the PBX may stop meanwhile: its timers are gone, so look now and then)
            while not (done.done() or ended.done() or self.engine.closed):
                await asyncio.wait({done, ended}, timeout=CLOSED_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            ended.cancel()
        return done.done() and not self.ended.is_set()

    def _exec_event(self, event: str, command_id: str, command: str, extra: Headers | None = None) -> None:
        headers: Headers = [("CommandId", command_id), ("Command", command), *(extra or [])]
        self.engine.channel_event(event, self.o, headers, "agi,all")

    async def _execute(self, command: str) -> str:
        command_id = str(self.command_ids.randrange(1, 2**31))
        self._exec_event("AGIExecStart", command_id, command)
        reply = await self._reply(command)
        self._exec_event("AGIExecEnd", command_id, command, [("ResultCode", reply[:3]), ("Result", "Success")])
        return reply

    async def _reply(self, command: str) -> str:
        try:
            words = shlex.split(command)
        except ValueError:
            return "520 Invalid command syntax.  Proper usage not available."
        verb = " ".join(words[:2]).upper()
        o = self.o
        if verb == "GET VARIABLE" and len(words) >= 3:
            name = words[2]
            if name in o.variables:
                return f"200 result=1 ({o.variables[name]})"
            return "200 result=0"
        if verb == "SET VARIABLE" and len(words) >= 4:
            self.engine.set_var(o, words[2], words[3])
            return "200 result=1"
        if verb == "STREAM FILE" and len(words) >= 3:
            reply = await self._stream(words[2], words[3] if len(words) > 3 else "")
            if self.call.stage is not Stage.ENDED:
                # res_agi's handle_streamfile, after its reply: res ? "FAILED" : "SUCCESS" (a key or -1 is FAILED)
                played = reply.startswith("200 result=0 ")
                self.engine.set_var(o, "PLAYBACKSTATUS", "SUCCESS" if played else "FAILED")
            return reply
        if verb == "GET DATA" and len(words) >= 3:
            timeout = float(words[3]) / 1000 if len(words) > 3 else 5.0
            max_digits = int(words[4]) if len(words) > 4 else 1
            return await self._get_data(words[2], timeout, max_digits)
        if words and words[0].upper() == "EXEC" and len(words) >= 2:
            return self._exec(words[1], words[2] if len(words) > 2 else "")
        if words and words[0].upper() == "HANGUP":
            # a soft hang-up (AST_SOFTHANGUP_EXPLICIT): the script goes on until it closes, then AGI() returns and
            # the h extension runs (_after_agi); the causes read 0 (ivr-reminder.txt)
            self.agi_hung_up = True
            self.ended.set()
            self.engine.hangup_request(o, 32, soft=True)
            return "200 result=1"
        return "510 Invalid or unknown command"

    def _press(self, key: str) -> None:
        for event in ("DTMFBegin", "DTMFEnd"):
            extra: Headers = [("Digit", key), ("Direction", "Received")]
            if event == "DTMFEnd":
                extra.append(("DurationMs", "120"))
            self.engine.channel_event(event, self.o, extra, "dtmf,all")

    async def _stream(self, sound: str, escape: str) -> str:
        prompt = self.callers.prompt_seconds
        endpos = int(prompt * 8000)
        behaviour = self.callers.behaviour
        if not self.machine:
            if self.rng.random() < behaviour.hangup_per_step:
                at = self.rng.uniform(0.2, prompt)
                await self._wait(at)
                self.call.far_hangs_up()
                return f"200 result=-1 endpos={int(at * 8000)}"
            key = self.callers.opt_out_key
            if key in escape and self.rng.random() < behaviour.opt_out_during_prompt:
                at = self.rng.uniform(0.2, prompt)
                if not await self._wait(at):
                    return f"200 result=-1 endpos={int(at * 8000)}"
                self._press(key)
                return f"200 result={ord(key)} endpos={int(at * 8000)}"
        if not await self._wait(prompt):
            return f"200 result=-1 endpos={endpos}"
        return f"200 result=0 endpos={endpos}"

    async def _get_data(self, sound: str, wait_seconds: float, max_digits: int) -> str:
        prompt = self.callers.prompt_seconds
        behaviour = self.callers.at(sound)
        if self.machine:
            return "200 result= (timeout)" if await self._wait(prompt + wait_seconds) else "200 result=-1"
        if self.rng.random() < behaviour.hangup_per_step:
            await self._wait(self.rng.uniform(0.2, prompt))
            self.call.far_hangs_up()
            return "200 result=-1"
        if self.rng.random() < behaviour.opt_out_during_prompt:
            entry = self.callers.opt_out_key
        else:
            choices = list(behaviour.keys)
            entry = self.rng.choices(choices, weights=[behaviour.keys[k] for k in choices])[0]
        if entry == SILENCE:
            return "200 result= (timeout)" if await self._wait(prompt + wait_seconds) else "200 result=-1"
        if entry == INVALID:
            entry = self.callers.invalid_key
        entry = entry[:max_digits]
        if not await self._wait(prompt + self.rng.uniform(*behaviour.think_seconds)):
            return "200 result=-1"
        for key in entry:
            self._press(key)
        if len(entry) < max_digits:  # the caller ends the entry with #
            self._press("#")
        return f"200 result={entry}"

    def _exec(self, application: str, data: str) -> str:
        if application.lower() == "userevent":
            name, _, rest = data.partition(",")
            fields: Headers = []
            for part in rest.split(","):
                key, sep, value = part.partition(":")
                if sep:
                    fields.append((key.strip(), value.strip()))
            if name == OPT_OUT_USER_EVENT and self.outbound is not None:
                self.outbound.record.opted_out = True
            self.engine.channel_event("UserEvent", self.o, [("UserEvent", name), *fields], "user,all")
            return "200 result=0"
        return "200 result=0"


def enter_ivr(call: OutboundCall) -> bool:
    """CONTEXT_ENTRIES hook: an answered Originate into [dialer-ivr]."""
    address = call.o.variables.get(FASTAGI_VARIABLE, "")
    if not address or ":" not in address:
        return False  # AGI(agi:///ivr) fails: the channel has nowhere to go
    call.context = DialerContext(IVR_CONTEXT, amd="variable", safe_harbour=False, reports=True)
    IvrCall(call, address, call).start()
    return True


def enter_inbound_ivr(call: InboundCall) -> bool:
    """INBOUND_ENTRIES hook: ``dialer-inbound,ivr`` -- ``Set(DIALER_IVR_FLOW=inbound)``, ``Goto(dialer-ivr,s,1)``."""
    address = _FASTAGI.get(call.engine, "")
    if not address:
        return False  # no FastAGI server known: the caller queues as before
    channel = call.queue_side
    flow = callers_of(call.engine).inbound_flow
    # the route (the simulated DID's NoOp) goes to dialer-inbound,ivr,1 without answering: dialer-ivr answers
    channel.context, channel.exten = INBOUND_CONTEXT, INBOUND_IVR_EXTEN
    call.engine.step(channel, "Set", f"{IVR_FLOW_VARIABLE}={flow}", priority=1)
    call.engine.set_var(channel, IVR_FLOW_VARIABLE, flow)
    call.engine.step(channel, "Goto", f"{IVR_CONTEXT},s,1", priority=2)
    channel.context, channel.exten, channel.priority = IVR_CONTEXT, "s", 0
    IvrCall(call, address).start()
    return True


_FASTAGI: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def route_inbound_ivr(engine: Engine, fastagi: str) -> None:
    """Inbound callers of ``dialer-inbound,ivr`` (``Local/ivr@sim-inbound``) run the inbound flow over this FastAGI
    server (``host:port``; Asterisk takes it from the dialplan's ``DIALER_FASTAGI`` global)."""
    _FASTAGI[engine] = fastagi


CONTEXT_ENTRIES[IVR_CONTEXT] = enter_ivr
INBOUND_ENTRIES[INBOUND_IVR_EXTEN] = enter_inbound_ivr


def call_in_to_ivr(core: PbxCore, *, mean_gap_seconds: float, seed: int = 1) -> None:
    """Simulated customers dialling the inbound IVR (``Local/ivr@<inbound context>``), one every
    ``mean_gap_seconds`` on average (Poisson), for as long as the PBX runs (the demo's inbound IVR)."""
    rng = random.Random(f"{seed}:ivr-callers")
    engine = core.engine
    count = 0

    def arrive() -> None:
        nonlocal count
        if engine.closed:
            return
        count += 1
        core.originate(
            OriginateRequest(
                action_id=f"sim-ivr-caller-{count}",
                dial_string=f"Local/{INBOUND_IVR_EXTEN}@{engine.config.inbound_context}",
                context="",
                exten="",
                priority="",
                application="Wait",
                data="900",  # the caller stays at most this long, whatever happens
                timeout=30.0,
                caller_num=engine.world.inbound_caller_number(),
                caller_name="",
                variables=(),
                channel_id="",
                other_channel_id="",
                is_async=False,
            )
        )
        engine.later(rng.expovariate(1.0 / mean_gap_seconds), arrive)

    engine.later(rng.expovariate(1.0 / mean_gap_seconds), arrive)
