"""The core of the simulated PBX, without its sockets: Originate, Hangup, queue actions, lists, inbound traffic.

Sessions (session.py) turn AMI actions into calls on :class:`PbxCore` and write the responses; the core emits
the events every session reads.
"""

from __future__ import annotations

import re

from dialer.ami.protocol import AmiMessage
from dialer.calls.outcome import Outcome
from dialer.clock import Clock, Timer
from dialer.contract import SUPERVISE_CONTEXT
from dialer.logging import get_logger
from dialer.sim.pbx.app_queue import QueueSystem
from dialer.sim.pbx.calls import OriginateRequest, Reply, emit_originate_response, seconds_of
from dialer.sim.pbx.channels import Channel, Headers, format_duration, parse_caller_id
from dialer.sim.pbx.config import PbxConfig, WorldKind
from dialer.sim.pbx.engine import Engine
from dialer.sim.pbx.iax2 import IAX2_TRUNK, Iax2TrunkCall
from dialer.sim.pbx.inbound import InboundCall
from dialer.sim.pbx.monitoring import SpyCall
from dialer.sim.pbx.outbound import OutboundCall
from dialer.sim.pbx.trunk import TrunkCall
from dialer.sim.pbx.truth import GroundTruth, OriginateRecord

log = get_logger(__name__)

DEFAULT_ORIGINATE_TIMEOUT_MS = 30_000
_LOCAL = re.compile(r"^Local/(?P<exten>[^@/]+)@(?P<context>[^/]+?)(?P<options>/[a-zA-Z]*)?$")
_TRUNK = re.compile(r"^PJSIP/(?P<exten>[^@/]+)@(?P<endpoint>[A-Za-z0-9_.-]+)$")
_DIALLABLE = re.compile(r"^\+?[0-9]{4,20}$")
# [sim-pstn] of the recorded Asterisk: _XXXXXXX (the lab also takes E.164 numbers: the last digit decides).
_RECORDED_DIALLABLE = re.compile(r"^\+?[0-9]{7,}$")


class OriginateError(Exception):
    """An Originate refused before anything happens (its message is the Response's Message)."""


