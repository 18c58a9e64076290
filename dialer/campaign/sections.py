"""The sections of a campaign file (caller ID, retries, AMD, ordering, time zones, pacing, preview,
dispositions, schedule, import, compliance) and the duration and calling-window values they are written in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

import phonenumbers
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from dialer.calls.outcome import Outcome
from dialer.campaign.regimes import ComplianceRegime
from dialer.campaign.windows import WeeklyWindow, is_known_zone
from dialer.pacing.snapshot import PacingSettings

# -- durations --------------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: object) -> timedelta:
    """``"90s"``, ``"10m"``, ``"2h"``, ``"1h30m"``, ``"3d"``; a bare number is seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"duration {value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m and any(m.groups()):
            d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            return timedelta(days=d, hours=h, minutes=mi, seconds=s)
    raise ValueError(f"duration {value!r} is not like '90s', '10m', '2h', '1h30m' or '3d'")


def format_duration(value: timedelta) -> str:
    total = int(value.total_seconds())
    if total == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


def _parse_window(value: object) -> WeeklyWindow:
    if isinstance(value, WeeklyWindow):
        return value
    if isinstance(value, str):
        return WeeklyWindow.every_day(value)
    if isinstance(value, dict):
        return WeeklyWindow.from_mapping(value)
    raise ValueError("a calling window is '08:00-21:00' or a table of day -> 'HH:MM-HH:MM' / 'closed'")


Window = Annotated[
    WeeklyWindow,
    BeforeValidator(_parse_window),
    PlainSerializer(lambda w: w.to_mapping(), return_type=dict[str, str], when_used="json"),
]


# -- sections ---------------------------------------------------------------------------------------------------

_Frozen = ConfigDict(frozen=True, extra="forbid")
SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class CallerId(BaseModel):
    """The presented number (must be a valid diallable number: FCC / Ofcom / CRTC) and the display name."""

    model_config = _Frozen
    number: str = Field(description="Caller ID number, E.164 or national in the regime's region")
    name: str = Field(default="", max_length=40, description="Caller ID name (CNAM shows at most 15 characters)")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        if any(c in v for c in '"<>\r\n\t') or not v.isprintable():
            raise ValueError("the caller ID name may not contain quotes, <, >, or control characters")
        return v.strip()


class RetryRule(BaseModel):
    """What an outcome does to the lead: retry after ``delay``, or close it; whether it uses an attempt."""

    model_config = _Frozen
    action: Literal["retry", "close"] = "retry"
    delay: Duration = timedelta(0)
    counts: bool = Field(default=True, description="the attempt counts against max_attempts")


# Outcomes whose handling is a retry rule. connected/abandoned/machine are answered; unallocated and invalid_number
# archive the number (not configurable: dialling a number that does not exist again is never useful).
RETRYABLE_OUTCOMES: tuple[Outcome, ...] = (
    Outcome.BUSY,
    Outcome.NO_ANSWER,
    Outcome.CONGESTION,
    Outcome.FAILED,
    Outcome.MACHINE,
    Outcome.ABANDONED,
    Outcome.CANCELLED,
    Outcome.CONNECTED,
)


def default_retry_rules(regime: ComplianceRegime) -> dict[Outcome, RetryRule]:
    abandoned_delay = regime.no_recall_after_abandon or timedelta(hours=1)
    return {
        Outcome.BUSY: RetryRule(delay=timedelta(minutes=10)),
        Outcome.NO_ANSWER: RetryRule(delay=timedelta(hours=2)),
        Outcome.CONGESTION: RetryRule(delay=timedelta(minutes=5), counts=False),  # the network's fault
        Outcome.FAILED: RetryRule(delay=timedelta(minutes=30), counts=False),  # ours; max_dials still bounds it
        Outcome.MACHINE: RetryRule(delay=timedelta(hours=4)),
        Outcome.ABANDONED: RetryRule(delay=abandoned_delay, counts=False),  # our fault, not the lead's
        Outcome.CANCELLED: RetryRule(delay=timedelta(0), counts=False),  # hung up by us before an answer
        # A connected call normally ends with the agent's disposition; this applies only if none ever arrives.
        Outcome.CONNECTED: RetryRule(delay=timedelta(days=1)),
    }


class AmdOptions(BaseModel):
    model_config = _Frozen
    enabled: bool = False
    machine_action: Literal["retry", "close"] = Field(
        default="retry", description="retry: hang up and use retry.machine; close: the lead is done"
    )
    false_positive_rate: float | None = Field(
        default=None, ge=0, le=1, description="share of humans classed machine; defaults to the regime's estimate"
    )


class OrderingOptions(BaseModel):
    """How the claimer orders dialable leads."""

    model_config = _Frozen
    priority_first: bool = Field(default=True, description="higher lead priority first")
    new_share: float = Field(
        default=0.5, ge=0, le=1, description="target share of never-dialled leads in each claim (rest: due retries)"
    )
    callbacks_first: bool = Field(default=True, description="due callbacks before anything else")


class TimezoneOptions(BaseModel):
    model_config = _Frozen
    fallback: str = Field(
        default="skip", description="zone for numbers whose zone is unknown, or 'skip' (never dial them)"
    )
    prefer_postal_code: bool = Field(
        default=True, description="a US/CA postal code's zone replaces the number's candidates"
    )

    @field_validator("fallback")
    @classmethod
    def _zone_or_skip(cls, v: str) -> str:
        if v != "skip" and not is_known_zone(v):
            raise ValueError(f"{v!r} is neither 'skip' nor an IANA time zone")
        return v


