"""Teams over time: which team each agent was in when (their spells, :class:`dialer.store.admin.TeamSpell`), so a
team's figures over a past period are what its agents did while they were its members. A call counts for the team
its agent was in when it started; an agent's time for the team they were in at that moment. An agent who moved
during the period counts in both teams, each for their part. Pure: the spells and state history are passed in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from itertools import pairwise

from dialer.reports.performance import AgentTime, agent_time
from dialer.store.admin import TeamSpell
from dialer.store.reports import AgentEventFact

Piece = tuple[str | None, datetime, datetime]  # (team, or None: no team; from; to)


class TeamTimeline:
    """The spells of every agent in a team; an agent without one was in no team."""

    def __init__(self, spells: Iterable[TeamSpell]) -> None:
        self._spells: dict[str, list[TeamSpell]] = defaultdict(list)
        for spell in spells:
            self._spells[spell.agent].append(spell)

    def __bool__(self) -> bool:
        return bool(self._spells)

    def team_at(self, agent: str, at: datetime) -> str | None:
        for spell in self._spells.get(agent, ()):
            if (spell.since is None or spell.since <= at) and (spell.until is None or at < spell.until):
                return spell.team
        return None

    def pieces(self, agent: str, start: datetime, end: datetime) -> list[Piece]:
        """``[start, end)`` cut where the agent's team changes: (team, from, to), in order, none empty."""
        cuts = {start, end}
        for spell in self._spells.get(agent, ()):
            cuts.update(t for t in (spell.since, spell.until) if t is not None and start < t < end)
        bounds = sorted(cuts)
        out: list[Piece] = []
        for lo, hi in pairwise(bounds):
            team = self.team_at(agent, lo)
            if out and out[-1][0] == team:
                out[-1] = (team, out[-1][1], hi)
            else:
                out.append((team, lo, hi))
        return out


def team_times(
    timeline: TeamTimeline, events: Sequence[AgentEventFact], agents: Collection[str], start: datetime, end: datetime
) -> dict[tuple[str | None, str], AgentTime]:
    """Each (team, agent)'s seconds per state in ``[start, end)``, for ``agents`` with a state history: the agent's
    time cut by their team at each moment."""
    by_agent: dict[str, list[AgentEventFact]] = defaultdict(list)
    for event in events:
        by_agent[event.agent].append(event)
    out: dict[tuple[str | None, str], AgentTime] = {}
    for agent in agents:
        own = by_agent.get(agent)
        if not own:
            continue
        for team, lo, hi in timeline.pieces(agent, start, end):
            spent = agent_time(own, lo, hi).get(agent)
            if spent is not None:
                key = (team, agent)
                out[key] = AgentTime.pooled([out[key], spent]) if key in out else spent
    return out
