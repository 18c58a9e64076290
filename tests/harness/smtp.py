"""A real SMTP server in-process (aiosmtpd) for the mailed-report tests: what it receives, and replies it can be told
to refuse with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from harness.ports import free_port


class Mailbox:
    """An aiosmtpd handler keeping what it receives (each message with its envelope's recipients); ``refuse`` answers
    DATA with that reply instead, and ``refuse_rcpt`` answers RCPT TO of those addresses with their reply."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refuse: str | None = None
        self.refuse_rcpt: dict[str, str] = {}

    @property
    def recipients(self) -> list[list[str]]:
        """Each received message's envelope recipients."""
        return [to for to, _message in self.received]

    @property
    def messages(self) -> list[EmailMessage]:
        return [message for _to, message in self.received]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse is not None:
            return self.refuse
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on a free loopback port, stopped on leaving: its mailbox and its port."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
