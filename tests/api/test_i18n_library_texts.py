"""The texts of the libraries and of the PBX never reach a ja / zh-CN reader inside a localised sentence: a broken
JSON or TOML body, a malformed multipart upload, a pydantic refusal; the library's English stays in ``detail_en``
(or the logs) for operators. Checked with the catalogue scanner and a scan for English words."""

from __future__ import annotations

import re
from typing import Any

from harness.catalogue_scan import catalogue_misses
from harness.web import WebWorld, problem

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Words that stay as they are in every language: formats, protocols, the names of fields and forms.
TECHNICAL = {"JSON", "TOML", "UTF", "PBX", "URL", "AMI", "multipart", "form", "data", "mapping", "name", "demo"}


def english_words(text: str) -> list[str]:
    """Latin words of three letters or more that are not quoted values, technical names or the field a pydantic
    refusal starts with (``url: ...``: its location, a code)."""
    unquoted = re.sub(r"'[^']*'", "", re.sub(r"^[\w.]+[:：] ?", "", text))
    return [w for w in re.findall(r"[A-Za-z]{3,}", unquoted) if w not in TECHNICAL]


def assert_localised(body: dict[str, Any], lang: str) -> None:
    for text in (body["title"], body["detail"]):
        assert CJK.search(text), body
        assert not english_words(text), (lang, text)
        assert catalogue_misses(text, lang) == [], (lang, text)


async def test_broken_json_and_toml_bodies_are_said_in_the_readers_language(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    cases = [
        ("application/toml", b"name = ", "not valid TOML: a value is expected"),
        ("application/toml", b'name = "a"\nname = "b"\n', "at line 2, column 11: a key is given twice"),
        ("application/toml", b"[dialing\n", "at line 1, column 9: ']' is expected at the end of the table header"),
        ("application/json", b'{"name": }', "at line 1, column 10: a value is expected"),
        ("application/json", b"{name: 1}", "at line 1, column 2: a name in double quotes is expected"),
        ("application/json", b'{"name": "demo"} x', "at line 1, column 18: more text after the end of the document"),
    ]
    for content_type, raw, reason in cases:
        headers = {**boss, "Content-Type": content_type}
        en = await problem(await client.put("/api/campaigns/demo", data=raw, headers=headers), 400)
        assert reason in en["detail"], en
        assert en["detail_en"], en  # the parser's own words, for operators
        assert en["detail_en"] not in en["detail"], en
        for lang in ("ja", "zh-CN"):
            resp = await client.put("/api/campaigns/demo", data=raw, headers={**headers, "Accept-Language": lang})
            body = await problem(resp, 400)
            assert_localised(body, lang)
            assert body["detail_en"] == en["detail_en"]


async def test_a_malformed_upload_is_said_in_the_readers_language_with_the_library_text_aside(
    world: WebWorld, client: Any
) -> None:
    boss = world.auth("boss")
    url = "/api/campaigns/demo/lead-lists/preview"
    headers = {**boss, "Content-Type": "multipart/form-data; boundary=XyZ"}
    garbage = b"--XyZ\r\nContent-Disposition: form-data; name=file\r\n\r\nphone\r\n1\r\n--XyZ broken"
    en = await problem(await client.post(url, data=garbage, headers=headers), 400)
    assert en["detail"].startswith("cannot read the upload: "), en
    assert en["detail_en"], en  # aiohttp's own words, for operators
    for lang in ("ja", "zh-CN"):
        body = await problem(await client.post(url, data=garbage, headers={**headers, "Accept-Language": lang}), 400)
        assert_localised(body, lang)
        assert body["detail_en"] == en["detail_en"]

    bad_mapping = b"--XyZ\r\nContent-Disposition: form-data; name=mapping\r\n\r\n{bad\r\n--XyZ--\r\n"
    for lang in ("ja", "zh-CN"):
        resp = await client.post(url, data=bad_mapping, headers={**headers, "Accept-Language": lang})
        body = await problem(resp, 400)
        assert_localised(body, lang)
        assert body["detail_en"].startswith("Expecting property name enclosed in double quotes"), body


async def test_pydantic_refusals_of_a_request_body_are_catalogue_sentences(world: WebWorld, client: Any) -> None:
    boss = world.auth("boss")
    bodies = [
        ("/api/webhooks/subscriptions", {"url": 7, "events": "all", "secret": ["x"]}),
        ("/api/me/preferences", {"language": 3, "timezone": None, "extra": True}),
    ]
    for url, body in bodies:
        send = client.post if "webhooks" in url else client.put
        for lang in ("ja", "zh-CN"):
            resp = await send(url, json=body, headers={**boss, "Accept-Language": lang})
            doc = await problem(resp, 422)
            assert_localised(doc, lang)
            for error in doc["errors"]:
                assert not english_words(error["message"]), (lang, error)
                assert "invalid value" not in error["message"], error
