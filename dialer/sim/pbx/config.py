"""How the simulated PBX is set up: AMI users, queues, dialplan contexts and the PBX-only world choices.

Two worlds exist:

* ``model`` (default): every dialled callee is drawn from the seeded world model (``dialer.sim.model``, the
  same scenario TOML the discrete-event simulator reads), plus the few choices only a PBX makes (which numbers
  are unallocated or malformed, the safe-harbour message length, the opt-out key).
* ``recorded``: the world of the recorded Asterisk 22 traces (``ami-traces/README.md``): the last digit of
  the number picks the outcome (1 live, 2 busy, 3 no answer, 4 congestion, 5 unallocated, 6 invalid number,
  7 machine, 8 answers and hangs up after 2 s, 9 human for AMD, 0 dead air) with the recorded timings and the
  static queue members of its queues.conf. The trace-comparison tests use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from dialer.contract import ATTEMPT_VARIABLE, CHANNEL_EVENT_VARIABLES, OUTBOUND_CONTEXT
from dialer.sim.model import Scenario


class WorldKind(StrEnum):
    """Where the simulated callees come from: the seeded world model, or the recorded traces' world."""

    MODEL = "model"
    RECORDED = "recorded"


@dataclass(frozen=True, slots=True)
class StaticMember:
    """A queue member written in queues.conf (``member => interface,penalty,name``)."""

    interface: str
    name: str
    penalty: int = 0


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """One queue of queues.conf (strategy rrmemory, ringinuse=no, joinempty=yes, leavewhenempty=no).

    ``weight``: when a member sits in several queues with callers waiting, the heavier queue gets it first
    (inbound queues weigh more than the outbound ones, so inbound has priority).
    ``wrapuptime``: seconds a member rests after a call before this queue rings it again.
    ``strategy``: "rrmemory" (round robin) or "leastrecent" (the member whose last call ended longest ago).
    ``ring_timeout``: how long a member's phone may ring (queues.conf ``timeout``); ``autopause``: a member who
    does not answer in that time is paused in this queue (``PausedReason: Auto-Pause``).
    """

    name: str
    weight: int = 0
    wrapuptime: float = 0.0
    members: tuple[StaticMember, ...] = ()
    strategy: str = "rrmemory"
    leave_when_empty: bool = False  # leavewhenempty: waiting callers leave (LEAVEEMPTY) when the last member goes
    # joinempty: False = a caller of a queue without any member is refused at join (QUEUESTATUS JOINEMPTY, no queue
    # event at all); the shipped queues say joinempty = unavailable,invalid. Honoured for inbound callers
    # (dialer.sim.pbx.inbound); [dialer-outbound] refuses them on its own (dialer.sim.pbx.outbound).
    join_when_empty: bool = True
    ring_timeout: float = 15.0
    autopause: bool = False
    service_level: int = 0


@dataclass(frozen=True, slots=True)
class DialerContext:
    """What the ;1 half of an answered originate does in a dialplan context of the dialer.

    ``amd``: "always", "never" or "variable" (run AMD() when the channel variable ``DIALER_AMD`` is 1).
    ``queue``: the queue name, or ``None`` to read it from the channel variable ``DIALER_QUEUE``.
    ``queue_timeout``: Queue() timeout in seconds. ``safe_harbour``: after a queue timeout, report the abandon
    (``UserEvent: DialerAbandon``) and play the identification message with its opt-out key.
    ``amd_userevent_field``: (header, channel variable) the ``DialerAMD`` UserEvent carries besides Status/Cause.
    ``hangup_notsure``: the recorded [dialer-amd] hangs up on NOTSURE (only HUMAN reaches the queue).
    ``queue_timeout_after_amd``: the connect limit once AMD has used part of the legal 2 s (shipped: 1 s).
    ``reports``: the shipped dialplan's UserEvents: ``DialerAbandon`` (Attempt, QueueStatus), ``DialerOptOut``
    (Attempt, Campaign) and ``DialerCallEnd`` (Attempt, Stage, Agent, QueueStatus, Cause) from the h extension.
    """

    name: str
    amd: str = "variable"
    queue: str | None = None
    queue_timeout: float = 2.0
    safe_harbour: bool = True
    amd_userevent_field: tuple[str, str] = ("Attempt", ATTEMPT_VARIABLE)
    hangup_notsure: bool = False
    queue_timeout_after_amd: float | None = None
    reports: bool = False


