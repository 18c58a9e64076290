"""The wallboard: the floor's live figures on the TV on the wall (pure; the feed is :mod:`dialer.web.live`'s).

Every figure is the dashboard document's (:func:`dialer.web.floor.dashboard_document`), restricted to what the
viewer may see (:func:`dialer.web.scope.scoped_dashboard`: a supervisor's teams, a kiosk token's teams and
campaigns) and picked for the screen: agents by state and the overdue pauses; per running campaign its calls and
live answers today, its abandon rate against its cap (and how close to it: :func:`abandon_level`) and its dial mode;
per inbound queue its callers waiting, the longest wait, the last hour's service level against the target. Nothing
is counted here that the dashboard does not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from dialer.reports.common import day_began
from dialer.web.scope import scoped_dashboard

# An abandon rate at this share of its cap or more is shown as close to it (the dashboard's gauges say the same).
ABANDON_WARN_SHARE = 0.8
WALLBOARD_STATES = ("ready", "talking", "wrapup", "paused")

AbandonLevel = Literal["ok", "warn", "over"]
ServiceLevel = Literal["ok", "below", "none"]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at a wallboard: ``agents`` it may show (None: every agent), ``campaigns`` (None: every one), the
    kiosk token it was opened with (None: a signed-in user) and that token's ``teams`` (whose members ``agents``
    are, followed when teams change)."""

    agents: frozenset[str] | None = None
    campaigns: frozenset[str] | None = None
    kiosk_token: int | None = None
    name: str = ""
    teams: tuple[int, ...] = ()


def today_began(now: float, zone: str) -> datetime:
    """When "today" began for a campaign at ``now`` (the daemon's clock): midnight in its time zone."""
    return day_began(datetime.fromtimestamp(now, UTC), zone)


def abandon_level(rate: float, cap: float) -> AbandonLevel:
    """How a campaign's abandon rate stands against its cap: over it, within 20 % of it (warn), or clear."""
    if cap <= 0:
        return "over" if rate > 0 else "ok"
    if rate >= cap:
        return "over"
    return "warn" if rate >= ABANDON_WARN_SHARE * cap else "ok"


def service_level(level: float | None, target: float) -> ServiceLevel:
    """How a queue's last hour stands against the service-level target (none: no call offered yet)."""
    if level is None:
        return "none"
    return "below" if level < target else "ok"


def _campaign(c: Mapping[str, Any]) -> dict[str, Any]:
    window = c.get("abandon_window") or {}
    rate, cap = float(window.get("rate", 0.0)), float(window.get("cap", 0.0))
    today = c.get("today") or {}
    return {
        "campaign": c["campaign"],
        "dial_mode": "agentless" if c.get("agentless") else c.get("dial_mode"),
        "calls_today": today.get("calls", 0),
        "live_answers_today": today.get("live_answers", 0),
        "abandon_rate": rate,
        "abandon_cap": cap,
        "abandon_window_hours": window.get("hours"),
        "abandon_margin": cap - rate,
        "abandon_level": abandon_level(rate, cap),
    }


def _queue(q: Mapping[str, Any], rule: Mapping[str, Any]) -> dict[str, Any]:
    hour = q.get("last_hour") or {}
    level = hour.get("service_level")
    longest = q.get("longest_waiting_seconds")
    return {
        "queue": q["queue"],
        "waiting": q.get("waiting", 0),
        "longest_waiting_seconds": longest,
        "late": longest is not None and longest > rule.get("answer_within_seconds", float("inf")),
        "service_level": level,
        "service_level_target": rule.get("target"),
        "service_level_state": service_level(level, float(rule.get("target", 0.0))),
    }


def wallboard_document(doc: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    """The wallboard of the dashboard document ``doc`` as ``viewer`` may see it."""
    shown = scoped_dashboard(doc, viewer.agents, viewer.campaigns)
    by_state = shown.get("agents_by_state", {})
    rule = shown.get("service_level_rule") or {}
    return {
        "at": shown.get("at"),
        "name": viewer.name,
        "agents": {state: int(by_state.get(state, 0)) for state in WALLBOARD_STATES},
        "pauses_overdue": int(shown.get("pauses_overdue", 0)),
        "hands_raised": int(shown.get("hands_raised", 0)),
        "campaigns": [_campaign(c) for c in shown.get("campaigns", []) if c.get("state") == "running"],
        "inbound": [_queue(q, rule) for q in shown.get("inbound", [])],
        "service_level_rule": rule,
    }
