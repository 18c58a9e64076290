"""The do-not-call lists through the API (managers): add a number (announced as ``optout.added``), check one."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from dialer.campaign.phones import PhoneError, normalize
from dialer.i18n import M_
from dialer.store.dnc import check_dnc, import_dnc
from dialer.web.api.common import Strict, campaign_or_404, ok
from dialer.web.problems import Problem
from dialer.web.routing import MANAGERS, Call, RouteTable

routes = RouteTable(tag="leads")


class DncAdd(Strict):
    number: str = Field(min_length=3, max_length=40, description="E.164, or national with region")
    region: str = Field(default="US", min_length=2, max_length=2, description="ISO region for national numbers")
    campaign: str | None = Field(default=None, max_length=100, description="the campaign's list (default: global)")
    reason: str | None = Field(default=None, max_length=200)


class DncCheck(Strict):
    number: str = Field(min_length=3, max_length=40)
    region: str = Field(default="US", min_length=2, max_length=2)


def _e164(raw: str, region: str) -> str:
    parsed = normalize(raw, region.upper())
    if isinstance(parsed, PhoneError):
        raise Problem(
            422,
            M_(
                "number: not a valid phone number for region {region}: {detail}",
                region=region.upper(),
                detail=parsed.detail,
            ),
            kind="validation-error",
        )
    return parsed.e164


@routes.route("POST", "/api/dnc", roles=MANAGERS, body=DncAdd)
async def post_dnc(call: Call) -> web.Response:
    """Put a number on the global or a campaign's do-not-call list (announced as optout.added)"""
    body = call.body_as(DncAdd)
    number = _e164(body.number, body.region)
    campaign_id = (await campaign_or_404(call, body.campaign)).id if body.campaign is not None else None
    done = await import_dnc(
        call.db, [number], campaign_id=campaign_id, source=f"api:{call.user.name}", reason=body.reason, now=call.now()
    )
    return ok(
        {
            "number": number,
            "scope": body.campaign or "global",
            "added": done.added == 1,
            "leads_closed": done.leads_archived,
        }
    )


@routes.route("GET", "/api/dnc", roles=MANAGERS, query=DncCheck)
async def get_dnc(call: Call) -> web.Response:
    """Which do-not-call lists hold a number"""
    q = call.query_as(DncCheck)
    number = _e164(q.number, q.region)
    entries = await check_dnc(call.db, number)
    return ok(
        {
            "number": number,
            "listed": bool(entries),
            "entries": [
                {
                    "scope": e.campaign or "global",
                    "source": e.source,
                    "reason": e.reason,
                    "added_at": e.added_at.isoformat(),
                }
                for e in entries
            ],
        }
    )
