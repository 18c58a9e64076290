"""The pacer's memory of each campaign this daemon runs, saved for the daemon that loads the campaign next (a
restart, or a takeover after this one died): what no record holds (:mod:`dialer.pacing.memory`).

Saved every :data:`SAVE_SECONDS` on the daemon's clock and once more when it drains, before its leases go (the next
owner loads it as it takes over); only the campaigns this daemon holds the lease of, and only while it holds it
(:func:`dialer.store.pacer_memory.save_pacer_memory`). Read back by the runner's loader (dialer.daemon.loading).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from dialer.daemon.ownership import CampaignKeeper
from dialer.logging import get_logger
from dialer.pacing.memory import encode, remember
from dialer.runner.state import RunnerState
from dialer.store.pacer_memory import save_pacer_memory

log = get_logger(__name__)

# A daemon killed outright loses what its pacer learnt since the last save: at most this long of it. The level moves
# by about gain × setpoint (0.004 in logit) per connected live answer and gain × (1 − setpoint) (0.15) per abandon, so
# half a minute of a 100-agent campaign (a few dozen answers, an abandon or so) is within the scatter the controller
# keeps anyway (1 ÷ gain abandons); one small row per campaign every 30 s is nothing beside its attempt rows.
SAVE_SECONDS = 30.0


@dataclass(eq=False)
class PacerMemoryKeeper(CampaignKeeper):
    saved: int = field(init=False, default=0)  # memories written so far

    async def save(self, now: float) -> None:
        """Save the memory of every campaign this daemon dials (holds the lease of). One campaign's failure is logged
        and does not stop the others."""
        saved_at = datetime.fromtimestamp(now, UTC)
        for runner in list(self.runners.values()):
            if runner.campaign_id not in self.ownership.owned or runner.state is RunnerState.STANDBY:
                continue
            memory = encode(remember(runner.stats, runner.settings))
            try:
                if await save_pacer_memory(self.db, runner.campaign_id, self.owner, saved_at, memory):
                    self.saved += 1
            except Exception:
                log.exception(
                    "pacer_memory_save_failed", campaign=runner.name, campaign_id=runner.campaign_id, owner=self.owner
                )
