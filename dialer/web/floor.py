"""The floor as the dashboard shows it: this daemon's campaigns and agents, live, with their figures from the
database, merged with what the other daemons sharing the database published (dialer.store.floor).

The WebSocket side (dialer.web.live) pushes :func:`dashboard_document` every second and publishes
:func:`campaign_rows` / :func:`published_agents` for the other daemons; the API reads the same functions. The state
kept between pushes (each agent's time per state, the dial rates, the figures read at most every few seconds) is one
:class:`FloorState` per application, ``app[FLOOR]``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Generic, TypeVar

from aiohttp import web

from dialer.agents.hands import Hand
from dialer.agents.pausecodes import pause_limits, pause_overdue_seconds
from dialer.agents.registry import Agent, AgentChange, AgentStatus
from dialer.appkeys import DATABASE
from dialer.calls.outcome import AbandonRules
from dialer.campaign.config import CampaignConfigError
from dialer.logging import get_logger
from dialer.runner.state import RunnerState
from dialer.runner.why_not import published_sentences, with_sentences
from dialer.store.alerts import AlertFilter, list_alerts
from dialer.store.attempts import AgentFigures
from dialer.store.campaigns import UnknownCampaignError, load_stored_campaign
from dialer.store.console import agent_figures
from dialer.store.floor import (
    FloorView,
    PublishedAgent,
    floor_views,
)
from dialer.store.hands import raised_hands
from dialer.store.runtime import answer_history, calls_since
from dialer.store.status import lead_status
from dialer.web.facade import Daemon, LiveCampaign, daemon_of
from dialer.web.scope import count_by_state, floor_figures
from dialer.web.wallboard import today_began

log = get_logger(__name__)

LEADS_REFRESH_SECONDS = 5.0
MONTH_REFRESH_SECONDS = 10.0
FLOOR_READ_SECONDS = 1.0
ALERTS_SHOWN = 500  # the active alerts on the dashboard, newest first
T = TypeVar("T")


@dataclass
class Recent(Generic[T]):
    """Documents read from the database, reused for ``seconds`` of the daemon's clock: the dashboard is pushed every
    second, its database figures need not be read that often."""

    seconds: float
    kept: dict[str, tuple[float, T]] = field(default_factory=dict)

    async def get(self, key: str, now: float, read: Callable[[], Awaitable[T]]) -> T:
        """``key``'s document read at most ``seconds`` ago, else ``read()`` now (and kept)."""
        kept = self.kept.get(key)
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        value = await read()
        self.kept[key] = (now, value)
        return value


@dataclass
class AgentClock:
    """Seconds each agent spent talking, wrapping up and paused since the daemon started (from state changes)."""

    seconds: dict[str, dict[str, float]] = field(default_factory=dict)
    _entered: dict[str, float] = field(default_factory=dict)

    def on_change(self, change: AgentChange, agent: Agent | None) -> None:
        if agent is None:
            return
        spent = self.seconds.setdefault(change.agent_id, {})
        # Time in the previous status: from the change that entered it (seen by this listener) to this one.
        start = self._entered.get(change.agent_id)
        if start is not None:
            spent[change.previous.value] = spent.get(change.previous.value, 0.0) + max(0.0, change.at - start)
        self._entered[change.agent_id] = change.at

    def closed(self, agent_id: str) -> dict[str, float]:
        """The seconds the agent spent in each state before their current one."""
        return dict(self.seconds.get(agent_id, {}))


def state_totals(agent: Agent, closed: Mapping[str, float], now: float) -> dict[str, float]:
    """Seconds in each state: those ``closed`` before the current one, and the current one's so far."""
    spent = dict(closed)
    if agent.logged_in:
        spent[agent.status.value] = spent.get(agent.status.value, 0.0) + max(0.0, now - agent.since)
    return spent


