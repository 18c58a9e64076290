"""The events, built from what the store writes (pure): one function per event type, documented in
docs/webhooks.md. Instants are ISO 8601 in UTC."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dialer.webhooks.core import EventType, WebhookEvent, event_id


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def call_started(
    *,
    attempt_id: int,
    lead_id: int,
    campaign_id: int,
    phone: str,
    started_at: datetime,
    caller_id: str | None,
    server: str | None,
) -> WebhookEvent:
    return WebhookEvent(
        type=EventType.CALL_STARTED,
        id=event_id(EventType.CALL_STARTED, attempt_id),
        occurred_at=started_at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"attempt_id": attempt_id, "phone": phone, "caller_id": caller_id, "server": server},
    )


def call_answered(*, attempt_id: int, lead_id: int, campaign_id: int, answered_at: datetime) -> WebhookEvent:
    return WebhookEvent(
        type=EventType.CALL_ANSWERED,
        id=event_id(EventType.CALL_ANSWERED, attempt_id),
        occurred_at=answered_at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"attempt_id": attempt_id},
    )


def call_ended(
    *,
    attempt_id: int,
    lead_id: int,
    campaign_id: int,
    outcome: str,
    ended_at: datetime,
    abandoned: bool,
    inferred: bool,
    details: Mapping[str, Any],
) -> WebhookEvent:
    data: dict[str, Any] = {"attempt_id": attempt_id, "outcome": outcome, "abandoned": abandoned, "inferred": inferred}
    for name in ("answered_at", "connected_at", "agent", "hangup_cause", "ring_seconds", "amd_status"):
        value = details.get(name)
        data[name] = _iso(value) if isinstance(value, datetime) else value
    return WebhookEvent(
        type=EventType.CALL_ENDED,
        id=event_id(EventType.CALL_ENDED, attempt_id),
        occurred_at=ended_at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data=data,
    )


def call_dispositioned(
    *,
    attempt_id: int,
    lead_id: int,
    campaign_id: int,
    disposition: str,
    at: datetime,
    agent: str | None,
    lead_status: str,
    callback_at: datetime | None,
) -> WebhookEvent:
    return WebhookEvent(
        type=EventType.CALL_DISPOSITIONED,
        id=event_id(EventType.CALL_DISPOSITIONED),
        occurred_at=at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={
            "attempt_id": attempt_id,
            "disposition": disposition,
            "agent": agent,
            "lead_status": lead_status,
            "callback_at": _iso(callback_at),
        },
    )


def lead_archived(
    *, lead_id: int, campaign_id: int, status: str, reason: str | None, at: datetime, attempt_id: int | None = None
) -> WebhookEvent:
    return WebhookEvent(
        type=EventType.LEAD_ARCHIVED,
        id=event_id(EventType.LEAD_ARCHIVED),
        occurred_at=at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"status": status, "reason": reason, "attempt_id": attempt_id},
    )


def callback_due(
    *, callback_id: int, lead_id: int, campaign_id: int, due_at: datetime, agent: str | None
) -> WebhookEvent:
    """Written when the callback is scheduled, delivered when it falls due (its own order: it holds no other
    event of the lead back while it waits)."""
    return WebhookEvent(
        type=EventType.CALLBACK_DUE,
        id=event_id(EventType.CALLBACK_DUE, callback_id),
        occurred_at=due_at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"callback_id": callback_id, "due_at": _iso(due_at), "agent": agent},
        order_key=f"callback:{callback_id}",
        not_before=due_at,
    )


def optout_added(
    *, number: str, campaign_id: int | None, lead_id: int | None, source: str, reason: str | None, at: datetime
) -> WebhookEvent:
    return WebhookEvent(
        type=EventType.OPTOUT_ADDED,
        id=event_id(EventType.OPTOUT_ADDED),
        occurred_at=at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"number": number, "scope": "campaign" if campaign_id is not None else "global", "source": source,
              "reason": reason},
    )  # fmt: skip


def crm_disposition(
    *, url: str, attempt_id: int, lead_id: int, campaign_id: int, disposition: str, agent: str | None, at: datetime
) -> WebhookEvent:
    """A campaign's CRM disposition call (``[crm] disposition_url`` rendered): the same envelope as the webhook."""
    return WebhookEvent(
        type=EventType.CRM_DISPOSITION,
        id=event_id(EventType.CRM_DISPOSITION),
        occurred_at=at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"attempt_id": attempt_id, "disposition": disposition, "agent": agent},
        url=url,
    )
