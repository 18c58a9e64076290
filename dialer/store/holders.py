"""Who holds a lease a process takes on rows (an import on its lead list, a webhook worker on outbox rows).

A holder is ``<kind>:<host>:<pid>:<token>``: a process of the same host that finds the holder's process gone
(``kill -9``, a crash) takes the rows over at once instead of waiting for the lease to run out.
"""

from __future__ import annotations

import os
import socket
import uuid


def process_holder(kind: str) -> str:
    """This process as a holder of ``kind`` leases: this host and process, plus a token."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def local_holder_gone(holder: str, kind: str) -> bool:
    """``holder`` is a ``kind`` holder of this host whose process no longer exists."""
    parts = holder.split(":")
    if len(parts) != 4 or parts[0] != kind or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # (it exists: another user's process)
        return False
    return False