@dataclass
class FloorState:
    """What the dashboard keeps between its pushes: each agent's time per state, the campaigns' dial samples, and
    the figures read from the database (per campaign: its leads by status, its abandon rate over 30 days and 24 h;
    the agents' figures of 24 h), each reused for a few seconds."""

    agent_clock: AgentClock = field(default_factory=AgentClock)
    rate_samples: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)
    leads_cache: Recent[dict[str, Any]] = field(default_factory=lambda: Recent(LEADS_REFRESH_SECONDS))
    month_cache: Recent[dict[str, Any]] = field(default_factory=lambda: Recent(MONTH_REFRESH_SECONDS))
    today_cache: Recent[dict[str, Any]] = field(default_factory=lambda: Recent(LEADS_REFRESH_SECONDS))
    figures_cache: Recent[dict[str, Any]] = field(default_factory=lambda: Recent(LEADS_REFRESH_SECONDS))
    floor_cache: Recent[list[FloorView]] = field(default_factory=lambda: Recent(FLOOR_READ_SECONDS))
    stored_cache: Recent[LiveCampaign | None] = field(default_factory=lambda: Recent(MONTH_REFRESH_SECONDS))

    def sample_rates(self, daemon: Daemon) -> None:
        """A sample of every campaign's dials so far, at the daemon's time now."""
        now = daemon.now()
        for name, attempts in daemon.attempts_by_campaign().items():
            samples = self.rate_samples.setdefault(name, deque(maxlen=120))
            samples.append((now, attempts))

    def dial_rate(self, name: str, window: float = 60.0) -> float:
        """Dials per minute over the last minute of samples."""
        samples = self.rate_samples.get(name)
        if not samples or len(samples) < 2:
            return 0.0
        now, latest = samples[-1]
        start_t, start_n = samples[0]
        for t, n in samples:
            if now - t <= window:
                start_t, start_n = t, n
                break
        span = now - start_t
        return (latest - start_n) * 60.0 / span if span > 0 else 0.0


FLOOR: web.AppKey[FloorState] = web.AppKey("web_floor", FloorState)


async def _month_window(app: web.Application, campaign_id: int, now: float, rules: AbandonRules) -> dict[str, Any]:
    since = datetime.fromtimestamp(now, UTC) - timedelta(days=30)
    history = await answer_history(app[DATABASE], campaign_id, since, rules)
    day_start = datetime.fromtimestamp(now, UTC) - timedelta(hours=24)
    day = [count for at, count in history if at >= day_start]
    doc: dict[str, float] = {
        "days": 30,
        "live_answers": sum(c.live for _, c in history),
        "abandoned": sum(c.abandoned for _, c in history),
        "day_live_answers": sum(c.live for c in day),
        "day_abandoned": sum(c.abandoned for c in day),
    }
    doc["rate"] = doc["abandoned"] / doc["live_answers"] if doc["live_answers"] else 0.0
    doc["day_rate"] = doc["day_abandoned"] / doc["day_live_answers"] if doc["day_live_answers"] else 0.0
    return doc


async def _today(app: web.Application, campaign: LiveCampaign, now: float) -> dict[str, Any]:
    """The campaign's day so far (since midnight in its time zone): calls placed, live answers, abandons."""
    midnight = today_began(now, campaign.config.timezone)
    db = app[DATABASE]
    answers = await answer_history(db, campaign.campaign_id, midnight, campaign.config.abandon_rules)
    return {
        "since": midnight.isoformat(),
        "calls": await calls_since(db, campaign.campaign_id, midnight),
        "live_answers": sum(c.live for _, c in answers),
        "abandoned": sum(c.abandoned for _, c in answers),
    }


async def _leads(app: web.Application, campaign: LiveCampaign, now: float) -> dict[str, Any]:
    wall = datetime.fromtimestamp(now, UTC)
    return (await lead_status(app[DATABASE], campaign.config, campaign.campaign_id, wall, sample=100)).as_json()


