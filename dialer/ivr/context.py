"""What an IVR flow hands to the agent with the call: the context (path, keys, data, time) read back and summed up.

The flow writes it once (``DIALER_IVR_CONTEXT``, raised in ``UserEvent DialerIvrTransfer``, see
:func:`dialer.ivr.agi.encode_context`); the agent's screen pop shows :func:`summarize`'s one line, e.g.
``IVR inbound: account 1234 (found); tried balance; asked for an agent; 40 s in the IVR``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

VAR_PREFIX = "var_"


def summarize(context: Mapping[str, str]) -> str:
    """One line for a person: the flow, what the caller entered and what was found, the path, the time."""
    parts: list[str] = []
    variables = {k.removeprefix(VAR_PREFIX): v for k, v in context.items() if k.startswith(VAR_PREFIX)}
    entered = [f"{k} {v}" for k, v in variables.items() if k not in ("answered_by",) and "_" not in k]
    found = [f"{k.replace('_', ' ')} {v}" for k, v in variables.items() if "_" in k and k != "answered_by"]
    if entered:
        parts.append("entered " + ", ".join(entered))
    if found:
        parts.append("found " + ", ".join(found))
    path = context.get("path", "")
    if path:
        parts.append(f"path {path}")
    keys = context.get("keys", "")
    if keys:
        parts.append(f"keys {keys}")
    seconds = context.get("seconds")
    if seconds:
        parts.append(f"{seconds} s in the IVR")
    return f"IVR {context.get('flow', '?')}: " + "; ".join(parts)


class ContextBook:
    """The contexts of calls handed to queues, by the caller channel's Uniqueid, until an agent takes them (bounded:
    a caller who hangs up waiting never comes back for theirs)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._by_call: OrderedDict[str, dict[str, str]] = OrderedDict()

    def put(self, uniqueid: str, context: Mapping[str, str]) -> None:
        self._by_call[uniqueid] = dict(context)
        self._by_call.move_to_end(uniqueid)
        while len(self._by_call) > self._limit:
            self._by_call.popitem(last=False)

    def take(self, uniqueid: str) -> dict[str, str] | None:
        return self._by_call.pop(uniqueid, None)

    def __len__(self) -> int:
        return len(self._by_call)
