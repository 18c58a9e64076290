"""The campaign model: one TOML file per campaign (see campaigns/example.toml for every option, commented).

A compliance regime preset (US / UK / CA / JP / CN) supplies the legal limits and the defaults; explicit options
override the defaults but never go beyond the limits (a wider calling window, a higher abandon cap, a longer cap window,
a shorter ring, or a recall-after-abandon sooner than the UK 72 h are refused with the field and the reason).

Over 500 lines: every section of the file (dispositions, pacing, AMD, call control, recording, CRM, agentless, the
JP/CN identification) and the regime presets, whose cross-section checks (``CampaignConfig``'s validators) need them
all. The sections and the presets are meant to move to modules of their own (issue 15).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from dialer.calls.outcome import AbandonRules, Outcome
from dialer.campaign.callerid import own_area_prefix, prefix_table, presented_number
from dialer.campaign.holiday_calendar import ClosedDays, supported_countries
from dialer.campaign.names import is_cjk_name
from dialer.campaign.windows import WeeklyWindow, WindowError, is_known_zone
from dialer.contract import IVR_CONTEXT, OUTBOUND_CONTEXT
from dialer.i18n import M_, N_, message_of, render
from dialer.i18n.library import os_error_text
from dialer.i18n.validation import at_most_items, validation_message
from dialer.ivr.flow import FlowError, parse_flow
from dialer.pacing.snapshot import PacingSettings, default_abandon_setpoint
from dialer.parsing import DocumentError, load_toml
from dialer.quality.scorecard import Scorecard, default_scorecard
from dialer.scripts.sections import ScriptSection, check_sections
from dialer.scripts.template import check_template

MIN_RING_SECONDS = 15  # FCC 64.1200(a)(6) and Ofcom: ring at least 15 s (or four rings) before giving up


class CampaignConfigError(ValueError):
    """A campaign file that cannot be used; the message names the file, the field and the reason."""


class DialMode(StrEnum):
    PREVIEW = "preview"  # the agent sees the lead and clicks dial
    PROGRESSIVE = "progressive"  # one call per free agent: never abandons
    POWER = "power"  # a fixed number of calls per free agent (pacing.power_ratio)
    PREDICTIVE = "predictive"  # dials ahead of agents becoming free, held under the abandon cap


class RecordingMode(StrEnum):
    """Which calls Asterisk records (MixMonitor, one file per call named by its attempt id)."""

    NONE = "none"
    ALL = "all"  # every call, from the moment an agent takes it (the agent may pause it: card numbers)
    ON_DEMAND = "on_demand"  # the agent starts, pauses and stops it


class WrapUpEnd(StrEnum):
    """What ends an agent's wrap-up (after-call work) of a campaign call."""

    TIMER = "timer"  # the disposition, or wrap_up_seconds running out (then timeout_disposition, if any, is recorded)
    DISPOSITION = "disposition"  # only the disposition: no next call before the last one is dispositioned


class RegimeName(StrEnum):
    US = "US"
    UK = "UK"
    CA = "CA"
    JP = "JP"  # 特定商取引法 §16/§17 (telemarketing) with a 3 % internal abandon policy
    CN = "CN"  # MIIT rules on commercial voice calls: consent first, refusal ends it, a real assigned caller ID


