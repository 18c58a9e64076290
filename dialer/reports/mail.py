"""A scheduled report as an e-mail, and sending it over SMTP (Python's ``smtplib``, blocking: run it in a thread).

:func:`compose` is pure: the subject and body in the current language (the schedule's: the caller sets it), the
rendered report attached in each format asked (CSV as UTF-8 with a BOM, as the downloads: Excel reads CJK right)
and the HTML page as the body when asked. :func:`send` talks to the server of the ``[smtp]`` settings and mails each
recipient a message of their own (their address alone in ``To``: recipients outside the company never see each
other), over one connection; what the server answered for each is kept (:class:`Answer`) and recorded with the run.
A server that cannot be reached is a :class:`MailError` with its own words. The password is only ever handed to
``SMTP.login``.
"""

from __future__ import annotations

import io
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.generator import BytesGenerator
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
class Answer:
    """What the SMTP server answered for one recipient's message: taken or not, and its reply (code and words, or
    why the message never reached it)."""

    to: str
    accepted: bool
    reply: str

    def document(self) -> dict[str, object]:
        return {"to": self.to, "accepted": self.accepted, "reply": self.reply}


@dataclass(frozen=True, slots=True)
class Sent:
    """A run's mails: the server's answer for each recipient, in the order they were sent."""

    answers: tuple[Answer, ...]

    @property
    def accepted(self) -> int:
        """How many recipients the server took their message for."""
        return sum(a.accepted for a in self.answers)

    @property
    def delivered_to(self) -> tuple[str, ...]:
        return tuple(a.to for a in self.answers if a.accepted)

    @property
    def refused(self) -> str:
        """The server's refusals (``address: reply; ...``, empty: none)."""
        return "; ".join(f"{a.to}: {a.reply}" for a in sorted(self.answers, key=lambda a: a.to) if not a.accepted)[
            :MAX_ERROR
        ]


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
    """The mail of one run, without its recipient (:func:`send` addresses a copy to each): ``rendered`` holds the
    report in each format of the schedule (and ``html`` when the page is the body). Texts in the current language."""
    message = EmailMessage()
    message["Subject"] = subject(schedule, start, end)
    message["From"] = sender
    message["Date"] = format_datetime(now)
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


def send(smtp: SmtpSettings, message: EmailMessage, recipients: Sequence[str]) -> Sent:
    """Send ``message`` to each of ``recipients`` as a message of their own (their address alone in ``To``, a
    Message-ID each) over one connection to the ``[smtp]`` server (blocking); the server's answer for each. A
    recipient refused does not stop the others; a connection lost midway leaves the rest not sent, said so in their
    answers. Raises MailError when the server cannot be reached or refuses the session (nothing was sent then)."""
    if not smtp.configured:
        raise MailError("no SMTP server: set [smtp] host in the settings")
    answers: list[Answer] = []
    try:
        client = _connect(smtp)
        with client:
            client.ehlo_or_helo_if_needed()
            if smtp.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, smtp.password.get_secret_value())
            for address in recipients:
                try:
                    answers.append(_send_one(client, smtp.from_address, message, address))
                except (smtplib.SMTPServerDisconnected, OSError) as exc:
                    lost = "not sent: " + error_text(exc, smtp)
                    answers += [Answer(a, False, lost) for a in recipients[len(answers) :]]
                    break
    except (smtplib.SMTPException, OSError) as exc:
        if answers:  # the connection failed after some were sent (closing it): theirs stand
            lost = "not sent: " + error_text(exc, smtp)
            return Sent((*answers, *(Answer(a, False, lost) for a in recipients[len(answers) :])))
        raise MailError(error_text(exc, smtp)) from exc
    return Sent(tuple(answers))


def addressed(message: EmailMessage, address: str) -> bytes:
    """``message`` with ``address`` alone in ``To`` and a Message-ID of its own, as sent (CRLF lines)."""
    del message["To"], message["Message-ID"]
    message["To"] = address
    message["Message-ID"] = make_msgid(domain=str(message["From"]).rpartition("@")[2] or None)
    out = io.BytesIO()
    BytesGenerator(out).flatten(message, linesep="\r\n")
    return out.getvalue()


def _send_one(client: smtplib.SMTP, sender: str, message: EmailMessage, address: str) -> Answer:
    """One recipient's own message (MAIL, RCPT, DATA); the server's reply. A refusal resets the transaction."""
    said: bytes | str
    code, said = client.mail(sender)
    if code == 250:
        code, said = client.rcpt(address)
        if code in (250, 251):
            try:
                code, said = client.data(addressed(message, address))  # raises only when DATA is not taken
            except smtplib.SMTPDataError as exc:
                code, said = exc.smtp_code, exc.smtp_error
            if code == 250:
                return Answer(address, True, f"{code} {_said(said)}")
    client.rset()
    return Answer(address, False, f"{code} {_said(said)}")


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.tls == "tls":
        return smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=ssl.create_default_context()
        )
    return smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)


def _said(text: bytes | str) -> str:
    return (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).strip()


def error_text(exc: BaseException, smtp: SmtpSettings) -> str:
    """The server's answer (code and text) or the connection's failure, for the run's record (never a secret:
    smtplib's exceptions carry what the server said, not what we sent)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_said(exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPException):
        text = str(exc) or type(exc).__name__
    elif isinstance(exc, OSError):
        text = f"could not reach {smtp.host}:{smtp.port}: {exc.strerror or exc or type(exc).__name__}"
    else:
        text = type(exc).__name__
    return text[:MAX_ERROR]
