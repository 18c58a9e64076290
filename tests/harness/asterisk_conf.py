"""A small reader of Asterisk configuration files and dialplans, the way Asterisk 22 parses them (no linter for
Asterisk 22 dialplans is kept: asterisklint 0.4.3 predates `AMD`, `WaitForSilence` and `[section](+)`). Used by the
static checks of asterisk/ (tests/unit/test_asterisk_config.py): `;` comments with `\\;` escapes, `#include`,
`[name](template)` / `(!)` / `(+)` sections, `exten =>` / `same => n(label),App(args)`, jump targets, and the
modules each application and function needs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dialer import contract

ASTERISK = Path(__file__).resolve().parents[2] / "asterisk"
LAB = ASTERISK / "lab"

# ---------------------------------------------------------------------------------------------------------------
# A small Asterisk config reader


@dataclass
class Line:
    path: Path
    number: int
    text: str  # comment stripped, escapes kept as written (\; -> ;)
    comment: bool  # the raw line was only a comment


@dataclass
class Section:
    name: str
    options: tuple[str, ...]  # ("!",) template, ("+",) append, ("tmpl",) inherit
    header: Line
    lines: list[Line] = field(default_factory=list)
    preceded_by_comment: bool = False  # a comment line right above the header
    followed_by_comment: bool | None = None  # the first non-blank line after the header is a comment

    @property
    def documented(self) -> bool:
        return self.preceded_by_comment or bool(self.followed_by_comment)

    @property
    def is_template(self) -> bool:
        return "!" in self.options

    def pairs(self) -> list[tuple[str, str]]:
        out = []
        for line in self.lines:
            key, sep, value = line.text.partition("=")
            if not sep:
                raise AssertionError(f"{line.path.name}:{line.number}: not 'key = value': {line.text!r}")
            out.append((key.strip(), value.lstrip(">").strip()))
        return out


def _strip_comment(raw: str) -> str:
    """Drop a ';' comment; '\\;' is a literal semicolon."""
    out = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            break
        out.append(ch)
        i += 1
    return "".join(out).rstrip()


def read_lines(path: Path, seen: tuple[Path, ...] = ()) -> list[Line]:
    """Lines of a config file with #include expanded (relative to the including file, like astetcdir)."""
    path = path.resolve()
    assert path not in seen, f"#include loop through {path}"
    assert path.is_file(), f"missing config file {path}"
    lines: list[Line] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        include = re.fullmatch(r'#include\s+"?([^"]+)"?', stripped)
        if include:
            lines.extend(read_lines(path.parent / include.group(1), (*seen, path)))
            continue
        assert not stripped.startswith("#"), f"{path.name}:{number}: unknown directive {stripped!r}"
        text = _strip_comment(raw).strip()
        lines.append(Line(path, number, text, comment=not text and stripped.startswith(";")))
    return lines


def parse_config(path: Path) -> list[Section]:
    sections: list[Section] = []
    previous_was_comment = False
    for line in read_lines(path):
        current = sections[-1] if sections else None
        if not line.text:
            if line.comment and current is not None and current.followed_by_comment is None:
                current.followed_by_comment = True
            previous_was_comment = line.comment
            continue
        header = re.fullmatch(r"\[([^\]]+)\](?:\(([^)]*)\))?", line.text)
        if header:
            options = tuple(o.strip() for o in (header.group(2) or "").split(",") if o.strip())
            sections.append(Section(header.group(1), options, line, preceded_by_comment=previous_was_comment))
        else:
            assert current is not None, f"{line.path.name}:{line.number}: setting outside a section"
            if current.followed_by_comment is None:
                current.followed_by_comment = False
            current.lines.append(line)
        previous_was_comment = False
    return sections


def merged(sections: list[Section]) -> dict[str, dict[str, list[str]]]:
    """Section name -> key -> values, with (template) inheritance and (+) appends applied; templates kept."""
    result: dict[str, dict[str, list[str]]] = {}
    for section in sections:
        if "+" in section.options:
            assert section.name in result, f"[{section.name}](+) appends to nothing"
            values = result[section.name]
        else:
            values = {}
            for parent in section.options:
                if parent in ("!", "+"):
                    continue
                assert parent in result, f"[{section.name}] inherits unknown template {parent}"
                for key, vals in result[parent].items():
                    values[key] = list(vals)
            result[section.name] = values
        overridden: set[str] = set()
        for key, value in section.pairs():
            if key in ("member",):  # multi-valued
                values.setdefault(key, []).append(value)
            elif key not in overridden:
                values[key] = [value]
                overridden.add(key)
            else:
                values[key].append(value)
    return result


