"""The daemon actions a flow's ``lookup`` node may call (over FastAGI); names and what they return.

Each action takes string arguments and answers a status (the node branches on it) and string data (stored as
``<store>_<key>``). The implementations live with the store (dialer/ivr/service.py); this table is what
``dialer ivr check`` accepts.
"""

from __future__ import annotations

from typing import Final

ACTIONS: Final[dict[str, str]] = {
    "set_lead_result": "record args.result as the call's answer (statuses: ok)",
    "find_lead": "find the campaign's lead by args.number (statuses: found, not_found; data: name, lead_id)",
    "find_account": "find an account in the manager's table by args.account (statuses: found, not_found; "
    "data: name, balance, dob)",
    "verify": "compare args.entered with args.expected (statuses: match, mismatch)",
}