def production_contexts() -> tuple[DialerContext, ...]:
    """[dialer-outbound] of the shipped dialplan, plus the two contexts of the recorded Asterisk."""
    return (
        DialerContext(OUTBOUND_CONTEXT, queue_timeout_after_amd=1.0, reports=True),
        DialerContext("dialer-connect", amd="never", queue="outbound-agents", queue_timeout=60.0, safe_harbour=False),
        DialerContext(
            "dialer-amd",
            amd="always",
            queue="outbound-agents",
            queue_timeout=60.0,
            safe_harbour=False,
            amd_userevent_field=("LeadID", "LEADID"),
            hangup_notsure=True,
        ),
    )


def recorded_queues() -> tuple[QueueConfig, ...]:
    """queues.conf of the recorded Asterisk."""
    return (
        QueueConfig(
            "outbound-agents",
            wrapuptime=2.0,
            members=tuple(StaticMember(f"Local/agent{i}@sim-agents", f"Agent {i}") for i in (1, 2, 3)),
        ),
        QueueConfig(
            "inbound-sales", weight=10, wrapuptime=2.0, members=(StaticMember("Local/agent5@sim-agents", "Agent 5"),)
        ),
    )


def campaign_queue(name: str) -> QueueConfig:
    """A queue like [dialer-campaign] of the shipped queues.conf."""
    return QueueConfig(
        name,
        wrapuptime=2.0,
        strategy="leastrecent",
        ring_timeout=2.0,
        autopause=True,
        leave_when_empty=True,
        join_when_empty=False,
    )


def inbound_queue(name: str) -> QueueConfig:
    """A queue like [dialer-inbound] of the shipped queues.conf (heavier: inbound callers come first)."""
    return QueueConfig(
        name,
        weight=10,
        wrapuptime=2.0,
        strategy="leastrecent",
        ring_timeout=15.0,
        service_level=20,
        leave_when_empty=True,
        join_when_empty=False,
    )


def default_queues() -> tuple[QueueConfig, ...]:
    """The shipped queues.conf: empty queues the dialer fills with QueueAdd."""
    return (campaign_queue("outbound-agents"), inbound_queue("inbound-sales"))


