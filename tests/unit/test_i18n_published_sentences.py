"""Sentences another daemon's dashboard shows (dialer.i18n.message_json): a campaign's "why not dialling" and its
pacing line cross the database as message documents -- the English id and its values, nested sentences and choices
kept as such -- and are rendered in each reader's language; a row an older daemon published (its English text, no
message document) keeps its text; a row this daemon publishes carries its English text too, the field an older
daemon reads (a rolling upgrade of a floor of several daemons)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dialer.i18n import M_, Message, OneOf, message_from_json, message_json, use_locale
from dialer.runner.why_not import published_sentences, with_sentences


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


def _status(why: Message) -> dict[str, Any]:
    with use_locale("ja"):  # the runner's status holds its text in whatever language it was made in
        return {
            "campaign": "demo",
            "why_not_dialing": {"code": "no_agents", "detail": why.render(), "message": message_json(why)},
            "pacing": {"guard": "no_agents", "reason": why.render(), "reason_message": message_json(why)},
        }


def test_a_published_status_is_rendered_for_its_reader() -> None:
    why = M_(
        "only {n} agents available, too few to predict: progressive; {free}",
        n=2,
        free=M_("preview mode: agents place their own calls"),
    )
    published = json.loads(json.dumps(published_sentences(_status(why))))
    with use_locale("ja"):
        shown = with_sentences(published)
    assert shown["why_not_dialing"]["detail"] == shown["pacing"]["reason"] == why.render("ja")
    assert shown["why_not_dialing"]["code"] == "no_agents"
    with use_locale("zh_Hant"):
        assert with_sentences(published)["pacing"]["reason"] == why.render("zh_Hant")


def older_daemons_reading(row: dict[str, Any]) -> tuple[object, object]:
    """What a daemon from before the message documents showed of a published row: the text fields, as they are."""
    why_not, pacing = row.get("why_not_dialing"), row.get("pacing")
    return (
        why_not.get("detail") if isinstance(why_not, dict) else None,
        pacing.get("reason") if isinstance(pacing, dict) else None,
    )


def test_an_older_daemon_reads_a_newer_daemons_row_in_english() -> None:
    why = M_("no agent logged in and unpaused")
    published = json.loads(json.dumps(published_sentences(_status(why))))
    assert older_daemons_reading(published) == (why.english, why.english)
    assert published["why_not_dialing"]["message"] == {"id": "no agent logged in and unpaused", "values": {}}
    assert published["pacing"]["reason_message"] == message_json(why)


def test_an_older_daemons_english_text_still_shows() -> None:
    old = {"campaign": "legacy", "why_not_dialing": {"code": "paused", "detail": "campaign is paused"}, "pacing": None}
    assert published_sentences(old) == old
    with use_locale("ja"):
        assert with_sentences(old) == old
    broken = {"why_not_dialing": {"code": "x", "detail": "as it was", "message": {"values": {}}}}
    assert with_sentences(broken)["why_not_dialing"]["detail"] == "as it was"
    assert published_sentences(broken)["why_not_dialing"]["detail"] == "as it was"
