"""Record a raw AMI session into a transcript (the format :mod:`dialer.ami.transcript` reads).

A plain asyncio socket, no AMI library: the point is the exact bytes. One connection per scenario: read the
banner, run the scenario's steps (send an action, pause, wait until quiet), and write every received byte
verbatim with ``#<< +S.SSSs`` stamps between AMI messages and ``#>> +S.SSSs SENT`` blocks for each action
sent. Before anything is written the recorder checks that dropping the ``#`` lines gives back the received
stream byte for byte (:func:`dialer.ami.transcript.received_stream`).

Call-control scenarios act on channels whose names only the session tells (the agent leg a queue bridged): an
action's values may name them as ``{agent1}``, ``{dial1}`` ... -- the ``DestChannel`` of the session's first
``AgentConnect``, first ``DialBegin`` and so on (see :data:`CAPTURED`).

"Until quiet": every channel that appeared in the session (``Newchannel``) had its ``Hangup``, and then
nothing arrived for the step's quiet period (bounded by its ``limit``).

Why one module (over 500 lines): the recorder and its named scenarios (the steps each recorded trace runs) are
read together when a trace is added; the socket part alone is small.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dialer.ami.transcript import received_stream_of
from dialer.contract import INBOUND_MAX_WAIT_VARIABLE

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Send:
    """One action. Values may use ``{username}`` / ``{secret}`` (the login the recorder was given) and
    ``{fastagi}`` (host:port of the FastAGI server the recording runs, for IVR scenarios)."""

    headers: Headers


@dataclass(frozen=True, slots=True)
class Pause:
    seconds: float


@dataclass(frozen=True, slots=True)
class UntilQuiet:
    quiet: float = 3.0  # seconds with nothing received, once every channel seen has hung up
    limit: float = 120.0  # give up waiting after this long (the transcript is still written)


@dataclass(frozen=True, slots=True)
class UntilClosed:
    """Wait for the server to close the connection (after a Logoff or a failed login)."""

    limit: float = 10.0


@dataclass(frozen=True, slots=True)
class Aside:
    """Actions sent on a connection of their own, logged in for them alone and not recorded: what another AMI client
    did -- the dialer's own session before it dropped, for a recording of what its next session sees. Each is sent
    once the one before it was answered; the header of the transcript lists them."""

    actions: tuple[Headers, ...]


Step = Send | Pause | UntilQuiet | UntilClosed | Aside


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    steps: tuple[Step, ...]
    ivr_flow: str | None = None  # campaigns/ivr/<flow>.toml: the recording runs the dialer's FastAGI server
    # the accounts table the flow's lookups read during the recording (TableActions: account -> its fields)
    ivr_accounts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # the daemon's own actions answered as it would answer them for the lab's state during the recording
    # (dialer.ivr.actions.ScriptedActions: action -> (status, data)); the recorder has no daemon behind it
    ivr_answers: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)


class RecordingError(RuntimeError):
    pass


def send(*headers: tuple[str, str]) -> Send:
    """The action with these ``headers``, in order."""
    return Send(headers)


LOGIN = send(("Action", "Login"), ("Username", "{username}"), ("Secret", "{secret}"), ("ActionID", "login-1"))
EVENTS_ON = send(("Action", "Events"), ("EventMask", "on"), ("ActionID", "events-on"))
LOGOFF = send(("Action", "Logoff"), ("ActionID", "logoff-1"))


def originate(
    number: str,
    action_id: str,
    *,
    amd: bool = False,
    timeout_ms: int = 30000,
    channel_id: str | None = None,
    pstn: str = "sim-pstn",
    channel: str | None = None,
    agent: str | None = None,
) -> Send:
    """An Async Originate exactly as the dialer sends it (asterisk/extensions.conf [dialer-outbound]); ``channel``:
    the dial string (default ``Local/<number>@<pstn>``, the lab's simulated network); ``agent``: the phone the
    answered call is Dial()ed to alone (``DIALER_AGENT``: preview, an agent's own callback)."""
    headers: list[tuple[str, str]] = [
        ("Action", "Originate"),
        ("Channel", channel or f"Local/{number}@{pstn}"),
        ("Context", "dialer-outbound"),
        ("Exten", "s"),
        ("Priority", "1"),
        ("Timeout", str(timeout_ms)),
        ("CallerID", '"Dialer" <5550100>'),
        ("Async", "true"),
        ("Variable", f"DIALER_ATTEMPT={action_id}"),
        ("Variable", "DIALER_CAMPAIGN=fixtures"),
        ("Variable", f"DIALER_QUEUE={QUEUE}"),
        ("Variable", f"DIALER_AMD={1 if amd else 0}"),
        ("ActionID", action_id),
    ]
    if agent is not None:
        headers.insert(-1, ("Variable", f"DIALER_AGENT={agent}"))
    if channel_id is not None:
        headers.insert(-1, ("ChannelId", channel_id))
    return Send(tuple(headers))


def ivr_originate(number: str, action_id: str, flow: str, *, channel_id: str) -> Send:
    """An agentless Originate (asterisk/extensions.conf [dialer-ivr]): the flow runs over FastAGI."""
    headers: list[tuple[str, str]] = [
        ("Action", "Originate"),
        ("Channel", f"Local/{number}@lab-pstn"),
        ("Context", "dialer-ivr"),
        ("Exten", "s"),
        ("Priority", "1"),
        ("Timeout", "30000"),
        ("CallerID", '"Dialer" <5550100>'),
        ("Async", "true"),
        ("Variable", f"DIALER_ATTEMPT={action_id}"),
        ("Variable", "DIALER_CAMPAIGN=fixtures"),
        ("Variable", "DIALER_AMD=0"),
        ("Variable", f"DIALER_IVR_FLOW={flow}"),
        ("Variable", "DIALER_FASTAGI={fastagi}"),
        ("ChannelId", channel_id),
        ("ActionID", action_id),
    ]
    return Send(tuple(headers))


QUEUE = "outbound-agents"
INBOUND_QUEUE = "inbound-sales"
# inbound-queue-timeout: the caller's bound in the queue (the Originate's channel variable hides the production
# global DIALER_INBOUND_MAX_WAIT, 300 s) and how long the caller holds on (longer: Queue() times out first)
INBOUND_SHORT_MAX_WAIT = 5
INBOUND_TIMEOUT_PATIENCE = 20
# ivr-inbound: the account [lab-inbound-ivr-caller] keys (found in the recording's table) and the agent who takes it
IVR_INBOUND_ACCOUNT = "1234"
IVR_INBOUND_AGENT = "Local/agentfx6@lab-agents"
IVR_INBOUND_UNKNOWN_ACCOUNT = "9999"  # ivr-inbound-not-found: an account the table does not have
IVR_INBOUND_TABLE = {IVR_INBOUND_ACCOUNT: {"account": IVR_INBOUND_ACCOUNT, "name": "Ann Lee", "balance": "120.00"}}
# The other inbound IVR paths: (what the caller keys at the welcome, at the menu, how long it then holds on, the
# inbound-sales member paused: nobody takes a queued caller)
IVR_INBOUND_PATHS = {
    "ivr-inbound-not-found": (
        f"{IVR_INBOUND_UNKNOWN_ACCOUNT}#",
        "",
        20,
        False,
        "keys account 9999# (not in the table): the flow says so and hands the caller to inbound-sales, where an "
        "auto-answering member takes the call",
    ),
    "ivr-inbound-balance": (
        f"{IVR_INBOUND_ACCOUNT}#",
        "1",
        20,
        False,
        "keys account 1234# (found), then 1 at the menu: the balance prompt, and the flow hangs up (self-service)",
    ),
    "ivr-inbound-queue-timeout": (
        f"{IVR_INBOUND_ACCOUNT}#",
        "0",
        180,
        True,
        "keys account 1234#, then 0, and waits in inbound-sales (its one member paused) past the flow's "
        "max_wait_seconds (120): Queue() times out, DialerAbandon, the flow resumes with its closed message and hangs "
        "up",
    ),
    "ivr-inbound-callback": (
        f"{IVR_INBOUND_UNKNOWN_ACCOUNT}#",
        "1",
        20,
        True,
        "keys account 9999# (not in the table), hears that inbound-sales' wait is long (its one member paused: "
        "virtual hold), presses 1 at the offer while it plays, and the flow books a callback, says so and hangs up",
    ),
}
# Virtual hold (ivr-inbound-callback): what the daemon answers while the queue's one member is paused and nobody waits
# (dialer.ivr.virtualhold.estimate_wait: nobody serving, so longer than the flow's 90 s at the default 180 s handle
# time), and a booked callback, due at once (inside the calling window: not moved).
IVR_VIRTUAL_HOLD_ANSWERS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "queue_wait": ("long", {"seconds": "180", "waiting": "0"}),
    "book_callback": ("booked", {"when": "2026-12-07T00:00:00+00:00", "moved": "no"}),
}
IVR_INBOUND_ANSWERS = {"ivr-inbound-callback": IVR_VIRTUAL_HOLD_ANSWERS}


def _inbound_ivr_path(name: str) -> Scenario:
    """One inbound IVR call by [lab-inbound-ivr-keys] (asterisk/lab/extensions.conf) as IVR_INBOUND_PATHS says."""
    keys, menu_keys, patience, paused, what = IVR_INBOUND_PATHS[name]
    return Scenario(
        name,
        "an inbound caller (Local/s@lab-inbound-ivr, [lab-inbound-ivr-keys]) enters dialer-inbound,ivr and " + what,
        _session(
            send(
                ("Action", "Originate"),
                ("Channel", "Local/s@lab-inbound-ivr"),
                ("Context", "lab-inbound-ivr-keys"),
                ("Exten", "s"),
                ("Priority", "1"),
                ("CallerID", '"Customer" <5550199>'),
                ("Async", "true"),
                ("Variable", "_DIALER_FASTAGI={fastagi}"),
                ("Variable", f"LAB_KEYS={keys}"),
                ("Variable", f"LAB_MENU_KEYS={menu_keys}"),
                ("Variable", f"LAB_PATIENCE={patience}"),
                ("ChannelId", "fixture-ivr-in-1"),
                ("ActionID", "ivr-in-1"),
            ),
            members=((INBOUND_QUEUE, IVR_INBOUND_AGENT),),
            paused=paused,
            quiet=3.0,
            limit=240.0,
        ),
        ivr_flow="inbound",
        ivr_accounts=IVR_INBOUND_TABLE,
        ivr_answers=IVR_INBOUND_ANSWERS.get(name, {}),
    )


# The recording's own agents (asterisk/lab [lab-agents] auto-answers "_age[n]t."), added for the session only.
AGENTS = tuple(f"Local/agentfx{n}@lab-agents" for n in (1, 2, 3))


def _agents(verb: str, queue: str = QUEUE, agents: tuple[str, ...] = AGENTS) -> tuple[Send, ...]:
    return tuple(
        Send((("Action", verb), ("Queue", queue), ("Interface", agent), ("ActionID", f"{verb.lower()}-{queue}-{n}")))
        for n, agent in enumerate(agents, start=1)
    )


def _session(
    *body: Step,
    quiet: float = 3.0,
    limit: float = 120.0,
    agents: bool = True,
    members: tuple[tuple[str, str], ...] = (),
    paused: bool = False,
) -> tuple[Step, ...]:
    """Login, Events on, the recording's agents in the queue (or ``members``: (queue, interface) pairs, added
    ``paused`` if asked: in the queue, taking no call), ``body``, until quiet, agents out, Logoff."""
    if members:
        pause = (("Paused", "true"),) if paused else ()
        add = tuple(
            _queue("QueueAdd", f"cc-add-{n}", ("Queue", queue), ("Interface", member), *pause)
            for n, (queue, member) in enumerate(members, start=1)
        )
        remove = tuple(
            _queue("QueueRemove", f"cc-remove-{n}", ("Queue", queue), ("Interface", member))
            for n, (queue, member) in enumerate(members, start=1)
        )
        return (LOGIN, EVENTS_ON, *add, *body, UntilQuiet(quiet, limit), *remove, LOGOFF, UntilClosed())
    inside = (
        (*_agents("QueueAdd"), *body, UntilQuiet(quiet, limit), *_agents("QueueRemove"))
        if agents
        else (
            *body,
            UntilQuiet(quiet, limit),
        )
    )
    return (LOGIN, EVENTS_ON, *inside, LOGOFF, UntilClosed())


def _one_call(number: str, *, timeout_ms: int = 30000) -> tuple[Step, ...]:
    return _session(originate(number, "orig-1", timeout_ms=timeout_ms, channel_id="fixture-call-1"))


# The lab's trunk (asterisk/lab/iax.conf): a second Asterisk, the lab carrier (asterisk/lab/carrier), reached over
# IAX2 on loopback; its dialplan acts the call out by the number ([carrier-numbers]). The dial string is what a
# campaign with ``trunk = "IAX2/carrier/{number}"`` sends.
TRUNK_TEMPLATE = "IAX2/carrier/{number}"


def _trunk_call(number: str, *, timeout_ms: int = 30000) -> tuple[Step, ...]:
    return _session(
        originate(
            number,
            "orig-1",
            timeout_ms=timeout_ms,
            channel_id="fixture-trunk-1",
            channel=TRUNK_TEMPLATE.format(number=number),
        )
    )


# name -> (number at the carrier, what the carrier does); the Originate Timeout of the no-answer call is 8 s.
TRUNK_CALLS: dict[str, tuple[str, str]] = {
    "trunk-answer": ("5550001", "answers after 2 s ringing and talks 10 s; queued to an agent"),
    "trunk-busy": ("5550002", "Busy(): a BUSY control frame over the trunk"),
    "trunk-noanswer": ("5550003", "rings past the 8 s Timeout"),
    "trunk-congestion": ("5550004", "Congestion(): a CONGESTION control frame over the trunk"),
    "trunk-unallocated": ("5550005", "released with cause 1 (unallocated number)"),
    "trunk-invalid-number": ("5550006", "released with cause 28 (invalid number format)"),
    "trunk-cause-busy": ("5559017", "released with cause 17 (user busy)"),
    "trunk-cause-noanswer": ("5559019", "released with cause 19 (no answer)"),
    "trunk-cause-rejected": ("5559021", "released with cause 21 (call rejected)"),
    "trunk-cause-congestion": ("5559034", "released with cause 34 (no circuit available)"),
    "trunk-cause-out-of-order": ("5559038", "released with cause 38 (network out of order)"),
}


def _inbound_customer(patience: int, *extra: tuple[str, str]) -> Send:
    """The Originate of an inbound customer (the ``;2`` half of ``Local/s@sim-inbound`` enters the production inbound
    route) who holds on ``patience`` seconds; ``extra``: more headers (the call's own variables)."""
    return send(
        ("Action", "Originate"),
        ("Channel", "Local/s@sim-inbound"),
        ("Application", "Wait"),
        ("Data", str(patience)),
        ("CallerID", '"Customer" <5550199>'),
        ("Async", "true"),
        *extra,
        ("ChannelId", "fixture-in-1"),
        ("ActionID", "in-1"),
    )


def _queue(action: str, action_id: str, *extra: tuple[str, str]) -> Send:
    return Send((("Action", action), *extra, ("ActionID", action_id)))


_MEMBER = ("Interface", "Local/agentfx9@lab-agents")

# Call control (asterisk/extensions.conf [dialer-hold], [dialer-transfer], [dialer-conference]): lab callees and
# agents that stay on the line ([lab-cc-pstn], [lab-cc-agents]); the customer is the Originate's ChannelId.
CC_CUSTOMER = "fixture-cc-1"
CC_AGENT = "Local/ccagent1@lab-cc-agents"
CC_SECOND_AGENT = "Local/ccagent2@lab-cc-agents"
CC_CONFERENCE = "4242"


def _cc_session(*body: Step, closer: bool = False) -> tuple[Step, ...]:
    """A live call (lab-cc-pstn) the queue gives to CC_AGENT, ``body`` 4 s after the Originate, then the customer
    hung up; with ``closer`` the second agent waits in inbound-sales (the lab's stand-in for a closer queue)."""
    members = ((QUEUE, CC_AGENT),) + (((INBOUND_QUEUE, CC_SECOND_AGENT),) if closer else ())
    return _session(
        originate("5550001", "cc-orig-1", channel_id=CC_CUSTOMER, pstn="lab-cc-pstn"),
        Pause(4.0),
        *body,
        send(("Action", "Hangup"), ("Channel", CC_CUSTOMER), ("ActionID", "cc-end")),
        members=members,
    )


def _redirect(
    action_id: str,
    extra: str,
    context: str,
    exten: str,
    extra_context: str | None = None,
    extra_exten: str | None = None,
) -> Send:
    """Redirect the customer to ``context,exten,1`` and ``extra`` to ``extra_context,extra_exten,1`` (the same
    place by default)."""
    return send(
        ("Action", "Redirect"),
        ("Channel", CC_CUSTOMER),
        ("ExtraChannel", extra),
        ("Context", context),
        ("Exten", exten),
        ("Priority", "1"),
        ("ExtraContext", extra_context or context),
        ("ExtraExten", extra_exten or exten),
        ("ExtraPriority", "1"),
        ("ActionID", action_id),
    )


def _setvar(channel: str, name: str, value: str, action_id: str) -> Send:
    return send(
        ("Action", "Setvar"), ("Channel", channel), ("Variable", name), ("Value", value), ("ActionID", action_id)
    )


_BURST_DIGITS = "1234568"

# The named scenarios (the fixture set in tests/fixtures/ami-traces/; see its README).
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "login-ok",
            "banner and a successful login: Login, Events on, Ping, Logoff (Goodbye, the server closes)",
            (LOGIN, EVENTS_ON, send(("Action", "Ping"), ("ActionID", "ping-1")), Pause(1.0), LOGOFF, UntilClosed()),
        ),
        Scenario(
            "login-bad-secret",
            "an action before login (Permission denied), then Login with a wrong secret: the server closes",
            (
                send(("Action", "Ping"), ("ActionID", "ping-early")),
                send(
                    ("Action", "Login"), ("Username", "{username}"), ("Secret", "wrong-secret"), ("ActionID", "login-1")
                ),
                UntilClosed(),
            ),
        ),
        Scenario(
            "bad-action",
            "unknown action, Originate without Channel, request without Action, a line without a colon, "
            "Originate to a nonexistent extension and to an unknown technology, then Ping",
            _session(
                send(("Action", "FooBar"), ("ActionID", "bad-1")),
                send(("Action", "Originate"), ("Exten", "s"), ("Context", "dialer-outbound"), ("ActionID", "bad-2")),
                send(("ActionID", "bad-3"), ("Foo", "bar")),
                send(("Action", "Ping"), ("this line has no colon", ""), ("ActionID", "bad-4")),
                send(
                    ("Action", "Originate"),
                    ("Channel", "Local/999@sim-pstn"),
                    ("Context", "dialer-outbound"),
                    ("Exten", "s"),
                    ("Priority", "1"),
                    ("Async", "true"),
                    ("ActionID", "bad-5"),
                ),
                send(
                    ("Action", "Originate"),
                    ("Channel", "Bogus/123"),
                    ("Context", "dialer-outbound"),
                    ("Exten", "s"),
                    ("Priority", "1"),
                    ("Async", "true"),
                    ("ActionID", "bad-6"),
                ),
                send(("Action", "Ping"), ("ActionID", "ping-1")),
            ),
        ),
        Scenario("originate-answer", "live answer (...1), queued to an agent", _one_call("5550001")),
        Scenario(
            "direct-agent-callback",
            "an agent's own callback: the owner (agentfx1) paused in the queue for it (reason preview, as the dialer"
            " reserves them) while agentfx2 and agentfx3 are ready; Originate with DIALER_AGENT=the owner's phone; the"
            " callee (...1) answers and [dialer-direct-agent] Dial()s the owner alone (DialerAgentConnect), no queue",
            _session(
                _queue(
                    "QueuePause",
                    "pause-owner",
                    ("Queue", QUEUE),
                    ("Interface", AGENTS[0]),
                    ("Paused", "true"),
                    ("Reason", "preview"),
                ),
                originate("5550001", "cb-1", channel_id="fixture-cb-1", agent=AGENTS[0]),
            ),
        ),
        Scenario("originate-busy", "callee Busy() (...2): Reason 5", _one_call("5550002")),
        Scenario(
            "originate-noanswer", "rings past the 8 s Timeout (...3): Reason 3", _one_call("5550003", timeout_ms=8000)
        ),
        Scenario("originate-congestion", "callee Congestion() (...4): Reason 8", _one_call("5550004")),
        Scenario("originate-unallocated", "callee Hangup(1) (...5): Reason 0, cause 1", _one_call("5550005")),
        Scenario("originate-invalid-number", "callee Hangup(28) (...6): Reason 0, cause 28", _one_call("5550006")),
        Scenario(
            "originate-callee-hangs-up-early",
            "answers, hangs up after 2 s (...8) before an agent takes it",
            _one_call("5550008"),
        ),
        Scenario(
            "originate-amd",
            "three originates with DIALER_AMD=1: machine (...7), human (...9), dead air (...0)",
            _session(
                originate("5550007", "amd-1", amd=True, channel_id="fixture-amd-1"),
                originate("5550009", "amd-2", amd=True, channel_id="fixture-amd-2"),
                originate("5550010", "amd-3", amd=True, channel_id="fixture-amd-3"),
            ),
        ),
        Scenario(
            "originate-channelid",
            "ChannelId/OtherChannelId set by the dialer on a busy and a live call; a duplicate ChannelId fails",
            _session(
                originate("5550002", "cid-1", channel_id="fixture-cid-1"),
                originate("5550001", "cid-2", channel_id="fixture-cid-2"),
                Pause(0.5),
                originate("5550001", "cid-3", channel_id="fixture-cid-2"),
            ),
        ),
        Scenario(
            "originate-dialer-hangup",
            "Action: Hangup by the dialer of a ringing call (by its ChannelId, Cause 16) and of a channel that "
            "no longer exists",
            _session(
                originate("5550003", "hup-1", channel_id="fixture-hup-1"),
                Pause(1.5),
                send(("Action", "Hangup"), ("Channel", "fixture-hup-1"), ("Cause", "16"), ("ActionID", "hangup-1")),
                Pause(1.0),
                send(("Action", "Hangup"), ("Channel", "fixture-hup-1"), ("ActionID", "hangup-2")),
            ),
        ),
        Scenario(
            "originate-burst-50",
            "50 Async Originates back to back (last digits cycling 1,2,3,4,5,6,8)",
            _session(
                *(
                    originate(
                        f"55501{i:02d}"[:-1] + _BURST_DIGITS[(i - 1) % 7], f"burst-{i:02d}", channel_id=f"burst-{i:02d}"
                    )
                    for i in range(1, 51)
                ),
                quiet=5.0,
                limit=240.0,
            ),
        ),
        Scenario(
            "queue-add-pause-remove",
            "QueueAdd (twice), QueuePause true/false with Reason, QueueRemove (twice), QueuePause of an unknown member",
            _session(
                _queue(
                    "QueueAdd",
                    "qa-1",
                    ("Queue", "outbound-agents"),
                    _MEMBER,
                    ("MemberName", "Agent 9"),
                    ("Paused", "false"),
                ),
                _queue("QueueAdd", "qa-2", ("Queue", "outbound-agents"), _MEMBER, ("MemberName", "Agent 9")),
                _queue(
                    "QueuePause", "qp-1", ("Queue", "outbound-agents"), _MEMBER, ("Paused", "true"), ("Reason", "lunch")
                ),
                _queue("QueuePause", "qp-2", ("Queue", "outbound-agents"), _MEMBER, ("Paused", "false")),
                _queue("QueuePause", "qp-3", _MEMBER, ("Paused", "true"), ("Reason", "break")),
                _queue("QueuePause", "qp-4", _MEMBER, ("Paused", "false")),
                _queue("QueueRemove", "qr-1", ("Queue", "outbound-agents"), _MEMBER),
                _queue("QueueRemove", "qr-2", ("Queue", "outbound-agents"), _MEMBER),
                _queue("QueuePause", "qp-5", ("Interface", "Local/nobody@lab-agents"), ("Paused", "true")),
                agents=False,
            ),
        ),
        Scenario(
            "queue-status",
            "QueueStatus (all, one queue, one member) and QueueSummary while a call talks to an agent",
            _session(
                originate("5550001", "qs-call", channel_id="fixture-qs-1"),
                Pause(5.0),
                _queue("QueueStatus", "qs-all"),
                _queue("QueueStatus", "qs-one", ("Queue", "outbound-agents")),
                _queue("QueueStatus", "qs-member", ("Queue", "outbound-agents"), ("Member", AGENTS[0])),
                _queue("QueueSummary", "qsum-1"),
            ),
        ),
        Scenario(
            "core-show-channels",
            "three live calls answered and bridged to agents; CoreShowChannels and Status",
            _session(
                originate("5550001", "csc-1", channel_id="fixture-csc-1"),
                originate("5550011", "csc-2", channel_id="fixture-csc-2"),
                originate("5550021", "csc-3", channel_id="fixture-csc-3"),
                Pause(6.0),
                _queue("CoreShowChannels", "csc-list"),
                _queue("Status", "status-list"),
            ),
        ),
        Scenario(
            "queue-caller-hangs-up-bridged",
            "the caller hangs up while bridged to an agent who stays on the line: a callee (...8) answers and hangs "
            "up 1 s later, a call-control agent (Local/ccagent1@lab-cc-agents, auto-answer) has taken it",
            _session(originate("5550008", "qch-1", channel_id="fixture-qch-1"), members=((QUEUE, CC_AGENT),)),
        ),
        Scenario(
            "queue-trunk-caller-hangs-up-bridged",
            "over the lab's IAX2 trunk: the carrier's callee (5550001) answers and talks 10 s, then hangs up while "
            "bridged to an agent who stays on the line (Local/ccagent1@lab-cc-agents)",
            _session(
                originate(
                    "5550001",
                    "qch-1",
                    channel_id="fixture-qch-1",
                    channel=TRUNK_TEMPLATE.format(number="5550001"),
                ),
                members=((QUEUE, CC_AGENT),),
            ),
        ),
        Scenario(
            "callcontrol-hold-resume",
            "call control: hold (Redirect customer and agent to dialer-hold), resume (Redirect both into their "
            "conference, dialer-conference), DTMF 5 to the customer",
            _cc_session(
                _redirect("cc-hold", "{agent1}", "dialer-hold", "s", extra_exten="agent"),
                Pause(3.0),
                _redirect("cc-resume", "{agent1}", "dialer-conference", CC_CONFERENCE),
                Pause(2.0),
                send(("Action", "PlayDTMF"), ("Channel", CC_CUSTOMER), ("Digit", "5"), ("ActionID", "cc-dtmf")),
                Pause(2.0),
            ),
        ),
        Scenario(
            "callcontrol-blind-transfer",
            "call control: blind transfer to a queue (Setvar DIALER_TRANSFER_QUEUE, Redirect of the customer to "
            "dialer-transfer,queue, the agent's leg hung up) taken by a second agent",
            _cc_session(
                _setvar(CC_CUSTOMER, "DIALER_TRANSFER_QUEUE", INBOUND_QUEUE, "cc-setvar"),
                send(
                    ("Action", "Redirect"),
                    ("Channel", CC_CUSTOMER),
                    ("Context", "dialer-transfer"),
                    ("Exten", "queue"),
                    ("Priority", "1"),
                    ("ActionID", "cc-blind"),
                ),
                send(("Action", "Hangup"), ("Channel", "{agent1}"), ("ActionID", "cc-agent-out")),
                Pause(4.0),
                closer=True,
            ),
        ),
        Scenario(
            "callcontrol-warm-transfer",
            "call control: warm transfer to a second agent (customer to dialer-hold, the agent's leg to "
            "dialer-transfer,dial), completed (customer and target Redirected into the conference; the first "
            "agent's Dial() ends)",
            _cc_session(
                _setvar("{agent1}", "DIALER_TRANSFER_DIAL", CC_SECOND_AGENT, "cc-setvar"),
                _redirect("cc-consult", "{agent1}", "dialer-hold", "s", "dialer-transfer", "dial"),
                Pause(3.0),
                _redirect("cc-complete", "{dial3}", "dialer-conference", CC_CONFERENCE),
                Pause(3.0),
            ),
        ),
        Scenario(
            "callcontrol-warm-transfer-cancel",
            "call control: warm transfer to an external number, cancelled: customer and agent back in the "
            "conference, the target hung up",
            _cc_session(
                _setvar("{agent1}", "DIALER_TRANSFER_DIAL", "Local/5550101@lab-cc-pstn", "cc-setvar"),
                _redirect("cc-consult", "{agent1}", "dialer-hold", "s", "dialer-transfer", "dial"),
                Pause(3.0),
                _redirect("cc-cancel", "{agent1}", "dialer-conference", CC_CONFERENCE),
                send(("Action", "Hangup"), ("Channel", "{dial3}"), ("ActionID", "cc-target-end")),
                Pause(3.0),
            ),
        ),
        Scenario(
            "callcontrol-conference",
            "call control: 3-way (customer and agent Redirected to dialer-conference, a third party Originated "
            "into it), the agent drops out, the two others talk on",
            _cc_session(
                _redirect("cc-conf", "{agent1}", "dialer-conference", CC_CONFERENCE),
                send(
                    ("Action", "Originate"),
                    ("Channel", "Local/5550102@lab-cc-pstn"),
                    ("Context", "dialer-conference"),
                    ("Exten", CC_CONFERENCE),
                    ("Priority", "1"),
                    ("Timeout", "30000"),
                    ("CallerID", '"Dialer" <5550100>'),
                    ("Async", "true"),
                    ("ChannelId", "fixture-cc-3"),
                    ("ActionID", "cc-third"),
                ),
                Pause(4.0),
                send(("Action", "Hangup"), ("Channel", "{agent1}"), ("ActionID", "cc-drop")),
                Pause(3.0),
                send(("Action", "Hangup"), ("Channel", "fixture-cc-3"), ("ActionID", "cc-third-end")),
            ),
        ),
        Scenario(
            "inbound-call-waiting",
            "the only member of inbound-sales paused; an inbound customer (Local/s@sim-inbound, Application Wait 10) "
            "waits in the queue and gives up",
            _session(
                _queue(
                    "QueueAdd",
                    "in-add",
                    ("Queue", INBOUND_QUEUE),
                    ("Interface", "Local/agentfx5@lab-agents"),
                    ("Paused", "true"),
                    ("Reason", "fixture"),
                ),
                _inbound_customer(10),
                UntilQuiet(3.0, 60.0),
                _queue(
                    "QueueRemove", "in-remove", ("Queue", INBOUND_QUEUE), ("Interface", "Local/agentfx5@lab-agents")
                ),
                agents=False,
                quiet=0.5,
                limit=5.0,
            ),
        ),
        Scenario(
            "inbound-queue-timeout",
            f"the only member of inbound-sales paused; an inbound customer (Local/s@sim-inbound, Application Wait "
            f"{INBOUND_TIMEOUT_PATIENCE}) whose Originate sets {INBOUND_MAX_WAIT_VARIABLE}={INBOUND_SHORT_MAX_WAIT} "
            f"(the channel variable hides the production global, 300 s, for this call; Local copies it to the ;2 half "
            f"that runs dialer-inbound) waits past that bound: Queue() returns TIMEOUT, DialerAbandon with the queue, "
            f"the apology, Hangup",
            _session(
                _inbound_customer(
                    INBOUND_TIMEOUT_PATIENCE, ("Variable", f"{INBOUND_MAX_WAIT_VARIABLE}={INBOUND_SHORT_MAX_WAIT}")
                ),
                members=((INBOUND_QUEUE, "Local/agentfx5@lab-agents"),),
                paused=True,
                quiet=3.0,
                limit=60.0,
            ),
        ),
        Scenario(
            "inbound-joinempty",
            "inbound-sales without any member (no agent logged in; joinempty = unavailable,invalid); an inbound "
            "customer (Local/s@sim-inbound, Application Wait 10) is refused at join: Queue() returns JOINEMPTY at "
            "once without a queue event, DialerAbandon with the queue, the apology, Hangup",
            _session(
                _inbound_customer(10),
                agents=False,
                quiet=3.0,
                limit=30.0,
            ),
        ),
        *(
            Scenario(
                name,
                f"over the lab's IAX2 trunk to the lab carrier ({TRUNK_TEMPLATE.format(number=number)}): {what}",
                _trunk_call(number, timeout_ms=8000 if name == "trunk-noanswer" else 30000),
            )
            for name, (number, what) in TRUNK_CALLS.items()
        ),
        Scenario(
            "ivr-reminder",
            "two agentless reminder calls through [dialer-ivr] and the dialer's FastAGI server (flow reminder): "
            "the callee 9981001 presses 1 (confirmed), 9983001 presses 3 and reaches an auto-answering agent",
            _session(
                ivr_originate("9981001", "ivr-1", "reminder", channel_id="fixture-ivr-1"),
                Pause(0.5),
                ivr_originate("9983001", "ivr-2", "reminder", channel_id="fixture-ivr-2"),
                quiet=3.0,
                limit=90.0,
            ),
            ivr_flow="reminder",
        ),
        Scenario(
            "ivr-inbound",
            "an inbound caller (Local/s@lab-inbound-ivr, [lab-inbound-ivr-caller]) enters dialer-inbound,ivr: the "
            "dialer's FastAGI server runs the inbound flow, the caller keys account 1234# (found), then 0 at the menu, "
            "and an auto-answering member of inbound-sales takes the call with the flow's context",
            _session(
                send(
                    ("Action", "Originate"),
                    ("Channel", "Local/s@lab-inbound-ivr"),
                    ("Context", "lab-inbound-ivr-caller"),
                    ("Exten", "s"),
                    ("Priority", "1"),
                    ("CallerID", '"Customer" <5550199>'),
                    ("Async", "true"),
                    ("Variable", "_DIALER_FASTAGI={fastagi}"),
                    ("Variable", "LAB_PATIENCE=20"),
                    ("ChannelId", "fixture-ivr-in-1"),
                    ("ActionID", "ivr-in-1"),
                ),
                members=((INBOUND_QUEUE, IVR_INBOUND_AGENT),),
                quiet=3.0,
                limit=90.0,
            ),
            ivr_flow="inbound",
            ivr_accounts=IVR_INBOUND_TABLE,
        ),
        *(_inbound_ivr_path(name) for name in IVR_INBOUND_PATHS),
        Scenario(
            "reconnect-mid-call",
            "what a dialer's session opened again mid-call sees (its AMI connection was down while the call was "
            "answered): another connection (the session that dropped) adds agentfx1 and originates a live answer "
            "(...1, ChannelId fixture-rc-1); this session logs in 6 s later, lists the channels as the dialer's "
            "resync does, and sees the call end (DialerCallEnd Stage CONNECTED, Hangup) with no OriginateResponse",
            (
                Aside((_queue("QueueAdd", "rc-add", ("Queue", QUEUE), ("Interface", AGENTS[0])).headers,)),
                Aside((originate("5550001", "rc-orig-1", channel_id="fixture-rc-1", pstn="lab-pstn").headers,)),
                Pause(6.0),
                LOGIN,
                EVENTS_ON,
                send(("Action", "CoreShowChannels"), ("ActionID", "rc-channels")),
                Pause(10.0),
                UntilQuiet(3.0, 60.0),
                Aside((_queue("QueueRemove", "rc-remove", ("Queue", QUEUE), ("Interface", AGENTS[0])).headers,)),
                LOGOFF,
                UntilClosed(),
            ),
        ),
    )
}


