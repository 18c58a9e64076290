"""Webhooks (issue 18 §1): subscriptions per campaign and event type, and the outbox -- every delivery with its
state, tries and last error, re-sendable -- for the API and the Webhooks page."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field

from dialer.appkeys import SETTINGS
from dialer.i18n import M_, render
from dialer.i18n.library import delivery_error_text
from dialer.store.webhooks import (
    OutboxRow,
    create_subscription,
    delete_subscription,
    get_subscription,
    list_subscriptions,
    outbox_counts,
    outbox_rows,
    resend,
    update_subscription,
)
from dialer.web.api.common import Strict, campaign_id_of, invalid, ok
from dialer.web.pages import shell
from dialer.web.problems import Problem
from dialer.web.routing import MANAGERS, Call, RouteTable
from dialer.web.security import new_secret
from dialer.webhooks.core import SUBSCRIBABLE, AllowList, DestinationRefused, parse_events

routes = RouteTable(tag="webhooks")
EVENT_NAMES = [t.value for t in SUBSCRIBABLE]


class SubscriptionBody(Strict):
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL on the allow-list")
    events: list[str] = Field(
        min_length=1,
        max_length=20,
        description=f"event types, or ['*'] (every type, those added later too): {EVENT_NAMES}",
    )
    campaign: str | None = Field(default=None, max_length=100, description="one campaign; none: every campaign")
    description: str | None = Field(default=None, max_length=200)
    secret: str | None = Field(
        default=None, min_length=16, max_length=200, description="HMAC key; generated (and shown once) if absent"
    )


class SubscriptionEdit(Strict):
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=20)
    enabled: bool | None = None
    description: str | None = Field(default=None, max_length=200)
    rotate_secret: bool = False


class DeliveryQuery(Strict):
    state: Literal["pending", "delivered", "dead"] | None = None
    campaign: str | None = Field(default=None, max_length=100)
    subscription_id: int | None = Field(default=None, ge=1, le=2**31)
    event_id: str | None = Field(default=None, max_length=36)
    before_id: int | None = Field(default=None, ge=1, le=2**62)
    limit: int = Field(default=100, ge=1, le=500)


def _allowed(call: Call, url: str) -> str:
    try:
        AllowList.parse(call.app[SETTINGS].webhooks.allowed_destinations).check(url)
    except DestinationRefused as exc:
        raise Problem(
            422, M_("url: {exc} (settings: [webhooks] allowed_destinations)", exc=exc), kind="destination-refused"
        ) from None
    return url


def _events(names: list[str]) -> tuple[str, ...]:
    with invalid(ValueError, said=lambda exc: M_("events: {exc}", exc=exc)):
        return parse_events(names)


@routes.route("GET", "/api/webhooks/events", roles=MANAGERS)
async def get_event_types(call: Call) -> web.Response:
    """The event types one can subscribe to"""
    return ok({"events": EVENT_NAMES, "allowed_destinations": call.app[SETTINGS].webhooks.allowed_destinations})


@routes.route("GET", "/api/webhooks/subscriptions", roles=MANAGERS)
async def get_subscriptions(call: Call) -> web.Response:
    """Webhook subscriptions"""
    return ok({"items": [s.as_json() for s in await list_subscriptions(call.db)]})


@routes.route("POST", "/api/webhooks/subscriptions", roles=MANAGERS, status=201, body=SubscriptionBody)
async def post_subscription(call: Call) -> web.Response:
    """Subscribe a URL to event types of one campaign (or all); the signing secret is returned once"""
    body = call.body_as(SubscriptionBody)
    secret = body.secret or new_secret()
    sub = await create_subscription(
        call.db,
        campaign_id=await campaign_id_of(call, body.campaign),
        url=_allowed(call, body.url),
        events=_events(body.events),
        secret=secret,
        now=call.now(),
        description=body.description,
    )
    return ok({**sub.as_json(), "secret": secret}, 201)


SUBSCRIPTION = r"/api/webhooks/subscriptions/{subscription_id:\d{1,9}}"


@routes.route("PATCH", SUBSCRIPTION, roles=MANAGERS, body=SubscriptionEdit)
async def patch_subscription(call: Call) -> web.Response:
    """Change, disable or re-enable a subscription; rotate_secret returns a new secret once"""
    body = call.body_as(SubscriptionEdit)
    secret = new_secret() if body.rotate_secret else None
    sub = await update_subscription(
        call.db,
        call.path_id("subscription_id"),
        call.now(),
        url=_allowed(call, body.url) if body.url is not None else None,
        events=_events(body.events) if body.events is not None else None,
        enabled=body.enabled,
        description=body.description,
        secret=secret,
    )
    if sub is None:
        raise Problem(404, M_("no such subscription"))
    out: dict[str, Any] = sub.as_json()
    if secret is not None:
        out["secret"] = secret
    return ok(out)


@routes.route("DELETE", SUBSCRIPTION, roles=MANAGERS, status=204)
async def delete_subscription_route(call: Call) -> web.Response:
    """Remove a subscription (its pending deliveries go; delivered and dead ones stay as records)"""
    if not await delete_subscription(call.db, call.path_id("subscription_id")):
        raise Problem(404, M_("no such subscription"))
    return web.Response(status=204)


@routes.route("GET", "/api/webhooks/deliveries", roles=MANAGERS, query=DeliveryQuery)
async def get_deliveries(call: Call) -> web.Response:
    """Deliveries, newest first, with their state (pending, delivered, dead), tries and last error"""
    q = call.query_as(DeliveryQuery)
    rows = await outbox_rows(
        call.db,
        state=q.state,
        campaign_id=await campaign_id_of(call, q.campaign),
        subscription_id=q.subscription_id,
        event_id=q.event_id,
        before_id=q.before_id,
        limit=q.limit,
    )
    return ok({"items": [_delivery_json(r) for r in rows], "counts": await outbox_counts(call.db)})


def _delivery_json(row: OutboxRow, *, with_payload: bool = False) -> dict[str, Any]:
    """A delivery, with its last error as recorded (``last_error``) and said in the reader's language
    (``last_error_text``)."""
    said = delivery_error_text(row.last_error, row.last_status)
    return {**row.as_json(with_payload=with_payload), "last_error_text": None if said is None else render(said)}


DELIVERY = r"/api/webhooks/deliveries/{delivery_id:\d{1,15}}"


@routes.route("GET", DELIVERY, roles=MANAGERS)
async def get_delivery(call: Call) -> web.Response:
    """One delivery with its payload"""
    rows = await outbox_rows(call.db, before_id=call.path_id("delivery_id") + 1, limit=1)
    if not rows or rows[0].id != call.path_id("delivery_id"):
        raise Problem(404, M_("no such delivery"))
    return ok(_delivery_json(rows[0], with_payload=True))


@routes.route("POST", DELIVERY + "/resend", roles=MANAGERS)
async def post_resend(call: Call) -> web.Response:
    """Send a delivered or dead-lettered delivery again (same event id; a fresh retry budget)"""
    row = await resend(call.db, call.path_id("delivery_id"), call.now())
    if row is None:
        raise Problem(404, M_("no such delivery"))
    if row.subscription_id is not None and await get_subscription(call.db, row.subscription_id) is None:
        raise Problem(409, M_("its subscription is gone"))
    return ok(row.as_json())


routes.page("GET", "/webhooks", roles=MANAGERS, summary="Webhooks: subscriptions and deliveries")(
    shell("webhooks.html")
)
