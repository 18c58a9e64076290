"""The manager dashboard's document (the same one the WebSocket pushes every second)."""

from __future__ import annotations

from aiohttp import web

from dialer.web.api.common import ok
from dialer.web.floor import dashboard_document
from dialer.web.routing import SUPERVISORS, Call, RouteTable
from dialer.web.scope import scoped_dashboard

routes = RouteTable()


@routes.route("GET", "/api/dashboard", roles=SUPERVISORS, tag="reports")
async def get_dashboard(call: Call) -> web.Response:
    """Every campaign live, agents, pacing, why not dialling (supervisors: their teams' agents)"""
    return ok(scoped_dashboard(await dashboard_document(call.app), call.scope))
