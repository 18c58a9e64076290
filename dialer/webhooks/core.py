"""The pure core of webhooks: what an event looks like, how it is signed and verified, when a failed delivery is
tried again, which destinations are allowed. No I/O; the clock and the random source are passed in."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
import re
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from dialer.i18n import M_


class EventType(StrEnum):
    """Stable names: receivers switch on them. New types are appended, never renamed."""

    CALL_STARTED = "call.started"
    CALL_ANSWERED = "call.answered"
    CALL_ENDED = "call.ended"
    CALL_DISPOSITIONED = "call.dispositioned"
    LEAD_ARCHIVED = "lead.archived"
    CALLBACK_DUE = "callback.due"
    OPTOUT_ADDED = "optout.added"
    # not subscribable: a campaign's CRM disposition URL (its [crm] table), sent through the same outbox
    CRM_DISPOSITION = "crm.disposition"
    # a callback kept (its lead dialled for it) or cancelled (by a user, or its lead closed for good first)
    CALLBACK_DONE = "callback.done"
    CALLBACK_CANCELLED = "callback.cancelled"
    # a call's quality evaluation saved (or replaced by its evaluator scoring the call again)
    EVALUATION_SAVED = "evaluation.saved"
    # an alert raised (a figure past its rule's threshold long enough) and cleared (dialer.alerts)
    ALERT_RAISED = "alert.raised"
    ALERT_CLEARED = "alert.cleared"


SUBSCRIBABLE: tuple[EventType, ...] = tuple(t for t in EventType if t is not EventType.CRM_DISPOSITION)
# A subscription to every subscribable type, present and future: stored as such, matched when an event is announced
# (never expanded into the types known when the subscription is made).
WILDCARD = "*"

# The headers of every delivery.
HEADER_ID = "Dialer-Webhook-Id"
HEADER_TIMESTAMP = "Dialer-Webhook-Timestamp"
HEADER_SIGNATURE = "Dialer-Webhook-Signature"
HEADER_EVENT = "Dialer-Webhook-Event"
SIGNATURE_VERSION = "v1"
DEFAULT_REPLAY_WINDOW_SECONDS = 300

# Deterministic event ids: an event recorded twice (a call's answer written again after a takeover) is one event.
_EVENT_NAMESPACE = uuid.UUID("5b1f6c1e-8a34-4f0e-9d0a-1c2f3e4d5a6b")


def event_id(kind: EventType, *key: object) -> str:
    """The id of an event that happens once per ``key`` (an attempt's start, answer, end); random without a key."""
    if not key:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_EVENT_NAMESPACE, ":".join([kind.value, *map(str, key)])))


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event to announce. ``order_key``: events with the same key are delivered in the order written (a
    lead's events); ``not_before``: not delivered before this instant (a callback announced when it falls due)."""

    type: EventType
    id: str
    occurred_at: datetime
    campaign_id: int | None
    lead_id: int | None
    data: Mapping[str, Any]
    order_key: str | None = None
    not_before: datetime | None = None
    url: str | None = None  # a fixed destination (a CRM disposition URL) instead of the subscriptions

    def envelope(self) -> dict[str, Any]:
        """The JSON document a receiver gets (docs/webhooks.md)."""
        return {
            "id": self.id,
            "type": self.type.value,
            "occurred_at": self.occurred_at.isoformat(),
            "campaign_id": self.campaign_id,
            "lead_id": self.lead_id,
            "data": dict(self.data),
        }

    def lead_order(self) -> str:
        if self.order_key is not None:
            return self.order_key
        return f"lead:{self.lead_id}" if self.lead_id is not None else f"event:{self.id}"


def body_of(envelope: Mapping[str, Any]) -> str:
    """The exact bytes that are signed and sent (compact, keys in a stable order)."""
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True, default=str)


# -- signing ----------------------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: str | bytes) -> str:
    """``v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``."""
    raw = body.encode() if isinstance(body, str) else body
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + raw, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={mac}"


