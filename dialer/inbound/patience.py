"""A queue's callers' mean patience, estimated from its own visits (pure): what Erlang A needs.

A caller's patience is how long they would wait before hanging up. Only the callers who hung up show it; the others
were answered (or the queue's bound reached) before it ran out: their wait is a lower bound on it (a *censored*
observation). For patience that is exponential -- Erlang A's assumption -- the maximum-likelihood estimate is

    mean patience = the total wait of every caller who waited ÷ the number who hung up waiting

(each caller's wait is time at risk of hanging up; each abandon one event). The callers are the inbound figures'
(:func:`dialer.inbound.figures.queue_figures`): a short abandon (hung up within ``short_abandon_seconds``: a wrong
number, a change of mind) is no sign of the queue's patience and is left out, as the service level leaves it out;
a refused caller never waited.

The estimate's relative standard error is about 1/√abandons: with fewer than :data:`MIN_ABANDONS` (20: over 22 %)
it is too rough to size agents with, and the forecast uses Erlang C unless asked otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dialer.inbound.calls import InboundOutcome
from dialer.inbound.figures import ServiceLevelRule, Visit

MIN_ABANDONS = 20


@dataclass(frozen=True, slots=True)
class Patience:
    """The estimate: the waits' total (seconds) and the abandons it rests on."""

    waited_seconds: float = 0.0
    abandons: int = 0

    @property
    def mean_seconds(self) -> float | None:
        """The mean patience (None: nobody hung up waiting, or nobody waited)."""
        if not self.abandons or self.waited_seconds <= 0:
            return None
        return self.waited_seconds / self.abandons

    @property
    def sound(self) -> bool:
        """Enough abandons to size agents with."""
        return self.mean_seconds is not None and self.abandons >= MIN_ABANDONS


NO_PATIENCE = Patience()


def estimate_patience(visits: Iterable[Visit], rule: ServiceLevelRule) -> Patience:
    """The censored estimate over ``visits`` (finished ones; short abandons and refused callers left out)."""
    waited = 0.0
    abandons = 0
    for v in visits:
        if v.outcome is None or v.outcome is InboundOutcome.REFUSED:
            continue
        wait = max(0.0, v.wait_seconds)
        if v.outcome is InboundOutcome.ABANDONED:
            if wait < rule.short_abandon_seconds:
                continue
            abandons += 1
        waited += wait
    return Patience(waited, abandons)
