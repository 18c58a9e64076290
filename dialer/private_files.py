"""Files holding people's data (lead names and numbers: import error reports, exports, reports, the SQLite
database) are written owner-only: files 0600, the folders the dialer creates for them 0700. The modes are asked
of the kernel when the file is created, so an operator's umask only ever makes them tighter."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def make_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents, each 0700 (folders that exist are left as they are)."""
    missing: list[Path] = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            folder.mkdir(mode=PRIVATE_DIR_MODE)


def private_file_opener(path: str, flags: int) -> int:
    """An ``opener`` for :func:`open`: a file it creates is 0600 (one that exists keeps its mode)."""
    return os.open(path, flags, PRIVATE_FILE_MODE)


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 if it does not exist (its folder too, 0700); True when it was created."""
    make_private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        return False
    return True
