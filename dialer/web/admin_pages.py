"""The administration pages: users, teams and the audit log (admins); campaigns, lead lists, recycling and lead
search (managers). Server-rendered shells; the data comes from the JSON API (static/admin.js, static/lists.js,
static/campaigns.js, static/reports.js)."""

from __future__ import annotations

from dialer.web.pages import shell
from dialer.web.routing import ADMINS, MANAGERS, SUPERVISORS, RouteTable

routes = RouteTable()
# path, template, who may see it, summary
SHELLS = (
    ("/admin", "admin.html", ADMINS, "User administration, teams and the audit log"),
    ("/lists", "lists.html", MANAGERS, "Lead lists, recycling and lead search"),
    ("/campaigns", "campaigns.html", MANAGERS, "Campaigns: their settings as a campaign file, checked and saved"),
    ("/reports", "reports.html", MANAGERS, "Reports: a campaign's report over chosen days, as a page, CSV or JSON"),
    ("/teams", "teams.html", SUPERVISORS, "Team reports (supervisors: their teams)"),
    ("/leads", "leads.html", SUPERVISORS, "Lead search and history (supervisors: their teams' leads)"),
)
for path, template, roles, summary in SHELLS:
    routes.page("GET", path, roles=roles, summary=summary)(shell(template))
