"""The API's problem details in the request's language (the user's setting, else Accept-Language), with the same
machine-readable ``type`` in every language; Traditional Chinese for zh-TW / zh-HK browsers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.paths import REPO
from harness.web import WebWorld, problem


async def test_unknown_campaign_report_in_each_language(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    details = {}
    for lang in ("en", "ja", "zh-CN", "zh-TW"):
        resp = await client.get("/api/reports/compliance/nope", headers={**boss, "Accept-Language": lang})
        body = await problem(resp, 404)
        assert body["type"].endswith("/not-found")
        details[lang] = body["detail"]
    assert details["en"] == "no campaign named 'nope' (create it with `dialer campaign apply FILE`)"
    assert details["ja"] == "キャンペーン 'nope' はありません（`dialer campaign apply FILE` で作成してください）"
    assert details["zh-CN"] == "没有名为 'nope' 的活动（请用 `dialer campaign apply FILE` 创建）"
    assert details["zh-TW"] == "沒有名為 'nope' 的活動（請用 `dialer campaign apply FILE` 建立）"


async def test_campaign_validation_problem_in_the_requests_language(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    toml = (
        (REPO / "campaigns" / "demo-ja.toml")
        .read_text(encoding="utf-8")
        .replace("ring_timeout_seconds = 22", "ring_timeout_seconds = 5")
    )
    types = set()
    for lang, expected in (
        ("en", "must be at least 15 s"),
        ("ja-JP,ja;q=0.9", "15 秒以上にしてください"),
        ("zh-CN", "必须至少为 15 秒"),
        ("zh-HK", "必須至少為 15 秒"),
    ):
        resp = await client.put(
            "/api/campaigns/demo-ja",
            data=toml.encode("utf-8"),
            headers={**boss, "Content-Type": "application/toml", "Accept-Language": lang},
        )
        body = await problem(resp, 422)
        types.add(body["type"])
        assert expected in body["detail"], body
        assert "ring_timeout_seconds" in body["detail"]
    assert len(types) == 1
    assert types.pop().endswith("/validation-error")


async def test_traditional_chinese_pages_and_catalogue(world: WebWorld, client: Any) -> None:
    for lang in ("zh-TW", "zh-HK,zh;q=0.9", "zh-Hant"):
        page = await (await client.get("/login", headers={"Accept-Language": lang})).text()
        assert '<html lang="zh-Hant">' in page
        assert "密碼" in page
    page = await (await client.get("/login", headers={"Accept-Language": "zh-SG"})).text()
    assert '<html lang="zh-CN">' in page
    boss = world.auth("boss")
    hant = await (await client.get("/api/i18n/zh-Hant", headers=boss)).json()
    assert hant["Ready"] == "就緒"


def test_an_upload_parsed_in_the_worker_process_is_refused_in_the_requests_language(tmp_path: Path) -> None:
    """Large uploads are parsed in another process (dialer.web.cpu): the request's language goes with them (row
    errors are written in it), and a refusal comes back as a Message, shown in the request's language."""
    import pickle

    from dialer.i18n import render
    from dialer.web.api.leadlists import UploadRefused, parse_upload

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = pickle.loads(pickle.dumps(parse_upload(str(empty), str(tmp_path / "spool"), "JP", {}, None, "ja")))
    assert isinstance(refused, UploadRefused)
    assert render(refused.detail, "ja").endswith("empty.csv: ファイルが空です")
    english = parse_upload(str(empty), str(tmp_path / "spool"), "JP", {}, None)
    assert isinstance(english, UploadRefused)
    assert str(english.detail).endswith("empty.csv: the file is empty")
