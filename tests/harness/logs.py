"""The daemon's own log configuration, captured."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from dialer.logging import configure_logging


@contextmanager
def logging_to(level: str, fmt: str = "json") -> Iterator[io.StringIO]:
    """The daemon's own log configuration writing here; the previous one restored after."""
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    out = io.StringIO()
    configure_logging(level, fmt, stream=out)
    try:
        yield out
    finally:
        structlog.reset_defaults()
        root.handlers[:] = handlers
        root.setLevel(root_level)
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)