@dataclass
class _Recording:
    started: float
    chunks: list[tuple[float, bytes]] = field(default_factory=list)  # complete messages, as received
    lines: list[bytes] = field(default_factory=list)  # the transcript body
    received: bytearray = field(default_factory=bytearray)
    pending: bytearray = field(default_factory=bytearray)
    banner_done: bool = False
    open_channels: set[str] = field(default_factory=set)
    seen_channel: bool = False
    last_rx: float = 0.0
    closed: bool = False
    sent: list[tuple[float, Headers]] = field(default_factory=list)
    banner: asyncio.Event = field(default_factory=asyncio.Event)  # set once the banner line (or EOF) arrived
    names: dict[str, str] = field(default_factory=dict)  # {agent1}, {dial1} ... (see CAPTURED)
    aside: list[tuple[float, Headers]] = field(default_factory=list)  # the Aside steps' actions, with their times

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def take(self, data: bytes) -> None:
        now = self.elapsed()
        self.last_rx = now
        self.received += data
        self.pending += data
        complete = bytearray()
        if not self.banner_done:
            end = self.pending.find(b"\r\n")
            if end < 0:
                return
            complete += self.pending[: end + 2]
            del self.pending[: end + 2]
            self.banner_done = True
        while (end := self.pending.find(b"\r\n\r\n")) >= 0:
            message = bytes(self.pending[: end + 4])
            del self.pending[: end + 4]
            self._track(message)
            complete += message
        if complete:
            self.lines.append(f"#<< +{now:.3f}s\n".encode())
            self.lines.append(bytes(complete))

    def flush(self) -> None:
        if self.pending:
            self.lines.append(f"#<< +{self.elapsed():.3f}s\n".encode())
            self.lines.append(bytes(self.pending))
            self.pending.clear()

    def _track(self, message: bytes) -> None:
        fields = dict(_HEADER.findall(message))
        event = fields.get(b"Event")
        unique = fields.get(b"Uniqueid")
        prefix = CAPTURED.get((event or b"").decode(errors="replace"))
        dest = fields.get(b"DestChannel")
        if prefix is not None and dest is not None:
            name = dest.decode(errors="replace")
            mine = [value for key, value in self.names.items() if key.rstrip("0123456789") == prefix]
            if name not in mine:
                self.names[f"{prefix}{len(mine) + 1}"] = name
        if unique is None:
            return
        if event == b"Newchannel":
            self.open_channels.add(unique.decode(errors="replace"))
            self.seen_channel = True
        elif event == b"Hangup":
            self.open_channels.discard(unique.decode(errors="replace"))


