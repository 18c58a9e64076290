"""IVR flows as data: prompts and nodes read from TOML (a campaign's ``[ivr]`` table or its own file).

A flow is a graph of nodes, entered at ``start``::

    name = "reminder"
    start = "greet"
    opt_out_key = "9"                 # on every automated call: this key adds the number to the DNC list
    opt_out_prompt = "optout-bye"

    [prompts]
    greet = { text = "Hello. This is a reminder of your appointment tomorrow." }
    menu = { text = "Press 1 to confirm, 2 to cancel, 3 to talk to someone." }
    beep = { file = "beep" }          # a sound file (Asterisk name, no extension)

    [nodes.greet]
    type = "play"
    prompt = "greet"
    next = "menu"

    [nodes.menu]
    type = "collect"
    prompt = "menu"
    choices = { "1" = "confirm", "2" = "cancel", "3" = "agent" }
    retries = 2
    timeout_seconds = 5
    on_failure = "bye"

Node types: ``play`` (a prompt, then ``next``), ``collect`` (digits: ``choices`` branch by key, or ``pattern`` /
``min_digits`` / ``max_digits`` validate an entry stored in ``store``; ``retries`` more tries after a timeout or an
invalid entry, then ``on_failure``), ``lookup`` (ask the daemon: ``action`` with ``args`` from the flow's variables
and ``values`` fixed in the flow; its result branches through ``on`` by status, the data is stored under
``store``), ``branch`` (on a variable's value), ``queue`` (hand to an agent queue, waiting at most
``max_wait_seconds``; ``on_timeout`` when nobody answered), ``hangup`` (the end: ``result`` names the outcome,
``contained`` whether self-service resolved it).

This module only parses and type-checks; :mod:`dialer.ivr.check` finds graph faults and
:mod:`dialer.ivr.executor` runs a flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dialer.i18n import M_, message_of
from dialer.i18n.library import os_error_text
from dialer.parsing import DocumentError, load_toml

NODE_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
KEYS = "0123456789*#"
VARIABLE = r"^[a-z][a-z0-9_]{0,40}$"
# The longest a caller who asked for an agent may wait in the queue: after it the flow's on_timeout runs (a
# message, never silence). Queue() itself plays music on hold meanwhile.
MAX_QUEUE_WAIT_SECONDS = 600

_Frozen = ConfigDict(frozen=True, extra="forbid")


class FlowError(ValueError):
    """A flow that cannot be used; the message names the file, the field and the reason."""


class Prompt(BaseModel):
    """A recorded sound (``file``: an Asterisk sound name without extension) or ``text`` rendered at apply time.

    ``seconds``: how long it plays (the simulator and pacing estimate calls by it); for text, the default is
    estimated from the words (2.5 words per second), for a file it is required when it matters.
    """

    model_config = _Frozen
    file: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_./-]{1,200}$")
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    seconds: float | None = Field(default=None, gt=0, le=600)

    @model_validator(mode="after")
    def _one_source(self) -> Prompt:
        if (self.file is None) == (self.text is None):
            raise ValueError(M_("a prompt is either a sound file (file = ...) or a text (text = ...)"))
        if self.file is not None and ".." in self.file.split("/"):
            raise ValueError(M_("a prompt file may not climb out of the sounds directory ('..')"))
        return self

    @property
    def duration(self) -> float:
        if self.seconds is not None:
            return self.seconds
        if self.text is not None:
            return max(1.0, len(self.text.split()) / 2.5)
        return 3.0


def _keyed_targets(field: str, nodes: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """The targets of a table of a node (``choices``, ``on``, ``cases``): (``field.key``, node id) for each key."""
    return ((f"{field}.{key}", node) for key, node in nodes.items())


class _Node(BaseModel):
    model_config = _Frozen

    def targets(self) -> Iterator[tuple[str, str]]:
        """(field, node id) of every node this one can go to."""
        return iter(())

    def prompts(self) -> Iterator[tuple[str, str]]:
        """(field, prompt name) of every prompt this one plays."""
        return iter(())

    @property
    def terminal(self) -> bool:
        """The call leaves the flow here (hung up, or handed to an agent who answered)."""
        return False


class PlayNode(_Node):
    type: Literal["play"]
    prompt: str
    next: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next

    def prompts(self) -> Iterator[tuple[str, str]]:
        yield "prompt", self.prompt


class CollectNode(_Node):
    type: Literal["collect"]
    prompt: str
    choices: dict[str, str] = Field(default_factory=dict, description="key -> node")
    store: str | None = Field(default=None, pattern=VARIABLE, description="variable the entry is stored in")
    min_digits: int = Field(default=1, ge=1, le=32)
    max_digits: int = Field(default=1, ge=1, le=32)
    pattern: str | None = Field(default=None, max_length=200, description="regular expression the entry must match")
    terminator: Literal["#", "*", ""] = "#"
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    retries: int = Field(default=2, ge=0, le=10)
    invalid_prompt: str | None = None
    timeout_prompt: str | None = None
    next: str | None = Field(default=None, description="after a valid entry (when no choice matched)")
    on_failure: str = Field(description="after the last retry failed")

    @field_validator("choices")
    @classmethod
    def _keys(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not key or any(c not in KEYS for c in key):
                raise ValueError(M_("choice {key} is not a string of keys {keys}", key=repr(key), keys=KEYS))
        return v

    @field_validator("pattern")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error:
                raise ValueError(M_("pattern {pattern} is not a regular expression", pattern=repr(v))) from None
        return v

    @model_validator(mode="after")
    def _shape(self) -> CollectNode:
        if self.min_digits > self.max_digits:
            raise ValueError(M_("min_digits is more than max_digits"))
        if not self.choices and self.next is None:
            raise ValueError(M_("a collect node needs choices (key -> node) or next (after a valid entry)"))
        if self.choices and self.next is None:
            longest = max(len(k) for k in self.choices)
            if longest > self.max_digits:
                raise ValueError(M_("a choice has {n} keys but max_digits is {max}", n=longest, max=self.max_digits))
        return self

    def targets(self) -> Iterator[tuple[str, str]]:
        yield from _keyed_targets("choices", self.choices)
        if self.next is not None:
            yield "next", self.next
        yield "on_failure", self.on_failure

    def prompts(self) -> Iterator[tuple[str, str]]:
        yield "prompt", self.prompt
        if self.invalid_prompt is not None:
            yield "invalid_prompt", self.invalid_prompt
        if self.timeout_prompt is not None:
            yield "timeout_prompt", self.timeout_prompt

    def accepts(self, digits: str) -> bool:
        """A valid entry: a choice, or (without choices, or with ``next``) the length and pattern rules."""
        if digits in self.choices:
            return True
        if self.next is None:
            return False
        if not self.min_digits <= len(digits) <= self.max_digits:
            return False
        return self.pattern is None or re.fullmatch(self.pattern, digits) is not None


class LookupNode(_Node):
    type: Literal["lookup"]
    action: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$", description="a daemon action (dialer.ivr.actions)")
    args: dict[str, str] = Field(default_factory=dict, description="argument -> flow variable")
    values: dict[str, str] = Field(default_factory=dict, description="argument -> fixed value (e.g. a queue name)")
    store: str | None = Field(default=None, pattern=VARIABLE, description="prefix the result's data is stored under")
    on: dict[str, str] = Field(default_factory=dict, description="result status -> node")
    next: str | None = Field(default=None, description="any other status")
    timeout_seconds: float = Field(default=3.0, gt=0, le=30)

    @model_validator(mode="after")
    def _shape(self) -> LookupNode:
        if not self.on and self.next is None:
            raise ValueError(M_("a lookup node needs on (status -> node) or next"))
        both = sorted(set(self.args) & set(self.values))
        if both:
            raise ValueError(M_("argument {name} is given both in args and in values", name=repr(both[0])))
        return self

    def targets(self) -> Iterator[tuple[str, str]]:
        yield from _keyed_targets("on", self.on)
        if self.next is not None:
            yield "next", self.next


class BranchNode(_Node):
    type: Literal["branch"]
    variable: str = Field(pattern=VARIABLE)
    cases: dict[str, str] = Field(default_factory=dict, description="value -> node")
    default: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield from _keyed_targets("cases", self.cases)
        yield "default", self.default


class QueueNode(_Node):
    type: Literal["queue"]
    queue: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,80}$")
    prompt: str | None = Field(default=None, description="played before joining (e.g. 'connecting you')")
    max_wait_seconds: int = Field(default=60, ge=1, le=MAX_QUEUE_WAIT_SECONDS)
    on_timeout: str = Field(description="nobody answered within max_wait_seconds (or the queue was empty)")

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "on_timeout", self.on_timeout

    def prompts(self) -> Iterator[tuple[str, str]]:
        if self.prompt is not None:
            yield "prompt", self.prompt


class HangupNode(_Node):
    type: Literal["hangup"]
    prompt: str | None = Field(default=None, description="played before hanging up")
    result: str = Field(default="done", pattern=r"^[a-z][a-z0-9_]{0,40}$", description="the outcome recorded")
    contained: bool = Field(default=True, description="self-service resolved the call")

    def prompts(self) -> Iterator[tuple[str, str]]:
        if self.prompt is not None:
            yield "prompt", self.prompt

    @property
    def terminal(self) -> bool:
        return True


Node = Annotated[
    PlayNode | CollectNode | LookupNode | BranchNode | QueueNode | HangupNode,
    Field(discriminator="type"),
]


class Flow(BaseModel):
    """One IVR flow. Structure is checked here; graph faults (reachability, loops) by :func:`check_flow`."""

    model_config = _Frozen
    name: str = Field(pattern=NODE_ID)
    description: str = ""
    start: str
    prompts: dict[str, Prompt] = Field(default_factory=dict)
    nodes: dict[str, Node]
    opt_out_key: str | None = Field(default=None, pattern=r"^[0-9*#]$", description="adds the number to DNC")
    opt_out_prompt: str | None = Field(default=None, description="played after an opt-out, before hanging up")
    machine_prompt: str | None = Field(default=None, description="left on answering machines after the beep")
    max_steps: int = Field(default=200, ge=10, le=10000, description="a call entering more nodes is ended")

    @field_validator("nodes")
    @classmethod
    def _ids(cls, v: dict[str, Any]) -> dict[str, Any]:
        for node_id in v:
            if not re.match(NODE_ID, node_id):
                raise ValueError(M_("node id {node_id} is not a slug (a-z, 0-9, _ and -)", node_id=repr(node_id)))
        if not v:
            raise ValueError(M_("a flow needs at least one node"))
        return v

    def node(self, node_id: str) -> PlayNode | CollectNode | LookupNode | BranchNode | QueueNode | HangupNode:
        return self.nodes[node_id]

    def prompt(self, name: str) -> Prompt:
        return self.prompts[name]


def parse_flow(data: Mapping[str, Any], what: str = "flow") -> Flow:
    """A flow from a parsed TOML table. Raises FlowError naming every bad field."""
    try:
        return Flow.model_validate(dict(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(flow)'}: {err['msg']}" for err in exc.errors()
        )
        raise FlowError(M_("{what}: {problems}", what=what, problems=problems)) from None


def load_flow(path: Path) -> Flow:
    """A flow file (TOML), or the ``[ivr]`` table of a campaign file."""
    try:
        data = load_toml(path.read_bytes(), str(path))
    except OSError as exc:
        raise FlowError(M_("{path}: cannot read: {reason}", path=path, reason=os_error_text(exc.strerror))) from None
    except DocumentError as exc:
        raise FlowError(message_of(exc)) from None
    if "nodes" not in data and isinstance(data.get("ivr"), dict):
        data = data["ivr"]
    return parse_flow(data, str(path))
