"""The web tier's store modules (users, tokens, sessions; lead search, edits, callbacks) on SQLite and PostgreSQL,
and the `dialer user` commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness.databases import BOTH_DATABASES, database_spec, migrated
from typer.testing import CliRunner

from dialer.cli import app as cli
from dialer.store import Database
from dialer.store.attempts import AttemptProgress, AttemptStart, start_attempt, update_attempt
from dialer.store.auth import (
    Role,
    UserExistsError,
    add_api_token,
    create_session,
    create_user,
    end_session,
    revoke_tokens,
    session_user,
    user_for_token,
)
from dialer.store.campaigns import apply_campaign
from dialer.store.console import (
    LeadQuery,
    agent_may_see_lead,
    cancel_callback,
    create_callback,
    list_callbacks,
    search_leads,
    update_lead_fields,
)
from dialer.store.leads import NewLead, insert_new_leads
from dialer.web.security import hash_password, verify_password

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


@pytest.fixture(params=BOTH_DATABASES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with database_spec(request.param, tmp_path / "w.db") as spec, migrated(spec) as database:
        yield database


async def test_users_tokens_sessions(db: Database) -> None:
    user = await create_user(db, "ann", Role.MANAGER, hash_password("s3cret-pass"), NOW)
    with pytest.raises(UserExistsError):
        await create_user(db, "ann", Role.AGENT, hash_password("other-pass"), NOW)
    assert verify_password(user.password_hash, "s3cret-pass")
    assert not verify_password(user.password_hash, "wrong-pass")
    assert not verify_password(None, "anything")
    await add_api_token(db, user.id, "dlr_token", "t", NOW)
    found = await user_for_token(db, "dlr_token", NOW)
    assert found is not None
    assert found.name == "ann"
    assert await user_for_token(db, "dlr_other", NOW) is None
    await revoke_tokens(db, user.id)
    assert await user_for_token(db, "dlr_token", NOW) is None
    await create_session(db, user.id, "sid", "csrf", NOW, NOW + timedelta(hours=1))
    session = await session_user(db, "sid", NOW)
    assert session is not None
    assert session.csrf_token == "csrf"
    assert await session_user(db, "sid", NOW + timedelta(hours=2)) is None  # expired
    await end_session(db, "sid")
    assert await session_user(db, "sid", NOW) is None


async def test_lead_search_agent_scope_edits_and_callbacks(db: Database) -> None:
    campaign = (await apply_campaign(db, "c", {"name": "c"}, NOW)).campaign
    leads = [
        NewLead(phone=f"+1212555{n:04d}", status="new", next_dialable_at=NOW, first_name=name, last_name="Smith_50%")
        for n, name in enumerate(["Ann", "Bob", "Cid"])
    ]
    async with db.write() as conn:
        await insert_new_leads(conn, campaign.id, None, leads, NOW)
    total, found = await search_leads(db, LeadQuery(campaign_id=campaign.id, text="bob"))
    assert total == 1
    assert found[0].first_name == "Bob"
    total, _ = await search_leads(db, LeadQuery(text="_50%"))  # LIKE wildcards are literal
    assert total == 3
    total, _ = await search_leads(db, LeadQuery(text="555-0002"))
    assert total == 1
    total, page = await search_leads(db, LeadQuery(limit=2, offset=2))
    assert (total, len(page)) == (3, 1)
    ann = (await search_leads(db, LeadQuery(text="ann")))[1][0]
    attempt = await start_attempt(
        db, AttemptStart(lead_id=ann.id, campaign_id=campaign.id, phone=ann.phone, started_at=NOW)
    )
    await update_attempt(db, attempt, AttemptProgress(agent="alice"))
    assert await agent_may_see_lead(db, ann.id, "alice")
    assert not await agent_may_see_lead(db, ann.id, "bob")
    total, mine = await search_leads(db, LeadQuery(agent="alice"))
    assert [lead.id for lead in mine] == [ann.id]
    edited = await update_lead_fields(db, ann.id, NOW, first_name="Anne", fields={"email": "a@x.org"})
    assert edited is not None
    assert (edited.first_name, edited.fields["email"]) == ("Anne", "a@x.org")
    edited = await update_lead_fields(db, ann.id, NOW, fields={"email": None})
    assert edited is not None
    assert "email" not in edited.fields
    callback = await create_callback(db, ann.id, NOW + timedelta(days=1), "alice", "after 3", NOW)
    assert callback is not None
    total, listed = await list_callbacks(db, agent="alice", state="pending")
    assert [(c.callback.id, c.phone, c.first_name) for c in listed] == [(callback.id, ann.phone, "Anne")]
    # Overdue: pending and due before the given time.
    assert (await list_callbacks(db, state="pending", due_before=NOW + timedelta(days=1)))[0] == 0
    assert (await list_callbacks(db, state="pending", due_before=NOW + timedelta(days=2)))[0] == 1
    assert (await search_leads(db, LeadQuery(status="callback")))[0] == 1
    cancelled = await cancel_callback(db, callback.id, NOW)
    assert cancelled is not None
    assert cancelled.state == "cancelled"
    assert (await search_leads(db, LeadQuery(status="retry")))[0] == 1
    assert await create_callback(db, 999_999, NOW, None, None, NOW) is None


def test_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("DIALER_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["user", "add", "sam", "--role", "agent", "--password", "pass-word-1", "--phone", "PJSIP/1001"]
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(cli, ["user", "add", "sam", "--role", "agent", "--password", "pass-word-1"])
    assert again.exit_code == 1
    assert "already exists" in again.output
    short = runner.invoke(cli, ["user", "add", "tim", "--role", "manager", "--password", "short"])
    assert short.exit_code == 1
    listed = runner.invoke(cli, ["user", "list"])
    assert "sam" in listed.output
    assert "PJSIP/1001" in listed.output
    token = runner.invoke(cli, ["user", "token", "sam"])
    assert token.exit_code == 0
    assert token.stdout.strip().splitlines()[-1].startswith("dlr_")
    missing = runner.invoke(cli, ["user", "token", "nobody"])
    assert missing.exit_code == 1
