"""Sentences a user reads that were English before: the call-control buttons' refusals (one catalogue message per
button, the call's state as a word of the catalogue), the texts of the csv module and the codecs inside a lead
file's refusal, the store's row rejections, pydantic's refusals; ``message_of`` keeps an exception's Message so it
is rendered in its reader's language (after crossing to the CPU worker and back); the root ``--locale`` option."""

from __future__ import annotations

import csv
import io
import pickle
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from harness.catalogue_scan import catalogue_misses
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from typer.testing import CliRunner

from dialer.callcontrol.core import CallControlError, CallState, ControlledCall, Party, PartyKind
from dialer.campaign.leadimport import LeadCsvReader, LeadFileError
from dialer.campaign.leadimport.model import ImportedLead, RowErrorReason
from dialer.campaign.leadimport.rejects import dedupe_against, scrub_dnc
from dialer.cli import app
from dialer.i18n import M_, Message, _, current_locale, message_of, render, use_locale
from dialer.i18n.library import csv_error_text, decode_reason
from dialer.web.api.leadbatch import Refused, parse_batch
from dialer.web.problems import validation_problem

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LOCALES = ("ja", "zh-CN", "zh-Hant")


def a_call() -> ControlledCall:
    return ControlledCall(7, "PJSIP/trunk-0001", "alice", "PJSIP/alice-0002", 100.0)


BUTTONS: dict[str, Callable[[ControlledCall], object]] = {
    "hold": lambda c: c.hold(120.0),
    "resume": lambda c: c.resume(120.0),
    "dtmf": lambda c: c.dtmf("1"),
    "transfer": lambda c: c.blind_transfer(Party(PartyKind.QUEUE, "closers"), "alice", 120.0),
    "complete": lambda c: c.complete_warm_transfer(120.0),
    "cancel": lambda c: c.cancel_warm_transfer(120.0),
    "leave": lambda c: c.drop_out(120.0),
    "hangup": lambda c: c.hangup(),
}


def _refusal(button: str, state: CallState) -> Message:
    call = a_call()
    call.state = state
    with pytest.raises(CallControlError) as caught:
        BUTTONS[button](call)
    said = message_of(caught.value)
    assert isinstance(said, Message)
    return said


def test_each_call_control_button_refuses_in_a_sentence_of_its_own() -> None:
    refusals = {
        "hold": _refusal("hold", CallState.HELD),
        "resume": _refusal("resume", CallState.TALKING),
        "dtmf": _refusal("dtmf", CallState.HELD),
        "complete": _refusal("complete", CallState.TALKING),
        "cancel": _refusal("cancel", CallState.TALKING),
        "leave": _refusal("leave", CallState.TALKING),
        "transfer": _refusal("transfer", CallState.CONSULTING),
        "hangup": _refusal("hangup", CallState.ENDED),
    }
    assert len({m.msgid for m in refusals.values()}) == len(refusals)  # one message per button
    assert "{doing}" not in "".join(m.msgid for m in refusals.values())
    assert refusals["hold"].english == (
        "cannot put the customer on hold: the call is held (only a call in progress can be put on hold)"
    )
    assert refusals["hold"].render("ja") == (
        "お客様を保留にできません: 通話の状態は「保留中」です（保留にできるのは通話中の通話だけです）"
    )
    assert refusals["resume"].render("zh-CN") == "无法取消保持：通话处于“通话中”状态，并未保持"
    assert refusals["hangup"].render("zh-Hant") == "無法掛斷：通話已處於「已結束」狀態"
    for message in refusals.values():
        for locale in LOCALES:
            text = message.render(locale)
            assert CJK.search(text), text
            assert not re.search(r"\b(held|talking|ended|consulting|conference)\b", text), text
            assert catalogue_misses(text, locale) == [], text


