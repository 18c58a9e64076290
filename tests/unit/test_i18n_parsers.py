"""Library and PBX texts inside our sentences: every pydantic error type has a catalogue sentence; the JSON and TOML
parsers' complaints, the PBX's refusals (call control, recording, supervision), the monitoring and script-section
validators are said in the reader's language, the English original kept aside for operators (``detail_en``)."""

from __future__ import annotations

import json
import re
import tomllib
import typing
from collections.abc import Callable
from typing import TypeVar

import pytest
from harness.catalogue_scan import catalogue_misses
from pydantic_core.core_schema import ErrorType

from dialer.ami.actions import AmiActionError, AmiConnectionError, AmiTimeout
from dialer.ami.monitoring import SpyRequest, mix_monitor_headers, mix_monitor_mute_headers
from dialer.i18n import Message, message_of, render
from dialer.i18n.catalog import _PLACEHOLDERS
from dialer.i18n.library import ParserFault, ami_answer_text, json_fault, toml_fault
from dialer.i18n.validation import _VALIDATION_MESSAGES, validation_message
from dialer.parsing import DocumentError, load_json, load_toml
from dialer.scripts.sections import ScriptSection, check_sections
from dialer.web.api.callcontrol import _refusals
from dialer.web.problems import Problem

LOCALES = ("ja", "zh-CN", "zh-Hant")
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Words that stay as they are in every language (formats, protocols, products, names of settings and values).
TECHNICAL = {"JSON", "TOML", "UTF", "PBX", "URL", "AMI", "UUID", "ISO", "ASCII", "Unicode", "BOM", "MixMonitor"}
TECHNICAL |= {
    "multipart",
    "form",
    "data",
    "features",
    "conf",
    "next",
    "PJSIP",
    "uXXXX",
    "null",
    "true",
    "false",
    "YYYY",
    "HH",
}


def english_words(text: str) -> list[str]:
    unquoted = re.sub(r"'[^']*'", "", text)
    return [w for w in re.findall(r"[A-Za-z]{3,}", unquoted) if w not in TECHNICAL and not w.startswith("PT")]


def assert_localised(message: str | Message, locale: str) -> None:
    assert isinstance(message, Message), message
    text = message.render(locale)
    assert CJK.search(text), (locale, text)
    assert not english_words(text), (locale, message.msgid, text)
    assert catalogue_misses(text, locale) == [], (locale, text)


def test_every_pydantic_error_type_has_a_sentence_without_english() -> None:
    for kind in typing.get_args(ErrorType):
        assert kind in _VALIDATION_MESSAGES, kind
        ctx = {name: 5 for name in _PLACEHOLDERS.findall(_VALIDATION_MESSAGES[kind])}
        said = validation_message(kind, {k.strip("{}"): v for k, v in ctx.items()})
        assert isinstance(said, Message)
        assert said.msgid != "invalid value ({type})"
        for locale in LOCALES:
            assert_localised(said, locale)


BROKEN_JSON = [
    b'{"a": }',
    b'{"a" 1}',
    b'{"a": 1 "b": 2}',
    b"{a: 1}",
    b'{"a": 1} x',
    b'{"a": "b',
    b'{"a": "\x01"}',
    b'{"a": "\\q"}',
    b'{"a": "\\u12"}',
]
BROKEN_TOML = [
    "a = ",
    "a = 1\na = 2",
    "[a\n",
    "[[a]\n",
    "a 1",
    "a = 1 b = 2",
    "= 1",
    'a = "b',
    "a = [1, 2",
    "a = {b = 1",
    "[a]\n[a]",
    "a = 2026-13-45",
    'a = "\\q"',
    "a = {b = 1, b = 2}",
]


Raw = TypeVar("Raw", bytes, str)  # a document as a parser reads it


def document_refusal(load: Callable[[Raw], object], raw: Raw) -> DocumentError:
    """The DocumentError ``load`` raises for ``raw``, its sentence asserted localised in every locale."""
    with pytest.raises(DocumentError) as refused:
        load(raw)
    said = message_of(refused.value)
    assert isinstance(said, Message)
    for locale in LOCALES:
        assert_localised(said, locale)
    return refused.value