@dataclass(frozen=True, slots=True)
class PbxConfig:
    """Everything the simulated PBX needs; defaults make a usable demo PBX."""

    users: tuple[tuple[str, str], ...] = (("dialer", "dialer"),)
    system_name: str = "sim"
    world: WorldKind = WorldKind.MODEL
    scenario: Scenario = field(default_factory=Scenario)
    seed: int = 1
    queues: tuple[QueueConfig, ...] = field(default_factory=default_queues)
    contexts: tuple[DialerContext, ...] = field(default_factory=production_contexts)
    # Local channel contexts: the simulated telephone network, inbound customers, agent phones.
    pstn_context: str = "sim-pstn"
    # PJSIP endpoints that act as a carrier trunk: ``PJSIP/<number>@carrier`` dials the same simulated world over
    # one channel with SIP semantics (busy = Reason 0 + cause 17); other endpoints fail like an unknown one.
    trunk_endpoints: tuple[str, ...] = ("carrier",)
    inbound_context: str = "sim-inbound"
    agents_context: str = "sim-agents"
    # manager.conf channelvars: every channel event carries "ChanVariable: NAME=value" for these.
    chan_variables: tuple[str, ...] = CHANNEL_EVENT_VARIABLES
    # manager.conf read= classes of every user (None: all, as in the recorded traces; the shipped manager.conf
    # reads system,call,agent,user -- no VarSet/Newexten flood).
    read_classes: tuple[str, ...] | None = None
    # app_queue looks at a waiting caller once per second: a member freed meanwhile is rung at the next tick.
    queue_poll_seconds: float = 1.0
    # Place each call's OriginateResponse early, as recorded, or late among its channel events (seeded per call),
    # as Asterisk does under load; off = the single-call orders of the traces.
    vary_order: bool = False
    # Newexten for every dialplan step (the flood a dialer sees with read=all); off for lighter benchmarks.
    newexten: bool = True
    # Spontaneous inbound callers (Poisson, from the scenario's [inbound]) join these queues in turn.
    inbound_queues: tuple[str, ...] = ("inbound-sales",)
    # PBX-only world choices (model world).
    unallocated_share: float = 0.02  # numbers that do not exist (Q.850 cause 1), a fixed function of the number
    invalid_share: float = 0.005  # malformed numbers (cause 28), likewise fixed per number
    early_hangup_share: float = 0.0  # live answers that hang up within ~2 s, before any agent can take them
    opt_out_share: float = 0.05  # callers who press the opt-out key during the safe-harbour message
    safe_harbour_seconds: float = 6.0  # length of the identification message played on an abandon
    # length of DIALER_INBOUND_CLOSED, the apology [dialer-inbound] plays to a caller no agent took (the lab's: 1 s)
    inbound_closed_seconds: float = 1.0
    machine_message_seconds: float = 30.0  # a machine's greeting + recording time before it hangs up
    agent_connect_seconds: float | None = None  # None: the scenario's [agents] connect_delay_seconds
    agent_talk_seconds: float | None = None  # None: drawn from the scenario (the lab's agents talk 10 s)
    # A queue member's phone signals ringing before it answers (Ringing(): Newstate Ringing, DialState, the device
    # in use and QueueMemberStatus at once). The lab's auto-answer phones ([lab-agents], [lab-cc-agents]) do not:
    # their device goes in use, and app_queue reports the member in use, only when they answer.
    agent_phones_ring: bool = True
    # Asterisk waits this long before answering a bad Login, then closes the connection.
    failed_login_delay: float = 1.0
    # Where MixMonitor writes the recordings whose file name is relative (Asterisk's monitor spool); "": no file
    # is written (absolute names are written only when this is set, too).
    monitor_dir: str = ""
    # A client that does not read: the session is dropped once this many bytes wait to be sent (writetimeout).
    max_pending_bytes: int = 16 * 1024 * 1024

    def queue(self, name: str) -> QueueConfig | None:
        return next((q for q in self.queues if q.name == name), None)

    def context(self, name: str) -> DialerContext | None:
        return next((c for c in self.contexts if c.name == name), None)

    @classmethod
    def recorded(cls, **overrides: object) -> PbxConfig:
        """The world of the recorded traces (outcome by last digit, static agents 1-3 and 5)."""
        values: dict[str, object] = {
            "world": WorldKind.RECORDED,
            "system_name": "amiref",
            "queues": recorded_queues(),
            "chan_variables": (),  # the recorded manager.conf had no channelvars
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def build_config(
    *,
    world: WorldKind = WorldKind.MODEL,
    scenario: Scenario | None = None,
    seed: int = 1,
    agents: int = 0,
    agents_queue: str = "outbound-agents",
    queues: Sequence[str] = (),
    inbound_queues: Sequence[str] = (),
    username: str = "dialer",
    secret: str = "dialer",  # noqa: S107 (the simulator's own user)
    newexten: bool = True,
    read: str | None = None,
    vary_order: bool = False,
) -> PbxConfig:
    """A PbxConfig from the options of ``dialer sim-pbx`` (also for the daemon's in-process demo PBX).

    ``agents`` > 0 adds static auto-answer members ``Local/agent1..N@sim-agents`` to ``agents_queue``;
    ``queues``/``inbound_queues`` add campaign / inbound queues shaped like the shipped queues.conf.
    """
    base = PbxConfig.recorded() if world is WorldKind.RECORDED else PbxConfig()
    config = replace(
        base,
        seed=seed,
        users=((username, secret),),
        newexten=newexten,
        vary_order=vary_order,
        read_classes=tuple(c.strip() for c in read.split(",") if c.strip()) if read else None,
    )
    if scenario is not None:
        config = replace(config, scenario=scenario)
    known = {q.name: q for q in config.queues}
    for name in queues:
        known.setdefault(name, campaign_queue(name))
    if inbound_queues:
        for name in inbound_queues:
            known.setdefault(name, inbound_queue(name))
        config = replace(config, inbound_queues=tuple(inbound_queues))
    if agents:
        queue = known.get(agents_queue) or campaign_queue(agents_queue)
        present = {m.interface for m in queue.members}
        members = tuple(
            StaticMember(f"Local/agent{i}@{config.agents_context}", f"Agent {i}")
            for i in range(1, agents + 1)
            if f"Local/agent{i}@{config.agents_context}" not in present
        )
        known[agents_queue] = replace(queue, members=queue.members + members)
    return replace(config, queues=tuple(known.values()))
