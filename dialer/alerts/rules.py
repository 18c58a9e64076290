"""The alert rules (pure): what each kind of alert watches, and the rule set of the daemon's settings
(``[[alerts]]``; :data:`DEFAULT_ALERT_RULES` when none is given).

Every rule has a threshold in its kind's unit, how long the condition must hold before the alert is raised
(``for_seconds``), how long it must be gone before it clears (``clear_seconds``), a hysteresis margin (the figure
must come back past the threshold by this much to count as gone) and a severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dialer.i18n import M_, Message


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertKind(StrEnum):
    """What a rule watches. Stable names: stored in the history and sent in the webhook events."""

    # a campaign's abandon rate over its regime's window within ``threshold`` (a fraction: 0.005 = 0.5 points) of
    # its cap
    ABANDON_NEAR_CAP = "abandon_near_cap"
    # an inbound queue's service level over the last hour below ``threshold`` (a share; 0: the
    # [inbound_service_level] target)
    SERVICE_LEVEL_LOW = "service_level_low"
    # the longest wait of the callers in an inbound queue now above ``threshold`` seconds
    CALLER_WAITING = "caller_waiting"
    # an agent paused longer than their pause code allows, by more than ``threshold`` seconds
    PAUSE_OVERDUE = "pause_overdue"
    # an agent's wrap-up (ended by their disposition) overdue by more than ``threshold`` seconds
    WRAPUP_OVERDUE = "wrapup_overdue"
    # a running campaign that placed no call for more than ``threshold`` seconds while agents of its queue are
    # ready and its runner says why it is not dialling (the reason in the alert)
    NOT_DIALLING = "not_dialling"
    # an Asterisk server's AMI connection down
    SERVER_DOWN = "server_down"


@dataclass(frozen=True, slots=True)
class KindInfo:
    title: Message  # the alert's name, shown on the dashboard
    above: bool  # the condition is the figure at or above its limit (False: at or below)
    unit: str  # how the figure reads: "rate" (a share), "seconds", "flag"


KINDS: dict[AlertKind, KindInfo] = {
    AlertKind.ABANDON_NEAR_CAP: KindInfo(M_("Abandon rate near the cap"), True, "rate"),
    AlertKind.SERVICE_LEVEL_LOW: KindInfo(M_("Service level below target"), False, "rate"),
    AlertKind.CALLER_WAITING: KindInfo(M_("Caller waiting too long"), True, "seconds"),
    AlertKind.PAUSE_OVERDUE: KindInfo(M_("Pause past its limit"), True, "seconds"),
    AlertKind.WRAPUP_OVERDUE: KindInfo(M_("Wrap-up overdue"), True, "seconds"),
    AlertKind.NOT_DIALLING: KindInfo(M_("Campaign not dialling"), True, "seconds"),
    AlertKind.SERVER_DOWN: KindInfo(M_("Asterisk server down"), True, "flag"),
}


class AlertRule(BaseModel):
    """One rule of ``[[alerts]]``. ``name`` identifies it (the history, the metrics' ``rule`` label; unique);
    ``min_volume``: the least live answers (abandon) or counted calls (service level) a rate needs to be judged."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9_]{1,64}$", description="unique, e.g. 'abandon_near_cap'")
    kind: AlertKind
    threshold: float = Field(default=0.0, ge=0, le=86400, description="in the kind's unit (a share or seconds)")
    for_seconds: float = Field(default=0.0, ge=0, le=86400, description="the condition holds this long: raised")
    clear_seconds: float = Field(default=0.0, ge=0, le=86400, description="gone this long: cleared")
    hysteresis: float = Field(default=0.0, ge=0, le=86400, description="back past the threshold by this: gone")
    severity: Severity = Severity.WARNING
    min_volume: int = Field(default=0, ge=0, le=1_000_000)
    enabled: bool = True

    @model_validator(mode="after")
    def _share(self) -> AlertRule:
        if KINDS[self.kind].unit == "rate" and (self.threshold > 1 or self.hysteresis > 1):
            raise ValueError(M_("alerts: {name}: threshold and hysteresis are shares (0 to 1)", name=repr(self.name)))
        return self

    @property
    def info(self) -> KindInfo:
        return KINDS[self.kind]


DEFAULT_ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule(
        name="abandon_near_cap",
        kind=AlertKind.ABANDON_NEAR_CAP,
        threshold=0.005,
        for_seconds=60,
        clear_seconds=300,
        hysteresis=0.002,
        severity=Severity.CRITICAL,
        min_volume=30,
    ),
    AlertRule(
        name="service_level_low",
        kind=AlertKind.SERVICE_LEVEL_LOW,
        for_seconds=300,
        clear_seconds=300,
        hysteresis=0.02,
        min_volume=10,
    ),
    AlertRule(name="caller_waiting", kind=AlertKind.CALLER_WAITING, threshold=120, for_seconds=0, hysteresis=60),
    AlertRule(name="pause_overdue", kind=AlertKind.PAUSE_OVERDUE, threshold=0, severity=Severity.INFO),
    AlertRule(name="wrapup_overdue", kind=AlertKind.WRAPUP_OVERDUE, threshold=120),
    AlertRule(name="not_dialling", kind=AlertKind.NOT_DIALLING, threshold=300, clear_seconds=30),
    AlertRule(name="server_down", kind=AlertKind.SERVER_DOWN, for_seconds=30, severity=Severity.CRITICAL),
)


def check_alert_rules(rules: Sequence[AlertRule]) -> None:
    """Raises ValueError (a translatable message) for a rule name listed twice."""
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise ValueError(M_("alerts: {name} is listed twice", name=repr(rule.name)))
        seen.add(rule.name)
