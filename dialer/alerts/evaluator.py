"""The alert evaluator (pure; the clock passed in): readings in, alerts out -- raised, still active, cleared.

A reading is one rule's figure for one subject (a campaign, a queue, an agent, a server) now, and the limit it is
judged against (:mod:`dialer.alerts.readings`). Per rule and subject:

- the condition holds while the figure is past its limit (above it, or below it for a service level); held for the
  rule's ``for_seconds``, the alert is **raised** (``started_at``: when the condition began);
- a raised alert stays **active** until the figure is back past the limit by the rule's ``hysteresis`` (or the
  subject is gone: an agent logged out, a campaign unloaded, no figure to judge) for the rule's ``clear_seconds``;
  then it is **cleared**. A figure oscillating around its limit therefore neither raises (it never holds for
  ``for_seconds`` unless that is 0) nor flaps (it never comes back by the hysteresis).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from dialer.alerts.rules import AlertKind, AlertRule, Severity


@dataclass(frozen=True, slots=True)
class Reading:
    """``rule``'s figure for ``subject`` now (None: nothing to judge, the condition counts as gone) and its limit;
    who it is about (``campaign``, ``agent``: a supervisor sees only their teams' agents' alerts) and a detail (why a
    campaign is not dialling, a pause's code, a server's state)."""

    rule: AlertRule
    subject: str
    value: float | None
    limit: float
    campaign: str | None = None
    campaign_id: int | None = None
    agent: str | None = None
    detail: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.rule.name, self.subject

    @property
    def breaching(self) -> bool:
        """The condition holds: the figure is past its limit."""
        if self.value is None:
            return False
        return self.value > self.limit if self.rule.info.above else self.value < self.limit

    @property
    def gone(self) -> bool:
        """The condition is gone: no figure, or back past the limit by the rule's hysteresis."""
        if self.value is None:
            return True
        margin = self.rule.hysteresis
        return self.value <= self.limit - margin if self.rule.info.above else self.value >= self.limit + margin


@dataclass(frozen=True, slots=True)
class Alert:
    """A raised alert: its rule, subject, the figure (the latest while active) and its limit, when its condition
    began (``started_at``), when it was raised and (once over) cleared, on the daemon's clock. ``id``: its row in the
    history (None until written); the history's record (``dialer.store.alerts.AlertRecord``) is how it is shown."""

    rule: str
    kind: AlertKind
    severity: Severity
    subject: str
    value: float | None
    limit: float
    started_at: float
    raised_at: float
    campaign: str | None = None
    campaign_id: int | None = None
    agent: str | None = None
    detail: str | None = None
    cleared_at: float | None = None
    id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.rule, self.subject


@dataclass(frozen=True, slots=True)
class AlertStep:
    """What one evaluation changed: the alerts raised and cleared now, and every alert active after it (newest
    first)."""

    raised: tuple[Alert, ...] = ()
    cleared: tuple[Alert, ...] = ()
    active: tuple[Alert, ...] = ()


@dataclass
class _Track:
    pending_since: float | None = None  # the condition holds since (not raised yet)
    alert: Alert | None = None  # raised and not cleared
    gone_since: float | None = None  # the raised alert's condition gone since


@dataclass
class AlertEvaluator:
    """The alerts of a rule set, evaluated at each call of :meth:`evaluate` with the readings of the moment."""

    rules: Sequence[AlertRule]
    _tracks: dict[tuple[str, str], _Track] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._enabled = {r.name: r for r in self.rules if r.enabled}

    @property
    def active(self) -> tuple[Alert, ...]:
        """The alerts raised and not cleared, newest first."""
        alerts = [t.alert for t in self._tracks.values() if t.alert is not None]
        return tuple(sorted(alerts, key=lambda a: (-a.raised_at, a.rule, a.subject)))

    def resume(self, alerts: Iterable[Alert]) -> None:
        """Take back alerts still active in the history (a restart): they clear when their condition is gone,
        rather than being raised twice. Alerts of rules no longer enabled are not taken (they clear now: see
        :meth:`orphans`)."""
        for alert in alerts:
            if alert.rule in self._enabled and alert.cleared_at is None:
                self._tracks[alert.key] = _Track(alert=alert)

    def set_id(self, key: tuple[str, str], alert_id: int | None) -> Alert | None:
        """The raised alert of ``key`` written to the history as ``alert_id`` (None: to be written again)."""
        track = self._tracks.get(key)
        if track is None or track.alert is None:
            return None
        track.alert = replace(track.alert, id=alert_id)
        return track.alert

    def evaluate(self, readings: Iterable[Reading], now: float) -> AlertStep:
        """One evaluation at ``now``. A rule and subject with a track and no reading now counts as gone (its
        subject went away)."""
        raised: list[Alert] = []
        cleared: list[Alert] = []
        seen: set[tuple[str, str]] = set()
        for reading in readings:
            if reading.rule.name not in self._enabled or reading.key in seen:
                continue
            seen.add(reading.key)
            track = self._tracks.setdefault(reading.key, _Track())
            self._step(track, reading, now, raised, cleared)
        for key, track in list(self._tracks.items()):
            if key not in seen:
                rule = self._enabled.get(key[0])
                if rule is None:
                    continue
                limit = track.alert.limit if track.alert is not None else 0.0
                self._step(track, Reading(rule, key[1], None, limit), now, raised, cleared)
        for key, track in list(self._tracks.items()):
            if track.alert is None and track.pending_since is None:
                del self._tracks[key]
        return AlertStep(tuple(raised), tuple(cleared), self.active)

    @staticmethod
    def _step(track: _Track, reading: Reading, now: float, raised: list[Alert], cleared: list[Alert]) -> None:
        rule = reading.rule
        if track.alert is None:
            if not reading.breaching:
                track.pending_since = None
                return
            if track.pending_since is None:
                track.pending_since = now
            if now - track.pending_since >= rule.for_seconds:
                track.alert = Alert(
                    rule=rule.name,
                    kind=rule.kind,
                    severity=rule.severity,
                    subject=reading.subject,
                    value=reading.value,
                    limit=reading.limit,
                    started_at=track.pending_since,
                    raised_at=now,
                    campaign=reading.campaign,
                    campaign_id=reading.campaign_id,
                    agent=reading.agent,
                    detail=reading.detail,
                )
                track.pending_since = None
                track.gone_since = None
                raised.append(track.alert)
            return
        if not reading.gone:
            track.gone_since = None
            if reading.value is not None:
                detail = reading.detail if reading.detail is not None else track.alert.detail
                track.alert = replace(track.alert, value=reading.value, limit=reading.limit, detail=detail)
            return
        if track.gone_since is None:
            track.gone_since = now
        if now - track.gone_since >= rule.clear_seconds:
            cleared.append(replace(track.alert, cleared_at=now))
            track.alert = None
            track.gone_since = None