def parser_fault(
    parse: Callable[[Raw], object], error: type[ValueError], fault_of: Callable[[ValueError], ParserFault], raw: Raw
) -> ParserFault:
    """What ``fault_of`` reads from the ``error`` ``parse`` raises for ``raw``: a sentence of its own, never the general
    one."""
    with pytest.raises(error) as caught:
        parse(raw)
    fault = fault_of(caught.value)
    assert fault.reason.msgid != "not valid syntax", fault.technical
    return fault


@pytest.mark.parametrize("raw", BROKEN_JSON)
def test_json_complaints_are_catalogue_sentences(raw: bytes) -> None:
    fault = parser_fault(json.loads, json.JSONDecodeError, json_fault, raw)
    assert fault.line == 1
    assert fault.column is not None
    refused = document_refusal(load_json, raw)
    assert refused.technical == fault.technical  # the parser's own words, for operators


@pytest.mark.parametrize("text", BROKEN_TOML)
def test_toml_complaints_are_catalogue_sentences(text: str) -> None:
    parser_fault(tomllib.loads, tomllib.TOMLDecodeError, toml_fault, text)
    document_refusal(load_toml, text)


def test_an_unknown_parser_text_is_a_general_sentence_never_the_english() -> None:
    fault = toml_fault(tomllib.TOMLDecodeError("Something new (at line 3, column 4)"))
    assert (fault.reason.msgid, fault.line, fault.column) == ("not valid syntax", 3, 4)
    assert fault.technical == "Something new (at line 3, column 4)"


@pytest.mark.parametrize(
    "error",
    [
        AmiActionError("Redirect", "No such channel"),
        AmiActionError("Atxfer", "Atxfer not configured"),
        AmiActionError("PlayDTMF", "Something Asterisk 23 says"),
        AmiTimeout("AMI sim: no answer to Redirect within 5s"),
        AmiConnectionError("AMI sim not connected: connection refused"),
    ],
)
def test_a_pbx_refusal_of_a_call_control_button_is_said_in_the_readers_language(error: Exception) -> None:
    with pytest.raises(Problem) as caught, _refusals():
        raise error
    problem = caught.value
    assert problem.status == 409
    assert problem.extra["detail_en"] == str(error)  # Asterisk's own words stay for operators
    for locale in LOCALES:
        assert_localised(problem.detail, locale)
    assert "No such channel" not in render(problem.detail, "ja")


def test_an_originate_refused_by_the_pbx_is_said_in_the_readers_language() -> None:
    assert ami_answer_text("Originate failed").render("en") == (
        "the PBX refused the request: the PBX could not place the call"
    )
    for locale in LOCALES:
        assert_localised(ami_answer_text("Originate failed"), locale)
        assert_localised(ami_answer_text("a text nobody mapped"), locale)


def test_monitoring_and_script_section_refusals_are_catalogue_sentences() -> None:
    refusals: list[Exception] = []
    for bad in (
        lambda: SpyRequest(phone="not a phone", agent_interface="PJSIP/1001", mode="listen", supervisor="s"),
        lambda: SpyRequest(phone="PJSIP/2001", agent_interface="bad", mode="listen", supervisor="s"),
        lambda: SpyRequest(phone="PJSIP/2001", agent_interface="PJSIP/1001", mode="shout", supervisor="s"),
        lambda: mix_monitor_headers("PJSIP/1-1", "a,b.wav"),
        lambda: mix_monitor_headers("", "a.wav"),
        lambda: mix_monitor_mute_headers("PJSIP/1-1", True, "sideways"),
        lambda: check_sections({"Bad Id": ScriptSection(title="t", text="x")}, ()),
        lambda: check_sections({"close": ScriptSection(title="t", text="x", disposition="zz")}, ("sale",)),
        lambda: check_sections({"close": ScriptSection(title="t", text="x", next=("nowhere",))}, ()),
    ):
        with pytest.raises(ValueError, match=r"\S") as caught:
            bad()
        refusals.append(caught.value)
    for exc in refusals:
        said = message_of(exc)
        for locale in LOCALES:
            assert_localised(said, locale)
