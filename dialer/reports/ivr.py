"""IVR analytics: per flow and node, and per agentless campaign, from the stored flow results (pure).

Definitions (docs/ivr.md):
* a node's **entries** = calls that entered it (a menu retried counts once per entry); **exits** by how they left
  (a key, a lookup status, ``next``, ``timeout``, ``invalid``, ``hangup`` = a drop-off there); **seconds** = mean
  time in the node;
* **contained** = the flow ended at a hangup node marked ``contained`` (self-service resolved it), not by the
  caller hanging up; **containment rate** = contained ÷ calls that reached a person (machines excluded);
* **transferred** = an agent answered the flow's queue; **abandoned in queue** = the caller hung up waiting;
* **repeat contacts**: numbers with another flow call within ``repeat_days`` after a call (first-contact
  resolution across the IVR: 1 − repeats ÷ callers);
* per agentless campaign: **reached** (a person), **listened to the end**, results (``confirmed``,
  ``cancelled``...), **opted out**, **machine messages** left.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from dialer.i18n import _
from dialer.reports.common import ReportRange, ratio
from dialer.reports.document import Series
from dialer.store.ivr_results import IvrResultRecord

QUEUE_NODE_TYPE = "queue"


@dataclass(frozen=True, slots=True)
class NodeFigures:
    """One node of a flow: how many callers entered it, where they left it for, how long they stayed."""

    node: str
    type: str
    entries: int
    exits: dict[str, int]
    mean_seconds: float | None
    drop_offs: int  # callers who hung up in this node


@dataclass(frozen=True, slots=True)
class FlowFigures:
    """One IVR flow over the report's range: its calls and what became of them, its results and its nodes."""

    flow: str
    calls: int
    people: int  # not machines
    contained: int
    transferred: int
    abandoned_in_queue: int
    opted_out: int
    machine_messages: int
    listened_to_end: int
    results: dict[str, int]
    nodes: tuple[NodeFigures, ...]
    mean_seconds: float | None
    repeat_callers: int
    callers: int

    @property
    def containment_rate(self) -> float | None:
        return ratio(self.contained, self.people)

    @property
    def first_contact_resolution(self) -> float | None:
        r = ratio(self.repeat_callers, self.callers)
        return None if r is None else 1.0 - r


@dataclass(frozen=True, slots=True)
class IvrReport:
    """The IVR report: every flow that ran in the range (repeat callers counted over ``repeat_days``)."""

    title: str
    range: ReportRange
    repeat_days: int
    flows: tuple[FlowFigures, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": "ivr",
            "title": self.title,
            "from": self.range.start,
            "to": self.range.end,
            "repeat_days": self.repeat_days,
            "flows": [
                {
                    "flow": f.flow,
                    "calls": f.calls,
                    "people": f.people,
                    "contained": f.contained,
                    "containment_rate": f.containment_rate,
                    "transferred": f.transferred,
                    "abandoned_in_queue": f.abandoned_in_queue,
                    "opted_out": f.opted_out,
                    "machine_messages": f.machine_messages,
                    "listened_to_end": f.listened_to_end,
                    "results": f.results,
                    "mean_seconds": f.mean_seconds,
                    "callers": f.callers,
                    "repeat_callers": f.repeat_callers,
                    "first_contact_resolution": f.first_contact_resolution,
                    "nodes": [
                        {
                            "node": n.node,
                            "type": n.type,
                            "entries": n.entries,
                            "exits": n.exits,
                            "mean_seconds": n.mean_seconds,
                            "drop_offs": n.drop_offs,
                        }
                        for n in f.nodes
                    ],
                }
                for f in self.flows
            ],
        }


def _flow_figures(flow: str, records: Sequence[IvrResultRecord], repeat_days: int) -> FlowFigures:
    entries: Counter[str] = Counter()
    types: dict[str, str] = {}
    exits: dict[str, Counter[str]] = defaultdict(Counter)
    seconds: dict[str, list[float]] = defaultdict(list)
    order: list[str] = []
    for r in records:
        for step in r.steps:
            node = str(step.get("node"))
            if node not in types:
                order.append(node)
            types[node] = str(step.get("type"))
            entries[node] += 1
            exits[node][str(step.get("exit") or "hangup")] += 1
            seconds[node].append(float(step.get("seconds") or 0.0))
    nodes = tuple(
        NodeFigures(
            node=n,
            type=types[n],
            entries=entries[n],
            exits=dict(exits[n].most_common()),
            mean_seconds=sum(seconds[n]) / len(seconds[n]) if seconds[n] else None,
            drop_offs=exits[n]["hangup"],
        )
        for n in order
    )
    people = [r for r in records if not r.machine]
    durations = [(r.ended_at - r.started_at).total_seconds() for r in records if r.ended_at is not None]
    by_phone: dict[str, list[datetime]] = defaultdict(list)
    for r in records:
        if r.phone:
            by_phone[r.phone].append(r.started_at)
    window = timedelta(days=repeat_days)
    repeats = 0
    for times in by_phone.values():
        times.sort()
        if any(b - a <= window for a, b in pairwise(times)):
            repeats += 1
    return FlowFigures(
        flow=flow,
        calls=len(records),
        people=len(people),
        contained=sum(1 for r in records if r.contained and not r.machine),
        transferred=sum(1 for r in records if r.transferred),
        abandoned_in_queue=sum(
            1 for r in records if r.hung_up_at is not None and _type_of(r, r.hung_up_at) == QUEUE_NODE_TYPE
        ),
        opted_out=sum(1 for r in records if r.opted_out),
        machine_messages=sum(1 for r in records if r.machine and r.listened_to_end),
        listened_to_end=sum(1 for r in people if r.listened_to_end),
        results=dict(Counter(r.result for r in records).most_common()),
        nodes=nodes,
        mean_seconds=sum(durations) / len(durations) if durations else None,
        repeat_callers=repeats,
        callers=len(by_phone),
    )


def _type_of(record: IvrResultRecord, node: str) -> str | None:
    for step in record.steps:
        if step.get("node") == node:
            return str(step.get("type"))
    return None


def build_ivr_report(
    records: Sequence[IvrResultRecord], span: ReportRange, *, title: str, repeat_days: int = 7
) -> IvrReport:
    by_flow: dict[str, list[IvrResultRecord]] = defaultdict(list)
    for r in records:
        by_flow[r.flow].append(r)
    flows = tuple(_flow_figures(name, rs, repeat_days) for name, rs in sorted(by_flow.items()))
    return IvrReport(title=title, range=span, repeat_days=repeat_days, flows=flows)


def node_funnel(flow: FlowFigures) -> Series:
    """Entries per node, in the order callers first reached them: the funnel chart."""
    return Series(
        title=_("Flow {flow}: calls entering each node").format(flow=flow.flow),
        labels=tuple(n.node for n in flow.nodes),
        values=tuple(float(n.entries) for n in flow.nodes),
        value_format="{:.0f}",
    )
