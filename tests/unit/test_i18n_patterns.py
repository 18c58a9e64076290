"""A value refused by a field's ``pattern`` is said as a sentence about what the field expects, never as the regular
expression: every pattern of the API's, the campaign and flow files' and the settings' models has its sentence."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

import dialer
from dialer.i18n import use_locale
from dialer.i18n.validation import PATTERN_MESSAGES, validation_message


def _patterns(schema: Any, into: set[str]) -> set[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            into.add(schema["pattern"])
        for value in schema.values():
            _patterns(value, into)
    elif isinstance(schema, list):
        for value in schema:
            _patterns(value, into)
    return into


def model_patterns() -> dict[str, str]:
    """Every ``pattern`` of the package's pydantic models, with a model that has it."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(dialer.__path__, "dialer."):
        if info.name.endswith("__main__") or ".migrations" in info.name:  # a command's entry point, Alembic's scripts
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                for pattern in _patterns(obj.model_json_schema(), set()):
                    found.setdefault(pattern, f"{info.name}.{name}")
    return found


def test_every_pattern_of_the_models_has_its_sentence() -> None:
    patterns = model_patterns()
    assert r"^\+?[0-9]{1,20}$" in patterns  # the recordings search's phone: the walk sees the API's models
    assert {p: where for p, where in patterns.items() if p not in PATTERN_MESSAGES} == {}
    assert set(PATTERN_MESSAGES) - set(patterns) == set(), "a sentence for a pattern no model has"


class _Code(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    other: str | None = Field(default=None, pattern=r"^x+$")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "a code of up to 40 lowercase Latin letters, digits and '_' is expected"),
        ("ja", "半角英小文字・数字・'_' で 40 文字以内のコードを入力してください"),
        ("zh-CN", "应为最多 40 个小写拉丁字母、数字和 '_' 组成的代码"),
    ],
)
def test_a_pattern_mismatch_says_what_is_expected_never_the_regex(locale: str, expected: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _Code(code="Not A Code", other="y")
    code, other = refused.value.errors()
    with use_locale(locale):
        assert str(validation_message(code["type"], code.get("ctx", {}))) == expected
        generic = str(validation_message(other["type"], other.get("ctx", {})))
    assert "^x+$" not in generic  # a pattern without a sentence: the generic one, still no regex
    assert generic
