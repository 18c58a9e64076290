"""Live updates over WebSocket: agents get their own notifications (screen pops, state), managers the dashboard.

Clients are kept in a WeakSet (a closed socket disappears with its handler), every send has a timeout so one
stalled browser cannot hold the others back, and every socket is closed (1001 going away) at shutdown.
The dashboard's document itself is dialer.web.floor's.

Why one module (over 500 lines): the hub's tasks (the dashboard's push per language, the floor's publishing, the
relays of messages and hands, the consoles' seats) and the socket handlers share the sockets the hub holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, web

from dialer.agents.hands import Hand, lowers_itself
from dialer.agents.pausecodes import SIGNED_OUT_PAUSE_REASON
from dialer.agents.registry import Agent, AgentChange, AgentError, AgentStatus
from dialer.appkeys import DATABASE, DIALER
from dialer.i18n import DEFAULT_LOCALE, M_, current_locale, use_locale
from dialer.logging import get_logger
from dialer.reports.myday import TeamDays
from dialer.store.admin import supervised_agents
from dialer.store.audit import audit_entries
from dialer.store.auth import UserRecord
from dialer.store.floor import (
    PURGE_AFTER,
    agent_facts,
    delete_views_before,
    publish_view,
    remove_view,
    touch_view,
)
from dialer.store.hands import lower_hand, raised_hands
from dialer.store.messages import MessageFilter, MessageRecord, Receipt, list_messages
from dialer.store.wallboard import KioskSessionExpiredError, kiosk_for_session, team_agents
from dialer.tasks import cancel_and_wait
from dialer.web.facade import daemon_of
from dialer.web.floor import (
    FLOOR,
    FloorState,
    campaign_rows,
    dashboard_document,
    published_agents,
)
from dialer.web.problems import Problem
from dialer.web.routing import (
    CREDENTIALS,
    KIOSK_COOKIE,
    SCOPE,
    SESSION_COOKIE,
    USER,
    current_user,
    kiosk_lifetime,
    request_now,
)
from dialer.web.scope import scoped_dashboard
from dialer.web.wallboard import Viewer, wallboard_document

log = get_logger(__name__)
SEND_TIMEOUT_SECONDS = 2.0
# A console that stays away this long (its WebSocket closed and none reopened) gives up the agent's seat.
CONSOLE_GRACE_SECONDS = 60.0
SESSION_CHECK_SECONDS = 30.0
DASHBOARD_INTERVAL_SECONDS = 1.0
# How often the daemon publishes its live view (agents, campaigns) for the other daemons' dashboards, and how often a
# dashboard reads theirs (dialer.store.floor).
FLOOR_PUBLISH_SECONDS = 2.0
RELAYED_MESSAGES = 50  # the newest messages to this daemon's agents looked at each period
OUTAGE_LOG_SECONDS = 60.0  # a failure repeating every period is logged at most this often
HAND_AUDIT_LOOKED_AT = 20  # an agent's newest audit entries looked at for who lowered their hand
T = TypeVar("T")


@dataclass
class Outage:
    """A task tried again every period while what it needs is away (the database): its first failure is worth a
    line, then at most one every ``every`` seconds while the outage lasts, and its end -- not a line a period.
    Times are the caller's clock (seconds)."""

    every: float = OUTAGE_LOG_SECONDS
    began: float | None = None  # the first failure of the outage going on (None: none is)
    said_at: float = 0.0  # when a failure was last worth a line
    failures: int = 0  # in the outage going on

    def failed(self, now: float) -> bool:
        """One more failure at ``now``: whether to log it (the outage's first, or ``every`` after the last logged)."""
        self.failures += 1
        if self.began is None:
            self.began = self.said_at = now
            return True
        if now - self.said_at >= self.every:
            self.said_at = now
            return True
        return False

    def recovered(self, now: float) -> tuple[float, int] | None:
        """A success at ``now``: the outage that ended (how long it lasted, its failures), None when none was going
        on."""
        if self.began is None:
            return None
        ended = (max(0.0, now - self.began), self.failures)
        self.began, self.failures = None, 0
        return ended


