"""Agent sessions that outlive the daemon: stored on every login, logout, pause and ready, taken back after a crash
or by the daemon that takes a dead one's campaigns over.

Asterisk keeps a dynamic queue member until someone removes it, so after ``kill -9`` the agents are still in their
queues with nobody following them. Each daemon writes its agents' sessions (dialer.store.agent_sessions) in the
background, holds them with a lease renewed alongside its campaign leases, and adopts sessions whose holder's lease
ran out: those with a queue of a campaign it now runs, or -- when no live daemon runs any campaign of theirs
(inbound-only agents, stopped campaigns) -- any of them. Adopted agents come back at the next ``QueueStatus``
(:meth:`dialer.agents.registry.AgentRegistry.restore`), so their calls are Asterisk's word, not the stored one's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Set
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dialer.agents.registry import Agent, AgentSession, AgentStatus
from dialer.agents.service import AgentService
from dialer.ami.client import QueueStatusSnapshot
from dialer.clock import Clock
from dialer.logging import get_logger
from dialer.store.agent_sessions import (
    AgentSessionRecord,
    adopt_sessions,
    delete_sessions,
    orphaned_sessions,
    release_sessions,
    renew_sessions,
    save_sessions,
)
from dialer.store.engine import Database
from dialer.store.ownership import OWNERSHIP_TTL, campaign_leases
from dialer.tasks import finished_even_if_cancelled

log = get_logger(__name__)

# A little shorter than a campaign lease, both renewed together: a dead daemon's agents are free by the time its
# campaigns are, so whoever takes a campaign over takes its agents in the same step.
SESSION_TTL = OWNERSHIP_TTL - timedelta(seconds=1)
FLUSH_SECONDS = 1.0


# ------------------------------------------------------------------------------------------------------ pure part
def session_of(agent: Agent, stored: AgentSession | None, now: float) -> AgentSession | None:
    """The session to keep for ``agent`` (None: logged out); ``stored`` itself while the intent is unchanged.

    Calls and wrap-up come and go without a write: the intent is "paused for this reason" or "ready" once the
    current call is over (a pause asked during a call counts already).
    """
    if not agent.logged_in:
        return None
    if agent.status is AgentStatus.PAUSED:
        paused, reason = True, agent.pause_reason
    elif agent.pending_pause:
        paused, reason = True, agent.pending_pause
    else:
        paused, reason = False, None
    settled = agent.status in (AgentStatus.PAUSED, AgentStatus.READY)
    session = AgentSession(
        agent.agent_id,
        agent.interface,
        agent.member_name,
        agent.queues,
        paused,
        reason,
        agent.since if settled else now,
        agent.server or None,
    )
    if stored is not None and replace(session, since=stored.since) == stored:
        return stored
    return session


def adoptable(queues: Collection[str], mine: Set[str], theirs: Set[str]) -> bool:
    """May this daemon take over an orphaned session with these queues?

    ``mine``: the queues of the campaigns this daemon runs; ``theirs``: those of campaigns other live daemons run.
    The agents go where their campaign is paced; agents of no running campaign go to whoever asks first.
    """
    wanted = set(queues)
    return bool(wanted & mine) or not wanted & theirs


def to_record(session: AgentSession) -> AgentSessionRecord:
    return AgentSessionRecord(
        agent_id=session.agent_id,
        interface=session.interface,
        member_name=session.member_name,
        queues=tuple(sorted(session.queues)),
        paused=session.paused,
        pause_reason=session.pause_reason,
        since=datetime.fromtimestamp(session.since, UTC),
        server=session.server,
    )


def from_record(record: AgentSessionRecord) -> AgentSession:
    return AgentSession(
        agent_id=record.agent_id,
        interface=record.interface,
        member_name=record.member_name,
        queues=frozenset(record.queues),
        paused=record.paused,
        pause_reason=record.pause_reason,
        since=record.since.timestamp(),
        server=record.server,
    )


# ----------------------------------------------------------------------------------------------------- I/O shell
class QueueStatusSource(Protocol):
    @property
    def is_up(self) -> bool: ...

    async def queue_status(self, queue: str | None = None, member: str | None = None) -> QueueStatusSnapshot: ...


@dataclass(frozen=True, slots=True)
class CampaignQueues:
    """What the daemon tells the keeper at each sync: every campaign's queue, the ones it runs, may it adopt."""

    by_campaign: Mapping[int, str]
    owned: Collection[int]
    adopting: bool = True


