"""A browser import's rejected-rows CSV is in the language of the manager who imported it (Accept-Language or
their setting), headers and details; the reason codes stay."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from aiohttp import FormData
from harness.catalogue_scan import catalogue_misses
from harness.web import WebWorld

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
CSV = "phone,name\n+81 3-1234-5678,山田 太郎\nnot a phone,佐藤 花子\n+81-3-1234-5678,重複 です\n"


async def test_the_rejected_rows_file_follows_the_importers_language(world: WebWorld, client: Any) -> None:
    for lang, header in (
        ("ja", ["データ行", "ファイル行", "理由コード", "詳細"]),
        ("zh-CN", ["数据行", "文件行", "原因代码", "详情"]),
    ):
        auth = {**world.auth("boss"), "Accept-Language": lang}
        form = FormData()
        form.add_field("file", io.BytesIO(CSV.encode()), filename=f"{lang}.csv", content_type="text/csv")
        form.add_field("list_name", f"list-{lang}")
        resp = await client.post("/api/campaigns/demo/lead-lists", data=form, headers=auth)
        report = await resp.json()
        assert resp.status == 201, report
        errors = await client.get(report["errors_url"], headers=auth)
        raw = await errors.read()
        assert raw.startswith(b"\xef\xbb\xbf")
        head, *rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        assert head == [*header, "phone", "name"]
        assert sorted(r[2] for r in rows) == ["duplicate", "invalid_phone"]
        for row in rows:
            assert CJK.search(row[3]), row
            assert catalogue_misses(row[3], lang) == [], row
