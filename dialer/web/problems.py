"""RFC 9457 problem documents: every error the web tier returns is ``application/problem+json``."""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from dialer.i18n import M_, N_, Message, negotiate, render, translations
from dialer.i18n.validation import validation_message
from dialer.logging import get_logger

log = get_logger(__name__)

PROBLEM_TYPE_BASE = "https://dialer.invalid/problems/"
# The request's language, set by the auth middleware (dialer.web.routing).
REQUEST_LOCALE: web.RequestKey[str] = web.RequestKey("web_locale")
# The titles problems carry (HTTP reason phrases), marked for the catalogues; shown in the request's language.
TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    413: N_("Request Entity Too Large"),
    415: N_("Unsupported Media Type"),
    422: N_("Unprocessable Entity"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The problem types that say more than their status (``Problem(kind=...)``): what each means. A problem without a
# kind has its status's type (``PROBLEM_TYPE_BASE`` + the reason phrase as a slug, e.g. ``not-found``). The OpenAPI
# document lists every type (:func:`problem_types`); docs/integration.md explains them to an integrator.
PROBLEM_KINDS = {
    "validation-error": "the request (body, query, path or a header) is invalid; `errors` lists where and why",
    "payload-too-large": "the request body is larger than the route accepts",
    "bad-credentials": "wrong user name or password (POST /api/login)",
    "csrf": "a browser session's write without its X-CSRF-Token",
    "bad-origin": "a WebSocket opened from another origin",
    "kiosk": "a wallboard kiosk asked for something other than the wallboard",
    "kiosk-token": "an unknown or revoked wallboard token",
    "kiosk-revoked": "the wallboard kiosk's token was revoked",
    "kiosk-expired": "the wallboard kiosk's session expired: open the token's address again",
    "idempotency-key": "an Idempotency-Key reused with another request body",
    "destination-refused": "a webhook URL outside [webhooks] allowed_destinations",
    "bad-lead-file": "an uploaded lead file that cannot be read as CSV",
    "self-lockout": "an admin disabling themselves or giving up their own admin role",
    "consent-required": "a callback its regime would not dial without recorded consent",
    "consent-not-recordable": "consent that cannot be recorded on this lead",
    "not-on-a-call": "an action that needs the agent on a call or in its wrap-up",
    "agent-on-another-daemon": "the agent's console is served by another daemon sharing the database",
    "agent-daemon-not-reporting": "the daemon serving the agent stopped reporting",
    "bad-lead-batch": "a lead batch (POST /api/campaigns/{name}/leads) the importer cannot read",
    # What an agent's state refuses (dialer.agents.registry.AgentError: agent- + its code)
    "agent-unknown-agent": "no such agent (they appear once they sign in to queues)",
    "agent-unknown-server": "no Asterisk server of that name",
    "agent-logged-out": "the agent is not signed in",
    "agent-logged-in": "only a signed-out agent's phone can change",
    "agent-interface-taken": "the phone belongs to another agent",
    "agent-no-queues": "sign in to at least one campaign or inbound queue",
    "agent-on-call": "not while the agent is on a call",
    "agent-not-ready": "only a ready agent can do this",
    "agent-disposition-first": "disposition the call first (that ends the wrap-up)",
    "agent-not-in-wrapup": "only an agent in wrap-up can do this",
    "agent-reserved-reason": "'wrapup' is the dialer's own pause reason",
    "agent-bad-seconds": "a ready-in time out of range",
    # Why a call may not take a late disposition (dialer.campaign.late_disposition.LateRefusal)
    "late-disposition-not-yours": "another agent took the call",
    "late-disposition-dispositioned": "the call has an agent's disposition already",
    "late-disposition-still-up": "the call has not ended: disposition it on the console",
    "late-disposition-too-late": "the campaign's late-disposition window is over",
}


class Problem(Exception):
    """Raise anywhere in a handler: becomes a problem document with this status."""

    def __init__(
        self,
        status: int,
        detail: str | Message,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail.english if isinstance(detail, Message) else detail)
        self.status = status
        self.detail = detail  # a Message is shown in the request's language; a plain str as it is
        self.kind = kind or _slug(HTTPStatus(status).phrase)
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extra = extra


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-").replace("'", "")


def problem_types() -> list[str]:
    """Every problem ``type`` the API answers: each error status's (4xx, 5xx), then each of :data:`PROBLEM_KINDS`."""
    by_status = [_slug(s.phrase) for s in HTTPStatus if s >= 400]
    return [PROBLEM_TYPE_BASE + kind for kind in dict.fromkeys([*by_status, *PROBLEM_KINDS])]


def problem_locale(request: web.Request) -> str:
    locale = request.get(REQUEST_LOCALE)
    return locale if locale is not None else negotiate(None, request.headers.get("Accept-Language"))


def problem_response(request: web.Request, problem: Problem) -> web.Response:
    locale = problem_locale(request)
    gettext = translations(locale).gettext
    detail = render(problem.detail, locale)
    if _browser(request):
        return _problem_page(problem, gettext(problem.title), detail, gettext("Back"), locale)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.kind,
        "title": gettext(problem.title),
        "status": problem.status,
        "detail": detail,
        "instance": request.path,
        **{k: _rendered(v, locale) for k, v in problem.extra.items()},
    }
    return web.Response(
        status=problem.status,
        text=json.dumps(body, default=str),
        content_type="application/problem+json",
        headers=problem.headers,
    )


