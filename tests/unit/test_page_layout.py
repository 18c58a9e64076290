"""The signed-in pages share ``layout.html``: each page's blocks fill the layout's slots, exactly."""

from __future__ import annotations

import pytest

from dialer.web.layout import compose, page_text, with_parts

LAYOUT = "<title><!-- slot title --></title><!-- slot body -->\n</html>\n"


def test_blocks_fill_the_slots_of_the_same_name() -> None:
    page = "<!-- a page -->\n<!-- block title -->Lists · $user\n<!-- block body -->\n<main>x</main>\n"
    assert compose(page, LAYOUT) == "<title>Lists · $user</title>\n<main>x</main>\n</html>\n"


def test_a_page_without_blocks_is_used_as_it_is() -> None:
    assert compose("<!doctype html><p>Sign in</p>\n", LAYOUT) == "<!doctype html><p>Sign in</p>\n"


def test_a_missing_or_unknown_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="not the layout's slots"):
        compose("<!-- p -->\n<!-- block title -->T\n<!-- block footer -->F\n", LAYOUT)


@pytest.mark.parametrize("page", ["admin.html", "console.html", "dashboard.html", "lists.html", "teams.html"])
def test_every_page_is_one_whole_document_with_the_sign_out_form(page: str) -> None:
    text = page_text(page)
    assert text.startswith("<!doctype html>\n")
    assert text.endswith("</body>\n</html>\n")
    assert text.count('action="/logout"') == 1
    assert "<!-- slot" not in text
    assert "<!-- block" not in text


def test_an_include_line_stands_for_the_part_it_names() -> None:
    page = "<main>\n  <!-- include lead-search.part.html -->\n</main>\n"
    parts = {"lead-search.part.html": "    <form>q</form>\n"}
    assert with_parts(page, parts.__getitem__) == "<main>\n    <form>q</form>\n</main>\n"


@pytest.mark.parametrize("page", ["leads.html", "lists.html"])
def test_the_lead_search_part_is_in_both_pages_once(page: str) -> None:
    text = page_text(page)
    assert text.count('<form id="search-form"') == 1
    assert "<!-- include" not in text
