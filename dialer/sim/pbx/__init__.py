"""A simulated Asterisk speaking AMI over TCP, for the demo, the end-to-end tests and benchmarks.

Usage: ``from dialer.sim.pbx import SimulatedPbx, PbxConfig, ManualClock, RealTimeClock``.

It reproduces the dialect of the recorded Asterisk 22 sessions (``ami-traces/``) and the observable behaviour
of the shipped dialplan (``asterisk/``). Modules, from the wire inward:

* ``server`` -- :class:`SimulatedPbx`: TCP listener, lifecycle (start, stop, kill, restart), ground truth.
* ``session`` -- one AMI connection: login, actions, responses, its own event stream and read classes.
* ``core`` -- Originate/Hangup/queue actions and AMI lists against the PBX state; spontaneous inbound traffic.
* ``calls`` -- what every call flow shares (queue side, far side, endings); ``outbound`` -- dials into the
  simulated network and [dialer-outbound] (AMD, Queue, safe harbour, the dialer's UserEvents); ``trunk`` -- the
  same over a PJSIP carrier trunk; ``inbound`` -- inbound callers; ``direct`` -- DIALER_AGENT direct agent dial.
* ``agents`` -- app_queue: members, pause, weights, polling; ``legs`` -- agent legs and bridges; ``queues`` --
  their state.
* ``engine`` -- channels, identifiers, event emission; ``channels`` -- snapshots as AMI shows them.
* ``world`` -- what each callee does (the shared world model plus PBX-only choices), seeded per call.
* ``config``, ``truth`` (what really happened), ``probe`` (a bare AMI test client), ``tracetools`` (trace
  comparison helpers). Time comes from :mod:`dialer.clock`.
"""

from dialer.clock import Clock, ManualClock, RealTimeClock
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
