"""A simulated Asterisk speaking AMI over TCP, for the demo, the end-to-end tests and benchmarks.

Usage: ``from dialer.sim.pbx import SimulatedPbx, PbxConfig, ManualClock, RealTimeClock``.

It reproduces the dialect of the recorded Asterisk 22 sessions (``ami-traces/``) and the observable behaviour
of the shipped dialplan (``asterisk/``). Modules, from the wire inward:

* ``server`` -- :class:`SimulatedPbx`: TCP listener, lifecycle (start, stop, kill, restart), ground truth.
* ``session`` -- one AMI connection: login, actions, responses, its own event stream and read classes.
* ``core`` -- the PBX without its sockets (:class:`PbxCore`): Originate/Hangup/queue actions and AMI lists against
  its state; spontaneous inbound traffic.
* ``calls`` -- what every call flow shares (queue side, far side, endings); ``outbound`` -- dials into the
  simulated network and [dialer-outbound] (AMD, Queue, safe harbour, the dialer's UserEvents); ``trunk`` -- the
  same over a PJSIP carrier trunk; ``inbound`` -- inbound callers; ``direct`` -- DIALER_AGENT direct agent dial.
* ``app_queue`` -- app_queue's behaviour: members, pause, weights, polling, matching callers with members;
  ``queues`` -- its data (queues, members, devices, waiting callers) and the agent legs and bridges it places.
* ``engine`` -- the channel engine under the core: channels, identifiers, event emission; ``channels`` --
  snapshots as AMI shows them.
* ``world`` -- what each callee does (the shared world model plus PBX-only choices), seeded per call.
* ``config``, ``truth`` (what really happened), ``probe`` (a bare AMI test client), ``tracetools`` (trace
  comparison helpers). Time comes from :mod:`dialer.clock`.
"""

from dialer.clock import Clock, ManualClock, RealTimeClock
from dialer.sim.pbx import ivr as _ivr  # noqa: F401  ([dialer-ivr] registers itself with the outbound calls)
from dialer.sim.pbx.config import DialerContext, PbxConfig, QueueConfig, StaticMember, WorldKind
from dialer.sim.pbx.server import SimulatedPbx
from dialer.sim.pbx.truth import GroundTruth, InboundRecord, OriginateRecord
from dialer.sim.pbx.world import CalleePlan, Fate

__all__ = [
    "CalleePlan",
    "Clock",
    "DialerContext",
    "Fate",
    "GroundTruth",
    "InboundRecord",
    "ManualClock",
    "OriginateRecord",
    "PbxConfig",
    "QueueConfig",
    "RealTimeClock",
    "SimulatedPbx",
    "StaticMember",
    "WorldKind",
]
