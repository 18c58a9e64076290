"""The daemon's notification bus (dialer.runner.bus) in tests: waiting on a subscription for a kind of note."""

from __future__ import annotations

import asyncio

from dialer.runner.bus import Notification


async def first_note(notes: asyncio.Queue[Notification], kind: str, within: float = 5.0) -> Notification:
    """The first note of ``kind`` on the subscription ``notes`` (those before it are taken off); TimeoutError after
    ``within`` seconds."""
    async with asyncio.timeout(within):
        note = await notes.get()
        while note.kind != kind:
            note = await notes.get()
    return note


def taken(notes: asyncio.Queue[Notification], kind: str) -> list[Notification]:
    """The notes of ``kind`` waiting on the subscription ``notes`` (every waiting note is taken off)."""
    waiting: list[Notification] = []
    while not notes.empty():
        waiting.append(notes.get_nowait())
    return [note for note in waiting if note.kind == kind]
