"""The tables. Every instant is a ``UTCDateTime``; free-form data is a JSON document.

Leads are the big table (10 M rows is a normal size): its indexes are chosen for the claim ("next dialable
leads of campaign X, best priority first, oldest due first"), for per-campaign dedupe and for status counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, Table, Text, desc, false, text, true
from sqlmodel import Field, SQLModel

from dialer.campaign.state import CampaignState
from dialer.store.types import UTCDateTime, json_document

# Lead statuses the claimer scans (a partial index covers exactly these). Must equal the domain's
# claimable set; tests/store/test_schema.py checks it.
CLAIMABLE_STATUSES: tuple[str, ...] = ("callback", "new", "retry")
IN_CALL_STATUS = "in_call"
DNC_STATUS = "dnc"
DNC_ARCHIVE_REASON = "dnc"
ERASED_ARCHIVE_REASON = "erased"  # an archived lead erased on a data-subject request (dialer.store.leadapi)
CAMPAIGN_STATES: tuple[str, ...] = tuple(CampaignState)

# Integer on SQLite so the key is the rowid (fast, autoincrementing); BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# The partial index condition. SQLite uses a partial index only when the query repeats this very term.
CLAIMABLE_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in CLAIMABLE_STATUSES))


def partial_index(name: str, *columns: Any, where: str, unique: bool = False) -> Index:
    """An index over the rows matching ``where`` only, the same on SQLite and PostgreSQL."""
    return Index(name, *columns, unique=unique, sqlite_where=text(where), postgresql_where=text(where))


class CampaignRow(SQLModel, table=True):
    __tablename__ = "campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    config: dict[str, Any] = Field(sa_type=json_document())
    state: str = Field(default=CampaignState.STOPPED.value, max_length=16)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class LeadListRow(SQLModel, table=True):
    """One import of one file into one campaign, with its counts."""

    __tablename__ = "lead_lists"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id", index=True)
    name: str = Field(max_length=200)
    source_file: str = Field(max_length=1000)
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    dnc: int = 0
    errors_file: str | None = Field(default=None, max_length=1000)
    imported_at: datetime = Field(sa_type=UTCDateTime)
    # The import's own lifecycle (dialer.store.imports): importing -> imported, or failed (with ``failure``).
    # While importing, ``owner`` (the importing process) holds the list with a lease renewed as it writes; a
    # lease that ran out (or a local owner process that is gone) means the import died: recovery undoes it.
    state: str = Field(default="imported", max_length=16, sa_column_kwargs={"server_default": "imported"})
    owner: str | None = Field(default=None, max_length=255)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failure: str | None = Field(default=None, max_length=200)
    # List management (dialer.lists.mix): a disabled or expired list gives the claim no leads; priority (higher
    # first) or share (a weight) set the mix of lists in each claimed batch.
    enabled: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    priority: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    share: float | None = None
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LeadRow(SQLModel, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        # Dedupe: one lead per number per campaign (ON CONFLICT DO NOTHING on import).
        Index("uq_leads_campaign_phone", "campaign_id", "phone", unique=True),
        # The claim: per status, best priority first, then the longest-due. Partial: only claimable rows. The
        # trailing list_id lets a claim restricted to some lists (dialer.lists.mix) skip the others' leads from the
        # index alone, without reading their rows.
        partial_index(
            "ix_leads_claim",
            "campaign_id",
            "status",
            desc("priority"),
            "next_dialable_at",
            "list_id",
            where=CLAIMABLE_SQL,
        ),
        # The leads whose callback an agent owns (an agent's leads in the console). Partial: few leads have one.
        partial_index("ix_leads_callback_agent", "callback_agent", where="callback_agent IS NOT NULL"),
        # Status counts and the "not dialable yet" aggregates.
        Index("ix_leads_campaign_status_due", "campaign_id", "status", "next_dialable_at"),
        # The lease sweep: claimed leads whose claimer vanished.
        partial_index("ix_leads_lease", "lease_expires_at", where=f"status = '{IN_CALL_STATUS}'"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    campaign_id: int = Field(foreign_key="campaigns.id")
    list_id: int | None = Field(default=None, foreign_key="lead_lists.id")
    phone: str = Field(max_length=20)
    alt_phones: list[str] = Field(default_factory=list, sa_type=json_document())
    tz_candidates: list[str] = Field(default_factory=list, sa_type=json_document())  # IANA zones of `phone`
    postal_code: str | None = Field(default=None, max_length=20)
    postal_zones: list[str] = Field(default_factory=list, sa_type=json_document())  # zone(s) of the postal code
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    display_name: str | None = Field(default=None, max_length=200)  # "山田 太郎", "John Smith" (dialer.names)
    name_reading: str | None = Field(default=None, max_length=200)  # furigana / pinyin, for sorting
    consent_source: str | None = Field(default=None, max_length=200)  # CN: where the consent was recorded
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # ... and when
    # The callback the called party asked for (the IVR's "call me back"): from where, when, and its due time -- the
    # evidence that call, and only it, was requested (dialer.campaign.rules.LeadSnapshot.has_requested_callback).
    requested_callback_source: str | None = Field(default=None, max_length=200)
    requested_callback_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    requested_callback_due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=json_document())
    status: str = Field(max_length=16)
    # The status a claim took the lead from, to put it back if the claim is released or its lease expires.
    claimed_from: str | None = Field(default=None, max_length=16)
    attempts: int = 0  # attempts counted against the retry budget
    dials: int = 0  # every dial, counted or not
    next_dialable_at: datetime = Field(sa_type=UTCDateTime)
    last_outcome: str | None = Field(default=None, max_length=20)
    last_disposition: str | None = Field(default=None, max_length=63)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_abandon_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    archive_reason: str | None = Field(default=None, max_length=40)
    priority: int = 0
    callback_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    callback_agent: str | None = Field(default=None, max_length=100)
    claim_owner: str | None = Field(default=None, max_length=100)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AttemptRow(SQLModel, table=True):
    """The call record of one dial (kept for compliance: who, when, which number and caller ID, what happened)."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("ix_attempts_campaign_started", "campaign_id", "started_at"),
        Index("ix_attempts_lead", "lead_id"),
        Index("ix_attempts_channel", "channel_id"),
        # The dashboard's agent figures (the last 24 hours, every campaign), the retention purge.
        Index("ix_attempts_started", "started_at"),
        # An agent's calls and leads, a team's figures and scope.
        Index("ix_attempts_agent_started", "agent", "started_at"),
        # Calls without an outcome yet (a handful per campaign): what a daemon adopts after another one died.
        partial_index("ix_attempts_open", "campaign_id", where="ended_at IS NULL"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    lead_id: int = Field(sa_type=BigInteger, foreign_key="leads.id")
    campaign_id: int = Field(foreign_key="campaigns.id")
    phone: str = Field(max_length=20)
    caller_id: str | None = Field(default=None, max_length=80)
    server: str | None = Field(default=None, max_length=100)
    trunk: str | None = Field(default=None, max_length=100)
    action_id: str | None = Field(default=None, max_length=100)
    channel_id: str | None = Field(default=None, max_length=150)
    started_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    connected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=20)
    hangup_cause: int | None = None
    amd_status: str | None = Field(default=None, max_length=20)
    amd_cause: str | None = Field(default=None, max_length=100)
    # Whether the call was placed with AMD (the pacer pauses it near the cap; ``DIALER_AMD``); None: not recorded
    # (calls placed before 0021, preview's and manual calls before it too) -- the campaign's setting then.
    amd: bool | None = None
    agent: str | None = Field(default=None, max_length=100)
    disposition: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, sa_type=Text)
    abandoned: bool = False
    ring_seconds: float | None = None
    # The outcome was inferred (the call ended while no daemon listened), not reported by the PBX at its end.
    outcome_inferred: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # Late dispositions (dialer.campaign.late_disposition): the code the campaign's timeout_disposition gave the call
    # (kept when the agent's late disposition replaces it), and who gave the late one, when.
    timed_out_disposition: str | None = Field(default=None, max_length=40)
    late_disposition_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late_disposition_by: str | None = Field(default=None, max_length=100)


