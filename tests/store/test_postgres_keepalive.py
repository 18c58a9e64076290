"""A PostgreSQL host gone without closing its connections (powered off, cut off) must not hold the daemon's queries
for the ~15 minutes of the kernel's retransmissions: every pooled connection is probed when silent."""

from __future__ import annotations

import pytest
from harness.databases import migrated, pg_schema

from dialer.store.engine import postgres_socket
from dialer.tcp_keepalive import DEAD_PEER_SECONDS, TCP_OPTIONS, keepalive_options

pytestmark = pytest.mark.postgres


async def test_every_pooled_postgres_connection_is_probed_when_silent() -> None:
    async with pg_schema() as spec, migrated(spec) as db, db.engine.connect() as first, db.engine.connect() as second:
        for conn in (first, second):
            raw = await conn.get_raw_connection()
            sock = postgres_socket(raw)
            assert sock is not None
            options = keepalive_options(sock)
            assert options.pop("SO_KEEPALIVE") == 1
            assert options == {name: value for name, value in TCP_OPTIONS.items() if name in options}
    assert DEAD_PEER_SECONDS == 120
