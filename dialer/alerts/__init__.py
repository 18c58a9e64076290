"""Alerts: a figure past its threshold for long enough, raised to the supervisors and managers, cleared once it
has gone back (with hysteresis: no flapping).

- :mod:`.rules` (pure): the rule set (``[[alerts]]`` in the daemon's settings), each rule's kind, threshold, hold
  time, hysteresis and severity; the defaults that work with no configuration.
- :mod:`.readings` (pure): what the daemon sees now (campaigns, inbound queues, agents, servers) turned into one
  reading per rule and subject.
- :mod:`.evaluator` (pure, the clock passed in): readings in, alerts out -- raised, still active, cleared.
- ``dialer.daemon.alerts``: the daemon's keeper (evaluates on the daemon's clock, writes the history and the
  webhook events, keeps the active alerts for the dashboard and the metrics); ``dialer.store.alerts``: the history;
  ``dialer.web.api.alerts``: ``GET /api/alerts``, acknowledging.
"""
