"""Transfers and closer conversions of one campaign, from the call legs (table ``call_legs``).

Definitions (docs/domain.md, "Transfers"):
* a **transfer** is a leg an agent handed the customer to (``blind`` / ``warm`` transfer, or a ``conference``
  third party), counted per agent who made it, by how and by the kind of target (agent, queue, external number);
* a **closer transfer** is a blind or warm transfer to another agent or to a queue (a closer queue): the call goes
  on with someone else, who dispositions it;
* the **closer** of such a call is the agent it was transferred to (for a queue: the agent who dispositioned the
  call, when that is not the transferring agent; else the queue itself, the closer unknown);
* a **closer conversion** is a call whose last closer transfer ended in a disposition with ``is_sale``: it counts
  once for the closer and once for every agent who made a closer transfer of that call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from dialer.reports.common import ratio
from dialer.store.call_legs import TransferFact

CLOSER_HOWS = frozenset({"blind", "warm"})
CLOSER_KINDS = frozenset({"agent", "queue"})


def is_closer_transfer(fact: TransferFact) -> bool:
    return fact.how in CLOSER_HOWS and fact.party_kind in CLOSER_KINDS


def closer_of(fact: TransferFact) -> str:
    if fact.party_kind == "agent":
        return fact.party
    if fact.dispositioned_by and fact.dispositioned_by != fact.transferred_by:
        return fact.dispositioned_by
    return f"queue {fact.party}"


@dataclass(frozen=True, slots=True)
class TransferAgentFigures:
    agent: str
    blind: int
    warm: int
    conference: int
    to_agent: int
    to_queue: int
    to_external: int
    to_closers: int  # calls this agent handed to a closer (blind / warm to an agent or queue)
    closer_sales: int  # ... of which the closer made a sale

    @property
    def transfers(self) -> int:
        return self.blind + self.warm + self.conference

    @property
    def closer_conversion(self) -> float | None:
        return ratio(self.closer_sales, self.to_closers)

    def as_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "transfers": self.transfers,
            "blind": self.blind,
            "warm": self.warm,
            "conference": self.conference,
            "to_agent": self.to_agent,
            "to_queue": self.to_queue,
            "to_external": self.to_external,
            "to_closers": self.to_closers,
            "closer_sales": self.closer_sales,
            "closer_conversion": self.closer_conversion,
        }


@dataclass(frozen=True, slots=True)
class CloserFigures:
    closer: str
    received: int  # calls transferred to this closer (the last closer transfer of the call)
    sales: int

    @property
    def conversion(self) -> float | None:
        return ratio(self.sales, self.received)

    def as_json(self) -> dict[str, Any]:
        return {"closer": self.closer, "received": self.received, "sales": self.sales, "conversion": self.conversion}


@dataclass(frozen=True, slots=True)
class TransferFigures:
    agents: tuple[TransferAgentFigures, ...] = ()
    closers: tuple[CloserFigures, ...] = ()

    @property
    def transfers(self) -> int:
        return sum(a.transfers for a in self.agents)

    @property
    def closer_calls(self) -> int:
        return sum(c.received for c in self.closers)

    @property
    def closer_sales(self) -> int:
        return sum(c.sales for c in self.closers)

    @property
    def closer_conversion(self) -> float | None:
        return ratio(self.closer_sales, self.closer_calls)

    def as_json(self) -> dict[str, Any]:
        return {
            "transfers": self.transfers,
            "closer_calls": self.closer_calls,
            "closer_sales": self.closer_sales,
            "closer_conversion": self.closer_conversion,
            "agents": [a.as_json() for a in self.agents],
            "closers": [c.as_json() for c in self.closers],
        }


@dataclass
class _Tally:
    how: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    closer_calls: set[int] = field(default_factory=set)
    closer_sales: set[int] = field(default_factory=set)


def transfer_figures(facts: Sequence[TransferFact], sale_codes: Collection[str]) -> TransferFigures:
    """Pure: the figures of the legs given (in call order, legs of a call in sequence)."""
    per_agent: dict[str, _Tally] = defaultdict(_Tally)
    last_closer_leg: dict[int, TransferFact] = {}
    for f in facts:
        tally = per_agent[f.transferred_by]
        tally.how[f.how] += 1
        tally.kind[f.party_kind] += 1
        if is_closer_transfer(f):
            tally.closer_calls.add(f.attempt_id)
            last_closer_leg[f.attempt_id] = f
    sold = {a for a, f in last_closer_leg.items() if f.disposition is not None and f.disposition in sale_codes}
    for tally in per_agent.values():
        tally.closer_sales = tally.closer_calls & sold
    closers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for attempt_id, f in last_closer_leg.items():
        row = closers[closer_of(f)]
        row[0] += 1
        row[1] += attempt_id in sold
    return TransferFigures(
        agents=tuple(
            TransferAgentFigures(
                agent=agent,
                blind=t.how["blind"],
                warm=t.how["warm"],
                conference=t.how["conference"],
                to_agent=t.kind["agent"],
                to_queue=t.kind["queue"],
                to_external=t.kind["external"],
                to_closers=len(t.closer_calls),
                closer_sales=len(t.closer_sales),
            )
            for agent, t in sorted(per_agent.items())
        ),
        closers=tuple(CloserFigures(name, n, s) for name, (n, s) in sorted(closers.items())),
    )
