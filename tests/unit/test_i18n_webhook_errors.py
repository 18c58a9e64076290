"""A webhook delivery's last error, shown on the webhooks page (``last_error_text`` of ``/api/webhooks/deliveries``),
in the reader's language (issue 19): the worker records the machine's words (``last_error``, kept as they are);
each form it writes -- an HTTP status, an allow-list refusal, aiohttp's failures -- is said without English."""

from __future__ import annotations

import re
import socket

import aiohttp
import pytest
from harness.catalogue_scan import catalogue_misses

from dialer.i18n import render, use_locale
from dialer.i18n.library import delivery_error_text
from dialer.webhooks.core import AllowList, DestinationRefused, parse_events
from dialer.webhooks.worker import failure_record, refusal_record, status_record

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TECHNICAL = {"HTTP", "URL", "TLS", "Webhook", "http", "https", "example", "com"}


def english_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in TECHNICAL]


def refusal(url: str) -> str:
    with pytest.raises(DestinationRefused) as caught:
        AllowList.parse(["crm.example.com"]).check(url)
    return refusal_record(caught.value)


async def connection_failure() -> str:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError) as caught:
            await session.post(f"http://127.0.0.1:{port}/hook", data=b"{}")
    return failure_record(caught.value)


async def test_every_recorded_failure_is_said_in_the_readers_language() -> None:
    recorded = {
        status_record(503): "the receiver answered HTTP 503",
        refusal("https://evil.example.org/hook"): "not sent: host evil.example.org is not on the webhook allow-list",
        refusal("ftp://crm.example.com/x"): "not sent: only http and https URLs",
        refusal("https://user:pw@crm.example.com/x"): "not sent: no credentials in the URL",
        await connection_failure(): "could not connect to the receiver",
        failure_record(TimeoutError()): "the receiver did not answer in time",
    }
    for stored, english in recorded.items():
        said = delivery_error_text(stored)
        assert said is not None
        assert render(said, "en").startswith(english), (stored, render(said, "en"))
        for locale in ("ja", "zh-CN", "zh-Hant"):
            text = render(said, locale).replace("evil.example.org", "")
            assert CJK.search(text), (locale, text)
            assert not english_words(text), (locale, stored, text)
            assert catalogue_misses(text, locale) == [], (locale, text)
    assert delivery_error_text(None) is None
    assert delivery_error_text(None, 500) is not None


def test_a_subscriptions_bad_event_list_is_said_in_the_readers_language() -> None:
    for names in (["call.started", "nope"], []):
        with pytest.raises(ValueError, match="event type") as caught:
            parse_events(names)
        for locale in ("ja", "zh-CN", "zh-Hant"):
            with use_locale(locale):
                text = str(caught.value)
            codes = re.sub(r"'[^']*'|[a-z_]+\.[a-z_.]+", "", text)  # the event types are codes
            assert CJK.search(text), text
            assert not english_words(codes), (locale, text)
            assert catalogue_misses(text, locale) == [], (locale, text)
