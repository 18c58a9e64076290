"""Every API problem's detail is a catalogue sentence in the request's language (ja, zh-CN), the ``type``, the
status and the machine fields (a validation error's ``location`` and ``type``) the same in every language: the
routes whose details were built from an exception's English text or an f-string, and pydantic's refusals."""

from __future__ import annotations

import re
from typing import Any

from harness.web import PREVIEW_TOML, WebWorld, problem, start_campaign

LANGS = ("en", "ja", "zh-CN")
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


async def _each_language(
    send: Any, status: int, kind: str, headers: dict[str, str], *, url: str, **kwargs: Any
) -> dict[str, dict[str, Any]]:
    """The problem of one request in each language; its type (``kind``) and status the same in all."""
    bodies = {}
    for lang in LANGS:
        resp = await send(url, headers={**headers, "Accept-Language": lang}, **kwargs)
        body = await problem(resp, status)
        assert body["type"].endswith("/" + kind), body
        bodies[lang] = body
    assert not CJK.search(bodies["en"]["detail"]), bodies["en"]
    return bodies


async def test_lead_batch_problems(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    url = "/api/campaigns/demo/leads"
    wrong_type = await _each_language(client.post, 415, "unsupported-media-type", boss, url=url, data=b"phone=1")
    assert wrong_type["ja"]["detail"].startswith("本文は JSON（Content-Type: application/json）で送ってください"), (
        wrong_type["ja"]
    )
    assert "JSON" in wrong_type["zh-CN"]["detail"]
    assert CJK.search(wrong_type["zh-CN"]["detail"])
    assert wrong_type["ja"]["title"] != wrong_type["en"]["title"]

    invalid = await _each_language(client.post, 422, "validation-error", boss, url=url, json={"leads": []})
    for body in invalid.values():
        assert [e["type"] for e in body["errors"]] == ["too_short"]
        assert body["errors"][0]["location"] == ["body", "leads"]
    assert invalid["en"]["detail"] == "leads: at least 1 items"
    assert invalid["ja"]["detail"] == "leads: 1 件以上にしてください"
    assert invalid["zh-CN"]["detail"] == "leads：至少 1 项"
    assert invalid["ja"]["errors"][0]["message"] == "1 件以上にしてください"

    # A fault of the leads themselves (no phone column), found in the CPU worker process, said of the body.
    no_phone = await _each_language(
        client.post, 422, "bad-lead-batch", boss, url=url, json={"leads": [{"name": "山田 太郎"}]}
    )
    assert no_phone["en"]["detail"].startswith("the request body"), no_phone["en"]
    assert no_phone["ja"]["detail"].startswith("リクエスト本文"), no_phone["ja"]
    assert no_phone["zh-CN"]["detail"].startswith("请求体"), no_phone["zh-CN"]


async def test_dnc_number_problem(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    bodies = await _each_language(
        client.post, 422, "validation-error", boss, url="/api/dnc", json={"number": "123", "region": "jp"}
    )
    assert bodies["en"]["detail"] == "number: not a valid phone number for region JP: too short for JP"
    assert bodies["ja"]["detail"] == "number: 地域 JP の有効な電話番号ではありません: JP の番号としては短すぎます"
    assert bodies["zh-CN"]["detail"] == "number：不是地区 JP 的有效电话号码：作为 JP 的号码太短"


async def test_team_problems(world: WebWorld, client: Any) -> None:
    root = world.auth("root")
    assert (await client.post("/api/teams", json={"name": "north"}, headers=root)).status == 201
    unknown_campaign = await _each_language(
        client.put, 422, "validation-error", root, url="/api/teams/north/campaigns", json={"campaigns": ["nope"]}
    )
    assert unknown_campaign["en"]["detail"] == "campaigns: no campaign named 'nope'"
    assert unknown_campaign["ja"]["detail"] == "campaigns: 'nope' という名前のキャンペーンはありません"
    assert unknown_campaign["zh-CN"]["detail"] == "campaigns：没有名为 'nope' 的活动"
    unknown_team = await _each_language(
        client.put, 404, "not-found", root, url="/api/teams/south/campaigns", json={"campaigns": ["demo"]}
    )
    assert unknown_team["ja"]["detail"] == "チーム 'south' はありません"
    assert unknown_team["zh-CN"]["detail"] == "没有团队 'south'"


async def test_recycle_schedule_problems(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    url = "/api/lead-lists/999999/recycle-schedule"
    rules = [{"outcome": "no_answer", "older_than_minutes": 60}]
    bad = await _each_language(
        client.put, 422, "validation-error", boss, url=url, json={"rules": rules, "zone": "Asia/Tokyo"}
    )
    assert bad["en"]["detail"].startswith("give either every (an interval) or at")
    for lang in ("ja", "zh-CN"):
        assert CJK.search(bad[lang]["detail"]), bad[lang]
        assert "crontab" in bad[lang]["detail"], bad[lang]
    missing = await _each_language(
        client.put, 404, "not-found", boss, url=url, json={"rules": rules, "every_minutes": 60, "zone": "Asia/Tokyo"}
    )
    assert missing["en"]["detail"] == "no lead list 999999"
    assert "999999" in missing["ja"]["detail"]
    assert CJK.search(missing["ja"]["detail"])
    assert "999999" in missing["zh-CN"]["detail"]
    assert CJK.search(missing["zh-CN"]["detail"])


async def test_campaign_put_problems(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    toml = {**boss, "Content-Type": "application/toml"}
    other = await _each_language(
        client.put, 422, "validation-error", toml, url="/api/campaigns/demo", data=b'name = "other"\n'
    )
    assert other["en"]["detail"] == "name in the body ('other') differs from the URL ('demo')"
    assert other["ja"]["detail"] == "本文の名前（'other'）が URL の名前（'demo'）と異なります"
    assert other["zh-CN"]["detail"] == "请求体中的名称（'other'）与 URL 中的（'demo'）不同"
    broken = await _each_language(client.put, 400, "bad-request", toml, url="/api/campaigns/demo", data=b"name = ")
    assert broken["ja"]["detail"].startswith("キャンペーンを解析できません: リクエスト本文: 有効な TOML ではありません")
    assert broken["zh-CN"]["detail"].startswith("无法解析活动：请求体：不是有效的 TOML")


async def test_validation_errors_are_catalogue_sentences_with_pydantics_machine_fields(
    world: WebWorld, client: Any
) -> None:
    boss = world.auth("boss")
    bodies = await _each_language(
        client.post,
        422,
        "validation-error",
        boss,
        url="/api/webhooks/subscriptions",
        json={"url": "https://hooks.example.com/x", "events": [], "colour": "red", "secret": "short"},
    )
    kinds = [(tuple(e["location"]), e["type"]) for e in bodies["en"]["errors"]]
    for body in bodies.values():
        assert [(tuple(e["location"]), e["type"]) for e in body["errors"]] == kinds
    assert (("body", "colour"), "extra_forbidden") in kinds
    messages = {lang: {e["type"]: e["message"] for e in b["errors"]} for lang, b in bodies.items()}
    assert messages["en"]["extra_forbidden"] == "unknown field: it is not accepted here"
    assert messages["ja"]["extra_forbidden"] == "不明な項目です: ここでは受け付けません"
    assert messages["zh-CN"]["extra_forbidden"] == "未知字段：此处不接受"
    assert messages["ja"]["string_too_short"] == "16 文字以上にしてください"
    assert messages["zh-CN"]["too_short"] == "至少 1 项"

    # A validator's own refusal (value_error) and a choice among values (literal_error), listed the CLDR way.
    prefs = await _each_language(
        client.put, 422, "validation-error", boss, url="/api/me/preferences", json={"language": "xx"}
    )
    assert prefs["en"]["detail"] == "language: 'xx' is not one of en, ja, zh-CN, zh-Hant"
    assert prefs["ja"]["detail"] == "language: 'xx' は en, ja, zh-CN, zh-Hant のいずれでもありません"
    query = await _each_language(client.get, 422, "validation-error", boss, url="/api/webhooks/deliveries?state=lost")
    assert query["en"]["errors"][0]["location"] == ["query", "state"]
    assert query["en"]["detail"] == "state: must be one of 'pending', 'delivered', or 'dead'"
    assert query["ja"]["detail"] == "state: 'pending'、'delivered'、または'dead' のいずれかにしてください"
    assert query["zh-CN"]["detail"] == "state：必须是 'pending'、'delivered'或'dead' 之一"


async def test_webhook_destination_problem(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    bodies = await _each_language(
        client.post,
        422,
        "destination-refused",
        boss,
        url="/api/webhooks/subscriptions",
        json={"url": "ftp://files.example.com/in", "events": ["*"]},
    )
    assert bodies["en"]["detail"].startswith("url: only http and https URLs")
    assert bodies["ja"]["detail"].startswith("url: http と https の URL のみ使用できます")
    assert bodies["zh-CN"]["detail"].startswith("url：仅支持 http 和 https URL")


async def test_call_control_and_disposition_problems(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    await start_campaign(world, client, "manual", PREVIEW_TOML)
    hold = await _each_language(client.post, 409, "conflict", alice, url="/api/agents/alice/call/hold")
    assert hold["en"]["detail"] == "alice is on no call that can be controlled"
    assert hold["ja"]["detail"] == "alice には操作できる通話がありません"
    assert hold["zh-CN"]["detail"] == "alice 没有可控制的通话"


async def test_preview_and_queue_refusals(world: WebWorld, client: Any) -> None:
    alice = world.auth("alice")
    login = await client.post("/api/agents/alice/login", json={"queues": ["outbound-agents"]}, headers=alice)
    assert login.status == 200, await login.text()
    preview = await _each_language(client.post, 409, "conflict", alice, url="/api/agents/alice/preview/claim", json={})
    assert preview["en"]["detail"] == "alice is not signed in to a preview campaign"
    assert preview["ja"]["detail"] == "alice はプレビューキャンペーンにサインインしていません"
    assert preview["zh-CN"]["detail"] == "alice 未登录预览活动"
    queues = await _each_language(
        client.post, 422, "validation-error", alice, url="/api/agents/alice/login", json={"queues": ["nowhere"]}
    )
    assert queues["en"]["detail"].startswith("unknown queue(s) nowhere; choose from ")
    assert queues["ja"]["detail"].startswith("不明なキュー nowhere です。")
    assert queues["zh-CN"]["detail"].startswith("未知队列 nowhere；请从 ")


async def test_a_lead_batchs_row_errors_are_in_the_requests_language(world: WebWorld, client: Any) -> None:
    """The batch is parsed in the CPU worker process: the request's language goes with it."""
    boss = world.auth("boss")
    leads = [{"phone": "+1 202 555 0143"}, {"phone": "+1 202 555 0143"}, {"phone": "+1 202 555 0144", "priority": "x"}]
    details = {}
    for lang in LANGS:
        resp = await client.post(
            "/api/campaigns/demo/leads", json={"leads": leads}, headers={**boss, "Accept-Language": lang}
        )
        assert resp.status in (200, 201, 207), await resp.text()
        results = (await resp.json())["results"]
        assert [r["reason"] for r in results[1:]] == ["duplicate", "bad_priority"]
        details[lang] = [r["detail"] for r in results[1:]]
    assert details["en"] == ["same number as row 1", "priority 'x' is not a whole number"]
    for lang in ("ja", "zh-CN"):
        for detail in details[lang]:
            assert CJK.search(detail), details[lang]


async def test_a_bad_phone_in_the_recordings_search_says_what_is_expected(world: WebWorld, client: Any) -> None:
    bodies = await _each_language(
        client.get, 422, "validation-error", world.auth("boss"), url="/api/recordings?phone=03-1234-x"
    )
    for body in bodies.values():
        assert [(e["type"], e["location"]) for e in body["errors"]] == [("string_pattern_mismatch", ["query", "phone"])]
        assert "[0-9]" not in body["detail"]
        assert "^" not in body["detail"]
    assert bodies["en"]["detail"].startswith("phone: a phone number is expected: digits only"), bodies["en"]
    assert bodies["ja"]["detail"].startswith("phone: 電話番号を入力してください"), bodies["ja"]
    assert bodies["zh-CN"]["detail"].startswith("phone：应为电话号码"), bodies["zh-CN"]
