"""Pause codes: what the settings may list, and when a pause has run past its code's limit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dialer.agents.pausecodes import (
    DEFAULT_PAUSE_CODES,
    RESERVED_PAUSE_REASONS,
    PauseCode,
    pause_limits,
    pause_overdue_seconds,
)
from dialer.settings import Settings


def test_the_defaults_are_the_console_s_six_with_limits_on_breaks() -> None:
    assert [p.code for p in Settings().pause_codes] == ["break", "lunch", "training", "meeting", "technical", "admin"]
    assert pause_limits(DEFAULT_PAUSE_CODES) == {"break": 900.0, "lunch": 3600.0, "technical": 1800.0}


def test_a_pause_is_overdue_past_its_code_s_limit_only() -> None:
    limits = pause_limits([PauseCode(code="break", label="Break", max_minutes=15), PauseCode(code="x", label="X")])
    assert pause_overdue_seconds("break", since=100.0, now=1000.0, limits=limits) is None  # 15 min exactly
    assert pause_overdue_seconds("break", since=100.0, now=1030.0, limits=limits) == 30.0
    assert pause_overdue_seconds("x", since=0.0, now=10**6, limits=limits) is None  # no limit
    assert pause_overdue_seconds("supervisor", since=0.0, now=10**6, limits=limits) is None  # not a code
    assert pause_overdue_seconds(None, since=0.0, now=10**6, limits=limits) is None


@pytest.mark.parametrize(
    ("codes", "says"),
    [
        ([], "at least one"),
        ([{"code": "break", "label": "Break"}, {"code": "break", "label": "Coffee"}], "listed twice"),
        *[
            ([{"code": reason, "label": "Mine"}], "the dialer's own")
            for reason in sorted(RESERVED_PAUSE_REASONS)
            if reason.replace("_", "").isalnum()
        ],
        ([{"code": "Coffee Break", "label": "Coffee"}], "pause_codes"),
        ([{"code": "coffee", "label": "Coffee", "max_minutes": 0}], "max_minutes"),
    ],
)
def test_settings_refuse_pause_codes_that_cannot_work(codes: list[dict[str, object]], says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(pause_codes=codes)
    assert says in str(refused.value)
