"""Messages to agents' consoles and agents' raised hands.

A supervisor sends a short message to one of their teams' agents or to a team they supervise; a manager to any
agent, any team, or everyone (:mod:`dialer.agents.messages`). It is stored with a receipt per recipient
(:mod:`dialer.store.messages`) and pushed at once to the recipients' open consoles (``message`` over the
WebSocket); a console opened later reads the unread ones. The recipient marks one read ("Got it"); the sender's
dashboard hears of it (``message_read``) and the listing shows who has read it.

An agent on a call (or in its wrap-up) raises a hand with an optional note (:mod:`dialer.agents.hands`): the
dashboard shows it on their row to their teams' supervisors and the managers, who lower it once they have helped
(so may the agent); it lowers itself when the call's wrap-up ends. Raising and lowering are audited. Hands are kept
in the database (:mod:`dialer.store.hands`): a supervisor whose dashboard another daemon serves sees them too, and
they outlive a restart.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field, field_validator, model_validator

from dialer.agents.hands import MAX_HAND_NOTE_CHARS, RAISABLE, Hand
from dialer.agents.messages import (
    MAX_MESSAGE_CHARS,
    MAX_RAW_MESSAGE_CHARS,
    Audience,
    MessageTextError,
    clean_message_text,
)
from dialer.i18n import M_, message_of
from dialer.store import hands
from dialer.store.admin import UnknownTeamError, get_team
from dialer.store.auth import Role, UnknownUserError
from dialer.store.messages import (
    MessageFilter,
    get_message,
    list_messages,
    mark_read,
    recipients_of,
    send_message,
)
from dialer.web.api.common import Paging, Strict, agent_or_404, ok, out_of_scope, page_from, path_agent, refused
from dialer.web.live import message_json
from dialer.web.problems import Problem
from dialer.web.routing import ANY_USER, SUPERVISORS, Call, RouteTable

routes = RouteTable(tag="messages")

_RECEIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"agent": {"type": "string"}, "read_at": {"type": ["string", "null"], "format": "date-time"}},
}
MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "sender", "sent_at", "to", "text", "recipients"],
    "properties": {
        "id": {"type": "integer"},
        "sender": {"type": "string"},
        "sent_at": {"type": "string", "format": "date-time"},
        "to": {
            "type": "object",
            "description": "the audience: an agent, a team, or everyone",
            "properties": {"audience": {"enum": [a.value for a in Audience]}, "name": {"type": ["string", "null"]}},
        },
        "text": {"type": "string"},
        "recipients": {"type": "array", "items": _RECEIPT_SCHEMA, "description": "who it went to, who read it"},
        "read": {"type": "integer", "description": "how many of them have read it"},
        "read_at": {"type": ["string", "null"], "format": "date-time", "description": "when I read it (a recipient)"},
    },
}
HAND_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["agent_id", "raised"],
    "properties": {
        "agent_id": {"type": "string"},
        "raised": {"type": "boolean"},
        "note": {"type": ["string", "null"]},
        "raised_at": {"type": ["number", "null"], "description": "the daemon's clock (seconds)"},
        "raised_seconds": {"type": ["number", "null"], "description": "how long it has been raised"},
    },
}


class MessageBody(Strict):
    """To whom (exactly one of agent, team, everyone) and the text."""

    agent: str | None = Field(default=None, min_length=1, max_length=64, description="one agent (a user name)")
    team: str | None = Field(default=None, min_length=1, max_length=100, description="every member of a team")
    everyone: bool = Field(default=False, description="every enabled agent (managers)")
    text: str = Field(
        max_length=MAX_RAW_MESSAGE_CHARS,
        description=f"at most {MAX_MESSAGE_CHARS} characters once control characters are taken out",
    )

    @field_validator("text")
    @classmethod
    def _clean(cls, text: str) -> str:
        try:
            return clean_message_text(text)
        except MessageTextError as exc:
            raise ValueError(message_of(exc)) from None

    @model_validator(mode="after")
    def _one_audience(self) -> MessageBody:
        if sum((self.agent is not None, self.team is not None, self.everyone)) != 1:
            raise ValueError(M_("send to one of: an agent, a team, or everyone"))
        return self

    @property
    def audience(self) -> tuple[Audience, str | None]:
        if self.agent is not None:
            return Audience.AGENT, self.agent
        if self.team is not None:
            return Audience.TEAM, self.team
        return Audience.EVERYONE, None


class MessageQuery(Paging):
    unread: bool = Field(default=False, description="only the messages I received and have not read")


class HandBody(Strict):
    note: str | None = Field(default=None, max_length=MAX_HAND_NOTE_CHARS, description="what the agent needs")


def _hand_json(agent_id: str, hand: Hand | None, now: float) -> dict[str, Any]:
    if hand is None:
        return {"agent_id": agent_id, "raised": False, "note": None, "raised_at": None, "raised_seconds": None}
    return {**hand.as_json(now), "raised": True}


async def _check_audience(call: Call, audience: Audience, name: str | None) -> None:
    """A supervisor sends to their teams' agents and the teams they supervise only; managers to anyone."""
    if call.is_manager:
        return
    if audience is Audience.EVERYONE:
        raise Problem(403, M_("only managers send a message to everyone"))
    if audience is Audience.AGENT and name is not None and not call.may_see_agent(name):
        raise Problem(403, M_("{agent} is not in a team you supervise", agent=name))
    if audience is Audience.TEAM and name is not None:
        team = await get_team(call.db, name)
        if team is not None and call.user.name not in team.supervisors:
            raise Problem(403, M_("you do not supervise team {team}", team=name))


