"""AMI framing: incremental parsing, bounded memory, sanitising, encoding."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer.ami.actions import OriginateRequest, originate_headers
from dialer.ami.protocol import AmiMessage, AmiParser, encode_message, sanitize_value

TRACE = Path(__file__).resolve().parents[2] / "fixtures" / "ami-traces" / "originate-answer.txt"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def _feed_all(parser: AmiParser, chunks: list[bytes]) -> list[AmiMessage]:
    out: list[AmiMessage] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out


def test_banner_then_messages_with_repeated_and_empty_values() -> None:
    parser = AmiParser(expect_banner=True)
    data = BANNER + b"Response: Success\r\nActionID: a1\r\nMessage: ok\r\n\r\nEvent: X\r\nK: 1\r\nk: 2\r\nE: \r\n\r\n"
    first, second = parser.feed(data)
    assert parser.banner == "Asterisk Call Manager/11.0.0"
    assert first.is_response
    assert not first.is_event
    assert first.action_id == "a1"
    assert first.name == "Success"
    assert second.is_event
    assert second.name == "X"
    assert second.get("K") == "1"
    assert second.get("k") == "1"
    assert second.getall("K") == ["1", "2"]
    assert second.get("E") == ""
    assert second.get("missing", "d") == "d"
    assert "e" in second
    assert "nope" not in second


def test_originate_response_is_an_event() -> None:
    (message,) = AmiParser().feed(b"Event: OriginateResponse\r\nActionID: x\r\nResponse: Failure\r\n\r\n")
    assert message.kind == "event"
    assert message.is_event
    assert not message.is_response
    assert message.name == "OriginateResponse"


def test_action_kind() -> None:
    (message,) = AmiParser().feed(b"Action: Originate\nVariable: A=1\nVariable: B=2\n\n")
    assert message.is_action
    assert message.getall("variable") == ["A=1", "B=2"]


def test_line_without_colon_is_ignored_and_headerless_frame_skipped() -> None:
    parser = AmiParser()
    messages = parser.feed(b"Action: Ping\r\nthis line has no colon\r\n\r\ngarbage only\r\n\r\nEvent: Y\r\n\r\n")
    assert [m.headers for m in messages] == [(("Action", "Ping"),), (("Event", "Y"),)]


def test_crlf_split_across_reads_and_extra_blank_lines() -> None:
    parser = AmiParser()
    out = _feed_all(parser, [b"Event: A\r", b"\n\r", b"\n\r\n\r\nEvent: B\r\n\r", b"\n"])
    assert [m.name for m in out] == ["A", "B"]


def test_utf8_split_across_reads_is_kept_whole() -> None:
    data = "Event: X\r\nCallerIDName: Zoë Čapek 🙂\r\n\r\n".encode()
    for cut in range(len(data) + 1):
        parser = AmiParser()
        out = _feed_all(parser, [data[:cut], data[cut:]])
        assert out[0].get("CallerIDName") == "Zoë Čapek 🙂"


def test_invalid_utf8_becomes_replacement_char() -> None:
    (message,) = AmiParser().feed(b"Event: X\r\nName: a\xffb\r\n\r\n")
    assert message.get("Name") == "a\ufffdb"


def test_oversized_frame_is_discarded_and_parsing_resumes() -> None:
    parser = AmiParser(max_frame_chars=1000)
    big = b"Event: Big\r\nData: " + b"x" * 5000 + b"\r\n\r\n"
    chunks = [b"Event: A\r\n\r\n", *[big[i : i + 700] for i in range(0, len(big), 700)], b"Event: B\r\n\r\n"]
    out = _feed_all(parser, chunks)
    assert [m.name for m in out] == ["A", "B"]
    assert parser.discarded_frames == 1
    assert parser.buffered_chars == 0


def test_oversized_frame_in_one_read_is_discarded() -> None:
    parser = AmiParser(max_frame_chars=100)
    out = parser.feed(b"Event: Big\r\nData: " + b"y" * 500 + b"\r\n\r\nEvent: C\r\n\r\n")
    assert [m.name for m in out] == ["C"]


def test_buffer_stays_bounded_on_endless_garbage() -> None:
    parser = AmiParser(max_frame_chars=1024)
    for _ in range(200):
        assert parser.feed(b"z" * 1000) == []
        assert parser.buffered_chars <= 1024 + 1000
    assert parser.feed(b"\n\nEvent: Ok\n\n")[0].name == "Ok"


def test_sanitize_value_removes_every_line_break() -> None:
    assert sanitize_value("Zoë\r\nAction: Hangup\x00\t\x7f\u2028x") == "Zoë  Action: Hangup    x"


def test_encode_message_cannot_be_injected_and_round_trips() -> None:
    data = encode_message(
        [("Action", "Originate"), ("Variable", "NAME=Bob\r\n\r\nAction: Hangup"), ("Variable", "B=2")]
    )
    assert data.endswith(b"\r\n\r\n")
    assert data.count(b"\r\n\r\n") == 1
    (message,) = AmiParser().feed(data)
    assert message.getall("Variable") == ["NAME=Bob    Action: Hangup", "B=2"]
    assert encode_message({"Action": "Ping"}) == b"Action: Ping\r\n\r\n"


def test_encode_rejects_bad_header_names() -> None:
    for key in ["", "A:B", "A\r\nB", " A"]:
        try:
            encode_message([(key, "v")])
        except ValueError:
            continue
        raise AssertionError(key)


def _trace_bytes() -> bytes:
    return b"".join(line for line in TRACE.read_bytes().splitlines(keepends=True) if not line.startswith(b"#"))


def test_trace_split_at_every_byte_position_gives_the_same_messages() -> None:
    data = _trace_bytes()[:6000]
    whole = AmiParser(expect_banner=True).feed(data)
    assert len(whole) > 10
    for cut in range(len(data) + 1):
        parser = AmiParser(expect_banner=True)
        assert _feed_all(parser, [data[:cut], data[cut:]]) == whole


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_any_chunking_gives_the_same_messages(data: st.DataObject) -> None:
    stream = _trace_bytes()[:4000]
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=30)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert _feed_all(AmiParser(expect_banner=True), chunks) == AmiParser(expect_banner=True).feed(stream)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_garbage_never_raises_and_stays_bounded(chunks: list[bytes]) -> None:
    parser = AmiParser(expect_banner=True, max_frame_chars=512)
    for chunk in chunks:
        for message in parser.feed(chunk):
            assert message.headers
        assert parser.buffered_chars <= 512 + 300


header_key = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":"), min_size=1)
header_value = st.text(max_size=200)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(header_key, header_value), min_size=1, max_size=15), st.integers(min_value=1, max_value=7))
def test_encoded_messages_round_trip_through_any_split(headers: list[tuple[str, str]], step: int) -> None:
    data = encode_message(headers)
    parser = AmiParser()
    out = _feed_all(parser, [data[i : i + step] for i in range(0, len(data), step)])
    assert len(out) == 1
    expected = tuple((k, sanitize_value(v).lstrip(" \t").rstrip("\r")) for k, v in headers)
    assert out[0].headers == expected


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=20))
def test_repeated_keys_and_huge_headers(repeat: int) -> None:
    value = "v" * 20_000
    data = encode_message([("Event", "UserEvent")] + [("Key", f"{i}{value}") for i in range(repeat)])
    parser = AmiParser(max_frame_chars=64 * 1024)
    out = parser.feed(data)
    size = len(data)
    if size <= 64 * 1024:
        assert len(out) == 1
        assert len(out[0].getall("key")) == repeat
    else:
        assert out == []
        assert parser.discarded_frames == 1


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=60),
    st.text(max_size=60),
    st.text(max_size=60),
    st.dictionaries(st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,12}\Z"), st.text(max_size=60), max_size=4),
)
def test_no_originate_field_can_add_a_header_or_an_action(
    caller_id: str, account: str, exten: str, variables: dict[str, str]
) -> None:
    request = OriginateRequest(
        channel="Local/+12125551000@sim-pstn",
        attempt_id="7",
        context="dialer-outbound",
        exten=exten,
        caller_id=caller_id,
        account=account,
        variables=variables,
    )
    headers = originate_headers(request, "orig-7", "dialer-7")
    (message,) = AmiParser().feed(encode_message(headers))
    assert [k for k, _ in message.headers] == [k for k, _ in headers]
    assert message.get("Channel") == "Local/+12125551000@sim-pstn"
    assert all(sanitize_value(v) == v for _, v in message.headers)