async def _agent_figures(app: web.Application, now: float) -> dict[str, Any]:
    since = datetime.fromtimestamp(now, UTC) - timedelta(hours=24)
    return {k: v for k, v in (await agent_figures(app[DATABASE], since)).items()}


def agent_row(
    published: PublishedAgent,
    daemon: str,
    now: float,
    figures: Mapping[str, AgentFigures],
    limits: Mapping[str, float],
    hands: Mapping[str, Hand],
) -> dict[str, Any]:
    """An agent's row on the dashboard, whichever daemon serves them (``daemon``): the serving daemon's facts of
    them (``published``), timed at ``now``, with their figures of the day and their raised hand (the database's)."""
    agent = published.agent
    spent = state_totals(agent, published.spent, now)
    fig = figures.get(agent.agent_id)
    return {
        "agent_id": agent.agent_id,
        "status": agent.status.value,
        "seconds_in_state": max(0.0, now - agent.since) if agent.logged_in else None,
        "pause_reason": agent.pause_reason,
        "wrapup_overdue_seconds": agent.wrapup_overdue_seconds(now),
        "pause_overdue_seconds": (
            pause_overdue_seconds(agent.pause_reason, agent.since, now, limits)
            if agent.status is AgentStatus.PAUSED
            else None
        ),
        "queues": sorted(agent.queues),
        "server": agent.server,
        "daemon": daemon,
        "talk_seconds": round(spent.get(AgentStatus.TALKING.value, 0.0), 1),
        "wrap_seconds": round(spent.get(AgentStatus.WRAPUP.value, 0.0), 1),
        "pause_seconds": round(spent.get(AgentStatus.PAUSED.value, 0.0), 1),
        "ready_seconds": round(spent.get(AgentStatus.READY.value, 0.0), 1),
        "calls": fig.calls if fig else agent.calls_taken,
        "dispositions": fig.dispositions if fig else {},
        "hand": hand.as_json(now) if (hand := hands.get(agent.agent_id)) is not None else None,
    }


def campaign_rows(app: web.Application) -> list[dict[str, Any]]:
    """This daemon's campaigns as they are live -- from its memory only, as it publishes them for the others too
    (``daemon``: this one; agents by state: its agents), their sentences as message documents
    (:func:`~dialer.runner.why_not.with_sentences` renders them for each reader, whichever daemon published them) and
    in English for an older daemon (:func:`~dialer.runner.why_not.published_sentences`).
    :func:`with_figures` adds what the database says."""
    daemon = daemon_of(app)
    state = app[FLOOR]
    campaigns = []
    for campaign in daemon.live_campaigns():
        by_state: dict[str, int] = {}
        for agent in daemon.agents_in_queue(campaign.config.queue):
            by_state[agent.status.value] = by_state.get(agent.status.value, 0) + 1
        attempts = campaign.attempts
        campaigns.append(
            {
                **published_sentences(campaign.status),
                "queue": campaign.config.queue,
                "daemon": daemon.node,
                "agents_by_state": by_state,
                "dial_rate_per_minute": round(state.dial_rate(campaign.name), 2),
                "contact_rate": campaign.connected / attempts if attempts else 0.0,
            }
        )
    return campaigns


async def _stored(app: web.Application, name: str) -> LiveCampaign | None:
    """A campaign another daemon runs, as stored (its figures are the database's, read by whoever shows them)."""
    try:
        record, config = await load_stored_campaign(app[DATABASE], name)
    except (UnknownCampaignError, CampaignConfigError):
        return None
    return LiveCampaign(name, record.id, config, {}, 0, 0)


