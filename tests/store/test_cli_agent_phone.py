"""`dialer user add|set --phone` refuses a phone that is no channel (dialer.store.auth.check_agent_phone) in one
line, before asking for a password, and changes nothing."""

from __future__ import annotations

import json

from harness.cli import run
from typer.testing import CliRunner

REFUSED = (
    "error: phone 'bad phone': not a channel Asterisk can reach (e.g. PJSIP/1001, SIP/1001, IAX2/desk1, "
    "Local/agent1@agents)\n"
)


def test_user_add_refuses_a_bad_phone(cli: CliRunner) -> None:
    code, out, err = run(cli, "user", "add", "alice", "--role", "agent", "--phone", "bad phone")
    assert (code, out, err) == (1, "", REFUSED)
    assert run(cli, "db", "upgrade")[0] == 0
    assert json.loads(run(cli, "user", "list", "--json")[1]) == []


def test_user_set_refuses_a_bad_phone_and_keeps_the_old_one(cli: CliRunner) -> None:
    add = ("user", "add", "alice", "--role", "agent", "--phone", "PJSIP/alice", "--password", "long-enough-1")
    assert run(cli, *add)[0] == 0
    code, out, err = run(cli, "user", "set", "alice", "--phone", "bad phone")
    assert (code, out, err) == (1, "", REFUSED)
    assert run(cli, "user", "set", "alice", "--phone", "Local/alice@sim-agents")[0] == 0
    users = json.loads(run(cli, "user", "list", "--json")[1])
    assert [(u["name"], u["phone"]) for u in users] == [("alice", "Local/alice@sim-agents")]