async def _send_aside(host: str, port: int, username: str, secret: str, actions: tuple[Headers, ...]) -> None:
    """Log in on a connection of its own, send ``actions`` one after the other (each once the one before was
    answered), log off. Nothing received on it is kept."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        async with asyncio.timeout(30.0):
            await reader.readline()  # the banner
            login: Headers = (("Action", "Login"), ("Username", username), ("Secret", secret), ("Events", "off"))
            for number, action in enumerate((login, *actions, (("Action", "Logoff"),)), start=1):
                action_id = f"aside-{number}"
                headers = (*((k, v) for k, v in action if k != "ActionID"), ("ActionID", action_id))
                wire = "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
                writer.write(wire.encode())
                await writer.drain()
                while (message := await reader.readuntil(b"\r\n\r\n")) and (
                    f"ActionID: {action_id}\r\n".encode() not in message
                ):
                    pass
    finally:
        writer.close()


async def _banner(rec: _Recording) -> None:
    await rec.banner.wait()


_HEADER = re.compile(rb"^([A-Za-z0-9-]+): ?(.*?)\r$", re.MULTILINE)


class _Names(dict[str, str]):
    """Placeholders of a step; one the session has not told (yet) stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# Event -> name prefix of the DestChannels a scenario may send actions to ({agent1} = first AgentConnect's).