async def with_figures(app: web.Application, row: dict[str, Any], *, with_leads: bool) -> dict[str, Any]:
    """A campaign's row with its figures from the database: abandon rate over 30 days, its day so far and (``with_
    leads``) its leads by status -- each read at most every few seconds (whichever daemon runs the campaign)."""
    daemon = daemon_of(app)
    state = app[FLOOR]
    now = daemon.now()
    name = row["campaign"]
    campaign = next((c for c in daemon.live_campaigns() if c.name == name), None)
    if campaign is None:
        campaign = await state.stored_cache.get(name, now, partial(_stored, app, name))
    if campaign is None:  # deleted meanwhile
        return row
    doc = {
        **row,
        "abandon_30d": await state.month_cache.get(
            name, now, partial(_month_window, app, campaign.campaign_id, now, campaign.config.abandon_rules)
        ),
        "today": await state.today_cache.get(name, now, partial(_today, app, campaign, now)),
    }
    if with_leads:
        doc["leads"] = await state.leads_cache.get(name, now, partial(_leads, app, campaign, now))
    return doc


def published_agents(app: web.Application) -> list[PublishedAgent]:
    """This daemon's logged-in agents, as it publishes them for the others (dialer.store.floor)."""
    clock = app[FLOOR].agent_clock
    return [PublishedAgent(a, clock.closed(a.agent_id)) for a in daemon_of(app).agents() if a.logged_in]


@dataclass(frozen=True, slots=True)
class Floor:
    """The other daemons' views as this one's dashboard merges them: the fresh ones' agents (each with the daemon
    serving them) and campaigns, and the daemons not reporting."""

    agents: tuple[tuple[str, PublishedAgent], ...]
    campaigns: tuple[dict[str, Any], ...]
    silent: tuple[FloorView, ...]


def other_daemons(views: Sequence[FloorView], me: str, at: datetime) -> Floor:
    """What the daemons other than ``me`` published, fresh at ``at`` or not. An agent two of them published (their
    console moved between the two publishings) is the one who changed state last."""
    agents: dict[str, tuple[str, PublishedAgent]] = {}
    campaigns: list[dict[str, Any]] = []
    silent: list[FloorView] = []
    for view in views:
        if view.node == me:
            continue
        if not view.fresh(at):
            silent.append(view)
            continue
        for published in view.agents:
            seen = agents.get(published.agent.agent_id)
            if seen is None or seen[1].agent.since < published.agent.since:
                agents[published.agent.agent_id] = (view.node, published)
        campaigns += [{**c, "daemon": view.node} for c in view.campaigns]
    return Floor(tuple(agents.values()), tuple(campaigns), tuple(silent))


async def serving_daemon(app: web.Application, agent_id: str) -> tuple[str, Agent] | None:
    """The other daemon serving ``agent_id``'s console now, and the agent as it published them (None: no other
    daemon reporting serves them)."""
    floor = await read_floor(app)
    return next(((node, p.agent) for node, p in floor.agents if p.agent.agent_id == agent_id), None)


def floor_agents(app: web.Application, floor: Floor) -> list[tuple[str, PublishedAgent]]:
    """The whole floor's agents, each with the daemon serving them: this daemon's (live, from its memory) and those
    the other daemons reporting published (``floor``). An agent who signed in on another daemon is theirs; one whose
    daemon is not reporting is not on the floor (not even as this daemon's logged-out agent) until a daemon takes
    their session over. The dashboard and ``GET /api/agents`` list these rows."""
    daemon = daemon_of(app)
    clock = app[FLOOR].agent_clock
    elsewhere = {p.agent.agent_id for _, p in floor.agents} | {p.agent.agent_id for v in floor.silent for p in v.agents}
    rows = [
        (daemon.node, PublishedAgent(a, clock.closed(a.agent_id)))
        for a in daemon.agents()
        if a.logged_in or a.agent_id not in elsewhere
    ]
    rows += [
        (node, p) for node, p in floor.agents if not (local := daemon.agent(p.agent.agent_id)) or not local.logged_in
    ]
    return rows


async def read_floor(app: web.Application) -> Floor:
    """The other daemons' views now, read afresh from the database (:func:`other_daemons`)."""
    daemon = daemon_of(app)
    views = await floor_views(app[DATABASE])
    return other_daemons(views, daemon.node, datetime.fromtimestamp(daemon.now(), UTC))


