"""A scheduled report as an e-mail, and sending it over SMTP (Python's ``smtplib``, blocking: run it in a thread).

:func:`compose` is pure: the subject and body in the current language (the schedule's: the caller sets it), the
rendered report attached in each format asked (CSV as UTF-8 with a BOM, as the downloads: Excel reads CJK right)
and the HTML page as the body when asked. :func:`send` talks to the server of the ``[smtp]`` settings; a refusal or a
connection failure is a :class:`MailError` with the server's own words (recorded with the run, shown in the
listing). The password is only ever handed to ``SMTP.login``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from dialer.i18n import _
from dialer.reports.render.csv import encode_csv
from dialer.reports.schedule import PERIOD_NAMES, REPORT_NAMES, AttachFormat, ReportSchedule, zone_info

if TYPE_CHECKING:
    from dialer.settings import SmtpSettings

_MIME = {"csv": ("text", "csv"), "html": ("text", "html"), "json": ("application", "json")}
_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+')  # not in a file name (CJK names are kept)
MAX_ERROR = 1000


class MailError(RuntimeError):
    """The mail was not sent: the server refused it or could not be reached (the text says which, in its words)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """A sent mail: how many recipients the server accepted, and its refusals of the others (empty: none)."""

    accepted: int
    refused: str = ""


def period_dates(schedule: ReportSchedule, start: datetime, end: datetime) -> str:
    """The period's local dates: ``2026-12-06``, or ``2026-11-30 – 2026-12-06``."""
    zone = zone_info(schedule.zone)
    first = start.astimezone(zone).date()
    last = (end.astimezone(zone) - timedelta(days=1)).date()
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def subject(schedule: ReportSchedule, start: datetime, end: datetime) -> str:
    return _("{report}: {target}, {period} ({dates})").format(
        report=_(REPORT_NAMES[schedule.report]),
        target=schedule.target or _("all queues"),
        period=_(PERIOD_NAMES[schedule.period]),
        dates=period_dates(schedule, start, end),
    )


def attachment_name(schedule: ReportSchedule, start: datetime, fmt: AttachFormat) -> str:
    target = _UNSAFE.sub("_", schedule.target or "all") or "report"
    day = start.astimezone(zone_info(schedule.zone)).date().isoformat()
    return f"{schedule.report}-{target}-{day}.{fmt}"


def compose(
    schedule: ReportSchedule,
    schedule_id: int,
    rendered: Mapping[str, str],
    *,
    start: datetime,
    end: datetime,
    sender: str,
    now: datetime,
) -> EmailMessage:
    """The mail of one run: ``rendered`` holds the report in each format of the schedule (and ``html`` when the page
    is the body). Texts in the current language."""
    message = EmailMessage()
    message["Subject"] = subject(schedule, start, end)
    message["From"] = sender
    message["To"] = ", ".join(schedule.recipients)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = [
        _("The {report} of {target} for {period} ({dates}, {zone}).").format(
            report=_(REPORT_NAMES[schedule.report]),
            target=schedule.target or _("all queues"),
            period=_(PERIOD_NAMES[schedule.period]),
            dates=period_dates(schedule, start, end),
            zone=schedule.zone,
        ),
    ]
    if schedule.formats:
        lines.append(
            _("Attached: {files}").format(
                files=", ".join(attachment_name(schedule, start, f) for f in schedule.formats)
            )
        )
    lines += [
        "",
        _(
            "Sent by report schedule {id}: remove it on the Reports page or with `dialer report schedule remove {id}`."
        ).format(id=schedule_id),
    ]
    message.set_content("\n".join(lines) + "\n")
    if schedule.html_body:
        message.add_alternative(rendered["html"], subtype="html")
    for fmt in schedule.formats:
        maintype, subtype = _MIME[fmt]
        body = rendered[fmt]
        data = encode_csv(body, "utf-8-sig") if fmt == "csv" else body.encode("utf-8")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment_name(schedule, start, fmt))
    return message


def send(smtp: SmtpSettings, message: EmailMessage) -> Sent:
    """Send ``message`` to its ``To`` addresses through the ``[smtp]`` server (blocking). Raises MailError."""
    if not smtp.configured:
        raise MailError("no SMTP server: set [smtp] host in the settings")
    recipients = [a.strip() for a in str(message["To"]).split(",") if a.strip()]
    try:
        client = _connect(smtp)
        with client:
            if smtp.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password.get_secret_value())
            refused = client.send_message(message, from_addr=smtp.from_address, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(error_text(exc, smtp)) from exc
    return Sent(len(recipients) - len(refused), _refusals(refused))


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.tls == "tls":
        return smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
        )
    return smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {code} {_said(text)}" for address, (code, text) in sorted(refused.items()))[
        :MAX_ERROR
    ]


def _said(text: bytes | str) -> str:
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).strip()


def error_text(exc: BaseException, smtp: SmtpSettings) -> str:
    """The server's answer (code and text) or the connection's failure, for the run's record (never a secret:
    smtplib's exceptions carry what the server said, not what we sent)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "every recipient refused: " + _refusals(exc.recipients)
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_said(exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPException):
        text = str(exc) or type(exc).__name__
    elif isinstance(exc, OSError):
        text = f"could not reach {smtp.host}:{smtp.port}: {exc.strerror or exc or type(exc).__name__}"
    else:
        text = type(exc).__name__
    return text[:MAX_ERROR]
