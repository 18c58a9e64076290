"""Local presence: which of the business's numbers a call presents (dialer.campaign.callerid), and what a campaign
may list as its local numbers (dialer.campaign.config)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.campaign.callerid import own_area_prefix, prefix_table, presented_number
from dialer.campaign.config import CampaignConfigError, load_campaign

MAIN = "+12025550100"


def campaign(local: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "spring-promo",
        "queue": "sales",
        "trunk": "PJSIP/{number}@carrier",
        "caller_id": {"number": "+1 202 555 0100", "name": "Acme", "local": local},
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("number", "prefix"),
    [
        ("+12125550199", "+1212"),  # New York
        ("+441614960000", "+44161"),  # Manchester
        ("+81312345678", "+813"),  # Tokyo
        ("+861012345678", "+8610"),  # Beijing
        ("+447911123456", None),  # a UK mobile: no area of its own
        ("+18005550100", None),  # toll-free
    ],
)
def test_a_number_s_own_area(number: str, prefix: str | None) -> None:
    assert own_area_prefix(number) == prefix


def test_the_longest_prefix_wins_and_the_lead_picks_among_several() -> None:
    table = prefix_table([("+12125550199", ["+1212"]), ("+16465550123", ["+1646", "+1"]), ("+16465550124", ["+1646"])])
    assert presented_number(MAIN, table, "+12125550000", 7) == "+12125550199"
    assert [presented_number(MAIN, table, "+16465550000", lead) for lead in range(4)] == [
        "+16465550123",
        "+16465550124",
        "+16465550123",
        "+16465550124",
    ]
    assert presented_number(MAIN, table, "+13105550000", 1) == "+16465550123"  # "+1" serves the rest of NANP
    assert presented_number(MAIN, table, "+441614960000", 1) == MAIN  # nobody serves it: the campaign's number


@given(
    phone=st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
    lead=st.integers(min_value=0, max_value=10**9),
    prefixes=st.lists(st.from_regex(r"\+[1-9][0-9]{0,5}", fullmatch=True), max_size=6),
)
def test_a_call_presents_a_number_that_serves_it_or_the_campaign_s(phone: str, lead: int, prefixes: list[str]) -> None:
    table = prefix_table((f"+1212555{n:04d}", [p]) for n, p in enumerate(prefixes))
    shown = presented_number(MAIN, table, phone, lead)
    serving = [p for p in table if phone.startswith(p)]
    if not serving:
        assert shown == MAIN
    else:
        assert shown in table[max(serving, key=len)]
    assert shown == presented_number(MAIN, table, phone, lead)  # one person, one number


def test_the_campaign_takes_local_numbers_in_e164_serving_their_own_area_by_default() -> None:
    config = load_campaign(
        campaign([{"number": "(212) 555-0199"}, {"number": "+1 646 555 0123", "prefixes": ["+1646", "+1917"]}]),
        "spring.toml",
    )
    assert [(n.number, n.prefixes) for n in config.caller_id.local] == [
        ("+12125550199", ("+1212",)),
        ("+16465550123", ("+1646", "+1917")),
    ]
    assert config.caller_id.presented("+19175550000", 3) == "+16465550123"
    assert config.caller_id.presented("+13125550000", 3) == "+12025550100"
    # What the store keeps and reads back presents the same.
    again = type(config).model_validate(config.model_dump(mode="json", by_alias=True))
    assert again.caller_id.presented("+19175550000", 3) == "+16465550123"


@pytest.mark.parametrize(
    ("local", "says"),
    [
        ([{"number": "+1 212 555"}], "not a valid diallable number"),
        ([{"number": "+1 900 555 0100", "prefixes": ["+1900"]}], "premium-rate"),
        ([{"number": "+44 7911 123456"}], "no geographic area of its own"),
        ([{"number": "+1 212 555"}], "caller_id.local"),
        ([{"number": "+1 212 555 0199", "prefixes": ["1212"]}], "prefixes"),
        ([{"number": "+1 212 555 0199", "prefixes": ["+1 212"]}], "prefixes"),
    ],
)
def test_a_local_number_that_is_no_caller_id_is_refused(local: list[dict[str, Any]], says: str) -> None:
    with pytest.raises(CampaignConfigError) as refused:
        load_campaign(campaign(local), "spring.toml")
    assert says in str(refused.value)
