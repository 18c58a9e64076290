"""structlog configured for JSON lines (one event per line), with ids bound through contextvars.

Bind ``campaign``, ``lead_id`` and ``attempt_id`` with ``structlog.contextvars.bound_contextvars`` around work on
a call (the campaign runners do). Records of other libraries (aiohttp's access log, asyncio, SQLAlchemy) go
through the same processors, so every line is JSON and redacted alike:

- values of secret-looking keys (``secret``, ``password``, ``token``, ...) are always ``***``, and so are the
  password of a URL, a ``Secret: ...`` header and a secret-looking query parameter (``?token=...``, as in the
  access log's request line) inside any text;
- at INFO and above every digit run long enough to be a phone number is masked, in every value (``+1555*****67``);
- tracebacks never carry frame locals.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer

# Keys whose values may hold a phone number (kept for callers that want to know; every value is masked anyway).
PHONE_KEYS = frozenset({"phone", "number", "e164", "caller_id", "callerid", "dial_string", "channel", "to", "from"})
# A key containing one of these names a secret: its value is never logged.
SECRET_WORDS = ("secret", "password", "passwd", "token", "authorization", "cookie", "api_key", "apikey")
# Values that are ids or times, never phone numbers: not masked (an Asterisk Uniqueid is an epoch timestamp).
UNMASKED_KEYS = frozenset({"timestamp", "level", "logger", "uniqueid", "linkedid", "action_id", "channel_id"})
_DIGIT_RUN = re.compile(r"\+?\d{6,}")
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE)
_SECRET_FIELD = re.compile(r"\b(secret|password)(\s*[:=]\s*)\S+", re.IGNORECASE)
# A secret in an address's query (``/wallboard?token=wbt_...`` in aiohttp's access log line).
_QUERY_SECRET = re.compile(r"([?&][\w.-]*(?:token|secret|password|key)[\w.-]*=)[^&#\s\"']+", re.IGNORECASE)


def mask_number(text: str) -> str:
    """Keep the country/area prefix and the last two digits of every long digit run: +1555*****67."""

    def _mask(m: re.Match[str]) -> str:
        s = m.group(0)
        keep_head = 4 if s.startswith("+") else 3
        return s[:keep_head] + "*" * (len(s) - keep_head - 2) + s[-2:]

    return _DIGIT_RUN.sub(_mask, text)


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


def _clean(value: Any, mask: bool) -> Any:
    if isinstance(value, str):
        value = _SECRET_FIELD.sub(r"\1\2***", _URL_PASSWORD.sub(r"\1***@", value))
        value = _QUERY_SECRET.sub(r"\1***", value)
        return mask_number(value) if mask else value
    if isinstance(value, dict):
        return {k: "***" if isinstance(k, str) and _is_secret(k) else _clean(v, mask) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, mask) for v in value]
    return value


def redact(_: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The processor: secrets always, phone numbers at INFO and above (see the module docstring)."""
    level = logging.getLevelNamesMapping().get(method_name.upper(), logging.INFO)
    mask = level >= logging.INFO
    for key in list(event_dict):
        if key.startswith("_"):  # structlog's own bookkeeping (the stdlib record)
            continue
        if _is_secret(key):
            event_dict[key] = "***"
        elif key not in UNMASKED_KEYS:
            event_dict[key] = _clean(event_dict[key], mask)
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
    exceptions: Any
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        exceptions = structlog.processors.format_exc_info  # plain text: no frame locals
    else:
        renderer = structlog.processors.JSONRenderer()
        exceptions = structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        exceptions,
        redact,
    ]
    threshold = logging.getLevelNamesMapping()[level]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    # Other libraries' records: the same processors and renderer, one line each.
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # APScheduler logs every job run at INFO: noise in a daemon that syncs state every 2 s.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, threshold))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
