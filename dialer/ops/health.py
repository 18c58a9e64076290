"""Health as data: every component reports its state here; /status and /healthz read it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ComponentState(StrEnum):
    """How a component reports itself: starting, up, degraded (working, with a problem), down or stopped."""

    STARTING = "starting"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    """A component's latest report: its state, a sentence about it, since when it has been in that state, and any
    figures it added."""

    name: str
    state: ComponentState
    detail: str
    since: datetime
    data: dict[str, Any] = field(default_factory=dict)


class HealthRegistry:
    """Latest reported state per component; the clock is passed in so tests control `since`."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._components: dict[str, ComponentHealth] = {}

    def report(self, name: str, state: ComponentState, detail: str = "", **data: Any) -> None:
        previous = self._components.get(name)
        since = previous.since if previous is not None and previous.state == state else self._clock()
        self._components[name] = ComponentHealth(name, state, detail, since, dict(data))

    def forget(self, name: str) -> None:
        self._components.pop(name, None)

    def get(self, name: str) -> ComponentHealth | None:
        return self._components.get(name)

    def all_up(self, *names: str) -> bool:
        wanted = names or tuple(self._components)
        return all((c := self._components.get(n)) is not None and c.state == ComponentState.UP for n in wanted)

    def snapshot(self) -> dict[str, Any]:
        components = sorted(self._components.values(), key=lambda c: c.name)
        worst = ComponentState.UP
        for c in components:
            if c.state in (ComponentState.DOWN, ComponentState.STARTING):
                worst = ComponentState.DOWN
            elif c.state == ComponentState.DEGRADED and worst == ComponentState.UP:
                worst = ComponentState.DEGRADED
        return {
            "status": worst.value,
            "components": {
                c.name: {"state": c.state.value, "detail": c.detail, "since": c.since.isoformat(), **c.data}
                for c in components
            },
        }
