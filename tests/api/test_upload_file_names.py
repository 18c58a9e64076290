"""A lead file refused on the web is named as the manager knows it -- the name of the file they uploaded -- not by
the server's spool path under the var dir (which means nothing to them and tells a stranger where files live)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiohttp import FormData
from harness.web import WebWorld, problem


def _form(content: bytes, filename: str) -> FormData:
    form = FormData()
    form.add_field("file", io.BytesIO(content), filename=filename, content_type="text/csv")
    return form


@pytest.mark.parametrize(
    ("path", "content", "said"),
    [
        ("/api/campaigns/demo/lead-lists", b"phone,first_name\n", "no leads in march.csv"),
        ("/api/campaigns/demo/lead-lists", b"", "march.csv: the file is empty"),
        ("/api/campaigns/demo/lead-lists/preview", b"", "march.csv: the file is empty"),
    ],
)
async def test_a_refused_upload_names_the_uploaded_file(
    world: WebWorld, client: Any, path: str, content: bytes, said: str
) -> None:
    resp = await client.post(path, data=_form(content, "march.csv"), headers=world.auth("boss"))
    refused = await problem(resp, 422)
    assert refused["detail"] == said
    assert str(world.settings.var_dir) not in refused["detail"]
