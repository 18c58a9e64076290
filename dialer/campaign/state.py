"""The state a campaign is stored in (``campaigns.state``): what an operator asked for, which every daemon follows.

It is not the runner's live state (``RunnerState`` adds draining and standby): a stored ``running`` campaign may be
in standby on a daemon that does not own it. The operator's commands (CLI ``dialer campaign start|pause|stop``,
the API's ``POST /api/campaigns/{name}/start|pause|stop``) map onto it with :meth:`CampaignState.for_command`.
"""

from __future__ import annotations

from enum import StrEnum


class CampaignState(StrEnum):
    STOPPED = "stopped"  # no calls (the state a new campaign is created in)
    RUNNING = "running"  # dialling
    PAUSED = "paused"  # no new calls; calls in progress finish

    @classmethod
    def for_command(cls, command: str) -> CampaignState:
        """The state an operator's ``start`` / ``pause`` / ``stop`` asks for (KeyError on anything else)."""
        return _COMMANDS[command]


_COMMANDS = {"start": CampaignState.RUNNING, "pause": CampaignState.PAUSED, "stop": CampaignState.STOPPED}