def _rendered(value: Any, locale: str) -> Any:
    """An extra member of the problem with its Messages (a validation error's ``message``) in ``locale``."""
    if isinstance(value, Message):
        return value.render(locale)
    if isinstance(value, dict):
        return {k: _rendered(v, locale) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rendered(v, locale) for v in value]
    return value


def _browser(request: web.Request) -> bool:
    """A page navigation (not the API, not a script's fetch): the user reads the error, so it is a page. An API
    address that serves a page (``?format=html``: a report the dashboard links to, bookmarked or sent on) is one
    too when a browser navigates to it; a script's fetch asks for JSON."""
    if "text/html" not in request.headers.get("Accept", ""):
        return False
    return not request.path.startswith("/api/") or request.query.get("format") == "html"


def _problem_page(problem: Problem, title_text: str, detail: str, back: str, locale: str) -> web.Response:
    title = html.escape(f"{problem.status} {title_text}")
    text = (
        f'<!doctype html><html lang="{html.escape(locale)}"><head><meta charset=utf-8><title>{title}</title></head>'
        f'<body><h1>{title}</h1><p>{html.escape(detail)}</p><p><a href="/">{html.escape(back)}</a></p>'
        "</body></html>"
    )
    return web.Response(status=problem.status, text=text, content_type="text/html", headers=problem.headers)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: no response is sniffed as another type, and no API answer (tokens, lead data,
    problems) is kept in a browser or proxy cache. Pages and downloads set their own caching."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type in ("application/json", "application/problem+json"):
        response.headers.setdefault("Cache-Control", "no-store")


def validation_problem(exc: ValidationError, where: str) -> Problem:
    """A pydantic refusal as a 422 problem: ``location`` and ``type`` of each error are pydantic's (machine
    fields, never translated); ``message`` and the detail are catalogue sentences in the reader's language
    (:func:`validation_message`)."""
    errors: list[dict[str, Any]] = [
        {
            "location": [where, *(str(p) for p in err["loc"])],
            "message": validation_message(err["type"], err.get("ctx") or {}),
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]
    first: dict[str, Any] = errors[0] if errors else {"location": [where], "message": M_("invalid")}
    field = ".".join(first["location"][1:]) or where
    return Problem(
        422, M_("{field}: {message}", field=field, message=first["message"]), kind="validation-error", errors=errors
    )


N_("Back")  # the problem page's link home


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(request, problem)
    except ValidationError as exc:
        return problem_response(request, validation_problem(exc, "body"))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.content_type == "application/problem+json":
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after", "www-authenticate")}
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else _default_detail(request, exc)
        return problem_response(request, Problem(exc.status, detail, headers=headers))
    except Exception:
        log.exception("http_handler_failed", path=request.path, method=request.method)
        return problem_response(request, Problem(500, M_("internal error (see the dialer log)")))


def _default_detail(request: web.Request, exc: web.HTTPException) -> str | Message:
    if exc.status == 404:
        return M_("nothing at {path}", path=request.path)
    if exc.status == 405:
        allowed = exc.headers.get("Allow", "")
        return M_(
            "{method} is not allowed on {path} (allowed: {allowed})",
            method=request.method,
            path=request.path,
            allowed=allowed,
        )
    if exc.status == 413:
        return M_("request body too large")
    return exc.reason
