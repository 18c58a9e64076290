"""The daemon actions a flow's ``lookup`` node may call (over FastAGI); names and what they return.

Each action takes string arguments and answers a status (the node branches on it) and string data (stored as
``<store>_<key>``). :class:`TableActions` answers those over the manager's table; the daemon's
:class:`dialer.daemon.ivractions.DaemonActions` answers ``queue_wait`` and ``book_callback`` (virtual hold) in front
of it. This table is what ``dialer ivr check`` accepts.
"""

from __future__ import annotations

import csv
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from dialer.ivr.executor import LookupDone

if TYPE_CHECKING:
    from dialer.ivr.agi import IvrCallInfo

ACTIONS: Final[dict[str, str]] = {
    "set_lead_result": "record args.result as the call's answer (statuses: ok)",
    "find_lead": "find the campaign's lead by args.number (statuses: found, not_found; data: name, lead_id)",
    "find_account": "find an account in the manager's table by args.account (statuses: found, not_found; "
    "data: name, balance, dob)",
    "verify": "compare args.entered with the account's args.field (default dob) (statuses: match, mismatch)",
    "queue_wait": "the estimated wait of args.queue now, against args.longer_than seconds (statuses: short, long, "
    "closed (no agent logged in to the queue); data: seconds, waiting)",
    "book_callback": "book a callback for the caller's number in campaign args.campaign (default: [fastagi] "
    "callback_campaign), due args.delay_minutes later (default 0: as soon as the campaign's rules allow), with "
    "args.note (statuses: booked, refused; data: when (ISO 8601, UTC), moved (yes: due later than asked, when the "
    "campaign's calling window or re-call gap first allows the call; else no), reason (no_number, invalid_number, "
    "dnc, unknown_campaign, lead_closed, no_window))",
}


class TableActions:
    """The actions over a table the manager loaded (a CSV of accounts: ``account,name,balance,dob``, any order).

    ``set_lead_result`` keeps the caller's answer per call (it is stored with the flow's result anyway);
    ``find_account`` answers the account's name and balance (never the date of birth: ``verify`` compares it).
    """

    def __init__(self, accounts: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.accounts = {k: dict(v) for k, v in (accounts or {}).items()}
        self.answers: dict[str, str] = {}

    @classmethod
    def from_csv(cls, path: Path) -> TableActions:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        if rows and "account" not in rows[0]:
            raise ValueError(f"{path}: the accounts table needs an 'account' column")
        return cls({row["account"].strip(): {k: (v or "").strip() for k, v in row.items()} for row in rows})

    async def __call__(self, action: str, args: Mapping[str, str], info: IvrCallInfo) -> LookupDone:
        if action == "set_lead_result":
            self.answers[info.call_ref] = args.get("result", "")
            return LookupDone("ok")
        if action == "find_account":
            row = self.accounts.get(args.get("account", ""))
            if row is None:
                return LookupDone("not_found")
            return LookupDone("found", {"name": row.get("name", ""), "balance": row.get("balance", "")})
        if action == "verify":
            row = self.accounts.get(args.get("account", ""), {})
            ok = bool(row) and args.get("entered", "") == row.get(args.get("field", "dob"), "\0")
            return LookupDone("match" if ok else "mismatch")
        if action == "find_lead":
            return LookupDone("not_found")
        return LookupDone("error")


class ScriptedActions:
    """Fixed answers for the named actions, every other one by ``fallback``: what the recorder (and the simulated PBX
    replaying its recordings) serves in place of the daemon's live state, e.g. virtual hold's ``queue_wait`` and
    ``book_callback`` as the daemon answers them for the lab's queue (``Scenario.ivr_answers``)."""

    def __init__(
        self,
        answers: Mapping[str, tuple[str, Mapping[str, str]]],
        fallback: Callable[[str, Mapping[str, str], IvrCallInfo], Awaitable[LookupDone]],
    ) -> None:
        self.answers = {action: (status, dict(data)) for action, (status, data) in answers.items()}
        self.fallback = fallback

    async def __call__(self, action: str, args: Mapping[str, str], info: IvrCallInfo) -> LookupDone:
        answer = self.answers.get(action)
        if answer is None:
            return await self.fallback(action, args, info)
        status, data = answer
        return LookupDone(status, dict(data))
