"""Alerts (:mod:`dialer.alerts`): their history and acknowledging one.

The daemon raises an alert when a figure has been past its rule's threshold long enough and clears it once the
figure is back (``[[alerts]]``); the dashboard shows the active ones live (the dashboard document's ``alerts``).
``GET /api/alerts`` lists the history (``active=true``: not cleared, ``false``: cleared), newest first;
supervisors see the alerts about their teams' agents and those about no agent (campaigns, queues, servers).
Acknowledging one records who saw it and when (audited); it does not clear it: only its condition going away does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from dialer.alerts.rules import AlertKind, Severity
from dialer.i18n import M_
from dialer.store.alerts import AlertFilter, AlertRecord, acknowledge, get_alert, list_alerts
from dialer.web.api.common import Paging, ok, page_from
from dialer.web.problems import Problem
from dialer.web.routing import SUPERVISORS, Call, RouteTable

routes = RouteTable(tag="alerts")

ALERT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "rule", "kind", "severity", "subject", "active", "started_at", "raised_at"],
    "properties": {
        "id": {"type": "integer"},
        "rule": {"type": "string", "description": "the rule's name ([[alerts]] name)"},
        "kind": {"enum": [k.value for k in AlertKind]},
        "severity": {"enum": [s.value for s in Severity]},
        "subject": {"type": "string", "description": "campaign:<name>, queue:<name>, agent:<name>, server:<name>"},
        "campaign": {"type": ["string", "null"]},
        "campaign_id": {"type": ["integer", "null"]},
        "agent": {"type": ["string", "null"]},
        "detail": {"type": ["string", "null"], "description": "why not dialling, the pause code, the server's state"},
        "value": {"type": ["number", "null"], "description": "the figure when raised (when cleared, once cleared)"},
        "limit": {"type": "number", "description": "the figure it was judged against"},
        "active": {"type": "boolean"},
        "started_at": {"type": "string", "format": "date-time", "description": "when the condition began"},
        "raised_at": {"type": "string", "format": "date-time"},
        "cleared_at": {"type": ["string", "null"], "format": "date-time"},
        "acked_by": {"type": ["string", "null"]},
        "acked_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


class AlertQuery(Paging):
    active: bool | None = Field(default=None, description="true: the active alerts; false: the cleared ones")


def _visible(call: Call, alert: AlertRecord) -> bool:
    return alert.agent is None or call.may_see_agent(alert.agent)


@routes.listing("/api/alerts", roles=SUPERVISORS, query=AlertQuery, item=ALERT_SCHEMA)
async def get_alerts(call: Call) -> web.Response:
    """The alert history, newest first (active=true|false; supervisors: their teams' agents' and the alerts about no
    agent)"""
    q = call.query_as(AlertQuery)
    where = AlertFilter(active=q.active, agents=call.scope)
    return page_from(q, await list_alerts(call.db, where, limit=q.limit, offset=q.offset), AlertRecord.as_json)


@routes.route("GET", r"/api/alerts/{alert_id:\d{1,15}}", roles=SUPERVISORS, response=ALERT_SCHEMA, errors=(404,))
async def get_one_alert(call: Call) -> web.Response:
    """One alert of the history"""
    alert_id = call.path_id("alert_id")
    found = await get_alert(call.db, alert_id)
    if found is None or not _visible(call, found):
        raise Problem(404, M_("no alert {alert_id}", alert_id=alert_id))
    return ok(found.as_json())


@routes.route("POST", r"/api/alerts/{alert_id:\d{1,15}}/ack", roles=SUPERVISORS, response=ALERT_SCHEMA, errors=(404,))
async def post_alert_ack(call: Call) -> web.Response:
    """Acknowledge an alert: I have seen it (who and when are kept, the first time; audited). It stays active until
    its condition goes away"""
    alert_id = call.path_id("alert_id")
    found = await get_alert(call.db, alert_id)
    if found is None or not _visible(call, found):
        raise Problem(404, M_("no alert {alert_id}", alert_id=alert_id))
    acked = await acknowledge(call.db, alert_id, call.user.name, call.now())
    if acked is None:
        raise Problem(404, M_("no alert {alert_id}", alert_id=alert_id))
    return ok(acked.as_json())