CAPTURED: dict[str, str] = {"AgentConnect": "agent", "DialBegin": "dial"}


async def record_session(
    scenario: Scenario, host: str, port: int, username: str, secret: str, *, fastagi: str = ""
) -> tuple[bytes, list[tuple[float, Headers]], bytes, list[tuple[float, Headers]]]:
    """Run ``scenario``; return (transcript body, actions sent with their times, the raw received stream, the actions
    its ``Aside`` steps sent on connections of their own)."""
    reader, writer = await asyncio.open_connection(host, port)
    rec = _Recording(started=time.monotonic())

    async def pump() -> None:
        while data := await reader.read(65536):
            rec.take(data)
            if rec.banner_done:
                rec.banner.set()
        rec.closed = True
        rec.banner.set()

    task = asyncio.create_task(pump())
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10.0):
                await _banner(rec)
        for step in scenario.steps:
            if rec.closed:
                break
            if isinstance(step, Send):
                headers = tuple(
                    (k, v.format_map(_Names(username=username, secret=secret, fastagi=fastagi, **rec.names)))
                    for k, v in step.headers
                )
                at = rec.elapsed()
                rec.lines.append(f"#>> +{at:.3f}s SENT\n".encode())
                rec.lines.extend(f"#>> {k}: {v}\n".encode() if v else f"#>> {k}\n".encode() for k, v in headers)
                rec.lines.append(b"#>> \n")
                rec.sent.append((at, headers))
                wire = "".join(f"{k}: {v}\r\n" if v else f"{k}\r\n" for k, v in headers) + "\r\n"
                writer.write(wire.encode())
                await writer.drain()
            elif isinstance(step, Aside):
                at = rec.elapsed()
                names = _Names(username=username, secret=secret, fastagi=fastagi, **rec.names)
                actions = tuple(tuple((k, v.format_map(names)) for k, v in action) for action in step.actions)
                await _send_aside(host, port, username, secret, actions)
                rec.aside.extend((at, action) for action in actions)
            elif isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, UntilQuiet):
                deadline = rec.elapsed() + step.limit
                while rec.elapsed() < deadline and not rec.closed:
                    if not rec.open_channels and rec.elapsed() - rec.last_rx >= step.quiet:
                        break
                    await asyncio.sleep(0.05)
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(step.limit):
                        await asyncio.shield(task)
    finally:
        writer.close()
        try:
            async with asyncio.timeout(2.0):
                await task
        except (TimeoutError, ConnectionError):
            task.cancel()
        rec.flush()
    return b"".join(rec.lines), rec.sent, bytes(rec.received), rec.aside


