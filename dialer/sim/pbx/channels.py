"""Channels as Asterisk 22 shows them in AMI: the snapshot block every channel event carries.

A channel snapshot is ``Channel``, ``ChannelState``, ``ChannelStateDesc``, ``CallerIDNum``, ``CallerIDName``,
``ConnectedLineNum``, ``ConnectedLineName``, ``Language``, ``AccountCode``, ``Context``, ``Exten``,
``Priority``, ``Uniqueid``, ``Linkedid`` (in that order), then one ``ChanVariable: NAME=value`` line per
variable listed in manager.conf ``channelvars``. Events about two channels prefix the second block
(``Dest``, ``LocalOne``, ``LocalTwo``), the ChanVariable lines included (``DestChanVariable``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

Headers = list[tuple[str, str]]

UNKNOWN = "<unknown>"


class ChannelState(IntEnum):
    """``ChannelState`` codes (enum ast_channel_state)."""

    DOWN = 0
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7

    @property
    def desc(self) -> str:
        return _STATE_DESC[self]


_STATE_DESC = {
    ChannelState.DOWN: "Down",
    ChannelState.RING: "Ring",
    ChannelState.RINGING: "Ringing",
    ChannelState.UP: "Up",
    ChannelState.BUSY: "Busy",
}

# Q.850 cause texts, as ast_cause2str() spells them.
CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    21: "Call Rejected",
    28: "Invalid number format",
    34: "Circuit/channel congestion",
    38: "Network out of order",
}


def cause_text(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


@dataclass(eq=False)
class Channel:
    """One live channel. ``variables`` are channel variables (``Set``/Originate ``Variable``)."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    created_at: float
    priority: int = 1
    state: ChannelState = ChannelState.DOWN
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    application: str = ""
    application_data: str = ""
    bridge_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    hung_up: bool = False

    @property
    def device(self) -> str:
        """The device whose state this channel drives: ``Local/5550001@sim-pstn`` for
        ``Local/5550001@sim-pstn-00000000;1``, ``PJSIP/1001`` for ``PJSIP/1001-00000004``."""
        base = self.name.split(";", 1)[0]
        return base.rsplit("-", 1)[0]

    def snapshot(self, chan_variables: tuple[str, ...], prefix: str = "") -> Headers:
        headers: Headers = [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", str(int(self.state))),
            (f"{prefix}ChannelStateDesc", self.state.desc),
            (f"{prefix}CallerIDNum", self.caller_num or UNKNOWN),
            (f"{prefix}CallerIDName", self.caller_name or UNKNOWN),
            (f"{prefix}ConnectedLineNum", self.connected_num or UNKNOWN),
            (f"{prefix}ConnectedLineName", self.connected_name or UNKNOWN),
            (f"{prefix}Language", "en"),
            (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", self.context),
            (f"{prefix}Exten", self.exten),
            (f"{prefix}Priority", str(self.priority)),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]
        for var in chan_variables:
            headers.append((f"{prefix}ChanVariable", f"{var}={self.variables.get(var, '')}"))
        return headers


def parse_caller_id(value: str | None) -> tuple[str, str]:
    """``"Dialer" <8005551000>`` -> (number, name), like ast_callerid_parse; missing parts are ``""``."""
    if not value:
        return "", ""
    text = value.strip()
    if "<" in text and text.endswith(">"):
        name, _, number = text[:-1].rpartition("<")
        return number.strip(), name.strip().strip('"').strip()
    if any(ch.isalpha() for ch in text):
        return "", text.strip('"')
    return text, ""


def format_duration(seconds: float) -> str:
    """``HH:MM:SS`` as CoreShowChannel ``Duration`` shows it."""
    total = max(int(seconds), 0)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
