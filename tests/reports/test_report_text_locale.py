"""`dialer report ...` on a terminal in the reader's language (DIALER_LANG / LANG): every sentence and column
header of the text output comes from the catalogue (no English catalogue sentence is left: the scan the browser
tests do on the DOM), figures and times are formatted by Babel, and codes (dispositions, outcomes, check names)
stay as the campaign file and the JSON call them."""

from __future__ import annotations

import pytest
from harness.catalogue_scan import catalogue_misses
from reports_history import NOW, History

from dialer.i18n import use_locale, use_zone
from dialer.reports import ReportRange
from dialer.reports.calls import call_records_report
from dialer.reports.compliance_scan import compliance_report
from dialer.reports.ivr import build_ivr_report
from dialer.reports.output import render
from dialer.reports.performance_scan import performance_report
from dialer.reports.plan import measure_campaign, run_plan
from dialer.reports.render.text import pad, width

EXPECTED = {
    "ja": {
        "compliance": [
            "コンプライアンスレポート — キャンペーン ukspring（規制 UK）",
            "総合判定: 不合格",
            "上限超過",
            "応答 23 件中",
        ],
        "performance": ["実績レポート — キャンペーン ukspring", "オペレーター", "平均通話時間", "現地時刻別の接続率"],
        "calls": ["通話記録 — キャンペーン ukspring", "開始（UTC）", "通話結果"],
        "plan": ["要員シミュレーション — キャンペーン ukspring", "オペレーター数"],
        "ivr": ["この期間に IVR の通話はありません"],
    },
    "zh-CN": {
        "compliance": ["合规报告 — 活动 ukspring（监管制度 UK）", "总体：不合格", "超过上限", "真人接听 23 通中"],
        "performance": ["绩效报告 — 活动 ukspring", "坐席", "平均通话时长", "按当地小时的接通率"],
        "calls": ["通话记录 — 活动 ukspring", "开始（UTC）", "通话结果"],
        "plan": ["人员配置推演 — 活动 ukspring", "坐席数"],
        "ivr": ["该时间范围内没有 IVR 通话"],
    },
    "zh-Hant": {
        "compliance": ["合規報告 — 活動 ukspring", "不合格"],
        "performance": ["績效報告 — 活動 ukspring", "座席"],
        "calls": ["通話記錄 — 活動 ukspring"],
        "plan": ["活動 ukspring"],
        "ivr": ["IVR 通話"],
    },
}


@pytest.mark.parametrize("locale", list(EXPECTED))
async def test_every_text_report_in_the_readers_language(sqlite_history: History, locale: str) -> None:
    db = sqlite_history.db
    # The command line sets its language before it builds the report (rule texts and notes are written then).
    with use_locale(locale), use_zone("Asia/Tokyo"):
        compliance = await compliance_report(db, "ukspring", ReportRange(), now=NOW)
        performance = await performance_report(db, "ukspring", ReportRange(), now=NOW)
        one_agent = await performance_report(db, "ukspring", ReportRange(), agent="a1", now=NOW)
        calls = await call_records_report(db, "ukspring", ReportRange(), limit=5)
        config, measured = await measure_campaign(db, "ukspring", ReportRange())
        plan = run_plan(config, measured, [2], hours=0.25, seed=3)
        ivr = build_ivr_report([], ReportRange(), title="ukspring", repeat_days=7)
        texts = {
            "compliance": render(compliance, "text"),
            "performance": render(performance, "text") + "\n" + render(one_agent, "text"),
            "calls": render(calls, "text"),
            "plan": render(plan, "text"),
            "ivr": render(ivr, "text"),
        }
    for name, text in texts.items():
        for expected in EXPECTED[locale][name]:
            assert expected in text, (name, expected, text)
        assert catalogue_misses(text, locale) == [], (name, text)
    assert "JST" in texts["compliance"]  # times in the reader's zone, Babel's format
    assert "sale" in texts["performance"]  # disposition codes stay codes
    assert "calling_window" in texts["compliance"]  # check names stay names


async def test_english_is_the_default_and_the_scan_sees_it(sqlite_history: History) -> None:
    performance = await performance_report(sqlite_history.db, "ukspring", ReportRange(), now=NOW)
    english = render(performance, "text")
    assert english.startswith("Performance report — campaign ukspring")
    assert "teams: no agent was in a team in this period" in english
    assert catalogue_misses(english, "ja") != []


def test_columns_line_up_with_wide_characters() -> None:
    assert width("坐席") == 4
    assert width("a1") == 2
    assert pad("坐席", 6) == "坐席  "
    assert pad("12", 4, right=True) == "  12"
    with use_locale("ja"):
        lines = render_table()
    # The last column is right-aligned: every line ends at the same terminal column.
    assert len({width(line) for line in lines}) == 1, lines


def render_table() -> list[str]:
    from dialer.reports.render.text import table

    return table(["agent", "calls"], [False, True], [["山田", 3], ["a1", 12]])
