"""The REST API, one module per resource; each has its own ``routes`` table, joined in :func:`dialer.web.route_table`.

- :mod:`.users` who am I, API tokens, users          - :mod:`.campaigns` campaigns, start/pause/stop, statistics
- :mod:`.leadlists` CSV preview/import, lead lists   - :mod:`.leads` search, read, correct, do-not-call
- :mod:`.agents` agents, queues, sign in, ready/pause - :mod:`.calls` the agent's call, dispositions, preview mode
- :mod:`.callbacks` scheduled callbacks               - :mod:`.dashboard` the manager dashboard document
- :mod:`.reports` compliance, performance, call records (JSON, HTML, CSV)  - :mod:`.myday` an agent's day so far
- :mod:`.recordings` search, audio, the agent's controls  - :mod:`.supervision` listen/whisper/barge, dial mode
- :mod:`.scripts` the agent's script for the current call  - :mod:`.alerts` the alert history, acknowledging

Shared JSON helpers and lookups live in :mod:`.common`; handlers reach the daemon through :mod:`dialer.web.facade`.
Login, logout and the OpenAPI document are served by :mod:`dialer.web.pages` (they share the login form's code).
"""
