"""Web users of `dialer demo`: an administrator, a manager, a supervisor, one user per simulated agent and a spare
agent for a human to try, in two teams, so that every page of the web tier has something to show.

The demo's database is fresh on every run, so the passwords are fixed and printed (never do this elsewhere). The
manager and the supervisor have phones in the simulated PBX (``Local/<name>@sim-agents``, answered at once), so
that the dashboard's Listen, Whisper and Barge work in the demo as they do with a real desk phone.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from dialer.appkeys import DATABASE, SETTINGS
from dialer.i18n import _
from dialer.store.admin import (
    TeamExistsError,
    UserChange,
    change_user,
    create_team,
    set_team_campaigns,
    set_team_supervisors,
)
from dialer.store.auth import Role, add_api_token, create_user, get_user, update_user
from dialer.store.campaigns import list_campaigns
from dialer.store.engine import Database
from dialer.web.security import hash_password, new_api_token

DEMO_ADMIN = "admin"
DEMO_ADMIN_PASSWORD = "demo-admin"  # noqa: S105 - the throwaway demo database only
DEMO_MANAGER = "manager"
DEMO_MANAGER_PASSWORD = "demo-manager"  # noqa: S105 - the throwaway demo database only
DEMO_SUPERVISOR = "supervisor"
DEMO_SUPERVISOR_PASSWORD = "demo-supervisor"  # noqa: S105 - the throwaway demo database only
DEMO_AGENT_PASSWORD = "demo-agent"  # noqa: S105 - the throwaway demo database only
SPARE_AGENT = "you"
DEMO_TEAMS = ("north", "south")  # the first half of the agents and the spare agent; the second half
DEMO_ACTOR = "demo"  # who the audit log says created the demo's teams
# The names the demo's agents give on their calls (the script's ``{{ agent }}``), in the demo's language: the
# simulated agents in order, then the spare agent; agents beyond the list go by their login.
DEMO_AGENT_NAMES: dict[str | None, tuple[str, ...]] = {
    None: (
        "Alex Morgan",
        "Priya Shah",
        "Tom Baker",
        "Maria Lopez",
        "Sam Okafor",
        "Emma Clarke",
        "Luca Rossi",
        "Hannah Kim",
        "Dan Walsh",
        "Aisha Khan",
        "Jonas Berg",
        "Chloe Martin",
    ),
    "ja": (
        "佐藤 花子",
        "鈴木 一郎",
        "高橋 美咲",
        "田中 健太",
        "伊藤 由美",
        "渡辺 翔",
        "山本 彩",
        "中村 大輔",
        "小林 愛",
        "加藤 誠",
        "吉田 結衣",
        "山田 拓也",
    ),
    "zh-CN": ("王芳", "李伟", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴婷", "徐明", "孙悦"),
    "zh-Hant": ("王芳", "李偉", "張敏", "劉洋", "陳靜", "楊帆", "趙磊", "黃麗", "周傑", "吳婷", "徐明", "孫悅"),
}
SPARE_AGENT_NAMES: dict[str | None, str] = {None: "Sam Taylor", "ja": "森 さくら", "zh-CN": "林晓", "zh-Hant": "林曉"}


def demo_agent_name(agent_ids: Sequence[str], agent: str, language: str | None) -> str | None:
    """The display name of a demo agent in the demo's language (None: they go by their login)."""
    if agent == SPARE_AGENT:
        return SPARE_AGENT_NAMES.get(language, SPARE_AGENT_NAMES[None])
    names = DEMO_AGENT_NAMES.get(language, DEMO_AGENT_NAMES[None])
    index = list(agent_ids).index(agent) if agent in agent_ids else len(names)
    return names[index] if index < len(names) else None


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """A demo user and how to log in as them; ``phone``: an agent's interface, or the phone a supervisor listens
    on (None for the administrator)."""

    name: str
    role: Role
    password: str
    phone: str | None


