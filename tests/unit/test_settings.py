from __future__ import annotations

import os
from pathlib import Path

import pytest

from dialer.logging import mask_number
from dialer.settings import DEFAULT_SQLITE_URL, SettingsError, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "dialer" / "dialer.example.toml"


def test_defaults_run_the_demo_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("DIALER_"):
            monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.database_url == DEFAULT_SQLITE_URL
    assert settings.ami[0].host == "127.0.0.1"


def test_example_file_loads_and_matches_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("DIALER_"):
            monkeypatch.delenv(key)
    assert load_settings(EXAMPLE).model_dump() == load_settings().model_dump()


def test_environment_overrides_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIALER_HTTP__PORT", "9999")
    monkeypatch.setenv("DIALER_DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1/db")
    settings = load_settings(EXAMPLE)
    assert settings.http.port == 9999
    assert settings.database_url.startswith("postgresql+asyncpg://")


def test_bad_values_give_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('database_url = "mysql://x"\n')
    with pytest.raises(SettingsError, match="database_url"):
        load_settings(bad)
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_secret_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "ami-secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[ami]]\nsecret_file = "{secret}"\n')
    with pytest.raises(SettingsError, match="chmod 600"):
        load_settings(cfg)
    secret.chmod(0o600)
    assert load_settings(cfg).ami[0].secret.get_secret_value() == "s3cret"


def test_phone_numbers_are_masked() -> None:
    assert mask_number("+15551234567") == "+155******67"
    assert mask_number("Local/5550001@sim-pstn") == "Local/555**01@sim-pstn"
    assert mask_number("ext 12") == "ext 12"


def test_demo_ami_target_parses_like_dialer_test_ami() -> None:
    from dialer.demo import parse_ami_target

    server = parse_ami_target("127.0.0.1:5038:dialer:dialer-lab")
    assert (server.host, server.port, server.username) == ("127.0.0.1", 5038, "dialer")
    assert server.secret.get_secret_value() == "dialer-lab"
    with pytest.raises(ValueError, match="host:port:user:secret"):
        parse_ami_target("127.0.0.1:5038")
