"""Sentences another daemon's dashboard shows (dialer.i18n.message_json): a campaign's "why not dialling" and its
pacing line cross the database as message documents -- the English id and its values, nested sentences and choices
kept as such -- and are rendered in each reader's language; a row an older daemon published (its English text, no
message document) keeps its text."""

from __future__ import annotations

import json

import pytest

from dialer.i18n import M_, OneOf, message_from_json, message_json, use_locale
from dialer.runner.why_not import with_sentences, without_sentences


def test_a_message_document_crosses_json_and_renders_in_each_language() -> None:
    free = M_(
        "{ready} ready − {reserve} kept for inbound − {in_flight} calls in flight", ready=1, reserve=0, in_flight=1
    )
    budget = M_("only {n} agents available, too few to predict: progressive; {free}", n=2, free=free)
    doc = json.loads(json.dumps(message_json(budget)))
    back = message_from_json(doc)
    for locale in ("en", "ja", "zh_CN", "zh_Hant"):
        assert back.render(locale) == budget.render(locale)
    assert budget.render("ja") != budget.render("en")
    choices = M_("{value} is not one of {choices}", value="x", choices=OneOf(("a", "b")))
    assert message_from_json(json.loads(json.dumps(message_json(choices)))).render("ja") == choices.render("ja")


@pytest.mark.parametrize("doc", [{"values": {}}, {"id": "x", "values": {"v": {"what": 1}}}, {"id": 3}])
def test_a_document_that_is_not_a_message_is_refused(doc: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a message"):
        message_from_json(doc)


def test_a_status_published_without_text_is_rendered_for_its_reader() -> None:
    why = M_("no agent logged in and unpaused")
    status = {
        "campaign": "demo",
        "why_not_dialing": {"code": "no_agents", "detail": why.render("en"), "message": message_json(why)},
        "pacing": {"guard": "no_agents", "reason": why.render("en"), "reason_message": message_json(why)},
    }
    published = without_sentences(status)
    assert "detail" not in published["why_not_dialing"]
    assert "reason" not in published["pacing"]
    with use_locale("ja"):
        shown = with_sentences(published)
    assert shown["why_not_dialing"]["detail"] == shown["pacing"]["reason"] == why.render("ja")
    assert shown["why_not_dialing"]["code"] == "no_agents"


def test_an_older_daemons_english_text_still_shows() -> None:
    old = {"campaign": "legacy", "why_not_dialing": {"code": "paused", "detail": "campaign is paused"}, "pacing": None}
    assert without_sentences(old) == old
    assert with_sentences(old) == old
    broken = {"why_not_dialing": {"code": "x", "detail": "as it was", "message": {"values": {}}}}
    assert with_sentences(broken)["why_not_dialing"]["detail"] == "as it was"
