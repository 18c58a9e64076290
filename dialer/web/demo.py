"""Web users of `dialer demo`: a manager, one user per simulated agent, and a spare agent for a human to try.

The demo's database is fresh on every run, so the passwords are fixed and printed (never do this elsewhere).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from dialer.appkeys import DATABASE, SETTINGS
from dialer.i18n import _
from dialer.store.auth import Role, add_api_token, create_user, get_user, update_user
from dialer.store.engine import Database
from dialer.web.security import hash_password, new_api_token

DEMO_MANAGER = "manager"
DEMO_MANAGER_PASSWORD = "demo-manager"  # noqa: S105 - the throwaway demo database only
DEMO_AGENT_PASSWORD = "demo-agent"  # noqa: S105 - the throwaway demo database only
SPARE_AGENT = "you"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo user and how to log in as them; ``phone``: an agent's interface (None for the manager)."""

    name: str
    role: Role
    password: str
    phone: str | None


async def create_demo_users(
    db: Database, agent_ids: Sequence[str], now: datetime, *, language: str | None = None
) -> tuple[list[DemoLogin], str]:
    """Create the users (skipping existing ones) and an API token for the manager; returns logins and token.
    ``language``: their UI language (``dialer demo --locale``); None leaves it to the browser."""
    logins = [DemoLogin(DEMO_MANAGER, Role.MANAGER, DEMO_MANAGER_PASSWORD, None)]
    logins += [DemoLogin(a, Role.AGENT, DEMO_AGENT_PASSWORD, f"Local/{a}@sim-agents") for a in agent_ids]
    logins.append(DemoLogin(SPARE_AGENT, Role.AGENT, DEMO_AGENT_PASSWORD, f"Local/{SPARE_AGENT}@sim-agents"))
    agent_hash = hash_password(DEMO_AGENT_PASSWORD)
    for login in logins:
        if await get_user(db, login.name) is None:
            password_hash = agent_hash if login.role is Role.AGENT else hash_password(login.password)
            await create_user(db, login.name, login.role, password_hash, now, phone=login.phone)
        if language is not None:
            await update_user(db, login.name, now, language=language)
    manager = await get_user(db, DEMO_MANAGER)
    assert manager is not None
    token = new_api_token()
    await add_api_token(db, manager.id, token, "demo", now)
    return logins, token


def login_lines(url: str, agent_ids: Sequence[str], token: str) -> list[str]:
    """How to log in to the demo at ``url``, in the demo's language (``dialer demo --locale``), like its other
    printed lines."""
    lines = [
        "  " + _("web: {url}").format(url=f"{url}/login"),
        "  " + _("manager dashboard: {user} / {password}").format(user=DEMO_MANAGER, password=DEMO_MANAGER_PASSWORD),
        "  "
        + _("agent console (a spare agent, not simulated): {user} / {password}").format(
            user=SPARE_AGENT, password=DEMO_AGENT_PASSWORD
        ),
    ]
    if agent_ids:
        lines.append(
            "  "
            + _("simulated agents {first}..{last} / {password}").format(
                first=agent_ids[0], last=agent_ids[-1], password=DEMO_AGENT_PASSWORD
            )
        )
    lines.append(
        "  " + _("API: {command}").format(command=f"curl -H 'Authorization: Bearer {token}' {url}/api/dashboard")
    )
    return lines


def demo_users_ctx(
    agent_ids: Sequence[str],
    *,
    base_url: str | None = None,
    echo: Callable[[str], None] | None = None,
    language: str | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context for ``build_app(after=[...])``: creates the demo users and prints how to log in."""

    def to_stderr(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    say = echo or to_stderr

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        _logins, token = await create_demo_users(app[DATABASE], agent_ids, datetime.now(UTC), language=language)
        http = app[SETTINGS].http
        url = base_url or f"http://{http.host}:{http.port}"
        for line in login_lines(url, agent_ids, token):
            say(line)
        yield

    return ctx
