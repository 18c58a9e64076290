"""The dialer core, without HTTP: database, Asterisk servers, event pumps, agents, campaign runners.

:class:`Dialer` (:mod:`dialer.daemon.core`) wires the parts, each a module of this package by role:

- :mod:`dialer.daemon.loading`: the one way a campaign's runner is loaded (start, state sync, takeover, scheduler);
- :mod:`dialer.daemon.ownership`: which campaigns this daemon runs (the campaign leases of ``dialer.store.ownership``);
- :mod:`dialer.daemon.adoption`: calls a dead daemon left up, matched against each server's channel listing;
- :mod:`dialer.daemon.maintenance`: the periodic work on the daemon's clock (one timer, a table of jobs);
- :mod:`dialer.daemon.status`: the status document (``/api/status``, the dashboard).
"""

from __future__ import annotations

from dialer.daemon.core import Dialer, ServerConnection, UnknownCampaign

__all__ = ["Dialer", "ServerConnection", "UnknownCampaign"]
