"""`dialer ivr check`: the faults of a flow's graph that parsing cannot see.

Errors (the flow is refused): a start or target that is no node, a prompt that is not defined (or, given the
sounds directory, a sound file that is not there), an opt-out key that is also a menu choice, a loop without exit
(nodes from which no ``hangup`` or ``queue`` node can be reached, or a cycle of ``branch`` nodes that never waits
for the caller), an unknown daemon action. Warnings: nodes no call can reach, a branch on a variable nothing stores.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dialer.i18n import M_, Message, _
from dialer.ivr.flow import BranchNode, CollectNode, Flow, LookupNode, QueueNode

SOUND_EXTENSIONS = ("wav", "gsm", "ulaw", "alaw", "sln", "sln16", "g722")
# Variables every call has without a node storing them (dialer.ivr.executor sets them at start).
BUILTIN_VARIABLES = frozenset({"caller", "campaign", "attempt", "answered_by"})


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    severity: Severity
    node: str | None  # None: the flow itself
    field: str
    message: Message  # in the reader's language where it is shown (``str()``); ``.english`` for JSON and logs

    def __str__(self) -> str:
        where = _("node {node}").format(node=repr(self.node)) if self.node else _("flow")
        severity = _("error") if self.severity is Severity.ERROR else _("warning")
        return f"{severity}: {where}, {self.field}: {self.message}"


def _edges(flow: Flow) -> dict[str, list[str]]:
    return {nid: [t for _, t in node.targets() if t in flow.nodes] for nid, node in flow.nodes.items()}


def _reachable(start: Iterable[str], edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [s for s in start if s in edges]
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        stack.extend(edges[nid])
    return seen


def _can_exit(flow: Flow, edges: dict[str, list[str]]) -> set[str]:
    """Nodes from which a terminal node (hangup) or a queue (the call leaves the flow) is reachable."""
    reverse: dict[str, list[str]] = {nid: [] for nid in edges}
    for src, targets in edges.items():
        for t in targets:
            reverse[t].append(src)
    exits = [nid for nid, node in flow.nodes.items() if node.terminal or isinstance(node, QueueNode)]
    return _reachable(exits, reverse)


def _branch_cycles(flow: Flow, edges: dict[str, list[str]]) -> set[str]:
    """Branch nodes on a cycle made of branch nodes only (it would spin without waiting for anything)."""
    branch_edges = {
        nid: [t for t in edges[nid] if isinstance(flow.nodes[t], BranchNode)]
        for nid, node in flow.nodes.items()
        if isinstance(node, BranchNode)
    }
    cyclic: set[str] = set()
    for nid in branch_edges:
        if nid in _reachable(branch_edges[nid], branch_edges):
            cyclic.add(nid)
    return cyclic


def _stored_variables(flow: Flow) -> set[str]:
    names = set(BUILTIN_VARIABLES)
    for node in flow.nodes.values():
        if isinstance(node, CollectNode) and node.store:
            names.add(node.store)
        if isinstance(node, LookupNode) and node.store:
            names.add(node.store)
    return names


def _variable_known(name: str, stored: set[str], flow: Flow) -> bool:
    if name in stored or name.startswith("lead_"):
        return True
    prefixes = [n.store for n in flow.nodes.values() if isinstance(n, LookupNode) and n.store]
    return any(name.startswith(f"{p}_") for p in prefixes)


def sound_exists(sounds_dir: Path, name: str) -> bool:
    return any((sounds_dir / f"{name}.{ext}").is_file() for ext in SOUND_EXTENSIONS)


def check_flow(
    flow: Flow,
    *,
    sounds_dir: Path | None = None,
    actions: Collection[str] | None = None,
) -> list[Problem]:
    """Every fault of ``flow``; errors first. ``sounds_dir``: check sound files exist; ``actions``: known actions."""
    problems: list[Problem] = []

    def error(node: str | None, field: str, message: Message) -> None:
        problems.append(Problem(Severity.ERROR, node, field, message))

    def warn(node: str | None, field: str, message: Message) -> None:
        problems.append(Problem(Severity.WARNING, node, field, message))

    if flow.start not in flow.nodes:
        error(None, "start", M_("{node} is not a node", node=repr(flow.start)))
    for nid, node in flow.nodes.items():
        for field, target in node.targets():
            if target not in flow.nodes:
                error(nid, field, M_("goes to {target}, which is not a node", target=repr(target)))
        for field, prompt in node.prompts():
            if prompt not in flow.prompts:
                error(nid, field, M_("prompt {prompt} is not defined in [prompts]", prompt=repr(prompt)))
        if isinstance(node, CollectNode) and flow.opt_out_key and flow.opt_out_key in node.choices:
            error(nid, f"choices.{flow.opt_out_key}", M_("is the flow's opt-out key"))
        if isinstance(node, LookupNode) and actions is not None and node.action not in actions:
            error(
                nid,
                "action",
                M_(
                    "{action} is not a daemon action (known: {known})",
                    action=repr(node.action),
                    known=", ".join(sorted(actions)),
                ),
            )
    for field, extra in (("opt_out_prompt", flow.opt_out_prompt), ("machine_prompt", flow.machine_prompt)):
        if extra is not None and extra not in flow.prompts:
            error(None, field, M_("prompt {prompt} is not defined in [prompts]", prompt=repr(extra)))
    if sounds_dir is not None:
        for name, sound in flow.prompts.items():
            if sound.file is not None and not sound_exists(sounds_dir, sound.file):
                error(
                    None,
                    f"prompts.{name}",
                    M_("sound file {file} is not in {dir}", file=repr(sound.file), dir=str(sounds_dir)),
                )

    edges = _edges(flow)
    reachable = _reachable([flow.start], edges)
    exiting = _can_exit(flow, edges)
    for nid in flow.nodes:
        if nid in reachable and nid not in exiting:
            error(nid, "(graph)", M_("loop without exit: no hangup or queue node can be reached from here"))
    for nid in sorted(_branch_cycles(flow, edges) & reachable):
        error(nid, "(graph)", M_("loop without exit: a cycle of branch nodes never waits for the caller"))
    for nid in flow.nodes:
        if nid not in reachable and flow.start in flow.nodes:
            warn(nid, "(graph)", M_("unreachable: no path from the start leads here"))
    stored = _stored_variables(flow)
    for nid, node in flow.nodes.items():
        if isinstance(node, BranchNode) and not _variable_known(node.variable, stored, flow):
            warn(
                nid,
                "variable",
                M_("{variable} is never stored by a collect or lookup node", variable=repr(node.variable)),
            )
    used_prompts = {p for n in flow.nodes.values() for _, p in n.prompts()}
    used_prompts |= {p for p in (flow.opt_out_prompt, flow.machine_prompt) if p}
    for name in flow.prompts:
        if name not in used_prompts:
            warn(None, f"prompts.{name}", M_("defined but never played"))
    problems.sort(key=lambda p: p.severity != Severity.ERROR)
    return problems


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]