# -- durations --------------------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(value: object) -> timedelta:
    """``"90s"``, ``"10m"``, ``"2h"``, ``"1h30m"``, ``"3d"``; a bare number is seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(M_("duration {value} is not a duration", value=repr(value)))
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(M_("a duration cannot be negative"))
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m and any(m.groups()):
            d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            return timedelta(days=d, hours=h, minutes=mi, seconds=s)
    raise ValueError(M_("duration {value} is not like '90s', '10m', '2h', '1h30m' or '3d'", value=repr(value)))


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


def _never_is_none(value: object) -> object:
    """``"never"`` (a duration that never runs out) read as None."""
    return None if isinstance(value, str) and value.strip().lower() == "never" else value


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
    raise ValueError(M_("a calling window is '08:00-21:00' or a table of day -> 'HH:MM-HH:MM' / 'closed'"))


Window = Annotated[
    WeeklyWindow,
    BeforeValidator(_parse_window),
    PlainSerializer(lambda w: w.to_mapping(), return_type=dict[str, str], when_used="json"),
]


# -- compliance regimes -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComplianceRegime:
    """Legal limits and defaults of one jurisdiction (see docs/domain.md, "Compliance figures")."""

    name: RegimeName
    abandon_cap: float  # abandoned / live answers, the legal maximum
    abandon_window: timedelta  # the rolling window over which the cap is measured
    calling_hours: WeeklyWindow  # widest hours allowed, called party's local time
    no_recall_after_abandon: timedelta | None  # UK: no re-call within 72 h of an abandoned call
    amd_false_positive_rate: float | None  # estimate of humans classed machine, added to abandons (Ofcom)
    default_region: str  # phone numbers without a country code are read in this region
    min_ring_seconds: int = MIN_RING_SECONDS
    max_connect_seconds: float = 2.0  # a live answer must reach an agent within 2 s of the greeting
    # A callee who hangs up within max_connect_seconds of answering (during AMD, before an agent could be reached)
    # counts as abandoned? US: no (47 CFR 64.1200(a)(7): not connected within 2 s of the completed greeting -- the
    # dialer did not abandon someone who left first). UK (Ofcom) and CA (CRTC) texts do not say: yes (conservative).
    early_hangup_is_abandon: bool = True
    # JP: the campaign must define the identification the agent gives first (business, agent, product kind, that
    # it is a sales call), present in the agent script and in any recorded message.
    requires_identification: bool = False
    # JP / CN: a disposition with this code must exist and put the number on the campaign's DNC list for good.
    refusal_disposition: str | None = None
    # CN: only leads with recorded consent (source and time) may be dialled.
    requires_consent: bool = False
    # CN: the caller ID must be a valid fixed-line or mobile number of this region (no withheld or foreign CLI).
    caller_id_region: str | None = None
    # No calls on the public holidays of the called party's country, read in their local date (the default of
    # ``[holidays] observe``); ``holidays_required``: the campaign may not turn them off (JP, CN: centres never
    # call on national holidays); ``holiday_subdivisions``: per country, the subdivisions whose holidays apply too.
    observes_holidays: bool = True
    holidays_required: bool = False
    holiday_subdivisions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The safe-harbour (abandoned call) message, in the regime's language; {business} and {product} are filled
    # from the campaign (identification, else the caller ID name).
    safe_harbour_template: str = (
        "This is {business}. We called you about {product} but no agent is free to take the call. "
        "Press 9 if you do not want to be called again."
    )


REFUSED = "refused"  # the JP / CN refusal disposition code

REGIMES: dict[RegimeName, ComplianceRegime] = {
    RegimeName.US: ComplianceRegime(
        name=RegimeName.US,
        abandon_cap=0.03,  # FCC 47 CFR 64.1200(a)(7): 3 % of live answers per campaign per 30 days
        abandon_window=timedelta(days=30),
        calling_hours=WeeklyWindow.every_day("08:00-21:00"),  # TSR / TCPA; some states 08:00-20:00: narrow it
        no_recall_after_abandon=None,
        amd_false_positive_rate=None,
        default_region="US",
        early_hangup_is_abandon=False,
        # Federal holidays in every US zone: several states (e.g. Louisiana, Alabama, Rhode Island) forbid
        # telemarketing on legal holidays; the federal ones are the days every state keeps. A campaign calling such
        # a state names it in [holidays] subdivisions for the state's own holidays.
    ),
    RegimeName.UK: ComplianceRegime(
        name=RegimeName.UK,
        abandon_cap=0.03,  # Ofcom persistent-misuse policy: 3 % of live calls per campaign over any 24 h
        abandon_window=timedelta(hours=24),
        calling_hours=WeeklyWindow.every_day("08:00-21:00"),  # Ofcom says "reasonable hours"; project default
        no_recall_after_abandon=timedelta(hours=72),
        # Ofcom wants a reasoned estimate of live calls wrongly classed as machines counted as abandoned; this is
        # a conservative placeholder until the campaign measures its own AMD accuracy.
        amd_false_positive_rate=0.10,
        default_region="GB",
        # Centres avoid bank holidays; the zone (Europe/London) does not tell the nation, so every nation's bank
        # holidays close the day (Easter Monday and the August holiday of England and Wales, St Andrew's Day ...).
        holiday_subdivisions=(("GB", ("ENG", "NIR", "SCT", "WLS")),),
    ),
    RegimeName.CA: ComplianceRegime(
        name=RegimeName.CA,
        abandon_cap=0.05,  # CRTC Unsolicited Telecommunications Rules: 5 % per campaign per 30 days
        abandon_window=timedelta(days=30),
        calling_hours=WeeklyWindow.from_mapping({"weekdays": "09:00-21:30", "weekend": "10:00-18:00"}),
        no_recall_after_abandon=None,
        amd_false_positive_rate=None,
        default_region="CA",
    ),
    RegimeName.JP: ComplianceRegime(
        name=RegimeName.JP,
        # Japan sets no legal abandon cap: 3 % of live answers over 24 h is the project's internal policy (the
        # shorter window is the stricter one), with the safe-harbour message in Japanese.
        abandon_cap=0.03,
        abandon_window=timedelta(hours=24),
        calling_hours=WeeklyWindow.every_day("09:00-20:00"),  # stricter than US; configurable narrower
        no_recall_after_abandon=None,
        amd_false_positive_rate=None,
        default_region="JP",
        holidays_required=True,  # 国民の祝日: centres never call (industry practice; kept as a limit)
        requires_identification=True,  # 特定商取引法 §16: name, who calls, product kind, that it is a solicitation
        refusal_disposition=REFUSED,  # §17: no re-solicitation after a refusal
        safe_harbour_template=(
            "{business}でございます。{product}のご案内（営業のお電話）でおかけしましたが、ただいま担当者に"
            "おつなぎできません。今後のお電話をご希望でない場合は9を押してください。"
        ),
    ),
    RegimeName.CN: ComplianceRegime(
        name=RegimeName.CN,
        abandon_cap=0.03,  # no legal figure: the project's 3 % policy over 24 h
        abandon_window=timedelta(hours=24),
        calling_hours=WeeklyWindow.every_day("09:00-20:00"),
        no_recall_after_abandon=None,
        amd_false_positive_rate=None,
        default_region="CN",
        refusal_disposition=REFUSED,  # an explicit refusal stops all further calls
        holidays_required=True,  # 法定节假日 (and the days off moved next to them): no commercial calls
        requires_consent=True,  # commercial calls only with the called party's consent
        caller_id_region="CN",  # a real number assigned to the business: no withheld or foreign-format CLI
        safe_harbour_template=(
            "您好，这里是{business}，我们致电向您介绍{product}，但目前没有空闲的客服人员接听。"
            "如不希望再接到我们的电话，请按9。"
        ),
    ),
}


# -- sections ---------------------------------------------------------------------------------------------------

_Frozen = ConfigDict(frozen=True, extra="forbid")
SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"
TRUNK_PLACEHOLDERS: dict[str, str] = {
    "number": "E.164 with the leading '+' (+14155550123)",
    "e164": "E.164 digits without '+' (14155550123)",
    "national": "national dialling format, digits only, with the trunk prefix (04155550123 / 02079460000)",
    "nsn": "national significant number, no trunk prefix (4155550123)",
    "country_code": "country calling code (1, 44, ...)",
    "international": "00 + E.164 digits (0014155550123)",
}


class LocalCallerId(BaseModel):
    """Local presence: one of the business's numbers, presented to the called numbers that start with one of its
    ``prefixes`` (:mod:`dialer.campaign.callerid`)."""

    model_config = _Frozen
    number: str = Field(description="the local number, E.164 or national in the regime's region")
    prefixes: tuple[Annotated[str, Field(pattern=r"^\+[1-9][0-9]{0,14}$")], ...] = Field(
        default=(),
        max_length=1000,
        description="E.164 prefixes of the called numbers it is shown to, e.g. '+1212'; default: its own area",
    )


# A campaign's local numbers are bounded like its dispositions: a national carrier's spread of area codes is a few
# hundred numbers.
MAX_LOCAL_CALLER_IDS = 2000


class CallerId(BaseModel):
    """The presented number (must be a valid diallable number: FCC / Ofcom / CRTC) and the display name; with
    ``local``, local presence: the business's local number for the called party's area."""

    model_config = _Frozen
    number: str = Field(description="Caller ID number, E.164 or national in the regime's region")
    name: str = Field(default="", max_length=40, description="Caller ID name (CNAM shows at most 15 characters)")
    local: tuple[LocalCallerId, ...] = Field(
        default=(), max_length=MAX_LOCAL_CALLER_IDS, description="local presence: local numbers by called prefix"
    )
    _table: dict[str, tuple[str, ...]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._table = prefix_table((local.number, local.prefixes) for local in self.local)

    def presented(self, phone: str, lead_id: int) -> str:
        """The number a call to ``phone`` (E.164) of lead ``lead_id`` presents (:func:`presented_number`)."""
        return presented_number(self.number, self._table, phone, lead_id)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        if any(c in v for c in '"<>\r\n\t') or not v.isprintable():
            raise ValueError(M_("the caller ID name may not contain quotes, <, >, or control characters"))
        return v.strip()


class Identification(BaseModel):
    """What the agent says first and any recorded message states (JP 特定商取引法 §16: required)."""

    model_config = _Frozen
    business_name: str = Field(min_length=1, max_length=100, description="the seller's name")
    product: str = Field(min_length=1, max_length=100, description="the kind of goods or service offered")
    solicitation: str = Field(
        min_length=1, max_length=200, description="the sentence saying the call is a sales solicitation"
    )


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
    Outcome.SELF_SERVICE,
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
        Outcome.SELF_SERVICE: RetryRule(action="close"),  # the flow served the person (agentless campaigns)
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
    pause_near_cap: bool = Field(
        default=True,
        description="where the regime counts AMD's false positives as abandons: place calls without AMD while the"
        " abandon guard holds and while the legal window is too young to absorb them (machines reach agents, who"
        " mark them with a machine disposition)",
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
            raise ValueError(M_("{value} is neither 'skip' nor an IANA time zone", value=repr(v)))
        return v


class PacingOptions(BaseModel):
    model_config = _Frozen
    power_ratio: float = Field(default=1.5, ge=1, le=20, description="power mode: calls per free agent")
    abandon_target: float | None = Field(
        default=None, gt=0, le=1, description="predictive setpoint (≤ the cap); default: cap minus 0.3 points"
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
                M_(
                    "aggressiveness bounds must satisfy {lo} <= aggressiveness_min <= aggressiveness_max <= {hi} "
                    "(the pacer's limits)",
                    lo=lo,
                    hi=hi,
                )
            )
        if not self.aggressiveness_min <= self.aggressiveness <= self.aggressiveness_max:
            raise ValueError(M_("aggressiveness must lie within [aggressiveness_min, aggressiveness_max]"))
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


class CrmOptions(BaseModel):
    """The CRM screen pop and the disposition call (issue 18). Templates name ``{lead_id}``, ``{phone}``,
    ``{first_name}``, ``{last_name}``, ``{external_id}``, custom fields as ``{fields.<name>}``, ``{attempt_id}``,
    ``{agent}`` and, for the disposition URL, ``{disposition}``; values are URL-encoded."""

    model_config = _Frozen
    popup_url: str | None = Field(default=None, max_length=2000, description="opened by the console on connect")
    popup_mode: Literal["tab", "frame"] = Field(
        default="tab", description="a new browser tab, or a frame in the console (the CRM origin is allowed by CSP)"
    )
    disposition_url: str | None = Field(
        default=None, max_length=2000, description="POSTed (signed, through the webhook outbox) on disposition"
    )

    @field_validator("popup_url", "disposition_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s{}]+(/\S*)?$", v):
            raise ValueError(
                M_("{value} must be an http(s) URL with a literal host (placeholders only after it)", value=repr(v))
            )
        return v


class CallControlOptions(BaseModel):
    """What agents may do from the console besides taking calls (dialer.callcontrol)."""

    model_config = _Frozen
    manual_dial: bool = Field(default=False, description="agents may dial a number or a lead by hand")
    transfer_queues: tuple[str, ...] = Field(
        default=(), description="queues a call may be transferred to (e.g. a closer queue)"
    )
    external_transfers: bool = Field(
        default=True, description="transfers and 3-way calls to outside numbers (same checks as the dialer)"
    )


# The agent console's own Alt+letter shortcuts (dialer/web/static/console.js: ready, pause, login, next lead, dial,
# skip, notes; ready.js: "ready in N s"; messages.js: raise hand): a disposition hotkey on one of them would fire the
# console's action too.
CONSOLE_SHORTCUT_KEYS = frozenset("rplgdsnih")


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
    is_machine: bool = Field(
        default=False,
        description="the agent reached an answering machine: not a live answer; the lead follows the machine rule",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Disposition:
        if self.hotkey is not None and self.hotkey.lower() in CONSOLE_SHORTCUT_KEYS:
            raise ValueError(
                M_(
                    "disposition {code}: hotkey {key} is one of the agent console's own shortcuts ({keys})",
                    code=repr(self.code),
                    key=repr(self.hotkey),
                    keys=", ".join(sorted(CONSOLE_SHORTCUT_KEYS)),
                )
            )
        if self.schedules_callback and (self.final or self.is_dnc):
            raise ValueError(M_("disposition {code}: a callback cannot also be final or DNC", code=repr(self.code)))
        if self.is_dnc and self.is_sale:
            raise ValueError(M_("disposition {code}: cannot be both DNC and a sale", code=repr(self.code)))
        if self.retry_after is not None and (self.final or self.is_dnc or self.schedules_callback):
            raise ValueError(
                M_("disposition {code}: retry_after only applies to non-final dispositions", code=repr(self.code))
            )
        if self.is_machine and (
            self.final or self.is_dnc or self.is_sale or self.schedules_callback or self.retry_after is not None
        ):
            raise ValueError(
                M_(
                    "disposition {code}: an answering machine follows the campaign's machine rule (retry.machine,"
                    " amd.machine_action); it cannot also be final, DNC, a sale, a callback or set retry_after",
                    code=repr(self.code),
                )
            )
        return self

    @property
    def closes_lead(self) -> bool:
        return self.final or self.is_dnc


# A campaign's disposition list is bounded: real ones hold tens (VICIdial's status lists, the presets here), and every
# disposition becomes objects the daemon holds and hands to each console. 1 000 leaves room for generated lists and
# keeps a campaign update light for the event loop that paces calls (issue 13: bound what a request may ask).
MAX_DISPOSITIONS = 1000

DEFAULT_DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition(code="sale", label="Sale", hotkey="1", final=True, is_sale=True),
    Disposition(code="not_interested", label="Not interested", hotkey="2", final=True),
    Disposition(code="callback", label="Call back", hotkey="3", schedules_callback=True),
    Disposition(code="no_decision", label="Think about it", hotkey="4", retry_after=timedelta(days=2)),
    Disposition(code="wrong_party", label="Wrong party", hotkey="5", final=True),
    Disposition(code="dnc", label="Do not call", hotkey="9", final=True, is_dnc=True),
    # A machine that reached an agent (AMD off, paused near the cap, or unsure): not a live answer.
    Disposition(code="answering_machine", label="Answering machine", hotkey="7", is_machine=True),
)
# Added to the defaults under a regime with a refusal disposition (JP, CN): the number goes on the campaign's DNC.
REFUSED_DISPOSITION = Disposition(code="refused", label="Refused", hotkey="8", final=True, is_dnc=True)


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
            raise ValueError(M_("{value} is not a crontab expression: {exc}", value=repr(v), exc=exc)) from exc
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
            raise ValueError(
                M_("{value} is not a region phonenumbers knows (ISO 3166 alpha-2, e.g. US, GB)", value=repr(v))
            )
        return v.upper() if v else v


class ComplianceOptions(BaseModel):
    """Overrides of the regime's limits: only stricter values are accepted."""

    model_config = _Frozen
    abandon_cap: float | None = Field(default=None, gt=0, le=1)
    abandon_window: Duration | None = None
    no_recall_after_abandon: Duration | None = None


