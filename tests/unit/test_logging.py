"""Log lines: JSON for every record (ours and other libraries'), ids bound, secrets never, numbers masked at INFO,
tracebacks without frame locals."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from harness.logs import logging_to
from structlog.contextvars import bound_contextvars

from dialer.logging import get_logger, mask_number

PHONE = "+12125551234"


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def fail_with_locals() -> None:
    password = "hunter2-in-a-frame"  # noqa: F841 (the local a traceback must not show)
    caller = PHONE  # noqa: F841
    raise ValueError("lookup failed")


def test_every_record_is_one_json_line_with_the_bound_ids(json_log: io.StringIO) -> None:
    log = get_logger("t")
    with bound_contextvars(campaign="demo", lead_id=7, attempt_id=42):
        log.info("call_ended", outcome="busy")
    logging.getLogger("aiohttp.access").info('127.0.0.1 "GET /healthz HTTP/1.1" 200')
    logging.getLogger("asyncio").warning("Executing <Task> took 0.3 seconds")
    ours, access, loop = lines(json_log)
    assert (ours["campaign"], ours["lead_id"], ours["attempt_id"], ours["event"]) == ("demo", 7, 42, "call_ended")
    assert (access["logger"], access["level"]) == ("aiohttp.access", "info")
    assert loop["level"] == "warning"


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_tracebacks_carry_no_frame_locals(fmt: str) -> None:
    with logging_to("INFO", fmt) as out:
        try:
            fail_with_locals()
        except ValueError:
            get_logger("t").exception("step_failed")
            logging.getLogger("aiohttp.server").exception("Error handling request")
    text = out.getvalue()
    assert "step_failed" in text
    assert "Error handling request" in text
    assert "fail_with_locals" in text  # the frames are there...
    assert "hunter2-in-a-frame" not in text  # ...their locals are not
    assert PHONE not in text
    if fmt == "json":
        for record in lines(out):
            (exc,) = record["exception"]
            assert all(set(frame) == {"filename", "lineno", "name"} for frame in exc["frames"])


def test_secrets_are_never_logged_at_any_level() -> None:
    with logging_to("DEBUG", "json") as out:
        get_logger("t").debug(
            "settings",
            secret="ami-s3cret",
            session_secret="cookie-key",
            api_token="dlr_abc",
            database_url="postgresql+asyncpg://dialer:db-pa55@db/dialer",
            frame="Action: Login\r\nUsername: dialer\r\nSecret: ami-s3cret\r\n",
            headers={"Authorization": "Bearer dlr_abc"},
            request='127.0.0.1 "GET /wallboard?lang=ja&token=wbt_tv-S3cret HTTP/1.1" 303',
        )
    text = out.getvalue()
    for secret in ("ami-s3cret", "cookie-key", "dlr_abc", "db-pa55", "wbt_tv-S3cret"):
        assert secret not in text, secret
    (record,) = lines(out)
    assert record["database_url"] == "postgresql+asyncpg://dialer:***@db/dialer"
    assert record["headers"] == {"Authorization": "***"}
    assert record["request"] == '127.0.0.1 "GET /wallboard?lang=ja&token=*** HTTP/1.1" 303'


def test_numbers_are_masked_in_every_value_at_info_and_kept_at_debug() -> None:
    with logging_to("DEBUG", "json") as out:
        log = get_logger("t")
        for emit in (log.debug, log.info, log.warning):
            emit(
                "call",
                number=PHONE,
                why=f"Originate to PJSIP/{PHONE}@trunk failed",
                sample=f"Event: Newchannel\r\nCallerIDNum: {PHONE[2:]}\r\n",
                nested=[{"to": PHONE}],
                uniqueid="1795449600.17",
            )
        logging.getLogger("aiohttp.access").info(f'"GET /api/leads?phone={PHONE}" 200')
    debug, *rest = lines(out)
    assert debug["number"] == PHONE
    for record in rest:
        assert PHONE not in json.dumps(record)
        assert PHONE[2:] not in json.dumps(record)
    info = rest[0]
    assert info["number"] == mask_number(PHONE) == "+121******34"
    assert info["why"] == "Originate to PJSIP/+121******34@trunk failed"
    assert info["uniqueid"] == "1795449600.17"  # an Asterisk id, not a number to hide
    assert "+121******34" in rest[-1]["event"]
