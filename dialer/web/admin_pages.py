"""The administration pages: users, teams and the audit log (admins); lead lists, recycling and lead search
(managers). Server-rendered shells; the data comes from the JSON API (static/admin.js, static/lists.js)."""

from __future__ import annotations

from aiohttp import web

from dialer.web.pages import _page_values, render
from dialer.web.routing import ADMINS, MANAGERS, SUPERVISORS, RouteTable

routes = RouteTable()


@routes.page("GET", "/admin", roles=ADMINS, summary="User administration, teams and the audit log")
async def admin_page(request: web.Request) -> web.StreamResponse:
    return render("admin.html", **_page_values(request))


@routes.page("GET", "/lists", roles=MANAGERS, summary="Lead lists, recycling and lead search")
async def lists_page(request: web.Request) -> web.StreamResponse:
    return render("lists.html", **_page_values(request))


@routes.page("GET", "/teams", roles=SUPERVISORS, summary="Team reports (supervisors: their teams)")
async def teams_page(request: web.Request) -> web.StreamResponse:
    return render("teams.html", **_page_values(request))


@routes.page("GET", "/leads", roles=SUPERVISORS, summary="Lead search and history (supervisors: their teams' leads)")
async def leads_page(request: web.Request) -> web.StreamResponse:
    return render("leads.html", **_page_values(request))