# A campaign's closed dates: a year of them at most (each read in the called party's local date).
MAX_CLOSED_DATES = 366


def _holidays_shorthand(value: object) -> object:
    """``holidays = false`` / ``true`` (or "off" / "on") for ``[holidays] observe``."""
    if isinstance(value, bool):
        return {"observe": value}
    if isinstance(value, str) and value.strip().lower() in ("off", "on"):
        return {"observe": value.strip().lower() == "on"}
    return value


class HolidayOptions(BaseModel):
    """No calls on public holidays, each read in the called party's local date in every candidate zone."""

    model_config = _Frozen
    observe: bool | None = Field(
        default=None,
        description="the public holidays of each candidate zone's country close that zone all day (its local date); "
        "false: dialled as any other day (refused under JP and CN); default: the regime's (on in every regime)",
    )
    subdivisions: dict[str, tuple[str, ...]] | None = Field(
        default=None,
        description="per country (ISO code), the subdivisions whose holidays close the day too, in every zone of "
        'that country: US states, Canadian provinces, UK nations (e.g. { US = ["NY"], CA = ["ON", "QC"] }); '
        "default: the regime's (UK: all four nations)",
    )

    @field_validator("subdivisions", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: [s] if isinstance(s, str) else s for k, s in v.items()}
        return v

    @field_validator("subdivisions")
    @classmethod
    def _known(cls, v: dict[str, tuple[str, ...]] | None) -> dict[str, tuple[str, ...]] | None:
        if v is None:
            return v
        known = supported_countries()
        resolved: dict[str, tuple[str, ...]] = {}
        for country, subdivs in v.items():
            code = country.strip().upper()
            if code not in known:
                raise ValueError(M_("{value} is not a country with holiday data (ISO 3166 code)", value=repr(country)))
            upper = tuple(dict.fromkeys(s.strip().upper() for s in subdivs))
            unknown = [s for s in upper if s not in known[code]]
            if unknown:
                raise ValueError(
                    M_(
                        "{subdivisions} are not subdivisions of {country} with holiday data (known: {known})",
                        subdivisions=", ".join(unknown),
                        country=code,
                        known=", ".join(known[code]) or "-",
                    )
                )
            resolved[code] = upper
        return resolved


