"""A scheduled report's mail, pure (dialer.reports.mail.compose) and the [smtp] settings: the subject and body in the
schedule's language, the period's local dates, the attachments named and encoded as the downloads are, the page as
the body when asked; the settings refuse a host without a sender and never show the password."""

from __future__ import annotations

from datetime import UTC, datetime, time
from email import message_from_bytes, policy

import pytest
from pydantic import ValidationError

from dialer.i18n import use_locale
from dialer.reports.mail import addressed, compose, period_dates
from dialer.reports.schedule import ReportSchedule
from dialer.settings import SmtpSettings

NOW = datetime(2026, 6, 2, 5, 0, tzinfo=UTC)
WEEK = (datetime(2026, 5, 25, 15, 0, tzinfo=UTC), datetime(2026, 6, 1, 15, 0, tzinfo=UTC))  # Tokyo's 26 May - 1 June


def weekly(**changes: object) -> ReportSchedule:
    values: dict[str, object] = {
        "report": "inbound",
        "target": None,
        "formats": ("csv", "json"),
        "period": "last_7_days",
        "cadence": "weekly",
        "weekday": 1,
        "at": time(14, 0),
        "recipients": ("a@example.com", "b@example.com"),
        "zone": "Asia/Tokyo",
    }
    values.update(changes)
    return ReportSchedule(**values)  # type: ignore[arg-type]


def test_the_mail_carries_the_report_in_each_format_and_the_page_as_its_body() -> None:
    rendered = {"csv": "a,b\r\n1,=2\r\n", "json": '{"report": "inbound"}', "html": "<html><p>page</p></html>"}
    with use_locale("en"):
        message = compose(weekly(), 7, rendered, start=WEEK[0], end=WEEK[1], sender="r@example.com", now=NOW)
    assert message["Subject"] == "Inbound queues report: all queues, the last 7 days (2026-05-26 – 2026-06-01)"
    assert message["To"] is None  # each recipient gets a copy of their own (dialer.reports.mail.send)
    assert message["From"] == "r@example.com"
    sent = message_from_bytes(addressed(message, "b@example.com"), policy=policy.default)
    assert (sent["To"], sent["From"]) == ("b@example.com", "r@example.com")
    assert "a@example.com" not in sent.as_string()
    assert sent["Message-ID"].endswith("@example.com>")
    html = message.get_body(("html",))
    assert html is not None
    assert html.get_content() == "<html><p>page</p></html>\n"
    files = {p.get_filename(): p.get_payload(decode=True) for p in message.iter_attachments()}
    assert files == {
        "inbound-all-2026-05-26.csv": b"\xef\xbb\xbfa,b\r\n1,=2\r\n",
        "inbound-all-2026-05-26.json": b'{"report": "inbound"}',
    }


def test_the_mail_is_in_the_schedules_language_with_a_plain_body_when_asked() -> None:
    schedule = weekly(report="compliance", target="東京", html_body=False, formats=("html",), language="zh-Hant")
    with use_locale(schedule.language):
        message = compose(schedule, 3, {"html": "<p/>"}, start=WEEK[0], end=WEEK[1], sender="r@example.com", now=NOW)
    assert message["Subject"] == "合規報告：東京，過去 7 天（2026-05-26 – 2026-06-01）"
    assert message.get_body(("html",)) is None
    body = message.get_body(("plain",))
    assert body is not None
    assert "dialer report schedule remove 3" in body.get_content()
    assert [p.get_filename() for p in message.iter_attachments()] == ["compliance-東京-2026-05-26.html"]


def test_a_one_day_period_is_one_date() -> None:
    day = (datetime(2026, 6, 1, 15, 0, tzinfo=UTC), datetime(2026, 6, 2, 15, 0, tzinfo=UTC))
    assert period_dates(weekly(period="yesterday"), *day) == "2026-06-02"


def test_smtp_settings_need_a_sender_and_keep_the_password_secret() -> None:
    with pytest.raises(ValidationError, match="from_address"):
        SmtpSettings(host="smtp.example.com")
    with pytest.raises(ValidationError, match="not an e-mail address"):
        SmtpSettings(host="smtp.example.com", from_address="reports")
    smtp = SmtpSettings(host="smtp.example.com", from_address="r@example.com", password="hunter2-secret")
    assert "hunter2-secret" not in repr(smtp)
    assert "hunter2-secret" not in smtp.model_dump_json()
    assert [d.total_seconds() for d in smtp.retry_delays()] == [60, 240, 960]
    assert not SmtpSettings().configured