class AgentSessionKeeper:
    def __init__(
        self,
        db: Database,
        service: AgentService,
        pbx: QueueStatusSource,
        clock: Clock,
        owner: str,
        campaigns: Callable[[], CampaignQueues],
        servers: Mapping[str, QueueStatusSource] | None = None,
    ) -> None:
        self._db = db
        self._service = service
        # Every server agents' phones may be on (by name); ``pbx`` alone when there is one.
        self._servers: dict[str | None, QueueStatusSource] = {None: pbx}
        if servers:
            self._servers = {name: source for name, source in servers.items()}
        self._clock = clock
        self._owner = owner
        self._campaigns = campaigns
        self._held: dict[str, AgentSession] = {}  # what the database holds for this daemon
        self._lock = asyncio.Lock()  # writes, renewals and adoptions one at a time (``_held`` stays true)
        self._until: datetime | None = None  # the lease of this daemon's sessions, as last renewed
        self.released = False

    async def run(self) -> None:
        while True:
            await self._clock.sleep(FLUSH_SECONDS)
            try:
                # A stop cancels this loop: never inside a write (a cancelled aiosqlite transaction is left open,
                # holding SQLite's lock until its connection is collected, and every later write waits it out).
                await finished_even_if_cancelled(self.flush(), event="agent_sessions_write_failed")
            except Exception as exc:
                # The database is away: the registry still has the truth; the next flush writes the difference.
                log.warning("agent_sessions_write_failed", error=str(exc))

    async def flush(self) -> None:
        """Write the sessions that changed since the last flush, delete those of agents who logged out."""
        async with self._lock:
            if self.released:
                return
            now = self._clock.now()
            wanted: dict[str, AgentSession] = {}
            for agent in self._service.registry.agents():
                session = session_of(agent, self._held.get(agent.agent_id), now)
                if session is not None:
                    wanted[agent.agent_id] = session
            changed = [s for agent_id, s in wanted.items() if self._held.get(agent_id) != s]
            gone = [a for a in self._held if a not in wanted and a not in self._service.restoring]
            wall = datetime.fromtimestamp(now, UTC)
            if changed:
                fresh = {s.agent_id for s in changed if s.agent_id not in self._held}
                records = [to_record(s) for s in changed]
                # Held as long as the others (all of a daemon's sessions expire together, just before its campaigns).
                until = self._until if self._until is not None and self._until > wall else wall + SESSION_TTL
                written = await save_sessions(self._db, self._owner, records, wall, until, take=fresh)
                for session in changed:
                    if session.agent_id in written:
                        self._held[session.agent_id] = session
                    else:
                        self._lose(session.agent_id)
            if gone:
                await delete_sessions(self._db, self._owner, gone)
                for agent_id in gone:
                    del self._held[agent_id]

    async def sync(self, now: float) -> None:
        """With the campaign leases (same ``now``): renew this daemon's sessions, let go of those another daemon
        took, adopt orphaned ones (and any this daemon holds without knowing the agent: its owner id before a
        restart). Best effort: a failure is logged and the next sync, a few seconds later, tries again."""
        try:
            await self._sync(now)
        except Exception as exc:
            log.warning("agent_sessions_sync_failed", error=str(exc))

    async def _sync(self, now: float) -> None:
        async with self._lock:
            if self.released:
                return
            wall = datetime.fromtimestamp(now, UTC)
            still = await renew_sessions(self._db, self._owner, wall, SESSION_TTL)
            self._until = wall + SESSION_TTL
            for agent_id in [a for a in self._held if a not in still]:
                self._lose(agent_id)
            campaigns = self._campaigns()
            if not campaigns.adopting:
                return
            adopted = await self._adopt(wall, campaigns, unknown=bool(still - self._held.keys()))
        if adopted:
            await self.restore_now()

    async def _adopt(self, wall: datetime, campaigns: CampaignQueues, *, unknown: bool) -> int:
        orphans = await orphaned_sessions(self._db, wall, owner=self._owner if unknown else None)
        known = {a.agent_id for a in self._service.registry.agents() if a.logged_in}
        orphans = [o for o in orphans if o.agent_id not in known and o.agent_id not in self._held]
        if not orphans:
            return 0
        mine = {q for cid, q in campaigns.by_campaign.items() if cid in campaigns.owned}
        leases = await campaign_leases(self._db, wall)
        theirs = {
            campaigns.by_campaign[cid]
            for cid, lease in leases.items()
            if lease.owner != self._owner and cid in campaigns.by_campaign
        }
        wanted = [o.agent_id for o in orphans if o.owner == self._owner or adoptable(o.queues, mine, theirs)]
        taken = await adopt_sessions(self._db, self._owner, wanted, wall, SESSION_TTL)
        if not taken:
            return 0
        previous = {o.agent_id: o.owner for o in orphans}
        sessions = [from_record(record) for record in taken]
        for session in sessions:
            self._held[session.agent_id] = session
        self._service.stage_restore(sessions)
        log.info(
            "agent_sessions_adopted",
            agents=[s.agent_id for s in sessions],
            previous_owners=sorted({previous[s.agent_id] for s in sessions}),
            owner=self._owner,
        )
        return len(sessions)

    async def restore_now(self) -> None:
        """Adopted agents come back with the next ``QueueStatus``: ask for one now (else the reconnect's does)."""
        for server, pbx in self._servers.items():
            if not self._service.restoring or not pbx.is_up:
                continue
            try:
                status = await pbx.queue_status()
            except Exception as exc:
                log.warning("agent_restore_deferred", server=server, error=str(exc))
                continue
            self._service.reconcile(status.members, server)

    async def release(self) -> None:
        """A clean stop: write the last changes, then let any daemon take the sessions over at once."""
        try:
            await self.flush()
        except Exception as exc:
            log.warning("agent_sessions_write_failed", error=str(exc))
        async with self._lock:
            if self.released:
                return
            self.released = True
            try:
                released = await release_sessions(self._db, self._owner, datetime.fromtimestamp(self._clock.now(), UTC))
            except Exception as exc:
                log.warning("agent_sessions_release_failed", error=str(exc))
                return
            log.info("agent_sessions_released", sessions=released, owner=self._owner)

    def _lose(self, agent_id: str) -> None:
        self._held.pop(agent_id, None)
        self._service.forget(agent_id)
