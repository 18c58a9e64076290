"""Comparing an IVR call on the simulated PBX with the one recorded from the lab's Asterisk 22
(ami-traces/lab/ivr-*.txt): the call's channel as a list of lines -- dialplan steps, state changes, AGI commands,
queue events and variables, UserEvents, Hangup -- with what differs between runs masked
(tests/sim/pbx/test_simpbx_ivr*.py)."""

from __future__ import annotations

import re
from pathlib import Path

from dialer.ami.protocol import AmiMessage

QUEUE_DURATIONS = frozenset(
    f"{name}{unit}" for name in ("QUEUEWAIT", "DIALEDTIME", "ANSWEREDTIME") for unit in ("", "_MS")
)
USER_EVENT_FIELDS = ("Attempt", "Call", "Queue", "Stage", "Agent", "QueueStatus", "Cause")


def whole_call(messages: list[dict[str, str]], uniqueid: str, *, start_context: str) -> list[str]:
    """The IVR channel's (``uniqueid``) dialplan steps (where: context, extension, priority) from its first step in
    ``start_context`` on (dialer-inbound for an inbound caller: the lab's and the simulated one reach it by different
    routes; dialer-ivr for an agentless Originate), its state changes, AGI commands (and
    the PLAYBACKSTATUS a STREAM FILE sets), its queue events, the variables the queue sets (MEMBER*, QUEUESTATUS,
    ABANDONED, its durations), UserEvents (with their fields) and Hangup, in order."""
    out: list[str] = []
    for m in messages:
        if m.get("Uniqueid") != uniqueid:
            continue
        event = m.get("Event")
        if event == "Newexten" and m.get("Application") != "AppDial2":
            if not out and m.get("Context") != start_context:
                continue
            where = f"{m['Context']},{m['Exten']},{m['Priority']}"
            out.append(normalise(f"{where} {m['Application']}({m.get('AppData', '')})"))
        elif event == "VarSet" and m.get("Variable") in QUEUE_DURATIONS:
            # Queue() clears them on entry and sets them as it returns (their figures are the run's own)
            out.append(f"VarSet {m['Variable']}={'{n}' if m.get('Value') else ''}")
        elif event == "VarSet" and (
            m.get("Variable") in ("PLAYBACKSTATUS", "QUEUESTATUS", "ABANDONED") or m["Variable"].startswith("MEMBER")
        ):
            # STREAM FILE sets PLAYBACKSTATUS (res_agi); the queue the member's figures (setinterfacevar)
            # (the name and kind of member are the setup's: the lab added a dynamic member with no name)
            value = "" if m["Variable"] in ("MEMBERNAME", "MEMBERDYNAMIC") else f"={m['Value']}"
            out.append(normalise(f"VarSet {m['Variable']}{value}"))
        elif event in ("QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave", "AgentConnect"):
            out.append(event)
        elif event == "Newstate":
            out.append(f"Newstate {m['ChannelStateDesc']}")
        elif not out:
            continue
        elif event == "AGIExecStart":
            out.append(normalise(f"AGI: {m['Command']}"))
        elif event == "UserEvent":
            fields = ",".join(f"{k}={m.get(k, '-')}" for k in USER_EVENT_FIELDS)
            out.append(normalise(f"UserEvent {m['UserEvent']} {fields}"))
        elif event == "Hangup":
            out.append(f"Hangup {m['Cause']}")
    return out


def normalise(text: str) -> str:
    """What differs between runs: the FastAGI address, the seconds spent in the flow, the agent's name."""
    text = re.sub(r"agi://[0-9.]+:[0-9]+/", "agi://{fastagi}/", text)
    text = re.sub(r"Local/agent\w+@(lab|sim)-agents", "{agent}", text)
    return re.sub(r"seconds=[0-9]+", "seconds={n}", text)


def recorded(trace: Path) -> list[dict[str, str]]:
    """The recorded messages (the first of a repeated header: a UserEvent's own Context comes after the channel's)."""
    found = []
    for block in re.split(r"\r?\n\r?\n", trace.read_text(encoding="utf-8")):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(": ")
            if sep and not line.startswith("#"):
                fields.setdefault(key, value)
        found.append(fields)
    return found


def as_dict(message: AmiMessage) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in message.headers:
        fields.setdefault(key, value)
    return fields
