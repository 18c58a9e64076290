"""The daemon's IVR role: panoramisk's FastAGI server (:mod:`dialer.ami.fastagi`) running the flows of its calls.

The shipped dialplan's ``[dialer-ivr]`` runs ``AGI(agi://${DIALER_FASTAGI}/ivr)`` for every answered agentless call
(and every inbound caller an inbound route sends there). :class:`IvrRole` owns the server for the daemon's lifetime
(:func:`fastagi_ctx`, a ``cleanup_ctx`` of :mod:`dialer.app`; tests start it directly) and runs each session with
:class:`dialer.ivr.agi.IvrAgiService`:

- the flow: an agentless campaign's own (stored with the campaign, looked up by ``DIALER_CAMPAIGN``), or an inbound
  flow named by ``DIALER_IVR_FLOW`` (``[fastagi] inbound_flows``);
- lookups: :class:`dialer.daemon.ivractions.DaemonActions` (``queue_wait``, ``book_callback``: virtual hold, over
  the daemon's live state and store) in front of :class:`dialer.ivr.actions.TableActions` over ``[fastagi]
  accounts`` (a CSV the manager loaded), which answers the other actions;
- results: stored per attempt (:class:`dialer.store.ivr_results.StoreResultSink`; the opt-out key's number joins the
  DNC list there as well as through the ``DialerOptOut`` UserEvent the flow raises);
- a caller handed to a queue: the flow's context is kept for the attempt, and the agent's screen pop carries it
  (:class:`dialer.runner.agentless.AgentlessRunner`), as the inbound watcher does for inbound callers.

Once the server listens, every agentless runner gets its address (``DIALER_FASTAGI`` on its Originates); before,
agentless campaigns do not dial (their flow could not run).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from dialer.ami.fastagi import AgiHandler, AgiSession, FastAgiServer
from dialer.appkeys import DIALER, SETTINGS
from dialer.daemon.ivractions import DaemonActions
from dialer.ivr.actions import TableActions
from dialer.ivr.agi import IVR_END_SCRIPT, IVR_SCRIPT, IvrAgiService, IvrCallInfo, decode_context, encode_context
from dialer.ivr.executor import FlowResult
from dialer.ivr.flow import Flow, load_flow
from dialer.logging import get_logger
from dialer.ops.health import ComponentState
from dialer.ops.metrics import FastAgiSample, fastagi_not_listening
from dialer.runner.agentless import AgentlessRunner
from dialer.settings import FastAgiSettings
from dialer.store.ivr_results import StoreResultSink

if TYPE_CHECKING:
    from dialer.daemon.core import Dialer

log = get_logger(__name__)


class IvrRole:
    def __init__(
        self,
        dialer: Dialer,
        settings: FastAgiSettings,
        *,
        inbound_flows: Mapping[str, Flow] | None = None,
        actions: TableActions | None = None,
    ) -> None:
        self.dialer = dialer
        self.settings = settings
        flows = dict(inbound_flows or {})
        for path in settings.inbound_flows:
            flow = load_flow(path)
            flows[flow.name] = flow
        self.inbound_flows = flows
        if actions is None:
            actions = TableActions.from_csv(settings.accounts) if settings.accounts is not None else TableActions()
        self.actions = actions  # the table's actions; DaemonActions answers the daemon's own in front of them
        self.daemon_actions = DaemonActions(dialer, actions, callback_campaign=settings.callback_campaign)
        self.campaign_ids: dict[str, int] = {}
        self.sink = StoreResultSink(dialer.db, self.campaign_ids)
        self.service = IvrAgiService(flows, self.daemon_actions, self._store, self._now)
        self.server: FastAgiServer | None = None
        self.address: str | None = None
        self.sessions = 0

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.dialer.clock.now(), UTC)

    def _agentless(self) -> list[AgentlessRunner]:
        return [r for r in self.dialer.runners.values() if isinstance(r, AgentlessRunner)]

    def _refresh(self) -> None:
        """The flows of the campaigns loaded now (a campaign applied meanwhile, a flow changed)."""
        service = self.service
        service.flows = dict(self.inbound_flows)
        service.flows_by_campaign = {}
        self.campaign_ids.clear()
        for runner in self.dialer.runners.values():
            self.campaign_ids[runner.name] = runner.campaign_id
        for runner in self._agentless():
            if runner.flow is not None:
                service.flows[runner.flow.name] = runner.flow
                service.flows_by_campaign[runner.name] = runner.flow.name

    @property
    def routes(self) -> dict[str, AgiHandler]:
        return {IVR_SCRIPT: self.run, IVR_END_SCRIPT: self.end}

    async def run(self, session: AgiSession) -> None:
        """``/ivr``: run (or resume) the call's flow; remember what it hands to a queue."""
        self._refresh()
        self.sessions += 1
        before = dict(self.service.parked)
        await self.service.run(session)
        for call_ref, parked in self.service.parked.items():
            if before.get(call_ref) is parked:
                continue
            info, executor = parked
            runner = self._runner_of(info)
            if runner is not None and info.attempt is not None and info.attempt.isdigit():
                # the same text the dialplan raises in DialerIvrTransfer (what the inbound watcher reads)
                context = decode_context(encode_context(executor.context(self._now())))
                runner.ivr_transfer(int(info.attempt), context)

    async def end(self, session: AgiSession) -> None:
        """``/ivr-end``: a queued caller's call ended (taken by an agent, or hung up waiting)."""
        self._refresh()
        await self.service.end(session)

    def _runner_of(self, info: IvrCallInfo) -> AgentlessRunner | None:
        runner = self.dialer.runners.get(info.campaign or "")
        return runner if isinstance(runner, AgentlessRunner) else None

    async def _store(self, info: IvrCallInfo, result: FlowResult) -> None:
        await self.sink(info, result)
        runner = self._runner_of(info)
        if runner is not None and info.attempt is not None and info.attempt.isdigit():
            runner.ivr_finished(int(info.attempt))

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> str | None:
        """Listen; every agentless runner (and those loaded later) gets the address. Returns it; None when the port
        cannot be had (health ``fastagi`` degraded: agent campaigns run, agentless ones wait, saying why)."""
        self._refresh()
        health = self.dialer.health
        server = FastAgiServer(self.settings.host, self.settings.port, self.routes)
        try:
            await server.start()
        except OSError as exc:
            where = f"{self.settings.host}:{self.settings.port}"
            log.error("fastagi_unavailable", address=where, error=str(exc))
            health.report("fastagi", ComponentState.DEGRADED, f"cannot listen on {where}: {exc.strerror or exc}")
            return None
        self.server = server
        self.dialer.metrics.fastagi = lambda: FastAgiSample(server.sessions, server.refused)
        self.address = self.settings.advertise or f"{self.settings.host}:{server.bound_port}"
        self.dialer.loader.fastagi = self.address
        for runner in self._agentless():
            runner.set_fastagi(self.address)
        health.report("fastagi", ComponentState.UP, f"listening on {self.address}")
        log.info(
            "ivr_ready",
            fastagi=self.address,
            inbound_flows=sorted(self.inbound_flows),
            callback_campaign=self.daemon_actions.callback_campaign or None,
        )
        return self.address

    async def stop(self) -> None:
        self.dialer.loader.fastagi = None
        for runner in self._agentless():
            runner.set_fastagi(None)
        if self.server is not None:
            self.dialer.metrics.fastagi = fastagi_not_listening
            await self.server.stop()
            self.server = None


IVR_ROLE: web.AppKey[IvrRole] = web.AppKey("ivr_role")


async def fastagi_ctx(app: web.Application) -> AsyncIterator[None]:
    """The FastAGI server for the daemon's lifetime (after the AMI connections, before the campaign runners)."""
    settings = app[SETTINGS].fastagi
    role = IvrRole(app[DIALER], settings)
    app[IVR_ROLE] = role
    if settings.enabled:
        await role.start()
    try:
        yield
    finally:
        await role.stop()