def merged_campaigns(local: list[dict[str, Any]], others: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """This daemon's campaign rows and the other daemons': a campaign on standby here (another daemon holds its
    lease) is the row of the daemon running it, when that daemon reports."""
    running = {c["campaign"]: c for c in others if c.get("state") != RunnerState.STANDBY.value}
    rows = [running.pop(c["campaign"], c) if c.get("state") == RunnerState.STANDBY.value else c for c in local]
    shown = {c["campaign"] for c in rows}
    rows += [c for c in others if c["campaign"] not in shown and c.get("state") != RunnerState.STANDBY.value]
    return rows


def _staffed_elsewhere(campaign: dict[str, Any], agents: Collection[Mapping[str, Any]]) -> dict[str, int]:
    """The campaign's agents by state: those of its own daemon (its row's) and those other daemons serve in its
    queue."""
    by_state = dict(campaign.get("agents_by_state") or {})
    others = [a for a in agents if a["daemon"] != campaign.get("daemon") and campaign.get("queue") in a["queues"]]
    for state, n in count_by_state(others).items():
        by_state[state] = by_state.get(state, 0) + n
    return by_state


async def dashboard_document(app: web.Application, *, with_leads: bool = True) -> dict[str, Any]:
    """The whole floor's live dashboard: this daemon's agents and campaigns (live), and those the other daemons
    sharing the database published (dialer.store.floor), each agent row naming the daemon serving them."""
    daemon = daemon_of(app)
    state = app[FLOOR]
    now = daemon.now()
    me = daemon.node
    db = app[DATABASE]
    views = await state.floor_cache.get("floor", now, partial(floor_views, db))
    floor = other_daemons(views, me, datetime.fromtimestamp(now, UTC))
    campaigns = [
        await with_figures(app, with_sentences(c), with_leads=with_leads)  # in the reader's language, every daemon's
        for c in merged_campaigns(campaign_rows(app), floor.campaigns)
    ]
    figures = await state.figures_cache.get("agents", now, lambda: _agent_figures(app, now))
    limits = pause_limits(daemon.pause_codes)
    hands = await raised_hands(db)  # every daemon's agents' (dialer.store.hands)
    agents = [agent_row(p, node, now, figures, limits, hands) for node, p in floor_agents(app, floor)]
    if floor.agents:
        campaigns = [{**c, "agents_by_state": _staffed_elsewhere(c, agents)} for c in campaigns]
    return {
        "at": now,
        "campaigns": campaigns,
        "agents": agents,
        **floor_figures(agents),
        # Every daemon's agents' raised hands (an agent's row carries theirs too), oldest first.
        "hands": [hand.as_json(now) for hand in sorted(hands.values(), key=lambda h: (h.raised_at, h.agent_id))],
        "hands_raised": len(hands),
        # The daemons sharing the database that stopped reporting (killed, hung, cut off): their agents are not on
        # the floor above until a daemon takes their sessions over.
        "daemons_not_reporting": [
            {
                "daemon": view.node,
                "seen_at": view.seen_at.isoformat(),
                "agents": sorted(p.agent.agent_id for p in view.agents),
            }
            for view in floor.silent
        ],
        "inbound_waiting": {q: daemon.inbound_waiting(q) for q in sorted(daemon.inbound_queues)},
        "inbound": [queue.as_json() for queue in daemon.inbound_live()],
        "service_level_rule": daemon.service_level_rule().as_json(),
        "servers": daemon.server_view(),
        "health": daemon.health(),
        # The alerts active now, every daemon's, newest first, as GET /api/alerts shows them (dialer.store.alerts): a
        # supervisor's scope keeps their agents' only.
        "alerts": [a.as_json() for a in (await list_alerts(db, AlertFilter(active=True), limit=ALERTS_SHOWN))[1]],
    }
