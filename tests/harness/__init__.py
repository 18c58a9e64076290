"""The test harness every tier shares (importable as ``harness``: tests/ is on the path through its conftest).

By what each module holds:

- clock: the fixed start of every simulated world, and its clock as a datetime
- campaign: the test campaign, the simulated world (scenario), the lead files and parsed lead rows
- crew: simulated agents who disposition their calls
- stepping: advancing a manual clock while daemons catch up, and waiting in real time (``eventually``)
- daemon: bringing a daemon up on AMI with its agents logged in
- databases: the databases several daemons share (SQLite file, a fresh PostgreSQL schema)
- faults: a TCP relay that cuts a daemon off its database
- e2e, ops, servers, web, lab: the worlds built from these (one daemon and one PBX; several daemons; one daemon and
  two PBXs; the web application, with the preview campaign the web tests PUT and the problem+json check; the
  real-Asterisk lab)
- logs, agents: the daemon's log configuration captured; the queue side of AMI for agent tests
- cli: the ``dialer`` command run in-process (with the ``cli`` fixture of tests/conftest.py)
- browser: headless-chromium pages signed in, their script errors and CSP violations collected; the served web world
- console: the agent console in a browser (signing in, the call-control panel, hand-overs, the manual-dial world)
- lab_daemon: the real `dialer run` process against the lab (its home, a power campaign, an agent made ready)
- rules: oracles and generators of the lead-rule tests (the claim's refusals, open windows, lead snapshots)
- paths: where the repository is (REPO)
- bus, ports: waiting for a kind of note on the daemon's bus; a free loopback port
- webhooks: the webhook tests' campaign and attempts, fast worker settings, running the outbox worker until done
"""
