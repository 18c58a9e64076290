"""Which leads a user may see and act on (lead search, a lead's history, edits): the one definition, in the
domain, not in the web handlers.

* admins and managers: every lead;
* a supervisor: the leads of the campaigns their teams work (``team_campaigns``), and the leads their teams'
  agents (and they themselves) talked to or hold a callback of;
* an agent: the leads they talked to or hold a callback of.

Call-side rows -- callbacks and recordings, each of one campaign and (maybe) one agent -- follow the same scope:
a supervisor sees those of their teams' campaigns and of their teams' agents (and their own), an agent their own
(:meth:`LeadScope.sees_call`, :meth:`LeadScope.calls_condition`).

:func:`scope_for` is the pure rule; :func:`lead_scope` loads what it needs; :meth:`LeadScope.condition` is the SQL
filter every lead query of a scoped user applies.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, false, or_, select

from dialer.store.admin import team_campaigns_t, team_supervisors_t
from dialer.store.auth import Role, UserRecord, users_t
from dialer.store.engine import Database
from dialer.store.tables import attempts_t, leads_t


@dataclass(frozen=True, slots=True)
class LeadScope:
    """``everything``, or the leads of ``campaigns`` plus those ``agents`` talked to or hold a callback of."""

    everything: bool = False
    campaigns: frozenset[int] = frozenset()
    agents: frozenset[str] = frozenset()

    def condition(self) -> Any | None:
        """The SQL filter on ``leads`` (None: no filter)."""
        if self.everything:
            return None
        c = leads_t.c
        options: list[Any] = []
        if self.campaigns:
            options.append(c.campaign_id.in_(sorted(self.campaigns)))
        if self.agents:
            agents = sorted(self.agents)
            options.append(c.id.in_(select(attempts_t.c.lead_id).where(attempts_t.c.agent.in_(agents))))
            options.append(c.callback_agent.in_(agents))
        return or_(*options) if options else false()

    def sees_call(self, campaign_id: int | None, agent: str | None) -> bool:
        """Whether a callback or recording of ``campaign_id`` held or taken by ``agent`` is in the scope."""
        if self.everything:
            return True
        return (campaign_id is not None and campaign_id in self.campaigns) or (
            agent is not None and agent in self.agents
        )

    def calls_condition(self, table: Table) -> Any | None:
        """`sees_call` as the SQL filter on ``table`` (callbacks, recordings: its ``campaign_id`` and ``agent``;
        None: no filter)."""
        if self.everything:
            return None
        options: list[Any] = []
        if self.campaigns:
            options.append(table.c.campaign_id.in_(sorted(self.campaigns)))
        if self.agents:
            options.append(table.c.agent.in_(sorted(self.agents)))
        return or_(*options) if options else false()


EVERYTHING = LeadScope(everything=True)


def scope_for(
    role: Role, name: str, *, team_campaigns: Collection[int] = (), team_agents: Collection[str] = ()
) -> LeadScope:
    """The pure rule (see the module text): ``team_campaigns``/``team_agents`` are those of the teams ``name``
    supervises (ignored for other roles)."""
    if role in (Role.ADMIN, Role.MANAGER):
        return EVERYTHING
    if role is Role.SUPERVISOR:
        return LeadScope(campaigns=frozenset(team_campaigns), agents=frozenset(team_agents) | {name})
    return LeadScope(agents=frozenset({name}))


async def lead_scope(db: Database, user: UserRecord) -> LeadScope:
    """The leads ``user`` may see."""
    if user.role is not Role.SUPERVISOR:
        return scope_for(user.role, user.name)
    teams = select(team_supervisors_t.c.team_id).where(team_supervisors_t.c.user_id == user.id)
    async with db.read() as conn:
        campaigns = (
            await conn.execute(select(team_campaigns_t.c.campaign_id).where(team_campaigns_t.c.team_id.in_(teams)))
        ).scalars()
        campaign_ids = [int(c) for c in campaigns]
        agents = list((await conn.execute(select(users_t.c.name).where(users_t.c.team_id.in_(teams)))).scalars())
    return scope_for(user.role, user.name, team_campaigns=campaign_ids, team_agents=agents)


async def lead_in_scope(db: Database, lead_id: int, scope: LeadScope) -> bool:
    condition = scope.condition()
    query = select(leads_t.c.id).where(leads_t.c.id == lead_id)
    if condition is not None:
        query = query.where(condition)
    async with db.read() as conn:
        return (await conn.execute(query)).first() is not None