def render(
    scenario: Scenario,
    body: bytes,
    sent: list[tuple[float, Headers]],
    received: bytes,
    *,
    source: str,
    version: str,
    recorded_at: datetime | None = None,
    aside: list[tuple[float, Headers]] | None = None,
) -> bytes:
    """The whole transcript file; raises :class:`RecordingError` unless it gives back ``received`` exactly."""
    when = (recorded_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    banner = received.split(b"\r\n", 1)[0].decode(errors="replace")
    head = [
        f"# AMI transcript: {scenario.name} -- {scenario.description}",
        f"# Recorded {when} from {source} with `dialer trace record {scenario.name}`",
        f"# asterisk -V: {version}",
        f"# AMI banner: {banner}",
        "#",
        "# Format: everything not starting with '#' is the raw byte stream received, verbatim (CRLF).",
        "# '#<< +T' marks when the next bytes arrived (seconds since connect); '#>> +T SENT' and the '#>> '",
        "# lines after it are an action we sent (CRLF on the wire, ended by an empty CRLF line).",
        "# Dropping all '#' lines (LF-ended) reproduces the received stream byte for byte.",
        "#",
        "# Actions sent, in order:",
    ]
    for number, (at, headers) in enumerate(sent, start=1):
        head.append(f"#  [{number}] +{at:.3f}s")
        head.extend(f"#      {k}: {v}" for k, v in headers)
    if aside:
        head.append("# Sent on connections of their own (Aside: logged in for them alone, not recorded):")
        for at, headers in aside:
            head.append(f"#  [aside] +{at:.3f}s")
            head.extend(f"#      {k}: {v}" for k, v in headers)
    head.append("# " + "-" * 76)
    text = ("\n".join(head) + "\n").encode() + body
    if received_stream_of(text) != received:
        raise RecordingError(
            f"{scenario.name}: the transcript does not give back the received stream byte for byte "
            "(a received line starts with '#'?)"
        )
    return text


async def record(
    scenario: Scenario,
    host: str,
    port: int,
    username: str,
    secret: str,
    out: Path,
    *,
    version: str,
    fastagi: str = "",
) -> int:
    """Record ``scenario`` into ``out``; the number of bytes received. ``fastagi``: the IVR scenarios' server."""
    body, sent, received, aside = await record_session(scenario, host, port, username, secret, fastagi=fastagi)
    text = render(scenario, body, sent, received, source=f"AMI {host}:{port}", version=version, aside=aside)
    await asyncio.to_thread(_write, out, text)
    return len(received)


def _write(out: Path, text: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text)
