"""Database URLs (SQLAlchemy's syntax) for the rest of the application: shown without the password, or given one."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def redacted_url(url: str) -> str:
    """The URL as it may be shown or logged: the password replaced by ``***``."""
    return make_url(url).render_as_string(hide_password=True)


def url_with_password(url: str, password: str) -> str:
    """The URL with its password set (read from a secret file rather than written in the URL)."""
    return make_url(url).set(password=password).render_as_string(hide_password=False)