@dataclass
class LiveHub:
    app: web.Application
    clients: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)
    managers: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)
    # The dashboard's state (the agents' time per state, the dial rates, the figures read from the database):
    # the floor module's, reached there as app[FLOOR] (set with the hub, below).
    floor: FloorState = field(default_factory=FloorState)
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=600))
    inbound_calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # agent -> last inbound screen pop
    days: TeamDays = field(default_factory=TeamDays)  # the consoles' My day reads, shared by each team
    # Hands lowering themselves (dialer.agents.hands: the call's wrap-up over), written to the database.
    lowering: set[asyncio.Task[None]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    floor_task: asyncio.Task[None] | None = None
    # The newest message this daemon has looked at (relay_messages); None before its first look.
    last_message: int | None = None
    # The raised hands of this daemon's signed-in agents at the last look (relay_hands); None before its first look.
    hands_seen: dict[str, Hand] | None = None
    inbound_task: asyncio.Task[None] | None = None
    sends_timed_out: int = 0
    # Console seats: open WebSockets per user, and the pending release of a seat whose consoles all closed.
    consoles: dict[str, int] = field(default_factory=dict)
    # Every open socket per user (to end them at once when the user is disabled), and a supervisor's scope.
    sockets: dict[str, weakref.WeakSet[web.WebSocketResponse]] = field(default_factory=dict)
    scopes: weakref.WeakKeyDictionary[web.WebSocketResponse, frozenset[str]] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    scope_users: weakref.WeakKeyDictionary[web.WebSocketResponse, UserRecord] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    releases: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # Open wallboards (users' and kiosks'): what each may show (dialer.web.wallboard.Viewer).
    wallboards: weakref.WeakKeyDictionary[web.WebSocketResponse, Viewer] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    # The language of each open dashboard and wallboard (its request's: the user's setting, else the browser's).
    languages: weakref.WeakKeyDictionary[web.WebSocketResponse, str] = field(default_factory=weakref.WeakKeyDictionary)
    console_grace_seconds: float = CONSOLE_GRACE_SECONDS

    def __post_init__(self) -> None:
        self.app[FLOOR] = self.floor  # the dashboard's functions (dialer.web.floor) find it there

    def console_opened(self, name: str) -> None:
        self.consoles[name] = self.consoles.get(name, 0) + 1
        pending = self.releases.pop(name, None)
        if pending is not None:
            pending.cancel()

    def console_closed(self, name: str) -> None:
        """The last console of ``name`` closed: unless one reconnects within the grace period (a reload, a
        network blip), their seat is released (paused, out of every queue)."""
        left = self.consoles.get(name, 1) - 1
        if left > 0:
            self.consoles[name] = left
            return
        self.consoles.pop(name, None)
        if name not in self.releases:
            self.release(name, "console closed", after=self.console_grace_seconds)

    def release(self, name: str, why: str, *, after: float = 0.0) -> None:
        """Release the seat of ``name`` (see :func:`release_seat`) in the background, ``after`` seconds from now
        unless a console of theirs opens meanwhile (which cancels it)."""
        pending = self.releases.pop(name, None)
        if pending is not None:
            pending.cancel()
        task = asyncio.create_task(self._release_later(name, why, after), name=f"release-seat-{name}")
        self.releases[name] = task
        task.add_done_callback(lambda t: self.releases.pop(name, None) if self.releases.get(name) is t else None)

    async def _release_later(self, name: str, why: str, after: float) -> None:
        if after > 0:
            await asyncio.sleep(after)
            if self.consoles.get(name):
                return
        await release_seat(self.app, name, why)

    async def end_user(self, name: str, why: str) -> int:
        """End every live connection of ``name`` now (disabled, role changed): their sockets close and their seat
        is released at once. The number of sockets closed."""
        closed = 0
        for ws in list(self.sockets.pop(name, ())):
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=why.encode()[:120])
                closed += 1
        self.release(name, why)
        return closed

    async def end_kiosk(self, token_id: int, why: str) -> int:
        """Close every open wallboard of the kiosk token ``token_id`` now (revoked). The number closed."""
        closed = 0
        for ws, viewer in list(self.wallboards.items()):
            if viewer.kiosk_token == token_id:
                self.wallboards.pop(ws, None)
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=why.encode()[:120])
                    closed += 1
        return closed

    async def refresh_scopes(self) -> None:
        """Teams or supervisors changed: every open supervisor dashboard and wallboard, and every open wallboard of
        a kiosk limited to teams, follows at its next push (and every kiosk's next request reads its teams afresh)."""
        db = self.app[DATABASE]
        self.app[CREDENTIALS].forget_kiosk()
        for ws, user in list(self.scope_users.items()):
            self.scopes[ws] = (await supervised_agents(db, user) or frozenset()) | {user.name}
            viewer = self.wallboards.get(ws)
            if viewer is not None:
                self.wallboards[ws] = replace(viewer, agents=self.scopes[ws])
        for ws, viewer in list(self.wallboards.items()):
            if viewer.teams:
                self.wallboards[ws] = replace(viewer, agents=await team_agents(db, viewer.teams))

    async def send(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> bool:
        if ws.closed:
            return False
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                await ws.send_str(json.dumps(message, default=str))
            return True
        except (TimeoutError, ConnectionError, RuntimeError):
            self.sends_timed_out += 1
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"too slow")
            return False

    async def broadcast_dashboard(self) -> None:
        """Every :data:`DASHBOARD_INTERVAL_SECONDS`: the dashboard to every open manager's socket and every open
        wallboard, in the language of each (the document is made once per language among them: its sentences, the
        pacing line and why a campaign is not dialling, are rendered as it is made)."""
        while True:
            await asyncio.sleep(DASHBOARD_INTERVAL_SECONDS)
            try:
                self.floor.sample_rates(daemon_of(self.app))
                if not self.managers and not self.wallboards:
                    continue
                managers = list(self.managers)
                wallboards = list(self.wallboards.items())
                language = {ws: self.languages.get(ws, DEFAULT_LOCALE) for ws in managers}
                language |= {ws: self.languages.get(ws, DEFAULT_LOCALE) for ws, _ in wallboards}
                docs: dict[str, dict[str, Any]] = {}
                for locale in set(language.values()):
                    with use_locale(locale):
                        docs[locale] = await dashboard_document(self.app)
                await asyncio.gather(
                    *(
                        self.send(
                            ws, {"kind": "dashboard", "data": scoped_dashboard(docs[language[ws]], self.scopes.get(ws))}
                        )
                        for ws in managers
                    ),
                    *(
                        self.send(ws, {"kind": "wallboard", "data": wallboard_document(docs[language[ws]], viewer)})
                        for ws, viewer in wallboards
                    ),
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dashboard_broadcast_failed")

    async def publish_floor(self) -> None:
        """Every :data:`FLOOR_PUBLISH_SECONDS` of the daemon's clock: this daemon's live view (its logged-in agents,
        its campaigns, the Asterisk servers it is connected to) for the other daemons' dashboards and supervision --
        written when it changed, else only confirmed (dialer.store.floor). Views silent for
        :data:`~dialer.store.floor.PURGE_AFTER` are forgotten."""
        daemon = daemon_of(self.app)
        db = self.app[DATABASE]
        published = ""
        purged_at = float("-inf")
        outage = Outage()
        while True:
            now = daemon.now()
            try:
                at = datetime.fromtimestamp(now, UTC)
                agents = [agent_facts(p.agent, p.spent) for p in published_agents(self.app)]
                campaigns = campaign_rows(self.app)
                servers = daemon.connected_servers()
                view = json.dumps([agents, campaigns, servers], sort_keys=True, default=str)
                if view != published or not await touch_view(db, daemon.node, at):
                    await publish_view(db, daemon.node, agents, json.loads(view)[1], at, servers)
                    published = view
                await self.relay_messages()
                await self.relay_hands()
                if now - purged_at >= PURGE_AFTER.total_seconds() / 6:
                    await delete_views_before(db, at - PURGE_AFTER)
                    purged_at = now
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away: the view goes stale, the next period tries again
                if outage.failed(now):
                    log.exception("floor_publish_failed", failures=outage.failures, since=outage.began)
            else:
                if (ended := outage.recovered(now)) is not None:
                    log.info("floor_publish_recovered", seconds=round(ended[0], 1), failures=ended[1])
            await daemon.sleep(FLOOR_PUBLISH_SECONDS)

    async def relay_messages(self) -> None:
        """Messages sent since the last look -- on any daemon sharing the database -- to this daemon's signed-in
        agents reach their open consoles (``message``). The daemon a supervisor sent one on pushes it at once to the
        consoles it serves; the others' consoles get it here, within a period (a console shows a message once,
        however often it comes; one opened later reads the unread ones)."""
        daemon = daemon_of(self.app)
        db = self.app[DATABASE]
        if self.last_message is None:
            _, newest = await list_messages(db, MessageFilter(), limit=1)
            self.last_message = newest[0].id if newest else 0
            return
        here = {a.agent_id for a in daemon.agents() if a.logged_in}
        if not here:
            return
        _, found = await list_messages(db, MessageFilter(agents=here), limit=RELAYED_MESSAGES)
        for message in sorted((m for m in found if m.id > (self.last_message or 0)), key=lambda m: m.id):
            for receipt in message.recipients:
                if receipt.agent in here and receipt.read_at is None:
                    one = frozenset({receipt.agent})
                    daemon.publish(f"agent:{receipt.agent}", "message", **message_json(message, receipt.agent, one))
            self.last_message = max(self.last_message or 0, message.id)

    async def relay_hands(self) -> None:
        """Hands of this daemon's signed-in agents lowered since the last look -- on any daemon sharing the database,
        by whom the audit log says (None: it lowered itself) -- reach their open consoles (``hand``), as the daemon
        they were lowered on pushes them to the consoles it serves (a console takes a lowering once, however often
        it comes)."""
        daemon = daemon_of(self.app)
        db = self.app[DATABASE]
        here = {a.agent_id for a in daemon.agents() if a.logged_in}
        raised = await raised_hands(db, here) if here else {}
        before, self.hands_seen = self.hands_seen or {}, raised
        for agent_id in sorted((before.keys() - raised.keys()) & here):
            lowered = before[agent_id]
            _, entries = await audit_entries(db, target=f"agent:{agent_id}", limit=HAND_AUDIT_LOOKED_AT)
            by = next(
                (e.actor for e in entries if e.action == "hand.lower" and e.at.timestamp() >= lowered.raised_at), None
            )
            daemon.publish(f"agent:{agent_id}", "hand", raised=False, by=by, hand=None)

    async def follow_inbound(self) -> None:
        """Remember each agent's last inbound screen pop (caller number, matching lead) for the console's call view."""
        with daemon_of(self.app).subscribe("*") as queue:
            while True:
                note = await queue.get()
                if note.kind == "screen_pop" and note.topic.startswith("agent:") and note.data.get("inbound"):
                    self.inbound_calls[note.topic.removeprefix("agent:")] = dict(note.data)

    def inbound_call(self, agent: Agent) -> dict[str, Any] | None:
        """The inbound call the agent is on now (None once the call is over, and until its own pop arrives: the
        last one is of that call, the caller's Uniqueid, not of the caller before)."""
        if agent.status not in (AgentStatus.TALKING, AgentStatus.RINGING) or not agent.call_queue:
            return None
        pop = self.inbound_calls.get(agent.agent_id)
        if pop is None or pop.get("queue") != agent.call_queue or pop.get("call") != agent.call_uniqueid:
            return None
        return pop

    async def close_all(self) -> None:
        for ws in list(self.clients):
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


HUB: web.AppKey[LiveHub] = web.AppKey("web_live_hub", LiveHub)


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    """Runs after the campaign runners are up: agent state notifications, the dashboard broadcaster."""
    hub = app[HUB]
    daemon = daemon_of(app)

    async def lower_after_call(change: AgentChange) -> None:
        now = datetime.fromtimestamp(change.at, UTC)
        try:
            lowered = await lower_hand(app[DATABASE], change.agent_id, actor=None, now=now)
        except Exception:  # the database away: the hand stays raised, for someone to lower
            log.exception("hand_lower_failed", agent=change.agent_id)
            return
        if lowered is not None:
            log.info("hand_lowered", agent=change.agent_id, by="call ended", state=change.current.value)
            daemon.publish(f"agent:{change.agent_id}", "hand", raised=False, by=None, hand=None)

    def publish_state(change: AgentChange, agent: Agent | None) -> None:
        hub.floor.agent_clock.on_change(change, agent)
        hub.days.forget(change.agent_id)  # their console reads My day again now: a fresh read
        if lowers_itself(change, agent):  # off the call and out of its wrap-up: a hand raised lowers itself
            task = asyncio.create_task(lower_after_call(change), name=f"hand-lower-{change.agent_id}")
            hub.lowering.add(task)
            task.add_done_callback(hub.lowering.discard)
        if agent is not None:
            daemon.publish(
                f"agent:{agent.agent_id}",
                "agent_state",
                state=agent.status.value,
                previous=change.previous.value,
                reason=change.reason,
                pause_reason=agent.pause_reason,
                wrapup_until=agent.wrapup_until,
                wrapup_needs_disposition=agent.wrapup_needs_disposition,
                since=agent.since,
            )

    daemon.add_agent_listener(publish_state)
    hub.task = asyncio.create_task(hub.broadcast_dashboard(), name="dashboard-broadcast")
    hub.floor_task = asyncio.create_task(hub.publish_floor(), name="floor-publish")
    hub.inbound_task = asyncio.create_task(hub.follow_inbound(), name="inbound-pops")
    try:
        yield
    finally:
        await cancel_and_wait(hub.task, hub.floor_task, hub.inbound_task)
        try:  # a clean stop: this daemon's agents and campaigns leave the other daemons' dashboards now
            await remove_view(app[DATABASE], daemon.node)
        except Exception:
            log.exception("floor_remove_failed")
        await asyncio.gather(*hub.lowering, return_exceptions=True)  # written before the database closes
        await hub.close_all()
        # Consoles closed by the shutdown itself do not give up their seats (the agents' sessions survive a restart).
        await cancel_and_wait(*hub.releases.values())


def message_json(m: MessageRecord, reader: str | None = None, scope: frozenset[str] | None = None) -> dict[str, Any]:
    """A message as ``reader`` sees it: the receipts of the agents in their ``scope`` (all when None, or when they
    sent it), and when they read it themselves."""
    shown: tuple[Receipt, ...] = m.recipients
    if scope is not None and m.sender != reader:
        shown = tuple(r for r in m.recipients if r.agent in scope)
    mine = m.receipt_of(reader) if reader is not None else None
    return {
        "id": m.id,
        "sender": m.sender,
        "sent_at": m.sent_at.isoformat(),
        "to": {"audience": m.audience.value, "name": m.audience_name},
        "text": m.text,
        "recipients": [{"agent": r.agent, "read_at": r.read_at.isoformat() if r.read_at else None} for r in shown],
        "read": sum(1 for r in shown if r.read_at is not None),
        "read_at": mine.read_at.isoformat() if mine is not None and mine.read_at is not None else None,
    }


async def release_seat(app: web.Application, name: str, why: str) -> None:
    """The console session of agent ``name`` ended (sign-out, expiry, console gone): pause at once (after the
    current call, if any) and leave every queue once off the phone, so no call is routed to an empty seat."""
    if DIALER not in app:
        return
    daemon = daemon_of(app)
    agent = daemon.agent(name)
    if agent is None or not agent.logged_in:
        return
    log.info("agent_seat_released", agent=name, why=why)
    try:
        await daemon.pause(name, SIGNED_OUT_PAUSE_REASON)  # their console session ended
    except AgentError as exc:
        log.warning("agent_seat_pause_failed", agent=name, error=str(exc))
    for _ in range(3600):  # a call in progress ends first (bounded: an hour)
        agent = daemon.agent(name)
        if agent is None or not agent.logged_in:
            return
        if agent.status not in (AgentStatus.RINGING, AgentStatus.TALKING):
            try:
                await daemon.logout(name)
                return
            except AgentError as exc:
                log.warning("agent_seat_logout_failed", agent=name, error=str(exc))
                return
        await asyncio.sleep(1.0)


async def _watch_session(request: web.Request, ws: web.WebSocketResponse, cookie: str) -> None:
    """Close the console's socket once its browser session has ended (expired, signed out elsewhere)."""
    from dialer.store.auth import session_user

    while not ws.closed:
        await asyncio.sleep(SESSION_CHECK_SECONDS)
        if await session_user(request.app[DATABASE], cookie, datetime.now(UTC)) is None:
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"session ended")
            return


