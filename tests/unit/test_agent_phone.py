"""An agent's phone is a channel Asterisk can reach (the queue member's interface, what a supervisor's Originate
rings): one rule, :func:`check_agent_phone`, for the CLI and the API."""

from __future__ import annotations

import pytest

from dialer.i18n import message_of, render
from dialer.store.auth import InvalidPhoneError, check_agent_phone


@pytest.mark.parametrize(
    "phone",
    [
        None,
        "PJSIP/1001",
        "PJSIP/alice",
        "pjsip/alice",
        "PJSIP/1001@office",
        "SIP/1001",
        "IAX2/desk1",
        "Local/agent1@sim-agents",
        "Local/boss@sim-supervisors",
        "Local/1001@agents/n",
    ],
)
def test_a_channel_is_a_phone(phone: str | None) -> None:
    check_agent_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "bad phone",
        "",
        "1001",
        "+14155550101",
        "PJSIP/",
        "PJSIP/1001 ",
        "PJSIP/alice,bob",
        "PJSIP/alice&PJSIP/bob",
        "Local/agent1",  # a Local channel needs its context
        "Foo/1001",
        "PJSIP/a|b",
        "PJSIP/" + "1" * 120,
    ],
)
def test_anything_else_is_refused_saying_what_a_phone_looks_like(phone: str) -> None:
    with pytest.raises(InvalidPhoneError) as refused:
        check_agent_phone(phone)
    assert render(message_of(refused.value), "en") == (
        f"phone {phone!r}: not a channel Asterisk can reach (e.g. PJSIP/1001, SIP/1001, IAX2/desk1, "
        "Local/agent1@agents)"
    )
