"""One Asterisk server as the daemon holds it: its AMI client, its pool entry (trunk gate, call tracker) and the
ordered event pump between them."""

from __future__ import annotations

from dataclasses import dataclass

from dialer.ami.client import AmiClient
from dialer.runner.pool import Server
from dialer.runner.pump import EventPump


@dataclass
class ServerConnection:
    client: AmiClient
    server: Server
    pump: EventPump
