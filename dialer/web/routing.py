"""The route table: every route declares its roles; the same table drives the auth check and the OpenAPI document.

A route added to the application without a declaration is refused to everyone (default deny), so forgetting a
declaration cannot open a hole; ``tests/api/test_auth.py`` walks the router to prove it.

Why one module (over 500 lines): the route table and the authentication middleware that enforces its declarations
(sessions, API credentials, kiosks) are one policy: a route's roles mean nothing apart from the check that reads them.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, Unpack

from aiohttp import web
from pydantic import BaseModel, ValidationError

from dialer.appkeys import CLOCK, DATABASE, DIALER, SETTINGS
from dialer.i18n import M_, negotiate, set_locale, set_zone
from dialer.i18n.validation import validation_message
from dialer.settings import HttpSettings
from dialer.store.admin import supervised_agents
from dialer.store.auth import Role, SessionRecord, UserRecord, session_user, user_for_token
from dialer.store.wallboard import Kiosk, KioskLifetime, KioskSessionExpiredError, kiosk_for_session, kiosk_for_token
from dialer.web.credentials import Credentials
from dialer.web.facade import Daemon, daemon_of
from dialer.web.problems import REQUEST_LOCALE, Handler, Problem, validation_problem

if TYPE_CHECKING:
    from dialer.store.engine import Database

M = TypeVar("M", bound=BaseModel)
PUBLIC: frozenset[Role] = frozenset()
ANY_USER = frozenset(Role)
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
# Managers, and supervisors on the agents of their own teams (``Call.scope``): dashboard, reports, monitoring.
SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})
ADMINS = frozenset({Role.ADMIN})
SESSION_COOKIE = "dialer_session"
# A wallboard kiosk's session (dialer.store.wallboard): it reads the routes that declare ``kiosk=True`` and no other.
KIOSK_COOKIE = "dialer_kiosk"
KIOSK_TOKEN_PARAM = "token"  # noqa: S105 (the query parameter's name)
# The answers to an address that carries a wallboard token: no Referer ever repeats it, no cache keeps it.
TOKEN_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
CSRF_HEADER = "X-CSRF-Token"
CREDENTIALS: web.AppKey[Credentials] = web.AppKey("web_credentials", Credentials)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a JSON request body (``RouteSpec.body``) may weigh unless the route says otherwise: logins, dispositions,
# lead edits are a few hundred bytes.
JSON_BODY_MAX_BYTES = 64 * 1024
# Routes the web tier does not define itself (dialer.app) and what they need.
EXTERNAL_ROUTES: dict[str, frozenset[Role]] = {"/healthz": PUBLIC, "/status": MANAGERS, "/metrics": MANAGERS}
STATIC_PREFIX = "/static/"
# Operator read-outs a local tool may read without credentials (`dialer status` on the daemon's own host, a
# Prometheus agent on loopback): only from a loopback address and never through a proxy (no forwarding headers).
LOOPBACK_READOUTS = frozenset({"/status", "/metrics"})
_LOOPBACK = frozenset({"127.0.0.1", "::1"})
_FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
USER: web.RequestKey[UserRecord | None] = web.RequestKey("web_user")
SESSION: web.RequestKey[SessionRecord | None] = web.RequestKey("web_session")
# The agents a supervisor may see and act on (their teams' members and themselves); absent for other roles.
SCOPE: web.RequestKey[frozenset[str]] = web.RequestKey("web_scope")
# The wallboard kiosk a request comes from (a kiosk route, no user signed in), and whether it came by its token.
KIOSK: web.RequestKey[Kiosk] = web.RequestKey("web_kiosk")
KIOSK_BY_TOKEN: web.RequestKey[bool] = web.RequestKey("web_kiosk_by_token")


def current_user(request: web.Request) -> UserRecord:
    """The authenticated user of a route that requires one (the middleware has checked)."""
    user: UserRecord | None = request.get(USER)
    if user is None:
        raise Problem(401, M_("sign in first"), headers={"WWW-Authenticate": 'Bearer realm="dialer"'})
    return user


@dataclass
class Call:
    """What a handler gets: the request, the authenticated user, the validated query and body."""

    request: web.Request
    user: UserRecord
    query: BaseModel | None = None
    body: BaseModel | None = None

    def query_as(self, model: type[M]) -> M:
        """The validated query string, as the route declared it (``query=model``)."""
        return _declared(model, self.query, "query")

    def body_as(self, model: type[M]) -> M:
        """The validated JSON body, as the route declared it (``body=model``)."""
        return _declared(model, self.body, "body")

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def daemon(self) -> Daemon:
        """The running daemon, as the web tier may use it (:mod:`dialer.web.facade`)."""
        return daemon_of(self.request.app)

    @property
    def db(self) -> Database:
        return self.request.app[DATABASE]

    def now(self) -> datetime:
        return request_now(self.request)

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def path_id(self, name: str) -> int:
        value = self.request.match_info[name]
        if not value.isdigit() or len(value) > 15:
            raise Problem(404, M_("no such {kind} {value}", kind=name.removesuffix("_id"), value=repr(value)))
        return int(value)

    @property
    def is_manager(self) -> bool:
        return self.user.role in MANAGERS

    @property
    def scope(self) -> frozenset[str] | None:
        """The agents this user may see and act on: None for everyone (managers, admins)."""
        if self.is_manager:
            return None
        scope: frozenset[str] = self.request.get(SCOPE, frozenset({self.user.name}))
        return scope

    def may_see_agent(self, agent_id: str) -> bool:
        scope = self.scope
        return scope is None or agent_id in scope


def request_now(request: web.Request) -> datetime:
    """Now by the application's clock (the daemon's), else the wall clock."""
    clock = request.app.get(CLOCK)
    if clock is None and DIALER in request.app:
        clock = request.app[DIALER].clock
    return datetime.fromtimestamp(clock.now(), UTC) if clock is not None else datetime.now(UTC)


def _declared(model: type[M], value: BaseModel | None, what: str) -> M:
    if not isinstance(value, model):
        raise TypeError(f"the route declares no {what} of type {model.__name__}")
    return value


CallHandler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # aiohttp path, may carry regexes: /api/leads/{lead_id:\d+}
    roles: frozenset[Role]
    summary: str
    tag: str
    handler: CallHandler | None = None
    raw_handler: Handler | None = None  # pages, websockets: get the request itself
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_content: dict[str, Any] | None = None  # a non-JSON request body (multipart, TOML) for the document
    header_params: tuple[dict[str, Any], ...] = ()  # request headers the route reads (OpenAPI parameter objects)
    response: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    response_content_type: str = "application/json"
    response_content: dict[str, Any] | None = None  # several content types for the success response
    status: int = 200
    errors: tuple[int, ...] = ()
    in_openapi: bool = True
    max_body: int = JSON_BODY_MAX_BYTES  # a JSON body (``body=``) larger than this is refused with 413
    kiosk: bool = False  # a wallboard kiosk may read it too (GET only; every other route refuses a kiosk)

    @property
    def openapi_path(self) -> str:
        return re.sub(r"\{(\w+):(?:[^{}]|\{[^{}]*\})+\}", r"{\1}", self.path)

    def query_params(self) -> frozenset[str]:
        """The query parameters the route declares (its ``query`` model's fields, by the names a request uses);
        any other is refused (:func:`refuse_undeclared`). A kiosk route also reads the wallboard's token."""
        names = {f.alias or name for name, f in (self.query.model_fields if self.query else {}).items()}
        if self.kiosk:
            names.add(KIOSK_TOKEN_PARAM)
        return frozenset(names)

    def path_params(self) -> list[str]:
        """The path's parameters, by name (not the quantifiers of their regexes: ``{alert_id:\\d{1,15}}``)."""
        return re.findall(r"\{(\w+)\}", self.openapi_path)


class RouteOptions(TypedDict, total=False):
    """What a route may declare besides its method, path, roles, summary and tag (the fields of :class:`RouteSpec`)."""

    query: type[BaseModel] | None
    body: type[BaseModel] | None
    body_content: dict[str, Any] | None
    header_params: tuple[dict[str, Any], ...]
    response: dict[str, Any]
    response_content_type: str
    response_content: dict[str, Any] | None
    status: int
    errors: tuple[int, ...]
    in_openapi: bool
    max_body: int
    kiosk: bool


@dataclass
class RouteTable:
    """A resource module's routes; ``tag`` is the OpenAPI tag of its routes that do not name another."""

    specs: list[RouteSpec] = field(default_factory=list)
    tag: str | None = None

    @classmethod
    def joined(cls, *tables: RouteTable) -> RouteTable:
        """One table of several (each resource module has its own), in the order given."""
        return cls([spec for table in tables for spec in table.specs])

    def add(self, spec: RouteSpec) -> None:
        self.specs.append(spec)

    def route(
        self,
        method: str,
        path: str,
        *,
        roles: Iterable[Role],
        summary: str | None = None,
        tag: str | None = None,
        **options: Unpack[RouteOptions],
    ) -> Callable[[CallHandler], CallHandler]:
        """Declare the handler below as ``method path``; its ``summary`` (for the OpenAPI document) is, unless
        given, the first paragraph of the handler's docstring."""
        tagged = tag or self.tag
        if tagged is None:
            raise ValueError(f"{method} {path}: no tag (name one, or give the route table one)")

        def register(handler: CallHandler) -> CallHandler:
            said = summary or summary_of(handler)
            self.add(RouteSpec(method, path, frozenset(roles), said, tagged, handler=handler, **options))
            return handler

        return register

    def listing(
        self,
        path: str,
        *,
        roles: Iterable[Role],
        summary: str | None = None,
        query: type[BaseModel],
        item: dict[str, Any] | None = None,
        tag: str | None = None,
    ) -> Callable[[CallHandler], CallHandler]:
        """A collection: ``GET path`` with ``query`` (its paging and filters) answering one page of items
        (:func:`page_schema`; ``item``: the schema of one item). ``summary`` as for :meth:`route`."""
        return self.route("GET", path, roles=roles, summary=summary, tag=tag, query=query, response=page_schema(item))

    def page(
        self,
        method: str,
        path: str,
        *,
        roles: Iterable[Role],
        summary: str | None = None,
        tag: str = "pages",
        kiosk: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare the handler below (it gets the request itself) as a page; ``summary`` as for :meth:`route`;
        ``kiosk``: a wallboard kiosk may open it too."""

        def register(handler: Handler) -> Handler:
            said = summary or summary_of(handler)
            spec = RouteSpec(
                method, path, frozenset(roles), said, tag, raw_handler=handler, in_openapi=False, kiosk=kiosk
            )
            self.add(spec)
            return handler

        return register

    def install(self, app: web.Application) -> dict[tuple[str, str], RouteSpec]:
        """Add every route to the app's router; returns (method, canonical path) → spec for the middleware."""
        index: dict[tuple[str, str], RouteSpec] = {}
        for spec in self.specs:
            route = app.router.add_route(spec.method, spec.path, _endpoint(spec))
            index[(spec.method, route.resource.canonical if route.resource else spec.path)] = spec
        return index


def summary_of(handler: Callable[..., object]) -> str:
    """A route's summary from its handler: the first paragraph of the docstring, on one line."""
    doc = inspect.getdoc(handler)
    if not doc:
        raise ValueError(f"{handler.__qualname__}: give the route a summary (or the handler a docstring)")
    return " ".join(doc.split("\n\n")[0].split())


def page_schema(item: dict[str, Any] | None = None) -> dict[str, Any]:
    """The response of a collection route (:meth:`RouteTable.listing`): a page of items, the whole count, the paging."""
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": item or {"type": "object"}},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


def _endpoint(spec: RouteSpec) -> Handler:
    if spec.raw_handler is not None:
        return spec.raw_handler
    assert spec.handler is not None
    handler = spec.handler
    accepted = spec.query_params()

    async def endpoint(request: web.Request) -> web.StreamResponse:
        user: UserRecord | None = request.get(USER)
        if user is None:  # only public API routes (login) get here without one
            user = _ANONYMOUS
        call = Call(request, user)
        if spec.query is not None:
            refuse_undeclared(request, accepted)
            try:
                call.query = spec.query.model_validate(dict(request.query))
            except ValidationError as exc:
                raise validation_problem(exc, "query") from None
        if spec.body is not None:
            if request.content_type != "application/json":
                raise Problem(
                    415,
                    M_(
                        "send a JSON body (Content-Type: application/json), not {content_type}",
                        content_type=repr(request.content_type),
                    ),
                )
            raw = await read_body(request, spec.max_body)
            try:
                call.body = spec.body.model_validate_json(raw or b"{}")
            except ValidationError as exc:
                raise validation_problem(exc, "body") from None
        return await handler(call)

    return endpoint


def refuse_undeclared(request: web.Request, accepted: frozenset[str]) -> None:
    """Refuse (422) a query parameter the route does not declare: a misspelt filter (``?campain=demo``) must not
    quietly answer every row."""
    unknown = sorted(set(request.query) - accepted)
    if not unknown:
        return
    errors = [
        {"location": ["query", name], "message": validation_message("extra_forbidden", {}), "type": "extra_forbidden"}
        for name in unknown
    ]
    raise Problem(
        422,
        M_(
            "unknown query parameter {names}; this route accepts {accepted}",
            names=", ".join(unknown),
            accepted=", ".join(sorted(accepted)) or "-",
        ),
        kind="validation-error",
        errors=errors,
        accepted=sorted(accepted),
    )


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, read in chunks and refused (413) as soon as it exceeds ``limit`` bytes."""
    too_large = Problem(413, M_("the request body is larger than {limit} bytes", limit=limit), kind="payload-too-large")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


_ANONYMOUS = UserRecord(0, "", Role.AGENT, "", None, None, True, datetime(1970, 1, 1, tzinfo=UTC))

ROUTE_INDEX: web.AppKey[dict[tuple[str, str], RouteSpec]] = web.AppKey("web_route_index")


def spec_for(app: web.Application, request: web.Request) -> RouteSpec | None:
    """The declaration of the matched route (None: a route the web tier does not declare)."""
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else ""
    spec = app[ROUTE_INDEX].get((request.method, canonical))
    if spec is None and request.method == "HEAD":
        spec = app[ROUTE_INDEX].get(("GET", canonical))
    return spec


def policy_for(app: web.Application, request: web.Request) -> frozenset[Role] | None:
    """The roles the matched route needs; None: the route declares none (refused)."""
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else ""
    spec = spec_for(app, request)
    if spec is not None:
        return spec.roles
    if canonical in EXTERNAL_ROUTES:
        return EXTERNAL_ROUTES[canonical]
    if canonical.startswith(STATIC_PREFIX.rstrip("/")):
        return PUBLIC
    return None


def wants_html(request: web.Request) -> bool:
    return not request.path.startswith("/api/") and "text/html" in request.headers.get("Accept", "")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.http_exception is not None:  # 404 / 405: let the router say so
        return await handler(request)
    roles = policy_for(request.app, request)
    if roles is None:
        raise Problem(
            403,
            M_("{method} {path} declares no roles: refused to everyone", method=request.method, path=request.path),
        )
    spec = spec_for(request.app, request)
    kiosk_route = spec is not None and spec.kiosk and request.method in SAFE_METHODS
    if kiosk_route and KIOSK_TOKEN_PARAM in request.query:
        # A TV opening the wallboard with its token (once: the page swaps it for a kiosk session cookie).
        user, session = None, None
        kiosk = await kiosk_for_token(request.app[DATABASE], request.query[KIOSK_TOKEN_PARAM])
        if kiosk is None:
            raise Problem(403, M_("unknown or revoked wallboard token"), kind="kiosk-token", headers=TOKEN_PAGE_HEADERS)
        request[KIOSK_BY_TOKEN] = True
    else:
        user, session = await _identify(request)
        kiosk = None if user is not None else await _identify_kiosk(request, kiosk_route)
    request[USER] = user
    request[SESSION] = session
    if user is not None and user.role is Role.SUPERVISOR:
        request[SCOPE] = await supervised_agents(request.app[DATABASE], user) or frozenset({user.name})
    language = user.language if user else kiosk.language if kiosk else None
    locale = negotiate(language, request.headers.get("Accept-Language"))
    request[REQUEST_LOCALE] = locale
    set_locale(locale)
    set_zone(user.timezone if user else None)  # the times a report shows (dialer.reports.common.shown_time)
    if not roles:
        return await handler(request)
    if kiosk is not None:
        if not kiosk_route:  # a kiosk reads the wallboard and nothing else
            raise Problem(
                403,
                M_(
                    "{method} {path}: a wallboard kiosk may only show the wallboard",
                    method=request.method,
                    path=request.path,
                ),
                kind="kiosk",
            )
        request[KIOSK] = kiosk
        return await handler(request)
    if user is None and request.method == "GET" and _local_readout(request):
        return await handler(request)
    if user is None:
        if wants_html(request):
            raise web.HTTPFound(f"/login?next={request.path}")
        raise Problem(
            401,
            M_("sign in: send 'Authorization: Bearer <token>' (dialer user token NAME) or log in at /login"),
            headers={"WWW-Authenticate": 'Bearer realm="dialer"'},
        )
    if user.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise Problem(
            403,
            M_(
                "{method} {path} needs role {allowed}; you are {role}",
                method=request.method,
                path=request.path,
                allowed=allowed,
                role=user.role.value,
            ),
        )
    if session is not None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.content_type == "application/x-www-form-urlencoded":
            sent = str((await request.post()).get("csrf", ""))
        if sent != session.csrf_token:
            raise Problem(403, M_("missing or wrong CSRF token (X-CSRF-Token header)"), kind="csrf")
    return await handler(request)


def _local_readout(request: web.Request) -> bool:
    resource = request.match_info.route.resource
    if resource is None or resource.canonical not in LOOPBACK_READOUTS:
        return False
    if any(h in request.headers for h in _FORWARDING_HEADERS):
        return False
    return request.remote in _LOOPBACK


def _http(app: web.Application) -> HttpSettings:
    """The app's ``[http]`` settings (the defaults for an app made without settings)."""
    settings = app.get(SETTINGS)
    return settings.http if settings is not None else HttpSettings()


def kiosk_lifetime(app: web.Application) -> KioskLifetime:
    """How long the app's kiosk sessions live (``[http] kiosk_idle_hours``, ``kiosk_max_days``)."""
    return _http(app).kiosk_lifetime()


async def _identify_kiosk(request: web.Request, kiosk_route: bool) -> Kiosk | None:
    """The wallboard kiosk of the request's kiosk cookie (None: none), its session renewed. On a kiosk route, a
    cookie whose token was revoked is refused at once, and one whose session expired is told to open the token's
    address again (a TV's page must not fall back to the sign-in form)."""
    cookie = request.cookies.get(KIOSK_COOKIE)
    if not cookie:
        return None
    kept = request.app[CREDENTIALS]
    kiosk = kept.kiosk(cookie)
    if kiosk is not None:
        return kiosk
    try:
        kiosk = await kiosk_for_session(
            request.app[DATABASE], cookie, request_now(request), kiosk_lifetime(request.app)
        )
        if kiosk is not None:
            kept.keep_kiosk(cookie, kiosk)
    except KioskSessionExpiredError as exc:
        if not kiosk_route:
            return None
        raise Problem(401, exc.message, kind="kiosk-expired") from exc
    if kiosk is None and kiosk_route:
        raise Problem(403, M_("this wallboard's token was revoked"), kind="kiosk-revoked")
    return kiosk


def new_credentials(app: web.Application) -> Credentials:
    """The memory of good credentials (:mod:`dialer.web.credentials`) for ``app``'s ``[http]`` settings."""
    return Credentials(_http(app).auth_cache_seconds)


async def _identify(request: web.Request) -> tuple[UserRecord | None, SessionRecord | None]:
    db = request.app[DATABASE]
    kept = request.app[CREDENTIALS]
    now = datetime.now(UTC)
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, M_("Authorization must be 'Bearer <token>'"), headers={"WWW-Authenticate": "Bearer"})
        token = token.strip()
        user = kept.token(token)
        if user is None:
            user = await user_for_token(db, token, now)
            if user is not None:
                kept.keep_token(token, user)
        if user is None:
            raise Problem(
                401,
                M_("unknown, revoked or disabled API token"),
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return user, None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = kept.session(cookie)
        if session is None or session.expires_at <= now:
            session = await session_user(db, cookie, now)
            if session is not None:
                kept.keep_session(cookie, session)
        if session is not None:
            return session.user, session
    return None, None
