"""The events, built from what the store writes (pure): one function per event type, documented in
docs/webhooks.md. Instants are ISO 8601 in UTC."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialer.webhooks.core import EventType, WebhookEvent, event_id


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _event(
    kind: EventType,
    *key: object,
    at: datetime,
    campaign_id: int | None,
    lead_id: int | None,
    data: Mapping[str, Any],
    order_key: str | None = None,
    not_before: datetime | None = None,
    url: str | None = None,
) -> WebhookEvent:
    """An event of ``kind`` that happened ``at``: its id one per ``key`` (random without), see ``event_id``."""
    return WebhookEvent(
        type=kind,
        id=event_id(kind, *key),
        occurred_at=at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data=data,
        order_key=order_key,
        not_before=not_before,
        url=url,
    )


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
    return _event(
        EventType.CALL_STARTED,
        attempt_id,
        at=started_at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"attempt_id": attempt_id, "phone": phone, "caller_id": caller_id, "server": server},
    )


def call_answered(*, attempt_id: int, lead_id: int, campaign_id: int, answered_at: datetime) -> WebhookEvent:
    return _event(
        EventType.CALL_ANSWERED,
        attempt_id,
        at=answered_at,
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
    return _event(
        EventType.CALL_ENDED,
        attempt_id,
        at=ended_at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data=data,
    )


@dataclass(frozen=True, slots=True)
class Disposition:
    """An agent's disposition of a call, as both the webhook and the CRM call report it: the call (attempt), its
    lead and campaign, the code, the agent who gave it and when."""

    attempt_id: int
    lead_id: int
    campaign_id: int
    disposition: str
    agent: str | None
    at: datetime

    def event(self, kind: EventType, *, url: str | None = None, **more: object) -> WebhookEvent:
        """The event ``kind`` of this disposition: its data the call, the code and the agent, then ``more``."""
        data = {"attempt_id": self.attempt_id, "disposition": self.disposition, "agent": self.agent, **more}
        return _event(kind, at=self.at, campaign_id=self.campaign_id, lead_id=self.lead_id, data=data, url=url)


def call_dispositioned(
    given: Disposition, *, lead_status: str, callback_at: datetime | None, outcome: str | None
) -> WebhookEvent:
    """``outcome``: the call's outcome once dispositioned (None while it is still up): a machine the agent marks
    after the hangup turns the ``connected`` that ``call.ended`` announced into ``machine`` here."""
    return given.event(
        EventType.CALL_DISPOSITIONED, lead_status=lead_status, callback_at=_iso(callback_at), outcome=outcome
    )


def lead_archived(
    *, lead_id: int, campaign_id: int, status: str, reason: str | None, at: datetime, attempt_id: int | None = None
) -> WebhookEvent:
    return _event(
        EventType.LEAD_ARCHIVED,
        at=at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"status": status, "reason": reason, "attempt_id": attempt_id},
    )


def callback_due(
    *,
    callback_id: int,
    lead_id: int,
    campaign_id: int,
    due_at: datetime,
    agent: str | None,
    carried_from: int | None = None,
) -> WebhookEvent:
    """Written when the callback is scheduled, delivered when it falls due (its own order: it holds no other
    event of the lead back while it waits); withdrawn unsent if the callback is kept or cancelled before then.
    ``carried_from``: the callback (done: dialled, the number dead) whose promise this one carries over to the
    lead's next phone; only then in the data."""
    data: dict[str, object] = {"callback_id": callback_id, "due_at": _iso(due_at), "agent": agent}
    if carried_from is not None:
        data["carried_from"] = carried_from
    return _event(
        EventType.CALLBACK_DUE,
        callback_id,
        at=due_at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data=data,
        order_key=f"callback:{callback_id}",
        not_before=due_at,
    )


def callback_due_id(callback_id: int) -> str:
    """The event id of the callback's ``callback.due`` (:func:`callback_due`'s: one per callback)."""
    return event_id(EventType.CALLBACK_DUE, callback_id)


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback as its events report it (ids and times only: nothing that names the person)."""

    callback_id: int
    lead_id: int
    campaign_id: int
    due_at: datetime
    agent: str | None

    def event(self, kind: EventType, *, at: datetime, **more: object) -> WebhookEvent:
        """The event ``kind`` of this callback (one per callback), in its lead's order: its data the callback's id,
        due time and agent, then ``more``."""
        data = {"callback_id": self.callback_id, "due_at": _iso(self.due_at), "agent": self.agent, **more}
        return _event(kind, self.callback_id, at=at, campaign_id=self.campaign_id, lead_id=self.lead_id, data=data)


def callback_done(callback: Callback, *, attempt_id: int, at: datetime) -> WebhookEvent:
    """The callback was kept: ``attempt_id``'s call to its lead started ``at``."""
    return callback.event(EventType.CALLBACK_DONE, at=at, attempt_id=attempt_id)


def callback_cancelled(callback: Callback, *, reason: str, at: datetime) -> WebhookEvent:
    """The callback was cancelled ``at``: by a user (``reason`` user), or because its lead closed for good first
    (the lead's closing: done, dnc, archived, erased, exhausted)."""
    return callback.event(EventType.CALLBACK_CANCELLED, at=at, reason=reason)


def optout_added(
    *, number: str, campaign_id: int | None, lead_id: int | None, source: str, reason: str | None, at: datetime
) -> WebhookEvent:
    scope = "campaign" if campaign_id is not None else "global"
    return _event(
        EventType.OPTOUT_ADDED,
        at=at,
        campaign_id=campaign_id,
        lead_id=lead_id,
        data={"number": number, "scope": scope, "source": source, "reason": reason},
    )


def crm_disposition(given: Disposition, *, url: str) -> WebhookEvent:
    """A campaign's CRM disposition call (``[crm] disposition_url`` rendered): the same envelope as the webhook."""
    return given.event(EventType.CRM_DISPOSITION, url=url)


def evaluation_saved(
    *,
    evaluation_id: int,
    attempt_id: int,
    campaign_id: int,
    agent: str,
    evaluator: str,
    score: float,
    critical_failed: bool,
    replaced: bool,
    at: datetime,
) -> WebhookEvent:
    """A quality evaluation saved: one event per save (a replacement is announced again, ``replaced``)."""
    return _event(
        EventType.EVALUATION_SAVED,
        evaluation_id,
        at.isoformat(),
        at=at,
        campaign_id=campaign_id,
        lead_id=None,
        data={
            "evaluation_id": evaluation_id,
            "attempt_id": attempt_id,
            "agent": agent,
            "evaluator": evaluator,
            "score": score,
            "critical_failed": critical_failed,
            "replaced": replaced,
        },
    )


def _alert_event(kind: EventType, alert: Mapping[str, Any], *, at: datetime) -> WebhookEvent:
    return _event(
        kind,
        alert["id"],
        at=at,
        campaign_id=alert.get("campaign_id"),
        lead_id=None,
        data={k: v for k, v in alert.items() if k != "campaign_id"},
        order_key=f"alert:{alert['id']}",  # its clearing after its raising
    )


def alert_raised(alert: Mapping[str, Any], *, at: datetime) -> WebhookEvent:
    """An alert raised ``at`` (``alert``: its history row as ``GET /api/alerts`` shows it): one event per alert."""
    return _alert_event(EventType.ALERT_RAISED, alert, at=at)


def alert_cleared(alert: Mapping[str, Any], *, at: datetime) -> WebhookEvent:
    """The alert cleared ``at`` (its condition gone): one event per alert, after its ``alert.raised``."""
    return _alert_event(EventType.ALERT_CLEARED, alert, at=at)