class DncRow(SQLModel, table=True):
    """A do-not-call entry: global (campaign_id NULL) or for one campaign. One row per number per scope."""

    __tablename__ = "dnc"
    __table_args__ = (
        partial_index("uq_dnc_global_number", "number", where="campaign_id IS NULL", unique=True),
        partial_index("uq_dnc_campaign_number", "number", "campaign_id", where="campaign_id IS NOT NULL", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20)
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id")
    source: str = Field(default="manual", max_length=40)
    reason: str | None = Field(default=None, max_length=200)
    added_at: datetime = Field(sa_type=UTCDateTime)


class CallbackRow(SQLModel, table=True):
    """A scheduled call back: due at a time, owned by one agent or by anyone (agent NULL)."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_state_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(sa_type=BigInteger, foreign_key="leads.id", index=True)
    campaign_id: int = Field(foreign_key="campaigns.id")
    due_at: datetime = Field(sa_type=UTCDateTime)
    agent: str | None = Field(default=None, max_length=100)
    state: str = Field(default="pending", max_length=16)  # pending, done, cancelled, missed
    notes: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    kept_by: int | None = Field(default=None, sa_type=BigInteger)  # the attempt (call) that kept it (done)
    # The callback its promise carried over to: the call that kept it found the number dead, and the lead had another
    # phone (dialer.campaign.rules.carries_callbacks_over). Both plain references (no foreign key).
    carried_to: int | None = None


class RecordingRow(SQLModel, table=True):
    """The recording of one call (a file ``<attempt id>.wav`` Asterisk wrote), linked to its call record."""

    __tablename__ = "recordings"
    __table_args__ = (
        Index("ix_recordings_campaign_started", "campaign_id", "started_at"),
        Index("ix_recordings_agent_started", "agent", "started_at"),
    )

    attempt_id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    campaign_id: int = Field(foreign_key="campaigns.id")
    agent: str | None = Field(default=None, max_length=100)
    file: str = Field(max_length=255)  # relative to the [recording] directory
    mode: str = Field(max_length=16)  # the campaign's recording mode when it was made (all, on_demand)
    state: str = Field(max_length=16)  # recording, paused, stopped, done
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The consent announcement the called party heard before the recording began (DialerRecordingConsent): when it
    # played and Playback's status (SUCCESS, FAILED); none when the call had no announcement.
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consent_status: str | None = Field(default=None, max_length=16)


class SupervisionRow(SQLModel, table=True):
    """Audit of supervisor monitoring: who listened to (whispered to, barged into) which agent's call, when."""

    __tablename__ = "supervision_sessions"
    __table_args__ = (Index("ix_supervision_started", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    supervisor: str = Field(max_length=100)  # the dialer user
    agent: str = Field(max_length=100)
    mode: str = Field(max_length=16)  # listen, whisper, barge
    attempt_id: int | None = Field(default=None, sa_type=BigInteger)
    phone: str = Field(max_length=100)  # the supervisor's phone (the Originate's Channel)
    server: str = Field(max_length=100)
    channel_id: str = Field(max_length=150)  # the supervisor leg's ChannelId (ours)
    state: str = Field(max_length=16)  # started, ended, failed
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why it ended (dialer.supervision.service.EndReason; None: still started, or ended before migration 0038).
    end_reason: str | None = Field(default=None, max_length=32)


class CallLegRow(SQLModel, table=True):
    """One party who talked with the customer of an attempt: the agent who took it, then each transfer / 3-way
    target (dialer.callcontrol). An external number is kept as dialled (the call record is a compliance record)."""

    __tablename__ = "call_legs"
    __table_args__ = (
        Index("ix_call_legs_attempt", "attempt_id", "seq", unique=True),
        Index("ix_call_legs_transferred_by", "transferred_by", "started_at"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    attempt_id: int = Field(sa_type=BigInteger, foreign_key="attempts.id")
    seq: int
    party_kind: str = Field(max_length=16)  # agent | queue | external
    party: str = Field(max_length=100)
    how: str = Field(max_length=16)  # answered | blind | warm | conference
    transferred_by: str | None = Field(default=None, max_length=100)
    started_at: datetime = Field(sa_type=UTCDateTime)
    connected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    talk_seconds: float | None = None


metadata = SQLModel.metadata

# SQLite's reflection drops the DESC of an index column, so Alembic cannot compare this index there (it does on
# PostgreSQL). Autogenerate and the schema check skip it on SQLite instead of reporting a false difference.
INDEXES_SQLITE_CANNOT_COMPARE = frozenset({"ix_leads_claim"})
# Expression indexes a model cannot declare the same way on both backends: created by their migration (0016: a
# lead's external id inside its JSON fields, dialer.store.leadapi), checked by their own tests, not compared.
INDEXES_BY_EXPRESSION = frozenset({"ix_leads_external_id"})


def include_in_comparison(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object, *, dialect: str
) -> bool:
    if type_ == "index" and name in INDEXES_BY_EXPRESSION:
        return False
    return not (dialect == "sqlite" and type_ == "index" and name in INDEXES_SQLITE_CANNOT_COMPARE)


def table(name: str) -> Table:
    return metadata.tables[name]


campaigns_t = table("campaigns")
lead_lists_t = table("lead_lists")
leads_t = table("leads")
attempts_t = table("attempts")
call_legs_t = table("call_legs")
dnc_t = table("dnc")
callbacks_t = table("callbacks")


# -- webhooks (issue 18): subscriptions, the durable outbox, stored Idempotency-Key responses -------------------


class WebhookSubscriptionRow(SQLModel, table=True):
    """Where to send which events: one campaign's (campaign_id) or every campaign's (NULL)."""

    __tablename__ = "webhook_subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaigns.id", index=True)
    url: str = Field(max_length=2000)
    # The subscribed event types, each between bars ("|call.ended|lead.archived|"): one LIKE finds them. "|*|": every
    # subscribable type, those added later too (dialer.webhooks.core.WILDCARD).
    events: str = Field(max_length=1000)
    secret: str = Field(max_length=200)
    enabled: bool = True
    description: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WebhookOutboxRow(SQLModel, table=True):
    """One delivery of one event to one destination, written in the transaction that wrote the event.

    ``state``: pending -> delivered, or dead (dead-lettered after the retry limit). A worker holds the rows it is
    sending with a lease (``lease_owner``, ``lease_expires_at``); rows of one ``order_key`` (a lead at one
    destination) go out one at a time, oldest first."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        Index("uq_webhook_outbox_event", "event_id", "order_key", unique=True),
        Index("ix_webhook_outbox_due", "state", "id"),
        Index("ix_webhook_outbox_order", "order_key", "state", "id"),
    )

    id: int | None = Field(default=None, sa_type=BigId, primary_key=True)
    event_id: str = Field(max_length=36)
    event_type: str = Field(max_length=40)
    subscription_id: int | None = Field(default=None, foreign_key="webhook_subscriptions.id")
    campaign_id: int | None = None
    lead_id: int | None = Field(default=None, sa_type=BigInteger)
    order_key: str = Field(max_length=120)
    url: str = Field(max_length=2000)
    payload: str = Field(sa_type=Text)
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IdempotencyRow(SQLModel, table=True):
    """The stored answer to a request sent with an ``Idempotency-Key``: the same key again gets it back."""

    __tablename__ = "api_idempotency"

    scope: str = Field(max_length=200, primary_key=True)  # who and which route
    key: str = Field(max_length=200, primary_key=True)
    request_hash: str = Field(max_length=64)
    state: str = Field(max_length=16)  # running, done
    status: int | None = None
    response: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


webhook_subscriptions_t = table("webhook_subscriptions")
webhook_outbox_t = table("webhook_outbox")
idempotency_t = table("api_idempotency")
recordings_t = table("recordings")
supervision_t = table("supervision_sessions")
