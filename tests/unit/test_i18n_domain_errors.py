"""Domain errors are translatable Messages: the text a user reads (a campaign file's validation errors, a lead
file's and a CSV row's faults, a phone number's rejection, an unknown campaign, a bad report range, an IVR flow's
problems) is rendered in the reader's language where it is shown (``str(exc)`` in the CLI's or the request's
language); the codes programs read (a row's reason, a rejection's reason) do not change."""

from __future__ import annotations

import io
import tomllib

import pytest
from harness.paths import REPO

from dialer.campaign.config import CampaignConfigError, load_campaign
from dialer.campaign.leadimport import LeadCsvReader, LeadFileError, RowError
from dialer.campaign.phones import PhoneError, PhoneRejection, normalize
from dialer.i18n import M_, Message, use_locale
from dialer.ivr.check import check_flow
from dialer.ivr.flow import parse_flow
from dialer.reports.common import ReportError, parse_report_range
from dialer.store.campaigns import UnknownCampaignError


def demo(name: str = "demo-ja") -> dict[str, object]:
    return tomllib.loads((REPO / "campaigns" / f"{name}.toml").read_text(encoding="utf-8"))


def refusal(data: dict[str, object], locale: str) -> str:
    with use_locale(locale), pytest.raises(CampaignConfigError) as caught:
        load_campaign(data, "demo.toml")
    with use_locale(locale):
        return str(caught.value)


def test_unknown_campaign_in_each_language() -> None:
    exc = UnknownCampaignError("spring")
    assert isinstance(exc.args[0], Message)
    assert str(exc) == "no campaign named 'spring' (create it with `dialer campaign apply FILE`)"
    with use_locale("ja"):
        assert str(exc) == "キャンペーン 'spring' はありません（`dialer campaign apply FILE` で作成してください）"
    with use_locale("zh-CN"):
        assert str(exc) == "没有名为 'spring' 的活动（请用 `dialer campaign apply FILE` 创建）"
    with use_locale("zh-Hant"):
        assert "活動" in str(exc)
        assert "'spring'" in str(exc)


@pytest.mark.parametrize(
    ("locale", "ring", "refused"),
    [
        ("en", "must be at least 15 s", "regime requires a disposition 'refused'"),
        ("ja", "15 秒以上にしてください", "規制では通話結果 'refused'"),
        ("zh-CN", "必须至少为 15 秒", "监管制度要求通话结果 'refused'"),
    ],
)
def test_campaign_validation_errors_in_the_readers_language(locale: str, ring: str, refused: str) -> None:
    data = demo()
    data["ring_timeout_seconds"] = 5
    text = refusal(data, locale)
    assert text.startswith("demo.toml")
    assert "ring_timeout_seconds" in text  # fields are named as the file names them
    assert ring in text
    data = demo()
    data["dispositions"] = [d for d in data["dispositions"] if d["code"] != "refused"]  # type: ignore[union-attr,index]
    assert refused in refusal(data, locale)


def test_the_cn_caller_id_rule_in_chinese() -> None:
    data = demo("demo-zh-CN")
    data["caller_id"] = {"number": "+81 3 6555 0100", "name": "x"}
    assert "CN 监管制度要求使用企业自己获分配的号码" in refusal(data, "zh-CN")
    assert "CN 監管制度要求使用企業自己獲分配的號碼" in refusal(data, "zh-Hant")


def test_phone_rejections_keep_their_code_and_speak_the_readers_language() -> None:
    rejected = normalize("12", "JP")
    assert isinstance(rejected, PhoneError)
    assert rejected.reason is PhoneRejection.TOO_SHORT
    assert str(rejected.detail) == "too short for JP"
    with use_locale("ja"):
        assert str(rejected.detail) == "JP の番号としては短すぎます"
    with use_locale("zh-CN"):
        assert str(rejected.detail) == "作为 JP 的号码太短"


def rows(data: str, locale: str) -> list[RowError]:
    with use_locale(locale), LeadCsvReader(io.BytesIO(data.encode("utf-8")), default_region="JP") as reader:
        return [r for r in reader if isinstance(r, RowError)]


def test_bad_csv_rows_are_reported_in_the_readers_language() -> None:
    data = "phone,first_name,priority\n03-6555-0101,一郎,1\n03-6555-0101,二郎,1\n03-6555-0102,三郎,high\n12,四郎,1\n"
    english = rows(data, "en")
    japanese = rows(data, "ja")
    chinese = rows(data, "zh-CN")
    assert [e.reason for e in english] == [e.reason for e in japanese] == [e.reason for e in chinese]
    assert [e.detail for e in english] == [
        "same number as row 1",
        "priority 'high' is not a whole number",
        "'12': too short for JP",
    ]
    assert [e.detail for e in japanese] == [
        "1 行目と同じ番号です",
        "優先度 'high' は整数ではありません",
        "'12': JP の番号としては短すぎます",
    ]
    assert chinese[0].detail == "与第 1 行号码相同"


def test_a_lead_file_refused_in_the_readers_language() -> None:
    with use_locale("ja"), pytest.raises(LeadFileError) as caught:
        LeadCsvReader(io.BytesIO(b"phone\n1\n"), default_region="XX")
    with use_locale("ja"):
        assert str(caught.value).startswith("不明な地域 'XX'")
    with pytest.raises(LeadFileError, match="the file is empty"):
        LeadCsvReader(io.BytesIO(b""), default_region="JP").__enter__().header  # noqa: B018


def test_report_ranges_and_ivr_problems_in_the_readers_language() -> None:
    with pytest.raises(ReportError) as caught:
        parse_report_range("2026-02-01", "2026-01-01")
    with use_locale("zh-CN"):  # made where no reader is known, shown in the reader's language
        assert str(caught.value).startswith("时间范围的结束")
    flow = parse_flow(
        {"name": "t", "start": "a", "prompts": {"p": {"text": "x"}}, "nodes": {"a": {"type": "play", "prompt": "p"}}}
        | {"nodes": {"a": {"type": "play", "prompt": "p", "next": "gone"}}}
    )
    problems = check_flow(flow)
    assert problems[0].message.english == "goes to 'gone', which is not a node"
    with use_locale("ja"):
        assert str(problems[0]) == "エラー: ノード 'a', next: 遷移先 'gone' はノードではありません"


def test_agent_and_call_control_refusals_keep_their_code() -> None:
    from dialer.agents.registry import AgentError
    from dialer.callcontrol.core import CallControlError
    from dialer.campaign.windows import DailyHours, WindowError

    refused = AgentError("alice", "on_call", M_("change queues after the call"))
    assert refused.code == "on_call"
    with use_locale("ja"):
        assert str(refused) == "キューの変更は通話終了後に行ってください"
    with use_locale("zh-CN"):
        assert str(CallControlError(M_("the transfer target has not answered yet"))) == "转接目标尚未接听"
    with pytest.raises(WindowError) as caught:
        DailyHours.parse("25:00-26:00")
    with use_locale("ja"):
        assert "ありえない時刻" in str(caught.value)