def single(values: dict[str, list[str]], key: str) -> str:
    assert key in values, f"missing {key}"
    return values[key][-1]


# ---------------------------------------------------------------------------------------------------------------
# Dialplan model


@dataclass
class Step:
    context: str
    exten: str
    priority: int
    label: str | None
    app: str
    args: str
    where: str


@dataclass
class Context:
    name: str
    section: Section
    steps: list[Step] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)

    def extensions(self) -> dict[str, list[Step]]:
        out: dict[str, list[Step]] = {}
        for step in self.steps:
            out.setdefault(step.exten, []).append(step)
        return out


@dataclass
class Dialplan:
    contexts: dict[str, Context]
    globals: dict[str, str]


def split_args(args: str, sep: str = ",") -> list[str]:
    """Split on sep outside parentheses/brackets/quotes, like AST_STANDARD_APP_ARGS."""
    parts, depth, current, quoted = [], 0, [], False
    i = 0
    while i < len(args):
        ch = args[i]
        if ch == "\\" and i + 1 < len(args):
            current.append(args[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def parse_dialplan(path: Path) -> Dialplan:
    contexts: dict[str, Context] = {}
    globals_: dict[str, str] = {}
    sections = parse_config(path)
    for section in sections:
        if section.name == "general":
            continue
        if section.name == "globals":
            for key, value in section.pairs():
                globals_[key] = value
            continue
        assert section.name not in contexts, f"context [{section.name}] defined twice"
        context = Context(section.name, section)
        contexts[section.name] = context
        exten: str | None = None
        priority = 0
        for line in section.lines:
            where = f"{line.path.name}:{line.number}"
            key, _, value = line.text.partition("=>")
            key = key.strip()
            value = value.strip()
            if key == "include":
                context.includes.append(value)
                continue
            assert key in ("exten", "same"), f"{where}: unexpected {line.text!r}"
            if key == "exten":
                exten, _, rest = value.partition(",")
            else:
                assert exten is not None, f"{where}: 'same' before any 'exten'"
                rest = value
            prio_text, _, app_text = rest.partition(",")
            match = re.fullmatch(r"(\d+|n|hint)(?:\((\w+)\))?", prio_text.strip())
            assert match, f"{where}: bad priority {prio_text!r}"
            if match.group(1) == "n":
                priority += 1
            else:
                priority = int(match.group(1))
                assert key == "exten", f"{where}: numbered priority on 'same'"
            app_match = re.fullmatch(r"(\w+)(?:\((.*)\))?", app_text.strip())
            assert app_match, f"{where}: bad application call {app_text!r}"
            context.steps.append(
                Step(
                    section.name,
                    exten.strip(),
                    priority,
                    match.group(2),
                    app_match.group(1),
                    app_match.group(2) or "",
                    where,
                )
            )
    return Dialplan(contexts, globals_)


def pattern_matches(pattern: str, number: str) -> bool:
    if not pattern.startswith("_"):
        return pattern == number
    regex = ""
    body = pattern[1:]
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "[":
            end = body.index("]", i)
            regex += "[" + body[i + 1 : end] + "]"
            i = end + 1
            continue
        regex += {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(ch.upper(), re.escape(ch))
        i += 1
    return re.fullmatch(regex, number) is not None


def specificity(pattern: str) -> tuple[int, ...]:
    """Asterisk prefers, position by position, the pattern that matches fewer characters there."""
    if not pattern.startswith("_"):
        return tuple(1 for _ in pattern)
    weights, body, i = [], pattern[1:], 0
    while i < len(body):
        ch = body[i]
        if ch == "[":
            end = body.index("]", i)
            weights.append(len(body[i + 1 : end]))
            i = end + 1
            continue
        weights.append({"X": 10, "Z": 9, "N": 8, ".": 1000, "!": 1001}.get(ch.upper(), 1))
        i += 1
    return tuple(weights)


def best_extension(dialplan: Dialplan, context: str, number: str) -> tuple[str, str] | None:
    """(context, pattern) Asterisk would run for number in context, following includes (own context first)."""
    ctx = dialplan.contexts[context]
    candidates = [pattern for pattern in ctx.extensions() if pattern_matches(pattern, number)]
    if candidates:
        return context, min(candidates, key=specificity)
    for included in ctx.includes:
        found = best_extension(dialplan, included, number)
        if found:
            return found
    return None


def _condition_end(args: str) -> int:
    """Where a GotoIf/GosubIf condition ends: the last "?" outside ${...}, $[...] and (...) (a target may hold an
    ${IF(...?...:...)}); -1 without one."""
    depth, end = 0, -1
    for i, char in enumerate(args):
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "?" and depth == 0:
            end = i
    return end


def targets_of(step: Step) -> list[tuple[str, str, str]]:
    """(context, exten, priority-or-label) targets of Goto/GotoIf/Gosub and of b()/U() options."""

    def resolve(parts: list[str]) -> tuple[str, str, str]:
        parts = [p.strip() for p in parts]
        if len(parts) == 1:
            return step.context, step.exten, parts[0]
        if len(parts) == 2:
            return step.context, parts[0], parts[1]
        return parts[0], parts[1], parts[2]

    found: list[tuple[str, str, str]] = []
    if step.app in ("Goto", "Gosub"):
        found.append(resolve(split_args(step.args)))
    elif step.app in ("GotoIf", "GosubIf"):
        branches = step.args[_condition_end(step.args) + 1 :]
        for branch in split_args(branches, ":"):
            if branch.strip():
                found.append(resolve(split_args(branch)))
    if step.app in ("Queue", "Dial"):
        options = split_args(step.args)[1] if step.app == "Queue" else ([*split_args(step.args), "", ""])[2]
        for letter, arg in re.findall(r"([bBU])\(([^)]*)\)", options):
            parts = arg.split("^")
            if letter == "U":
                found.append((parts[0], "s", "1"))
            else:
                found.append((parts[0], parts[1], parts[2]))
    return found


# ---------------------------------------------------------------------------------------------------------------
# Fixtures

# The dialer's contexts (dialer/contract.py) and the two examples: a carrier's inbound route and the agents' phones.
PRODUCTION_CONTEXTS = {"agent-phones", "from-carrier", *contract.CONTEXTS}
# Variables Asterisk itself sets (or that the dialer sends in the Originate) that the dialplan reads.
ORIGINATE_VARIABLES = (
    set(contract.ORIGINATE_VARIABLES) | set(contract.MONITORING_VARIABLES) | set(contract.CALL_CONTROL_VARIABLES)
)  # Originate or Setvar
ASTERISK_VARIABLES = {
    "EXTEN",
    "CONTEXT",
    "CHANNEL",
    "AMDSTATUS",
    "AMDCAUSE",
    "QUEUESTATUS",
    "READSTATUS",
    "PLAYBACKSTATUS",
    "DIALSTATUS",
    "HANGUPCAUSE",
    "MEMBERINTERFACE",
    "ARG1",
    "ARG2",
}
# Application -> module for the lab's explicit modules.conf (pbx builtins need none).
BUILTIN_APPS = {
    "Answer",
    "Busy",
    "Congestion",
    "Goto",
    "GotoIf",
    "Hangup",
    "NoOp",
    "Ringing",
    "Set",
    "Wait",
    "Progress",
    "Background",
    "WaitExten",
}
APP_MODULES = {
    "AMD": "app_amd.so",
    "Queue": "app_queue.so",
    "Dial": "app_dial.so",
    "Read": "app_read.so",
    "Playback": "app_playback.so",
    "PlayTones": "app_playtones.so",
    "StopPlayTones": "app_playtones.so",
    "SendDTMF": "app_senddtmf.so",
    "UserEvent": "app_userevent.so",
    "Log": "app_verbose.so",
    "Verbose": "app_verbose.so",
    "Gosub": "app_stack.so",
    "GosubIf": "app_stack.so",
    "MixMonitor": "app_mixmonitor.so",
    "ChanSpy": "app_chanspy.so",
    "Return": "app_stack.so",
    "WaitForSilence": "app_waitforsilence.so",
    "Echo": "app_echo.so",
    "AGI": "res_agi.so",
    "ExecIf": "app_exec.so",
    "MusicOnHold": "res_musiconhold.so",
    "ConfBridge": "app_confbridge.so",
}
FUNCTION_MODULES = {
    "CHANNEL": "func_channel.so",
    "CALLERID": "func_callerid.so",
    "DEVICE_STATE": "func_devstate.so",
    "IF": "func_logic.so",
    "PJSIP_HEADER": "res_pjsip_header_funcs.so",
}
# Functions only evaluated on channels the lab never has (PJSIP agent legs).
LAB_UNUSED_FUNCTIONS = {"PJSIP_HEADER"}
