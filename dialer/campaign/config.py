"""The campaign model: one TOML file per campaign (see campaigns/example.toml for every option, commented).

A compliance regime preset (US / UK / CA) supplies the legal limits and the defaults; explicit options override
the defaults but never go beyond the limits (a wider calling window, a higher abandon cap, a longer cap window,
a shorter ring, or a recall-after-abandon sooner than the UK 72 h are refused with the field and the reason).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from dialer.calls.outcome import AbandonRules, Outcome
from dialer.campaign.regimes import MIN_RING_SECONDS, REGIMES, ComplianceRegime, RegimeName
from dialer.campaign.sections import (
    DEFAULT_DISPOSITIONS,
    RETRYABLE_OUTCOMES,
    SLUG,
    AmdOptions,
    CallerId,
    ComplianceOptions,
    Disposition,
    ImportOptions,
    OrderingOptions,
    PacingOptions,
    PreviewOptions,
    RetryRule,
    ScheduleRule,
    TimezoneOptions,
    Window,
    default_retry_rules,
    format_duration,
)
from dialer.campaign.windows import WeeklyWindow, WindowError, is_known_zone
from dialer.contract import OUTBOUND_CONTEXT
from dialer.parsing import DocumentError, load_toml


class CampaignConfigError(ValueError):
    """A campaign file that cannot be used; the message names the file, the field and the reason."""


class DialMode(StrEnum):
    PREVIEW = "preview"  # the agent sees the lead and clicks dial
    PROGRESSIVE = "progressive"  # one call per free agent: never abandons
    POWER = "power"  # a fixed number of calls per free agent (pacing.power_ratio)
    PREDICTIVE = "predictive"  # dials ahead of agents becoming free, held under the abandon cap


TRUNK_PLACEHOLDERS: dict[str, str] = {
    "number": "E.164 with the leading '+' (+14155550123)",
    "e164": "E.164 digits without '+' (14155550123)",
    "national": "national dialling format, digits only, with the trunk prefix (04155550123 / 02079460000)",
    "nsn": "national significant number, no trunk prefix (4155550123)",
    "country_code": "country calling code (1, 44, ...)",
    "international": "00 + E.164 digits (0014155550123)",
}


# -- the campaign -----------------------------------------------------------------------------------------------


class CampaignConfig(BaseModel):
    """One campaign, validated once; immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    name: str = Field(pattern=SLUG, description="slug used in the CLI, URLs and the store")
    description: str = ""
    dial_mode: DialMode = DialMode.PROGRESSIVE
    queue: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,80}$", description="Asterisk queue the agents are members of")
    trunk: str = Field(description="dial string template, e.g. 'PJSIP/{number}@carrier'")
    dial_context: str = Field(
        default=OUTBOUND_CONTEXT, pattern=r"^[A-Za-z0-9_.-]{1,80}$", description="dialplan context on answer"
    )
    caller_id: CallerId
    ring_timeout_seconds: int = Field(default=25, le=120)
    regime: RegimeName = RegimeName.US
    compliance: ComplianceOptions = ComplianceOptions()
    calling_window: Window | None = Field(default=None, description="called party's local time; default: regime's")
    timezone: str = Field(default="UTC", description="campaign time zone (schedule, reports)")
    schedule: tuple[ScheduleRule, ...] = ()
    max_attempts: int = Field(default=5, ge=1, le=100, description="counted attempts per lead")
    max_dials: int | None = Field(default=None, ge=1, description="all dials per lead; default 3 × max_attempts")
    retry: dict[Outcome, RetryRule] = Field(default_factory=dict)
    amd: AmdOptions = AmdOptions()
    ordering: OrderingOptions = OrderingOptions()
    timezones: TimezoneOptions = TimezoneOptions()
    pacing: PacingOptions = PacingOptions()
    preview: PreviewOptions = PreviewOptions()
    dispositions: tuple[Disposition, ...] = DEFAULT_DISPOSITIONS
    wrap_up_seconds: int = Field(default=15, ge=0, le=3600, description="wrap-up time before the agent is ready")
    lease_seconds: int = Field(default=120, ge=30, le=3600, description="claim lease: ring + setup + margin")
    imports: ImportOptions = Field(default=ImportOptions(), alias="import")

    # -- validation ---------------------------------------------------------------------------------------------

    @field_validator("trunk")
    @classmethod
    def _trunk_template(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z][A-Za-z0-9]*/\S+$", v):
            raise ValueError(f"{v!r} is not a dial string 'Tech/resource' (e.g. PJSIP/{{number}}@carrier)")
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(v) if f is not None]
        except ValueError as exc:
            raise ValueError(f"{v!r}: {exc}") from exc
        unknown = sorted(set(fields) - set(TRUNK_PLACEHOLDERS))
        if unknown:
            raise ValueError(f"unknown placeholder(s) {unknown}; known: {sorted(TRUNK_PLACEHOLDERS)}")
        if not set(fields) & {"number", "e164", "national", "nsn", "international"}:
            raise ValueError("the template must contain a number placeholder such as {number}")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if not is_known_zone(v):
            raise ValueError(f"{v!r} is not an IANA time zone")
        return v

    @field_validator("ring_timeout_seconds")
    @classmethod
    def _ring(cls, v: int) -> int:
        if v < MIN_RING_SECONDS:
            raise ValueError(f"must be at least {MIN_RING_SECONDS} s (FCC/Ofcom minimum ring time), got {v}")
        return v

    @field_validator("retry", mode="before")
    @classmethod
    def _retry_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            bad = sorted(
                str(k) for k in v if k not in {o.value for o in RETRYABLE_OUTCOMES} and k not in RETRYABLE_OUTCOMES
            )
            if bad:
                raise ValueError(
                    f"no retry rule for {bad}; configurable outcomes: {[o.value for o in RETRYABLE_OUTCOMES]} "
                    "(unallocated and invalid_number always archive the number)"
                )
        return v

    @model_validator(mode="after")
    def _apply_regime(self) -> CampaignConfig:
        reg = REGIMES[self.regime]
        # Fill regime defaults into the (frozen) model once; everything downstream reads resolved values.
        window = self.calling_window if self.calling_window is not None else reg.calling_hours
        too_wide = window.within(reg.calling_hours)
        if too_wide:
            raise ValueError(
                f"calling_window is wider than the {reg.name.value} regime allows on {', '.join(too_wide)} "
                f"(limit: {reg.calling_hours.to_mapping()})"
            )
        if all(d is None for d in window.days):
            raise ValueError("calling_window is closed every day: nothing could ever be dialled")
        object.__setattr__(self, "calling_window", window)

        comp = self.compliance
        cap = comp.abandon_cap if comp.abandon_cap is not None else reg.abandon_cap
        if cap > reg.abandon_cap:
            raise ValueError(f"compliance.abandon_cap {cap} exceeds the {reg.name.value} cap {reg.abandon_cap}")
        cap_window = comp.abandon_window if comp.abandon_window is not None else reg.abandon_window
        if cap_window > reg.abandon_window:
            raise ValueError(
                f"compliance.abandon_window {format_duration(cap_window)} is longer than the "
                f"{reg.name.value} window {format_duration(reg.abandon_window)} (a longer window hides peaks)"
            )
        recall = (
            comp.no_recall_after_abandon if comp.no_recall_after_abandon is not None else reg.no_recall_after_abandon
        )
        if reg.no_recall_after_abandon is not None and (recall is None or recall < reg.no_recall_after_abandon):
            raise ValueError(
                f"compliance.no_recall_after_abandon may not be shorter than the {reg.name.value} "
                f"{format_duration(reg.no_recall_after_abandon)}"
            )
        object.__setattr__(
            self,
            "compliance",
            ComplianceOptions(abandon_cap=cap, abandon_window=cap_window, no_recall_after_abandon=recall),
        )

        target = self.pacing.abandon_target
        if target is None:
            target = round(max(cap - 0.005, cap / 2), 6)
        elif target > cap:
            raise ValueError(f"pacing.abandon_target {target} is above the abandon cap {cap}")
        object.__setattr__(self, "pacing", self.pacing.model_copy(update={"abandon_target": target}))

        fp = self.amd.false_positive_rate
        if fp is None:
            fp = reg.amd_false_positive_rate
        object.__setattr__(self, "amd", self.amd.model_copy(update={"false_positive_rate": fp}))

        rules = default_retry_rules(reg)
        rules.update(self.retry)
        if self.amd.machine_action == "close" and Outcome.MACHINE not in self.retry:
            rules[Outcome.MACHINE] = RetryRule(action="close")
        abandoned = rules[Outcome.ABANDONED]
        if recall is not None and abandoned.action == "retry" and abandoned.delay < recall:
            raise ValueError(
                f"retry.abandoned.delay {format_duration(abandoned.delay)} is shorter than the "
                f"no-recall-after-abandon period {format_duration(recall)}"
            )
        object.__setattr__(self, "retry", rules)

        if self.max_dials is None:
            object.__setattr__(self, "max_dials", 3 * self.max_attempts)
        elif self.max_dials < self.max_attempts:
            raise ValueError(f"max_dials {self.max_dials} is below max_attempts {self.max_attempts}")

        # Counted in one pass each (linear: a campaign with 20 000 dispositions validates in milliseconds).
        codes = Counter(d.code for d in self.dispositions)
        dup = sorted(c for c, n in codes.items() if n > 1)
        if dup:
            raise ValueError(f"duplicate disposition code(s) {dup}")
        keys = Counter(d.hotkey.upper() for d in self.dispositions if d.hotkey)
        dupk = sorted(k for k, n in keys.items() if n > 1)
        if dupk:
            raise ValueError(f"duplicate disposition hotkey(s) {dupk}")
        if not any(d.closes_lead for d in self.dispositions):
            raise ValueError("at least one disposition must be final (otherwise no lead can ever be closed)")

        region = self.imports.default_region or reg.default_region
        object.__setattr__(self, "imports", ImportOptions(default_region=region))
        object.__setattr__(self, "caller_id", _validated_caller_id(self.caller_id, region))
        return self

    # -- resolved accessors (always set after validation) ---------------------------------------------------

    @property
    def regime_preset(self) -> ComplianceRegime:
        return REGIMES[self.regime]

    @property
    def window(self) -> WeeklyWindow:
        assert self.calling_window is not None
        return self.calling_window

    @property
    def abandon_cap(self) -> float:
        assert self.compliance.abandon_cap is not None
        return self.compliance.abandon_cap

    @property
    def abandon_window(self) -> timedelta:
        assert self.compliance.abandon_window is not None
        return self.compliance.abandon_window

    @property
    def no_recall_after_abandon(self) -> timedelta | None:
        return self.compliance.no_recall_after_abandon

    @property
    def max_connect_seconds(self) -> float:
        """A live answer must reach an agent within this many seconds of the greeting (all regimes: 2 s)."""
        return self.regime_preset.max_connect_seconds

    @property
    def amd_false_positive_rate(self) -> float:
        """Share of live answers classed machine that the abandon rate must count (0 without AMD)."""
        if not self.amd.enabled:
            return 0.0
        return self.amd.false_positive_rate or 0.0

    @property
    def abandon_rules(self) -> AbandonRules:
        """What this campaign's regime counts as abandoned: the one definition of the pacer's window and the
        reports (see :func:`dialer.calls.outcome.count_answer`)."""
        return AbandonRules(
            early_hangup_is_abandon=self.regime_preset.early_hangup_is_abandon,
            allowance_seconds=self.max_connect_seconds,
            amd_false_positive_rate=self.amd_false_positive_rate,
        )

    def effective_regime(self) -> ComplianceRegime:
        """The regime with this campaign's (stricter) overrides applied."""
        return replace(
            self.regime_preset,
            abandon_cap=self.abandon_cap,
            abandon_window=self.abandon_window,
            calling_hours=self.window,
            no_recall_after_abandon=self.no_recall_after_abandon,
            amd_false_positive_rate=self.amd.false_positive_rate,
            default_region=self.default_region,
        )

    @property
    def abandon_target(self) -> float:
        assert self.pacing.abandon_target is not None
        return self.pacing.abandon_target

    @property
    def dial_limit(self) -> int:
        assert self.max_dials is not None
        return self.max_dials

    @property
    def default_region(self) -> str:
        assert self.imports.default_region is not None
        return self.imports.default_region

    def retry_rule(self, outcome: Outcome) -> RetryRule:
        return self.retry[outcome]

    def disposition(self, code: str) -> Disposition | None:
        for d in self.dispositions:
            if d.code == code:
                return d
        return None

    def dial_string(self, e164: str) -> str:
        """The Originate ``Channel`` for a number, from the trunk template."""
        return self.trunk.format(**dial_placeholders(e164))