async def _watch_kiosk(request: web.Request, ws: web.WebSocketResponse, cookie: str) -> None:
    """Keep a kiosk's session alive while its feed is open (each look renews it), and close the feed once it has
    expired or its token was revoked (the page then finds out which, and says so)."""
    while not ws.closed:
        await asyncio.sleep(SESSION_CHECK_SECONDS)
        try:
            kiosk = await kiosk_for_session(
                request.app[DATABASE], cookie, request_now(request), kiosk_lifetime(request.app)
            )
        except KioskSessionExpiredError:
            kiosk = None
        if kiosk is None:
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"kiosk session ended")
            return


def same_origin(request: web.Request) -> None:
    """Refuse a WebSocket opened by a page of another site."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        # Cross-site WebSocket hijacking: a page elsewhere must not ride the agent's session cookie.
        raise Problem(403, M_("WebSocket from another origin ({origin}) refused", origin=origin), kind="bad-origin")


async def wallboard_socket(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    """GET /ws/wallboard: the wallboard of ``viewer`` once a second (a signed-in ``user``'s, else a kiosk's). It
    holds no console seat; a kiosk's closes when its token is revoked, a user's when their session ends."""
    hub = request.app[HUB]
    same_origin(request)
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=4 * 1024)
    await ws.prepare(request)
    hub.clients.add(ws)
    user: UserRecord | None = request.get(USER)
    if user is not None:
        hub.sockets.setdefault(user.name, weakref.WeakSet()).add(ws)
        scope = request.get(SCOPE)
        if scope is not None:  # a supervisor's: followed when their teams change
            hub.scope_users[ws] = user
            hub.scopes[ws] = scope
    cookie = request.cookies.get(SESSION_COOKIE) if user is not None else None
    kiosk_cookie = request.cookies.get(KIOSK_COOKIE) if viewer.kiosk_token is not None else None
    watcher = (
        asyncio.create_task(_watch_session(request, ws, cookie))
        if cookie
        else asyncio.create_task(_watch_kiosk(request, ws, kiosk_cookie))
        if kiosk_cookie
        else None
    )
    hub.wallboards[ws] = viewer
    hub.languages[ws] = current_locale()  # the request's (the auth middleware set it)
    try:
        await hub.send(
            ws, {"kind": "wallboard", "data": wallboard_document(await dashboard_document(request.app), viewer)}
        )
        async for _message in ws:  # nothing to read; reading keeps pings answered
            pass
    finally:
        hub.wallboards.pop(ws, None)
        await cancel_and_wait(watcher)
    return ws


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    """GET /ws: agents receive their notifications; managers and admins the dashboard once a second."""
    from dialer.store.auth import Role

    user = current_user(request)
    hub = request.app[HUB]
    daemon = daemon_of(request.app)
    same_origin(request)
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    hub.clients.add(ws)
    hub.sockets.setdefault(user.name, weakref.WeakSet()).add(ws)
    hub.languages[ws] = current_locale()  # the request's (the auth middleware set it)
    scope = request.get(SCOPE)
    if scope is not None:
        hub.scopes[ws] = scope
        hub.scope_users[ws] = user
    hub.console_opened(user.name)
    cookie = request.cookies.get(SESSION_COOKIE)
    watcher = asyncio.create_task(_watch_session(request, ws, cookie)) if cookie else None
    is_manager = user.role in (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)
    topics = [f"agent:{user.name}"] + ([f"campaign:{n}" for n in daemon.campaign_names()] if is_manager else [])
    with daemon.subscribe(*topics) as queue:
        if is_manager:
            hub.managers.add(ws)
            doc = scoped_dashboard(await dashboard_document(request.app), scope)
            await hub.send(ws, {"kind": "dashboard", "data": doc})

        async def forward() -> None:
            while not ws.closed:
                note = await queue.get()
                if not await hub.send(ws, {"kind": note.kind, "topic": note.topic, "data": note.data}):
                    return

        forwarder = asyncio.create_task(forward())
        try:
            async for _message in ws:  # the browser sends nothing we need; reading keeps pings answered
                pass
        finally:
            # The seat's bookkeeping first: aiohttp cancels this handler once the peer is gone, and a cancel must
            # not skip it.
            hub.managers.discard(ws)
            hub.console_closed(user.name)
            await cancel_and_wait(forwarder, watcher)
    return ws
