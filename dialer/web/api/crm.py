"""The CRM screen pop (issue 18 §3): the agent's current call's CRM URL, from the campaign's ``[crm] popup_url``
template (lead fields, attempt id, agent), for the console to open on connect -- in a new tab or a frame. Only a
URL on the webhook allow-list is handed out, and the console page allows exactly those origins as frames."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from dialer.appkeys import SETTINGS
from dialer.campaign.config import CampaignConfig
from dialer.settings import Settings
from dialer.store.campaigns import UnknownCampaignError, get_campaign
from dialer.web.api.common import agent_to_read, attempt_and_lead, ok, path_agent
from dialer.web.routing import ANY_USER, Call, RouteTable
from dialer.webhooks.core import AllowList, lead_values, render_url

routes = RouteTable()

POPUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "attempt_id": {"type": ["integer", "null"]},
        "url": {"type": ["string", "null"]},
        "mode": {"type": "string", "enum": ["tab", "frame"]},
        "why_not": {"type": ["string", "null"]},
    },
}


@routes.route("GET", "/api/agents/{agent_id}/crm", roles=ANY_USER, tag="agents", response=POPUP_SCHEMA)
async def get_crm_popup(call: Call) -> web.Response:
    """The CRM URL of the agent's current call (the campaign's [crm] popup_url filled in), to open on connect"""
    agent_id = path_agent(call)
    agent_to_read(call, agent_id)
    current = call.daemon.agent_call(agent_id)
    empty: dict[str, Any] = {"attempt_id": None, "url": None, "mode": "tab", "why_not": "no call"}
    if current is None:
        return ok(empty)
    try:
        record = await get_campaign(call.db, current.campaign)
    except UnknownCampaignError:
        return ok(empty)
    crm = CampaignConfig.model_validate(record.config).crm
    out = {**empty, "attempt_id": current.attempt_id, "mode": crm.popup_mode}
    if not crm.popup_url:
        return ok({**out, "why_not": "the campaign has no [crm] popup_url"})
    _, lead = await attempt_and_lead(call, current.attempt_id)
    if lead is None:
        return ok({**out, "why_not": "the call's lead is gone"})
    url = render_url(
        crm.popup_url,
        lead_values(lead, {"attempt_id": current.attempt_id, "agent": agent_id, "campaign": current.campaign}),
    )
    settings: Settings = call.app[SETTINGS]
    allow = AllowList.parse(settings.webhooks.allowed_destinations)
    if not allow.allows(url):
        return ok({**out, "why_not": "the CRM host is not on [webhooks] allowed_destinations"})
    if crm.popup_mode == "frame" and urlsplit(url).scheme != "https":
        return ok({**out, "why_not": "a CRM frame must be https"})
    return ok({**out, "url": url, "why_not": None})
