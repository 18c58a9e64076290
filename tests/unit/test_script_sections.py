"""Script sections (the branches an agent moves between): checked when the campaign loads (ids, placeholders, the
disposition a branch leads to, its next steps), rendered per call with the same escaping as the script."""

from __future__ import annotations

from typing import Any

import pytest

from dialer.campaign.config import CampaignConfig, CampaignConfigError, load_campaign
from dialer.scripts.campaign import context_for, rendered

BASE: dict[str, Any] = {
    "name": "branched",
    "queue": "outbound-agents",
    "trunk": "PJSIP/{number}@carrier",
    "caller_id": {"number": "+12025550100", "name": "Acme"},
    "script": "Hello {{ first_name }}, {{ agent }} here.",
}
SECTIONS = {
    "price": {"title": "Too expensive", "text": "I hear you, {{ first_name }}: {{ fields.offer }}.", "next": ["close"]},
    "close": {"title": "Close", "text": "Shall I book it, {{ full_name }}?", "disposition": "sale"},
    "later": {"title": "Call me later", "text": "When suits you?", "disposition": "callback"},
}


def campaign(sections: object) -> CampaignConfig:
    return load_campaign({**BASE, "script_sections": sections})


def test_sections_render_per_call_escaped_with_their_next_steps() -> None:
    config = campaign(SECTIONS)
    context = context_for(
        config,
        agent="Bo",
        first_name="<b>Ann</b>",
        last_name="O'Neil",
        phone="+12025550111",
        fields={"offer": "<script>alert(1)</script>"},
    )
    script = rendered(config, context)
    sections = script["sections"]
    assert isinstance(sections, list)
    assert [(s["id"], s["title"], s["disposition"], s["next"]) for s in sections] == [
        ("price", "Too expensive", None, ["close"]),
        ("close", "Close", "sale", ["price", "later"]),
        ("later", "Call me later", "callback", ["price", "close"]),
    ]
    price = sections[0]
    assert price["text"] == "I hear you, <b>Ann</b>: <script>alert(1)</script>."
    assert price["html"] == "I hear you, &lt;b&gt;Ann&lt;/b&gt;: &lt;script&gt;alert(1)&lt;/script&gt;."
    assert sections[1]["html"] == "Shall I book it, &lt;b&gt;Ann&lt;/b&gt; O&#x27;Neil?"


def test_a_campaign_without_sections_has_none() -> None:
    config = load_campaign(BASE)
    assert (
        rendered(config, context_for(config, agent="Bo", first_name="A", last_name="", phone="", fields=None))[
            "sections"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("sections", "error"),
    [
        ({"price": {"title": "x", "text": "{{ nickname }}"}}, "nickname"),
        ({"close": {"title": "x", "text": "y", "disposition": "won"}}, "disposition 'won'"),
        ({"close": {"title": "x", "text": "y", "next": ["nowhere"]}}, "nowhere"),
        ({"Bad Id": {"title": "x", "text": "y"}}, "Bad Id"),
        ({"close": {"title": "x", "text": "y", "colour": "red"}}, "colour"),
    ],
)
def test_bad_sections_are_refused_at_load(sections: object, error: str) -> None:
    with pytest.raises(CampaignConfigError, match=error):
        campaign(sections)