def signed_headers(secret: str, event: str, kind: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        HEADER_ID: event,
        HEADER_EVENT: kind,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature(secret, timestamp, body),
    }


class SignatureError(ValueError):
    pass


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    *,
    window_seconds: int = DEFAULT_REPLAY_WINDOW_SECONDS,
) -> None:
    """A receiver's check (the reference for integrators): the signature matches and the timestamp is within
    ``window_seconds`` of ``now`` (a replayed old delivery is refused). Raises :class:`SignatureError`."""
    sent = headers.get(HEADER_TIMESTAMP, "")
    if not sent.isdigit():
        raise SignatureError("missing or malformed timestamp")
    if abs(now - int(sent)) > window_seconds:
        raise SignatureError("timestamp outside the replay window")
    expected = signature(secret, int(sent), body)
    offered = [s.strip() for s in headers.get(HEADER_SIGNATURE, "").split(",")]
    if not any(hmac.compare_digest(expected, s) for s in offered):
        raise SignatureError("signature mismatch")


# -- retries ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: try n waits ``min(cap, base * 2**(n-1))`` scaled by a random factor in
    ``[1 - jitter, 1]``; after ``max_attempts`` failed tries the delivery is dead-lettered."""

    base_seconds: float = 5.0
    cap_seconds: float = 3600.0
    max_attempts: int = 12
    jitter: float = 0.5

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after the ``attempts``-th failed try (attempts >= 1)."""
        raw = min(self.cap_seconds, self.base_seconds * float(2 ** min(max(0, attempts - 1), 60)))
        return float(raw * (1.0 - self.jitter * rng.random()))

    def dead(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def patience(self) -> float:
        """The shortest time from a delivery's first failed try to its dead-lettering (every wait at its shortest):
        a receiver down for less than this gets every delivery by the retries alone."""
        return sum(
            (1.0 - self.jitter) * min(self.cap_seconds, self.base_seconds * 2.0 ** (n - 1))
            for n in range(1, self.max_attempts)
        )


# A receiver's 4xx answers worth trying again: it timed out reading, asks for a retry later, or is rate limiting.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 425, 429})


def retryable(status: int | None) -> bool:
    """Whether a failed try is tried again: no answer (a timeout, a connection error), a 3xx or 5xx, or one of
    RETRYABLE_CLIENT_ERRORS. Any other 4xx is the receiver refusing the delivery itself (a wrong secret, a path
    it does not serve, a payload it rejects): sending it again would get the same answer, so it is dead-lettered
    at once (listed, re-sendable once the receiver is fixed)."""
    return status is None or not 400 <= status < 500 or status in RETRYABLE_CLIENT_ERRORS


# -- destinations -----------------------------------------------------------------------------------------------


class DestinationRefused(ValueError):
    """The URL may not be called (scheme, or host not on the allow-list)."""


@dataclass(frozen=True, slots=True)
class AllowList:
    """Where webhooks may go: host names (``crm.example.com``, ``*.example.com``) and networks (``10.1.0.0/16``,
    ``127.0.0.1/32``) for URLs written with an IP address. Empty: nowhere (the default). Redirects are never
    followed, so an allowed host cannot bounce a delivery elsewhere."""

    hosts: tuple[str, ...] = ()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(default=())

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        hosts: list[str] = []
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                nets.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not re.fullmatch(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", entry):
                raise ValueError(
                    M_("allow-list entry {entry} is neither a host name, *.domain nor a network", entry=repr(raw))
                )
            hosts.append(entry)
        return cls(tuple(hosts), tuple(nets))

    def check(self, url: str) -> None:
        """Raise :class:`DestinationRefused` unless ``url`` is http(s) to an allowed host."""
        try:
            parts = urlsplit(url)
            port = parts.port  # (raises on a bad port)
        except ValueError as exc:
            raise DestinationRefused(M_("malformed URL: {exc}", exc=str(exc))) from None
        del port
        if parts.scheme not in ("http", "https"):
            raise DestinationRefused(M_("only http and https URLs"))
        if parts.username or parts.password:
            raise DestinationRefused(M_("no credentials in the URL: sign deliveries with the secret instead"))
        host = (parts.hostname or "").lower()
        if not host:
            raise DestinationRefused(M_("the URL has no host"))
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None:
            if any(address in net for net in self.networks):
                return
            raise DestinationRefused(M_("address {host} is not on the webhook allow-list", host=host))
        for entry in self.hosts:
            if entry == host or (entry.startswith("*.") and host.endswith(entry[1:])):
                return
        raise DestinationRefused(M_("host {host} is not on the webhook allow-list", host=host))

    def allows(self, url: str) -> bool:
        try:
            self.check(url)
        except DestinationRefused:
            return False
        return True


def frame_sources(entries: Iterable[str]) -> str:
    """The CSP ``frame-src`` of the agent console: itself and the allow-listed host names over https (never a
    network: a CRM frame is a named CRM)."""
    return " ".join(["'self'", *(f"https://{h}" for h in AllowList.parse(entries).hosts)])


# -- CRM URL templates ------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


def template_fields(template: str) -> list[str]:
    return _PLACEHOLDER.findall(template)


def render_url(template: str, values: Mapping[str, object]) -> str:
    """``{name}`` placeholders replaced by URL-encoded values (unknown or empty: empty). Lead fields are
    ``{first_name}``, ``{external_id}``, custom ones ``{fields.company}``; ``{attempt_id}``, ``{agent}``..."""

    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return "" if value is None else quote(str(value), safe="")

    return _PLACEHOLDER.sub(one, template)


class TemplateLead(Protocol):
    """The lead columns a CRM template may name (a lead record has them)."""

    @property
    def id(self) -> int: ...
    @property
    def phone(self) -> str: ...
    @property
    def first_name(self) -> str | None: ...
    @property
    def last_name(self) -> str | None: ...
    @property
    def fields(self) -> Mapping[str, Any]: ...


def lead_values(lead: TemplateLead, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """What a CRM template may name: the lead's columns, its custom fields (``fields.<name>``), and ``extra``."""
    values: dict[str, object] = {
        "lead_id": lead.id,
        "phone": lead.phone,
        "first_name": lead.first_name or "",
        "last_name": lead.last_name or "",
        "external_id": lead.fields.get("external_id", ""),
    }
    for name, value in lead.fields.items():
        values[f"fields.{name}"] = value
    values.update(extra or {})
    return values


def parse_events(names: Sequence[str]) -> tuple[str, ...]:
    """What a subscription subscribes to, by name: ``("*",)`` (:data:`WILDCARD`: every subscribable type, those added
    later too) when ``*`` is among the names, else the subscribable types named, each once, in the order given.
    Raises ValueError naming the unknown ones."""
    known = {t.value: t for t in SUBSCRIBABLE}
    unknown = [n for n in names if n not in known and n != WILDCARD]
    if unknown:
        raise ValueError(
            M_(
                "unknown event types {unknown}; known: {known}",
                unknown=", ".join(repr(n) for n in unknown),
                known=", ".join(sorted(known)),
            )
        )
    if not names:
        raise ValueError(M_("subscribe to at least one event type"))
    if WILDCARD in names:
        return (WILDCARD,)
    return tuple(dict.fromkeys(known[n].value for n in names))


def subscribes(names: Collection[str], kind: EventType) -> bool:
    """Whether a subscription to ``names`` (as :func:`parse_events` gives them) gets events of type ``kind``: a
    subscribable type it names, or any subscribable type when it names :data:`WILDCARD`."""
    return kind in SUBSCRIBABLE and (kind.value in names or WILDCARD in names)
