"""The test harness every tier shares (importable as ``harness``: tests/ is on the path through its conftest).

By what each module holds:

- clock: the fixed start of every simulated world, and its clock as a datetime
- campaign: the test campaign, the simulated world (scenario) and the lead files
- crew: simulated agents who disposition their calls
- stepping: advancing a manual clock while daemons catch up, and waiting in real time
- daemon: bringing a daemon up on AMI with its agents logged in
- databases: the databases several daemons share (SQLite file, a fresh PostgreSQL schema)
- faults: a TCP relay that cuts a daemon off its database
- e2e, ops, servers, web, lab: the worlds built from these (one daemon and one PBX; several daemons; one daemon and
  two PBXs; the web application; the real-Asterisk lab)
- logs, agents: the daemon's log configuration captured; the queue side of AMI for agent tests
"""
