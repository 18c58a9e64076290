"""The web tier: REST API (+ OpenAPI), auth and roles, the agent console and the manager dashboard.

``setup_web(app)`` is called by :func:`dialer.app.build_app`; see docs in dialer/web/README.md.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from dialer.appkeys import AFTER_CONTEXTS
from dialer.web import pages as _pages  # noqa: F401  (registers the page and login routes)
from dialer.web import reports as _reports  # noqa: F401  (registers the report routes)
from dialer.web.api import api
from dialer.web.live import HUB, LiveHub, live_ctx
from dialer.web.openapi import build_document
from dialer.web.pages import LIMITER, OPENAPI
from dialer.web.problems import problem_middleware, security_headers
from dialer.web.routing import ROUTE_INDEX, STATIC_PREFIX, auth_middleware
from dialer.web.security import LoginRateLimiter

STATIC_DIR = Path(__file__).parent / "static"
API_VERSION = "1.0.0"


def setup_web(app: web.Application) -> None:
    app.middlewares.append(problem_middleware)
    app.middlewares.append(auth_middleware)
    app.on_response_prepare.append(security_headers)
    app[ROUTE_INDEX] = api.install(app)
    app.router.add_static(STATIC_PREFIX.rstrip("/"), STATIC_DIR, append_version=True)
    app[OPENAPI] = build_document(api, version=API_VERSION)
    app[LIMITER] = LoginRateLimiter()
    app[HUB] = LiveHub(app)
    app[AFTER_CONTEXTS].append(live_ctx)


__all__ = ["setup_web"]