class AgentlessOptions(BaseModel):
    """``kind = "agentless"``: calls play an IVR flow; pacing by channels, CPS and a target finish time."""

    model_config = _Frozen
    purpose: Literal["broadcast", "reminder", "payment", "survey", "other"] = Field(
        default="other", description="what the campaign does (reports group by it)"
    )
    flow: str | None = Field(
        default=None, pattern=SLUG, description="flow file campaigns/ivr/<flow>.toml (or an inline [ivr] table)"
    )
    max_channels: int = Field(default=30, ge=1, le=10000, description="calls up at once (at most the trunks')")
    calls_per_second: float = Field(default=5.0, gt=0, le=1000, description="Originates in any second")
    target_finish: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="HH:MM (campaign time zone) the list should be done by; none: as fast as the caps allow",
    )
    global_opt_out: bool = Field(default=False, description="the opt-out key adds to the global DNC list")


# -- the campaign -----------------------------------------------------------------------------------------------


class CampaignConfig(BaseModel):
    """One campaign, validated once; immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    name: str = Field(pattern=SLUG, description="slug used in the CLI, URLs and the store")
    description: str = ""
    kind: Literal["agent", "agentless"] = Field(
        default="agent", description="agent: calls go to agents; agentless: calls play an IVR flow"
    )
    agentless: AgentlessOptions = AgentlessOptions()
    ivr: dict[str, Any] | None = Field(default=None, description="an inline IVR flow (see docs/ivr.md)")
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
    holidays: Annotated[HolidayOptions, BeforeValidator(_holidays_shorthand)] = Field(
        default=HolidayOptions(),
        description="public holidays on which nobody is called, in the called party's local date (false: off)",
    )
    closed_dates: tuple[date, ...] = Field(
        default=(),
        max_length=MAX_CLOSED_DATES,
        description="the company's own closed days (YYYY-MM-DD): nobody is called on them, read in the called "
        "party's local date",
    )
    timezone: str = Field(default="UTC", description="campaign time zone (schedule, reports)")
    schedule: tuple[ScheduleRule, ...] = ()
    max_attempts: int = Field(default=5, ge=1, le=100, description="counted attempts per lead")
    max_dials: int | None = Field(default=None, ge=1, description="all dials per lead; default 3 × max_attempts")
    personal_callback_grace: Annotated[Duration | None, BeforeValidator(_never_is_none)] = Field(
        default=timedelta(minutes=30),
        description="a callback an agent promised as theirs waits for that agent until it is overdue by this, then "
        'any agent may take it (the agent away, the promise is kept by the team); "never": it waits for its agent',
    )
    retry: dict[Outcome, RetryRule] = Field(default_factory=dict)
    amd: AmdOptions = AmdOptions()
    ordering: OrderingOptions = OrderingOptions()
    timezones: TimezoneOptions = TimezoneOptions()
    pacing: PacingOptions = PacingOptions()
    preview: PreviewOptions = PreviewOptions()
    call_control: CallControlOptions = CallControlOptions()
    dispositions: Annotated[
        tuple[Disposition, ...],
        BeforeValidator(at_most_items(MAX_DISPOSITIONS, N_("{n} dispositions: a campaign may have at most {max}"))),
    ] = DEFAULT_DISPOSITIONS
    wrap_up_seconds: int = Field(
        default=15,
        ge=0,
        le=3600,
        description="wrap-up time before the agent is ready (wrap_up_ends = disposition: before it is overdue)",
    )
    wrap_up_ends: WrapUpEnd = Field(
        default=WrapUpEnd.TIMER,
        description="timer: the disposition or wrap_up_seconds ends the wrap-up; disposition: only the disposition "
        "(every call gets one before the agent takes the next)",
    )
    timeout_disposition: str | None = Field(
        default=None,
        pattern=SLUG,
        description="wrap_up_ends = timer: the disposition recorded for a call whose wrap-up ran out without one "
        "(None: the call stays without a disposition)",
    )
    late_disposition_hours: int = Field(
        default=24,
        ge=0,
        le=720,
        description="how many hours after a call ended its agent may still disposition it from their recent calls "
        "if it was left without their disposition (none, or only timeout_disposition); 0: never",
    )
    lease_seconds: int = Field(default=120, ge=30, le=3600, description="claim lease: ring + setup + margin")
    imports: ImportOptions = Field(default=ImportOptions(), alias="import")
    crm: CrmOptions = CrmOptions()
    identification: Identification | None = Field(
        default=None, description="seller, product kind and the solicitation sentence (required under JP)"
    )
    recorded_message: str = Field(
        default="", max_length=1000, description="text of the safe-harbour message; default: the regime's"
    )
    recorded_message_reading: str = Field(
        default="",
        max_length=1000,
        description="the safe-harbour message as a speech synthesiser should read it (JP: in kana)",
    )
    recording: RecordingMode = Field(default=RecordingMode.NONE, description="all, none or on_demand")
    recording_notice: bool | None = Field(
        default=None, description="the script tells the called party the call is recorded; None: yes when recorded"
    )
    recording_consent: bool | Literal["regime"] = Field(
        default=False,
        description="play the recording consent announcement to the called party before the call is queued: "
        'true every recorded call, "regime" where the regime asks for consent (UK, CA: every recorded call; US: '
        "numbers of all-party-consent states), false (default) never -- the agent's script gives the notice "
        "(recording_notice), which keeps the 2-second connection rule; an announcement adds its length to the wait",
    )
    script: str | None = Field(
        default=None, max_length=20_000, description="agent script, {{ first_name }}...; None: the regime's preset"
    )
    script_sections: dict[str, ScriptSection] = Field(
        default_factory=dict, description="branches of the script the agent can move to (dialer.scripts.sections)"
    )
    quality: Scorecard | None = Field(
        default=None, description="the QA scorecard calls are evaluated against (None: the default scorecard)"
    )

    # -- validation ---------------------------------------------------------------------------------------------

    @field_validator("trunk")
    @classmethod
    def _trunk_template(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z][A-Za-z0-9]*/\S+$", v):
            raise ValueError(
                M_("{value} is not a dial string 'Tech/resource' (e.g. PJSIP/{{number}}@carrier)", value=repr(v))
            )
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(v) if f is not None]
        except ValueError as exc:
            raise ValueError(M_("{value}: {exc}", value=repr(v), exc=exc)) from exc
        unknown = sorted(set(fields) - set(TRUNK_PLACEHOLDERS))
        if unknown:
            raise ValueError(
                M_(
                    "unknown placeholder(s) {unknown}; known: {known}",
                    unknown=unknown,
                    known=sorted(TRUNK_PLACEHOLDERS),
                )
            )
        if not set(fields) & {"number", "e164", "national", "nsn", "international"}:
            raise ValueError(M_("the template must contain a number placeholder such as {number}"))
        return v

    @field_validator("script")
    @classmethod
    def _script(cls, v: str | None) -> str | None:
        return None if v is None else check_template(v)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if not is_known_zone(v):
            raise ValueError(M_("{value} is not an IANA time zone", value=repr(v)))
        return v

    @field_validator("ring_timeout_seconds")
    @classmethod
    def _ring(cls, v: int) -> int:
        if v < MIN_RING_SECONDS:
            raise ValueError(
                M_("must be at least {min} s (FCC/Ofcom minimum ring time), got {value}", min=MIN_RING_SECONDS, value=v)
            )
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
                    M_(
                        "no retry rule for {bad}; configurable outcomes: {known} "
                        "(unallocated and invalid_number always archive the number)",
                        bad=bad,
                        known=[o.value for o in RETRYABLE_OUTCOMES],
                    )
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
                M_(
                    "calling_window is wider than the {regime} regime allows on {days} (limit: {limit})",
                    regime=reg.name.value,
                    days=", ".join(too_wide),
                    limit=reg.calling_hours.to_mapping(),
                )
            )
        if all(d is None for d in window.days):
            raise ValueError(M_("calling_window is closed every day: nothing could ever be dialled"))
        object.__setattr__(self, "calling_window", window.with_closed_days(self._closed_days(reg)))

        comp = self.compliance
        cap = comp.abandon_cap if comp.abandon_cap is not None else reg.abandon_cap
        if cap > reg.abandon_cap:
            raise ValueError(
                M_(
                    "compliance.abandon_cap {cap} exceeds the {regime} cap {regime_cap}",
                    cap=cap,
                    regime=reg.name.value,
                    regime_cap=reg.abandon_cap,
                )
            )
        cap_window = comp.abandon_window if comp.abandon_window is not None else reg.abandon_window
        if cap_window > reg.abandon_window:
            raise ValueError(
                M_(
                    "compliance.abandon_window {window} is longer than the {regime} window {regime_window} (a longer "
                    "window hides peaks)",
                    window=format_duration(cap_window),
                    regime=reg.name.value,
                    regime_window=format_duration(reg.abandon_window),
                )
            )
        recall = (
            comp.no_recall_after_abandon if comp.no_recall_after_abandon is not None else reg.no_recall_after_abandon
        )
        if reg.no_recall_after_abandon is not None and (recall is None or recall < reg.no_recall_after_abandon):
            raise ValueError(
                M_(
                    "compliance.no_recall_after_abandon may not be shorter than the {regime} {period}",
                    regime=reg.name.value,
                    period=format_duration(reg.no_recall_after_abandon),
                )
            )
        object.__setattr__(
            self,
            "compliance",
            ComplianceOptions(abandon_cap=cap, abandon_window=cap_window, no_recall_after_abandon=recall),
        )

        target = self.pacing.abandon_target
        if target is None:
            target = default_abandon_setpoint(cap)
        elif target > cap:
            raise ValueError(
                M_("pacing.abandon_target {target} is above the abandon cap {cap}", target=target, cap=cap)
            )
        object.__setattr__(self, "pacing", self.pacing.model_copy(update={"abandon_target": target}))

        fp = self.amd.false_positive_rate
        if fp is None:
            fp = reg.amd_false_positive_rate
        object.__setattr__(self, "amd", self.amd.model_copy(update={"false_positive_rate": fp}))

        if self.kind == "agentless":
            if self.agentless.flow is None and self.ivr is None:
                raise ValueError(M_("an agentless campaign needs agentless.flow (campaigns/ivr/<flow>.toml) or [ivr]"))
            if self.ivr is not None:
                try:
                    parse_flow(self.ivr, "ivr")
                except FlowError as exc:
                    raise ValueError(str(exc)) from None
            if self.dial_context == OUTBOUND_CONTEXT:
                object.__setattr__(self, "dial_context", IVR_CONTEXT)

        rules = default_retry_rules(reg)
        rules.update(self.retry)
        if self.amd.machine_action == "close" and Outcome.MACHINE not in self.retry:
            rules[Outcome.MACHINE] = RetryRule(action="close")
        abandoned = rules[Outcome.ABANDONED]
        if recall is not None and abandoned.action == "retry" and abandoned.delay < recall:
            raise ValueError(
                M_(
                    "retry.abandoned.delay {delay} is shorter than the no-recall-after-abandon period {period}",
                    delay=format_duration(abandoned.delay),
                    period=format_duration(recall),
                )
            )
        object.__setattr__(self, "retry", rules)

        if self.max_dials is None:
            object.__setattr__(self, "max_dials", 3 * self.max_attempts)
        elif self.max_dials < self.max_attempts:
            raise ValueError(
                M_(
                    "max_dials {max_dials} is below max_attempts {max_attempts}",
                    max_dials=self.max_dials,
                    max_attempts=self.max_attempts,
                )
            )

        # Counted in one pass each (linear in the number of dispositions).
        codes = Counter(d.code for d in self.dispositions)
        dup = sorted(c for c, n in codes.items() if n > 1)
        if dup:
            raise ValueError(M_("duplicate disposition code(s) {dup}", dup=dup))
        keys = Counter(d.hotkey.upper() for d in self.dispositions if d.hotkey)
        dupk = sorted(k for k, n in keys.items() if n > 1)
        if dupk:
            raise ValueError(M_("duplicate disposition hotkey(s) {dupk}", dupk=dupk))
        if not any(d.closes_lead for d in self.dispositions):
            raise ValueError(M_("at least one disposition must be final (otherwise no lead can ever be closed)"))

        if reg.refusal_disposition is not None:
            self._require_refusal(reg)
        if reg.requires_identification:
            self._require_identification(reg)
        if self.amd_pauses_near_cap and not any(d.is_machine for d in self.dispositions):
            raise ValueError(
                M_(
                    "AMD pauses near the abandon cap (amd.pause_near_cap) and machines then reach agents: add a"
                    " disposition with is_machine = true so they can mark them (or set amd.pause_near_cap = false)"
                )
            )
        check_sections(self.script_sections, {d.code for d in self.dispositions})
        self._check_timeout_disposition()

        region = self.imports.default_region or reg.default_region
        object.__setattr__(self, "imports", ImportOptions(default_region=region))
        cid = _validated_caller_id(self.caller_id, region)
        if reg.caller_id_region is not None:
            for number in (cid.number, *(local.number for local in cid.local)):
                _check_assigned_caller_id(CallerId(number=number), reg)
        object.__setattr__(self, "caller_id", cid)
        return self

    def _closed_days(self, reg: ComplianceRegime) -> ClosedDays:
        """Resolve ``holidays`` against the regime (its default, its limit) and build the window's closed days."""
        observe = self.holidays.observe if self.holidays.observe is not None else reg.observes_holidays
        if not observe and reg.holidays_required:
            raise ValueError(
                M_(
                    "the {regime} regime does not call on public holidays: holidays.observe cannot be false",
                    regime=reg.name.value,
                )
            )
        subdivisions = self.holidays.subdivisions
        if subdivisions is None:
            subdivisions = {country: subdivs for country, subdivs in reg.holiday_subdivisions}
        object.__setattr__(self, "holidays", HolidayOptions(observe=observe, subdivisions=subdivisions))
        dates = tuple(sorted(set(self.closed_dates)))
        object.__setattr__(self, "closed_dates", dates)
        return ClosedDays(
            holidays=observe,
            subdivisions=tuple(sorted(subdivisions.items())) if observe else (),
            dates=frozenset(dates),
        )

    @property
    def closed_days(self) -> ClosedDays:
        """The days the campaign calls nobody (public holidays, closed dates), each in the called party's date."""
        return self.window.closed

    @property
    def scorecard(self) -> Scorecard:
        """The QA scorecard: ``[quality]``, else the default one (identification critical where the regime
        requires it)."""
        if self.quality is not None:
            return self.quality
        return default_scorecard(identification_required=REGIMES[self.regime].requires_identification)

    @property
    def late_disposition_window(self) -> timedelta:
        """How long after a call ended its agent may still disposition it (dialer.campaign.late_disposition)."""
        return timedelta(hours=self.late_disposition_hours)

    def _check_timeout_disposition(self) -> None:
        code = self.timeout_disposition
        if code is None:
            return
        if self.wrap_up_ends is WrapUpEnd.DISPOSITION:
            raise ValueError(
                M_(
                    "timeout_disposition {code} is for wrap_up_ends = timer: a disposition ends every wrap-up here",
                    code=repr(code),
                )
            )
        given = self.disposition(code)
        if given is None:
            raise ValueError(
                M_("timeout_disposition {code} is not one of the campaign's dispositions", code=repr(code))
            )
        if given.closes_lead or given.schedules_callback or given.is_sale or given.is_machine:
            raise ValueError(
                M_(
                    "timeout_disposition {code} decides what only the agent can (it closes the lead, books a callback,"
                    " is a sale or a machine): choose one that keeps the lead in the list",
                    code=repr(code),
                )
            )

    def _require_refusal(self, reg: ComplianceRegime) -> None:
        code = reg.refusal_disposition
        refusal = self.disposition(code) if code else None
        if refusal is None and "dispositions" not in self.model_fields_set:
            object.__setattr__(self, "dispositions", (*self.dispositions, REFUSED_DISPOSITION))
            return
        if refusal is None:
            raise ValueError(
                M_(
                    "the {regime} regime requires a disposition {code} (final = true, is_dnc = true): a refusal must "
                    "stop every further call",
                    regime=reg.name.value,
                    code=repr(code),
                )
            )
        if not refusal.is_dnc:
            raise ValueError(
                M_(
                    "disposition {code} must set is_dnc = true under the {regime} regime (the number goes on the "
                    "campaign's do-not-call list for good)",
                    code=repr(code),
                    regime=reg.name.value,
                )
            )

    def _require_identification(self, reg: ComplianceRegime) -> None:
        ident = self.identification
        if ident is None:
            raise ValueError(
                M_(
                    "the {regime} regime requires [identification] business_name, product and solicitation (said "
                    "first by the agent and in any recorded message)",
                    regime=reg.name.value,
                )
            )
        parts = {"business_name": ident.business_name, "product": ident.product, "solicitation": ident.solicitation}
        script = self.script or ""
        if not script.strip():
            raise ValueError(
                M_("the {regime} regime requires a script stating the identification", regime=reg.name.value)
            )
        missing = [k for k, v in parts.items() if v not in script]
        if not re.search(r"\{\{\s*agent\s*\}\}", script):
            missing.append("{{ agent }} (the agent's name)")
        if missing:
            raise ValueError(
                M_("the script must state the identification: missing {missing}", missing=", ".join(missing))
            )
        if self.recorded_message:
            missing = [k for k, v in parts.items() if v not in self.recorded_message]
            if missing:
                raise ValueError(
                    M_("recorded_message must state the identification: missing {missing}", missing=", ".join(missing))
                )

    @property
    def safe_harbour_text(self) -> str:
        """The recorded message played when no agent takes an answered call (the campaign's, else the regime's
        template filled with the identification, else with the caller ID name)."""
        if self.recorded_message:
            return self.recorded_message
        ident = self.identification
        business = ident.business_name if ident else (self.caller_id.name or self.name)
        product = ident.product if ident else (self.description or self.name)
        text = self.regime_preset.safe_harbour_template.format(business=business, product=product)
        if ident and ident.solicitation not in text:
            text = (
                f"{ident.solicitation}。{text}" if is_cjk_name(ident.solicitation) else f"{ident.solicitation} {text}"
            )
        return text

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
    def amd_pauses_near_cap(self) -> bool:
        """The pacer may place calls without AMD (``PacingDecision.amd``): an agent campaign with AMD whose regime
        counts AMD's false positives as abandons, ``amd.pause_near_cap`` on."""
        return (
            self.kind == "agent" and self.amd.enabled and self.amd.pause_near_cap and self.amd_false_positive_rate > 0.0
        )

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