@routes.route(
    "POST",
    "/api/messages",
    roles=SUPERVISORS,
    body=MessageBody,
    status=201,
    response=MESSAGE_SCHEMA,
    errors=(403, 404, 409),
)
async def post_message(call: Call) -> web.Response:
    """Send a message to an agent's console, a team's or everyone's (supervisors: their teams and their agents)"""
    body = call.body_as(MessageBody)
    audience, name = body.audience
    await _check_audience(call, audience, name)
    with refused(UnknownUserError, UnknownTeamError, status=404):
        recipients = await recipients_of(call.db, audience, name)
    if not recipients:
        raise Problem(409, M_("nobody to send it to: the team has no members"))
    sent = await send_message(
        call.db,
        sender=call.user.name,
        audience=audience,
        audience_name=name,
        recipients=recipients,
        text=body.text,
        now=call.now(),
    )
    for agent in recipients:
        call.daemon.publish(f"agent:{agent}", "message", **message_json(sent, agent, frozenset({agent})))
    return ok(message_json(sent, call.user.name, call.scope), 201)


@routes.listing("/api/messages", roles=ANY_USER, query=MessageQuery, item=MESSAGE_SCHEMA)
async def get_messages(call: Call) -> web.Response:
    """Messages, latest first, with who has read them (agents: theirs; supervisors: those they sent and their
    teams'; managers: all; unread=true: those I have not read)"""
    q = call.query_as(MessageQuery)
    me = call.user.name
    if q.unread:
        where = MessageFilter(recipient=me, unread=True)
    elif call.user.role is Role.AGENT:
        where = MessageFilter(recipient=me)
    else:
        where = MessageFilter(sender=me, agents=call.scope)
    found = await list_messages(call.db, where, limit=q.limit, offset=q.offset)
    scope = frozenset({me}) if call.user.role is Role.AGENT else call.scope
    return page_from(q, found, lambda m: message_json(m, me, scope))


@routes.route(
    "POST", r"/api/messages/{message_id:\d{1,15}}/read", roles=ANY_USER, response=MESSAGE_SCHEMA, errors=(404,)
)
async def post_message_read(call: Call) -> web.Response:
    """I read this message (a recipient: "Got it"); its sender sees it read"""
    message_id = call.path_id("message_id")
    me = call.user.name
    read = await mark_read(call.db, message_id, me, call.now())
    if read is None:
        raise Problem(404, M_("no message {message_id} to you", message_id=message_id))
    receipt = read.receipt_of(me)
    read_at = receipt.read_at.isoformat() if receipt is not None and receipt.read_at is not None else None
    for topic in {f"agent:{read.sender}", f"agent:{me}"}:
        call.daemon.publish(topic, "message_read", id=read.id, agent=me, read_at=read_at)
    return ok(message_json(read, me, frozenset({me})))


@routes.route("GET", "/api/messages/{message_id:\\d{1,15}}", roles=ANY_USER, response=MESSAGE_SCHEMA, errors=(404,))
async def get_one_message(call: Call) -> web.Response:
    """One message and who has read it (as the listing shows it to me)"""
    message_id = call.path_id("message_id")
    found = await get_message(call.db, message_id)
    me = call.user.name
    scope = frozenset({me}) if call.user.role is Role.AGENT else call.scope
    visible = found is not None and (
        scope is None or found.sender == me or any(r.agent in scope for r in found.recipients)
    )
    if found is None or not visible:
        raise Problem(404, M_("no message {message_id}", message_id=message_id))
    return ok(message_json(found, me, scope))


@routes.route("GET", "/api/agents/{agent_id}/hand", roles=ANY_USER, response=HAND_SCHEMA)
async def get_hand(call: Call) -> web.Response:
    """Whether the agent's hand is raised, since when and why"""
    agent_id = path_agent(call)
    return ok(_hand_json(agent_id, await hands.get_hand(call.db, agent_id), call.daemon.now()))


@routes.route(
    "POST", "/api/agents/{agent_id}/hand", roles=ANY_USER, body=HandBody, response=HAND_SCHEMA, errors=(403, 409)
)
async def raise_hand(call: Call) -> web.Response:
    """Raise my hand: on a call or in its wrap-up, ask my supervisors for help (an optional note)"""
    agent_id = path_agent(call)
    if agent_id != call.user.name:
        raise out_of_scope(
            call,
            supervisor=M_("only the agent raises their own hand"),
            agent=M_("only the agent raises their own hand"),
        )
    agent = agent_or_404(call, agent_id)
    if agent.status not in RAISABLE:
        raise Problem(409, M_("raise your hand on a call or in its wrap-up"), kind="not-on-a-call")
    daemon = call.daemon
    hand = await hands.raise_hand(call.db, agent_id, call.body_as(HandBody).note, actor=call.user.name, now=call.now())
    shown = _hand_json(agent_id, hand, daemon.now())
    daemon.publish(f"agent:{agent_id}", "hand", raised=True, by=call.user.name, hand=shown)
    return ok(shown)


@routes.route("DELETE", "/api/agents/{agent_id}/hand", roles=ANY_USER, response=HAND_SCHEMA, errors=(403, 404))
async def lower_hand(call: Call) -> web.Response:
    """Lower the agent's raised hand (their supervisors once they have helped, managers, or the agent)"""
    agent_id = path_agent(call)
    lowered = await hands.lower_hand(call.db, agent_id, actor=call.user.name, now=call.now())
    if lowered is None:
        raise Problem(404, M_("{agent}'s hand is not raised", agent=agent_id))
    daemon = call.daemon
    daemon.publish(f"agent:{agent_id}", "hand", raised=False, by=call.user.name, hand=None)
    return ok(_hand_json(agent_id, None, daemon.now()))
