"""`dialer token list|revoke`: ops see every user's API tokens (never the secret) and revoke any, audited."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime

from harness.cli import run
from typer.testing import CliRunner

from dialer.store import open_database
from dialer.store.audit import audit_entries
from dialer.store.auth import user_for_token


def test_ops_list_every_users_tokens_and_revoke_one(cli: CliRunner) -> None:
    assert run(cli, "db", "upgrade")[0] == 0
    for name, role in (("sue", "manager"), ("ann", "agent")):
        assert run(cli, "user", "add", name, "--role", role, "--password", "long-enough-1")[0] == 0
    code, sue_secret, _ = run(cli, "user", "token", "sue", "--label", "crm")
    assert code == 0
    assert run(cli, "user", "token", "ann", "--label", "phone")[0] == 0

    code, out, err = run(cli, "token", "list", "--json")
    assert code == 0, err
    tokens = json.loads(out)
    assert [(t["user"], t["label"], t["revoked"]) for t in tokens] == [("sue", "crm", False), ("ann", "phone", False)]
    assert all(set(t) == {"id", "user", "label", "created_at", "last_used_at", "revoked"} for t in tokens)
    assert sue_secret.strip() not in out
    code, out, _ = run(cli, "token", "list", "--user", "ann")
    assert code == 0
    assert "phone" in out
    assert "crm" not in out
    code, _, err = run(cli, "token", "list", "--user", "nobody")
    assert code == 1
    assert "nobody" in err

    sue_token = tokens[0]["id"]
    code, out, err = run(cli, "token", "revoke", str(sue_token))
    assert code == 0, err
    assert "sue" in out
    code, _, err = run(cli, "token", "revoke", str(sue_token))  # once
    assert code == 1
    assert str(sue_token) in err
    listed = json.loads(run(cli, "token", "list", "--json")[1])
    assert [(t["user"], t["revoked"]) for t in listed] == [("sue", True), ("ann", False)]

    async def check() -> list[tuple[str, str, str]]:
        async with open_database(os.environ["DIALER_DATABASE_URL"]) as db:
            assert await user_for_token(db, sue_secret.strip(), datetime.now(UTC)) is None  # it no longer signs in
            _, found = await audit_entries(db)
        return [(e.actor, e.action, e.target) for e in found if e.action == "token.revoke"]

    assert asyncio.run(check()) == [("cli", "token.revoke", "user:sue")]