async def create_demo_users(
    db: Database, agent_ids: Sequence[str], now: datetime, *, language: str | None = None
) -> tuple[list[DemoLogin], str]:
    """Create the users (skipping existing ones) and the demo's teams, and an API token for the manager; returns
    logins and token. ``language``: their UI language (``dialer demo --locale``); None leaves it to the browser."""
    logins = [
        DemoLogin(DEMO_ADMIN, Role.ADMIN, DEMO_ADMIN_PASSWORD, None),
        DemoLogin(DEMO_MANAGER, Role.MANAGER, DEMO_MANAGER_PASSWORD, f"Local/{DEMO_MANAGER}@sim-agents"),
        DemoLogin(DEMO_SUPERVISOR, Role.SUPERVISOR, DEMO_SUPERVISOR_PASSWORD, f"Local/{DEMO_SUPERVISOR}@sim-agents"),
    ]
    logins += [DemoLogin(a, Role.AGENT, DEMO_AGENT_PASSWORD, f"Local/{a}@sim-agents") for a in agent_ids]
    logins.append(DemoLogin(SPARE_AGENT, Role.AGENT, DEMO_AGENT_PASSWORD, f"Local/{SPARE_AGENT}@sim-agents"))
    agent_hash = hash_password(DEMO_AGENT_PASSWORD)
    for login in logins:
        if await get_user(db, login.name) is None:
            password_hash = agent_hash if login.role is Role.AGENT else hash_password(login.password)
            name = demo_agent_name(agent_ids, login.name, language) if login.role is Role.AGENT else None
            await create_user(db, login.name, login.role, password_hash, now, phone=login.phone, display_name=name)
        if language is not None:
            await update_user(db, login.name, now, language=language)
    await _create_demo_teams(db, agent_ids, now)
    manager = await get_user(db, DEMO_MANAGER)
    assert manager is not None
    token = new_api_token()
    await add_api_token(db, manager.id, token, "demo", now)
    return logins, token


def demo_teams(agent_ids: Sequence[str]) -> dict[str, list[str]]:
    """The demo's teams and their agents: ``north`` the first half of the simulated agents and the spare agent,
    ``south`` the rest."""
    half = (len(agent_ids) + 1) // 2
    return {DEMO_TEAMS[0]: [*agent_ids[:half], SPARE_AGENT], DEMO_TEAMS[1]: list(agent_ids[half:])}


async def _create_demo_teams(db: Database, agent_ids: Sequence[str], now: datetime) -> None:
    """Both teams work every campaign of the demo; the supervisor supervises ``north`` (the manager sees every
    team). A restarted demo on the same database keeps the teams it finds."""
    campaigns = [c.name for c in await list_campaigns(db)]
    supervisors = {DEMO_TEAMS[0]: [DEMO_SUPERVISOR], DEMO_TEAMS[1]: []}
    for team, members in demo_teams(agent_ids).items():
        try:
            await create_team(db, team, now, actor=DEMO_ACTOR)
        except TeamExistsError:
            continue
        await set_team_supervisors(db, team, supervisors[team], now, actor=DEMO_ACTOR)
        await set_team_campaigns(db, team, campaigns, now, actor=DEMO_ACTOR)
        for agent in members:
            await change_user(db, agent, UserChange(team=team), now, actor=DEMO_ACTOR)


def login_lines(url: str, agent_ids: Sequence[str], token: str) -> list[str]:
    """How to log in to the demo at ``url``, in the demo's language (``dialer demo --locale``), like its other
    printed lines."""
    lines = [
        "  " + _("web: {url}").format(url=f"{url}/login"),
        "  " + _("manager dashboard: {user} / {password}").format(user=DEMO_MANAGER, password=DEMO_MANAGER_PASSWORD),
        "  "
        + _("supervisor of team {team} (/teams): {user} / {password}").format(
            team=DEMO_TEAMS[0], user=DEMO_SUPERVISOR, password=DEMO_SUPERVISOR_PASSWORD
        ),
        "  " + _("administrator (/admin): {user} / {password}").format(user=DEMO_ADMIN, password=DEMO_ADMIN_PASSWORD),
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
        url = base_url or app[SETTINGS].http.url
        for line in login_lines(url, agent_ids, token):
            say(line)
        yield

    return ctx
