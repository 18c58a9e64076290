"""The web tier: REST API (+ OpenAPI), auth and roles, the agent console and the manager dashboard.

``setup_web(app)`` is called by :func:`dialer.app.build_app`; see docs in dialer/web/README.md.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from dialer.appkeys import AFTER_CONTEXTS
from dialer.web import admin_pages, i18n, pages
from dialer.web.api import (
    admin,
    agents,
    alerts,
    callbacks,
    callcontrol,
    calls,
    campaigns,
    crm,
    dashboard,
    dnc,
    leadbatch,
    leadlists,
    leads,
    lists,
    messages,
    myday,
    quality,
    recordings,
    report_schedules,
    reports,
    scripts,
    supervision,
    users,
    wallboard,
    webhooks,
)
from dialer.web.cpu import CPU_WORKER, CpuWorker, cpu_worker_ctx
from dialer.web.live import HUB, LiveHub, live_ctx
from dialer.web.openapi import build_document
from dialer.web.pages import LIMITER, OPENAPI
from dialer.web.problems import problem_middleware, security_headers
from dialer.web.routing import CREDENTIALS, ROUTE_INDEX, STATIC_PREFIX, RouteTable, auth_middleware, new_credentials
from dialer.web.security import LoginRateLimiter

STATIC_DIR = Path(__file__).parent / "static"
API_VERSION = "1.0.0"


def route_table() -> RouteTable:
    """Every route the web tier serves: each resource's table, in this order (the router matches in order)."""
    return RouteTable.joined(
        users.routes,
        campaigns.routes,
        leadlists.routes,
        leadbatch.routes,
        leads.routes,
        dnc.routes,
        agents.routes,
        calls.routes,
        callcontrol.routes,
        callbacks.routes,
        crm.routes,
        webhooks.routes,
        dashboard.routes,
        pages.routes,
        reports.routes,
        myday.routes,
        report_schedules.routes,
        lists.routes,
        admin.routes,
        admin_pages.routes,
        i18n.routes,
        recordings.routes,
        quality.routes,
        messages.routes,
        alerts.routes,
        supervision.routes,
        scripts.routes,
        wallboard.routes,
    )


def setup_web(app: web.Application) -> None:
    app.middlewares.append(problem_middleware)
    app.middlewares.append(auth_middleware)
    app.on_response_prepare.append(security_headers)
    table = route_table()
    app[ROUTE_INDEX] = table.install(app)
    app.router.add_static(STATIC_PREFIX.rstrip("/"), STATIC_DIR, append_version=True)
    app[OPENAPI] = build_document(table, version=API_VERSION)
    app[LIMITER] = LoginRateLimiter()
    app[CREDENTIALS] = new_credentials(app)
    app[HUB] = LiveHub(app)
    app[CPU_WORKER] = CpuWorker()
    app[AFTER_CONTEXTS].extend([live_ctx, cpu_worker_ctx])


__all__ = ["route_table", "setup_web"]
