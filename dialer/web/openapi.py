"""The OpenAPI 3.1 document, generated from the route table (so it cannot drift from what is served)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dialer.web.problems import problem_types
from dialer.web.routing import EXTERNAL_ROUTES, RouteSpec, RouteTable

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {
            "type": "string",
            "enum": problem_types(),
            "description": "What went wrong, for a program: the status's reason phrase, or a more precise kind "
            "(docs/integration.md lists them)",
        },
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
_ERROR_TEXT = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Authenticated, but the role may not do this (or CSRF token missing)",
    404: "No such resource",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Unsupported request content type",
    422: "Validation failed",
    429: "Too many failed logins: retry after Retry-After seconds",
}
# Path parameters: ids are positive integers (bounded, so fuzzers stay within the database's integer range).
_ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999}
_NAME_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 100}


def _schema_of(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": (spec.handler.__name__ if spec.handler else spec.openapi_path),
        "summary": spec.summary,
        "tags": [spec.tag],
    }
    params = []
    for name in spec.path_params():
        schema = _ID_SCHEMA if name.endswith("_id") else _NAME_SCHEMA
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if spec.query is not None:
        params.extend(_query_parameters(spec.query, components))
    params.extend(spec.header_params)
    if params:
        op["parameters"] = params
    errors = set(spec.errors)
    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_of(spec.body, components)}},
        }
        errors |= {400, 415, 422}
    elif spec.body_content is not None:
        op["requestBody"] = {"required": True, "content": spec.body_content}
        errors |= {400, 415, 422}
    if spec.query is not None:
        errors.add(422)
    if spec.path_params():
        errors.add(404)
    if spec.roles:
        errors |= {401, 403}
        op["security"] = [{"bearer": []}, {"session": []}]
    else:
        op["security"] = []
    content_schema = spec.response
    responses: dict[str, Any] = {
        str(spec.status): {
            "description": "OK",
            "content": spec.response_content or {spec.response_content_type: {"schema": content_schema}},
        }
    }
    for status in sorted(errors):
        responses[str(status)] = _problem_response(status)
    op["responses"] = responses
    roles = ", ".join(sorted(r.value for r in spec.roles)) or "public"
    op["description"] = f"Roles: {roles}."
    return op


# The read-outs dialer.app serves itself (EXTERNAL_ROUTES: not in a route table): what each answers.
_EXTERNAL_OPERATIONS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "operationId": "healthz",
        "summary": "Liveness: the daemon's HTTP server answers",
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"type": "object", "required": ["status"]}}},
            }
        },
    },
    "/status": {
        "operationId": "status",
        "summary": "The daemon's health, campaigns, calls and AMI sessions (what `dialer status` shows)",
        "responses": {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"type": "object", "required": ["health"]}}},
            },
            "503": {
                "description": "The daemon is down (no AMI session): the same document",
                "content": {"application/json": {"schema": {"type": "object", "required": ["health"]}}},
            },
        },
    },
    "/metrics": {
        "operationId": "metrics",
        "summary": "Prometheus metrics",
        "responses": {"200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}},
    },
}


def _external_operation(path: str) -> dict[str, Any]:
    roles = EXTERNAL_ROUTES[path]
    op: dict[str, Any] = {**_EXTERNAL_OPERATIONS[path], "tags": ["meta"]}
    op["responses"] = dict(op["responses"])
    if roles:
        op["security"] = [{"bearer": []}, {"session": []}]
        op["description"] = (
            f"Roles: {', '.join(sorted(r.value for r in roles))}; without credentials from a loopback address "
            "(no forwarding headers)."
        )
        for status in (401, 403):
            op["responses"][str(status)] = _problem_response(status)
    else:
        op["security"] = []
        op["description"] = "Roles: public."
    return op


# The headers an error answer carries for a script to act on.
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with (Bearer)",
            "schema": {"type": "string"},
        }
    },
    409: {
        "Retry-After": {
            "description": "Seconds after which the same request may succeed (only when retrying helps, e.g. a "
            "request whose Idempotency-Key still runs)",
            "required": False,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the next try is allowed",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERROR_TEXT.get(status, "Error"),
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in _ERROR_HEADERS:
        response["headers"] = _ERROR_HEADERS[status]
    return response


def build_document(table: RouteTable, *, version: str) -> dict[str, Any]:
    components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for spec in table.specs:
        if not spec.in_openapi:
            continue
        paths.setdefault(spec.openapi_path, {})[spec.method.lower()] = operation(spec, components)
    for path in EXTERNAL_ROUTES:
        paths[path] = {"get": _external_operation(path)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dialer API",
            "version": version,
            "description": (
                "Predictive dialer: campaigns, leads, agents, callbacks. Authenticate with "
                "'Authorization: Bearer <token>' (`dialer user token NAME`). Errors are RFC 9457 problem documents."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "dialer_session"},
            },
        },
    }