def split_variables(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``Variable:`` headers -> (name, value) pairs. Asterisk splits each header on unescaped commas and
    drops the escaping backslash (``\\,`` is a literal comma)."""
    out: list[tuple[str, str]] = []
    for header in values:
        parts: list[str] = []
        current: list[str] = []
        escaped = False
        for ch in header:
            if escaped:
                current.append(ch)
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == ",":
                parts.append("".join(current))
                current = []
            else:
                current.append(ch)
        parts.append("".join(current))
        for part in parts:
            name, sep, value = part.partition("=")
            if sep and name.strip():
                out.append((name.strip(), value))
    return tuple(out)


class PbxCore:
    """The PBX state behind the AMI sessions: the channel engine, app_queue, the call flows it starts."""

    def __init__(self, config: PbxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.engine = Engine(config, clock)
        self.queues = QueueSystem(self.engine)
        self._inbound_timer: Timer | None = None
        self._inbound_turn = 0

    @property
    def truth(self) -> GroundTruth:
        return self.engine.truth

    def start(self) -> None:
        self._schedule_inbound()

    def close(self) -> None:
        self.engine.close()

    # ------------------------------------------------------------------ Originate

    def parse_originate(self, msg: AmiMessage) -> OriginateRequest:
        channel = msg.get("Channel") or ""
        if not channel:
            raise OriginateError("Channel not specified")
        timeout_ms = msg.get("Timeout") or ""
        try:
            timeout = (int(timeout_ms) if timeout_ms else DEFAULT_ORIGINATE_TIMEOUT_MS) / 1000.0
        except ValueError:
            raise OriginateError("Invalid timeout") from None
        priority = msg.get("Priority") or ""
        if priority and not priority.isdigit():
            raise OriginateError("Invalid priority")
        num, name = parse_caller_id(msg.get("CallerID"))
        return OriginateRequest(
            action_id=msg.get("ActionID") or "",
            dial_string=channel,
            context=msg.get("Context") or "",
            exten=msg.get("Exten") or "",
            priority=priority or "1",
            application=msg.get("Application") or "",
            data=msg.get("Data") or "",
            timeout=timeout if timeout > 0 else DEFAULT_ORIGINATE_TIMEOUT_MS / 1000.0,
            caller_num=num,
            caller_name=name,
            variables=split_variables(msg.getall("Variable")),
            channel_id=msg.get("ChannelId") or "",
            other_channel_id=msg.get("OtherChannelId") or "",
            is_async=(msg.get("Async") or "").lower() in ("true", "yes", "1", "on", "y", "t"),
        )

    def originate(self, req: OriginateRequest, reply: Reply | None = None) -> OriginateRecord:
        """Start the call of an accepted Originate (its "queued" response is already written)."""
        e = self.engine
        match = _LOCAL.match(req.dial_string)
        trunk = _TRUNK.match(req.dial_string) or IAX2_TRUNK.match(req.dial_string)
        number = match.group("exten") if match else (trunk.group("exten") if trunk else "")
        record = OriginateRecord(
            sequence=e.next_originate_sequence(),
            action_id=req.action_id,
            channel_id=req.channel_id,
            dial_string=req.dial_string,
            number=number,
            variables=dict(req.variables),
            received_at=e.now(),
            caller_num=req.caller_num,
        )
        e.truth.record_originate(record)
        if req.channel_id and (
            e.uniqueid_in_use(req.channel_id) or (req.other_channel_id and e.uniqueid_in_use(req.other_channel_id))
        ):
            # The id is taken by a live channel: no channel at all, the requested id in the response.
            self._refuse(req, record, reply)
            return record
        if trunk is not None and trunk.group("endpoint") in self.config.trunk_endpoints:
            trunk_rng = e.world.call_rng(record.sequence)
            record.plan = e.world.plan_callee(number, trunk_rng, e.now())
            kind = Iax2TrunkCall if req.dial_string.startswith("IAX2/") else TrunkCall
            kind(e, self.queues, trunk_rng, req, record, record.plan, reply).start()
            return record
        if match is None:
            self._refuse(req, record, reply)  # unknown technology or endpoint: nothing is created
            return record
        if req.context == SUPERVISE_CONTEXT and match.group("context") != self.config.pstn_context:
            SpyCall(e, req, record, reply).start()  # a supervisor's phone, to listen / whisper / barge
            return record
        context = match.group("context")
        rng = e.world.call_rng(record.sequence)
        if context == self.config.inbound_context:
            queue = self._inbound_queue_for(number)
            patience = seconds_of(req.data, 10.0) if req.application.lower() == "wait" else 1e9
            record.queue = queue
            inbound = InboundCall(
                e,
                self.queues,
                rng,
                exten=number,
                queue=queue,
                patience=patience,
                caller_num=req.caller_num,
                caller_name=req.caller_name,
                variables=req.variables,
                request=req,
            )
            inbound.start()
            return record
        pattern = _RECORDED_DIALLABLE if self.config.world is WorldKind.RECORDED else _DIALLABLE
        if context != self.config.pstn_context or not pattern.match(number):
            self._no_such_extension(req, record, number, context, reply)
            return record
        plan = e.world.plan_callee(number, rng, e.now())
        record.plan = plan
        call = OutboundCall(e, self.queues, rng, req, record, plan, reply)
        call.start()
        return record

    def _refuse(self, req: OriginateRequest, record: OriginateRecord, reply: Reply | None) -> None:
        record.outcome = Outcome.FAILED
        record.reason = 0
        if not req.is_async:
            if reply is not None:
                reply(False)
            return
        emit_originate_response(self.engine, req, 0, None, success=False)

    def _no_such_extension(
        self, req: OriginateRequest, record: OriginateRecord, exten: str, context: str, reply: Reply | None
    ) -> None:
        """A Local channel into a missing extension: both halves appear and hang up at once (cause 0)."""
        e = self.engine
        one, two = e.new_local_pair(
            exten, context, _Inert(), channel_id=req.channel_id, other_channel_id=req.other_channel_id
        )
        record.uniqueid = one.uniqueid
        e.hangup(two, 0)
        self._refuse(req, record, reply)
        e.hangup(one, 0)

    def _inbound_queue_for(self, exten: str) -> str:
        if exten in self.queues.queues:
            return exten
        return self.config.inbound_queues[0] if self.config.inbound_queues else exten

    # ------------------------------------------------------------------ spontaneous inbound callers

    def _schedule_inbound(self) -> None:
        e = self.engine
        at = e.world.next_inbound_arrival(e.now())
        if at is None:
            return
        self._inbound_timer = e.later(at - e.now(), self._inbound_arrives)

    def _inbound_arrives(self) -> None:
        e = self.engine
        # The scenario may name the queue its inbound traffic belongs to ([inbound] queue).
        named = self.config.scenario.inbound.queue
        targets = [named] if named in self.queues.queues else list(self.config.inbound_queues)
        queues = [q for q in targets if q in self.queues.queues]
        if queues:
            queue = queues[self._inbound_turn % len(queues)]
            self._inbound_turn += 1
            number = e.world.inbound_caller_number()
            call = InboundCall(
                e,
                self.queues,
                e.world.call_rng(-self._inbound_turn),
                exten=queue,
                queue=queue,
                patience=e.world.inbound_patience(),
                caller_num=number,
                caller_name="",
                queue_timeout=3600.0,
            )
            call.start()
        self._schedule_inbound()

    # ------------------------------------------------------------------ Hangup

    def hangup(self, target: str, cause: int | None) -> bool:
        channel = self.engine.find_channel(target)
        if channel is None:
            return False
        owner = self.engine.owners.get(channel)
        if owner is None:
            return False
        owner.hangup_requested(channel, cause)
        return True

    # ------------------------------------------------------------------ lists

    def channel_list(self, name: str | None = None) -> list[Channel]:
        channels = list(self.engine.channels.values())
        if name:
            channels = [c for c in channels if name in (c.name, c.uniqueid)]
        return channels

    def core_show_channel(self, channel: Channel) -> Headers:
        # Like Asterisk's action_coreshowchannels: the channel snapshot (with its ChanVariable lines when
        # manager.conf sets channelvars), then the dialplan application, duration and bridge.
        return [
            *self.engine.snapshot(channel),
            ("Application", channel.application),
            ("ApplicationData", channel.application_data),
            ("Duration", format_duration(self.engine.now() - channel.created_at)),
            ("BridgeId", channel.bridge_id),
        ]

    def status_item(self, channel: Channel) -> Headers:
        e = self.engine
        headers = e.snapshot(channel)
        tech = channel.name.split("/", 1)[0]
        return [
            *headers,
            ("Type", tech),
            ("DNID", ""),
            ("EffectiveConnectedLineNum", channel.connected_num or "<unknown>"),
            ("EffectiveConnectedLineName", channel.connected_name or "<unknown>"),
            ("TimeToHangup", "0"),
            ("BridgeID", channel.bridge_id),
            ("Application", channel.application),
            ("Data", channel.application_data),
            ("Nativeformats", "(slin)"),
            ("Readformat", "slin"),
            ("Readtrans", ""),
            ("Writeformat", "slin"),
            ("Writetrans", ""),
            ("Callgroup", "0"),
            ("Pickupgroup", "0"),
            ("Seconds", str(int(e.now() - channel.created_at))),
        ]

    def queue_status_items(self, queue_name: str | None, member_filter: str | None) -> list[tuple[str, Headers]]:
        items: list[tuple[str, Headers]] = []
        for queue in self.queues.queues.values():
            if queue_name and queue.name != queue_name:
                continue
            items.append(("QueueParams", queue.params_headers()))
            for member in queue.members.values():
                if member_filter and member_filter not in (member.interface, member.name):
                    continue
                device = self.queues.devices[member.interface]
                items.append(("QueueMember", member.headers(device, in_queue_event=False)))
            for position, caller in enumerate(queue.callers, start=1):
                items.append(("QueueEntry", self.queues.entry(queue, position, caller)))
        return items

    def queue_summary_items(self, queue_name: str | None) -> list[Headers]:
        return [self.queues.summary(q) for q in self.queues.queues.values() if not queue_name or q.name == queue_name]


class _Inert:
    """Owner of channels that are about to disappear by themselves."""

    def hangup_requested(self, channel: Channel, cause: int | None) -> None:
        return None
