"""An integrator's walk of the OpenAPI document: every route the running app registers is described, nothing
described is missing, and every operation's cheap answers are what the document says.

For each operation the walk sends what a script meets first: no credentials, a wrong content type, a body that is
not JSON, an unknown field, an id that does not exist, and (reads only) the request itself with the right user.
Each answer's status must be one the operation documents, its content type the documented one, its body valid
against the documented schema (``jsonschema_rs``, kept by schemathesis), and every error an RFC 9457 problem whose
``type`` the document lists. The schemathesis fuzz (test_openapi_fuzz.py) goes deeper on fewer requests; this walk
is exhaustive and deterministic.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs
from harness.paths import REPO
from harness.web import WebWorld

from dialer.campaign.late_disposition import LateRefusal
from dialer.store.auth import Role
from dialer.web.problems import PROBLEM_KINDS, PROBLEM_TYPE_BASE, problem_types
from dialer.web.routing import ROUTE_INDEX, RouteSpec

# What a path parameter is filled with for the read requests: the demo's campaign and agent; ids that exist.
SAMPLES = {"name": "demo", "agent_id": "alice", "external_id": "nobody", "lead_id": "1", "list_id": "1"}
MISSING_ID = "987654321"
# Pages and the static files are not API routes (they answer HTML); the live websockets are not described.
NOT_API = re.compile(r"^/(?!api/|healthz$|status$|metrics$)")


def _app_routes(world: WebWorld) -> set[tuple[str, str]]:
    found = set()
    for route in world.app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD" or NOT_API.match(resource.canonical):
            continue
        found.add((route.method, re.sub(r"\{(\w+):(?:[^{}]|\{[^{}]*\})+\}", r"{\1}", resource.canonical)))
    return found


def _user_for(spec: RouteSpec | None) -> str:
    """The test user who may call the route: the manager where a manager may, else the admin, else the agent."""
    roles = spec.roles if spec is not None else frozenset({Role.MANAGER})
    if not roles or Role.MANAGER in roles:
        return "boss"
    if Role.ADMIN in roles:
        return "root"
    return "alice"


class Walk:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = document["components"]
        self.failures: list[str] = []
        self.problem_types = set(self.components["schemas"]["Problem"]["properties"]["type"]["enum"])

    def check(self, what: str, operation: dict[str, Any], answer: Any, body: bytes) -> None:
        """The answer (status, headers, ``body``) of ``what`` is one ``operation`` documents."""
        status, content_type = int(answer.status), answer.content_type
        described = operation["responses"].get(str(status))
        if described is None:
            self.failures.append(f"{what}: answered {status}, documented {sorted(operation['responses'])}")
            return
        for name, header in described.get("headers", {}).items():
            if header.get("required") and name not in answer.headers:
                self.failures.append(f"{what}: {status} without its documented header {name}")
        content = described.get("content", {})
        if not content:
            return
        if content_type not in content:
            self.failures.append(f"{what}: {status} as {content_type}, documented {sorted(content)}")
            return
        if content_type not in ("application/json", "application/problem+json"):
            return
        value = json.loads(body)
        schema = {**content[content_type].get("schema", {}), "components": self.components}
        for error in jsonschema_rs.Draft202012Validator(schema).iter_errors(value):
            self.failures.append(f"{what}: {status} body at {list(error.instance_path)}: {error.message}")
            break
        if content_type == "application/problem+json":
            if value.get("type") not in self.problem_types:
                self.failures.append(f"{what}: problem type {value.get('type')!r} is not documented")
            if value.get("status") != status:
                self.failures.append(f"{what}: problem status {value.get('status')} on a {status} answer")


async def _walk_operation(
    walk: Walk, client: Any, auth: dict[str, str], verb: str, path: str, operation: dict[str, Any]
) -> int:
    """Send ``verb path`` its cheap requests (``auth``: a user who may call it); 1 if its read answered 2xx."""
    what = f"{verb} {path}"
    declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    in_path = re.findall(r"\{(\w+)\}", path)
    if declared != in_path:
        walk.failures.append(f"{what}: path parameters {declared} documented, the path has {in_path}")
    url = re.sub(r"\{(\w+)\}", lambda m: SAMPLES.get(m.group(1), MISSING_ID), path)

    async def send(label: str, headers: dict[str, str], url: str = url, **kw: Any) -> int:
        answer = await client.request(verb, url, headers={"Accept": "application/json", **headers}, **kw)
        walk.check(f"{what} [{label}]", operation, answer, await answer.read())
        return int(answer.status)

    if operation["security"]:
        # Through a proxy: the loopback read-outs (/status, /metrics) need credentials then too.
        status = await send("no credentials", {"X-Forwarded-For": "203.0.113.9"})
        if status != 401:
            walk.failures.append(f"{what}: answered {status} without credentials")
        await send("wrong token", {"Authorization": "Bearer not-a-token"})
    if any(p.endswith("_id") and p != "agent_id" for p in in_path):
        missing = re.sub(r"\{(\w+)\}", lambda m: SAMPLES["agent_id"] if m.group(1) == "agent_id" else MISSING_ID, path)
        missing = missing.replace("{name}", SAMPLES["name"])
        await send("unknown id", auth, url=missing, json={})
    if "application/json" in operation.get("requestBody", {}).get("content", {}):
        await send("text body", {**auth, "Content-Type": "text/plain"}, data=b"{}")
        await send("not JSON", {**auth, "Content-Type": "application/json"}, data=b"{not json")
        await send("unknown field", auth, json={"no_such_field_anywhere": 1})
    return 1 if verb == "GET" and 200 <= await send("read", auth) < 300 else 0


async def test_every_route_is_described_and_answers_as_described(world: WebWorld, client: Any) -> None:
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    document = await resp.json()
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    registered = _app_routes(world)
    assert registered - described == set(), "routes the app serves that the document does not describe"
    assert described - registered == set(), "operations the document describes that the app does not serve"

    specs = {
        (m, re.sub(r"\{(\w+):(?:[^{}]|\{[^{}]*\})+\}", r"{\1}", p)): s for (m, p), s in world.app[ROUTE_INDEX].items()
    }
    walk = Walk(document)
    reads_ok = 0
    for path, operations in sorted(document["paths"].items()):
        for method, operation in sorted(operations.items()):
            user = _user_for(specs.get((method.upper(), path)))
            reads_ok += await _walk_operation(walk, client, world.auth(user), method.upper(), path, operation)
    # The one rate limit a script can meet: failed logins, answered 429 with Retry-After.
    login = document["paths"]["/api/login"]["post"]
    statuses = []
    for _ in range(8):
        answer = await client.post("/api/login", json={"name": "boss", "password": "wrong"})
        walk.check("POST /api/login [wrong password]", login, answer, await answer.read())
        statuses.append(answer.status)
    assert statuses[0] == 401
    assert statuses[-1] == 429
    assert not walk.failures, "\n".join(walk.failures)
    assert reads_ok > 40


def test_every_problem_kind_the_code_raises_is_documented() -> None:
    """Each ``kind="..."`` a Problem (or ``refused``) is given in the web tier is one the document lists."""
    raised = set()
    for source in (REPO / "dialer").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if "Problem(" in text or "refused(" in text:
            # (not the {kind} of the message "no such {kind} {value}")
            raised |= set(re.findall(r'\bkind="([a-z-]+)"(?!, value=)', text))
    for source in (REPO / "dialer").rglob("*.py"):  # kinds made of a code: agent-<AgentError code>, Refused(...)
        text = source.read_text(encoding="utf-8")
        raised |= {"agent-" + c.replace("_", "-") for c in re.findall(r'AgentError\(\s*\w+,\s*"(\w+)"', text)}
        raised |= set(re.findall(r'Refus(?:ed|al)\([^()]*(?:\([^()]*\)[^()]*)*, "([a-z-]+)"', text))
    raised |= {"late-disposition-" + r.value.replace("_", "-") for r in LateRefusal}
    raised -= {"scale"}  # a scorecard criterion's kind (dialer.quality.scorecard), not a problem
    assert raised, "the scan found no problem kinds"
    assert raised - set(PROBLEM_KINDS) == set()
    documented = {t.removeprefix(PROBLEM_TYPE_BASE) for t in problem_types()}
    assert set(PROBLEM_KINDS) <= documented
    assert {"not-found", "unauthorized", "too-many-requests", "internal-server-error"} <= documented
