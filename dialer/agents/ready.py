"""What an agent in wrap-up may announce with the console's "ready in N s": one definition for the registry, the
API, the console and the simulated world (``[ready]`` in the scenario format)."""

from __future__ import annotations

# The shortest and longest "ready in N s" the console and the API accept: whole seconds in this range.
MIN_READY_ANNOUNCEMENT_SECONDS = 1
MAX_READY_ANNOUNCEMENT_SECONDS = 300
# The console's buttons (a typed number of seconds besides them).
READY_ANNOUNCEMENT_BUTTONS = (5, 10, 15, 20, 30)
# The reason the agent state history gives for the end of a wrap-up in which the agent announced "ready in N s"
# (however it ended: at the announced time, or sooner by a disposition); the performance report's share of
# wrap-ups announced counts them.
WRAPUP_ENDED_ANNOUNCED = "ready_announced"
