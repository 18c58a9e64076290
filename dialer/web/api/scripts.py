"""The agent's script for the current call: the campaign's template (or its regime's preset) filled with the lead
and the agent's name, escaped (lead data never becomes markup)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.i18n import M_
from dialer.scripts.campaign import context_for, rendered, template_of
from dialer.store.auth import get_user
from dialer.web.api.common import attempt_and_lead, ok, path_agent
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, MANAGERS, Call, RouteTable

routes = RouteTable()

SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["script"],
    "properties": {
        "script": {
            "type": ["object", "null"],
            "properties": {
                "campaign": {"type": "string"},
                "attempt_id": {"type": "integer"},
                "html": {"type": "string", "description": "escaped text, <br> line breaks"},
                "text": {"type": "string"},
                "sections": {
                    "type": "array",
                    "description": "the branches of the script the agent can move to, in the campaign's order",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "title": {"type": "string"},
                            "html": {"type": "string", "description": "escaped text, <br> line breaks"},
                            "text": {"type": "string"},
                            "disposition": {"type": ["string", "null"]},
                            "next": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        }
    },
}


@routes.route("GET", "/api/agents/{agent_id}/script", roles=ANY_USER, tag="agents", response=SCRIPT_SCHEMA)
async def get_agent_script(call: Call) -> web.Response:
    """The script for my current call (escaped HTML and text)"""
    agent_id = path_agent(call)
    daemon = call.daemon
    current = daemon.agent_call(agent_id)
    if current is None:
        return ok({"script": None})
    config = daemon.campaign_config(current.campaign)
    attempt, lead = await attempt_and_lead(call, current.attempt_id)
    if config is None or attempt is None or lead is None:
        return ok({"script": None})
    user = await get_user(call.db, agent_id)
    name = (user.display_name if user else None) or agent_id
    context = context_for(
        config,
        agent=name,
        first_name=lead.first_name,
        last_name=lead.last_name,
        phone=attempt.phone,
        fields=lead.fields,
    )
    return ok({"script": {"campaign": current.campaign, "attempt_id": current.attempt_id, **rendered(config, context)}})


@routes.route("GET", "/api/campaigns/{name}/script", roles=MANAGERS, tag="campaigns", errors=(404,))
async def get_campaign_script(call: Call) -> web.Response:
    """A campaign's script template (its own, or its regime's preset)"""
    name = call.path("name")
    config = call.daemon.campaign_config(name)
    if config is None:
        raise Problem(404, M_("campaign {name} is not loaded by this daemon", name=repr(name)))
    return ok({"campaign": name, "template": template_of(config), "preset": config.script is None})
