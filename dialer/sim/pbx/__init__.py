"""A simulated Asterisk speaking AMI over TCP, for the demo, the end-to-end tests and benchmarks.

from dialer.sim.pbx import SimulatedPbx, PbxConfig, ManualClock, RealTimeClock
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