def test_an_exception_keeps_its_message_for_its_reader() -> None:
    exc = LookupError(M_("no lead list {id}", id=4))
    said = message_of(exc)
    assert isinstance(said, Message)
    assert said.render("ja") != said.english
    assert message_of(ValueError("plain")) == "plain"
    wrapped = M_("campaigns: {exc}", exc=exc)
    assert wrapped.render("ja") == "campaigns: " + said.render("ja")
    with use_locale("en"):
        assert wrapped.render("zh-CN") == "campaigns：" + said.render("zh-CN")


def test_the_csv_modules_and_the_codecs_texts_are_translated() -> None:
    old = csv.field_size_limit(10)
    try:
        with pytest.raises(csv.Error) as too_big:
            list(csv.reader(io.StringIO('"' + "x" * 50 + '"\n')))
    finally:
        csv.field_size_limit(old)
    text = csv_error_text(too_big.value)
    assert isinstance(text, Message)
    assert text.english == "a value longer than 10 characters"
    assert text.render("ja") == "10 文字を超える値"
    with pytest.raises(UnicodeDecodeError) as bad:
        b"ok \xff".decode("utf-8")
    reason = decode_reason(bad.value.reason)
    assert isinstance(reason, Message)
    assert CJK.search(reason.render("zh-CN"))
    assert csv_error_text(csv.Error("something new")) == "something new"  # unknown: as the library wrote it


def test_a_lead_file_not_in_its_declared_encoding_is_refused_in_the_readers_language(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("phone,name\n+81312345678,山田 太郎\n".encode("cp932"))
    with pytest.raises(LeadFileError) as caught, LeadCsvReader(path, default_region="JP", encoding="euc_jp") as reader:
        list(reader)
    said = message_of(caught.value)
    assert isinstance(said, Message)
    for locale in LOCALES:
        text = said.render(locale)
        assert catalogue_misses(text, locale) == [], text
        assert "multibyte sequence" not in text, text
        assert "euc_jp" in text, text


def _lead(row: int, phone: str) -> ImportedLead:
    return ImportedLead(row, row + 1, phone, (), ("Asia/Tokyo",), None, (), "太郎", "山田", "", 0, None, {})


@pytest.mark.parametrize(("locale", "dnc", "dup"), [("ja", "発信禁止", "すでに"), ("zh-CN", "拒绝来电", "已在")])
def test_the_stores_row_rejections_are_written_in_the_importers_language(locale: str, dnc: str, dup: str) -> None:
    with use_locale(locale):
        _keep, on_dnc = scrub_dnc([_lead(1, "+81312345678")], {"+81312345678"})
        _keep, again = dedupe_against([_lead(2, "+81312345679")], {"+81312345679"})
    assert on_dnc[0].reason is RowErrorReason.DNC
    assert dnc in on_dnc[0].detail
    assert again[0].reason is RowErrorReason.ALREADY_IN_CAMPAIGN
    assert dup in again[0].detail


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2)
    size: int = Field(ge=1, le=9)

    @field_validator("name")
    @classmethod
    def _no_x(cls, v: str) -> str:
        if "x" in v:
            raise ValueError(M_("one rule per outcome"))
        return v


def test_pydantic_refusals_are_catalogue_sentences_and_keep_the_machine_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        _Body.model_validate({"name": "xx", "size": "many", "more": 1})
    problem = validation_problem(caught.value, "body")
    errors = problem.extra["errors"]
    assert [(e["location"], e["type"]) for e in errors] == [
        (["body", "name"], "value_error"),
        (["body", "size"], "int_parsing"),
        (["body", "more"], "extra_forbidden"),
    ]
    assert render(errors[0]["message"], "ja") == render(M_("one rule per outcome"), "ja") != "one rule per outcome"
    assert render(errors[1]["message"], "ja") == "整数を指定してください"
    assert render(errors[1]["message"], "zh-Hant") == "應為整數"
    assert render(problem.detail, "zh-CN").startswith("name：")
    with pytest.raises(ValidationError) as too_big:
        _Body.model_validate({"name": "ab", "size": 10})
    assert render(validation_problem(too_big.value, "query").detail, "ja") == "size: 9 以下にしてください"


