"""The webhooks' pure core: signatures (checked against an independent implementation), the replay window, the
retry schedule, the SSRF allow-list and CRM URL templates."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.settings import WebhookSettings
from dialer.webhooks.core import (
    AllowList,
    DestinationRefused,
    EventType,
    RetryPolicy,
    SignatureError,
    event_id,
    parse_events,
    render_url,
    retryable,
    signed_headers,
    verify,
)


@given(st.text(min_size=1, max_size=40), st.binary(max_size=500), st.integers(0, 2**40))
def test_signature_matches_an_independent_hmac(secret: str, body: bytes, stamp: int) -> None:
    text = body.decode("latin-1")
    headers = signed_headers(secret, "id-1", "call.ended", stamp, text)
    mine = "v1=" + hmac.new(secret.encode(), f"{stamp}.".encode() + text.encode(), hashlib.sha256).hexdigest()
    assert headers["Dialer-Webhook-Signature"] == mine
    verify(secret, headers, text.encode(), now=stamp)


def test_verify_refuses_a_wrong_secret_a_changed_body_and_a_replay() -> None:
    headers = signed_headers("k", "id", "call.ended", 1_000_000, '{"a":1}')
    verify("k", headers, b'{"a":1}', now=1_000_100)
    with pytest.raises(SignatureError, match="mismatch"):
        verify("other", headers, b'{"a":1}', now=1_000_000)
    with pytest.raises(SignatureError, match="mismatch"):
        verify("k", headers, b'{"a":2}', now=1_000_000)
    with pytest.raises(SignatureError, match="replay window"):
        verify("k", headers, b'{"a":1}', now=1_000_000 + 301)


def test_backoff_doubles_up_to_the_cap_with_jitter_and_dead_letters_at_the_limit() -> None:
    policy = RetryPolicy(base_seconds=5, cap_seconds=300, max_attempts=6, jitter=0.5)
    rng = random.Random(3)
    for attempt, ceiling in [(1, 5), (2, 10), (3, 20), (4, 40), (7, 300), (40, 300)]:
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling * 0.5 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling * 0.3  # jittered: receivers are not hit in lockstep
    assert not policy.dead(5)
    assert policy.dead(6)


def test_allow_list_names_hosts_and_networks_and_nothing_else() -> None:
    allow = AllowList.parse(["crm.example.com", "*.hooks.example.org", "10.1.0.0/16", "127.0.0.1/32"])
    for ok in [
        "https://crm.example.com/x",
        "http://a.hooks.example.org:8443/y",
        "http://10.1.2.3/z",
        "http://127.0.0.1:9000/h",
    ]:
        allow.check(ok)
    for bad in [
        "https://evil.example.com/",
        "https://crm.example.com.evil.net/",
        "http://hooks.example.org/",  # *.domain means sub-domains
        "http://10.2.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "ftp://crm.example.com/",
        "https://user:pw@crm.example.com/",
        "file:///etc/passwd",
    ]:
        with pytest.raises(DestinationRefused):
            allow.check(bad)
    assert not AllowList.parse([]).allows("https://crm.example.com/")
    with pytest.raises(ValueError, match="neither a host name"):
        AllowList.parse(["not a host!"])


def test_event_ids_repeat_for_a_keyed_event_only() -> None:
    assert event_id(EventType.CALL_ENDED, 7) == event_id(EventType.CALL_ENDED, 7)
    assert event_id(EventType.CALL_ENDED, 7) != event_id(EventType.CALL_STARTED, 7)
    assert event_id(EventType.CALL_DISPOSITIONED) != event_id(EventType.CALL_DISPOSITIONED)


def test_templates_encode_values_and_events_parse() -> None:
    url = render_url(
        "https://crm.example.com/c/{external_id}?a={attempt_id}&who={agent}&x={fields.company}&n={missing}",
        {"external_id": "A/1 2", "attempt_id": 9, "agent": "bob&eve", "fields.company": "Acme"},
    )
    assert url == "https://crm.example.com/c/A%2F1%202?a=9&who=bob%26eve&x=Acme&n="
    assert parse_events(["*"]) == ("*",)  # a wildcard, not the types known today (tests/store/test_webhook_wildcard.py)
    assert parse_events([t.value for t in EventType if t is not EventType.CRM_DISPOSITION]) == tuple(
        t.value for t in EventType if t is not EventType.CRM_DISPOSITION
    )
    with pytest.raises(ValueError, match="unknown"):
        parse_events(["call.started", "crm.disposition"])


def test_a_receiver_down_for_an_hour_loses_nothing_by_default_and_4xx_refusals_are_not_retried() -> None:
    defaults = WebhookSettings()
    policy = RetryPolicy(
        base_seconds=defaults.retry_base_seconds,
        cap_seconds=defaults.retry_cap_seconds,
        max_attempts=defaults.max_attempts,
    )
    assert policy.patience() > 3600  # docs/webhooks.md: "more than 72 minutes"
    assert 72 * 60 <= policy.patience() < 73 * 60
    assert [s for s in (None, 301, 408, 425, 429, 500, 502, 503, 504) if not retryable(s)] == []
    assert [s for s in (400, 401, 403, 404, 409, 410, 413, 422) if retryable(s)] == []
