"""Flow parsing and `dialer ivr check`: structure errors, graph faults, the shipped flows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness.paths import REPO
from typer.testing import CliRunner

from dialer.cli import app
from dialer.ivr.actions import ACTIONS
from dialer.ivr.check import Severity, check_flow
from dialer.ivr.flow import FlowError, load_flow, parse_flow


def flow_data(**nodes: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "t",
        "start": "a",
        "prompts": {"p": {"text": "hello there"}, "q": {"file": "beep"}},
        "nodes": nodes,
    }


def problems(data: dict[str, Any], **kw: Any) -> list[tuple[str, str | None, str]]:
    return [(p.severity.value, p.node, p.message.english) for p in check_flow(parse_flow(data), **kw)]


def test_a_good_flow_has_no_problem() -> None:
    data = flow_data(
        a={"type": "play", "prompt": "p", "next": "b"},
        b={"type": "collect", "prompt": "q", "choices": {"1": "c"}, "on_failure": "c"},
        c={"type": "hangup"},
    )
    assert problems(data) == []


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"type": "play", "prompt": "p"}, "next"),
        ({"type": "collect", "prompt": "p", "on_failure": "x"}, "choices"),
        ({"type": "collect", "prompt": "p", "choices": {"1a": "x"}, "on_failure": "x"}, "keys"),
        ({"type": "collect", "prompt": "p", "next": "x", "pattern": "(", "on_failure": "x"}, "regular expression"),
        ({"type": "collect", "prompt": "p", "choices": {"12": "x"}, "on_failure": "x"}, "max_digits"),
        ({"type": "queue", "queue": "q", "max_wait_seconds": 3600, "on_timeout": "x"}, "less than or equal"),
        ({"type": "dance"}, "type"),
    ],
)
def test_structure_errors_name_the_field(node: dict[str, Any], message: str) -> None:
    with pytest.raises(FlowError, match=message):
        parse_flow(flow_data(a=node))


def test_prompt_is_file_or_text() -> None:
    data = flow_data(a={"type": "hangup"})
    data["prompts"]["bad"] = {"file": "x", "text": "y"}
    with pytest.raises(FlowError, match="either a sound file"):
        parse_flow(data)
    data["prompts"]["bad"] = {"file": "../etc/passwd"}
    with pytest.raises(FlowError, match="climb out"):
        parse_flow(data)


def test_missing_targets_and_prompts_are_errors() -> None:
    data = flow_data(
        a={"type": "play", "prompt": "nope", "next": "zz"},
    )
    found = problems(data)
    assert ("error", "a", "goes to 'zz', which is not a node") in found
    assert ("error", "a", "prompt 'nope' is not defined in [prompts]") in found


def test_start_must_be_a_node() -> None:
    data = flow_data(b={"type": "hangup"})
    assert ("error", None, "'a' is not a node") in problems(data)


def test_unreachable_nodes_are_warned() -> None:
    data = flow_data(a={"type": "hangup"}, orphan={"type": "hangup"})
    found = problems(data)
    assert ("warning", "orphan", "unreachable: no path from the start leads here") in found
    assert not [p for p in found if p[0] == "error"]


def test_a_loop_without_exit_is_an_error() -> None:
    data = flow_data(
        a={"type": "play", "prompt": "p", "next": "b"},
        b={"type": "collect", "prompt": "q", "choices": {"1": "a"}, "on_failure": "a"},
    )
    found = problems(data)
    assert {n for s, n, m in found if s == "error" and "loop without exit" in m} == {"a", "b"}


def test_a_loop_with_an_exit_is_fine() -> None:
    data = flow_data(
        a={"type": "play", "prompt": "p", "next": "b"},
        b={"type": "collect", "prompt": "q", "choices": {"1": "a", "2": "end"}, "on_failure": "end"},
        end={"type": "hangup"},
    )
    assert problems(data) == []


def test_a_cycle_of_branches_spins() -> None:
    data = flow_data(
        a={"type": "branch", "variable": "caller", "cases": {"x": "end"}, "default": "b"},
        b={"type": "branch", "variable": "caller", "default": "a"},
        end={"type": "hangup"},
    )
    found = problems(data)
    assert ("error", "a", "loop without exit: a cycle of branch nodes never waits for the caller") in found


def test_opt_out_key_may_not_be_a_choice_and_actions_must_exist() -> None:
    data = flow_data(
        a={"type": "collect", "prompt": "p", "choices": {"9": "b"}, "on_failure": "b"},
        b={"type": "lookup", "action": "launch_rocket", "next": "c"},
        c={"type": "hangup"},
    )
    data["opt_out_key"] = "9"
    found = problems(data, actions=ACTIONS)
    assert ("error", "a", "is the flow's opt-out key") in found
    assert any(s == "error" and n == "b" and "launch_rocket" in m for s, n, m in found)


def test_sound_files_are_checked_when_the_directory_is_given(tmp_path: Path) -> None:
    data = flow_data(a={"type": "play", "prompt": "q", "next": "b"}, b={"type": "hangup", "prompt": "p"})
    assert any("sound file 'beep'" in m for _, _, m in problems(data, sounds_dir=tmp_path))
    (tmp_path / "beep.wav").write_bytes(b"RIFF")
    assert problems(data, sounds_dir=tmp_path) == []


def test_branch_on_a_variable_nothing_stores_is_warned() -> None:
    data = flow_data(a={"type": "branch", "variable": "pin", "default": "b"}, b={"type": "hangup"})
    assert ("warning", "a", "'pin' is never stored by a collect or lookup node") in problems(data)


def test_shipped_flows_check_clean() -> None:
    files = sorted((REPO / "campaigns" / "ivr").glob("*.toml"))
    assert files
    for file in files:
        errors = [p for p in check_flow(load_flow(file), actions=ACTIONS) if p.severity is Severity.ERROR]
        assert errors == [], file


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["ivr", "check", str(REPO / "campaigns" / "ivr" / "reminder.toml")])
    assert ok.exit_code == 0, ok.output
    assert "ok" in ok.output
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nstart = "a"\n[nodes.a]\ntype = "play"\nprompt = "p"\nnext = "a"\n')
    res = runner.invoke(app, ["ivr", "check", "--json", str(bad)])
    assert res.exit_code == 1
    assert '"ok": false' in res.output
    assert "loop without exit" in res.output
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [")
    res = runner.invoke(app, ["ivr", "check", str(broken)])
    assert res.exit_code == 1
    assert "not valid TOML" in res.output