def test_a_lead_batch_refusal_crosses_the_worker_as_a_message() -> None:
    """``parse_batch`` runs in the CPU worker, in no reader's language: its refusal comes back as Messages."""
    refused = pickle.loads(pickle.dumps(parse_batch(b'{"leads": [{"name": "x"}]}', "JP")))
    assert isinstance(refused, Refused)
    assert isinstance(refused.detail, Message)
    assert render(refused.detail, "ja").startswith("リクエスト本文")
    invalid = pickle.loads(pickle.dumps(parse_batch(b'{"leads": [], "extra": 1}', "JP")))
    assert isinstance(invalid, Refused)
    assert invalid.errors is not None
    assert {render(e["message"], "zh-CN") for e in invalid.errors} == {"至少 1 项", "未知字段：此处不接受"}


def _cli(args: list[str], **env: str) -> str:
    environ = {"LANG": "", "DIALER_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", **env}
    with use_locale("en"):
        result = CliRunner().invoke(app, args, env=environ)
    assert current_locale() == "en"
    return result.output


@pytest.mark.parametrize(
    ("flag", "locale"), [("ja", "ja"), ("zh-CN", "zh-CN"), ("zh_TW.UTF-8", "zh-Hant"), ("en", "en")]
)
def test_the_root_locale_option_chooses_the_language(flag: str, locale: str, tmp_path: Path) -> None:
    """``dialer --locale ja ...`` wins over DIALER_LANG and LANG; an unknown one is refused in theirs."""
    db = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    args = ["--locale", flag, "report", "performance", "--campaign", "nope", "--from", "soon"]
    out = _cli(args, DIALER_LANG="ja" if flag == "en" else "en", LANG="zh_CN.UTF-8", DIALER_DATABASE_URL=db)
    with use_locale(locale):
        expected = _("error: {message}").format(message="")
    assert "YYYY-MM-DD" in out, out
    assert out.startswith(expected), out
    if locale == "en":
        assert not CJK.search(out), out
    else:
        assert CJK.search(out), out
        assert catalogue_misses(out, locale) == [], out
    refused = _cli(["--locale", "klingon", "status"], DIALER_LANG="ja")
    assert "'klingon'" in refused, refused
    assert "のいずれでもありません" in refused, refused


def test_a_csv_download_the_encoding_cannot_hold_is_refused_in_the_readers_language() -> None:
    from dialer.reports.render.csv import CsvEncodingError, encode_csv

    with pytest.raises(CsvEncodingError) as caught:
        encode_csv("name\r\n山田\r\n𠮷野\r\n", "cp932")
    said = message_of(caught.value)
    assert isinstance(said, Message)
    assert said.english.startswith("line 3 has '𠮷', which cp932 cannot hold")
    assert said.render("ja").startswith("3 行目の '𠮷' は cp932 で表せません")
    assert said.render("zh-CN").startswith("第 3 行的 '𠮷' 无法用 cp932 表示")


def test_the_mapped_validation_types_are_pydantics() -> None:
    """A key that is no pydantic error type (a typo, a type renamed upstream) would never be used."""
    import typing

    from pydantic_core.core_schema import ErrorType

    from dialer.i18n.validation import _VALIDATION_MESSAGES

    assert set(_VALIDATION_MESSAGES) <= set(typing.get_args(ErrorType))


@pytest.mark.parametrize(("locale", "required"), [("ja", "この項目は必須です"), ("zh-CN", "此字段为必填")])
def test_a_campaign_files_pydantic_refusals_are_in_the_readers_language(locale: str, required: str) -> None:
    from dialer.campaign.config import CampaignConfigError, load_campaign

    document = {
        "name": "x",
        "dial_mode": "nope",
        "queue": "q",
        "trunk": "PJSIP/{number}@c",
        "ring_timeout_seconds": "a",
    }
    with use_locale(locale), pytest.raises(CampaignConfigError) as caught:
        load_campaign(document, "x.toml")
    with use_locale(locale):
        text = str(caught.value)
    assert "caller_id: " + required in text, text
    assert "Input should" not in text, text
    assert catalogue_misses(text, locale) == [], text