class PacingOptions(BaseModel):
    model_config = _Frozen
    power_ratio: float = Field(default=1.5, ge=1, le=20, description="power mode: calls per free agent")
    abandon_target: float | None = Field(
        default=None, gt=0, le=1, description="predictive setpoint (≤ the cap); default: cap minus half a point"
    )
    aggressiveness: float = Field(default=1.0, gt=0, description="initial aggressiveness multiplier")
    aggressiveness_min: float = Field(
        default=PacingSettings.MIN_AGGRESSIVENESS, description="lowest manual override allowed"
    )
    aggressiveness_max: float = Field(
        default=PacingSettings.MAX_AGGRESSIVENESS, description="highest manual override allowed"
    )
    max_lines_per_agent: float = Field(
        default=12.0, ge=1, le=50, description="hard ceiling of calls in flight per available agent"
    )

    @model_validator(mode="after")
    def _bounds(self) -> PacingOptions:
        lo, hi = PacingSettings.MIN_AGGRESSIVENESS, PacingSettings.MAX_AGGRESSIVENESS
        if not lo <= self.aggressiveness_min <= self.aggressiveness_max <= hi:
            raise ValueError(
                f"aggressiveness bounds must satisfy {lo} <= aggressiveness_min <= aggressiveness_max <= {hi} "
                "(the pacer's limits)"
            )
        if not self.aggressiveness_min <= self.aggressiveness <= self.aggressiveness_max:
            raise ValueError("aggressiveness must lie within [aggressiveness_min, aggressiveness_max]")
        return self


class PreviewOptions(BaseModel):
    """Preview mode: the agent sees the lead before the call."""

    model_config = _Frozen
    timeout_seconds: int | None = Field(
        default=None, ge=5, le=3600, description="how long the agent may look at the lead; None: no limit"
    )
    on_timeout: Literal["dial", "skip"] = Field(
        default="skip", description="after the timeout: dial automatically, or put the lead back and skip it"
    )


class Disposition(BaseModel):
    """A button on the agent console that closes the attempt."""

    model_config = _Frozen
    code: str = Field(pattern=SLUG, description="stable code stored with the attempt")
    label: str = Field(min_length=1, max_length=40)
    hotkey: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]$|^F([1-9]|1[0-2])$")
    final: bool = Field(default=False, description="closes the lead (status done)")
    is_dnc: bool = Field(default=False, description="the called party asked not to be called: add to DNC")
    is_sale: bool = Field(default=False, description="counts as a sale / success in reports")
    schedules_callback: bool = Field(default=False, description="the agent picks a callback time")
    retry_after: Duration | None = Field(default=None, description="non-final: requeue after this delay")
    counts: bool = Field(default=True, description="non-final: the attempt counts against max_attempts")

    @model_validator(mode="after")
    def _coherent(self) -> Disposition:
        if self.schedules_callback and (self.final or self.is_dnc):
            raise ValueError(f"disposition {self.code!r}: a callback cannot also be final or DNC")
        if self.is_dnc and self.is_sale:
            raise ValueError(f"disposition {self.code!r}: cannot be both DNC and a sale")
        if self.retry_after is not None and (self.final or self.is_dnc or self.schedules_callback):
            raise ValueError(f"disposition {self.code!r}: retry_after only applies to non-final dispositions")
        return self

    @property
    def closes_lead(self) -> bool:
        return self.final or self.is_dnc


DEFAULT_DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition(code="sale", label="Sale", hotkey="1", final=True, is_sale=True),
    Disposition(code="not_interested", label="Not interested", hotkey="2", final=True),
    Disposition(code="callback", label="Call back", hotkey="3", schedules_callback=True),
    Disposition(code="no_decision", label="Think about it", hotkey="4", retry_after=timedelta(days=2)),
    Disposition(code="wrong_party", label="Wrong party", hotkey="5", final=True),
    Disposition(code="dnc", label="Do not call", hotkey="9", final=True, is_dnc=True),
)


class ScheduleRule(BaseModel):
    """A period during which the campaign runs, as two crontab expressions in the campaign's time zone."""

    model_config = _Frozen
    start: str = Field(description="crontab when the campaign starts, e.g. '0 9 * * mon-fri'")
    stop: str = Field(description="crontab when it stops, e.g. '0 18 * * mon-fri'")

    @field_validator("start", "stop")
    @classmethod
    def _cron(cls, v: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"{v!r} is not a crontab expression: {exc}") from exc
        return v


class ImportOptions(BaseModel):
    model_config = _Frozen
    default_region: str | None = Field(
        default=None, description="ISO region for numbers without a country code; default: the regime's"
    )

    @field_validator("default_region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and v.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{v!r} is not a region phonenumbers knows (ISO 3166 alpha-2, e.g. US, GB)")
        return v.upper() if v else v


class ComplianceOptions(BaseModel):
    """Overrides of the regime's limits: only stricter values are accepted."""

    model_config = _Frozen
    abandon_cap: float | None = Field(default=None, gt=0, le=1)
    abandon_window: Duration | None = None
    no_recall_after_abandon: Duration | None = None
