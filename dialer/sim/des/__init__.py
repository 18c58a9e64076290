"""The fast discrete-event simulator: the daemon's pacer against the world model, no sockets."""

from dialer.sim.des.engine import Policy, Simulation
from dialer.sim.des.metrics import RunResult
from dialer.sim.model import Scenario


def simulate(scenario: Scenario, policy: Policy, *, seed: int, hours: float, warmup_minutes: float) -> RunResult:
    """One seeded run of one policy; the same seed gives every policy the same callers."""
    return Simulation(scenario, seed).run(policy, hours, warmup_minutes)


__all__ = ["Policy", "RunResult", "Simulation", "simulate"]
