"""structlog configured for JSON lines (one event per line), with ids bound through contextvars.

Bind ``campaign``, ``lead_id`` and ``attempt_id`` with ``structlog.contextvars.bound_contextvars`` around work on
a call. At INFO and above, phone numbers in well-known keys are masked; tracebacks never carry frame locals.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer

# Keys whose values may hold a phone number (or a dial string / channel name containing one).
PHONE_KEYS = frozenset({"phone", "number", "e164", "caller_id", "callerid", "dial_string", "channel", "to", "from"})
SECRET_KEYS = frozenset({"secret", "password", "token", "authorization", "cookie"})
_DIGIT_RUN = re.compile(r"\+?\d{6,}")


def mask_number(text: str) -> str:
    """Keep the country/area prefix and the last two digits of every long digit run: +1555*****67."""

    def _mask(m: re.Match[str]) -> str:
        s = m.group(0)
        keep_head = 4 if s.startswith("+") else 3
        return s[:keep_head] + "*" * (len(s) - keep_head - 2) + s[-2:]

    return _DIGIT_RUN.sub(_mask, text)


def _redact(_: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    level = logging.getLevelNamesMapping().get(method_name.upper(), logging.INFO)
    for key in list(event_dict):
        lowered = key.lower()
        if lowered in SECRET_KEYS:
            event_dict[key] = "***"
        elif level >= logging.INFO and lowered in PHONE_KEYS and isinstance(event_dict[key], str):
            event_dict[key] = mask_number(event_dict[key])
    return event_dict


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at write time (test runners swap and close it between commands)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", fmt: str = "json", stream: TextIO | None = None) -> None:
    """Configure structlog once for the process. Output goes to stderr (journald under systemd) or ``stream``."""
    out: Any = stream or _CurrentStderr()
    renderer: Any
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        exc_processors: list[Any] = []
    else:
        renderer = structlog.processors.JSONRenderer()
        exc_processors = [structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            *exc_processors,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=out, format="%(levelname)s %(name)s %(message)s", force=True)
    # APScheduler logs every job run at INFO: noise in a daemon that syncs state every 2 s.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelNamesMapping()[level]))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