def dial_placeholders(e164: str) -> dict[str, str]:
    """Values of the trunk template placeholders for an E.164 number (see TRUNK_PLACEHOLDERS)."""
    num = phonenumbers.parse(e164, None)
    national = re.sub(r"\D", "", phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL))
    digits = e164.lstrip("+")
    return {
        "number": "+" + digits,
        "e164": digits,
        "national": national,
        "nsn": phonenumbers.national_significant_number(num),
        "country_code": str(num.country_code),
        "international": "00" + digits,
    }


def _validated_caller_id(cid: CallerId, region: str) -> CallerId:
    try:
        num = phonenumbers.parse(cid.number, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"caller_id.number {cid.number!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(num):
        raise ValueError(f"caller_id.number {cid.number!r} is not a valid diallable number (region {region})")
    if phonenumbers.number_type(num) in (phonenumbers.PhoneNumberType.PREMIUM_RATE,):
        raise ValueError(f"caller_id.number {cid.number!r} is a premium-rate number: regulators forbid it")
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return CallerId(number=e164, name=cid.name)


# -- loading ----------------------------------------------------------------------------------------------------


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "campaign"


def load_campaign(data: dict[str, Any], source: str = "<campaign>") -> CampaignConfig:
    """Validate a parsed campaign table; errors list each field and why."""
    try:
        return CampaignConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"  {_location(err['loc'])}: {msg}")
        raise CampaignConfigError(f"{source}: invalid campaign\n" + "\n".join(lines)) from None
    except WindowError as exc:  # raised from inside a validator that pydantic does not wrap
        raise CampaignConfigError(f"{source}: calling_window: {exc}") from None


def load_campaign_file(path: str | Path) -> CampaignConfig:
    """Read and validate one campaign TOML file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CampaignConfigError(f"{p}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise CampaignConfigError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = load_toml(text, str(p))
    except DocumentError as exc:
        raise CampaignConfigError(str(exc)) from None
    return load_campaign(data, str(p))
