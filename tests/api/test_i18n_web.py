"""Languages on the web tier: pages in the user's language (setting, else Accept-Language), the catalogue for the
scripts, problem titles translated, the language and time zone settings, the import's encoding override."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import FormData
from harness.web import PASSWORD, WebWorld


async def test_pages_follow_accept_language_then_the_users_setting(world: WebWorld, client: Any) -> None:
    page = await (await client.get("/login", headers={"Accept-Language": "ja-JP,ja;q=0.9"})).text()
    assert '<html lang="ja">' in page
    assert "パスワード" in page
    assert "Password" not in page
    page = await (await client.get("/login", headers={"Accept-Language": "zh-CN"})).text()
    assert "密码" in page
    bad = await client.post(
        "/login", data={"name": "boss", "password": "nope"}, headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    assert "用户名或密码错误" in await bad.text()

    await client.post("/api/login", json={"name": "boss", "password": PASSWORD})
    page = await (await client.get("/dashboard", headers={"Accept-Language": "ja"})).text()
    assert "リードのアップロード" in page
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    resp = await client.put(
        "/api/me/preferences",
        json={"language": "zh-CN", "timezone": "Asia/Shanghai"},
        headers={"X-CSRF-Token": csrf, "Accept-Language": "ja"},
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["effective_language"] == "zh-CN"
    page = await (await client.get("/dashboard", headers={"Accept-Language": "ja"})).text()
    assert '<html lang="zh-CN">' in page
    assert "上传线索" in page
    assert "Asia/Shanghai" in page  # the boot data carries the user's zone for the scripts
    bad = await client.put("/api/me/preferences", json={"language": "fr"}, headers={"X-CSRF-Token": csrf})
    assert bad.status == 422


async def test_catalogue_json_and_translated_problem_titles(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    ja = await (await client.get("/api/i18n/ja", headers=boss)).json()
    assert ja["Ready"] == "受付可"
    assert ja["Campaign {campaign} · lead #{id}"] == "キャンペーン {campaign} · リード #{id}"
    assert await (await client.get("/api/i18n/en", headers=boss)).json() == {}
    missing = await client.get("/api/i18n/fr", headers={**boss, "Accept-Language": "zh-CN"})
    assert missing.status == 404
    assert (await missing.json())["title"] == "未找到"
    assert (await missing.json())["detail"] == "没有该语言的目录"
    nobody = await client.get("/api/campaigns", headers={"Accept-Language": "ja"})
    assert (await nobody.json())["title"] == "認証が必要です"


async def test_browser_import_reports_the_encoding_and_takes_another(
    world: WebWorld, client: Any, tmp_path: Path
) -> None:
    boss = world.auth("boss")
    data = "phone,name\n+1 212 555 0142,山田 太郎\n+1 212 555 0143,佐藤 花子\n".encode("cp932")

    def form(encoding: str | None = None) -> FormData:
        fd = FormData()
        fd.add_field("file", data, filename="jp.csv", content_type="text/csv")
        if encoding:
            fd.add_field("encoding", encoding)
        return fd

    resp = await client.post("/api/campaigns/demo/lead-lists/preview", data=form(), headers=boss)
    body = await resp.json()
    assert resp.status == 200, body
    assert body["encoding"] == "cp932"
    assert body["encoding_detected"] is True
    assert "gb18030" in body["encodings"]
    assert body["sample"][0]["display_name"] == "山田 太郎"
    # The manager names another encoding: the file is read with it (here: wrongly, so the names change) ...
    resp = await client.post("/api/campaigns/demo/lead-lists/preview", data=form("gb18030"), headers=boss)
    other = await resp.json()
    assert resp.status == 200, other
    assert other["encoding"] == "gb18030"
    assert other["encoding_detected"] is False
    assert other["sample"][0]["display_name"] != "山田 太郎"
    # ... or cannot be read with it: the problem offers the choices again, nothing is imported.
    resp = await client.post("/api/campaigns/demo/lead-lists/preview", data=form("euc_jp"), headers=boss)
    refused = await resp.json()
    assert resp.status == 422
    assert "euc_jp" in refused["detail"]
    assert "cp932" in refused["encodings"]


async def test_csv_downloads_utf8_bom_by_default_cp932_on_request_headers_translated(
    world: WebWorld, client: Any
) -> None:
    boss = {**world.auth("boss"), "Accept-Language": "ja"}
    resp = await client.get("/api/reports/calls/demo?format=csv", headers=boss)
    body = await resp.read()
    assert resp.status == 200
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    assert body.decode("utf-8-sig").startswith("試行ID,リードID,電話番号")
    resp = await client.get("/api/reports/compliance/demo?format=csv&encoding=cp932", headers=boss)
    assert resp.status == 200
    assert "shift_jis" in resp.headers["Content-Type"]
    assert (await resp.read()).decode("cp932").startswith("区分,項目,指標,値")
    plain = await client.get("/api/reports/compliance/demo?format=csv&encoding=utf-8", headers=world.auth("boss"))
    assert (await plain.read()).startswith(b"section,item,metric,value")
    page = await (await client.get("/api/reports/performance/demo?format=html", headers=boss)).text()
    assert '<html lang="ja">' in page
    assert "パフォーマンス — demo" in page


async def test_a_japanese_users_problems_and_why_not_dialling_are_japanese(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    english = await client.get("/api/campaigns/nope", headers=boss)
    assert english.status == 404
    body = await english.json()
    assert (body["title"], body["detail"]) == ("Not Found", "no campaign named 'nope'")
    resp = await client.put("/api/me/preferences", json={"language": "ja"}, headers=boss)
    assert resp.status == 200, await resp.text()

    missing = await client.get("/api/campaigns/nope", headers=boss)
    body = await missing.json()
    assert body["type"] == "https://dialer.invalid/problems/not-found"  # the machine-readable part is stable
    assert (body["title"], body["detail"]) == ("見つかりません", "'nope' という名前のキャンペーンはありません")
    # No route: the router answers before anyone is identified, so the browser's language decides.
    nowhere = await client.get("/api/no/such/route", headers={**boss, "Accept-Language": "ja"})
    assert (await nowhere.json())["detail"] == "/api/no/such/route には何もありません"
    page = await client.get("/no-such-page", headers={**boss, "Accept": "text/html", "Accept-Language": "ja"})
    text = await page.text()
    assert '<html lang="ja">' in text
    assert "/no-such-page には何もありません" in text
    # A report's page address (?format=html) a browser opens, for a campaign that is not there: a page, not the
    # problem's JSON; a script asking for JSON still gets the problem.
    report = "/api/reports/performance/nope?format=html"
    page = await client.get(report, headers={**boss, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert (page.status, page.content_type) == (404, "text/html")
    text = await page.text()
    assert '<html lang="ja">' in text
    assert "キャンペーン &#x27;nope&#x27; はありません" in text
    fetched = await client.get(report, headers={**boss, "Accept": "application/json"})
    assert (fetched.status, fetched.content_type) == (404, "application/problem+json")

    doc = await (await client.get("/api/dashboard", headers=boss)).json()
    (demo,) = doc["campaigns"]
    why = demo["why_not_dialing"]
    japanese = {
        "no_agents": "ログイン中で一時停止していないオペレーターがいません",
        "paused": "キャンペーンは開始されていません",
    }
    assert why["code"] in japanese
    assert why["detail"] == japanese[why["code"]]
    # Another reader of the same campaign, in English, at the same moment.
    alice = await (await client.get("/api/dashboard", headers=world.auth("root"))).json()
    assert alice["campaigns"][0]["why_not_dialing"]["detail"].isascii()


async def test_report_times_in_the_users_zone_else_the_campaigns(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    url = "/api/reports/compliance/demo?format=html"
    page = await (await client.get(url, headers=boss)).text()
    assert "Times in America/New_York." in page  # the user chose no zone: the campaign's (demo.toml)
    assert " EST" in page or " EDT" in page
    resp = await client.put("/api/me/preferences", json={"language": "ja", "timezone": "Asia/Tokyo"}, headers=boss)
    assert resp.status == 200, await resp.text()
    page = await (await client.get(url, headers=boss)).text()
    assert "時刻は Asia/Tokyo。" in page
    assert " JST" in page
    csv = await (await client.get("/api/reports/compliance/demo?format=csv", headers=boss)).read()
    assert b"JST" not in csv  # CSV: ISO 8601 for programs


async def test_the_managers_pages_follow_the_users_language(world: WebWorld, client: Any) -> None:
    await client.post("/api/login", json={"name": "root", "password": PASSWORD})
    for path in ("/admin", "/lists", "/teams", "/leads", "/webhooks"):
        page = await (await client.get(path, headers={"Accept-Language": "ja"})).text()
        assert '<html lang="ja">' in page, path
        page = await (await client.get(path, headers={"Accept-Language": "zh-CN"})).text()
        assert '<html lang="zh-CN">' in page, path