def _validated_caller_id(cid: CallerId, region: str, field: str = "caller_id.number") -> CallerId:
    try:
        num = phonenumbers.parse(cid.number, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(
            M_("{field} {number} is not a phone number: {exc}", field=field, number=repr(cid.number), exc=exc)
        ) from exc
    if not phonenumbers.is_valid_number(num):
        raise ValueError(
            M_(
                "{field} {number} is not a valid diallable number (region {region})",
                field=field,
                number=repr(cid.number),
                region=region,
            )
        )
    if phonenumbers.number_type(num) in (phonenumbers.PhoneNumberType.PREMIUM_RATE,):
        raise ValueError(
            M_("{field} {number} is a premium-rate number: regulators forbid it", field=field, number=repr(cid.number))
        )
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    return CallerId(number=e164, name=cid.name, local=tuple(_validated_local(local, region) for local in cid.local))


def _validated_local(local: LocalCallerId, region: str) -> LocalCallerId:
    """A local number validated as a caller ID, in E.164, serving its prefixes (by default its own area)."""
    number = _validated_caller_id(CallerId(number=local.number), region, "caller_id.local").number
    if local.prefixes:
        return LocalCallerId(number=number, prefixes=local.prefixes)
    own = own_area_prefix(number)
    if own is None:
        raise ValueError(
            M_(
                "caller_id.local {number} has no geographic area of its own: give the prefixes it serves",
                number=repr(local.number),
            )
        )
    return LocalCallerId(number=number, prefixes=(own,))


_ASSIGNABLE = (
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def _check_assigned_caller_id(cid: CallerId, reg: ComplianceRegime) -> None:
    """CN: the caller ID is a real number of the region, fixed-line or mobile (no toll-free, premium, shared-cost,
    VoIP-only or foreign-format number that cannot be a business's assigned line)."""
    num = phonenumbers.parse(cid.number, None)
    region = phonenumbers.region_code_for_number(num)
    if region != reg.caller_id_region:
        raise ValueError(
            M_(
                "caller_id.number {number} is not a {region} number: the {regime} regime requires the business's "
                "own assigned number",
                number=cid.number,
                region=reg.caller_id_region,
                regime=reg.name.value,
            )
        )
    if phonenumbers.number_type(num) not in _ASSIGNABLE:
        raise ValueError(
            M_(
                "caller_id.number {number} is not a fixed-line or mobile number: the {regime} regime requires the "
                "business's own assigned number",
                number=cid.number,
                regime=reg.name.value,
            )
        )


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
            msg = render(validation_message(err["type"], err.get("ctx") or {}))
            lines.append(f"  {_location(err['loc'])}: {msg}")
        raise CampaignConfigError(
            M_("{source}: invalid campaign\n{errors}", source=source, errors="\n".join(lines))
        ) from None
    except WindowError as exc:  # raised from inside a validator that pydantic does not wrap
        raise CampaignConfigError(M_("{source}: calling_window: {exc}", source=source, exc=exc)) from None


def load_campaign_file(path: str | Path) -> CampaignConfig:
    """Read and validate one campaign TOML file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CampaignConfigError(
            M_("{path}: cannot read: {reason}", path=p, reason=os_error_text(exc.strerror))
        ) from None
    try:
        data = load_toml(raw, str(p))  # (decodes it: bad UTF-8 is a DocumentError naming the file)
    except DocumentError as exc:
        raise CampaignConfigError(message_of(exc)) from None
    return load_campaign(data, str(p))
